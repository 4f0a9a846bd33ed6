"""`slim eval cycles FILE.jsonl`: which value cycles the summary would propose for each labelled answer.

A line: ``{"id", "role", "theme", "question_id"?, "lang", "answer", "cycle": <cycle id> | null,
"split"?: "tune" | "test"}``; ``cycle`` is the cycle the answer clearly shows (report §3.3), null when it
shows none. Each answer goes through the real engine (one session, one theme, that question, the answer),
and the summary's own rule (``synthesis.propose_cycles``) reads the state the engine left. A proposal where
null was expected (a *false proposal*) is the costly error: the person is told their network reached
something their answer does not show. A *miss* is cheaper: the person can still add a cycle at the end.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal, get_args

from pydantic import BaseModel

from assistant.config import Settings
from assistant.evaluation.bench import measure_table
from assistant.evaluation.quality import load_lines
from assistant.evaluation.reflections import GuideAnswer, at_question, scratch_engine
from assistant.llm import LanguageModel
from assistant.retrieve import Retriever

Outcome = Literal["correct", "wrong_cycle", "false_proposal", "missed", "rightly_none"]


class CycleItem(GuideAnswer):
    cycle: str | None
    split: Literal["tune", "test"] | None = None


class CycleResult(BaseModel):
    id: str
    expected: str | None
    proposed: list[str]
    """the cycles the summary proposes for this one answer (at most one is expected)"""
    signal: str | None
    """the signal the guide chose for the answer (None: the neutral reply)"""
    outcome: Outcome


class CycleScores(BaseModel):
    backend: str
    file: str
    split: str | None
    items: int
    expected_cycles: int
    correct: int
    wrong_cycle: int
    false_proposals: int
    missed: int
    rightly_none: int
    results: list[CycleResult]


def load_items(path: Path, split: str | None = None) -> list[CycleItem]:
    return [item for item in load_lines(path, CycleItem) if split is None or item.split == split]


def outcome(expected: str | None, proposed: list[str]) -> Outcome:
    """A proposal of the expected cycle is correct (also beside another); any proposal where none was
    expected is false; another cycle only is wrong; nothing where one was expected is a miss."""
    if expected is None:
        return "false_proposal" if proposed else "rightly_none"
    if expected in proposed:
        return "correct"
    return "wrong_cycle" if proposed else "missed"


def evaluate_cycles(
    items: Sequence[CycleItem],
    settings: Settings,
    retriever: Retriever,
    llm: LanguageModel,
    file: Path,
    split: str | None = None,
) -> CycleScores:
    from assistant.reflection.synthesis import propose_cycles

    engine = scratch_engine(settings, retriever, llm)
    results = []
    for item in items:
        view = at_question(engine, item)
        view = engine.send(view.info.id, {"type": "answer", "text": item.answer})
        state = engine.graph.get_state({"configurable": {"thread_id": view.info.id}}).values
        proposed = [c.cycle for c in propose_cycles(state, engine.bank, engine.coach)]
        reflection = next((t for t in reversed(view.turns) if t.kind == "reflection"), None)
        signal = reflection.data.get("signal") if reflection is not None else None
        results.append(
            CycleResult(
                id=item.id,
                expected=item.cycle,
                proposed=proposed,
                signal=signal,
                outcome=outcome(item.cycle, proposed),
            )
        )
    count = {name: sum(r.outcome == name for r in results) for name in get_args(Outcome)}
    return CycleScores(
        backend=llm.name,
        file=file.name,
        split=split,
        items=len(results),
        expected_cycles=sum(r.expected is not None for r in results),
        correct=count["correct"],
        wrong_cycle=count["wrong_cycle"],
        false_proposals=count["false_proposal"],
        missed=count["missed"],
        rightly_none=count["rightly_none"],
        results=results,
    )


def cycles_table(scores: CycleScores) -> str:
    shows, none = scores.expected_cycles, scores.items - scores.expected_cycles
    rows = [
        (f"false proposals (a cycle where the answer shows none; of {none})", str(scores.false_proposals), "0"),
        (f"correct proposals (of {shows} answers that show a cycle)", str(scores.correct), "—"),
        ("wrong cycle proposed", str(scores.wrong_cycle), "—"),
        ("missed (no proposal where one was expected; the person can still add it)", str(scores.missed), "—"),
        ("rightly nothing proposed", f"{scores.rightly_none} of {none}", "—"),
    ]  # fmt: skip
    half = f", split `{scores.split}`" if scores.split else ""
    intro = f"Backend `{scores.backend}`, `{scores.file}`{half}, {scores.items} answers."
    return measure_table(intro, rows)
