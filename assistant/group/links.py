"""The addresses a scan hands out: the join link (participants) and the facilitator link (results and
agenda). Both start with ``SLIM_PUBLIC_URL`` (the address participants reach the app at; for a workshop
on the local network e.g. ``http://192.168.1.20:8501``), so the link and its QR code are right.
The facilitator link carries the secret: it is shown once, at creation, and never stored readable.
"""

from __future__ import annotations

from urllib.parse import urlencode

from assistant.config import Settings

PAGE = "groepsscan"
"""the app's page for both roles (its url_path)"""
JOIN_PARAM = "code"
FACILITATOR_PARAM = "beheer"


def _base(settings: Settings) -> str:
    return f"{settings.public_url.rstrip('/')}/{PAGE}"


def join_url(settings: Settings, code: str) -> str:
    """Where a participant fills in: opens the fill-in form of this scan and nothing else."""
    return f"{_base(settings)}?{urlencode({JOIN_PARAM: code})}"


def facilitator_url(settings: Settings, secret: str) -> str:
    """Where the facilitator sees the count, reveals the results and builds the agenda."""
    return f"{_base(settings)}?{urlencode({FACILITATOR_PARAM: secret})}"
