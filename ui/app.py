"""SLIM in the browser: the frame every page shares — page settings, the sidebar, the navigation.

Each view is a page script under ``ui/views/`` (``st.navigation``); what they share lives in small modules
beside this one: ``context`` (the process's services, this person's id), ``state`` (what is kept per person),
``navigation`` (moving between pages with the private key kept), ``sidebar``, ``session``, ``streaming``
and ``components``. The shared parts themselves are built by the core (``assistant.services``).
"""

from __future__ import annotations

import contextlib
import logging

import streamlit as st

from assistant.errors import SlimError
from assistant.group.links import FACILITATOR_PARAM, JOIN_PARAM, PAGE
from assistant.i18n import t
from assistant.safe_text import untrusted_markdown
from ui import navigation
from ui.context import freeze_imports, services, settings
from ui.group import page as group_page
from ui.sidebar import sidebar
from ui.state import state

log = logging.getLogger("slim.app")

freeze_imports()
st.set_page_config(page_title="SLIM", page_icon="💬", layout="centered")
with contextlib.suppress(SlimError):  # where the messages are read, before the first; a wrong setting is
    settings()  # shown below, where the services raise it again (a failed load is not cached)
state.init()
lang = state.lang

# The app's pages. To add one: write its script under ui/views/ (it renders one view and calls services and
# components), add a path for it in ui/navigation.py, and an `st.Page` here with its title from
# prompts/i18n and a url_path of its own. The menu is hidden: people move between pages with the app's own
# buttons (`navigation.go`, which keeps the private key `?u=` in the address).
start = st.Page(navigation.START, title=t("ui.start_page", lang), url_path="start", default=True)
conversation = st.Page(navigation.CONVERSATION, title=t("ui.conversation", lang), url_path="conversation")
summary = st.Page(navigation.SUMMARY, title=t("ui.summary", lang), url_path="summary")
study = st.Page(navigation.STUDY, title=t("ui.study", lang), url_path="study")
sources = st.Page(navigation.SOURCES, title=t("ui.sources_page", lang), url_path="bronnen")
group = st.Page(navigation.GROUP, title=t("group.title", lang), url_path=PAGE)
PAGES = [start, conversation, summary, study, sources, group]

# An address with a join code or a facilitator secret gets the group scan page and nothing else: no
# sidebar, no other page to reach, and the guide's models are not loaded for it.
try:
    if st.query_params.get(JOIN_PARAM) or st.query_params.get(FACILITATOR_PARAM):
        # a lone page would be the default one, served at "/": its own address would then be "not found"
        alone = st.Page(group_page, title=t("group.title", lang), url_path="scan", default=True)
        st.navigation([alone, group], position="hidden").run()
    else:
        page = st.navigation(PAGES, position="hidden")
        if page is group:  # the coordinator's page: create a scan, or join one by typing its code
            page.run()
        else:
            with st.spinner(t("ui.loading", lang)):
                app = services()
            sidebar(app, in_session=page in (conversation, summary))
            page.run()
except SlimError as exc:
    st.error(untrusted_markdown(exc.message(lang)))
except Exception:  # a bug: the person gets a sentence in their language, the console the traceback
    log.exception("unexpected error in the app")
    st.error(t("ui.unexpected", lang))
