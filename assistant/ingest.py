"""Load the report and people's documents into heading-aware passages (LangChain ``Document`` objects).

Loaders turn a file into ``Segment``s — stretches of text under one heading (and on one page, for PDFs).
The chunker cuts each segment on sentence boundaries, so a passage never crosses a section boundary and
its text is an exact slice of what was loaded: ``start``/``end`` point back into that text.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from langchain_core.documents import Document

from assistant.corpus import (
    SECTION_CONTEXT_FILE,
    SECTION_QUESTIONS_FILE,
    AnchoredQuestions,
    load_passage_questions,
    load_section_contexts,
    load_section_questions,
    passage_question_files,
    split_front_matter,
)
from assistant.errors import InputError
from assistant.text import HEADING_SEPARATOR
from assistant.text import sentence_spans as sentence_spans_of

CHUNKER_VERSION = "5"  # 2: chunk ids carry the document version, so versions never overwrite each other;
# 3: a sentence keeps its closing quote (assistant.text.sentence_spans); 4: a line that ends a sentence
# ends it whatever the next line starts with; 5: an abbreviation's full stop ("et al.", "p.") ends no sentence
SUPPORTED_SUFFIXES = {".md": "markdown", ".markdown": "markdown", ".txt": "text", ".pdf": "pdf", ".docx": "docx"}
MAX_UNPACKED_BYTES = 200_000_000
# the metadata BM25 reads beside a passage's text (``search_text``)
SEARCHED_METADATA = ("heading", "context", "questions", "passage_questions")

_MD_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*$", re.MULTILINE)
_SECTION_NUMBER = re.compile(r"^(\d+(?:\.\d+)*)\.?\s")


@dataclass(frozen=True)
class Segment:
    """Text under one heading path; ``start`` is its offset in the loaded text."""

    text: str
    start: int
    section: str = ""
    heading_path: tuple[str, ...] = ()
    page: int | None = None
    context: str = ""  # what the section is about (corpus/section-context.yaml): searched, never shown
    questions: tuple[str, ...] = ()  # questions the section answers (corpus/section-questions.yaml): searched


@dataclass(frozen=True)
class LoadedDocument:
    doc_id: str
    title: str
    path: Path
    kind: str
    content_hash: str
    segments: list[Segment] = field(default_factory=list)
    reference: str = ""  # id of the corpus/sources.yaml entry this document is, if any
    encoding: str = ""  # how a text file was read when it was not UTF-8 (e.g. "UTF-16 LE"); told to the person
    cite_as: str = ""  # a source of the report in the shared library: 'Wenger, Trayner & De Laat 2021'
    # questions single passages answer (corpus/passage-questions/*.yaml), tied to them by a verbatim anchor
    passage_questions: tuple[AnchoredQuestions, ...] = ()


def slugify(text: str) -> str:
    """An id from a name: ASCII letters and digits. Characters with no ASCII form (日本語, 😀) are not
    dropped silently: a short hash of the name keeps such names apart ('md-3f2a…', not all 'md')."""
    decomposed = unicodedata.normalize("NFKD", text)
    slug = re.sub(r"[^a-z0-9]+", "-", decomposed.encode("ascii", "ignore").decode().lower()).strip("-")
    if any(not ch.isascii() and not unicodedata.combining(ch) for ch in decomposed):
        digest = hashlib.sha256(unicodedata.normalize("NFC", text).encode()).hexdigest()[:8]
        slug = f"{slug}-{digest}".strip("-")
    return slug or "document"


def content_hash(path: Path, chunk_chars: int, overlap_chars: int) -> str:
    """Changes when the file, the way it is cut or the section contexts or section and passage questions
    beside it change, so the index knows what to re-embed."""
    digest = hashlib.sha256(f"{CHUNKER_VERSION}/{chunk_chars}/{overlap_chars}\n".encode())
    digest.update(read_bytes(path))
    beside = [path.parent / SECTION_CONTEXT_FILE, path.parent / SECTION_QUESTIONS_FILE]
    for extra in [*beside, *passage_question_files(path.parent)]:
        if extra.is_file():
            digest.update(f"\n{extra.relative_to(path.parent).as_posix()}\n".encode())
            digest.update(extra.read_bytes())
    return digest.hexdigest()


def read_bytes(path: Path) -> bytes:
    if not path.exists():
        raise InputError("error.missing_path", path=str(path))
    if path.is_dir():
        raise InputError("error.is_directory", path=str(path))
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError("error.unreadable", path=str(path), detail=exc.strerror or str(exc)) from exc


def document_id(path: Path, kind: str = "report") -> str:
    """The report keeps the id in its front matter; a person's file is named after its file name only
    (whatever its front matter claims, it cannot pose as the report)."""
    if kind == "report" and path.suffix.lower() in {".md", ".markdown"}:
        meta, _, _ = split_front_matter(_decode(read_bytes(path), path))
        if meta.get("doc_id"):
            return str(meta["doc_id"])
    return slugify(path.name)


def load_document(path: Path, kind: str, *, chunk_chars: int, overlap_chars: int, max_pages: int) -> LoadedDocument:
    """Parse ``path`` into segments; every failure becomes an ``InputError`` a person can act on. A PDF of
    more than ``max_pages`` pages (``Settings.max_pages``) is refused: it would take too long to embed.
    People's files go through ``assistant.safeparse``, which runs this in a child process with limits."""
    suffix = path.suffix.lower()
    loader = SUPPORTED_SUFFIXES.get(suffix)
    if loader is None:
        raise InputError("error.unsupported_type", path=str(path), suffix=suffix or "(geen)")
    data = read_bytes(path)
    if not data.strip():
        raise InputError("error.empty_file", path=str(path))
    check_content_type(data, loader, path)
    if loader == "pdf":
        title, segments = _load_pdf(data, path, max_pages)
    else:
        title, segments = {"markdown": _load_markdown, "text": _load_text, "docx": _load_docx}[loader](data, path)
    if not any(seg.text.strip() for seg in segments):
        raise InputError("error.no_text", path=str(path))
    if kind != "report":  # section numbers are the report's: '# 1. Inleiding' in a plan is just a heading
        segments = [replace(seg, section="") for seg in segments]
    else:
        segments = with_contexts(segments, document_id(path, kind), path.parent)
    encoding = text_encoding(data, path) if loader in ("markdown", "text") else "utf-8"
    asked = load_passage_questions(path.parent).get(document_id(path, kind), []) if kind == "report" else []
    return LoadedDocument(
        doc_id=document_id(path, kind),
        title=title,
        path=path,
        kind=kind,
        content_hash=content_hash(path, chunk_chars, overlap_chars),
        segments=segments,
        encoding="" if encoding in ("utf-8", "utf_8_sig") else encoding_label(encoding),
        passage_questions=tuple(asked),
    )


