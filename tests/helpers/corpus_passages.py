"""The report's passages without an index: the real loader and chunker on corpus/, no embeddings. A
``PassageFinder`` for unit tests of code that cites curated passage references (same matching rule as
``Retriever.passage_with``: the phrase word for word, case and whitespace aside, in the section or a
subsection)."""

from __future__ import annotations

from functools import cache

from assistant.config import Settings
from assistant.domain import Hit
from assistant.index import corpus_files, load_trusted
from assistant.ingest import chunk_document
from assistant.retrieve import hit_from_document


class CorpusPassages:
    def __init__(self) -> None:
        settings = Settings()
        self.docs = []
        for source in corpus_files(settings):
            doc = load_trusted(source.path, "report", settings)
            self.docs += chunk_document(doc, settings.chunk_chars, settings.chunk_overlap_chars)

    def passage_with(self, section: str, phrase: str) -> Hit | None:
        wanted = " ".join(phrase.lower().split())
        for doc in self.docs:
            where = str(doc.metadata.get("section", ""))
            if where != section and not where.startswith(section + "."):
                continue
            if wanted in " ".join(doc.page_content.lower().split()):
                return hit_from_document(1, doc, 1.0)
        return None


@cache
def corpus_passages() -> CorpusPassages:
    return CorpusPassages()
