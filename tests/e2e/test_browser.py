"""End to end in headless Chromium (Debian's, driven by Playwright): a short route, a cited passage,
self-assessment, the summary and its Markdown download, resuming after a server restart, and two people
at once. Screenshots of each step are saved in test-artifacts/browser/.

The language model is `none` here (fast and deterministic); the embedded model has its own tests.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar
from urllib.parse import parse_qs, urlparse, urlsplit

import pytest

from assistant.config import PROJECT_ROOT
from assistant.llm import free_port
from assistant.prompts import question_bank
from tests.helpers.browser import BROWSER_ARGS, CHROMIUM, downloaded
from tests.helpers.model_server import ModelServer

pytestmark = pytest.mark.browser

ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "browser"
MODELS = PROJECT_ROOT / "data" / "models"  # assembled by `make setup`


class AppServer:
    """`streamlit run ui/app.py` on a free loopback port, with its own data directory."""

    logs: ClassVar[list[Path]] = []  # of the servers started in the current test

    def __init__(self, data_dir: Path, llm: str = "none", env: dict[str, str] | None = None):
        self.data_dir = data_dir
        self.llm = llm
        self.env = env or {}
        self.port = free_port()
        self.log = data_dir.parent / "streamlit.log"
        self.logs.append(self.log)
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self) -> AppServer:
        env = dict(os.environ, SLIM_DATA_DIR=str(self.data_dir), SLIM_LLM=self.llm, SLIM_MODELS_DIR=str(MODELS))
        env.update(self.env)
        with self.log.open("ab") as log:  # kept for the failure report
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "streamlit", "run", str(PROJECT_ROOT / "ui" / "app.py"),
                 "--server.port", str(self.port), "--server.address", "127.0.0.1", "--server.headless", "true"],
                env=env, cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"{self.url}_stcore/health", timeout=2)
                return self
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("streamlit did not start") from None
                time.sleep(0.3)

    def stop(self) -> None:
        if self.proc:
            self.proc.terminate()
            self.proc.wait(timeout=30)


@pytest.fixture
def server(tmp_path: Path, corpus_data_dir: Path) -> Iterator[AppServer]:
    yield from _serve(tmp_path, corpus_data_dir)


def _serve(tmp_path: Path, corpus_data_dir: Path, llm: str = "none", env: dict | None = None) -> Iterator[AppServer]:
    """The app on the tests' shared report index (linked, only read), stopped after the test."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "chroma").symlink_to(corpus_data_dir / "chroma", target_is_directory=True)
    app = AppServer(data, llm, env).start()
    yield app
    app.stop()


@pytest.fixture
def private_server(tmp_path: Path, corpus_data_dir: Path) -> Iterator[AppServer]:
    """A server with its own copy of the index, for tests that upload documents."""
    data = tmp_path / "data"
    shutil.copytree(corpus_data_dir / "chroma", data / "chroma")
    app = AppServer(data).start()
    yield app
    app.stop()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(autouse=True)
def _report_a_failure(request: pytest.FixtureRequest) -> Iterator[None]:
    """A failed browser test leaves a picture of each of its pages and the server's log beside the screenshots;
    every test's pages are closed after it, so none keeps polling a server that is gone."""
    AppServer.logs.clear()
    yield
    if "browser" not in request.fixturenames:
        return
    contexts = list(request.getfixturevalue("browser").contexts)
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        _keep_evidence(request, [page for context in contexts for page in context.pages])
    for context in contexts:
        with contextlib.suppress(Exception):
            context.close()


def _keep_evidence(request: pytest.FixtureRequest, pages: list) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for n, page in enumerate(pages):
        with contextlib.suppress(Exception):  # a page may be gone; the others still count
            page.screenshot(path=str(ARTIFACTS / f"failed-{request.node.name}-{n}.png"), full_page=True)
    for n, log in enumerate(AppServer.logs):
        if log.exists():
            shutil.copy(log, ARTIFACTS / f"failed-{request.node.name}-server-{n}.log")


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(800)  # let the last rerun finish painting; a picture only, nothing is asserted
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def open_app(page, url: str) -> None:
    page.goto(url)
    page.get_by_text("Wie ben je?").wait_for(timeout=60_000)


_BOARD = next(r for r in question_bank(PROJECT_ROOT / "prompts").routes if r.role == "board")
BOARD_ROUTE = {lang: _BOARD.description(lang) for lang in ("nl", "en")}  # shown once the role is chosen
DUTCH = {"lang": "nl", "board": "Bestuurder — ik reflecteer op ons netwerk", "free": "Vrije keuze van thema's",
         "start": "Start de reflectie", "theme": "Thema 1 van {n}", "answer": "Jouw antwoord…",
         "followup": "Om verder te denken"}  # fmt: skip
