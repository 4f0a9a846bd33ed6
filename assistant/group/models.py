"""The group scan's typed models: what crosses from the store and the builders to the pages, the CLI and
the exports. Nothing here touches a database or the index; the store (``store.py``) makes them, the results
(``results.py``) and the agenda builder (``agenda.py``) compute from them.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from assistant.config import PROJECT_ROOT, Language
from assistant.domain import Citation
from assistant.group.errors import ThemeNotInBankError

MIN_ANSWERS_FLOOR = 3
"""below this, a distribution can point at one person: no scan may be configured lower"""
DEFAULT_MIN_ANSWERS = 5
ROUTE = "strategiesessie"
"""the coordinator route of prompts/guide/routes.yaml: its themes are a new scan's default"""
EXAMPLE_THEMES = frozenset({"waardecreatie"})
"""themes whose fill-in page also asks for a concrete example"""

Pattern = Literal["agree_high", "agree_low", "divided", "too_few"]
PATTERNS: tuple[Pattern, ...] = ("agree_high", "agree_low", "divided", "too_few")
STORED = "stored"
"""validation context flag for settings read back from the database: their themes were checked when the
scan was made, and a theme the question bank has since lost must not make the scan unreadable"""
PROMPTS_DIR = "prompts_dir"
"""validation context key: the question bank a new scan's themes are checked against (default: the
project's prompts)"""


@cache
def default_themes(prompts_dir: Path = PROJECT_ROOT / "prompts") -> tuple[str, ...]:
    """The coordinator route's themes, read from the question bank's routes."""
    from assistant.prompts import question_bank

    return tuple(question_bank(prompts_dir).route(ROUTE).themes)


@cache
def known_themes(prompts_dir: Path = PROJECT_ROOT / "prompts") -> tuple[str, ...]:
    """The question bank's theme ids, in its order: the only themes a scan can ask about."""
    from assistant.prompts import question_bank

    return tuple(t.id for t in question_bank(prompts_dir).ordered_themes())


class ScanSettings(BaseModel):
    """What the coordinator chooses when creating a scan."""

    model_config = ConfigDict(extra="forbid")

    network: str = Field(min_length=1, max_length=120)
    themes: list[str] = Field(default_factory=lambda: list(default_themes()), min_length=1)
    lang: Language = "nl"
    closes_at: dt.datetime | None = None
    """after this moment no answer is accepted (timezone-aware; naive values are taken as UTC)"""
    anonymous: bool = True
    """answers are shown without anyone's name; cannot be switched off once answers exist. Off, the fill-in
    page asks each participant's name and the facilitator sees per theme who gave which score and
    explanation (``ThemeResult.named``), still only once ``min_answers`` people answered"""
    min_answers: int = Field(DEFAULT_MIN_ANSWERS, ge=MIN_ANSWERS_FLOOR, le=1000)
    """nothing but the count is shown until this many people have answered"""

    @field_validator("network")
    @classmethod
    def _stripped(cls, value: str) -> str:
        value = " ".join(value.split())
        if not value:
            raise ValueError("network name is empty")
        return value

    @field_validator("themes")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("themes repeat")
        return value

    @field_validator("themes")
    @classmethod
    def _in_the_bank(cls, value: list[str], info: ValidationInfo) -> list[str]:
        """A new scan asks only about themes of the question bank (a typo would otherwise surface as a
        crash on the fill-in page). Raises ``ThemeNotInBankError``, not a ``ValueError``: pydantic lets it
        through unchanged, so the CLI and the app show its message in the person's language."""
        context = info.context or {}
        if context.get(STORED):
            return value
        known = known_themes(context.get(PROMPTS_DIR, PROJECT_ROOT / "prompts"))
        unknown = [theme for theme in value if theme not in known]
        if unknown:
            raise ThemeNotInBankError(theme=", ".join(unknown), known=", ".join(known))
        return value

    @field_validator("closes_at")
    @classmethod
    def _aware(cls, value: dt.datetime | None) -> dt.datetime | None:
        return value.replace(tzinfo=dt.UTC) if value is not None and value.tzinfo is None else value


