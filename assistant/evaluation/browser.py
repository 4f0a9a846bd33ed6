"""`slim bench --browser`: the app in headless Chromium, timed from the page's own clock.

Clicks are timed inside the page, from the click until the server's re-rendered content is there, on the
start screen and on a long conversation (``long_session``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from time import perf_counter
from time import sleep as time_sleep

from pydantic import BaseModel

from assistant.config import PROJECT_ROOT, Settings
from assistant.evaluation.bench import BENCH_DOC, measure_table, update_section
from assistant.evaluation.stats import machine_description, percentile
from assistant.index import open_index
from assistant.prompts import question_bank
from assistant.retrieve import Retriever

CHROMIUM = "/usr/bin/chromium"  # Debian's; Playwright drives it, nothing is downloaded
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"]  # fmt: skip


class BrowserBench(BaseModel):
    page_interactive_s: float
    click_rerender_ms_p50: float
    click_rerender_ms_p95: float
    clicks: int
    long_turns: int  # messages on the page of the long conversation
    long_click_rerender_ms_p50: float
    long_click_rerender_ms_p95: float


LONG_ROUTE = "strategiesessie"  # five themes, the longest route in the question bank


def long_session(settings: Settings, owner: str) -> int:
    """A finished five-theme route (answer, deepen, next, score per theme) and two free questions after
    it: the longest page a person usually has. Returns its number of messages."""
    from assistant.llm import LanguageModel
    from assistant.reflection.engine import ReflectionEngine

    engine = ReflectionEngine(
        settings, Retriever(open_index(settings), settings.prompts_dir), LanguageModel("none", None)
    )
    view = engine.start("coordinator", "nl", route_id=LONG_ROUTE, owner=owner)
    while view.waiting_for != "free":
        answer = f"In ons netwerk speelt bij thema {view.progress[0]} vooral het vertrouwen tussen partners een rol."
        view = engine.send(view.info.id, {"type": "answer", "text": answer})
        view = engine.send(view.info.id, {"type": "deepen"})
        view = engine.send(view.info.id, {"type": "next"})
        view = engine.send(view.info.id, {"type": "score", "value": 3})
        if view.waiting_for == "score":  # the guide noted the answer pointed elsewhere: 3 it stays
            view = engine.send(view.info.id, {"type": "score", "value": 3})
    for question in ("Wat is stralend falen?", "Wat is lerend vermogen?"):
        view = engine.send(view.info.id, {"type": "ask", "text": question})
    return sum(1 for turn in view.turns if turn.text)


WATCH = """([shown, arg]) => {
    // In the page, not through Playwright's polling: its round trips would be timed too.
    if (!window.__slimClicks) {
        window.__slimClicks = true;
        document.addEventListener('click', () => { window.__slimClick = performance.now(); }, true);
    }
    const done = new Function('arg', 'return ' + shown);
    window.__slimDone = null;
    window.__slimWatch?.disconnect();
    window.__slimWatch = new MutationObserver(() => {
        if (window.__slimDone === null && done(arg) && !document.querySelector('[data-testid="stStatusWidget"]')) {
            window.__slimDone = performance.now();
            window.__slimWatch.disconnect();
        }
    });
    window.__slimWatch.observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true});
}"""


def _timed_clicks(page, click, shown: str, arg_of, clicks: int) -> list[float]:
    """Milliseconds from each click (as the page receives it) until the page changes so that the JS
    expression ``shown`` holds, with the server's rerun finished."""
    times = []
    for i in range(clicks):
        page.evaluate(WATCH, [shown, arg_of(i)])
        click(i)
        page.wait_for_function("() => window.__slimDone !== null", timeout=10_000)
        times.append(page.evaluate("() => window.__slimDone - window.__slimClick"))
    return times


