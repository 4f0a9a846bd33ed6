"""The readers' judgements in the reflection sets (``acceptable`` / ``contradicts``) name signals the coaching bank
has for that theme and role, and how `slim eval reflections` counts them. Measurement tooling, our own logic."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.coaching import coaching_bank
from assistant.evaluation.reflections import ItemResult, accepted, load_items, praised, read_as_meant

ROOT = Path(__file__).resolve().parents[2]
JUDGED = sorted(p for p in (ROOT / "docs" / "eval").glob("reflections-*.jsonl") if '"acceptable"' in p.read_text())


def test_the_judged_sets_are_found() -> None:
    assert {p.name for p in JUDGED} >= {f"reflections-fresh{n}.jsonl" for n in (4, 5, 6, 7)}


@pytest.mark.parametrize("path", JUDGED, ids=lambda p: p.name)
def test_every_judgement_names_a_signal_of_the_theme_and_role(path: Path) -> None:
    bank = coaching_bank(ROOT / "prompts")
    for item in load_items(path):
        known = {s.id for s in bank.signals(item.theme, item.role)}
        named = set(item.acceptable or []) | set(item.contradicts)
        assert item.acceptable is not None and named <= known, (item.id, named - known)
        assert not set(item.acceptable) & set(item.contradicts), item.id


def test_the_neutral_reply_is_right_only_where_no_signal_fits() -> None:
    assert accepted("goal_implicit_or_vague", ["goal_implicit_or_vague", "dont_know"])
    assert not accepted("goal_stated_clearly", ["goal_implicit_or_vague"])
    assert accepted(None, []) and accepted("", [])  # the neutral reply where the reader found none
    assert not accepted(None, ["goal_implicit_or_vague"]) and not accepted("dont_know", [])


@pytest.mark.parametrize(
    ("quality", "level", "as_meant", "praised_"),
    [
        ("correct", 4, True, False),
        ("correct", 5, True, False),
        ("correct", 3, False, False),
        ("correct", None, False, False),  # the neutral reply does not confirm a correct understanding
        ("partial", 3, True, False),
        ("partial", 4, False, False),
        ("mistaken", 2, True, False),
        ("mistaken", None, True, False),  # the neutral reply is safe for a mistaken answer
        ("mistaken", 3, False, False),
        ("mistaken", 4, False, True),  # the reflection of a correct understanding for a mistaken one
    ],
)
def test_a_students_understanding_is_read_by_the_level_its_reflection_points_to(
    quality: str, level: int | None, as_meant: bool, praised_: bool
) -> None:
    result = ItemResult(
        id="x", text="", faults=[], fits=True, signal=None, expected=None, level=level, quality=quality, seconds=0.0
    )
    assert read_as_meant(result) is as_meant and praised(result) is praised_


def test_the_student_set_names_a_quality_for_every_answer() -> None:
    items = load_items(ROOT / "docs" / "eval" / "reflections-students.jsonl")
    assert {item.role for item in items} == {"student"} and all(item.quality for item in items)
    assert {item.quality for item in items} == {"correct", "partial", "mistaken"}
