"""The group scan's radar: per theme the group's mean as a line inside its min–max band, the previous
scan's means dashed beside it. Drawn like the personal summary's radar (``assistant.summary``); theme
titles and the network name go through ``safe_text.plot_text`` (text, never mathtext)."""

from __future__ import annotations

import io
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from assistant.group.models import Results  # noqa: E402
from assistant.safe_text import plot_text  # noqa: E402


def group_radar_png(results: Results, labels: dict[str, str]) -> bytes | None:
    """A radar of the shown themes (None below three: a radar of two axes says nothing). ``labels`` names
    the series: "mean", "band" and "previous", in the page's language."""
    themes = [t for t in results.themes if t.mean is not None]
    if len(themes) < 3:
        return None
    angles = [2 * math.pi * i / len(themes) for i in range(len(themes))]
    closed = angles + angles[:1]
    lows = [float(t.min or 0) for t in themes]
    highs = [float(t.max or 0) for t in themes]
    means = [float(t.mean or 0) for t in themes]
    fig, ax = plt.subplots(figsize=(5.2, 5.2), subplot_kw={"polar": True})
    ax.fill_between(closed, lows + lows[:1], highs + highs[:1], color="#6b2c91", alpha=0.18, label=labels["band"])
    ax.plot(closed, means + means[:1], color="#6b2c91", linewidth=2, label=labels["mean"])
    before = [t.previous.mean if t.previous and t.previous.mean is not None else None for t in themes]
    if any(v is not None for v in before):
        values = [v if v is not None else float("nan") for v in before]
        ax.plot(closed, values + values[:1], color="#555555", linewidth=1.5, linestyle="--", label=labels["previous"])
    ax.set_xticks(angles, [plot_text(t.title) for t in themes], fontsize=8)
    ax.set_ylim(0, 5)
    ax.set_yticks([1, 2, 3, 4, 5], ["1", "2", "3", "4", "5"], fontsize=7)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, -0.25), fontsize=8, ncol=3)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=130)
    plt.close(fig)
    return buffer.getvalue()