ENGLISH = {"lang": "en", "board": "Board member — I am reflecting on our network", "free": "Free choice of themes",
           "start": "Start the reflection", "theme": "Theme 1 of {n}", "answer": "Your answer…",
           "followup": "To think further"}  # fmt: skip


def start_free_route(page, themes: list[str], words: dict[str, str] = DUTCH) -> None:
    from playwright.sync_api import expect

    page.get_by_text(words["board"]).click()
    page.get_by_role("radio", name=words["board"]).and_(page.locator(":checked")).wait_for(timeout=30_000)
    page.get_by_text(BOARD_ROUTE[words["lang"]]).wait_for(timeout=30_000)  # the server's rerun for the role
    page.locator('[data-testid="stSelectbox"]').filter(has_text="Route").click()
    page.get_by_role("option", name=words["free"]).click()
    multiselect = page.locator('[data-testid="stMultiSelect"]')
    multiselect.wait_for(timeout=30_000)
    for theme in themes:
        multiselect.click()
        page.get_by_role("option", name=theme).click()
        page.keyboard.press("Escape")
        expect(multiselect.get_by_text(theme)).to_have_count(1, timeout=30_000)
    page.get_by_role("button", name=words["start"]).click()
    page.get_by_text(words["theme"].format(n=len(themes))).first.wait_for(timeout=60_000)


def answer(page, text: str, words: dict[str, str] = DUTCH, timeout_s: int = 60) -> None:
    """Type an answer and wait for the guide's new follow-up (earlier ones are still on the page)."""
    from playwright.sync_api import expect

    followups = page.get_by_text(words["followup"])
    before = followups.count()
    page.get_by_placeholder(words["answer"]).fill(text)
    page.keyboard.press("Enter")
    expect(followups).to_have_count(before + 1, timeout=timeout_s * 1000)


def assess(page, level_label: str, next_marker: str) -> None:
    """Choose a level; when the guide notes that the answer pointed elsewhere, keep the level chosen.
    Only a note new to this theme counts: an earlier theme's note stays in the conversation, and taking it
    for this one made the helper press "Bevestig" a second time, on the summary's value-cycle control when
    the summary had opened by then, which confirmed the cycle and left the download buttons a rerun behind
    (issue 12: the 'hang' that came and went with the garbage collector's timing)."""
    page.get_by_role("button", name="Volgende vraag").click()
    page.get_by_text("Kies een niveau").wait_for(timeout=60_000)
    note = page.get_by_text("Welke herken je het meest?")
    earlier = note.count()
    form = page.get_by_test_id("stForm")
    form.get_by_text(level_label).click()
    form.get_by_role("button", name="Bevestig").click()
    page.get_by_text(next_marker).or_(note.nth(earlier)).first.wait_for(timeout=60_000)
    if note.count() > earlier:
        form.get_by_text(level_label).click()
        form.get_by_role("button", name="Bevestig").click()
    page.get_by_text(next_marker).first.wait_for(timeout=60_000)


