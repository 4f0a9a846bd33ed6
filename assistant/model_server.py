"""One embedded model server that other SLIM processes on this machine may use, so a fresh ``slim ask``
starts warm when the app or ``slim models serve`` already has the model loaded (issue 13).

A process that keeps a server up (the app, ``slim models serve``) records it in
``<data dir>/model-server.json``: its process id, its port on 127.0.0.1, the model's name, sha256 and file,
where its computed prompt prefixes are kept, and the key the server asks on every request. Another process
uses that server only when all of it still holds — the process lives, a server answers on 127.0.0.1 at that
port with that key, it serves that file, and the file is the verified model with the sha256 this process
would load — and otherwise starts its own. Only the owner may read the record: the key keeps other local
users, and web pages in a browser (which can reach loopback), off the server.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import urllib.request
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assistant.config import Settings
from assistant.models import MODELS, is_installed, model_path

log = logging.getLogger(__name__)

RECORD_NAME = "model-server.json"
CHECK_TIMEOUT_S = 1.0
"""How long a recorded server may take to answer before this process starts its own (a loaded server
answers ``/props`` in milliseconds, also while it computes an answer)."""


class ServerRecord(BaseModel):
    """A model server that a SLIM process keeps up for others, as recorded in the data directory."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pid: int = Field(gt=0)
    """the process the server runs in: when it is gone, so is the server"""
    port: int = Field(ge=1, le=65535)
    """on 127.0.0.1 — the address is never read from the file"""
    model: str
    """the model's name (``Settings.llm_model``)"""
    sha256: str
    """the sha256 of the model file the server loaded (pinned in ``assistant.models``)"""
    path: str
    """the model file, absolute, as the server reports it (``/props``)"""
    slots: str | None = None
    """where the server keeps computed prompt prefixes (``LanguageModel.warm``)"""
    key: str = Field(min_length=16)
    """the bearer key the server asks on every request except ``/health``"""

    @property
    def address(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def record_file(settings: Settings) -> Path:
    return settings.data_dir / RECORD_NAME


def publish(settings: Settings, record: ServerRecord) -> bool:
    """Record ``record`` for other processes, unless a server that still serves is recorded already (the
    first one stays; a stale record is replaced). Written whole or not at all, readable by its owner only.
    False when it was not recorded (another server, or a data directory that cannot be written)."""
    path = record_file(settings)
    if running_server(settings) is not None:
        return False
    return write_private(path, record.model_dump_json())


def write_private(path: Path, text: str) -> bool:
    """Write ``text`` to ``path`` whole or not at all, readable by its owner only (a record holds a key).
    False when the directory cannot be written."""
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(partial, path)
    except OSError as exc:
        log.info("server not recorded in %s: %s", path, exc)
        with contextlib.suppress(OSError):
            partial.unlink()
        return False
    return True


def withdraw(settings: Settings, pid: int | None = None) -> None:
    """Remove the record if it is this process's (or ``pid``'s): a server that stops is no longer offered."""
    record = read_record(settings)
    if record is not None and record.pid == (pid or os.getpid()):
        with contextlib.suppress(OSError):
            record_file(settings).unlink()


def read_record(settings: Settings) -> ServerRecord | None:
    """The record as written, or None when there is none or it cannot be read as one."""
    try:
        return ServerRecord.model_validate_json(record_file(settings).read_text(encoding="utf-8"))
    except (OSError, ValueError, ValidationError):
        return None


def running_server(settings: Settings, timeout: float = CHECK_TIMEOUT_S) -> ServerRecord | None:
    """The recorded server when this process may use it instead of starting its own (see the module's
    docstring for what is checked); None otherwise, with the reason in the log."""
    record = read_record(settings)
    if record is None:
        return None
    reason = _refusal(settings, record, timeout)
    if reason:
        log.info("not using the model server on port %s: %s", record.port, reason)
        return None
    return record


def _refusal(settings: Settings, record: ServerRecord, timeout: float) -> str | None:
    spec = MODELS.get(settings.llm_model)
    if spec is None or record.model != spec.name or record.sha256 != spec.sha256:
        return "another model"
    file = Path(record.path)
    if file != model_path(file.parent, spec.name) or not is_installed(file.parent, spec.name):
        return "not a verified model file"
    if not alive(record.pid):
        return "its process has ended"
    request = urllib.request.Request(f"{record.address}/props", headers={"Authorization": f"Bearer {record.key}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            props = json.loads(response.read())
    except (OSError, ValueError) as exc:
        return f"no answer ({exc})"
    if not isinstance(props, dict) or props.get("model_path") != record.path:
        return "it serves another file"
    return None


def alive(pid: int) -> bool:
    """Whether process ``pid`` runs and is this user's (a recorded server lives as long as its process)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: not a server this user started
        return False
    return True
