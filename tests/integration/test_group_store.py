"""The group scan on real storage and the real report index: 30 participants writing at once (threads
and processes) lose nothing, deleting a scan leaves nothing in the tables or the file, and results and
agendas cite passages the index really holds, also through the command line."""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import sqlite3
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.coaching import coaching_bank
from assistant.config import PROJECT_ROOT
from assistant.group.agenda import agenda_for
from assistant.group.catalog import group_catalog
from assistant.group.models import Agreement, ScanSettings, ThemeAnswer
from assistant.group.results import scan_results
from assistant.group.signals import ExplanationSignals
from assistant.group.store import GroupStore
from assistant.retrieve import Retriever
from assistant.sessiondb import backup_daily
from assistant.sessions import SessionStore

PROMPTS = PROJECT_ROOT / "prompts"
PEOPLE = 30


def _fill_in(path: str, data_dir: str, scan_id: str, themes: list[str], number: int, start) -> None:
    """One participant: waits for everyone, then saves every theme, step by step, as the page does."""
    store = GroupStore(Path(path), Path(data_dir))
    person = store.new_participant()
    start.wait()
    for i, theme in enumerate(themes):
        text = f"deelnemer {number} thema {i}"
        store.save_answer(scan_id, person, ThemeAnswer(theme=theme, score=1 + (number + i) % 5, explanation=text))


def _check_nothing_lost(store: GroupStore, scan_id: str, themes: list[str]) -> None:
    assert store.count(scan_id) == PEOPLE
    answers = store.answers(scan_id)
    assert len(answers) == PEOPLE * len(themes)
    expected = {f"deelnemer {n} thema {i}" for n in range(PEOPLE) for i in range(len(themes))}
    assert {a.explanation for a in answers} == expected


def test_thirty_threads_submitting_at_once_lose_nothing(tmp_path: Path) -> None:
    store = GroupStore(tmp_path / "sessions.sqlite", tmp_path)
    scan = store.create(ScanSettings(network="Netwerk Oost")).scan
    start = threading.Barrier(PEOPLE)
    errors: list[BaseException] = []

    def run(number: int) -> None:
        try:
            _fill_in(str(store.path), str(tmp_path), scan.id, scan.settings.themes, number, start)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(PEOPLE)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    _check_nothing_lost(store, scan.id, scan.settings.themes)


def test_thirty_processes_submitting_at_once_lose_nothing(tmp_path: Path) -> None:
    store = GroupStore(tmp_path / "sessions.sqlite", tmp_path)
    scan = store.create(ScanSettings(network="Netwerk Oost")).scan
    ctx = multiprocessing.get_context("fork")
    start = ctx.Barrier(PEOPLE)
    args = (str(store.path), str(tmp_path), scan.id, scan.settings.themes)
    processes = [ctx.Process(target=_fill_in, args=(*args, n, start)) for n in range(PEOPLE)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
    assert [p.exitcode for p in processes] == [0] * PEOPLE
    _check_nothing_lost(store, scan.id, scan.settings.themes)


def test_delete_leaves_nothing_behind(tmp_path: Path) -> None:
    path = tmp_path / "sessions.sqlite"
    SessionStore(sqlite3.connect(path), tmp_path)  # the reflection sessions share the file
    store = GroupStore(path, tmp_path)
    marker = "kwetsbaarheidmarkering"
    gone = store.create(ScanSettings(network=f"Netwerk {marker}")).scan
    kept = store.create(ScanSettings(network="Netwerk West")).scan
    for scan in (gone, kept):
        for _ in range(3):
            person = store.new_participant()
            for theme in scan.settings.themes:
                text = f"{marker} {theme}" if scan is gone else "blijft"
                store.save_answer(scan.id, person, ThemeAnswer(theme=theme, score=3, explanation=text, example=text))
        store.add_agreement(scan.id, Agreement(action=f"{marker} actie" if scan is gone else "blijft", owner="Anna"))
    with sqlite3.connect(path) as conn:
        backup = backup_daily(conn, tmp_path, today=dt.date(2000, 1, 1))  # a backup that holds the scan
    assert backup is not None and marker.encode() in backup.read_bytes()
    assert store.delete(gone.id) and not store.delete(gone.id)
    conn = sqlite3.connect(path)
    for table in ("group_scans", "group_answers", "group_agreements"):
        column = "id" if table == "group_scans" else "scan_id"
        assert conn.execute(f"SELECT COUNT(*) FROM {table} WHERE {column}=?", (gone.id,)).fetchone()[0] == 0
        rows = conn.execute(f"SELECT * FROM {table}").fetchall()
        assert rows and marker not in repr(rows)  # the other scan is still there, nothing of this one
    conn.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("sessions.sqlite*"))
    assert marker.encode() not in raw and marker.encode() not in backup.read_bytes()
    assert store.count(kept.id) == 3 and len(store.agreements(kept.id)) == 1


