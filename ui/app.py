"""SLIM in the browser: start, guided conversation with visible sources, self-assessment, summary.

This script only renders and dispatches. Models, the index and the reflection engine are shared by the
process (``st.cache_resource``); everything that belongs to one person — which session they are in, what
they see — lives in ``st.session_state`` and their own session record.
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
import threading
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import streamlit as st

from assistant.answer import prompt_prefix
from assistant.config import Settings, configured_lang, load_settings
from assistant.domain import Citation
from assistant.errors import SlimError
from assistant.i18n import LANGUAGES, t
from assistant.index import open_index
from assistant.llm import LanguageModel, make_llm
from assistant.owners import Owners
from assistant.prompts import ROLES, QuestionBank, answer_prompts, frameworks, question_bank, reflection_prompts
from assistant.reflection.engine import ReflectionEngine, SessionView
from assistant.reflection.synthesis import synthesis_markdown
from assistant.retrieve import Retriever
from assistant.safe_text import heading_markdown, model_markdown, untrusted_markdown, without_links
from assistant.sessiondb import SessionsDamagedError
from assistant.summary import ladder, ladder_png, radar_png, session_pdf
from assistant.workspace import Workspace, Workspaces, queue_message, workspace_of
from ui.components import retrieved, sources

log = logging.getLogger("slim.app")

st.set_page_config(page_title="SLIM", page_icon="💬", layout="centered")
if "lang" not in st.session_state:  # a Settings() costs milliseconds: not on every rerun
    st.session_state["lang"] = configured_lang()  # also when a setting is wrong: services() says which


@dataclass
class Services:
    settings: Settings
    retriever: Retriever
    llm: LanguageModel
    llm_error: SlimError | None
    engine: ReflectionEngine | None
    """None while the sessions database is damaged: everything else still works"""
    sessions_error: SlimError | None
    bank: QuestionBank
    workspaces: Workspaces[Retriever]
    owners: Owners


@st.cache_resource(show_spinner=False)
def services() -> Services:
    """Loaded once per process and shared: none of these objects holds anything of one person."""
    settings = load_settings()  # a wrong SLIM_* value: one line on the page (SettingsError), no traceback
    report = open_index(settings)
    retriever = Retriever(report, settings.prompts_dir)
    try:
        llm, error = make_llm(settings), None
    except SlimError as exc:  # no model installed: the guide still works, extractively
        llm, error = LanguageModel("none", None), exc
    try:
        engine, sessions_error = ReflectionEngine(settings, retriever, llm), None
    except SessionsDamagedError as exc:
        log.error("sessions database damaged: %s", exc)
        engine, sessions_error = None, exc
    if llm.available:  # the model computes its fixed prompt prefix once; do it before the first person asks
        threading.Thread(target=warm_up, args=(retriever, llm, settings), daemon=True).start()
    bank = question_bank(settings.prompts_dir)
    workspaces = Workspaces(settings, report, partial(Retriever, prompts_dir=settings.prompts_dir))
    owners = Owners(settings.data_dir, engine.sessions if engine else None, workspaces)
    return Services(settings, retriever, llm, error, engine, sessions_error, bank, workspaces, owners)


def warm_up(retriever: Retriever, llm: LanguageModel, settings: Settings) -> None:
    """The first search builds the report's search snapshot; the model gets its fixed prompt prefix
    (restored from disk after the first run). A failed warm-up only means a slower first answer."""
    with contextlib.suppress(Exception):
        retriever.search("Wat is lerend vermogen?", k=1)
        llm.warm(prompt_prefix(answer_prompts(settings.prompts_dir)[settings.lang]))


def owner() -> str:
    """This browser's id. Its private key is kept in the page address, so a bookmark brings the person
    back to their own sessions (also after a restart); a key SLIM did not issue is replaced by a fresh one
    (``Owners.resolve``). Resolved once per browser session."""
    key = st.query_params.get("u")
    known = st.session_state.get("owner")
    if known and known[0] == key:
        return known[1]
    kept, person = services().owners.resolve(key)
    if kept != key:
        st.query_params["u"] = kept
    st.session_state["owner"] = (kept, person)
    return person


def mine(app: Services) -> tuple[Workspace, Retriever]:
    """This person's documents, and a retriever over the report and them."""
    return app.workspaces.get(workspace_of(owner()))


