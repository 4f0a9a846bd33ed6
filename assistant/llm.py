"""Chat models behind one LangChain interface, chosen by ``SLIM_LLM``.

- ``embedded`` (default): llama.cpp's own server runs inside this process (xllamacpp) and listens on
  127.0.0.1 only, behind a key made for it; SLIM talks to it over its OpenAI-compatible API, its choices
  and warm-ups in plain HTTP (``LanguageModel.ask``, the request LangChain's client would send) so that a
  short process does not import that client. A process that keeps its server up (the app, ``slim models
  serve``) offers it to other SLIM processes (``assistant.model_server``), and a short one (``slim ask``) uses
  it instead of loading the model itself.
- ``openai:<model>``: any OpenAI-compatible server at ``SLIM_OPENAI_BASE_URL`` (vLLM, llama.cpp, LM Studio,
  a hosted endpoint — the one way data can leave the machine, and only when a person configures it).
- ``ollama:<model>``: a local Ollama.
- ``none``: no language model; the guide and the answers still work, extractively.
"""

from __future__ import annotations

import atexit
import hashlib
import itertools
import json
import logging
import os
import re
import secrets
import socket
import threading
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.config import Settings
from assistant.errors import SlimError
from assistant.models import require

if TYPE_CHECKING:  # LangChain loads when a chat model is made: `slim ask` starts its model server first
    from langchain_core.language_models import BaseChatModel

log = logging.getLogger(__name__)

VALID_SPECS = "embedded | openai:<model> | ollama:<model> | none"
_PLAIN = re.compile(r"[A-Za-z0-9_-]+")


class UnknownLLMError(SlimError):
    key = "error.unknown_llm"
    exit_code = 2


class RequestQueue:
    """Language-model requests take turns here, first come first served, so that a person can be told
    where their answer is in line. The embedded model answers one request at a time (``slots``)."""

    def __init__(self, slots: int = 1):
        self.slots = slots
        self._busy = 0
        self._line: list[int] = []
        self._tickets = itertools.count()
        self._changed = threading.Condition()

    @property
    def waiting(self) -> int:
        return len(self._line)

    @contextmanager
    def turn(self, on_wait: Callable[[int], None] | None = None) -> Iterator[None]:
        """Wait for a free slot; ``on_wait(position)`` is called whenever the place in line changes."""
        ticket = next(self._tickets)
        told = 0
        with self._changed:
            self._line.append(ticket)
            while self._busy >= self.slots or self._line[0] != ticket:
                position = self._line.index(ticket) + 1
                if on_wait and position != told:
                    on_wait(position)
                    told = position
                self._changed.wait()
            self._line.pop(0)
            self._busy += 1
            self._changed.notify_all()  # everyone behind moved up one place
        try:
            yield
        finally:
            with self._changed:
                self._busy -= 1
                self._changed.notify_all()


