"""A small OpenAI-compatible chat server on loopback, for tests about SLIM's own handling of a model that
is slow, busy or gone (queueing, crashes mid-answer). It streams a fixed reply, word by word."""

from __future__ import annotations

import contextlib
import http.server
import json
import threading


class ModelServer:
    """Streams ``reply`` to every chat request. A request whose body contains ``hold_on`` is held until
    ``release`` is set: a model still writing (``hold_on=""`` holds every request)."""

    def __init__(self, reply: str, hold_on: str | None = None):
        self.reply, self.hold_on = reply, hold_on
        self.asked = threading.Event()  # a held request has come in
        self.release = threading.Event()
        self.requests = 0
        self.answered = 0  # requests whose whole reply was sent
        self._http = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._http.server_address[1]}/v1"

    def __enter__(self) -> ModelServer:
        threading.Thread(target=self._http.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self._http.shutdown()
        self._http.server_close()

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode("utf-8")
                server.requests += 1
                if server.hold_on is not None and server.hold_on in body:
                    server.asked.set()
                    server.release.wait(120)
                with contextlib.suppress(OSError):  # the client may be gone (killed) by now
                    self._stream(server.reply)
                    server.answered += 1

            def _stream(self, reply: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                words = reply.split(" ")
                for n, word in enumerate(words):
                    delta = {"role": "assistant", "content": word + (" " if n < len(words) - 1 else "")}
                    self._event({"choices": [{"index": 0, "delta": delta, "finish_reason": None}]})
                self._event({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
                self.wfile.write(b"data: [DONE]\n\n")

            def _event(self, payload: dict) -> None:
                chunk = {"id": "test", "object": "chat.completion.chunk", "created": 0, "model": "test", **payload}
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.flush()

            def log_message(self, *args: object) -> None:
                pass

        return Handler
