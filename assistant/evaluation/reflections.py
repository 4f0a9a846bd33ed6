"""`slim eval reflections FILE.jsonl`: each labelled answer through the real engine, and what it said.

A line: ``{"id", "role", "theme", "question_id"?, "lang", "answer", "signal"?, "evidence": [phrases]}``, or instead
of one ``signal`` a reader's judgement of the bank's texts: ``"acceptable"`` (the signals whose reflection the person
would accept as naming what they said; empty: only the neutral reply fits) and ``"contradicts"`` (those that say
the opposite). Then *acceptable* counts the reflections the reader accepted, *contradicted* those that say the
opposite. A student's answer can carry the ``"quality"`` its writer meant (correct, partial, mistaken): the level
the chosen signal points to should match it (4-5, 3, 2 or the neutral reply), and a mistaken answer should never get
a reflection of a correct understanding (*praised when mistaken*).
A reflection is *clean* when the product's own checks (``assistant.reflection.checks``, the same that
decide whether a stronger model's reflection is shown) find no fault: in the person's language, speaking
to them, no echo of the question or their whole answer, no citation as a label, at most 70 words, at
least one valid citation; it *fits* when a passage it cites contains one of the evidence phrases. The
time is from sending the answer until the whole reflection is there.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from time import perf_counter
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel

from assistant.coaching import MISTAKEN_LEVEL, coaching_bank
from assistant.config import Language, Settings
from assistant.evaluation.bench import measure_table, share
from assistant.evaluation.quality import is_hit, load_lines
from assistant.evaluation.stats import percentile
from assistant.llm import LanguageModel
from assistant.prompts import Role
from assistant.reflection.checks import MAX_WORDS, reflection_faults
from assistant.retrieve import Retriever
from assistant.text import CITATION

if TYPE_CHECKING:  # the engine loads the models: imported where an evaluation runs, not with the CLI
    from assistant.reflection.engine import ReflectionEngine, SessionView


class GuideAnswer(BaseModel):
    """One person's answer to one of the guide's questions (the theme's first when ``question_id`` is empty)."""

    id: str
    role: Role
    theme: str
    question_id: str | None = None
    lang: Language
    answer: str


class ReflectionItem(GuideAnswer):
    signal: str | None = None
    evidence: list[str] = []
    kind: str | None = None
    acceptable: list[str] | None = None
    """a reader's judgement: the signals whose reflection fits what was said (empty: the neutral reply)"""
    contradicts: list[str] = []
    """the signals whose reflection says the opposite of the answer"""
    quality: Literal["correct", "partial", "mistaken"] | None = None
    """a student's answer as its writer meant it"""


class ItemResult(BaseModel):
    id: str
    question_id: str | None = None
    """the question the answer was given to"""
    text: str
    faults: list[str]
    fits: bool
    signal: str | None
    expected: str | None
    accepted: bool | None = None
    """the reflection shown is one the reader accepted (None: the line carries no such judgement)"""
    contradicted: bool = False
    level: int | None = None
    """the level of the theme's scale the chosen signal points to (None: the neutral reply)"""
    quality: str | None = None
    seconds: float
    prepared_s: float = 0.0
    """preparing the question's examples while the person types"""


class ReflectionScores(BaseModel):
    backend: str
    file: str
    items: int
    clean: float
    fitting: float
    signal_accuracy: float | None
    signal_items: int
    acceptable: float | None = None
    """share of the reflections a reader accepted, of the lines that carry that judgement"""
    contradicted: float | None = None
    """share of those whose reflection says the opposite of the answer"""
    judged_items: int = 0
    understanding: float | None = None
    """share of the students' answers whose reflection's level matches the quality its writer meant"""
    praised_mistaken: float | None = None
    """share of the mistaken answers that got a reflection of a correct understanding (level 4 or 5)"""
    quality_items: int = 0
    p50_s: float
    p95_s: float
    prepared_p95_s: float = 0.0
    results: list[ItemResult]


def load_items(path: Path) -> list[ReflectionItem]:
    return load_lines(path, ReflectionItem)


def scratch_engine(settings: Settings, retriever: Retriever, llm: LanguageModel) -> ReflectionEngine:
    """The real engine, its sessions in memory: an evaluation leaves nothing in the person's database."""
    from assistant.reflection.engine import ReflectionEngine  # at run time (above: for types only)

    return ReflectionEngine(settings, retriever, llm, conn=sqlite3.connect(":memory:", check_same_thread=False))


def at_question(engine: ReflectionEngine, item: GuideAnswer) -> SessionView:
    """A new session of one theme, at the item's question (the theme's first when it names none)."""
    asked = {item.theme: item.question_id} if item.question_id else None
    return engine.start(item.role, item.lang, themes=[item.theme], questions=asked)


def evaluate_reflections(
    items: Sequence[ReflectionItem],
    settings: Settings,
    retriever: Retriever,
    llm: LanguageModel,
    file: Path,
    theme_only: bool = False,
) -> ReflectionScores:
    """``theme_only``: every answer given to its theme's first question, whatever question it was written for
    (as a set that names no question is run): how the guide does when people answer another question."""
    engine = scratch_engine(settings, retriever, llm)
    bank = coaching_bank(settings.prompts_dir)
    results = []
    for item in items:
        if theme_only:
            item = item.model_copy(update={"question_id": None})
        view = at_question(engine, item)
        question = next(t for t in reversed(view.turns) if t.kind == "question")
        # while the person reads the question and types, the theme's examples are embedded (or read from
        # the cache): timed apart, the reflection's time starts when the answer is sent
        start = perf_counter()
        if engine.coach is not None:
            engine.coach.ready(item.theme, item.role)
        prepared = perf_counter() - start
        start = perf_counter()
        view = engine.send(view.info.id, {"type": "answer", "text": item.answer})
        seconds = perf_counter() - start
        turn = next(t for t in reversed(view.turns) if t.kind == "reflection")
        cited = {int(n) for n in CITATION.findall(turn.text)}
        fits = any(is_hit(c.text, item.evidence) for c in turn.citations if c.n in cited)
        chosen = turn.data.get("signal", "") if "signal" in turn.data else ""
        results.append(
            ItemResult(
                id=item.id,
                question_id=question.data.get("question_id"),
                text=turn.text,
                faults=reflection_faults(
                    turn.text, item.lang, question.text, item.answer, [c.n for c in turn.citations]
                ),
                fits=fits,
                signal=chosen or ("none" if chosen is None else None),
                expected=item.signal,
                accepted=None if item.acceptable is None else accepted(chosen, item.acceptable),
                contradicted=bool(chosen) and chosen in item.contradicts,
                level=bank.signal(item.theme, item.role, chosen).level if chosen else None,
                quality=item.quality,
                seconds=round(seconds, 3),
                prepared_s=round(prepared, 3),
            )
        )
    labelled = [r for r in results if r.expected is not None]
    judged = [r for r in results if r.accepted is not None]
    meant = [r for r in results if r.quality is not None]
    mistaken = [r for r in meant if r.quality == "mistaken"]
    times = [r.seconds for r in results]
    return ReflectionScores(
        backend=llm.name,
        file=file.name,
        items=len(results),
        clean=round(sum(not r.faults for r in results) / max(1, len(results)), 3),
        fitting=round(sum(r.fits for r in results) / max(1, len(results)), 3),
        signal_accuracy=round(sum(r.signal == r.expected for r in labelled) / len(labelled), 3) if labelled else None,
        signal_items=len(labelled),
        acceptable=round(sum(bool(r.accepted) for r in judged) / len(judged), 3) if judged else None,
        contradicted=round(sum(r.contradicted for r in judged) / len(judged), 3) if judged else None,
        judged_items=len(judged),
        understanding=round(sum(read_as_meant(r) for r in meant) / len(meant), 3) if meant else None,
        praised_mistaken=round(sum(praised(r) for r in mistaken) / len(mistaken), 3) if mistaken else None,
        quality_items=len(meant),
        p50_s=round(percentile(times, 50), 3),
        p95_s=round(percentile(times, 95), 3),
        prepared_p95_s=round(percentile([r.prepared_s for r in results], 95), 3),
        results=results,
    )


def accepted(chosen: str | None, acceptable: list[str]) -> bool:
    """Whether the signal shown (None: the neutral reply) is one a reader accepted; the neutral reply is right only
    where no signal's reflection fits."""
    return chosen in acceptable if acceptable else not chosen


def read_as_meant(result: ItemResult) -> bool:
    """Whether the level the reflection points to fits the quality the answer's writer meant: a correct
    understanding 4-5, a partial one 3, a mistaken one 2 or the neutral reply."""
    level = result.level
    if result.quality == "correct":
        return level is not None and level >= 4
    if result.quality == "partial":
        return level == MISTAKEN_LEVEL + 1
    return level is None or level <= MISTAKEN_LEVEL


def praised(result: ItemResult) -> bool:
    """A mistaken answer that got the reflection of a correct understanding."""
    return result.quality == "mistaken" and result.level is not None and result.level >= 4


def reflections_table(scores: ReflectionScores) -> str:
    rows = [
        (f"clean (language, speaks to the person, no echo, no label citations, ≤ {MAX_WORDS} words, a valid citation)",
         f"{scores.clean:.0%}", "100%"),
        ("fitting (a cited passage holds an evidence phrase)", f"{scores.fitting:.0%}", "≥ 95%"),
        (f"signal accuracy ({scores.signal_items} labelled)",
         share(scores.signal_accuracy), "≥ 85%"),
        (f"accepted by a reader ({scores.judged_items} judged)", share(scores.acceptable), "—"),
        ("says the opposite of the answer", share(scores.contradicted), "—"),
        (f"a student's understanding read as meant ({scores.quality_items} answers)", share(scores.understanding), "—"),
        ("a mistaken answer praised as correct", share(scores.praised_mistaken), "—"),
        ("answer → complete reflection, p50 / p95", f"{scores.p50_s} s / {scores.p95_s} s", "≤ 1.5 s p95"),
        ("preparing the question's examples while the person types, p95", f"{scores.prepared_p95_s} s", "—"),
    ]  # fmt: skip
    seen = ", ".join(sorted({f for r in scores.results for f in r.faults})) or "—"
    intro = f"Backend `{scores.backend}`, `{scores.file}`, {scores.items} answers. Faults seen: {seen}."
    return measure_table(intro, rows)
