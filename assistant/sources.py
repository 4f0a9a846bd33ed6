"""The report's sources: where the report cites each one, how a source is cited, and which record a file is.

Everything here is computed from the corpus Markdown and ``corpus/sources.yaml``, deterministically: an
author-year mention in the text ("Wenger et al., 2021", "(Salignac et al., 2018)", "De Laat (2014)") is
resolved to the record whose first author and year it names (or one of its ``cited_as`` forms), and the
paragraph it stands in, with its section and heading, is where the report uses that source.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pydantic import BaseModel

from assistant.corpus import SourceRecord, load_sources, split_front_matter
from assistant.ingest import markdown_segments
from assistant.text import HEADING_SEPARATOR

ET_AL = "et al."
MAX_NAMED_AUTHORS = 3  # "Wenger, Trayner & De Laat 2021"; four or more: "Mennens et al. 2021"
MIN_TITLE_WORDS = 5  # a shorter title ("Beeld van de structuur") is found in a text by chance
BODY_CHAPTERS = frozenset({"1", "2", "3", "4", "5", "6", "7"})  # 8: the account of the research; 9: chapter 9

_NAME = r"(?:(?:De|Van|Van de[nr]?) )?[A-ZÀ-Ý][a-zà-ÿ]+(?:-[A-ZÀ-Ý][a-zà-ÿ]+)?"
_SEPARATOR = r"(?:\s*,\s*&\s*|\s*,\s*|\s*&\s*|\s+en\s+)"
_ET_AL = r"(?:\s*,?\s*(?:et\s+al\.?|e\.a\.))"
MENTION = re.compile(
    rf"\b(?P<authors>{_NAME}(?:{_SEPARATOR}{_NAME})*){_ET_AL}?(?:\s*,\s*|\s+\(|\s+)(?P<year>(?:19|20)\d\d)\b"
)
_KEY_FORM = re.compile(r"^(?P<name>[^\W\d][\w\s'’-]*?) (?P<year>\d{4})$")
_WORDS = re.compile(r"\w+")


def fold(text: str) -> str:
    """Lower case, no accents, letters and digits only: 'García-Terán' and 'Garcia-Teran' are one name."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if ch.isalnum() and not unicodedata.combining(ch))


def surname(author: str) -> str:
    """'Wenger, E.' → 'Wenger'; 'de Laat, M.' → 'De Laat' (a particle is capitalised without initials)."""
    name = author.split(",")[0].strip()
    return name[:1].upper() + name[1:]


def cite_as(record: SourceRecord) -> str:
    """How the record is cited: 'Wenger, Trayner & De Laat 2021', 'Salignac et al. 2018', 'Stam 2015'."""
    names = [surname(a) for a in record.authors if a != ET_AL]
    if not names:
        who = record.title or record.id
    elif ET_AL in record.authors or len(names) > MAX_NAMED_AUTHORS:
        who = f"{names[0]} {ET_AL}"
    elif len(names) == 1:
        who = names[0]
    else:
        who = ", ".join(names[:-1]) + " & " + names[-1]
    return f"{who} {record.year}" if record.year else who


def record_keys(record: SourceRecord) -> set[tuple[str, int]]:
    """The (first author, year) pairs a mention of the record carries: its own and its ``cited_as`` forms."""
    keys = set()
    names = [a for a in record.authors if a != ET_AL]
    if names and record.year:
        keys.add((fold(surname(names[0])), record.year))
    for form in record.cited_as:
        match = _KEY_FORM.match(form)
        if match:
            keys.add((fold(match["name"]), int(match["year"])))
    return keys


def title_phrases(record: SourceRecord) -> list[str]:
    """Phrases by which the text names the record without an author: its title or a ``cited_as`` phrase."""
    phrases = [p for p in record.cited_as if not _KEY_FORM.match(p)]
    if record.title and record.kind != "analysed_document" and len(_WORDS.findall(record.title)) >= MIN_TITLE_WORDS:
        phrases.append(record.title.rstrip("."))
    return phrases


@dataclass(frozen=True)
class Mention:
    """An author-year mention in the text, as written, and the (first author, year) it names."""

    text: str
    key: tuple[str, int]


def mentions(text: str) -> list[Mention]:
    """Every author-year mention in ``text``, in order."""
    found = []
    for match in MENTION.finditer(text):
        first = re.split(_SEPARATOR, match["authors"])[0]
        written = match.group(0).strip()
        if "(" in written and text[match.end() : match.end() + 1] == ")":
            written += ")"
        found.append(Mention(written, (fold(first), int(match["year"]))))
    return found