def with_contexts(segments: list[Segment], doc_id: str, corpus_dir: Path) -> list[Segment]:
    """The report's segments with what each section is about and the questions it answers
    (``section-context.yaml``, ``section-questions.yaml`` in ``corpus_dir``), so a question in other words
    (or in English, or naming a case network by a description) still finds the passage; people's documents
    have neither."""
    contexts = load_section_contexts(corpus_dir / SECTION_CONTEXT_FILE).get(doc_id)
    questions = load_section_questions(corpus_dir / SECTION_QUESTIONS_FILE).get(doc_id)
    out = []
    for seg in segments:
        if contexts is not None:
            seg = replace(seg, context=contexts.for_heading(seg.section, seg.heading_path))
        if questions is not None:
            seg = replace(seg, questions=questions.for_heading(seg.section, seg.heading_path))
        out.append(seg)
    return out


def sniff(data: bytes) -> str:
    """What the bytes are, whatever the file name says: pdf, zip (DOCX is a zip), binary or text."""
    head = data[:8192]
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if head.startswith(tuple(bom for bom, _ in _BOMS)):  # UTF-16/32 text is full of zero bytes
        return "text"
    if b"\x00" in head:
        return "binary"
    return "text"


def check_content_type(data: bytes, loader: str, path: Path) -> None:
    """A file whose extension lies about its content is refused before any parser sees it."""
    expected = {"pdf": "pdf", "docx": "zip", "markdown": "text", "text": "text"}[loader]
    found = sniff(data)
    if found != expected:
        raise InputError("error.wrong_type", path=str(path), suffix=path.suffix.lower(), found=f"filetype.{found}")


