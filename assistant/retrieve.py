"""Find the passages that answer a question: BM25, dense, or both fused (the default).

BM25 sees Dutch the way a reader does (accents folded, stop words dropped, words stemmed), dense search
catches paraphrase and English questions; reciprocal rank fusion combines their rankings without having
to calibrate their scores against each other.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

import bm25s
import numpy as np
import Stemmer
from bm25s.stopwords import STOPWORDS_DUTCH, STOPWORDS_EN
from langchain_core.documents import Document
from pydantic import BaseModel

from assistant.config import RetrievalMode
from assistant.errors import IndexEmptyError
from assistant.i18n import detect_language
from assistant.index import VectorIndex
from assistant.ingest import HEADING_SEPARATOR, search_text

MODES: tuple[RetrievalMode, ...] = ("bm25", "dense", "hybrid")
RRF_K = 60
CANDIDATES = 40
BM25_WEIGHT_OTHER_LANGUAGE = 0.3
HEADING_WEIGHT = 0.25

_WORD = re.compile(r"\w+")


def _last_heading(doc: Document) -> str:
    return str(doc.metadata.get("heading", "")).split(HEADING_SEPARATOR)[-1]


class Hit(BaseModel):
    """One retrieved passage as the CLI and the app show it; ``text`` is the passage as stored."""

    rank: int
    chunk_id: str
    source: str
    section: str
    heading: str
    page: int | None
    score: float
    text: str

    @classmethod
    def from_document(cls, rank: int, doc: Document, score: float) -> Hit:
        meta = doc.metadata
        page = meta.get("page")
        return cls(
            rank=rank,
            chunk_id=str(meta["chunk_id"]),
            source=str(meta.get("source", "")),
            section=str(meta.get("section", "")),
            heading=str(meta.get("heading", "")),
            page=int(page) if page is not None else None,
            score=round(float(score), 6),
            text=doc.page_content,
        )


@cache
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("dutch")


@cache
def _stopwords() -> frozenset[str]:
    return frozenset(fold(w) for w in (*STOPWORDS_DUTCH, *STOPWORDS_EN))


def fold(text: str) -> str:
    """Lower case without accents: 'Potentiële' and 'potentiele' are the same word to BM25."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def tokenize(text: str) -> list[str]:
    words = [w for w in _WORD.findall(fold(text)) if w not in _stopwords() and (len(w) > 1 or w.isdigit())]
    return _stemmer().stemWords(words)


@dataclass
class _Snapshot:
    """The passages as they are in the index now, with a BM25 model over them."""

    fingerprint: tuple[int, int]
    ids: list[str]
    docs: list[Document]
    bm25: bm25s.BM25
    headings: bm25s.BM25
    position: dict[str, int]
    by_ordinal: dict[tuple[str, int], int]


def reciprocal_rank_fusion(rankings: list[list[str]], weights: list[float] | None = None) -> list[tuple[str, float]]:
    """Fuse ranked id lists: each list adds weight / (RRF_K + rank) to an id's score."""
    scores: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights or [1.0] * len(rankings), strict=True):
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (RRF_K + rank)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


def _within(doc: Document, other: Document) -> bool:
    """Whether ``doc``'s text lies inside ``other``'s span of the same document."""
    a, b = doc.metadata, other.metadata
    return a["doc_id"] == b["doc_id"] and b["start"] <= a["start"] and a["end"] <= b["end"]


