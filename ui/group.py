"""The group scan's pages (issue 12): create a scan, fill it in, see the results and build the agenda.

One page (``assistant.group.links.PAGE``) serves three people, told apart by the address:
``?code=<join code>`` (a participant: the fill-in form of that scan and nothing else, ``&p=<token>``
keeps their form across a reload), ``?beheer=<secret>`` (the facilitator: count, results, agenda,
agreements) and neither (the coordinator: create a scan, or join one by typing its code).
Everything is computed by ``assistant.group``; this module only renders and calls it.
"""

from __future__ import annotations

import datetime as dt
from contextlib import nullcontext
from dataclasses import dataclass
from functools import partial

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from assistant.coaching import coaching_bank
from assistant.config import Language, Settings, configured_lang
from assistant.errors import SlimError
from assistant.group import agenda as agendas
from assistant.group import export
from assistant.group.charts import group_radar_png
from assistant.group.links import FACILITATOR_PARAM, JOIN_PARAM, facilitator_url, join_url, reachable
from assistant.group.models import (
    DEFAULT_MIN_ANSWERS,
    EXAMPLE_THEMES,
    MIN_ANSWERS_FLOOR,
    PROMPTS_DIR,
    Activity,
    Agenda,
    Agreement,
    CreatedScan,
    Results,
    Scan,
    ScanSettings,
    ThemeAnswer,
    ThemeResult,
    default_themes,
    known_themes,
)
from assistant.group.results import named_line, scan_results, sort_themes, summarise
from assistant.group.signals import ExplanationSignals
from assistant.group.store import LIVE_EVERY_S, NAME_LENGTH, GroupStore, format_code
from assistant.i18n import LANGUAGES, date_text, t
from assistant.prompts import QuestionBank, question_bank
from assistant.reflection.signals import examples_cache
from assistant.retrieve import Retriever
from assistant.safe_text import heading_markdown, model_markdown, untrusted_markdown
from ui.components import download, sources
from ui.context import services
from ui.context import settings as app_settings
from ui.state import state

PARTICIPANT_PARAM = "p"
"""the participant's token in the fill-in address: a reload keeps their answers"""
BOX_CHANGED = "group_box_changed"
"""the theme whose box a participant just changed: that box reruns alone and redraws the progress line"""
SIGNALS_KEY = "group_signals_for"
"""the scan whose facilitator asked to see the coaching signals in the explanations"""


@dataclass
class GroupContext:
    settings: Settings
    store: GroupStore
    bank: QuestionBank


@st.cache_resource(show_spinner=False)
def context() -> GroupContext:
    """Shared by the process: the store opens a connection per call, nothing in it belongs to one person."""
    shared = app_settings()
    return GroupContext(shared, GroupStore.open(shared), question_bank(shared.prompts_dir))


def passages() -> Retriever:
    """The report's passages for the tips' citations, shared with the guide (built on first use: only the
    facilitator's page asks for them)."""
    return services().retriever


@st.cache_resource(show_spinner=False)
def explanation_signals() -> ExplanationSignals:
    """The coaching bank's signals in the explanations, with the report index's embedding model (already
    loaded for the tips); shared by the process, it remembers only which signal a sentence carried."""
    settings = context().settings
    embeddings = passages().index.embeddings  # type: ignore[attr-defined]
    return ExplanationSignals(coaching_bank(settings.prompts_dir), embeddings, examples_cache(settings))


def page() -> None:
    """The page script's body: which of the three views the address asks for."""
    code, secret = st.query_params.get(JOIN_PARAM), st.query_params.get(FACILITATOR_PARAM)
    ctx = context()
    if code:
        fill(ctx, code)
    elif secret:
        facilitator(ctx, secret)
    else:
        create(ctx)


def _ui_lang() -> Language:
    return st.session_state.get("lang") or configured_lang()


def _error(exc: SlimError, lang: Language) -> None:
    st.error(untrusted_markdown(exc.message(lang)))  # type: ignore[arg-type]


