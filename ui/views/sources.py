"""The "Bronnen" page: the report's sources, their status in the shared library, and where the report cites
each one (logic in ui/sources_view.py). Read-only: only the command line adds sources (`slim sources add`)."""

from __future__ import annotations

from ui.context import services
from ui.sources_view import render
from ui.state import state

render(services().settings, state.lang)
