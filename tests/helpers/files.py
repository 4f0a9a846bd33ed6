"""Make real test files (PDF, DOCX) on the fly, so no binary fixtures are committed."""

from __future__ import annotations

from pathlib import Path


def write_pdf(path: Path, pages: list[str]) -> Path:
    """A minimal but valid PDF with one line of Helvetica text per page (pypdf extracts it)."""
    objects: list[bytes] = []
    page_ids = [4 + 2 * i for i in range(len(pages))]
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    kids = " ".join(f"{pid} 0 R" for pid in page_ids)
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for i, text in enumerate(pages):
        escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        stream = f"BT /F1 12 Tf 72 720 Td ({escaped}) Tj ET".encode("latin-1")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {page_ids[i] + 1} 0 R "
            f"/Resources << /Font << /F1 3 0 R >> >> >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    path.write_bytes(bytes(out))
    return path


def write_docx(path: Path, blocks: list[tuple[str, str]]) -> Path:
    """A DOCX from (style, text) pairs, e.g. ("Heading 1", "Doel") or ("Normal", "...")."""
    import docx

    document = docx.Document()
    for style, text in blocks:
        if style.startswith("Heading"):
            document.add_heading(text, level=int(style.split()[-1]))
        else:
            document.add_paragraph(text)
    document.save(str(path))
    return path


def write_corpus(folder: Path, files: dict[str, str]) -> Path:
    """A corpus folder holding the given Markdown files, for tests that need a small, fast corpus."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


SHORT_REPORT = (
    "---\ndoc_id: kort\ntitle: Kort rapport\n---\n\n# 1 Cultuur\n\nStralend falen betekent dat fouten mogen.\n"
)
"""a one-section report: indexed in seconds, enough for the command line's document tests"""
WENGER_SOURCE = (
    "sources:\n  - id: wenger-2011\n    kind: reference\n    title: "
    '"Promoting and assessing value creation in communities and networks: a conceptual framework"\n'
)
"""a sources.yaml with one reference, for tests that link a person's document to its entry"""


def index_small_corpus(monkeypatch, tmp_path: Path, *, sources: bool = False) -> Path:
    """The short report as the corpus (``SLIM_CORPUS_DIR``), indexed with ``slim index`` into the test's data
    directory; with ``sources``, beside a sources.yaml with one reference. Returns the corpus folder."""
    from typer.testing import CliRunner

    from assistant.cli import app

    files = {"kort.md": SHORT_REPORT} | ({"sources.yaml": WENGER_SOURCE} if sources else {})
    corpus = write_corpus(tmp_path / "corpus", files)
    monkeypatch.setenv("SLIM_CORPUS_DIR", str(corpus))
    result = CliRunner().invoke(app, ["index"])
    assert result.exit_code == 0, result.output
    return corpus


# --- hostile and broken files, generated so each test states exactly what is wrong with its file ---


def write_encrypted_pdf(path: Path, text: str, password: str = "geheim") -> Path:
    from pypdf import PdfReader, PdfWriter

    plain = write_pdf(path.with_suffix(".plain.pdf"), [text])
    writer = PdfWriter(clone_from=PdfReader(plain))
    writer.encrypt(password, algorithm="AES-128")
    with open(path, "wb") as handle:
        writer.write(handle)
    plain.unlink()
    return path


def write_scanned_pdf(path: Path, pages: int = 2) -> Path:
    """Pages with a drawing but no text layer, as a scanner makes them."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=612, height=792)
    with open(path, "wb") as handle:
        writer.write(handle)
    return path


def write_many_pages_pdf(path: Path, pages: int) -> Path:
    return write_pdf(path, [f"Pagina {n}." for n in range(1, pages + 1)])


def write_nested_pdf(path: Path, depth: int = 100_000) -> Path:
    """A page whose dictionary holds an array nested ``depth`` deep: recursive parsers overflow on it."""
    path = write_pdf(path, ["Dit is de tekst."])
    data = path.read_bytes().replace(b"/Type /Page ", b"/Type /Page /Evil " + b"[" * depth + b"]" * depth + b" ", 1)
    path.write_bytes(data)
    return path


def write_nested_docx(path: Path, depth: int = 5_000) -> Path:
    """A DOCX whose document.xml nests elements ``depth`` deep."""
    import zipfile

    write_docx(path, [("Normal", "Gewone tekst.")])
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    body = parts["word/document.xml"]
    evil = b"<w:p>" + b"<w:r>" * depth + b"</w:r>" * depth + b"</w:p>"
    parts["word/document.xml"] = body.replace(b"<w:body>", b"<w:body>" + evil, 1)
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


def write_zip_bomb_docx(path: Path, unpacked_mb: int = 300) -> Path:
    """A DOCX with a part that unpacks to hundreds of megabytes from a few hundred kilobytes."""
    import zipfile

    write_docx(path, [("Normal", "Gewone tekst.")])
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/media/padding.bin", b"\0" * (unpacked_mb * 1_000_000))
    return path


def truncate(path: Path, keep: float = 0.5) -> Path:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def write_inflated_docx(path: Path, paragraphs: int = 60_000) -> Path:
    """A half-megabyte DOCX whose document.xml unpacks to over 100 MB of formatted runs: within the
    unpacked-size check, but parsing it takes gigabytes and minutes."""
    import zipfile

    write_docx(path, [("Normal", "x")])
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    run = b'<w:r><w:rPr><w:b/><w:i/><w:color w:val="FF0000"/><w:sz w:val="24"/></w:rPr><w:t>ab</w:t></w:r>'
    body = (b"<w:p>" + run * 20 + b"</w:p>") * paragraphs
    parts["word/document.xml"] = parts["word/document.xml"].replace(b"<w:body>", b"<w:body>" + body, 1)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path
