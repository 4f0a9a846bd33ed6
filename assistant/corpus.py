"""Turn the report's PDF text extraction into the structured Markdown corpus, and read the source list.

The extraction (``shared/report/*.txt``) still carries page furniture and hard line breaks. The corpus
Markdown keeps every word of the body in its original order, so that a test can prove nothing was lost;
only furniture goes, lines are reflowed into paragraphs and headings become Markdown headings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assistant.errors import InputError

FURNITURE_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(r"^\s*FONTYS\s+>\s+LERENDE EN INNOVERENDE NETWERKEN EN REGIO.S\s*$"),
    re.compile(r"^\s*Samen Leren Impact Maken\s+•\s+\d+\s*$"),
    re.compile(r"^\s*\d{1,3}\s*$"),
)

FRONT_MATTER = {
    "doc_id": "samen-leren-impact-maken",
    "title": "Samen Leren Impact Maken",
    "publisher": "Fontys Kenniscentrum Leven Lang Ontwikkelen",
    "year": 2024,
    "license": "CC BY-NC-SA 4.0",
    "language": "nl",
}

_NUMBERED = re.compile(r"^\s*(\d+(?:\.\d+)*)(\.?)\s+(\S.*?)\s*$")
_QUESTION_START = re.compile(r"^(Wat|Welke|Op welke|Hoe)\b")
_TERMINAL = '.?!;:"”’)'
_SHORT_LINE = 75
_BULLET = "•"
_CAPTION = re.compile(r"^(Figuur|Tabel)\s+\d+\.")
_BACK_MATTER = {"Colofon"}
_URL = re.compile(r"^(https?://|www\.)\S+$", re.IGNORECASE)


def is_furniture(line: str) -> bool:
    """Running headers, footers and bare page numbers of the PDF."""
    return any(p.match(line) for p in FURNITURE_PATTERNS)


def _next_numbers(current: tuple[int, ...]) -> set[tuple[int, ...]]:
    """Heading numbers that may follow ``current``: a sibling, a child, or a sibling of an ancestor."""
    if not current:
        return {(1,)}
    allowed = {current + (1,)}
    for depth in range(len(current)):
        prefix = current[:depth]
        allowed.add(prefix + (current[depth] + 1,))
    return allowed


@dataclass
class _Block:
    kind: str  # heading | para | bullet | caption | url
    lines: list[str] = field(default_factory=list)
    level: int = 0

    @property
    def text(self) -> str:
        return _join_lines(self.lines)


def _join_lines(lines: list[str]) -> str:
    out = ""
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        if not out:
            out = line
        elif re.search(r"\w-$", out) and line[:1].isalpha():
            out += line  # a hyphenated compound broken over two lines
        else:
            out += " " + line
    return out


def _is_subheading(line: str, prev: str, nxt: str) -> bool:
    """A short title line on its own (e.g. 'Beoogde doelstelling') that the PDF shows in bold."""
    s = line.strip()
    if not s or len(s) > 65 or len(s.split()) > 8:
        return False
    if s[0] in _BULLET or not s[0].isupper() or s[-1] in '.?!;:,"”’':
        return False
    if any(ch.isdigit() for ch in s) or _CAPTION.match(s) or _URL.match(s) or "  " in s:
        return False
    prev_s = prev.strip()
    if prev_s and prev_s[-1] not in _TERMINAL and len(prev_s) > _SHORT_LINE:
        return False
    nxt_s = nxt.strip()
    # a title introduces running text, not another short list line
    return bool(nxt_s) and nxt_s[0].isupper() and len(nxt_s) > _SHORT_LINE


def _blocks(lines: list[str]) -> list[_Block]:
    body = [ln.rstrip("\n") for ln in lines if not is_furniture(ln)]
    blocks: list[_Block] = []
    current_number: tuple[int, ...] = ()
    pending_urls: list[str] = []
    titles: set[str] = set()  # the subheadings found so far
    i = 0

    def add(block: _Block) -> None:
        blocks.extend(_Block("url", [u]) for u in pending_urls)
        pending_urls.clear()
        blocks.append(block)

    def next_nonblank(j: int) -> str:
        while j < len(body) and not body[j].strip():
            j += 1
        return body[j] if j < len(body) else ""

    def prev_nonblank() -> str:
        return blocks[-1].lines[-1] if blocks and blocks[-1].lines else ""

    while i < len(body):
        line = body[i]
        s = line.strip()
        i += 1
        if not s:
            if blocks and blocks[-1].kind in {"para", "bullet"}:
                blocks[-1].kind += "-closed"
            continue
        m = _NUMBERED.match(line)
        if m and m.group(3)[0].isupper():
            number = tuple(int(p) for p in m.group(1).split("."))
            if number in _next_numbers(current_number):
                current_number = number
                head = [s]
                if _QUESTION_START.match(m.group(3)):
                    while not head[-1].endswith("?") and i < len(body):
                        if body[i].strip():
                            head.append(body[i].strip())
                        i += 1
                add(_Block("heading", head, level=len(number)))
                continue
        if s in _BACK_MATTER:
            add(_Block("heading", [s], level=1))
            continue
        if _CAPTION.match(s):
            add(_Block("caption", [s]))
            continue
        if _URL.match(s):
            # link targets the PDF collects at the foot of a page: keep them, after the paragraph they interrupt
            pending_urls.append(s)
            continue
        if s.startswith(_BULLET):
            add(_Block("bullet", [s[1:].strip()]))
            continue
        last = blocks[-1] if blocks else None
        closed = bool(last and last.kind.endswith("closed"))
        if (
            _is_subheading(s, prev_nonblank() if closed else "", next_nonblank(i))
            and (last is None or last.kind != "para" or last.lines[-1].rstrip()[-1] in '.?!:”"’')
        ) or (closed and s in titles and _is_subheading(s, "", next_nonblank(i))):
            # the second test: a title the report already used (each case chapter repeats §3's), standing apart
            # after a paragraph that ends without a full stop (a quote's attribution: "Vertegenwoordiger de Kempen")
            titles.add(s)
            add(_Block("heading", [s], level=4))
            continue
        if last is not None and last.kind in {"para", "bullet", "para-closed", "bullet-closed"}:
            continues = not _ends_paragraph(last.lines[-1], s)
            if last.kind.endswith("closed"):
                # a blank line (often a page break) only interrupts a sentence that goes on in lower case
                continues = continues and s[0].islower()
            if continues:
                last.kind = last.kind.removesuffix("-closed")
                last.lines.append(s)
                continue
        add(_Block("para", [s]))
    blocks.extend(_Block("url", [u]) for u in pending_urls)
    return blocks


def _ends_paragraph(line: str, following: str) -> bool:
    """Whether a hard line break closes the paragraph: after a short line or a sentence end, unless
    the text plainly goes on (a broken compound, or a sentence that continues in lower case)."""
    s = " ".join(line.split())
    if re.search(r"\w-$", s):
        return False
    if s[-1] not in _TERMINAL and following[:1].islower():
        return False
    return len(s) < _SHORT_LINE or s[-1] in "?!" or (s[-1] in _TERMINAL and len(s) < 95)


def _render(block: _Block) -> str:
    kind = block.kind.removesuffix("-closed")
    text = block.text
    if kind == "heading":
        return "#" * block.level + " " + re.sub(r"\s+", " ", text)
    if kind == "bullet":
        return "- " + text
    if kind == "caption":
        return "*" + text + "*"
    return text


def build_markdown(source_text: str) -> str:
    """The corpus Markdown for the report's text extraction: front matter, then one block per paragraph."""
    blocks = _blocks(source_text.splitlines())
    parts: list[str] = []
    for block in blocks:
        rendered = _render(block)
        # consecutive bullets form one list
        if parts and block.kind.startswith("bullet") and parts[-1].startswith("- "):
            parts[-1] += "\n" + rendered
        else:
            parts.append(rendered)
    front = yaml.safe_dump(FRONT_MATTER, sort_keys=False, allow_unicode=True).strip()
    return f"---\n{front}\n---\n\n" + "\n\n".join(parts) + "\n"


