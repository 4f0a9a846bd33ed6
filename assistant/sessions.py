"""Reflection sessions: listing, naming, deleting and exporting them.

A session's conversation lives in LangGraph's SQLite checkpoints (one thread per session); this table
keeps what a list of sessions shows. Both are in ``<data_dir>/sessions.sqlite``.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import cast

from pydantic import BaseModel, Field

from assistant.config import Language, Settings
from assistant.domain import Synthesis, Turn
from assistant.i18n import moment_text, t
from assistant.migrations import migrate
from assistant.owners import Owners
from assistant.prompts import QuestionBank
from assistant.safe_text import heading_markdown, model_markdown, untrusted_markdown
from assistant.sessiondb import SessionsDamagedError, backup_daily, check_open, db_path, is_damage
from assistant.text import one_line


class SessionInfo(BaseModel):
    id: str
    title: str
    role: str
    lang: str
    mode: str
    route: str | None
    created: str
    updated: str
    owner: str = ""
    """whose session it is: the keyed hash of the app's page key (``assistant.owners``); empty for the
    command line. Never exported."""


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


COLUMNS = ", ".join(SessionInfo.model_fields)


class SessionStore:
    """The list of sessions. Thread-safe: the app serves several people from one process."""

    def __init__(self, conn: sqlite3.Connection, data_dir: Path | None = None):
        """Open the list in ``conn``: check the file, apply pending migrations, and make today's backup
        in ``data_dir`` (if it has none yet). A damaged file raises ``SessionsDamagedError``."""
        self.conn = conn
        self.lock = threading.Lock()
        with self.lock, self._guard():
            check_open(conn, data_dir)
            if "m003_owner_hashes" in migrate(conn, data_dir):
                # page keys may linger in freed pages (also of sessions deleted long ago): rewrite the file
                conn.execute("VACUUM")
                if db_path(conn) is not None:
                    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            if data_dir is not None:
                backup_daily(conn, data_dir)

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """A damaged file is said as such (one line, ``slim doctor`` to repair), not as a traceback."""
        try:
            yield
        except sqlite3.DatabaseError as exc:
            if is_damage(exc):
                raise SessionsDamagedError(path=str(db_path(self.conn) or ":memory:"), detail=str(exc)) from exc
            raise

    def add(self, info: SessionInfo) -> None:
        with self.lock, self.conn:
            row = info.model_dump()
            self.conn.execute(
                f"INSERT INTO slim_sessions ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                tuple(row.values()),
            )

    def touch(self, session_id: str) -> None:
        with self.lock, self.conn:
            self.conn.execute("UPDATE slim_sessions SET updated=? WHERE id=?", (now(), session_id))

    def rename(self, session_id: str, title: str) -> bool:
        with self.lock, self.conn:
            cur = self.conn.execute(
                "UPDATE slim_sessions SET title=?, updated=? WHERE id=?", (title, now(), session_id)
            )
        return cur.rowcount == 1

    def delete(self, session_id: str) -> bool:
        with self.lock, self.conn:
            cur = self.conn.execute("DELETE FROM slim_sessions WHERE id=?", (session_id,))
        return cur.rowcount == 1

    def get(self, session_id: str) -> SessionInfo | None:
        with self.lock, self._guard():
            row = self.conn.execute(f"SELECT {COLUMNS} FROM slim_sessions WHERE id=?", (session_id,)).fetchone()
        return SessionInfo(**dict(zip(SessionInfo.model_fields, row, strict=True))) if row else None

    def list(self, owner: str | None = None) -> list[SessionInfo]:
        """All sessions (the command line), or only those of ``owner`` (one person in the app)."""
        query, args = f"SELECT {COLUMNS} FROM slim_sessions ORDER BY updated DESC", ()
        if owner is not None:
            query, args = f"SELECT {COLUMNS} FROM slim_sessions WHERE owner=? ORDER BY updated DESC", (owner,)
        with self.lock, self._guard():
            rows = self.conn.execute(query, args).fetchall()
        return [SessionInfo(**dict(zip(SessionInfo.model_fields, row, strict=True))) for row in rows]

    def register_owner(self, owner: str) -> None:
        """Remember an issued page key, by its keyed hash only."""
        with self.lock, self._guard(), self.conn:
            self.conn.execute("INSERT OR IGNORE INTO slim_owners VALUES (?, ?)", (owner, now()))

    def is_owner(self, owner: str) -> bool:
        with self.lock, self._guard():
            return self.conn.execute("SELECT 1 FROM slim_owners WHERE id=?", (owner,)).fetchone() is not None


PRIVATE_FIELDS = {"owner"}
"""what an export never carries: exports are made to be shared, and these identify (or once were) the
person's private page key"""