def run_browser_bench(settings: Settings, clicks: int = 10) -> BrowserBench:
    """Start `streamlit run` (warm machine: index built, no language model), time until the page takes
    input in headless Chromium, then time clicks that need no language model until the page has re-rendered:
    on the start screen, and on a long conversation."""
    import urllib.request

    from playwright.sync_api import sync_playwright

    from assistant.llm import free_port
    from assistant.sessions import issue_key

    port = free_port()
    scratch = tempfile.TemporaryDirectory()  # the bench's session stays out of the person's sessions
    data = Path(scratch.name)
    (data / "chroma").symlink_to(settings.chroma_dir.resolve(), target_is_directory=True)
    bench_settings = settings.model_copy(update={"data_dir": data, "llm": "none"})
    key, owner = issue_key(bench_settings)  # a key the app accepts, as if it had issued it
    turns = long_session(bench_settings, owner)
    env = dict(os.environ, SLIM_DATA_DIR=str(data), SLIM_LLM="none")
    start = perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(PROJECT_ROOT / "ui" / "app.py"), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
            page = browser.new_page()
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
                    break
                except OSError:
                    time_sleep(0.1)
            page.goto(f"http://127.0.0.1:{port}/?u={key}")
            page.get_by_role("button", name=re.compile("Start de reflectie|Start the reflection")).wait_for(
                timeout=60_000
            )
            interactive = perf_counter() - start
            roles = [("student", "Student"), ("board", "Bestuurder"), ("coordinator", "Coördinator")]
            bank = question_bank(settings.prompts_dir)
            route = {key: next(r for r in bank.routes if r.role == key).description("nl") for key, _ in roles}
            times = _timed_clicks(  # done when the server has sent the role's route description
                page,
                lambda i: page.get_by_text(re.compile(f"^{roles[i % 3][1]} —")).click(),
                "document.querySelector('[data-testid=\"stMain\"]').innerText.includes(arg)",
                lambda i: route[roles[i % 3][0]],
                clicks,
            )
            long_times = _time_long_conversation(page, clicks)
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        scratch.cleanup()
    return BrowserBench(
        page_interactive_s=round(interactive, 2),
        click_rerender_ms_p50=round(statistics.median(times), 0),
        click_rerender_ms_p95=round(percentile(times, 95), 0),
        clicks=len(times),
        long_turns=turns,
        long_click_rerender_ms_p50=round(statistics.median(long_times), 0),
        long_click_rerender_ms_p95=round(percentile(long_times, 95), 0),
    )


def _time_long_conversation(page, clicks: int) -> list[float]:
    """Resume the long session, open the sources of its last message and switch "read the whole section"
    on and off: each click re-renders every message of the conversation."""

    page.get_by_role("button", name="Hervat").click()
    page.get_by_text("Gesprek", exact=True).click()  # the summary opens first
    page.get_by_placeholder("Je vraag over het rapport…").wait_for(timeout=30_000)  # the conversation's end
    sources = page.locator('[data-testid="stChatMessage"]').last.locator('[data-testid="stExpander"]')
    label = sources.get_by_text("Lees de hele paragraaf").first
    for _ in range(10):  # a click that lands while the rerun still paints is lost; setup, not timed
        sources.get_by_text(re.compile(r"^Bronnen \(\d+\)$")).click()
        with contextlib.suppress(Exception):
            label.wait_for(timeout=2_000)
            break
    texts = (
        "[...document.querySelectorAll('[data-testid=\"stChatMessage\"]')].pop()"
        + '.querySelectorAll(\'[data-testid="stExpander"] [data-testid="stMarkdown"]\').length == arg'
    )
    closed = sources.locator('[data-testid="stMarkdown"]').count()

    def toggle(times: int) -> list[float]:  # done when the server has sent the section's text, or taken it away
        return _timed_clicks(
            page, lambda i: label.click(), texts, lambda i: closed + 1 if i % 2 == 0 else closed, times
        )

    # Untimed: the first section a person opens loads their search snapshot (0.3 s once; a first question
    # does the same). The clicks after it are what re-rendering a long page costs.
    toggle(2)
    return toggle(clicks)


def write_browser_section(result: BrowserBench, path: Path = BENCH_DOC) -> Path:
    intro = (
        f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {machine_description()}; Chromium + Playwright, "
        "index already built, no language model loaded (the clicks timed never call one). Clicks are timed until"
        " the page shows their result and the server has finished the rerun: the role choice on the start screen,"
        f' and "read the whole section" on and off under the last message of a long conversation ({result.long_turns}'
        " messages: a finished five-theme route with a deepening question per theme and two free questions;"
        " the first section opened, which also loads the person's search snapshot once, is not timed)."
    )
    rows = [
        ("page interactive after `streamlit run`", f"{result.page_interactive_s} s", "≤ 8 s"),
        (
            f"click that calls no language model, until re-rendered, p50 / p95 ({result.clicks} clicks)",
            f"{result.click_rerender_ms_p50:.0f} ms / {result.click_rerender_ms_p95:.0f} ms",
            "≤ 300 ms",
        ),
        (
            f"the same on a long conversation ({result.long_turns} messages), p50 / p95 ({result.clicks} clicks)",
            f"{result.long_click_rerender_ms_p50:.0f} ms / {result.long_click_rerender_ms_p95:.0f} ms",
            "≤ 300 ms",
        ),
    ]
    body = "## The app in a headless browser (`slim bench --browser`)\n\n" + measure_table(intro, rows)
    return update_section(path, "slim bench --browser", body)
