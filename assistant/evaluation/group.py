"""``slim bench --group N``: N simulated participants submitting every theme at once through the real group
store (separate processes on one SQLite file, as N browser sessions of the app are), while a facilitator
process reads the results count as the live page does.

Measured: submissions lost (target 0), per-submission latency p95 (target: well under the page's 300 ms
click budget), and the time until a results read shows a participant's first answer (target ≤ 2 s). The
reader polls at ``POLL_S``; the app's live count refreshes every 1.5 s (``ui/group.py``), so the page's lag
is at most that interval plus the storage lag measured here.
"""

from __future__ import annotations

import multiprocessing
import random
import tempfile
import time
from pathlib import Path

from pydantic import BaseModel

from assistant.config import PROJECT_ROOT
from assistant.evaluation.stats import machine_description, percentile
from assistant.group.models import ScanSettings, ThemeAnswer
from assistant.group.results import scan_results
from assistant.group.store import GroupStore

POLL_S = 0.05
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


def _participant(path: str, data_dir: str, scan_id: str, themes: list[str], pace_s: float, number: int, start, out):
    """One participant: waits for everyone, then saves every theme in turn, as the fill-in page does."""
    store = GroupStore(Path(path), Path(data_dir))
    person = store.new_participant()
    latencies, first, errors = [], None, 0
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
        first = first if first is not None else time.time()
    out.put((latencies, first, errors))


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


def run_group_bench(people: int = 30, pace_s: float = 0.0) -> GroupBenchResult:
    """Run the simulation in a fresh temporary data folder; nothing of the user's data is touched."""
    ctx = multiprocessing.get_context("fork")
    with tempfile.TemporaryDirectory(prefix="slim-group-bench-") as tmp:
        data_dir = Path(tmp)
        store = GroupStore(data_dir / "sessions.sqlite", data_dir)
        scan = store.create(ScanSettings(network="Bench", min_answers=3)).scan
        themes = list(scan.settings.themes)
        start, stop, results, seen_queue = ctx.Barrier(people + 1), ctx.Event(), ctx.Queue(), ctx.Queue()
        args = (str(store.path), str(data_dir), scan.id)
        reader = ctx.Process(target=_facilitator, args=(*args, people, start, stop, seen_queue))
        writers = [
            ctx.Process(target=_participant, args=(*args, themes, pace_s, n, start, results)) for n in range(people)
        ]
        began = time.perf_counter()
        for process in [reader, *writers]:
            process.start()
        outcomes = [results.get(timeout=300) for _ in writers]
        for process in writers:
            process.join(timeout=60)
        try:
            seen = seen_queue.get(timeout=10)
        finally:
            stop.set()
            reader.join(timeout=10)
        wall = time.perf_counter() - began
        stored = len(store.answers(scan.id))
    latencies = [x * 1000 for lat, _, _ in outcomes for x in lat]
    firsts = sorted(first for _, first, _ in outcomes if first is not None)
    lags = [max(0.0, shown - done) for done, shown in zip(firsts, seen, strict=False)]
    lags += [float("inf")] * (len(firsts) - len(lags))  # a first answer the reader never saw
    expected = people * len(themes)
    return GroupBenchResult(
        participants=people,
        pace_s=pace_s,
        themes=len(themes),
        expected=expected,
        stored=stored,
        lost=expected - stored,
        errors=sum(e for _, _, e in outcomes),
        submit_p50_ms=percentile(latencies, 50),
        submit_p95_ms=percentile(latencies, 95),
        submit_max_ms=max(latencies, default=0.0),
        visible_p50_s=percentile(lags, 50),
        visible_p95_s=percentile(lags, 95),
        visible_max_s=max(lags, default=0.0),
        wall_s=wall,
        machine=machine_description(),
    )


def group_table(results: list[GroupBenchResult]) -> str:
    """The figures as the Markdown section of docs/benchmarks.md: one row per run (burst, paced)."""
    first = results[0]
    rows = []
    for r in results:
        ok = "✓" if r.lost == 0 and r.errors == 0 else "✗"
        seen = "✓" if r.visible_p95_s <= 2 else "✗"
        how = "burst (all at once)" if r.pace_s == 0 else f"paced (0–{r.pace_s:g} s before each save)"
        rows.append(
            f"| {how} | {r.lost} of {r.expected} ({r.errors} errors) {ok} | {r.submit_p50_ms:.0f} / "
            f"{r.submit_p95_ms:.0f} / {r.submit_max_ms:.0f} | {r.visible_p50_s:.2f} / {r.visible_p95_s:.2f} / "
            f"{r.visible_max_s:.2f} {seen} | {r.wall_s:.1f} s |"
        )
    return "\n".join(
        [
            f"## Group scan, {first.participants} participants at once (`slim bench --group {first.participants}`)",
            "",
            f"{first.participants} processes on one SQLite file (WAL) each save {first.themes} themes through the",
            "real group store; a facilitator process reads the results count every "
            f"{POLL_S * 1000:.0f} ms. Machine: {first.machine};",
            "shared with other jobs while measured, so latencies are upper bounds.",
            "",
            "| run | submissions lost (target 0) | save latency p50 / p95 / max, ms | first answer → shown in a"
            " results read, p50 / p95 / max, s (target ≤ 2) | wall |",
            "|---|---|---|---|---|",
            *rows,
            "",
            "The facilitator page refreshes its live count every 1.5 s, so on the page a new answer appears at",
            "most that interval after the read above would show it. Real browser participants (a click's p95,",
            "target ≤ 300 ms) are not in this run: the group pages were not in main when it was written.",
        ]
    )
