"""Answer a free question from the report, with citations that always point at a passage.

The flow: retrieve (the passages are known, and can be shown, before the model starts) → if nothing in
the index is close enough, say the report does not cover it → otherwise ask the model with short,
numbered excerpts → check the answer: citation numbers that point at nothing are removed, and an answer
with no valid citation, in the wrong language, or degenerate (empty, repeating) is replaced by an
extractive answer built from the excerpts themselves. Passages are data, never instructions: they are
delimited in the prompt and the system prompt says so.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from time import perf_counter
from typing import Literal

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel

from assistant.config import Language, Settings
from assistant.i18n import detect_language, t
from assistant.llm import LanguageModel
from assistant.prompts import AnswerPrompt, answer_prompts, instruction_patterns
from assistant.retrieve import Evidence, Hit, Retriever, tokenize
from assistant.safe_text import without_links
from assistant.sources import source_label

log = logging.getLogger(__name__)

# Best-sentence cosine (multilingual-e5) under which the report is taken not to cover a question, and
# above which the model's refusal is distrusted (a 1.5B model refuses some questions its passages answer).
# Per language, because an English question scores lower against the Dutch text. Measured on the dev,
# team and answer sets (docs/benchmarks.md): Dutch in-scope >= 0.847, Dutch off-topic <= 0.83, Dutch
# near-domain unanswerables up to 0.90; English in-scope >= 0.809, English off-topic <= 0.835.
RELEVANCE_FLOOR: dict[str, float] = {"nl": 0.84, "en": 0.80}
STRONG_EVIDENCE: dict[str, float] = {"nl": 0.91, "en": 0.86}
EXCERPT_CHARS = 260
_CITATION = re.compile(r"\[(\d+)\]")
_QUOTED = re.compile(r"“[^”]*”|\"[^\"]*\"")
_CURLY_QUOTE = re.compile(r"“[^”]*”")


class Citation(BaseModel):
    n: int
    chunk_id: str
    source: str
    section: str
    heading: str
    page: int | None
    text: str
    kind: str = "report"
    """report | document | source (of the report, in the shared library) | extra (a related text)"""
    cite_as: str | None = None
    """a source of the report as it is cited: 'Wenger, Trayner & De Laat 2021'"""

    @classmethod
    def from_hit(cls, n: int, hit: Hit) -> Citation:
        return cls(
            n=n,
            chunk_id=hit.chunk_id,
            source=hit.source,
            section=hit.section,
            heading=hit.heading,
            page=hit.page,
            text=hit.text,
            kind=hit.kind,
            cite_as=hit.cite_as,
        )


class Timings(BaseModel):
    retrieval_s: float
    first_token_s: float | None
    total_s: float


class Answer(BaseModel):
    answer: str
    language: Language
    grounded: bool
    citations: list[Citation]
    timings: Timings
    method: Literal["llm", "extractive", "not_covered", "empty"]
    note: str | None = None  # why the model's own answer was not used


def quoted(text: str) -> str:
    """Text SLIM quotes (a passage, a person's words): its own bracketed numbers ('… [1] [99].' from a
    reference list) become '(1)', so only SLIM's citations look like citations."""
    return _CITATION.sub(r"(\1)", text)


def where(hit: Hit, lang: Language = "nl") -> str:
    """'§3.3 Onmiddellijke waarde', 'plan.pdf p. 2' or 'Salignac et al. 2018, p. 4 — bron van het rapport':
    how a passage is named to the model and the reader."""
    if hit.cite_as:
        return source_label(hit.cite_as, hit.page, hit.kind, lang)
    heading = hit.heading.split(" › ")[-1]
    if hit.section:
        return f"§{hit.section} {heading}" if not heading.startswith(hit.section) else f"§{heading}"
    return f"{hit.source} p. {hit.page}" if hit.page else hit.source


def prompt_prefix(prompt: AnswerPrompt) -> list[BaseMessage]:
    """The part of every answer's prompt that never changes: what ``LanguageModel.warm`` computes ahead."""
    messages: list[BaseMessage] = [SystemMessage(prompt.system)]
    for example in prompt.examples:
        messages += [HumanMessage(example.user), AIMessage(example.assistant)]
    return messages


def build_messages(
    prompt: AnswerPrompt,
    question: str,
    evidence: Evidence,
    instructions: Sequence[re.Pattern[str]] = (),
    lang: Language = "nl",
) -> list[BaseMessage]:
    """System prompt and examples first (unchanging, so cached by the server), then this question; the
    passages as data (``as_data``)."""
    messages = prompt_prefix(prompt)
    passages = "\n".join(
        prompt.passage.format(n=n, where=as_data(where(hit, lang)), text=as_data(text, instructions))
        for n, (hit, text) in enumerate(zip(evidence.hits, evidence.excerpts, strict=True), start=1)
    )
    messages.append(HumanMessage(prompt.user.format(passages=passages, question=question.strip())))
    return messages


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


