"""Answer a free question from the report, with citations that always point at a passage.

The flow: retrieve (the passages are known, and can be shown, before the model starts) → if nothing in
the index is close enough, say the report does not cover it → otherwise ask the model with short,
numbered excerpts → check the answer: citation numbers that point at nothing are removed, and an answer
with no valid citation, in the wrong language, or degenerate (empty, repeating) is replaced by an
extractive answer built from the excerpts themselves. Passages are data, never instructions: they are
delimited in the prompt and the system prompt says so.

Which sentences answer? Every sentence of the retrieved passages is scored against the question (e5
similarity plus the share of the question's words it contains, ``rank_sentences``), and so is every two
neighbouring sentences as one quote (``PAIRED``: one often says what the other is about). The extractive answer
quotes the best of them, the model reads them first, and an extractive answer counts as ``grounded`` only
when the sentences it quotes score as answering (``ANSWERING``); otherwise SLIM says the report does not
answer it directly and shows what comes closest. A model's answer is not held to that score: a sentence
that explains a term without naming it ranks low against the question (tried: it replaced a right answer).

What kind of answer is asked? "Hoeveel …", "Wanneer …", "Wat is het budget …" ask for a number, a date, an
amount (``asked_type``, patterns in prompts/retrieval/answer-types.yaml). A sentence that holds an answer of
that kind is preferred (``TYPE_BONUS``), and only such a sentence answers: a question about a network's
budget is not answered by the sentences about that network that score highest, and when no sentence of the
retrieved passages holds an amount SLIM says so without asking the model. References and web addresses
(``not_answers``) are never quoted as an answer.

The embedded model does not write (``LanguageModel.chooses``): it reads the best sentences and chooses the
one that answers, or "none", under a JSON schema (``choose``); SLIM quotes it with the best-scoring ones in a
frame of its own in the person's language (``chosen_answer``), and after "none" says the report gives no
direct answer and shows what comes closest. A model that writes (``openai:``, ``ollama:``) goes through the
checks below.

The model is asked only when the sentences answer: when none scores as an answer, what it wrote would rest
on passages that merely come close, so SLIM shows them as what comes closest. Its "not in the report" then
stands only for a question that asks for a kind of answer (``trust_refusal``); for an open question the
extractive answer replaces it, as it replaces a text that fails the checks.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from itertools import pairwise
from pathlib import Path
from time import perf_counter

import numpy as np
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel

from assistant.config import Language, Settings
from assistant.corpus import network_descriptions
from assistant.domain import Answer, Citation, Hit, Timings
from assistant.embeddings import SlimEmbeddings
from assistant.i18n import detect_language, t
from assistant.llm import LanguageModel
from assistant.prompts import (
    AnswerPrompt,
    AnswerType,
    AnswerTypes,
    ChoicePrompt,
    answer_prompts,
    answer_types,
    choice_prompt,
    instruction_patterns,
)
from assistant.retrieve import Evidence, Retriever, stop_words, tokenize
from assistant.safe_text import without_links
from assistant.text import (
    CITATION,
    WORD,
    chapter_names,
    chapter_of,
    is_paragraph_break,
    names_in,
    one_line,
    sentence_spans,
    sentences,
    without_description,
    without_names,
)

log = logging.getLogger(__name__)

# Best-sentence cosine (multilingual-e5) under which the report is taken not to cover a question, and
# above which the model's refusal is distrusted (a 1.5B model refuses some questions its passages answer).
# Per language, because an English question scores lower against the Dutch text. Measured on the dev,
# team and answer sets (docs/benchmarks.md): Dutch in-scope >= 0.847, Dutch off-topic <= 0.83, Dutch
# near-domain unanswerables up to 0.90; English in-scope >= 0.809, English off-topic <= 0.835.
RELEVANCE_FLOOR: dict[str, float] = {"nl": 0.84, "en": 0.80}
STRONG_EVIDENCE: dict[str, float] = {"nl": 0.91, "en": 0.86}
# An English question meets the Dutch text across languages, where e5 packs related and unrelated sentences close
# together: "How do I connect my printer to the wifi network?" scored 0.86 against a sentence about exchanging
# information. The questions written for the report's passages and sections are half English, so it is also
# compared with those, question with question: under KNOWN_FLOOR the report is taken not to cover it when a passage
# of the report comes first (a person's own English document is compared in its own language already). On the
# tuning halves English questions the report answers reached 0.874 or more, questions about something else 0.863
# or less (docs/benchmarks.md, "Session 28"). Dutch: none, its sentences already compare in one language.
KNOWN_FLOOR: dict[str, float] = {"nl": 0.0, "en": 0.865}
EXCERPT_CHARS = 260
# The longest excerpt the model reads of one passage (a long best sentence is cut there). Before: twice
# EXCERPT_CHARS. At 320 the tuning half keeps the evidence phrase in the excerpts as often (16/20) and the
# longest prompt reads about 50 tokens less (docs/benchmarks.md, "What the model reads").
EXCERPT_CAP = 320
# How a sentence is scored as an answer to a question: e5 cosine + LEXICAL_SHARE x the share of the
# question's (stemmed) words it contains. A second sentence is quoted when it scores within QUOTE_MARGIN
# of the best. Under ANSWERING the best sentence is taken not to answer the question. All chosen on the
# tuning half of docs/eval/answers.jsonl (docs/benchmarks.md, "Which sentence answers").
LEXICAL_SHARE = 0.1
QUOTE_MARGIN = 0.03
ANSWERING: dict[str, float] = {"nl": 0.84, "en": 0.815}
# A question that asks for a kind of answer (a number, a date, …) is answered a little under ANSWERING by a
# sentence that holds that kind: the kind is a second, independent sign that the sentence answers. Open
# questions just under ANSWERING are near-domain as often as not ('attention in a transformer', 'meetings
# online'), typed ones on the tuning halves were answers (docs/benchmarks.md, "Session 21").
TYPED_EASING = 0.02
# An open question is answered up to QUESTION_EASING under ANSWERING when it all but repeats one of the questions
# written for the report's passages and sections (e5 similarity >= KNOWN_QUESTION): those were written as what
# each passage answers, and an English question's best sentence scores low against the Dutch
# text. Only open ones: a typed question close to a passage's question ("Waar vergadert het bestuur?") asks for a
# fact the passage may not hold, and its kind already eases it. Chosen on the tuning halves (docs/benchmarks.md,
# "Session 28"). Such a question is also covered under RELEVANCE_FLOOR ("Session 30").
KNOWN_QUESTION = 0.95
QUESTION_EASING = 0.03
MIN_QUOTE_WORDS = 4
# Added to the ranking (not to ``score``) of a sentence that holds an answer of the asked type; the tuning
# half could not tell 0.02 to 1.0 apart (docs/benchmarks.md, "What kind of answer"), so it stays small:
# a typed sentence wins among the nearly as good ones, relevance still comes first.
TYPE_BONUS = 0.05
# A number answers a question that names what it counts ('hoeveel wijken') only when the (up to two) words
# after the number mean the same: e5 cosine of the question's counted words (as a query) and the sentence's
# (as a passage). On the tuning halves every in-scope count scored 0.860 or more, 4 of the 7 near-domain
# questions the report cannot answer 0.828-0.844 (docs/benchmarks.md, "What a number counts").
COUNTED_SIMILARITY = 0.852
# The embedded model chooses among the CHOICE_CANDIDATES best sentences (``rank_sentences``) and reads at
# most CANDIDATE_WORDS words of each. What it reads is what delays the answer: on the tuning half, 6 sentences
# of 60 words gave the first token at 5.4 / 6.7 s (p50 / p95), 4 of 30 at 3.8 / 4.6 s with the same answers
# declined and cited, 3 of 30 lost a decline (docs/benchmarks.md, "The model chooses"). 27 words instead of
# 30: on the tuning halves the same answers and one more cited, first token p95 0.1-0.3 s sooner; 25 lost a
# decline (docs/benchmarks.md, "Session 18").
CHOICE_CANDIDATES = 4
CANDIDATE_WORDS = 27
NO_ANSWER = "none"
# Within the chapter of the network a question names ("Uit hoeveel mensen bestaat het bestuur van de Business
# Club Maas Rhein?"), sentences are ranked on the question without that name: there the name says nothing, and
# the sentences that repeat it outscored the one that answers ("Het bestuur bestaat uit een voorzitter en 7
# bestuursleden"). Whether the passages answer at all is still judged on the question as asked. On the tuning
# halves 5 more answering sentences quoted without a model and 2 more with it, none lost (docs/benchmarks.md,
# "Session 18"). A question that describes the network instead ("de grensclub", "the health movement") is ranked
# so on the question without the words of the chapter's context (``asked_within``): 5 more again, none lost
# ("Session 31").
WITHIN_CHAPTER = True
# A sentence that announces what follows ("… geven wij de volgende aanbevelingen:") is quoted and scored
# with the sentence after it, as a list is with its introduction: alone it answers nothing. On the tuning
# half this brought e09's recommendation among the candidates (docs/benchmarks.md, "Free answers, session 10").
JOIN_ANNOUNCED = True
# The best sentence of the SPREAD best-retrieved passages is always among the candidates: a sentence that
# does not name its subject ("Het netwerk heeft recent haar 25-jarig bestaan gevierd") scores under the
# sentences of other passages that do, though retrieval put its passage first. 1 on the tuning half:
# 2 and 3 pushed out sentences the model needed (docs/benchmarks.md, "Free answers, session 10").
SPREAD = 1
# Two neighbouring sentences of a paragraph are also scored as one quote (the mean of their vectors), PAIRED
# under what that scores: the sentence that answers often leaves its subject to the one before ("Om een diverse
# hoeveelheid data te verzamelen … hebben we drie … netwerken geselecteerd. Belangrijke criteria zijn …") or after
# it, and alone it ranks under sentences that name the subject. Quoted, the pair is two quotes. 0.01 on the tuning
# halves: 0 lost an answer the single sentence gave, 0.02 kept none of the gain (docs/benchmarks.md,
# "Session 27"). None: sentences only.
PAIRED: float | None = 0.01
# Added to the ranking (not to ``score``) of every sentence of the best-retrieved passage. Retrieval weighs
# much more than one sentence can (the passage's questions, BM25, its neighbours), and the sentence that
# answers often does not name its subject ("Het bestuur bestaat uit een voorzitter en 7 bestuursleden")
# while sentences of other passages that do outscore it. On the tuning halves 0.03 and 0.05 ranked the same,
# 0.02 one answering sentence lower (docs/benchmarks.md, "Free answers, session 12").
PASSAGE_PRIOR = 0.03
# Of several (focus groups, observations) a question asks about one ("Wanneer was de tweede focusgroep?"; patterns in
# prompts/retrieval/answer-types.yaml, ``ordinals``): a sentence that names another and not that one ("Bij de
# eerste focusgroep …") scores ORDINAL_WEIGHT lower, it is about another of them; one that names it ranks
# ORDINAL_WEIGHT higher (its score, which judges whether the passages answer, stays). Set before any figure was
# looked at, as large as TYPE_BONUS.
ORDINAL_WEIGHT = 0.05
# A sentence that opens by pointing back ("Dit wordt toegeschreven aan een gebrek aan tijd …", "Deze laatste
# bestaat uit 5 onderdelen …") is quoted and scored with the sentence before it (not across a paragraph):
# alone it does not say what it is about, so it scores under sentences that name the subject, and quoted alone
# it reads as a fragment. The model reads the first REFERRED_WORDS words of the first sentence and the start of
# the second. On the tuning halves the answering sentence was among the model's candidates 79 times of 90
# against 76, and quoted without a model 68 against 65 (docs/benchmarks.md, "Session 16").
JOIN_REFERRING = True
REFERRED_WORDS = 12
_REFERS_BACK = re.compile(
    r"(Dit|Deze|Dat|Die|Daar\w*|Hier\w*|Hij|Zij|Ze|Zo|This|These|That|Those|It|He|She|They|Thus"
    # or goes on with an example or the names of what it said ("… partnerships met andere organisaties.
    # Specifiek genoemd worden Fontys Hogeschool Venlo, …"; "Denk aan een pilot …")
    r"|Denk|Specifiek|Concreet|Bijvoorbeeld|Namelijk|Onder (?:andere|meer)|Voorbeelden"
    r"|For example|For instance|Specifically|Namely"
    # or gives an example a word or two in ("Er wordt bijvoorbeeld meer geluisterd …", "Neem bijvoorbeeld …")
    r"|(?:\w+\s+){1,2}(?:bijvoorbeeld|for example|for instance)\b)\b"
)
_QUOTED = re.compile(r"“[^”]*”|\"[^\"]*\"")
_CURLY_QUOTE = re.compile(r"“([^”]*)”")


class Quote(BaseModel):
    """A sentence of a retrieved passage, scored as an answer to the question."""

    n: int
    """the citation number of the passage it is in"""
    text: str
    """the sentence, verbatim from the passage"""
    similarity: float
    """e5 cosine of question and sentence"""
    overlap: float
    """share of the question's words (stemmed; Dutch glossary terms for an English question) in it"""
    score: float
    """similarity + LEXICAL_SHARE * overlap: how well it answers"""
    order: int = 0
    """position in its passage, to quote in reading order"""
    typed: bool = False
    """holds an answer of the kind the question asks for (a number, a date, …); False for an open question"""
    parts: tuple[str, ...] = ()
    """the two neighbouring sentences it joins, for a pair scored as one (``PAIRED``); empty otherwise"""
    asked_position: bool = False
    """names the one of several the question asks about ('de tweede focusgroep'; ``ORDINAL_WEIGHT``)"""

    @property
    def sentences(self) -> set[str]:
        """What it quotes, sentence by sentence: two quotes that share one are never both quoted."""
        return set(self.parts) or {self.text}

    @property
    def rank(self) -> float:
        """What orders the sentences: ``score``, plus ``TYPE_BONUS`` when it holds the asked kind of answer and
        ``PASSAGE_PRIOR`` when it is in the best-retrieved passage, ``ORDINAL_WEIGHT`` when it names the asked one
        of several."""
        return (
            self.score + TYPE_BONUS * self.typed + PASSAGE_PRIOR * (self.n == 1) + ORDINAL_WEIGHT * self.asked_position
        )


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
    return detect_language(CITATION.sub(" ", _QUOTED.sub(" ", text)), default=default)


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


