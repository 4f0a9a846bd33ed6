"""What the guide heard, and what it does with it: the score-consistency note and a summary that speaks
from the signals (value cycles as proposals, action points and group questions from the signals found).

Our own logic alone: the real coaching bank and prompts, the signals set in the state as the reflect
node leaves them, made-up report passages (the fake retriever of test_reflection_nodes.py), no model
and no embeddings. The whole conversation on the real index is in tests/integration/test_summary.py.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from assistant.coaching import coaching_bank
from assistant.config import Settings
from assistant.llm import LanguageModel
from assistant.prompts import question_bank, reflection_prompts
from assistant.reflection import nodes
from assistant.reflection import synthesis as synthesis_module
from assistant.reflection.heard import Heard, entry_for, pointed_level, standing
from assistant.reflection.nodes import Context
from assistant.reflection.signals import SignalChooser
from assistant.reflection.state import Input, ReflectionState
from assistant.reflection.synthesis import build_synthesis, choose_cycle, own_words, synthesis_markdown
from tests.unit.test_reflection_nodes import FakePassages, runtime

PROMPTS = Path(__file__).resolve().parents[2] / "prompts"


@pytest.fixture
def coached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Context:
    """A context with the coaching bank; its chooser has no embeddings: nothing here recognises text, and
    no answer resembles a value cycle's examples (that is measured on real embeddings in
    tests/integration/test_summary.py)."""
    monkeypatch.setattr(synthesis_module, "similar_cycle", lambda *_: None)
    settings = Settings(data_dir=tmp_path)
    bank = question_bank(settings.prompts_dir)
    return Context(
        settings=settings,
        llm=LanguageModel("none", None),
        bank=bank,
        prompts=reflection_prompts(settings.prompts_dir),
        report=FakePassages("samen-leren-impact-maken.md"),
        person=FakePassages("plan.pdf"),
        coach=SignalChooser(coaching_bank(settings.prompts_dir), embeddings=None),  # type: ignore[arg-type]
    )


def heard(theme: str, *signals: str, shown_last: list[str] | None = None) -> dict[str, dict[str, Any]]:
    """A theme's entry as the reflect node leaves it after one answer per signal (the last one's
    ``shown`` may be given, as "andere invalshoek" leaves it)."""
    entry: dict[str, Any] | None = None
    for number, signal in enumerate(signals):
        entry = entry_for(entry, [signal, "other"], signal, number)
    assert entry is not None
    if shown_last is not None:
        entry["shown"] = shown_last
    return {theme: entry}


def scoring(role: str = "coordinator", **values: Any) -> ReflectionState:
    state: ReflectionState = {"role": role, "lang": "nl", "mode": "guided", "themes": ["gezamenlijk-doel"]}  # type: ignore[typeddict-item]
    state.update({"theme_index": 0, "followups": 1, "answers": {"gezamenlijk-doel": ["Ons doel is vaag."]}})
    state.update(values)  # type: ignore[typeddict-item]
    return state


# --- what stands ----------------------------------------------------------------------------------------


def test_what_stands_keeps_earlier_answers_and_the_persons_other_angle() -> None:
    entry = heard("t", "a", "b")["t"]
    assert standing(entry) == [Heard(answer=0, signal="a"), Heard(answer=1, signal="b")]
    entry["shown"] = ["b", "c"]  # "andere invalshoek": c replaces b for the second answer
    assert standing(entry) == [Heard(answer=0, signal="a"), Heard(answer=1, signal="c", person=True)]
    entry["shown"] = ["b", "c", "neutral"]  # nothing fitted in the end
    assert standing(entry) == [Heard(answer=0, signal="a")]
    assert standing(None) == [] and standing({"ranked": ["x"], "shown": []}) == []


def test_the_level_pointed_to_leaves_out_dont_know_and_students() -> None:
    bank = coaching_bank(PROMPTS)
    two = [Heard(answer=0, signal="goal_implicit_or_vague")]  # level 2
    assert pointed_level(bank, "gezamenlijk-doel", "coordinator", two) == 2
    both = two + [Heard(answer=1, signal="short_term_goal_named")]  # 2 and 4
    assert pointed_level(bank, "gezamenlijk-doel", "coordinator", both) == 3
    assert pointed_level(bank, "gezamenlijk-doel", "board", [Heard(answer=0, signal="dont_know")]) is None
    assert pointed_level(bank, "gezamenlijk-doel", "student", [Heard(answer=0, signal="wrong_reason")]) is None


# --- the score-consistency note -------------------------------------------------------------------------


def test_a_score_far_from_what_was_said_gets_one_note_with_both_levels(coached: Context) -> None:
    state = scoring(signals=heard("gezamenlijk-doel", "goal_implicit_or_vague"))
    note = nodes.on_score(state, Input(type="score", value=5), runtime(coached))
    said, check = note["turns"]
    assert said["text"] == "5" and check["kind"] == "score_check" and note["next_step"] == "wait_score"
    assert "scores" not in note and note["score_checks"] == {"gezamenlijk-doel": 2}
    scale = coached.bank.themes["gezamenlijk-doel"].scale
    assert check["text"].startswith(f"Je koos 5 — {scale[4].label.nl}: {scale[4].description.nl}")
    assert f"past ook bij 2 — {scale[1].label.nl}: {scale[1].description.nl}" in check["text"]
    assert check["text"].rstrip().endswith("kies het niveau dat voor jou klopt.")
    assert check["data"]["levels"][1]["level"] == 2  # the choice below it offers the five levels again
    for again in (5, 2):  # said once: either answer is taken
        taken = nodes.on_score(
            {**state, "score_checks": note["score_checks"]}, Input(type="score", value=again), runtime(coached)
        )
        assert taken["scores"] == {"gezamenlijk-doel": again} and taken["next_step"] == "advance"


def test_moving_on_after_the_note_keeps_the_level_chosen_and_skipping_skips(coached: Context) -> None:
    state = scoring(signals=heard("gezamenlijk-doel", "goal_implicit_or_vague"))
    note = nodes.on_score(state, Input(type="score", value=5), runtime(coached))
    noted = {**state, "score_checks": note["score_checks"], "turns": note["turns"]}
    moved = nodes.on_score(noted, Input(type="next"), runtime(coached))  # "/next" after the note: 5 stands
    assert moved["scores"] == {"gezamenlijk-doel": 5} and moved["next_step"] == "advance"
    assert [t["kind"] for t in moved["turns"]] == ["score", "assessed"]
    skipped = nodes.on_score(noted, Input(type="skip"), runtime(coached))  # skipping the scale stays a skip
    assert "scores" not in skipped and [t["kind"] for t in skipped["turns"]] == ["skipped"]
    plain = nodes.on_score(state, Input(type="next"), runtime(coached))  # no note before: nothing to keep
    assert "scores" not in plain and plain["next_step"] == "advance"


@pytest.mark.parametrize("reply", ["3", " 4 ", "2."])
def test_a_bare_number_at_the_question_is_told_where_numbers_go(coached: Context, reply: str) -> None:
    state = scoring(answers={})
    update = nodes.on_answer(state, Input(type="answer", text=reply), runtime(coached))
    said, hint = update["turns"]
    assert said["text"] == reply.strip() and hint["text"] == coached.prompts["nl"].score_early
    assert update["next_step"] == "wait_answer" and "answers" not in update  # nothing recorded as an answer
    words = nodes.on_answer(state, Input(type="answer", text="3 partners doen mee"), runtime(coached))
    assert words["answers"] == {"gezamenlijk-doel": ["3 partners doen mee"]} and words["next_step"] == "reflect"


@pytest.mark.parametrize(
    ("role", "signals", "value"),
    [
        ("coordinator", ["goal_implicit_or_vague"], 3),  # one level apart: no remark
        ("coordinator", ["goal_implicit_or_vague"], 1),
        ("board", ["dont_know"], 5),  # "don't know" points to no level
        ("student", ["wrong_reason"], 5),  # a student's signal marks understanding, not the network
        ("coordinator", [], 5),  # nothing recognised
    ],
)
def test_no_note_where_nothing_clearly_differs(coached: Context, role: str, signals: list[str], value: int) -> None:
    entry = heard("gezamenlijk-doel", *signals) if signals else {}
    update = nodes.on_score(scoring(role, signals=entry), Input(type="score", value=value), runtime(coached))
    assert update["scores"] == {"gezamenlijk-doel": value} and update["next_step"] == "advance"


def test_no_note_without_the_bank(coached: Context) -> None:
    state = scoring(signals=heard("gezamenlijk-doel", "goal_implicit_or_vague"))
    update = nodes.on_score(state, Input(type="score", value=5), runtime(replace(coached, coach=None)))
    assert update["scores"] == {"gezamenlijk-doel": 5}


def test_the_note_speaks_english_in_an_english_session(coached: Context) -> None:
    state = scoring(signals=heard("gezamenlijk-doel", "goal_implicit_or_vague"), lang="en")
    (_, check) = nodes.on_score(state, Input(type="score", value=4), runtime(coached))["turns"]
    assert check["text"].startswith("You chose 4 — ") and "also fits 2 — " in check["text"]


# --- the summary ----------------------------------------------------------------------------------------


def summary_state(role: str = "coordinator") -> dict[str, Any]:
    return {
        "role": role,
        "lang": "nl",
        "themes": ["gezamenlijk-doel", "waardecreatie"],
        "answers": {
            "gezamenlijk-doel": ["We hebben het doel nooit opgeschreven."],
            "waardecreatie": ["Vooral tips en nieuwe contacten.", "Twee wijken proberen nu samen een spreekuur."],
        },
        "scores": {"gezamenlijk-doel": 2, "waardecreatie": 4},
        "signals": heard("gezamenlijk-doel", "goal_implicit_or_vague")
        | heard("waardecreatie", "concrete_tip_or_contact", "lasting_visible_change"),
    }


def test_the_summary_speaks_from_the_signals(coached: Context) -> None:
    state = summary_state()
    coach = coached.coach
    assert coach is not None
    synthesis = build_synthesis(state, coached.bank, coached.prompts, coached.report, coach)  # type: ignore[arg-type]
    cycles = synthesis.cycles
    assert [(c.cycle, c.signal, c.status) for c in cycles] == [
        ("onmiddellijk", "concrete_tip_or_contact", "proposed"),
        ("gerealiseerd", "lasting_visible_change", "proposed"),
    ]
    assert cycles[1].quote == "Twee wijken proberen nu samen een spreekuur."
    # action points: the signals' §7.2 recommendations first (both gezamenlijk-doel and waardecreatie
    # signals lead somewhere), then topped up to three; each cites §7.2
    bank = coach.bank
    led = [bank.signal("gezamenlijk-doel", "coordinator", "goal_implicit_or_vague").recommendation]
    led.append(bank.signal("waardecreatie", "coordinator", "lasting_visible_change").recommendation)
    assert [a.id for a in synthesis.actions[:2]] == led
    assert synthesis.actions[0].because == ["Gezamenlijk doel"] and len(synthesis.actions) == 3
    assert synthesis.actions[2].because == []
    assert {c.section for c in synthesis.citations} == {"7.2"}
    recommendations = {r.id: r for r in coached.prompts.recommendations}
    for action in synthesis.actions:
        cited = synthesis.citations[action.citation - 1]
        assert recommendations[action.id].phrase in cited.text
    # group questions: the follow-ups of what was heard, weakest theme first
    followups = [
        bank.signal(t, "coordinator", s).followup("nl")
        for t, s in [
            ("gezamenlijk-doel", "goal_implicit_or_vague"),
            ("waardecreatie", "concrete_tip_or_contact"),
            ("waardecreatie", "lasting_visible_change"),
        ]
    ]
    assert synthesis.group_questions == followups
    markdown = synthesis_markdown(synthesis, coached.prompts["nl"])
    assert "- Onmiddellijke waarde (voorstel): “Vooral tips en nieuwe contacten.”" in markdown
    assert "naar aanleiding van wat je zei bij Gezamenlijk doel" in markdown


def test_a_verdict_of_a_few_words_shows_no_cycle_unless_the_person_chose_its_signal(coached: Context) -> None:
    """e5 takes "Nauwelijks." for some signal or other; only the person's own choice makes it show a cycle."""
    state = summary_state()
    state["answers"]["waardecreatie"] = ["Nauwelijks.", "Twee wijken proberen nu samen een spreekuur."]
    cycles = synthesis_module.propose_cycles(state, coached.bank, coached.coach)
    assert [c.cycle for c in cycles] == ["gerealiseerd"]
    chosen = heard(
        "waardecreatie", "concrete_tip_or_contact", shown_last=["inspiration_only", "concrete_tip_or_contact"]
    )
    cycles = synthesis_module.propose_cycles({**state, "signals": chosen}, coached.bank, coached.coach)
    assert [(c.cycle, c.signal) for c in cycles] == [("onmiddellijk", "concrete_tip_or_contact")]


