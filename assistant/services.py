"""The composition root: the one place that builds SLIM's shared parts from ``Settings``.

The app caches one ``Services`` per process (``st.cache_resource``) and the command line builds one per
command, so both get the same retriever, model, engine, session store and warm-up. Nothing here holds
anything of one person: per-person state lives in the app's session state and in their session records.

Each part is built on first use (under a lock, so two people arriving at once get the same one): a
command that only lists sessions never starts a language model or writes a secret key.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, TypeVar

from assistant.config import Settings
from assistant.errors import SlimError
from assistant.i18n import use_prompts_dir
from assistant.llm import LanguageModel, make_llm

if TYPE_CHECKING:
    from assistant.ask_server import AskServer
    from assistant.domain import Answer
    from assistant.index import PassageStore
    from assistant.owners import Owners
    from assistant.prompts import QuestionBank
    from assistant.reflection.engine import ReflectionEngine
    from assistant.retrieve import Retriever
    from assistant.workspace import Workspaces

log = logging.getLogger(__name__)

WARM_UP_QUESTION = "Wat is lerend vermogen?"
"""Asked once at start-up (app) or before a measurement (``slim eval answers``): the first search builds the
report's search snapshot, the first model call computes the fixed prompt prefix."""

T = TypeVar("T")


class Services:
    """SLIM's shared parts for one process.

    ``tolerant`` is the app's policy: a part that cannot start leaves the rest working — no language model
    means extractive answers (``llm_error`` says why), a damaged sessions database means no sessions
    (``sessions_error`` says why). The command line is strict: the error stops the command with its one line.
    """

    def __init__(
        self, settings: Settings, *, tolerant: bool = False, llm: LanguageModel | None = None, once: bool = False
    ):
        self.settings = settings
        self.tolerant = tolerant
        self.once = once  # a command that asks once: another process's model server, or its own loaded aside
        self.llm_error: SlimError | None = None
        self.sessions_error: SlimError | None = None
        self._lock = threading.RLock()
        self._parts: dict[str, object] = {}
        if llm is not None:
            self._parts["llm"] = llm

    def _once(self, name: str, build: Callable[[], T]) -> T:
        with self._lock:
            if name not in self._parts:
                self._parts[name] = build()
            return self._parts[name]  # type: ignore[return-value]

    @property
    def report(self) -> PassageStore:
        """The report's index, shared by everyone and only read."""
        from assistant.index import open_index

        return self._once("report", lambda: open_index(self.settings))

    @property
    def retriever(self) -> Retriever:
        """Search over the report alone (the study view, warm-up); people's documents come from ``workspaces``."""
        from assistant.retrieve import Retriever

        return self._once("retriever", lambda: Retriever(self.report, self.settings.prompts_dir))

    @property
    def llm(self) -> LanguageModel:
        """The configured language model; when tolerant and it cannot start, ``none`` (extractive answers)."""
        return self._once("llm", self._model)

    def _model(self, share: bool = False) -> LanguageModel:
        try:
            return make_llm(self.settings, reuse=self.once, share=share, background=self.once)
        except SlimError as exc:  # no model installed: the guide still works, extractively
            if not self.tolerant:
                raise
            self.llm_error = exc
            return LanguageModel("none", None)

    @property
    def engine(self) -> ReflectionEngine | None:
        """The reflection engine with its session store; None (tolerant only) while the sessions database
        is damaged — everything else still works."""
        return self._once("engine", self._engine)

    def _engine(self) -> ReflectionEngine | None:
        from assistant.reflection.engine import ReflectionEngine
        from assistant.sessiondb import SessionsDamagedError

        try:
            return ReflectionEngine(self.settings, self.retriever, self.llm, bank=self.bank)
        except SessionsDamagedError as exc:
            if not self.tolerant:
                raise
            log.error("sessions database damaged: %s", exc)
            self.sessions_error = exc
            return None

    @property
    def bank(self) -> QuestionBank:
        from assistant.prompts import question_bank

        return self._once("bank", lambda: question_bank(self.settings.prompts_dir))

    @property
    def workspaces(self) -> Workspaces[Retriever]:
        """Every person's (or command-line workspace's) documents, each searched together with the report."""
        from assistant.retrieve import Retriever
        from assistant.workspace import Workspaces

        search = partial(Retriever, prompts_dir=self.settings.prompts_dir)
        return self._once("workspaces", lambda: Workspaces(self.settings, self.report, search))

    @property
    def owners(self) -> Owners:
        """Page keys of the app (writes the data directory's secret on first use)."""
        from assistant.owners import Owners

        def build() -> Owners:
            engine = self.engine
            return Owners(self.settings.data_dir, engine.sessions if engine else None, self.workspaces)

        return self._once("owners", build)

    def start(self) -> Services:
        """Build every part now and warm up in the background: for the app, whose first visitor should not
        wait for what the process can do before they arrive. Its model server is offered to other SLIM
        processes (``slim ask``) while it runs."""
        self._once("llm", partial(self._model, share=True))
        for part in ("report", "retriever", "llm", "engine", "bank", "workspaces", "owners"):
            getattr(self, part)
        self.warm_up_in_background()
        self.offer_answers()
        return self

    def keep_warm(self) -> AskServer | None:
        """For ``slim models serve``: the model (offered to other processes), one whole answer to the
        warm-up question in the configured workspace (the index, the search snapshot, the sentences, the
        model's prefix), then answers for other processes; no sessions, no page keys."""
        self._once("llm", partial(self._model, share=True))
        self.answer_for(WARM_UP_QUESTION, self.settings.workspace)
        return self.offer_answers()

    def offer_answers(self) -> AskServer | None:
        """Answer other SLIM processes' questions (``slim ask``) with this process's loaded parts, while it
        runs (``assistant.ask_server``); None when its model is not the configured one (it could not
        start: a fresh process would try itself) or the data directory takes no record."""
        from assistant.ask_server import AskServer

        if self.llm_error is not None:
            return None

        def build() -> AskServer | None:
            server = AskServer(
                self.settings, lambda asked, on_token: self.answer_for(asked.question, asked.workspace, on_token)
            )
            if not server.publish():
                server.withdraw()
                return None
            import atexit

            atexit.register(server.withdraw)
            return server

        return self._once("ask_server", build)

    def answer_for(self, question: str, workspace: str, on_token: Callable[[str], None] | None = None) -> Answer:
        """A free question answered from the report and the workspace's documents, the one way for both
        paths of ``slim ask``: in its own process (``once``) and for another process (``ask_server``).
        The model's fixed prefix for the question's language comes first, restored from disk: a process
        that asks once has it restored aside, while its model may still be loading and the question is
        searched; a process that keeps running restores it before searching (another request may have
        left the model's one slot holding another prompt, and the search takes it a few milliseconds)."""
        model = self.llm  # first: a model loading in a child process loads while this one imports
        from assistant.answer import answer_prefix, answer_question
        from assistant.i18n import detect_language

        prefix = answer_prefix(model, self.settings.prompts_dir, detect_language(question, default=self.settings.lang))

        def warm() -> None:
            with contextlib.suppress(Exception):  # a model that cannot answer fails the choice, which says so
                model.warm(prefix)

        if self.once:
            threading.Thread(target=warm, daemon=True, name="slim-warm").start()
        else:
            warm()
        retriever = self.workspaces.get(workspace)[1]
        return answer_question(question, retriever, model, self.settings, on_token=on_token)

    def warm_up(self) -> None:
        """The first search builds the report's search snapshot; the model gets its fixed prompt prefix
        (restored from disk after the first run). A failed warm-up only means a slower first answer."""
        from assistant.answer import answer_prefix

        with contextlib.suppress(Exception):
            self.retriever.search(WARM_UP_QUESTION, k=1)
            self.llm.warm(answer_prefix(self.llm, self.settings.prompts_dir, self.settings.lang))

    def warm_up_in_background(self) -> None:
        """``warm_up`` without keeping anyone waiting: done before the first person asks, when there is a model."""
        if self.llm.available:
            threading.Thread(target=self.warm_up, daemon=True, name="slim-warm-up").start()


def build_services(
    settings: Settings, *, tolerant: bool = False, llm: LanguageModel | None = None, once: bool = False
) -> Services:
    """SLIM's shared parts for ``settings``: the app asks for ``tolerant=True`` and caches the result, the
    command line builds them strict (``llm`` overrides the model, e.g. ``none`` for commands without one;
    ``once`` for a command that asks once and ends: the model server another SLIM process offers, or its
    own loaded in a child process while the command goes on).
    The messages are read from ``settings.prompts_dir`` from here on."""
    use_prompts_dir(settings.prompts_dir)
    return Services(settings, tolerant=tolerant, llm=llm, once=once)