def lang() -> str:
    # empty outside a script run (AppTest formats widget options there): the built-in default then
    return st.session_state.get("lang") or Settings.model_fields["lang"].default


def go(view: str, session_id: str | None = None) -> None:
    st.session_state["view"] = view
    if session_id is not None:
        st.session_state["session_id"] = session_id


# --- sidebar ------------------------------------------------------------------------------------------


def sidebar(app: Services) -> None:
    with st.sidebar:
        st.radio(
            t("ui.language", lang()),
            LANGUAGES,
            format_func=lambda code: {"nl": "Nederlands", "en": "English"}[code],
            key="lang",
            horizontal=True,
        )
        if st.button(t("ui.new_session", lang()), use_container_width=True):
            go("start")
            st.rerun()
        session_id = st.session_state.get("session_id")
        if session_id and st.session_state.get("view") == "chat" and app.engine:
            view = app.engine.view(session_id)
            if view.themes:
                current, total = view.progress
                title = app.bank.themes[view.themes[current - 1]].title(lang())
                st.progress(len(view.scores) / total if view.synthesis is None else 1.0)
                st.caption(t("ui.progress", lang(), current=current, total=total, title=title))
        st.subheader(t("ui.sessions", lang()))
        sessions = app.engine.list(owner()) if app.engine else []
        if app.engine is None:
            st.error(t("ui.sessions_damaged", lang()))
        elif not sessions:
            st.caption(t("ui.no_sessions", lang()))
        else:
            chosen = st.selectbox(
                t("ui.sessions", lang()),
                [s.id for s in sessions],
                format_func=lambda sid: next(f"{s.title} ({s.updated[:10]})" for s in sessions if s.id == sid),
                label_visibility="collapsed",
                key="session_pick",
            )
            left, right = st.columns(2)
            if left.button(t("ui.resume", lang()), use_container_width=True, key="resume"):
                go("chat", chosen)
                st.rerun()
            if right.button(t("ui.delete", lang()), use_container_width=True, key="delete"):
                app.engine.delete(chosen)
                if st.session_state.get("session_id") == chosen:
                    go("start", "")
                st.toast(t("ui.deleted", lang()))
                st.rerun()
            new_title = st.text_input(t("ui.rename", lang()), key="rename_title")
            if st.button(t("ui.rename_button", lang()), key="rename") and new_title.strip():
                app.engine.rename(chosen, new_title.strip())
                st.rerun()
        st.divider()
        st.caption(t("ui.model", lang(), name=app.llm.name))
        st.caption(t("ui.embeddings", lang(), name=app.retriever.index.embeddings.name))
        st.caption(t("ui.index_size", lang(), count=app.retriever.index.count()))
        if app.llm_error:
            st.warning(untrusted_markdown(app.llm_error.message(lang())))  # type: ignore[arg-type]
        documents(app)
        st.page_link("pages/sources.py", label=t("ui.sources_page", lang()), icon=":material/menu_book:")


DOC_ICON = ":material/description:"


