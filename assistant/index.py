"""The Chroma index: a local directory by default, or a Chroma server when ``SLIM_CHROMA_HOST`` is set.

Updates are incremental by content hash: unchanged documents are skipped without being parsed, changed
ones get their new passages written before the old ones are removed, and documents whose file is gone
are deleted. The embedding model's name and dimension live in the collection's metadata, so an index
is never queried with vectors from another model.
"""

from __future__ import annotations

import fcntl
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import chromadb
import numpy as np
from langchain_core.documents import Document
from tqdm import tqdm

from assistant.config import Settings
from assistant.embeddings import SlimEmbeddings, make_embeddings
from assistant.errors import EmbeddingMismatchError
from assistant.ingest import (
    SUPPORTED_SUFFIXES,
    chunk_document,
    content_hash,
    document_id,
    load_document,
    sentence_spans,
)

EMBED_BATCH = 32


@dataclass(frozen=True)
class SourceFile:
    """A file that should be in the index, and whether it is the report or a person's document."""

    path: Path
    kind: str


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    passages_embedded: int = 0


@dataclass(frozen=True)
class IndexedDoc:
    doc_id: str
    doc_hash: str
    source_path: str
    kind: str
    title: str
    passages: int


def chroma_client(settings: Settings) -> chromadb.ClientAPI:
    """Chroma with telemetry off: a server if one is configured, else the local data directory."""
    chroma_settings = chromadb.Settings(anonymized_telemetry=False, allow_reset=True)
    if settings.chroma_host:
        return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings)
    settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)


class VectorIndex:
    """Passages of the report and documents, tied to one embedding model.

    Two Chroma collections: ``<name>`` holds the passages, ``<name>-sentences`` their sentences. Each
    sentence is embedded once; a passage's vector is the mean of its sentences' vectors plus a share of
    its heading's vector. Dense search then scores a passage both as a whole and by its best sentence,
    which finds a single fact in a long passage without embedding the text twice.
    """

    HEADING_WEIGHT = 0.3

    def __init__(self, settings: Settings, embeddings: SlimEmbeddings, client: chromadb.ClientAPI | None = None):
        self.settings = settings
        self.embeddings = embeddings
        self.client = client or chroma_client(settings)
        self.passages, self.sentences = self._open_collections()

    def _open(self, name: str) -> chromadb.Collection:
        collection = self.client.get_or_create_collection(
            name,
            metadata={
                "embedding_model": self.embeddings.name,
                "embedding_dim": self.embeddings.dim,
                "hnsw:space": "cosine",
            },
            embedding_function=None,
        )
        stored = (collection.metadata or {}).get("embedding_model")
        if stored != self.embeddings.name:
            raise EmbeddingMismatchError(stored=stored, current=self.embeddings.name)
        return collection

    def _open_collections(self) -> tuple[chromadb.Collection, chromadb.Collection]:
        return self._open(self.settings.collection), self._open(f"{self.settings.collection}-sentences")

    def count(self) -> int:
        return self.passages.count()

    def documents(self) -> dict[str, IndexedDoc]:
        """What is indexed now, per document."""
        got = self.passages.get(include=["metadatas"])
        docs: dict[str, IndexedDoc] = {}
        for meta in got["metadatas"] or []:
            doc_id = str(meta["doc_id"])
            seen = docs.get(doc_id)
            docs[doc_id] = IndexedDoc(
                doc_id=doc_id,
                doc_hash=str(meta["doc_hash"]),
                source_path=str(meta["source_path"]),
                kind=str(meta["kind"]),
                title=str(meta["source"]),
                passages=(seen.passages if seen else 0) + 1,
            )
        return docs

    def write(self, passages: Sequence[Document], progress: bool = False) -> int:
        """Embed the sentences of ``passages`` (each once) and upsert sentences and passages."""
        if not passages:
            return 0
        doc = passages[0]
        owners: dict[tuple[int, int], list[str]] = {}
        texts: dict[tuple[int, int], str] = {}
        spans_per_passage: list[list[tuple[int, int]]] = []
        for passage in passages:
            spans = sentence_spans(passage)
            spans_per_passage.append(spans)
            offset = int(passage.metadata["start"])
            for span in spans:
                owners.setdefault(span, []).append(str(passage.metadata["chunk_id"]))
                texts[span] = passage.page_content[span[0] - offset : span[1] - offset]
        keys = list(texts)
        vectors = np.zeros((len(keys), self.embeddings.dim), dtype=np.float32)
        bar = tqdm(total=len(keys), unit="zin", disable=not progress, file=sys.stderr, leave=False)
        for i in range(0, len(keys), EMBED_BATCH):
            vectors[i : i + EMBED_BATCH] = self.embeddings.embed_passages([texts[k] for k in keys[i : i + EMBED_BATCH]])
            bar.update(min(EMBED_BATCH, len(keys) - i))
        bar.close()
        row = {k: i for i, k in enumerate(keys)}
        headings = sorted({str(p.metadata.get("heading", "")) for p in passages} - {""})
        heading_vectors = dict(zip(headings, self.embeddings.embed_passages(headings), strict=True))
        passage_vectors = []
        for passage, spans in zip(passages, spans_per_passage, strict=True):
            vector = vectors[[row[s] for s in spans]].mean(axis=0)
            heading = str(passage.metadata.get("heading", ""))
            if heading:
                vector = vector + self.HEADING_WEIGHT * heading_vectors[heading]
            passage_vectors.append(vector / max(float(np.linalg.norm(vector)), 1e-12))
        for i in range(0, len(keys), 500):
            batch = keys[i : i + 500]
            self.sentences.upsert(
                ids=[f"{doc.metadata['doc_id']}:{a}-{b}:{doc.metadata['doc_hash'][:8]}" for a, b in batch],
                embeddings=vectors[i : i + 500],
                documents=[texts[k] for k in batch],
                metadatas=[
                    {
                        "doc_id": str(doc.metadata["doc_id"]),
                        "doc_hash": str(doc.metadata["doc_hash"]),
                        "chunk_ids": ",".join(owners[k]),
                    }
                    for k in batch
                ],
            )
        for i in range(0, len(passages), 500):
            self.passages.upsert(
                ids=[str(p.metadata["chunk_id"]) for p in passages[i : i + 500]],
                embeddings=np.stack(passage_vectors[i : i + 500]),
                documents=[p.page_content for p in passages[i : i + 500]],
                metadatas=[p.metadata for p in passages[i : i + 500]],
            )
        return len(passages)

    def delete_doc(self, doc_id: str, except_hash: str | None = None) -> None:
        """Remove a document's passages and sentences, except those written for version ``except_hash``."""
        where: dict = {"doc_id": doc_id}
        if except_hash is not None:
            where = {"$and": [{"doc_id": doc_id}, {"doc_hash": {"$ne": except_hash}}]}
        for collection in (self.passages, self.sentences):
            collection.delete(where=where)

    def all_passages(self) -> tuple[list[str], list[str], list[dict], np.ndarray]:
        """Every passage: ids, texts, metadata and vectors."""
        got = self.passages.get(include=["documents", "metadatas", "embeddings"])
        ids = list(got["ids"])
        vectors = np.asarray(got["embeddings"], dtype=np.float32).reshape(len(ids), self.embeddings.dim)
        return ids, list(got["documents"] or []), [dict(m) for m in got["metadatas"] or []], vectors

    def ids(self) -> list[str]:
        return list(self.passages.get(include=[])["ids"])

    def all_sentences(self) -> tuple[list[str], np.ndarray, list[list[str]]]:
        """Every sentence: its text, its vector, and the ids of the passages it belongs to."""
        got = self.sentences.get(include=["documents", "embeddings", "metadatas"])
        owners = [str(m["chunk_ids"]).split(",") for m in got["metadatas"] or []]
        vectors = np.asarray(got["embeddings"], dtype=np.float32).reshape(len(owners), self.embeddings.dim)
        return list(got["documents"] or []), vectors, owners


