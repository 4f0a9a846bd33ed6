"""The summary of a reflection as pictures and a PDF: a radar chart of the self-assessment (optionally
beside an earlier session), the value-creation ladder, and a PDF with the synthesis, its citations and
the charts. Pure functions over a session's state; the app and the CLI only display or save the bytes.
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display: render to memory
import matplotlib.pyplot as plt  # noqa: E402
from fpdf import FPDF  # noqa: E402

from assistant.config import Language  # noqa: E402
from assistant.domain import CycleReached, LadderStep, Synthesis  # noqa: E402
from assistant.i18n import t  # noqa: E402
from assistant.prompts import QuestionBank  # noqa: E402
from assistant.safe_text import plot_text  # noqa: E402
from assistant.sessions import SessionInfo, export_header  # noqa: E402
from assistant.summary_lines import action_line, cycle_status, shown_cycles  # noqa: E402
from assistant.text import one_line  # noqa: E402

FONT = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
FONT_BOLD = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans-Bold.ttf"


RADAR_MIN_THEMES = 3
"""fewer axes make no shape to read"""


def radar_themes(titles: dict[str, str], scores: dict[str, int]) -> tuple[dict[str, str], list[str]]:
    """The radar's axes, only the themes the person scored, and the titles of those they skipped (to
    name under the chart): a skipped theme drawn at 0 would read as the lowest score."""
    scored = {theme: title for theme, title in titles.items() if scores.get(theme)}
    return scored, [title for theme, title in titles.items() if theme not in scored]


def radar_png(series: list[tuple[str, dict[str, int]]], titles: dict[str, str]) -> bytes:
    """A radar chart of 1-5 scores per theme; each series is (label, {theme_id: score}). A theme a series
    has no score for is a gap in its line, never 0 (an earlier session laid beside may have skipped
    one). The labels are session titles a person chose: text, never mathtext."""
    themes = list(titles)
    angles = [2 * math.pi * i / len(themes) for i in range(len(themes))] + [0.0]
    fig, ax = plt.subplots(figsize=(5.2, 5.2), subplot_kw={"polar": True})
    for label, scores in series:
        values = [float(scores[t]) if scores.get(t) else math.nan for t in themes]
        ax.plot(angles, values + values[:1], linewidth=2, marker="o", markersize=3, label=plot_text(label))
        if not any(math.isnan(v) for v in values):  # a shape with a gap has no inside
            ax.fill(angles, values + values[:1], alpha=0.15)
    ax.set_xticks(angles[:-1], [plot_text(titles[t]) for t in themes], fontsize=8)
    ax.set_ylim(0, 5)
    ax.set_yticks([1, 2, 3, 4, 5], ["1", "2", "3", "4", "5"], fontsize=7)
    if len(series) > 1:
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, -0.22), fontsize=8, ncol=2)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=130)
    plt.close(fig)
    return buffer.getvalue()


def ladder(synthesis: Synthesis, bank: QuestionBank, lang: Language) -> list[LadderStep]:
    """The five value cycles from immediate to transformative, each marked reached or not (a proposal
    counts until the person rejects it), confirmed or not, with the person's words that show it."""
    reached = {c.cycle: c for c in shown_cycles(synthesis)}
    return [
        LadderStep(
            label=c.label(lang),
            reached=c.id in reached,
            confirmed=c.id in reached and reached[c.id].status == "confirmed",
            quote=reached[c.id].quote if c.id in reached else None,
        )
        for c in sorted(bank.value_cycles, key=lambda c: c.order)
    ]


def ladder_png(steps: list[LadderStep]) -> bytes:
    """The ladder as steps rising left to right; confirmed steps filled, proposed ones hatched."""
    fig, ax = plt.subplots(figsize=(6.4, 2.6))
    for i, step in enumerate(steps):
        proposed = step.reached and not step.confirmed
        color = "#6b2c91" if step.reached and not proposed else "#e6dcef"
        ax.bar(i, i + 1, color=color, edgecolor="#6b2c91", hatch="//" if proposed else None)
        ax.text(i, i + 1.1, plot_text(step.label.replace(" ", "\n", 1)), ha="center", va="bottom", fontsize=7)
    ax.set_ylim(0, 7)
    ax.axis("off")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=130)
    plt.close(fig)
    return buffer.getvalue()


def cycle_label(cycle: CycleReached, bank: QuestionBank, lang: Language) -> str:
    return next((c.label(lang) for c in bank.value_cycles if c.id == cycle.cycle), cycle.label)


class ReportPDF(FPDF):
    """A4 with DejaVu fonts (every Dutch and English character) and plain headings and paragraphs: the
    session PDF and the group scan's agenda and results share it."""

    def __init__(self) -> None:
        super().__init__(format="A4")
        self.add_font("DejaVu", "", str(FONT))
        self.add_font("DejaVu", "B", str(FONT_BOLD))
        self.set_auto_page_break(auto=True, margin=15)

    def heading(self, text: str, size: int = 14) -> None:
        self.set_font("DejaVu", "B", size)
        self.multi_cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")
        self.ln(1)

    def body(self, text: str, size: int = 10) -> None:
        self.set_font("DejaVu", "", size)
        self.multi_cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")
        self.ln(1)


def session_pdf(info: SessionInfo, synthesis: Synthesis, bank: QuestionBank, texts: Any, lang: Language) -> bytes:
    """The synthesis with its charts and every citation (section number and passage)."""
    pdf = ReportPDF()
    pdf.add_page()
    pdf.heading(info.title, 16)
    for line in export_header(info, [theme.theme for theme in synthesis.themes], bank):
        pdf.body(line, 8)
    pdf.heading(texts.synthesis_points, 12)
    for theme in synthesis.themes:
        points = "; ".join(f"“{p}”" for p in theme.points) or texts.no_answer
        pdf.body(f"{theme.title}: {points}")
    scores = {t.theme: t.score for t in synthesis.themes if t.score}
    titles, _ = radar_themes({t.theme: t.title for t in synthesis.themes}, scores)  # the list below shows "—"
    pdf.heading(texts.synthesis_scores, 12)
    if len(titles) >= RADAR_MIN_THEMES:
        pdf.image(io.BytesIO(radar_png([(info.title, scores)], titles)), w=110)
    for theme in synthesis.themes:
        pdf.body(f"{theme.title}: {theme.score or '—'} {f'({theme.score_label})' if theme.score else ''}")
    pdf.heading(texts.synthesis_cycles, 12)
    steps = ladder(synthesis, bank, lang)
    pdf.image(io.BytesIO(ladder_png(steps)), w=150)
    for cycle in shown_cycles(synthesis):
        pdf.body(f"{cycle_label(cycle, bank, lang)} ({cycle_status(cycle, texts)}): “{cycle.quote}”")
    pdf.heading(texts.synthesis_actions, 12)
    for i, action in enumerate(synthesis.actions, start=1):
        pdf.body(action_line(i, action, texts))
    pdf.heading(texts.synthesis_group, 12)
    for question in synthesis.group_questions:
        pdf.body(f"• {question}")
    pdf.heading(t("export.sources", lang), 12)
    for c in synthesis.citations:
        report = f" — {c.source}" if c.section and not c.cite_as else ""
        pdf.body(f"[{c.n}] {c.label(heading=True, lang=lang)}{report}", 9)
        pdf.body(one_line(c.text), 8)
    return bytes(pdf.output())
