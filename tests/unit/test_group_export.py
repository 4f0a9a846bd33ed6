"""The group scan's exports: the agenda as DOCX (opened with python-docx), PDF (read with pypdf) and
Markdown; the results as CSV and PDF under the anonymity rule; the join link's QR code. Passages come from
the real report text (``corpus_passages``), the files from the real libraries."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import docx
import matplotlib.image
import numpy as np
import pypdf
import pytest
import segno

from assistant.group.agenda import agenda_for, block_heading, clock, label
from assistant.group.catalog import group_catalog
from assistant.group.export import agenda_docx, agenda_md, agenda_pdf, qr_png, qr_svg, results_csv, results_pdf
from assistant.group.models import default_themes
from assistant.group.results import build_results
from tests.helpers.corpus_passages import corpus_passages
from tests.unit.test_group import PROMPTS, SECRET_WORD, _answers, _scan, _shown_results


def _agenda(lang: str = "nl"):
    scan = _scan(lang=lang)
    return agenda_for(scan, _shown_results(scan), PROMPTS, corpus_passages(), minutes=90)


def _pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    return " ".join(" ".join((page.extract_text() or "").split()) for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def test_docx_has_every_block_with_its_time_questions_and_sources() -> None:
    agenda = _agenda()
    document = docx.Document(io.BytesIO(agenda_docx(agenda)))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Netwerk Oost" in document.paragraphs[0].text
    for block in agenda.blocks:
        assert f"{clock(block.start)} {block.title} ({block.minutes} min)" in headings
        for question in block.questions:
            assert question in text
        if block.work_form:
            assert all(step in text for step in block.work_form.steps)
        for c in block.citations:
            assert f"[{c.n}] {c.label(heading=True)}" in text and c.section and c.text[:40] in text
    overview = document.tables[0]
    assert [row.cells[0].text for row in overview.rows[1:]] == [clock(b.start) for b in agenda.blocks]
    assert sum(int(row.cells[1].text) for row in overview.rows[1:]) == 90
    actions = document.tables[-1]  # the closing's action points with empty owner and date cells
    closing = agenda.blocks[-1]
    assert [r.cells[0].text for r in actions.rows[1:]] == [f"{a.text} [{a.citation.n}]" for a in closing.actions]
    assert all(r.cells[1].text == "" and r.cells[2].text == "" for r in actions.rows[1:])
    forms = [b.work_form for b in agenda.blocks if b.work_form]
    assert forms and all(f"Werkvorm: {f.name} ({f.minutes} min)" in headings for f in forms)
    assert headings.count("Vragen voor het gesprek") == sum(1 for b in agenda.blocks if b.questions)


def test_agenda_pdf_and_markdown_carry_the_same_blocks_and_citations() -> None:
    agenda = _agenda("en")
    text = _pdf_text(agenda_pdf(agenda))
    assert "Strategy session agenda: Netwerk Oost" in text
    for block in agenda.blocks:
        assert " ".join(f"{clock(block.start)} {block.title}".split()) in text
        for c in block.citations:
            assert f"[{c.n}] §{c.section}" in text
    markdown = agenda_md(agenda)
    assert "## 0:00 " in markdown and "> [1] §" in markdown


@pytest.mark.parametrize(("lang", "other"), [("nl", "en"), ("en", "nl")])
def test_markdown_docx_and_pdf_use_the_same_words_from_prompts(lang: str, other: str) -> None:
    """The agenda's labels come from prompts/i18n alone: the three renderings say the same thing, in the
    agenda's language and not the other."""
    agenda = _agenda(lang)
    markdown = agenda_md(agenda)
    document = docx.Document(io.BytesIO(agenda_docx(agenda)))
    headings = {p.text for p in document.paragraphs if p.style.name.startswith("Heading")}
    pdf = _pdf_text(agenda_pdf(agenda))
    for key in ("questions", "evidence", "case", "actions"):
        assert f"**{label(key, lang)}**" in markdown and label(key, lang) in headings and label(key, lang) in pdf
        assert label(key, other) not in markdown
    assert markdown.startswith(f"# {label('agenda_title', lang, network='Netwerk Oost')} (90 min)")
    assert f"{label('owner', lang)}: …, {label('due', lang)}: …" in markdown
    for block in agenda.blocks:
        assert f"## {block_heading(block, lang)}" in markdown and block_heading(block, lang) in headings


@pytest.mark.parametrize(
    ("lang", "day", "due"), [("nl", "Datum: 26-11-2026", "03-02-2027"), ("en", "Date: 2026-11-26", "2027-02-03")]
)
def test_the_agenda_files_write_dates_as_the_page_does(lang: str, day: str, due: str) -> None:
    """The session's date and an action point's due date: 26-11-2026 in Dutch, ISO in English, in the Word
    file, the PDF and the Markdown alike (``assistant.i18n.date_text``, which the page uses too)."""
    agenda = _agenda(lang)
    closing = agenda.blocks[-1]
    first = closing.actions[0].model_copy(update={"owner": "Sanne", "due": dt.date(2027, 2, 3)})
    closing = closing.model_copy(update={"actions": [first, *closing.actions[1:]]})
    agenda = agenda.model_copy(update={"blocks": [*agenda.blocks[:-1], closing]})
    session = dt.date(2026, 11, 26)
    document = docx.Document(io.BytesIO(agenda_docx(agenda, session)))
    assert day in document.paragraphs[1].text
    assert [c.text for c in document.tables[-1].rows[1].cells][1:] == ["Sanne", due]
    pdf = _pdf_text(agenda_pdf(agenda, session))
    assert day in pdf and f"{label('due', lang)}: {due}" in pdf
    assert f"{label('owner', lang)}: Sanne, {label('due', lang)}: {due}" in agenda_md(agenda)