class SessionContent(BaseModel):
    """What a session holds that an export carries (read from its saved state)."""

    themes: list[str] = Field(default_factory=list)
    scores: dict[str, int] = Field(default_factory=dict)
    answers: dict[str, list[str]] = Field(default_factory=dict)
    synthesis: Synthesis | None = None
    turns: list[Turn] = Field(default_factory=list)


def export_json(info: SessionInfo, content: SessionContent) -> str:
    """Everything said, every score and every citation (with section and passage), as JSON."""
    payload = {"session": info.model_dump(exclude=PRIVATE_FIELDS), **content.model_dump()}
    return json.dumps(payload, ensure_ascii=False, indent=2)


def export_header(info: SessionInfo, themes: list[str], bank: QuestionBank) -> list[str]:
    """What the Markdown and PDF exports say about their session, for a person, in the session's
    language: the role's and the themes' names and when it began in local time ("Coördinator ·
    28-11-2026, 11:12"). The JSON export keeps the ids and ISO times, for machines."""
    lang = cast(Language, info.lang)
    try:
        began = moment_text(dt.datetime.fromisoformat(info.created), lang)
    except ValueError:  # not a moment (a hand-made session): shown as it is
        began = info.created
    lines = [" · ".join(part for part in (t(f"session.role.{info.role}", lang), began) if part)]
    names = [bank.themes[theme].title(lang) if theme in bank.themes else theme for theme in themes]
    if names:
        lines.append(f"{t('export.themes', lang)}: {', '.join(names)}")
    return lines


def export_markdown(info: SessionInfo, content: SessionContent, bank: QuestionBank) -> str:
    """The conversation as Markdown; each message's sources follow it with section number and passage.
    A viewer renders this file: everything not written by SLIM (titles, answers, passages, file names)
    is shown as text (``safe_text``), so no script, image, link or math from a document comes along.
    ``bank`` names the themes."""
    lines = [f"# {heading_markdown(info.title)}", ""]
    for line in export_header(info, content.themes, bank):
        lines += [f"*{untrusted_markdown(line)}*", ""]
    you = t("export.you", cast(Language, info.lang))
    for item in content.turns:
        if not item.text:
            continue
        if item.role == "assistant":
            lines += [f"**SLIM**: {model_markdown(item.text)}", ""]
        else:
            lines += [f"**{you}**: {untrusted_markdown(item.text)}", ""]
        for c in item.citations:
            # a source of the report says so in its label; the report's own passages name the report
            report = f" — {untrusted_markdown(c.source)}" if c.section and not c.cite_as else ""
            lines += [
                f"> [{c.n}] {untrusted_markdown(c.label(heading=True, lang=info.lang))}{report}",
                f"> {untrusted_markdown(one_line(c.text))}",
                "",
            ]
    return "\n".join(lines).rstrip() + "\n"


def issue_key(settings: Settings) -> tuple[str, str]:
    """A key issued outside the app (the browser bench, tests), registered in the data directory's
    sessions database as the app would: (key, id)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(settings.sessions_db)
    try:
        return Owners(settings.data_dir, SessionStore(conn, settings.data_dir)).issue()
    finally:
        conn.close()