def split_front_matter(markdown: str) -> tuple[dict[str, object], str, int]:
    """Front matter, body, and the body's character offset in the file."""
    if markdown.startswith("---\n"):
        end = markdown.find("\n---\n", 4)
        if end != -1:
            meta = yaml.safe_load(markdown[4:end]) or {}
            offset = end + len("\n---\n")
            return dict(meta), markdown[offset:], offset
    return {}, markdown, 0


def comparable_text(text: str, *, markdown: bool) -> str:
    """Text with layout removed, to compare the corpus against the extraction word for word.

    Stand-alone link targets are left out: the builder moves them past the paragraph they interrupt,
    and ``standalone_urls`` checks them separately.
    """
    text = "\n".join(ln for ln in text.splitlines() if not _URL.match(ln.strip()))
    if markdown:
        _, text, _ = split_front_matter(text)
        text = re.sub(r"(?m)^#+ ", "", text)
        text = re.sub(r"(?m)^- ", "", text)
        text = re.sub(r"(?m)^\*(.*)\*$", r"\1", text)
    else:
        text = "\n".join(ln for ln in text.splitlines() if not is_furniture(ln))
        text = text.replace(_BULLET, "")
    return re.sub(r"\s+", "", text)


def standalone_urls(text: str) -> list[str]:
    """The link targets that stand on a line of their own, sorted."""
    return sorted(ln.strip() for ln in text.splitlines() if _URL.match(ln.strip()))


