"""Find the passages that answer a question: BM25, dense, or all signals fused (the default).

Seven signals score every passage: its vector as a whole, its best sentence, its section's context (what the
section is about in plain Dutch and English, ``corpus/section-context.yaml``), the closest of the questions
its section answers (``corpus/section-questions.yaml``: written by people in a practitioner's words, so a
paraphrased question meets one that means the same), the closest of the questions the passage itself answers
(``corpus/passage-questions/``: which passage of a long section answers), BM25 on the passage under its
heading path, context, section and passage questions (accents folded, stop words dropped, Dutch stemming)
and BM25 on its own heading. Each is z-normalised over all passages and the weighted sum ranks them. Scoring
every passage exactly, rather than fusing top-n ranks, lets a passage that is second on two signals beat one
that is first on only one. A question that names more than one chapter of the report (a comparison of case
networks) gets a passage of each among its hits. An English question also gets the Dutch words for the
report's terms it uses (a glossary in ``prompts/``) so that BM25 can match the Dutch text as well as the
English questions.

Vectors and texts are held in memory as a snapshot of the index, rebuilt when the index changes; at the
size of a report plus a network's own documents that is a few megabytes and scoring takes milliseconds.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import get_close_matches
from functools import cache
from pathlib import Path

import bm25s
import numpy as np
import Stemmer
from bm25s.stopwords import STOPWORDS_DUTCH, STOPWORDS_EN
from langchain_core.documents import Document

from assistant.config import RetrievalMode, Settings
from assistant.domain import Hit
from assistant.embeddings import SlimEmbeddings
from assistant.errors import IndexEmptyError
from assistant.i18n import detect_language
from assistant.index import PassageSource, StoredSentences, open_index
from assistant.ingest import search_text
from assistant.prompts import glossary
from assistant.text import WORD, chapter_of, fold, last_heading, named_chapters
from assistant.workspace import Workspace

MODES: tuple[RetrievalMode, ...] = ("bm25", "dense", "hybrid")
# weights of the z-normalised signals, chosen on the dev set and docs/eval/retrieval-team.jsonl; a grid on
# docs/eval/retrieval-tune.jsonl found none better on the held-out half; the context weight was chosen on
# the tuning half; with the passage questions (session 9) the passage question, section question, BM25 and
# best-sentence weights were chosen again on the tuning half only (docs/benchmarks.md, "Passage questions").
# BM25 3.0 (was 1.5) since session 32, on the tuning halves of the retrieval set and the seven answer sets
# together (259 questions): every other weight changed alone then ranks the answering passage first as often
# or less (docs/benchmarks.md, "Session 32").
WEIGHTS = {
    "passage": 1.0,
    "sentence": 0.25,
    "context": 1.0,
    "question": 0.25,
    "passage_question": 1.25,
    "bm25": 3.0,
    "heading": 0.5,
}
# BM25 reads the section questions in English too, so an English question is no longer discounted on the
# lexical signals (it was 0.3 before the section questions; chosen on the tuning half, docs/benchmarks.md)
LEXICAL_WEIGHT_OTHER_LANGUAGE = 1.0
# the shortest part of a compound or hyphenated word that is looked up on its own ('bestuur|leden')
COMPOUND_PART = 4
# A word of a name that the index does not hold still counts as known when it is a typo of one it does (difflib
# ratio >= NAME_LIKENESS: 'Bussiness'), or the start or end of a longer one (NAME_PART letters or more:
# 'Metropool' of 'Metropoolregio', 'Holland' of 'HealthHolland').
NAME_LIKENESS = 0.85
NAME_PART = 6


def in_sections(section: str, sections: Sequence[str]) -> bool:
    """Whether ``section`` is one of ``sections`` or a subsection of one ("3.2.1" is within "3.2")."""
    return any(section == s or section.startswith(s + ".") for s in sections)


def hit_from_document(rank: int, doc: Document, score: float) -> Hit:
    """A stored passage as a ``Hit``; a source of the report in the shared library keeps how it is cited."""
    meta = doc.metadata
    page = meta.get("page")
    return Hit(
        rank=rank,
        chunk_id=str(meta["chunk_id"]),
        source=str(meta.get("source", "")),
        # a person's document indexed before its headings stopped counting as report sections
        section=str(meta.get("section", "")) if meta.get("kind", "report") == "report" else "",
        heading=str(meta.get("heading", "")),
        page=int(page) if page is not None else None,
        score=round(float(score), 6),
        text=doc.page_content,
        kind=str(meta.get("kind", "report")),
        reference=str(meta["reference"]) if meta.get("reference") else None,
        cite_as=str(meta["cite_as"]) if meta.get("cite_as") else None,
    )


@cache
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("dutch")


@cache
def stop_words() -> frozenset[str]:
    """The Dutch and English words BM25 leaves out, folded: they say nothing about what a text is about."""
    return frozenset(fold(w) for w in (*STOPWORDS_DUTCH, *STOPWORDS_EN))


def tokenize(text: str, keep: frozenset[str] = frozenset()) -> list[str]:
    """Stemmed words without stop words, except those in ``keep``."""
    stop = stop_words() - keep
    words = [w for w in WORD.findall(fold(text)) if w not in stop and (len(w) > 1 or w.isdigit())]
    return _stemmer().stemWords(words)


def zscore(values: np.ndarray) -> np.ndarray:
    """Put signals with different scales on one: mean 0, standard deviation 1 (a flat signal gives 0)."""
    spread = float(values.std())
    return (values - values.mean()) / spread if spread > 0 else np.zeros_like(values)


def fuse(signals: dict[str, np.ndarray], weights: dict[str, float]) -> np.ndarray:
    """Weighted sum of z-normalised signals over the same passages."""
    total = np.zeros(len(next(iter(signals.values()))), dtype=np.float64)
    for name, values in signals.items():
        total += weights[name] * zscore(values.astype(np.float64))
    return total


def _last_heading(doc: Document) -> str:
    return last_heading(str(doc.metadata.get("heading", "")))


def _within(doc: Document, other: Document) -> bool:
    """Whether ``doc``'s text lies inside ``other``'s span of the same document."""
    a, b = doc.metadata, other.metadata
    return a["doc_id"] == b["doc_id"] and b["start"] <= a["start"] and a["end"] <= b["end"]


def join_passages(parts: list[Document]) -> tuple[str, int, int]:
    """Passages of one document joined in reading order as one stretch of text: overlaps are taken once,
    gaps become a paragraph break. Returns the text and its start and end in the source."""
    parts = sorted(parts, key=lambda d: int(d.metadata["start"]))
    text, end = parts[0].page_content, int(parts[0].metadata["end"])
    for part in parts[1:]:
        start = int(part.metadata["start"])
        text += part.page_content[end - start :] if start < end else "\n\n" + part.page_content
        end = max(end, int(part.metadata["end"]))
    return text, int(parts[0].metadata["start"]), end


def bm25_model(texts: Sequence[str], keep: frozenset[str] = frozenset()) -> bm25s.BM25:
    """BM25 over ``texts`` as ``tokenize`` reads them (``keep``: stop words that count here)."""
    model = bm25s.BM25()
    model.index([tokenize(text, keep) or ["_"] for text in texts], show_progress=False)
    return model


def bm25_scores(model: bm25s.BM25, query: str, keep: frozenset[str] = frozenset()) -> np.ndarray:
    """Each text's BM25 score for ``query``'s words (all 0 when the texts share none of them)."""
    tokens = [t for t in tokenize(query, keep) if t in model.vocab_dict]
    return model.get_scores(tokens) if tokens else np.zeros(int(model.scores["num_docs"]))


@dataclass(frozen=True)
class Evidence:
    hits: list[Hit]
    excerpts: list[str]
    relevance: float
    known_words: int = 1  # words of the question the index has (0: 'asdfghjkl' means nothing here)
    named: tuple[str, ...] = ()  # the report's chapters whose title holds a name of the question (its networks)
    # e5 similarity of the question to the closest question written for the report's passages and sections
    # (corpus/passage-questions, corpus/section-questions): near 1, the report was read as answering it. Compared
    # question with question, so an English question meets English ones. None: the index has none (no report).
    known_question: float | None = None

    @property
    def compared(self) -> tuple[str, ...]:
        """The report's chapters the question compares, each with a passage among the hits."""
        return compared(self.named)


