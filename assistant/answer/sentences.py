"""Every sentence of the retrieved passages scored as an answer to the question (``rank_sentences``): e5
similarity plus the share of the question's words it contains, a sentence that holds the asked kind of
answer (``kinds``) and one of the best-retrieved passage ranked a little higher. Sentences are cut as the
index cuts them; one that announces a list or points back ("Dit …") goes with its neighbour, and two
neighbouring sentences are also scored as one quote (``PAIRED``)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from itertools import pairwise

import numpy as np
from pydantic import BaseModel

from assistant.answer.kinds import asked_subjects, counted_thing, counting, headed, holds_answer, with_heading
from assistant.domain import Hit
from assistant.embeddings import SlimEmbeddings
from assistant.prompts import AnswerType
from assistant.retrieve import Evidence, Retriever, stop_words, tokenize
from assistant.text import (
    chapter_names,
    chapter_of,
    is_paragraph_break,
    sentence_spans,
    without_description,
    without_names,
)

# How a sentence is scored as an answer to a question: e5 cosine + LEXICAL_SHARE x the share of the
# question's (stemmed) words it contains. Chosen on the tuning half of docs/eval/answers.jsonl, with
# QUOTE_MARGIN and ANSWERING (docs/benchmarks.md, "Which sentence answers").
LEXICAL_SHARE = 0.1


MIN_QUOTE_WORDS = 4


# Added to the ranking (not to ``score``) of a sentence that holds an answer of the asked type; the tuning
# half could not tell 0.02 to 1.0 apart (docs/benchmarks.md, "What kind of answer"), so it stays small:
# a typed sentence wins among the nearly as good ones, relevance still comes first.
TYPE_BONUS = 0.05


# A sentence that announces what follows ("… geven wij de volgende aanbevelingen:") is quoted and scored
# with the sentence after it, as a list is with its introduction: alone it answers nothing. On the tuning
# half this brought e09's recommendation among the candidates (docs/benchmarks.md, "Free answers, session 10").
JOIN_ANNOUNCED = True


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
    about = [all(subject in with_heading(hit) for subject in subjects) for hit in hits]  # once per passage
    typed = {
        sentence
        for n, _, _, sentence in candidates
        if kind is not None and about[n - 1] and (holds_answer(sentence, kind, question) or headed(hits[n - 1], kind))
    }
    if kind is not None and kind.counted and (thing := counted_thing(question, kind)) is not None:
        typed = counting(typed, thing, kind.counted, embeddings, question, lexical_query or "")
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