# longest first: the UTF-32 LE mark starts with the UTF-16 LE one
_BOMS = (
    (b"\xff\xfe\x00\x00", "utf_32_le"),
    (b"\x00\x00\xfe\xff", "utf_32_be"),
    (b"\xef\xbb\xbf", "utf_8_sig"),
    (b"\xff\xfe", "utf_16_le"),
    (b"\xfe\xff", "utf_16_be"),
)
WESTERN = "cp1252"  # of equally likely encodings, the one Dutch and English files were saved in
_LABELS = {"cp1252": "Windows-1252 (Latin-1)", "latin_1": "Latin-1 (ISO-8859-1)"}


def text_encoding(data: bytes, path: Path) -> str:
    """The codec a text file was written in: its byte order mark, else UTF-8 if it decodes as such, else
    Windows-1252 if it reads as Western text (a Dutch file from an older Windows program), else what
    charset-normalizer finds most plausible (Windows-1252 among equals). Text no codec reads cleanly is
    refused."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return codec
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    if reads_as_western(data):
        return WESTERN
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data))
    if not matches:
        raise InputError("error.encoding", path=str(path))
    least_chaos = min(m.chaos for m in matches)
    plausible = [m for m in matches if m.chaos == least_chaos]
    if any(WESTERN in m.could_be_from_charset for m in plausible):
        return WESTERN
    return plausible[0].encoding


WESTERN_EXTRA = frozenset("€‚„…†‡ˆ‰‹‘’“”•–—˜™›«»°·§©®±²³½")
"""Windows-1252's punctuation and signs beyond ASCII that a Dutch or English text uses"""
NOT_DUTCH = frozenset("ÐÝÞðýþ")
"""the letters where Turkish's code page has ğ, ı, ş: no Dutch or English word has them"""


def reads_as_western(data: bytes) -> bool:
    """Whether Windows-1252 reads the bytes as Dutch or English text with a few accents: every character
    beyond ASCII a Latin letter or a sign of the list above, and such letters not nearly all of them.
    charset-normalizer cannot tell a short note ("één ruïne") from Mac Central European, so this is
    asked first; a text in another alphabet saved in a one-byte code page reads as mostly accented letters
    (or as signs outside the list) and is left to charset-normalizer."""
    try:
        text = data.decode(WESTERN)
    except UnicodeDecodeError:
        return False
    beyond = [c for c in text if ord(c) > 127]
    accented = [c for c in beyond if c.isalpha() and "\u00c0" <= c <= "\u00ff" and c not in NOT_DUTCH]
    if len(accented) + sum(c in WESTERN_EXTRA for c in beyond) < len(beyond):
        return False
    letters = sum(c.isalpha() for c in text)
    return len(accented) <= 0.7 * letters


def encoding_label(codec: str) -> str:
    """'utf_16_le' as a person knows it: 'UTF-16 LE'."""
    return _LABELS.get(codec) or codec.upper().replace("_", "-").replace("-LE", " LE").replace("-BE", " BE")


def _decode(data: bytes, path: Path) -> str:
    codec = text_encoding(data, path)
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as exc:
        raise InputError("error.encoding", path=str(path)) from exc
    return text.removeprefix("\ufeff")  # the byte order mark of utf_16_le/_be is not text