@dataclass
class LanguageModel:
    """A chat model plus what the UI and benchmarks say about it; ``chat`` is None for ``none``."""

    name: str
    chat: BaseChatModel | None
    """LangChain's chat model; for the embedded model made on first use (``connect``)"""
    server: Any = None  # keeps the embedded server alive as long as the model is in use
    queue: RequestQueue = field(default_factory=RequestQueue)
    slots: Path | None = None  # where the embedded server keeps computed prompt prefixes between processes
    address: str | None = None
    """the embedded server's base address (http://127.0.0.1:port), its own or another process's"""
    key: str | None = field(default=None, repr=False)
    """the key the embedded server asks on every request"""
    shared: bool = False
    """the server is another SLIM process's (``assistant.model_server``), not started by this one"""
    ready: Callable[[], None] | None = field(default=None, repr=False)
    """waits until the server listens (one still loading in a child process); raises if it cannot start"""
    chooses: bool = False
    """answers a free question by choosing the report's sentence that answers it, under a JSON schema (the
    embedded model: people write what SLIM says, a 1.5B model only understands and chooses); False: the
    model writes its own answer, under the checks (``openai:``, ``ollama:``)"""
    connect: Callable[[], BaseChatModel] | None = field(default=None, repr=False)
    """makes ``chat`` when it is first needed: the embedded server's choices and warm-ups are asked directly
    (``ask``), so a `slim ask` never imports LangChain's OpenAI client (0.75 s before its first answer)"""
    sampling: dict[str, Any] = field(default_factory=dict)
    """what every direct request to the embedded server carries (temperature, repeat penalty, prompt cache),
    as LangChain's client sends it"""

    def __post_init__(self) -> None:
        if self.address is None and self.server is not None:
            self.address = str(self.server.listening_address)

    @property
    def available(self) -> bool:
        return self.chat is not None or self.connect is not None or self.address is not None

    def client(self) -> BaseChatModel:
        """The chat model, made now if it was left for its first use."""
        with _CONNECTING:
            if self.chat is None and self.connect is not None:
                self.chat = self.connect()
        if self.chat is None:
            raise RuntimeError(f"{self.name} has no chat model")
        return self.chat

    def ask(self, messages: list[Any], **options: Any) -> str:
        """The embedded server's reply to ``messages``, asked over its OpenAI-compatible API without LangChain:
        the request LangChain's client sends (``tests/unit/test_llm_requests.py`` compares them), not streamed.
        ``options`` are request fields (``max_completion_tokens``, ``grammar``, ``response_format``)."""
        payload = {
            "model": "local",
            "stream": False,
            "messages": [{"content": m.content, "role": _ROLES[m.type]} for m in messages],
            **self.sampling,
            **options,
        }
        reply = self._post("/v1/chat/completions", payload, timeout=300)
        return str(json.loads(reply)["choices"][0]["message"]["content"])

    def _post(self, path: str, payload: dict[str, Any], timeout: float) -> bytes:
        headers = {"Content-Type": "application/json"}
        if self.key:
            headers["Authorization"] = f"Bearer {self.key}"
        request = urllib.request.Request(f"{self.address}{path}", data=json.dumps(payload).encode(), headers=headers)
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.read()

    def warm(self, prefix: list[Any], keep: bool = True) -> str:
        """Have the fixed start of a prompt (system prompt and examples) computed before the first request
        needs it; servers keep it in their prompt cache. The embedded server also saves the computed state
        to disk once and restores it in every later process (llama.cpp's slot save/restore), so a fresh
        process does not read the prefix again (``keep=False``: only computed, for prefixes that change
        with what the person is doing). Returns what happened: restored | computed | skipped."""
        if not self.available:
            return "skipped"
        from langchain_core.messages import HumanMessage

        text = json.dumps([[m.type, m.content] for m in prefix], ensure_ascii=False)
        name = hashlib.sha256(f"{self.name}\n{text}".encode()).hexdigest()[:24] + ".bin"
        saving = keep and self.address is not None and self.slots is not None
        with self.queue.turn():
            self._wait_ready()
            if saving and (self.slots / name).exists() and self._slot("restore", name):  # type: ignore[operator]
                return "restored"
            if self.address is not None:
                self.ask([*prefix, HumanMessage("?")], max_completion_tokens=1)
            else:
                self.client().invoke([*prefix, HumanMessage("?")], max_tokens=1)
            if saving:
                self._slot("save", name)
        return "computed"

    def _wait_ready(self) -> None:
        """Called in the request's turn: the first request waits for a server still loading, the rest
        queue behind it."""
        if self.ready is not None:
            self.ready()

    def _slot(self, action: str, filename: str) -> bool:
        """Save or restore the server's one slot; False when the server refuses (e.g. a stale file)."""
        try:
            self._post(f"/slots/0?action={action}", {"filename": filename}, timeout=60)
            return True
        except OSError as exc:
            log.info("slot %s of %s failed: %s", action, filename, exc)
            return False

    def structured(
        self,
        messages: list[Any],
        schema: dict[str, Any],
        max_tokens: int = 24,
        on_wait: Callable[[int], None] | None = None,
    ) -> str:
        """The model's reply constrained to ``schema`` (llama.cpp turns it into a grammar: the reply can
        only be JSON that fits it), once it is this request's turn; raw text, for the caller to parse.

        On the embedded server a choice of one value (``{"answer": "<1–4 or none>"}``) is asked as the
        reply's fixed opening (``{"answer": "``, given as the start of the model's turn) and a grammar of
        the values: the model then writes 3 tokens (the value, the closing, the end) instead of 7 — the
        tokens it would have been forced to write anyway, so it chooses the same."""
        opening = choice_opening(schema) if self.address is not None else None
        response_format = {"type": "json_schema", "json_schema": {"name": "choice", "schema": schema}}
        with self.queue.turn(on_wait):
            self._wait_ready()
            if opening is not None:
                from langchain_core.messages import AIMessage

                text = self.ask(
                    [*messages, AIMessage(opening[0])], max_completion_tokens=max_tokens, grammar=opening[1]
                )
                return text if text.startswith(opening[0]) else opening[0] + text
            if self.address is not None:
                return self.ask(messages, max_completion_tokens=max_tokens, response_format=response_format)
            reply = self.client().invoke(messages, max_tokens=max_tokens, response_format=response_format)
        return str(reply.content)

    def pieces(self, messages: list[Any], on_wait: Callable[[int], None] | None = None) -> Iterator[str]:
        """The model's answer as it is written, piece by piece, once it is this request's turn."""
        with self.queue.turn(on_wait):
            self._wait_ready()
            for chunk in self.client().stream(messages):
                yield chunk.text if isinstance(chunk.text, str) else str(chunk.content)


