"""Reflection sessions: listing, naming, deleting and exporting them.

A session's conversation lives in LangGraph's SQLite checkpoints (one thread per session); this table
keeps what a list of sessions shows. Both are in ``<data_dir>/sessions.sqlite``.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from typing import Any

from pydantic import BaseModel

from assistant.safe_text import heading_markdown, model_markdown, untrusted_markdown

SCHEMA = """
CREATE TABLE IF NOT EXISTS slim_sessions (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    role TEXT NOT NULL,
    lang TEXT NOT NULL,
    mode TEXT NOT NULL,
    route TEXT,
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    owner TEXT NOT NULL DEFAULT ''
)
"""


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
    """whose session it is: the app's per-browser key; empty for the command line"""


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class SessionStore:
    """The list of sessions. Thread-safe: the app serves several people from one process."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        self.lock = threading.Lock()
        with self.lock, self.conn:
            self.conn.execute(SCHEMA)
            columns = {row[1] for row in self.conn.execute("PRAGMA table_info(slim_sessions)")}
            if "owner" not in columns:  # a database from before sessions had owners
                self.conn.execute("ALTER TABLE slim_sessions ADD COLUMN owner TEXT NOT NULL DEFAULT ''")

    def add(self, info: SessionInfo) -> None:
        with self.lock, self.conn:
            self.conn.execute("INSERT INTO slim_sessions VALUES (?,?,?,?,?,?,?,?,?)", tuple(info.model_dump().values()))

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
        with self.lock:
            row = self.conn.execute("SELECT * FROM slim_sessions WHERE id=?", (session_id,)).fetchone()
        return SessionInfo(**dict(zip(SessionInfo.model_fields, row, strict=True))) if row else None

    def list(self, owner: str | None = None) -> list[SessionInfo]:
        """All sessions (the command line), or only those of ``owner`` (one person in the app)."""
        query, args = "SELECT * FROM slim_sessions ORDER BY updated DESC", ()
        if owner is not None:
            query, args = "SELECT * FROM slim_sessions WHERE owner=? ORDER BY updated DESC", (owner,)
        with self.lock:
            rows = self.conn.execute(query, args).fetchall()
        return [SessionInfo(**dict(zip(SessionInfo.model_fields, row, strict=True))) for row in rows]


def export_json(info: SessionInfo, state: dict[str, Any]) -> str:
    """Everything said, every score and every citation (with section and passage), as JSON."""
    payload = {
        "session": info.model_dump(),
        "themes": state.get("themes", []),
        "scores": state.get("scores", {}),
        "answers": state.get("answers", {}),
        "synthesis": state.get("synthesis"),
        "turns": state.get("turns", []),
    }
    return json.dumps(payload, ensure_ascii=False, indent=2)


def export_markdown(info: SessionInfo, state: dict[str, Any]) -> str:
    """The conversation as Markdown; each message's sources follow it with section number and passage.
    A viewer renders this file: everything not written by SLIM (titles, answers, passages, file names)
    is shown as text (``safe_text``), so no script, image, link or math from a document comes along."""
    lines = [f"# {heading_markdown(info.title)}", "", f"*{info.role} · {info.lang} · {info.created}*", ""]
    for item in state.get("turns", []):
        if not item["text"]:
            continue
        if item["role"] == "assistant":
            lines += [f"**SLIM**: {model_markdown(item['text'])}", ""]
        else:
            lines += [f"**Jij / You**: {untrusted_markdown(item['text'])}", ""]
        for c in item.get("citations", []):
            where = " ".join(
                p
                for p in (
                    f"§{c['section']}" if c["section"] else "",
                    c["heading"].split(" › ")[-1],
                    f"p. {c['page']}" if c.get("page") else "",
                )
                if p
            )
            quoted = " ".join(c["text"].split())
            lines += [
                f"> [{c['n']}] {untrusted_markdown(where)} — {untrusted_markdown(c['source'])}",
                f"> {untrusted_markdown(quoted)}",
                "",
            ]
    return "\n".join(lines).rstrip() + "\n"
