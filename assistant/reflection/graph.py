"""The reflection conversation as a LangGraph ``StateGraph``, built by a factory so tests can pass fakes.

Per theme: intro with cited passages → question → (person answers) → reflection: their words mirrored
and connected to a cited passage, plus a deepening follow-up (at most ``max_followups``) → self-assessment
→ next theme → synthesis. Nodes that speak only append turns; nodes named ``wait_*`` pause the graph
with ``interrupt`` and route on what the person sends. A free question at any pause is answered with
citations and the pause resumes where it was.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from langchain_core.messages import HumanMessage, SystemMessage
from langchain_core.runnables import RunnableConfig
from langgraph.graph import START, StateGraph
from langgraph.types import interrupt

from assistant.answer import (
    Citation,
    answer_question,
    as_data,
    is_degenerate,
    language_of_answer,
    valid_citations,
    where,
)
from assistant.config import Settings
from assistant.llm import LanguageModel
from assistant.prompts import QuestionBank, ReflectionPrompts, Theme, answer_prompts, instruction_patterns
from assistant.reflection.state import Input, ReflectionState, turn
from assistant.reflection.synthesis import build_synthesis, own_words, synthesis_markdown
from assistant.retrieve import Retriever
from assistant.safe_text import without_links

log = logging.getLogger(__name__)


@dataclass
class Deps:
    """What the nodes need; passed to ``build_graph`` instead of living in module globals."""

    settings: Settings
    retriever: Retriever
    llm: LanguageModel
    bank: QuestionBank
    prompts: ReflectionPrompts


def _theme(state: ReflectionState, deps: Deps) -> Theme:
    return deps.bank.themes[state["themes"][state["theme_index"]]]


def _question(state: ReflectionState, deps: Deps):
    return _theme(state, deps).questions[state["role"]][0]  # type: ignore[index]


def _retriever(deps: Deps, config: RunnableConfig | None) -> Retriever:
    """The person's own retriever (the report plus their documents) if the run brings one, else the report's."""
    return (config or {}).get("configurable", {}).get("retriever") or deps.retriever


def _citations(
    retriever: Retriever, queries: list[str], k: int, sections: list[str] | None = None
) -> tuple[list[dict], list[str]]:
    """Cited passages for ``queries`` (each its best ``k``, only from ``sections`` if given), numbered
    from 1, with a short excerpt each."""
    citations: list[dict] = []
    excerpts: list[str] = []
    seen: set[str] = set()
    for query in queries:
        evidence = retriever.evidence(query, k=k if sections is None else 4 * k, sentences=1)
        for hit, excerpt in zip(evidence.hits, evidence.excerpts, strict=True):
            if sections is not None and not any(hit.section == s or hit.section.startswith(s + ".") for s in sections):
                continue
            if hit.chunk_id in seen or len(citations) >= k * len(queries):
                continue
            seen.add(hit.chunk_id)
            citations.append(Citation.from_hit(len(citations) + 1, hit).model_dump())
            excerpts.append(excerpt)
    return citations, excerpts


def _free_answer(state: ReflectionState, deps: Deps, question: str, config: RunnableConfig | None) -> list[dict]:
    """A cited answer; a caller can pass ``on_passages``/``on_token`` in the run's configurable to stream it."""
    hooks = (config or {}).get("configurable", {})
    result = answer_question(
        question,
        _retriever(deps, config),
        deps.llm,
        deps.settings,
        on_passages=hooks.get("on_passages"),
        on_token=hooks.get("on_token"),
        on_wait=hooks.get("on_wait"),
    )
    return [
        turn("user", "free_question", question),
        turn(
            "assistant",
            "free_answer",
            result.answer,
            citations=[c.model_dump() for c in result.citations],
            method=result.method,
        ),
    ]


def _read_input(waiting: str) -> Input:
    raw = interrupt({"waiting_for": waiting})
    return raw if isinstance(raw, Input) else Input.model_validate(raw)


