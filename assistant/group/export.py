"""The group scan's exports: the session agenda as DOCX (coordinators work in Word), PDF and Markdown; the
results as CSV and as a PDF with the charts; the join link as a QR code.

Pure functions from the typed models to bytes or text; the pages and the CLI only save or offer them. The
anonymity rule is not re-decided here: the results exports write only what ``Results`` carries, and that
is nothing but the count before reveal and the minimum (``results.py``), and only ``n`` for a theme with
too few answers. Every report reference is written with § and heading and its passage.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math

import matplotlib

matplotlib.use("Agg")  # no display: render to memory
import matplotlib.pyplot as plt  # noqa: E402
import segno  # noqa: E402
from docx import Document  # noqa: E402
from docx.shared import Pt  # noqa: E402

from assistant.config import Language  # noqa: E402
from assistant.domain import Citation  # noqa: E402
from assistant.group.agenda import agenda_markdown, block_heading, clock, label, work_form_heading  # noqa: E402
from assistant.group.charts import group_radar_png  # noqa: E402
from assistant.group.models import Agenda, AgendaBlock, Results, ThemeResult  # noqa: E402
from assistant.group.results import named_line, summarise  # noqa: E402
from assistant.i18n import date_text, decimal_text, t  # noqa: E402
from assistant.summary import ReportPDF  # noqa: E402
from assistant.text import one_line  # noqa: E402

SCORES = (1, 2, 3, 4, 5)
PURPLE = "#6b2c91"


def _source(c: Citation) -> str:
    """ "[n] §4.2 Heading — source": where the passage stands in the report."""
    return f"[{c.n}] {c.label(heading=True)}" + (f" — {c.source}" if c.source else "")


# --- the agenda ------------------------------------------------------------------------------------------


def agenda_md(agenda: Agenda) -> str:
    """The agenda as Markdown (the builder's own rendering, so the page, the CLI and the file agree)."""
    return agenda_markdown(agenda)


def _action_rows(block: AgendaBlock, lang: Language) -> list[tuple[str, str, str]]:
    rows = []
    for action in block.actions:
        cite = f" [{action.citation.n}]" if action.citation else ""
        rows.append((action.text + cite, action.owner, date_text(action.due, lang) if action.due else ""))
    return rows


def agenda_docx(agenda: Agenda, date: dt.date | None = None) -> bytes:
    """The agenda as a Word document: title, network and date, an overview table (start, minutes, part),
    then per block a heading with its time and its texts: work form with steps, questions, what the report
    says and a case (each citing [n]), action points in a table with empty owner/date cells, and the
    block's sources with § and passage."""
    lang = agenda.lang
    date = date or dt.date.today()
    doc = Document()
    doc.styles["Normal"].font.size = Pt(10)
    doc.add_heading(label("agenda_title", lang, network=agenda.network), level=0)
    length = label("length", lang, minutes=agenda.minutes)
    doc.add_paragraph(label("date", lang, date=date_text(date, lang)) + "\n" + length)
    overview = doc.add_table(rows=1, cols=3)
    overview.style = "Table Grid"
    for cell, text in zip(
        overview.rows[0].cells, (label("start", lang), label("minutes", lang), label("block", lang)), strict=True
    ):
        cell.text = text
    for block in agenda.blocks:
        row = overview.add_row().cells
        row[0].text, row[1].text, row[2].text = clock(block.start), str(block.minutes), block.title
    for block in agenda.blocks:
        doc.add_heading(block_heading(block, lang), level=1)
        if block.text:
            doc.add_paragraph(block.text)
        if block.work_form:
            form = block.work_form
            doc.add_heading(work_form_heading(form, lang), level=2)
            doc.add_paragraph(form.purpose)
            for step in form.steps:
                doc.add_paragraph(step, style="List Number")
        if block.questions:
            doc.add_heading(label("questions", lang), level=2)
            for question in block.questions:
                doc.add_paragraph(question, style="List Bullet")
        if block.evidence:
            doc.add_heading(label("evidence", lang), level=2)
            doc.add_paragraph(block.evidence)
        if block.case:
            doc.add_heading(label("case", lang), level=2)
            doc.add_paragraph(block.case)
        if block.actions:
            doc.add_heading(label("actions", lang), level=2)
            table = doc.add_table(rows=1, cols=3)
            table.style = "Table Grid"
            header = (label("action", lang), label("owner", lang), label("due", lang))
            for cell, text in zip(table.rows[0].cells, header, strict=True):
                cell.text = text
            for action, owner, due in _action_rows(block, lang):
                cells = table.add_row().cells
                cells[0].text, cells[1].text, cells[2].text = action, owner, due
        if block.citations:
            doc.add_heading(label("sources", lang), level=3)
            for c in block.citations:
                source = doc.add_paragraph()
                source.add_run(_source(c)).bold = True
                source.add_run("\n" + one_line(c.text)).italic = True
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


class _PDF(ReportPDF):
    """The session PDF's page, headings and paragraphs, plus the cited passages under a block."""

    def sources(self, citations: list[Citation], lang: Language) -> None:
        if not citations:
            return
        self.heading(label("sources", lang), 9)
        for c in citations:
            self.body(_source(c), 8)
            self.body(one_line(c.text), 7)


def agenda_pdf(agenda: Agenda, date: dt.date | None = None) -> bytes:
    """The agenda as PDF, with the same blocks, texts and sources as the DOCX."""
    lang = agenda.lang
    date = date or dt.date.today()
    pdf = _PDF()
    pdf.add_page()
    pdf.heading(label("agenda_title", lang, network=agenda.network), 16)
    pdf.body(f"{label('date', lang, date=date_text(date, lang))} · {label('length', lang, minutes=agenda.minutes)}", 9)
    for block in agenda.blocks:
        pdf.heading(block_heading(block, lang), 12)
        if block.text:
            pdf.body(block.text)
        if block.work_form:
            form = block.work_form
            pdf.heading(work_form_heading(form, lang), 10)
            pdf.body(form.purpose)
            pdf.body("\n".join(f"{n}. {step}" for n, step in enumerate(form.steps, 1)))
        if block.questions:
            pdf.heading(label("questions", lang), 10)
            pdf.body("\n".join(f"• {q}" for q in block.questions))
        if block.evidence:
            pdf.heading(label("evidence", lang), 10)
            pdf.body(block.evidence)
        if block.case:
            pdf.heading(label("case", lang), 10)
            pdf.body(block.case)
        if block.actions:
            pdf.heading(label("actions", lang), 10)
            for n, (action, owner, due) in enumerate(_action_rows(block, lang), 1):
                who, when = owner or "…………", due or "…………"
                pdf.body(f"{n}. {action}\n    {label('owner', lang)}: {who}   {label('due', lang)}: {when}")
        pdf.sources(block.citations, lang)
    return bytes(pdf.output())


# --- the results -----------------------------------------------------------------------------------------


def _shown(results: Results) -> list[ThemeResult]:
    """The themes whose figures may leave: none before reveal and the minimum, none with too few answers."""
    if not results.shown:
        return []
    return [r for r in results.themes if r.pattern != "too_few" and r.mean is not None]


def results_csv(results: Results) -> str:
    """Per theme: n, how many chose 1..5, mean, min, max and pattern. A theme with too few answers has only
    its n; before reveal and the minimum there are only the header and no rows."""
    lang = results.lang
    out = io.StringIO()
    writer = csv.writer(out)
    header = [label(k, lang) for k in ("csv_theme", "csv_title", "csv_n")] + [str(s) for s in SCORES]
    writer.writerow(header + [label(k, lang) for k in ("csv_mean", "csv_min", "csv_max", "csv_pattern")])
    if not results.shown:
        return out.getvalue()
    shown = {r.theme for r in _shown(results)}
    for r in results.themes:
        pattern = t(f"group.pattern.{r.pattern}", lang)
        if r.theme not in shown:
            writer.writerow([r.theme, r.title, r.n, "", "", "", "", "", "", "", "", pattern])
            continue
        counts = [r.distribution.get(s, 0) for s in SCORES]
        writer.writerow([r.theme, r.title, r.n, *counts, decimal_text(r.mean, lang, 2), r.min, r.max, pattern])
    return out.getvalue()


def _save(fig) -> bytes:
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=130)
    plt.close(fig)
    return buffer.getvalue()


