"""How the reflection moves: the nodes of ``nodes.py`` wired into a LangGraph ``StateGraph``, and the small
routers that choose the next node.

Per theme: intro with cited passages → question → (person answers) → reflection: their words mirrored
and connected to a cited passage, plus a deepening follow-up (at most ``max_followups``) → self-assessment
→ next theme → synthesis. A first answer about something else entirely gets a word on it and the question
once more (reflect → wait_answer). A node that reads input sets ``next_step``; the router after it checks that
it is one of the places that node may lead to (anything else is a bug, and raises). A free question at
any pause is answered with citations and the pause resumes where it was.

The graph holds no dependencies: they come with each run as a ``nodes.Context`` (``context=...``).
"""

from __future__ import annotations

from typing import Any, Literal

from langgraph.graph import START, StateGraph

from assistant.reflection import nodes
from assistant.reflection.nodes import Context
from assistant.reflection.state import ReflectionState


def _unexpected(node: str, state: ReflectionState) -> ValueError:
    return ValueError(f"{node} cannot lead to {state.get('next_step')!r}")


def after_welcome(state: ReflectionState) -> Literal["intro", "wait_free"]:
    return "wait_free" if state.get("mode") == "ask" or not state.get("themes") else "intro"


def after_wait_answer(state: ReflectionState) -> Literal["wait_answer", "reflect", "assess"]:
    match step := state.get("next_step"):
        case "wait_answer" | "reflect" | "assess":
            return step
    raise _unexpected("wait_answer", state)


def after_reflect(state: ReflectionState) -> Literal["wait_followup", "wait_answer", "assess"]:
    match step := state.get("next_step"):
        case "wait_followup" | "wait_answer" | "assess":
            return step
    raise _unexpected("reflect", state)


def after_wait_followup(state: ReflectionState) -> Literal["wait_followup", "reflect", "assess"]:
    match step := state.get("next_step"):
        case "wait_followup" | "reflect" | "assess":
            return step
    raise _unexpected("wait_followup", state)


def after_wait_score(state: ReflectionState) -> Literal["wait_score", "advance"]:
    match step := state.get("next_step"):
        case "wait_score" | "advance":
            return step
    raise _unexpected("wait_score", state)


def after_wait_free(state: ReflectionState) -> Literal["wait_free"]:
    if state.get("next_step") == "wait_free":
        return "wait_free"
    raise _unexpected("wait_free", state)


def after_advance(state: ReflectionState) -> Literal["intro", "synthesis"]:
    return "intro" if state["theme_index"] < len(state["themes"]) else "synthesis"


def build_graph(checkpointer: Any = None):
    """The compiled reflection graph; ``checkpointer`` persists every step (SQLite in the app). Each
    conditional edge takes its possible targets from its router's ``Literal`` return type."""
    graph = StateGraph(ReflectionState, context_schema=Context)
    graph.add_node("welcome", nodes.welcome)
    graph.add_node("intro", nodes.intro)
    graph.add_node("wait_answer", nodes.wait_answer)
    graph.add_node("reflect", nodes.reflect)
    graph.add_node("wait_followup", nodes.wait_followup)
    graph.add_node("assess", nodes.assess)
    graph.add_node("wait_score", nodes.wait_score)
    graph.add_node("advance", nodes.advance)
    graph.add_node("synthesis", nodes.synthesis)
    graph.add_node("wait_free", nodes.wait_free)
    graph.add_edge(START, "welcome")
    graph.add_conditional_edges("welcome", after_welcome)
    graph.add_edge("intro", "wait_answer")
    graph.add_conditional_edges("wait_answer", after_wait_answer)
    graph.add_conditional_edges("reflect", after_reflect)
    graph.add_conditional_edges("wait_followup", after_wait_followup)
    graph.add_edge("assess", "wait_score")
    graph.add_conditional_edges("wait_score", after_wait_score)
    graph.add_conditional_edges("advance", after_advance)
    graph.add_edge("synthesis", "wait_free")
    graph.add_conditional_edges("wait_free", after_wait_free)
    return graph.compile(checkpointer=checkpointer)