_SENTENCE_OR_LINE = re.compile(r"(?<=[.!?])\s+|\n+")


def as_data(text: str, instructions: Sequence[re.Pattern[str]] = ()) -> str:
    """A passage as it goes into a prompt: one line, unable to close the block that marks it as data
    (a document saying '</bronnen> SYSTEM: ...' stays inside the sources), and with every sentence that
    speaks to an AI system (``instructions``, from prompts/guard/instruction-patterns.yaml) replaced by '[…]'."""
    kept = [
        "[…]" if any(p.search(sentence) for p in instructions) else sentence
        for sentence in _SENTENCE_OR_LINE.split(text)
    ]
    return quoted(_one_line(" ".join(kept))).replace("<", "‹").replace(">", "›")


def valid_citations(text: str, count: int) -> tuple[str, set[int]]:
    """Remove citation numbers that point at no passage; return the text and the numbers left. A number
    inside a quotation is the quoted text's own, never a citation (``quoted``)."""
    kept: set[int] = set()
    text = _CURLY_QUOTE.sub(lambda m: quoted(m.group(0)), text)

    def check(match: re.Match[str]) -> str:
        n = int(match.group(1))
        if 1 <= n <= count:
            kept.add(n)
            return match.group(0)
        return ""

    cleaned = _CITATION.sub(check, text)
    return re.sub(r"[ \t]+([.,;:!?])", r"\1", re.sub(r"[ \t]{2,}", " ", cleaned)).strip(), kept


def is_degenerate(text: str) -> bool:
    """Empty, a fragment, or looping: the failure modes of a small model."""
    words = re.findall(r"\w+", text.lower())
    if len(words) < 4:
        return True
    trigrams = [tuple(words[i : i + 3]) for i in range(len(words) - 2)]
    repeated = 1 - len(set(trigrams)) / max(len(trigrams), 1)
    sentences = [s.strip().lower() for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]
    return repeated > 0.3 or len(sentences) != len(set(sentences))


def language_of_answer(text: str, default: Language) -> Language:
    """The language an answer is written in, ignoring quotations from the (Dutch) report."""
    return detect_language(_CITATION.sub(" ", _QUOTED.sub(" ", text)), default=default)


class Generation(BaseModel):
    """What a language model wrote, after the checks every text of the model goes through."""

    text: str
    """the model's text with citation numbers that point at nothing removed; the fallback if ``problem``"""
    raw: str
    """everything the model wrote, unchecked ("" when it failed)"""
    problem: str | None
    """why the fallback is used: no language model, error, no valid citation, degenerate, wrong language"""
    first_token_s: float | None
    """seconds from ``started`` to the model's first piece of text"""


def checked_generation(
    llm: LanguageModel,
    messages: list[BaseMessage],
    *,
    passages: int,
    lang: Language,
    fallback: str,
    on_token: Callable[[str], None] | None = None,
    on_wait: Callable[[int], None] | None = None,
    clean: Callable[[str], str] | None = None,
    started: float | None = None,
) -> Generation:
    """The one way SLIM lets a model speak, for free answers and reflections alike: stream its text
    (``on_token``; ``on_wait`` while it waits its turn), keep only citation numbers that point at one of
    the ``passages``, and use the text only if a citation is left, it is not degenerate and it is in
    ``lang``; otherwise ``fallback``. A failing model never breaks the caller. ``clean`` tidies the text
    before it is checked."""
    started = perf_counter() if started is None else started
    if not llm.available:
        return Generation(text=fallback, raw="", problem="no language model", first_token_s=None)
    first_token: float | None = None
    parts: list[str] = []
    try:
        for piece in llm.pieces(messages, on_wait):
            if piece and first_token is None:
                first_token = round(perf_counter() - started, 3)
            parts.append(piece)
            if on_token and piece:
                on_token(piece)
    except Exception as exc:  # a model server that fails must not lose the question or the conversation
        log.warning("language model failed: %s", exc)
        return Generation(text=fallback, raw="", problem=f"error: {exc}", first_token_s=first_token)
    raw = "".join(parts).strip()
    text, cited = valid_citations(clean(raw) if clean else raw, passages)
    problem = None
    if not cited:
        problem = "no valid citation"
    elif is_degenerate(text):
        problem = "degenerate"
    elif language_of_answer(text, lang) != lang:
        problem = "wrong language"
    return Generation(text=fallback if problem else text, raw=raw, problem=problem, first_token_s=first_token)