def test_a_short_route_to_a_downloaded_summary(server: AppServer, browser, tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    open_app(page, server.url)
    shot(page, "1-start")
    start_free_route(page, ["Gezamenlijk doel", "Cultuur", "Waardecreatie"])
    shot(page, "2-theme-1")

    answer(page, "Ons doel is impliciet; we organiseren vooral bijeenkomsten met nieuwe contacten.")
    page.get_by_text(re.compile(r"^Bronnen \(\d\)$")).last.click()
    passage_label = page.get_by_text(re.compile(r"^\[1\] · ")).last
    passage_label.wait_for(timeout=30_000)
    assert re.search(r"§ \d|· \d", passage_label.inner_text())
    shot(page, "3-reflection-with-sources")
    assess(page, "2 — Impliciet", "Thema 2 van 3")
    shot(page, "4-after-self-assessment")

    answer(page, "Bij ons mogen fouten, we noemen dat leren.")
    assess(page, "4 — Experimenteel", "Thema 3 van 3")
    answer(page, "We hebben een pilot gedaan in twee wijken.")
    assess(page, "3 — Toegepaste waarde", "Waardeladder")
    from playwright.sync_api import expect

    page.get_by_text("Waardeladder").wait_for(timeout=30_000)  # the summary opens first
    expect(page.locator('[data-testid="stImage"] img')).to_have_count(2, timeout=30_000)  # radar and ladder
    shot(page, "5-summary")
    errors = page.locator('[data-testid="stException"]')
    assert errors.count() == 0, errors.first.inner_text()

    markdown = downloaded(page, "Download Markdown").read_text(encoding="utf-8")
    assert "We hebben een pilot gedaan in twee wijken." in markdown
    assert re.search(r"> \[1\] §\d", markdown) and "Samenvatting van je reflectie" in markdown
    assert downloaded(page, "Download PDF").read_bytes().startswith(b"%PDF")  # built on the click

    page.set_viewport_size({"width": 390, "height": 844})  # the summary, its charts included, on a phone
    page.wait_for_timeout(500)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"the summary is {width}px wide on a 390px screen"
    shot(page, "5b-summary-on-a-phone")


def test_resume_after_a_server_restart(server: AppServer, browser) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    open_app(page, server.url)
    start_free_route(page, ["Leiderschap"])
    answer(page, "Onze voorzitter trekt alles alleen.")
    bookmark = page.url
    assert "u=" in urlparse(bookmark).query
    page.close()

    server.stop()
    server.start()
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(bookmark)  # the address of the conversation: the session itself, not the start page
    page.get_by_text("Onze voorzitter trekt alles alleen.", exact=True).wait_for(timeout=60_000)
    page.get_by_role("button", name="Volgende vraag").wait_for()
    shot(page, "6-resumed-after-restart")
    page.get_by_role("button", name="Nieuwe sessie").click()
    page.get_by_text("Wie ben je?").wait_for(timeout=60_000)
    page.get_by_role("button", name="Hervat").click()  # and from the sessions list
    page.get_by_text("Onze voorzitter trekt alles alleen.", exact=True).wait_for(timeout=60_000)

    made_up = "aaaaaaaaaaaaaaaa"  # long enough, but never issued: a fresh key, an empty space
    stranger = browser.new_page(viewport={"width": 1280, "height": 900})
    open_app(stranger, f"{server.url}?u={made_up}")
    stranger.get_by_text("Nog geen sessies.").wait_for(timeout=30_000)
    stranger.wait_for_function(f"() => !location.search.includes('{made_up}')", timeout=30_000)
    key = parse_qs(urlparse(stranger.url).query)["u"][0]
    assert key not in (made_up, parse_qs(urlparse(bookmark).query)["u"][0])


# Two board members' answers to their themes' questions (an answer about nothing would be asked again)
ONE = "Wij (persoon een) praten in het bestuur open over wat er misging."
TWO = "Ons netwerk (persoon twee) is breed samengesteld, maar het onderwijs ontbreekt."


def test_two_people_at_once_are_isolated(server: AppServer, browser) -> None:
    one, two = browser.new_context(), browser.new_context()
    page_one, page_two = one.new_page(), two.new_page()
    open_app(page_one, server.url)
    open_app(page_two, server.url)
    start_free_route(page_one, ["Cultuur"])
    start_free_route(page_two, ["Structuur"])
    answer(page_one, ONE)
    answer(page_two, TWO)
    for page in (page_one, page_two):  # each reload opens the session in its own address, once it is there
        page.wait_for_function("() => new URLSearchParams(location.search).has('s')", timeout=30_000)
        page.reload()
    page_one.get_by_text(ONE, exact=True).wait_for(timeout=60_000)
    page_two.get_by_text(TWO, exact=True).wait_for(timeout=60_000)
    assert "persoon twee" not in page_one.content() and "persoon een" not in page_two.content()
    for page in (page_one, page_two):
        page.get_by_role("button", name="Nieuwe sessie").click()
        page.get_by_text("Wie ben je?").wait_for(timeout=60_000)
    # each resumes the one session in their own list: their own
    page_one.get_by_role("button", name="Hervat").click()
    page_two.get_by_role("button", name="Hervat").click()
    page_one.get_by_text(ONE, exact=True).wait_for(timeout=60_000)
    page_two.get_by_text(TWO, exact=True).wait_for(timeout=60_000)
    assert "persoon twee" not in page_one.content() and "persoon een" not in page_two.content()
    shot(page_one, "7-person-one")
    shot(page_two, "7-person-two")
    one.close()
    two.close()


def test_the_page_key_survives_every_page_switch(server: AppServer, browser) -> None:
    """The pages have addresses of their own; going from one to another (the app's buttons, the browser's
    Back button, a bookmark of a page other than the start) keeps the private key and the person's sessions."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    open_app(page, server.url)
    page.wait_for_function("() => location.search.includes('u=')", timeout=30_000)
    key = parse_qs(urlparse(page.url).query)["u"][0]

    def where() -> tuple[str, str | None]:
        address = urlparse(page.url)
        return address.path, parse_qs(address.query).get("u", [None])[0]

    page.get_by_role("button", name=ASK["mode"]).click()
    page.get_by_placeholder(ASK["input"]).wait_for(timeout=60_000)
    page.wait_for_function("() => location.pathname.endsWith('/conversation')", timeout=30_000)
    assert where() == ("/conversation", key)
    ask(page, "Wat is stralend falen?")
    page.get_by_text("Dit staat er in de bronnen:").first.wait_for(timeout=60_000)

    page.get_by_role("button", name="Nieuwe sessie").click()
    page.get_by_text("Wie ben je?").wait_for(timeout=60_000)
    assert where()[1] == key
    page.get_by_role("button", name="Kaders bekijken").click()
    page.get_by_role("heading", name=re.compile("Salignac")).wait_for(timeout=60_000)
    page.wait_for_function("() => location.pathname.endsWith('/study')", timeout=30_000)
    assert where() == ("/study", key)
    page.go_back()  # the browser's own history: the start page, still this person's
    page.get_by_text("Wie ben je?").wait_for(timeout=60_000)
    page.get_by_role("button", name="Hervat").wait_for(timeout=30_000)
    assert where()[1] == key
    shot(page, "18-page-switches-keep-the-key")

    bookmark = urlparse(page.url)._replace(path="/study").geturl()  # a bookmark of the study page
    later = browser.new_page(viewport={"width": 1280, "height": 900})
    later.goto(bookmark)
    later.get_by_role("heading", name=re.compile("Salignac")).wait_for(timeout=60_000)
    later.get_by_role("button", name="Hervat").click()  # their one session, from the sidebar
    later.get_by_text("Wat is stralend falen?", exact=True).wait_for(timeout=60_000)
    assert parse_qs(urlparse(later.url).query)["u"][0] == key
    assert later.locator('[data-testid="stException"]').count() == 0

    # a second session, then the open one deleted: asked first, and the other's question does not stand open
    later.get_by_role("button", name="Nieuwe sessie").click()
    later.get_by_role("button", name=ASK["mode"]).click()
    later.get_by_placeholder(ASK["input"]).wait_for(timeout=60_000)
    later.get_by_role("button", name="Verwijder").click()
    sure = later.get_by_role("button", name="Ja, verwijder deze sessie")
    sure.click()
    later.get_by_text("Wie ben je?").wait_for(timeout=60_000)
    later.wait_for_timeout(1_000)
    assert not sure.is_visible()
    later.get_by_role("button", name="Hervat").click()  # the first session is still there
    later.get_by_text("Wat is stralend falen?", exact=True).wait_for(timeout=60_000)


def upload(page, path: Path, expect_text: str) -> None:
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(path))
    page.get_by_text(expect_text).first.wait_for(timeout=120_000)


def test_documents_are_uploaded_privately_and_a_hostile_file_harms_nothing(
    private_server: AppServer, browser, tmp_path: Path
) -> None:
    from tests.helpers.files import write_encrypted_pdf, write_pdf

    one, two = browser.new_context(), browser.new_context()
    page, other = one.new_page(), two.new_page()
    open_app(page, private_server.url)
    page.get_by_text("Eigen documenten").click()
    good = write_pdf(tmp_path / "plan.pdf", ["Inleiding.", "De penningmeester van ons netwerk is Anouk de Vries."])
    upload(page, good, "plan.pdf toegevoegd: 2 passages.")
    upload(page, write_encrypted_pdf(tmp_path / "slot.pdf", "Geheim."), "slot.pdf is beveiligd met een wachtwoord")
    page.set_viewport_size({"width": 1280, "height": 1300})  # the sidebar scrolls on its own: show all of it
    shot(page, "8-hostile-upload-refused")
    page.set_viewport_size({"width": 1280, "height": 720})
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.get_by_text("plan.pdf · 2 passages, 2 p.").count() == 1  # the earlier document is still there

    page.get_by_role("button", name="Vraag het rapport").click()
    page.get_by_placeholder("Je vraag over het rapport…").fill("Wie is de penningmeester van het netwerk?")
    page.keyboard.press("Enter")
    page.get_by_text("Anouk de Vries").first.wait_for(timeout=60_000)
    page.get_by_text(re.compile(r"^Bronnen \(\d\)$")).last.click()
    page.get_by_text(re.compile(r"^\[1\] · plan\.pdf · p\. 2$")).wait_for(timeout=30_000)
    shot(page, "9-answer-from-own-document")

    open_app(other, private_server.url)
    other.get_by_text("Eigen documenten").click()
    other.get_by_text("Document toevoegen").wait_for(timeout=30_000)
    assert "plan.pdf" not in other.content()
    other.get_by_role("button", name="Vraag het rapport").click()
    other.get_by_placeholder("Je vraag over het rapport…").fill("Wie is de penningmeester van het netwerk?")
    other.keyboard.press("Enter")
    # the report does not know; without person one's document, neither does person two's answer
    other.get_by_text("Het rapport geeft hier geen antwoord op.").wait_for(timeout=60_000)
    assert "Anouk de Vries" not in other.content()
    one.close()
    two.close()


FOCUSED = """() => {
    const el = document.activeElement;
    const label = el.closest('label')?.innerText || el.getAttribute('aria-label') || el.placeholder;
    const named = ['BUTTON', 'SUMMARY', 'A'].includes(el.tagName);  // not a container with the whole page in it
    return (label || (named ? el.innerText : '') || '').trim();
}"""


def tab_to(page, name: str, presses: int = 80) -> None:
    """Press Tab until the focused element is ``name``: what a person without a mouse does."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if name in page.evaluate(FOCUSED):
            return
    raise AssertionError(f"{name!r} cannot be reached with the Tab key")


def test_a_route_with_the_keyboard_only(server: AppServer, browser) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    open_app(page, server.url)
    tab_to(page, "Coördinator")
    page.keyboard.press("ArrowDown")  # radios move with the arrow keys
    page.get_by_role("radio", name=DUTCH["board"]).and_(page.locator(":checked")).wait_for(timeout=30_000)
    tab_to(page, DUTCH["start"])
    page.keyboard.press("Enter")
    page.get_by_text(re.compile(r"Thema 1 van \d")).first.wait_for(timeout=60_000)
    tab_to(page, DUTCH["answer"])
    page.keyboard.type("Ons doel staat op papier, maar niemand kent het.")
    followups = page.get_by_text(DUTCH["followup"])
    page.keyboard.press("Enter")
    followups.first.wait_for(timeout=60_000)
    # the reflection's passages ([1], and [2] where the bank names a second place) open with the keyboard too
    tab_to(page, "Bronnen (")
    page.keyboard.press("Enter")
    page.get_by_text(re.compile(r"^\[1\] · ")).last.wait_for(timeout=30_000)
    tab_to(page, "Volgende vraag")
    page.keyboard.press("Enter")
    page.get_by_text("Kies een niveau").wait_for(timeout=60_000)
    tab_to(page, "1 —")
    page.keyboard.press("ArrowDown")
    page.get_by_test_id("stForm").get_by_role("radio", name=re.compile("^2 — ")).and_(
        page.locator(":checked")
    ).wait_for(timeout=10_000)
    shot(page, "14-keyboard-self-assessment")
    tab_to(page, "Bevestig")
    page.keyboard.press("Enter")
    page.get_by_text(re.compile(r"Thema 2 van \d")).first.wait_for(timeout=60_000)
    assert page.locator('[data-testid="stException"]').count() == 0


ASK = {"mode": "Vraag het rapport", "input": "Je vraag over het rapport…"}


def ask(page, question: str) -> None:
    page.get_by_placeholder(ASK["input"]).fill(question)
    page.keyboard.press("Enter")


REPLY = "Volgens het rapport leren partners samen door te experimenteren [1]."


@pytest.fixture
def busy_model() -> Iterator[ModelServer]:
    """A model server that holds the request containing its ``hold_on`` (set by the test), as if it were
    still writing a long answer; other requests get ``REPLY`` at once."""
    with ModelServer(REPLY) as model:
        yield model


@pytest.fixture
def queue_server(tmp_path: Path, corpus_data_dir: Path, busy_model: ModelServer) -> Iterator[AppServer]:
    yield from _serve(tmp_path, corpus_data_dir, "openai:test", {"SLIM_OPENAI_BASE_URL": busy_model.url})


def test_a_person_is_told_when_their_answer_waits_in_line(
    queue_server: AppServer, busy_model: ModelServer, browser
) -> None:
    """The model writes one answer at a time: while it writes person one's, person two sees the passages
    and their place in line, and then gets their answer."""
    busy_model.hold_on = held = "Wat is stralend falen?"
    one, two = browser.new_context(), browser.new_context()
    first, second = one.new_page(), two.new_page()
    for page in (first, second):
        open_app(page, queue_server.url)
        page.get_by_role("button", name=ASK["mode"]).click()
    deadline = time.monotonic() + 120
    while busy_model.answered < 1:  # the app's warm-up question is done: the line is empty
        assert time.monotonic() < deadline, "the app never warmed up its model"
        time.sleep(0.2)
    ask(first, held)
    assert busy_model.asked.wait(60), "person one's question never reached the model"
    ask(second, "Wat is lerend vermogen?")
    second.get_by_text("Je vraag staat in de wachtrij (plek 1)").wait_for(timeout=60_000)
    second.get_by_text(re.compile(r"^Bronnen \(\d\)$")).first.wait_for(timeout=10_000)  # the passages are there
    shot(second, "13-waiting-in-line")
    busy_model.release.set()
    for page in (first, second):
        page.get_by_text("leren partners samen door te experimenteren").first.wait_for(timeout=60_000)
        assert page.locator('[data-testid="stException"]').count() == 0
    assert "wachtrij" not in first.content()  # person one was never in line


def test_a_question_sent_while_the_last_one_is_answered_loses_neither(
    queue_server: AppServer, busy_model: ModelServer, browser
) -> None:
    """The input stays open while the guide answers; a second question sent then makes Streamlit start a new
    run, which used to drop the first question and its answer. Both are answered and kept."""
    busy_model.hold_on = held = "Wat is stralend falen?"
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    open_app(page, queue_server.url)
    page.get_by_role("button", name=ASK["mode"]).click()
    deadline = time.monotonic() + 120
    while busy_model.answered < 1:  # the app's warm-up question is done
        assert time.monotonic() < deadline, "the app never warmed up its model"
        time.sleep(0.2)
    ask(page, held)
    assert busy_model.asked.wait(60), "the first question never reached the model"
    ask(page, "Wat is lerend vermogen?")
    page.wait_for_timeout(1_000)  # the second question has reached the app while the first is still answered
    busy_model.release.set()
    replies = page.get_by_text("leren partners samen door te experimenteren")
    deadline = time.monotonic() + 60
    while replies.count() < 2:
        assert time.monotonic() < deadline, (
            f"{replies.count()} of the two answers shown: " + page.inner_text("body")[-1500:]
        )
        time.sleep(0.2)
    for question in (held, "Wat is lerend vermogen?"):
        assert page.get_by_text(question, exact=True).count() == 1
    assert page.locator('[data-testid="stException"]').count() == 0


def test_a_reflection_shows_its_passages_while_the_model_writes(
    queue_server: AppServer, busy_model: ModelServer, browser
) -> None:
    busy_model.hold_on = answer_text = "Ons doel kent bijna niemand buiten het bestuur."
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    open_app(page, queue_server.url)
    start_free_route(page, ["Gezamenlijk doel"])
    page.get_by_placeholder(DUTCH["answer"]).fill(answer_text)
    page.keyboard.press("Enter")
    assert busy_model.asked.wait(60), "the reflection never reached the model"
    page.get_by_text(re.compile(r"^\[1\] · ")).first.wait_for(timeout=30_000)  # while the model still writes
    assert REPLY.split(" [")[0] not in page.content()
    shot(page, "15-passages-while-the-model-writes")
    busy_model.release.set()
    page.get_by_text(DUTCH["followup"]).first.wait_for(timeout=60_000)
    assert page.get_by_text("leren partners samen door te experimenteren").count() >= 1


@pytest.fixture
def model_server(tmp_path: Path, corpus_data_dir: Path) -> Iterator[AppServer]:
    """The app with the embedded language model, as `make run` serves it."""
    yield from _serve(tmp_path, corpus_data_dir, "embedded")


@pytest.mark.slow
def test_an_english_route_with_the_embedded_model_and_a_phone_screen(model_server: AppServer, browser) -> None:
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    open_app(page, model_server.url)
    page.get_by_text("English").click()
    page.get_by_text("Who are you?").wait_for(timeout=30_000)
    assert "embedded:qwen2.5-coder-1.5b" in page.content()
    start_free_route(page, ["Shared goal"], ENGLISH)
    answer(page, "Our goal is implicit; every partner explains it differently.", ENGLISH, timeout_s=240)
    page.get_by_text(re.compile(r"^Sources \(\d\)$")).last.click()
    page.get_by_text(re.compile(r"^\[1\] · ")).last.wait_for(timeout=30_000)
    shot(page, "10-english-reflection-embedded-model")
    page.get_by_role("button", name="Next question").click()
    page.get_by_text("Choose a level").wait_for(timeout=60_000)
    page.get_by_test_id("stForm").get_by_text("2 — Implicit").click()
    page.get_by_role("button", name="Confirm").click()
    # the guide may note, once, that the answer pointed to another level; the person keeps their choice
    note = page.get_by_text("Which do you recognise most?")
    note.first.or_(page.get_by_text("Value ladder").first).wait_for(timeout=240_000)
    if note.count():
        page.get_by_test_id("stForm").get_by_text("2 — Implicit").click()
        page.get_by_role("button", name="Confirm").click()
    page.get_by_text("Value ladder").first.wait_for(timeout=240_000)
    expect(page.locator('[data-testid="stImage"] img')).to_have_count(1, timeout=30_000)  # one theme: no radar
    assert page.locator('[data-testid="stException"]').count() == 0
    markdown = downloaded(page, "Download Markdown").read_text(encoding="utf-8")
    assert "Our goal is implicit; every partner explains it differently." in markdown
    assert re.search(r"> \[1\] §\d", markdown)
    shot(page, "11-english-summary-embedded-model")

    phone = browser.new_page(viewport={"width": 390, "height": 844})
    phone.goto(page.url)  # the same person on their phone: the same summary, in the language they chose
    phone.get_by_role("button", name="Download Markdown").wait_for(timeout=60_000)
    width = phone.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width}px wide on a 390px screen"
    shot(phone, "12-phone-summary")


