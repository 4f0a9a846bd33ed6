"""A scan's results: the distribution per theme, its pattern, the anonymous quotes and the facilitator tip.

**The anonymity rule.** Every output (the page, ``slim group results --json``, the exports) gets its
numbers from ``build_results`` and nowhere else. Until the facilitator revealed the results *and*
``min_answers`` participants answered, a ``Results`` carries the count and nothing else (``shown`` is
False, ``themes`` empty). Once shown, a theme answered by fewer than ``min_answers`` people is
``too_few``: its ``n``, the general tip, nothing about the answers. ``min_answers`` is never below 3
(``ScanSettings``), so no distribution can point at one person.

**Names.** Only in a scan whose coordinator switched anonymity off (before anyone answered), and only
where figures are shown at all: each answer with the name its participant gave (``ThemeResult.named``),
in place of the shuffled quotes.

**The pattern rule** (``classify``), on the scores 1–5 of one theme with n ≥ the minimum:

- ``divided``: the scores span 3 or more points (``max - min >= DIVIDED_SPREAD``) or their standard
  deviation (population) is at least ``DIVIDED_STD`` = 1.2 — the group does not share one picture;
- ``agree_high``: not divided (so the span is at most 2) and mean ≥ ``HIGH_MEAN`` = 3.5;
- ``agree_low``: not divided and mean < 3.5 — the group agrees there is room to grow (a shared 3 counts
  here: for a session, "middling, together" is a place to work, not to celebrate);
- ``too_few``: fewer answers than the minimum.

Quotes are shuffled by a hash of the scan id and the text, not by time or person: stable between
reloads (the live page does not reshuffle), unrelated to who answered when.
"""

from __future__ import annotations

import hashlib
import statistics
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.config import Language
from assistant.group.catalog import GroupCatalog, PassageFinder, group_catalog, resolve
from assistant.group.models import (
    NamedAnswer,
    Pattern,
    Results,
    Scan,
    ThemeAnswer,
    ThemeResult,
    ThemeSummary,
    Tip,
    known_themes,
)
from assistant.group.store import GroupStore
from assistant.i18n import date_text, decimal_text, t

if TYPE_CHECKING:  # the counter loads the embedding model's code: only where a caller passes one
    from assistant.group.signals import ExplanationSignals
from assistant.prompts import question_bank

DIVIDED_SPREAD = 3
DIVIDED_STD = 1.2
HIGH_MEAN = 3.5
SCORES = (1, 2, 3, 4, 5)


def classify(scores: list[int], min_answers: int) -> Pattern:
    """The pattern of one theme's scores (see the module docstring for the thresholds)."""
    if len(scores) < min_answers or not scores:
        return "too_few"
    if max(scores) - min(scores) >= DIVIDED_SPREAD or statistics.pstdev(scores) >= DIVIDED_STD:
        return "divided"
    return "agree_high" if statistics.fmean(scores) >= HIGH_MEAN else "agree_low"


def shuffled(texts: list[str], scan_id: str) -> list[str]:
    """Non-empty texts in an order that says nothing about who wrote them or when."""
    kept = [t for t in texts if t.strip()]
    return sorted(kept, key=lambda t: hashlib.sha256(f"{scan_id}\x00{t}".encode()).hexdigest())


def make_tip(
    catalog: GroupCatalog, theme: str, pattern: Pattern, lang: Language, passages: PassageFinder | None
) -> Tip:
    """The curated tip for a theme and pattern, its passage cited as [1] and the case network as [2]."""
    tip, case = catalog.tip(theme, pattern), catalog.themes[theme].case
    citation = resolve(passages, tip.passage, 1)
    case_citation = resolve(passages, case.passage, 2)
    return Tip(
        theme=theme,
        pattern=pattern,
        text=tip.text(lang) + (" [1]" if citation else ""),
        question=tip.question(lang),
        citation=citation,
        case_network=case.network,
        case=case.text(lang) + (" [2]" if case_citation else ""),
        case_citation=case_citation,
    )


def theme_result(
    scan: Scan,
    theme: str,
    title: str,
    answers: list[ThemeAnswer],
    catalog: GroupCatalog | None,
    passages: PassageFinder | None,
    named: list[NamedAnswer] | None = None,
    signals: ExplanationSignals | None = None,
) -> ThemeResult:
    """One theme, under the anonymity rule: below the minimum only ``n`` and the general tip. ``named``
    (a scan that is not anonymous) replaces the shuffled quotes by every answer with its name."""
    mine = [a for a in answers if a.theme == theme]
    scores = [a.score for a in mine]
    lang = scan.settings.lang
    pattern = classify(scores, scan.settings.min_answers)
    tip = make_tip(catalog, theme, pattern, lang, passages) if catalog else None
    if pattern == "too_few":
        return ThemeResult(theme=theme, title=title, n=len(scores), pattern=pattern, tip=tip)
    with_names = named is not None and not scan.settings.anonymous
    return ThemeResult(
        theme=theme,
        title=title,
        n=len(scores),
        pattern=pattern,
        distribution={s: scores.count(s) for s in SCORES},
        mean=round(statistics.fmean(scores), 2),
        min=min(scores),
        max=max(scores),
        std=round(statistics.pstdev(scores), 2),
        quotes=[] if with_names else shuffled([a.explanation for a in mine], scan.id),
        examples=[] if with_names else shuffled([a.example for a in mine], scan.id),
        named=sorted(
            (a for a in named or [] if a.theme == theme and with_names), key=lambda a: (not a.name, a.name.casefold())
        ),
        signals=signals.count(theme, [a.explanation for a in mine], catalog, scan.settings.lang)
        if signals and catalog
        else [],
        tip=tip,
    )