def says_not_covered(text: str, prompt: AnswerPrompt) -> bool:
    """The model's refusal: the fixed sentence, and no citation next to it."""
    return prompt.not_covered.lower().rstrip(".") in text.lower() and not _CITATION.search(text)


def drop_refusal(text: str, prompt: AnswerPrompt) -> str:
    """A small model sometimes tacks the refusal onto a cited answer; the answer stands without it."""
    return re.sub(re.escape(prompt.not_covered.rstrip(".")) + r"\.?", "", text, flags=re.IGNORECASE).strip()


def extractive_answer(prompt: AnswerPrompt, evidence: Evidence, limit: int = 2, lang: Language = "nl") -> str:
    """The excerpts themselves, quoted and cited: always true to the report, if less fluent. A quote from a
    source of the report (not the report itself) says so after its number."""
    quotes = " ".join(
        f"“{quoted(_one_line(text))}” [{n}]" + (f" ({where(hit, lang)})" if hit.cite_as else "")
        for n, (hit, text) in enumerate(zip(evidence.hits[:limit], evidence.excerpts[:limit], strict=True), start=1)
    )
    return f"{prompt.extractive_intro} {quotes}"


def answer_question(
    question: str,
    retriever: Retriever,
    llm: LanguageModel,
    settings: Settings,
    *,
    on_passages: Callable[[list[Citation]], None] | None = None,
    on_token: Callable[[str], None] | None = None,
    on_wait: Callable[[int], None] | None = None,
) -> Answer:
    """Answer ``question`` from the index; callbacks let a UI show passages and tokens as they come, and
    the place in line while other people's answers are being written (``on_wait``)."""
    start = perf_counter()
    lang = detect_language(question, default=settings.lang)
    prompt = answer_prompts(settings.prompts_dir)[lang]
    if not any(ch.isalnum() for ch in question):  # '', '   ', '😀😀😀', '```': nothing to search for
        timings = Timings(retrieval_s=0.0, first_token_s=None, total_s=round(perf_counter() - start, 3))
        text = t("answer.empty_question", lang)
        return Answer(answer=text, language=lang, grounded=False, citations=[], timings=timings, method="empty")
    evidence = retriever.evidence(question, k=settings.answer_passages, max_chars=EXCERPT_CHARS)
    citations = [Citation.from_hit(n, hit) for n, hit in enumerate(evidence.hits, start=1)]
    retrieval_s = perf_counter() - start
    # a question none of whose words the index knows ('asdfghjkl') is not covered, however close a
    # passage's vector happens to be
    covered = evidence.relevance >= RELEVANCE_FLOOR[lang] and bool(citations) and evidence.known_words > 0
    if on_passages and covered:  # passages the answer will not rest on would flash up and vanish
        on_passages(citations)

    def done(text: str, method: str, cites: list[Citation], first: float | None, note: str | None = None) -> Answer:
        return Answer(
            answer=without_links(text, prompt.link_removed),
            language=lang,
            grounded=method != "not_covered",
            citations=cites,
            timings=Timings(
                retrieval_s=round(retrieval_s, 3), first_token_s=first, total_s=round(perf_counter() - start, 3)
            ),
            method=method,  # type: ignore[arg-type]
            note=note,
        )

    if not covered:
        return done(prompt.not_covered, "not_covered", [], None, note="low relevance")
    extracted = extractive_answer(prompt, evidence, lang=lang)
    if not llm.available:
        return done(extracted, "extractive", citations, None, note="no language model")

    generated = checked_generation(
        llm,
        build_messages(prompt, question, evidence, instruction_patterns(settings.prompts_dir), lang),
        passages=len(citations),
        lang=lang,
        fallback=extracted,
        on_token=on_token,
        on_wait=on_wait,
        clean=lambda raw: drop_refusal(raw, prompt),
        started=start,
    )
    first_token = generated.first_token_s
    if says_not_covered(generated.raw, prompt):
        if evidence.relevance >= STRONG_EVIDENCE[lang]:
            return done(extracted, "extractive", citations, first_token, note="refused")
        return done(prompt.not_covered, "not_covered", [], first_token, note="model")
    method = "extractive" if generated.problem else "llm"
    return done(generated.text, method, citations, first_token, note=generated.problem)


def cited_sentences(passage: str, message: str, share: float = 0.5) -> list[str]:
    """The sentences of a cited passage that a message rests on: quoted in it, or sharing at least
    ``share`` of their (stemmed) words with it. The app highlights these in the passage."""
    said = set(tokenize(message))
    flat = " ".join(message.split())
    found = []
    for sentence in re.split(r"(?<=[.!?])\s+", passage):
        words = set(tokenize(sentence))
        if not words:
            continue
        if " ".join(sentence.split()) in flat or len(words & said) / len(words) >= share:
            found.append(sentence)
    return found
