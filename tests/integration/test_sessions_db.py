"""The sessions database: page keys that stay private, numbered migrations, daily backups, and damage
that is found, said in one line, and repaired by `slim doctor` — on real SQLite files, the real index
and the real CLI."""

from __future__ import annotations

import datetime as dt
import json
import random
import sqlite3
from functools import partial
from pathlib import Path

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from assistant.cli import app
from assistant.config import Settings
from assistant.llm import LanguageModel
from assistant.prompts import reflection_prompts
from assistant.reflection.engine import ReflectionEngine
from assistant.retrieve import Retriever
from assistant.sessions import SessionInfo, SessionStore
from assistant.summary import session_pdf
from tests.helpers.files import write_corpus

NO_LLM = LanguageModel("none", None)
runner = CliRunner()

# the schema before numbered migrations: the page key itself in ``owner``
OLD_SCHEMA = """
CREATE TABLE slim_sessions (
    id TEXT PRIMARY KEY, title TEXT NOT NULL, role TEXT NOT NULL, lang TEXT NOT NULL, mode TEXT NOT NULL,
    route TEXT, created TEXT NOT NULL, updated TEXT NOT NULL, owner TEXT NOT NULL DEFAULT ''
)
"""


def _engine(data_dir: Path, retriever: Retriever) -> ReflectionEngine:
    return ReflectionEngine(Settings(data_dir=data_dir, llm="none"), retriever, NO_LLM)


def _on_disk(db: Path) -> bytes:
    """Everything SQLite keeps for this database: the file and its write-ahead log."""
    return b"".join(p.read_bytes() for p in (db, Path(f"{db}-wal"), Path(f"{db}-journal")) if p.exists())


def _info(n: int, owner: str = "") -> SessionInfo:
    stamp = f"2025-01-01T00:00:{n % 60:02d}+00:00"
    return SessionInfo(
        id=f"s{n:05d}", title=f"Sessie nummer {n} " + "x" * 120, role="board", lang="nl", mode="ask",
        route=None, created=stamp, updated=stamp, owner=owner,
    )  # fmt: skip


# --- the private key ------------------------------------------------------------------------------------


def test_no_export_carries_the_private_key(tmp_path: Path, corpus_retriever: Retriever) -> None:
    key = "persoonlijke-sleutel-" + "k" * 22
    engine = _engine(tmp_path, corpus_retriever)
    view = engine.start("board", "nl", themes=["cultuur"], owner=key)
    while view.waiting_for != "free":
        view = engine.send(view.info.id, {"type": "answer", "text": "Bij ons mogen fouten."})
        view = engine.send(view.info.id, {"type": "next"})
        view = engine.send(view.info.id, {"type": "score", "value": 3})
    assert view.synthesis is not None
    exported = json.loads(engine.export(view.info.id, "json"))
    assert "owner" not in exported["session"] and exported["synthesis"]
    markdown = engine.export(view.info.id, "md")
    texts = reflection_prompts(Settings().prompts_dir)["nl"]
    pdf = session_pdf(engine.sessions.get(view.info.id), view.synthesis, engine.bank, texts, "nl")
    pdf_text = "\n".join(page.extract_text() for page in PdfReader(__import__("io").BytesIO(pdf)).pages)
    assert "Bij ons mogen fouten" in markdown and "Bij ons mogen fouten" in pdf_text  # the exports are real
    stored = engine.sessions.get(view.info.id).owner  # whatever stands for the person on disk
    for secret in {key, stored}:
        for name, text in [("json", json.dumps(exported)), ("md", markdown), ("pdf", pdf_text), ("pdf bytes", pdf)]:
            assert (secret.encode() if isinstance(text, bytes) else secret) not in text, name