# --- the coordinator: join by code, or create a scan -------------------------------------------------------


def create(ctx: GroupContext) -> None:
    lang = _ui_lang()
    st.title(t("group.title", lang))
    created: CreatedScan | None = st.session_state.get("group_created")
    if created:  # the links first: the facilitator link shows only here, the join form can wait
        show_created(ctx, created, lang)
        return
    with st.form("group-join"):
        typed = st.text_input(t("group.enter_code", lang), key="group-code")
        joined = st.form_submit_button(t("group.join", lang))
    if joined and typed.strip():
        try:
            scan = ctx.store.by_code(typed)
        except SlimError as exc:
            _error(exc, lang)
        else:
            st.query_params.clear()
            st.query_params[JOIN_PARAM] = scan.code
            st.rerun()
    st.subheader(t("group.new_scan", lang))
    st.markdown(t("group.intro", lang))
    themes = [th.id for th in ctx.bank.ordered_themes()]
    handed = [theme for theme in state.take_group_scan_themes() or [] if theme in themes]  # from a summary
    with st.form("group-create"):
        network = st.text_input(t("group.network", lang), max_chars=120, key="group-network")
        chosen = st.multiselect(
            t("group.themes", lang),
            themes,
            default=handed or list(default_themes(ctx.settings.prompts_dir)),
            format_func=lambda tid: ctx.bank.themes[tid].title(lang),
            key="group-themes",
        )
        scan_lang = st.radio(
            t("group.lang", lang),
            LANGUAGES,
            index=LANGUAGES.index(lang),
            format_func=lambda code: {"nl": "Nederlands", "en": "English"}[code],
            horizontal=True,
            key="group-lang",
        )
        closes = st.date_input(
            t("group.closes_at", lang),
            value=None,
            min_value=dt.date.today(),
            format=_date_format(lang),
            key="group-closes",
        )
        anonymous = st.checkbox(
            t("group.anonymous", lang), value=True, help=t("group.anonymous_help", lang), key="group-anonymous"
        )
        minimum = st.number_input(
            t("group.min_answers", lang),
            min_value=MIN_ANSWERS_FLOOR,
            max_value=1000,
            value=DEFAULT_MIN_ANSWERS,
            step=1,
            key="group-min",
        )
        submitted = st.form_submit_button(t("group.create", lang), type="primary")
    if not submitted:
        return
    if not network.strip() or not chosen:
        st.error(t("group.create_missing", lang))
        return
    closes_at = dt.datetime.combine(closes, dt.time(23, 59), dt.UTC) if closes else None
    try:
        settings = ScanSettings.model_validate(
            {
                "network": network,
                "themes": chosen,
                "lang": scan_lang,
                "closes_at": closes_at,
                "anonymous": anonymous,
                "min_answers": int(minimum),
            },
            context={PROMPTS_DIR: ctx.settings.prompts_dir},
        )
    except SlimError as exc:
        _error(exc, lang)
        return
    st.session_state["group_created"] = ctx.store.create(settings)
    st.rerun()


def show_created(ctx: GroupContext, created: CreatedScan, lang: Language) -> None:
    """The links of a new scan. The facilitator link is shown here and nowhere else, ever."""
    scan = created.scan
    st.success(t("group.created", lang, network=heading_markdown(scan.settings.network), scan_id=scan.id))
    st.subheader(t("group.for_participants", lang))
    invite(ctx, scan, lang)
    st.subheader(t("group.for_facilitator", lang))
    st.warning(t("group.secret_once", lang))
    url = facilitator_url(reachable(ctx.settings, st.context.url), created.secret)
    st.code(url, language=None)
    st.link_button(t("group.open_results", lang), url)
    if st.button(t("group.another", lang), key="group-another"):
        del st.session_state["group_created"]
        st.rerun()


