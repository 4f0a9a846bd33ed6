"""The Chroma index: a local directory by default, or a Chroma server when ``SLIM_CHROMA_HOST`` is set.

Updates are incremental by content hash: unchanged documents are skipped without being parsed, changed
ones get their new passages written before the old ones are removed, and documents whose file is gone
are deleted. Updates are crash-safe: every passage id carries its document's version, and a version is
used only once all its passages are written (``visible_versions``), so a process killed mid-update leaves
the previous version in use; the next update or ``slim doctor`` clears what it left. The embedding
model's name and dimension live in the collection's metadata, so an index is never queried with vectors
from another model.
"""

from __future__ import annotations

import fcntl
import hashlib
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from functools import wraps
from pathlib import Path
from typing import Any, Protocol

import chromadb
import chromadb.errors
import httpx
import numpy as np
from langchain_core.documents import Document
from tqdm import tqdm

from assistant.config import Settings
from assistant.datadir import chroma_path, require_writable
from assistant.embeddings import SlimEmbeddings, VectorCache, make_embeddings
from assistant.errors import (
    ChromaUnreachableError,
    EmbeddingMismatchError,
    IndexDamagedError,
    ReadOnlyDataError,
)
from assistant.ingest import (
    SUPPORTED_SUFFIXES,
    LoadedDocument,
    chunk_document,
    content_hash,
    document_id,
    load_document,
    sentence_spans,
)

WRITE_BATCH = 256  # sentences embedded and stored per step
PASSAGE_QUESTION = "passage_question"  # marks a passage question's row in the sentence collection

Embed = Callable[[Sequence[str]], np.ndarray]


def distinct(embed: Embed, texts: Sequence[str]) -> np.ndarray:
    """``embed`` each distinct text once (a sentence repeated in a document, such as "(2018)."), one row per
    text in ``texts``."""
    unique = list(dict.fromkeys(texts))
    if len(unique) == len(texts):
        return embed(texts)
    vectors = embed(unique)
    row = {text: n for n, text in enumerate(unique)}
    return vectors[[row[text] for text in texts]]


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
    garbage_removed: int = 0


@dataclass(frozen=True)
class IndexedDoc:
    doc_id: str
    doc_hash: str
    source_path: str
    kind: str
    title: str
    passages: int
    pages: int | None = None
    reference: str | None = None


def chroma_client(settings: Settings) -> chromadb.ClientAPI:
    """Chroma with telemetry off: a server if one is configured, else the local data directory (a copy of
    it when it is read-only, see ``assistant.datadir``)."""
    if settings.chroma_host:
        try:
            host, port = settings.chroma_host, settings.chroma_port
            return chromadb.HttpClient(host=host, port=port, settings=_chroma_settings())
        except (ValueError, httpx.HTTPError) as exc:  # Chroma says "Could not connect" as a ValueError
            raise ChromaUnreachableError(host=settings.chroma_host, port=settings.chroma_port) from exc
    path = chroma_path(settings)
    with chroma_errors(settings):
        return chromadb.PersistentClient(path=str(path), settings=_chroma_settings())


def _chroma_settings() -> chromadb.Settings:
    return chromadb.Settings(anonymized_telemetry=False, allow_reset=True)


def separate_chroma_client(settings: Settings, slot: int) -> chromadb.ClientAPI:
    """A client with a Chroma system of its own (its own connections and caches), for reading what
    another process wrote. Chroma keeps one system per directory name in a process, and a system keeps
    the vector indexes it has read in memory: vectors another process adds later cannot be read through
    it ("Error finding id"). The directory is spelled differently per ``slot`` (``<dir>/.``,
    ``<dir>/./.``), so the same folder opens in a system of its own; a slot's earlier client must be
    closed first. A Chroma server has no such cache: its client is the ordinary one."""
    if settings.chroma_host:
        return chroma_client(settings)
    with chroma_errors(settings):
        spelled = str(chroma_path(settings)) + "/." * (slot + 1)
        return chromadb.PersistentClient(path=spelled, settings=_chroma_settings())


def first_line(exc: BaseException) -> str:
    """An exception's first line, short enough for a one-line message."""
    lines = str(exc).strip().splitlines()
    return (lines[0] if lines else type(exc).__name__)[:160]


