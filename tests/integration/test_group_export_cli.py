"""The group exports through the command line on the real index: `slim group create --qr`, `slim group
agenda -o` (DOCX, PDF, Markdown) and `slim group export` (agenda + results CSV + results PDF), the latter
also before reveal, when the results files may hold nothing but the count; and `slim bench --group` on a
few participants (nothing lost)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import docx
import pypdf
import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.evaluation.group import group_table, run_group_bench
from assistant.group.models import ThemeAnswer
from assistant.group.store import GroupStore

SECRET = "kwartelnestgeheim"


def test_cli_exports_from_create_to_files(corpus_data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SLIM_DATA_DIR", str(corpus_data_dir))
    monkeypatch.setenv("SLIM_PUBLIC_URL", "http://192.168.1.20:8501")
    runner = CliRunner()
    qr = tmp_path / "join.png"
    args = ["group", "create", "--network", "Netwerk Export", "--min-answers", "3", "--json", "--qr", str(qr)]
    created = runner.invoke(app, args)
    assert created.exit_code == 0, created.output
    payload = json.loads(created.stdout)
    scan_id = payload["scan"]["id"]
    assert payload["join_url"].startswith("http://192.168.1.20:8501/groepsscan?code=")
    assert qr.read_bytes().startswith(b"\x89PNG")
    store = GroupStore(corpus_data_dir / "sessions.sqlite", corpus_data_dir)
    for n in range(3):
        person = store.new_participant()
        for theme in payload["scan"]["settings"]["themes"]:
            store.save_answer(scan_id, person, ThemeAnswer(theme=theme, score=2 + n, explanation=f"{SECRET} {n}"))

    hidden = runner.invoke(app, ["group", "export", scan_id, "-o", str(tmp_path / "before")])
    assert hidden.exit_code == 0, hidden.output
    stem = tmp_path / "before" / f"groepsscan-{scan_id}"
    assert list(csv.reader(io.StringIO(Path(f"{stem}-resultaten.csv").read_text())))[1:] == []
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(f"{stem}-resultaten.pdf").pages)
    assert "3 mensen hebben geantwoord" in text and SECRET not in text

    assert runner.invoke(app, ["group", "reveal", scan_id]).exit_code == 0
    out = tmp_path / "after"
    shown = runner.invoke(app, ["group", "export", scan_id, "-o", str(out), "--minutes", "60"])
    assert shown.exit_code == 0, shown.output
    stem = out / f"groepsscan-{scan_id}"
    rows = list(csv.reader(io.StringIO(Path(f"{stem}-resultaten.csv").read_text())))
    assert len(rows) == 1 + len(payload["scan"]["settings"]["themes"]) and rows[1][3:8] == ["0", "1", "1", "1", "0"]
    results_text = " ".join(p.extract_text() for p in pypdf.PdfReader(f"{stem}-resultaten.pdf").pages)
    assert "§" in results_text
    document = docx.Document(f"{stem}-agenda.docx")
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings[0].startswith("0:00 ") and any(h.startswith("Werkvorm: ") for h in headings)
    assert any(p.text.startswith("[1] §") for p in document.paragraphs)
    assert Path(f"{stem}-agenda.md").read_text().count("> [1] §") >= 3
    assert pypdf.PdfReader(f"{stem}-agenda.pdf").pages

    for suffix in (".docx", ".pdf", ".md"):
        target = tmp_path / f"agenda{suffix}"
        agenda = runner.invoke(app, ["group", "agenda", scan_id, "--minutes", "120", "-o", str(target)])
        assert agenda.exit_code == 0 and target.stat().st_size > 0, agenda.output
    wrong = runner.invoke(app, ["group", "agenda", scan_id, "-o", str(tmp_path / "agenda.txt")])
    assert wrong.exit_code == 2 and ".docx" in wrong.output


def test_group_bench_loses_nothing() -> None:
    result = run_group_bench(6)
    assert result.lost == 0 and result.errors == 0 and result.stored == result.expected == 6 * result.themes
    assert result.visible_max_s < 10 and result.submit_p95_ms > 0
    assert "| burst (all at once) | 0 of" in group_table([result])


def test_bench_group_zero_runs_the_group_bench_not_the_index_bench(tmp_path: Path) -> None:
    """`slim bench --group 0` (with `--browsers 1`: a browser's clicks alone) is the group bench with no
    simulated writers; it used to fall through to the index bench and rewrite that section."""
    output = tmp_path / "benchmarks.md"
    done = CliRunner().invoke(app, ["bench", "--group", "0", "--browsers", "0", "--output", str(output)])
    assert done.exit_code == 0, done.output
    text = output.read_text(encoding="utf-8")
    assert "<!-- BEGIN slim bench --group -->" in text and "| burst (all at once) | 0 of 0 (0 errors) ✓" in text
    assert "<!-- BEGIN slim bench -->" not in text
