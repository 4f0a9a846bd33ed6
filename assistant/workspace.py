"""A person's own documents: files kept in the data directory, indexed in collections of their own.

Each workspace has its own Chroma collections (``<collection>-ws-<name>``) and folder of files; the
report's collections are shared and only read. Files are parsed in a child process under limits
(``assistant.safeparse``) before anything is written, and every change happens under the one writer
lock of the data directory, so uploads from several people are queued, never interleaved.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import shutil
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Generic, TypeVar

import chromadb

from assistant.config import Language, Settings
from assistant.corpus import SourceRecord
from assistant.embeddings import SlimEmbeddings
from assistant.errors import InputError
from assistant.i18n import t
from assistant.index import (
    CombinedIndex,
    IndexedDoc,
    PassageStore,
    QueueWait,
    SourceFile,
    SyncReport,
    chroma_client,
    sync,
    writer_lock,
)
from assistant.ingest import SUPPORTED_SUFFIXES, LoadedDocument, document_id, read_bytes, slugify
from assistant.library import Library, LiveLibrary, records
from assistant.safeparse import check_size, parse_untrusted, untrusted_loader
from assistant.text import WORD, fold

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
MAX_NAME_BYTES = 255  # what a file system takes for one name
_INVISIBLE = {"Cc", "Cs", "Zl", "Zp"}  # control characters, lone surrogates, line and paragraph separators
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")  # reorder how a name reads
R = TypeVar("R")
MIN_TITLE_WORDS = 4  # shorter titles ("Informatie sheet project") match too much by chance


@dataclass(frozen=True)
class WorkspaceDoc:
    """A document as ``slim docs list`` and the sidebar show it."""

    name: str
    passages: int
    pages: int | None
    reference: str | None


@dataclass(frozen=True)
class AddedDoc(WorkspaceDoc):
    """A document just added, and how its text was read when it was not UTF-8 (e.g. 'UTF-16 LE')."""

    encoding: str | None = None


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise InputError("error.workspace_name", name=name)
    return name


def upload_name(name: str) -> str:
    """The name a person's file is kept under: its last path part, NFC, without control characters (a
    line break in a name would break ``slim docs list``: refused), and within 255 bytes of UTF-8 with its
    extension kept. A shortened name ends in a hash of the whole one, so two long names stay two files."""
    bad = [ch for ch in name if unicodedata.category(ch) in _INVISIBLE or ch in _BIDI]
    if bad:
        visible = "".join(ch.encode("unicode_escape").decode() if ch in bad else ch for ch in name)
        raise InputError("error.doc_name_control", name=visible)
    name = unicodedata.normalize("NFC", Path(name).name)
    if len(name.encode()) <= MAX_NAME_BYTES:
        return name
    suffix = Path(name).suffix if len(Path(name).suffix) <= 16 else ""
    tag = "-" + hashlib.sha256(name.encode()).hexdigest()[:8]
    stem = name[: len(name) - len(suffix)].encode()[: MAX_NAME_BYTES - len(suffix.encode()) - len(tag)]
    return stem.decode(errors="ignore") + tag + suffix


def match_reference(doc: LoadedDocument, sources: list[SourceRecord]) -> str:
    """The ``sources.yaml`` entry this document is: its DOI, or its title word for word, in the file
    name, the PDF's own title or the first pages. Of several, the longest title wins."""
    head = " ".join(seg.text for seg in doc.segments)[:6000]
    haystack = " ".join(WORD.findall(fold(f"{doc.path.name} {doc.title} {head}")))
    best, best_len = "", 0
    for source in sources:
        words = WORD.findall(fold(source.title or ""))
        found = source.doi and source.doi.lower() in head.lower()
        if len(words) >= MIN_TITLE_WORDS and f" {' '.join(words)} " in f" {haystack} ":
            found = True
        if found and len(words) > best_len:
            best, best_len = source.id, len(words)
    return best


def workspace_collection(settings: Settings, name: str) -> str:
    """The collection of workspace ``name``'s passages (its sentences: the same name + ``-sentences``)."""
    return f"{settings.collection}-ws-{name}"


