"""What every page needs: the process's shared services, this person's id, and their retriever.

The services come from the core's composition root (``assistant.services.build_services``) and are cached
for the process; the person's id comes from the private key in the page address, resolved once per browser
session and kept in ``ui.state``.
"""

from __future__ import annotations

import functools
import gc

import streamlit as st

from assistant.config import Settings
from assistant.environment import load_settings
from assistant.i18n import use_prompts_dir
from assistant.retrieve import Retriever
from assistant.services import Services, build_services
from assistant.workspace import Workspace, workspace_of
from ui.state import Owner, state

KEY_PARAM = "u"
"""The page address's private key (``?u=…``): a bookmark brings the person back to their own sessions."""


@functools.cache
def freeze_imports() -> None:
    """Once per process, at the first run: the modules imported so far are set aside from the garbage
    collector (``gc.freeze``). Streamlit collects all generations after every script run
    (``runner.postScriptGC``), and walking the ~290,000 objects of the imported modules held the GIL for
    110–180 ms per click; with them frozen a collection walks the rest (15–22 ms with the models loaded).
    Only what exists before any person's page has run is frozen: the loaded models and everything a run
    makes are still collected. (The browser test that failed with this in sessions 8-9 failed through a race
    in its own helper, found in session 10.)"""
    gc.collect()
    gc.freeze()


@st.cache_resource(show_spinner=False)
def settings() -> Settings:
    """The process's settings, read once; they also say where every message is read (``prompts_dir``).
    A wrong SLIM_* value raises ``SettingsError``: one line on the page, no traceback."""
    loaded = load_settings()
    use_prompts_dir(loaded.prompts_dir)
    return loaded


@st.cache_resource(show_spinner=False)
def services() -> Services:
    """Loaded once per process and shared: none of these objects holds anything of one person. Tolerant:
    without a model the guide answers extractively, with a damaged sessions database the rest still works."""
    return build_services(settings(), tolerant=True).start()


def owner() -> str:
    """This browser's id. Its private key is kept in the page address, so a bookmark brings the person
    back to their own sessions (also after a restart); a key SLIM did not issue is replaced by a fresh one
    (``Owners.resolve``). An address that lost the key within the same browser session (a page reached
    without ``ui.navigation.go``) gets it back."""
    key = st.query_params.get(KEY_PARAM)
    known = state.owner
    if known and key in (None, known.key):
        if key is None:
            st.query_params[KEY_PARAM] = known.key
        return known.person
    kept, person = services().owners.resolve(key)
    if kept != key:
        st.query_params[KEY_PARAM] = kept
    state.owner = Owner(kept, person)
    return person


def mine() -> tuple[Workspace, Retriever]:
    """This person's documents, and a retriever over the report and them."""
    return services().workspaces.get(workspace_of(owner()))
