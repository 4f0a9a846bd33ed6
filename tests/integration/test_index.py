"""The Chroma index: incremental by content hash, untouched by bad input, tied to one embedding model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.config import Settings
from assistant.embeddings import SlimEmbeddings, VectorCache
from assistant.errors import EmbeddingMismatchError, InputError
from assistant.index import PassageStore, SourceFile, embedding_cache, open_index, sync
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


def _small_report(folder: Path, second_sentence: str) -> Path:
    """A report-like corpus document with its section context and questions beside it, as corpus/ has."""
    folder.mkdir(exist_ok=True)
    (folder / "section-context.yaml").write_text(
        "klein-rapport:\n  sections:\n    '1':\n      nl: Waarom netwerken samen leren.\n"
        "      en: Why networks learn together.\n",
        encoding="utf-8",
    )
    questions = "\n".join(f"        - {q}" for q in ("Waarom?", "Hoe?", "Wie leert er?", "Wat levert het op?"))
    english = "\n".join(f"        - {q}" for q in ("Why?", "How?", "Who learns?", "What does it bring?"))
    (folder / "section-questions.yaml").write_text(
        f"klein-rapport:\n  sections:\n    '1':\n      nl:\n{questions}\n      en:\n{english}\n", encoding="utf-8"
    )
    return _write(
        folder / "klein-rapport.md",
        "---\ndoc_id: klein-rapport\ntitle: Klein rapport\n---\n\n"
        f"# 1. Inleiding\n\nNetwerken leren door samen te experimenteren. {second_sentence} Zo groeit vertrouwen.\n",
    )


def _stored_vectors(index: PassageStore) -> dict[str, np.ndarray]:
    got = index.sentences.get(include=["documents", "embeddings"])
    return dict(zip(got["documents"], np.asarray(got["embeddings"]), strict=True))


def test_a_new_index_of_the_report_reads_its_vectors_from_the_cache(
    empty_corpus_settings: Settings, embeddings: SlimEmbeddings, tmp_path: Path
) -> None:
    report = _small_report(tmp_path / "corpus", "Het bestuur kijkt elk jaar terug.")
    folder = embedding_cache(empty_corpus_settings)
    first_cache = VectorCache(folder)
    first = open_index(empty_corpus_settings, embeddings=embeddings, cache=first_cache)
    sync(first, [SourceFile(report, "report")])
    # 3 sentences, 1 heading, 1 context and 8 questions, each embedded once
    assert first_cache.embedded == 3 + 1 + 1 + 8
    before, passage_vectors = _stored_vectors(first), first.all_passages().vectors
    assert len(before) == 3 + 1 + 8  # sentences, context and questions live in the sentence collection

    warm = VectorCache(folder)  # a new process: the cache comes from disk
    again = open_index(empty_corpus_settings, rebuild=True, embeddings=embeddings, cache=warm)
    sync(again, [SourceFile(report, "report")])
    assert warm.embedded == 0
    after = _stored_vectors(again)
    assert after.keys() == before.keys()
    assert all(np.array_equal(after[text], before[text]) for text in before)
    assert np.array_equal(again.all_passages().vectors, passage_vectors)

    _small_report(tmp_path / "corpus", "Het bestuur kijkt elke maand terug.")
    changed_cache = VectorCache(folder)
    changed = open_index(empty_corpus_settings, embeddings=embeddings, cache=changed_cache)
    sync(changed, [SourceFile(report, "report")])
    assert changed_cache.embedded == 1  # only the changed sentence
    fresh = embeddings.embed_passages(["Het bestuur kijkt elke maand terug."])[0]
    assert np.allclose(_stored_vectors(changed)["Het bestuur kijkt elke maand terug."], fresh, atol=1e-6)


def test_a_persons_documents_are_never_cached(
    empty_corpus_settings: Settings, embeddings: SlimEmbeddings, tmp_path: Path
) -> None:
    cache = VectorCache(embedding_cache(empty_corpus_settings))
    index = open_index(empty_corpus_settings, embeddings=embeddings, cache=cache)
    sync(index, _docs(_write(tmp_path / "plan.txt", "Ons plan is vertrouwelijk. Niemand anders leest het.")))
    assert index.count() == 1
    assert cache.embedded == 0 and not cache.folder.exists()


def test_a_damaged_cache_is_filled_anew(empty_corpus_settings: Settings, embeddings: SlimEmbeddings) -> None:
    folder = embedding_cache(empty_corpus_settings)
    path = VectorCache(folder).path(embeddings, is_query=False)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"PK\x03\x04 truncated")
    cache = VectorCache(folder)
    vectors = cache.passages(embeddings, ["Samen leren.", "Impact maken."])
    assert cache.embedded == 2 and vectors.shape == (2, embeddings.dim)
    assert VectorCache(folder).passages(embeddings, ["Impact maken."]).tolist() == vectors[1:].tolist()
