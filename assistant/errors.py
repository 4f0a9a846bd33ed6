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


class IndexDamagedError(SlimError):
    """Chroma cannot read the index (a truncated database or vector file): ``slim doctor`` repairs it."""

    key = "error.index_damaged"
    exit_code = 2


class ChromaUnreachableError(SlimError):
    key = "error.chroma_unreachable"
    exit_code = 2


class DataDirError(SlimError):
    """``SLIM_DATA_DIR`` cannot be made or written (under /proc, on a file, without permission)."""

    key = "error.data_dir"
    exit_code = 2


class ReadOnlyDataError(SlimError):
    """A change was asked of a data directory that can only be read; reading it still works."""

    key = "error.data_dir_read_only"
    exit_code = 2


class SettingsError(SlimError):
    """``SLIM_*`` variables whose values cannot be used: per variable its name, the value and what it
    allows (a message key and its values), so the line is in the person's language."""

    key = "error.setting"
    exit_code = 2

    def __init__(self, problems: list[tuple[str, str, str, dict]]) -> None:
        self.problems = problems
        super().__init__(problems=problems)

    def message(self, lang: Language = "nl") -> str:
        return " ".join(
            t(self.key, lang, setting=setting, value=value, allowed=t(allowed, lang, **values))
            for setting, value, allowed, values in self.problems
        )
