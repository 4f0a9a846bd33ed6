"""The sidebar every page shares: language, a new session, the person's sessions, the model in use, and
their own documents."""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from assistant.errors import SlimError
from assistant.i18n import LANGUAGES, t
from assistant.safe_text import untrusted_markdown
from assistant.services import Services
from assistant.workspace import queue_message
from ui import navigation
from ui.components import session_labels
from ui.context import mine, owner
from ui.state import LANG, SESSION_PICK, state

DOC_ICON = ":material/description:"


def sidebar(app: Services, in_session: bool) -> None:
    """``in_session``: the page shows a session (its conversation or summary), so its progress shows here."""
    lang = state.lang
    with st.sidebar:
        st.radio(
            t("ui.language", lang),
            LANGUAGES,
            format_func=lambda code: {"nl": "Nederlands", "en": "English"}[code],
            key=LANG,
            horizontal=True,
        )
        if st.query_params.get(navigation.LANG_PARAM) != state.lang:  # in the address: a reload keeps it
            st.query_params[navigation.LANG_PARAM] = state.lang
        if st.button(t("ui.new_session", lang), use_container_width=True):
            navigation.go(navigation.START)
        if st.button(t("ui.sources_page", lang), use_container_width=True, key="to-sources"):
            navigation.go(navigation.SOURCES)
        session_id = state.session_id
        if in_session and session_id and app.engine and app.engine.owned(session_id, owner()):
            view = app.engine.view(session_id)
            if view.themes:
                current, total = view.progress
                title = app.bank.themes[view.themes[current - 1]].title(lang)
                st.progress(len(view.scores) / total if view.synthesis is None else 1.0)
                st.caption(t("ui.progress", lang, current=current, total=total, title=title))
        sessions(app)
        st.divider()
        st.caption(t("ui.model", lang, name=app.llm.name))
        st.caption(t("ui.embeddings", lang, name=app.retriever.index.embeddings.name))
        st.caption(t("ui.index_size", lang, count=app.retriever.index.count()))
        if app.llm_error:
            st.warning(untrusted_markdown(app.llm_error.message(lang)))
        documents()


def sessions(app: Services) -> None:
    """The person's own sessions: resume, delete, rename."""
    lang = state.lang
    st.subheader(t("ui.sessions", lang))
    listed = app.engine.list(owner()) if app.engine else []
    if app.engine is None:
        st.error(t("ui.sessions_damaged", lang))
        return
    if not listed:
        st.caption(t("ui.no_sessions", lang))
        return
    ids = [s.id for s in listed]
    state.show_renamed(ids)
    state.follow_open(ids)
    labels = session_labels(listed)
    chosen = st.selectbox(
        t("ui.sessions", lang),
        ids,
        format_func=labels.__getitem__,
        label_visibility="collapsed",
        key=SESSION_PICK,
    )
    left, right = st.columns(2)
    if left.button(t("ui.resume", lang), use_container_width=True, key="resume"):
        state.session_id = chosen
        state.choose_pane(chosen, None)  # a finished session opens on its summary
        navigation.go(navigation.CONVERSATION)
    # asked once more: a deleted session cannot come back (the group scan's delete asks too). A popover of
    # its own per session: the next session's question does not stand open once one is deleted
    with right.popover(t("ui.delete", lang), use_container_width=True, key=f"delete-{chosen}"):
        st.caption(untrusted_markdown(t("ui.delete_confirm", lang, title=labels[chosen])))
        delete = st.button(t("ui.delete_sure", lang), type="primary", key="delete")
    if delete:
        app.engine.delete(chosen)
        st.toast(t("ui.deleted", lang))
        if state.session_id == chosen:
            state.session_id = None
            navigation.go(navigation.START)
        st.rerun()
    # one form: the new name and the click reach the app in the same run, so a rerun still in flight
    # (the pick above) cannot drop either; Enter in the field renames too
    with st.form("rename", clear_on_submit=True, border=False):
        new_title = st.text_input(t("ui.rename", lang), key="rename_title")
        renamed = st.form_submit_button(t("ui.rename_button", lang))
    if renamed and new_title.strip():
        app.engine.rename(chosen, new_title.strip())
        state.renamed(chosen)
        st.rerun()


def documents() -> None:
    """Upload, list and remove this person's own documents; nobody else sees them."""
    lang = state.lang
    space, _ = mine()
    with st.expander(t("ui.documents", lang), expanded=state.has_notice()):
        st.caption(t("ui.documents_help", lang))
        kind, message = state.take_notice()
        if kind:  # a plain sentence with a file name in it: shown as the characters it is
            getattr(st, kind)(untrusted_markdown(message))
        uploaded = st.file_uploader(
            t("ui.upload", lang), type=["pdf", "docx", "md", "txt"], key=f"upload-{state.upload_generation}"
        )
        if uploaded is not None:
            waiting = st.empty()

            def on_progress(done: int, total: int) -> None:  # replaces the place in line, once it is our turn
                percent = round(100 * done / total) if total else 0
                text = t("docs.progress", lang, name=untrusted_markdown(uploaded.name), percent=percent)
                waiting.progress(percent / 100, text=text)

            reading = untrusted_markdown(t("ui.upload_reading", lang, name=uploaded.name))
            with st.spinner(reading), tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "upload"  # the name the person gave is checked and shortened by the workspace
                path.write_bytes(uploaded.getvalue())
                try:
                    doc = space.add(
                        path,
                        name=uploaded.name,
                        on_wait=lambda wait: waiting.info(queue_message(wait, lang)),
                        on_progress=on_progress,
                    )
                    done = t("ui.upload_done", lang, name=doc.name, passages=doc.passages)
                    if doc.encoding:
                        done += " " + t("docs.encoding", lang, encoding=doc.encoding)
                    if doc.reference:
                        done += " " + t("docs.linked", lang, reference=doc.reference)
                    state.notice("success", done)
                except SlimError as exc:
                    state.notice("error", exc.message(lang))
            state.next_upload()  # a fresh, empty upload field
            st.rerun()
        for doc in space.documents():
            left, right = st.columns([4, 1])
            pages = t("ui.doc_pages", lang, pages=doc.pages) if doc.pages else ""
            # Material icons come with Streamlit; an emoji needs a font the machine may not have
            listed = untrusted_markdown(f"{doc.name} · {t('ui.doc_passages', lang, passages=doc.passages)}{pages}")
            left.caption(f"{DOC_ICON} {listed}")
            remove = right.button(
                ":material/delete:",
                key=f"remove-{doc.name}",
                help=untrusted_markdown(t("ui.doc_remove", lang, name=doc.name)),
                type="tertiary",  # no padding: the icon fits the narrow sidebar column
            )
            if remove:
                space.remove(doc.name)
                state.notice("info", t("ui.doc_removed", lang, name=doc.name))
                st.rerun()
