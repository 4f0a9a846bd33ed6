"""The app's pages by file, and the one way to move between them.

Each page is a script under ``ui/views/``, registered in ``ui/app.py``'s ``st.navigation``. Moving to a page
goes through ``go``: ``st.switch_page`` clears the page address's query parameters unless it is given them,
and the private key (``?u=``) must survive every switch, or the person would lose their sessions.

The folder is ``views/``, not ``pages/``: a ``pages/`` folder beside the entry script puts Streamlit in its
older pages-directory mode for the first run of a process (and for every AppTest run after the first), and
that mode runs a page script without ``app.py`` around it — no sidebar, no navigation — e.g. for a bookmarked
page address opened right after a restart (Streamlit 1.67: ``PagesManager.uses_pages_directory``,
``script_runner._mpa_v1``). ``tests/ui`` checks the folder stays absent.
"""

from __future__ import annotations

from typing import NoReturn

import streamlit as st

START = "views/start.py"
CONVERSATION = "views/conversation.py"
SUMMARY = "views/summary.py"
STUDY = "views/study.py"
SOURCES = "views/sources.py"
GROUP = "views/groepsscan.py"
"""the group scan (create, fill in, results): ``assistant.group.links.PAGE``"""


SESSION_PARAM = "s"
"""the session the conversation or summary page shows, in its address: a reload opens it again"""
LANG_PARAM = "lang"
"""the language the person chose, in the address: a reload keeps it"""


def go(page: str) -> NoReturn:
    """Run ``page`` (a path above) next, keeping the page address's query parameters (the private key, the
    language); the session's only on the pages that show one."""
    params = st.query_params.to_dict()
    if page not in (CONVERSATION, SUMMARY):
        params.pop(SESSION_PARAM, None)
    st.switch_page(page, query_params=params)
