"""``slim bench --group N``: N simulated participants submitting every theme at once through the real group
store (separate processes on one SQLite file, as N browser sessions of the app are), while a facilitator
process reads the results count as the live page does; with ``--browsers B`` also B real browser
participants on the running app, and a facilitator's page in a browser (``group_browser``).

Measured: submissions lost (target 0), per-submission latency p95 (target: well under the page's 300 ms
click budget), and the time until a results read shows a participant's first answer (target ≤ 2 s). The
reader polls at ``POLL_S``; the app's live count refreshes every ``store.LIVE_EVERY_S``, so the page's lag
is at most that interval plus a rerun plus the storage lag measured here (``group_browser`` times the page).
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import random
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel

from assistant.config import PROJECT_ROOT
from assistant.evaluation.stats import load_average, machine_description, percentile
from assistant.group.models import ScanSettings, ThemeAnswer
from assistant.group.results import scan_results
from assistant.group.store import GroupStore

if TYPE_CHECKING:  # Playwright only where browsers are asked for
    from assistant.evaluation.group_browser import GroupBrowsers

POLL_S = 0.05
FOLDER_PREFIX = "slim-group-bench-"
PROMPTS = PROJECT_ROOT / "prompts"


PACE_S = 2.0
"""the paced run: each participant waits up to this long (uniformly) before each save, as people reading
a theme's levels do; the burst run (pace 0) releases every save at the same moment"""


class GroupBenchResult(BaseModel):
    participants: int
    pace_s: float
    themes: int
    expected: int
    stored: int
    lost: int
    errors: int
    submit_p50_ms: float
    submit_p95_ms: float
    submit_max_ms: float
    visible_p50_s: float
    visible_p95_s: float
    visible_max_s: float
    wall_s: float
    machine: str
    load: str = ""
    """the load averages (1 / 5 / 15 min, as `uptime` gives them) when the run ended"""
    browsers: int = 0
    browser_answers: int = 0
    """answers the browser participants gave (in ``expected``; ``lost`` counts theirs too)"""
    browser_lost: int = 0
    """of those, how many the store does not hold with the score last clicked"""
    clicks: int = 0
    clicks_during_writes: int = 0
    """clicks made before the simulated participants' last save: the rest met only the browsers' load"""
    click_p50_ms: float = 0.0
    click_p95_ms: float = 0.0
    click_max_ms: float = 0.0
    changes: int = 0
    change_pause_s: float = 0.0
    """the most a browser participant waited between two changes"""
    browser_rounds: int = 0
    live_every_s: float = 0.0
    """how often the facilitator's page reads the count (``store.LIVE_EVERY_S``)"""
    shown_p50_s: float = 0.0
    shown_p95_s: float = 0.0
    shown_max_s: float = 0.0


def _participant(path: str, data_dir: str, scan_id: str, themes: list[str], pace_s: float, number: int, start, out):
    """One participant: waits for everyone, then saves every theme in turn, as the fill-in page does."""
    store = GroupStore(Path(path), Path(data_dir))
    person = store.new_participant()
    latencies, first, last, errors = [], None, None, 0
    pause = random.Random(number)
    start.wait()
    for i, theme in enumerate(themes):
        time.sleep(pause.uniform(0, pace_s))
        answer = ThemeAnswer(theme=theme, score=1 + (number + i) % 5, explanation=f"deelnemer {number} thema {i}")
        began = time.perf_counter()
        try:
            store.save_answer(scan_id, person, answer)
        except Exception:  # noqa: BLE001 - counted: a failed save is a lost submission
            errors += 1
            continue
        latencies.append(time.perf_counter() - began)
        last = time.time()
        first = first if first is not None else last
    out.put((latencies, first, errors, last))


def _facilitator(path: str, data_dir: str, scan_id: str, people: int, start, stop, out) -> None:
    """Reads the results as the facilitator page does, noting when each new count first shows."""
    store = GroupStore(Path(path), Path(data_dir))
    seen: list[float] = []
    start.wait()
    while not stop.is_set() and len(seen) < people:
        answered = scan_results(store, store.get(scan_id), PROMPTS, None).answered
        now = time.time()
        seen.extend([now] * (answered - len(seen)))
        time.sleep(POLL_S)
    out.put(seen)