class Retriever:
    """Searches one ``VectorIndex``; keeps a snapshot of its passages that is rebuilt when it changes."""

    def __init__(self, index: VectorIndex):
        self.index = index
        self._snapshot: _Snapshot | None = None

    def snapshot(self) -> _Snapshot:
        ids = self.index.ids()
        fingerprint = (len(ids), hash(tuple(sorted(ids))))
        if self._snapshot is None or self._snapshot.fingerprint != fingerprint:
            all_ids, texts, metas = self.index.all_passages()
            docs = [Document(page_content=t, metadata=m, id=i) for i, t, m in zip(all_ids, texts, metas, strict=True)]
            model = bm25s.BM25()
            model.index([tokenize(search_text(d)) or ["_"] for d in docs], show_progress=False)
            headings = bm25s.BM25()
            headings.index([tokenize(_last_heading(d)) or ["_"] for d in docs], show_progress=False)
            self._snapshot = _Snapshot(
                fingerprint=fingerprint,
                ids=all_ids,
                docs=docs,
                bm25=model,
                headings=headings,
                position={i: n for n, i in enumerate(all_ids)},
                by_ordinal={(str(m["doc_id"]), int(m["ordinal"])): n for n, m in enumerate(metas)},
            )
        return self._snapshot

    def bm25(self, query: str, n: int, *, headings_only: bool = False) -> list[tuple[str, float]]:
        snap = self.snapshot()
        model = snap.headings if headings_only else snap.bm25
        tokens = [t for t in tokenize(query) if t in model.vocab_dict]
        if not snap.ids or not tokens:
            return []
        scores = model.get_scores(tokens)
        order = np.argsort(-scores, kind="stable")[:n]
        return [(snap.ids[i], float(scores[i])) for i in order if scores[i] > 0]

    def dense_rankings(self, query: str, n: int) -> list[list[str]]:
        """Two dense rankings: passages as a whole, and passages by their best sentence."""
        vector = self.index.embeddings.embed_query_array(query)
        return [
            [i for i, _ in self.index.nearest_passages(vector, n)],
            [i for i, _ in self.index.nearest_by_sentence(vector, 3 * n)],
        ]

    def ranked(self, query: str, k: int, mode: RetrievalMode) -> list[tuple[str, float]]:
        """Ids and scores of the best ``k`` passages."""
        n = max(k, CANDIDATES)
        if mode == "bm25":
            return self.bm25(query, k)
        if mode == "dense":
            return reciprocal_rank_fusion(self.dense_rankings(query, n))[:k]
        if mode == "hybrid":
            # BM25 matches Dutch words; for an English question it only catches names, so it counts less
            bm25_weight = 1.0 if detect_language(query) == "nl" else BM25_WEIGHT_OTHER_LANGUAGE
            lexical = [i for i, _ in self.bm25(query, n)]
            titled = [i for i, _ in self.bm25(query, n, headings_only=True)]
            return reciprocal_rank_fusion(
                [*self.dense_rankings(query, n), lexical, titled],
                [1.0, 1.0, bm25_weight, HEADING_WEIGHT * bm25_weight],
            )[:k]
        raise ValueError(f"unknown retrieval mode: {mode!r}")

    def with_neighbours(self, doc: Document) -> Document:
        """The passage joined with the passages before and after it under the same heading, so the
        context a sentence needs comes along; the text stays a verbatim stretch of the source."""
        snap = self.snapshot()
        meta = doc.metadata
        doc_id, ordinal, heading = str(meta["doc_id"]), int(meta["ordinal"]), meta.get("heading")
        parts = [doc]
        for other in (ordinal - 1, ordinal + 1):
            pos = snap.by_ordinal.get((doc_id, other))
            if pos is not None and snap.docs[pos].metadata.get("heading") == heading:
                parts.append(snap.docs[pos])
        parts.sort(key=lambda d: int(d.metadata["start"]))
        text, end = parts[0].page_content, int(parts[0].metadata["end"])
        for part in parts[1:]:
            start = int(part.metadata["start"])
            if start < end:  # overlapping passages: add only what is new
                text += part.page_content[end - start :]
            else:
                text += "\n\n" + part.page_content
            end = max(end, int(part.metadata["end"]))
        merged = dict(meta, start=int(parts[0].metadata["start"]), end=end)
        return Document(page_content=text, metadata=merged, id=doc.id)

    def search(self, query: str, k: int = 5, mode: RetrievalMode = "hybrid", expand: bool = True) -> list[Hit]:
        if self.index.count() == 0:
            raise IndexEmptyError()
        snap = self.snapshot()
        hits: list[Hit] = []
        shown: list[Document] = []
        for chunk_id, score in self.ranked(query, 3 * k, mode):
            doc = snap.docs[snap.position[chunk_id]]
            if any(_within(doc, other) for other in shown):
                continue  # already on screen as part of a higher-ranked passage's context
            passage = self.with_neighbours(doc) if expand else doc
            shown.append(passage)
            hits.append(Hit.from_document(len(hits) + 1, passage, score))
            if len(hits) == k:
                break
        return hits
