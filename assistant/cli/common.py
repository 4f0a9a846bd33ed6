"""What every ``slim`` command shares: the app, its common options, the settings it reads and how an expected
failure is shown (one translated line and its exit code, never a traceback)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Annotated, Any

import typer

from assistant.config import RetrievalMode, Settings, configured_lang
from assistant.environment import load_settings
from assistant.errors import SlimError
from assistant.i18n import use_prompts_dir

app = typer.Typer(
    help="SLIM — a local, cited reflection assistant on the report 'Samen Leren Impact Maken'.",
    no_args_is_help=True,
    add_completion=False,
)


WorkspaceOption = Annotated[
    str | None, typer.Option("--workspace", "-w", help="Whose documents (default: SLIM_WORKSPACE or 'default').")
]
ModeOption = Annotated[RetrievalMode, typer.Option("--mode", "-m", help="bm25, dense or hybrid.")]


def command_settings(**overrides: Any) -> Settings:
    """Every command's settings; from here on the messages come from their ``prompts_dir``."""
    settings = load_settings(**overrides)
    use_prompts_dir(settings.prompts_dir)
    return settings


def friendly_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn a ``SlimError`` into one translated line and its exit code instead of a traceback."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except SlimError as exc:
            typer.echo(exc.message(configured_lang()), err=True)
            raise typer.Exit(exc.exit_code) from None

    return wrapper