def documents(app: Services) -> None:
    """Upload, list and remove this person's own documents; nobody else sees them."""
    space, _ = mine(app)
    with st.expander(t("ui.documents", lang()), expanded="upload_result" in st.session_state):
        st.caption(t("ui.documents_help", lang()))
        kind, message = st.session_state.pop("upload_result", (None, None))
        if kind:  # a plain sentence with a file name in it: shown as the characters it is
            getattr(st, kind)(untrusted_markdown(message))
        generation = st.session_state.setdefault("upload_generation", 0)
        uploaded = st.file_uploader(
            t("ui.upload", lang()), type=["pdf", "docx", "md", "txt"], key=f"upload-{generation}"
        )
        if uploaded is not None:
            waiting = st.empty()

            def on_progress(done: int, total: int) -> None:  # replaces the place in line, once it is our turn
                percent = round(100 * done / total) if total else 0
                text = t("docs.progress", lang(), name=untrusted_markdown(uploaded.name), percent=percent)
                waiting.progress(percent / 100, text=text)

            reading = untrusted_markdown(t("ui.upload_reading", lang(), name=uploaded.name))
            with st.spinner(reading), tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "upload"  # the name the person gave is checked and shortened by the workspace
                path.write_bytes(uploaded.getvalue())
                try:
                    doc = space.add(
                        path,
                        name=uploaded.name,
                        on_wait=lambda wait: waiting.info(queue_message(wait, lang())),
                        on_progress=on_progress,
                    )
                    done = t("ui.upload_done", lang(), name=doc.name, passages=doc.passages)
                    if doc.encoding:
                        done += " " + t("docs.encoding", lang(), encoding=doc.encoding)
                    if doc.reference:
                        done += " " + t("docs.linked", lang(), reference=doc.reference)
                    st.session_state["upload_result"] = ("success", done)
                except SlimError as exc:
                    st.session_state["upload_result"] = ("error", exc.message(lang()))  # type: ignore[arg-type]
            st.session_state["upload_generation"] = generation + 1  # a fresh, empty upload field
            st.rerun()
        for doc in space.documents():
            left, right = st.columns([4, 1])
            pages = t("ui.doc_pages", lang(), pages=doc.pages) if doc.pages else ""
            # Material icons come with Streamlit; an emoji needs a font the machine may not have
            listed = untrusted_markdown(f"{doc.name} · {t('ui.doc_passages', lang(), passages=doc.passages)}{pages}")
            left.caption(f"{DOC_ICON} {listed}")
            remove = right.button(
                ":material/delete:",
                key=f"remove-{doc.name}",
                help=untrusted_markdown(t("ui.doc_remove", lang(), name=doc.name)),
                type="tertiary",  # no padding: the icon fits the narrow sidebar column
            )
            if remove:
                space.remove(doc.name)
                st.session_state["upload_result"] = ("info", t("ui.doc_removed", lang(), name=doc.name))
                st.rerun()


# --- start ---------------------------------------------------------------------------------------------


def start(app: Services) -> None:
    st.title(t("ui.title", lang()))
    st.markdown(t("ui.welcome", lang()))
    st.info(t("ui.privacy", lang()))
    role = st.radio(t("ui.role", lang()), ROLES, format_func=lambda r: t(f"ui.role.{r}", lang()), key="role")
    routes = [r for r in app.bank.routes if r.role == role]
    options = [r.id for r in routes] + ["__free__"]
    route = st.selectbox(
        t("ui.route", lang()),
        options,
        format_func=lambda rid: t("ui.free_choice", lang()) if rid == "__free__" else app.bank.route(rid).title(lang()),
        key="route",
    )
    themes = None
    if route == "__free__":
        themes = st.multiselect(
            t("ui.themes", lang()),
            [th.id for th in app.bank.ordered_themes()],
            format_func=lambda tid: app.bank.themes[tid].title(lang()),
            key="themes",
        )
    else:
        st.caption(app.bank.route(route).description(lang()))
    left, middle, right = st.columns(3)
    unavailable = t("ui.sessions_damaged", lang()) if app.engine is None else None  # both need a session
    if left.button(
        t("ui.start", lang()),
        type="primary",
        use_container_width=True,
        disabled=bool(unavailable) or (route == "__free__" and not themes),
        help=unavailable,
    ):
        with st.spinner(t("ui.working", lang())):
            view = app.engine.start(
                role, lang(), route_id=None if route == "__free__" else route, themes=themes, owner=owner()
            )
        go("chat", view.info.id)
        st.rerun()
    if middle.button(t("ui.ask_mode", lang()), use_container_width=True, disabled=bool(unavailable), help=unavailable):
        view = app.engine.start(role, lang(), mode="ask", owner=owner())
        go("chat", view.info.id)
        st.rerun()
    if right.button(t("ui.study", lang()), use_container_width=True):
        go("study")
        st.rerun()


# --- conversation --------------------------------------------------------------------------------------


def shown_while_streaming(app: Services, parts: list[str]) -> str:
    """Text as it comes in, already without links, images or math: a half-written answer must not make the
    browser fetch or draw anything either."""
    text = without_links("".join(parts), answer_prompts(app.settings.prompts_dir)[lang()].link_removed)
    return model_markdown(text) + " ▌"