def points_back(sentence: str) -> bool:
    """Whether ``sentence`` opens by pointing back to the one before it ("Dit …"): then the two are one quote
    (``JOIN_REFERRING``)."""
    return JOIN_REFERRING and bool(_REFERS_BACK.match(sentence.lstrip()))


def passage_sentences(text: str) -> list[tuple[list[str], str]]:
    """The sentences of a passage that can stand as a quote, cut as the index cuts them: for each, the
    units as indexed and the text to quote, verbatim. A list goes with the sentence that introduces it
    (a list-style answer is the list), and so does the sentence after one that ends in a colon
    (``JOIN_ANNOUNCED``), the line after one that ends in a comma (a list written one item per line, as a
    colophon names its authors) and one that opens by pointing back ("Dit …", ``JOIN_REFERRING``); a bullet with
    nothing before it loses its dash. Shorter than ``MIN_QUOTE_WORDS`` words it is left out (a label such as
    'Centrale vraag:' answers nothing)."""
    groups: list[tuple[list[str], int, int]] = []
    for start, end in sentence_spans(text):
        unit = text[start:end]
        announced = JOIN_ANNOUNCED and bool(groups) and groups[-1][0][-1].rstrip().endswith(":")
        refers = (
            bool(groups)
            and len(groups[-1][0]) == 1
            and not is_paragraph_break(text[groups[-1][2] : start])
            and points_back(unit)
        )
        listed = bool(groups) and groups[-1][0][-1].rstrip().endswith(",")  # one name per line: "Cindy Ras,"
        if groups and (unit.lstrip().startswith("- ") or announced or refers or listed):
            units, first, _ = groups[-1]
            groups[-1] = ([*units, unit], first, end)
        else:
            groups.append(([unit], start, end))
    out = []
    for units, start, end in groups:
        sentence = text[start:end].strip().lstrip("-•* ").strip()
        if len(re.findall(r"\w+", sentence)) >= MIN_QUOTE_WORDS:
            out.append((units, sentence))
    return out


