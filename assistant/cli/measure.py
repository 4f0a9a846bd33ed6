"""``slim eval`` and ``slim bench``: the measurement commands (they reach ``assistant.evaluation`` lazily)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from assistant.cli.common import app, command_settings, friendly_errors
from assistant.config import Settings
from assistant.i18n import t

eval_app = typer.Typer(help="Measure quality.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")


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

    settings = command_settings()
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

    settings = command_settings(llm=llm)
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

    settings = command_settings(llm=llm)
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

    settings = command_settings(llm=llm)
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

    settings = command_settings(llm=llm)
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
