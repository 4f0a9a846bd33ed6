"""The data directory: made when first needed, and still readable when it is read-only.

Chroma writes to its database whenever it opens it, and SQLite must write beside a WAL database to read
it, so on a read-only data directory (a read-only disk, a copy mounted to look at) even the commands that
only read would fail. There the index is opened from a private temporary copy and the sessions database as
an immutable file. Nothing written to the copy could last, so every change is refused first: index writes
take ``writer_lock``, which calls ``require_writable``.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sqlite3
import tempfile
from pathlib import Path

from assistant.config import Settings
from assistant.errors import DataDirError, ReadOnlyDataError

_copies: dict[Path, Path] = {}


def writable(path: Path) -> bool:
    """Whether this process may write ``path``: the kernel's answer (``access``), which also knows a
    read-only mount when the process runs as root."""
    return os.access(path, os.W_OK)


def ensure(settings: Settings, folder: Path) -> bool:
    """Make ``folder`` (the data directory or one in it) if needed. False when the data directory is there
    but read-only; a ``DataDirError`` when it cannot be made or used at all (under /proc, on a file)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        if settings.data_dir.is_dir() and not writable(settings.data_dir):
            return False
        raise DataDirError(path=settings.data_dir, detail=exc.strerror or type(exc).__name__) from exc
    if not folder.is_dir():
        raise DataDirError(path=settings.data_dir, detail=f"{folder.name}: not a folder")
    return writable(folder)


def require_writable(settings: Settings) -> None:
    """Refuse a change to a read-only data directory with one line, before anything is changed."""
    if not ensure(settings, settings.data_dir):
        raise ReadOnlyDataError(path=settings.data_dir)


def chroma_path(settings: Settings) -> Path:
    """Where Chroma opens the local index: its folder in the data directory, or a copy when that is read-only."""
    folder = settings.chroma_dir
    database = folder / "chroma.sqlite3"
    if ensure(settings, folder) and (not database.exists() or writable(database)):
        return folder
    return _read_only_copy(folder)


def _read_only_copy(folder: Path) -> Path:
    """A copy of ``folder`` for this process (an empty one if there is none), removed when it exits.
    File modes are not copied: the copy must be writable for Chroma to open it."""
    if folder not in _copies:
        copy = Path(tempfile.mkdtemp(prefix="slim-read-only-")) / "chroma"
        atexit.register(shutil.rmtree, copy.parent, ignore_errors=True)
        copy.mkdir()
        if folder.is_dir():
            for source in sorted(folder.rglob("*")):
                target = copy / source.relative_to(folder)
                if source.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                else:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(source, target)
        _copies[folder] = copy
    return _copies[folder]


def read_only_uri(database: Path) -> str:
    """A URI that opens an SQLite file only to read it. Where the file cannot be written (a read-only
    mount) it is opened as immutable: SQLite would otherwise have to write beside a WAL database to read it."""
    flags = "mode=ro" if writable(database) else "mode=ro&immutable=1"
    return f"{database.resolve().as_uri()}?{flags}"


def sessions_connection(settings: Settings) -> sqlite3.Connection:
    """The sessions database; on a read-only data directory opened only to read (every write then fails)."""
    database = settings.sessions_db
    if ensure(settings, settings.data_dir) and (not database.exists() or writable(database)):
        return sqlite3.connect(database, check_same_thread=False)
    if database.exists():
        return sqlite3.connect(read_only_uri(database), uri=True, check_same_thread=False)
    return sqlite3.connect(":memory:", check_same_thread=False)