def build_graph(deps: Deps, checkpointer: Any = None):
    """The compiled reflection graph; ``checkpointer`` persists every step (SQLite in the app)."""

    def welcome(state: ReflectionState) -> dict:
        texts = deps.prompts[state["lang"]]  # type: ignore[index]
        if state.get("mode") == "ask":
            return {"turns": [turn("assistant", "welcome", texts.ask_mode_welcome)], "waiting_for": "free"}
        titles = ", ".join(deps.bank.themes[t].title(state["lang"]) for t in state["themes"])  # type: ignore[arg-type]
        text = texts.welcome.format(count=len(state["themes"]), titles=titles)
        return {"turns": [turn("assistant", "welcome", text)], "theme_index": 0, "answers": {}, "scores": {}}

    def intro(state: ReflectionState) -> dict:
        lang = state["lang"]
        texts, theme = deps.prompts[lang], _theme(state, deps)  # type: ignore[index]
        queries = [q(lang) for q in theme.evidence_queries[:1]]  # type: ignore[arg-type]
        citations, _ = _citations(deps.retriever, queries, k=2)
        case_lines = []
        for case in theme.cases:
            more, excerpts = _citations(deps.retriever, [case.query(lang)], k=1, sections=case.sections)  # type: ignore[arg-type]
            for item, excerpt in zip(more, excerpts, strict=True):
                if item["chunk_id"] in {c["chunk_id"] for c in citations}:
                    continue
                item["n"] = len(citations) + 1
                citations.append(item)
                case_lines.append(f"- **{case.network}**: “{as_data(excerpt)}” [{item['n']}]")
        own = " ".join(f"[{c['n']}]" for c in citations[: len(citations) - len(case_lines)])
        header = texts.theme_header.format(
            index=state["theme_index"] + 1, count=len(state["themes"]), title=theme.title(lang)
        )  # type: ignore[arg-type]
        body = f"**{header}**\n\n{theme.intro(lang)} {own}\n\n{texts.cases_intro}\n" + "\n".join(case_lines)  # type: ignore[arg-type]
        question = _question(state, deps)
        return {
            "turns": [
                turn("assistant", "intro", body, theme.id, citations),
                turn(
                    "assistant",
                    "question",
                    f"{texts.question_prefix} {question.text(lang)}",
                    theme.id,
                    question_id=question.id,
                ),  # type: ignore[arg-type]
            ],
            "followups": 0,
            "waiting_for": "answer",
        }

    def wait_answer(state: ReflectionState, config: RunnableConfig) -> dict:
        return _handle(state, _read_input("answer"), "wait_answer", config)

    def wait_followup(state: ReflectionState, config: RunnableConfig) -> dict:
        return _handle(state, _read_input("followup"), "wait_followup", config)

    def wait_score(state: ReflectionState, config: RunnableConfig) -> dict:
        return _handle(state, _read_input("score"), "wait_score", config)

    def wait_free(state: ReflectionState, config: RunnableConfig) -> dict:
        return _handle(state, _read_input("free"), "wait_free", config)

    def _handle(state: ReflectionState, data: Input, here: str, config: RunnableConfig) -> dict:
        """Apply one input; ``next_step`` in the update says where the graph goes (read by ``route``)."""
        lang = state["lang"]
        texts = deps.prompts[lang]  # type: ignore[index]
        theme_id = state["themes"][state["theme_index"]] if state.get("themes") and here != "wait_free" else None
        if data.type == "ask" and data.text.strip():
            return {"turns": _free_answer(state, deps, data.text.strip(), config), "next_step": here}
        if here == "wait_free":
            return {"next_step": here}
        if here == "wait_score":
            if data.type == "score" and data.value:
                theme = _theme(state, deps)
                level = next(s for s in theme.scale if s.level == data.value)
                said = texts.assessed.format(level=level.level, label=level.label(lang))  # type: ignore[arg-type]
                return {
                    "turns": [
                        turn("user", "score", str(data.value), theme_id),
                        turn("assistant", "assessed", said, theme_id),
                    ],
                    "scores": {theme_id: data.value},
                    "next_step": "advance",
                }
            if data.type in ("skip", "next"):
                return {"turns": [turn("assistant", "skipped", texts.skipped, theme_id)], "next_step": "advance"}
            return {"next_step": here}
        # waiting for an answer to the question or to a follow-up
        if data.type == "answer" and data.text.strip():
            answers = list(state.get("answers", {}).get(theme_id, []))  # type: ignore[arg-type]
            update = {
                "turns": [turn("user", "answer", data.text.strip(), theme_id)],
                "answers": {theme_id: answers + [data.text.strip()]},
            }
            can_deepen = state.get("followups", 0) < deps.settings.max_followups
            return update | {"next_step": "reflect" if here == "wait_answer" or can_deepen else "assess"}
        if (
            data.type == "deepen"
            and here == "wait_followup"
            and state.get("followups", 0) < deps.settings.max_followups
        ):
            return {"next_step": "reflect"}
        if data.type in ("skip", "next"):
            skipped = [turn("user", "skip", "", theme_id)] if data.type == "skip" else []
            return {"turns": skipped, "next_step": "assess"}
        return {"next_step": here}

    def reflect(state: ReflectionState, config: RunnableConfig) -> dict:
        lang = state["lang"]
        texts, theme = deps.prompts[lang], _theme(state, deps)  # type: ignore[index]
        answer = (state.get("answers", {}).get(theme.id) or [""])[-1]
        question = _question(state, deps)
        citations, excerpts = _citations(_retriever(deps, config), [f"{answer} {theme.title(lang)}"], k=2)  # type: ignore[arg-type]
        hooks = config.get("configurable", {})
        if hooks.get("on_passages") and citations:  # shown while the model is still writing
            hooks["on_passages"](citations)
        text = _reflection_text(
            deps, lang, question.text(lang), answer, citations, excerpts, hooks.get("on_token"), hooks.get("on_wait")
        )  # type: ignore[arg-type]
        text = without_links(text, answer_prompts(deps.settings.prompts_dir)[lang].link_removed)  # type: ignore[index]
        followups = state.get("followups", 0)
        turns = [turn("assistant", "reflection", text, theme.id, citations)]
        update: dict = {"followups": followups + 1}
        if followups < deps.settings.max_followups and followups < len(question.probes):
            probe = question.probes[followups](lang)  # type: ignore[arg-type]
            turns.append(turn("assistant", "followup", f"{texts.followup_prefix} {probe}", theme.id))
            update["waiting_for"] = "followup"
            update["next_step"] = "wait_followup"
        else:
            update["next_step"] = "assess"
        return update | {"turns": turns}

    def assess(state: ReflectionState) -> dict:
        lang = state["lang"]
        texts, theme = deps.prompts[lang], _theme(state, deps)  # type: ignore[index]
        levels = [
            {"level": s.level, "label": s.label(lang), "description": s.description(lang)}  # type: ignore[arg-type]
            for s in theme.scale
        ]
        lines = [texts.assess.format(title=theme.title(lang))] + [texts.assess_level.format(**lv) for lv in levels]  # type: ignore[arg-type]
        return {
            "turns": [turn("assistant", "assess", "\n".join(lines), theme.id, levels=levels)],
            "waiting_for": "score",
        }

    def advance(state: ReflectionState) -> dict:
        return {"theme_index": state["theme_index"] + 1}

    def synthesis(state: ReflectionState) -> dict:
        lang = state["lang"]
        texts = deps.prompts[lang]  # type: ignore[index]
        result = build_synthesis(dict(state), deps.bank, deps.prompts, deps.retriever)
        return {
            "synthesis": result,
            "turns": [
                turn("assistant", "synthesis", synthesis_markdown(result, texts), citations=result["citations"]),
                turn("assistant", "done", texts.done),
            ],
            "waiting_for": "free",
        }

    def route(state: ReflectionState) -> str:
        target = state.get("next_step")
        if target in {"wait_answer", "wait_followup", "wait_score", "wait_free", "reflect", "assess"}:
            return target  # type: ignore[return-value]
        raise ValueError(f"unexpected route {target!r}")

    def after_welcome(state: ReflectionState) -> Literal["intro", "wait_free"]:
        return "wait_free" if state.get("mode") == "ask" or not state.get("themes") else "intro"

    def after_advance(state: ReflectionState) -> Literal["intro", "synthesis"]:
        return "intro" if state["theme_index"] < len(state["themes"]) else "synthesis"

    graph = StateGraph(ReflectionState)
    for name, node in [
        ("welcome", welcome), ("intro", intro), ("wait_answer", wait_answer), ("reflect", reflect),
        ("wait_followup", wait_followup), ("assess", assess), ("wait_score", wait_score), ("advance", advance),
        ("synthesis", synthesis), ("wait_free", wait_free),
    ]:  # fmt: skip
        graph.add_node(name, node)
    graph.add_edge(START, "welcome")
    graph.add_conditional_edges("welcome", after_welcome, ["intro", "wait_free"])
    graph.add_edge("intro", "wait_answer")
    graph.add_conditional_edges("wait_answer", route, ["wait_answer", "reflect", "assess"])
    graph.add_conditional_edges("reflect", route, ["wait_followup", "assess"])
    graph.add_conditional_edges("wait_followup", route, ["wait_followup", "reflect", "assess"])
    graph.add_edge("assess", "wait_score")
    graph.add_conditional_edges(
        "wait_score",
        lambda s: "advance" if s.get("next_step") == "advance" else "wait_score",
        ["advance", "wait_score"],
    )
    graph.add_conditional_edges("advance", after_advance, ["intro", "synthesis"])
    graph.add_edge("synthesis", "wait_free")
    graph.add_edge("wait_free", "wait_free")
    return graph.compile(checkpointer=checkpointer)