def compared(named: Sequence[str]) -> tuple[str, ...]:
    """The report's chapters a question compares: those it names when it names more than one (case networks);
    each of them gets a passage among the hits."""
    return tuple(named) if len(named) > 1 else ()


@dataclass(frozen=True)
class _Owned:
    """Questions that score the passages owning them (a section's questions, a passage's own): question i
    belongs to passage j for each (rows[n], passages[n])."""

    vectors: np.ndarray
    rows: np.ndarray
    passages: np.ndarray

    @classmethod
    def of(cls, stored: StoredSentences, position: dict[str, int]) -> _Owned:
        pairs = [(q, position[c]) for q, chunk_ids in enumerate(stored.owners) for c in chunk_ids if c in position]
        return cls(
            vectors=stored.vectors,
            rows=np.array([q for q, _ in pairs], dtype=np.int64),
            passages=np.array([p for _, p in pairs], dtype=np.int64),
        )

    def best(self, vector: np.ndarray) -> float | None:
        """The question's similarity to the closest of these questions; None when there are none."""
        return float((self.vectors @ vector)[self.rows].max()) if len(self.rows) else None

    def closest(self, vector: np.ndarray, count: int, fallback: np.ndarray) -> np.ndarray:
        """Per passage (``count`` of them), the question's similarity to the closest question it owns;
        ``fallback``'s score where it owns none."""
        out = np.full(count, -np.inf, dtype=np.float32)
        if len(self.rows):
            np.maximum.at(out, self.passages, (self.vectors @ vector)[self.rows])
        missing = ~np.isfinite(out)
        out[missing] = fallback[missing]
        return out


