"""The group scan's storage, in the sessions database (``<data_dir>/sessions.sqlite``, tables from
migrations ``m004_group_scans`` and ``m005_group_names``).

Many people answer at once (a room of 30 on their phones), so every call opens its own connection, in
WAL mode (readers never wait for the writer), writes in one short ``BEGIN IMMEDIATE`` transaction and
waits up to ``BUSY_TIMEOUT_S`` for another writer instead of failing. Each answer is one upsert of one
row (participant × theme), so an answer is saved at each step and a reload loses nothing.

Three kinds of keys, each for one thing:

- the **join code** (``code``) lets a participant fill in, nothing more. It is drawn with ``secrets``
  from ``CODE_ALPHABET``: 30 characters without 0/O, 1/I/L and U, so nothing is misread when it is
  read aloud or copied from a beamer. ``CODE_LENGTH`` = 10 gives 30**10 ≈ 5.9·10**14 (≈ 2**49) codes.
  The app answers a guess per round trip to its server; even at 100 guesses a second, non-stop for 30
  days (2.6·10**8 guesses) against 1000 open scans at once, the chance of hitting any scan is
  2.6·10**8 × 1000 / 5.9·10**14 ≈ 4·10**-4 — and a hit only lets someone add answers, never read them.
- the **facilitator secret** (``secrets.token_urlsafe(32)``, 256 bits) opens results and agenda; SLIM
  keeps only its HMAC-SHA256 under ``<data_dir>/secret.key`` (as ``assistant/owners.py`` does for page
  keys) and shows it once, at creation.
- the **participant token** (``token_urlsafe(16)``) identifies one filled-in form (so a reload keeps the
  answers, and "volgende deelnemer" is simply a new token); stored as its HMAC too, so the database
  cannot link answers to anyone's browser.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from assistant.config import Settings
from assistant.group.errors import (
    AnonymityLockedError,
    AnonymousScanError,
    ScanClosedError,
    ScanNotFoundError,
    UnknownCodeError,
    UnknownSecretError,
    UnknownThemeError,
)
from assistant.group.models import (
    STORED,
    Activity,
    Agreement,
    CreatedScan,
    NamedAnswer,
    Scan,
    ScanSettings,
    ThemeAnswer,
)
from assistant.migrations import migrate
from assistant.owners import owner_id, secret
from assistant.sessiondb import SessionsDamagedError, backups, is_damage

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 10
SECRET_BYTES = 32
TOKEN_BYTES = 16
BUSY_TIMEOUT_S = 30.0
NAME_LENGTH = 80
"""a participant's name (a scan that is not anonymous) is cut to this many characters"""
LIVE_EVERY_S = 1.0
"""how often the facilitator's page reads ``activity`` (one small read): a new answer shows there at most this
long plus one rerun of the page after it is saved, against a target of 2 s"""


