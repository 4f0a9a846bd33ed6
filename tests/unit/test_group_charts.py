"""The group radar: drawn only where a radar says something (three shown themes or more), from the shown
results alone, and a title with '$' in it is text, not mathtext."""

from __future__ import annotations

import datetime as dt

from assistant.group.charts import group_radar_png
from assistant.group.models import Results, ThemeResult

LABELS = {"mean": "gemiddelde", "band": "laagste–hoogste", "previous": "vorige scan"}


def result(theme: str, scores: list[int], title: str | None = None) -> ThemeResult:
    return ThemeResult(
        theme=theme,
        title=title or theme,
        n=len(scores),
        pattern="divided",
        distribution={s: scores.count(s) for s in range(1, 6)},
        mean=sum(scores) / len(scores),
        min=min(scores),
        max=max(scores),
    )


def results(themes: list[ThemeResult]) -> Results:
    return Results(scan_id="s", network="N", lang="nl", answered=4, min_answers=3, revealed=True, shown=True,
                   themes=themes, previous_created=dt.datetime(2025, 1, 1, tzinfo=dt.UTC))  # fmt: skip


def test_three_themes_or_more_make_a_png_and_fewer_make_none() -> None:
    three = results([result("a", [1, 3, 5]), result("b", [2, 2, 3]), result("c", [4, 5, 5], "$\\foo$ kosten")])
    png = group_radar_png(three, LABELS)
    assert png is not None and png.startswith(b"\x89PNG")
    assert group_radar_png(results(three.themes[:2]), LABELS) is None


def test_too_few_themes_are_left_out_and_the_previous_scan_is_drawn() -> None:
    hidden = ThemeResult(theme="d", title="d", n=1, pattern="too_few")
    shown = [result("a", [1, 3, 5]), result("b", [2, 2, 3])]
    assert group_radar_png(results([*shown, hidden]), LABELS) is None  # two shown themes: no radar
    shown[0].previous = result("a", [4, 4, 4])
    png = group_radar_png(results([*shown, result("c", [3, 3, 4])]), LABELS)
    assert png is not None and len(png) > 1000