class Scan(BaseModel):
    """A scan as stored. Carries neither the facilitator secret nor its hash: it can be shown anywhere."""

    id: str
    code: str
    """the join code participants type (or get in their link); it never opens results"""
    settings: ScanSettings
    created: dt.datetime
    revealed: bool = False
    """the facilitator pressed "toon resultaten" (results still need ``min_answers``)"""
    closed_at: dt.datetime | None = None

    def missing_themes(self, known: tuple[str, ...]) -> list[str]:
        """The scan's themes that the question bank (``known``) no longer has."""
        return [theme for theme in self.settings.themes if theme not in known]

    def without_missing(self, known: tuple[str, ...]) -> Scan:
        """The scan with only the themes the question bank still has: what the fill-in page, the results
        and the agenda work on (the stored scan keeps its themes; the pages tell the coordinator)."""
        if not self.missing_themes(known):
            return self
        themes = [theme for theme in self.settings.themes if theme in known]
        return self.model_copy(update={"settings": self.settings.model_copy(update={"themes": themes})})

    def is_closed(self, now: dt.datetime | None = None) -> bool:
        """Closed by the facilitator, or past its closing date."""
        now = now or dt.datetime.now(dt.UTC)
        closes = self.settings.closes_at
        return self.closed_at is not None or (closes is not None and now >= closes)


class CreatedScan(BaseModel):
    """What ``create`` returns, once: the facilitator secret exists nowhere else in readable form."""

    scan: Scan
    secret: str
    """opens the results and the agenda; SLIM keeps only a keyed hash of it"""


class ThemeAnswer(BaseModel):
    """One participant's answer on one theme."""

    model_config = ConfigDict(extra="forbid")

    theme: str
    score: int = Field(ge=1, le=5)
    explanation: str = Field("", max_length=2000)
    example: str = Field("", max_length=2000)
    """a concrete example (asked for value creation only)"""

    @field_validator("explanation", "example")
    @classmethod
    def _trimmed(cls, value: str) -> str:
        return value.strip()


class Activity(BaseModel):
    """How far a scan's answers have come: the facilitator's page polls this, and shows the results again
    whenever it changes (a participant may still be choosing after the minimum is reached)."""

    model_config = ConfigDict(frozen=True)

    participants: int = 0
    """how many participants saved at least one answer (the minimum counts these)"""
    answers: int = 0
    last_change: str = ""
    """when an answer, or the name of a participant who answered, was last saved or changed (ISO time; empty
    before the first)"""


class NamedAnswer(BaseModel):
    """An answer with the name its participant gave: only in a scan that is not anonymous."""

    theme: str
    name: str
    """empty when the participant left the name field empty"""
    score: int
    explanation: str = ""
    example: str = ""


class SignalCount(BaseModel):
    """How many of a theme's explanations carry one signal of the coaching bank."""

    signal: str
    name: str
    """the signal's short name in the scan's language (prompts/group/signals.yaml)"""
    count: int
    total: int
    """explanations on the theme (non-empty)"""


class Tip(BaseModel):
    """A facilitator tip resolved for showing: the text, a question for the room, the cited passage and
    how a case network handled the theme (with its own passage)."""

    theme: str
    pattern: Pattern
    text: str
    question: str
    citation: Citation | None
    """the report passage the tip rests on ([1] in ``text``); None only if the index lacks it"""
    case_network: str
    case: str
    case_citation: Citation | None


class ThemeResult(BaseModel):
    """One theme of a scan's results. For ``too_few`` only ``n`` is filled in: below the minimum nothing
    else about the answers leaves the results module."""

    theme: str
    title: str
    n: int
    pattern: Pattern
    distribution: dict[int, int] = Field(default_factory=dict)
    """how many chose 1..5 (every key present when shown)"""
    mean: float | None = None
    min: int | None = None
    max: int | None = None
    std: float | None = None
    quotes: list[str] = Field(default_factory=list)
    """the explanations, anonymous, in an order unrelated to who answered when"""
    examples: list[str] = Field(default_factory=list)
    """the concrete examples (value creation), likewise"""
    named: list[NamedAnswer] = Field(default_factory=list)
    """a scan that is not anonymous: every answer with its participant's name, by name (``quotes`` and
    ``examples`` stay empty then: the same texts, now with who wrote them)"""
    signals: list[SignalCount] = Field(default_factory=list)
    """the signals the explanations carry most often (at least two explanations each), most first"""
    tip: Tip | None = None
    previous: ThemeResult | None = None
    """the same theme in the previous scan of the same network, when that one could be shown"""

    @property
    def spread(self) -> int | None:
        return None if self.min is None or self.max is None else self.max - self.min


