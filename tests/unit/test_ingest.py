"""Loaders and the heading-aware chunker, on the real corpus and on generated PDF/DOCX/TXT files."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.errors import InputError
from assistant.ingest import chunk_document, load_document, sentence_spans, text_encoding
from assistant.text import sentences
from tests.conftest import CORPUS_MD
from tests.helpers.files import write_docx, write_pdf


def _load(path: Path, size: int = 500, overlap: int = 150):
    return load_document(path, "document", chunk_chars=size, overlap_chars=overlap, max_pages=2000)


def test_report_passages_are_exact_slices_within_one_section() -> None:
    doc = load_document(CORPUS_MD, "report", chunk_chars=500, overlap_chars=150, max_pages=2000)
    raw = CORPUS_MD.read_text(encoding="utf-8")
    passages = chunk_document(doc, 500, 150)
    assert len(passages) > 150
    for passage in passages:
        meta = passage.metadata
        assert raw[meta["start"] : meta["end"]] == passage.page_content
        # never crosses a heading: a passage holds no Markdown heading line
        assert not any(line.startswith("#") for line in passage.page_content.splitlines())
        assert meta["doc_id"] == "samen-leren-impact-maken"
        assert meta["source"] == "Samen Leren Impact Maken"
    by_section = {p.metadata["section"] for p in passages}
    assert {"1", "2.1", "3.3", "7.1.2", "7.2", "9"} <= by_section
    onmiddellijk = [
        p for p in passages if p.metadata["heading"].endswith("3.3 Vormen van impact › Onmiddellijke waarde")
    ]
    assert onmiddellijk and "op zichzelf direct waardevol" in onmiddellijk[0].page_content


def test_chunk_ids_are_stable_across_rebuilds() -> None:
    first = [p.metadata["chunk_id"] for p in chunk_document(_load(CORPUS_MD), 500, 150)]
    second = [p.metadata["chunk_id"] for p in chunk_document(_load(CORPUS_MD), 500, 150)]
    assert first == second and len(set(first)) == len(first)


def test_passages_respect_size_and_overlap() -> None:
    passages = chunk_document(_load(CORPUS_MD), 500, 150)
    long_sentences = 0
    for a, b in zip(passages, passages[1:], strict=False):
        if len(a.page_content) > 500:
            long_sentences += 1  # a single sentence longer than the target stays whole
        if a.metadata["heading"] == b.metadata["heading"] and b.metadata["start"] < a.metadata["end"]:
            assert a.metadata["end"] - b.metadata["start"] <= 150
    assert long_sentences < len(passages) * 0.1


def test_sentence_spans_cover_the_passage() -> None:
    passage = chunk_document(_load(CORPUS_MD), 500, 150)[5]
    spans = sentence_spans(passage)
    start = passage.metadata["start"]
    assert spans[0][0] == start and spans[-1][1] == passage.metadata["end"]
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))


@pytest.mark.parametrize(
    "text",
    [
        "Cultuur lijkt in het model van Salignac et al. (2018) verdeeld te zijn over leiderschap.",
        "Mennens et al. 2023 heeft onderzoek gedaan naar leergemeenschappen.",
        "De Laat et al. (2021, p. 319) omschrijven dit als een ontmoetingsplaats.",
        "Het ging o.a. Fontys Venlo om de verbinding met de regio.",
    ],
)
def test_an_abbreviation_ends_no_sentence(text: str) -> None:
    follows = "Daarna volgt een tweede zin."
    assert sentences(f"{text} {follows}") == [text, follows]


def test_pdf_pages_become_passages_with_page_numbers(tmp_path: Path) -> None:
    pdf = write_pdf(
        tmp_path / "plan.pdf", ["Ons doel is gezond ouder worden in de regio.", "Tweede pagina over vertrouwen."]
    )
    doc = _load(pdf)
    passages = chunk_document(doc, 500, 150)
    assert [p.metadata["page"] for p in passages] == [1, 2]
    assert "vertrouwen" in passages[1].page_content
    assert passages[0].metadata["doc_id"] == "plan-pdf"


def test_docx_headings_become_the_heading_path(tmp_path: Path) -> None:
    path = write_docx(
        tmp_path / "notulen.docx",
        [
            ("Heading 1", "Strategie"),
            ("Normal", "We kiezen voor een gezamenlijke agenda."),
            ("Heading 2", "Cultuur"),
            ("Normal", "Er is ruimte om te experimenteren."),
        ],
    )
    passages = chunk_document(_load(path), 500, 150)
    assert [p.metadata["heading"] for p in passages] == ["Strategie", "Strategie › Cultuur"]


def test_plain_text_and_markdown_load(tmp_path: Path) -> None:
    txt = tmp_path / "notitie.txt"
    txt.write_text("Eerste alinea.\n\nTweede alinea over leiderschap.", encoding="utf-8")
    passages = chunk_document(_load(txt), 500, 150)
    assert passages[0].page_content.startswith("Eerste alinea.")
    md = tmp_path / "memo.md"
    md.write_text("# 1 Inleiding\n\nTekst.\n\n## 1.1 Doel\n\nMeer tekst.\n", encoding="utf-8")
    report = load_document(md, "report", chunk_chars=500, overlap_chars=150, max_pages=2000)
    assert [p.metadata["section"] for p in chunk_document(report, 500, 150)] == ["1", "1.1"]
    # numbered headings in a person's document are only headings: it is cited by its file name
    assert [p.metadata["section"] for p in chunk_document(_load(md), 500, 150)] == ["", ""]


@pytest.mark.parametrize(
    ("name", "content", "key"),
    [
        ("a.xlsx", b"PK\x03\x04 not really", "error.unsupported_type"),
        ("leeg.txt", b"   \n", "error.empty_file"),
        ("kapot.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog", "error.corrupt_file"),
        ("kapot.docx", b"this is no zip", "error.wrong_type"),
        ("kapot2.docx", b"PK\x03\x04 a broken zip", "error.corrupt_file"),
        # Latin-1 is read now (tests/test_small_defects.py); bytes no character set makes sense of are not
        ("ruis.txt", bytes([0x81, 0x8D, 0x8F, 0x90, 0x9D, 0x01, 0x02, 0x7F]) * 50, "error.encoding"),
    ],
)
def test_bad_files_raise_a_named_input_error(tmp_path: Path, name: str, content: bytes, key: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError) as info:
        _load(path)
    assert info.value.key == key
    assert name in info.value.message("nl") and name in info.value.message("en")


def test_missing_path_and_scanned_pdf(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        _load(tmp_path / "bestaat-niet.pdf")
    assert info.value.key == "error.missing_path"
    scanned = write_pdf(tmp_path / "scan.pdf", [""])
    with pytest.raises(InputError) as info:
        _load(scanned)
    assert info.value.key == "error.no_text_pdf"


# --- short notes saved by an older Windows program ----------------------------------------------------------


@pytest.mark.parametrize(
    "note",
    [
        "Café één ruïne",  # charset-normalizer alone reads this as Mac Central European: "Cafť ťťn ruÔne"
        "één",
        "Notitie 3: de coördinator (één van de partners) zei: „prima” — € 40.",
        "Ärger über Größe – Straße.",
    ],
)
def test_a_short_western_note_is_read_as_windows_1252(note: str) -> None:
    assert text_encoding(note.encode("cp1252"), Path("notitie.txt")) == "cp1252"


@pytest.mark.parametrize(
    ("note", "codec"),
    [
        ("Привет, как дела? Это заметка о сети.", "cp1251"),
        ("Zażółć gęślą jaźń, to jest notatka.", "cp1250"),
        ("Καλημέρα, αυτό είναι σημείωμα.", "cp1253"),
    ],
)
def test_a_note_in_another_alphabet_is_not_taken_for_windows_1252(note: str, codec: str) -> None:
    assert text_encoding(note.encode(codec), Path("notitie.txt")) != "cp1252"
