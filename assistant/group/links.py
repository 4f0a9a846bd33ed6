"""The addresses a scan hands out: the join link (participants) and the facilitator link (results and
agenda). Both start with ``SLIM_PUBLIC_URL`` (the address participants reach the app at; for a workshop
on the local network e.g. ``http://192.168.1.20:8501``), so the link and its QR code are right; where it is
not set, with the address the facilitator's browser reached the app at (``reachable``).
The facilitator link carries the secret: it is shown once, at creation, and never stored readable.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from assistant.config import Settings

PAGE = "groepsscan"
"""the app's page for both roles (its url_path)"""
JOIN_PARAM = "code"
FACILITATOR_PARAM = "beheer"


def reachable(settings: Settings, seen_url: str | None) -> Settings:
    """The settings the links are built with: ``SLIM_PUBLIC_URL`` where it is set, else the scheme and host
    of ``seen_url`` (the address this browser reached the app at), so an app served on another port
    (``make run PORT=8601``) or host hands out links that open; the default where neither is known."""
    seen = urlsplit(seen_url or "")
    if "public_url" in settings.model_fields_set or seen.scheme not in ("http", "https") or not seen.netloc:
        return settings
    return settings.model_copy(update={"public_url": f"{seen.scheme}://{seen.netloc}"})


def _base(settings: Settings) -> str:
    return f"{settings.public_url.rstrip('/')}/{PAGE}"


def join_url(settings: Settings, code: str) -> str:
    """Where a participant fills in: opens the fill-in form of this scan and nothing else."""
    return f"{_base(settings)}?{urlencode({JOIN_PARAM: code})}"


def facilitator_url(settings: Settings, secret: str) -> str:
    """Where the facilitator sees the count, reveals the results and builds the agenda."""
    return f"{_base(settings)}?{urlencode({FACILITATOR_PARAM: secret})}"
