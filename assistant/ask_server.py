"""Whole questions answered for other SLIM processes, so a fresh ``slim ask`` starts warm (issue 13).

A process that keeps everything loaded (``slim models serve``, the app) answers ``slim ask``'s question
itself: its index, the report's search snapshot, the embedding model and the language model are already
in memory, while a fresh process would spend seconds importing and loading them. It listens on 127.0.0.1
behind a key and records itself in ``<data dir>/ask-server.json`` (owner-only, like the model server's
record): process id, port, key, and a digest of its settings and of SLIM's code and prompts as they were
when it started. ``slim ask`` sends its question there only when its own digest is the same (the same
settings, code and prompts: the answer is the one it would compute itself) and the process lives; a
refusal, a wrong key, a dead or busy-failing server means it answers on its own, as before.

The answer comes back as lines of JSON: each piece of text as the answer is written (``piece``), then the
answer itself (``answer``), or ``error`` — so the person sees the first words when the server has them.
This module imports little (no index, no models): the asking process stays small.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import http.client
import http.server
import json
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assistant.config import Settings
from assistant.domain import Answer
from assistant.model_server import alive, write_private

log = logging.getLogger(__name__)

RECORD_NAME = "ask-server.json"
CONNECT_TIMEOUT_S = 1.0
"""How long the recorded server may take to accept the question before this process answers it itself."""
ANSWER_TIMEOUT_S = 600.0
"""How long a served answer may take once accepted (the model may be busy with the app's people)."""
MAX_REQUEST_BYTES = 64 * 1024
CODE_DIR = Path(__file__).resolve().parent

Answerer = Callable[["AskRequest", Callable[[str], None]], Answer]
"""Answers one request; calls its second argument with each piece of text as the answer is written."""


class AskRecord(BaseModel):
    """A process that answers other processes' questions, as recorded in the data directory."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pid: int = Field(gt=0)
    port: int = Field(ge=1, le=65535)
    """on 127.0.0.1 — the address is never read from the file"""
    key: str = Field(min_length=16)
    settings: str = Field(min_length=64, max_length=64)
    """``settings_digest`` of the serving process: an asking process with another digest answers itself"""


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str
    workspace: str
    settings: str
    """the asking process's digest, checked again by the server"""


class AskLine(BaseModel):
    """One line of the reply: a piece of the answer as it is written, the answer, or why there is none."""

    model_config = ConfigDict(extra="forbid")

    piece: str | None = None
    answer: Answer | None = None
    error: str | None = None


class Served(BaseModel):
    """A question answered by another process, and when its first words arrived here."""

    answer: Answer
    first_piece_at: float | None
    """``time.time()`` when the first piece of text arrived; None when the answer has no text of the model's"""


def record_file(settings: Settings) -> Path:
    return settings.data_dir / RECORD_NAME


def settings_digest(settings: Settings) -> str:
    """What must be the same for another process's answer to be this one's: every setting but the
    workspace (sent with the question), paths resolved, and SLIM's code and prompt files as they are
    (name, size and modification time: an edited file makes a running server's answers another's)."""
    values = settings.model_dump(mode="json", exclude={"workspace", "openai_api_key"})
    for name, value in settings.model_dump(exclude={"workspace"}).items():
        if isinstance(value, Path):
            values[name] = str(value.resolve())
    digest = hashlib.sha256(json.dumps(values, sort_keys=True).encode())
    digest.update(settings.openai_api_key.get_secret_value().encode())
    for folder, pattern in ((CODE_DIR, "*.py"), (settings.prompts_dir.resolve(), "*")):
        for path in sorted(folder.rglob(pattern)):
            with contextlib.suppress(OSError):
                info = path.stat()
                digest.update(f"\n{path}\t{info.st_size}\t{info.st_mtime_ns}".encode())
    return digest.hexdigest()


def read_record(settings: Settings) -> AskRecord | None:
    try:
        return AskRecord.model_validate_json(record_file(settings).read_text(encoding="utf-8"))
    except (OSError, ValueError, ValidationError):
        return None


def _listening(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=CONNECT_TIMEOUT_S):
        return True
    return False


class AskServer:
    """Answers questions from other SLIM processes of this user with ``answer``, on a loopback port,
    one thread per question (the language model's own queue orders them)."""

    def __init__(self, settings: Settings, answer: Answerer):
        self.settings = settings
        self.digest = settings_digest(settings)
        self.key = secrets.token_urlsafe(24)
        self._answer = answer
        self._http = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._http.daemon_threads = True
        self.port = int(self._http.server_address[1])
        threading.Thread(target=self._http.serve_forever, daemon=True, name="slim-ask-server").start()

    @property
    def record(self) -> AskRecord:
        return AskRecord(pid=os.getpid(), port=self.port, key=self.key, settings=self.digest)

    def publish(self) -> bool:
        """Record this server for other processes, unless another live one is recorded already (the first
        stays; a stale record is replaced). False when it was not recorded."""
        found = read_record(self.settings)
        if found is not None and found.port != self.port and alive(found.pid) and _listening(found.port):
            return False
        return write_private(record_file(self.settings), self.record.model_dump_json())

    def withdraw(self) -> None:
        """Stop offering answers: the record goes (if it is this server's), then the port closes."""
        found = read_record(self.settings)
        if found is not None and found.pid == os.getpid() and found.port == self.port:
            with contextlib.suppress(OSError):
                record_file(self.settings).unlink()
        self._http.shutdown()
        self._http.server_close()

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the name http.server calls)
                request = self._request()
                if request is None:
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/x-ndjson")
                self.end_headers()
                try:
                    answer = outer._answer(request, lambda piece: self._line(AskLine(piece=piece)))
                    self._line(AskLine(answer=answer))
                except OSError:  # the asking process went away
                    return
                except Exception as exc:  # the asking process answers itself, and says what goes wrong
                    log.info("a served question failed: %r", exc)
                    with contextlib.suppress(OSError):
                        self._line(AskLine(error=type(exc).__name__))

            def _request(self) -> AskRequest | None:
                """The request when it is one to answer; otherwise the refusal is sent and None returned."""
                header = self.headers.get("Authorization", "")
                if not hmac.compare_digest(header.encode(), f"Bearer {outer.key}".encode()):
                    return self._refuse(401)
                if self.path != "/ask":
                    return self._refuse(404)
                try:
                    size = int(self.headers.get("Content-Length", ""))
                except ValueError:
                    return self._refuse(411)
                if not 0 < size <= MAX_REQUEST_BYTES:
                    return self._refuse(413)
                try:
                    request = AskRequest.model_validate_json(self.rfile.read(size))
                except ValidationError:
                    return self._refuse(400)
                if not hmac.compare_digest(request.settings, outer.digest):
                    return self._refuse(409)
                return request

            def _refuse(self, status: int) -> None:
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def _line(self, line: AskLine) -> None:
                self.wfile.write(line.model_dump_json().encode() + b"\n")
                self.wfile.flush()

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                log.debug("ask server: " + format, *args)

        return Handler