def build_results(
    scan: Scan,
    answers: list[ThemeAnswer],
    answered: int,
    *,
    titles: dict[str, str] | None = None,
    catalog: GroupCatalog | None = None,
    passages: PassageFinder | None = None,
    previous: tuple[Scan, list[ThemeAnswer], int] | None = None,
    named: list[NamedAnswer] | None = None,
    signals: ExplanationSignals | None = None,
) -> Results:
    """The results every output shows. ``answered`` is the number of participants (``GroupStore.count``);
    ``previous`` is the earlier scan of the same network with its answers and count: shown beside each
    theme only where that scan could itself be shown; ``named`` are the answers with names, used only
    when the scan is not anonymous; ``signals`` counts the coaching bank's signals in the explanations."""
    titles = titles or {}
    shown = scan.revealed and answered >= scan.settings.min_answers
    results = Results(
        scan_id=scan.id,
        network=scan.settings.network,
        lang=scan.settings.lang,
        answered=answered,
        min_answers=scan.settings.min_answers,
        revealed=scan.revealed,
        shown=shown,
    )
    if not shown:
        return results
    before = None
    if previous is not None:
        before = build_results(*previous, titles=titles)
        if not before.shown:
            before = None
    themes = []
    for theme in scan.settings.themes:
        result = theme_result(scan, theme, titles.get(theme, theme), answers, catalog, passages, named, signals)
        if before is not None:
            result.previous = next((t for t in before.themes if t.theme == theme and t.pattern != "too_few"), None)
        themes.append(result)
    return results.model_copy(
        update={
            "themes": themes,
            "previous_scan_id": before.scan_id if before else None,
            "previous_created": previous[0].created if before and previous else None,
        }
    )


def theme_titles(prompts_dir: Path, lang: Language) -> dict[str, str]:
    return {t.id: t.title(lang) for t in question_bank(prompts_dir).themes.values()}


def scan_results(
    store: GroupStore,
    scan: Scan,
    prompts_dir: Path,
    passages: PassageFinder | None,
    signals: ExplanationSignals | None = None,
) -> Results:
    """A stored scan's results, read fresh (the count updates live), with tips and the previous scan. A
    theme the question bank no longer has is skipped and named in ``missing_themes``."""
    known = known_themes(prompts_dir)
    missing = scan.missing_themes(known)
    scan = scan.without_missing(known)
    earlier = store.previous(scan)
    previous = (earlier, store.answers(earlier.id), store.count(earlier.id)) if earlier else None
    results = build_results(
        scan,
        [a for a in store.answers(scan.id) if a.theme in known],
        store.count(scan.id),
        titles=theme_titles(prompts_dir, scan.settings.lang),
        catalog=group_catalog(prompts_dir),
        passages=passages,
        previous=previous,
        named=None if scan.settings.anonymous else store.named_answers(scan.id),
        signals=signals,
    )
    return results.model_copy(update={"missing_themes": missing})


def sort_themes(themes: list[ThemeResult], order: str) -> list[ThemeResult]:
    """The page's sorting: ``"spread"`` (meeste verschil eerst) or ``"lowest"`` (laagste eerst); themes
    with too few answers last."""
    shown = [t for t in themes if t.pattern != "too_few"]
    hidden = [t for t in themes if t.pattern == "too_few"]
    if order == "spread":
        shown.sort(key=lambda t: (-(t.spread or 0), -(t.std or 0), t.mean or 0))
    elif order == "lowest":
        shown.sort(key=lambda t: (t.mean or 0, -(t.spread or 0)))
    else:
        raise ValueError(f"unknown order {order!r}: spread or lowest")
    return shown + hidden


def summarise(result: ThemeResult, results: Results) -> ThemeSummary:
    """One theme's result in the scan's words: the one place the page and the command line get their lines
    from (pattern name, the figures row, the distribution, the previous scan), so both say the same."""
    lang = results.lang
    pattern = t(f"group.pattern.{result.pattern}", lang)
    if result.pattern == "too_few" or result.mean is None:
        too_few = t("group.too_few", lang, n=result.n, min_answers=results.min_answers)
        return ThemeSummary(title=result.title, pattern=pattern, too_few=too_few)
    counts = [result.distribution.get(s, 0) for s in SCORES]
    row = t(
        "group.theme_row",
        lang,
        title=result.title,
        n=result.n,
        mean=decimal_text(result.mean, lang, 2),
        min=result.min,
        max=result.max,
        pattern=pattern,
    )
    previous = ""
    if result.previous and result.previous.mean is not None and results.previous_created:
        date = date_text(results.previous_created.date(), lang)
        previous = t("group.previous", lang, date=date, mean=decimal_text(result.previous.mean, lang, 2))
    found = [t("group.signal_count", lang, count=s.count, total=s.total, name=s.name) for s in result.signals]
    return ThemeSummary(
        title=result.title,
        pattern=pattern,
        signals=found,
        row=row,
        counts=counts,
        distribution=t("group.distribution", lang, counts=" · ".join(f"{s}: {c}" for s, c in enumerate(counts, 1))),
        previous=previous,
    )


def named_line(answer: NamedAnswer, lang: Language) -> str:
    """ "Anna (4): explanation — example": one answer with its name, as the page, the CLI and the PDF show
    it (a scan that is not anonymous)."""
    name = answer.name or t("group.no_name", lang)
    texts = " — ".join(text for text in (answer.explanation, answer.example) if text)
    return f"{name} ({answer.score})" + (f": {texts}" if texts else "")