def send(app: Services, session_id: str, data: dict) -> None:
    """Send one input. What the person wrote shows at once; the guide's reply (a reflection, or the answer
    to a free question) streams in under it, its passages first, then the model's text."""
    if data.get("text"):  # what the person wrote is on the page at once, not after the guide's reply
        with st.chat_message("user"):
            st.markdown(untrusted_markdown(data["text"]))
    if data["type"] != "ask":
        slot, streamed, found = st.empty(), [], []

        def show() -> None:
            with slot.container(), st.chat_message("assistant"):
                if streamed:
                    st.markdown(shown_while_streaming(app, streamed))
                retrieved(found, lang())

        def on_reflection_passages(citations: list[Citation]) -> None:
            found[:] = citations
            show()

        def on_reflection_token(piece: str) -> None:
            streamed.append(piece)
            show()

        with st.spinner(t("ui.working", lang())):
            app.engine.send(
                session_id,
                data,
                on_passages=on_reflection_passages,
                on_token=on_reflection_token,
                retriever=mine(app)[1],
            )
        return
    with st.chat_message("assistant"):
        answer_slot, sources_slot = st.empty(), st.empty()
        streamed: list[str] = []

        def on_passages(citations: list[Citation]) -> None:
            with sources_slot.container():
                retrieved(citations, lang())

        def on_token(piece: str) -> None:
            streamed.append(piece)
            answer_slot.markdown(shown_while_streaming(app, streamed))

        def on_wait(position: int) -> None:
            answer_slot.info(t("ui.queued", lang(), position=position))

        with st.spinner(t("ui.thinking", lang())):
            app.engine.send(
                session_id, data, on_passages=on_passages, on_token=on_token, on_wait=on_wait, retriever=mine(app)[1]
            )


def conversation(app: Services, view: SessionView) -> None:
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
                sources(item.citations, item.text, lang(), mine(app)[1].section_text, key=f"sec-{view.info.id}-{i}")


def controls(app: Services, view: SessionView) -> None:
    sid = view.info.id
    waiting = view.waiting_for
    if waiting == "score":
        levels = next(t.data["levels"] for t in reversed(view.turns) if t.kind == "assess")
        with st.form(f"score-{len(view.turns)}"):
            level = st.radio(
                t("ui.score", lang()),
                [lv["level"] for lv in levels],
                format_func=lambda n: next(
                    f"{lv['level']} — {lv['label']}: {lv['description']}" for lv in levels if lv["level"] == n
                ),
                index=None,
                key=f"level-{len(view.turns)}",
            )
            confirmed = st.form_submit_button(t("ui.confirm", lang()), type="primary")
        if confirmed and level:
            send(app, sid, {"type": "score", "value": level})
            st.rerun()
        if st.button(t("ui.skip", lang()), key="skip-score"):
            send(app, sid, {"type": "skip"})
            st.rerun()
    elif waiting in ("answer", "followup"):
        answer = st.chat_input(t("ui.your_answer", lang()), key="answer")  # pinned to the bottom wherever called
        if answer and answer.strip():  # before the buttons: the reply streams right under the conversation
            send(app, sid, {"type": "answer", "text": answer.strip()})
            st.rerun()
        actions = [("next", "ui.next"), ("skip", "ui.skip")] + (
            [("deepen", "ui.deepen")] if waiting == "followup" else []
        )
        if waiting == "followup" and view.other_angle:  # the person stays in charge of what was heard
            actions.append(("other", "ui.other"))
        cols = st.columns(len(actions))
        for col, (kind, label) in zip(cols, actions, strict=False):
            if col.button(t(label, lang()), key=f"{kind}-{len(view.turns)}", use_container_width=True):
                send(app, sid, {"type": kind})
                st.rerun()
        with (
            st.popover(t("ui.free_question", lang()), use_container_width=True),
            st.form(f"free-{len(view.turns)}", clear_on_submit=True),
        ):
            question = st.text_input(t("ui.your_question", lang()), key=f"freeq-{len(view.turns)}")
            asked = st.form_submit_button(t("ui.ask_button", lang()))
        if asked and question.strip():
            send(app, sid, {"type": "ask", "text": question.strip()})
            st.rerun()
    elif waiting == "free":
        question = st.chat_input(t("ui.your_question", lang()), key="ask")
        if question and question.strip():
            send(app, sid, {"type": "ask", "text": question.strip()})
            st.rerun()


