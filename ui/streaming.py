"""Sending one input to a session and showing the guide's reply as it streams in.

A reflection and the answer to a free question arrive the same way — the passages found first, then the
model's text token by token, perhaps after a place in line — so one helper shows both.

What a person sends is never lost to what they send next: a question typed while the guide still answers
the previous one makes Streamlit stop this run at its next drawing. Drawing stops there, the guide's
reply is still completed and saved, and only then does the new run begin (with the new input).
"""

from __future__ import annotations

from typing import Any

import streamlit as st
from streamlit.runtime.scriptrunner_utils.exceptions import RerunException, StopException

from assistant.domain import Citation
from assistant.i18n import t
from assistant.prompts import answer_prompts
from assistant.safe_text import model_markdown, untrusted_markdown, without_links
from ui.components import retrieved
from ui.context import mine, services
from ui.state import state


class StreamedReply:
    """The guide's reply while it is written: its text so far, and under it the passages it rests on.
    Drawn only once something arrives, in an assistant message of its own."""

    def __init__(self) -> None:
        self.slot = st.empty()
        self.parts: list[str] = []
        self.citations: list[Citation] = []
        self.waiting: int | None = None
        self.interrupted: RerunException | StopException | None = None
        """a new run asked for while drawing (the person sent something else): raised once the reply is saved"""

    def draw(self) -> None:
        if self.interrupted is not None:
            return
        try:
            self._draw()
        except (RerunException, StopException) as exc:
            self.interrupted = exc

    def _draw(self) -> None:
        with self.slot.container(), st.chat_message("assistant"):
            if self.parts:
                st.markdown(self.shown())
            elif self.waiting is not None:
                st.info(t("ui.queued", state.lang, position=self.waiting))
            if self.citations:
                retrieved(self.citations, state.lang)

    def shown(self) -> str:
        """Text as it comes in, already without links, images or math: a half-written answer must not make
        the browser fetch or draw anything either."""
        removed = answer_prompts(services().settings.prompts_dir)[state.lang].link_removed
        return model_markdown(without_links("".join(self.parts), removed)) + " ▌"

    def on_passages(self, citations: list[Citation]) -> None:
        self.citations = list(citations)
        self.draw()

    def on_token(self, piece: str) -> None:
        self.parts.append(piece)
        self.draw()

    def on_wait(self, position: int) -> None:
        self.waiting = position
        self.draw()


def send(session_id: str, data: dict[str, Any]) -> None:
    """Send one input. What the person wrote shows at once; the guide's reply (a reflection, or the answer
    to a free question) streams in under it, its passages first, then the model's text. Only a free question
    waits in line visibly: a reflection's wait is short and its spinner says enough."""
    engine = services().engine
    assert engine is not None, "a session page is only reached with a working sessions database"
    asking, sent = data["type"] == "ask", False
    try:
        if data.get("text"):  # what the person wrote is on the page at once, not after the guide's reply
            with st.chat_message("user"):
                st.markdown(untrusted_markdown(data["text"]))
        reply = StreamedReply()
        with st.spinner(t("ui.thinking" if asking else "ui.working", state.lang)):
            engine.send(
                session_id,
                data,
                on_passages=reply.on_passages,
                on_token=reply.on_token,
                on_wait=reply.on_wait if asking else None,
                retriever=mine()[1],
            )
            sent = True
    except (RerunException, StopException):
        if not sent:  # stopped before the guide had it: it still gets it, without drawing
            engine.send(session_id, data, retriever=mine()[1])
        raise
    if reply.interrupted is not None:
        raise reply.interrupted