_ROLES = {"system": "system", "human": "user", "ai": "assistant"}
_CONNECTING = threading.Lock()


def choice_opening(schema: dict[str, Any]) -> tuple[str, str] | None:
    """For a schema that asks one string out of a list (an object with one required property and its
    ``enum``): the reply's fixed opening and a llama.cpp grammar (GBNF) for the rest; None for any other
    schema, or values that are not plain words."""
    properties = schema.get("properties")
    if schema.get("type") != "object" or not isinstance(properties, dict) or len(properties) != 1:
        return None
    ((key, spec),) = properties.items()
    values = spec.get("enum") if isinstance(spec, dict) else None
    plain = [key, *(values or [])]
    if (
        schema.get("required") != [key]
        or not values
        or not all(isinstance(v, str) and _PLAIN.fullmatch(v) for v in plain)
    ):
        return None
    opening = json.dumps({key: ""})[:-2]  # '{"answer": "'
    return opening, "root ::= (" + " | ".join(f'"{v}"' for v in values) + ') "\\"}"'


def free_port() -> int:
    """A loopback port nobody listens on now (for the embedded server, the app in benchmarks and tests)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def slots_dir(settings: Settings) -> Path | None:
    """Where computed prompt prefixes are kept (a stale or foreign file is refused by the server, then
    computed again); None where the models directory cannot be written."""
    slots = settings.model_dir / "slots"
    try:
        slots.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return slots


def embedded_params(
    settings: Settings, port: int | None = None, slots: Path | None = None, key: str | None = None
) -> dict[str, Any]:
    """The embedded server's parameters (``assistant.llm_process``); the model must be installed."""
    from assistant.llm_process import server_params

    model = str(require(settings.model_dir, settings.llm_model).resolve())
    where = str(slots.resolve()) if slots is not None else None
    return server_params(model, settings.llm_context, settings.llm_threads, port or free_port(), where, key)


def start_embedded_server(params: dict[str, Any]) -> tuple[Any, str]:
    """Start llama.cpp's server in this process with ``embedded_params``; returns it and its base URL. With
    a key the server answers only requests that carry it (``/health`` excepted)."""
    from assistant.llm_process import start_server

    server = start_server(params)
    return server, f"{server.listening_address}/v1"


