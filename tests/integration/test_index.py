"""The Chroma index: incremental by content hash, untouched by bad input, tied to one embedding model."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.embeddings import SlimEmbeddings
from assistant.errors import EmbeddingMismatchError, InputError
from assistant.index import PassageStore, SourceFile, open_index, sync
from assistant.retrieve import Retriever


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _docs(*paths: Path) -> list[SourceFile]:
    """The files that still exist, as a workspace lists them."""
    return [SourceFile(p, "document") for p in paths if p.exists()]


def _snapshot(index: PassageStore) -> tuple[list[str], list[str]]:
    return sorted(index.ids()), sorted(index.sentences.get(include=[])["ids"])


def test_incremental_add_change_remove(
    empty_corpus_settings: Settings, embeddings: SlimEmbeddings, tmp_path: Path
) -> None:
    index = open_index(empty_corpus_settings, embeddings=embeddings)
    a = _write(tmp_path / "a.md", "# Doel\n\nHet netwerk wil de zorg in de regio veranderen.\n")
    b = _write(tmp_path / "b.txt", "Vertrouwen groeit door elkaar vaak te ontmoeten.")

    first = sync(index, _docs(a, b))
    assert sorted(first.added) == ["a-md", "b-txt"] and first.passages_embedded == 2

    again = sync(index, _docs(a, b))
    assert sorted(again.unchanged) == ["a-md", "b-txt"] and again.passages_embedded == 0

    _write(b, "Vertrouwen groeit langzaam. Het bestuur wil vaker samen leren en experimenteren.")
    changed = sync(index, _docs(a, b))
    assert changed.updated == ["b-txt"] and changed.unchanged == ["a-md"]
    texts = index.all_passages().texts
    assert any("experimenteren" in t for t in texts)
    assert not any(t == "Vertrouwen groeit door elkaar vaak te ontmoeten." for t in texts)
    # the old version's sentences are gone too
    sentences = index.sentences.get(where={"doc_id": "b-txt"}, include=["documents"])["documents"]
    assert "Vertrouwen groeit door elkaar vaak te ontmoeten." not in sentences

    a.unlink()
    removed = sync(index, _docs(a, b))
    assert removed.removed == ["a-md"]
    assert {m["doc_id"] for m in index.all_passages().metadatas} == {"b-txt"}


def test_bad_input_leaves_the_index_exactly_as_it_was(
    empty_corpus_settings: Settings, embeddings: SlimEmbeddings, tmp_path: Path
) -> None:
    index = open_index(empty_corpus_settings, embeddings=embeddings)
    good = _write(tmp_path / "goed.txt", "Een gedeelde visie geeft richting aan het netwerk.")
    sync(index, _docs(good))
    before = _snapshot(index)
    bad = tmp_path / "kapot.pdf"
    bad.write_bytes(b"%PDF-1.7 truncated")
    new_good = _write(tmp_path / "nieuw.txt", "Dit document komt er niet in, want een ander bestand is kapot.")
    with pytest.raises(InputError):
        sync(index, _docs(good, new_good, bad))
    assert _snapshot(index) == before


def test_opening_with_another_model_says_how_to_rebuild(
    empty_corpus_settings: Settings, embeddings: SlimEmbeddings, tmp_path: Path
) -> None:
    index = open_index(empty_corpus_settings, embeddings=embeddings)
    sync(index, _docs(_write(tmp_path / "x.txt", "Leiderschap.")))

    class OtherModel(SlimEmbeddings):
        name, dim = "other-model", embeddings.dim

    with pytest.raises(EmbeddingMismatchError) as info:
        open_index(empty_corpus_settings, embeddings=OtherModel())
    assert "slim index --rebuild" in info.value.message("nl")
    assert "slim index --rebuild" in info.value.message("en")
    rebuilt = open_index(empty_corpus_settings, rebuild=True, embeddings=embeddings)
    assert rebuilt.count() == 0


def test_collection_records_model_name_and_dimension(corpus_index: PassageStore) -> None:
    meta = corpus_index.passages.metadata
    assert meta["embedding_model"] == corpus_index.embeddings.name
    assert meta["embedding_dim"] == 384


def test_corpus_index_search_finds_the_definition(corpus_retriever: Retriever) -> None:
    hits = corpus_retriever.search("Wat is onmiddellijke waarde?", k=5)
    assert any("op zichzelf direct waardevol" in h.text for h in hits)
    assert all(h.source == "Samen Leren Impact Maken" for h in hits)
