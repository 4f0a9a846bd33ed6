"""``slim doctor``: check the data directory and repair what re-indexing can repair.

It checks that Chroma can read the index (SQLite's own check of its database, then a real query and a
read of every vector in each collection), compares every index with the files it should hold (by content
hash), looks for passages a crash left unfinished, and checks the sessions database. Repairs only ever
re-index, rebuild from the files SLIM keeps, or remove unused data; a damaged index directory is moved
aside, never deleted, a person's files are never changed, and a damaged sessions database is kept aside
before it is rebuilt.
"""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from assistant import sessiondb
from assistant.config import Settings
from assistant.datadir import read_only_uri
from assistant.errors import IndexDamagedError
from assistant.index import (
    PassageStore,
    SourceFile,
    content_hash,
    corpus_files,
    document_id,
    open_index,
    sync,
    writer_lock,
)
from assistant.library import Library
from assistant.workspace import Workspace, workspace_names


@dataclass
class Finding:
    """One line of the report: a message key, its values, and whether it is fine, repaired or a problem."""

    status: str  # ok | repaired | problem
    key: str
    values: dict = field(default_factory=dict)


def stale_documents(index: PassageStore, sources: list[SourceFile]) -> list[str]:
    """File names whose indexed version is missing or differs from the file, and indexed documents
    whose file is gone."""
    settings = index.settings
    indexed = index.documents()
    wanted = {document_id(s.path, s.kind): s.path for s in sources}
    out = [
        path.name
        for doc_id, path in wanted.items()
        if doc_id not in indexed
        or indexed[doc_id].doc_hash != content_hash(path, settings.chunk_chars, settings.chunk_overlap_chars)
    ]
    return out + [doc.title for doc_id, doc in indexed.items() if doc_id not in wanted]


def check_index(name: str, index: PassageStore, sources: list[SourceFile], repair: bool, resync) -> list[Finding]:  # noqa: ANN001
    try:
        index.probe()
    except IndexDamagedError as exc:
        damaged = {"name": name, "detail": exc.values["detail"]}
        if not repair:
            return [Finding("problem", "doctor.vectors_broken", damaged)]
        with writer_lock(index.settings):
            index.reset()
        resync()
        index.probe()
        if stale_documents(index, sources):
            return [Finding("problem", "doctor.vectors_broken", damaged)]
        return [Finding("repaired", "doctor.vectors_rebuilt", {**damaged, "docs": len(sources)})]
    stale = stale_documents(index, sources)
    garbage = sum(index.garbage().values())
    if not stale and not garbage:
        return [Finding("ok", "doctor.index_ok", {"name": name, "docs": len(sources), "passages": index.count()})]
    problem = {"name": name, "stale": ", ".join(stale) or "-", "garbage": garbage}
    if not repair:
        return [Finding("problem", "doctor.index_problem", problem)]
    resync()
    left = stale_documents(index, sources)
    if left or sum(index.garbage().values()):
        return [Finding("problem", "doctor.index_problem", {**problem, "stale": ", ".join(left) or "-"})]
    return [Finding("repaired", "doctor.index_repaired", problem)]


def check_sessions(settings: Settings, repair: bool = False) -> list[Finding]:
    """The sessions database: readable, or kept aside and rebuilt from what still reads and the newest
    good backup (``assistant.sessiondb``)."""
    path, data_dir = settings.sessions_db, settings.data_dir
    state = sessiondb.inspect(path, data_dir)
    if state.status == "none":
        return [Finding("ok", "doctor.sessions_none")]
    if state.status == "ok":
        return [Finding("ok", "doctor.sessions_ok", {"count": state.sessions})]
    if not repair:
        if state.status == "empty":
            return [Finding("problem", "doctor.sessions_empty", {"path": str(path), "date": _backup_date()})]
        return [Finding("problem", "doctor.sessions_broken", {"path": str(path), "detail": state.detail})]
    done = sessiondb.repair(path, data_dir)
    kept = str(done.kept) if done.kept else "-"
    if done.recovered and done.backup:
        values = {"kept": kept, "recovered": done.recovered, "added": done.added, "sessions": done.sessions}
        return [Finding("repaired", "doctor.sessions_recovered", {**values, "date": _backup_date(done.backup)})]
    if done.recovered:
        return [Finding("repaired", "doctor.sessions_recovered_only", {"kept": kept, "recovered": done.recovered})]
    if done.backup:
        values = {"kept": kept, "date": _backup_date(done.backup), "sessions": done.sessions}
        return [Finding("repaired", f"doctor.sessions_restored_{'unreadable' if done.kept else 'empty'}", values)]
    return [Finding("problem", "doctor.sessions_lost", {"path": str(path), "kept": kept})]


