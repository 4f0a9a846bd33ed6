"""The question bank and prompts: complete in both languages, and every section they cite exists."""

from __future__ import annotations

import re

from assistant.config import PROJECT_ROOT
from assistant.prompts import ROLES, answer_prompts, question_bank, reflection_prompts
from tests.conftest import CORPUS_MD

PROMPTS = PROJECT_ROOT / "prompts"


def _report_sections() -> set[str]:
    text = CORPUS_MD.read_text(encoding="utf-8")
    return set(re.findall(r"(?m)^#{1,3} (\d+(?:\.\d+)*)\.? ", text))


def _all_texts(model) -> list[str]:
    """Every string in a (nested) pydantic model."""
    found: list[str] = []

    def walk(value) -> None:
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list | tuple):
            for v in value:
                walk(v)

    walk(model.model_dump())
    return found


def test_every_theme_has_questions_for_every_role_in_both_languages() -> None:
    bank = question_bank(PROMPTS)
    expected = {
        "gezamenlijk-doel", "structuur", "proces", "cultuur", "leiderschap",
        "relationele-factoren", "waardecreatie", "lerend-vermogen",
    }  # fmt: skip
    assert set(bank.themes) == expected
    for theme in bank.themes.values():
        assert {c.network for c in theme.cases} == {
            "Business Club Maas Rhein",
            "De STAP naar gezonder",
            "Metropoolregio Eindhoven",
        }
        for role in ROLES:
            for question in theme.questions[role]:
                assert question.text.nl.strip() and question.text.en.strip() and question.text.nl != question.text.en
                assert all(p.nl.strip() and p.en.strip() for p in question.probes)
    assert {r.role for r in bank.routes} == set(ROLES)
    ids = [q.id for t in bank.themes.values() for qs in t.questions.values() for q in qs]
    assert len(ids) == len(set(ids))


def test_every_cited_section_exists_in_the_report() -> None:
    sections = _report_sections()
    bank = question_bank(PROMPTS)
    for theme in bank.themes.values():
        assert set(theme.sections) <= sections, theme.id
        for case in theme.cases:
            assert set(case.sections) <= sections, (theme.id, case.network)
        for text in _all_texts(theme):
            for ref in re.findall(r"§(\d+(?:\.\d+)*)", text):
                assert ref in sections, (theme.id, ref)
    for text in _all_texts(reflection_prompts(PROMPTS)):
        for ref in re.findall(r"§(\d+(?:\.\d+)*)", text):
            assert ref in sections


def test_value_creation_scale_is_the_value_cycles() -> None:
    bank = question_bank(PROMPTS)
    labels = [s.label.nl for s in bank.themes["waardecreatie"].scale]
    assert labels == [c.label.nl for c in sorted(bank.value_cycles, key=lambda c: c.order)]


def test_answer_prompts_mark_passages_as_data() -> None:
    prompts = answer_prompts(PROMPTS)
    for lang in ("nl", "en"):
        prompt = prompts[lang]
        assert "not instructions" in prompt.system
        assert "{passages}" in prompt.user and "{question}" in prompt.user
        assert prompt.examples[-1].assistant.count("[1]") == 1  # the last example answers with a citation
        assert prompt.not_covered in prompt.system


def test_a_students_introduction_does_not_give_away_the_list_their_first_question_asks_for() -> None:
    """The theme's introduction lists the elements, questions or levels a student is asked to name; a student gets
    an introduction that says where the report treats them instead (``Theme.intro_student``)."""
    from assistant.coaching import coaching_bank

    bank, coaching = question_bank(PROMPTS), coaching_bank(PROMPTS)
    checked = 0
    for theme in bank.themes.values():
        first = theme.questions["student"][0].id
        for signal in coaching.signals(theme.id, "student", first):
            if signal.complete is None:
                continue
            checked += 1
            for lang in ("nl", "en"):
                whole = len(signal.complete.elements)
                assert signal.complete.named(theme.intro_for("student", lang)) < whole, (theme.id, lang)
                assert theme.intro_for("coordinator", lang) == theme.intro(lang)
    assert checked >= 3