def asked_type(question: str, types: Sequence[AnswerType]) -> AnswerType | None:
    """The kind of answer ``question`` asks for: the first of ``types`` whose wording matches; None for an
    open question ("Wat is transformatieve waarde?")."""
    return next((kind for kind in types if any(re.search(p, question, re.IGNORECASE) for p in kind.asks)), None)


_NAME = re.compile(r"\b[A-Z][\w-]*(\s+[A-Z][\w-]*)+")


def holds_answer(sentence: str, kind: AnswerType, question: str) -> bool:
    """Whether ``sentence`` holds an answer of ``kind``. A match the question itself holds does not count
    ("Wat gebeurde er in 2023?" is not answered by the year 2023), nor does a name the question holds ("Wie is
    de voorzitter van Groen Brabant?" is answered by the name after "Groen Brabant", not by it)."""
    asked = question.lower()
    text = _NAME.sub(lambda m: m.group(0).lower() if m.group(0).lower() in asked else m.group(0), sentence)
    return any(
        match.group(0).strip().lower() not in asked
        for pattern in kind.answers
        for match in re.finditer(pattern, text, re.IGNORECASE)
    )


def _where(hit: Hit) -> str:
    """A passage with its heading path, as one line: what it is about (a case network's chapter names it)."""
    return " ".join(f"{hit.heading} {hit.text}".split())


