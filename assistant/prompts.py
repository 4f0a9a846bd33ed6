"""Prompts, examples and messages live in ``prompts/`` as YAML; here they are loaded and validated.

Every file is checked against a pydantic model with ``extra="forbid"`` when it is loaded, so a typo in a
key or a missing language fails at start-up (and in the tests), not in the middle of a conversation.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from assistant.config import Language


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Example(Strict):
    user: str
    assistant: str


class ChosenIntro(Strict):
    """The frame around a sentence the model chose, by what its passage is (``Hit.kind``)."""

    report: str
    document: str
    source: str
    extra: str

    def __getitem__(self, kind: str) -> str:
        return getattr(self, kind, self.report)


class AnswerPrompt(Strict):
    system: str
    passage: str
    user: str
    not_covered: str
    outside_scope: str
    """instead of ``not_covered`` for a question about everyday life (the weather): what SLIM is for"""
    extractive_intro: str
    closest_intro: str
    unheard_intro: str
    """``closest_intro`` for a question about a {thing} no text of the index names"""
    later_intro: str
    """``closest_intro`` for a question about what happened after the study"""
    listed_intro: str
    """``closest_intro`` for a question about a {thing} the sources only name in a list"""
    appendix_intro: str
    """``closest_intro`` for a question about what an appendix of the report holds (its text has none)"""
    opinion_intro: str
    """``closest_intro`` for a question that asks SLIM's own opinion or a prediction"""
    chosen_intro: ChosenIntro
    link_removed: str
    examples: list[Example]


class AnswerPrompts(Strict):
    nl: AnswerPrompt
    en: AnswerPrompt

    def __getitem__(self, lang: Language) -> AnswerPrompt:
        return getattr(self, lang)


def read_yaml(path: Path) -> object:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@cache
def answer_prompts(prompts_dir: Path) -> AnswerPrompts:
    return AnswerPrompts.model_validate(read_yaml(prompts_dir / "model" / "answer.yaml"))


class ChoicePrompt(Strict):
    """What the embedded model reads to choose the sentence that answers a free question (one prompt for
    both languages: prompts/model/choose.yaml)."""

    system: str
    candidate: str
    user: str
    examples: list[Example]


@cache
def choice_prompt(prompts_dir: Path) -> ChoicePrompt:
    return ChoicePrompt.model_validate(read_yaml(prompts_dir / "model" / "choose.yaml"))


# --- the question bank -------------------------------------------------------------------------------

Role = Literal["coordinator", "board", "student"]
ROLES: tuple[Role, ...] = ("coordinator", "board", "student")


class Text(Strict):
    """A piece of user-facing text in both languages."""

    nl: str
    en: str

    def __call__(self, lang: Language) -> str:
        return getattr(self, lang)


class PassageRef(Strict):
    """A passage of the report: the one in ``section`` (or a subsection of it) that contains ``phrase``
    word for word (case and whitespace aside)."""

    section: str
    phrase: str = Field(min_length=12)


class Question(Strict):
    id: str
    text: Text
    probes: list[Text] = Field(min_length=1)
    passage: PassageRef | None = None
    """the place in the report the question rests on, so the guide can cite what it asks about"""


class ScaleLevel(Strict):
    level: int = Field(ge=1, le=5)
    label: Text
    description: Text


class CaseRef(Strict):
    network: str
    sections: list[str]
    query: str
    """in the report's language: its passage is the same in a Dutch and an English session"""


class Theme(Strict):
    id: str
    order: int
    title: Text
    sections: list[str] = Field(min_length=1)
    intro: Text
    intro_student: Text
    """for a student: what the theme is and where the report treats it, without the answer to the student's first
    question (the intro itself lists the elements, values or levels that question asks for)"""
    evidence_queries: list[str] = Field(min_length=1)
    """in the report's language (Dutch): an English query found other, less fitting passages of the Dutch report
    for 7 of the 24 case networks' quotes"""
    cases: list[CaseRef] = Field(min_length=1)
    questions: dict[Role, list[Question]]
    scale: list[ScaleLevel]

    def intro_for(self, role: Role, lang: Language) -> str:
        return (self.intro_student if role == "student" else self.intro)(lang)

    @model_validator(mode="after")
    def _complete(self) -> Theme:
        if set(self.questions) != set(ROLES):
            raise ValueError(f"{self.id}: questions for every role {ROLES}")
        for role, questions in self.questions.items():
            if not 3 <= len(questions) <= 6:
                raise ValueError(f"{self.id}: 3-6 questions for {role}")
        if [s.level for s in self.scale] != [1, 2, 3, 4, 5]:
            raise ValueError(f"{self.id}: scale levels 1..5")
        return self


