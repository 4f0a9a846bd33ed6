"""SLIM's first screen: ask the report a question and see the passages with their section and heading.

The script only renders; settings, the index and the search come from ``assistant``.
"""

from __future__ import annotations

import re

import streamlit as st

from assistant.config import Settings
from assistant.errors import SlimError
from assistant.i18n import LANGUAGES, t
from assistant.index import open_index
from assistant.retrieve import Hit, Retriever


def plain(text: str) -> str:
    """Show text literally: a heading such as '7. Conclusies' must not become a Markdown list."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|>~$])", r"\\\1", text)


def label(hit: Hit, lang: str) -> str:
    """'[1] · § 3.3 · Onmiddellijke waarde · p. 4' without repeating a number the heading already has."""
    heading = hit.heading.split(" › ")[-1]
    section = t("ui.section", lang, section=hit.section) if hit.section and not heading.startswith(hit.section) else ""
    page = t("ui.page", lang, page=hit.page) if hit.page else ""
    return " · ".join(part for part in (f"[{hit.rank}]", section, heading, page) if part)


@st.cache_resource(show_spinner=False)
def retriever() -> Retriever:
    """One index and embedding model per process, shared by everyone (read-only)."""
    return Retriever(open_index(Settings()))


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
    engine = retriever()
    st.sidebar.caption(t("ui.index_size", lang, count=engine.index.count()))
    if submitted and question.strip():
        hits = engine.search(question.strip(), k=settings.top_k, mode=settings.retrieval_mode)
        st.subheader(t("ui.results", lang))
        if not hits:
            st.info(t("search.none", lang))
        for hit in hits:
            with st.container(border=True):
                st.markdown(f"**{plain(label(hit, lang))}**")
                st.caption(plain(hit.source + " › " + hit.heading))
                st.markdown(hit.text)
except SlimError as exc:
    st.error(exc.message(lang))