def run_group_bench(people: int = 30, pace_s: float = 0.0, browsers: GroupBrowsers | None = None) -> GroupBenchResult:
    """Run the simulation in a fresh temporary data folder (the browsers' app's, when there are browsers);
    nothing of the user's data is touched. The browsers click while the simulated participants write; the
    facilitator's page is timed once they are done."""
    ctx = multiprocessing.get_context("fork")
    folder = nullcontext(str(browsers.data_dir)) if browsers else tempfile.TemporaryDirectory(prefix=FOLDER_PREFIX)
    filled = None
    followed: list[float] = []
    with folder as tmp:
        data_dir = Path(tmp)
        store = GroupStore(data_dir / "sessions.sqlite", data_dir)
        created = store.create(ScanSettings(network="Bench", min_answers=3))
        scan = created.scan
        themes = list(scan.settings.themes)
        if browsers:
            browsers.join(created)
        start, stop, results, seen_queue = ctx.Barrier(people + 1), ctx.Event(), ctx.Queue(), ctx.Queue()
        args = (str(store.path), str(data_dir), scan.id)
        everyone = people + (browsers.count * browsers.rounds if browsers else 0)
        reader = ctx.Process(target=_facilitator, args=(*args, everyone, start, stop, seen_queue))
        writers = [
            ctx.Process(target=_participant, args=(*args, themes, pace_s, n, start, results)) for n in range(people)
        ]
        began = time.perf_counter()
        for process in [reader, *writers]:
            process.start()
        if browsers:
            filled = browsers.fill()
        outcomes = [results.get(timeout=300) for _ in writers]
        for process in writers:
            process.join(timeout=60)
        try:
            seen = seen_queue.get(timeout=10)
        finally:
            stop.set()
            reader.join(timeout=10)
        wall = time.perf_counter() - began
        if browsers:
            if everyone >= scan.settings.min_answers:  # the results show: the facilitator's page can follow
                followed = browsers.follow(store, created)
            given, browser_lost = browsers.lost(store, scan.id)
        else:
            given = browser_lost = 0
        stored = len(store.answers(scan.id))
    latencies = [x * 1000 for lat, _, _, _ in outcomes for x in lat]
    clicks, clicked_at = (filled.times, filled.clicked_at) if filled else ([], [])
    firsts = sorted([first for _, first, _, _ in outcomes if first is not None] + (filled.firsts if filled else []))
    writes_end = max((last for _, _, _, last in outcomes if last is not None), default=0.0)
    lags = [max(0.0, shown - done) for done, shown in zip(firsts, seen, strict=False)]
    lags += [float("inf")] * (len(firsts) - len(lags))  # a first answer the reader never saw
    expected = people * len(themes) + given
    return GroupBenchResult(
        participants=people,
        pace_s=pace_s,
        themes=len(themes),
        expected=expected,
        stored=stored,
        lost=expected - stored,
        errors=sum(e for _, _, e, _ in outcomes),
        submit_p50_ms=percentile(latencies, 50),
        submit_p95_ms=percentile(latencies, 95),
        submit_max_ms=max(latencies, default=0.0),
        visible_p50_s=percentile(lags, 50),
        visible_p95_s=percentile(lags, 95),
        visible_max_s=max(lags, default=0.0),
        wall_s=wall,
        machine=machine_description(),
        load=load_average(),
        browsers=browsers.count if browsers else 0,
        browser_answers=given,
        browser_lost=browser_lost,
        clicks=len(clicks),
        clicks_during_writes=sum(1 for at in clicked_at if at <= writes_end),
        click_p50_ms=percentile(clicks, 50),
        click_p95_ms=percentile(clicks, 95),
        click_max_ms=max(clicks, default=0.0),
        change_pause_s=browsers.pause_s if browsers else 0.0,
        browser_rounds=browsers.rounds if browsers else 0,
        live_every_s=browsers.live_every_s if browsers else 0.0,
        changes=len(followed),
        shown_p50_s=percentile(followed, 50),
        shown_p95_s=percentile(followed, 95),
        shown_max_s=max(followed, default=0.0),
    )


