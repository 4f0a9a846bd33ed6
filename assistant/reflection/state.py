"""What a reflection session holds. Everything is plain JSON-able data, saved at every step by the
SQLite checkpointer, so a session survives a restart of the process with nothing lost."""

from __future__ import annotations

import operator
from typing import Annotated, Any, Literal, TypedDict

from pydantic import BaseModel, Field

from assistant.config import Language
from assistant.domain import Citation, Speaker, Turn
from assistant.prompts import Role

Mode = Literal["guided", "ask"]
Waiting = Literal["answer", "followup", "score", "free"]
Step = Literal["wait_answer", "wait_followup", "wait_score", "wait_free", "reflect", "assess", "advance"]
"""Where the graph can go after a node that decides it (``next_step``)."""


def merge(old: dict[str, Any] | None, new: dict[str, Any] | None) -> dict[str, Any]:
    """Reducer for per-theme maps: a node returns only the themes it changed."""
    return {**(old or {}), **(new or {})}


class ReflectionState(TypedDict, total=False):
    role: Role
    """coordinator | board | student: which of the bank's questions the person gets"""
    lang: Language
    """nl | en: the language of every text the guide writes in this session"""
    mode: Mode
    """guided: through the themes; ask: free questions only ("vraag het rapport")"""
    route_id: str | None
    """the chosen route, or None for a free choice of themes"""
    themes: list[str]
    """theme ids in the order they are taken"""
    theme_index: int
    """which theme is current"""
    questions: dict[str, str]
    """per theme, the id of the role's question to ask when it is not the first (chosen at the start)"""
    followups: int
    """deepening follow-ups asked for the current question"""
    turns: Annotated[list[dict[str, Any]], operator.add]
    """the conversation, append-only: every text shown or typed, with its citations (``Turn`` as JSON)"""
    answers: Annotated[dict[str, list[str]], merge]
    """per theme, what the person said, in their own words (not an answer about something else that the
    guide asked the question again after)"""
    scores: Annotated[dict[str, int], merge]
    """per theme, the person's self-assessment (1-5)"""
    signals: Annotated[dict[str, dict[str, Any]], merge]
    """per theme, what the coaching bank recognised in the last answer: ``ranked`` signal ids (best
    first), ``shown`` (the ids whose reflection the person has seen, "andere invalshoek" moves on),
    ``answer`` (which answer of the theme) and ``earlier`` (what stood for the theme's earlier answers);
    read through ``heard.standing``"""
    score_checks: Annotated[dict[str, int], merge]
    """per theme, the level the answers pointed to when the guide noted that the self-assessment differs
    from it: said once, then either score is taken"""
    synthesis: dict[str, Any] | None
    """the closing summary, once reached (``Synthesis`` as JSON)"""
    waiting_for: Waiting | None
    """what kind of input the session waits for now"""
    next_step: Step
    """where the graph goes after a node that reads input (set by that node, read by its router)"""


class Input(BaseModel):
    """What a person can send: an answer, a score, a free question, or a quick action."""

    type: Literal["answer", "score", "ask", "skip", "next", "deepen", "other", "cycle"]
    text: str = ""
    """an answer or a question; for "cycle", the id of the summary's proposal it is about"""
    value: int | None = Field(None, ge=1, le=5)
    """a score; for "cycle", the order of the value cycle the person recognises (None: none of them)"""


def turn(
    role: Speaker, kind: str, text: str, theme: str | None = None, citations: list[Citation] | None = None, **data: Any
) -> dict[str, Any]:
    """One message of the conversation as it is saved (a ``Turn``, checked, as JSON): who said it, what kind
    it is, the text, the theme it belongs to, the passages it cites, and anything else a screen needs
    (``data``)."""
    return Turn(role=role, kind=kind, text=text, theme=theme, citations=citations or [], data=data).model_dump()
