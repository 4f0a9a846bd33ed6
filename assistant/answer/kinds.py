"""What kind of answer a question asks for ("Hoeveel …", "Wanneer …", "Wat is het budget …": a number, a date,
an amount; patterns in prompts/retrieval/answer-types.yaml) and whether a sentence holds one; and the names and
things a question asks about that no text of the index mentions (then none of its passages answers)."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from assistant.domain import Hit
from assistant.embeddings import SlimEmbeddings
from assistant.prompts import AnswerType, AnswerTypes
from assistant.retrieve import Retriever
from assistant.text import WORD, names_in, whole_name

# A number answers a question that names what it counts ('hoeveel wijken') only when the (up to two) words
# after the number mean the same: e5 cosine of the question's counted words (as a query) and the sentence's
# (as a passage). On the tuning halves every in-scope count scored 0.860 or more, 4 of the 7 near-domain
# questions the report cannot answer 0.828-0.844 (docs/benchmarks.md, "What a number counts").
COUNTED_SIMILARITY = 0.852


# An English question word with 's ("What's the annual fee …?") reads as the two words the patterns are written for.
_CONTRACTED = re.compile(r"\b(what|who|where|when|how|which)['’]s\b", re.IGNORECASE)


def matches(text: str, patterns: Sequence[str]) -> bool:
    """Whether any of ``patterns`` is found in ``text``, case aside."""
    return any(re.search(pattern, text, re.IGNORECASE) for pattern in patterns)


def opinion_asked(question: str, types: AnswerTypes) -> bool:
    """Whether ``question`` asks SLIM's own opinion or a prediction (``types.opinion``) rather than what the sources
    say or mean (``types.about_sources``): no source holds the one, whatever its sentences come close to."""
    return matches(question, types.opinion) and not matches(question, types.about_sources)


def asked_type(question: str, types: Sequence[AnswerType]) -> AnswerType | None:
    """The kind of answer ``question`` asks for: the first of ``types`` whose wording matches; None for an
    open question ("Wat is transformatieve waarde?")."""
    question = _CONTRACTED.sub(r"\1 is", question)
    return next((kind for kind in types if matches(question, kind.asks)), None)


_NAME = re.compile(r"\b[A-Z][\w-]*(\s+[A-Z][\w-]*)+")


def holds_answer(sentence: str, kind: AnswerType, question: str) -> bool:
    """Whether ``sentence`` holds an answer of ``kind``. A match the question itself holds does not count
    ("Wat gebeurde er in 2023?" is not answered by the year 2023), nor does a name the question holds ("Wie is
    de voorzitter van Groen Brabant?" is answered by the name after "Groen Brabant", not by it), nor a run of
    capitalised words that are all the question's ("Vertegenwoordiger Bouwsteen Lerend" in a table row does not
    name the representative of the building block 'lerend vermogen')."""
    asked = question.lower()
    words = set(WORD.findall(asked))

    def unasked(name: str) -> str:
        held = name.lower() in asked or set(WORD.findall(name.lower())) <= words
        return name.lower() if held else name

    text = _NAME.sub(lambda m: unasked(m.group(0)), sentence)
    return any(
        match.group(0).strip().lower() not in asked
        for pattern in kind.answers
        for match in re.finditer(pattern, text, re.IGNORECASE)
    )


def headed(hit: Hit, kind: AnswerType) -> bool:
    """Whether every sentence of ``hit`` holds an answer of ``kind`` by the heading it stands under (a
    recommendation answers a question that asks for advice)."""
    return matches(hit.heading, kind.headings)


def with_heading(hit: Hit) -> str:
    """A passage with its heading path, as one line: what it is about (a case network's chapter names it)."""
    return " ".join(f"{hit.heading} {hit.text}".split())


def asked_subjects(question: str, hits: Sequence[Hit]) -> list[str]:
    """The names ``question`` holds that the retrieved passages know: a sentence of the asked kind answers
    only from a passage about them. A name no passage holds ("German", a company the report never names) asks
    nothing of the passages: their language or their words may differ."""
    names = names_in(question)
    places = [with_heading(hit) for hit in hits]
    return [name for name in names if any(name in place for place in places)]


def counted_thing(question: str, kind: AnswerType | None) -> str | None:
    """What a number question counts ('wijken' in "Hoeveel wijken doen mee?"); None when it names nothing
    ("Hoe vaak …?") or asks for another kind of answer."""
    return first_group(question, kind.counts if kind is not None else [], "what")


def first_group(question: str, patterns: Sequence[str], group: str) -> str | None:
    """``group`` of the first of ``patterns`` that ``question`` matches (case aside); None when none does."""
    for pattern in patterns:
        if match := re.search(pattern, question, re.IGNORECASE):
            return match.group(group)
    return None


def unquotable(types: AnswerTypes, kind: AnswerType | None) -> list[str]:
    """Patterns of the lines never quoted for a question of ``kind``: references always, a table's rows
    ('Focusgroep 1:   9 mei 2023') for an open question (``kind`` None)."""
    return [*types.not_answers, *(types.rows if kind is None else [])]


# Capitalised words of a question that name no thing: an English question's 'November' or 'Monday' asks when.
_CALENDAR = re.compile(
    r"january|february|march|april|may|june|july|august|september|october|november|december"
    r"|monday|tuesday|wednesday|thursday|friday|saturday|sunday",
    re.IGNORECASE,
)


# A two-letter abbreviation of a question ('AI', 'EU', 'WK'): too short for ``names_in``, still a name.
_ABBREVIATION = re.compile(r"(?<!^)\b[A-Z]{2}\b")


def unheard_name(question: str, retriever: Retriever) -> str | None:
    """The first name of ``question`` (not a month or a day; a two-letter abbreviation too) that no text of the
    index knows, even nearly (``Retriever.knows_name``): the report never mentions it ('Kolb', 'SROI', 'AI'), so
    none of its passages answers, however close they come. On the tuning and test halves of every set, only
    questions the report does not answer held one (docs/benchmarks.md, "Session 28" and "Session 29")."""
    for name in [*names_in(question), *_ABBREVIATION.findall(question.strip())]:
        words = [word for word in WORD.findall(name) if not _CALENDAR.fullmatch(word)]
        if words and not retriever.knows_name(" ".join(words)):
            return re.sub(r"['’]s$", "", name)
    return None


# A term counts as listed where it is one item of an enumeration: the stretch between ',' or ';' (or after 'zoals',
# 'such as', ':') that holds it and one beside it are both at most ITEM_WORDS words ('zoals van living labs, social
# labs, sociale innovatiecentra, …'), or it ends in 'etc.'; a term set off by commas around a clause ('Een fieldlab,
# zoals dat in de wijk draait, is …') is not.
ITEM_WORDS = 4
_SEGMENT = re.compile(r"[^,;]+")
_OPENER = re.compile(r".*(\b(zoals|als|waaronder|bijvoorbeeld|such as|including|like)\b|:)", re.IGNORECASE | re.DOTALL)


def listed_term(question: str, types: AnswerTypes, sentences: Collection[str]) -> str | None:
    """The term ``question`` asks to explain ('Wat is een living lab?', patterns ``terms``) or the thing it asks
    about by name ('Welke zorgverzekeraar …?', ``things``) when the sources name it, but only as one item of a
    list ('zorgverzekeraars, werkgevers en ondernemers'), or a name of the question they only give as one of
    several examples (``named_in_lists_only``): then none of their sentences says what it is, or which one;
    None otherwise."""
    for term in (first_group(question, types.terms, "term"), first_group(question, types.things, "thing")):
        if term and listed_only(term, sentences):
            return term
    return next((name for name in names_in(question) if named_in_lists_only(name, sentences)), None)


def listed_only(term: str, sentences: Collection[str]) -> bool:
    """Whether some of ``sentences`` name ``term`` (or its plural) and every one that does names it as an item of
    a list (``ITEM_WORDS``)."""
    pattern = re.compile(rf"\b{re.escape(term)}(s|en|n)?\b", re.IGNORECASE)
    found = False
    for sentence in sentences:
        named = list(pattern.finditer(sentence))
        if not named:
            continue
        found = True
        segments = [(m.start(), m.end(), len(m.group().split())) for m in _SEGMENT.finditer(sentence)]
        short = [words <= ITEM_WORDS for _, _, words in segments]
        for match in named:
            n, (start, end, _) = next((n, s) for n, s in enumerate(segments) if s[0] <= match.start() < s[1])
            opened = _OPENER.match(sentence[start : match.start()])
            tail = sentence[match.end() : end]
            ends_etc = tail.lstrip().startswith("etc")
            item = sentence[start + (opened.end() if opened else 0) : match.end() if ends_etc else end]
            beside = (n > 0 and short[n - 1]) or (n + 1 < len(segments) and short[n + 1])
            if not (len(item.split()) <= ITEM_WORDS and (beside or ends_etc)):
                return False
    return found


# Between the names of an enumeration ('zoals Brainport Eindhoven, Midpoint Brabant of Greenport Venlo bestaan uit …').
_NAMES_JOINED = re.compile(r",|;|\s+(?:of|en|or|and)\s+", re.IGNORECASE)
_LEADING_NAME = re.compile(r"[A-Z][\w'’-]*(\s+[A-Z][\w'’-]*)*")


def named_in_lists_only(name: str, sentences: Collection[str]) -> bool:
    """Whether some of ``sentences`` name ``name`` and every one names it as one of several names after 'zoals',
    'such as', ':' (the last one running on into the sentence: 'zoals A, B of Greenport Venlo bestaan uit …'):
    the sources mention it, say nothing about it."""
    pattern = re.compile(whole_name(name))
    found = False
    for sentence in sentences:
        for match in pattern.finditer(sentence):
            found = True
            opened = _OPENER.match(sentence[: match.start()])
            if opened is None:
                return False
            before = _NAMES_JOINED.split(sentence[opened.end() : match.start()])
            after = _NAMES_JOINED.split(sentence[match.end() :])
            beside = [_LEADING_NAME.match(item.strip()) for item in [*before[:-1], *after[1:3]]]
            if before[-1].strip() or sum(bool(m) for m in beside) < 2:
                return False
    return found


def asked_thing(question: str, things: Sequence[str]) -> str | None:
    """The thing ``question`` asks about by name ('software' in "Met welke software …?"); None when it names
    none after its question word."""
    return first_group(question, things, "thing")


def counting(
    sentences: set[str], thing: str, counted: str, embeddings: SlimEmbeddings, question: str = "", lexical: str = ""
) -> set[str]:
    """Those of ``sentences`` with a count of ``thing``: a number (``counted``) whose words mean what the
    question counts (``COUNTED_SIMILARITY``), in Dutch or English. A compound of the counted word counts
    part of them ('7 bestuursleden' for "Hoeveel leden …?"), unless the ``question`` names that part too
    ("Hoeveel leden heeft het bestuur?"); an English question is read with the Dutch words BM25 reads for
    it (``lexical``: 'members' as 'leden')."""
    asked = f"{question} {lexical}".lower()
    heads = set(thing.lower().split()) | (set(lexical.lower().split()) - set(question.lower().split()))
    counts = {
        sentence: [
            m.group("words")
            for m in re.finditer(counted, sentence, re.IGNORECASE)
            if not narrower(m.group("words"), heads, asked)
        ]
        for sentence in sentences
    }
    phrases = sorted({phrase for found in counts.values() for phrase in found})
    if not phrases:
        return set()
    vectors = dict(zip(phrases, embeddings.embed_passages(phrases), strict=True))
    target = embeddings.embed_query_array(thing)
    return {
        sentence
        for sentence, found in counts.items()
        if any(float(vectors[phrase] @ target) >= COUNTED_SIMILARITY for phrase in found)
    }


def narrower(words: str, heads: Collection[str], asked: str) -> bool:
    """Whether the first of ``words`` is a Dutch compound that ends in one of ``heads`` ('bestuursleden',
    'leden') whose first part ('bestuur', with its linking 's' or 'e') ``asked`` does not name."""
    first = words.split()[0].lower()
    for head in heads:
        if len(head) > 3 and first.endswith(head) and len(first) > len(head) + 2:
            part = first[: -len(head)]
            stems = {part, part.removesuffix("s"), part.removesuffix("e"), part.removesuffix("en")}
            if not any(re.search(rf"\b{re.escape(stem)}", asked) for stem in stems if len(stem) > 2):
                return True
    return False
