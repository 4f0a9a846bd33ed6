"""The session agenda, built deterministically from a scan's results: the same results, length and themes
give the same agenda.

Blocks: an opening (the session's purpose and the network's shared goal, cited), per chosen theme one
block (the scan result, a work form from the catalogue, two or three questions, the evidence passage [1]
and how a case network handled it [2]), a break in sessions of two hours or more, and a closing with
the §7.2 recommendations that fit the weakest themes as action points (each cited, owner and date to
fill in). The minutes add up exactly to the chosen length (``FIXED`` + the themes' share); editing is
done with pure functions (``move_block``, ``remove_block``, ``set_minutes``) that return a new agenda,
re-timed, by default with the length kept.

Theme choice (``propose_themes``): first the lowest mean, then the widest spread (range, then standard
deviation), then the next lowest mean; only themes whose results are shown count, the scan's order fills
up. Two themes for an hour, three for longer sessions.
"""

from __future__ import annotations

from pathlib import Path

from assistant.config import Language
from assistant.group.catalog import GroupCatalog, PassageFinder, group_catalog, resolve
from assistant.group.errors import AgendaError
from assistant.group.models import (
    ActionPoint,
    Agenda,
    AgendaBlock,
    Results,
    Scan,
    ThemeResult,
    WorkForm,
    known_themes,
)
from assistant.group.results import make_tip
from assistant.i18n import date_text, decimal_text, t
from assistant.prompts import QuestionBank, ReflectionPrompts, question_bank, reflection_prompts
from assistant.reflection.synthesis import UNSCORED, choose_recommendations
from assistant.safe_text import heading_markdown, model_markdown, untrusted_markdown
from assistant.text import one_line

LENGTHS = (60, 90, 120, 180)
FIXED = {  # opening, break, closing per session length; the rest is for the themes
    60: (5, 0, 10),
    90: (10, 0, 15),
    120: (10, 10, 20),
    180: (15, 15, 25),
}
MIN_THEMES, MAX_THEMES = 2, 3
MIN_BLOCK = 5
"""no block is re-timed below this many minutes"""
STEP = 5
"""minutes are shared out in steps of five where the total allows"""
RESULT_MINUTES = 3
"""of a theme block: showing the scan result before the work form starts"""
ACTION_POINTS = 3


def default_theme_count(minutes: int) -> int:
    return MIN_THEMES if minutes <= 60 else MAX_THEMES


def propose_themes(scan: Scan, results: Results, count: int) -> list[str]:
    """``count`` themes: lowest mean, widest spread, next lowest mean (shown results only), then the
    scan's own order."""
    shown = [t for t in results.themes if t.pattern != "too_few" and t.mean is not None]
    by_mean = sorted(shown, key=lambda t: (t.mean, -(t.spread or 0), scan.settings.themes.index(t.theme)))
    by_spread = sorted(shown, key=lambda t: (-(t.spread or 0), -(t.std or 0), scan.settings.themes.index(t.theme)))
    chosen: list[str] = []
    for ranking in (by_mean, by_spread, by_mean, by_spread):
        pick = next((t.theme for t in ranking if t.theme not in chosen), None)
        if pick and len(chosen) < count:
            chosen.append(pick)
    for theme in scan.settings.themes:
        if len(chosen) < count and theme not in chosen:
            chosen.append(theme)
    return chosen


def share(total: int, parts: int) -> list[int]:
    """``total`` minutes over ``parts`` blocks, in steps of five where possible, the larger parts first;
    always exactly ``total``."""
    if parts <= 0:
        return []
    base = total // parts // STEP * STEP
    out = [base] * parts
    left = total - base * parts
    i = 0
    while left >= STEP:
        out[i % parts] += STEP
        left -= STEP
        i += 1
    out[0] += left
    return out


def choose_workform(
    catalog: GroupCatalog, pattern: str, minutes: int, lang, used: frozenset[str] = frozenset()
) -> WorkForm:
    """A catalogue form that suits the pattern and fits in the block (after the result is shown): one not
    used yet in the agenda first, then one made for this pattern (listed first in its ``fits``), then
    the catalogue's order; the shortest form when none fits."""
    room = minutes - RESULT_MINUTES
    fitting = [w for w in catalog.workforms if pattern in w.fits and w.minutes <= room]
    fitting.sort(key=lambda w: (w.id in used, w.fits[0] != pattern))
    form = fitting[0] if fitting else min(catalog.workforms, key=lambda w: w.minutes)
    return form.in_language(lang)


