"""Group-scan test helpers that reach past the store's own checks, to make states a real data directory can
end up in but the app never creates itself."""

from __future__ import annotations

import json
import sqlite3

from assistant.group.store import GroupStore

LOST_THEME = "verdwenen-thema"
"""a theme id the question bank does not have"""


def lose_a_theme(store: GroupStore, scan_id: str, theme: str = LOST_THEME) -> None:
    """Put ``theme`` first in a stored scan's themes: what a scan made earlier looks like after the question
    bank dropped (or renamed) one of its themes."""
    conn = sqlite3.connect(store.path)
    try:
        with conn:
            (raw,) = conn.execute("SELECT settings FROM group_scans WHERE id=?", (scan_id,)).fetchone()
            settings = json.loads(raw)
            settings["themes"].insert(0, theme)
            conn.execute("UPDATE group_scans SET settings=? WHERE id=?", (json.dumps(settings), scan_id))
    finally:
        conn.close()
