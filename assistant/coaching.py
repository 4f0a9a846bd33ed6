"""The coaching bank (``prompts/coaching/``): what the guide says after a person's answer, written by
people. Per theme and role, the *signals* people's answers typically carry, each with example answers
(what a person might say), a reflection that names it and adds one meaning from the report, the passage
that meaning rests on, the follow-up question that fits, the level of the theme's 1–5 scale it points to
and the §7.2 recommendation it leads to. The model only chooses among these; it never writes them.

Validated on load (pydantic, ``extra="forbid"``) and against the question bank: every question has
signals, every signal has examples in both languages.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from pydantic import Field, field_validator, model_validator

from assistant.config import Language
from assistant.prompts import ROLES, PassageRef, QuestionBank, Role, Strict, Text, question_bank, read_yaml

MAX_REFLECTION_WORDS = 70
MAX_ALSO = 2  # more places than [2] and [3] read as a reading list, not as a reflection
MISTAKEN_LEVEL = 2  # a student signal at this level or below reads a mistaken understanding, 3 a partial one
CITE = "[1]"


class Examples(Strict):
    nl: list[str] = Field(min_length=3)
    en: list[str] = Field(min_length=3)


class Reply(Strict):
    """What the guide says: a reflection citing its passage as [1], and the follow-up question."""

    reflection: Text
    passage: PassageRef
    also: list[PassageRef] = Field(default_factory=list, max_length=MAX_ALSO)
    """up to two more places where the report makes the same point (the theme's definition in §3, a case
    network's own words, §7's conclusion or recommendation): readers often see one of those as the
    support, so they are cited as [2] (and [3]) with the ``also`` (``also_two``) line of
    ``prompts/model/reflection.yaml``, which only says the report treats this there. One place may be
    written as a mapping, several as a list."""
    followup: Text

    @field_validator("also", mode="before")
    @classmethod
    def _one_or_a_list(cls, value: object) -> object:
        return [value] if isinstance(value, dict) else value

    @field_validator("reflection")
    @classmethod
    def _one_citation_short(cls, text: Text) -> Text:
        for lang in ("nl", "en"):
            value = getattr(text, lang)
            if value.count(CITE) != 1 or re.search(r"\[(?!1\])\d+\]", value):
                raise ValueError(f"a reflection cites its passage exactly once, as {CITE}: {value!r}")
            if len(value.split()) > MAX_REFLECTION_WORDS:
                raise ValueError(f"a reflection has at most {MAX_REFLECTION_WORDS} words: {value!r}")
        return text

    @model_validator(mode="after")
    def _also_is_another_passage(self) -> Reply:
        places = [self.passage, *self.also]
        if any(place in places[:i] for i, place in enumerate(places)):
            raise ValueError(f"'also' names the reply's own passage or one of its places twice: {self.also}")
        return self


class Completeness(Strict):
    """For a student signal that says an answer names the whole of a list the report gives (the three
    elements of structure, the four levels of learning): the list's elements, each a case-insensitive
    pattern that finds it in any wording, and the signal an answer that names only some of them gets."""

    partial: str
    """the signal for an answer that names at least one element but not all"""
    elements: list[str] = Field(min_length=2)

    @field_validator("elements")
    @classmethod
    def _compiles(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            re.compile(pattern)  # a broken pattern fails on load, not after a student's answer
        return patterns

    def named(self, answer: str) -> int:
        """How many of the elements ``answer`` names."""
        return sum(bool(re.search(p, answer, re.IGNORECASE)) for p in self.elements)


# Where one statement of an answer ends: a sentence's end, a comma or semicolon, a bracket, a dash, or before a word
# that joins two statements ('BCMR is een stichting en De STAP een coöperatie'). A statement that names none of the
# things a question is about speaks of the one named just before when it goes on about it: a reason, a consequence or a
# pronoun first ("Bij MRE is het bewijs het sterkst, want de onderzoeker was erbij"; "It belongs to realised value").
_STATEMENT_END = re.compile(
    r"[.!?]+(?=\s|$)|[;,()\n]|\s[-–—]\s|\s(?=(?:en|maar|terwijl|want|omdat|and|but|whereas|while|because)\b)",
    re.IGNORECASE,
)
_GOES_ON = re.compile(r"^\s*(?:want|omdat|dus|because|since|so|het|dat|dit|die|ze|it|this|that|they)\b", re.I)
_NEGATION = re.compile(r"\b(?:niet|geen|nooit|zonder|behalve|not|no|never|without|except|isn't|aren't|wasn't)\b", re.I)


class Mixup(Strict):
    """One thing a student question is about (a case network, a level of learning, a kind of value), and what the
    report gives to another of them: a statement that names the one with the other has swapped them ("BCMR is een
    coöperatie", "institutionalisatie op netwerkniveau"). Each is a case-insensitive pattern."""

    subject: str
    wrong: str | None = None
    """None: a subject named only so that a statement naming it beside another is read as how the two relate"""
    right: str | None = None
    """what the report gives to the subject itself: a statement that names it too says how the two relate
    ("integratie leidt tot institutionalisatie in de organisatie"), not that they are swapped"""

    @field_validator("subject", "wrong", "right")
    @classmethod
    def _compiles(cls, pattern: str | None) -> str | None:
        if pattern is not None:
            re.compile(pattern)  # a broken pattern fails on load, not after a student's answer
        return pattern

    def swaps(self, statement: str) -> bool:
        """Whether ``statement``, about this subject, gives it what belongs to another, and not its own."""
        return bool(
            self.wrong
            and re.search(self.wrong, statement, re.IGNORECASE)
            and not (self.right and re.search(self.right, statement, re.IGNORECASE))
        )


def mixed_up(answer: str, mixups: list[Mixup]) -> bool:
    """Whether a statement of ``answer`` about exactly one of the ``mixups``' subjects gives it what the report gives
    to another of them (``Mixup.swaps``), and denies nothing ("BCMR is geen coöperatie" is right). A statement that
    names two subjects ("STAP is groter dan BCMR") says nothing about which is which."""
    subject = None  # the one thing the statement before was about
    for statement in _STATEMENT_END.split(answer):
        if not statement.strip():
            continue
        named = {m.subject for m in mixups if re.search(m.subject, statement, re.IGNORECASE)}
        if len(named) == 1:
            subject = named.pop()
        elif named or not _GOES_ON.search(statement):
            subject = None
        if subject is None or _NEGATION.search(statement):
            continue
        if any(m.subject == subject and m.swaps(statement) for m in mixups):
            return True
    return False


class Signal(Reply):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    questions: list[str] = Field(min_length=1)
    """the ids of the role's questions in this theme where an answer can carry this signal"""
    examples: Examples
    level: int = Field(ge=1, le=5)
    recommendation: str | None = None
    """id of a §7.2 recommendation (prompts/model/reflection.yaml) this signal leads to, if any"""
    complete: Completeness | None = None
    """an answer carries this signal only when it names every element of the report's list"""
    mixups: list[Mixup] = []
    """for a student signal of a mistaken understanding: the pairs the report makes otherwise; an answer that swaps
    one carries this signal, however close e5 finds it to the right understanding (``mixed_up``)"""


class Aside(Strict):
    """One kind of answer about something else (who reads along, no time now, how the app works, ...): its
    examples, and the word the guide says on it before the theme's neutral reply."""

    id: str
    examples: Examples
    aside: Text
    aside_remote: Text | None = None
    """said instead when SLIM works with a model or index on another computer (``Settings.stays_local``)"""

    def text(self, lang: Language, local: bool) -> str:
        return (self.aside if local or self.aside_remote is None else self.aside_remote)(lang)


class OffTopic(Strict):
    """``prompts/coaching/special/off-topic.yaml``: answers that belong to no theme and no signal, by kind."""

    kinds: list[Aside] = Field(min_length=1)
    fallback: str
    """the kind whose word fits any answer about something else, said when no kind is clearly the closest"""

    @model_validator(mode="after")
    def _unique(self) -> OffTopic:
        ids = [k.id for k in self.kinds]
        if len(ids) != len(set(ids)) or self.fallback not in ids:
            raise ValueError("off-topic kinds repeat, or the fallback is not one of them")
        return self

    def kind(self, kind_id: str) -> Aside:
        return next(k for k in self.kinds if k.id == kind_id)


class RoleBank(Strict):
    neutral: Reply
    """for answers that match no signal well: names nothing specific, adds the theme's core meaning"""
    signals: list[Signal] = Field(min_length=3)


class ThemeBank(Strict):
    theme: str
    roles: dict[Role, RoleBank]

    @model_validator(mode="after")
    def _all_roles(self) -> ThemeBank:
        missing = set(ROLES) - set(self.roles)
        if missing:
            raise ValueError(f"{self.theme}: no signals for {sorted(missing)}")
        return self


class CoachingBank(Strict):
    themes: dict[str, ThemeBank]
    off_topic: OffTopic | None = None
    """answers about something else entirely (the room, the app, another course): when an answer is most
    like one of these, the guide says a word on it and the theme's neutral reply, rather than a signal it
    resembles in tone"""

    def covers(self, theme: str) -> bool:
        return theme in self.themes

    def signal(self, theme: str, role: Role, signal_id: str) -> Signal:
        return next(s for s in self.themes[theme].roles[role].signals if s.id == signal_id)

    def neutral(self, theme: str, role: Role) -> Reply:
        return self.themes[theme].roles[role].neutral

    def signals(self, theme: str, role: Role, question_id: str | None = None) -> list[Signal]:
        found = self.themes[theme].roles[role].signals
        return [s for s in found if question_id is None or question_id in s.questions]

    def check_against(self, bank: QuestionBank, recommendation_ids: set[str]) -> None:
        """Every theme is one of the question bank's, every question of it has at least three signals,
        signal ids are unique per role, every recommendation exists, every signal a value cycle names
        is a coordinator's or board member's. (That every theme of the question
        bank has a coaching file is a test: the guide falls back to its template where one is missing.)"""
        for theme_id in self.themes:
            if theme_id not in bank.themes:
                raise ValueError(f"coaching bank: unknown theme {theme_id}")
            theme = bank.themes[theme_id]
            for role in ROLES:
                signals = self.themes[theme_id].roles[role].signals
                ids = [s.id for s in signals]
                if len(ids) != len(set(ids)):
                    raise ValueError(f"coaching bank: {theme_id}/{role}: signal ids repeat")
                known = {q.id for q in theme.questions[role]}
                for s in signals:
                    if set(s.questions) - known:
                        raise ValueError(f"coaching bank: {theme_id}/{role}/{s.id}: unknown questions")
                    if s.recommendation and s.recommendation not in recommendation_ids:
                        raise ValueError(f"coaching bank: {theme_id}/{role}/{s.id}: unknown recommendation")
                    if s.complete:
                        partial = next((p for p in signals if p.id == s.complete.partial), None)
                        if partial is None or not set(s.questions) <= set(partial.questions):
                            raise ValueError(f"coaching bank: {theme_id}/{role}/{s.id}: no partial signal for it")
                for q in known:
                    if len(self.signals(theme_id, role, q)) < 3:
                        raise ValueError(f"coaching bank: question {q} has fewer than three signals")
        for cycle in bank.value_cycles:
            for ref in cycle.signals:
                theme_id, _, signal_id = ref.partition("/")
                roles = self.themes[theme_id].roles if theme_id in self.themes else {}
                if not any(signal_id in {s.id for s in roles[r].signals} for r in roles if r != "student"):
                    raise ValueError(f"value cycle {cycle.id}: no coordinator or board signal {ref}")


OFF_TOPIC = Path("coaching") / "special" / "off-topic.yaml"
"""Beside the themes' files, not among them: every ``prompts/coaching/*.yaml`` is a theme."""


@cache
def coaching_bank(prompts_dir: Path) -> CoachingBank:
    themes = {}
    for path in sorted((prompts_dir / "coaching").glob("*.yaml")):
        theme = ThemeBank.model_validate(read_yaml(path))
        themes[theme.theme] = theme
    off_topic = prompts_dir / OFF_TOPIC
    aside = OffTopic.model_validate(read_yaml(off_topic)) if off_topic.is_file() else None
    bank = CoachingBank(themes=themes, off_topic=aside)
    from assistant.prompts import reflection_prompts

    recommendations = {r.id for r in reflection_prompts(prompts_dir).recommendations}
    bank.check_against(question_bank(prompts_dir), recommendations)
    return bank
