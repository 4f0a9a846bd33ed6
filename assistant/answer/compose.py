"""The texts SLIM shows around the sentences it quotes (an extractive answer, the model's choice in a frame of
SLIM's own), the excerpts a model that writes reads, and which sentences of a cited passage a message rests on."""

from __future__ import annotations

from collections.abc import Sequence

from assistant.answer.generation import quoted
from assistant.answer.sentences import Quote, distinct_texts
from assistant.config import Language
from assistant.domain import Hit
from assistant.prompts import AnswerPrompt
from assistant.retrieve import tokenize
from assistant.text import one_line, sentences

EXCERPT_CHARS = 260
# The longest excerpt the model reads of one passage (a long best sentence is cut there). Before: twice
# EXCERPT_CHARS. At 320 the tuning half keeps the evidence phrase in the excerpts as often (16/20) and the
# longest prompt reads about 50 tokens less (docs/benchmarks.md, "What the model reads").
EXCERPT_CAP = 320


def focused_excerpts(
    ranked: Sequence[Quote], passages: int, max_chars: int, sentences: int = 2, cap: int | None = None
) -> list[str]:
    """Per passage, its sentences that best answer the question (as many as fit ``max_chars``), in
    reading order: what the model reads, so that the answering sentence is in front of it. A longer
    excerpt is cut at ``cap`` (default twice ``max_chars``): every token read delays the first one."""
    cap = 2 * max_chars if cap is None else cap
    out = []
    for n in range(1, passages + 1):
        own = [q for q in distinct_texts(ranked) if q.n == n][:sentences]
        if not own:
            out.append("")
            continue
        chosen = [own[0]] + [q for q in own[1:] if len(q.text) + len(own[0].text) <= max_chars]
        text = " ".join(q.text for q in sorted(chosen, key=lambda q: q.order))
        out.append(text if len(text) <= cap else text[:cap].rsplit(" ", 1)[0] + " …")
    return out


def _quoted_sentences(quotes: Sequence[Quote], hits: Sequence[Hit], lang: Language) -> str:
    """Each sentence quoted verbatim with its citation; a quote from a source of the report (not the report
    itself; ``hits`` are the cited passages) says so after its number."""

    def source(n: int) -> str:
        hit = hits[n - 1] if 0 < n <= len(hits) else None
        return f" ({hit.label(lang=lang)})" if hit is not None and hit.cite_as else ""

    return " ".join(
        f"“{quoted(one_line(text))}” [{q.n}]{source(q.n)}" for q in quotes for text in (q.parts or (q.text,))
    )


def extractive_answer(
    prompt: AnswerPrompt,
    quotes: Sequence[Quote],
    answered: bool = True,
    hits: Sequence[Hit] = (),
    lang: Language = "nl",
    why: str | None = None,
) -> str:
    """The sentences that answer, quoted and cited: always true to the report, if less fluent. When
    they do not answer (``answered`` false) the text says so and offers them as what comes closest, with the
    reason when there is one (``why``: the report never names the thing asked about, describes the time before
    what is asked, …; ``flow.unanswerable``)."""
    said = _quoted_sentences(quotes, hits, lang)
    if why:
        return f"{why} {said}"
    return f"{prompt.extractive_intro if answered else prompt.closest_intro} {said}"


def chosen_answer(
    prompt: AnswerPrompt, quotes: Sequence[Quote], hits: Sequence[Hit] = (), lang: Language = "nl"
) -> str:
    """The sentences the model chose and SLIM ranks best, in a frame of SLIM's own in the person's language
    ("Het rapport zegt hierover: “…” [1]"; English words around the Dutch quote for an English question).
    The frame names what the passages are (the report, the person's own document, a source of the report,
    a related text); quotes from passages of different kinds get the general one."""
    kinds = {hits[q.n - 1].kind if 0 < q.n <= len(hits) else "report" for q in quotes}
    intro = prompt.chosen_intro[kinds.pop()] if len(kinds) == 1 else prompt.extractive_intro
    return f"{intro} {_quoted_sentences(quotes, hits, lang)}"


def cited_sentences(passage: str, message: str, share: float = 0.5) -> list[str]:
    """The sentences of a cited passage that a message rests on: quoted in it, or sharing at least
    ``share`` of their (stemmed) words with it. The app highlights these in the passage."""
    said = set(tokenize(message))
    flat = " ".join(message.split())
    found = []
    for sentence in sentences(passage):
        words = set(tokenize(sentence))
        if not words:
            continue
        if " ".join(sentence.split()) in flat or len(words & said) / len(words) >= share:
            found.append(sentence)
    return found
