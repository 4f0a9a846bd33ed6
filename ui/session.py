"""What the conversation and the summary page share: the session they show, its title with the switch
between them, and the controls under both (answer, actions, self-assessment, free question)."""

from __future__ import annotations

import streamlit as st

from assistant.i18n import t
from assistant.reflection.engine import ReflectionEngine, SessionView
from assistant.safe_text import heading_markdown, model_markdown, untrusted_markdown
from ui import navigation
from ui.components import sources
from ui.context import mine, owner, services
from ui.state import Pane, state
from ui.streaming import send

PANES: dict[Pane, str] = {"summary": navigation.SUMMARY, "conversation": navigation.CONVERSATION}


def current(pane: Pane) -> tuple[ReflectionEngine, SessionView]:
    """The session this person chose (after a reload: the one in the page address), shown on the page for
    ``pane``. Without one of their own (a bookmark of another person's session, a deleted session, a damaged
    sessions database) the start page opens instead; a finished session opens on the pane the person last
    chose, its summary first."""
    engine = services().engine
    session_id = state.session_id or st.query_params.get(navigation.SESSION_PARAM)  # a reload: the address
    if not (engine and session_id and engine.owned(session_id, owner())):
        navigation.go(navigation.START)
    state.session_id = session_id
    if st.query_params.get(navigation.SESSION_PARAM) != session_id:
        st.query_params[navigation.SESSION_PARAM] = session_id
    view = engine.view(session_id)
    wanted: Pane = state.pane(session_id) if view.synthesis else "conversation"
    if wanted != pane:
        navigation.go(PANES[wanted])
    return engine, view


def header(view: SessionView, pane: Pane) -> None:
    """The session's title, and for a finished session the switch between its summary and its conversation
    (two pages; the choice is kept for the session, so a rerun stays where the person is)."""
    lang = state.lang
    st.title(heading_markdown(view.info.title))
    if view.synthesis:
        panes = list(PANES)
        chosen = st.radio(
            t("ui.summary", lang),
            panes,
            index=panes.index(pane),
            format_func=lambda p: t(f"ui.{p}", lang),
            horizontal=True,
            label_visibility="collapsed",
            key=f"pane-{view.info.id}-{pane}",
        )
        if chosen != pane:
            state.choose_pane(view.info.id, chosen)
            navigation.go(PANES[chosen])


def turns(view: SessionView) -> None:
    """Every message so far, each with its sources."""
    lang = state.lang
    for i, item in enumerate(view.turns):
        if not item.text:
            continue
        with st.chat_message(item.role):
            if item.kind == "assess":  # the levels are in the choice below (or, done, in the score)
                st.markdown(model_markdown(item.text.splitlines()[0]))
            elif item.role == "assistant":  # SLIM's words and the model's, quoting documents and people
                st.markdown(model_markdown(item.text))
            else:
                st.markdown(untrusted_markdown(item.text))
            if item.citations:
                sources(item.citations, item.text, lang, mine()[1].section_text, key=f"sec-{view.info.id}-{i}")


def controls(view: SessionView) -> None:
    """What the person can do next, by what the session waits for."""
    lang = state.lang
    sid = view.info.id
    waiting = view.waiting_for
    if waiting == "score":
        levels = next(turn.data["levels"] for turn in reversed(view.turns) if turn.kind == "assess")
        with st.form(f"score-{len(view.turns)}"):
            level = st.radio(
                t("ui.score", lang),
                [lv["level"] for lv in levels],
                format_func=lambda n: next(
                    f"{lv['level']} — {lv['label']}: {lv['description']}" for lv in levels if lv["level"] == n
                ),
                index=None,
                key=f"level-{len(view.turns)}",
            )
            confirmed = st.form_submit_button(t("ui.confirm", lang), type="primary")
        if confirmed and level:
            send(sid, {"type": "score", "value": level})
            st.rerun()
        left, right = st.columns(2)
        if left.button(t("ui.skip", lang), key="skip-score", use_container_width=True):
            send(sid, {"type": "skip"})
            st.rerun()
        if view.other_angle and right.button(t("ui.other", lang), key="other-score", use_container_width=True):
            send(sid, {"type": "other"})  # the reflection just before the scale can be corrected too
            st.rerun()
    elif waiting in ("answer", "followup"):
        answer = st.chat_input(t("ui.your_answer", lang), key="answer")  # pinned to the bottom wherever called
        if answer and answer.strip():  # before the buttons: the reply streams right under the conversation
            send(sid, {"type": "answer", "text": answer.strip()})
            st.rerun()
        actions = [("next", "ui.next"), ("skip", "ui.skip")] + (
            [("deepen", "ui.deepen")] if waiting == "followup" and view.can_deepen else []
        )
        if waiting == "followup" and view.other_angle:  # the person stays in charge of what was heard
            actions.append(("other", "ui.other"))
        cols = st.columns(len(actions))
        for col, (kind, label) in zip(cols, actions, strict=False):
            if col.button(t(label, lang), key=f"{kind}-{len(view.turns)}", use_container_width=True):
                send(sid, {"type": kind})
                st.rerun()
        with (
            st.popover(t("ui.free_question", lang), use_container_width=True),
            st.form(f"free-{len(view.turns)}", clear_on_submit=True),
        ):
            question = st.text_input(t("ui.your_question", lang), key=f"freeq-{len(view.turns)}")
            asked = st.form_submit_button(t("ui.ask_button", lang))
        if asked and question.strip():
            send(sid, {"type": "ask", "text": question.strip()})
            st.rerun()
    elif waiting == "free":
        question = st.chat_input(t("ui.your_question", lang), key="ask")
        if question and question.strip():
            send(sid, {"type": "ask", "text": question.strip()})
            st.rerun()