class CitingPassage(BaseModel):
    """A paragraph of the report that cites a record: where it stands and how the record is named there."""

    section: str
    heading: str
    text: str
    cited: list[str]

    def where(self) -> str:
        """'§3.2 Lerend vermogen van het netwerk › Geschiedenis van netwerkleren'."""
        return f"§{self.section} {self.heading}"


def _paragraphs(corpus_md: str) -> list[tuple[str, str, str]]:
    """(section, heading path without the chapter's numbered title, paragraph) of the report's body."""
    _, _, offset = split_front_matter(corpus_md)
    out = []
    for segment in markdown_segments(corpus_md, offset):
        if segment.section.split(".")[0] not in BODY_CHAPTERS:
            continue
        heading = HEADING_SEPARATOR.join(_without_number(h) for h in segment.heading_path[1:] or segment.heading_path)
        for paragraph in re.split(r"\n\s*\n", segment.text):
            if paragraph.strip():
                out.append((segment.section, heading, paragraph.strip()))
    return out


def _without_number(heading: str) -> str:
    return re.sub(r"^\d+(?:\.\d+)*\.?\s+", "", heading)


def unresolved_mentions(corpus_md: str, records: list[SourceRecord]) -> list[Mention]:
    """Mentions in the report's body that no record resolves (a test keeps this empty)."""
    known = {key for record in records for key in record_keys(record)}
    return [m for _, _, text in _paragraphs(corpus_md) for m in mentions(text) if m.key not in known]


def citing_passages(corpus_md: str, records: list[SourceRecord]) -> dict[str, list[CitingPassage]]:
    """For every record, the paragraphs of the report's body that cite it, in reading order."""
    by_key: dict[tuple[str, int], list[str]] = {}
    for record in records:
        for key in record_keys(record):
            by_key.setdefault(key, []).append(record.id)
    phrases = {record.id: [" ".join(p.lower().split()) for p in title_phrases(record)] for record in records}
    found: dict[str, list[CitingPassage]] = {record.id: [] for record in records}
    for section, heading, text in _paragraphs(corpus_md):
        cited: dict[str, list[str]] = {}
        for mention in mentions(text):
            for record_id in by_key.get(mention.key, []):
                cited.setdefault(record_id, []).append(mention.text)
        flat = " ".join(text.lower().split())
        for record_id, wanted in phrases.items():
            for phrase in wanted:
                at = flat.find(phrase)
                if at >= 0:
                    cited.setdefault(record_id, []).append(" ".join(text.split())[at : at + len(phrase)])
        for record_id, forms in cited.items():
            found[record_id].append(CitingPassage(section=section, heading=heading, text=text, cited=forms))
    return found


@cache
def _report_citations(
    corpus_md: Path, sources_yaml: Path, stamp: tuple[float, float]
) -> dict[str, list[CitingPassage]]:
    return citing_passages(corpus_md.read_text(encoding="utf-8"), load_sources(sources_yaml))


def report_citations(corpus_dir: Path) -> dict[str, list[CitingPassage]]:
    """``citing_passages`` for the corpus in ``corpus_dir``, computed once per version of its files."""
    corpus_md, sources_yaml = corpus_dir / "samen-leren-impact-maken.md", corpus_dir / "sources.yaml"
    if not corpus_md.exists() or not sources_yaml.exists():
        return {}
    return _report_citations(corpus_md, sources_yaml, (corpus_md.stat().st_mtime, sources_yaml.stat().st_mtime))


def match_record(head: str, names: str, records: list[SourceRecord]) -> tuple[SourceRecord | None, str]:
    """The record a file is, and how it was found: its DOI in the file's first pages ('doi'), else its
    title word for word in the file's name, metadata title or first pages ('title'; the longest wins)."""
    lowered = head.lower()
    for record in records:
        if record.doi and record.doi.lower() in lowered:
            return record, "doi"
    haystack = f" {' '.join(fold(w) for w in _WORDS.findall(f'{names} {head}'))} "
    best: SourceRecord | None = None
    best_len = 0
    for record in records:
        words = [fold(w) for w in _WORDS.findall(record.title or "")]
        if len(words) >= MIN_TITLE_WORDS and f" {' '.join(words)} " in haystack and len(words) > best_len:
            best, best_len = record, len(words)
    return (best, "title") if best else (None, "")