@contextmanager
def chroma_errors(settings: Settings) -> Iterator[None]:
    """Chroma's failures as one line: an index it cannot read (a truncated database or vector file:
    ``slim doctor`` repairs it), or a server that does not answer. Other errors are bugs and stay raised."""
    try:
        yield
    except chromadb.errors.InternalError as exc:
        where = f"{settings.chroma_host}:{settings.chroma_port}" if settings.chroma_host else settings.chroma_dir
        raise IndexDamagedError(path=where, detail=first_line(exc)) from exc
    except httpx.TransportError as exc:
        raise ChromaUnreachableError(host=settings.chroma_host, port=settings.chroma_port) from exc


def _guarded(method: Callable[..., Any]) -> Callable[..., Any]:
    """Run a ``PassageStore`` method under ``chroma_errors``: every read and write of the index goes through one."""

    @wraps(method)
    def wrapper(self: PassageStore, *args: Any, **kwargs: Any) -> Any:
        with chroma_errors(self.settings):
            return method(self, *args, **kwargs)

    return wrapper


@dataclass(frozen=True)
class StoredPassages:
    """Every passage in use, in one order: ids, texts, metadata and vectors (one row per passage)."""

    ids: list[str]
    texts: list[str]
    metadatas: list[dict]
    vectors: np.ndarray


@dataclass(frozen=True)
class StoredSentences:
    """Every stored sentence: its text, its vector (one row each) and the ids of the passages it is in."""

    texts: list[str]
    vectors: np.ndarray
    owners: list[list[str]]


@dataclass(frozen=True)
class SentenceRows:
    """The rows of the sentence collection by what they are, all read at once: the documents' own sentences,
    the section contexts (``corpus/section-context.yaml``), the questions each section answers
    (``corpus/section-questions.yaml``) and those single passages answer (``corpus/passage-questions/``);
    each owned by the passages it describes."""

    sentences: StoredSentences
    contexts: StoredSentences
    questions: StoredSentences
    passage_questions: StoredSentences


