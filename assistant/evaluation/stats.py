"""The one way SLIM's figures are summarised, so every p95 in docs/benchmarks.md means the same."""

from __future__ import annotations

import os
import platform
import statistics
from collections.abc import Sequence
from pathlib import Path


def percentile(values: Sequence[float], q: int) -> float:
    """The q-th percentile, linearly interpolated between the nearest ranks (``statistics.quantiles``
    with the inclusive method); 0 for no values."""
    if len(values) < 2:
        return float(values[0]) if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


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


def load_average() -> str:
    """The machine's load averages over 1 / 5 / 15 minutes, as `uptime` gives them: timings measured under a
    load above the number of cores are upper bounds."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.1f} / {five:.1f} / {fifteen:.1f}"
