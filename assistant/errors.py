"""Errors a person can see. Each carries a message key, so the CLI and the app show it in their language."""

from __future__ import annotations

from assistant.config import Language
from assistant.i18n import t

TRANSLATED_VALUE = "filetype."


class SlimError(Exception):
    """Base for expected failures; ``exit_code`` is what the CLI returns."""

    key = "error.generic"
    exit_code = 1

    def __init__(self, key: str | None = None, **values: object) -> None:
        self.key = key or self.key
        self.values = values
        super().__init__(f"{self.key} {values}")

    def message(self, lang: Language = "nl") -> str:
        # a value that is itself a message key (e.g. "filetype.pdf") is shown in the same language
        values = {
            k: t(v, lang) if isinstance(v, str) and v.startswith(TRANSLATED_VALUE) else v
            for k, v in self.values.items()
        }
        return t(self.key, lang, **values)


class InputError(SlimError):
    """A file or path given by a person cannot be used (missing, unreadable, empty, corrupt, unknown type)."""

    exit_code = 2


class UnknownEmbeddingsError(SlimError):
    key = "error.unknown_embeddings"
    exit_code = 2


class EmbeddingMismatchError(SlimError):
    key = "error.embedding_mismatch"
    exit_code = 2


class IndexEmptyError(SlimError):
    key = "error.index_empty"
    exit_code = 2
