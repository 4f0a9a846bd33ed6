"""The typed things that travel between the layers: a retrieved passage (``Hit``), a passage a text cites
(``Citation``), one message of a conversation (``Turn``) and the closing summary (``Synthesis``).

The reflection graph keeps its state as plain JSON (so the checkpointer can save it); what leaves the
engine — to the exports, the PDF, the command line and the app — is validated into these models, and
"where does this passage come from" is formatted in one place: ``label``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from assistant.config import Language
from assistant.i18n import t
from assistant.text import HEADING_SEPARATOR, last_heading

Speaker = Literal["user", "assistant"]


class _Placed:
    """Where a passage comes from; shared by ``Hit`` and ``Citation`` (a mixin, so that each keeps its own
    field order in JSON)."""

    if TYPE_CHECKING:
        source: str
        section: str
        heading: str
        page: int | None
        kind: str
        cite_as: str | None

    @property
    def title(self) -> str:
        """The passage's own heading (the last part of its heading path)."""
        return last_heading(self.heading)

    @property
    def trail(self) -> str:
        """The source and the whole heading path: 'rapport › 3 Resultaten › 3.3 Vormen van impact'."""
        return HEADING_SEPARATOR.join(part for part in (self.source, self.heading) if part)

    def label(
        self,
        *,
        section: str = "§{section}",
        page: str = "p. {page}",
        sep: str = " ",
        heading: bool = False,
        lang: Language = "nl",
    ) -> str:
        """'§3.3 Onmiddellijke waarde' for the report (a heading that starts with its number is not given the
        number twice: '§3.3 Vormen van impact'); 'plan.pdf p. 2' for a person's document, whose file name
        says more than its headings (``heading``: its heading too, 'plan.pdf 1. Inleiding p. 2'); 'Salignac
        et al. 2018, p. 4 — bron van het rapport' for a source of the report in the shared library, so that
        it is never mistaken for the report itself (``lang``: the language of that remark). ``section``
        and ``page`` are the formats of those parts (the app's come from i18n), ``sep`` joins the parts."""
        if self.cite_as:
            return _source_label(self.cite_as, page.format(page=self.page) if self.page else "", self.kind, lang)
        own = self.title
        if self.section:
            parts = (
                [section.format(section=own)]
                if own.startswith(self.section)
                else [
                    section.format(section=self.section),
                    own,
                ]
            )
        else:
            parts = [self.source, own if heading else ""]
        parts.append(page.format(page=self.page) if self.page else "")
        return sep.join(part for part in parts if part)


def _source_label(cite: str, page: str, kind: str, lang: Language) -> str:
    """'Wenger, Trayner & De Laat 2021, p. 12 — bron van het rapport' (``page`` already formatted, or
    empty). ``kind`` 'extra' is a related text the report does not list."""
    where = f"{cite}, {page}" if page else cite
    return t("sources.cite_extra" if kind == "extra" else "sources.cite_source", lang, where=where)


class Hit(_Placed, BaseModel):
    """One retrieved passage as the CLI and the app show it; ``text`` is the passage as stored."""

    rank: int
    chunk_id: str
    source: str
    section: str
    """the report's section number ('3.3'); empty for a person's document"""
    heading: str
    """the heading path, joined by ``HEADING_SEPARATOR``"""
    page: int | None
    score: float
    text: str
    kind: str = "report"
    """report | document (a person's own) | source (of the report, in the shared library) | extra"""
    reference: str | None = None
    cite_as: str | None = None
    """how a source of the report is cited: 'Wenger, Trayner & De Laat 2021'"""


class Citation(_Placed, BaseModel):
    """A passage a text cites as ``[n]``."""

    n: int
    chunk_id: str
    source: str
    section: str
    heading: str
    page: int | None
    text: str
    kind: str = "report"
    """report | document | source (of the report, in the shared library) | extra (a related text)"""
    cite_as: str | None = None
    """a source of the report as it is cited: 'Wenger, Trayner & De Laat 2021'"""

    @classmethod
    def from_hit(cls, n: int, hit: Hit) -> Citation:
        return cls(
            n=n,
            chunk_id=hit.chunk_id,
            source=hit.source,
            section=hit.section,
            heading=hit.heading,
            page=hit.page,
            text=hit.text,
            kind=hit.kind,
            cite_as=hit.cite_as,
        )

    def as_hit(self) -> Hit:
        """The cited passage as a hit (rank = its number), for what takes hits."""
        return Hit(rank=self.n, score=0.0, **self.model_dump(exclude={"n"}))


class Timings(BaseModel):
    """How long an answer took: the search, until its first words, in all (seconds)."""

    retrieval_s: float
    first_token_s: float | None
    total_s: float


class Answer(BaseModel):
    """A free question's answer with the passages it cites (``slim ask``, the app's questions, a served ask)."""

    answer: str
    language: Language
    grounded: bool
    citations: list[Citation]
    timings: Timings
    method: Literal["llm", "chosen", "extractive", "not_covered", "empty"]
    """llm: the model wrote it; chosen: the model chose the sentence SLIM quotes; extractive: SLIM quoted the
    best-scoring sentences itself; not_covered / empty: nothing to answer from"""
    note: str | None = None  # why the model's own answer was not used


class Turn(BaseModel):
    """One message of a conversation as it is saved: who said it, what kind it is, the text, the theme it
    belongs to, the passages it cites, and anything else a screen needs (``data``: the levels of a
    self-assessment, the signal a reflection answered, ...)."""

    role: Speaker
    kind: str
    text: str
    theme: str | None = None
    citations: list[Citation] = Field(default_factory=list)
    data: dict[str, Any] = Field(default_factory=dict)


class ThemeSummary(BaseModel):
    """One theme in the synthesis: the person's key points in their own words and their score."""

    theme: str
    title: str
    points: list[str]
    score: int | None
    score_label: str | None


class CycleReached(BaseModel):
    """A value cycle an answer clearly shows, with the words that show it: a proposal the person confirms
    or corrects (``status``). Defaults keep summaries saved before proposals existed readable."""

    cycle: str
    order: int
    theme: str
    quote: str
    label: str
    id: str = ""
    """which proposal (theme and answer): what the person's word on it refers to"""
    signal: str | None = None
    """the coaching bank's signal that showed it, if a signal did (else a close resemblance did)"""
    how: Literal["signal", "similarity"] = "signal"
    status: Literal["proposed", "confirmed", "rejected"] = "proposed"
    proposed: str = ""
    """the cycle first proposed (``cycle`` is the one the person recognised, once they said)"""


class LadderStep(BaseModel):
    """One value cycle on the summary's ladder (immediate to transformative): whether the session reached
    it (a proposal counts until the person rejects it), whether the person confirmed it, and their words."""

    label: str
    reached: bool
    confirmed: bool = False
    quote: str | None = None


class Action(BaseModel):
    """An action point from the report's recommendations (§7.2); ``citation`` is its ``[n]``, if found."""

    id: str
    text: str
    citation: int | None
    because: list[str] = []
    """titles of the themes whose signals led to it (empty: chosen for the weakest themes)"""


class Synthesis(BaseModel):
    """The closing summary of a reflection; ``[n]`` in it points at ``citations``."""

    themes: list[ThemeSummary]
    cycles: list[CycleReached]
    actions: list[Action]
    group_questions: list[str]
    citations: list[Citation]