def _reflection_text(
    deps: Deps,
    lang: str,
    question: str,
    answer: str,
    citations: list[dict],
    excerpts: list[str],
    on_token: Callable[[str], None] | None = None,
    on_wait: Callable[[int], None] | None = None,
) -> str:
    """Mirror and connect, by the language model when it does this well, else from the template. The
    model's text streams through ``on_token`` as it is written (the app shows it coming in)."""
    texts = deps.prompts[lang]  # type: ignore[index]
    template = texts.mirror.format(quote=own_words(answer, 200))
    if citations:
        template += " " + texts.connect.format(excerpt=as_data(excerpts[0]), n=1)
    if not deps.llm.available or not citations or not answer.strip():
        return template
    passages = "\n".join(
        f"[{c['n']}] ({as_data(where(_hit(c)))}) {as_data(e, instruction_patterns(deps.settings.prompts_dir))}"
        for c, e in zip(citations, excerpts, strict=True)
    )
    messages = [
        SystemMessage(texts.reflect_system),
        HumanMessage(texts.reflect_user.format(passages=passages, question=question, answer=answer)),
    ]
    parts: list[str] = []
    try:
        for piece in deps.llm.pieces(messages, on_wait):
            parts.append(piece)
            if on_token and piece:
                on_token(piece)
        raw = "".join(parts).strip()
    except Exception as exc:  # a failing model must not break the conversation
        log.warning("reflection by the language model failed: %s", exc)
        return template
    text, cited = valid_citations(raw, len(citations))
    if not cited or is_degenerate(text) or language_of_answer(text, lang) != lang:  # type: ignore[arg-type]
        return template
    return text


def _hit(citation: dict):
    from assistant.retrieve import Hit

    return Hit(
        rank=citation["n"],
        score=0.0,
        **{k: citation[k] for k in ("chunk_id", "source", "section", "heading", "page", "text")},
    )
