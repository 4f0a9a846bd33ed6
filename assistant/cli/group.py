"""``slim group``: the group scan from the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from assistant.cli.common import app, command_settings, friendly_errors
from assistant.config import Settings
from assistant.datadir import require_writable
from assistant.i18n import date_text, t

if TYPE_CHECKING:  # imported where used: a command loads only what it needs
    from assistant.retrieve import Retriever

group_app = typer.Typer(
    help="Group scan: participants score the report's themes; results and a session agenda.", no_args_is_help=True
)
app.add_typer(group_app, name="group")


def _group_store(settings: Settings, write: bool = False) -> Any:
    from assistant.group.store import GroupStore

    if write:
        require_writable(settings)
    return GroupStore.open(settings)


def _report_passages(settings: Settings) -> Retriever:
    from assistant.index import open_index
    from assistant.retrieve import Retriever

    return Retriever(open_index(settings), settings.prompts_dir)


@group_app.command("create")
@friendly_errors
def group_create(
    network: Annotated[str, typer.Option("--network", help="The network's name.")],
    themes: Annotated[
        str | None, typer.Option("--themes", help="Comma-separated theme ids (default: the coordinator route's).")
    ] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="nl or en (default SLIM_LANG).")] = None,
    closes: Annotated[str | None, typer.Option("--closes", help="Closing date, YYYY-MM-DD[THH:MM] (UTC).")] = None,
    min_answers: Annotated[
        int, typer.Option("--min-answers", help="Answers needed before results show (at least 3).")
    ] = 5,
    named: Annotated[
        bool,
        typer.Option(
            "--named", help="Not anonymous: participants give their name, the facilitator sees it with their answers."
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (the secret included, once).")] = False,
    qr: Annotated[
        Path | None, typer.Option("--qr", help="Also write the join link as a QR code (.png or .svg).")
    ] = None,
) -> None:
    """Create a scan: prints the join code and link for participants and the facilitator link (shown once);
    with --qr also the join link's QR code."""
    import datetime as dt

    from assistant.group.links import facilitator_url, join_url
    from assistant.group.models import PROMPTS_DIR, ScanSettings, default_themes
    from assistant.group.store import format_code

    settings = command_settings(lang=lang)
    chosen = (
        [t.strip() for t in themes.split(",") if t.strip()] if themes else list(default_themes(settings.prompts_dir))
    )
    if min_answers < 3:
        raise typer.BadParameter("3 or more", param_hint="--min-answers")
    scan_settings = ScanSettings.model_validate(  # an unknown theme: ThemeNotInBankError, one translated line
        {
            "network": network,
            "themes": chosen,
            "lang": settings.lang,
            "closes_at": dt.datetime.fromisoformat(closes) if closes else None,
            "min_answers": min_answers,
            "anonymous": not named,
        },
        context={PROMPTS_DIR: settings.prompts_dir},
    )
    created = _group_store(settings, write=True).create(scan_settings)
    scan = created.scan
    join, facilitator = join_url(settings, scan.code), facilitator_url(settings, created.secret)
    if qr:
        from assistant.group.export import qr_png, qr_svg

        qr.write_bytes(qr_svg(join) if qr.suffix.lower() == ".svg" else qr_png(join))
        typer.echo(t("group.export.qr_written", settings.lang, path=qr), err=True)
    if as_json:
        payload = {"scan": scan.model_dump(mode="json"), "secret": created.secret, "join_url": join}
        payload["facilitator_url"] = facilitator
        typer.echo(json.dumps(payload, ensure_ascii=False))
        return
    lang_ = settings.lang
    typer.echo(t("group.created", lang_, network=scan.settings.network, scan_id=scan.id))
    typer.echo(t("group.join_code", lang_, code=format_code(scan.code)))
    typer.echo(t("group.join_link", lang_, url=join))
    typer.echo(t("group.facilitator_link", lang_, url=facilitator))
    typer.echo(t("group.secret_once", lang_), err=True)


