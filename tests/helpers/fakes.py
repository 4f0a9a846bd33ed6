"""LangChain's own fake chat models, wrapped as SLIM language models, for tests of SLIM's logic."""

from __future__ import annotations

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

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
