"""SLIM's first screen: ask the report a question and get a cited answer with its passages.

The script only renders; settings, the index, the language model and the answer come from ``assistant``.
The passages are shown as soon as they are found; the answer streams in above them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import streamlit as st

from assistant.answer import Citation, answer_question
from assistant.config import Settings
from assistant.errors import SlimError
from assistant.i18n import LANGUAGES, t
from assistant.index import open_index
from assistant.llm import LanguageModel, make_llm
from assistant.retrieve import Retriever


@dataclass
class Services:
    settings: Settings
    retriever: Retriever
    llm: LanguageModel
    llm_error: SlimError | None


@st.cache_resource(show_spinner=False)
def services() -> Services:
    """One index and one language model per process, shared by everyone (neither holds per-person state)."""
    settings = Settings()
    retriever = Retriever(open_index(settings))
    try:
        llm, error = make_llm(settings), None
    except SlimError as exc:  # no model installed: the app still answers, extractively
        llm, error = LanguageModel("none", None), exc
    return Services(settings, retriever, llm, error)


def plain(text: str) -> str:
    """Show text literally: a heading such as '7. Conclusies' must not become a Markdown list."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|>~$])", r"\\\1", text)


def label(citation: Citation, lang: str) -> str:
    """'[1] · § 3.3 · Onmiddellijke waarde · p. 4' without repeating a number the heading already has."""
    heading = citation.heading.split(" › ")[-1]
    has_number = citation.section and not heading.startswith(citation.section)
    section = t("ui.section", lang, section=citation.section) if has_number else ""
    page = t("ui.page", lang, page=citation.page) if citation.page else ""
    return " · ".join(part for part in (f"[{citation.n}]", section, heading, page) if part)


def show_passages(box, citations: list[Citation], lang: str) -> None:
    with box.container():
        st.subheader(t("ui.results", lang))
        for citation in citations:
            with st.container(border=True):
                st.markdown(f"**{plain(label(citation, lang))}**")
                st.caption(plain(citation.source + " › " + citation.heading))
                st.markdown(citation.text)


settings = Settings()
lang = st.sidebar.radio(
    t("ui.language", settings.lang),
    LANGUAGES,
    index=LANGUAGES.index(settings.lang),
    format_func=lambda code: {"nl": "Nederlands", "en": "English"}[code],
    key="lang",
)
st.title(t("ui.title", lang))
st.markdown(t("ui.intro", lang))

with st.form("ask"):
    question = st.text_input(t("ui.question", lang), placeholder=t("ui.placeholder", lang), key="question")
    submitted = st.form_submit_button(t("ui.search", lang))

try:
    with st.spinner(t("ui.loading", lang)):
        app = services()
    st.sidebar.caption(t("ui.index_size", lang, count=app.retriever.index.count()))
    st.sidebar.caption(t("ui.model", lang, name=app.llm.name))
    if app.llm_error:
        st.sidebar.warning(app.llm_error.message(lang))
    if submitted and question.strip():
        answer_slot = st.empty()
        passages_slot = st.empty()
        streamed: list[str] = []

        def on_token(piece: str) -> None:
            streamed.append(piece)
            answer_slot.markdown("".join(streamed) + " ▌")

        with st.spinner(t("ui.thinking", lang)):
            result = answer_question(
                question.strip(),
                app.retriever,
                app.llm,
                app.settings,
                on_passages=lambda cites: show_passages(passages_slot, cites, lang),
                on_token=on_token,
            )
        with answer_slot.container():
            st.subheader(t("ui.answer", lang))
            st.markdown(result.answer)
            if result.method == "extractive" and app.llm.available:
                st.caption(t("ui.extractive_note", lang))
        if result.citations:
            show_passages(passages_slot, result.citations, lang)
        else:
            passages_slot.info(t("search.none", lang))
except SlimError as exc:
    st.error(exc.message(lang))