def test_the_results_pdf_writes_the_previous_scan_as_the_page_does() -> None:
    """Beside each theme the previous scan's date and mean, in the scan's language: 01-03-2025 and 2,20."""
    themes = list(default_themes())
    earlier = _scan().model_copy(update={"id": "s0", "created": dt.datetime(2025, 3, 1, tzinfo=dt.UTC)})
    now = {t: [4, 4, 5, 4, 5] for t in themes}
    before = {t: [2, 2, 2, 3, 2] for t in themes}
    results = build_results(_scan(), _answers(now), 5, previous=(earlier, _answers(before), 5))
    text = _pdf_text(results_pdf(results))
    assert text.count("Vorige scan (01-03-2025): gemiddeld 2,20") == len(themes)
    assert "gemiddeld 4,4 (van 4 tot 5)" in text and "2.20" not in text


def test_csv_has_the_counts_and_nothing_below_the_minimum() -> None:
    themes = list(default_themes())
    scores = {t: [4, 4, 5, 4, 5] for t in themes}
    scores[themes[0]] = [1, 5, 2]  # below the minimum of five
    results = build_results(_scan(), _answers(scores), 5, catalog=group_catalog(PROMPTS), passages=corpus_passages())
    rows = list(csv.reader(io.StringIO(results_csv(results))))
    assert rows[0][:8] == ["thema", "titel", "aantal", "1", "2", "3", "4", "5"]
    few, shown = rows[1], rows[2]
    assert few[0] == themes[0] and few[2] == "3" and few[3:11] == [""] * 8  # only its count
    assert shown[3:8] == ["0", "0", "0", "3", "2"] and shown[8:11] == ["4,40", "4", "5"]  # a Dutch scan: 4,40
    assert len(rows) == 1 + len(themes) and SECRET_WORD not in results_csv(results)


def test_before_reveal_or_the_minimum_the_results_exports_hold_only_the_count() -> None:
    answers = _answers({t: [1, 2, 5, 4] for t in default_themes()})
    for scan, answered in [(_scan(revealed=False), 9), (_scan(revealed=True), 4)]:
        results = build_results(scan, answers, answered, catalog=group_catalog(PROMPTS))
        assert list(csv.reader(io.StringIO(results_csv(results))))[1:] == []
        text = _pdf_text(results_pdf(results))
        assert f"{answered} mensen hebben geantwoord" in text
        assert SECRET_WORD not in text and "gemiddeld" not in text and "Verdeling" not in text


def test_results_pdf_has_the_themes_figures_quotes_and_cited_tips() -> None:
    scan = _scan()
    results = _shown_results(scan)
    data = results_pdf(results)
    reader = pypdf.PdfReader(io.BytesIO(data))
    text = _pdf_text(data)
    images = sum(len(page.images) for page in reader.pages)
    assert images == 1 + len(results.themes)  # the radar and one distribution per theme
    for r in results.themes:
        mean = f"{r.mean:.1f}".replace(".", ",")  # a Dutch scan: a decimal comma
        assert r.title in text and f"{r.n} antwoorden, gemiddeld {mean}" in text
        assert r.tip and r.tip.citation and f"§{r.tip.citation.section}" in text
    assert re.search(rf"“{SECRET_WORD} \S+ \d”", text)  # anonymous quotes once shown


def _modules(png: bytes, border: int = 4, scale: int = 8) -> np.ndarray:
    """The dark modules read back from the PNG's pixels (centre of each module)."""
    pixels = matplotlib.image.imread(io.BytesIO(png))
    grey = pixels[..., :3].mean(axis=2) if pixels.ndim == 3 else pixels
    size = grey.shape[0] // scale - 2 * border
    centres = [(border + i) * scale + scale // 2 for i in range(size)]
    return grey[np.ix_(centres, centres)] < 0.5


def test_qr_code_carries_the_join_link() -> None:
    """No QR decoder is installed: the PNG's modules are compared with segno's matrix for the URL."""
    url = "http://192.168.1.20:8501/groepsscan?code=ABCDEFGHJK"
    expected = np.array(segno.make(url, error="m").matrix, dtype=bool)
    assert (_modules(qr_png(url)) == expected).all()
    assert not (_modules(qr_png(url.replace("ABCDE", "ABCDF"))) == expected).all()
    assert qr_svg(url).lstrip().startswith(b"<?xml") and b"<svg" in qr_svg(url)
