"""LangChain's own fake chat models, wrapped as SLIM language models, for tests of SLIM's logic."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage
from pydantic import Field

from assistant.embeddings import SlimEmbeddings
from assistant.llm import LanguageModel


def fake_llm(*replies: str) -> LanguageModel:
    """A model that answers with ``replies`` in turn (streamed word by word, as a real one is)."""
    return LanguageModel("fake", GenericFakeChatModel(messages=iter([AIMessage(content=r) for r in replies])))


class _Recording(GenericFakeChatModel):
    """Keeps every prompt it was given, so a test can see what the model read."""

    seen: list[list[BaseMessage]] = Field(default_factory=list)

    def _generate(self, messages, stop=None, run_manager=None, **kwargs):  # type: ignore[override]
        self.seen.append(list(messages))
        return super()._generate(messages, stop=stop, run_manager=run_manager, **kwargs)


def fake_chooser(*replies: str) -> LanguageModel:
    """A model that answers a free question by choosing (as the embedded one does), replying ``replies`` in
    turn; what it read is in ``.chat.seen``."""
    chat = _Recording(messages=iter([AIMessage(content=r) for r in replies]))
    return LanguageModel("fake-chooser", chat, chooses=True)


class _Broken(GenericFakeChatModel):
    def _generate(self, *args, **kwargs):  # type: ignore[override]
        raise ConnectionError("model server went away")

    def _stream(self, *args, **kwargs):  # type: ignore[override]
        raise ConnectionError("model server went away")


def broken_llm(chooses: bool = False) -> LanguageModel:
    return LanguageModel("broken", _Broken(messages=iter([])), chooses=chooses)


class FlatEmbeddings(SlimEmbeddings):
    """Every text the same vector: for tests of SLIM's logic around a retriever whose passages are made
    up, where which sentence wins does not matter."""

    name, dim = "flat", 2

    def embed_query_array(self, text: str) -> np.ndarray:
        return np.array([1.0, 0.0], dtype=np.float32)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return np.tile(np.array([1.0, 0.0], dtype=np.float32), (len(texts), 1))
