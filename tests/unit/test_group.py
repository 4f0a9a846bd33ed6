"""The group scan's logic without models: codes, the pattern rule, the anonymity rule (also through the
CLI), the catalogue, and the agenda builder (theme choice, time arithmetic, citations, editing).

Passages are resolved in the real report text by the real loader and chunker (``CorpusPassages``), the
same matching rule as the index's ``passage_with``; the store is a real SQLite file.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.coaching import coaching_bank
from assistant.config import PROJECT_ROOT
from assistant.group.agenda import (
    FIXED,
    LENGTHS,
    agenda_for,
    agenda_markdown,
    move_block,
    propose_themes,
    remove_block,
    set_minutes,
    share,
)
from assistant.group.catalog import group_catalog
from assistant.group.errors import (
    AgendaError,
    ScanClosedError,
    UnknownCodeError,
    UnknownSecretError,
    UnknownThemeError,
)
from assistant.group.models import MIN_ANSWERS_FLOOR, Scan, ScanSettings, ThemeAnswer, default_themes, known_themes
from assistant.group.results import build_results, classify, named_line, scan_results, sort_themes, summarise
from assistant.group.signals import ExplanationSignals
from assistant.group.store import CODE_ALPHABET, CODE_LENGTH, GroupStore, format_code, new_code, normalise_code
from assistant.prompts import question_bank
from tests.helpers.corpus_passages import corpus_passages
from tests.helpers.group import LOST_THEME, lose_a_theme

PROMPTS = PROJECT_ROOT / "prompts"
SECRET_WORD = "zebrapaardgeheim"  # a word no output may carry while results are hidden


def _scan(themes: list[str] | None = None, min_answers: int = 5, revealed: bool = True, lang="nl") -> Scan:
    settings = ScanSettings(network="Netwerk Oost", themes=themes or list(default_themes()), lang=lang)
    settings = settings.model_copy(update={"min_answers": min_answers})
    return Scan(id="s1", code="ABCDEFGHJK", settings=settings, created=dt.datetime.now(dt.UTC), revealed=revealed)


def _answers(scores_by_theme: dict[str, list[int]]) -> list[ThemeAnswer]:
    return [
        ThemeAnswer(theme=theme, score=s, explanation=f"{SECRET_WORD} {theme} {i}", example=f"voorbeeld {i}")
        for theme, scores in scores_by_theme.items()
        for i, s in enumerate(scores)
    ]


# --- codes ---------------------------------------------------------------------------------------------


def test_join_codes_use_an_unambiguous_alphabet_and_are_long_enough() -> None:
    assert not set("01OILU") & set(CODE_ALPHABET)
    assert len(set(CODE_ALPHABET)) == len(CODE_ALPHABET) == 30
    codes = {new_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(len(c) == CODE_LENGTH and set(c) <= set(CODE_ALPHABET) for c in codes)
    # the docstring's arithmetic: 100 guesses/s for 30 days against 1000 open scans stays below 1e-3
    assert 100 * 86400 * 30 * 1000 / len(CODE_ALPHABET) ** CODE_LENGTH < 1e-3
    code = new_code()
    assert normalise_code(f" {format_code(code).lower()} ") == code


def test_minimum_is_never_below_three() -> None:
    with pytest.raises(ValueError):
        ScanSettings(network="x", min_answers=MIN_ANSWERS_FLOOR - 1)
    assert ScanSettings(network="x").min_answers == 5
    assert ScanSettings(network="x").themes == list(question_bank(PROMPTS).route("strategiesessie").themes)


def test_a_new_scan_asks_only_about_themes_of_the_question_bank() -> None:
    with pytest.raises(UnknownThemeError) as caught:
        ScanSettings(network="x", themes=["gezamenlijk-doel", LOST_THEME])
    nl, en = caught.value.message("nl"), caught.value.message("en")
    assert LOST_THEME in nl and "vragenbank" in nl and "gezamenlijk-doel" in nl.split("Kies uit:")[1]
    assert LOST_THEME in en and "question bank" in en and "waardecreatie" in en.split("Choose from:")[1]


def test_cli_create_refuses_an_unknown_theme_in_one_translated_line(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SLIM_DATA_DIR", str(tmp_path))
    out = CliRunner().invoke(app, ["group", "create", "--network", "Oost", "--themes", f"cultuur,{LOST_THEME}"])
    assert out.exit_code == 2 and "Traceback" not in out.output
    assert f"Thema {LOST_THEME} staat niet in de vragenbank" in out.output
    assert GroupStore(tmp_path / "sessions.sqlite", tmp_path).list() == []  # nothing was made


def test_a_stored_scan_whose_theme_left_the_bank_still_works(tmp_path: Path, monkeypatch) -> None:
    """Results and the agenda skip the lost theme and name it; the CLI tells the coordinator."""
    monkeypatch.setenv("SLIM_DATA_DIR", str(tmp_path))
    store = GroupStore(tmp_path / "sessions.sqlite", tmp_path)
    themes = list(default_themes())[:3]
    scan = store.create(ScanSettings(network="Netwerk Oost", themes=themes, min_answers=3)).scan
    lose_a_theme(store, scan.id)
    out = CliRunner().invoke(app, ["group", "results", scan.id])
    assert out.exit_code == 0, out.output
    assert f"thema's die SLIM niet meer kent: {LOST_THEME}" in out.stderr
    store.reveal(scan.id)
    for score in (2, 3, 4):
        person = store.new_participant()
        store.save_answer(scan.id, person, ThemeAnswer(theme=LOST_THEME, score=score))  # given before it left
        for theme in themes:
            store.save_answer(scan.id, person, ThemeAnswer(theme=theme, score=score))
    stored = store.get(scan.id)
    assert stored.settings.themes == [LOST_THEME, *themes] and stored.missing_themes(known_themes()) == [LOST_THEME]
    results = scan_results(store, stored, PROMPTS, corpus_passages())
    assert [t.theme for t in results.themes] == themes and results.missing_themes == [LOST_THEME]
    agenda = agenda_for(stored, results, PROMPTS, corpus_passages(), minutes=90)
    assert LOST_THEME not in agenda.themes and agenda.total == 90


# --- the pattern rule -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scores", "pattern"),
    [
        ([4, 4, 5, 4, 5], "agree_high"),
        ([4, 3, 5, 4, 4], "agree_high"),  # span 2, mean 4.0
        ([2, 2, 3, 1, 2], "agree_low"),
        ([3, 3, 3, 3, 3], "agree_low"),  # a shared 3: room to grow
        ([1, 4, 4, 4, 4], "divided"),  # span 3
        ([2, 2, 4, 4, 4], "agree_low"),  # span 2, std 0.98, mean 3.2
        ([1, 1, 3, 3, 3], "agree_low"),
        ([5, 5, 5, 2, 2], "divided"),  # span 3
        ([4, 4, 4, 4], "too_few"),  # below the minimum of 5
        ([], "too_few"),
    ],
)
def test_pattern_rule(scores: list[int], pattern: str) -> None:
    assert classify(scores, 5) == pattern


def test_divided_by_standard_deviation_alone() -> None:
    # span 2 everywhere, but half the group at each end: std 1.0 < 1.2 → not divided; the rule needs 1.2
    assert classify([3, 3, 5, 5, 3, 5], 5) == "agree_high"
    assert classify([1, 1, 1, 1, 4, 4, 4, 4], 5) == "divided"


# --- the anonymity rule -------------------------------------------------------------------------------------


def _leaks(results_json: str) -> bool:
    return SECRET_WORD in results_json or '"distribution":{"1"' in results_json or "voorbeeld" in results_json


def test_nothing_but_the_count_before_reveal_or_below_the_minimum() -> None:
    themes = list(default_themes())
    answers = _answers({t: [1, 2, 5, 4] for t in themes})
    for scan, answered in [(_scan(revealed=False), 9), (_scan(revealed=True), 4), (_scan(revealed=False), 4)]:
        results = build_results(scan, answers, answered, catalog=group_catalog(PROMPTS))
        assert not results.shown and results.themes == [] and results.answered == answered
        assert not _leaks(results.model_dump_json())


def test_a_theme_below_the_minimum_shows_only_its_count() -> None:
    themes = list(default_themes())
    scores = {t: [4, 4, 5, 4, 5] for t in themes}
    scores[themes[0]] = [1, 5, 2]  # only three answered this theme
    results = build_results(_scan(), _answers(scores), 5, catalog=group_catalog(PROMPTS), passages=corpus_passages())
    few = results.themes[0]
    assert few.pattern == "too_few" and few.n == 3
    assert few.distribution == {} and few.mean is None and few.quotes == [] and few.examples == []
    assert SECRET_WORD + " " + themes[0] not in results.model_dump_json()
    assert few.tip is not None and few.tip.citation is not None  # the general tip still cites
    shown = results.themes[1]
    assert shown.distribution == {1: 0, 2: 0, 3: 0, 4: 3, 5: 2} and shown.mean == 4.4 and shown.spread == 1
    assert sorted(shown.quotes) == sorted(f"{SECRET_WORD} {themes[1]} {i}" for i in range(5))


def test_quotes_are_not_in_the_order_they_were_given() -> None:
    theme = default_themes()[0]
    answers = [ThemeAnswer(theme=theme, score=3, explanation=f"toelichting nummer {i:02d}") for i in range(12)]
    result = build_results(_scan([theme]), answers, 12).themes[0]
    assert sorted(result.quotes) == sorted(a.explanation for a in answers)
    assert result.quotes != [a.explanation for a in answers]
    assert result.quotes == build_results(_scan([theme]), list(reversed(answers)), 12).themes[0].quotes


def test_previous_scan_is_shown_only_where_it_could_be_shown() -> None:
    theme = default_themes()[0]
    now = _scan([theme])
    earlier = now.model_copy(update={"id": "s0", "created": now.created - dt.timedelta(days=365)})
    before = _answers({theme: [2, 2, 2, 3, 2]})
    results = build_results(now, _answers({theme: [4, 4, 4, 5, 4]}), 5, previous=(earlier, before, 5))
    assert results.previous_scan_id == "s0" and results.themes[0].previous.mean == 2.2
    hidden = earlier.model_copy(update={"revealed": False})
    results = build_results(now, _answers({theme: [4, 4, 4, 5, 4]}), 5, previous=(hidden, before, 5))
    assert results.previous_scan_id is None and results.themes[0].previous is None


def test_one_summary_of_a_theme_for_the_page_and_the_command_line() -> None:
    a, b = default_themes()[:2]
    now = _scan([a, b], lang="en")
    earlier = now.model_copy(update={"id": "s0", "created": dt.datetime(2025, 3, 1, tzinfo=dt.UTC)})
    before = _answers({a: [2, 2, 2, 3, 2], b: [3, 3, 3, 3, 3]})
    results = build_results(now, _answers({a: [4, 4, 4, 5, 4], b: [1, 5]}), 5, previous=(earlier, before, 5))
    shown, few = (summarise(r, results) for r in results.themes)
    assert shown.counts == [0, 0, 0, 4, 1] and shown.pattern == "Broad agreement, positive"
    assert shown.row.startswith(f"{results.themes[0].title}: 5 answers") and "4.20 (4–5)" in shown.row
    assert shown.distribution.endswith("1: 0 · 2: 0 · 3: 0 · 4: 4 · 5: 1")
    assert shown.previous == "Previous scan (2025-03-01): mean 2.20"
    dutch = build_results(
        _scan([a, b]), _answers({a: [4, 4, 4, 5, 4], b: [1, 5]}), 5, previous=(earlier, before, 5)
    )  # the same answers in a Dutch scan: a decimal comma and the date as the page's date fields take it
    assert "gemiddeld 4,20 (4–5)" in summarise(dutch.themes[0], dutch).row
    assert summarise(dutch.themes[0], dutch).previous == "Vorige scan (01-03-2025): gemiddeld 2,20"
    assert few.too_few and not few.row and few.counts == [] and not few.previous  # nothing about two answers


def test_sorting_most_difference_or_lowest_first() -> None:
    a, b, c = default_themes()[:3]
    results = build_results(_scan([a, b, c]), _answers({a: [4, 4, 4, 4, 4], b: [1, 5, 3, 3, 3], c: [2, 2, 2]}), 5)
    assert [t.theme for t in sort_themes(results.themes, "spread")] == [b, a, c]
    assert [t.theme for t in sort_themes(results.themes, "lowest")] == [b, a, c]
    results = build_results(_scan([a, b, c]), _answers({a: [4, 4, 4, 4, 4], b: [2, 2, 3, 3, 3], c: [2, 2, 2]}), 5)
    assert [t.theme for t in sort_themes(results.themes, "lowest")] == [b, a, c]


def test_cli_results_json_leaks_nothing_below_the_minimum(tmp_path: Path, monkeypatch) -> None:
    data = tmp_path / "data"
    monkeypatch.setenv("SLIM_DATA_DIR", str(data))
    store = GroupStore(data / "sessions.sqlite", data)
    scan = store.create(ScanSettings(network="Netwerk Oost")).scan
    store.reveal(scan.id)
    for _ in range(4):  # one short of the minimum
        person = store.new_participant()
        for theme in scan.settings.themes:
            store.save_answer(scan.id, person, ThemeAnswer(theme=theme, score=2, explanation=SECRET_WORD))
    runner = CliRunner()
    out = runner.invoke(app, ["group", "results", scan.id, "--json"])
    assert out.exit_code == 0, out.output
    payload = json.loads(out.stdout)
    assert payload["answered"] == 4 and payload["shown"] is False and payload["themes"] == []
    assert SECRET_WORD not in out.output
    text = runner.invoke(app, ["group", "results", scan.id])
    assert text.exit_code == 0 and SECRET_WORD not in text.output and "4" in text.output


# --- the store (a real file) ----------------------------------------------------------------------------------


def test_codes_secrets_and_participants(tmp_path: Path) -> None:
    store = GroupStore(tmp_path / "sessions.sqlite", tmp_path)
    created = store.create(ScanSettings(network="Netwerk Oost"))
    scan = created.scan
    assert store.by_code(format_code(scan.code).lower()).id == scan.id
    assert store.by_secret(created.secret).id == scan.id
    for wrong in ["", "ABCDE", "ZZZZZZZZZZ", scan.code[:-1] + ("2" if scan.code[-1] != "2" else "3")]:
        with pytest.raises(UnknownCodeError) as caught:
            store.by_code(wrong)
        assert "code" in caught.value.message("nl") and "code" in caught.value.message("en")
    with pytest.raises(UnknownSecretError):
        store.by_secret(scan.code)  # the join code never opens results
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("sessions.sqlite*"))
    assert created.secret.encode() not in raw
    one, two = store.new_participant(), store.new_participant()
    theme = scan.settings.themes[0]
    assert store.activity(scan.id).participants == 0 and store.activity(scan.id).last_change == ""
    store.save_answer(scan.id, one, ThemeAnswer(theme=theme, score=2, explanation="eerst"))
    first = store.activity(scan.id)
    store.save_answer(scan.id, one, ThemeAnswer(theme=theme, score=4, explanation="later"))
    changed = store.activity(scan.id)
    # a changed answer is a change the facilitator's page must see, though nobody new answered
    assert (changed.participants, changed.answers) == (first.participants, first.answers) == (1, 1)
    assert changed != first and changed.last_change > first.last_change
    store.save_answer(scan.id, two, ThemeAnswer(theme=theme, score=1))
    assert store.answers_of(scan.id, one)[theme].score == 4 and store.count(scan.id) == 2
    assert store.activity(scan.id).answers == 2
    assert store.answers_of(scan.id, store.new_participant()) == {}
    store.close(scan.id)
    with pytest.raises(ScanClosedError):
        store.save_answer(scan.id, one, ThemeAnswer(theme=theme, score=5))
    assert store.answers_of(scan.id, one)[theme].score == 4


def test_scan_results_reads_the_previous_scan_of_the_same_network(tmp_path: Path) -> None:
    store = GroupStore(tmp_path / "sessions.sqlite", tmp_path)
    theme = default_themes()[0]
    first = store.create(ScanSettings(network="Netwerk Oost", themes=[theme], min_answers=3)).scan
    second = store.create(ScanSettings(network="  netwerk   OOST ", themes=[theme], min_answers=3)).scan
    store.create(ScanSettings(network="Ander netwerk", themes=[theme], min_answers=3))
    for scan, score in ((first, 2), (second, 4)):
        store.reveal(scan.id)
        for _ in range(3):
            store.save_answer(scan.id, store.new_participant(), ThemeAnswer(theme=theme, score=score))
    assert store.previous(second).id == first.id and store.previous(first) is None
    results = scan_results(store, store.get(second.id), PROMPTS, corpus_passages())
    assert results.themes[0].mean == 4 and results.themes[0].previous.mean == 2


# --- the catalogue ----------------------------------------------------------------------------------------------


def test_every_passage_of_the_group_catalogue_resolves_in_its_section() -> None:
    passages = corpus_passages()
    for where, ref in group_catalog(PROMPTS).all_refs():
        hit = passages.passage_with(ref.section, ref.phrase)
        assert hit is not None, (where, ref)
        assert hit.section == ref.section or hit.section.startswith(ref.section + ".")


def test_catalogue_texts_speak_to_the_room_in_both_languages() -> None:
    catalog = group_catalog(PROMPTS)
    you_formal = re.compile(r"\b(u|uw)\b", re.IGNORECASE)
    for theme in catalog.themes.values():
        for tip in [*theme.tips.values()]:
            assert tip.question.nl.endswith("?") and tip.question.en.endswith("?")
            for text in (tip.text.nl, tip.question.nl, theme.case.text.nl):
                assert not you_formal.search(text), text
    for form in catalog.workforms:
        assert form.steps["nl"] and len(form.steps["nl"]) == len(form.steps["en"])


def test_an_invalid_catalogue_is_refused(tmp_path: Path) -> None:
    import shutil

    from pydantic import ValidationError

    shutil.copytree(PROMPTS, tmp_path / "prompts")
    target = tmp_path / "prompts" / "group" / "tips" / "03-proces.yaml"
    target.write_text(target.read_text(encoding="utf-8").replace("  divided:", "  verdeeld:", 1), encoding="utf-8")
    with pytest.raises(ValidationError):
        group_catalog(tmp_path / "prompts")


def test_every_coordinator_signal_has_a_short_name_in_both_languages(tmp_path: Path) -> None:
    import shutil

    catalog = group_catalog(PROMPTS)
    assert catalog.signal_names["gezamenlijk-doel"]["goal_implicit_or_vague"]("nl")
    assert all(name("nl") and name("en") for names in catalog.signal_names.values() for name in names.values())
    shutil.copytree(PROMPTS, tmp_path / "prompts")
    target = tmp_path / "prompts" / "group" / "signals.yaml"
    target.write_text(target.read_text(encoding="utf-8").replace("  layer_missing:", "  laag_weg:"), encoding="utf-8")
    with pytest.raises(ValueError, match="lerend-vermogen names exactly its coordinator signals"):
        group_catalog(tmp_path / "prompts")


class _KnownSignals(ExplanationSignals):
    """The counting rule alone: which signal each text carries is given (the real matching is tested with
    the real model in tests/integration/test_group_store.py)."""

    def __init__(self, carried: dict[str, str | None]) -> None:
        self.carried = carried
        self.chooser = type("Chooser", (), {"bank": coaching_bank(PROMPTS)})()

    def signal_of(self, theme: str, text: str) -> str | None:
        return self.carried[text]


def test_signals_are_named_from_two_explanations_on_most_first_and_only_above_the_minimum() -> None:
    theme = "gezamenlijk-doel"
    carried = {"a": "own_interests_first", "b": "goal_implicit_or_vague", "c": "goal_implicit_or_vague"}
    carried |= {"d": "own_interests_first", "e": "goal_implicit_or_vague", "f": "goal_too_abstract", "g": None}
    counter = _KnownSignals(carried)
    answers = [ThemeAnswer(theme=theme, score=2, explanation=text) for text in carried]
    answers.append(ThemeAnswer(theme=theme, score=3))  # no explanation: not counted
    results = build_results(_scan([theme]), answers, 8, catalog=group_catalog(PROMPTS), signals=counter)
    found = results.themes[0].signals
    counted = [(s.signal, s.count, s.total) for s in found]
    assert counted == [("goal_implicit_or_vague", 3, 7), ("own_interests_first", 2, 7)]
    line = summarise(results.themes[0], results).signals[0]
    assert line == "3 van 7 toelichtingen: het doel is nooit echt uitgesproken"
    few = build_results(_scan([theme], min_answers=9), answers, 9, catalog=group_catalog(PROMPTS), signals=counter)
    assert few.themes[0].pattern == "too_few" and few.themes[0].signals == []  # below the minimum: nothing


# --- the agenda --------------------------------------------------------------------------------------------------


def _shown_results(scan: Scan):
    themes = scan.settings.themes
    scores = {t: [4, 4, 5, 4, 4] for t in themes}
    scores[themes[2]] = [2, 2, 1, 2, 2]  # lowest mean
    scores[themes[4]] = [1, 5, 3, 2, 5]  # widest spread
    scores[themes[1]] = [3, 3, 2, 3, 3]  # next lowest
    return build_results(scan, _answers(scores), 5, catalog=group_catalog(PROMPTS), passages=corpus_passages())


def test_proposed_themes_are_lowest_mean_then_widest_spread() -> None:
    scan = _scan()
    themes = scan.settings.themes
    results = _shown_results(scan)
    assert propose_themes(scan, results, 2) == [themes[2], themes[4]]
    assert propose_themes(scan, results, 3) == [themes[2], themes[4], themes[1]]
    hidden = build_results(scan.model_copy(update={"revealed": False}), [], 0)
    assert propose_themes(scan, hidden, 2) == themes[:2]


@pytest.mark.parametrize("minutes", LENGTHS)
@pytest.mark.parametrize("count", [2, 3])
def test_agenda_times_add_up_and_every_block_cites(minutes: int, count: int) -> None:
    scan = _scan()
    results = _shown_results(scan)
    chosen = propose_themes(scan, results, count)
    agenda = agenda_for(scan, results, PROMPTS, corpus_passages(), minutes=minutes, themes=chosen)
    assert agenda.total == minutes == sum(b.minutes for b in agenda.blocks)
    assert [b.start for b in agenda.blocks] == [
        sum(b.minutes for b in agenda.blocks[:i]) for i in range(len(agenda.blocks))
    ]
    assert agenda.blocks[0].kind == "opening" and agenda.blocks[-1].kind == "closing"
    assert [b.theme for b in agenda.blocks if b.kind == "theme"] == chosen
    assert any(b.kind == "break" for b in agenda.blocks) == (FIXED[minutes][1] > 0)
    for block in agenda.blocks:
        if block.kind == "break":
            continue
        assert block.citations, block.id
        for citation in block.citations:
            assert citation.section and citation.text
        texts = " ".join(
            [block.text, block.evidence, block.case] + [f"[{a.citation.n}]" for a in block.actions if a.citation]
        )
        assert {int(n) for n in re.findall(r"\[(\d+)\]", texts)} == {c.n for c in block.citations}, block.id
    for block in (b for b in agenda.blocks if b.kind == "theme"):
        assert block.work_form and block.work_form.minutes <= block.minutes
        assert 2 <= len(block.questions) <= 3 and block.evidence and block.case
    closing = agenda.blocks[-1]
    assert closing.actions and all(a.citation and a.citation.section.startswith("7") for a in closing.actions)
    assert agenda_for(scan, results, PROMPTS, corpus_passages(), minutes=minutes, themes=chosen) == agenda


def test_agenda_markdown_carries_times_questions_and_citations() -> None:
    scan = _scan()
    agenda = agenda_for(scan, _shown_results(scan), PROMPTS, corpus_passages(), minutes=90)
    text = agenda_markdown(agenda)
    assert "## 0:00 " in text and "(90 min)" in text and "**Werkvorm" in text and "> [1] §" in text
    assert "Wie: …" in text and SECRET_WORD not in text


def test_agenda_refuses_what_it_cannot_build() -> None:
    scan = _scan()
    results = _shown_results(scan)
    for kwargs in ({"minutes": 45}, {"themes": [scan.settings.themes[0]]}, {"themes": ["structuur", "cultuur"]}):
        with pytest.raises(AgendaError):
            agenda_for(scan, results, PROMPTS, None, **kwargs)


def test_editing_keeps_the_length_and_re_times() -> None:
    scan = _scan()
    agenda = agenda_for(scan, _shown_results(scan), PROMPTS, corpus_passages(), minutes=120)
    themes = [b.id for b in agenda.blocks if b.kind == "theme"]
    moved = move_block(agenda, themes[-1], 1)
    assert moved.blocks[1].id == themes[-1] and moved.total == 120 and moved.blocks[1].start == moved.blocks[0].minutes
    shorter = remove_block(agenda, themes[0])
    assert themes[0] not in [b.id for b in shorter.blocks] and shorter.total == 120
    assert shorter.themes == [t.removeprefix("theme:") for t in themes[1:]]
    longer_opening = set_minutes(agenda, "opening", 20)
    assert longer_opening.blocks[0].minutes == 20 and longer_opening.total == 120
    free = set_minutes(agenda, "opening", 20, keep_length=False)
    assert free.total == free.minutes == 130
    with pytest.raises(AgendaError):
        set_minutes(agenda, "opening", 110)
    assert share(65, 3) == [25, 20, 20] and share(47, 2) == [27, 20] and sum(share(125, 3)) == 125


def test_anonymity_closing_date_and_agreements(tmp_path: Path) -> None:
    from assistant.group.errors import AnonymityLockedError
    from assistant.group.models import Agreement

    store = GroupStore(tmp_path / "sessions.sqlite", tmp_path)
    scan = store.create(ScanSettings(network="Netwerk Oost")).scan
    assert not store.set_anonymous(scan.id, False).settings.anonymous  # nobody answered yet
    assert store.set_anonymous(scan.id, True).settings.anonymous
    theme = scan.settings.themes[0]
    store.save_answer(scan.id, store.new_participant(), ThemeAnswer(theme=theme, score=3))
    with pytest.raises(AnonymityLockedError):
        store.set_anonymous(scan.id, False)
    past = ScanSettings(network="Netwerk Oost", closes_at=dt.datetime(2020, 1, 1))
    closed = store.create(past).scan
    assert closed.is_closed() and closed.settings.closes_at.tzinfo is not None
    with pytest.raises(ScanClosedError):
        store.save_answer(closed.id, store.new_participant(), ThemeAnswer(theme=theme, score=3))
    first = store.add_agreement(scan.id, Agreement(action="Doel op één A4", owner="Anna", due=dt.date(2027, 3, 1)))
    store.add_agreement(scan.id, Agreement(action="Rondje na elke bijeenkomst"))
    assert [a.action for a in store.agreements(scan.id)] == ["Doel op één A4", "Rondje na elke bijeenkomst"]
    assert store.agreements(scan.id)[0].due == dt.date(2027, 3, 1)
    assert store.remove_agreement(scan.id, first.id) and len(store.agreements(scan.id)) == 1
    assert [s.id for s in store.list()] == [closed.id, scan.id]


def test_anonymity_off_shows_names_with_answers_only_to_the_facilitator_and_only_above_the_minimum(
    tmp_path: Path, monkeypatch
) -> None:
    """Anonymity off (before anyone answered): each participant's name with their score and explanation,
    by name, in the results, the results PDF and their JSON; still nothing below the minimum. Switched
    on again, the names are deleted."""
    from assistant.group.errors import AnonymousScanError
    from assistant.group.export import results_pdf
    from tests.unit.test_group_export import _pdf_text

    monkeypatch.setenv("SLIM_DATA_DIR", str(tmp_path))
    store = GroupStore(tmp_path / "sessions.sqlite", tmp_path)
    theme = default_themes()[0]
    scan = store.create(ScanSettings(network="Netwerk Oost", themes=[theme], min_answers=3, anonymous=False)).scan
    people = {"Bram": (2, "Te vaag."), "Anna": (4, "Helder doel."), "": (3, "")}
    for name, (score, why) in people.items():
        person = store.new_participant()
        store.set_name(scan.id, person, f"  {name} ")
        if name == "Anna":
            assert store.name_of(scan.id, person) == "Anna"  # a reload fills the field again
        store.save_answer(scan.id, person, ThemeAnswer(theme=theme, score=score, explanation=why))
        if name == "Bram":
            assert not scan_results(store, store.reveal(scan.id), PROMPTS, None).shown  # two short
    results = scan_results(store, store.get(scan.id), PROMPTS, None)
    named = results.themes[0].named
    assert [(a.name, a.score) for a in named] == [("Anna", 4), ("Bram", 2), ("", 3)] and results.themes[0].quotes == []
    assert [named_line(a, "nl") for a in named] == ["Anna (4): Helder doel.", "Bram (2): Te vaag.", "zonder naam (3)"]
    pdf = _pdf_text(results_pdf(results))
    assert "Antwoorden met naam" in pdf and "Bram (2): Te vaag." in pdf
    assert json.loads(results.model_dump_json())["themes"][0]["named"][0]["name"] == "Anna"  # what --json prints
    store.set_anonymous(scan.id, True)  # on again: the names go, the quotes come back shuffled
    results = scan_results(store, store.get(scan.id), PROMPTS, None)
    assert results.themes[0].named == [] and sorted(results.themes[0].quotes) == ["Helder doel.", "Te vaag."]
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("sessions.sqlite*"))
    assert b"Bram" not in raw
    with pytest.raises(AnonymousScanError) as caught:
        store.set_name(scan.id, store.new_participant(), "Carla")
    assert "anoniem" in caught.value.message("nl") and "anonymous" in caught.value.message("en")


def test_cli_create_named_makes_a_scan_that_is_not_anonymous(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SLIM_DATA_DIR", str(tmp_path))
    runner = CliRunner()
    named = runner.invoke(app, ["group", "create", "--network", "Oost", "--named", "--json"])
    anonymous = runner.invoke(app, ["group", "create", "--network", "West", "--json"])
    assert json.loads(named.stdout)["scan"]["settings"]["anonymous"] is False
    assert json.loads(anonymous.stdout)["scan"]["settings"]["anonymous"] is True


def test_deleting_a_named_scan_deletes_the_names(tmp_path: Path) -> None:
    store = GroupStore(tmp_path / "sessions.sqlite", tmp_path)
    scan = store.create(ScanSettings(network="Netwerk Oost", anonymous=False)).scan
    person = store.new_participant()
    store.set_name(scan.id, person, "Zwaluwstaartnaam")
    store.save_answer(scan.id, person, ThemeAnswer(theme=scan.settings.themes[0], score=3))
    assert store.delete(scan.id)
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("sessions.sqlite*"))
    assert b"Zwaluwstaartnaam" not in raw


def test_a_changed_name_is_activity_the_facilitators_page_follows(tmp_path: Path) -> None:
    """A scan that is not anonymous shows each answer with its name: a participant who answered and then
    corrects their name moves ``activity``, so the live page reruns and shows the new name. A name given
    before any answer shows nowhere yet and moves nothing."""
    store = GroupStore(tmp_path / "sessions.sqlite", tmp_path)
    scan = store.create(ScanSettings(network="Netwerk Oost", anonymous=False, min_answers=3)).scan
    theme = scan.settings.themes[0]
    person, later = store.new_participant(), store.new_participant()
    store.set_name(scan.id, person, "Anna")
    store.save_answer(scan.id, person, ThemeAnswer(theme=theme, score=4))
    before = store.activity(scan.id)
    store.set_name(scan.id, later, "Bram")  # no answer yet: nothing on the facilitator's page changes
    assert store.activity(scan.id) == before
    store.set_name(scan.id, person, "Anna de Vries")
    renamed = store.activity(scan.id)
    assert renamed != before and renamed.last_change > before.last_change
    assert (renamed.participants, renamed.answers) == (before.participants, before.answers) == (1, 1)
    assert [a.name for a in store.named_answers(scan.id)] == ["Anna de Vries"]
    store.set_name(scan.id, person, "")  # forgetting the name is a change too
    assert store.activity(scan.id) != renamed and [a.name for a in store.named_answers(scan.id)] == [""]


def test_links_follow_the_address_the_app_was_reached_at_unless_one_is_set() -> None:
    """An app on another port (``make run PORT=8601``) hands out links and a QR code that open; a set
    ``SLIM_PUBLIC_URL`` (a workshop on the local network) wins."""
    from assistant.config import Settings
    from assistant.group.links import join_url, reachable

    seen = "http://127.0.0.1:8601/groepsscan?foo=1"
    assert join_url(reachable(Settings(), seen), "ABC") == "http://127.0.0.1:8601/groepsscan?code=ABC"
    assert join_url(reachable(Settings(), None), "ABC") == "http://127.0.0.1:8501/groepsscan?code=ABC"
    workshop = Settings(public_url="http://192.168.1.20:8501")
    assert join_url(reachable(workshop, seen), "ABC") == "http://192.168.1.20:8501/groepsscan?code=ABC"
