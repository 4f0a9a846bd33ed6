"""Retrieval quality on a question file: recall@k and MRR per mode, with a hit defined as in the eval
set — a retrieved passage that contains one of the item's evidence phrases, ignoring case and whitespace."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, ValidationError

from assistant.config import RetrievalMode
from assistant.errors import InputError
from assistant.retrieve import Retriever

CUTOFFS = (1, 3, 5, 10)


class Query(BaseModel):
    id: str
    q: str
    evidence: list[str] = []


class ModeScores(BaseModel):
    mode: RetrievalMode
    recall: dict[int, float]
    mrr: float
    misses_at_5: list[str]


def load_queries(path: Path) -> list[Query]:
    """Read ``{"id", "q", ...}`` lines; a bad line is an input error naming the line."""
    if not path.exists():
        raise InputError("error.missing_path", path=str(path))
    queries: list[Query] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            queries.append(Query.model_validate(json.loads(line)))
        except (json.JSONDecodeError, ValidationError) as exc:
            raise InputError("error.bad_queries", path=str(path), line=number, detail=type(exc).__name__) from exc
    return queries


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text).lower()


def is_hit(passage: str, evidence: Sequence[str]) -> bool:
    squashed = _squash(passage)
    return any(_squash(phrase) in squashed for phrase in evidence)


def evaluate(retriever: Retriever, queries: Sequence[Query], mode: RetrievalMode) -> ModeScores:
    depth = max(CUTOFFS)
    first_hit: dict[str, int | None] = {}
    for query in queries:
        hits = retriever.search(query.q, k=depth, mode=mode)
        first_hit[query.id] = next((h.rank for h in hits if is_hit(h.text, query.evidence)), None)
    total = max(len(queries), 1)
    recall = {k: sum(1 for r in first_hit.values() if r is not None and r <= k) / total for k in CUTOFFS}
    mrr = sum(1 / r for r in first_hit.values() if r is not None) / total
    misses = [qid for qid, r in first_hit.items() if r is None or r > 5]
    return ModeScores(mode=mode, recall=recall, mrr=mrr, misses_at_5=misses)
