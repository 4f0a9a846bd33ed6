"""Understanding an answer = choosing which signal of the coaching bank it carries.

Two ways, measured against each other by ``slim eval reflections``: multilingual-e5 similarity between
the answer and each signal's example answers, with the words they share (BM25) added for a coordinator's
and a board member's answers (milliseconds, no model), and the language model choosing
a signal id under a JSON schema (it can only answer with a listed id, or "none"). Below the confidence
threshold, or when the answer is most like the bank's off-topic examples (``prompts/coaching/special/off-topic.yaml``),
the guide shows the neutral reply: never a guess presented as insight.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import bm25s
import numpy as np
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel

from assistant.coaching import MISTAKEN_LEVEL, CoachingBank, Signal, mixed_up
from assistant.config import Settings
from assistant.embeddings import SlimEmbeddings
from assistant.llm import LanguageModel
from assistant.prompts import Role
from assistant.retrieve import bm25_model, bm25_scores

log = logging.getLogger(__name__)

NONE = "none"
TOP = 4  # a signal scores as the mean of its four best-matching examples
KIND_TOP = 2  # an off-topic kind scores as the mean of its two best examples (a kind has three or four)
# A kind's own word (who reads along, the session is kept, ...) only when that kind is clearly the closest;
# else the general one ("that is about something else"): a word on the wrong matter is worse than a general one. On
# the off-topic answers of the tuning sets, a right kind led the next by 0.015-0.04, a wrong one by < 0.012.
KIND_MARGIN = 0.015
MIN_SIMILARITY = 0.85  # e5 similarities are compressed: unrelated text scores ~0.80-0.86, a fitting answer ~0.87+
MIN_MARGIN = 0.0  # the best signal must beat the next one by this much
# People do not always answer the question asked: an answer can fit a signal of another of the theme's questions
# (asked about the goal's distance, one tells how partners read the goal differently). Those signals compete too,
# a little behind the question's own, so a near-tie stays with the question asked. 0.01 on the tuning sets: with
# the question known nothing moved but one answer to a neighbouring signal; with the question unknown (the theme's
# first asked) fitting rose 69 -> 78%; docs/benchmarks.md "Session 26".
OTHER_QUESTION = 0.01
# e5 barely reads "not", "only", "but": "Nee. In het bestuur laten we alleen zien wat goed gaat" is as close to
# "failure is discussed openly" as to "accountability blocks it". The words an answer shares with an
# example (BM25, stemmed, without stop words but with the negations) help to tell such signals apart, so
# they are added to each example's similarity with this weight (chosen by leave-one-out on the bank's own
# examples and on the tuning answers: docs/benchmarks.md "Session 20"). Not for students: their answers use
# the concept's words whether they are right or wrong.
LEXICAL_WEIGHT = 0.006
LEXICAL_ROLES: frozenset[Role] = frozenset({"coordinator", "board"})
NEGATIONS = frozenset({"niet", "geen", "niets", "not", "no"})  # stop words for search, meaning here
# Many answers open with their verdict ("Nee.", "Weinig.", "Eerlijk? Nee.", "Not to each other's face.", "Yes,
# very."), and e5 reads the rest as it reads the opposite answer ("Weinig. Bij ons is elke presentatie een
# succesverhaal" came out as "failure is shared openly"). A signal's own examples show which verdict it carries (the
# share that opens with yes, the share that opens with no), so an answer's opening verdict moves each signal by how
# much its examples agree, ``OPENING_WEIGHT`` times the difference of the shares. On the tuning sets every weight from
# 0.005 to 0.03 mended the same two of 218 and broke none; on a set nobody tuned for it changed nothing
# (docs/benchmarks.md "Session 37").
OPENING_WEIGHT = 0.01
_HEDGE = re.compile(
    r"^\s*(eerlijk( gezegd)?|honestly|to be honest|tja|nou|hmm+|well|goh|uhm?|eh|oh)\b[\s,.?!:;-]*", re.I
)
_BOTH = re.compile(r"^(ja en nee|ja, en nee|yes and no)\b", re.I)
_NO = re.compile(
    r"^(nee|neen|niet|nauwelijks|weinig|zelden|nooit|amper|zeer weinig|heel weinig|te weinig|no|not|nope|hardly"
    r"|rarely|never|barely|very little|little)\b"
    r"(?!\s+(idee|idea|a clue|clue|tijd|time|zeker|sure|really sure|heard|van gehoord)\b)",  # "not sure": no verdict
    re.I,
)
_YES = re.compile(
    r"^(ja|jazeker|jawel|zeker|absoluut|klopt|heel erg|zeer|best wel|yes|yeah|yep|sure|definitely|absolutely"
    r"|certainly|very)\b",
    re.I,
)


def verdict(answer: str) -> int:
    """The verdict an answer opens with, after a hedge ("Eerlijk?", "Honestly,"): 1 yes, -1 no, 0 neither."""
    text = _HEDGE.sub("", _HEDGE.sub("", answer))
    if _BOTH.match(text):
        return 0
    return -1 if _NO.match(text) else 1 if _YES.match(text) else 0


def top_mean(values: np.ndarray, top: int = TOP) -> float:
    """A signal's score: the mean of its ``top`` best-matching examples."""
    return float(np.mean(np.sort(values.astype(np.float64))[-top:]))


