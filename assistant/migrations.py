"""Numbered migrations of the sessions database (``<data_dir>/sessions.sqlite``).

Each migration is a function, applied once, in order, and recorded by name in ``_migrations`` (the
pattern of simonw/llm's ``migrations.py``). A new table or column is a new function at the end of
``MIGRATIONS``; a migration that was released is never changed. LangGraph creates and migrates its own
checkpoint tables in the same file.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable
from pathlib import Path

from assistant.owners import owner_id, secret

Migration = Callable[[sqlite3.Connection, Path | None], None]
MIGRATIONS: list[Migration] = []


def migration(fn: Migration) -> Migration:
    MIGRATIONS.append(fn)
    return fn


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def applied(conn: sqlite3.Connection) -> set[str]:
    if "_migrations" not in _tables(conn):
        return set()
    return {row[0] for row in conn.execute("SELECT name FROM _migrations")}


def pending(conn: sqlite3.Connection) -> list[Migration]:
    done = applied(conn)
    return [fn for fn in MIGRATIONS if fn.__name__ not in done]


def migrate(conn: sqlite3.Connection, data_dir: Path | None) -> list[str]:
    """Apply what is pending, each migration in a transaction of its own; returns their names. Nothing is
    written when nothing is pending, so a read-only data directory can still be read."""
    if not pending(conn):
        return []
    done: list[str] = []
    for fn in MIGRATIONS:
        conn.execute("BEGIN IMMEDIATE")  # another process migrating at the same time waits here
        try:
            conn.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
            if conn.execute("SELECT 1 FROM _migrations WHERE name=?", (fn.__name__,)).fetchone() is None:
                fn(conn, data_dir)
                conn.execute(
                    "INSERT INTO _migrations VALUES (?, ?)",
                    (fn.__name__, dt.datetime.now(dt.UTC).isoformat(timespec="seconds")),
                )
                done.append(fn.__name__)
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
    return done


@migration
def m001_sessions(conn: sqlite3.Connection, data_dir: Path | None) -> None:
    conn.execute(
        """CREATE TABLE IF NOT EXISTS slim_sessions (
            id TEXT PRIMARY KEY,
            title TEXT NOT NULL,
            role TEXT NOT NULL,
            lang TEXT NOT NULL,
            mode TEXT NOT NULL,
            route TEXT,
            created TEXT NOT NULL,
            updated TEXT NOT NULL
        )"""
    )


@migration
def m002_session_owner(conn: sqlite3.Connection, data_dir: Path | None) -> None:
    """Whose session it is (databases from before numbered migrations may have the column already)."""
    columns = {row[1] for row in conn.execute("PRAGMA table_info(slim_sessions)")}
    if "owner" not in columns:
        conn.execute("ALTER TABLE slim_sessions ADD COLUMN owner TEXT NOT NULL DEFAULT ''")


@migration
def m003_owner_hashes(conn: sqlite3.Connection, data_dir: Path | None) -> None:
    """The keys SLIM issued, as keyed hashes only; sessions refer to their owner by that hash. Databases
    from before this kept the raw page key in ``owner``: it is replaced by its hash and registered, and
    ``secure_delete`` overwrites the old text (``SessionStore`` vacuums afterwards)."""
    if "slim_owners" in _tables(conn):  # recovered from a damaged file without its _migrations rows
        return
    conn.execute("CREATE TABLE slim_owners (id TEXT PRIMARY KEY, created TEXT NOT NULL)")
    raw = [row[0] for row in conn.execute("SELECT DISTINCT owner FROM slim_sessions WHERE owner != ''")]
    if not raw:
        return
    if data_dir is None:
        raise ValueError("page keys to hash, but no data directory for the secret")
    key = secret(data_dir)
    conn.execute("PRAGMA secure_delete=ON")
    created = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    for owner in raw:
        hashed = owner_id(owner, key)
        conn.execute("UPDATE slim_sessions SET owner=? WHERE owner=?", (hashed, owner))
        conn.execute("INSERT OR IGNORE INTO slim_owners VALUES (?, ?)", (hashed, created))


@migration
def m004_group_scans(conn: sqlite3.Connection, data_dir: Path | None) -> None:
    """The group scan (``assistant/group``): scans, one row per participant and theme, and the agreements
    made after the session. Secrets and participant tokens are stored only as keyed hashes; deleting a
    scan deletes its rows (``ON DELETE CASCADE`` and an explicit delete, for connections without foreign
    keys)."""
    conn.execute(
        """CREATE TABLE IF NOT EXISTS group_scans (
            id TEXT PRIMARY KEY,
            code TEXT NOT NULL UNIQUE,
            secret_hash TEXT NOT NULL UNIQUE,
            network TEXT NOT NULL,
            network_key TEXT NOT NULL,
            settings TEXT NOT NULL,
            created TEXT NOT NULL,
            revealed INTEGER NOT NULL DEFAULT 0,
            closed_at TEXT
        )"""
    )
    conn.execute("CREATE INDEX IF NOT EXISTS group_scans_network ON group_scans (network_key, created)")
    conn.execute(
        """CREATE TABLE IF NOT EXISTS group_answers (
            scan_id TEXT NOT NULL REFERENCES group_scans (id) ON DELETE CASCADE,
            participant TEXT NOT NULL,
            theme TEXT NOT NULL,
            score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
            explanation TEXT NOT NULL DEFAULT '',
            example TEXT NOT NULL DEFAULT '',
            updated TEXT NOT NULL,
            PRIMARY KEY (scan_id, participant, theme)
        )"""
    )
    conn.execute(
        """CREATE TABLE IF NOT EXISTS group_agreements (
            id INTEGER PRIMARY KEY,
            scan_id TEXT NOT NULL REFERENCES group_scans (id) ON DELETE CASCADE,
            action TEXT NOT NULL,
            owner TEXT NOT NULL DEFAULT '',
            due TEXT,
            created TEXT NOT NULL
        )"""
    )


@migration
def m005_group_names(conn: sqlite3.Connection, data_dir: Path | None) -> None:
    """Names of participants in a scan that is not anonymous (the coordinator switched anonymity off before
    anyone answered): one row per participant token (hashed, as in ``group_answers``). A scan that is
    anonymous has no rows here; switching anonymity on deletes them, and deleting the scan does too."""
    conn.execute(
        """CREATE TABLE IF NOT EXISTS group_names (
            scan_id TEXT NOT NULL REFERENCES group_scans (id) ON DELETE CASCADE,
            participant TEXT NOT NULL,
            name TEXT NOT NULL,
            PRIMARY KEY (scan_id, participant)
        )"""
    )
