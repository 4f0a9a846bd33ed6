"""A session's conversation: every message with its sources, and what the person can do next."""

from __future__ import annotations

from ui import session

_, view = session.current("conversation")
session.header(view, "conversation")
session.turns(view)
session.controls(view)
