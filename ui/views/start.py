"""Start: choose a role and a route (or themes), ask the report, or look at the report's frameworks."""

from __future__ import annotations

import streamlit as st

from assistant.i18n import t
from assistant.prompts import ROLES
from ui import navigation
from ui.context import owner, services
from ui.state import state

FREE_CHOICE = "__free__"  # the route option "choose the themes yourself" (no route id can be this)

app, lang = services(), state.lang
st.title(t("ui.title", lang))
st.markdown(t("ui.welcome", lang))
st.info(t("ui.privacy" if app.settings.stays_local else "ui.privacy_remote", lang))  # true to the configuration
role = st.radio(t("ui.role", lang), ROLES, format_func=lambda r: t(f"ui.role.{r}", lang), key="role")
routes = [r.id for r in app.bank.routes if r.role == role]
route = st.selectbox(
    t("ui.route", lang),
    [*routes, FREE_CHOICE],
    format_func=lambda rid: t("ui.free_choice", lang) if rid == FREE_CHOICE else app.bank.route(rid).title(lang),
    key="route",
)
free = route == FREE_CHOICE
themes = None
if free:
    themes = st.multiselect(
        t("ui.themes", lang),
        [th.id for th in app.bank.ordered_themes()],
        format_func=lambda tid: app.bank.themes[tid].title(lang),
        key="themes",
    )
else:
    st.caption(app.bank.route(route).description(lang))
left, middle, right = st.columns(3)
unavailable = t("ui.sessions_damaged", lang) if app.engine is None else None  # both need a session
if left.button(
    t("ui.start", lang),
    type="primary",
    use_container_width=True,
    disabled=bool(unavailable) or (free and not themes),
    help=unavailable,
):
    assert app.engine is not None
    with st.spinner(t("ui.working", lang)):
        view = app.engine.start(role, lang, route_id=None if free else route, themes=themes, owner=owner())
    state.session_id = view.info.id
    navigation.go(navigation.CONVERSATION)
if middle.button(t("ui.ask_mode", lang), use_container_width=True, disabled=bool(unavailable), help=unavailable):
    assert app.engine is not None
    state.session_id = app.engine.start(role, lang, mode="ask", owner=owner()).info.id
    navigation.go(navigation.CONVERSATION)
if right.button(t("ui.study", lang), use_container_width=True):
    navigation.go(navigation.STUDY)
if st.button(t("group.open_page", lang), icon=":material/groups:", key="group-page"):
    navigation.go(navigation.GROUP)