def asked_subjects(question: str, hits: Sequence[Hit]) -> list[str]:
    """The names ``question`` holds that the retrieved passages know: a sentence of the asked kind answers
    only from a passage about them. A name no passage holds ("German", a company the report never names) asks
    nothing of the passages: their language or their words may differ."""
    names = names_in(question)
    places = [_where(hit) for hit in hits]
    return [name for name in names if any(name in place for place in places)]


def counted_thing(question: str, kind: AnswerType | None) -> str | None:
    """What a number question counts ('wijken' in "Hoeveel wijken doen mee?"); None when it names nothing
    ("Hoe vaak …?") or asks for another kind of answer."""
    return first_group(question, kind.counts if kind is not None else [], "what")


def first_group(question: str, patterns: Sequence[str], group: str) -> str | None:
    """``group`` of the first of ``patterns`` that ``question`` matches (case aside); None when none does."""
    for pattern in patterns:
        if match := re.search(pattern, question, re.IGNORECASE):
            return match.group(group)
    return None


def unquotable(types: AnswerTypes, kind: AnswerType | None) -> list[str]:
    """Patterns of the lines never quoted for a question of ``kind``: references always, a table's rows
    ('Focusgroep 1:   9 mei 2023') for an open question (``kind`` None)."""
    return [*types.not_answers, *(types.rows if kind is None else [])]


# Capitalised words of a question that name no thing: an English question's 'November' or 'Monday' asks when.
_CALENDAR = re.compile(
    r"january|february|march|april|may|june|july|august|september|october|november|december"
    r"|monday|tuesday|wednesday|thursday|friday|saturday|sunday",
    re.IGNORECASE,
)


# A two-letter abbreviation of a question ('AI', 'EU', 'WK'): too short for ``names_in``, still a name.
_ABBREVIATION = re.compile(r"(?<!^)\b[A-Z]{2}\b")


def unheard_name(question: str, retriever: Retriever) -> str | None:
    """The first name of ``question`` (not a month or a day; a two-letter abbreviation too) that no text of the
    index knows, even nearly (``Retriever.knows_name``): the report never mentions it ('Kolb', 'SROI', 'AI'), so
    none of its passages answers, however close they come. On the tuning and test halves of every set, only
    questions the report does not answer held one (docs/benchmarks.md, "Session 28" and "Session 29")."""
    for name in [*names_in(question), *_ABBREVIATION.findall(question.strip())]:
        words = [word for word in WORD.findall(name) if not _CALENDAR.fullmatch(word)]
        if words and not retriever.knows_name(" ".join(words)):
            return re.sub(r"['’]s$", "", name)
    return None


def asked_thing(question: str, things: Sequence[str]) -> str | None:
    """The thing ``question`` asks about by name ('software' in "Met welke software …?"); None when it names
    none after its question word."""
    return first_group(question, things, "thing")


def counting(sentences: set[str], thing: str, counted: str, embeddings: SlimEmbeddings) -> set[str]:
    """Those of ``sentences`` with a count of ``thing``: a number (``counted``) whose words mean what the
    question counts (``COUNTED_SIMILARITY``), in Dutch or English."""
    counts = {
        sentence: [m.group("words") for m in re.finditer(counted, sentence, re.IGNORECASE)] for sentence in sentences
    }
    phrases = sorted({phrase for found in counts.values() for phrase in found})
    if not phrases:
        return set()
    vectors = dict(zip(phrases, embeddings.embed_passages(phrases), strict=True))
    target = embeddings.embed_query_array(thing)
    return {
        sentence
        for sentence, found in counts.items()
        if any(float(vectors[phrase] @ target) >= COUNTED_SIMILARITY for phrase in found)
    }


def rank_sentences(
    question: str,
    hits: Sequence[Hit],
    embeddings: SlimEmbeddings,
    lexical_query: str | None = None,
    indexed: Mapping[str, np.ndarray] | None = None,
    kind: AnswerType | None = None,
    not_answers: Sequence[str] = (),
    focus: tuple[str, str] | None = None,
    ordinals: Sequence[str] = (),
) -> list[Quote]:
    """Every sentence of ``hits`` scored as an answer to ``question`` (or to ``focus``: another wording and
    its BM25 form), best first. ``lexical_query`` is the question as BM25 sees it (an English question with
    the Dutch words of the report's terms);
    ``indexed`` holds the vectors the index already has (a sentence not in it is embedded here). A
    sentence with a list scores as its best part; two neighbouring ones score as one quote too (``PAIRED``).
    With a ``kind`` of answer asked, a sentence that holds
    one, in a passage about what the question names (``asked_subjects``), ranks ``TYPE_BONUS`` higher; a
    sentence that matches ``not_answers`` (a reference) is left out; of several things the question asks about one
    (``ordinals``): a sentence about another scores ``ORDINAL_WEIGHT`` lower, one that names it ranks higher."""
    candidates = [
        (n, i, units, sentence)
        for n, hit in enumerate(hits, start=1)
        for i, (units, sentence) in enumerate(passage_sentences(hit.text))
        if not any(re.search(p, sentence, re.IGNORECASE | re.MULTILINE) for p in not_answers)
    ]
    if not candidates:
        return []
    subjects = asked_subjects(question, hits) if kind is not None else []
    about = [all(subject in _where(hit) for subject in subjects) for hit in hits]  # once per passage
    typed = {
        sentence
        for n, _, _, sentence in candidates
        if kind is not None and about[n - 1] and holds_answer(sentence, kind, question)
    }
    if kind is not None and kind.counted and (thing := counted_thing(question, kind)) is not None:
        typed = counting(typed, thing, kind.counted, embeddings)
    indexed = indexed or {}
    needed = {unit for _, _, units, _ in candidates for unit in units}
    missing = sorted(needed - set(indexed))
    vectors = {unit: indexed[unit] for unit in needed if unit in indexed}
    vectors.update(zip(missing, embeddings.embed_passages(missing), strict=True))
    scored, lexical = focus or (question, lexical_query or question)
    query = embeddings.embed_query_array(scored)
    asked = set(tokenize(lexical))
    asked_positions = positions(question, ordinals)

    def off(named: set[int]) -> float:
        """ORDINAL_WEIGHT for a text that names only other positions (``named``) than the question asks about."""
        return ORDINAL_WEIGHT if asked_positions and named and not asked_positions & named else 0.0

    quotes = []
    for n, order, units, sentence in candidates:
        sim = max(float(vectors[unit] @ query) for unit in units)
        overlap = len(asked & set(tokenize(sentence))) / len(asked) if asked else 0.0
        named = positions(sentence, ordinals)
        score = sim + LEXICAL_SHARE * overlap - off(named)
        quotes.append(
            Quote(
                n=n,
                text=sentence,
                similarity=round(sim, 4),
                overlap=round(overlap, 4),
                score=score,
                order=order,
                typed=sentence in typed,
                asked_position=bool(asked_positions & named),
            )
        )
    if PAIRED is not None:
        quotes += paired_quotes(
            quotes, candidates, hits, vectors, query, asked, PAIRED, lambda text: off(positions(text, ordinals))
        )
    return sorted(quotes, key=lambda q: -q.rank)