def new_code() -> str:
    """A join code: ``CODE_LENGTH`` characters of ``CODE_ALPHABET`` (see the module docstring)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(typed: str) -> str:
    """What a person typed, as a code: capitals, without spaces and dashes (``format_code`` adds one)."""
    return "".join(ch for ch in typed.upper() if ch not in " -\t\n")


def format_code(code: str) -> str:
    """``ABCDEFGHJK`` → ``ABCDE-FGHJK``: easier to read aloud and to type."""
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


def network_key(name: str) -> str:
    """Which scans belong to the same network: the name, case and spacing aside."""
    return " ".join(name.casefold().split())


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="microseconds")


class GroupStore:
    """Scans, answers and agreements. Safe to share between threads and to use from many processes."""

    def __init__(self, path: Path, data_dir: Path):
        """Open (and migrate) the database at ``path``; keys are hashed with ``data_dir``'s secret."""
        self.path = path
        self.data_dir = data_dir
        self.key = secret(data_dir)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with self._connect() as conn:
                with suppress(sqlite3.OperationalError):  # a read-only data directory: reading still works
                    conn.execute("PRAGMA journal_mode=WAL")
                migrate(conn, data_dir)
        except sqlite3.DatabaseError as exc:
            if is_damage(exc):
                raise SessionsDamagedError(path=str(path), detail=str(exc)) from exc
            raise

    @classmethod
    def open(cls, settings: Settings) -> GroupStore:
        return cls(settings.sessions_db, settings.data_dir)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        try:
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA secure_delete=ON")  # deleted answers are overwritten, not just unlinked
            yield conn
        finally:
            conn.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One short write transaction; taken at once (IMMEDIATE), so concurrent writers queue, not fail."""
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def _hash(self, value: str) -> str:
        return owner_id(value, self.key)

    # --- scans ----------------------------------------------------------------------------------------

    def create(self, settings: ScanSettings) -> CreatedScan:
        """A new scan with a fresh join code and facilitator secret (returned here, and never again)."""
        scan_secret = secrets.token_urlsafe(SECRET_BYTES)
        created = _now()
        scan_id = uuid.uuid4().hex[:12]
        with self._write() as conn:
            while True:
                code = new_code()
                if conn.execute("SELECT 1 FROM group_scans WHERE code=?", (code,)).fetchone() is None:
                    break
            conn.execute(
                "INSERT INTO group_scans (id, code, secret_hash, network, network_key, settings, created)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    scan_id,
                    code,
                    self._hash(scan_secret),
                    settings.network,
                    network_key(settings.network),
                    settings.model_dump_json(),
                    _iso(created),
                ),
            )
        return CreatedScan(scan=Scan(id=scan_id, code=code, settings=settings, created=created), secret=scan_secret)

    _COLUMNS = "id, code, settings, created, revealed, closed_at"

    @staticmethod
    def _scan(row: tuple) -> Scan:
        scan_id, code, settings, created, revealed, closed_at = row
        return Scan(
            id=scan_id,
            code=code,
            settings=ScanSettings.model_validate_json(settings, context={STORED: True}),
            created=dt.datetime.fromisoformat(created),
            revealed=bool(revealed),
            closed_at=dt.datetime.fromisoformat(closed_at) if closed_at else None,
        )

    def _one(self, where: str, value: str) -> Scan | None:
        with self._connect() as conn:
            row = conn.execute(f"SELECT {self._COLUMNS} FROM group_scans WHERE {where}=?", (value,)).fetchone()
        return self._scan(row) if row else None

    def get(self, scan_id: str) -> Scan:
        """A scan by id (the command line, and the pages once a code or secret has been checked)."""
        scan = self._one("id", scan_id)
        if scan is None:
            raise ScanNotFoundError(scan_id=scan_id)
        return scan

    def by_code(self, typed: str) -> Scan:
        """The scan a participant joins; a wrong code raises ``UnknownCodeError`` and reveals nothing."""
        code = normalise_code(typed)
        scan = self._one("code", code) if len(code) == CODE_LENGTH else None
        if scan is None:
            raise UnknownCodeError()
        return scan

    def by_secret(self, scan_secret: str) -> Scan:
        """The scan a facilitator link opens; anything else raises ``UnknownSecretError``."""
        scan = self._one("secret_hash", self._hash(scan_secret.strip())) if scan_secret.strip() else None
        if scan is None:
            raise UnknownSecretError()
        return scan

    def list(self) -> list[Scan]:
        """All scans, newest first (the command line: whoever runs it owns the data directory)."""
        with self._connect() as conn:
            rows = conn.execute(f"SELECT {self._COLUMNS} FROM group_scans ORDER BY created DESC").fetchall()
        return [self._scan(row) for row in rows]

    def previous(self, scan: Scan) -> Scan | None:
        """The most recent scan of the same network made before ``scan`` (for the year-on-year view)."""
        with self._connect() as conn:
            row = conn.execute(
                f"SELECT {self._COLUMNS} FROM group_scans WHERE network_key=? AND created<? AND id!=?"
                " ORDER BY created DESC LIMIT 1",
                (network_key(scan.settings.network), _iso(scan.created), scan.id),
            ).fetchone()
        return self._scan(row) if row else None

    def reveal(self, scan_id: str) -> Scan:
        """The facilitator's "toon resultaten". Results still show only from ``min_answers`` on."""
        with self._write() as conn:
            if conn.execute("UPDATE group_scans SET revealed=1 WHERE id=?", (scan_id,)).rowcount != 1:
                raise ScanNotFoundError(scan_id=scan_id)
        return self.get(scan_id)

    def close(self, scan_id: str) -> Scan:
        """No more answers from now on (results and agenda stay available)."""
        with self._write() as conn:
            cur = conn.execute(
                "UPDATE group_scans SET closed_at=COALESCE(closed_at, ?) WHERE id=?", (_iso(_now()), scan_id)
            )
            if cur.rowcount != 1:
                raise ScanNotFoundError(scan_id=scan_id)
        return self.get(scan_id)

    def set_anonymous(self, scan_id: str, anonymous: bool) -> Scan:
        """Anonymity can be switched on at any time (the names given so far are deleted), off only while
        nobody has answered."""
        with self._write() as conn:
            row = conn.execute("SELECT settings FROM group_scans WHERE id=?", (scan_id,)).fetchone()
            if row is None:
                raise ScanNotFoundError(scan_id=scan_id)
            settings = ScanSettings.model_validate_json(row[0], context={STORED: True})
            has_answers = conn.execute("SELECT 1 FROM group_answers WHERE scan_id=? LIMIT 1", (scan_id,)).fetchone()
            if settings.anonymous and not anonymous and has_answers:
                raise AnonymityLockedError()
            settings = settings.model_copy(update={"anonymous": anonymous})
            conn.execute("UPDATE group_scans SET settings=? WHERE id=?", (settings.model_dump_json(), scan_id))
            if anonymous:
                conn.execute("DELETE FROM group_names WHERE scan_id=?", (scan_id,))
        return self.get(scan_id)

    def delete(self, scan_id: str) -> bool:
        """The scan, all its answers and agreements; the freed pages are overwritten (``secure_delete``)
        and the write-ahead log folded back, so no answer text stays behind in the file. The daily
        backups of the sessions database (``<data_dir>/backups/``) are scrubbed the same way."""
        with self._write() as conn:
            deleted = _delete_rows(conn, scan_id)
        with self._connect() as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # best effort: a busy reader postpones it
        for backup in backups(self.data_dir):
            scrub = sqlite3.connect(backup, timeout=BUSY_TIMEOUT_S)
            try:
                if "group_scans" in {r[0] for r in scrub.execute("SELECT name FROM sqlite_master WHERE type='table'")}:
                    scrub.execute("PRAGMA secure_delete=ON")
                    with scrub:
                        deleted = _delete_rows(scrub, scan_id) or deleted
                    scrub.execute("VACUUM")
            finally:
                scrub.close()
        return deleted

    # --- participants and answers ------------------------------------------------------------------------

    @staticmethod
    def new_participant() -> str:
        """A fresh participant token: kept by the participant's page, one per filled-in form."""
        return secrets.token_urlsafe(TOKEN_BYTES)

    def save_answer(self, scan_id: str, participant: str, answer: ThemeAnswer) -> None:
        """Save (or change) one theme's answer; refused once the scan is closed."""
        with self._write() as conn:
            row = conn.execute(f"SELECT {self._COLUMNS} FROM group_scans WHERE id=?", (scan_id,)).fetchone()
            if row is None:
                raise ScanNotFoundError(scan_id=scan_id)
            scan = self._scan(row)
            if scan.is_closed():
                raise ScanClosedError()
            if answer.theme not in scan.settings.themes:
                raise UnknownThemeError(theme=answer.theme)
            conn.execute(
                "INSERT INTO group_answers (scan_id, participant, theme, score, explanation, example, updated)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (scan_id, participant, theme) DO UPDATE SET"
                " score=excluded.score, explanation=excluded.explanation, example=excluded.example,"
                " updated=excluded.updated",
                (
                    scan_id,
                    self._hash(participant),
                    answer.theme,
                    answer.score,
                    answer.explanation,
                    answer.example,
                    _iso(_now()),
                ),
            )

    def set_name(self, scan_id: str, participant: str, name: str) -> None:
        """The name a participant gives in a scan that is not anonymous (empty: forget it); refused for an
        anonymous scan, so no name is ever stored beside anonymous answers. The participant's answers count
        as changed (``updated``), so ``activity`` moves and the facilitator's page shows the new name."""
        name = " ".join(name.split())[:NAME_LENGTH]
        with self._write() as conn:
            row = conn.execute(f"SELECT {self._COLUMNS} FROM group_scans WHERE id=?", (scan_id,)).fetchone()
            if row is None:
                raise ScanNotFoundError(scan_id=scan_id)
            scan = self._scan(row)
            if scan.settings.anonymous:
                raise AnonymousScanError()
            if scan.is_closed():
                raise ScanClosedError()
            person = self._hash(participant)
            if name:
                conn.execute(
                    "INSERT INTO group_names (scan_id, participant, name) VALUES (?, ?, ?)"
                    " ON CONFLICT (scan_id, participant) DO UPDATE SET name=excluded.name",
                    (scan_id, person, name),
                )
            else:
                conn.execute("DELETE FROM group_names WHERE scan_id=? AND participant=?", (scan_id, person))
            conn.execute(
                "UPDATE group_answers SET updated=? WHERE scan_id=? AND participant=?", (_iso(_now()), scan_id, person)
            )

    def name_of(self, scan_id: str, participant: str) -> str:
        """The name a participant gave (to fill the form again after a reload); empty if none."""
        with self._connect() as conn:
            row = conn.execute(
                "SELECT name FROM group_names WHERE scan_id=? AND participant=?", (scan_id, self._hash(participant))
            ).fetchone()
        return row[0] if row else ""

    def named_answers(self, scan_id: str) -> list[NamedAnswer]:
        """Every answer with its participant's name (empty where none was given). Only ``results.py``
        reads these, and only for a scan that is not anonymous."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT a.theme, COALESCE(n.name, ''), a.score, a.explanation, a.example FROM group_answers a"
                " LEFT JOIN group_names n ON n.scan_id=a.scan_id AND n.participant=a.participant"
                " WHERE a.scan_id=?",
                (scan_id,),
            ).fetchall()
        return [NamedAnswer(theme=r[0], name=r[1], score=r[2], explanation=r[3], example=r[4]) for r in rows]

    def answers_of(self, scan_id: str, participant: str) -> dict[str, ThemeAnswer]:
        """One participant's answers by theme (to fill the form again after a reload)."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT theme, score, explanation, example FROM group_answers WHERE scan_id=? AND participant=?",
                (scan_id, self._hash(participant)),
            ).fetchall()
        return {r[0]: ThemeAnswer(theme=r[0], score=r[1], explanation=r[2], example=r[3]) for r in rows}

    def answers(self, scan_id: str) -> list[ThemeAnswer]:
        """Every answer of a scan, without who gave it. Only ``results.py`` reads these: whatever shows
        them goes through its thresholds."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT theme, score, explanation, example FROM group_answers WHERE scan_id=?", (scan_id,)
            ).fetchall()
        return [ThemeAnswer(theme=r[0], score=r[1], explanation=r[2], example=r[3]) for r in rows]

    def count(self, scan_id: str) -> int:
        """How many participants have saved at least one answer."""
        return self.activity(scan_id).participants

    def activity(self, scan_id: str) -> Activity:
        """The participants, answers and last change of a scan: one read, cheap enough to poll."""
        with self._connect() as conn:
            row = conn.execute(
                "SELECT COUNT(DISTINCT participant), COUNT(*), COALESCE(MAX(updated), '') FROM group_answers"
                " WHERE scan_id=?",
                (scan_id,),
            ).fetchone()
        return Activity(participants=int(row[0]), answers=int(row[1]), last_change=row[2])

    # --- after the session ---------------------------------------------------------------------------------

    def add_agreement(self, scan_id: str, agreement: Agreement) -> Agreement:
        with self._write() as conn:
            if conn.execute("SELECT 1 FROM group_scans WHERE id=?", (scan_id,)).fetchone() is None:
                raise ScanNotFoundError(scan_id=scan_id)
            cur = conn.execute(
                "INSERT INTO group_agreements (scan_id, action, owner, due, created) VALUES (?, ?, ?, ?, ?)",
                (
                    scan_id,
                    agreement.action,
                    agreement.owner,
                    agreement.due.isoformat() if agreement.due else None,
                    _iso(_now()),
                ),
            )
        return agreement.model_copy(update={"id": cur.lastrowid})

    def agreements(self, scan_id: str) -> list[Agreement]:
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT id, action, owner, due FROM group_agreements WHERE scan_id=? ORDER BY id", (scan_id,)
            ).fetchall()
        return [
            Agreement(id=r[0], action=r[1], owner=r[2], due=dt.date.fromisoformat(r[3]) if r[3] else None) for r in rows
        ]

    def remove_agreement(self, scan_id: str, agreement_id: int) -> bool:
        with self._write() as conn:
            cur = conn.execute("DELETE FROM group_agreements WHERE scan_id=? AND id=?", (scan_id, agreement_id))
        return cur.rowcount == 1


def _delete_rows(conn: sqlite3.Connection, scan_id: str) -> bool:
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if "group_names" in tables:  # a backup made before migration m005 has no names table
        conn.execute("DELETE FROM group_names WHERE scan_id=?", (scan_id,))
    conn.execute("DELETE FROM group_answers WHERE scan_id=?", (scan_id,))
    conn.execute("DELETE FROM group_agreements WHERE scan_id=?", (scan_id,))
    return conn.execute("DELETE FROM group_scans WHERE id=?", (scan_id,)).rowcount == 1


def scan_json(scan: Scan) -> str:
    """A scan as JSON for the command line (nothing secret is in a ``Scan``)."""
    return json.dumps(scan.model_dump(mode="json"), ensure_ascii=False)