class Route(Strict):
    id: str
    role: Role
    title: Text
    description: Text
    themes: list[str] = Field(min_length=1)


class ValueCycle(Strict):
    id: str
    order: int
    label: Text
    section: str
    signals: list[str] = Field(min_length=1)
    """``theme/signal_id`` of the coaching bank's signals whose answers clearly show this cycle (checked
    against the bank when it loads)"""


class QuestionBank(Strict):
    themes: dict[str, Theme]
    routes: list[Route]
    value_cycles: list[ValueCycle]

    @model_validator(mode="after")
    def _routes_exist(self) -> QuestionBank:
        for route in self.routes:
            unknown = set(route.themes) - set(self.themes)
            if unknown:
                raise ValueError(f"route {route.id}: unknown themes {sorted(unknown)}")
        return self

    def route(self, route_id: str) -> Route:
        return next(r for r in self.routes if r.id == route_id)

    def ordered_themes(self) -> list[Theme]:
        return sorted(self.themes.values(), key=lambda t: t.order)


@cache
def question_bank(prompts_dir: Path) -> QuestionBank:
    themes = {}
    for path in sorted((prompts_dir / "questions").glob("*.yaml")):
        theme = Theme.model_validate(read_yaml(path))
        themes[theme.id] = theme
    routes = read_yaml(prompts_dir / "guide" / "routes.yaml")
    cycles = read_yaml(prompts_dir / "guide" / "value_cycles.yaml")
    return QuestionBank.model_validate({"themes": themes, **routes, **cycles})  # type: ignore[dict-item]


# --- the guide's own texts -----------------------------------------------------------------------------


class GuideTexts(Strict):
    welcome: str
    welcome_student: str
    """a student studies networks rather than reflecting on one of their own"""
    themes: str
    """the themes of a session, in the welcome"""
    one_theme: str
    """a session of one theme, in the welcome"""
    ask_mode_welcome: str
    theme_header: str
    cases_intro: str
    question_prefix: str
    mirror: str
    connect: str
    also: str
    """added after a bank reflection that also cites its second place for the same point, ``[{n}]``"""
    also_two: str
    """the same when it cites two more places, ``[{n}]`` and ``[{m}]``"""
    further: str
    """added after a bank reflection that also cites the passage most like the answer, ``[{n}]``"""
    followup_prefix: str
    noted: str
    """after a follow-up answer that carries the point the guide already reflected on"""
    ask_again: str
    """the theme's question once more, after an answer about something else (``{question}``)"""
    assess: str
    assess_student: str
    """the self-assessment as an exercise: a student places a case network (or one they know) on the scale"""
    assess_level: str
    assessed: str
    skipped: str
    score_early: str
    """a bare number sent where the question asks for words: the number comes at the self-assessment"""
    score_check: str
    """said once when the self-assessment differs clearly from the level the answers pointed to"""
    synthesis_title: str
    synthesis_points: str
    synthesis_scores: str
    synthesis_cycles: str
    synthesis_actions: str
    synthesis_group: str
    cycles_hint: str
    cycle_proposed: str
    cycle_confirmed: str
    action_because: str
    no_answer: str
    no_cycles: str
    done: str
    reflect_system: str
    reflect_user: str


class Recommendation(Strict):
    id: str
    themes: list[str]
    phrase: str = Field(min_length=12)
    """words of the §7.2 passage this action point cites (``Retriever.passage_with``)"""
    text: Text


class ReflectionPrompts(Strict):
    nl: GuideTexts
    en: GuideTexts
    recommendations: list[Recommendation] = Field(min_length=3)

    def __getitem__(self, lang: Language) -> GuideTexts:
        return getattr(self, lang)


@cache
def reflection_prompts(prompts_dir: Path) -> ReflectionPrompts:
    return ReflectionPrompts.model_validate(read_yaml(prompts_dir / "model" / "reflection.yaml"))


@cache
def glossary(prompts_dir: Path) -> dict[str, str]:
    """English -> Dutch terms of the report's vocabulary (prompts/retrieval/glossary.yaml)."""
    data = read_yaml(prompts_dir / "retrieval" / "glossary.yaml")
    return {str(k).lower(): str(v) for k, v in (data or {}).get("glossary", {}).items()}  # type: ignore[union-attr]


