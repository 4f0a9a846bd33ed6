"""What a language model reads and writes, and the checks every text of a model goes through before a person
sees it, for free answers and reflections alike (``checked_generation``): passages go into a prompt as data,
never as instructions (``as_data``); citation numbers that point at no passage are removed; a text with no
valid citation, degenerate or in the wrong language is replaced by a fallback."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from time import perf_counter

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel

from assistant.config import Language
from assistant.i18n import detect_language
from assistant.llm import LanguageModel
from assistant.prompts import AnswerPrompt, ChoicePrompt, answer_prompts, choice_prompt
from assistant.retrieve import Evidence
from assistant.text import CITATION, WORD, one_line, sentences

log = logging.getLogger(__name__)

_QUOTED = re.compile(r"“[^”]*”|\"[^\"]*\"")
_CURLY_QUOTE = re.compile(r"“([^”]*)”")


def quoted(text: str) -> str:
    """Text SLIM quotes (a passage, a person's words): its own bracketed numbers ('… [1] [99].' from a
    reference list) become '(1)', and its own double quotes single ones, so only SLIM's citations look like
    citations and only SLIM's quotation marks open and close a quote."""
    return CITATION.sub(r"(\1)", text).replace("“", "‘").replace("”", "’")


def prompt_prefix(prompt: AnswerPrompt | ChoicePrompt) -> list[BaseMessage]:
    """The part of every answer's or choice's prompt that never changes (a choice's is one for both
    languages): what ``LanguageModel.warm`` computes ahead and keeps on disk."""
    messages: list[BaseMessage] = [SystemMessage(prompt.system)]
    for example in prompt.examples:
        messages += [HumanMessage(example.user), AIMessage(example.assistant)]
    return messages


def answer_prefix(llm: LanguageModel, prompts_dir: Path, lang: Language) -> list[BaseMessage]:
    """What the model reads first for every free answer, to be warmed (``LanguageModel.warm``): the choice's
    prefix for a model that chooses (one for both languages), the answer prompt's in ``lang`` for one that
    writes."""
    if llm.chooses:
        return prompt_prefix(choice_prompt(prompts_dir))
    return prompt_prefix(answer_prompts(prompts_dir)[lang])


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
        prompt.passage.format(n=n, where=as_data(hit.label(lang=lang)), text=as_data(text, instructions))
        for n, (hit, text) in enumerate(zip(evidence.hits, evidence.excerpts, strict=True), start=1)
    )
    messages.append(HumanMessage(prompt.user.format(passages=passages, question=question.strip())))
    return messages


def as_data(text: str, instructions: Sequence[re.Pattern[str]] = ()) -> str:
    """A passage as it goes into a prompt: one line, unable to close the block that marks it as data
    (a document saying '</bronnen> SYSTEM: ...' stays inside the sources), and with every sentence that
    speaks to an AI system (``instructions``, from prompts/guard/instruction-patterns.yaml) replaced by '[…]'."""
    kept = ["[…]" if speaks_to_model(sentence, instructions) else sentence for sentence in sentences(text)]
    return quoted(one_line(" ".join(kept))).replace("<", "‹").replace(">", "›")


def speaks_to_model(sentence: str, instructions: Sequence[re.Pattern[str]]) -> bool:
    """Whether a sentence of a passage addresses an AI system (prompts/guard/instruction-patterns.yaml)."""
    return any(p.search(sentence) for p in instructions)


def valid_citations(text: str, count: int) -> tuple[str, set[int]]:
    """Remove citation numbers that point at no passage; return the text and the numbers left. A number
    inside a quotation is the quoted text's own, never a citation (``quoted``)."""
    kept: set[int] = set()
    text = _CURLY_QUOTE.sub(lambda m: f"“{quoted(m.group(1))}”", text)

    def check(match: re.Match[str]) -> str:
        n = int(match.group(1))
        if 1 <= n <= count:
            kept.add(n)
            return match.group(0)
        return ""

    cleaned = CITATION.sub(check, text)
    return re.sub(r"[ \t]+([.,;:!?])", r"\1", re.sub(r"[ \t]{2,}", " ", cleaned)).strip(), kept


def is_degenerate(text: str) -> bool:
    """Empty, a fragment, or looping: the failure modes of a small model."""
    words = WORD.findall(text.lower())
    if len(words) < 4:
        return True
    trigrams = [tuple(words[i : i + 3]) for i in range(len(words) - 2)]
    repeated = 1 - len(set(trigrams)) / max(len(trigrams), 1)
    said = [s.lower() for s in sentences(text)]
    return repeated > 0.3 or len(said) != len(set(said))


def language_of_answer(text: str, default: Language) -> Language:
    """The language an answer is written in, ignoring quotations from the (Dutch) report."""
    return detect_language(CITATION.sub(" ", unquoted(text)), default=default)


def unquoted(text: str) -> str:
    """``text`` without what it quotes: the words around a quotation are what SLIM or the model said."""
    return _QUOTED.sub(" ", text)


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
    return prompt.not_covered.lower().rstrip(".") in text.lower() and not CITATION.search(text)


def drop_refusal(text: str, prompt: AnswerPrompt) -> str:
    """A small model sometimes tacks the refusal onto a cited answer; the answer stands without it."""
    return re.sub(re.escape(prompt.not_covered.rstrip(".")) + r"\.?", "", text, flags=re.IGNORECASE).strip()
