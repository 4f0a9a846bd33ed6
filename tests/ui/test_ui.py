"""The app's page logic through Streamlit's AppTest, on the real index (no language model: the page,
not the model, is under test here; the browser tests in tests/test_browser.py cover the rest)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from assistant.config import PROJECT_ROOT
from tests.helpers.files import write_pdf

APP = str(PROJECT_ROOT / "ui" / "app.py")
DOC = ":material/description:"  # how the sidebar marks a person's document


@pytest.fixture(autouse=True)
def _fresh_services() -> None:
    """`services()` is cached per process, as in the app: each test's app must open its own data directory."""
    import streamlit as st

    st.cache_resource.clear()


@pytest.fixture
def app(corpus_data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    (tmp_path / "chroma").symlink_to(corpus_data_dir / "chroma", target_is_directory=True)
    monkeypatch.setenv("SLIM_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SLIM_LLM", "none")
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception
    return at


def texts(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown) + "\n".join(c.value for c in at.caption)


def test_start_screen_in_dutch_and_english(app: AppTest) -> None:
    assert app.title[0].value.startswith("SLIM")
    assert "Alles blijft op deze computer" in app.info[0].value
    assert [str(o) for o in app.radio(key="role").options][0].startswith("Coördinator")
    app.sidebar.radio(key="lang").set_value("en").run()
    assert "Everything stays on this computer" in app.info[0].value
    assert app.button[1].label in {"Start the reflection", "New session"} or "Start the reflection" in [
        b.label for b in app.button
    ]


def test_a_route_through_answer_follow_up_and_self_assessment(app: AppTest) -> None:
    app.radio(key="role").set_value("board").run()
    app.selectbox(key="route").set_value("zelfreflectie-bestuur").run()
    next(b for b in app.button if b.label == "Start de reflectie").click().run()
    assert not app.exception
    page = texts(app)
    assert "Thema 1 van 5: Gezamenlijk doel" in page and "Vraag:" in page
    assert any(e.label.startswith("Bronnen (") for e in app.expander)
    assert "Thema 1 van 5: Gezamenlijk doel" in "\n".join(c.value for c in app.sidebar.caption)

    app.chat_input(key="answer").set_value("Ons doel is impliciet; het bestuur bespreekt het nooit.").run()
    page = texts(app)
    from assistant.coaching import coaching_bank

    bank = coaching_bank(PROJECT_ROOT / "prompts")
    replies = [bank.neutral("gezamenlijk-doel", "board"), *bank.signals("gezamenlijk-doel", "board")]
    assert any(r.reflection("nl").split(" [1]")[0][:60] in page for r in replies)  # the bank's text, not a guess
    assert "Om verder te denken:" in page
    labels = {b.label for b in app.button}
    assert "Past niet? Andere invalshoek" in labels
    assert "Verdiep" not in labels  # one follow-up per question by default: nothing deeper to ask

    next(b for b in app.button if b.label == "Volgende vraag").click().run()
    radio = next(r for r in app.radio if r.label == "Kies een niveau")
    assert len(radio.options) == 5 and "Impliciet" in str(radio.options[1])
    radio.set_value(2)
    next(b for b in app.button if b.label == "Bevestig").click().run()
    page = texts(app)
    assert "Genoteerd: 2 (Impliciet)." in page and "Thema 2 van 5: Leiderschap" in page


def test_ask_the_report_mode_answers_with_sources(app: AppTest) -> None:
    next(b for b in app.button if b.label == "Vraag het rapport").click().run()
    app.chat_input(key="ask").set_value("Wat is stralend falen?").run()
    assert not app.exception
    page = texts(app)
    # the extractive answer quotes the sentences that answer, so which passage it cites first may vary
    assert "Dit staat er in de bronnen:" in page and re.search(r"“[^”]+” \[\d\]", page)
    assert any(e.label.startswith("Bronnen (") for e in app.expander)


def test_summary_with_charts_and_downloads(app: AppTest) -> None:
    app.selectbox(key="route").set_value("__free__").run()
    app.multiselect(key="themes").set_value(["gezamenlijk-doel", "cultuur", "waardecreatie"]).run()
    next(b for b in app.button if b.label == "Start de reflectie").click().run()
    contact = (
        "Vooral nieuwe contacten: na de bijeenkomst maakte de buurtsportcoach meteen een afspraak met de huisarts."
    )
    for answer, score in [("We kennen ons doel niet goed.", 2), ("Fouten mogen hier.", 4), (contact, 2)]:
        app.chat_input(key="answer").set_value(answer).run()
        next(b for b in app.button if b.label == "Volgende vraag").click().run()
        next(r for r in app.radio if r.label == "Kies een niveau").set_value(score)
        next(b for b in app.button if b.label == "Bevestig").click().run()
        if any(r.label == "Kies een niveau" for r in app.radio):  # far from what was said: noted once
            next(r for r in app.radio if r.label == "Kies een niveau").set_value(score)
            next(b for b in app.button if b.label == "Bevestig").click().run()
    assert not app.exception
    assert any([str(o) for o in r.options] == ["Samenvatting", "Gesprek"] for r in app.radio)
    page = texts(app)
    assert "Samenvatting van je reflectie" in page and "Onmiddellijke waarde (voorstel)" in page
    assert len(app.get("image")) >= 2  # radar chart and value ladder
    labels = [d.label for d in app.get("download_button")]
    assert labels == ["Download Markdown", "Download PDF", "Download JSON"]
    assert all(d.proto.ignore_rerun for d in app.get("download_button"))  # a download does not rerun the page
    assert [bool(d.proto.deferred_file_id) for d in app.get("download_button")] == [False, True, False]  # PDF on click
    # a small control per proposed value cycle: the person corrects it, and the summary says so
    choice = app.selectbox(key="cycle-waardecreatie-0")
    assert choice.value == 1 and choice.options[-1] == "Geen van deze"
    choice.set_value(4)
    app.button(key="cycle-ok-waardecreatie-0").click().run()
    assert not app.exception
    assert "Gerealiseerde waarde (door jou bevestigd)" in texts(app)


def test_study_view_shows_the_frameworks_with_their_passages(app: AppTest) -> None:
    next(b for b in app.button if b.label == "Kaders bekijken").click().run()
    assert not app.exception
    headings = [s.value for s in app.subheader]
    assert any("Salignac" in h for h in headings) and any("Waardecycli" in h for h in headings)
    labels = [e.label for e in app.expander]
    assert any(label.startswith("Transformatieve waarde — §3.3") for label in labels)
    assert "herdefiniëren van succes" in "\n".join(m.value for m in app.markdown)


@pytest.fixture
def private_data(corpus_data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the corpus index that people's uploads may write to."""
    shutil.copytree(corpus_data_dir / "chroma", tmp_path / "chroma")
    monkeypatch.setenv("SLIM_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SLIM_LLM", "none")
    return tmp_path


def _person(key: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["u"] = key
    at.run()
    assert not at.exception
    return at


def _upload(at: AppTest, name: str, data: bytes) -> None:
    at.sidebar.file_uploader[0].upload(name, data).run()
    assert not at.exception, (name, [e.stack_trace for e in at.exception])


def _ask(at: AppTest, question: str) -> str:
    next(b for b in at.button if b.label == "Vraag het rapport").click().run()
    at.chat_input(key="ask").set_value(question).run()
    assert not at.exception
    return texts(at)


def test_uploads_are_private_and_a_broken_one_changes_nothing(private_data: Path, tmp_path: Path) -> None:
    anna, bram = _person("anna-" + "a" * 20), _person("bram-" + "b" * 20)
    plan = write_pdf(tmp_path / "plan.pdf", ["Inleiding.", "De penningmeester van ons netwerk is Anouk de Vries."])
    _upload(anna, "plan.pdf", plan.read_bytes())
    assert [s.value for s in anna.sidebar.success] == ["plan.pdf toegevoegd: 2 passages."]
    assert [c.value for c in anna.sidebar.caption if c.value.startswith(DOC)] == [f"{DOC} plan.pdf · 2 passages, 2 p."]

    _upload(anna, "kapot.pdf", b"%PDF-1.7 half")
    assert any("kapot.pdf is beschadigd" in e.value for e in anna.sidebar.error)
    assert [c.value for c in anna.sidebar.caption if c.value.startswith(DOC)] == [f"{DOC} plan.pdf · 2 passages, 2 p."]

    page = _ask(anna, "Wie is de penningmeester van het netwerk?")
    assert "Anouk de Vries" in page and "plan.pdf" in page, page

    # Bram, in the same process at the same time, sees neither the document nor Anna's session
    bram.run()
    assert not [c.value for c in bram.sidebar.caption if c.value.startswith(DOC)]
    assert "Anouk de Vries" not in _ask(bram, "Wie is de penningmeester van het netwerk?")
    assert len(bram.sidebar.selectbox) == 1  # his own session only
    anna.run()
    assert len(anna.sidebar.selectbox[0].options) == 1
    assert bram.sidebar.selectbox[0].value != anna.sidebar.selectbox[0].value


def test_every_hostile_file_gets_its_message_in_the_app_and_changes_nothing(private_data: Path, tmp_path: Path) -> None:
    from tests.integration.test_documents import HOSTILE

    person = _person("carla-" + "c" * 20)
    plan = write_pdf(tmp_path / "plan.pdf", ["De penningmeester van ons netwerk is Anouk de Vries."])
    _upload(person, "plan.pdf", plan.read_bytes())
    listed = [c.value for c in person.sidebar.caption if c.value.startswith(DOC)]
    for name, make, dutch, _ in HOSTILE:
        if name.endswith(".xlsx"):  # the upload field only offers PDF, DOCX, MD and TXT (Streamlit checks it)
            continue
        _upload(person, name, make(tmp_path / name).read_bytes())
        errors = [e.value for e in person.sidebar.error]
        assert len(errors) == 1 and dutch in errors[0], (name, errors)
        assert [c.value for c in person.sidebar.caption if c.value.startswith(DOC)] == listed, name
    assert "Anouk de Vries" in _ask(person, "Wie is de penningmeester van het netwerk?")


def test_a_bug_shows_a_sentence_not_a_traceback_and_keeps_the_answer(
    app: AppTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from typer.testing import CliRunner

    import assistant.reflection.nodes as nodes
    from assistant.cli import app as cli

    def broken(*args, **kwargs):
        raise RuntimeError("a bug in the reflection step")

    monkeypatch.setattr(nodes, "_reflection_text", broken)
    monkeypatch.setattr(nodes, "_bank_reflection", broken)
    app.radio(key="role").set_value("board").run()
    next(b for b in app.button if b.label == "Start de reflectie").click().run()
    app.chat_input(key="answer").set_value("Bij ons kent niemand het doel.").run()
    assert not app.exception
    assert [e.value for e in app.error] == [
        "Er ging iets mis in SLIM. Wat je eerder schreef is bewaard: herlaad de pagina en ga verder waar je was."
    ]
    (session,) = json.loads(CliRunner().invoke(cli, ["sessions", "list", "--json"]).output)
    assert "Bij ons kent niemand het doel." in CliRunner().invoke(cli, ["sessions", "export", session["id"]]).output


def _issued(data_dir: Path) -> tuple[str, str]:
    """A page key as the app issues it, and the id it stands for."""
    from assistant.config import Settings
    from assistant.sessions import issue_key

    return issue_key(Settings(data_dir=data_dir))


def _own_data(corpus_data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    """A data directory of its own with the report's index, no model, and a page key issued in it."""
    (tmp_path / "chroma").symlink_to(corpus_data_dir / "chroma", target_is_directory=True)
    monkeypatch.setenv("SLIM_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SLIM_LLM", "none")
    return _issued(tmp_path)


def _finished_route(
    data_dir: Path, owner: str, score: int, skipped: tuple[str, ...] = (), themes: list[str] | None = None
) -> str:
    """A finished session of the coordinator's route (or of the ``themes`` chosen), every theme scored
    ``score`` but the ``skipped``."""
    from assistant.config import Settings
    from assistant.index import open_index
    from assistant.llm import LanguageModel
    from assistant.reflection.engine import ReflectionEngine
    from assistant.retrieve import Retriever

    settings = Settings(data_dir=data_dir, llm="none")
    engine = ReflectionEngine(
        settings, Retriever(open_index(settings), settings.prompts_dir), LanguageModel("none", None)
    )
    route = None if themes else "strategiesessie"
    view = engine.start("coordinator", "nl", route_id=route, themes=themes, owner=owner, title=f"Sessie {score}")
    while view.waiting_for != "free":
        view = engine.send(view.info.id, {"type": "answer", "text": "We leren vooral van elkaars fouten."})
        view = engine.send(view.info.id, {"type": "next"})
        if view.themes[view.theme_index] in skipped:
            view = engine.send(view.info.id, {"type": "skip"})
            continue
        view = engine.send(view.info.id, {"type": "score", "value": score})
        if view.waiting_for == "score":  # the guide noted the answer pointed elsewhere: the score stays
            view = engine.send(view.info.id, {"type": "score", "value": score})
    scored = [theme for theme in view.themes if theme not in skipped]
    assert engine.finished_scores(owner)[view.info.id] == dict.fromkeys(scored, score)
    return view.info.id


def test_a_later_session_is_laid_beside_an_earlier_one(
    corpus_data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import assistant.summary as summary

    key, person = _own_data(corpus_data_dir, tmp_path, monkeypatch)
    earlier = _finished_route(tmp_path, person, 2)
    later = _finished_route(tmp_path, person, 4)
    _finished_route(tmp_path, _issued(tmp_path)[1], 5)  # someone else's: never offered to this person
    drawn: list[list[tuple[str, dict[str, int]]]] = []
    real = summary.radar_png
    monkeypatch.setattr(summary, "radar_png", lambda series, titles: drawn.append(series) or real(series, titles))

    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["u"] = key
    at.run()
    at.selectbox(key="session_pick").set_value(later).run()
    next(b for b in at.button if b.label == "Hervat").click().run()
    compare = at.selectbox(key="compare")
    assert [str(o).split(" (")[0] for o in compare.options] == ["(geen)", "Sessie 2"]  # not the other person's
    assert all(len(series) == 1 for series in drawn)
    drawn.clear()
    compare.set_value(earlier).run()
    assert not at.exception
    (both,) = [series for series in drawn if len(series) == 2]  # on the page (the PDF keeps to this session)
    assert [label for label, _ in both] == ["Sessie 4", "Sessie 2"]
    assert set(both[0][1].values()) == {4} and set(both[1][1].values()) == {2}


def test_a_skipped_theme_is_left_out_of_the_radar_and_named_under_it(
    corpus_data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Drawn at 0, a theme the person did not rate read as the lowest score."""
    import assistant.summary as summary

    key, person = _own_data(corpus_data_dir, tmp_path, monkeypatch)
    session = _finished_route(tmp_path, person, 3, skipped=("proces",))
    axes: list[list[str]] = []
    real = summary.radar_png
    monkeypatch.setattr(summary, "radar_png", lambda series, titles: axes.append(list(titles)) or real(series, titles))

    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["u"] = key
    at.run()
    at.selectbox(key="session_pick").set_value(session).run()
    next(b for b in at.button if b.label == "Hervat").click().run()
    assert not at.exception
    (drawn,) = axes
    assert "Proces" not in drawn and len(drawn) == 4, drawn
    assert "Niet beoordeeld, dus niet in de radar: Proces." in [c.value for c in at.caption]
    at.sidebar.radio(key="lang").set_value("en").run()
    assert "Not rated, so not in the radar: Proces." in [c.value for c in at.caption]  # the session's title


def test_only_keys_slim_issued_open_a_space(app: AppTest) -> None:
    """A made-up key (long enough, but never issued) gets a fresh one; an issued key keeps working across
    reruns and in a new browser session with the bookmark."""
    made_up = "aaaaaaaaaaaaaaaa"
    at = _person(made_up)
    key = at.query_params["u"]
    assert key != made_up and len(key) >= 22
    next(b for b in at.button if b.label == "Vraag het rapport").click().run()
    at.run()
    assert at.query_params["u"] == key and len(at.sidebar.selectbox[0].options) == 1
    assert len(_person(key).sidebar.selectbox[0].options) == 1  # the bookmark brings them back
    someone = _person(made_up)
    assert someone.query_params["u"] not in (made_up, key)
    assert "Nog geen sessies." in [c.value for c in someone.sidebar.caption]


def test_a_damaged_sessions_database_leaves_the_rest_of_the_app_working(private_data: Path, tmp_path: Path) -> None:
    (private_data / "sessions.sqlite").write_bytes(b"\x00garbage header\x00" * 256)
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception and at.title[0].value.startswith("SLIM")
    (message,) = [e.value for e in at.sidebar.error]
    assert "sessiedatabase is beschadigd" in message and "slim doctor" in message
    assert not [e.value for e in at.main.error]  # no "Er ging iets mis" over the page
    buttons = {b.label: b for b in at.button}
    assert buttons["Start de reflectie"].disabled and buttons["Vraag het rapport"].disabled

    _upload(at, "notulen.md", b"# Notulen\n\nDe penningmeester is Anouk de Vries.\n")
    assert [s.value for s in at.sidebar.success] == ["notulen.md toegevoegd: 1 passage."]
    next(b for b in at.button if b.label == "Kaders bekijken").click().run()
    assert not at.exception and any("Salignac" in s.value for s in at.subheader)
    at.sidebar.radio(key="lang").set_value("en").run()
    assert "sessions database is damaged" in at.sidebar.error[0].value


def test_an_upload_with_a_long_name_in_utf16_is_kept_and_said_how_it_was_read(private_data: Path) -> None:
    """A name over 255 bytes used to crash the page; a UTF-16 file used to be refused as binary."""
    person = _person("dirk-" + "d" * 20)
    name = "verslag-" + "ë" * 150 + ".txt"
    _upload(person, name, b"\xff\xfe" + "De penningmeester is Anouk de Vries.\n".encode("utf-16-le"))
    [message] = [s.value for s in person.sidebar.success]
    assert "toegevoegd: 1 passage." in message and "Gelezen als UTF-16 LE, niet als UTF-8." in message, message
    [listed] = [c.value for c in person.sidebar.caption if c.value.startswith(DOC)]
    assert "verslag" in listed and "txt" in listed


def test_the_page_key_and_the_sessions_survive_page_switches(app: AppTest) -> None:
    """Every way from one page to another keeps the private key in the address (`st.switch_page` clears
    query parameters unless given them), and with it the person's sessions."""
    key = app.query_params["u"]

    def sessions() -> list[str]:
        return [str(o) for o in app.sidebar.selectbox(key="session_pick").options]

    next(b for b in app.button if b.label == "Vraag het rapport").click().run()  # start → conversation
    assert not app.exception and app.query_params["u"] == key
    (asked,) = sessions()
    assert app.chat_input(key="ask")  # the conversation page, waiting for a question
    next(b for b in app.sidebar.button if b.label == "Nieuwe sessie").click().run()  # → start
    assert app.query_params["u"] == key and sessions() == [asked]
    assert "Wie ben je?" in [r.label for r in app.radio]
    next(b for b in app.button if b.label == "Kaders bekijken").click().run()  # → study
    assert app.query_params["u"] == key and sessions() == [asked]
    assert any("Salignac" in s.value for s in app.subheader)

    app.query_params.pop("u")  # the same browser session on an address without the key: it comes back
    app.run()
    assert app.query_params["u"] == key and sessions() == [asked]
    next(b for b in app.sidebar.button if b.label == "Hervat").click().run()  # → the conversation again
    assert app.query_params["u"] == key and app.chat_input(key="ask")

    # a finished session: its summary first, then the conversation and back, the key kept throughout
    next(b for b in app.sidebar.button if b.label == "Nieuwe sessie").click().run()
    app.selectbox(key="route").set_value("__free__").run()
    app.multiselect(key="themes").set_value(["cultuur"]).run()
    next(b for b in app.button if b.label == "Start de reflectie").click().run()
    app.chat_input(key="answer").set_value("Fouten mogen hier.").run()
    next(b for b in app.button if b.label == "Volgende vraag").click().run()
    next(r for r in app.radio if r.label == "Kies een niveau").set_value(3)
    next(b for b in app.button if b.label == "Bevestig").click().run()
    assert not app.exception and app.query_params["u"] == key and len(sessions()) == 2
    assert [d.label for d in app.get("download_button")][0] == "Download Markdown"  # the summary page
    pane = next(r for r in app.radio if [str(o) for o in r.options] == ["Samenvatting", "Gesprek"])
    pane.set_value("conversation").run()
    assert not app.get("download_button") and "Fouten mogen hier." in texts(app)
    assert app.query_params["u"] == key
    next(r for r in app.radio if [str(o) for o in r.options] == ["Samenvatting", "Gesprek"]).set_value("summary").run()
    assert [d.label for d in app.get("download_button")][0] == "Download Markdown"
    assert app.query_params["u"] == key and len(sessions()) == 2


def test_no_pages_folder_beside_the_entry_script() -> None:
    """A `pages/` folder next to ui/app.py switches Streamlit into its older pages-directory mode, which runs
    a page without the frame around it (see ui/navigation.py): the pages live in ui/views/."""
    assert not (PROJECT_ROOT / "ui" / "pages").exists()
    assert (PROJECT_ROOT / "ui" / "views" / "start.py").is_file()


def test_two_sessions_of_the_same_title_can_each_be_picked(app: AppTest) -> None:
    """Streamlit's selectbox knows an option by its label: of two "Vraag het rapport — <today>" sessions
    only the first could be opened. The picker tells them apart."""
    for _ in range(2):
        next(b for b in app.sidebar.button if b.label == "Nieuwe sessie").click().run()
        next(b for b in app.button if b.label == "Vraag het rapport").click().run()
    labels = [str(o) for o in app.sidebar.selectbox(key="session_pick").options]
    assert len(labels) == 2 and len(set(labels)) == 2 and labels[1].startswith(labels[0])


def test_the_sessions_list_follows_the_open_session_and_a_delete_is_confirmed(app: AppTest) -> None:
    """The buttons "Hernoem" and "Verwijder" act on the session picked in the list: it used to stay on an earlier pick
    while another session was open, and one click deleted it without asking."""

    def picked() -> str:
        return app.sidebar.selectbox(key="session_pick").value

    started = []
    for route in ("Vraag het rapport", "Vraag het rapport", "Start de reflectie"):
        next(b for b in app.sidebar.button if b.label == "Nieuwe sessie").click().run()
        if route == "Start de reflectie":
            app.selectbox(key="route").set_value("__free__").run()
            app.multiselect(key="themes").set_value(["cultuur"]).run()
        next(b for b in app.button if b.label == route).click().run()
        started.append(app.session_state["session_id"])
        if len(started) == 2:
            app.sidebar.selectbox(key="session_pick").set_value(started[0]).run()  # looked at, not resumed
    assert not app.exception and picked() == started[2]  # the one on screen, not the earlier pick

    (confirm,) = [c.value for c in app.sidebar.caption if "verwijderen?" in c.value]
    assert "niet terug te halen" in confirm
    assert len(app.sidebar.selectbox(key="session_pick").options) == 3  # the popover's question deletes nothing
    next(b for b in app.sidebar.button if b.label == "Ja, verwijder deze sessie").click().run()
    assert not app.exception
    left = [str(o) for o in app.sidebar.selectbox(key="session_pick").options]
    assert len(left) == 2 and all(label.startswith("Vraag het rapport") for label in left)  # the open one went
    assert "Wie ben je?" in [r.label for r in app.radio]  # the open session went: the start page


def test_a_coordinators_summary_hands_its_themes_to_a_group_scan(
    corpus_data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The coordinator's route promises the group's view and an agenda: the summary leads to a group scan on
    the session's themes (the scan's own default is another set)."""
    from assistant.group.models import default_themes

    key, person = _own_data(corpus_data_dir, tmp_path, monkeypatch)
    chosen = ["structuur", "cultuur", "leiderschap"]
    assert not set(chosen) & set(default_themes(PROJECT_ROOT / "prompts"))
    finished = _finished_route(tmp_path, person, 3, themes=chosen)

    at = _person(key)
    at.selectbox(key="session_pick").set_value(finished).run()
    next(b for b in at.button if b.label == "Hervat").click().run()
    assert "Naar je strategiesessie" in [s.value for s in at.subheader]
    next(b for b in at.button if b.label == "Groepsscan op deze thema's").click().run()
    assert not at.exception
    assert at.multiselect(key="group-themes").value == chosen


def test_a_reload_keeps_the_open_session_and_the_language(app: AppTest) -> None:
    """A reload is a new browser session: it used to open the start page, in the configured language. The
    session and the language are in the page address now."""
    app.sidebar.radio(key="lang").set_value("en").run()
    next(b for b in app.button if b.label == "Ask the report").click().run()
    session_id = app.session_state["session_id"]
    assert app.query_params["s"] == session_id and app.query_params["lang"] == "en"

    reloaded = AppTest.from_file(APP, default_timeout=120)
    for name in ("u", "s", "lang"):
        reloaded.query_params[name] = app.query_params[name]
    reloaded.switch_page("views/conversation.py").run()
    assert not reloaded.exception
    assert reloaded.session_state["session_id"] == session_id and reloaded.chat_input(key="ask")
    assert "New session" in [b.label for b in reloaded.sidebar.button]

    someone = AppTest.from_file(APP, default_timeout=120)  # another person's address with this session: not theirs
    someone.query_params["s"] = session_id
    someone.switch_page("views/conversation.py").run()
    assert not someone.exception and "Wie ben je?" in [r.label for r in someone.radio]
    next(b for b in reloaded.sidebar.button if b.label == "New session").click().run()
    assert "s" not in reloaded.query_params and reloaded.query_params["lang"] == "en"