class AnswerType(Strict):
    """A kind of answer a question can ask for (an amount, a date, a number, a stretch of time, a share, a place,
    a person in a role, a name, the names of a group, an example, a list)."""

    id: str
    asks: list[str] = Field(min_length=1)
    """patterns of a question's wording that ask for this kind of answer"""
    answers: list[str] = Field(min_length=1)
    """patterns of a sentence that holds an answer of this kind"""
    counts: list[str] = []
    """patterns of a question that name what it counts, in a group ``what`` ('hoeveel wijken')"""
    counted: str | None = None
    """the pattern of a count in a sentence, the words it counts in a group ``words`` ('21 gemeenten')"""
    headings: list[str] = []
    """patterns of a passage's heading under which every sentence holds an answer of this kind (recommendations)"""

    @model_validator(mode="after")
    def _compiles(self) -> AnswerType:
        groups = {pattern: None for pattern in [*self.asks, *self.answers, *self.headings]}
        groups |= {pattern: "what" for pattern in self.counts} | ({self.counted: "words"} if self.counted else {})
        for pattern, group in groups.items():
            compiled = re.compile(pattern)  # a broken pattern fails on load, not in the middle of an answer
            if group is not None and group not in compiled.groupindex:
                raise ValueError(f"pattern needs a group named '{group}': {pattern}")
        return self


class AnswerTypes(Strict):
    types: list[AnswerType]
    not_answers: list[str] = []
    """lines that answer no question (a reference, a web address): never quoted as an answer"""
    rows: list[str] = []
    """lines of a table ('Focusgroep 1:   9 mei 2023'): quoted only for a question that asks for a kind"""
    things: list[str] = []
    """patterns of a question that name the thing it asks about, in a group ``thing`` ('welke software')"""
    later: list[str] = []
    """patterns of a question about what happened after the study ('inmiddels', 'since then'): the report
    cannot answer it"""
    appendix: list[str] = []
    """patterns of a question about what an appendix holds ('in bijlage 1'): the report's text has none"""
    opinion: list[str] = []
    """patterns of a question that asks SLIM's own opinion or a prediction ('Wat vind jij …?'): no source holds one"""
    about_sources: list[str] = []
    """patterns of a question that names the sources ('het rapport'): what they mean is no opinion asked"""
    everyday: list[str] = []
    """patterns of a question about everyday life ('Wat wordt het weer morgen?'): no source of SLIM is about it"""
    terms: list[str] = []
    """patterns of a question that asks what a term means, in a group ``term`` ('Wat is een living lab?')"""
    ordinals: list[str] = []
    """one pattern per position ('eerste|first', 'tweede|second', …): which of several (focus groups,
    observations) a question asks about"""

    @model_validator(mode="after")
    def _compiles(self) -> AnswerTypes:
        plain = [*self.rows, *self.not_answers, *self.later, *self.appendix, *self.ordinals]
        for pattern in [*plain, *self.opinion, *self.about_sources, *self.everyday]:
            re.compile(pattern)
        for patterns, group in ((self.things, "thing"), (self.terms, "term")):
            for pattern in patterns:
                if group not in re.compile(pattern).groupindex:
                    raise ValueError(f"pattern needs a group named '{group}': {pattern}")
        return self


@cache
def answer_types(prompts_dir: Path) -> AnswerTypes:
    """What kind of answer a question asks for, and what a sentence holds (prompts/retrieval/answer-types.yaml)."""
    return AnswerTypes.model_validate(read_yaml(prompts_dir / "retrieval" / "answer-types.yaml"))


class FrameworkItem(Strict):
    label: Text
    text: Text
    query: str


class Framework(Strict):
    id: str
    section: str
    title: Text
    items: list[FrameworkItem] = Field(min_length=3)


@cache
def instruction_patterns(prompts_dir: Path) -> tuple[re.Pattern[str], ...]:
    """Sentences that speak to an AI system (prompts/guard/instruction-patterns.yaml); see ``answer.as_data``."""
    data = read_yaml(prompts_dir / "guard" / "instruction-patterns.yaml") or {}
    return tuple(re.compile(p, re.IGNORECASE) for p in data.get("patterns", []))  # type: ignore[union-attr]


@cache
def frameworks(prompts_dir: Path) -> list[Framework]:
    """The report's frameworks for the study view (prompts/guide/frameworks.yaml)."""
    data = read_yaml(prompts_dir / "guide" / "frameworks.yaml")
    return [Framework.model_validate(f) for f in (data or {}).get("frameworks", [])]  # type: ignore[union-attr]
