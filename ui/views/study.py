"""The report's frameworks as overviews; each element shows the passage it rests on."""

from __future__ import annotations

import streamlit as st

from assistant.i18n import t
from assistant.prompts import frameworks
from assistant.safe_text import untrusted_markdown
from ui.components import study_passage
from ui.context import services
from ui.state import state

app, lang = services(), state.lang
st.title(t("ui.study", lang))
for framework in frameworks(app.settings.prompts_dir):
    st.subheader(framework.title(lang))
    columns = st.columns(len(framework.items))
    for column, item in zip(columns, framework.items, strict=True):
        with column.container(border=True):
            st.markdown(f"**{item.label(lang)}**")
            st.caption(item.text(lang))
    for item in framework.items:
        hit = study_passage(app, item.query)
        with st.expander(f"{item.label(lang)} — {hit.label()}"):
            st.markdown(untrusted_markdown(" ".join(hit.text.split())))
            if st.toggle(t("ui.read_section", lang), key=f"study-{framework.id}-{item.query}"):
                st.markdown(untrusted_markdown(app.retriever.section_text(hit.chunk_id)))