def distribution_png(result: ThemeResult) -> bytes:
    """How many chose 1..5 on one theme, as bars."""
    fig, ax = plt.subplots(figsize=(4.2, 1.8))
    counts = [result.distribution.get(s, 0) for s in SCORES]
    ax.bar(SCORES, counts, color=PURPLE)
    ax.set_xticks(SCORES)
    ax.set_yticks(range(0, max(counts) + 1, max(1, math.ceil(max(counts) / 4))))
    ax.spines[["top", "right"]].set_visible(False)
    return _save(fig)


def results_pdf(results: Results) -> bytes:
    """The results with their charts: the count, and once shown a radar with the min–max band, per theme
    the distribution bars, figures (and the previous scan's mean, as the page shows it), the facilitator
    tip and its cited passages. Before reveal and the
    minimum the PDF says only how many answered and why nothing else shows."""
    lang = results.lang
    pdf = _PDF()
    pdf.add_page()
    pdf.heading(label("results_title", lang, network=results.network), 16)
    pdf.body(label("answered", lang, answered=results.answered))
    if not results.shown:
        key = "group.waiting" if results.revealed else "group.not_revealed"
        pdf.body(t(key, lang, answered=results.answered, min_answers=results.min_answers))
        return bytes(pdf.output())
    shown = _shown(results)
    if len(shown) >= 3:
        pdf.heading(label("radar", lang), 12)
        labels = {key: t(f"group.radar_{key}", lang) for key in ("mean", "band", "previous")}
        radar = group_radar_png(results.model_copy(update={"themes": shown}), labels)  # the page's radar
        pdf.image(io.BytesIO(radar), w=110)  # type: ignore[arg-type]  # three themes or more: drawn
    pdf.heading(label("distribution", lang), 12)
    for r in results.themes:
        pattern = t(f"group.pattern.{r.pattern}", lang)
        pdf.heading(r.title, 11)
        if r not in shown:
            pdf.body(t("group.too_few", lang, n=r.n, min_answers=results.min_answers))
        else:
            mean = decimal_text(r.mean, lang, 1)
            pdf.body(label("theme_line", lang, n=r.n, mean=mean, min=r.min, max=r.max, pattern=pattern))
            pdf.image(io.BytesIO(distribution_png(r)), w=80)
            summary = summarise(r, results)
            for line in ([summary.previous] if summary.previous else []) + summary.signals:
                pdf.body(line, 9)
            if r.quotes:
                pdf.body(t("group.quotes", lang), 9)
                pdf.body("\n".join(f"“{q}”" for q in r.quotes), 9)
            if r.named:
                pdf.body(t("group.named_answers", lang), 9)
                pdf.body("\n".join(named_line(a, lang) for a in r.named), 9)
        if r.tip:
            pdf.body(f"{t('group.tip', lang)}: {r.tip.text} {r.tip.question}", 9)
            pdf.body(f"{r.tip.case_network}: {r.tip.case}", 9)
            pdf.sources([c for c in (r.tip.citation, r.tip.case_citation) if c], lang)
    return bytes(pdf.output())


# --- the join link ---------------------------------------------------------------------------------------


def qr_png(url: str, scale: int = 8) -> bytes:
    """The join link as a QR code (PNG), for a slide or a printed sheet."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


def qr_svg(url: str, scale: int = 8) -> bytes:
    """The join link as a QR code (SVG), sharp at any size."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=scale, border=4)
    return buffer.getvalue()
