"""What the app keeps for one person (one browser session), with types instead of string keys.

Everything here lives in ``st.session_state``, which Streamlit keeps per browser session: nothing of one
person is ever stored on the shared ``Services``. Keys that are also widget keys (the language choice) are
named once here, so a page and the state cannot drift apart.
"""

from __future__ import annotations

from typing import Literal, NamedTuple, cast

import streamlit as st

from assistant.config import Language, Settings, configured_lang
from assistant.i18n import LANGUAGES
from ui.navigation import LANG_PARAM

LANG = "lang"
"""The sidebar's language radio writes here; every page reads it through ``PersonState.lang``."""
SESSION_PICK = "session_pick"
"""The sidebar's sessions list."""

Pane = Literal["summary", "conversation"]
Notice = Literal["success", "error", "info"]


class Owner(NamedTuple):
    key: str
    """the private key in the page address (``?u=``), as issued"""
    person: str
    """the id SLIM knows the person by: the keyed hash of the key (``assistant.owners``)"""


class PersonState:
    """Typed accessors over ``st.session_state``; an instance holds nothing itself."""

    def init(self) -> None:
        """The language on a person's first run; a Settings() costs milliseconds, so not on every rerun. Also
        when a setting is wrong: the services then say which, in this language."""
        if LANG not in st.session_state:  # a reload keeps the language the person chose (in the address)
            asked = st.query_params.get(LANG_PARAM)
            st.session_state[LANG] = asked if asked in LANGUAGES else configured_lang()
        else:  # the language radio is a widget: without this, a page switch drops its value (Streamlit's
            # widget cleanup between pages) and the next page speaks the configured language again
            st.session_state[LANG] = st.session_state[LANG]

    @property
    def lang(self) -> Language:
        # empty outside a script run (AppTest formats widget options there): the built-in default then
        return cast(Language, st.session_state.get(LANG) or Settings.model_fields["lang"].default)

    @property
    def session_id(self) -> str | None:
        """The session the conversation and summary pages show; empty when none is chosen."""
        return st.session_state.get("session_id") or None

    @session_id.setter
    def session_id(self, value: str | None) -> None:
        st.session_state["session_id"] = value or ""

    @property
    def owner(self) -> Owner | None:
        """Resolved once per browser session (``ui.context.owner``)."""
        known = st.session_state.get("owner")
        return Owner(*known) if known else None

    @owner.setter
    def owner(self, value: Owner) -> None:
        st.session_state["owner"] = tuple(value)

    def pane(self, session_id: str) -> Pane:
        """Where a finished session opens: its summary first, until the person switches."""
        return cast(Pane, st.session_state.get(f"pane-{session_id}", "summary"))

    def choose_pane(self, session_id: str, pane: Pane | None) -> None:
        """Kept apart from the switch's widget: a widget belongs to one page (Streamlit gives the same key on
        two pages two widgets), the choice to the session. None: the summary first again (a resumed session)."""
        if pane is None:
            st.session_state.pop(f"pane-{session_id}", None)
        else:
            st.session_state[f"pane-{session_id}"] = pane

    def notice(self, kind: Notice, message: str) -> None:
        """A sentence about the last upload or removal, shown once in the documents panel after the rerun."""
        st.session_state["upload_result"] = (kind, message)

    def has_notice(self) -> bool:
        return "upload_result" in st.session_state

    def take_notice(self) -> tuple[Notice, str] | tuple[None, None]:
        return st.session_state.pop("upload_result", (None, None))

    def renamed(self, session_id: str) -> None:
        """A session renamed in this run: the next run picks it again in the sessions list, so the list shows
        its new name (Streamlit keeps showing a picked option's old label when only the label changed)."""
        st.session_state["session_renamed"] = session_id

    def show_renamed(self, listed: list[str]) -> None:
        """Before the sessions list is drawn: the session renamed in the last run, picked again."""
        renamed = st.session_state.pop("session_renamed", None)
        if renamed in listed:
            st.session_state[SESSION_PICK] = renamed

    def follow_open(self, listed: list[str]) -> None:
        """Before the sessions list is drawn: a session opened since the last run (started or resumed) is
        picked, so "Hernoem" and "Verwijder" act on the session on screen. Once per opening: the person may
        then pick another one to resume."""
        opened = self.session_id
        if opened in listed and st.session_state.get("session_followed") != opened:
            st.session_state[SESSION_PICK] = opened
            st.session_state["session_followed"] = opened

    def prefill_group_scan(self, themes: list[str]) -> None:
        """A coordinator's summary hands its themes to the group scan's form, for one opening of it."""
        st.session_state["group_scan_themes"] = themes

    def take_group_scan_themes(self) -> list[str] | None:
        return st.session_state.pop("group_scan_themes", None)

    @property
    def upload_generation(self) -> int:
        """Part of the upload field's key: a new number gives a fresh, empty field after each upload."""
        return st.session_state.setdefault("upload_generation", 0)

    def next_upload(self) -> None:
        st.session_state["upload_generation"] = self.upload_generation + 1


state = PersonState()
