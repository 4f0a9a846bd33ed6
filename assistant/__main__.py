"""``python -m assistant`` runs the ``slim`` command."""

from assistant.cli import app

app()
