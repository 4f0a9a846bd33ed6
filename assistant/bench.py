"""Speed, memory and retrieval figures, measured on the machine at hand and recorded in docs/benchmarks.md.

Timings are taken here, never asserted in unit tests: a test on a busy CI machine says nothing about speed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from time import perf_counter
from time import sleep as time_sleep

from pydantic import BaseModel

from assistant.config import PROJECT_ROOT, Settings
from assistant.evaluation import CUTOFFS, AnswerScores, ModeScores, Query
from assistant.index import corpus_files, open_index, sync
from assistant.prompts import question_bank
from assistant.retrieve import Retriever

DEFAULT_QUERIES = PROJECT_ROOT.parent / "shared" / "eval" / "retrieval-dev.jsonl"
BENCH_DOC = PROJECT_ROOT / "docs" / "benchmarks.md"
JSON_KEYS = ("index_cold_s", "index_warm_s", "query_p50_ms", "query_p95_ms", "peak_rss_mb")
ROUNDS = 3


class BenchResult(BaseModel):
    index_cold_s: float
    index_warm_s: float
    index_warm_cli_s: float
    query_p50_ms: float
    query_p95_ms: float
    peak_rss_mb: float
    passages: int
    queries: int
    embeddings: str
    machine: str
    date: str


def machine_description() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {memory_gb:.0f} GiB, Python {platform.python_version()}"


def percentile(values: Sequence[float], q: int) -> float:
    if len(values) < 2:
        return float(values[0]) if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def run_bench(settings: Settings, queries: Sequence[Query]) -> BenchResult:
    """Index the corpus into a fresh directory (cold), again with nothing changed (warm, in this process
    and as a new ``slim index`` process), then time hybrid searches for ``queries``."""
    with tempfile.TemporaryDirectory(prefix="slim-bench-") as tmp:
        bench_settings = settings.model_copy(update={"data_dir": Path(tmp), "chroma_host": None})
        start = perf_counter()
        idx = open_index(bench_settings)
        sync(idx, corpus_files(bench_settings))
        cold = perf_counter() - start

        start = perf_counter()
        idx = open_index(bench_settings, embeddings=idx.embeddings)
        sync(idx, corpus_files(bench_settings))
        warm = perf_counter() - start

        env = dict(os.environ, SLIM_DATA_DIR=tmp)
        start = perf_counter()
        subprocess.run([sys.executable, "-m", "assistant", "index"], env=env, check=True, capture_output=True)
        warm_cli = perf_counter() - start

        retriever = Retriever(idx)
        retriever.search(queries[0].q)  # first search builds the BM25 snapshot
        times = []
        for _ in range(ROUNDS):
            for query in queries:
                start = perf_counter()
                retriever.search(query.q, k=5, mode="hybrid")
                times.append((perf_counter() - start) * 1000)
        passages = idx.count()
    return BenchResult(
        index_cold_s=round(cold, 2),
        index_warm_s=round(warm, 3),
        index_warm_cli_s=round(warm_cli, 2),
        query_p50_ms=round(statistics.median(times), 1),
        query_p95_ms=round(percentile(times, 95), 1),
        peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 0),
        passages=passages,
        queries=len(times),
        embeddings=idx.embeddings.name,
        machine=machine_description(),
        date=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )


def measure_table(intro: str, rows: Sequence[tuple[str, str, str]]) -> str:
    """A line saying how it was measured, then a measure | result | target table."""
    header = ["", "| measure | result | target |", "|---|---|---|"]
    return "\n".join([intro, *header, *[f"| {a} | {b} | {c} |" for a, b, c in rows]])


def bench_table(result: BenchResult) -> str:
    rows = [
        ("cold index of the corpus", f"{result.index_cold_s} s", "≤ 20 s"),
        ("warm re-index, nothing changed (in process)", f"{result.index_warm_s} s", "≤ 2 s"),
        ("warm re-index as a new `slim index` process", f"{result.index_warm_cli_s} s", "—"),
        ("hybrid search p50", f"{result.query_p50_ms} ms", "≤ 50 ms"),
        ("hybrid search p95", f"{result.query_p95_ms} ms", "—"),
        ("peak RSS", f"{result.peak_rss_mb:.0f} MB", "≤ 1536 MB"),
    ]
    intro = (
        f"Measured {result.date} on {result.machine}; embeddings `{result.embeddings}`; "
        f"{result.passages} passages; {result.queries} timed searches."
    )
    return measure_table(intro, rows)


def retrieval_table(scores: Sequence[ModeScores], file: Path, count: int) -> str:
    header = "| mode | " + " | ".join(f"recall@{k}" for k in CUTOFFS) + " | MRR | missed at 5 |"
    lines = [f"`{file.name}`, {count} questions.", "", header, "|---" * (len(CUTOFFS) + 3) + "|"]
    for s in scores:
        recalls = " | ".join(f"{s.recall[k]:.2f}" for k in CUTOFFS)
        lines.append(f"| {s.mode} | {recalls} | {s.mrr:.3f} | {', '.join(s.misses_at_5) or '—'} |")
    return "\n".join(lines)


def update_section(path: Path, name: str, body: str) -> Path:
    """Replace the block between ``<!-- BEGIN name -->`` and ``<!-- END name -->`` (or append it)."""
    begin, end = f"<!-- BEGIN {name} -->", f"<!-- END {name} -->"
    text = path.read_text(encoding="utf-8") if path.exists() else "# SLIM benchmarks\n"
    block = f"{begin}\n{body.strip()}\n{end}"
    if begin in text and end in text:
        text = text[: text.index(begin)] + block + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def write_bench_section(result: BenchResult, path: Path = BENCH_DOC) -> Path:
    return update_section(path, "slim bench", "## Index and search (`slim bench`)\n\n" + bench_table(result))


def write_retrieval_section(scores: Sequence[ModeScores], file: Path, count: int, path: Path = BENCH_DOC) -> Path:
    body = "## Retrieval quality (`slim eval retrieval`)\n\n" + retrieval_table(scores, file, count)
    return update_section(path, f"slim eval retrieval {file.name}", body)


def answers_table(scores: AnswerScores, file: Path) -> str:
    ft = "—" if scores.first_token_p50_s is None else f"{scores.first_token_p50_s} s / {scores.first_token_p95_s} s"
    rows = [
        ("citation validity (every [n] points at a passage)", f"{scores.citation_validity:.0%}", "100%"),
        ("answers in the question's language", f"{scores.in_language:.0%}", "≥ 95%"),
        ("grounding (answer sentences supported by their cited passage)", f"{scores.grounding:.0%}", "report"),
        ("in-scope questions answered (not declined)", f"{scores.answered_in_scope:.0%}", "—"),
        ("out-of-scope questions declined ('not in the report')", f"{scores.declined_out_of_scope:.0%}", "≥ 90%"),
        ("answers written by the model (rest: extractive or template)", f"{scores.model_answers:.0%}", "—"),
        (
            "time until the cited passages are known, p50 / p95",
            f"{scores.passages_p50_s} s / {scores.passages_p95_s} s",
            "≤ 0.5 s",
        ),
        ("time to first token, p50 / p95", ft, "≤ 4 s (embedded)"),
        ("total answer time, p50", f"{scores.total_p50_s} s", "—"),
    ]
    when = f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC"
    failures = ", ".join(scores.failures) or "—"
    intro = (
        f"Backend `{scores.backend}`, `{file.name}`, {scores.items} items; measured {when} on {machine_description()},"
        f" after one warm-up question. Items not as expected: {failures}."
    )
    return measure_table(intro, rows)


def write_answers_section(scores: AnswerScores, file: Path, path: Path = BENCH_DOC) -> Path:
    body = f"## Answers (`slim eval answers --llm {scores.backend.split(':')[0]}`)\n\n" + answers_table(scores, file)
    return update_section(path, f"slim eval answers {scores.backend.split(':')[0]}", body)


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

    engine = ReflectionEngine(settings, Retriever(open_index(settings)), LanguageModel("none", None))
    view = engine.start("coordinator", "nl", route_id=LONG_ROUTE, owner=owner)
    while view.waiting_for != "free":
        answer = f"In ons netwerk speelt bij thema {view.progress[0]} vooral het vertrouwen tussen partners een rol."
        view = engine.send(view.info.id, {"type": "answer", "text": answer})
        view = engine.send(view.info.id, {"type": "deepen"})
        view = engine.send(view.info.id, {"type": "next"})
        view = engine.send(view.info.id, {"type": "score", "value": 3})
    for question in ("Wat is stralend falen?", "Wat is lerend vermogen?"):
        view = engine.send(view.info.id, {"type": "ask", "text": question})
    return sum(1 for turn in view.turns if turn["text"])


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
    from assistant.owners import issue_key

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