def _load_markdown(data: bytes, path: Path) -> tuple[str, list[Segment]]:
    text = _decode(data, path)
    meta, body, offset = split_front_matter(text)
    title = str(meta.get("title") or path.stem)
    return title, list(markdown_segments(text, offset))


def markdown_segments(text: str, offset: int = 0) -> Iterator[Segment]:
    """Split Markdown at its headings; unnumbered sub-headings inherit the section number above them."""
    stack: list[tuple[int, str]] = []
    section = ""
    pos = offset
    for match in _MD_HEADING.finditer(text, offset):
        yield from _segment(text, pos, match.start(), section, stack)
        level, heading = len(match.group(1)), match.group(2).strip()
        stack = [(lvl, h) for lvl, h in stack if lvl < level] + [(level, heading)]
        number = _SECTION_NUMBER.match(heading)
        if number:
            section = number.group(1)
        elif level == 1:
            section = ""
        pos = match.end()
    yield from _segment(text, pos, len(text), section, stack)


def _segment(text: str, start: int, end: int, section: str, stack: list[tuple[int, str]]) -> Iterator[Segment]:
    body = text[start:end]
    stripped = body.strip()
    if stripped:
        lead = len(body) - len(body.lstrip())
        yield Segment(stripped, start + lead, section, tuple(h for _, h in stack))


def _load_text(data: bytes, path: Path) -> tuple[str, list[Segment]]:
    text = _decode(data, path)
    return path.stem, [Segment(text.strip(), len(text) - len(text.lstrip()), "", (path.name,))]


def _load_pdf(data: bytes, path: Path, max_pages: int) -> tuple[str, list[Segment]]:
    import io

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not _opens_without_password(reader):
            raise InputError("error.encrypted_pdf", path=str(path))
        if len(reader.pages) > max_pages:
            raise InputError("error.too_many_pages", path=str(path), pages=len(reader.pages), max=max_pages)
        title = (reader.metadata.title if reader.metadata else None) or path.stem
        segments: list[Segment] = []
        pos = 0
        for number, page in enumerate(reader.pages, start=1):
            page_text = (page.extract_text() or "").strip()
            if page_text:
                segments.append(Segment(page_text, pos, "", (str(title),), page=number))
                pos += len(page_text) + 2
    except InputError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError) as exc:
        raise InputError("error.corrupt_file", path=str(path), detail=type(exc).__name__) from exc
    if not segments:
        raise InputError("error.no_text_pdf", path=str(path))
    return str(title), segments


def _opens_without_password(reader: object) -> bool:
    try:
        return bool(reader.decrypt(""))  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 — an unknown cipher is as locked as a password
        return False