HOSTILE_NAME = r"$\rule{1200px}{700px}$ :red-background[WAARSCHUWING] **vet** [x](evil).md"
HOSTILE_DOCUMENT = "\n\n".join(
    [
        "# Financiën",
        "De penningmeester van ons netwerk is Anouk de Vries. "
        r"De penningmeester schrijft $\Huge\rule{1500px}{900px}$ :red-background[WAARSCHUWING] **vet** "
        ":material/warning: en [deze pagina](//2130706433:9999/phish).",
        r"Zie ook [hier](/relatief), [x](\\evil.example), <//evil.example>, https://evil.example/x en "
        "mailto:kas@evil.example. ![img](http://evil.example/a.png) <script>alert(1)</script> "
        "<img src=x onerror=alert(1)> <iframe src=//evil></iframe> [a](javascript:alert(1)).",
    ]
)
HOSTILE_WORDS = r"Sessie $\foo$ kosten :red-background[WAARSCHUWING] **vet** [hier](/relatief) <img src=x onerror=1>"
INERT = """() => {
    const roots = [...document.querySelectorAll('[data-testid="stMainBlockContainer"], [data-testid="stSidebar"]')];
    const all = (selector) => roots.flatMap((root) => [...root.querySelectorAll(selector)]);
    const exactly = (selector, words) => all(selector).filter((e) => words.includes(e.textContent.trim()));
    return {
        links: all('a[href]').filter((a) => !a.closest('[data-testid="stHeaderActionElements"]'))
            .map((a) => a.outerHTML.slice(0, 200)),
        math: all('.katex, math').length,
        images: all('img').filter((i) => !i.closest('[data-testid="stImage"]')).map((i) => i.outerHTML.slice(0, 200)),
        frames: document.querySelectorAll('iframe, object, embed').length,
        styled: exactly('span[style], span[class]', ['WAARSCHUWING']).length,
        icons: all('[data-testid="stIconMaterial"]').map((i) => i.textContent).filter((t) => t === 'warning'),
        formatted: exactly('strong, em, del, h1, h2, h3, li', ['vet']).length,
        text: roots.map((root) => root.innerText).join('\\n').replaceAll('\\u2060', ''),
        roots: roots.length,
    };
}"""