def group_table(results: list[GroupBenchResult]) -> str:
    """The figures as the Markdown section of docs/benchmarks.md: one row per run (burst, paced), and with
    browsers a second table of what the browser participants and the facilitator's page saw."""
    first = results[0]
    rows, browser_rows = [], []
    for r in results:
        ok = "✓" if r.lost == 0 and r.errors == 0 and r.browser_lost == 0 else "✗"
        seen = "✓" if r.visible_p95_s <= 2 else "✗"
        how = "burst (all at once)" if r.pace_s == 0 else f"paced (0–{r.pace_s:g} s before each save)"
        rows.append(
            f"| {how} | {r.lost} of {r.expected} ({r.errors} errors) {ok} | {r.submit_p50_ms:.0f} / "
            f"{r.submit_p95_ms:.0f} / {r.submit_max_ms:.0f} | {r.visible_p50_s:.2f} / {r.visible_p95_s:.2f} / "
            f"{r.visible_max_s:.2f} {seen} | {r.wall_s:.1f} s | {r.load} |"
        )
        if r.browsers:
            click = "✓" if r.click_p95_ms <= 300 else "✗"
            shown = "✓" if r.shown_p95_s <= 2 else "✗"
            followed = (
                f"{r.shown_p50_s:.2f} / {r.shown_p95_s:.2f} / {r.shown_max_s:.2f} ({r.changes} changes) {shown}"
                if r.changes
                else "— (fewer participants than the scan's minimum: no results to follow)"
            )
            browser_rows.append(
                f"| {how} | {r.click_p50_ms:.0f} / {r.click_p95_ms:.0f} / {r.click_max_ms:.0f} ({r.clicks} clicks,"
                f" {r.clicks_during_writes} during the simulated saves)"
                f" {click} | {followed} | {r.browser_lost} of {r.browser_answers} |"
            )
    browsers = first.browsers
    lines = [
        f"## Group scan, {first.participants} participants at once (`slim bench --group {first.participants}"
        + (f" --browsers {browsers}`)" if browsers else "`)"),
        "",
        f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC. {first.participants} processes on one SQLite file"
        f" (WAL) each save {first.themes} themes through the",
        "real group store; a facilitator process reads the results count every "
        f"{POLL_S * 1000:.0f} ms. Machine: {first.machine};",
        "shared with other jobs while measured (load averages over 1 / 5 / 15 min, as `uptime` gives them, in",
        "the last column), so latencies are upper bounds.",
        "",
        "| run | submissions lost (target 0) | save latency p50 / p95 / max, ms | first answer → shown in a"
        " results read, p50 / p95 / max, s (target ≤ 2) | wall | load |",
        "|---|---|---|---|---|---|",
        *rows,
    ]
    if not browsers:
        return "\n".join(
            [*lines, "", "Without `--browsers`: no real browser participants and no facilitator's page in this run."]
        )
    return "\n".join(
        [
            *lines,
            "",
            f"In the same runs, {browsers} real browser participants (headless Chromium, a context each, on the"
            " app's `streamlit run`) fill in the same scan while the simulated participants write: every theme,"
            f" {first.browser_rounds} times each (“Volgende deelnemer” in between); their answers are counted in the"
            " lost column above. A click is timed in the page from the click on a score label until “Opgeslagen.”"
            " shows in that theme's box and the server's rerun has finished. Once the simulated participants are"
            " done, the results are revealed and a facilitator's page opens in another context; then one browser"
            f" participant changes an answer, pausing 0–{first.change_pause_s:g} s between changes, each timed from"
            " the click until the facilitator's page shows that theme's new distribution (one clock: both pages"
            " stamp `performance.timeOrigin + performance.now()`). The page reads the count every"
            f" {first.live_every_s:g} s and reruns when it changed.",
            "",
            "| run | click → “Opgeslagen.”, p50 / p95 / max, ms (target ≤ 300) | change → on the facilitator's"
            " page, p50 / p95 / max, s (target ≤ 2) | browser answers lost (target 0) |",
            "|---|---|---|---|",
            *browser_rows,
        ]
    )