def positions(text: str, ordinals: Sequence[str]) -> set[int]:
    """Which of ``ordinals`` (one pattern per position: first, second, …) ``text`` names."""
    return {i for i, pattern in enumerate(ordinals) if re.search(pattern, text, re.IGNORECASE)}


def paired_quotes(
    quotes: Sequence[Quote],
    candidates: Sequence[tuple[int, int, list[str], str]],
    hits: Sequence[Hit],
    vectors: Mapping[str, np.ndarray],
    query: np.ndarray,
    asked: set[str],
    penalty: float,
    off: Callable[[str], float] = lambda text: 0.0,
) -> list[Quote]:
    """Each two neighbouring sentences of a paragraph (``candidates`` and their ``quotes``) scored as one
    quote, ``penalty`` under what their joined vector scores (and ``off`` under that for what they say)."""
    out = []
    for (first, a), (second, b) in pairwise(zip(candidates, quotes, strict=True)):
        if first[0] != second[0] or second[1] != first[1] + 1:
            continue
        text = hits[first[0] - 1].text
        start = text.find(a.text)
        end = text.find(b.text, start + len(a.text)) if start >= 0 else -1
        if end < 0 or is_paragraph_break(text[start + len(a.text) : end]):
            continue
        joined = np.sum([vectors[u] for u in [*first[2], *second[2]]], axis=0)
        sim = float(joined @ query) / float(np.linalg.norm(joined))
        words = set(tokenize(a.text)) | set(tokenize(b.text))
        overlap = len(asked & words) / len(asked) if asked else 0.0
        out.append(
            Quote(
                n=a.n,
                text=f"{a.text} {b.text}",
                similarity=round(sim, 4),
                overlap=round(overlap, 4),
                score=sim + LEXICAL_SHARE * overlap - penalty - off(f"{a.text} {b.text}"),
                order=a.order,
                typed=a.typed or b.typed,
                parts=(a.text, b.text),
                asked_position=a.asked_position or b.asked_position,
            )
        )
    return out


def asked_within(question: str, evidence: Evidence, descriptions: Mapping[str, str]) -> tuple[str, set[str]] | None:
    """What ``question`` asks within the chapters of the case networks it is about, and those chapters: without
    the names it gives them (``evidence.named``) or, naming none, without the words that describe the network
    whose chapter holds most of its passages (``descriptions``, by chapter number: 'de grensclub', 'the
    health movement'). None when it is about no case network, or nothing is left of it."""
    if evidence.named:
        return without_names(question, chapter_names(question, evidence.named)), set(evidence.named)
    places = [(hit.section.split(".")[0], chapter_of(hit.heading)) for hit in evidence.hits if hit.kind == "report"]
    if not places or places[0][0] not in descriptions or 2 * places.count(places[0]) <= len(evidence.hits):
        return None
    number, chapter = places[0]
    asked = without_description(question, descriptions[number], stop_words())
    return (asked, {chapter}) if tokenize(asked) else None


def within_chapters(
    ranked: Sequence[Quote], focused: Sequence[Quote], hits: Sequence[Hit], own: set[str]
) -> list[Quote]:
    """The sentences as ``focused`` scores them in the passages of the ``own`` chapters, as ``ranked`` does
    elsewhere, best first."""
    mine = {(q.n, q.text): q for q in focused if chapter_of(hits[q.n - 1].heading) in own}
    merged = [mine.get((q.n, q.text), q) for q in ranked]
    return sorted(merged, key=lambda q: -q.rank)


def indexed_sentences(retriever: Retriever) -> dict[str, np.ndarray]:
    """The vectors the index holds for its sentences, by text: choosing sentences then embeds nothing."""
    snap = retriever.snapshot()
    return dict(zip(snap.sentence_texts, snap.sentence_vectors, strict=True))


def answering_quotes(ranked: Sequence[Quote], limit: int = 2, margin: float | None = None) -> list[Quote]:
    """The sentences to quote: the best, and the next ones within ``margin`` of it (a list-style answer
    spans sentences), each text once (a sentence two passages share is quoted once), in reading order."""
    if not ranked:
        return []
    margin = QUOTE_MARGIN if margin is None else margin
    chosen = [q for q in distinct_texts(ranked, limit) if q.rank >= ranked[0].rank - margin]
    return sorted(chosen, key=lambda q: (q.n, q.order))