def test_an_old_database_keeps_no_key_and_its_people_keep_their_sessions(
    tmp_path: Path, corpus_retriever: Retriever
) -> None:
    from assistant.owners import Owners
    from assistant.workspace import Workspaces

    anna, gone = "AnnaSleutel_" + "a" * 10, "WegSleutel_" + "w" * 11
    db = tmp_path / "sessions.sqlite"
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA secure_delete=OFF")  # as many builds of SQLite have it
        conn.execute(OLD_SCHEMA)
        insert = "INSERT INTO slim_sessions VALUES (?, ?, 'board', 'nl', 'ask', NULL, 'x', 'x', ?)"
        conn.execute(insert, ("s1", "Van Anna", anna))
        conn.execute(insert, ("s2", "Verwijderd", gone))
        conn.execute("DELETE FROM slim_sessions WHERE id='s2'")  # its key stays behind in a free page
    assert anna.encode() in db.read_bytes() and gone.encode() in db.read_bytes()

    engine = _engine(tmp_path, corpus_retriever)
    engine.conn.close()
    for key in (anna, gone):
        assert key.encode() not in _on_disk(db)
        assert not any(key.encode() in p.read_bytes() for p in (tmp_path / "backups").iterdir())
    assert (tmp_path / "secret.key").stat().st_mode & 0o777 == 0o600

    engine = _engine(tmp_path, corpus_retriever)
    owners = Owners(
        tmp_path,
        engine.sessions,
        Workspaces(
            engine.settings, corpus_retriever.index, partial(Retriever, prompts_dir=engine.settings.prompts_dir)
        ),
    )
    kept, person = owners.resolve(anna)
    assert kept == anna and [s.title for s in engine.list(person)] == ["Van Anna"]
    assert [name for (name,) in engine.conn.execute("SELECT name FROM _migrations")] == [
        "m001_sessions", "m002_session_owner", "m003_owner_hashes", "m004_group_scans", "m005_group_names",
    ]  # fmt: skip
    assert _engine(tmp_path, corpus_retriever).list(person)  # opening again migrates nothing twice


def test_only_issued_keys_are_accepted(tmp_path: Path, corpus_retriever: Retriever) -> None:
    from assistant.owners import Owners
    from assistant.workspace import Workspaces

    engine = _engine(tmp_path, corpus_retriever)
    owners = Owners(
        tmp_path,
        engine.sessions,
        Workspaces(
            engine.settings, corpus_retriever.index, partial(Retriever, prompts_dir=engine.settings.prompts_dir)
        ),
    )
    key, person = owners.issue()
    assert len(key) >= 22 and key not in person
    engine.start("board", "nl", mode="ask", owner=person)
    assert owners.resolve(key) == (key, person)  # an issued key keeps working, also in a new process:
    assert Owners(tmp_path, _engine(tmp_path, corpus_retriever).sessions, owners.workspaces).resolve(key)[1] == person
    for made_up in ("aaaaaaaaaaaaaaaa", "z" * 40, key[:-1] + ("A" if key[-1] != "A" else "B")):
        fresh, someone = owners.resolve(made_up)
        assert fresh != made_up and someone != person and engine.list(someone) == []
        assert owners.resolve(fresh) == (fresh, someone)
    assert key.encode() not in _on_disk(tmp_path / "sessions.sqlite")


def test_documents_under_an_old_workspace_name_move_with_their_person(
    tmp_path: Path, corpus_data_dir: Path, embeddings
) -> None:
    import shutil

    from assistant.index import open_index
    from assistant.owners import Owners
    from assistant.sessions import SessionStore
    from assistant.workspace import Workspace, Workspaces, legacy_workspace_of, workspace_of

    shutil.copytree(corpus_data_dir / "chroma", tmp_path / "chroma")
    settings = Settings(data_dir=tmp_path)
    report = open_index(settings, embeddings=embeddings)
    key = "OudeSleutel_" + "o" * 10  # issued before keys were hashed; no sessions, one document
    old = Workspace(settings, legacy_workspace_of(key), embeddings, report.client)
    note = tmp_path / "notulen.md"
    note.write_text("# Notulen\n\nDe penningmeester van ons netwerk is Anouk de Vries.\n", encoding="utf-8")
    old.add(note)

    store = SessionStore(sqlite3.connect(settings.sessions_db, check_same_thread=False), tmp_path)
    workspaces = Workspaces(settings, report, partial(Retriever, prompts_dir=settings.prompts_dir))
    kept, person = Owners(tmp_path, store, workspaces).resolve(key)
    assert kept == key and store.is_owner(person)
    space, retriever = workspaces.get(workspace_of(person))
    assert [d.name for d in space.documents()] == ["notulen.md"] and space.documents()[0].passages > 0
    assert "Anouk de Vries" in retriever.search("Wie is de penningmeester?", k=3)[0].text
    assert not (settings.workspaces_dir / legacy_workspace_of(key)).exists()
    assert Owners(tmp_path, store, workspaces).resolve(key) == (key, person)