@dataclass
class _Snapshot:
    """The passages as they are in the index now: texts, vectors and lexical models."""

    fingerprint: tuple[int, int]
    ids: list[str]
    docs: list[Document]
    passage_vectors: np.ndarray
    sentence_vectors: np.ndarray
    sentence_texts: list[str]
    # per passage: its section context's vector (its own vector where it has no context: people's files)
    context_vectors: np.ndarray
    # sentence i belongs to passage j for each (sentence_rows[n], passage_rows[n])
    sentence_rows: np.ndarray
    passage_rows: np.ndarray
    questions: _Owned  # each section question, owned by the passages of its section
    passage_questions: _Owned  # each passage question, owned by the passages holding its anchor
    bm25: bm25s.BM25
    headings: bm25s.BM25
    position: dict[str, int]
    by_ordinal: dict[tuple[str, int], int]
    chapters: list[str]  # per passage: the report's chapter it is in ("" for a person's document)
    chapter_titles: list[str]  # each chapter once


class Retriever:
    """Searches one ``PassageSource``; English questions get the Dutch terms of the glossary in
    ``prompts_dir`` (``prompts/retrieval/glossary.yaml``)."""

    def __init__(self, index: PassageSource, prompts_dir: Path):
        self.index = index
        self.prompts_dir = prompts_dir
        self._snapshot: _Snapshot | None = None

    def snapshot(self) -> _Snapshot:
        ids = self.index.ids()
        if not ids:
            raise IndexEmptyError()
        fingerprint = (len(ids), hash(tuple(sorted(ids))))
        if self._snapshot is None or self._snapshot.fingerprint != fingerprint:
            self._snapshot = self._load(fingerprint)
        return self._snapshot

    def _load(self, fingerprint: tuple[int, int]) -> _Snapshot:
        stored, kinds = self.index.all_passages(), self.index.sentence_rows()
        sentences, contexts = kinds.sentences, kinds.contexts
        ids, metas = stored.ids, stored.metadatas
        docs = [Document(page_content=t, metadata=m, id=i) for i, t, m in zip(ids, stored.texts, metas, strict=True)]
        position = {chunk_id: n for n, chunk_id in enumerate(ids)}
        pairs = [(s, position[c]) for s, chunk_ids in enumerate(sentences.owners) for c in chunk_ids if c in position]
        context_vectors = stored.vectors.copy()
        for n, chunk_ids in enumerate(contexts.owners):
            rows = [position[c] for c in chunk_ids if c in position]
            context_vectors[rows] = contexts.vectors[n]
        chapters = [chapter_of(str(m.get("heading", ""))) if m.get("kind", "report") == "report" else "" for m in metas]
        return _Snapshot(
            fingerprint=fingerprint,
            ids=ids,
            docs=docs,
            passage_vectors=stored.vectors,
            sentence_vectors=sentences.vectors,
            sentence_texts=sentences.texts,
            context_vectors=context_vectors,
            sentence_rows=np.array([s for s, _ in pairs], dtype=np.int64),
            passage_rows=np.array([p for _, p in pairs], dtype=np.int64),
            questions=_Owned.of(kinds.questions, position),
            passage_questions=_Owned.of(kinds.passage_questions, position),
            bm25=bm25_model([search_text(d) for d in docs]),
            headings=bm25_model([_last_heading(d) for d in docs]),
            position=position,
            by_ordinal={(str(m["doc_id"]), int(m["ordinal"])): n for n, m in enumerate(metas)},
            chapters=chapters,
            chapter_titles=sorted({c for c in chapters if c}),
        )

    def knows(self, word: str) -> bool:
        """Whether BM25's text of some passage (the passage, its section's context and the questions written
        about it, Dutch and English) holds ``word`` (stemmed; a stop word always counts, and so does an English
        term of the glossary), or both parts of it as a compound or hyphenated word ('vrijwilligersbestuur',
        'sub-regions'). A word the index does not hold names something none of its texts is about ('software'
        in the report)."""
        vocabulary = self.snapshot().bm25.vocab_dict

        def held(part: str) -> bool:
            return all(stem in vocabulary for stem in tokenize(part))

        word = fold(word)
        if held(word) or word in glossary(self.prompts_dir):  # an English name of one of the report's terms
            return True
        if "-" in word:
            return any(held(part) for part in word.split("-") if len(part) >= COMPOUND_PART)
        return any(held(word[:cut]) and held(word[cut:]) for cut in range(COMPOUND_PART, len(word) - COMPOUND_PART + 1))

    def knows_name(self, name: str) -> bool:
        """Whether some word of ``name`` ('Maas Rijn', 'Health Holland') is one the index holds (``knows``), or
        close to one (``NAME_LIKENESS``, ``NAME_PART``). A name none of whose words it holds names something the
        report and the questions written about it never mention ('Kolb', 'SROI', 'Rijksmuseum')."""
        words = [word for word in WORD.findall(fold(name)) if word != "s"]  # "Kolb's"
        if any(self.knows(word) for word in words):
            return True
        vocabulary = list(self.snapshot().bm25.vocab_dict)
        for word in words:
            stem = "".join(tokenize(word)) or word
            if get_close_matches(stem, vocabulary, n=1, cutoff=NAME_LIKENESS):
                return True
            if len(stem) >= NAME_PART and any(v.startswith(stem) or v.endswith(stem) for v in vocabulary):
                return True
        return False

    def signals(
        self, query: str, mode: RetrievalMode, vector: np.ndarray | None = None, snap: _Snapshot | None = None
    ) -> dict[str, np.ndarray]:
        """Raw scores of every passage for the signals that ``mode`` uses."""
        if mode not in MODES:
            raise ValueError(f"unknown retrieval mode: {mode!r}")
        snap = snap or self.snapshot()
        out: dict[str, np.ndarray] = {}
        if mode in ("dense", "hybrid"):
            if vector is None:
                vector = self.index.embeddings.embed_query_array(query)
            out["passage"] = snap.passage_vectors @ vector
            best = np.full(len(snap.ids), -1.0, dtype=np.float32)
            np.maximum.at(best, snap.passage_rows, (snap.sentence_vectors @ vector)[snap.sentence_rows])
            out["sentence"] = best
            out["context"] = snap.context_vectors @ vector
            if WEIGHTS["question"] or WEIGHTS["passage_question"]:
                # a passage without section questions (a person's document) gets its best sentence's score
                out["question"] = snap.questions.closest(vector, len(snap.ids), best)
            if WEIGHTS["passage_question"]:
                # which passage of a long section answers; one without its own questions (a bibliography
                # line, a person's document) gets its section question signal, a similarity of the same kind
                out["passage_question"] = snap.passage_questions.closest(vector, len(snap.ids), out["question"])
        if mode in ("bm25", "hybrid"):
            lexical = self.lexical_query(query)
            out["bm25"] = bm25_scores(snap.bm25, lexical)
            out["heading"] = bm25_scores(snap.headings, lexical)
        return out

    def lexical_query(self, query: str) -> str:
        """An English question gets the Dutch words for the report's terms it uses, so BM25 can match the
        Dutch text (``prompts/retrieval/glossary.yaml``); a Dutch question is used as it is."""
        if detect_language(query) == "nl":
            return query
        terms = glossary(self.prompts_dir)
        extra = [terms[w] for w in re.findall(r"[\w-]+", query.lower()) if w in terms]
        return f"{query} {' '.join(extra)}" if extra else query

    def _fused(self, query: str, mode: RetrievalMode, signals: dict[str, np.ndarray]) -> np.ndarray:
        if mode == "bm25":
            return signals["bm25"]
        weights = dict(WEIGHTS)
        if detect_language(query) != "nl":
            weights["bm25"] *= LEXICAL_WEIGHT_OTHER_LANGUAGE
            weights["heading"] *= LEXICAL_WEIGHT_OTHER_LANGUAGE
        return fuse(signals, weights)

    def with_neighbours(self, doc: Document, snap: _Snapshot | None = None) -> Document:
        """The passage joined with the passages before and after it under the same heading, so the
        context a sentence needs comes along; the text stays a verbatim stretch of the source."""
        snap = snap or self.snapshot()
        meta = doc.metadata
        doc_id, ordinal, heading = str(meta["doc_id"]), int(meta["ordinal"]), meta.get("heading")
        parts = [doc]
        for other in (ordinal - 1, ordinal + 1):
            pos = snap.by_ordinal.get((doc_id, other))
            if pos is not None and snap.docs[pos].metadata.get("heading") == heading:
                parts.append(snap.docs[pos])
        text, start, end = join_passages(parts)
        return Document(page_content=text, metadata=dict(meta, start=start, end=end), id=doc.id)

    def search(self, query: str, k: int = 5, mode: RetrievalMode = "hybrid", expand: bool = True) -> list[Hit]:
        """The ``k`` best passages; one already shown as a better hit's context is skipped."""
        snap = self.snapshot()  # checking it against the index costs a query: once per search
        scores = self._fused(query, mode, self.signals(query, mode, snap=snap))
        return self._hits(snap, scores, k, mode, expand, compared(named_chapters(query, snap.chapter_titles)))

    def evidence(self, query: str, k: int, sentences: int = 2, max_chars: int = 10_000) -> Evidence:
        """What an answer rests on: the best ``k`` passages (hybrid), for each its ``sentences`` sentences
        closest to the question (short enough for a small model's prompt), and how relevant the best
        sentence in the whole index is (to tell a question the report does not cover)."""
        snap = self.snapshot()  # checking it against the index costs a query: once per search
        vector = self.index.embeddings.embed_query_array(query)
        signals = self.signals(query, "hybrid", vector, snap)
        named = named_chapters(query, snap.chapter_titles)
        hits = self._hits(snap, self._fused(query, "hybrid", signals), k, "hybrid", True, compared(named))
        similarity = snap.sentence_vectors @ vector
        excerpts = []
        for hit in hits:
            row = snap.position[hit.chunk_id]
            own = snap.sentence_rows[snap.passage_rows == row]
            ranked = [int(i) for i in own[np.argsort(-similarity[own])[:sentences]]]
            chosen = [ranked[0]] + [
                i for i in ranked[1:] if len(snap.sentence_texts[i]) + len(snap.sentence_texts[ranked[0]]) <= max_chars
            ]
            text = snap.docs[row].page_content  # keep the sentences in reading order
            excerpts.append(
                " ".join(
                    snap.sentence_texts[i] for i in sorted(chosen, key=lambda i: text.find(snap.sentence_texts[i]))
                )
            )
        known = sum(token in snap.bm25.vocab_dict for token in tokenize(self.lexical_query(query)))
        relevance = float(signals["sentence"].max())
        written = [b for b in (snap.questions.best(vector), snap.passage_questions.best(vector)) if b is not None]
        return Evidence(
            hits=hits,
            excerpts=excerpts,
            relevance=relevance,
            known_words=known,
            named=tuple(named),
            known_question=max(written, default=None),
        )

    def passage_with(self, section: str, phrase: str) -> Hit | None:
        """The passage of ``section`` (or one of its subsections) that contains ``phrase`` word for word,
        case and whitespace aside, with its neighbours: how a curated text finds the passage it cites."""
        snap = self.snapshot()
        wanted = " ".join(phrase.lower().split())
        for doc in snap.docs:
            if not in_sections(str(doc.metadata.get("section", "")), [section]):
                continue
            if wanted in " ".join(doc.page_content.lower().split()):
                return hit_from_document(1, self.with_neighbours(doc, snap), 1.0)
        return None

    def section_text(self, chunk_id: str) -> str:
        """The whole text under a passage's heading, to read a cited passage in its context."""
        snap = self.snapshot()
        doc = snap.docs[snap.position[chunk_id]]
        same = [
            d
            for d in snap.docs
            if d.metadata["doc_id"] == doc.metadata["doc_id"]
            and d.metadata.get("heading") == doc.metadata.get("heading")
        ]
        return join_passages(same)[0]

    def _hits(
        self,
        snap: _Snapshot,
        scores: np.ndarray,
        k: int,
        mode: RetrievalMode,
        expand: bool,
        cover: Sequence[str] = (),
    ) -> list[Hit]:
        """The ``k`` best passages, none within another's shown context; each chapter of ``cover`` that has none
        among them gets its best passage in place of the last one whose chapter is not needed for that."""
        order = [int(row) for row in np.argsort(-scores, kind="stable")]
        if mode == "bm25":
            order = [row for row in order if scores[row] > 0]  # a passage with no query word is no hit
        picked: list[tuple[int, Document]] = []

        def shown(row: int) -> Document | None:
            """The passage (with its neighbours), or None when a picked one already shows it."""
            doc = snap.docs[row]
            if any(_within(doc, other) for _, other in picked):
                return None
            return self.with_neighbours(doc, snap) if expand else doc

        for row in order:
            if (doc := shown(row)) is not None:
                picked.append((row, doc))
                if len(picked) == k:
                    break
        for chapter in cover:
            chapters = [snap.chapters[row] for row, _ in picked]
            spare = [i for i, c in enumerate(chapters) if c not in cover or chapters.count(c) > 1]
            if chapter in chapters or not spare:
                continue
            given_up = picked.pop(spare[-1])
            found = next(
                ((row, doc) for row in order if snap.chapters[row] == chapter and (doc := shown(row)) is not None), None
            )
            picked.append(found or given_up)
        return [hit_from_document(n, doc, float(scores[row])) for n, (row, doc) in enumerate(picked, start=1)]


def open_retriever(settings: Settings, embeddings: SlimEmbeddings | None = None) -> Retriever:
    """Search the report and the documents of ``settings.workspace`` together (the command line)."""
    report = open_index(settings, embeddings=embeddings)
    space = Workspace(settings, settings.workspace, report.embeddings, report.client)
    return Retriever(space.with_report(report), settings.prompts_dir)