def examples_cache(settings: Settings) -> Path:
    """Where the coaching bank's example vectors are kept between processes (the guide and the group scan)."""
    return settings.data_dir / "cache" / "signals"


class Choice(BaseModel):
    """Which signal an answer carries, with the runners-up for "andere invalshoek"."""

    ranked: list[str]
    """signal ids, best first (the alternatives a person can switch to)"""
    chosen: str | None
    """None: nothing fits well enough, the neutral reply is shown"""
    method: Literal["embeddings", "model"]
    score: float
    """e5 similarity of the best signal's examples to the answer (what the confidence threshold reads)"""
    aside: str | None = None
    """the kind of off-topic answer it is most like (``OffTopic``), when it is most like those of all"""


@dataclass(frozen=True)
class Examples:
    """Every example of one theme and role's signals (both languages), with the signal each belongs to."""

    owners: list[str]
    kinds: list[str | None]
    """per example, the off-topic kind it belongs to (None: a signal's example)"""
    openings: np.ndarray
    """per example, the verdict it opens with (``verdict``)"""
    vectors: np.ndarray
    """normalised e5 vectors, one row per example"""
    words: bm25s.BM25


@dataclass(frozen=True)
class Ranked:
    signal: str
    score: float
    """what ranks the signals: the e5 similarity, with the shared words where the role counts them"""
    similarity: float
    """the e5 similarity alone (what the confidence threshold reads)"""
    kind: str | None = None
    """for "none": the off-topic kind whose examples are clearly the closest (else the general one)"""


