"""Retrieval quality on a question file: recall@k and MRR per mode, with a hit defined as in the eval
set — a retrieved passage that contains one of the item's evidence phrases, ignoring case and whitespace.
Where the file labels its questions (``type``, ``lang``, ``style``) recall is also given per label, so a
gain on one kind of question that costs another shows."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import AliasChoices, BaseModel, Field, ValidationError, model_validator

from assistant.config import Language, RetrievalMode, Settings
from assistant.errors import InputError
from assistant.evaluation.stats import percentile
from assistant.i18n import detect_language
from assistant.retrieve import Retriever
from assistant.text import CITATION, WORD, sentences

CUTOFFS = (1, 3, 5, 10)


GROUP_FIELDS = ("type", "lang", "style")


class Query(BaseModel):
    id: str
    q: str
    evidence: list[str] = []
    type: str | None = None
    lang: str | None = None
    style: str | None = None


class GroupScores(BaseModel):
    """Recall@1 and @5 of the questions that share one label (e.g. type ``fact``)."""

    count: int
    recall_1: float
    recall_5: float


class ModeScores(BaseModel):
    mode: RetrievalMode
    recall: dict[int, float]
    mrr: float
    misses_at_5: list[str]
    # field -> label -> scores, for the fields in GROUP_FIELDS that the file fills
    groups: dict[str, dict[str, GroupScores]] = {}


M = TypeVar("M", bound=BaseModel)


def load_lines(path: Path, model: type[M]) -> list[M]:
    """Read one JSON object per line as ``model`` (blank lines skipped); a bad line is an input error
    naming the line. Every evaluation file is read this way."""
    if not path.is_file():
        raise InputError("error.missing_path", path=str(path))
    items: list[M] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            items.append(model.model_validate(json.loads(line)))
        except (ValueError, ValidationError) as exc:
            raise InputError("error.bad_queries", path=str(path), line=number, detail=type(exc).__name__) from exc
    return items


def load_queries(path: Path) -> list[Query]:
    """Read ``{"id", "q", ...}`` lines."""
    return load_lines(path, Query)


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
    return ModeScores(mode=mode, recall=recall, mrr=mrr, misses_at_5=misses, groups=by_group(queries, first_hit))


def by_group(queries: Sequence[Query], first_hit: dict[str, int | None]) -> dict[str, dict[str, GroupScores]]:
    """Recall@1/@5 per label of each labelled field; a field no question fills is left out."""
    out: dict[str, dict[str, GroupScores]] = {}
    for name in GROUP_FIELDS:
        labels = sorted({getattr(q, name) for q in queries if getattr(q, name)})
        for label in labels:
            ranks = [first_hit[q.id] for q in queries if getattr(q, name) == label]
            out.setdefault(name, {})[label] = GroupScores(
                count=len(ranks),
                recall_1=sum(1 for r in ranks if r == 1) / len(ranks),
                recall_5=sum(1 for r in ranks if r is not None and r <= 5) / len(ranks),
            )
    return out


# --- answers -------------------------------------------------------------------------------------------


class AnswerItem(BaseModel):
    """A question for ``slim eval answers``. A file in the retrieval sets' form (``{"id", "q", "evidence"}``) is
    read too: a question with evidence phrases is in scope, one without is out of scope; ``question`` is read
    as ``q``."""

    id: str
    q: str = Field(validation_alias=AliasChoices("q", "question"))
    kind: Literal["in", "out", "reflection"]
    theme: str | None = None
    lang: Language | None = None
    evidence: list[str] = []
    """phrases of the report that answer an in-scope question: one must be in a sentence the answer cites"""
    split: Literal["tune", "test"] | None = None

    @model_validator(mode="before")
    @classmethod
    def _kind_from_evidence(cls, data: object) -> object:
        if isinstance(data, dict) and "kind" not in data:
            return {**data, "kind": "in" if data.get("evidence") else "out"}
        return data


class AnswerScores(BaseModel):
    backend: str
    items: int
    citation_validity: float
    in_language: float
    grounding: float
    answered_in_scope: float | None
    """None when the file has no in-scope question (as declined, when it has no out-of-scope one)"""
    declined_out_of_scope: float | None
    answering_cited: float | None = None
    """in-scope items with evidence answered with a cited sentence that holds an evidence phrase"""
    passage_retrieved: float | None = None
    """in-scope items with evidence whose cited passages hold an evidence phrase anywhere (retrieval's part)"""
    model_answers: float
    model_chosen: float = 0.0
    """share of answers that quote a sentence the model chose (``method`` chosen)"""
    passages_p50_s: float
    passages_p95_s: float
    first_token_p50_s: float | None
    first_token_p95_s: float | None
    total_p50_s: float
    failures: list[str]


def load_answer_items(path: Path) -> list[AnswerItem]:
    return load_lines(path, AnswerItem)


def _sentences(text: str) -> list[str]:
    return [s for s in sentences(text) if len(WORD.findall(s)) >= 3]


def supported_share(text: str, citations: list[dict], embeddings) -> float | None:
    """Share of an answer's sentences that carry a citation whose passage says the same thing: the
    sentence's best match among the cited passage's sentences reaches SUPPORT_SIMILARITY (multilingual
    e5, so an English sentence can be supported by a Dutch passage). None for an answer with no sentences."""
    claims = _sentences(text)
    if not claims:
        return None
    by_n = {c["n"]: c["text"] for c in citations}
    supported = 0
    for sentence in claims:
        numbers = [int(n) for n in CITATION.findall(sentence) if int(n) in by_n]
        if not numbers:
            continue
        claim = embeddings.embed_query_array(CITATION.sub("", sentence))
        parts = [p for n in numbers for p in sentences(by_n[n])]
        if max(float(v @ claim) for v in embeddings.embed_passages(parts)) >= SUPPORT_SIMILARITY:
            supported += 1
    return supported / len(claims)


SUPPORT_SIMILARITY = 0.85
_QUOTE_CITED = re.compile(r"“([^”]+)”\s*((?:\[\d+\]\s*)+)")


def _passage_sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+|\n+", text) if s.strip()]


def cited_sentence_texts(text: str, citations: list[dict], embeddings) -> list[str]:
    """The sentences of the report an answer cites: what it quotes next to a valid citation, and for
    each of its own sentences with a citation the sentence of the cited passage closest to it (e5).
    Judged here, apart from the answer code, so that the check does not take SLIM's word for it."""
    by_n = {c["n"]: c["text"] for c in citations}
    found = [
        quote
        for quote, numbers in _QUOTE_CITED.findall(text)
        if any(int(n) in by_n for n in re.findall(r"\d+", numbers))
    ]
    own = _QUOTE_CITED.sub(" ", text)
    for sentence in re.split(r"(?<=[.!?])\s+", own):
        numbers = [int(n) for n in re.findall(r"\[(\d+)\]", sentence) if int(n) in by_n]
        claim = re.sub(r"\[\d+\]", "", sentence).strip()
        if not numbers or len(re.findall(r"\w+", claim)) < 3:
            continue
        parts = [p for n in numbers for p in _passage_sentences(by_n[n])]
        sims = embeddings.embed_passages(parts) @ embeddings.embed_query_array(claim)
        found.append(parts[int(sims.argmax())])
    return found


def evaluate_answers(items: Sequence[AnswerItem], run, embeddings, backend: str) -> AnswerScores:
    """``run(item)`` returns (text, language, grounded, citations, timings, method) for one item."""
    from assistant.answer import language_of_answer  # the answer stack loads only when answers are evaluated

    valid = lang_ok = cited_ok = retrieved = with_evidence = 0
    grounding: list[float] = []
    answered = declined = model = chosen = 0
    passages, first, total = [], [], []
    failures: list[str] = []
    for item in items:
        text, language, grounded, citations, timings, method = run(item)
        expected = item.lang or detect_language(item.q)
        numbers = {int(n) for n in CITATION.findall(text)}
        ok_citations = numbers <= {c["n"] for c in citations}
        valid += ok_citations
        lang_ok += language_of_answer(text, expected) == expected
        if grounded:
            share = supported_share(text, citations, embeddings)
            if share is not None:
                grounding.append(share)
        if item.kind == "in":
            answered += grounded
        missed = False
        if item.kind == "in" and item.evidence:
            with_evidence += 1
            retrieved += any(is_hit(c["text"], item.evidence) for c in citations)
            sentences = cited_sentence_texts(text, citations, embeddings) if grounded else []
            cited = any(is_hit(s, item.evidence) for s in sentences)
            cited_ok += cited
            missed = not cited
        if item.kind == "out":
            declined += not grounded
        model += method == "llm"
        chosen += method == "chosen"
        if timings:
            passages.append(timings["retrieval_s"])
            total.append(timings["total_s"])
            if timings.get("first_token_s") is not None:
                first.append(timings["first_token_s"])
        if not ok_citations or missed or (item.kind == "in" and not grounded) or (item.kind == "out" and grounded):
            failures.append(item.id)
    n_in = sum(i.kind == "in" for i in items)
    n_out = sum(i.kind == "out" for i in items)
    return AnswerScores(
        backend=backend,
        items=len(items),
        citation_validity=round(valid / len(items), 3),
        in_language=round(lang_ok / len(items), 3),
        grounding=round(sum(grounding) / len(grounding), 3) if grounding else 0.0,
        answered_in_scope=round(answered / n_in, 3) if n_in else None,
        declined_out_of_scope=round(declined / n_out, 3) if n_out else None,
        answering_cited=round(cited_ok / with_evidence, 3) if with_evidence else None,
        passage_retrieved=round(retrieved / with_evidence, 3) if with_evidence else None,
        model_answers=round(model / len(items), 3),
        model_chosen=round(chosen / len(items), 3),
        passages_p50_s=round(percentile(passages, 50), 3) if passages else 0.0,
        passages_p95_s=round(percentile(passages, 95), 3) if passages else 0.0,
        first_token_p50_s=round(percentile(first, 50), 3) if first else None,
        first_token_p95_s=round(percentile(first, 95), 3) if first else None,
        total_p50_s=round(percentile(total, 50), 3) if total else 0.0,
        failures=failures,
    )


def measure_answers(settings: Settings, items: Sequence[AnswerItem]) -> AnswerScores:
    """``slim eval answers``: each item asked of the configured backend (a free question, or an answer to
    a theme's question whose reflection is scored), then ``evaluate_answers``."""
    import sqlite3
    from time import perf_counter

    from assistant.answer import answer_prefix, answer_question
    from assistant.index import open_index
    from assistant.llm import make_llm
    from assistant.prompts import reflection_prompts
    from assistant.reflection.engine import ReflectionEngine
    from assistant.services import WARM_UP_QUESTION

    retriever = Retriever(open_index(settings), settings.prompts_dir)
    model = make_llm(settings)
    engine = ReflectionEngine(settings, retriever, model, conn=sqlite3.connect(":memory:", check_same_thread=False))
    texts = reflection_prompts(settings.prompts_dir)
    # as the app's start-up does: the fixed prompt prefix restored (or computed), then one question
    model.warm(answer_prefix(model, settings.prompts_dir, settings.lang))
    answer_question(WARM_UP_QUESTION, retriever, model, settings)

    def run(item: AnswerItem):
        if item.kind != "reflection":
            result = answer_question(item.q, retriever, model, settings)
            cites = [c.model_dump() for c in result.citations]
            return result.answer, result.language, result.grounded, cites, result.timings.model_dump(), result.method
        lang = item.lang or settings.lang
        start = perf_counter()
        view = engine.start("board", lang, themes=[item.theme] if item.theme else None)
        view = engine.send(view.info.id, {"type": "answer", "text": item.q})
        turn = next(t for t in reversed(view.turns) if t.kind == "reflection")
        method = "template" if turn.text.startswith(texts[lang].mirror.split("{")[0]) else "llm"
        timings = {"retrieval_s": 0.0, "first_token_s": None, "total_s": round(perf_counter() - start, 3)}
        return turn.text, lang, True, [c.model_dump() for c in turn.citations], timings, method

    return evaluate_answers(items, run, retriever.index.embeddings, model.name)
