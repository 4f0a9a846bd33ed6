"""Private page keys: issued by SLIM, known to it only as keyed hashes.

A person in the app is known by a key in their page address (``?u=``). SLIM issues it
(``secrets.token_urlsafe``) and keeps only ``HMAC-SHA256(secret, key)``: that hash is the person's id on
disk (their sessions' owner, their workspace's name), so neither the sessions database, its backups nor a
folder name lets anyone rebuild a key. The secret lives in ``<data_dir>/secret.key`` (mode 0600); a key
whose hash SLIM never registered is not accepted, so nobody can make up a guessable shared space.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from assistant.workspace import Workspaces

SECRET_FILE = "secret.key"
KEY_BYTES = 16  # as before: token_urlsafe(16), 22 characters


def secret(data_dir: Path) -> bytes:
    """The data directory's secret, made on first use and readable by its owner only. Losing it makes
    every page key unknown; it is never part of an export."""
    path = data_dir / SECRET_FILE
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except FileNotFoundError:
        pass
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it just now
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secrets.token_hex(32) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return bytes.fromhex(path.read_text(encoding="ascii").strip())


def owner_id(key: str, secret_bytes: bytes) -> str:
    """The id a key stands for: its HMAC-SHA256 under the data directory's secret (hex)."""
    return hmac.new(secret_bytes, key.encode("utf-8"), hashlib.sha256).hexdigest()


class Registry(Protocol):
    """Where issued keys are registered, by their hash (the sessions database: ``SessionStore``)."""

    def register_owner(self, owner: str) -> None: ...

    def is_owner(self, owner: str) -> bool: ...


class Owners:
    """Issue and recognise page keys. ``store`` is None while the sessions database is damaged;
    ``workspaces`` (people's documents) is where ``resolve`` finds the keys issued before the registry."""

    def __init__(self, data_dir: Path, store: Registry | None, workspaces: Workspaces | None = None):
        self.secret = secret(data_dir)
        self.store = store
        self.workspaces = workspaces

    def issue(self) -> tuple[str, str]:
        """A fresh key and its id, registered (when the sessions database can be written)."""
        key = secrets.token_urlsafe(KEY_BYTES)
        person = owner_id(key, self.secret)
        if self.store is not None:
            self.store.register_owner(person)
        return key, person

    def resolve(self, key: str | None) -> tuple[str, str]:
        """(the key to keep in the address, the person's id). A key SLIM issued keeps working; any other
        value is replaced by a fresh key. Evidence of issue is the registry, or a workspace that only an
        accepted key can have made — also one named the old way (unkeyed SHA-256 of the key), which is
        renamed here, on the person's first visit, so they keep their documents."""
        from assistant.workspace import legacy_workspace_of, workspace_of

        assert self.workspaces is not None, "resolve needs the workspaces"
        if not key:
            return self.issue()
        person = owner_id(key, self.secret)
        if self.store is not None and self.store.is_owner(person):
            return key, person
        if self.workspaces.exists(workspace_of(person)):
            self._register(person)
            return key, person
        legacy = legacy_workspace_of(key)
        if self.workspaces.exists(legacy):
            self.workspaces.adopt(legacy, workspace_of(person))
            self._register(person)
            return key, person
        if self.store is None:  # cannot tell now; replacing the key would lose it for good once repaired
            return key, person
        return self.issue()

    def _register(self, person: str) -> None:
        if self.store is not None:
            self.store.register_owner(person)