class Workspace:
    """The documents of one person or team, and their index."""

    def __init__(
        self,
        settings: Settings,
        name: str,
        embeddings: SlimEmbeddings,
        client: chromadb.ClientAPI | None = None,
    ):
        self.name = check_name(name)
        self.settings = settings
        self.folder = settings.workspaces_dir / name / "files"
        collection = workspace_collection(settings, name)
        self.index = PassageStore(settings, embeddings, client or chroma_client(settings), collection=collection)

    def with_report(self, report: PassageStore, library: LiveLibrary | None = None) -> CombinedIndex:
        """The shared report, the shared library of its sources and these documents read as one, as
        people's questions search them. A long-running process passes its ``LiveLibrary``, which follows
        the library's changes by other processes; a command opens the library as it is now."""
        shared = library or Library(self.settings, self.index.embeddings, self.index.client).index
        return CombinedIndex(report, shared, self.index)

    def sources(self) -> list[SourceFile]:
        if not self.folder.is_dir():
            return []
        return [SourceFile(p, "document") for p in sorted(self.folder.iterdir()) if p.is_file()]

    def add(
        self,
        source: Path,
        name: str | None = None,
        progress: bool = False,
        on_wait: Callable[[QueueWait], None] | None = None,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> AddedDoc:
        """Add (or replace) a file; a file that cannot be read leaves everything as it was. While other
        uploads are indexed first, ``on_wait`` hears this one's place in line and expected wait; then
        ``on_progress(done, total)`` follows its embedding."""
        name = upload_name(name or source.name)
        read_bytes(source)  # missing or unreadable: said before anything else happens
        check_size(source, self.settings)
        if Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
            raise InputError("error.unsupported_type", path=name, suffix=Path(name).suffix.lower() or "(geen)")
        clash = [s.path.name for s in self.sources() if s.path.name != name and slugify(s.path.name) == slugify(name)]
        if clash:  # both would be the same document in the index
            raise InputError("error.doc_name_clash", name=name, other=clash[0])
        with writer_lock(self.settings, on_wait, size=source.stat().st_size) as job:
            staging = self.folder.parent / "incoming"
            staging.mkdir(parents=True, exist_ok=True)
            staged = staging / name
            shutil.copyfile(source, staged)
            try:
                loaded = parse_untrusted(staged, "document", self.settings)
            except BaseException:
                staged.unlink(missing_ok=True)
                raise
            self.folder.mkdir(parents=True, exist_ok=True)
            target = self.folder / name
            os.replace(staged, target)  # atomic: the old file or the new one, never half of it
            loaded = self._as_own(loaded, target)

            def embedded(done: int, total: int) -> None:
                job.progress(done, total)
                if on_progress:
                    on_progress(done, total)

            load = untrusted_loader(self._as_own, loaded)
            sync(self.index, self.sources(), progress=progress, load=load, on_progress=embedded)
        added = next(doc for doc in self.documents() if doc.name == name)
        return AddedDoc(**vars(added), encoding=loaded.encoding or None)

    def remove(self, name: str) -> None:
        """Remove a file and its passages."""
        target = self.folder / Path(name).name
        if not target.is_file():
            raise InputError("error.doc_not_found", name=name, workspace=self.name)
        with writer_lock(self.settings):
            target.unlink()
            sync(self.index, self.sources(), load=untrusted_loader(self._as_own))

    def delete(self) -> None:
        """Remove the whole workspace: its files and its collections."""
        with writer_lock(self.settings):
            for collection in (self.index.passages, self.index.sentences):
                self.index.client.delete_collection(collection.name)
            shutil.rmtree(self.folder.parent, ignore_errors=True)

    def documents(self) -> list[WorkspaceDoc]:
        indexed = self.index.documents()
        out = []
        for source in self.sources():
            doc: IndexedDoc | None = indexed.get(document_id(source.path, source.kind))
            out.append(
                WorkspaceDoc(
                    name=source.path.name,
                    passages=doc.passages if doc else 0,
                    pages=doc.pages if doc else None,
                    reference=doc.reference if doc else None,
                )
            )
        return out

    def sync(self) -> SyncReport:
        """Bring the index in line with the folder (``slim doctor`` uses this after a crash)."""
        with writer_lock(self.settings):
            return sync(self.index, self.sources(), load=untrusted_loader(self._as_own))

    def _as_own(self, doc: LoadedDocument, path: Path) -> LoadedDocument:
        """A parsed file as this workspace keeps it: named after its file, and linked to its reference."""
        doc = replace(doc, path=path, title=path.name, doc_id=document_id(path, "document"))
        return replace(doc, reference=match_reference(doc, records(self.settings)))


def queue_message(wait: QueueWait, lang: Language) -> str:
    """'Your document is in the queue, at place 2. Expected wait: about 3 min.'"""
    if wait.seconds is None:
        return t("docs.queued_unknown", lang, position=wait.position)
    if wait.seconds < 60:
        return t("docs.queued", lang, position=wait.position, wait=t("docs.wait_soon", lang))
    minutes = t("docs.wait_minutes", lang, minutes=math.ceil(wait.seconds / 60))
    return t("docs.queued", lang, position=wait.position, wait=minutes)


def workspace_of(owner: str) -> str:
    """The workspace of a person in the app, named from their id: the keyed hash of their page key
    (``assistant.owners``), so neither the key nor a plain hash of it is on disk."""
    return "p-" + owner[:24]


def legacy_workspace_of(key: str) -> str:
    """How a person's workspace was named before page keys were hashed with a secret; ``Owners.resolve``
    renames it on the person's first visit."""
    return "p-" + hashlib.sha256(key.encode()).hexdigest()[:24]


class Workspaces(Generic[R]):
    """Every person's workspace and what searches it (``search``, given the report and the workspace read
    as one: a ``Retriever``) in one process (the app), the most recent ``size`` kept. What searches is
    passed in, so that this layer does not depend on the retriever above it."""

    def __init__(self, settings: Settings, report: PassageStore, search: Callable[[CombinedIndex], R], size: int = 64):
        self.settings, self.report, self.search, self.size = settings, report, search, size
        self.library = LiveLibrary(settings, report.embeddings, report.client)
        self._open: OrderedDict[str, tuple[Workspace, R]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, name: str) -> tuple[Workspace, R]:
        with self._lock:
            if name not in self._open:
                space = Workspace(self.settings, name, self.report.embeddings, self.report.client)
                self._open[name] = (space, self.search(space.with_report(self.report, self.library)))
                while len(self._open) > self.size:
                    self._open.popitem(last=False)
            self._open.move_to_end(name)
            return self._open[name]

    def exists(self, name: str) -> bool:
        """Whether the workspace has (or had) files: only an accepted page key can have made it."""
        return (self.settings.workspaces_dir / name).is_dir()

    def adopt(self, old: str, new: str) -> None:
        """Give workspace ``old`` the name ``new``: its collections, then its folder. Each step is skipped
        once done, so a rename cut off by a crash is finished on the next visit."""
        with writer_lock(self.settings), self._lock:
            self._open.pop(old, None)
            self._open.pop(new, None)
            existing = {c if isinstance(c, str) else c.name for c in self.report.client.list_collections()}
            for suffix in ("", "-sentences"):
                before = workspace_collection(self.settings, old) + suffix
                after = workspace_collection(self.settings, new) + suffix
                if before not in existing:
                    continue
                if after in existing:  # made empty by opening the new name first; one with passages stays
                    if self.report.client.get_collection(after).count():
                        continue
                    self.report.client.delete_collection(after)
                self.report.client.get_collection(before).modify(name=after)
            source = self.settings.workspaces_dir / old
            if source.is_dir():
                os.replace(source, self.settings.workspaces_dir / new)


def workspace_names(settings: Settings) -> list[str]:
    folder = settings.workspaces_dir
    return sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