def _result_text(catalog: GroupCatalog, result: ThemeResult | None, lang) -> str:
    texts = catalog.session
    if result is None or result.pattern == "too_few" or result.mean is None:
        return texts.no_result_text(lang)
    mean = decimal_text(result.mean, lang, 1)
    return texts.result_text(lang).format(
        n=result.n, mean=mean, min=result.min, max=result.max, pattern=texts.patterns[result.pattern](lang)
    )


def theme_block(
    theme: str,
    minutes: int,
    result: ThemeResult | None,
    *,
    lang,
    title: str,
    catalog: GroupCatalog,
    bank: QuestionBank,
    passages: PassageFinder | None,
    used: frozenset[str] = frozenset(),
) -> AgendaBlock:
    """One theme's block: result, work form (``used``: forms earlier blocks have), questions, evidence [1]
    and case [2]."""
    pattern = result.pattern if result else "too_few"
    tip = make_tip(catalog, theme, pattern, lang, passages)
    bank_questions = [q.text(lang) for q in bank.themes[theme].questions["coordinator"][:2]]
    citations = [c for c in (tip.citation, tip.case_citation) if c is not None]
    return AgendaBlock(
        id=f"theme:{theme}",
        kind="theme",
        title=catalog.session.theme_title(lang).format(title=title),
        minutes=minutes,
        theme=theme,
        text=_result_text(catalog, result, lang),
        result=result if result and result.pattern != "too_few" else None,
        work_form=choose_workform(catalog, pattern, minutes, lang, used),
        questions=[tip.question, *bank_questions],
        evidence=tip.text,
        case=f"{tip.case_network}: {tip.case}",
        citations=citations,
    )


def build_agenda(
    scan: Scan,
    results: Results,
    *,
    minutes: int = 90,
    themes: list[str] | None = None,
    catalog: GroupCatalog,
    bank: QuestionBank,
    prompts: ReflectionPrompts,
    passages: PassageFinder | None,
) -> Agenda:
    """The agenda for ``minutes`` (60/90/120/180) on ``themes`` (2–3 of the scan's; proposed when None)."""
    if minutes not in LENGTHS:
        raise AgendaError(detail=f"{minutes} min: {', '.join(map(str, LENGTHS))}")
    lang = scan.settings.lang
    themes = themes or propose_themes(scan, results, default_theme_count(minutes))
    if not MIN_THEMES <= len(themes) <= MAX_THEMES or len(set(themes)) != len(themes):
        raise AgendaError(detail=f"{MIN_THEMES}-{MAX_THEMES} themes")
    unknown = [t for t in themes if t not in scan.settings.themes]
    if unknown:
        raise AgendaError(detail=", ".join(unknown))
    titles = {t.id: t.title(lang) for t in bank.themes.values()}
    opening_min, break_min, closing_min = FIXED[minutes]
    per_theme = share(minutes - opening_min - break_min - closing_min, len(themes))
    by_theme = {t.theme: t for t in results.themes} if results.shown else {}
    session = catalog.session

    opening_cite = resolve(passages, session.opening.passage, 1) if session.opening.passage else None
    blocks = [
        AgendaBlock(
            id="opening",
            kind="opening",
            title=session.opening.title(lang),
            minutes=opening_min,
            text=session.opening.text(lang) + (" [1]" if opening_cite else ""),
            citations=[opening_cite] if opening_cite else [],
        )
    ]
    theme_blocks: list[AgendaBlock] = []
    for theme, share_ in zip(themes, per_theme, strict=True):
        used = frozenset(b.work_form.id for b in theme_blocks if b.work_form)
        theme_blocks.append(
            theme_block(
                theme,
                share_,
                by_theme.get(theme),
                lang=lang,
                title=titles[theme],
                catalog=catalog,
                bank=bank,
                passages=passages,
                used=used,
            )
        )
    middle = (len(theme_blocks) + 1) // 2
    blocks += theme_blocks[:middle]
    if break_min:
        blocks.append(
            AgendaBlock(
                id="break",
                kind="break",
                title=session.break_.title(lang),
                minutes=break_min,
                text=session.break_.text(lang),
            )
        )
    blocks += theme_blocks[middle:]
    blocks.append(
        closing_block(themes, by_theme, closing_min, lang=lang, catalog=catalog, prompts=prompts, passages=passages)
    )
    return retime(
        Agenda(scan_id=scan.id, network=scan.settings.network, lang=lang, minutes=minutes, themes=themes, blocks=blocks)
    )


