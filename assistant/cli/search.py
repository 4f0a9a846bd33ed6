"""``slim index``, ``search``, ``doctor``, ``corpus``, ``docs`` and ``sources``: the index and what it holds."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from assistant.cli.common import ModeOption, WorkspaceOption, app, command_settings, friendly_errors
from assistant.config import Settings
from assistant.errors import InputError
from assistant.i18n import t

if TYPE_CHECKING:  # imported where used: a command loads only what it needs
    from assistant.workspace import Workspace

corpus_app = typer.Typer(help="Maintain the report corpus.", no_args_is_help=True)
app.add_typer(corpus_app, name="corpus")


@app.command()
@friendly_errors
def index(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Files to add to the workspace (as slim docs add).")
    ] = None,
    rebuild: Annotated[
        bool,
        typer.Option(
            "--rebuild", help="Drop the index and build it again (the report's vectors come from the vector cache)."
        ),
    ] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Index the report corpus; unchanged files are skipped. Given files are added to the workspace."""
    from assistant.index import corpus_files, open_index, sync, writer_lock

    settings = command_settings(workspace=workspace)
    with writer_lock(settings):
        idx = open_index(settings, rebuild=rebuild)
        report = sync(idx, corpus_files(settings), progress=sys.stderr.isatty())
    for path in paths or []:
        docs_add(path, workspace)
    typer.echo(
        t(
            "index.done",
            settings.lang,
            added=len(report.added),
            updated=len(report.updated),
            unchanged=len(report.unchanged),
            removed=len(report.removed),
            passages=report.passages_embedded,
            total=idx.count(),
        )
    )


