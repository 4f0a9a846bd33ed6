"""A fresh `slim ask` answered by a process that keeps everything loaded (issue 13): the real index, the
real command in a fresh process, no language model (``--llm none``), so the answer is deterministic and
must be the one the command computes itself."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.ask_server import read_record, record_file
from assistant.cli import app
from assistant.config import PROJECT_ROOT
from assistant.environment import load_settings
from assistant.services import build_services

QUESTION = "Hoeveel gemeenten werken samen in de Metropoolregio Eindhoven?"
SAME = ("answer", "language", "grounded", "citations")


def _own(question: str) -> dict:
    result = CliRunner().invoke(app, ["ask", question, "--llm", "none", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_a_served_ask_answers_as_the_command_itself_would(
    corpus_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLIM_DATA_DIR", str(corpus_data_dir))
    own = _own(QUESTION)
    assert own["timings"]["served"] is False and own["grounded"] is True

    settings = load_settings(llm="none")
    server = build_services(settings).offer_answers()
    assert server is not None
    try:
        fresh = subprocess.run(  # a fresh process, as a person starts it
            [sys.executable, "-m", "assistant", "ask", QUESTION, "--llm", "none", "--json"],
            cwd=PROJECT_ROOT,
            env=os.environ,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        served = json.loads(fresh.stdout)
        assert served["timings"]["served"] is True
        assert {k: served[k] for k in SAME} == {k: own[k] for k in SAME}

        english = "How many municipalities work together in the Eindhoven metropolitan region?"
        assert served["language"] == "nl" and _own(english)["timings"]["served"] is True

        record = read_record(settings)
        assert record is not None
        record_file(settings).write_text(record.model_copy(update={"key": "x" * 32}).model_dump_json())
        refused = _own(QUESTION)  # a wrong key: the command answers itself, the same
        assert refused["timings"]["served"] is False and {k: refused[k] for k in SAME} == {k: own[k] for k in SAME}

        record_file(settings).write_text(record.model_copy(update={"pid": 0x3FFFFFF0}).model_dump_json())
        assert _own(QUESTION)["timings"]["served"] is False  # a stale record: its own path
        record_file(settings).write_text(record.model_dump_json())
        assert _own(QUESTION)["timings"]["served"] is True
    finally:
        server.withdraw()
    assert not record_file(settings).exists()
    assert _own(QUESTION)["timings"]["served"] is False  # the server stopped: its own path again


def test_a_server_with_other_settings_is_not_asked(corpus_data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLIM_DATA_DIR", str(corpus_data_dir))
    server = build_services(load_settings(llm="none", top_k=9)).offer_answers()
    assert server is not None
    try:
        assert _own(QUESTION)["timings"]["served"] is False
    finally:
        server.withdraw()
