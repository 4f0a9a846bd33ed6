"""Using another SLIM process's model server (issue 13): only when the record, the process, the server, the
key and the model file all still hold; otherwise a process starts its own. The servers here are small
loopback HTTP servers that answer ``/props`` as llama.cpp's does — the logic under test is SLIM's."""

from __future__ import annotations

import http.server
import json
import os
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.llm import choice_opening, make_llm
from assistant.model_server import ServerRecord, publish, read_record, record_file, running_server, withdraw
from assistant.models import MODELS, model_path

KEY = "k" * 32


class PropsServer:
    """Answers ``GET /props`` with ``model_path`` when the bearer key is right, 401 otherwise."""

    def __init__(self, path: str, key: str = KEY):
        self.path, self.key, self.asked = path, key, 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                outer.asked += 1
                if self.headers.get("Authorization") != f"Bearer {outer.key}":
                    self.send_response(401)
                    self.end_headers()
                    return
                body = json.dumps({"model_path": outer.path, "total_slots": 1}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.http = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.http.server_address[1]
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.http.shutdown()
        self.http.server_close()


@pytest.fixture
def model_file(tmp_path: Path) -> Path:
    """A model file as `slim models install` leaves it: the right size (sparse, nothing written) and verified."""
    spec = MODELS["qwen2.5-coder-1.5b"]
    path = model_path(tmp_path / "models", spec.name)
    path.parent.mkdir()
    with open(path, "wb") as handle:
        handle.truncate(spec.size)
    path.with_suffix(path.suffix + ".sha256").write_text(spec.sha256 + "\n")
    return path


@pytest.fixture
def props(model_file: Path) -> Iterator[PropsServer]:
    server = PropsServer(str(model_file))
    yield server
    server.close()


def record(port: int, path: Path, **changes: object) -> ServerRecord:
    spec = MODELS["qwen2.5-coder-1.5b"]
    values = {"pid": os.getpid(), "port": port, "model": spec.name, "sha256": spec.sha256, "path": str(path)}
    values.update({"slots": str(path.parent / "slots"), "key": KEY})
    return ServerRecord(**{**values, **changes})


def test_a_live_server_with_the_same_model_is_used(settings: Settings, props: PropsServer, model_file: Path) -> None:
    assert publish(settings, record(props.port, model_file))
    found = running_server(settings)
    assert found is not None and found.address == f"http://127.0.0.1:{props.port}" and props.asked == 1
    if os.name == "posix":  # the key is for this user only
        assert stat.S_IMODE(record_file(settings).stat().st_mode) == 0o600

    llm = make_llm(settings, reuse=True)  # what `slim ask` gets: no model loaded in this process
    assert llm.shared and llm.server is None and llm.chooses
    assert llm.address == found.address and llm.key == KEY and llm.slots == model_file.parent / "slots"


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"sha256": "0" * 64}, "a model file with another sha256"),
        ({"model": "another-model"}, "another model's name"),
        ({"key": "x" * 32}, "a key the server refuses"),
        ({"pid": 0x3FFFFFF0}, "a process that has ended (a stale record)"),
    ],
)
def test_a_server_that_does_not_hold_is_not_used(
    settings: Settings, props: PropsServer, model_file: Path, changes: dict, why: str
) -> None:
    record_file(settings).parent.mkdir(parents=True)
    record_file(settings).write_text(record(props.port, model_file, **changes).model_dump_json())
    assert running_server(settings) is None, why


def test_a_dead_server_is_not_used(settings: Settings, props: PropsServer, model_file: Path) -> None:
    """The process lives (this one) but nothing answers on the port any more."""
    port = props.port
    props.close()
    record_file(settings).parent.mkdir(parents=True)
    record_file(settings).write_text(record(port, model_file).model_dump_json())
    assert running_server(settings, timeout=0.5) is None


def test_a_server_of_another_file_is_not_used(settings: Settings, model_file: Path) -> None:
    other = PropsServer("/somewhere/else/model.gguf")
    try:
        record_file(settings).parent.mkdir(parents=True)
        record_file(settings).write_text(record(other.port, model_file).model_dump_json())
        assert running_server(settings) is None and other.asked == 1
    finally:
        other.close()