def closing_block(
    themes: list[str],
    by_theme: dict[str, ThemeResult],
    minutes: int,
    *,
    lang,
    catalog: GroupCatalog,
    prompts: ReflectionPrompts,
    passages: PassageFinder | None,
) -> AgendaBlock:
    """The §7.2 recommendations that serve the chosen themes, weakest first, as action points."""
    scores = {t: round(r.mean) for t, r in by_theme.items() if r.mean is not None and t in themes}
    for theme in themes:
        scores.setdefault(theme, UNSCORED)
    chosen = choose_recommendations(prompts, themes, scores, count=ACTION_POINTS)[:ACTION_POINTS]
    actions, citations = [], []
    for rec in chosen:
        citation = resolve(passages, catalog.session.recommendations[rec.id], len(citations) + 1)
        if citation:
            citations.append(citation)
        actions.append(ActionPoint(id=rec.id, text=rec.text(lang), citation=citation))
    return AgendaBlock(
        id="closing",
        kind="closing",
        title=catalog.session.closing.title(lang),
        minutes=minutes,
        text=catalog.session.closing.text(lang),
        actions=actions,
        citations=citations,
    )


def agenda_for(
    scan: Scan,
    results: Results,
    prompts_dir: Path,
    passages: PassageFinder | None,
    *,
    minutes: int = 90,
    themes: list[str] | None = None,
) -> Agenda:
    """``build_agenda`` with the catalogues loaded from ``prompts_dir``, on the scan's themes that the
    question bank still has."""
    return build_agenda(
        scan.without_missing(known_themes(prompts_dir)),
        results,
        minutes=minutes,
        themes=themes,
        catalog=group_catalog(prompts_dir),
        bank=question_bank(prompts_dir),
        prompts=reflection_prompts(prompts_dir),
        passages=passages,
    )


# --- editing: pure functions, each returns a new, re-timed agenda -----------------------------------------


def retime(agenda: Agenda) -> Agenda:
    """Start times from the blocks' order and minutes."""
    start, blocks = 0, []
    for block in agenda.blocks:
        blocks.append(block.model_copy(update={"start": start}))
        start += block.minutes
    return agenda.model_copy(update={"blocks": blocks})


def _index(agenda: Agenda, block_id: str) -> int:
    for i, block in enumerate(agenda.blocks):
        if block.id == block_id:
            return i
    raise AgendaError(detail=block_id)


def _absorb(blocks: list[AgendaBlock], delta: int, skip: str) -> list[AgendaBlock]:
    """Give ``delta`` minutes (negative: take them) to the other blocks, theme blocks first, in steps of
    five while the difference allows; raise ``AgendaError`` when no block can give any more."""
    minutes = {b.id: b.minutes for b in blocks}
    flexible = [b.id for b in blocks if b.id != skip and b.kind == "theme"] or [
        b.id for b in blocks if b.id != skip and b.kind != "break"
    ]
    while delta:
        step = STEP if abs(delta) >= STEP else 1
        if delta > 0:
            target = min(flexible, key=lambda i: (minutes[i], flexible.index(i)), default=None)
            if target is None:
                raise AgendaError(detail="no block to take the minutes")
            minutes[target] += step
            delta -= step
        else:
            candidates = [i for i in flexible if minutes[i] - step >= MIN_BLOCK]
            if not candidates:
                raise AgendaError(detail=f"blocks of at least {MIN_BLOCK} min")
            target = max(candidates, key=lambda i: (minutes[i], -flexible.index(i)))
            minutes[target] -= step
            delta += step
    return [b.model_copy(update={"minutes": minutes[b.id]}) for b in blocks]


def move_block(agenda: Agenda, block_id: str, position: int) -> Agenda:
    """Move a block to ``position`` (0-based, clamped to the agenda)."""
    blocks = list(agenda.blocks)
    block = blocks.pop(_index(agenda, block_id))
    blocks.insert(max(0, min(position, len(blocks))), block)
    return retime(agenda.model_copy(update={"blocks": blocks}))


