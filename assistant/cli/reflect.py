"""``slim reflect`` (the guide on the command line) and ``slim sessions``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from assistant.cli.common import WorkspaceOption, app, command_settings, friendly_errors
from assistant.config import Settings
from assistant.datadir import require_writable
from assistant.i18n import t

if TYPE_CHECKING:  # imported where used: a command loads only what it needs
    from assistant.domain import Turn

sessions_app = typer.Typer(help="Reflection sessions: list, rename, delete, export.", no_args_is_help=True)
app.add_typer(sessions_app, name="sessions")

REFLECT_COMMANDS = {
    "/skip": "skip",
    "/sla-over": "skip",
    "/next": "next",
    "/volgende": "next",
    "/deepen": "deepen",
    "/verdiep": "deepen",
    "/other": "other",
    "/anders": "other",
}


def _engine(settings: Settings, with_llm: bool) -> Any:
    """The reflection engine; its modules (LangGraph, the model clients) load only for the commands that use them."""
    from assistant.llm import LanguageModel
    from assistant.services import build_services

    return build_services(settings, llm=None if with_llm else LanguageModel("none", None)).engine


def _print_turns(turns: list[Turn]) -> None:
    for item in turns:
        if item.role != "assistant" or not item.text:
            continue
        typer.echo("\n" + item.text)
        for c in item.citations:
            typer.secho(f"   [{c.n}] {c.label()}", dim=True)


def _to_input(line: str, waiting: str | None, synthesis: Any = None) -> Any:
    """A typed line as input: a command, a score, a free question, or an answer."""
    from assistant.reflection.state import Input

    text = line.strip()
    if not text:
        return None
    word, _, rest = text.partition(" ")
    if word.lower() in ("/waarde", "/cycle"):
        return _cycle_input(rest.split(), synthesis)
    if word.lower() in REFLECT_COMMANDS:
        return Input(type=REFLECT_COMMANDS[word.lower()])  # type: ignore[arg-type]
    if word.lower() in ("/vraag", "/ask"):
        return Input(type="ask", text=rest)
    if waiting == "score":
        return Input(type="score", value=int(text)) if text in {"1", "2", "3", "4", "5"} else None
    if waiting == "free":
        return Input(type="ask", text=text)
    return Input(type="answer", text=text)


def _unread(line: str, waiting: str | None) -> str | None:
    """The message for a non-empty line ``_to_input`` cannot use at this step: text where the self-assessment asks
    for a number, a ``/waarde`` the summary cannot read."""
    word = line.strip().partition(" ")[0].lower()
    if word in ("/waarde", "/cycle"):
        return "sessions.cycle_expected"
    return "sessions.score_expected" if line.strip() and waiting == "score" else None


def _cycle_input(words: list[str], synthesis: Any) -> Any:
    """`/waarde A` confirms the summary's proposed value cycle A (1-5, as on the ladder); `/waarde A B`
    says it is cycle B instead, `/waarde A 0` none of them."""
    from assistant.reflection.state import Input
    from assistant.summary_lines import shown_cycles

    shown = shown_cycles(synthesis) if synthesis is not None else []
    proposal = next((c for c in shown if words and str(c.order) == words[0]), None)
    if proposal is None or len(words) > 2 or (len(words) == 2 and words[1] not in {"0", "1", "2", "3", "4", "5"}):
        return None
    value = int(words[1]) if len(words) == 2 else proposal.order
    return Input(type="cycle", text=proposal.id, value=value or None)


@app.command()
@friendly_errors
def reflect(
    role: Annotated[str, typer.Option("--role", help="coordinator | board | student")] = "coordinator",
    route: Annotated[str | None, typer.Option("--route", help="Route id, e.g. strategiesessie.")] = None,
    themes: Annotated[
        str | None, typer.Option("--themes", help="Comma-separated theme ids, taken in the order given.")
    ] = None,
    ask_mode: Annotated[bool, typer.Option("--ask", help="Only free questions ('vraag het rapport').")] = False,
    resume: Annotated[str | None, typer.Option("--resume", help="Continue the session with this id.")] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="nl or en (default SLIM_LANG).")] = None,
    llm: Annotated[str | None, typer.Option("--llm", help="embedded | openai:<model> | ollama:<model> | none")] = None,
    export: Annotated[
        Path | None, typer.Option("--export", help="Write the session to this .md or .json file.")
    ] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """A reflection session in the terminal. Type an answer; /skip, /next, /deepen, /vraag <question>;
    a number 1-5 for the self-assessment; /other (/anders) for another angle on the last reflection; after
    the summary, /waarde A [B] confirms its proposed value cycle A (or says it is B, 0 for none). End of
    input (Ctrl-D) stops; the session is saved. Answers and reflections draw on the report and the
    workspace's documents, as `slim ask` and the app do."""
    settings = command_settings(llm=llm, lang=lang, workspace=workspace)
    require_writable(settings)  # every step is saved
    from assistant.services import build_services

    services = build_services(settings)
    engine = services.engine
    mine = services.workspaces.get(settings.workspace)[1]  # the report and the workspace's documents
    if resume:
        view = engine.view(resume)
    else:
        chosen = [t.strip() for t in themes.split(",")] if themes else None
        view = engine.start(role, settings.lang, route_id=route, themes=chosen, mode="ask" if ask_mode else "guided")
    typer.secho(f"# {view.info.title}  (sessie/session {view.info.id})", bold=True)
    _print_turns(view.turns)
    shown = len(view.turns)
    for line in sys.stdin:
        data = _to_input(line, view.waiting_for, view.synthesis)
        if data is None:
            if hint := _unread(line, view.waiting_for):  # a line typed at the wrong step is never dropped unsaid
                typer.echo("\n" + t(hint, view.info.lang))
            continue
        view = engine.send(view.info.id, data, retriever=mine)
        _print_turns(view.turns[shown:])
        shown = len(view.turns)
    if export:
        export.write_text(engine.export(view.info.id, "json" if export.suffix == ".json" else "md"), encoding="utf-8")
        typer.echo(t("sessions.exported", settings.lang, path=export), err=True)
    typer.echo(t("sessions.saved", settings.lang, session_id=view.info.id), err=True)


@sessions_app.command("list")
@friendly_errors
def sessions_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """All sessions, most recent first."""
    items = _engine(command_settings(), with_llm=False).list()
    if as_json:
        typer.echo(json.dumps([i.model_dump() for i in items], ensure_ascii=False))
        return
    for info in items:
        typer.echo(f"{info.id}  {info.updated[:16]}  {info.role:<11} {info.lang}  {info.title}")


@sessions_app.command("rename")
@friendly_errors
def sessions_rename(session_id: str, title: str) -> None:
    """Give a session a new title."""
    settings = command_settings()
    require_writable(settings)
    _engine(settings, with_llm=False).rename(session_id, title)


@sessions_app.command("delete")
@friendly_errors
def sessions_delete(session_id: str) -> None:
    """Delete a session and everything said in it."""
    settings = command_settings()
    require_writable(settings)
    _engine(settings, with_llm=False).delete(session_id)


@sessions_app.command("export")
@friendly_errors
def sessions_export(
    session_id: str,
    fmt: Annotated[str, typer.Option("--format", help="md or json")] = "md",
    output: Annotated[Path | None, typer.Option("--output", "-o")] = None,
) -> None:
    """Export a session as Markdown or JSON, with every citation (section number and passage)."""
    text = _engine(command_settings(), with_llm=False).export(session_id, fmt)
    if output:
        output.write_text(text, encoding="utf-8")
    else:
        typer.echo(text)
