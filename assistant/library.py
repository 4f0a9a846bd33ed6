"""The shared library of the report's sources: added once by whoever runs SLIM, searched by everyone.

A source's PDF (or DOCX, Markdown, text) is matched to its record in ``corpus/sources.yaml`` — by a DOI
in its first pages, by its title, or by an id given explicitly — and kept as ``<data dir>/library/files/
<record id><suffix>``. Its passages go into one Chroma collection (``SLIM_LIBRARY_COLLECTION``) that
every person's search includes beside the report (``Workspace.with_report``) and that only this module
writes: the app has no way to add to it, so its users only read it. A file that matches no record is
refused, unless it is added as a related text (``as_extra``), which is cited as such.

Every change ends by writing a new version stamp (``<data dir>/library/version``). A running app reads
the library through ``LiveLibrary``, which compares that stamp on every search (one small file read) and
reopens the collection when another process (``slim sources add``) changed it: the next page view finds the
new source without a restart.
"""

from __future__ import annotations

import os
import shutil
import threading
import uuid
from dataclasses import replace
from pathlib import Path

import chromadb
from pydantic import BaseModel

from assistant.config import Settings
from assistant.corpus import SourceRecord, load_sources
from assistant.embeddings import SlimEmbeddings
from assistant.errors import InputError
from assistant.index import (
    IndexedDoc,
    PassageStore,
    SentenceRows,
    SourceFile,
    StoredPassages,
    chroma_client,
    separate_chroma_client,
    sync,
    writer_lock,
)
from assistant.ingest import SUPPORTED_SUFFIXES, LoadedDocument, document_id, read_bytes, slugify
from assistant.safeparse import check_size, parse_untrusted, untrusted_loader
from assistant.sources import cite_as, match_record, report_citations

HEAD_CHARS = 8000  # a DOI or title sits on the first pages of a paper


class LibraryEntry(BaseModel):
    """A record of the report's sources (or a related text) and whether the library holds it."""

    id: str
    kind: str
    """reference | cited_in_text | analysed_document | extra"""
    cite: str
    title: str | None
    doi: str | None
    url: str | None
    in_library: bool
    file: str | None
    passages: int
    cited_in: int
    """paragraphs of the report's text that cite it"""


class AddedSource(BaseModel):
    id: str
    file: str
    cite: str
    matched_by: str
    """doi | title | id | extra"""
    passages: int


def library_stamp(settings: Settings) -> str | None:
    """The library's version: changed by every add, remove and repair, once the collection is written."""
    try:
        return (settings.library_dir / "version").read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def _new_stamp(settings: Settings) -> None:
    """Written last, under the writer lock, so a reader that sees the new stamp finds the whole change."""
    settings.library_dir.mkdir(parents=True, exist_ok=True)
    staged = settings.library_dir / "version.tmp"
    staged.write_text(uuid.uuid4().hex, encoding="utf-8")
    os.replace(staged, settings.library_dir / "version")


def records(settings: Settings) -> list[SourceRecord]:
    path = settings.corpus_dir / "sources.yaml"
    return load_sources(path) if path.exists() else []


def library_files(settings: Settings) -> list[SourceFile]:
    """The library's files; one named after a record is that source, any other a related text."""
    folder = settings.library_dir / "files"
    if not folder.is_dir():
        return []
    known = {record.id for record in records(settings)}
    paths = [p for p in sorted(folder.iterdir()) if p.is_file()]
    return [SourceFile(p, "source" if p.stem in known else "extra") for p in paths]


def library_entries(settings: Settings, indexed: dict[str, IndexedDoc] | None = None) -> list[LibraryEntry]:
    """Every record, then every related text, with its status: what `slim sources list` and the Bronnen
    page show. Without ``indexed`` (what the collection holds) the status comes from the files alone, so
    a page can show it without opening the index; passage counts are then 0."""
    citations = report_citations(settings.corpus_dir)
    indexed = indexed or {}
    held = {f.path.stem: f for f in library_files(settings)}
    out = []
    for record in records(settings):
        file = held.get(record.id)
        doc = indexed.get(document_id(file.path, "source")) if file else None
        out.append(
            LibraryEntry(
                id=record.id,
                kind=record.kind,
                cite=cite_as(record),
                title=record.title,
                doi=record.doi,
                url=record.url or (f"https://doi.org/{record.doi}" if record.doi else None),
                in_library=file is not None,
                file=file.path.name if file else None,
                passages=doc.passages if doc else 0,
                cited_in=len(citations.get(record.id, [])),
            )
        )
    for stem, file in held.items():
        if file.kind != "extra":
            continue
        doc = indexed.get(document_id(file.path, "extra"))
        title = doc.title if doc else stem
        out.append(
            LibraryEntry(
                id=stem,
                kind="extra",
                cite=title,
                title=title,
                doi=None,
                url=None,
                in_library=True,
                file=file.path.name,
                passages=doc.passages if doc else 0,
                cited_in=0,
            )
        )
    return out