def test_a_student_gets_no_value_cycles_and_no_bank_gets_no_invented_ones(coached: Context) -> None:
    state = summary_state("student") | {"signals": heard("gezamenlijk-doel", "wrong_reason")}
    synthesis = build_synthesis(state, coached.bank, coached.prompts, coached.report, coached.coach)
    assert synthesis.cycles == []
    without = build_synthesis(summary_state(), coached.bank, coached.prompts, coached.report, None)
    assert without.cycles == [] and len(without.actions) == 3 and len(without.group_questions) == 2
    assert "Je voorbeelden noemen nog geen duidelijke waarde" in synthesis_markdown(without, coached.prompts["nl"])


def test_the_person_confirms_corrects_or_rejects_a_proposed_cycle(coached: Context) -> None:
    synthesis = build_synthesis(summary_state(), coached.bank, coached.prompts, coached.report, coached.coach)
    first, second = (c.id for c in synthesis.cycles)
    confirmed = choose_cycle(synthesis, first, 1, coached.bank, "nl")
    assert confirmed.cycles[0].status == "confirmed" and confirmed.cycles[0].cycle == "onmiddellijk"
    corrected = choose_cycle(confirmed, second, 3, coached.bank, "nl")
    assert (corrected.cycles[1].cycle, corrected.cycles[1].status) == ("toegepast", "confirmed")
    assert corrected.cycles[1].proposed == "gerealiseerd" and corrected.cycles[1].label == "Toegepaste waarde"
    rejected = choose_cycle(corrected, first, None, coached.bank, "nl")
    markdown = synthesis_markdown(rejected, coached.prompts["nl"])
    assert "Onmiddellijke waarde" not in markdown and "- Toegepaste waarde (door jou bevestigd):" in markdown
    assert "Dit zijn voorstellen" not in markdown  # nothing left to confirm
    # through the graph's free-input node: the choice lands in the synthesis of the session
    state = {**summary_state(), "synthesis": synthesis.model_dump(), "waiting_for": "free"}
    update = nodes.on_free(state, Input(type="cycle", text=second, value=4), runtime(coached))  # type: ignore[arg-type]
    assert update["next_step"] == "wait_free" and update["synthesis"]["cycles"][1]["status"] == "confirmed"
    assert nodes.on_free({**state, "synthesis": None}, Input(type="cycle", text=second, value=4), runtime(coached)) == {
        "next_step": "wait_free"
    }