def _backup_date(path: Path | None = None) -> str:
    return path.name.removeprefix(sessiondb.BACKUP_PREFIX).removesuffix(".sqlite") if path else "-"


def database_damage(settings: Settings) -> str | None:
    """What SQLite's own check finds wrong in Chroma's local database, or None. (A Chroma server looks
    after its own files.) Checked before Chroma opens it, which would fail with a traceback's worth."""
    if settings.chroma_host:
        return None
    database = settings.chroma_dir / "chroma.sqlite3"
    if database.is_file():
        try:
            with closing(sqlite3.connect(read_only_uri(database), uri=True)) as conn:
                result = str(conn.execute("PRAGMA quick_check").fetchone()[0])
        except sqlite3.DatabaseError as exc:
            return str(exc)
        if result != "ok":
            return result.splitlines()[0]
    return None


def move_aside(settings: Settings) -> Path:
    """Keep a damaged index directory next to where it was, as ``chroma.broken-<time>``, so a fresh one
    can be built and nothing is thrown away."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = settings.data_dir / f"chroma.broken-{stamp}"
    n = 1
    while target.exists():
        n += 1
        target = settings.data_dir / f"chroma.broken-{stamp}-{n}"
    settings.chroma_dir.rename(target)
    return target


def diagnose(settings: Settings, repair: bool = True) -> list[Finding]:
    """Every check, in the order of the data flow; with ``repair`` each broken index is re-synced, and a
    damaged index directory is moved aside and built again from the report and every workspace's files."""
    findings: list[Finding] = []
    report: PassageStore | None = None
    damage = database_damage(settings)
    if damage is None:
        try:
            report = open_index(settings)
        except IndexDamagedError as exc:
            if settings.chroma_host:  # a server's files are not ours to move
                raise
            damage = str(exc.values["detail"])
    if damage is not None:
        where = {"path": str(settings.chroma_dir), "detail": damage}
        if not repair:
            return [Finding("problem", "doctor.chroma_broken", where), *check_sessions(settings)]
        with writer_lock(settings):
            aside = move_aside(settings)
        findings.append(Finding("repaired", "doctor.chroma_moved", {**where, "aside": aside.name}))
        report = open_index(settings)
    assert report is not None

    def resync_report() -> None:
        with writer_lock(settings):
            sync(report, corpus_files(settings))

    findings += check_index("report", report, corpus_files(settings), repair, resync_report)
    for name in workspace_names(settings):
        space = Workspace(settings, name, report.embeddings, report.client)
        leftovers = list((space.folder.parent / "incoming").glob("*"))
        if leftovers and repair:  # uploads a crash interrupted before they were accepted
            with writer_lock(settings):
                for path in leftovers:
                    path.unlink(missing_ok=True)
            findings.append(Finding("repaired", "doctor.incoming_removed", {"name": name, "count": len(leftovers)}))
        findings += check_index(f"workspace {name}", space.index, space.sources(), repair, space.sync)
    library = Library(settings, report.embeddings, report.client)
    if library.files() or library.index.count():  # the shared sources: rebuilt from their files like the rest
        findings += check_index("library", library.index, library.files(), repair, library.sync)
    findings += check_sessions(settings, repair)
    return findings
