"""Read a person's file in a child process with a time limit and a memory limit.

A crafted PDF can loop for ever or expand to gigabytes, and a parser bug can crash the interpreter. In a
child process none of that reaches the app or the index: the child is killed at the limit and the person
gets one clear message. The child sends the parsed segments back as JSON on stdout.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from assistant.config import Settings
from assistant.errors import InputError
from assistant.ingest import LoadedDocument, Segment, load_document, read_bytes

MEMORY_ERROR_EXIT = 3
MAX_CHARS = 5_000_000  # about 2,000 pages; embedding it takes some ten minutes on two cores
MAX_SEGMENTS = 50_000


def check_size(path: Path, settings: Settings) -> None:
    size = path.stat().st_size if path.is_file() else 0
    if size > settings.upload_max_mb * 1_000_000:
        raise InputError("error.too_large", path=path.name, mb=round(size / 1_000_000, 1), max=settings.upload_max_mb)


def parse_untrusted(path: Path, kind: str, settings: Settings) -> LoadedDocument:
    """``load_document`` in a child process under ``settings``' limits; every failure is an InputError."""
    read_bytes(path)  # missing or unreadable: the same messages as for the corpus
    check_size(path, settings)
    memory = settings.parse_memory_mb * 1024 * 1024

    def limit() -> None:  # runs in the child before it starts Python
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    args = [str(path), kind, str(settings.chunk_chars), str(settings.chunk_overlap_chars), str(settings.max_pages)]
    try:
        done = subprocess.run(
            [sys.executable, "-m", "assistant.safeparse", *args],
            capture_output=True,
            timeout=settings.parse_timeout_s,
            preexec_fn=limit,
            check=False,
        )
    except subprocess.TimeoutExpired:  # subprocess.run has killed the child
        raise InputError("error.parse_timeout", path=path.name, seconds=settings.parse_timeout_s) from None
    if done.returncode == 0:
        return _decode_document(json.loads(done.stdout))
    if done.returncode == InputError.exit_code:
        error = json.loads(done.stdout)
        raise InputError(error["key"], **error["values"])
    if done.returncode == MEMORY_ERROR_EXIT or done.returncode < 0:
        raise InputError("error.parse_memory", path=path.name, mb=settings.parse_memory_mb)
    raise InputError("error.corrupt_file", path=path.name, detail=f"exit {done.returncode}")


def untrusted_loader(
    own: Callable[[LoadedDocument, Path], LoadedDocument], parsed: LoadedDocument | None = None
) -> Callable[[Path, str, Settings], LoadedDocument]:
    """How ``index.sync`` reads the files a workspace or the shared library keeps: each in the child
    process, then made the holder's own by ``own`` (named, linked to its record). ``parsed`` is a file
    just read to check it, already its holder's own (its ``path`` is where it is kept): not read twice."""

    def load(path: Path, kind: str, settings: Settings) -> LoadedDocument:
        if parsed is not None and path == parsed.path:
            return parsed
        return own(parse_untrusted(path, kind, settings), path)

    return load


def _decode_document(data: dict) -> LoadedDocument:
    segments = [Segment(**dict(s, heading_path=tuple(s["heading_path"]))) for s in data.pop("segments")]
    return LoadedDocument(**dict(data, path=Path(data["path"])), segments=segments)


def check_amount(doc: LoadedDocument, path: Path) -> None:
    """More text or structure than a person's document has: refused before it costs hours of embedding."""
    chars = sum(len(seg.text) for seg in doc.segments)
    if chars > MAX_CHARS or len(doc.segments) > MAX_SEGMENTS:
        raise InputError("error.too_much_text", path=path.name, chars=chars, max=MAX_CHARS)


def _child(path: str, kind: str, chunk_chars: str, overlap_chars: str, max_pages: str) -> int:
    try:
        doc = load_document(
            Path(path), kind, chunk_chars=int(chunk_chars), overlap_chars=int(overlap_chars), max_pages=int(max_pages)
        )
        check_amount(doc, Path(path))
        print(json.dumps(dict(asdict(doc), path=str(doc.path))))
        return 0
    except InputError as exc:
        values = {k: (Path(v).name if k == "path" else v) for k, v in exc.values.items()}
        print(json.dumps({"key": exc.key, "values": values}))
        return InputError.exit_code
    except MemoryError:
        return MEMORY_ERROR_EXIT
    except Exception as exc:  # noqa: BLE001 — any parser failure on an untrusted file means "corrupt"
        print(
            json.dumps({"key": "error.corrupt_file", "values": {"path": Path(path).name, "detail": type(exc).__name__}})
        )
        return InputError.exit_code


if __name__ == "__main__":
    sys.exit(_child(*sys.argv[1:6]))
