"""The "Bronnen" page as a page of the app (``st.Page`` / ``st.page_link("pages/sources.py")``): the
report's sources, their status in the shared library, and where the report cites each one."""

from __future__ import annotations

import streamlit as st

from assistant.config import configured_lang, load_settings
from assistant.errors import SlimError
from assistant.i18n import LANGUAGES, t
from assistant.safe_text import untrusted_markdown
from ui.sources_view import render

if "lang" not in st.session_state:
    st.session_state["lang"] = configured_lang()
with st.sidebar:
    st.radio(  # the app's own language choice (same key), so it carries over both ways
        t("ui.language", st.session_state["lang"]),
        LANGUAGES,
        format_func=lambda code: {"nl": "Nederlands", "en": "English"}[code],
        key="lang",
        horizontal=True,
    )
    st.page_link("app.py", label=t("ui.sources_back", st.session_state["lang"]), icon=":material/arrow_back:")
try:
    render(load_settings(), st.session_state["lang"])
except SlimError as exc:
    st.error(untrusted_markdown(exc.message(st.session_state["lang"])))