@group_app.command("list")
@friendly_errors
def group_list(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """All scans, newest first, with how many people answered."""
    settings = command_settings()
    store = _group_store(settings)
    scans = store.list()
    if as_json:
        rows = [dict(s.model_dump(mode="json"), answered=store.count(s.id), closed=s.is_closed()) for s in scans]
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    if not scans:
        typer.echo(t("group.list_empty", settings.lang))
    for scan in scans:
        state = t("group.state_closed" if scan.is_closed() else "group.state_open", settings.lang)
        typer.echo(
            t(
                "group.list_row",
                settings.lang,
                scan_id=scan.id,
                created=f"{date_text(scan.created.date(), settings.lang)} {scan.created:%H:%M}",
                network=scan.settings.network,
                answered=store.count(scan.id),
                state=state,
            )
        )


def _warn_missing(results: Any) -> None:
    """Tell the coordinator which of the scan's themes the question bank no longer has (they are skipped)."""
    if results.missing_themes:
        typer.echo(t("group.missing_themes", results.lang, themes=", ".join(results.missing_themes)), err=True)


def _scan_results(settings: Settings, store: Any, scan_id: str, signals: bool = False) -> Any:
    """Results under the anonymity rule; the report index is opened only when there is something to cite.
    ``signals``: also match the explanations to the coaching bank's signals (embeds every explanation and
    the signals' examples: slow on a small machine, so asked for with --signals)."""
    from assistant.coaching import coaching_bank
    from assistant.group.results import scan_results
    from assistant.group.signals import ExplanationSignals
    from assistant.reflection.signals import examples_cache

    scan = store.get(scan_id)
    hidden = scan_results(store, scan, settings.prompts_dir, None)
    if not hidden.shown:
        return scan, hidden
    passages = _report_passages(settings)
    counter = (
        ExplanationSignals(coaching_bank(settings.prompts_dir), passages.index.embeddings, examples_cache(settings))  # type: ignore[attr-defined]
        if signals
        else None
    )
    return scan, scan_results(store, scan, settings.prompts_dir, passages, counter)


@group_app.command("results")
@friendly_errors
def group_results(
    scan_id: str,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    signals: Annotated[
        bool, typer.Option("--signals", help="Also name the coaching signals the explanations carry (slower).")
    ] = False,
) -> None:
    """How many answered; once revealed and at the minimum, per theme the distribution, pattern and tip."""
    from assistant.group.results import named_line, summarise

    settings = command_settings()
    scan, results = _scan_results(settings, _group_store(settings), scan_id, signals)
    if as_json:
        typer.echo(results.model_dump_json())
        return
    lang = scan.settings.lang
    _warn_missing(results)
    if not results.shown:
        key = "group.waiting" if results.revealed else "group.not_revealed"
        typer.echo(t(key, lang, answered=results.answered, min_answers=results.min_answers))
        return
    typer.echo(t("group.answered", lang, answered=results.answered))
    for theme in results.themes:
        summary = summarise(theme, results)
        typer.echo("")
        if summary.too_few:
            typer.secho(f"{theme.title}: {summary.pattern}", bold=True)
            typer.echo(summary.too_few)
        else:
            typer.secho(summary.row, bold=True)
            typer.echo("  " + "  ".join(f"{s}: {'█' * c}{c}" for s, c in enumerate(summary.counts, 1)))
            if summary.previous:
                typer.echo(f"  {summary.previous}")
            for line in summary.signals:
                typer.echo(f"  {line}")
            for quote in theme.quotes:
                typer.echo(f"  “{quote}”")
            for answer in theme.named:
                typer.echo(f"  {named_line(answer, lang)}")
        if theme.tip:
            typer.echo(f"  {t('group.tip', lang)}: {theme.tip.text} {theme.tip.question}")
            for c in (theme.tip.citation, theme.tip.case_citation):
                if c:
                    typer.secho(f"   [{c.n}] {c.label()}", dim=True)


@group_app.command("reveal")
@friendly_errors
def group_reveal(scan_id: str) -> None:
    """Show the results (as "toon resultaten" in the app); they appear once the minimum is reached."""
    settings = command_settings()
    scan = _group_store(settings, write=True).reveal(scan_id)
    typer.echo(t("group.revealed", scan.settings.lang, scan_id=scan.id))


@group_app.command("agenda")
@friendly_errors
def group_agenda(
    scan_id: str,
    minutes: Annotated[int, typer.Option("--minutes", help="60, 90, 120 or 180.")] = 90,
    themes: Annotated[
        str | None, typer.Option("--themes", help="2-3 comma-separated theme ids (default: proposed).")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write to a file: .docx, .pdf or .md (default: print).")
    ] = None,
) -> None:
    """A timed session agenda: opening, per theme result, work form, questions and evidence, closing with
    action points from §7.2; every reference cited. Printed as Markdown, or written as DOCX, PDF or Markdown."""
    settings = command_settings()
    agenda = _agenda(settings, _group_store(settings), scan_id, minutes, themes)
    if output is None:
        from assistant.group.export import agenda_md

        typer.echo(agenda_md(agenda))
        return
    _write_agenda(agenda, output)
    typer.echo(t("group.export.written", agenda.lang, path=output), err=True)


def _agenda(settings: Settings, store: Any, scan_id: str, minutes: int, themes: str | None) -> Any:
    from assistant.group.agenda import agenda_for

    scan, results = _scan_results(settings, store, scan_id)
    _warn_missing(results)
    chosen = [x.strip() for x in themes.split(",") if x.strip()] if themes else None
    return agenda_for(scan, results, settings.prompts_dir, _report_passages(settings), minutes=minutes, themes=chosen)


def _write_agenda(agenda: Any, output: Path) -> None:
    from assistant.group.export import agenda_docx, agenda_md, agenda_pdf

    suffix = output.suffix.lower()
    if suffix not in (".docx", ".pdf", ".md"):
        raise typer.BadParameter(".docx, .pdf or .md", param_hint="-o")
    if suffix == ".md":
        output.write_text(agenda_md(agenda), encoding="utf-8")
    else:
        output.write_bytes(agenda_docx(agenda) if suffix == ".docx" else agenda_pdf(agenda))


@group_app.command("export")
@friendly_errors
def group_export(
    scan_id: str,
    directory: Annotated[Path, typer.Option("-o", "--output", help="Folder for the files.")] = Path("."),
    minutes: Annotated[int, typer.Option("--minutes", help="Length of the agenda: 60, 90, 120 or 180.")] = 90,
) -> None:
    """The agenda (DOCX, PDF, Markdown), the results as CSV and the results PDF with the charts, in one
    folder. Under the anonymity rule: before reveal and the minimum the results files hold only the count."""
    from assistant.group.export import results_csv, results_pdf

    settings = command_settings()
    store = _group_store(settings)
    scan, results = _scan_results(settings, store, scan_id)
    agenda = _agenda(settings, store, scan_id, minutes, None)
    directory.mkdir(parents=True, exist_ok=True)
    stem = f"groepsscan-{scan.id}"
    paths = [directory / f"{stem}-agenda{suffix}" for suffix in (".docx", ".pdf", ".md")]
    for path in paths:
        _write_agenda(agenda, path)
    csv_path, pdf_path = directory / f"{stem}-resultaten.csv", directory / f"{stem}-resultaten.pdf"
    csv_path.write_text(results_csv(results), encoding="utf-8")
    pdf_path.write_bytes(results_pdf(results))
    for path in [*paths, csv_path, pdf_path]:
        typer.echo(t("group.export.written", scan.settings.lang, path=path))


@group_app.command("close")
@friendly_errors
def group_close(scan_id: str) -> None:
    """No more answers; results and agenda stay available."""
    settings = command_settings()
    scan = _group_store(settings, write=True).close(scan_id)
    typer.echo(t("group.closed", scan.settings.lang, scan_id=scan.id))


@group_app.command("delete")
@friendly_errors
def group_delete(scan_id: str) -> None:
    """Delete a scan with all its answers and agreements; nothing is left behind."""
    from assistant.group.errors import ScanNotFoundError

    settings = command_settings()
    if not _group_store(settings, write=True).delete(scan_id):
        raise ScanNotFoundError(scan_id=scan_id)
    typer.echo(t("group.deleted", settings.lang, scan_id=scan_id))
