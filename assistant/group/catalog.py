"""The group scan's texts (``prompts/group/``): facilitator tips per theme and pattern, a case network per
theme, the work forms, and the agenda's opening and closing. Validated on load (pydantic,
``extra="forbid"``) and against the question bank and the §7.2 recommendations, so a typo fails at
start-up and in the tests. Passages are references (a section and a phrase from it), resolved in the
index when shown (``resolve``), as the coaching bank does.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Protocol

from pydantic import Field, model_validator

from assistant.coaching import PassageRef, coaching_bank
from assistant.config import Language
from assistant.domain import Citation, Hit
from assistant.group.models import Pattern, WorkForm
from assistant.prompts import Strict, Text, question_bank, read_yaml, reflection_prompts

THEME_PATTERNS: tuple[Pattern, ...] = ("agree_high", "agree_low", "divided")
"""patterns with a tip per theme; ``too_few`` has one tip for every theme (nothing is known of the group)"""


class PassageFinder(Protocol):
    """Finds the passage a curated reference (a section and a phrase from it) points to: ``Retriever``
    (the report's index) is one. Not ``index.PassageSource``, what a retriever searches."""

    def passage_with(self, section: str, phrase: str) -> Hit | None: ...


def resolve(source: PassageFinder | None, ref: PassageRef, n: int) -> Citation | None:
    """The cited passage for a reference, numbered ``n``; None without a source or when it is not found
    (a test proves every reference resolves in the report)."""
    if source is None:
        return None
    hit = source.passage_with(ref.section, ref.phrase)
    return Citation.from_hit(n, hit) if hit else None


class TipText(Strict):
    text: Text
    question: Text
    """for the room: a tip ends in a question"""
    passage: PassageRef


class CaseText(Strict):
    network: str
    text: Text
    passage: PassageRef


class ThemeTips(Strict):
    theme: str
    case: CaseText
    tips: dict[Pattern, TipText]

    @model_validator(mode="after")
    def _every_pattern(self) -> ThemeTips:
        if set(self.tips) != set(THEME_PATTERNS):
            raise ValueError(f"{self.theme}: tips for exactly {THEME_PATTERNS}")
        return self


class WorkFormText(Strict):
    id: str = Field(pattern=r"^[a-z0-9-]+$")
    name: Text
    minutes: int = Field(ge=3, le=60)
    fits: list[Pattern] = Field(min_length=1)
    purpose: Text
    steps: dict[Language, list[str]]

    @model_validator(mode="after")
    def _both_languages(self) -> WorkFormText:
        if set(self.steps) != {"nl", "en"} or len(self.steps["nl"]) != len(self.steps["en"]) or not self.steps["nl"]:
            raise ValueError(f"{self.id}: the same steps in nl and en")
        return self

    def in_language(self, lang: Language) -> WorkForm:
        return WorkForm(
            id=self.id, name=self.name(lang), minutes=self.minutes, purpose=self.purpose(lang), steps=self.steps[lang]
        )


class Block(Strict):
    title: Text
    text: Text
    passage: PassageRef | None = None


class SessionTexts(Strict):
    too_few: TipText
    opening: Block
    closing: Block
    break_: Block = Field(alias="break")
    theme_title: Text
    result_text: Text
    no_result_text: Text
    patterns: dict[Pattern, Text]
    recommendations: dict[str, PassageRef]


class GroupCatalog(Strict):
    themes: dict[str, ThemeTips]
    workforms: list[WorkFormText] = Field(min_length=4)
    session: SessionTexts
    signal_names: dict[str, dict[str, Text]]
    """theme → coordinator signal id → a short name, for "4 van 9 toelichtingen: …" (signals.yaml)"""

    def tip(self, theme: str, pattern: Pattern) -> TipText:
        return self.session.too_few if pattern == "too_few" else self.themes[theme].tips[pattern]

    def workform(self, form_id: str) -> WorkFormText:
        return next(w for w in self.workforms if w.id == form_id)

    def all_refs(self) -> list[tuple[str, PassageRef]]:
        """Every passage reference with where it is used (for the test that all resolve)."""
        refs = [("too_few", self.session.too_few.passage)]
        refs += [("opening", self.session.opening.passage)] if self.session.opening.passage else []
        refs += [(f"recommendation {k}", v) for k, v in self.session.recommendations.items()]
        for theme in self.themes.values():
            refs.append((f"{theme.theme} case", theme.case.passage))
            refs += [(f"{theme.theme} {p}", tip.passage) for p, tip in theme.tips.items()]
        return refs


@cache
def group_catalog(prompts_dir: Path) -> GroupCatalog:
    """Load ``prompts/group/`` and check it: a tip file for every theme of the question bank, a passage
    for every §7.2 recommendation, work forms for every pattern."""
    folder = prompts_dir / "group"
    themes = {}
    for path in sorted((folder / "tips").glob("*.yaml")):
        tips = ThemeTips.model_validate(read_yaml(path))
        themes[tips.theme] = tips
    data = read_yaml(folder / "workforms.yaml")
    catalog = GroupCatalog.model_validate(
        {
            "themes": themes,
            "workforms": data["workforms"],  # type: ignore[index]
            "session": read_yaml(folder / "session.yaml"),
            "signal_names": read_yaml(folder / "signals.yaml"),
        }
    )
    bank = question_bank(prompts_dir)
    if set(catalog.themes) != set(bank.themes):
        raise ValueError(f"prompts/group/tips: themes {sorted(catalog.themes)} != question bank {sorted(bank.themes)}")
    coaching = coaching_bank(prompts_dir)
    for theme in bank.themes:
        signals = {s.id for s in coaching.signals(theme, "coordinator")} if coaching.covers(theme) else set()
        if set(catalog.signal_names.get(theme, {})) != signals:
            raise ValueError(f"prompts/group/signals.yaml: {theme} names exactly its coordinator signals")
    recommendations = {r.id for r in reflection_prompts(prompts_dir).recommendations}
    if set(catalog.session.recommendations) != recommendations:
        raise ValueError(
            "prompts/group/session.yaml: a passage for every recommendation of prompts/model/reflection.yaml"
        )
    for pattern in ("agree_high", "agree_low", "divided", "too_few"):
        if not any(pattern in w.fits for w in catalog.workforms):
            raise ValueError(f"prompts/group/workforms.yaml: no work form fits {pattern}")
    return catalog
