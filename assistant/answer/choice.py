"""Which of the ranked sentences SLIM quotes (``answering_quotes``; for a comparison, one per network), and
which the embedded model reads and chooses among (``choice_candidates``, ``choose``: under a JSON schema that
allows only their numbers and "none")."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Sequence

from langchain_core.messages import BaseMessage, HumanMessage
from pydantic import BaseModel

from assistant.answer.generation import as_data, prompt_prefix
from assistant.answer.sentences import REFERRED_WORDS, Quote, distinct_texts, points_back
from assistant.domain import Hit
from assistant.llm import LanguageModel
from assistant.prompts import ChoicePrompt
from assistant.text import chapter_of, one_line, sentence_spans, without_names

log = logging.getLogger(__name__)

# A second sentence is quoted when it scores within QUOTE_MARGIN of the best (a list-style answer spans
# sentences; docs/benchmarks.md, "Which sentence answers").
QUOTE_MARGIN = 0.03


# The embedded model chooses among the CHOICE_CANDIDATES best sentences (``rank_sentences``) and reads at
# most CANDIDATE_WORDS words of each. What it reads is what delays the answer: on the tuning half, 6 sentences
# of 60 words gave the first token at 5.4 / 6.7 s (p50 / p95), 4 of 30 at 3.8 / 4.6 s with the same answers
# declined and cited, 3 of 30 lost a decline (docs/benchmarks.md, "The model chooses"). 27 words instead of
# 30: on the tuning halves the same answers and one more cited, first token p95 0.1-0.3 s sooner; 25 lost a
# decline (docs/benchmarks.md, "Session 18").
CHOICE_CANDIDATES = 4
CANDIDATE_WORDS = 27
NO_ANSWER = "none"


# The best sentence of the SPREAD best-retrieved passages is always among the candidates: a sentence that
# does not name its subject ("Het netwerk heeft recent haar 25-jarig bestaan gevierd") scores under the
# sentences of other passages that do, though retrieval put its passage first. 1 on the tuning half:
# 2 and 3 pushed out sentences the model needed (docs/benchmarks.md, "Free answers, session 10").
SPREAD = 1


def answering_quotes(ranked: Sequence[Quote], limit: int = 2, margin: float | None = None) -> list[Quote]:
    """The sentences to quote: the best, and the next ones within ``margin`` of it (a list-style answer
    spans sentences), each text once (a sentence two passages share is quoted once), in reading order."""
    if not ranked:
        return []
    margin = QUOTE_MARGIN if margin is None else margin
    chosen = [q for q in distinct_texts(ranked, limit) if q.rank >= ranked[0].rank - margin]
    return sorted(chosen, key=lambda q: (q.n, q.order))


def compared_quotes(
    question: str,
    named: Sequence[str],
    ranked: Sequence[Quote],
    hits: Sequence[Hit],
    rank: Callable[[str], list[Quote]],
) -> list[Quote]:
    """For a question that compares chapters of the report (``named``, two or more, as retrieval found them:
    "Hoe verschillen de Business Club Maas Rhein en De STAP in hun organisatievorm?"), the best sentence of each
    among ``hits``, in reading order; otherwise none. Ranked by ``rank`` on the question without its names:
    within a network's chapter its name says nothing, and sentences that repeat it outscore the one that
    answers ("Het netwerk is georganiseerd als een stichting"). Returned as ``ranked`` scores them."""
    chapters = [chapter_of(hit.heading) if hit.kind == "report" else "" for hit in hits]
    named = [chapter for chapter in named if chapter in chapters]
    if len(named) < 2:
        return []
    focused = rank(without_names(question))
    best = [next(((q.n, q.text) for q in focused if chapters[q.n - 1] == chapter), None) for chapter in named]
    chosen = [q for q in distinct_texts(ranked) if (q.n, q.text) in best]
    return sorted(chosen, key=lambda q: (q.n, q.order))


def with_typed(quotes: Sequence[Quote], ranked: Sequence[Quote]) -> list[Quote]:
    """``quotes`` and, when none of them holds the asked kind of answer, the best sentence that does among
    the ones the model would choose from (``choice_candidates``): a count that ranks a little lower than two
    sentences about the same network is still the answer."""
    typed = next((q for q in choice_candidates(ranked) if q.typed), None)
    if typed is None or any(q.typed for q in quotes):
        return list(quotes)
    return sorted(distinct_texts([*quotes, typed]), key=lambda q: (q.n, q.order))


def with_choice(chosen: Quote, quotes: Sequence[Quote]) -> list[Quote]:
    """The model's sentence and the best-scoring ones (``answering_quotes``), each once, in reading order:
    on the tuning half the model's choice alone cited the answering sentence less often than the sentence
    score (12 against 15 of 20), together more often than either (16 of 20)."""
    return sorted(distinct_texts([chosen, *quotes]), key=lambda q: (q.n, q.order))


def choice_candidates(
    ranked: Sequence[Quote],
    count: int = CHOICE_CANDIDATES,
    spread: int | None = None,
    compared: Sequence[Quote] = (),
) -> list[Quote]:
    """The ``count`` best sentences, each text once (read twice, a sentence only costs time), with the best
    of each of the first ``spread`` passages (``SPREAD``) and the ``compared`` ones among them whatever their
    score, best first."""
    unique = distinct_texts(ranked)
    spread = SPREAD if spread is None else spread
    firsts = [best for n in range(1, spread + 1) if (best := next((q for q in unique if q.n == n), None))]
    leads = distinct_texts([*compared, *firsts], count)
    rest = [q for q in unique if all(q is not lead for lead in leads)]
    return sorted([*leads, *rest[: count - len(leads)]], key=lambda q: -q.rank)


def clipped(text: str, words: int = CANDIDATE_WORDS, parts: Sequence[str] = ()) -> str:
    """The first ``words`` words of a sentence, on one line: enough to tell what it says, and every word (and
    line break) read delays the answer (the whole sentence is what SLIM quotes). Of two sentences quoted as
    one (``parts``, or a sentence joined to the one it refers back to) the model reads the start of the first
    and the second."""
    spans = sentence_spans(text)
    if not parts and len(spans) == 2 and points_back(text[spans[1][0] :]):
        parts = (text[slice(*spans[0])], text[slice(*spans[1])])
    if len(parts) == 2:
        first, second = parts
        lead = min(REFERRED_WORDS, len(first.split()))
        return f"{clipped(first, lead)} {clipped(second, words - lead)}"
    tokens = text.split()
    return " ".join(tokens) if len(tokens) <= words else " ".join(tokens[:words]) + " …"


def choice_messages(
    prompt: ChoicePrompt, question: str, candidates: Sequence[Quote], instructions: Sequence[re.Pattern[str]] = ()
) -> list[BaseMessage]:
    """The fixed prefix first, then the numbered candidates as data (``as_data``) and the question."""
    lines = "\n".join(
        prompt.candidate.format(id=i, text=as_data(clipped(q.text, parts=q.parts), instructions))
        for i, q in enumerate(candidates, start=1)
    )
    return [*prompt_prefix(prompt), HumanMessage(prompt.user.format(candidates=lines, question=one_line(question)))]


class Pick(BaseModel):
    """What the model chose among the candidates."""

    index: int | None = None
    """the chosen candidate (0-based); None when it chose "none" or failed"""
    none: bool = False
    """the model said no candidate answers the question"""
    problem: str | None = None
    """why there is no usable choice: error, unreadable reply, a number out of range"""


def choose(
    llm: LanguageModel,
    messages: list[BaseMessage],
    count: int,
    on_wait: Callable[[int], None] | None = None,
) -> Pick:
    """Ask the model which of ``count`` candidates answers, under a JSON schema that allows only their
    numbers and "none". A failing model or a reply outside the list is a ``problem``, never an exception."""
    ids = [str(i) for i in range(1, count + 1)] + [NO_ANSWER]
    schema = {"type": "object", "properties": {"answer": {"enum": ids}}, "required": ["answer"]}
    try:
        raw = llm.structured(messages, schema, on_wait=on_wait)
    except Exception as exc:  # a model server that fails must not lose the question
        log.warning("language model failed: %s", exc)
        return Pick(problem=f"error: {exc}")
    try:
        picked = str(json.loads(raw)["answer"]).strip().lower()
    except (ValueError, KeyError, TypeError):
        return Pick(problem="unreadable choice")
    if picked == NO_ANSWER:
        return Pick(none=True)
    if not picked.isdigit() or not 1 <= int(picked) <= count:
        return Pick(problem="choice out of range")
    return Pick(index=int(picked) - 1)
