"""`slim bench --load N`: N people asking questions at once, in one process, as the app serves them.

Each person has their own workspace and retriever (as in the app); all share the report index and the
one language model, whose requests take turns in ``LanguageModel.queue``. Retrieval latency is measured
inside ``answer_question``, so it includes the CPU the model takes from everyone else meanwhile.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from time import perf_counter

from pydantic import BaseModel

from assistant.answer import answer_question
from assistant.config import Settings
from assistant.evaluation.stats import machine_description, percentile
from assistant.index import open_index
from assistant.llm import LanguageModel, RequestQueue
from assistant.retrieve import Retriever
from assistant.workspace import Workspaces


class MeasuredQueue(RequestQueue):
    """The model's queue with a record of how long each request waited and the longest line seen. Only
    the load bench uses it: the app's queue keeps no counters that grow for the life of the process."""

    def __init__(self, slots: int = 1):
        super().__init__(slots)
        self.waits: list[float] = []
        self.longest_line = 0

    @contextmanager
    def turn(self, on_wait: Callable[[int], None] | None = None) -> Iterator[None]:
        queued = perf_counter()
        with self._changed:
            self.longest_line = max(self.longest_line, self.waiting + self._busy)
        with super().turn(on_wait):
            self.waits.append(perf_counter() - queued)
            yield


class LoadResult(BaseModel):
    people: int
    questions: int
    model: str
    retrieval_p50_ms: float
    retrieval_p95_ms: float
    wait_p50_s: float
    wait_p95_s: float
    wait_max_s: float
    longest_line: int
    told_waiting: int  # answers whose person was told their place in line
    first_token_p95_s: float | None
    wall_s: float


def run_load_bench(
    settings: Settings, llm: LanguageModel, people: int, questions: Sequence[str], per_person: int = 2
) -> LoadResult:
    workspaces = Workspaces(
        settings, open_index(settings), partial(Retriever, prompts_dir=settings.prompts_dir), size=people
    )
    retrievers = [workspaces.get(f"bench-load-{i}")[1] for i in range(people)]
    for retriever in retrievers:
        retriever.snapshot()  # loaded on a person's first question in the app; not what is timed here
    start_line = threading.Barrier(people)
    timings: list[tuple[float, float | None, bool]] = []
    lock = threading.Lock()
    queue = llm.queue = MeasuredQueue(llm.queue.slots)

    def person(i: int) -> None:
        start_line.wait()
        for n in range(per_person):
            told: list[int] = []
            question = questions[(i * per_person + n) % len(questions)]
            result = answer_question(question, retrievers[i], llm, settings, on_wait=told.append)
            with lock:
                timings.append((result.timings.retrieval_s, result.timings.first_token_s, bool(told)))

    threads = [threading.Thread(target=person, args=(i,)) for i in range(people)]
    began = perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = perf_counter() - began
    for i in range(people):
        workspaces.get(f"bench-load-{i}")[0].delete()
    retrieval_ms = [r * 1000 for r, _, _ in timings]
    first = [f for _, f, _ in timings if f is not None]
    waits = queue.waits or [0.0]
    return LoadResult(
        people=people,
        questions=len(timings),
        model=llm.name,
        retrieval_p50_ms=round(percentile(retrieval_ms, 50), 1),
        retrieval_p95_ms=round(percentile(retrieval_ms, 95), 1),
        wait_p50_s=round(percentile(waits, 50), 2),
        wait_p95_s=round(percentile(waits, 95), 2),
        wait_max_s=round(max(waits), 2),
        longest_line=queue.longest_line,
        told_waiting=sum(t for _, _, t in timings),
        first_token_p95_s=round(percentile(first, 95), 2) if first else None,
        wall_s=round(wall, 1),
    )


def load_table(results: Sequence[LoadResult]) -> str:
    rows = [
        f"| {r.people} | {r.questions} | `{r.model}` | {r.retrieval_p50_ms} | **{r.retrieval_p95_ms}** | "
        f"{r.wait_p50_s} / {r.wait_p95_s} / {r.wait_max_s} | {r.longest_line} | {r.told_waiting} | "
        f"{r.first_token_p95_s if r.first_token_p95_s is not None else '—'} | {r.wall_s} |"
        for r in results
    ]
    return "\n".join(
        [
            "## People at once (`slim bench --load N`)",
            "",
            f"{machine_description()}. Target: 10 people at once, retrieval p95 ≤ 300 ms.",
            "",
            "| people | questions | model | retrieval p50 ms | retrieval p95 ms | wait for the model p50 / p95 / max s "
            "| longest line | told their place in line | first token p95 s | wall s |",
            "|---|---|---|---|---|---|---|---|---|---|",
            *rows,
            "",
            "Each person has their own workspace and retriever, as in the app; all share the report index and "
            "one embedded model that answers one request at a time. Retrieval latency is measured inside "
            "the answer, so it includes the CPU the model takes meanwhile. A person whose answer waits is told "
            "their place in line (`ui.queued`); the passages are shown before the wait.",
        ]
    )