def assert_inert(page, *readable: str) -> None:
    """Nothing a person or a document wrote renders as a link, math, a styled span, an icon, formatting or
    an image, and it is all still there to read, as the characters it is."""
    found = page.evaluate(INERT)
    assert found["roots"] == 2, "the page's layout changed: nothing was checked"
    assert found["links"] == [] and found["images"] == [], found
    assert (found["math"], found["frames"], found["styled"], found["icons"], found["formatted"]) == (0, 0, 0, [], 0)
    for text in readable:
        where = found["text"].find(text[:12])
        assert text in found["text"], (text, found["text"][where - 100 : where + 400] if where >= 0 else found["text"])


def test_hostile_text_stays_text_in_every_place_it_is_shown(private_server: AppServer, browser, tmp_path: Path) -> None:
    """A document whose passages carry math, directives, links, addresses, images and HTML, quoted in an
    answer and shown in the Sources panel; a file name, a session title and the person's own words with
    the same: on the page, in the summary and in the Markdown download all of it stays text."""
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    outside, dialogs = [], []
    page.on("request", lambda r: urlsplit(r.url).hostname in {"127.0.0.1", None} or outside.append(r.url))
    page.on("dialog", lambda d: dialogs.append(d.message) or d.dismiss())
    open_app(page, private_server.url)
    page.get_by_text("Eigen documenten").click()
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
        {"name": HOSTILE_NAME, "mimeType": "text/markdown", "buffer": HOSTILE_DOCUMENT.encode()}
    )
    page.get_by_text(re.compile(r"toegevoegd: \d+ passages?\.")).first.wait_for(timeout=120_000)
    assert_inert(page, f"{HOSTILE_NAME} toegevoegd", f"{HOSTILE_NAME} · ")

    page.get_by_role("button", name=ASK["mode"]).click()
    ask(page, "Wie is de penningmeester van ons netwerk?")
    page.get_by_text("Anouk de Vries").first.wait_for(timeout=60_000)
    page.get_by_text(re.compile(r"^Bronnen \(\d\)$")).last.click()
    page.get_by_text(re.compile(r"^\[1\] · ")).last.wait_for(timeout=30_000)
    page.get_by_text("Lees de hele paragraaf").first.click()
    page.get_by_text("<iframe src=//evil></iframe>").first.wait_for(timeout=30_000)
    messages = page.locator('[data-testid="stChatMessage"]')
    before = messages.count()
    ask(page, HOSTILE_WORDS)  # the person's own words, as a question
    expect(messages).to_have_count(before + 2, timeout=60_000)
    page.get_by_label("Nieuwe naam").fill(HOSTILE_WORDS)
    page.get_by_role("button", name="Hernoem").click()
    page.locator("h1").filter(has_text="Sessie $\\foo$ kosten").wait_for(timeout=90_000)
    page.wait_for_timeout(1000)
    shot(page, "16-hostile-text-in-an-answer-and-its-sources")
    assert_inert(
        page,
        r"De penningmeester schrijft $\Huge\rule{1500px}{900px}$ :red-background[WAARSCHUWING] **vet**",  # quoted
        "[deze pagina](//2130706433:9999/phish)",  # in the Sources panel
        "<script>alert(1)</script> <img src=x onerror=alert(1)> <iframe src=//evil></iframe>",
        r"[x](\\evil.example), <//evil.example>, https://evil.example/x en mailto:kas@evil.example",
        f"[1] · {HOSTILE_NAME}",
        HOSTILE_WORDS,  # the question, and the page's title
    )
    assert HOSTILE_WORDS in page.locator("h1").first.inner_text().replace("\u2060", "")  # the session's title

    page.get_by_role("button", name="Nieuwe sessie").click()
    page.get_by_text("Wie ben je?").wait_for(timeout=60_000)
    start_free_route(page, ["Cultuur"])
    answer(page, HOSTILE_WORDS + " We leren samen van fouten.")
    assess(page, "2 — ", "Waardeladder")
    page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").click()  # this session, not the one renamed
    page.get_by_role("option", name=re.compile(r"^Reflectie — ")).click()
    page.get_by_label("Nieuwe naam").fill(HOSTILE_WORDS)
    expect(page.get_by_label("Nieuwe naam")).to_have_value(HOSTILE_WORDS)  # not wiped by the pick's rerun
    page.get_by_role("button", name="Hernoem").click()
    page.locator("h1").filter(has_text="Sessie $\\foo$ kosten").wait_for(timeout=90_000)
    # the sessions list shows the new name too, not the picked option's old label
    expect(page.get_by_test_id("stSidebar").get_by_role("combobox")).to_have_value(
        re.compile(r"^Sessie \$\\foo\$ kosten"), timeout=30_000
    )
    expect(page.locator('[data-testid="stImage"] img')).to_have_count(1, timeout=30_000)  # the ladder
    shot(page, "17-hostile-text-in-a-summary")
    assert_inert(page, f"“{HOSTILE_WORDS}")  # the person's own words in the synthesis
    markdown = downloaded(page, "Download Markdown").read_text(encoding="utf-8")
    assert "# Sessie \\$\\\\foo\\$ kosten" in markdown  # escaped, so a viewer shows the characters
    assert not re.search(r"(?<!\\)(<img|\]\(|\$)", markdown), markdown  # no tag, link or math
    page.get_by_text("Gesprek").click()
    page.get_by_text("We leren samen van fouten.").first.wait_for(timeout=30_000)
    # the person's own words in the conversation (the reflection itself comes from the coaching bank)
    assert_inert(page, HOSTILE_WORDS + " We leren samen van fouten.")
    assert page.locator('[data-testid="stException"]').count() == 0
    assert outside == [] and dialogs == [], (outside, dialogs)
