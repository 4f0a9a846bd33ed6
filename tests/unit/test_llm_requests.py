"""The embedded server is asked directly (``LanguageModel.ask``), not through LangChain's OpenAI client, so
that a fresh `slim ask` does not import that client before its first answer (issue 13). What the server
reads must stay the same: here both ways send their requests to a small recording server of ours, and the
requests are compared field by field (only the streaming flag differs)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from assistant.config import Settings
from assistant.llm import LanguageModel, choice_opening, embedded_sampling, openai_compatible

SCHEMA = {"type": "object", "properties": {"answer": {"enum": ["1", "2", "none"]}}, "required": ["answer"]}
REPLY = {
    "id": "r",
    "object": "chat.completion",
    "created": 0,
    "model": "local",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": '2"}'}, "finish_reason": "stop"}],
}


class Recorder(HTTPServer):
    """Answers every chat request with ``REPLY`` (as one JSON body, or as a stream when asked to) and keeps
    what it was sent."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, Any]]] = []
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def address(self) -> str:
        return f"http://127.0.0.1:{self.server_port}"


class _Handler(BaseHTTPRequestHandler):
    server: Recorder

    def do_POST(self) -> None:  # noqa: N802 (the standard library's name)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append((self.path, self.headers.get("Authorization", ""), body))
        self.send_response(200)
        if body.get("stream"):
            chunk = {**REPLY, "object": "chat.completion.chunk"}
            chunk["choices"] = [{"index": 0, "delta": {"role": "assistant", "content": '2"}'}, "finish_reason": "stop"}]
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            self.wfile.write(f"data: {json.dumps(chunk)}\n\ndata: [DONE]\n\n".encode())
        else:
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(json.dumps(REPLY).encode())

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    server = Recorder()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


MESSAGES = [
    SystemMessage("Say which sentence answers."),
    HumanMessage("Sentences:\n1. Een.\n2. Twee.\nQuestion: Twee?"),
]


def test_a_direct_choice_sends_what_langchains_client_sends(recorder: Recorder) -> None:
    settings = Settings(llm_temperature=0.0, llm_repeat_penalty=1.15)
    opening, grammar = choice_opening(SCHEMA)  # type: ignore[misc]
    direct = LanguageModel(
        "embedded:test", None, address=recorder.address, key="k", sampling=embedded_sampling(settings)
    )
    assert direct.structured(MESSAGES, SCHEMA) == '{"answer": "2"}'

    chat = openai_compatible(settings, f"{recorder.address}/v1", "local", key="k")
    extra = {"repeat_penalty": settings.llm_repeat_penalty, "cache_prompt": True, "grammar": grammar}
    chat.invoke([*MESSAGES, AIMessage(opening)], max_tokens=24, extra_body=extra)

    (path, key, asked), (client_path, client_key, sent) = recorder.requests
    assert (path, key) == (client_path, client_key) == ("/v1/chat/completions", "Bearer k")
    assert (asked.pop("stream"), sent.pop("stream")) == (False, True)
    assert asked == sent and asked["messages"][-1] == {"content": opening, "role": "assistant"}


def test_a_direct_warm_up_reads_the_prefix_once(recorder: Recorder) -> None:
    settings = Settings()
    direct = LanguageModel("embedded:test", None, address=recorder.address, sampling=embedded_sampling(settings))
    assert direct.warm(MESSAGES, keep=False) == "computed"
    openai_compatible(settings, f"{recorder.address}/v1", "local").invoke([*MESSAGES, HumanMessage("?")], max_tokens=1)
    (_, _, asked), (_, _, sent) = recorder.requests
    asked.pop("stream"), sent.pop("stream")
    assert asked == sent and asked["max_completion_tokens"] == 1


def test_the_chat_client_is_made_only_when_something_streams(recorder: Recorder) -> None:
    """A process that only chooses (`slim ask`) never imports LangChain's OpenAI client; one that streams
    (a free reflection, an ``openai:`` backend's answer) makes it on first use, from ``connect``."""
    script = f"""
import sys
from langchain_core.messages import HumanMessage
from assistant.config import Settings
from assistant.llm import LanguageModel, embedded_sampling, openai_compatible
from functools import partial
settings = Settings()
connect = partial(openai_compatible, settings, "{recorder.address}/v1", "local")
model = LanguageModel("embedded:test", None, address="{recorder.address}", connect=connect,
                      sampling=embedded_sampling(settings))
schema = {SCHEMA!r}
assert model.available and model.structured([HumanMessage("Twee?")], schema) == '{{"answer": "2"}}'
print("langchain_openai" in sys.modules)
print("".join(model.pieces([HumanMessage("Twee?")])), "langchain_openai" in sys.modules)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.splitlines() == ["False", '2"} True']
