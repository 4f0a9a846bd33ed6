"""Speed, memory and retrieval figures, measured on the machine at hand and recorded in docs/benchmarks.md.

Timings are taken here, never asserted in unit tests: a test on a busy CI machine says nothing about speed.
"""

from __future__ import annotations

import datetime as dt
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from time import perf_counter

from pydantic import BaseModel

from assistant.config import PROJECT_ROOT, Settings
from assistant.evaluation.quality import CUTOFFS, AnswerScores, ModeScores, Query
from assistant.evaluation.stats import machine_description, percentile
from assistant.index import corpus_files, open_index, sync
from assistant.retrieve import Retriever

DEFAULT_QUERIES = PROJECT_ROOT.parent / "shared" / "eval" / "retrieval-dev.jsonl"
BENCH_DOC = PROJECT_ROOT / "docs" / "benchmarks.md"
JSON_KEYS = ("index_cold_s", "index_warm_s", "index_cached_s", "query_p50_ms", "query_p95_ms", "peak_rss_mb")
ROUNDS = 3


class BenchResult(BaseModel):
    index_cold_s: float
    index_warm_s: float
    index_warm_cli_s: float
    index_cached_s: float
    """the index dropped and built again with the vector cache of the cold run (``slim index --rebuild``)"""
    query_p50_ms: float
    query_p95_ms: float
    peak_rss_mb: float
    passages: int
    queries: int
    embeddings: str
    machine: str
    date: str


def run_bench(settings: Settings, queries: Sequence[Query]) -> BenchResult:
    """Index the corpus into a fresh directory, with an empty vector cache (cold), again with nothing
    changed (warm, in this process and as a new ``slim index`` process), then dropped and built again from
    the vector cache the cold run filled (as after ``slim index --rebuild``), then time hybrid searches
    for ``queries``."""
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

        start = perf_counter()
        idx = open_index(bench_settings, rebuild=True, embeddings=idx.embeddings)
        sync(idx, corpus_files(bench_settings))
        cached = perf_counter() - start

        retriever = Retriever(idx, settings.prompts_dir)
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
        index_cached_s=round(cached, 2),
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
        ("cold index of the corpus (empty vector cache)", f"{result.index_cold_s} s", "≤ 30 s (issue 13)"),
        ("warm re-index, nothing changed (in process)", f"{result.index_warm_s} s", "≤ 2 s"),
        ("warm re-index as a new `slim index` process", f"{result.index_warm_cli_s} s", "—"),
        ("index built again from the vector cache (`slim index --rebuild`)", f"{result.index_cached_s} s", "—"),
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
    groups = group_table(scores)
    return "\n".join(lines) + ("\n\n" + groups if groups else "")


def group_table(scores: Sequence[ModeScores]) -> str:
    """Recall@1 / recall@5 per question label (type, language, style) and mode; empty for an unlabelled file."""
    if not scores or not scores[0].groups:
        return ""
    header = "| label | questions | " + " | ".join(f"{s.mode} @1 / @5" for s in scores) + " |"
    lines = ["Per label, recall@1 / recall@5:", "", header, "|---" * (len(scores) + 2) + "|"]
    for field, labels in scores[0].groups.items():
        for label, group in labels.items():
            cells = " | ".join(
                f"{s.groups[field][label].recall_1:.2f} / {s.groups[field][label].recall_5:.2f}" for s in scores
            )
            lines.append(f"| {field}: {label} | {group.count} | {cells} |")
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


def share(value: float | None) -> str:
    """A share as a percentage; "—" where the file has no question it is a share of."""
    return "—" if value is None else f"{value:.0%}"


def answers_table(scores: AnswerScores, file: Path, split: str | None = None) -> str:
    ft = "—" if scores.first_token_p50_s is None else f"{scores.first_token_p50_s} s / {scores.first_token_p95_s} s"
    rows = [
        ("citation validity (every [n] points at a passage)", f"{scores.citation_validity:.0%}", "100%"),
        ("answers in the question's language", f"{scores.in_language:.0%}", "≥ 95%"),
        ("grounding (answer sentences supported by their cited passage)", f"{scores.grounding:.0%}", "report"),
        ("in-scope questions answered (not declined)", share(scores.answered_in_scope), "≥ 90%"),
        *(
            [
                (
                    "answering sentence cited (evidence phrase in a cited sentence)",
                    f"{scores.answering_cited:.0%}",
                    "≥ 90%",
                ),
                ("answering passage among the cited ones (retrieval's share)", f"{scores.passage_retrieved:.0%}", "—"),
            ]
            if scores.answering_cited is not None and scores.passage_retrieved is not None
            else []
        ),
        ("out-of-scope questions declined ('not in the report')", share(scores.declined_out_of_scope), "≥ 90%"),
        ("answers written by the model (rest: extractive or template)", f"{scores.model_answers:.0%}", "—"),
        ("answers quoting the sentence the model chose", f"{scores.model_chosen:.0%}", "—"),
        (
            "time until the cited passages are known, p50 / p95",
            f"{scores.passages_p50_s} s / {scores.passages_p95_s} s",
            "≤ 0.5 s",
        ),
        ("time to first token (a chosen answer: to its text), p50 / p95", ft, "≤ 4 s (embedded)"),
        ("total answer time, p50", f"{scores.total_p50_s} s", "—"),
    ]
    when = f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC"
    failures = ", ".join(scores.failures) or "—"
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg()) + " (1 / 5 / 15 min)"
    intro = (
        f"Backend `{scores.backend}`, `{file.name}`{f' ({split} half)' if split else ''}, {scores.items} items;"
        f" measured {when} on {machine_description()},"
        f" after one warm-up question; load average at the end {load}."
        f" Items not as expected: {failures}."
    )
    return measure_table(intro, rows)


def write_answers_section(scores: AnswerScores, file: Path, split: str | None = None, path: Path = BENCH_DOC) -> Path:
    backend = scores.backend.split(":")[0]
    option = f" --split {split}" if split else ""
    body = f"## Answers (`slim eval answers --llm {backend}{option}`)\n\n" + answers_table(scores, file, split)
    return update_section(path, f"slim eval answers {backend}{option}", body)