def ask_served(settings: Settings, question: str, on_piece: Callable[[str], None] | None = None) -> Served | None:
    """``question`` answered by the process recorded in the data directory, when there is one this process
    may use (see the module's docstring); None when it must answer itself. ``on_piece`` gets the answer's
    text as it arrives."""
    record = read_record(settings)
    if record is None or not alive(record.pid):
        return None
    digest = settings_digest(settings)
    if not hmac.compare_digest(record.settings, digest):
        log.info("not asking the server on port %s: other settings, code or prompts", record.port)
        return None
    body = AskRequest(question=question, workspace=settings.workspace, settings=digest).model_dump_json().encode()
    headers = {"Authorization": f"Bearer {record.key}", "Content-Type": "application/json"}
    connection = http.client.HTTPConnection("127.0.0.1", record.port, timeout=CONNECT_TIMEOUT_S)
    first: float | None = None
    try:
        connection.request("POST", "/ask", body=body, headers=headers)
        if connection.sock is not None:
            connection.sock.settimeout(ANSWER_TIMEOUT_S)
        response = connection.getresponse()
        if response.status != 200:
            log.info("the server on port %s refused the question (%s)", record.port, response.status)
            return None
        for raw in response:
            line = AskLine.model_validate_json(raw)
            if line.piece is not None:
                first = first or time.time()
                if on_piece:
                    on_piece(line.piece)
            elif line.answer is not None:
                return Served(answer=line.answer, first_piece_at=first)
            else:
                log.info("the server on port %s could not answer: %s", record.port, line.error)
                return None
    except (OSError, http.client.HTTPException, ValidationError) as exc:
        log.info("no answer from the server on port %s: %s", record.port, exc)
    finally:
        connection.close()
    return None