@dataclass(frozen=True)
class SourceRecord:
    """One entry of ``corpus/sources.yaml``: a reference of chapter 9, a work the text cites that chapter 9
    lacks (``cited_in_text``), or a document of §8.3 (``analysed_document``). Fields the report does not
    give stay empty; ``listed`` is chapter 9's entry word for word where it is not simply the title."""

    id: str
    kind: str
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    year: int | None = None
    venue: str | None = None
    doi: str | None = None
    url: str | None = None
    case: str | None = None
    section: str | None = None
    listed: str | None = None
    cited_as: list[str] = field(default_factory=list)
    note: str | None = None


def load_sources(path: Path) -> list[SourceRecord]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [SourceRecord(**entry) for entry in data.get("sources", [])]


SECTION_CONTEXT_FILE = "section-context.yaml"


class SectionContext(BaseModel):
    """What one section is about in plain words, in both languages (``corpus/section-context.yaml``)."""

    model_config = ConfigDict(extra="forbid")

    nl: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def text(self) -> str:
        return f"{self.nl.strip()} {self.en.strip()}"


class DocumentContexts(BaseModel):
    """The contexts of one corpus document: per chapter (inherited by all its passages) and per heading."""

    model_config = ConfigDict(extra="forbid")

    chapters: dict[str, SectionContext] = {}
    sections: dict[str, SectionContext]

    def for_heading(self, section: str, heading_path: tuple[str, ...]) -> str:
        """The context added to every passage under this heading: its chapter's, then its own."""
        parts = []
        chapter = self.chapters.get(section.split(".")[0]) if section else None
        if chapter:
            parts.append(chapter.text())
        own = self.sections.get(section_key(section, heading_path))
        if own:
            parts.append(own.text())
        return " ".join(parts)


def section_key(section: str, heading_path: tuple[str, ...]) -> str:
    """How ``section-context.yaml`` names a heading: '4.1' for a numbered heading, '4.2 › Structuur' for an
    unnumbered sub-heading under 4.2, the heading itself where there is no number ('Colofon')."""
    last = heading_path[-1] if heading_path else ""
    if not section:
        return last
    return section if _NUMBERED.match(last) else f"{section} › {last}"


def load_section_contexts(path: Path) -> dict[str, DocumentContexts]:
    """Contexts per corpus document id; no file means no contexts (a corpus without them still works)."""
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(doc_id): DocumentContexts.model_validate(entry) for doc_id, entry in data.items()}


@cache
def network_descriptions(corpus_dir: Path) -> dict[str, str]:
    """Who each case network is and how people describe it, by the number of its chapter ('4'): the chapter
    contexts of ``section-context.yaml``, Dutch and English together."""
    contexts = load_section_contexts(corpus_dir / SECTION_CONTEXT_FILE)
    return {number: context.text() for document in contexts.values() for number, context in document.chapters.items()}