class PassageStore:
    """Passages of the report or of one workspace, with their sentences' vectors, tied to one embedding model.

    Chroma is the store, not the search: the retriever reads every passage and sentence (``all_passages``,
    ``sentence_rows``) and scores them in memory. Two collections: ``<collection>`` holds the passages,
    ``<collection>-sentences`` their sentences. Each sentence is embedded once; a passage's vector is the
    mean of its sentences' vectors plus a share of its heading's vector and of its section's context
    (``corpus/section-context.yaml``: what the section is about, in plain Dutch and English), so a passage
    can be scored as a whole, by its best sentence and by its context without embedding the text twice.
    The contexts are rows of the sentence collection marked ``context``, and so are the questions each
    section answers (``corpus/section-questions.yaml``, marked ``question``, embedded as questions) and those
    single passages answer (``corpus/passage-questions/``, marked ``passage_question``), so they share its
    versions, garbage collection and repair (``SentenceRows``).

    With a ``cache``, the vectors of the report (static corpus content) are read from it where they were
    embedded before (``VectorCache``); a person's documents are always embedded.
    """

    HEADING_WEIGHT = 0.3
    CONTEXT_WEIGHT = 0.5

    def __init__(
        self,
        settings: Settings,
        embeddings: SlimEmbeddings,
        client: chromadb.ClientAPI | None = None,
        *,
        collection: str | None = None,
        cache: VectorCache | None = None,
    ):
        """``collection`` names the pair of collections (default: ``settings.collection``, the report's)."""
        self.settings = settings
        self.cache = cache
        self.collection = collection or settings.collection
        self.embeddings = embeddings
        self.client = client or chroma_client(settings)
        self.passages, self.sentences = self._open_collections()

    @_guarded
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
        return self._open(self.collection), self._open(f"{self.collection}-sentences")

    @_guarded
    def count(self) -> int:
        return self.passages.count()

    @_guarded
    def probe(self) -> None:
        """Read every stored vector and run a nearest-neighbour query in both collections, as a search does:
        damage that opening the index does not show (a truncated vector file) shows here."""
        query = np.full((1, self.embeddings.dim), self.embeddings.dim**-0.5, dtype=np.float32)
        for collection in (self.passages, self.sentences):
            stored = collection.count()
            if stored:
                collection.get(include=["embeddings", "metadatas"])
                collection.query(query_embeddings=query, n_results=min(stored, 10), include=["distances"])

    @_guarded
    def reset(self) -> None:
        """Drop both collections and open them empty (``slim doctor``, when their vectors are damaged)."""
        drop_collections(self.client, self.settings, self.collection)
        self.passages, self.sentences = self._open_collections()

    def documents(self) -> dict[str, IndexedDoc]:
        """What is indexed now, per document: only the version in use (see ``visible_versions``)."""
        metas = self._metadatas(self.passages)
        visible = visible_versions(metas)
        docs: dict[str, IndexedDoc] = {}
        for meta in metas:
            doc_id = str(meta["doc_id"])
            if not in_use(meta, visible):
                continue
            seen = docs.get(doc_id)
            docs[doc_id] = IndexedDoc(
                doc_id=doc_id,
                doc_hash=str(meta["doc_hash"]),
                source_path=str(meta["source_path"]),
                kind=str(meta["kind"]),
                title=str(meta["source"]),
                passages=(seen.passages if seen else 0) + 1,
                pages=max(int(meta["page"]), (seen.pages or 0) if seen else 0) if "page" in meta else None,
                reference=str(meta["reference"]) if meta.get("reference") else None,
            )
        return docs

    @_guarded
    def write(
        self, passages: Sequence[Document], progress: bool = False, on_step: Callable[[int], None] | None = None
    ) -> int:
        """Embed the sentences of one document version's ``passages`` (each sentence once) and store them.

        Sentences are written batch by batch as they are embedded, the passages last: a version counts
        only once all its passages are in (``visible_versions``), so a crash at any point leaves the
        previous version in use and the unfinished one as garbage for the next update to clear.
        ``on_step`` is told how many sentences each batch embedded."""
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
        embed_passages, embed_queries = self._embedders(str(doc.metadata.get("kind", "")))
        vectors = np.zeros((len(keys), self.embeddings.dim), dtype=np.float32)
        bar = tqdm(total=len(keys), unit="zin", disable=not progress, file=sys.stderr, leave=False)
        for i in range(0, len(keys), WRITE_BATCH):
            batch = keys[i : i + WRITE_BATCH]
            vectors[i : i + len(batch)] = distinct(embed_passages, [texts[k] for k in batch])
            self.sentences.upsert(
                ids=[f"{doc.metadata['doc_id']}:{a}-{b}:{doc.metadata['doc_hash'][:8]}" for a, b in batch],
                embeddings=vectors[i : i + len(batch)],
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
            bar.update(len(batch))
            if on_step:
                on_step(len(batch))
        bar.close()
        row = {k: i for i, k in enumerate(keys)}
        headings = sorted({str(p.metadata.get("heading", "")) for p in passages} - {""})
        heading_vectors = dict(zip(headings, embed_passages(headings), strict=True))
        context_vectors = self._write_contexts(passages, embed_passages)
        self._write_questions(passages, embed_queries)
        self._write_questions(passages, embed_queries, "passage_questions", PASSAGE_QUESTION)
        passage_vectors = []
        for passage, spans in zip(passages, spans_per_passage, strict=True):
            vector = vectors[[row[s] for s in spans]].mean(axis=0)
            heading = str(passage.metadata.get("heading", ""))
            if heading:
                vector = vector + self.HEADING_WEIGHT * heading_vectors[heading]
            context = str(passage.metadata.get("context", ""))
            if context:
                vector = vector + self.CONTEXT_WEIGHT * context_vectors[context]
            passage_vectors.append(vector / max(float(np.linalg.norm(vector)), 1e-12))
        indexed_at = time.time()
        for i in range(0, len(passages), WRITE_BATCH):
            self.passages.upsert(
                ids=[str(p.metadata["chunk_id"]) for p in passages[i : i + WRITE_BATCH]],
                embeddings=np.stack(passage_vectors[i : i + WRITE_BATCH]),
                documents=[p.page_content for p in passages[i : i + WRITE_BATCH]],
                metadatas=[dict(p.metadata, indexed_at=indexed_at) for p in passages[i : i + WRITE_BATCH]],
            )
        return len(passages)

    def _embedders(self, kind: str) -> tuple[Embed, Embed]:
        """How to embed passages and questions of a document of ``kind``: through the cache for the report
        (the same for everyone), directly for a person's documents (never kept beyond the index)."""
        cache = self.cache
        if cache is None or kind != "report":
            return self.embeddings.embed_passages, self.embeddings.embed_queries
        return (
            lambda texts: cache.passages(self.embeddings, texts),
            lambda texts: cache.queries(self.embeddings, texts),
        )

    def _write_contexts(self, passages: Sequence[Document], embed: Embed) -> dict[str, np.ndarray]:
        """Embed each distinct section context of a document version once and store it beside the
        sentences, owned by the passages it describes; returns the vector per context text."""
        owners: dict[str, list[str]] = {}
        for passage in passages:
            context = str(passage.metadata.get("context", ""))
            if context:
                owners.setdefault(context, []).append(str(passage.metadata["chunk_id"]))
        if not owners:
            return {}
        texts = list(owners)
        vectors = embed(texts)
        self._store_beside_sentences(passages[0].metadata, "context", texts, vectors, owners)
        return {text: np.asarray(vector, dtype=np.float32) for text, vector in zip(texts, vectors, strict=True)}

    def _write_questions(
        self, passages: Sequence[Document], embed: Embed, field: str = "questions", marker: str = "question"
    ) -> None:
        """Embed each distinct question of a document version once (as a question: it is compared with a
        person's question) and store it beside the sentences, marked ``marker`` and owned by the passages
        whose metadata ``field`` lists it: section questions (``questions``: every passage of the section)
        or passage questions (``passage_questions``: the passages holding the entry's anchor)."""
        owners: dict[str, list[str]] = {}
        for passage in passages:
            for question in str(passage.metadata.get(field, "")).splitlines():
                if question.strip():
                    owners.setdefault(question.strip(), []).append(str(passage.metadata["chunk_id"]))
        if not owners:
            return
        texts = list(owners)
        for i in range(0, len(texts), WRITE_BATCH):
            batch = texts[i : i + WRITE_BATCH]
            self._store_beside_sentences(passages[0].metadata, marker, batch, embed(batch), owners)

    def _store_beside_sentences(
        self, doc: dict, kind: str, texts: list[str], vectors: np.ndarray, owners: dict[str, list[str]]
    ) -> None:
        """Section texts (``kind``: context or question) live in the sentence collection, marked as such
        and owned by the passages they describe, so a document's removal takes them along."""
        self.sentences.upsert(
            ids=[
                f"{doc['doc_id']}:{kind}-{hashlib.sha1(text.encode()).hexdigest()[:12]}:{str(doc['doc_hash'])[:8]}"
                for text in texts
            ],
            embeddings=np.asarray(vectors, dtype=np.float32),
            documents=texts,
            metadatas=[
                {
                    "doc_id": str(doc["doc_id"]),
                    "doc_hash": str(doc["doc_hash"]),
                    "chunk_ids": ",".join(owners[text]),
                    kind: True,
                }
                for text in texts
            ],
        )

    @_guarded
    def delete_doc(self, doc_id: str, except_hash: str | None = None) -> None:
        """Remove a document's passages and sentences, except those written for version ``except_hash``."""
        where: dict = {"doc_id": doc_id}
        if except_hash is not None:
            where = {"$and": [{"doc_id": doc_id}, {"doc_hash": {"$ne": except_hash}}]}
        for collection in (self.passages, self.sentences):
            collection.delete(where=where)

    @_guarded
    def all_passages(self) -> StoredPassages:
        """Every passage in use (unfinished versions left out)."""
        got = self.passages.get(include=["documents", "metadatas", "embeddings"])
        metas = [dict(m) for m in got["metadatas"] or []]
        vectors = np.asarray(got["embeddings"], dtype=np.float32).reshape(len(metas), self.embeddings.dim)
        visible = visible_versions(metas)
        keep = [n for n, m in enumerate(metas) if in_use(m, visible)]
        texts = got["documents"] or []
        return StoredPassages(
            ids=[got["ids"][n] for n in keep],
            texts=[texts[n] for n in keep],
            metadatas=[metas[n] for n in keep],
            vectors=vectors[keep],
        )

    @_guarded
    def ids(self) -> list[str]:
        """Every stored passage id, in use or not: changes whenever anything is written or removed."""
        return list(self.passages.get(include=[])["ids"])

    @_guarded
    def sentence_rows(self) -> SentenceRows:
        """Every row of the sentence collection, in one read: read per kind (four reads) it took a fresh
        process 0.39 s before its first answer instead of 0.17 s."""
        got = self.sentences.get(include=["documents", "embeddings", "metadatas"])
        metas, texts = got["metadatas"] or [], got["documents"] or []
        vectors = np.asarray(got["embeddings"], dtype=np.float32).reshape(len(metas), self.embeddings.dim)
        markers = ("context", "question", PASSAGE_QUESTION)

        def marked(marker: str | None) -> StoredSentences:
            keep = [n for n, m in enumerate(metas) if all(bool(m.get(k, False)) == (k == marker) for k in markers)]
            owners = [str(metas[n]["chunk_ids"]).split(",") for n in keep]
            return StoredSentences(texts=[texts[n] for n in keep], vectors=vectors[keep], owners=owners)

        return SentenceRows(*(marked(marker) for marker in (None, *markers)))

    @_guarded
    def _metadatas(self, collection: chromadb.Collection) -> list[dict]:
        return [dict(m) for m in collection.get(include=["metadatas"])["metadatas"] or []]

    def _unused(self) -> tuple[dict[str, str], dict[str, list[dict]]]:
        """The version in use per document, and the stored rows (passages, sentences) of any other version."""
        stored = {"passages": self._metadatas(self.passages), "sentences": self._metadatas(self.sentences)}
        visible = visible_versions(stored["passages"])
        return visible, {name: [m for m in rows if not in_use(m, visible)] for name, rows in stored.items()}

    def garbage(self) -> dict[str, int]:
        """Passages and sentences not in use (versions cut off by a crash, or replaced), per collection."""
        return {name: len(rows) for name, rows in self._unused()[1].items()}

    def collect_garbage(self) -> dict[str, int]:
        """Remove what ``garbage`` finds (only under the writer lock); returns what was removed."""
        visible, unused = self._unused()
        for doc_id in sorted({str(m["doc_id"]) for rows in unused.values() for m in rows}):
            self.delete_doc(doc_id, except_hash=visible.get(doc_id))
        return {name: len(rows) for name, rows in unused.items()}


class PassageSource(Protocol):
    """What the retriever needs from an index, and what ``CombinedIndex`` reads of each of its parts: a
    ``PassageStore`` (the report, or one workspace), the shared library as a running app reads it
    (``assistant.library.LiveLibrary``), or a ``CombinedIndex`` (the report, the library and a person's
    workspace read as one)."""

    embeddings: SlimEmbeddings

    def ids(self) -> list[str]:
        """Every stored passage id: changes whenever anything is written or removed."""
        ...

    def count(self) -> int:
        """How many passages are stored (the app shows it)."""
        ...

    def all_passages(self) -> StoredPassages: ...

    def sentence_rows(self) -> SentenceRows: ...


class CombinedIndex:
    """Several stores read as one, read-only: the shared report, the library of its sources and a
    person's workspace."""

    def __init__(self, *indexes: PassageSource):
        self.indexes = indexes
        self.embeddings = indexes[0].embeddings

    def count(self) -> int:
        return sum(index.count() for index in self.indexes)

    def ids(self) -> list[str]:
        return [i for index in self.indexes for i in index.ids()]

    def all_passages(self) -> StoredPassages:
        parts = [index.all_passages() for index in self.indexes]
        return StoredPassages(
            ids=[i for p in parts for i in p.ids],
            texts=[t for p in parts for t in p.texts],
            metadatas=[m for p in parts for m in p.metadatas],
            vectors=np.concatenate([p.vectors for p in parts]),
        )

    def sentence_rows(self) -> SentenceRows:
        parts = [index.sentence_rows() for index in self.indexes]
        joined = {kind.name: self._joined([getattr(p, kind.name) for p in parts]) for kind in fields(SentenceRows)}
        return SentenceRows(**joined)

    @staticmethod
    def _joined(parts: list[StoredSentences]) -> StoredSentences:
        return StoredSentences(
            texts=[t for p in parts for t in p.texts],
            vectors=np.concatenate([p.vectors for p in parts]),
            owners=[o for p in parts for o in p.owners],
        )


def visible_versions(metadatas: Sequence[dict]) -> dict[str, str]:
    """The version in use per document: the newest one whose passages are all written.

    A version is complete when it has as many passages as its ``doc_passages`` says; of two complete
    versions (a crash between writing the new and deleting the old) the later written wins."""
    counts: dict[tuple[str, str], int] = {}
    expected: dict[tuple[str, str], int] = {}
    written: dict[tuple[str, str], float] = {}
    for meta in metadatas:
        key = (str(meta["doc_id"]), str(meta["doc_hash"]))
        counts[key] = counts.get(key, 0) + 1
        expected[key] = int(meta.get("doc_passages", 0))
        written[key] = float(meta.get("indexed_at", 0.0))
    visible: dict[str, tuple[float, str]] = {}
    for (doc_id, doc_hash), n in counts.items():
        if n >= expected[(doc_id, doc_hash)] and written[(doc_id, doc_hash)] >= visible.get(doc_id, (-1.0, ""))[0]:
            visible[doc_id] = (written[(doc_id, doc_hash)], doc_hash)
    return {doc_id: doc_hash for doc_id, (_, doc_hash) in visible.items()}


def in_use(meta: dict, visible: dict[str, str]) -> bool:
    """Whether a stored passage or sentence belongs to its document's version in use."""
    return visible.get(str(meta["doc_id"])) == meta["doc_hash"]


def drop_collections(client: chromadb.ClientAPI, settings: Settings, collection: str | None = None) -> None:
    """Delete the index (for ``--rebuild``, also after switching embedding model); ``collection`` as in
    ``PassageStore``."""
    collection = collection or settings.collection
    with chroma_errors(settings):
        existing = {c if isinstance(c, str) else c.name for c in client.list_collections()}
        for name in (collection, f"{collection}-sentences"):
            if name in existing:
                client.delete_collection(name)


def embedding_cache(settings: Settings) -> Path:
    """Where the report's vectors are kept between indexes (``VectorCache``)."""
    return settings.data_dir / "cache" / "embeddings"


def open_index(
    settings: Settings,
    *,
    rebuild: bool = False,
    embeddings: SlimEmbeddings | None = None,
    cache: VectorCache | None = None,
) -> PassageStore:
    """The report's index; its vectors go through ``cache`` (default: the one in the data directory)."""
    client = chroma_client(settings)
    if rebuild:
        drop_collections(client, settings)
    cache = cache or VectorCache(embedding_cache(settings))
    return PassageStore(settings, embeddings or make_embeddings(settings.embeddings), client, cache=cache)


@dataclass(frozen=True)
class QueueWait:
    """Where a waiting writer stands: ``position`` writers are ahead of it (1: it is next), and the
    expected wait in seconds once the writer at work has embedded enough to tell (else ``None``)."""

    position: int
    seconds: float | None


@dataclass(eq=False)
class WriteJob:
    """One writer's turn: how big its file is and how far its embedding has come, so those behind it
    can be told how long they wait."""

    queue: WriterQueue
    size: int = 0  # bytes of the file being added; 0 when unknown
    done: int = 0
    total: int = 0
    started: float | None = None  # when embedding began (the queue's clock)

    def progress(self, done: int, total: int) -> None:
        with self.queue.changed:
            if self.started is None:
                self.started = self.queue.clock()
            self.done, self.total = done, total
            self.queue.changed.notify_all()


class WriterQueue:
    """The writers of one data directory in this process (the app's uploads), in the order they came:
    the first holds the writer lock, the others wait and are told their place and expected wait."""

    POLL_S = 1.0

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self.changed = threading.Condition()
        self.line: list[WriteJob] = []

    def wait_turn(self, job: WriteJob, on_wait: Callable[[QueueWait], None] | None) -> None:
        """Join the line and return when ``job`` is first; ``on_wait`` hears every change of its place
        or expected wait (whole seconds) meanwhile."""
        with self.changed:
            self.line.append(job)
        told: QueueWait | None = None
        try:
            while True:
                with self.changed:
                    if self.line[0] is job:
                        return
                    now = self.status(job)
                if on_wait and now != told:  # outside the lock: showing it may take a while
                    on_wait(now)
                    told = now
                with self.changed:
                    if self.line[0] is job:
                        return
                    self.changed.wait(self.POLL_S)
        except BaseException:  # a person who left (or a failing callback) gives up their place
            self.leave(job)
            raise

    def leave(self, job: WriteJob) -> None:
        with self.changed:
            if job in self.line:
                self.line.remove(job)
            self.changed.notify_all()

    def status(self, job: WriteJob) -> QueueWait:
        with self.changed:
            position = self.line.index(job)
            return QueueWait(position, self.expected_wait(self.line[:position]))

    def expected_wait(self, ahead: list[WriteJob]) -> float | None:
        """The rest of the job at work at its rate so far, and those behind it at the same rate per byte."""
        if not ahead:
            return 0.0
        head = ahead[0]
        if head.started is None or not head.done or not head.total:
            return None
        per_unit = (self.clock() - head.started) / head.done
        seconds = (head.total - head.done) * per_unit
        if len(ahead) > 1:
            if not head.size or not all(job.size for job in ahead[1:]):
                return None
            seconds += sum(job.size for job in ahead[1:]) * per_unit * head.total / head.size
        return float(round(seconds))


_QUEUES: dict[Path, WriterQueue] = {}
_QUEUES_LOCK = threading.Lock()


def writer_queue(settings: Settings) -> WriterQueue:
    """The queue of writers of ``settings``' data directory in this process."""
    key = settings.data_dir.resolve()
    with _QUEUES_LOCK:
        return _QUEUES.setdefault(key, WriterQueue())


@contextmanager
def writer_lock(
    settings: Settings, on_wait: Callable[[QueueWait], None] | None = None, *, size: int = 0
) -> Iterator[WriteJob]:
    """One writer per data directory: writers in this process queue in order (``on_wait`` hears their
    place and expected wait; ``size`` in bytes helps estimate it), and a file lock keeps writers of
    other processes out. The ``WriteJob`` yielded takes the writer's progress. Every change to the index
    starts here, so a read-only data directory is refused here, with one line."""
    require_writable(settings)
    queue = writer_queue(settings)
    job = WriteJob(queue, size=size)
    queue.wait_turn(job, on_wait)
    try:
        try:
            handle = open(settings.data_dir / ".index.lock", "w")  # noqa: SIM115 (closed below)
        except OSError as exc:
            raise ReadOnlyDataError(path=settings.data_dir) from exc
        with handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:  # another process writes: next in line, for as long as it takes
                if on_wait:
                    on_wait(QueueWait(1, None))
                fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield job
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        queue.leave(job)


def corpus_files(settings: Settings) -> list[SourceFile]:
    return [
        SourceFile(p, "report")
        for p in sorted(settings.corpus_dir.iterdir())
        if p.suffix.lower() in SUPPORTED_SUFFIXES and p.name.lower() != "readme.md"
    ]


Loader = Callable[[Path, str, Settings], LoadedDocument]


def load_trusted(path: Path, kind: str, settings: Settings) -> LoadedDocument:
    """Parse in this process: for the report corpus, which ships with SLIM."""
    return load_document(
        path,
        kind,
        chunk_chars=settings.chunk_chars,
        overlap_chars=settings.chunk_overlap_chars,
        max_pages=settings.max_pages,
    )


def sync(
    index: PassageStore,
    sources: Sequence[SourceFile],
    progress: bool = False,
    load: Loader = load_trusted,
    on_progress: Callable[[int, int], None] | None = None,
) -> SyncReport:
    """Bring the index in line with ``sources``. Every source is parsed (by ``load``) before anything is
    written, so a broken file leaves the index exactly as it was; what a crash left behind is cleared.
    ``on_progress(done, total)`` follows the embedding, in sentences."""
    settings = index.settings
    report = SyncReport()
    existing = index.documents()
    planned: list[tuple[str, list[Document]]] = []
    wanted_ids: set[str] = set()
    for source in sources:
        doc_id = document_id(source.path, source.kind)
        wanted_ids.add(doc_id)
        current = existing.get(doc_id)
        digest = content_hash(source.path, settings.chunk_chars, settings.chunk_overlap_chars)
        if current is not None and current.doc_hash == digest:
            report.unchanged.append(doc_id)
            continue
        loaded = load(source.path, source.kind, settings)
        planned.append((doc_id, chunk_document(loaded, settings.chunk_chars, settings.chunk_overlap_chars)))
        (report.updated if current is not None else report.added).append(doc_id)
    total = sum(len({span for p in passages for span in sentence_spans(p)}) for _, passages in planned)
    done = 0

    def step(count: int) -> None:
        nonlocal done
        done += count
        if on_progress:
            on_progress(done, total)

    if on_progress and planned:
        on_progress(0, total)
    for doc_id, passages in planned:
        report.passages_embedded += index.write(passages, progress=progress, on_step=step)
        index.delete_doc(doc_id, except_hash=str(passages[0].metadata["doc_hash"]))
    for doc_id in sorted(set(existing) - wanted_ids):
        index.delete_doc(doc_id)
        report.removed.append(doc_id)
    report.garbage_removed = sum(index.collect_garbage().values())
    return report