def invite(ctx: GroupContext, scan: Scan, lang: Language) -> None:
    """How participants join: the code to type, the link and its QR code (for the beamer)."""
    join = join_url(reachable(ctx.settings, st.context.url), scan.code)
    st.markdown(t("group.join_code", lang, code=f"**{format_code(scan.code)}**"))
    st.caption(t("group.join_link_label", lang))
    st.code(join, language=None)
    st.image(export.qr_png(join), caption=t("group.qr", lang), width=240)


def _date_format(lang: Language) -> str:
    """A date field takes a date as the rest of SLIM writes it (``assistant.i18n.date_text``): 31-12-2026 in
    Dutch, ISO in English."""
    return "DD-MM-YYYY" if lang == "nl" else "YYYY-MM-DD"


# --- a participant: the fill-in form -----------------------------------------------------------------------


def _save(ctx: GroupContext, scan_id: str, token: str, theme: str, key: str) -> None:
    """Saved at each step: a score, or a sentence once a score is there."""
    st.session_state[BOX_CHANGED] = theme
    score = st.session_state.get(f"score-{key}")
    if score is None:
        return
    answer = ThemeAnswer(
        theme=theme,
        score=score,
        explanation=st.session_state.get(f"why-{key}", ""),
        example=st.session_state.get(f"example-{key}", ""),
    )
    try:
        ctx.store.save_answer(scan_id, token, answer)
    except SlimError as exc:
        st.session_state["group_fill_error"] = exc


def _save_name(ctx: GroupContext, scan_id: str, token: str) -> None:
    """A scan that is not anonymous: the participant's name, saved as they leave the field."""
    try:
        ctx.store.set_name(scan_id, token, st.session_state.get(f"name-{token}", ""))
    except SlimError as exc:
        st.session_state["group_fill_error"] = exc


def _progress(progress: DeltaGenerator, done: DeltaGenerator, answered: int, total: int, lang: Language) -> None:
    """The progress line above the themes and the thanks below them, into their placeholders. Every theme's
    box draws them: Streamlit lets a box that reruns alone write outside itself only where it also wrote
    during the page's full run (the placeholders keep the last one)."""
    progress.progress(answered / total, text=t("group.fill_progress", lang, done=answered, total=total))
    if answered == total:
        done.success(t("group.done", lang))
    else:
        done.empty()


@st.fragment
def theme_box(
    ctx: GroupContext,
    scan: Scan,
    token: str,
    number: int,
    theme_id: str,
    saved: dict[str, ThemeAnswer],
    progress: DeltaGenerator,
    done: DeltaGenerator,
) -> None:
    """One theme's box. A click or a sentence in it reruns this box alone (and redraws the progress line
    and the thanks in their placeholders), not the whole page: the participant's click is what the group
    bench times against 300 ms. ``saved`` is the page's read of the answers; a rerun of the box alone gets
    the page's arguments again, so it reads them afresh."""
    lang = scan.settings.lang
    failed = st.session_state.pop("group_fill_error", None)
    if st.session_state.pop(BOX_CHANGED, None) == theme_id:  # a click here: this box reruns alone, reads again
        saved = {th: a for th, a in ctx.store.answers_of(scan.id, token).items() if th in scan.settings.themes}
    _progress(progress, done, len(saved), len(scan.settings.themes), lang)
    theme = ctx.bank.themes[theme_id]
    levels = {s.level: s for s in theme.scale}
    before = saved.get(theme_id)
    key = f"{token}-{theme_id}"
    closed = scan.is_closed()
    with st.container(border=True, key=f"theme-{theme_id}"):
        if failed:
            _error(failed, lang)
        st.subheader(f"{number}. {theme.title(lang)}")
        st.radio(
            t("group.score", lang),
            [1, 2, 3, 4, 5],
            index=before.score - 1 if before else None,
            format_func=lambda n, lv=levels: f"{n} — {lv[n].label(lang)}: {lv[n].description(lang)}",
            key=f"score-{key}",
            on_change=_save,
            args=(ctx, scan.id, token, theme_id, key),
            disabled=closed,
        )
        fields = [("why", "explanation", "group.explanation")]
        if theme_id in EXAMPLE_THEMES:
            fields.append(("example", "example", "group.example"))
        for prefix, field, label in fields:
            st.text_area(
                t(label, lang),
                value=getattr(before, field) if before else "",
                max_chars=2000,
                height=80,
                key=f"{prefix}-{key}",
                on_change=_save,
                args=(ctx, scan.id, token, theme_id, key),
                disabled=closed,
            )
        if before:
            st.caption(t("group.saved", lang))