def _embedded(settings: Settings, *, share: bool, child: bool = False) -> LanguageModel:
    """This process's own embedded server (offered to other processes with ``share``); with ``child`` it
    loads in a child process while this one goes on (``assistant.llm_process``)."""
    from assistant import model_server
    from assistant.llm_process import ChildServer
    from assistant.models import MODELS

    slots = slots_dir(settings)
    key = secrets.token_urlsafe(24)
    params = embedded_params(settings, slots=slots, key=key)  # the model file and slots folder, resolved once
    if child:
        server: Any = ChildServer(params)
        base_url, ready = f"{server.address}/v1", server.wait
    else:
        server, base_url = start_embedded_server(params)
        ready = None
    address = str(server.listening_address)
    model = LanguageModel(
        f"embedded:{settings.llm_model}",
        None,
        server,
        slots=slots,
        chooses=True,
        address=address,
        key=key,
        ready=ready,
        connect=partial(openai_compatible, settings, base_url, "local", key=key),
        sampling=embedded_sampling(settings),
    )
    if share:
        spec = MODELS[settings.llm_model]
        record = model_server.ServerRecord(
            pid=os.getpid(),
            port=int(address.rsplit(":", 1)[1]),
            model=spec.name,
            sha256=spec.sha256,
            path=params["model"],
            slots=params["slots"],
            key=key,
        )
        if model_server.publish(settings, record):
            atexit.register(model_server.withdraw, settings, os.getpid())
    return model


def _reused(settings: Settings) -> LanguageModel | None:
    """The model of a server another SLIM process offers, if there is one this process may use."""
    from assistant.model_server import running_server

    record = running_server(settings)
    if record is None:
        return None
    return LanguageModel(
        f"embedded:{settings.llm_model}",
        None,
        slots=Path(record.slots) if record.slots else None,
        chooses=True,
        address=record.address,
        key=record.key,
        shared=True,
        connect=partial(openai_compatible, settings, f"{record.address}/v1", "local", key=record.key),
        sampling=embedded_sampling(settings),
    )


def embedded_sampling(settings: Settings) -> dict[str, Any]:
    """The fields of every direct request to the embedded server besides its messages and limits, the ones
    ``openai_compatible``'s client sends."""
    return {
        "temperature": settings.llm_temperature,
        "repeat_penalty": settings.llm_repeat_penalty,
        "cache_prompt": True,
    }


def openai_compatible(settings: Settings, base_url: str, model: str, key: str | None = None) -> BaseChatModel:
    """A chat model on an OpenAI-compatible server; ``key`` instead of ``SLIM_OPENAI_API_KEY`` (the
    embedded server's own)."""
    from langchain_openai import ChatOpenAI
    from pydantic import SecretStr

    return ChatOpenAI(
        model=model,
        base_url=base_url,
        api_key=SecretStr(key) if key else settings.openai_api_key,
        temperature=settings.llm_temperature,
        max_completion_tokens=settings.llm_max_tokens,
        streaming=True,
        timeout=300,
        max_retries=0,
        extra_body={"repeat_penalty": settings.llm_repeat_penalty, "cache_prompt": True},
    )


def make_llm(
    settings: Settings, *, reuse: bool = False, share: bool = False, background: bool = False
) -> LanguageModel:
    """The language model named by ``settings.llm`` (see ``VALID_SPECS``). For ``embedded``: ``reuse``
    uses a server another SLIM process offers (``assistant.model_server``) when there is a usable one, for
    a process that asks once and ends; ``share`` offers this process's own server to others, for one
    that keeps running (it never depends on another process's server); ``background`` loads this
    process's own server in a child process and returns at once (the first request waits for it)."""
    kind, _, arg = settings.llm.partition(":")
    match kind.strip().lower():
        case "embedded":
            reused = _reused(settings) if reuse and not share else None
            return reused if reused is not None else _embedded(settings, share=share, child=background)
        case "openai" if arg and settings.openai_base_url:
            return LanguageModel(f"openai:{arg}", openai_compatible(settings, settings.openai_base_url, arg))
        case "ollama" if arg:
            from langchain_ollama import ChatOllama

            chat = ChatOllama(
                model=arg,
                base_url=settings.ollama_base_url,
                temperature=settings.llm_temperature,
                num_predict=settings.llm_max_tokens,
                repeat_penalty=settings.llm_repeat_penalty,
            )
            return LanguageModel(f"ollama:{arg}", chat)
        case "none":
            return LanguageModel("none", None)
        case _:
            raise UnknownLLMError(spec=settings.llm, valid=VALID_SPECS)