@app.command()
@friendly_errors
def search(
    query: Annotated[str | None, typer.Argument(help="The question.")] = None,
    k: Annotated[int, typer.Option("-k", help="Number of passages.")] = 5,
    mode: ModeOption = "hybrid",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    queries: Annotated[Path | None, typer.Option("--queries", help='JSONL file of {"id", "q"} lines.')] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Find the passages for a question in the report and the workspace's documents, or for every line of a
    --queries file (one JSON line each)."""
    from assistant.retrieve import open_retriever

    settings = command_settings(workspace=workspace)
    if (query is None) == (queries is None):
        raise typer.BadParameter("give a question or --queries FILE, not both")
    retriever = open_retriever(settings)
    if queries is not None:
        from assistant.evaluation.quality import load_queries

        for item in load_queries(queries):
            hits = retriever.search(item.q, k=k, mode=mode)
            typer.echo(json.dumps({"id": item.id, "hits": [h.model_dump() for h in hits]}, ensure_ascii=False))
        return
    assert query is not None
    hits = retriever.search(query, k=k, mode=mode)
    if as_json:
        typer.echo(json.dumps({"query": query, "hits": [h.model_dump() for h in hits]}, ensure_ascii=False))
        return
    if not hits:
        typer.echo(t("search.none", settings.lang))
    for hit in hits:
        typer.secho(f"[{hit.rank}] {hit.label(lang=settings.lang)}  ({hit.score:.4f})", bold=True)
        typer.echo(hit.text + "\n")


@corpus_app.command("build")
@friendly_errors
def corpus_build(
    source: Annotated[Path, typer.Argument(help="The report's text extraction.")] = Path(
        "../shared/report/samen-leren-impact-maken.txt"
    ),
) -> None:
    """Regenerate corpus/samen-leren-impact-maken.md from the report's text extraction."""
    from assistant.corpus import build_markdown
    from assistant.ingest import read_bytes

    settings = command_settings()
    markdown = build_markdown(read_bytes(source).decode("utf-8"))
    target = settings.corpus_dir / "samen-leren-impact-maken.md"
    target.write_text(markdown, encoding="utf-8")
    typer.echo(str(target))


@app.command()
@friendly_errors
def doctor(
    check_only: Annotated[bool, typer.Option("--check-only", help="Report, change nothing.")] = False,
) -> None:
    """Check the indexes against the documents and the sessions database; repair by re-indexing."""
    from assistant.doctor import diagnose

    settings = command_settings()
    findings = diagnose(settings, repair=not check_only)
    for finding in findings:
        typer.echo(t(finding.key, settings.lang, **finding.values))
    if any(f.status == "problem" for f in findings):
        raise typer.Exit(1)


docs_app = typer.Typer(help="Your own documents, searched together with the report.", no_args_is_help=True)
app.add_typer(docs_app, name="docs")


def _workspace(settings: Settings) -> Workspace:
    from assistant.index import open_index
    from assistant.workspace import Workspace

    return Workspace(settings, settings.workspace, open_index(settings).embeddings)


@docs_app.command("add")
@friendly_errors
def docs_add(
    path: Annotated[Path, typer.Argument(help="A PDF, DOCX, Markdown or text file.")],
    workspace: WorkspaceOption = None,
) -> None:
    """Add a document (or replace the one with the same file name); a rejected file exits with code 2."""
    settings = command_settings(workspace=workspace)
    space = _workspace(settings)
    from assistant.workspace import queue_message

    waiting = lambda wait: typer.echo(queue_message(wait, settings.lang), err=True)  # noqa: E731
    doc = space.add(path, progress=sys.stderr.isatty(), on_wait=waiting)
    added = t("docs.added", settings.lang, name=doc.name, workspace=space.name, passages=doc.passages)
    read_as = " " + t("docs.encoding", settings.lang, encoding=doc.encoding) if doc.encoding else ""
    typer.echo(added + read_as)
    if doc.reference:
        typer.echo(t("docs.linked", settings.lang, reference=doc.reference))


@docs_app.command("list")
@friendly_errors
def docs_list(
    workspace: WorkspaceOption = None, as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False
) -> None:
    """The workspace's documents, by the file name that ``slim docs remove`` takes."""
    settings = command_settings(workspace=workspace)
    docs = _workspace(settings).documents()
    if as_json:
        typer.echo(json.dumps([vars(d) for d in docs], ensure_ascii=False))
    elif not docs:
        typer.echo(t("docs.empty", settings.lang, workspace=settings.workspace))
    for doc in docs if not as_json else []:
        pages = f", {doc.pages} p." if doc.pages else ""
        reference = f"  → {doc.reference}" if doc.reference else ""
        typer.echo(t("docs.row", settings.lang, name=doc.name, passages=doc.passages, pages=pages, reference=reference))


@docs_app.command("remove")
@friendly_errors
def docs_remove(
    name: Annotated[str, typer.Argument(help="The file name as slim docs list shows it.")],
    workspace: WorkspaceOption = None,
) -> None:
    """Remove a document and its passages."""
    settings = command_settings(workspace=workspace)
    _workspace(settings).remove(name)
    typer.echo(t("docs.removed", settings.lang, name=name, workspace=settings.workspace))


sources_app = typer.Typer(
    help="The report's sources: where the report cites them, and the shared library everyone searches.",
    no_args_is_help=True,
)
app.add_typer(sources_app, name="sources")


def _library(settings: Settings) -> Any:
    from assistant.index import open_index
    from assistant.library import Library

    return Library(settings, open_index(settings).embeddings)


@sources_app.command("list")
@friendly_errors
def sources_list(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Every source of the report (and related text) with its status, in the library or not, and its DOI/URL."""
    settings = command_settings()
    entries = _library(settings).entries()
    if as_json:
        typer.echo(json.dumps([e.model_dump() for e in entries], ensure_ascii=False))
        return
    for e in entries:
        status = t("sources.in_library" if e.in_library else "sources.not_in_library", settings.lang)
        link = f"  {e.url}" if e.url else (f"  doi:{e.doi}" if e.doi else "")
        mark = "✓" if e.in_library else "·"
        typer.echo(t("sources.row", settings.lang, mark=mark, id=e.id, cite=e.cite, status=status, link=link))


@sources_app.command("show")
@friendly_errors
def sources_show(source_id: Annotated[str, typer.Argument(help="The id that slim sources list shows.")]) -> None:
    """A source's record, its status, and every passage of the report that cites it (§ and heading)."""
    from assistant.library import records
    from assistant.sources import cite_as, report_citations

    settings = command_settings()
    lang = settings.lang
    record = next((r for r in records(settings) if r.id == source_id), None)
    if record is None:
        raise InputError("error.source_unknown_id", id=source_id)
    entry = next(e for e in _library(settings).entries() if e.id == source_id)
    typer.secho(f"{cite_as(record)}  ({t('sources.kind.' + record.kind, lang)})", bold=True)
    for line in (record.title, record.venue, record.listed and t("sources.listed", lang, listed=record.listed)):
        if line:
            typer.echo(line)
    if entry.url or entry.doi:
        typer.echo(t("sources.get_it", lang, link=entry.url or entry.doi))
    if entry.in_library:
        typer.echo(t("sources.file", lang, name=entry.file, passages=entry.passages))
    else:
        typer.echo(t("sources.not_in_library", lang))
    if record.note:
        typer.echo(t("sources.note", lang, note=record.note))
    passages = report_citations(settings.corpus_dir).get(record.id, [])
    typer.echo("")
    if passages:
        typer.secho(t("sources.cited_in", lang, count=len(passages)), bold=True)
    elif record.kind == "analysed_document":
        typer.echo(t("sources.analysed", lang, case=record.case))
    else:
        typer.echo(t("sources.not_cited", lang))
    for passage in passages:
        typer.secho(f"\n{passage.where()}", bold=True)
        typer.echo(passage.text)


@sources_app.command("add")
@friendly_errors
def sources_add(
    path: Annotated[Path, typer.Argument(help="The source as PDF, DOCX, Markdown or text.")],
    source_id: Annotated[str | None, typer.Option("--id", help="The record it is (see slim sources list).")] = None,
    as_extra: Annotated[
        bool, typer.Option("--as-extra", help="A related text the report does not list: add it anyway.")
    ] = False,
) -> None:
    """Add a source to the shared library, for everyone: matched to its record by DOI, title or --id."""
    settings = command_settings()
    added = _library(settings).add(path, source_id, as_extra=as_extra)
    how = t(f"sources.how_{added.matched_by}", settings.lang)
    values = {"name": added.file, "id": added.id, "cite": added.cite, "how": how, "passages": added.passages}
    typer.echo(t("sources.added", settings.lang, **values))


@sources_app.command("remove")
@friendly_errors
def sources_remove(source_id: Annotated[str, typer.Argument(help="The id that slim sources list shows.")]) -> None:
    """Take a source out of the shared library (its record stays)."""
    settings = command_settings()
    _library(settings).remove(source_id)
    typer.echo(t("sources.removed", settings.lang, id=source_id))