def remove_block(agenda: Agenda, block_id: str, *, keep_length: bool = True) -> Agenda:
    """Remove a block; with ``keep_length`` its minutes go to the remaining theme blocks."""
    blocks = list(agenda.blocks)
    removed = blocks.pop(_index(agenda, block_id))
    if keep_length and blocks:
        blocks = _absorb(blocks, removed.minutes, skip="")
    themes = [t for t in agenda.themes if removed.theme != t]
    return retime(agenda.model_copy(update={"blocks": blocks, "themes": themes}))


def set_minutes(agenda: Agenda, block_id: str, minutes: int, *, keep_length: bool = True) -> Agenda:
    """Give a block ``minutes``; with ``keep_length`` the difference comes from (or goes to) the theme
    blocks, so the session still ends on time. Without it the agenda's length follows the blocks."""
    if minutes < MIN_BLOCK:
        raise AgendaError(detail=f"blocks of at least {MIN_BLOCK} min")
    i = _index(agenda, block_id)
    blocks = list(agenda.blocks)
    delta = blocks[i].minutes - minutes
    blocks[i] = blocks[i].model_copy(update={"minutes": minutes})
    if keep_length:
        blocks = _absorb(blocks, delta, skip=block_id)
        return retime(agenda.model_copy(update={"blocks": blocks}))
    return retime(agenda.model_copy(update={"blocks": blocks, "minutes": sum(b.minutes for b in blocks)}))


# --- the agenda's words, and Markdown ----------------------------------------------------------------------


def clock(minutes: int) -> str:
    return f"{minutes // 60}:{minutes % 60:02d}"


def label(key: str, lang: Language, **values: object) -> str:
    """One of the agenda's labels (``group.export.*`` in prompts/i18n): the one source of the words the
    Markdown, the DOCX and the PDF put around the blocks."""
    return t(f"group.export.{key}", lang, **values)


def block_heading(block: AgendaBlock, lang: Language) -> str:
    """ "0:10 Thema: Cultuur (25 min)": a block's start, title and length, as every rendering heads it."""
    return f"{clock(block.start)} {block.title} ({block.minutes} {label('min', lang)})"


def work_form_heading(form: WorkForm, lang: Language) -> str:
    return f"{label('work_form', lang)}: {form.name} ({form.minutes} {label('min', lang)})"


def agenda_markdown(agenda: Agenda) -> str:
    """The agenda as Markdown: per block its time, texts and, under it, its sources with § and passage.
    The network name is the coordinator's text and goes through ``safe_text``."""
    lang = agenda.lang
    title = label("agenda_title", lang, network=heading_markdown(agenda.network))
    lines = [f"# {title} ({agenda.minutes} {label('min', lang)})", ""]
    for block in agenda.blocks:
        lines += [f"## {model_markdown(block_heading(block, lang))}", ""]
        if block.text:
            lines += [model_markdown(block.text), ""]
        if block.work_form:
            form = block.work_form
            lines += [f"**{work_form_heading(form, lang)}**. {form.purpose}", ""]
            lines += [f"{n}. {step}" for n, step in enumerate(form.steps, 1)] + [""]
        if block.questions:
            lines += [f"**{label('questions', lang)}**", ""] + [f"- {q}" for q in block.questions] + [""]
        if block.evidence:
            lines += [f"**{label('evidence', lang)}**: {model_markdown(block.evidence)}", ""]
        if block.case:
            lines += [f"**{label('case', lang)}**: {model_markdown(block.case)}", ""]
        if block.actions:
            lines += [f"**{label('actions', lang)}**", ""]
            for n, action in enumerate(block.actions, 1):
                cite = f" [{action.citation.n}]" if action.citation else ""
                owner = untrusted_markdown(action.owner) or "…"
                due = date_text(action.due, lang) if action.due else "…"
                lines.append(f"{n}. {action.text}{cite} — {label('owner', lang)}: {owner}, {label('due', lang)}: {due}")
            lines.append("")
        for c in block.citations:
            lines += [f"> [{c.n}] {untrusted_markdown(c.label())}", f"> {untrusted_markdown(one_line(c.text))}", ""]
    return "\n".join(lines).rstrip() + "\n"