def fill(ctx: GroupContext, code: str) -> None:
    lang = _ui_lang()
    try:
        scan = ctx.store.by_code(code)
    except SlimError as exc:  # a wrong code: this sentence and nothing else
        _error(exc, lang)
        return
    lang = scan.settings.lang
    scan = scan.without_missing(known_themes(ctx.settings.prompts_dir))  # the facilitator's page says which
    if not scan.settings.themes:
        st.warning(t("group.no_themes_left", lang))
        return
    token = st.query_params.get(PARTICIPANT_PARAM)
    if not token:
        token = ctx.store.new_participant()
        st.query_params[PARTICIPANT_PARAM] = token
    failed = st.session_state.pop("group_fill_error", None)
    if failed:
        _error(failed, lang)
    saved = {theme: a for theme, a in ctx.store.answers_of(scan.id, token).items() if theme in scan.settings.themes}
    closed = scan.is_closed()
    st.title(t("group.fill_title", lang, network=heading_markdown(scan.settings.network)))
    st.markdown(t("group.fill_intro" if scan.settings.anonymous else "group.fill_intro_named", lang))
    if closed:
        st.warning(t("group.fill_closed", lang))
    if not scan.settings.anonymous:
        st.text_input(
            t("group.your_name", lang),
            value=ctx.store.name_of(scan.id, token),
            max_chars=NAME_LENGTH,
            key=f"name-{token}",
            on_change=_save_name,
            args=(ctx, scan.id, token),
            disabled=closed,
        )
    progress, boxes, done = st.empty(), st.container(), st.empty()
    for number, theme_id in enumerate(scan.settings.themes, 1):
        with boxes:
            theme_box(ctx, scan, token, number, theme_id, saved, progress, done)
    if st.button(t("group.next_participant", lang), key="group-next", help=t("group.next_help", lang)):
        st.query_params[PARTICIPANT_PARAM] = ctx.store.new_participant()
        st.rerun()


# --- the facilitator: count, results, agenda, agreements ---------------------------------------------------


def facilitator(ctx: GroupContext, secret: str) -> None:
    lang = _ui_lang()
    gone = st.session_state.pop("group_deleted", None)
    if gone:
        st.success(t("group.deleted", lang, scan_id=gone))
        return
    try:
        scan = ctx.store.by_secret(secret)
    except SlimError as exc:
        _error(exc, lang)
        return
    lang = scan.settings.lang
    st.title(t("group.results_title", lang, network=heading_markdown(scan.settings.network)))
    st.caption(t("group.results_code", lang, code=format_code(scan.code)))
    missing = scan.missing_themes(known_themes(ctx.settings.prompts_dir))
    if missing:
        st.warning(t("group.missing_themes", lang, themes=", ".join(missing)))
    activity = ctx.store.activity(scan.id)
    shown = scan.revealed and activity.participants >= scan.settings.min_answers
    live(ctx, scan.id, activity if shown else None)
    if not scan.is_closed():  # the join link and QR code stay at hand (for the beamer) while people fill in
        with st.expander(t("group.for_participants", lang), expanded=not shown):
            invite(ctx, scan, lang)
    if not scan.revealed and st.button(t("group.reveal", lang), type="primary", key="group-reveal"):
        ctx.store.reveal(scan.id)
        st.rerun()
    if shown:
        wanted = st.session_state.get(SIGNALS_KEY) == scan.id  # matching is slow the first time: on request
        with st.spinner(t("group.signals_busy", lang), show_time=True) if wanted else nullcontext():
            signals = explanation_signals() if wanted else None
            results = scan_results(ctx.store, scan, ctx.settings.prompts_dir, passages(), signals)
        if not wanted and st.button(t("group.signals_show", lang), key="group-signals"):
            st.session_state[SIGNALS_KEY] = scan.id
            st.rerun()
        show_results(results, lang)
        agenda_section(ctx, scan, results, activity, lang)
    agreements(ctx, scan, lang)
    manage(ctx, scan, lang)