def compared_quotes(
    question: str,
    named: Sequence[str],
    ranked: Sequence[Quote],
    hits: Sequence[Hit],
    rank: Callable[[str], list[Quote]],
) -> list[Quote]:
    """For a question that compares chapters of the report (``named``, two or more, as retrieval found them:
    "Hoe verschillen de Business Club Maas Rhein en De STAP in hun organisatievorm?"), the best sentence of each
    among ``hits``, in reading order; otherwise none. Ranked by ``rank`` on the question without its names:
    within a network's chapter its name says nothing, and sentences that repeat it outscore the one that
    answers ("Het netwerk is georganiseerd als een stichting"). Returned as ``ranked`` scores them."""
    chapters = [chapter_of(hit.heading) if hit.kind == "report" else "" for hit in hits]
    named = [chapter for chapter in named if chapter in chapters]
    if len(named) < 2:
        return []
    focused = rank(without_names(question))
    best = [next(((q.n, q.text) for q in focused if chapters[q.n - 1] == chapter), None) for chapter in named]
    chosen = [q for q in distinct_texts(ranked) if (q.n, q.text) in best]
    return sorted(chosen, key=lambda q: (q.n, q.order))


def with_typed(quotes: Sequence[Quote], ranked: Sequence[Quote]) -> list[Quote]:
    """``quotes`` and, when none of them holds the asked kind of answer, the best sentence that does among
    the ones the model would choose from (``choice_candidates``): a count that ranks a little lower than two
    sentences about the same network is still the answer."""
    typed = next((q for q in choice_candidates(ranked) if q.typed), None)
    if typed is None or any(q.typed for q in quotes):
        return list(quotes)
    return sorted(distinct_texts([*quotes, typed]), key=lambda q: (q.n, q.order))


def answers_question(
    quotes: Sequence[Quote], lang: Language, kind: AnswerType | None = None, known_question: float | None = None
) -> bool:
    """Whether ``quotes`` answer the question: the best scores as an answer (``ANSWERING``) and, when the
    question asks for a ``kind`` of answer (a number, a date, …), one of them holds it; one that holds it
    answers up to ``TYPED_EASING`` under ``ANSWERING``, and so does any sentence of an open question that is
    one of the report's own (``known_question``, ``QUESTION_EASING``)."""
    if kind is not None and not any(q.typed for q in quotes):
        return False
    known = kind is None and known_question is not None and known_question >= KNOWN_QUESTION
    return any(q.score >= ANSWERING[lang] - TYPED_EASING * q.typed - QUESTION_EASING * known for q in quotes)


def focused_excerpts(
    ranked: Sequence[Quote], passages: int, max_chars: int, sentences: int = 2, cap: int | None = None
) -> list[str]:
    """Per passage, its sentences that best answer the question (as many as fit ``max_chars``), in
    reading order: what the model reads, so that the answering sentence is in front of it. A longer
    excerpt is cut at ``cap`` (default twice ``max_chars``): every token read delays the first one."""
    cap = 2 * max_chars if cap is None else cap
    out = []
    for n in range(1, passages + 1):
        own = [q for q in distinct_texts(ranked) if q.n == n][:sentences]
        if not own:
            out.append("")
            continue
        chosen = [own[0]] + [q for q in own[1:] if len(q.text) + len(own[0].text) <= max_chars]
        text = " ".join(q.text for q in sorted(chosen, key=lambda q: q.order))
        out.append(text if len(text) <= cap else text[:cap].rsplit(" ", 1)[0] + " …")
    return out


def _quoted_sentences(quotes: Sequence[Quote], hits: Sequence[Hit], lang: Language) -> str:
    """Each sentence quoted verbatim with its citation; a quote from a source of the report (not the report
    itself; ``hits`` are the cited passages) says so after its number."""

    def source(n: int) -> str:
        hit = hits[n - 1] if 0 < n <= len(hits) else None
        return f" ({hit.label(lang=lang)})" if hit is not None and hit.cite_as else ""

    return " ".join(
        f"“{quoted(one_line(text))}” [{q.n}]{source(q.n)}" for q in quotes for text in (q.parts or (q.text,))
    )


def extractive_answer(
    prompt: AnswerPrompt,
    quotes: Sequence[Quote],
    answered: bool = True,
    hits: Sequence[Hit] = (),
    lang: Language = "nl",
    unheard: str | None = None,
) -> str:
    """The sentences that answer, quoted and cited: always true to the report, if less fluent. When
    they do not answer (``answered`` false) the text says so and offers them as what comes closest; when
    the question asks about a thing no text names (``unheard``), it says that."""
    said = _quoted_sentences(quotes, hits, lang)
    if unheard:
        return f"{prompt.unheard_intro.format(thing=unheard)} {said}"
    return f"{prompt.extractive_intro if answered else prompt.closest_intro} {said}"


def chosen_answer(
    prompt: AnswerPrompt, quotes: Sequence[Quote], hits: Sequence[Hit] = (), lang: Language = "nl"
) -> str:
    """The sentences the model chose and SLIM ranks best, in a frame of SLIM's own in the person's language
    ("Het rapport zegt hierover: “…” [1]"; English words around the Dutch quote for an English question).
    The frame names what the passages are (the report, the person's own document, a source of the report,
    a related text); quotes from passages of different kinds get the general one."""
    kinds = {hits[q.n - 1].kind if 0 < q.n <= len(hits) else "report" for q in quotes}
    intro = prompt.chosen_intro[kinds.pop()] if len(kinds) == 1 else prompt.extractive_intro
    return f"{intro} {_quoted_sentences(quotes, hits, lang)}"


def distinct_texts(quotes: Sequence[Quote], count: int | None = None) -> list[Quote]:
    """The quotes in their order, each text once (a passage and its neighbour can hold the same sentence),
    at most ``count`` of them."""
    seen: set[str] = set()
    out = []
    for q in quotes:
        if count is not None and len(out) == count:
            break
        if not q.sentences & seen:
            seen |= q.sentences
            out.append(q)
    return out


