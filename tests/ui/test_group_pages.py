"""The group scan's pages through AppTest: the fill-in page by join code (saved at each step, a wrong code
says so and shows nothing else, the join code never opens results), and the facilitator page (count only
until revealed and the minimum is reached). The browser test (tests/e2e/test_group_browser.py) covers
the whole flow in Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from assistant.config import PROJECT_ROOT, Settings
from assistant.group.links import join_url
from assistant.group.models import ScanSettings, ThemeAnswer
from assistant.group.store import GroupStore, format_code
from assistant.i18n import t
from tests.helpers.group import LOST_THEME, lose_a_theme

APP = str(PROJECT_ROOT / "ui" / "app.py")


@pytest.fixture(autouse=True)
def _fresh_services() -> None:
    import streamlit as st

    st.cache_resource.clear()


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A participant's page needs no index: it opens none."""
    monkeypatch.setenv("SLIM_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SLIM_LLM", "none")
    return tmp_path


@pytest.fixture
def indexed(data: Path, corpus_data_dir: Path) -> Path:
    """The facilitator's tips cite the report: the tests' shared index, linked."""
    (data / "chroma").symlink_to(corpus_data_dir / "chroma", target_is_directory=True)
    return data


def store_of(data: Path) -> GroupStore:
    return GroupStore.open(Settings(data_dir=data))