@st.fragment(run_every=LIVE_EVERY_S)
def live(ctx: GroupContext, scan_id: str, shown: Activity | None) -> None:
    """The count, read again every ``LIVE_EVERY_S``. The whole page reruns once the results may show, and
    again whenever an answer arrives or changes while they show (``shown``: the answers they were drawn from)."""
    try:
        scan = ctx.store.get(scan_id)
    except SlimError:
        return
    lang = scan.settings.lang
    activity = ctx.store.activity(scan_id)
    now_shown = scan.revealed and activity.participants >= scan.settings.min_answers
    if now_shown != (shown is not None) or (shown is not None and activity != shown):
        st.rerun()
    st.metric(t("group.count_label", lang), activity.participants)
    if not now_shown:
        key = "group.waiting" if scan.revealed else "group.not_revealed"
        st.info(t(key, lang, answered=activity.participants, min_answers=scan.settings.min_answers))


def show_results(results: Results, lang: Language) -> None:
    labels = {key: t(f"group.radar_{key}", lang) for key in ("mean", "band", "previous")}
    radar = group_radar_png(results, labels)
    if radar:
        st.image(radar, caption=t("group.radar", lang))
    order = st.radio(
        t("group.sort", lang),
        ["spread", "lowest"],
        format_func=lambda o: t(f"group.sort_{o}", lang),
        horizontal=True,
        key="group-sort",
    )
    csv, pdf = st.columns(2)
    name = f"results-{results.scan_id}"
    download(csv, t("group.download_results_csv", lang), export.results_csv(results), f"{name}.csv", "text/csv")
    download(  # built on the click (over a second): the live page reruns at every new answer
        pdf,
        t("group.download_results_pdf", lang),
        partial(export.results_pdf, results),
        f"{name}.pdf",
        "application/pdf",
        key="group-download-results-pdf",
    )
    for result in sort_themes(results.themes, order):
        with st.container(border=True, key=f"result-{result.theme}"):
            theme_result(result, results, lang)


def theme_result(result: ThemeResult, results: Results, lang: Language) -> None:
    st.subheader(result.title)
    summary = summarise(result, results)
    if summary.too_few:
        st.caption(summary.too_few)
    else:
        st.markdown(f"**{summary.pattern}**")
        st.caption(summary.row)
        frame = pd.DataFrame({t("group.people", lang): summary.counts}, index=[str(s) for s in range(1, 6)])
        st.bar_chart(frame, height=160, x_label=t("group.score_axis", lang), y_label=t("group.people", lang))
        st.caption(summary.distribution)
        if summary.previous:
            st.caption(summary.previous)
        for line in summary.signals:
            st.caption(line)
        if result.named:
            with st.expander(t("group.named_answers", lang)):
                for answer in result.named:
                    st.markdown(untrusted_markdown(named_line(answer, lang)))
        if result.quotes or result.examples:
            with st.expander(t("group.quotes", lang)):
                for quote in result.quotes:
                    st.markdown(f"“{untrusted_markdown(' '.join(quote.split()))}”")
                if result.examples:
                    st.markdown(f"**{t('group.examples', lang)}**")
                    for example in result.examples:
                        st.markdown(f"“{untrusted_markdown(' '.join(example.split()))}”")
    tip = result.tip
    if tip:
        st.markdown(f"**{t('group.tip', lang)}**")
        st.markdown(model_markdown(tip.text))
        st.markdown(f"*{model_markdown(tip.question)}*")
        st.markdown(f"**{untrusted_markdown(tip.case_network)}**: {model_markdown(tip.case)}")
        cited = [c for c in (tip.citation, tip.case_citation) if c]
        if cited:
            sources(cited, f"{tip.text} {tip.case}", lang, passages().section_text, key=f"tip-{result.theme}")