def with_choice(chosen: Quote, quotes: Sequence[Quote]) -> list[Quote]:
    """The model's sentence and the best-scoring ones (``answering_quotes``), each once, in reading order:
    on the tuning half the model's choice alone cited the answering sentence less often than the sentence
    score (12 against 15 of 20), together more often than either (16 of 20)."""
    return sorted(distinct_texts([chosen, *quotes]), key=lambda q: (q.n, q.order))


def choice_candidates(
    ranked: Sequence[Quote],
    count: int = CHOICE_CANDIDATES,
    spread: int | None = None,
    compared: Sequence[Quote] = (),
) -> list[Quote]:
    """The ``count`` best sentences, each text once (read twice, a sentence only costs time), with the best
    of each of the first ``spread`` passages (``SPREAD``) and the ``compared`` ones among them whatever their
    score, best first."""
    unique = distinct_texts(ranked)
    spread = SPREAD if spread is None else spread
    firsts = [best for n in range(1, spread + 1) if (best := next((q for q in unique if q.n == n), None))]
    leads = distinct_texts([*compared, *firsts], count)
    rest = [q for q in unique if all(q is not lead for lead in leads)]
    return sorted([*leads, *rest[: count - len(leads)]], key=lambda q: -q.rank)


def clipped(text: str, words: int = CANDIDATE_WORDS, parts: Sequence[str] = ()) -> str:
    """The first ``words`` words of a sentence, on one line: enough to tell what it says, and every word (and
    line break) read delays the answer (the whole sentence is what SLIM quotes). Of two sentences quoted as
    one (``parts``, or a sentence joined to the one it refers back to) the model reads the start of the first
    and the second."""
    spans = sentence_spans(text)
    if not parts and len(spans) == 2 and points_back(text[spans[1][0] :]):
        parts = (text[slice(*spans[0])], text[slice(*spans[1])])
    if len(parts) == 2:
        first, second = parts
        lead = min(REFERRED_WORDS, len(first.split()))
        return f"{clipped(first, lead)} {clipped(second, words - lead)}"
    tokens = text.split()
    return " ".join(tokens) if len(tokens) <= words else " ".join(tokens[:words]) + " …"


def choice_messages(
    prompt: ChoicePrompt, question: str, candidates: Sequence[Quote], instructions: Sequence[re.Pattern[str]] = ()
) -> list[BaseMessage]:
    """The fixed prefix first, then the numbered candidates as data (``as_data``) and the question."""
    lines = "\n".join(
        prompt.candidate.format(id=i, text=as_data(clipped(q.text, parts=q.parts), instructions))
        for i, q in enumerate(candidates, start=1)
    )
    return [*prompt_prefix(prompt), HumanMessage(prompt.user.format(candidates=lines, question=one_line(question)))]


class Pick(BaseModel):
    """What the model chose among the candidates."""

    index: int | None = None
    """the chosen candidate (0-based); None when it chose "none" or failed"""
    none: bool = False
    """the model said no candidate answers the question"""
    problem: str | None = None
    """why there is no usable choice: error, unreadable reply, a number out of range"""


