"""llama.cpp's server for the embedded model, in this process or in a child process of its own.

xllamacpp holds Python's lock while it loads a model, so in one process nothing else runs meanwhile. A
command that asks once and ends (``slim ask``) therefore loads the model in a child process
(``python -m assistant.llm_process``) while it imports, opens the index and searches; the two take turns
on the CPU's cores instead of one after the other. The child reads its parameters as one JSON line on
stdin, prints ``ready`` once it listens, and ends when stdin closes (its parent has ended). This module
imports nothing heavy, so the child starts loading at once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from typing import Any


def server_params(
    model: str, context: int, threads: int, port: int, slots: str | None = None, key: str | None = None
) -> dict[str, Any]:
    """The server's parameters as plain values (the same for both ways of running it)."""
    return {"model": model, "context": context, "threads": threads, "port": port, "slots": slots, "key": key}


def start_server(values: dict[str, Any]) -> Any:
    """llama.cpp's server in this process, listening on 127.0.0.1 only."""
    import xllamacpp as xlc

    params = xlc.CommonParams()
    params.model.path = values["model"]
    params.n_ctx = values["context"]
    params.n_parallel = 1  # one answer at a time on a small CPU; requests queue in the server
    params.cpuparams.n_threads = values["threads"]
    params.cpuparams_batch.n_threads = values["threads"]
    params.cache_prompt = True  # the fixed system prompt and examples are computed once
    params.hostnames = ["127.0.0.1"]
    params.port = values["port"]
    params.warmup = True
    # no weights repacked for this CPU: on 2 cores of an AMD EPYC they loaded 0.3-0.4 s slower and read a prompt
    # ~15% slower; they only write faster, and SLIM's model writes 3 tokens (docs/benchmarks.md, "Session 36")
    params.no_extra_bufts = True
    params.ui = False  # no chat page in a browser: SLIM only uses the API
    if values.get("key"):
        params.api_keys = [values["key"]]
    if values.get("slots"):  # saving and restoring the computed prompt prefix (LanguageModel.warm)
        params.endpoint_slots = True
        params.slot_save_path = f"{values['slots']}/"  # the server appends the file name as it is
    return xlc.Server(params)


class ChildServer:
    """The server loading in a child process; ``wait`` blocks until it listens (or raises when it could not
    start). The child ends with this process: when this process ends, the child's stdin closes."""

    def __init__(self, values: dict[str, Any]):
        self.address = f"http://127.0.0.1:{values['port']}"
        self._process = subprocess.Popen(  # noqa: S603 (this interpreter, this package's module)
            [sys.executable, "-m", "assistant.llm_process"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdin is not None
        self._process.stdin.write(json.dumps(values) + "\n")
        self._process.stdin.flush()
        self._ready = threading.Event()
        self._failed = False
        threading.Thread(target=self._watch, daemon=True, name="slim-model-child").start()

    @property
    def listening_address(self) -> str:
        return self.address

    def _watch(self) -> None:
        assert self._process.stdout is not None
        self._failed = self._process.stdout.readline().strip() != "ready"
        self._ready.set()

    def wait(self, timeout: float = 600) -> None:
        if not self._ready.wait(timeout) or self._failed:
            raise RuntimeError(f"the embedded model server did not start (exit code {self._process.poll()})")

    def close(self) -> None:
        """Stop the child now (it would stop by itself when this process ends)."""
        if self._process.stdin and not self._process.stdin.closed:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()


def main() -> None:
    values = json.loads(sys.stdin.readline())
    server = start_server(values)
    print("ready", flush=True)
    sys.stdin.read()  # until the parent closes it or ends
    del server
    os._exit(0)


if __name__ == "__main__":
    main()