def summary(app: Services, view: SessionView) -> None:
    synthesis = view.synthesis
    assert synthesis is not None
    session_lang = view.info.lang
    texts = reflection_prompts(app.settings.prompts_dir)[session_lang]  # type: ignore[index]
    titles = {th.theme: th.title for th in synthesis.themes}
    st.subheader(t("ui.radar", lang()))
    scored = app.engine.finished_scores(owner())
    others = {s.id: s for s in app.engine.list(owner()) if s.id != view.info.id and s.id in scored}
    compare = st.selectbox(
        t("ui.compare", lang()),
        [""] + list(others),
        format_func=lambda sid: (
            t("ui.compare_none", lang()) if not sid else f"{others[sid].title} ({others[sid].updated[:10]})"
        ),
        key="compare",
    )
    series = [(view.info.title, view.scores)]
    if compare:
        series.append((others[compare].title, scored[compare]))
    if len(titles) >= 3:
        st.image(radar_png(series, titles))
    st.subheader(t("ui.ladder", lang()))
    steps = ladder(synthesis, app.bank, session_lang)  # type: ignore[arg-type]
    st.image(ladder_png(steps))
    for step in steps:
        if step["reached"]:
            st.markdown(f"- **{step['label']}**: “{untrusted_markdown(step['quote'])}”")
    markdown = synthesis_markdown(synthesis, texts)
    st.markdown(model_markdown(markdown))
    if synthesis.citations:
        sources(synthesis.citations, markdown, lang(), app.retriever.section_text, key=f"syn-{view.info.id}")
    left, middle, right = st.columns(3)
    name = f"slim-{view.info.id}"
    left.download_button(
        t("ui.download_md", lang()), app.engine.export(view.info.id, "md"), f"{name}.md", "text/markdown"
    )
    pdf = session_pdf(view.info, synthesis, app.bank, texts, session_lang)  # type: ignore[arg-type]
    middle.download_button(t("ui.download_pdf", lang()), pdf, f"{name}.pdf", "application/pdf")
    right.download_button(
        t("ui.download_json", lang()), app.engine.export(view.info.id, "json"), f"{name}.json", "application/json"
    )


def chat(app: Services) -> None:
    view = app.engine.view(st.session_state["session_id"])
    st.title(heading_markdown(view.info.title))
    pane = "conversation"
    if view.synthesis:  # a choice kept in session state: unlike tabs, it survives a rerun
        pane = st.radio(
            t("ui.summary", lang()),
            ["summary", "conversation"],
            format_func=lambda p: t(f"ui.{p}", lang()),
            horizontal=True,
            label_visibility="collapsed",
            key=f"pane-{view.info.id}",
        )
    if pane == "summary":
        summary(app, view)
    else:
        conversation(app, view)
    controls(app, view)


def study(app: Services) -> None:
    """The report's frameworks as overviews; each element shows the passage it rests on."""
    st.title(t("ui.study", lang()))
    for framework in frameworks(app.settings.prompts_dir):
        st.subheader(framework.title(lang()))  # type: ignore[arg-type]
        columns = st.columns(len(framework.items))
        for column, item in zip(columns, framework.items, strict=True):
            with column.container(border=True):
                st.markdown(f"**{item.label(lang())}**")  # type: ignore[arg-type]
                st.caption(item.text(lang()))  # type: ignore[arg-type]
        for item in framework.items:
            hit = app.retriever.search(item.query, k=1)[0]
            with st.expander(f"{item.label(lang())} — {hit.label()}"):  # type: ignore[arg-type]
                st.markdown(untrusted_markdown(" ".join(hit.text.split())))
                if st.toggle(t("ui.read_section", lang()), key=f"study-{framework.id}-{item.query}"):
                    st.markdown(untrusted_markdown(app.retriever.section_text(hit.chunk_id)))


# --- page ----------------------------------------------------------------------------------------------

try:
    with st.spinner(t("ui.loading", lang())):
        app = services()
    sidebar(app)
    session_id = st.session_state.get("session_id")
    if st.session_state.get("view") == "chat" and session_id and app.engine and app.engine.owned(session_id, owner()):
        chat(app)
    elif st.session_state.get("view") == "study":
        study(app)
    else:
        start(app)
except SlimError as exc:
    st.error(untrusted_markdown(exc.message(lang())))  # type: ignore[arg-type]
except Exception:  # a bug: the person gets a sentence in their language, the console the traceback
    log.exception("unexpected error in the app")
    st.error(t("ui.unexpected", lang()))