def test_a_record_for_an_unverified_file_is_not_used(settings: Settings, props: PropsServer, model_file: Path) -> None:
    model_file.with_suffix(model_file.suffix + ".sha256").unlink()  # assembled, never verified
    record_file(settings).parent.mkdir(parents=True)
    record_file(settings).write_text(record(props.port, model_file).model_dump_json())
    assert running_server(settings) is None and props.asked == 0


@pytest.mark.parametrize(
    "content",
    ["", "not json", '{"pid": 1}', json.dumps({"pid": 1, "port": 80, "host": "10.0.0.1"})],
)
def test_an_unreadable_record_is_no_server(settings: Settings, content: str) -> None:
    record_file(settings).parent.mkdir(parents=True)
    record_file(settings).write_text(content)
    assert read_record(settings) is None and running_server(settings) is None


def test_the_address_is_always_loopback(model_file: Path) -> None:
    with pytest.raises(ValueError):
        ServerRecord.model_validate({**record(8080, model_file).model_dump(), "address": "http://10.0.0.1:8080"})
    assert record(8080, model_file).address == "http://127.0.0.1:8080"


def test_a_live_record_is_kept_and_a_stale_one_replaced(
    settings: Settings, props: PropsServer, model_file: Path
) -> None:
    first = record(props.port, model_file)
    assert publish(settings, first)
    assert not publish(settings, record(props.port + 1, model_file))  # the first still serves: it stays
    assert read_record(settings) == first
    with subprocess.Popen([sys.executable, "-c", "pass"]) as ended:
        ended.wait()
    record_file(settings).write_text(record(props.port, model_file, pid=ended.pid).model_dump_json())
    assert publish(settings, first)  # the stale record is replaced
    assert read_record(settings) == first


def test_only_the_owner_withdraws_its_record(settings: Settings, props: PropsServer, model_file: Path) -> None:
    assert publish(settings, record(props.port, model_file))
    withdraw(settings, pid=os.getpid() + 1)  # another process stops: not its record
    assert read_record(settings) is not None
    withdraw(settings)
    assert not record_file(settings).exists()
    withdraw(settings)  # nothing left to remove: no error


def test_without_a_usable_server_a_process_starts_its_own(
    settings: Settings, model_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No record, or one that does not hold: `make_llm(reuse=True)` goes on to start this process's own
    server (here recorded instead of started: loading the model is the integration tests' part)."""
    started: list[bool] = []
    monkeypatch.setattr("assistant.llm._embedded", lambda settings, share, child: started.append(share) or "own")
    assert make_llm(settings, reuse=True) == "own"
    record_file(settings).parent.mkdir(parents=True, exist_ok=True)
    record_file(settings).write_text(record(1, model_file, pid=0x3FFFFFF0).model_dump_json())
    assert make_llm(settings, reuse=True) == "own"
    assert make_llm(settings, reuse=True, share=True) == "own"  # a process that offers its server has its own
    assert started == [False, False, True]


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        (
            {"type": "object", "properties": {"answer": {"enum": ["1", "2", "none"]}}, "required": ["answer"]},
            ('{"answer": "', 'root ::= ("1" | "2" | "none") "\\"}"'),
        ),
        ({"type": "object", "properties": {"answer": {"enum": ['1"} x']}}, "required": ["answer"]}, None),
        ({"type": "object", "properties": {"answer": {"enum": [1, 2]}}, "required": ["answer"]}, None),
        ({"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}, None),
        ({"type": "object", "properties": {"a": {"enum": ["1"]}, "b": {"enum": ["2"]}}, "required": ["a", "b"]}, None),
        ({"type": "object", "properties": {"answer": {"enum": ["1"]}}}, None),
    ],
)
def test_a_choice_of_one_value_is_asked_as_an_opening_and_a_grammar(schema: dict, expected: object) -> None:
    """The choice's reply starts the way the schema forces anyway; only plain values make a grammar (a
    value with quotes or spaces would break out of it), any other schema goes to the server as a schema."""
    assert choice_opening(schema) == expected