# --- agenda ------------------------------------------------------------------------------------------------


def _agenda_key(scan_id: str) -> str:
    return f"group-agenda-{scan_id}"


def _edit(scan_id: str, change, *args) -> None:
    """Apply an edit (move, remove, minutes); an edit that cannot fit is said, the agenda stays."""
    key = _agenda_key(scan_id)
    plan, agenda = st.session_state[key]
    try:
        st.session_state[key] = (plan, change(agenda, *args))
    except SlimError as exc:
        st.session_state["group_agenda_error"] = exc


def _minutes_changed(scan_id: str, block_id: str, widget: str) -> None:
    _edit(scan_id, agendas.set_minutes, block_id, int(st.session_state[widget]))


def agenda_section(ctx: GroupContext, scan: Scan, results: Results, activity: Activity, lang: Language) -> None:
    st.header(t("group.agenda", lang))
    minutes = st.selectbox(t("group.agenda_minutes", lang), agendas.LENGTHS, index=1, key="group-minutes")
    options = [r.theme for r in results.themes]
    titles = {r.theme: r.title for r in results.themes}
    proposed = agendas.propose_themes(scan, results, agendas.default_theme_count(minutes))
    themes = st.multiselect(
        t("group.agenda_themes", lang),
        options,
        default=[th for th in proposed if th in options],
        max_selections=3,
        format_func=lambda th: titles[th],
        key=f"group-agenda-themes-{minutes}",
    )
    if len(themes) < 2:
        st.info(t("group.agenda_pick", lang))
        return
    key, plan = _agenda_key(scan.id), (minutes, tuple(themes))
    if key not in st.session_state or st.session_state[key][0] != plan:
        try:
            built = agendas.agenda_for(
                scan, results, ctx.settings.prompts_dir, passages(), minutes=minutes, themes=list(themes)
            )
        except SlimError as exc:
            _error(exc, lang)
            return
        st.session_state[key] = (plan, built)
        st.session_state[f"{key}-basis"] = activity
    failed = st.session_state.pop("group_agenda_error", None)
    if failed:
        _error(failed, lang)
    basis: Activity = st.session_state[f"{key}-basis"]
    if basis != activity:  # its figures are the answers' of then; rebuilding would drop the facilitator's edits
        st.info(t("group.agenda_outdated", lang))
        if st.button(t("group.agenda_rebuild", lang), key="group-agenda-rebuild"):
            del st.session_state[key]
            st.rerun()
    agenda: Agenda = st.session_state[key][1]
    st.caption(t("group.agenda_total", lang, total=agenda.total, minutes=agenda.minutes))
    version = id(agenda)  # fresh widgets after each edit: their values follow the agenda, not old input
    for position, block in enumerate(agenda.blocks):
        with st.container(border=True, key=f"block-{block.id.replace(':', '-')}"):
            title, length, up, down, remove = st.columns([5, 2, 1, 1, 1], vertical_alignment="bottom")
            title.markdown(f"**{agendas.clock(block.start)}** {model_markdown(block.title)}")
            widget = f"len-{block.id}-{version}"
            length.number_input(
                t("group.block_minutes", lang),
                min_value=0,
                max_value=agenda.minutes,
                value=block.minutes,
                step=5,
                key=widget,
                on_change=_minutes_changed,
                args=(scan.id, block.id, widget),
            )
            last = len(agenda.blocks) - 1
            edits = (  # (column, name, icon, disabled, change and its arguments after the block id)
                (up, "up", "arrow_upward", position == 0, agendas.move_block, (position - 1,)),
                (down, "down", "arrow_downward", position == last, agendas.move_block, (position + 1,)),
                (remove, "remove", "delete", False, agendas.remove_block, ()),
            )
            for column, name, icon, disabled, change, extra in edits:
                column.button(
                    f":material/{icon}:",
                    key=f"{name}-{block.id}",
                    help=t(f"group.block_{name}", lang),
                    disabled=disabled,
                    on_click=_edit,
                    args=(scan.id, change, block.id, *extra),
                )
    markdown = agendas.agenda_markdown(agenda)
    with st.expander(t("group.agenda_preview", lang)):
        st.markdown(markdown)  # built by agenda_markdown, which passes every outside text through safe_text
    name = f"agenda-{scan.id}"
    docx, pdf, md = st.columns(3)
    download(  # the Word and PDF files are built on the click, not at every rerun of the live page
        docx,
        t("group.download_agenda_docx", lang),
        partial(export.agenda_docx, agenda),
        f"{name}.docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        key="group-download-docx",
    )
    download(
        pdf,
        t("group.download_agenda_pdf", lang),
        partial(export.agenda_pdf, agenda),
        f"{name}.pdf",
        "application/pdf",
        key="group-download-agenda-pdf",
    )
    download(md, t("group.download_agenda_md", lang), markdown, f"{name}.md", "text/markdown", key="group-download-md")