def test_slim_reflect_reads_a_word_on_a_proposed_cycle(coached: Context) -> None:
    from assistant.cli.reflect import _to_input

    synthesis = build_synthesis(summary_state(), coached.bank, coached.prompts, coached.report, coached.coach)
    first, second = synthesis.cycles  # onmiddellijk (1) and gerealiseerd (4)
    assert _to_input("/waarde 1", "free", synthesis) == Input(type="cycle", text=first.id, value=1)
    assert _to_input("/cycle 4 3", "free", synthesis) == Input(type="cycle", text=second.id, value=3)
    assert _to_input("/waarde 4 0", "free", synthesis) == Input(type="cycle", text=second.id, value=None)
    for wrong in ("/waarde", "/waarde 2", "/waarde 1 9", "/waarde 1 2 3", "/waarde een"):
        assert _to_input(wrong, "free", synthesis) is None, wrong
    assert _to_input("/waarde 1", "free", None) is None


def test_own_words_keep_the_turn_of_a_long_answer_and_cut_at_a_word() -> None:
    answer = "Op papier wel. " + "Maar de gemeenten willen vooral woningen en de bedrijven vooral personeel, " * 5
    kept = own_words(answer, 120)
    assert kept.startswith("Op papier wel. Maar de gemeenten") and kept.endswith(" …") and len(kept) <= 120
    assert kept[:-2].split()[-1] in answer.split()  # the last word is whole
    assert own_words("Kort en klaar.") == "Kort en klaar."
