"""LangChain's own fake chat models, wrapped as SLIM language models, for tests of SLIM's logic."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from assistant.embeddings import SlimEmbeddings
from assistant.llm import LanguageModel


def fake_llm(*replies: str) -> LanguageModel:
    """A model that answers with ``replies`` in turn (streamed word by word, as a real one is)."""
    return LanguageModel("fake", GenericFakeChatModel(messages=iter([AIMessage(content=r) for r in replies])))


class _Broken(GenericFakeChatModel):
    def _generate(self, *args, **kwargs):  # type: ignore[override]
        raise ConnectionError("model server went away")

    def _stream(self, *args, **kwargs):  # type: ignore[override]
        raise ConnectionError("model server went away")


def broken_llm() -> LanguageModel:
    return LanguageModel("broken", _Broken(messages=iter([])))


class FlatEmbeddings(SlimEmbeddings):
    """Every text the same vector: for tests of SLIM's logic around a retriever whose passages are made
    up, where which sentence wins does not matter."""

    name, dim = "flat", 2

    def embed_query_array(self, text: str) -> np.ndarray:
        return np.array([1.0, 0.0], dtype=np.float32)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return np.tile(np.array([1.0, 0.0], dtype=np.float32), (len(texts), 1))