# --- backups ---------------------------------------------------------------------------------------------


def test_one_backup_a_day_and_the_last_seven_kept(tmp_path: Path) -> None:
    from assistant.sessiondb import backup_daily, backups

    conn = sqlite3.connect(tmp_path / "sessions.sqlite", check_same_thread=False)
    SessionStore(conn, tmp_path).add(_info(1))
    folder, today = tmp_path / "backups", dt.date.today()
    (folder / f"sessions-{today}.sqlite").unlink()
    for days in range(1, 9):  # eight earlier days
        (folder / f"sessions-{today - dt.timedelta(days=days)}.sqlite").write_bytes(b"")
    store = SessionStore(conn, tmp_path)
    store.add(_info(2))
    kept = [p.name for p in backups(tmp_path)]
    assert len(kept) == 7 and kept[-1] == f"sessions-{today}.sqlite"
    assert kept[0] == f"sessions-{today - dt.timedelta(days=6)}.sqlite"
    made = (folder / kept[-1]).stat().st_mtime_ns
    SessionStore(conn, tmp_path)
    assert backup_daily(conn, tmp_path) is None and (folder / kept[-1]).stat().st_mtime_ns == made  # one a day
    with sqlite3.connect(folder / kept[-1]) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert copy.execute("SELECT id FROM slim_sessions").fetchall() == [("s00001",)]


# --- damage ----------------------------------------------------------------------------------------------


