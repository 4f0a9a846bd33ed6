"""Questions answered by another SLIM process (issue 13): used only when the record, the process, the key
and the digest of settings, code and prompts all hold; otherwise ``slim ask`` answers itself. The answerer
here is a small function of ours — what is under test is the serving, the refusals and the record."""

from __future__ import annotations

import http.client
import json
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from assistant.ask_server import (
    AskRecord,
    AskRequest,
    AskServer,
    ask_served,
    read_record,
    record_file,
    settings_digest,
)
from assistant.config import Settings
from assistant.domain import Answer, Citation, Timings


class Answerer:
    """Answers with the question's words quoted, in two pieces; counts what it was asked."""

    def __init__(self) -> None:
        self.asked: list[AskRequest] = []

    def __call__(self, request: AskRequest, on_piece: Callable[[str], None]) -> Answer:
        self.asked.append(request)
        on_piece("Het rapport zegt: ")
        on_piece(f"“{request.question}” [1]")
        citation = Citation(
            n=1, chunk_id="c1", source="Samen Leren Impact Maken", section="3", heading="3 Cultuur", page=12, text="…"
        )
        return Answer(
            answer=f"Het rapport zegt: “{request.question}” [1]",
            language="nl",
            grounded=True,
            citations=[citation],
            timings=Timings(retrieval_s=0.1, first_token_s=0.2, total_s=0.3),
            method="chosen",
        )


@pytest.fixture
def answerer() -> Answerer:
    return Answerer()


@pytest.fixture
def served(settings: Settings, answerer: Answerer) -> Iterator[AskServer]:
    server = AskServer(settings, answerer)
    assert server.publish()
    yield server
    server.withdraw()


def test_a_recorded_server_answers_the_question(settings: Settings, served: AskServer, answerer: Answerer) -> None:
    pieces: list[str] = []
    result = ask_served(settings.model_copy(update={"workspace": "team"}), "Wat is stralend falen?", pieces.append)
    assert result is not None and result.first_piece_at is not None
    assert result.answer.answer == "Het rapport zegt: “Wat is stralend falen?” [1]" == "".join(pieces)
    assert result.answer.citations[0].page == 12 and result.answer.method == "chosen"
    assert [(a.question, a.workspace) for a in answerer.asked] == [("Wat is stralend falen?", "team")]
    if os.name == "posix":  # the key is for this user only
        assert stat.S_IMODE(record_file(settings).stat().st_mode) == 0o600


def _write(settings: Settings, record: AskRecord) -> None:
    record_file(settings).write_text(record.model_dump_json())


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"key": "x" * 32}, "a key the server refuses"),
        ({"pid": 0x3FFFFFF0}, "a process that has ended (a stale record)"),
        ({"settings": "0" * 64}, "other settings, code or prompts"),
    ],
)
def test_a_server_that_does_not_hold_is_not_asked(
    settings: Settings, served: AskServer, answerer: Answerer, changes: dict, why: str
) -> None:
    _write(settings, served.record.model_copy(update=changes))
    assert ask_served(settings, "Wat is stralend falen?") is None, why
    assert answerer.asked == []


def test_a_record_of_a_closed_port_or_an_unreadable_one_is_no_server(settings: Settings) -> None:
    server = AskServer(settings, Answerer())
    record = server.record
    server.withdraw()
    record_file(settings).parent.mkdir(parents=True, exist_ok=True)
    _write(settings, record)  # the process lives (it is this one) but nothing listens
    assert ask_served(settings, "Wat is stralend falen?") is None
    for content in ("", "{", json.dumps({"pid": 1})):
        record_file(settings).write_text(content)
        assert read_record(settings) is None and ask_served(settings, "Wat is stralend falen?") is None


def _post(port: int, body: bytes, key: str, path: str = "/ask") -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.request("POST", path, body=body, headers={"Authorization": f"Bearer {key}"})
    response = connection.getresponse()
    response.read()  # the whole reply: the answer has been written
    connection.close()
    return response.status


def test_the_server_refuses_what_it_must_not_answer(settings: Settings, served: AskServer, answerer: Answerer) -> None:
    good = AskRequest(question="Wat?", workspace="default", settings=served.digest).model_dump_json().encode()
    assert _post(served.port, good, "wrong-key" * 4) == 401
    assert _post(served.port, good, served.key, path="/slots") == 404
    assert _post(served.port, b"{}", served.key) == 400
    assert _post(served.port, b"x" * (64 * 1024 + 1), served.key) == 413
    other = AskRequest(question="Wat?", workspace="default", settings="0" * 64).model_dump_json().encode()
    assert _post(served.port, other, served.key) == 409  # the server checks the digest again
    assert answerer.asked == []
    assert _post(served.port, good, served.key) == 200 and len(answerer.asked) == 1


def test_a_failing_answer_means_the_asking_process_answers_itself(settings: Settings) -> None:
    def broken(request: AskRequest, on_piece: Callable[[str], None]) -> Answer:
        raise RuntimeError("the index is gone")

    server = AskServer(settings, broken)
    assert server.publish()
    try:
        assert ask_served(settings, "Wat is stralend falen?") is None
    finally:
        server.withdraw()
    assert not record_file(settings).exists()  # withdrawn with its server


def test_a_live_record_is_kept_and_a_stale_one_replaced(settings: Settings, served: AskServer) -> None:
    second = AskServer(settings, Answerer())
    try:
        assert not second.publish()  # the first live one stays (this process is alive, its port listens)
        assert read_record(settings) == served.record
        _write(settings, served.record.model_copy(update={"pid": 0x3FFFFFF0}))
        assert second.publish() and read_record(settings) == second.record
    finally:
        second.withdraw()


def test_the_digest_follows_settings_and_prompts_but_not_the_workspace(tmp_path: Path) -> None:
    prompts = tmp_path / "prompts"
    prompts.mkdir()
    (prompts / "a.yaml").write_text("a: 1\n")
    base = Settings(data_dir=tmp_path / "data", prompts_dir=prompts)
    digest = settings_digest(base)
    assert settings_digest(base.model_copy(update={"workspace": "team"})) == digest
    assert settings_digest(base.model_copy(update={"top_k": 7})) != digest
    assert settings_digest(base.model_copy(update={"llm": "none"})) != digest
    os.utime(prompts / "a.yaml", ns=(1, 1))  # an edited prompt file
    assert settings_digest(base) != digest
