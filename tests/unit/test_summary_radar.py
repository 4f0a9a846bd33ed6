"""A theme the person skipped has no score: the radar leaves it out (or, for an earlier session laid
beside, leaves a gap) instead of drawing it at 0, which reads as the lowest score."""

from __future__ import annotations

import math

import pytest
from matplotlib.axes import Axes

import assistant.summary as summary
from assistant.config import PROJECT_ROOT
from assistant.domain import Synthesis
from assistant.prompts import question_bank, reflection_prompts
from assistant.sessions import SessionInfo

TITLES = {"doel": "Doel", "proces": "Proces", "cultuur": "Cultuur", "waarde": "Waarde"}


def test_the_axes_are_the_scored_themes_and_the_skipped_are_named() -> None:
    axes, skipped = summary.radar_themes(TITLES, {"doel": 2, "cultuur": 4, "waarde": 3})
    assert axes == {"doel": "Doel", "cultuur": "Cultuur", "waarde": "Waarde"} and skipped == ["Proces"]


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> list[list[float]]:
    """The values of every line the radar draws."""
    lines: list[list[float]] = []
    real = Axes.plot

    def plot(self: Axes, x: list[float], y: list[float], *args: object, **kwargs: object) -> object:
        lines.append(list(y))
        return real(self, x, y, *args, **kwargs)

    monkeypatch.setattr(Axes, "plot", plot)
    return lines


def test_a_theme_without_a_score_is_a_gap_not_a_zero(drawn: list[list[float]]) -> None:
    png = summary.radar_png(
        [("Nu", {"doel": 2, "proces": 3, "cultuur": 4}), ("Eerder", {"doel": 1, "cultuur": 5})], TITLES
    )
    assert png.startswith(b"\x89PNG")
    now, earlier = drawn
    assert now[:3] == [2, 3, 4] and math.isnan(now[3])  # "waarde": no score in either
    assert math.isnan(earlier[1]) and 0 not in now + earlier


def test_the_pdf_radar_leaves_a_skipped_theme_out(monkeypatch: pytest.MonkeyPatch) -> None:
    prompts = PROJECT_ROOT / "prompts"
    axes: list[list[str]] = []
    real = summary.radar_png
    monkeypatch.setattr(summary, "radar_png", lambda series, titles: axes.append(list(titles)) or real(series, titles))
    themes = [
        {"theme": theme, "title": title, "points": [], "score": None if theme == "proces" else 3, "score_label": None}
        for theme, title in TITLES.items()
    ]
    synthesis = Synthesis.model_validate(
        {"themes": themes, "cycles": [], "actions": [], "group_questions": [], "citations": []}
    )
    info = SessionInfo(id="s", title="T", role="board", lang="nl", mode="guided", route=None, created="", updated="")
    summary.session_pdf(info, synthesis, question_bank(prompts), reflection_prompts(prompts)["nl"], "nl")
    assert axes == [["doel", "cultuur", "waarde"]]