def _load_docx(data: bytes, path: Path) -> tuple[str, list[Segment]]:
    import io

    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > MAX_UNPACKED_BYTES:  # a zip bomb: refuse before unpacking anything
            raise InputError("error.too_large_unpacked", path=str(path), mb=unpacked // 1_000_000)
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise InputError("error.corrupt_file", path=str(path), detail=type(exc).__name__) from exc
    title = document.core_properties.title or path.stem
    # rebuild the document as Markdown so headings and offsets work exactly as for .md files
    lines: list[str] = []
    for paragraph in document.paragraphs:
        style = (paragraph.style.name if paragraph.style is not None else "") or ""
        text = paragraph.text.strip()
        if not text:
            continue
        level = re.match(r"Heading (\d)", style)
        lines.append(f"{'#' * int(level.group(1))} {text}" if level else text)
    return title, list(markdown_segments("\n\n".join(lines)))


def chunk_segment(segment: Segment, size: int, overlap: int) -> list[tuple[int, int]]:
    """Spans (relative to the segment) of passages of about ``size`` characters, overlapping by up to
    ``overlap`` characters of whole sentences, so a phrase near a cut is whole in at least one passage."""
    units = sentence_spans_of(segment.text)
    chunks: list[tuple[int, int]] = []
    i = 0
    while i < len(units):
        j = i
        while j + 1 < len(units) and units[j + 1][1] - units[i][0] <= size:
            j += 1
        chunks.append((units[i][0], units[j][1]))
        if j + 1 >= len(units):
            break
        # step back over the last sentences (up to `overlap` chars) so they start the next passage
        k = j + 1
        while k - 1 > i and units[j][1] - units[k - 1][0] <= overlap:
            k -= 1
        i = k
    return chunks


def chunk_document(doc: LoadedDocument, size: int, overlap: int) -> list[Document]:
    """The passages of a document, with metadata for citation and ids that are stable across rebuilds.
    Ids include the document's version, so writing a new version never touches the old one's passages."""
    out: list[Document] = []
    for segment in doc.segments:
        for rel_start, rel_end in chunk_segment(segment, size, overlap):
            text = segment.text[rel_start:rel_end]
            start = segment.start + rel_start
            digest = hashlib.sha1(f"{segment.section}|{start}|{text}".encode()).hexdigest()[:16]
            metadata: dict[str, str | int] = {
                "chunk_id": f"{doc.doc_id}:{doc.content_hash[:8]}:{digest}",
                "doc_id": doc.doc_id,
                "source": doc.title,
                "kind": doc.kind,
                "section": segment.section,
                "heading": HEADING_SEPARATOR.join(segment.heading_path),
                "start": start,
                "end": start + len(text),
                "ordinal": len(out),
                "doc_hash": doc.content_hash,
                "source_path": str(doc.path),
            }
            if segment.page is not None:
                metadata["page"] = segment.page
            if doc.reference:
                metadata["reference"] = doc.reference
            if doc.cite_as:
                metadata["cite_as"] = doc.cite_as
            if segment.context:
                metadata["context"] = segment.context
            if segment.questions:  # Chroma metadata holds no lists: one question per line
                metadata["questions"] = "\n".join(segment.questions)
            out.append(Document(page_content=text, metadata=metadata, id=str(metadata["chunk_id"])))
    with_passage_questions(out, doc.passage_questions)
    for passage in out:  # lets the index tell a completely written version from one cut off by a crash
        passage.metadata["doc_passages"] = len(out)
    return out


def with_passage_questions(passages: list[Document], entries: Sequence[AnchoredQuestions]) -> None:
    """Give each passage the questions of every entry whose anchor it contains (whitespace aside), one per
    line in ``passage_questions``: an anchor in the overlap of two passages goes to both. An anchor that no
    passage contains stops the index, naming the file and the anchor, rather than losing its questions."""
    squashed = [" ".join(p.page_content.split()) for p in passages]
    asked: list[list[str]] = [[] for _ in passages]
    for entry in entries:
        anchor = " ".join(entry.anchor.split())
        rows = [n for n, text in enumerate(squashed) if anchor in text]
        if not rows:
            raise InputError("error.passage_question_anchor", path=entry.file, anchor=entry.anchor)
        for n in rows:
            asked[n].extend(q for q in entry.questions if q not in asked[n])
    for passage, questions in zip(passages, asked, strict=True):
        if questions:  # Chroma metadata holds no lists: one question per line
            passage.metadata["passage_questions"] = "\n".join(questions)


def search_text(doc: Document) -> str:
    """What BM25 indexes: the passage under its heading path, its section's context, the questions its
    section answers (``corpus/section-questions.yaml``, Dutch and English) and those it answers itself
    (``corpus/passage-questions/``), so a passage that never names its topic ('Deze waarde ...') is still
    found by the heading and the words that do, and a question in English or in a practitioner's words
    meets words of its own."""
    parts = [str(doc.metadata.get(name, "")) for name in SEARCHED_METADATA]
    return "\n\n".join([p for p in parts if p] + [doc.page_content])


def sentence_spans(doc: Document) -> list[tuple[int, int]]:
    """Absolute spans of the sentences of a passage; each sentence is embedded once, even when it sits in
    the overlap of two passages."""
    start = int(doc.metadata["start"])
    return [(start + s, start + e) for s, e in sentence_spans_of(doc.page_content)]