@pytest.fixture
def small_corpus(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Settings:
    """A one-file corpus, indexed, so `slim doctor` and `slim sessions` run in seconds."""
    corpus = write_corpus(
        tmp_path / "corpus", {"kort.md": "---\ndoc_id: kort\ntitle: Kort\n---\n\n# 1 Cultuur\n\nFouten mogen.\n"}
    )
    monkeypatch.setenv("SLIM_CORPUS_DIR", str(corpus))
    assert runner.invoke(app, ["index"]).exit_code == 0
    return Settings()


def _fill(settings: Settings, count: int) -> list[str]:
    """``count`` sessions written through the store (as the app does), the file closed; their titles."""
    conn = sqlite3.connect(settings.sessions_db, check_same_thread=False)
    store = SessionStore(conn, settings.data_dir)
    for n in range(count):
        store.add(_info(n))
    conn.close()
    return [_info(n).title for n in range(count)]


def _titles(settings: Settings) -> list[str]:
    result = runner.invoke(app, ["sessions", "list", "--json"])
    assert result.exit_code == 0, result.output
    return sorted(s["title"] for s in json.loads(result.output))


def _backup_yesterday(settings: Settings) -> None:
    """A backup of the database as it is now, as if the store had been opened yesterday."""
    import shutil

    shutil.rmtree(settings.data_dir / "backups")
    conn = sqlite3.connect(settings.sessions_db)
    SessionStore(conn, settings.data_dir)  # the first opening of a day makes its backup
    conn.close()
    (today,) = (settings.data_dir / "backups").iterdir()
    today.rename(today.with_name(f"sessions-{dt.date.today() - dt.timedelta(days=1)}.sqlite"))


def test_a_damaged_database_is_one_line_and_exit_2(small_corpus: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    _fill(small_corpus, 3)
    db = small_corpus.sessions_db
    db.write_bytes(b"\x00garbage header\x00" * 8 + db.read_bytes()[128:])
    result = runner.invoke(app, ["sessions", "list"])
    assert result.exit_code == 2, result.output
    assert result.output.count("\n") == 1 and "beschadigd" in result.output and "slim doctor" in result.output
    monkeypatch.setenv("SLIM_LANG", "en")
    result = runner.invoke(app, ["sessions", "list"])
    assert result.exit_code == 2 and result.output.count("\n") == 1 and "is damaged" in result.output


def test_doctor_restores_yesterdays_backup_of_an_emptied_database(small_corpus: Settings) -> None:
    titles = _fill(small_corpus, 5)
    _backup_yesterday(small_corpus)
    small_corpus.sessions_db.write_bytes(b"")
    result = runner.invoke(app, ["sessions", "list"])  # not silently a new, empty database
    assert result.exit_code == 2 and "slim doctor" in result.output, result.output
    check = runner.invoke(app, ["doctor", "--check-only"])
    assert check.exit_code == 1 and "is leeg (0 bytes)" in check.output, check.output
    repair = runner.invoke(app, ["doctor"])
    yesterday = dt.date.today() - dt.timedelta(days=1)
    assert repair.exit_code == 0, repair.output
    assert f"de reservekopie van {yesterday} is teruggezet (5 sessies)" in repair.output
    assert _titles(small_corpus) == sorted(titles)
    assert "✓ sessies: database in orde, 5 sessies." in runner.invoke(app, ["doctor", "--check-only"]).output


def _damage(db: Path, seed: int = 9) -> None:
    """4 KB of random bytes over a page in the middle of the file."""
    data = bytearray(db.read_bytes())
    middle = (len(data) // 4096 // 2) * 4096
    data[middle : middle + 4096] = random.Random(seed).randbytes(4096)
    db.write_bytes(bytes(data))


@pytest.mark.parametrize("with_backup", [False, True])
def test_doctor_keeps_a_damaged_database_and_recovers_its_rows(small_corpus: Settings, with_backup: bool) -> None:
    titles = _fill(small_corpus, 400)
    db = small_corpus.sessions_db
    if with_backup:
        _backup_yesterday(small_corpus)
    else:
        for path in (small_corpus.data_dir / "backups").iterdir():
            path.unlink()
    _damage(db)
    damaged = db.read_bytes()
    assert runner.invoke(app, ["sessions", "list"]).exit_code == 2

    repair = runner.invoke(app, ["doctor"])
    assert repair.exit_code == 0, repair.output
    (kept,) = db.parent.glob("sessions.sqlite.broken-*")
    assert kept.read_bytes() == damaged and f"bewaard als {kept}" in repair.output
    recovered = _titles(small_corpus)
    assert set(recovered) <= set(titles) and len(recovered) == len(set(recovered))
    if with_backup:
        assert recovered == sorted(titles) and "aangevuld uit de reservekopie" in repair.output
    else:
        assert len(recovered) > 0 and f"{len(recovered)} sessies teruggehaald" in repair.output
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert runner.invoke(app, ["doctor", "--check-only"]).exit_code == 0


def test_recovery_skips_only_the_rows_on_a_damaged_page(tmp_path: Path) -> None:
    """A damaged leaf page of the sessions table: the rows before and after it come back."""
    from assistant.sessiondb import repair

    db = tmp_path / "sessions.sqlite"
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA page_size=4096")
    store = SessionStore(conn, None)
    for n in range(400):
        store.add(_info(n))
    conn.execute("VACUUM")
    pages = {
        page for (page,) in conn.execute("SELECT pageno FROM dbstat WHERE name='slim_sessions' AND pagetype='leaf'")
    }
    conn.close()
    victim = sorted(pages)[len(pages) // 2]
    data = bytearray(db.read_bytes())
    data[(victim - 1) * 4096 : victim * 4096] = random.Random(1).randbytes(4096)
    db.write_bytes(bytes(data))

    done = repair(db, tmp_path)
    assert done.backup is None and done.kept is not None
    with sqlite3.connect(db) as conn:
        ids = sorted(int(i[1:]) for (i,) in conn.execute("SELECT id FROM slim_sessions"))
    assert done.recovered == len(ids) and 400 - 20 <= len(ids) < 400  # one page holds about 20 rows
    assert ids[0] == 0 and ids[-1] == 399
