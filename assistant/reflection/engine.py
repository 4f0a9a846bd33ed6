"""The one object the CLI and the app use to run reflection sessions.

Sessions are threads of the graph in a SQLite checkpointer: every step is saved when it happens, so a
session can be resumed after the process restarts. Per-person state lives only there and in the
caller's own session id — never on this shared object.
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections.abc import Callable
from typing import Any, TypeVar, get_args

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.types import Command
from pydantic import BaseModel

from assistant.coaching import coaching_bank
from assistant.config import Language, Settings
from assistant.datadir import sessions_connection
from assistant.domain import Synthesis, Turn
from assistant.errors import InputError, SlimError
from assistant.i18n import t
from assistant.llm import LanguageModel
from assistant.prompts import QuestionBank, ReflectionPrompts, Role, question_bank, reflection_prompts
from assistant.reflection.graph import build_graph
from assistant.reflection.nodes import Context, Passages, Place, Token
from assistant.reflection.signals import SignalChooser, examples_cache
from assistant.reflection.state import Input, Mode, ReflectionState
from assistant.reflection.synthesis import synthesis_markdown
from assistant.retrieve import Retriever
from assistant.sessions import SessionContent, SessionInfo, SessionStore, export_json, export_markdown, now


class SessionNotFoundError(SlimError):
    key = "error.session_not_found"
    exit_code = 2


class SessionView(BaseModel):
    """What a screen needs to show a session."""

    info: SessionInfo
    turns: list[Turn]
    waiting_for: str | None
    themes: list[str]
    theme_index: int
    scores: dict[str, int]
    synthesis: Synthesis | None

    @property
    def other_angle(self) -> bool:
        """Whether "andere invalshoek" has something to show: the reflection on the last answer came from the
        coaching bank, and one of its other signals (or the neutral text) has not been shown for it yet."""
        since = next((i for i in range(len(self.turns) - 1, -1, -1) if self.turns[i].kind == "answer"), None)
        if since is None:
            return False
        shown = [t for t in self.turns[since:] if t.kind == "reflection"]
        if not shown or not shown[0].data.get("alternatives"):
            return False
        return bool({*shown[0].data["alternatives"], None} - {t.data.get("signal") for t in shown})

    @property
    def can_deepen(self) -> bool:
        """Whether "verdiep" would ask a deeper question: the last follow-up says one is left."""
        last = next((t for t in reversed(self.turns) if t.kind == "followup"), None)
        return bool(last and last.data.get("deeper"))

    @property
    def progress(self) -> tuple[int, int]:
        """(current theme number, number of themes); the current one counts once it is reached."""
        return min(self.theme_index + 1, len(self.themes)), len(self.themes)


def writes_own_reflection(llm: LanguageModel) -> bool:
    """A stronger backend (``openai:``/``ollama:``) may write its own reflection, checked, with the bank's
    text as fallback; a 1.5B model cannot write a faithful one in Dutch, so the embedded model (and
    ``none``) only help to recognise the answer and the bank speaks."""
    return llm.available and not llm.name.startswith("embedded")


Shown = TypeVar("Shown", SessionView, SessionContent)


def coach_for(settings: Settings, retriever: Retriever, llm: LanguageModel) -> SignalChooser | None:
    """The coaching bank and what recognises its signals, for every backend; None without bank files
    (then the template is used)."""
    bank = coaching_bank(settings.prompts_dir)
    if not bank.themes:
        return None
    model = llm if settings.signal_choice == "model" else None
    return SignalChooser(bank, retriever.index.embeddings, model, cache_dir=examples_cache(settings))


class ReflectionEngine:
    def __init__(
        self,
        settings: Settings,
        retriever: Retriever,
        llm: LanguageModel,
        *,
        bank: QuestionBank | None = None,
        prompts: ReflectionPrompts | None = None,
        conn: sqlite3.Connection | None = None,
    ):
        self.settings = settings
        self.bank = bank or question_bank(settings.prompts_dir)
        if conn is None:
            conn = sessions_connection(settings)  # read-only when the data directory is
        self.conn = conn
        self.checkpointer = SqliteSaver(conn)
        self.sessions = SessionStore(conn, settings.data_dir)
        self.retriever, self.llm = retriever, llm
        self.prompts = prompts or reflection_prompts(settings.prompts_dir)
        self.coach = coach_for(settings, retriever, llm)
        self.graph = build_graph(self.checkpointer)
        self._finished: dict[str, tuple[str, dict[str, int] | None]] = {}  # id → (updated, scores)
        self._turns: dict[str, threading.RLock] = {}  # one run at a time per session (``_one_at_a_time``)
        self._turns_guard = threading.Lock()

    def _one_at_a_time(self, session_id: str) -> threading.RLock:
        """A session's lock. A person who sends again while the guide still answers starts a second run of
        the page (Streamlit's fast reruns) beside the first: without the lock it would read the session
        before the first answer is saved, and save its own on top of it, and the first would be lost."""
        with self._turns_guard:
            return self._turns.setdefault(session_id, threading.RLock())

    @staticmethod
    def _config(session_id: str) -> RunnableConfig:
        return {"configurable": {"thread_id": session_id}}

    def _context(self, person: Retriever | None = None) -> Context:
        """What the graph's nodes need for one run; ``person`` is the person's own retriever (the report
        plus their documents), else the report's."""
        return Context(
            settings=self.settings,
            llm=self.llm,
            bank=self.bank,
            prompts=self.prompts,
            report=self.retriever,
            person=person or self.retriever,
            coach=self.coach,
            writes=writes_own_reflection(self.llm),
        )

    def start(
        self,
        role: Role,
        lang: Language,
        *,
        route_id: str | None = None,
        themes: list[str] | None = None,
        mode: Mode = "guided",
        title: str | None = None,
        owner: str = "",
        questions: dict[str, str] | None = None,
    ) -> SessionView:
        """Open a new session: a route, a free choice of themes (in the order given), or the free-question mode.
        ``questions`` picks, per theme, another of the role's questions than the first (an id the bank does not
        have for that theme and role leaves the first)."""
        self._check_choice(role, route_id, themes)
        if mode == "ask":
            chosen: list[str] = []
        elif route_id:
            chosen = list(self.bank.route(route_id).themes)
        else:
            chosen = list(dict.fromkeys(themes)) if themes else [t.id for t in self.bank.ordered_themes()]
        session_id = uuid.uuid4().hex[:12]
        default_title = (
            self.bank.route(route_id).title(lang)
            if route_id
            else t("session.title_ask" if mode == "ask" else "session.title_reflection", lang)
        )
        info = SessionInfo(
            id=session_id,
            title=title or f"{default_title} — {now()[:10]}",
            role=role,
            lang=lang,
            mode=mode,
            route=route_id,
            created=now(),
            updated=now(),
            owner=owner,
        )
        self.sessions.add(info)
        initial: ReflectionState = {
            "role": role,
            "lang": lang,
            "mode": mode,
            "route_id": route_id,
            "themes": chosen,
            "theme_index": 0,
            "questions": dict(questions or {}),
        }
        self.graph.invoke(initial, self._config(session_id), context=self._context())
        return self.view(session_id)

    def _check_choice(self, role: str, route_id: str | None, themes: list[str] | None) -> None:
        """A role, route or theme the bank does not have is said plainly (the command line takes them as typed)."""
        known = {
            "error.unknown_role": (get_args(Role), [role]),
            "error.unknown_route": ([r.id for r in self.bank.routes], [route_id] if route_id else []),
            "error.unknown_theme": ([t.id for t in self.bank.ordered_themes()], themes or []),
        }
        for key, (valid, given) in known.items():
            if unknown := next((value for value in given if value not in valid), None):
                raise InputError(key, value=unknown, valid=", ".join(valid))

    def send(
        self,
        session_id: str,
        data: Input | dict[str, Any],
        *,
        on_passages: Callable[[list], None] | None = None,
        on_token: Callable[[str], None] | None = None,
        on_wait: Callable[[int], None] | None = None,
        retriever: Retriever | None = None,
    ) -> SessionView:
        """Give the session what the person said or chose, and run it to its next pause. The callbacks
        stream an answer or a reflection: its passages first, then its tokens (``on_wait`` tells the place
        in line before that). ``retriever`` adds the person's own documents to what answers draw on."""
        self._info(session_id)
        payload = data if isinstance(data, Input) else Input.model_validate(data)
        with self._one_at_a_time(session_id):
            events = self.graph.stream(
                Command(resume=payload.model_dump()),
                self._config(session_id),
                context=self._context(retriever),
                stream_mode="custom",
            )
            for event in events:  # what the nodes send on LangGraph's custom stream, handed to the callbacks
                if isinstance(event, Passages) and on_passages:
                    on_passages(event.citations)
                elif isinstance(event, Token) and on_token:
                    on_token(event.text)
                elif isinstance(event, Place) and on_wait:
                    on_wait(event.position)
            self.sessions.touch(session_id)
            return self.view(session_id)

    def view(self, session_id: str) -> SessionView:
        info = self._info(session_id)
        with self._one_at_a_time(session_id):  # not while a run of it is under way: it would run that step again
            values = self._current_state(session_id).values
        view = SessionView(
            info=info,
            turns=values.get("turns", []),
            waiting_for=values.get("waiting_for"),
            themes=values.get("themes", []),
            theme_index=values.get("theme_index", 0),
            scores=values.get("scores", {}),
            synthesis=values.get("synthesis"),
        )
        return self._summary_as_it_stands(view, info.lang)

    def _current_state(self, session_id: str) -> Any:
        """The session's saved state. A crash while the model was writing leaves a step started but not
        done (everything said before it is saved); that step is run again first, so the conversation goes
        on where it was."""
        config = self._config(session_id)
        snapshot = self.graph.get_state(config)
        if snapshot.next and not any(task.interrupts for task in snapshot.tasks):
            self.graph.invoke(None, config, context=self._context())
            snapshot = self.graph.get_state(config)
        return snapshot

    def _info(self, session_id: str) -> SessionInfo:
        info = self.sessions.get(session_id)
        if info is None:
            raise SessionNotFoundError(session_id=session_id)
        return info

    def list(self, owner: str | None = None) -> list[SessionInfo]:
        return self.sessions.list(owner)

    def finished_scores(self, owner: str) -> dict[str, dict[str, int]]:
        """Self-assessment scores of the owner's finished sessions, to lay one beside another. Kept per
        saved version: the summary page reruns on every click, and reading each session's state every
        time would grow with the number of sessions."""
        found: dict[str, dict[str, int]] = {}
        for info in self.list(owner):
            version, scores = self._finished.get(info.id, (None, None))
            if version != info.updated:
                view = self.view(info.id)
                scores = view.scores if view.synthesis and view.synthesis.themes else None
                self._finished[info.id] = (info.updated, scores)
            if scores is not None:
                found[info.id] = scores
        return found

    def owned(self, session_id: str, owner: str) -> bool:
        info = self.sessions.get(session_id)
        return info is not None and info.owner == owner

    def rename(self, session_id: str, title: str) -> None:
        if not self.sessions.rename(session_id, title):
            raise SessionNotFoundError(session_id=session_id)

    def delete(self, session_id: str) -> None:
        if not self.sessions.delete(session_id):
            raise SessionNotFoundError(session_id=session_id)
        self.checkpointer.delete_thread(session_id)

    def export(self, session_id: str, fmt: str) -> str:
        info = self._info(session_id)
        content = SessionContent.model_validate(self.graph.get_state(self._config(session_id)).values)
        content = self._summary_as_it_stands(content, info.lang)
        return export_markdown(info, content, self.bank) if fmt == "md" else export_json(info, content)

    def _summary_as_it_stands(self, content: Shown, lang: str) -> Shown:
        """The session with its summary message written anew from the synthesis as it stands: the person
        may have confirmed or corrected a proposed value cycle since it was first said (the conversation,
        the summary page and the exports then say the same)."""
        if content.synthesis is None:
            return content
        text = synthesis_markdown(content.synthesis, self.prompts[lang])  # type: ignore[index]
        turns = [t.model_copy(update={"text": text}) if t.kind == "synthesis" else t for t in content.turns]
        return content.model_copy(update={"turns": turns})