# --- after the session, and managing the scan ---------------------------------------------------------------


def agreements(ctx: GroupContext, scan: Scan, lang: Language) -> None:
    st.header(t("group.agreements", lang))
    for agreement in ctx.store.agreements(scan.id):
        text, remove = st.columns([6, 1], vertical_alignment="center")
        due = date_text(agreement.due, lang) if agreement.due else "…"
        text.markdown(
            untrusted_markdown(f"{agreement.action} — {agreement.owner or '…'}, {due}"),
        )
        if remove.button(":material/delete:", key=f"agreement-{agreement.id}", help=t("group.agreement_remove", lang)):
            ctx.store.remove_agreement(scan.id, agreement.id)  # type: ignore[arg-type]
            st.rerun()
    with st.form("group-agreement", clear_on_submit=True):
        action = st.text_input(t("group.agreement_action", lang), max_chars=500)
        owner, due = st.columns(2)
        who = owner.text_input(t("group.agreement_owner", lang), max_chars=120)
        when = due.date_input(t("group.agreement_due", lang), value=None, format=_date_format(lang))
        added = st.form_submit_button(t("group.agreement_add", lang))
    if added and action.strip():
        ctx.store.add_agreement(scan.id, Agreement(action=action.strip(), owner=who.strip(), due=when))
        st.rerun()


def _set_anonymous(ctx: GroupContext, scan_id: str) -> None:
    try:
        ctx.store.set_anonymous(scan_id, bool(st.session_state["group-anonymity"]))
    except SlimError as exc:
        st.session_state["group_manage_error"] = exc


def manage(ctx: GroupContext, scan: Scan, lang: Language) -> None:
    st.header(t("group.manage", lang))
    failed = st.session_state.pop("group_manage_error", None)
    if failed:
        _error(failed, lang)
    locked = scan.settings.anonymous and ctx.store.count(scan.id) > 0
    st.toggle(
        t("group.anonymous", lang),
        value=scan.settings.anonymous,
        help=t("error.group_anonymity_locked" if locked else "group.anonymous_help", lang),
        disabled=locked,
        key="group-anonymity",
        on_change=_set_anonymous,
        args=(ctx, scan.id),
    )
    if scan.is_closed():
        st.caption(t("group.is_closed", lang))
    elif st.button(t("group.close", lang), key="group-close"):
        ctx.store.close(scan.id)
        st.rerun()
    st.caption(t("group.delete_confirm", lang))
    sure = st.checkbox(t("group.delete_sure", lang), key="group-delete-sure")
    if st.button(t("group.delete", lang), disabled=not sure, key="group-delete"):
        ctx.store.delete(scan.id)
        st.session_state["group_deleted"] = scan.id
        st.rerun()