class ThemeSummary(BaseModel):
    """One theme's result in words, as the page and the command line show it (``results.summarise``)."""

    title: str
    pattern: str
    """the pattern's name ("Verdeeld")"""
    row: str = ""
    """"Cultuur: 5 antwoorden, gemiddeld 3.2 (2–5), Verdeeld"; empty with too few answers"""
    too_few: str = ""
    """the sentence for a theme with too few answers; empty otherwise"""
    counts: list[int] = Field(default_factory=list)
    """how many chose 1..5 (empty with too few answers)"""
    distribution: str = ""
    """"Verdeling (score: aantal) — 1: 0 · 2: 1 · …" """
    previous: str = ""
    """"Vorige scan (2025-03-01): gemiddeld 2.8", when the previous scan could be shown"""
    signals: list[str] = Field(default_factory=list)
    """"4 van 9 toelichtingen: het doel is nooit echt uitgesproken", one per ``ThemeResult.signals``"""


class Results(BaseModel):
    """A scan's results as every output (page, CLI --json, exports) gets them. ``shown`` is False until the
    facilitator revealed them and ``min_answers`` people answered; then ``themes`` is empty."""

    scan_id: str
    network: str
    lang: Language
    answered: int
    """participants with at least one answer: always shown, it updates live"""
    min_answers: int
    revealed: bool
    shown: bool
    themes: list[ThemeResult] = Field(default_factory=list)
    previous_scan_id: str | None = None
    previous_created: dt.datetime | None = None
    missing_themes: list[str] = Field(default_factory=list)
    """themes of the scan the question bank no longer has: skipped here, named to the coordinator"""


BlockKind = Literal["opening", "theme", "break", "closing"]


class WorkForm(BaseModel):
    """A work form from the catalogue, in the agenda's language."""

    id: str
    name: str
    minutes: int
    purpose: str
    steps: list[str]


class Agreement(BaseModel):
    """An agreement recorded after the session: what, who, by when (owner and due may stay empty)."""

    model_config = ConfigDict(extra="forbid")

    id: int | None = None
    action: str = Field(min_length=1, max_length=500)
    owner: str = Field("", max_length=120)
    due: dt.date | None = None


class ActionPoint(BaseModel):
    """A §7.2 recommendation that fits the weak themes, with owner and date to fill in."""

    id: str
    text: str
    citation: Citation | None
    owner: str = ""
    due: dt.date | None = None


class AgendaBlock(BaseModel):
    """One timed block. ``citations`` are numbered within the block ([1], [2] in its texts)."""

    id: str
    """stable within an agenda: "opening", "theme:<id>", "break", "closing" """
    kind: BlockKind
    title: str
    minutes: int = Field(ge=0)
    start: int = 0
    """minutes from the session's start (set by ``retime``)"""
    theme: str | None = None
    text: str = ""
    """what the facilitator says or shows: purpose, or the scan result"""
    result: ThemeResult | None = None
    work_form: WorkForm | None = None
    questions: list[str] = Field(default_factory=list)
    evidence: str = ""
    """a sentence on what the report says, citing [1]"""
    case: str = ""
    """how a case network handled the theme, citing [2]"""
    actions: list[ActionPoint] = Field(default_factory=list)
    citations: list[Citation] = Field(default_factory=list)


class Agenda(BaseModel):
    """A session agenda: blocks whose minutes add up to ``minutes`` (until someone edits them)."""

    scan_id: str
    network: str
    lang: Language
    minutes: int
    themes: list[str]
    blocks: list[AgendaBlock]

    @property
    def total(self) -> int:
        return sum(b.minutes for b in self.blocks)