def test_every_catalogue_passage_resolves_in_the_index(corpus_retriever: Retriever) -> None:
    for where, ref in group_catalog(PROMPTS).all_refs():
        hit = corpus_retriever.passage_with(ref.section, ref.phrase)
        assert hit is not None, (where, ref)


def test_results_and_agenda_cite_the_index(tmp_path: Path, corpus_retriever: Retriever) -> None:
    store = GroupStore(tmp_path / "sessions.sqlite", tmp_path)
    scan = store.create(ScanSettings(network="Netwerk Oost", min_answers=3, lang="en")).scan
    for n in range(4):
        person = store.new_participant()
        for i, theme in enumerate(scan.settings.themes):
            store.save_answer(scan.id, person, ThemeAnswer(theme=theme, score=1 + (n * i) % 5, explanation="x"))
    assert not scan_results(store, scan, PROMPTS, corpus_retriever).shown
    scan = store.reveal(scan.id)
    results = scan_results(store, scan, PROMPTS, corpus_retriever)
    assert results.shown and all(t.tip and t.tip.citation and t.tip.case_citation for t in results.themes)
    agenda = agenda_for(scan, results, PROMPTS, corpus_retriever, minutes=90)
    assert agenda.total == 90 and agenda.lang == "en"
    assert all(b.citations for b in agenda.blocks if b.kind != "break")


def test_cli_from_create_to_delete(corpus_data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLIM_DATA_DIR", str(corpus_data_dir))
    runner = CliRunner()
    created = runner.invoke(app, ["group", "create", "--network", "Netwerk CLI", "--min-answers", "3", "--json"])
    assert created.exit_code == 0, created.output
    payload = json.loads(created.stdout)
    scan_id, code = payload["scan"]["id"], payload["scan"]["code"]
    assert code in payload["join_url"] and payload["secret"] in payload["facilitator_url"]
    store = GroupStore(corpus_data_dir / "sessions.sqlite", corpus_data_dir)
    assert store.by_code(code).id == scan_id
    for n in range(3):
        person = store.new_participant()
        for theme in payload["scan"]["settings"]["themes"]:
            store.save_answer(scan_id, person, ThemeAnswer(theme=theme, score=2 + n, explanation=f"uitleg {n}"))
    hidden = json.loads(runner.invoke(app, ["group", "results", scan_id, "--json"]).stdout)
    assert hidden["shown"] is False and hidden["answered"] == 3 and "uitleg" not in json.dumps(hidden)
    assert runner.invoke(app, ["group", "reveal", scan_id]).exit_code == 0
    shown = json.loads(runner.invoke(app, ["group", "results", scan_id, "--json"]).stdout)
    assert shown["shown"] and shown["themes"][0]["distribution"] == {"1": 0, "2": 1, "3": 1, "4": 1, "5": 0}
    assert shown["themes"][0]["tip"]["citation"]["section"]
    listed = runner.invoke(app, ["group", "list"])
    assert scan_id in listed.output and "Netwerk CLI" in listed.output
    assert store.by_code(code).created.strftime("%d-%m-%Y") in listed.output  # the date as a Dutch reader writes it
    agenda = runner.invoke(app, ["group", "agenda", scan_id, "--minutes", "60"])
    assert agenda.exit_code == 0 and "(60 min)" in agenda.output and "> [1] §" in agenda.output
    assert runner.invoke(app, ["group", "close", scan_id]).exit_code == 0
    wrong = runner.invoke(app, ["group", "agenda", scan_id, "--minutes", "45"])
    assert wrong.exit_code == 2 and "45" in wrong.output
    assert runner.invoke(app, ["group", "delete", scan_id]).exit_code == 0
    missing = runner.invoke(app, ["group", "results", scan_id])
    assert missing.exit_code == 2 and "slim group list" in missing.output


def test_explanations_are_matched_to_the_coaching_bank_signals_with_the_real_model(embeddings) -> None:
    """The guide's own matching (e5 against the signal's examples) on explanations written like a
    participant's, none of them copied from the bank."""
    theme = "gezamenlijk-doel"
    texts = [
        "Eigenlijk is ons doel nooit hardop gezegd, iedereen vult het zelf een beetje in.",
        "We hebben geen duidelijk doel op papier; mensen komen vooral voor de contacten.",
        "Een doel? Dat is nooit echt benoemd, het is meer een gevoel.",
        "Zodra het in de eigen organisatie spannend wordt, gaat het eigen belang voor.",
    ]
    counter = ExplanationSignals(coaching_bank(PROMPTS), embeddings)
    found = counter.count(theme, texts, group_catalog(PROMPTS), "nl")
    assert found and found[0].signal == "goal_implicit_or_vague" and found[0].count >= 2 and found[0].total == 4
    assert counter.signal_of(theme, texts[0]) == counter.signal_of(theme, "  " + texts[0])  # remembered