def page(**params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for name, value in params.items():
        at.query_params[name] = value
    at.run()
    assert not at.exception, at.exception
    return at


def shown(at: AppTest) -> str:
    parts = [e.value for kind in ("title", "markdown", "caption", "info", "success", "warning", "error")
             for e in getattr(at, kind)]  # fmt: skip
    return "\n".join(str(p) for p in parts)


def test_a_participant_fills_in_and_a_reload_keeps_the_answers(data: Path) -> None:
    store = store_of(data)
    created = store.create(
        ScanSettings(network="Netwerk Zuid", themes=["gezamenlijk-doel", "waardecreatie"], min_answers=3)
    )
    at = page(code=format_code(created.scan.code).lower())  # typed as read aloud: case and dash do not matter
    assert "Groepsscan: Netwerk Zuid" in shown(at)
    token = at.query_params["p"]
    assert token and not at.sidebar.children
    key = f"{token}-gezamenlijk-doel"
    at.radio(key=f"score-{key}").set_value(4).run()
    assert store.answers_of(created.scan.id, token)["gezamenlijk-doel"].score == 4  # saved at once, no submit button
    at.text_area(key=f"why-{key}").input("We weten waarom we er zijn.").run()
    assert store.answers_of(created.scan.id, token)["gezamenlijk-doel"].explanation == "We weten waarom we er zijn."
    assert at.text_area(key=f"example-{token}-waardecreatie")  # value creation asks for an example
    assert not [w for w in at.text_input if w.key.startswith("name-")]  # an anonymous scan asks no name
    again = page(code=created.scan.code, p=token)  # a reload: a fresh browser session, same address
    assert again.radio(key=f"score-{key}").value == 4
    assert again.text_area(key=f"why-{key}").value == "We weten waarom we er zijn."
    next(b for b in again.button if b.label == "Volgende deelnemer").click().run()
    fresh = again.query_params["p"]
    assert fresh != token and again.radio(key=f"score-{fresh}-gezamenlijk-doel").value is None


def test_a_wrong_code_gets_a_clear_message_and_nothing_else(data: Path) -> None:
    store_of(data).create(ScanSettings(network="Netwerk Zuid", themes=["gezamenlijk-doel"], min_answers=3))
    at = page(code="ZZZZZ-ZZZZZ")
    assert len(at.error) == 1 and not at.radio and not at.text_area and not at.button
    assert not at.title


def test_the_join_code_never_opens_results(data: Path) -> None:
    store = store_of(data)
    created = store.create(ScanSettings(network="Netwerk Zuid", themes=["gezamenlijk-doel"], min_answers=3))
    at = page(beheer=created.scan.code)
    assert len(at.error) == 1 and not at.metric and "Netwerk Zuid" not in shown(at)


def test_a_theme_that_left_the_question_bank_is_skipped_and_named(data: Path) -> None:
    """A scan made before the question bank lost a theme: the participant fills in the rest, the facilitator
    is told which theme is skipped."""
    store = store_of(data)
    created = store.create(ScanSettings(network="Netwerk Zuid", themes=["gezamenlijk-doel"], min_answers=3))
    lose_a_theme(store, created.scan.id)
    at = page(code=created.scan.code)
    token = at.query_params["p"]
    assert at.radio(key=f"score-{token}-gezamenlijk-doel") and LOST_THEME not in shown(at)
    assert at.get("progress")[0].proto.text == "0 van 1 thema's ingevuld"
    facilitator = page(beheer=created.secret)
    assert f"thema's die SLIM niet meer kent: {LOST_THEME}" in "\n".join(w.value for w in facilitator.warning)


def test_the_facilitator_sees_only_the_count_until_revealed_and_enough(indexed: Path) -> None:
    store = store_of(indexed)
    created = store.create(
        ScanSettings(
            network="Netwerk Zuid", themes=["gezamenlijk-doel", "lerend-vermogen", "waardecreatie"], min_answers=3
        )
    )
    scan_id = created.scan.id
    for score in (2, 4):
        store.save_answer(
            scan_id, store.new_participant(), ThemeAnswer(theme="gezamenlijk-doel", score=score, explanation="geheim")
        )
    at = page(beheer=created.secret)
    assert at.metric[0].value == "2"
    # the join link and QR code stay at hand on the facilitator's page, for the beamer, while people fill in
    assert [c.value for c in at.code] == [join_url(Settings(data_dir=indexed), created.scan.code)]
    assert format_code(created.scan.code) in shown(at)
    next(b for b in at.button if b.label == "Toon resultaten").click().run()
    assert "minstens 3" in shown(at) and "geheim" not in shown(at) and "Verdeling" not in shown(at)
    store.save_answer(
        scan_id, store.new_participant(), ThemeAnswer(theme="gezamenlijk-doel", score=5, explanation="geheim")
    )
    at = page(beheer=created.secret)
    text = shown(at)
    assert at.metric[0].value == "3" and "Verdeling (score: aantal) — 1: 0 · 2: 1 · 3: 0 · 4: 1 · 5: 1" in text
    assert "gemiddeld 3,67 (2–5)" in text  # a Dutch scan: a decimal comma
    # the results' and the agenda's files; a click does not rerun the live page (it would lose a file built
    # on the click, and the button would stay greyed out)
    downloads = at.get("download_button")
    assert len(downloads) == 5 and all(d.proto.ignore_rerun for d in downloads)
    assert sum(bool(d.proto.deferred_file_id) for d in downloads) == 3  # the PDFs and the Word file


def test_the_facilitator_switches_anonymity_off_only_before_anyone_answered(data: Path) -> None:
    store = store_of(data)
    created = store.create(ScanSettings(network="Netwerk Zuid", themes=["gezamenlijk-doel"], min_answers=3))
    at = page(beheer=created.secret)
    at.toggle(key="group-anonymity").set_value(False).run()
    assert not store.get(created.scan.id).settings.anonymous
    at.toggle(key="group-anonymity").set_value(True).run()
    store.save_answer(created.scan.id, store.new_participant(), ThemeAnswer(theme="gezamenlijk-doel", score=3))
    at = page(beheer=created.secret)
    assert at.toggle(key="group-anonymity").value and at.toggle(key="group-anonymity").disabled


def test_without_anonymity_the_participant_gives_a_name_and_the_facilitator_sees_it(indexed: Path) -> None:
    store = store_of(indexed)
    created = store.create(
        ScanSettings(network="Netwerk Zuid", themes=["gezamenlijk-doel"], min_answers=3, anonymous=False)
    )
    scan_id = created.scan.id
    at = page(code=created.scan.code)
    token = at.query_params["p"]
    assert "ziet je naam" in shown(at)
    at.text_input(key=f"name-{token}").input("Anna").run()
    at.radio(key=f"score-{token}-gezamenlijk-doel").set_value(4).run()
    at.text_area(key=f"why-{token}-gezamenlijk-doel").input("Helder doel.").run()
    assert store.name_of(scan_id, token) == "Anna"
    assert page(code=created.scan.code, p=token).text_input(key=f"name-{token}").value == "Anna"  # a reload
    for score in (2, 3):
        store.save_answer(scan_id, store.new_participant(), ThemeAnswer(theme="gezamenlijk-doel", score=score))
    store.reveal(scan_id)
    facilitator = page(beheer=created.secret)
    named = [e for e in facilitator.expander if e.label == t("group.named_answers", "nl")]
    lines = [m.value for m in named[0].markdown] if named else []
    assert "Anna (4): Helder doel." in lines and "zonder naam (2)" in lines


def test_the_agenda_says_when_answers_came_in_after_it_was_made(indexed: Path) -> None:
    """The agenda keeps the facilitator's edits, so new answers do not rebuild it by themselves: the page
    says its figures are older, and rebuilding takes the new ones."""
    store = store_of(indexed)
    created = store.create(ScanSettings(network="Netwerk Zuid", themes=["gezamenlijk-doel", "proces"], min_answers=3))
    scan_id = created.scan.id
    for score in (2, 3, 4):
        person = store.new_participant()
        for theme in ("gezamenlijk-doel", "proces"):
            store.save_answer(scan_id, person, ThemeAnswer(theme=theme, score=score))
    store.reveal(scan_id)
    at = page(beheer=created.secret)
    outdated = t("group.agenda_outdated", "nl")
    assert "90 van 90 minuten ingepland" in shown(at) and outdated not in shown(at)
    store.save_answer(scan_id, store.new_participant(), ThemeAnswer(theme="proces", score=1))
    at.run()
    assert outdated in shown(at)
    next(b for b in at.button if b.label == t("group.agenda_rebuild", "nl")).click().run()
    assert outdated not in shown(at) and "90 van 90 minuten ingepland" in shown(at)