def choose(
    llm: LanguageModel,
    messages: list[BaseMessage],
    count: int,
    on_wait: Callable[[int], None] | None = None,
) -> Pick:
    """Ask the model which of ``count`` candidates answers, under a JSON schema that allows only their
    numbers and "none". A failing model or a reply outside the list is a ``problem``, never an exception."""
    ids = [str(i) for i in range(1, count + 1)] + [NO_ANSWER]
    schema = {"type": "object", "properties": {"answer": {"enum": ids}}, "required": ["answer"]}
    try:
        raw = llm.structured(messages, schema, on_wait=on_wait)
    except Exception as exc:  # a model server that fails must not lose the question
        log.warning("language model failed: %s", exc)
        return Pick(problem=f"error: {exc}")
    try:
        picked = str(json.loads(raw)["answer"]).strip().lower()
    except (ValueError, KeyError, TypeError):
        return Pick(problem="unreadable choice")
    if picked == NO_ANSWER:
        return Pick(none=True)
    if not picked.isdigit() or not 1 <= int(picked) <= count:
        return Pick(problem="choice out of range")
    return Pick(index=int(picked) - 1)


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
    # one that all but repeats a question written for the report (KNOWN_QUESTION) is covered under the floor too:
    # "Wanneer vond de kick-off van het onderzoeksteam plaats?" is answered by a table row far from its words
    close = evidence.relevance >= RELEVANCE_FLOOR[lang] or (evidence.known_question or 0.0) >= KNOWN_QUESTION
    covered = close and bool(citations) and evidence.known_words > 0
    far = covered and unasked(evidence, lang)
    covered = covered and not far
    if on_passages and covered:  # passages the answer will not rest on would flash up and vanish
        on_passages(citations)

    def done(
        text: str, method: str, cites: list[Citation], first: float | None, grounded: bool, note: str | None = None
    ) -> Answer:
        return Answer(
            answer=without_links(text, prompt.link_removed),
            language=lang,
            grounded=grounded,
            citations=cites,
            timings=Timings(
                retrieval_s=round(retrieval_s, 3), first_token_s=first, total_s=round(perf_counter() - start, 3)
            ),
            method=method,  # type: ignore[arg-type]
            note=note,
        )

    if not covered:
        note = "far from every question written for the report" if far else "low relevance"
        return done(prompt.not_covered, "not_covered", [], None, False, note=note)
    embeddings, indexed = retriever.index.embeddings, indexed_sentences(retriever)
    types = answer_types(settings.prompts_dir)
    kind = asked_type(question, types.types)
    lexical = retriever.lexical_query(question)
    skipped = unquotable(types, kind)
    ranked = rank_sentences(
        question, evidence.hits, embeddings, lexical, indexed, kind, skipped, ordinals=types.ordinals
    )
    # whether the passages answer is judged on single sentences: judged on pairs too, fewer near-domain questions
    # were declined on the tuning halves (docs/benchmarks.md, "Session 27")
    singles = [q for q in ranked if not q.parts]
    answered_by = with_typed(answering_quotes(singles), singles)
    within = asked_within(question, evidence, network_descriptions(settings.corpus_dir))
    if WITHIN_CHAPTER and within is not None:
        asked, own = within
        focus = (asked, retriever.lexical_query(asked))
        focused = rank_sentences(
            question, evidence.hits, embeddings, lexical, indexed, kind, skipped, focus, ordinals=types.ordinals
        )
        ranked = within_chapters(ranked, focused, evidence.hits, own)
    compared = compared_quotes(
        question,
        evidence.compared,
        ranked,
        evidence.hits,
        lambda asked: rank_sentences(asked, evidence.hits, embeddings, retriever.lexical_query(asked), indexed),
    )
    best = with_typed(answering_quotes(ranked), ranked)
    quotes = with_typed(compared, ranked) if compared else best
    # whether the passages answer is judged on the question as asked (a comparison's too); which sentences to
    # quote, on what it asks of a network within that network's chapter
    thing = asked_thing(question, types.things)
    unheard = thing if thing is not None and not retriever.knows_name(thing) else unheard_name(question, retriever)
    # a thing no text of the index names ('Met welke software …?') is one the report says nothing about; an English
    # word close to a word of the report ('subcategories', 'subcategorieën') is held, as a name is
    answered = answers_question(answered_by, lang, kind, evidence.known_question) and unheard is None
    fallback = extractive_answer(prompt, quotes, answered, evidence.hits, lang, unheard)
    if not llm.available:
        return done(fallback, "extractive", citations, None, answered, note="no language model")
    if kind is not None and not any(q.typed for q in ranked):
        # the passages hold no answer of the asked kind (no amount for a budget question): what a model
        # would write could only be made up; the closest sentences are shown as such
        return done(fallback, "extractive", citations, None, False, note=f"no {kind.id} in the passages")
    if not answered:
        # no sentence scores as an answer: a model would write one from passages that come close (a
        # near-domain question), so the closest sentences are shown as such and the model is not asked
        note = f"the index never names '{unheard}'" if unheard else "no sentence answers"
        return done(fallback, "extractive", citations, None, False, note=note)

    instructions = instruction_patterns(settings.prompts_dir)
    # a sentence that speaks to a model would only reach it as '[…]': the excerpt's room goes to the others
    readable = [q for q in ranked if not speaks_to_model(q.text, instructions)]
    if llm.chooses:
        candidates = choice_candidates(readable, compared=[q for q in compared if q in readable])
        messages = choice_messages(choice_prompt(settings.prompts_dir), question, candidates, instructions)
        pick = choose(llm, messages, len(candidates), on_wait)
        if pick.index is not None:
            text = chosen_answer(prompt, with_choice(candidates[pick.index], quotes), evidence.hits, lang)
            method, grounded, note = "chosen", True, None
        elif pick.none:  # the model reads that no sentence answers: said so, with what comes closest
            text = extractive_answer(prompt, quotes, False, evidence.hits, lang)
            method, grounded, note = "extractive", False, "model: none"
        else:  # a failed or unreadable choice: the sentences that score best, as without a model
            text, method, grounded, note = fallback, "extractive", answered, pick.problem
        if on_token:  # the answer starts when its text does: after the choice, frame and quotes at once
            on_token(without_links(text, prompt.link_removed))
        return done(text, method, citations, round(perf_counter() - start, 3), grounded, note=note)
    excerpts = focused_excerpts(readable, len(evidence.hits), EXCERPT_CHARS, cap=EXCERPT_CAP)
    evidence = replace(evidence, excerpts=excerpts)
    generated = checked_generation(
        llm,
        build_messages(prompt, question, evidence, instructions, lang),
        passages=len(citations),
        lang=lang,
        fallback=fallback,
        on_token=on_token,
        on_wait=on_wait,
        clean=lambda raw: drop_refusal(raw, prompt),
        started=start,
    )
    first_token = generated.first_token_s
    if says_not_covered(generated.raw, prompt):
        if trust_refusal(kind, evidence.relevance, lang):
            return done(prompt.not_covered, "not_covered", [], first_token, False, note="model")
        return done(fallback, "extractive", citations, first_token, True, note="refused")
    if generated.problem:
        return done(fallback, "extractive", citations, first_token, answered, note=generated.problem)
    return done(generated.text, "llm", citations, first_token, True)


def unasked(evidence: Evidence, lang: Language) -> bool:
    """Whether the question is far from every question written for the report (``KNOWN_FLOOR``) while a passage of
    the report is what retrieval found first."""
    known = evidence.known_question
    return known is not None and known < KNOWN_FLOOR[lang] and evidence.hits[0].kind == "report"


def trust_refusal(kind: AnswerType | None, relevance: float, lang: Language) -> bool:
    """Whether the model's "not in the report" stands against sentences that score as an answer. For an
    open question it does not: the small model refused most open questions of the tuning half whose
    passages answer them (a05, a07, a09), and the sentence score is the measured signal there. For a
    question that asks for a number, a name or a date it does, unless the passages are very close
    (``STRONG_EVIDENCE``): a sentence holding *a* number need not hold the one asked for (a count of
    member organisations for a question about the board), which the model can read and the score cannot."""
    return kind is not None and relevance < STRONG_EVIDENCE[lang]


def cited_sentences(passage: str, message: str, share: float = 0.5) -> list[str]:
    """The sentences of a cited passage that a message rests on: quoted in it, or sharing at least
    ``share`` of their (stemmed) words with it. The app highlights these in the passage."""
    said = set(tokenize(message))
    flat = " ".join(message.split())
    found = []
    for sentence in sentences(passage):
        words = set(tokenize(sentence))
        if not words:
            continue
        if " ".join(sentence.split()) in flat or len(words & said) / len(words) >= share:
            found.append(sentence)
    return found