class Library:
    """The shared library: its files and its collection."""

    def __init__(self, settings: Settings, embeddings: SlimEmbeddings, client: chromadb.ClientAPI | None = None):
        self.settings = settings
        self.folder = settings.library_dir / "files"
        self.index = PassageStore(
            settings, embeddings, client or chroma_client(settings), collection=settings.library_collection
        )

    def records(self) -> dict[str, SourceRecord]:
        return {record.id: record for record in records(self.settings)}

    def files(self) -> list[SourceFile]:
        return library_files(self.settings)

    def file_of(self, source_id: str) -> Path | None:
        return next((f.path for f in self.files() if f.path.stem == source_id), None)

    def add(self, path: Path, source_id: str | None = None, as_extra: bool = False) -> AddedSource:
        """Match ``path`` to a record and index it for everyone; a file that cannot be read, or matches no
        record (and is not ``as_extra``), leaves the library as it was."""
        read_bytes(path)
        check_size(path, self.settings)
        suffix = path.suffix.lower()
        if suffix not in SUPPORTED_SUFFIXES:
            raise InputError("error.unsupported_type", path=path.name, suffix=suffix or "(geen)")
        known = self.records()
        loaded = parse_untrusted(path, "source", self.settings)
        if source_id and source_id in known:
            record, how = known[source_id], "id"
        elif source_id and not as_extra:
            raise InputError("error.source_unknown_id", id=source_id)
        else:
            head = " ".join(seg.text for seg in loaded.segments)[:HEAD_CHARS]
            names = f"{path.name} {loaded.title}"
            record, how = (None, "") if source_id else match_record(head, names, list(known.values()))
        if record is None and not as_extra:
            raise InputError("error.source_no_match", path=path.name)
        if record is None:
            source_id, how = source_id or slugify(path.stem), "extra"
            if source_id in known:
                raise InputError("error.source_id_taken", id=source_id)
        else:
            source_id = record.id
        with writer_lock(self.settings, size=path.stat().st_size):
            staging = self.settings.library_dir / "incoming"
            staging.mkdir(parents=True, exist_ok=True)
            staged = staging / f"{source_id}{suffix}"
            shutil.copyfile(path, staged)
            self.folder.mkdir(parents=True, exist_ok=True)
            for old in self.folder.glob(f"{source_id}.*"):  # the same source in another format is replaced
                if old.suffix.lower() != suffix:
                    old.unlink()
            target = self.folder / staged.name
            os.replace(staged, target)
            own = self._as_own(loaded, target)
            sync(self.index, self.files(), load=untrusted_loader(self._as_own, own))
            _new_stamp(self.settings)
        doc = self._indexed().get(document_id(target, "source"))
        return AddedSource(
            id=source_id, file=path.name, cite=own.cite_as, matched_by=how, passages=doc.passages if doc else 0
        )

    def remove(self, source_id: str) -> None:
        target = self.file_of(source_id)
        if target is None:
            raise InputError("error.source_not_in_library", id=source_id)
        with writer_lock(self.settings):
            target.unlink()
            sync(self.index, self.files(), load=untrusted_loader(self._as_own))
            _new_stamp(self.settings)

    def sync(self):  # noqa: ANN201 — a SyncReport, as Workspace.sync
        """Bring the collection in line with the folder (after a crash, or after sources.yaml changed)."""
        with writer_lock(self.settings):
            report = sync(self.index, self.files(), load=untrusted_loader(self._as_own))
            _new_stamp(self.settings)
            return report

    def entries(self) -> list[LibraryEntry]:
        return library_entries(self.settings, self._indexed())

    def _indexed(self) -> dict[str, IndexedDoc]:
        return self.index.documents()

    def _as_own(self, doc: LoadedDocument, path: Path) -> LoadedDocument:
        """A parsed file as the library keeps it: linked to its record and cited as it (a related text by
        its own title)."""
        record = self.records().get(path.stem)
        if record is None:
            return replace(doc, path=path, kind="extra", doc_id=document_id(path, "extra"), cite_as=doc.title)
        return replace(
            doc,
            path=path,
            kind="source",
            doc_id=document_id(path, "source"),
            title=record.title or cite_as(record),
            reference=record.id,
            cite_as=cite_as(record),
        )


class LiveLibrary:
    """The shared library as a long-running process (the app) reads it, beside the report.

    ``slim sources add`` writes from another process, and a local Chroma directory does not show one
    process the vectors another added later (``separate_chroma_client``). So every read first compares
    the library's stamp (``library_stamp``, one small file) with the one it opened, and on a change opens
    the collection again in a Chroma system of its own. Two slots take turns: a slot's old client is
    closed only when the slot is used again, one change later, so a search still reading it is not cut
    off. One per process, shared by every person's search (``Workspaces``)."""

    def __init__(self, settings: Settings, embeddings: SlimEmbeddings, client: chromadb.ClientAPI):
        self.settings = settings
        self.embeddings = embeddings
        self._lock = threading.Lock()
        self._stamp = library_stamp(settings)
        self._store = PassageStore(settings, embeddings, client, collection=settings.library_collection)
        self._slots: list[chromadb.ClientAPI | None] = [None, None]
        self._opened = 0

    def store(self) -> PassageStore:
        """The collection as it is now; reopened when the stamp changed (a failed reopen is tried again
        on the next read)."""
        stamp = library_stamp(self.settings)
        with self._lock:
            if stamp != self._stamp:
                slot = self._opened % 2
                if self._slots[slot] is not None:
                    self._slots[slot].close()  # type: ignore[union-attr]
                    self._slots[slot] = None
                client = separate_chroma_client(self.settings, slot)
                self._slots[slot] = client
                collection = self.settings.library_collection
                self._store = PassageStore(self.settings, self.embeddings, client, collection=collection)
                self._stamp, self._opened = stamp, self._opened + 1
            return self._store

    def count(self) -> int:
        return self.store().count()

    def ids(self) -> list[str]:
        return self.store().ids()

    def all_passages(self) -> StoredPassages:
        return self.store().all_passages()

    def sentence_rows(self) -> SentenceRows:
        return self.store().sentence_rows()
