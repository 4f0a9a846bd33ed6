"""The sessions database as a file: checked when it is opened, backed up once a day, repaired by
``slim doctor``.

Backups are made with SQLite's online backup API into ``<data_dir>/backups/sessions-YYYY-MM-DD.sqlite``
(at most one a day, only of a database that passes ``quick_check``, the last ``KEEP_BACKUPS`` kept), so a
damaged or emptied database loses at most a day. Repair keeps the damaged file as it was
(``sessions.sqlite.broken-<time>``), copies every row that still reads into a fresh database (rows on a
damaged page are skipped, not guessed), and fills in from the newest good backup what is missing.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from assistant.datadir import read_only_uri
from assistant.errors import SlimError
from assistant.migrations import migrate

log = logging.getLogger("slim.sessions")

KEEP_BACKUPS = 7
BACKUP_PREFIX = "sessions-"
SQLITE_CORRUPT, SQLITE_NOTADB = 11, 26
MAX_ROWID = 2**63 - 1


class SessionsDamagedError(SlimError):
    """The sessions database cannot be read; ``slim doctor`` keeps a copy and repairs it."""

    key = "error.sessions_damaged"
    exit_code = 2


def is_damage(exc: BaseException) -> bool:
    """A damaged or foreign file, as opposed to a locked or read-only one."""
    code = getattr(exc, "sqlite_errorcode", None) if isinstance(exc, sqlite3.DatabaseError) else None
    return code is not None and code & 0xFF in {SQLITE_CORRUPT, SQLITE_NOTADB}


def db_path(conn: sqlite3.Connection) -> Path | None:
    """The file behind a connection; None in memory."""
    for _, name, file in conn.execute("PRAGMA database_list"):
        if name == "main":
            return Path(file) if file else None
    return None


def backups(data_dir: Path) -> list[Path]:
    """Backups, oldest first (the date is in the name)."""
    folder = data_dir / "backups"
    return sorted(folder.glob(f"{BACKUP_PREFIX}????-??-??.sqlite")) if folder.is_dir() else []


def quick_check(conn: sqlite3.Connection) -> str:
    """'ok', or what SQLite found wrong (one line)."""
    try:
        rows = [row[0] for row in conn.execute("PRAGMA quick_check")]
    except sqlite3.DatabaseError as exc:
        return str(exc)
    return "ok" if rows == ["ok"] else "; ".join(rows[:3])


def check_open(conn: sqlite3.Connection, data_dir: Path | None) -> None:
    """Raise ``SessionsDamagedError`` for a file that is damaged, or empty while backups exist (a 0-byte
    file would otherwise silently become a new, empty database)."""
    path = db_path(conn)
    if path is None:
        return
    if data_dir is not None and path.exists() and path.stat().st_size == 0 and backups(data_dir):
        raise SessionsDamagedError(path=str(path), detail="0 bytes")
    result = quick_check(conn)
    if result != "ok":
        raise SessionsDamagedError(path=str(path), detail=result)


def backup_daily(conn: sqlite3.Connection, data_dir: Path, today: dt.date | None = None) -> Path | None:
    """Today's backup, unless it exists (the check is one ``stat``); then only the newest ``KEEP_BACKUPS``
    are kept. A backup that cannot be written (read-only data directory) is logged, not fatal."""
    if db_path(conn) is None:
        return None
    target = data_dir / "backups" / f"{BACKUP_PREFIX}{(today or dt.date.today()).isoformat()}.sqlite"
    if target.exists():
        return None
    partial = target.with_name(target.name + ".partial")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial.unlink(missing_ok=True)
        dest = sqlite3.connect(partial)
        try:
            conn.backup(dest)
            dest.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            dest.close()
        os.replace(partial, target)
        for old in backups(data_dir)[:-KEEP_BACKUPS]:
            old.unlink()
    except (OSError, sqlite3.Error) as exc:
        log.warning("no backup of the sessions database: %s", exc)
        partial.unlink(missing_ok=True)
        return None
    return target


def newest_good_backup(data_dir: Path) -> Path | None:
    """The most recent backup that passes ``quick_check`` and has the sessions table."""
    for path in reversed(backups(data_dir)):
        try:
            with sqlite3.connect(read_only_uri(path), uri=True) as conn:
                if quick_check(conn) == "ok" and _tables(conn).get("slim_sessions"):
                    return path
        except sqlite3.Error:
            continue
    return None


def _tables(conn: sqlite3.Connection) -> dict[str, str]:
    """Table name → its CREATE statement (SQLite's own tables left out)."""
    rows = conn.execute("SELECT name, sql FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")
    return dict(rows.fetchall())


def _count(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM slim_sessions").fetchone()[0] if "slim_sessions" in _tables(conn) else 0


# --- what slim doctor uses ---------------------------------------------------------------------------


@dataclass
class SessionsState:
    status: str  # none | ok | empty | damaged
    sessions: int = 0
    detail: str = ""


def inspect(path: Path, data_dir: Path) -> SessionsState:
    """Read only: is the database there, readable, and how many sessions does it hold."""
    if not path.exists():
        return SessionsState("none")
    if path.stat().st_size == 0:
        return SessionsState("empty" if backups(data_dir) else "none", detail="0 bytes")
    try:
        with sqlite3.connect(read_only_uri(path), uri=True) as conn:
            result = quick_check(conn)
            if result != "ok":
                return SessionsState("damaged", detail=result)
            return SessionsState("ok", sessions=_count(conn))
    except sqlite3.DatabaseError as exc:
        return SessionsState("damaged", detail=str(exc))


@dataclass
class Repair:
    kept: Path | None  # the damaged file, as it was
    recovered: int  # sessions read back from it
    backup: Path | None  # the backup that filled in, if any
    added: int  # sessions that came from that backup
    sessions: int  # sessions in the repaired database


def repair(path: Path, data_dir: Path) -> Repair:
    """Keep the damaged file, build a fresh database from the rows that still read and the newest good
    backup, and put it in place. Run it while the app is stopped."""
    stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S")
    kept = None
    if path.stat().st_size:
        kept = path.with_name(f"{path.name}.broken-{stamp}")
        for suffix in ("", "-wal", "-journal"):
            if Path(f"{path}{suffix}").exists():
                shutil.copy2(f"{path}{suffix}", f"{kept}{suffix}")
    fresh = path.with_name(f"{path.name}.recovering")
    scratch = path.with_name(f"{path.name}.reading")
    for leftover in (fresh, scratch, Path(f"{scratch}-wal"), Path(f"{scratch}-shm")):
        leftover.unlink(missing_ok=True)
    for suffix in ("", "-wal"):  # read a scratch copy: SQLite may write to what it opens
        if Path(f"{path}{suffix}").exists():
            shutil.copyfile(f"{path}{suffix}", f"{scratch}{suffix}")
    target = sqlite3.connect(fresh)
    try:
        recovered = _copy_readable(scratch, target)
        backup = newest_good_backup(data_dir)
        added = _fill_from(backup, target) if backup else 0
        migrate(target, data_dir)
        sessions = _count(target)
        target.commit()
    finally:
        target.close()
        for leftover in (scratch, Path(f"{scratch}-wal"), Path(f"{scratch}-shm")):
            leftover.unlink(missing_ok=True)
    for suffix in ("-wal", "-shm", "-journal"):  # they belong to the damaged file, which is kept
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    os.replace(fresh, path)
    return Repair(kept, recovered, backup, added, sessions)


def _copy_readable(source: Path, target: sqlite3.Connection) -> int:
    """Every row of every table that still reads; returns how many sessions came back."""
    try:
        conn = sqlite3.connect(source)
        tables = _tables(conn)
        indexes = conn.execute("SELECT sql FROM sqlite_master WHERE type='index' AND sql IS NOT NULL").fetchall()
    except sqlite3.DatabaseError as exc:  # not even the schema reads
        log.warning("nothing readable in %s: %s", source, exc)
        return 0
    try:
        for name, sql in tables.items():
            target.execute(sql)
            columns = len(target.execute(f'SELECT * FROM "{name}" LIMIT 0').description)
            insert = f'INSERT OR IGNORE INTO "{name}" VALUES ({",".join("?" * columns)})'
            for row in _readable_rows(conn, name):
                target.execute(insert, row)
        for (sql,) in indexes:
            target.execute(sql)
        target.commit()
    finally:
        conn.close()
    return _count(target)


def _readable_rows(conn: sqlite3.Connection, table: str) -> Iterator[tuple]:
    """The rows of ``table`` in rowid order; where a read fails, it skips ahead to the next rowid from
    which reading works again (probing further and further, then narrowing back), so the rows on a
    damaged page are left out and the rest come through."""
    query = f'SELECT rowid, * FROM "{table}" WHERE rowid >= ? ORDER BY rowid'
    start = -MAX_ROWID
    while start is not None:
        try:
            for row in conn.execute(query, (start,)):
                start = row[0] + 1 if row[0] < MAX_ROWID else None
                yield row[1:]
                if start is None:
                    return
            return
        except sqlite3.DatabaseError:
            start = _next_readable(conn, query, start)


def _next_readable(conn: sqlite3.Connection, query: str, failed: int) -> int | None:
    def reads(position: int) -> bool:
        try:
            conn.execute(query, (position,)).fetchone()
            return True
        except sqlite3.DatabaseError:
            return False

    gap, good = 1, None
    while failed + gap <= MAX_ROWID:
        if reads(failed + gap):
            good = failed + gap
            break
        gap *= 2
    if good is None:
        return None
    low = good - gap // 2 if gap > 1 else failed  # the last probe that failed
    while good - low > 1:
        middle = (low + good) // 2
        low, good = (low, middle) if reads(middle) else (middle, good)
    return good


def _fill_from(backup: Path, target: sqlite3.Connection) -> int:
    """Rows of the backup that the recovered database lacks (by primary key); returns the sessions added."""
    before = _count(target)
    target.execute("ATTACH DATABASE ? AS backup", (str(backup),))  # only read from
    try:
        saved = dict(target.execute("SELECT name, sql FROM backup.sqlite_master WHERE type='table'").fetchall())
        have = _tables(target)
        for name, sql in saved.items():
            if name.startswith("sqlite_"):
                continue
            if name not in have:
                target.execute(sql)
            columns = [row[1] for row in target.execute(f'PRAGMA backup.table_info("{name}")')]
            mine = {row[1] for row in target.execute(f'PRAGMA main.table_info("{name}")')}
            shared = ", ".join(f'"{c}"' for c in columns if c in mine)
            target.execute(f'INSERT OR IGNORE INTO main."{name}" ({shared}) SELECT {shared} FROM backup."{name}"')
        target.commit()
    finally:
        target.execute("DETACH DATABASE backup")
    return _count(target) - before