@dataclass
class SignalChooser:
    bank: CoachingBank
    embeddings: SlimEmbeddings
    llm: LanguageModel | None = None
    cache_dir: Path | None = None
    """where the examples' vectors are kept between processes (computed once per bank version)"""
    _examples: dict[tuple[str, Role], Examples] = field(default_factory=dict)
    _embedding: threading.Lock = field(default_factory=threading.Lock)

    def candidates(self, theme: str, role: Role, question_id: str | None) -> list[Signal]:
        return self.bank.signals(theme, role, question_id) or self.bank.signals(theme, role)

    def prepare(self, theme: str, role: Role, question_id: str | None = None) -> None:
        """While the person reads the question and types: embed the theme's examples and, when the model
        chooses, have it compute the fixed part of its prompt (the options), in the background, so the
        reflection after the answer waits for neither."""
        if not self.bank.covers(theme):
            return
        if (theme, role) not in self._examples:
            threading.Thread(target=self._embedded, args=(theme, role), daemon=True).start()
        if self.llm is not None and self.llm.available:
            prefix = [self.instructions(self.candidates(theme, role, question_id))]
            threading.Thread(target=self._warm, args=(prefix,), daemon=True).start()

    def _warm(self, prefix: list) -> None:
        try:
            self.llm.warm(prefix, keep=False)  # type: ignore[union-attr]
        except Exception as exc:  # a failed warm-up only means a slower choice
            log.info("warming the signal prompt failed: %s", exc)

    def _embedded(self, theme: str, role: Role) -> Examples:
        """Every example of the role's signals in this theme (both languages), embedded once: read from the
        cache when this bank version was embedded before, else embedded here (one at a time, under a lock,
        so the answer never waits for a second copy of the background work)."""
        key = (theme, role)
        with self._embedding:
            if key not in self._examples:
                owners, kinds, texts = [], [], []
                for signal in self.bank.signals(theme, role):
                    for text in signal.examples.nl + signal.examples.en:
                        owners.append(signal.id)
                        kinds.append(None)
                        texts.append(text)
                for kind in self.bank.off_topic.kinds if self.bank.off_topic else []:  # most like these → neutral
                    for text in kind.examples.nl + kind.examples.en:
                        owners.append(NONE)
                        kinds.append(kind.id)
                        texts.append(text)
                vectors = self._cached(theme, role, texts)
                normalised = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
                openings = np.array([verdict(text) for text in texts])
                self._examples[key] = Examples(owners, kinds, openings, normalised, bm25_model(texts, NEGATIONS))
        return self._examples[key]

    def _cached(self, theme: str, role: Role, texts: list[str]) -> np.ndarray:
        digest = hashlib.sha256("\n".join([self.embeddings.name, *texts]).encode()).hexdigest()[:16]
        path = self.cache_dir / f"{theme}-{role}-{digest}.npy" if self.cache_dir else None
        if path is not None and path.is_file():
            try:
                vectors = np.load(path)
                if vectors.shape[0] == len(texts):
                    return vectors
            except (OSError, ValueError) as exc:  # a damaged cache file is embedded anew
                log.info("signal vectors cache unreadable (%s): %s", path.name, exc)
        vectors = self.embeddings.embed_queries(texts)
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                np.save(path, vectors)
            except OSError as exc:  # a read-only data folder only means embedding again next time
                log.info("signal vectors not cached: %s", exc)
        return vectors

    def ready(self, theme: str, role: Role) -> None:
        """Wait until the examples of ``theme`` are embedded (what ``prepare`` does while a person types)."""
        if self.bank.covers(theme):
            self._embedded(theme, role)

    def by_embeddings(self, answer: str, theme: str, role: Role, question_id: str | None) -> list[Ranked]:
        """The theme's signals (and "none", the off-topic examples) ranked by the mean of their ``TOP``
        best-matching examples; those of the theme's other questions ``OTHER_QUESTION`` behind, and each moved by
        how far its examples open with the answer's verdict (``OPENING_WEIGHT``)."""
        examples = self._embedded(theme, role)
        query = self.embeddings.embed_query_array(answer)
        sims = examples.vectors @ (query / np.linalg.norm(query))
        weight = LEXICAL_WEIGHT if role in LEXICAL_ROLES else 0.0
        scores = sims + weight * bm25_scores(examples.words, answer, NEGATIONS) if weight else sims
        asked = {NONE} | {s.id for s in self.candidates(theme, role, question_id)}
        rows: dict[str, list[int]] = {}
        for row, owner in enumerate(examples.owners):
            rows.setdefault(owner, []).append(row)
        opens = verdict(answer)

        def score(sid: str, own: list[int]) -> float:
            behind = 0.0 if sid in asked else OTHER_QUESTION
            # the answer's opening verdict: the share of the signal's examples that open with it, less the opposite
            agreement = float(np.mean(examples.openings[own] * opens)) if opens and sid != NONE else 0.0
            return top_mean(scores[own]) - behind + OPENING_WEIGHT * agreement

        ranked = [Ranked(sid, score(sid, own), top_mean(sims[own])) for sid, own in rows.items()]
        if NONE in rows:  # which kind of off-topic answer: the kind whose examples are closest, as for signals
            kinds: dict[str | None, list[int]] = {}
            for row in rows[NONE]:
                kinds.setdefault(examples.kinds[row], []).append(row)
            kind_scores = sorted(((top_mean(sims[own], KIND_TOP), k) for k, own in kinds.items()), reverse=True)
            kind = kind_scores[0][1]
            if len(kind_scores) > 1 and kind_scores[0][0] - kind_scores[1][0] < KIND_MARGIN:
                kind = self.bank.off_topic.fallback  # type: ignore[union-attr]
            ranked = [replace(r, kind=kind) if r.signal == NONE else r for r in ranked]
        return sorted(ranked, key=lambda r: r.score, reverse=True)

    def choose(
        self, answer: str, question: str, theme: str, role: Role, question_id: str | None, use_model: bool = True
    ) -> Choice:
        ranked = self.by_embeddings(answer, theme, role, question_id)
        order = [r.signal for r in ranked if r.signal != NONE]  # the signals a person can switch to
        best, score, aside = ranked[0].signal, ranked[0].similarity, ranked[0].kind
        margin = ranked[0].score - ranked[1].score if len(ranked) > 1 else ranked[0].score
        if use_model and self.llm is not None and self.llm.available:
            picked = self.by_model(answer, question, self.candidates(theme, role, question_id))
            if picked is not None:
                chosen = None if picked == NONE else picked
                rest = [sid for sid in order if sid != chosen]
                chosen, order = self.named_in_full(answer, theme, role, chosen, ([chosen] if chosen else []) + rest)
                chosen, order = self.swapped(answer, theme, role, question_id, chosen, order)
                return Choice(ranked=order, chosen=chosen, method="model", score=score, aside=None if chosen else aside)
        confident = best != NONE and score >= MIN_SIMILARITY and margin >= MIN_MARGIN
        chosen, order = self.named_in_full(answer, theme, role, best if confident else None, order)
        chosen, order = self.swapped(answer, theme, role, question_id, chosen, order)
        return Choice(ranked=order, chosen=chosen, method="embeddings", score=round(score, 4), aside=aside)

    def swapped(
        self, answer: str, theme: str, role: Role, question_id: str | None, chosen: str | None, order: list[str]
    ) -> tuple[str | None, list[str]]:
        """A student's answer that swaps what the report pairs (``Signal.mixups``: "BCMR is een coöperatie") gets the
        question's signal of that mistaken understanding instead of a (partly) right one or the neutral reply: e5
        reads a swapped pair as close to the right one, and praise for a mistake misleads. A chosen signal of a
        mistaken understanding (``MISTAKEN_LEVEL``) stays; the one passed over stays in the ranking."""
        if chosen is not None and self.bank.signal(theme, role, chosen).level <= MISTAKEN_LEVEL:
            return chosen, order
        for signal in self.candidates(theme, role, question_id):
            if signal.mixups and mixed_up(answer, signal.mixups):
                return signal.id, [signal.id, *(s for s in order if s != signal.id)]
        return chosen, order

    def named_in_full(
        self, answer: str, theme: str, role: Role, chosen: str | None, order: list[str]
    ) -> tuple[str | None, list[str]]:
        """A signal that says the answer names a whole list of the report (``Signal.complete``) holds only
        when it does: an answer that names some of the elements gets the partial signal, one that names
        none the next signal in ``order``. e5 reads "grootte en duur" as close to "grootte, duur en
        organisaties"; counting what is named tells them apart. The signal passed over stays in the
        ranking, so the person can still choose it ("andere invalshoek")."""
        if chosen is None or chosen == NONE:
            return chosen, order
        complete = self.bank.signal(theme, role, chosen).complete
        if complete is None:
            return chosen, order
        named = complete.named(answer)
        if named == len(complete.elements):
            return chosen, order
        instead = complete.partial if named else next((s for s in order if s not in {chosen, complete.partial}), None)
        rest = [s for s in order if s != instead]
        return instead, ([instead] if instead else []) + rest

    @staticmethod
    def instructions(signals: list[Signal]) -> SystemMessage:
        """The fixed part of the model's prompt for one question: the options with their examples."""
        options = "\n".join(f'- {s.id}: e.g. "{s.examples.en[0]}" / "{s.examples.nl[0]}"' for s in signals)
        return SystemMessage(
            "You read one answer a person gave to a reflection question about their network and say which"
            " option it matches. Options:\n"
            f"{options}\n- none: the answer matches no option (off-topic, empty, or something else).\n"
            'Reply with JSON: {"signal": "<option id>"}.'
        )

    def messages(self, question: str, answer: str, signals: list[Signal]) -> list:
        """The fixed part first (``instructions``, warmed while the person types and kept in the server's
        prompt cache); the answer last."""
        return [self.instructions(signals), HumanMessage(f"Question: {question}\nAnswer: {answer.strip()}")]

    def by_model(self, answer: str, question: str, signals: list[Signal]) -> str | None:
        ids = [s.id for s in signals] + [NONE]
        schema = {"type": "object", "properties": {"signal": {"enum": ids}}, "required": ["signal"]}
        prompt = self.messages(question, answer, signals)
        try:
            with self.llm.queue.turn():  # type: ignore[union-attr]
                reply = self.llm.client().invoke(  # type: ignore[union-attr]
                    prompt,
                    max_tokens=24,
                    response_format={"type": "json_schema", "json_schema": {"name": "signal", "schema": schema}},
                )
            picked = json.loads(str(reply.content))["signal"]
        except Exception as exc:  # the model is a helper here: embeddings decide without it
            log.info("signal choice by the model failed: %s", exc)
            return None
        return picked if picked in ids else None