def drop_collections(client: chromadb.ClientAPI, settings: Settings) -> None:
    """Delete the index (for ``--rebuild``, also after switching embedding model)."""
    existing = {c if isinstance(c, str) else c.name for c in client.list_collections()}
    for name in (settings.collection, f"{settings.collection}-sentences"):
        if name in existing:
            client.delete_collection(name)


def open_index(settings: Settings, *, rebuild: bool = False, embeddings: SlimEmbeddings | None = None) -> VectorIndex:
    client = chroma_client(settings)
    if rebuild:
        drop_collections(client, settings)
    return VectorIndex(settings, embeddings or make_embeddings(settings.embeddings), client)


@contextmanager
def writer_lock(settings: Settings) -> Iterator[None]:
    """One writer per data directory: concurrent ``slim index`` runs wait for each other."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with open(settings.data_dir / ".index.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def corpus_files(settings: Settings) -> list[SourceFile]:
    return [
        SourceFile(p, "report")
        for p in sorted(settings.corpus_dir.iterdir())
        if p.suffix.lower() in SUPPORTED_SUFFIXES and p.name.lower() != "readme.md"
    ]


def sources_to_index(index: VectorIndex, settings: Settings, extra: Sequence[Path]) -> list[SourceFile]:
    """The corpus, the files asked for now, and earlier-added files that still exist."""
    wanted: dict[Path, SourceFile] = {s.path.resolve(): s for s in corpus_files(settings)}
    for doc in index.documents().values():
        path = Path(doc.source_path)
        if doc.kind == "document" and path.exists():
            wanted.setdefault(path.resolve(), SourceFile(path, "document"))
    for path in extra:
        wanted.setdefault(path.resolve(), SourceFile(path, "document"))
    return list(wanted.values())


def sync(index: VectorIndex, sources: Sequence[SourceFile], progress: bool = False) -> SyncReport:
    """Bring the index in line with ``sources``. Every source is parsed before anything is written,
    so a broken file leaves the index exactly as it was."""
    settings = index.settings
    report = SyncReport()
    existing = index.documents()
    planned: list[tuple[str, list[Document]]] = []
    wanted_ids: set[str] = set()
    for source in sources:
        doc_id = document_id(source.path)
        wanted_ids.add(doc_id)
        current = existing.get(doc_id)
        digest = content_hash(source.path, settings.chunk_chars, settings.chunk_overlap_chars)
        if current is not None and current.doc_hash == digest:
            report.unchanged.append(doc_id)
            continue
        loaded = load_document(
            source.path, source.kind, chunk_chars=settings.chunk_chars, overlap_chars=settings.chunk_overlap_chars
        )
        planned.append((doc_id, chunk_document(loaded, settings.chunk_chars, settings.chunk_overlap_chars)))
        (report.updated if current is not None else report.added).append(doc_id)
    for doc_id, passages in planned:
        report.passages_embedded += index.write(passages, progress=progress)
        index.delete_doc(doc_id, except_hash=str(passages[0].metadata["doc_hash"]))
    for doc_id in sorted(set(existing) - wanted_ids):
        index.delete_doc(doc_id)
        report.removed.append(doc_id)
    return report