SECTION_QUESTIONS_FILE = "section-questions.yaml"
MIN_QUESTIONS_PER_LANGUAGE = 4


class SectionQuestions(BaseModel):
    """Questions one section answers, asked as a practitioner would and mostly not in the report's words
    (``corpus/section-questions.yaml``), so a question worded in a way the report never is meets one that
    means the same."""

    model_config = ConfigDict(extra="forbid")

    nl: list[str] = Field(min_length=MIN_QUESTIONS_PER_LANGUAGE)
    en: list[str] = Field(min_length=MIN_QUESTIONS_PER_LANGUAGE)

    def all(self) -> list[str]:
        return [q.strip() for q in (*self.nl, *self.en) if q.strip()]


class DocumentQuestions(BaseModel):
    """The questions of one corpus document, per heading (keys as in ``section-context.yaml``)."""

    model_config = ConfigDict(extra="forbid")

    sections: dict[str, SectionQuestions]

    def for_heading(self, section: str, heading_path: tuple[str, ...]) -> tuple[str, ...]:
        own = self.sections.get(section_key(section, heading_path))
        return tuple(own.all()) if own else ()


def load_section_questions(path: Path) -> dict[str, DocumentQuestions]:
    """Questions per corpus document id; no file means no questions."""
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(doc_id): DocumentQuestions.model_validate(entry) for doc_id, entry in data.items()}


PASSAGE_QUESTIONS_DIR = "passage-questions"


class PassageQuestions(BaseModel):
    """Questions one passage answers (``corpus/passage-questions/*.yaml``), tied to it by ``anchor``: a
    phrase copied word for word from the passage, so the entry survives a change of how the report is cut.
    Section questions point to the right section; these decide which passage of a long section answers."""

    model_config = ConfigDict(extra="forbid")

    anchor: str = Field(min_length=1)
    nl: list[str] = Field(min_length=1)
    en: list[str] = Field(min_length=1)

    def all(self) -> list[str]:
        return [q.strip() for q in (*self.nl, *self.en) if q.strip()]


class PassageQuestionFile(BaseModel):
    """One file of passage questions: per corpus document id, its entries in passage order."""

    model_config = ConfigDict(extra="forbid")

    documents: dict[str, list[PassageQuestions]]


@dataclass(frozen=True)
class AnchoredQuestions:
    """One entry with the file it came from, so a phrase no passage holds is reported with both."""

    file: str
    anchor: str
    questions: tuple[str, ...]


def passage_question_files(corpus_dir: Path) -> list[Path]:
    """The passage question files beside the report, in name order (no folder: none)."""
    folder = corpus_dir / PASSAGE_QUESTIONS_DIR
    return sorted(folder.glob("*.yaml")) if folder.is_dir() else []


def load_passage_questions(corpus_dir: Path) -> dict[str, list[AnchoredQuestions]]:
    """Every entry of every passage question file, per corpus document id. A file that breaks the format
    (an unknown field, an entry without questions) stops the index with the file and the field named."""
    out: dict[str, list[AnchoredQuestions]] = {}
    for path in passage_question_files(corpus_dir):
        name = f"{PASSAGE_QUESTIONS_DIR}/{path.name}"
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            parsed = PassageQuestionFile.model_validate({"documents": data})
        except (yaml.YAMLError, ValidationError) as exc:
            raise InputError("error.passage_questions_invalid", path=name, detail=first_problem(exc)) from exc
        for doc_id, entries in parsed.documents.items():
            out.setdefault(doc_id, []).extend(
                AnchoredQuestions(name, e.anchor.strip(), tuple(e.all())) for e in entries
            )
    return out


def first_problem(exc: Exception) -> str:
    """Where and what the first problem of a YAML or validation error is, in one line."""
    if isinstance(exc, ValidationError):
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"][1:])  # without the wrapping 'documents'
        return f"{where}: {error['msg']}"
    return str(exc).splitlines()[0]
