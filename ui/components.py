"""Small rendering helpers for the app; they only turn ``assistant`` data into Streamlit elements."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from assistant.answer import cited_sentences
from assistant.domain import Citation, Hit, Synthesis
from assistant.i18n import t
from assistant.prompts import GuideTexts
from assistant.safe_text import untrusted_markdown
from assistant.services import Services
from assistant.sessions import SessionInfo
from assistant.summary_lines import cycle_status, shown_cycles


def citation_label(citation: Citation, lang: str) -> str:
    """'[1] · § 3.3 · Onmiddellijke waarde · p. 4' (``Citation.label`` in the app's words); a source of the
    report: '[2] · Salignac et al. 2018, p. 4 — bron van het rapport'."""
    where = citation.label(
        section=t("ui.section", lang, section="{section}"),
        page=t("ui.page", lang, page="{page}"),
        sep=" · ",
        lang=lang,
    )
    return f"[{citation.n}] · {where}"


def retrieved(citations: list[Citation], lang: str) -> None:
    """The passages found, listed while the model still writes; the full sources follow under the message."""
    st.caption(t("ui.sources", lang, count=len(citations)))
    for citation in citations:
        st.caption(untrusted_markdown(citation_label(citation, lang)))


def marked(text: str, parts: Iterable[str], mark: Callable[[str], str]) -> str:
    """``text`` as Markdown shown literally (it is not SLIM's), with each of ``parts`` that it contains,
    in order, wrapped by ``mark`` (which gets the part already made safe): the cited sentences of a
    passage, or the way a paragraph names a source. Whitespace runs count as one space."""
    flat = " ".join(text.split())
    pieces, start = [], 0
    for part in parts:
        literal = " ".join(part.split())
        found = flat.find(literal, start)
        if found < 0:
            continue
        pieces += [untrusted_markdown(flat[start:found]), mark(untrusted_markdown(literal))]
        start = found + len(literal)
    return "".join(pieces) + untrusted_markdown(flat[start:])


@functools.lru_cache(maxsize=4096)
def highlighted(passage: str, message: str) -> str:
    """The passage with the sentences the message rests on highlighted. Kept: every rerun shows every
    earlier message again, and finding the sentences was half the time of a long page."""
    return marked(passage, cited_sentences(passage, message), lambda safe: f":violet-background[{safe}]")


def sources(citations: list[Citation], message: str, lang: str, section_text, key: str) -> None:
    """Numbered sources under a message: label, passage with highlights, and the whole section on demand.
    Filled only when opened: a long conversation has dozens of these, and each rerun would send them all."""
    box = st.expander(t("ui.sources", lang, count=len(citations)), key=f"open-{key}", on_change="rerun")
    with box:
        if not box.open:
            return
        for citation in citations:
            st.markdown(f"**{untrusted_markdown(citation_label(citation, lang))}**")
            st.caption(untrusted_markdown(citation.trail))
            st.markdown(highlighted(citation.text, message))
            if st.toggle(t("ui.read_section", lang), key=f"{key}-{citation.n}"):
                st.markdown(untrusted_markdown(section_text(citation.chunk_id)))
            st.divider()


@st.cache_data(show_spinner=False, max_entries=256)
def _study_passage(_app: Services, index: str, query: str) -> Hit:
    return _app.retriever.search(query, k=1)[0]


def study_passage(app: Services, query: str) -> Hit:
    """The passage a framework element of the study page rests on: searched once per element and index,
    not on every rerun (the study page has a dozen elements, each toggle reruns the page)."""
    settings = app.settings
    index = f"{settings.data_dir.resolve()}|{settings.collection}|{app.retriever.index.embeddings.name}"
    return _study_passage(app, index, query)


def cycle_choices(synthesis: Synthesis, cycles: list[tuple[int, str]], lang: str, texts: GuideTexts, on_choice) -> None:
    """A small control per value cycle the summary proposed: the person confirms it, picks the cycle they
    recognise instead, or none (``on_choice(proposal_id, order or None)``). ``cycles``: (order, label)."""
    shown = shown_cycles(synthesis)
    if not shown:
        return
    st.caption(t("ui.cycle_hint", lang))
    labels = dict(cycles)
    for item in shown:
        label = labels.get(item.order, item.label)
        st.markdown(f"- **{label}** ({cycle_status(item, texts)}): “{untrusted_markdown(item.quote)}”")
        options = [order for order, _ in cycles] + [0]
        left, right = st.columns([3, 1], vertical_alignment="bottom")
        choice = left.selectbox(
            t("ui.cycle_which", lang),
            options,
            index=options.index(item.order) if item.order in options else 0,
            format_func=lambda order: labels.get(order, t("ui.cycle_none", lang)),
            key=f"cycle-{item.id}",
        )
        if right.button(t("ui.confirm", lang), key=f"cycle-ok-{item.id}", use_container_width=True):
            on_choice(item.id, choice or None)


def session_labels(sessions: Iterable[SessionInfo]) -> dict[str, str]:
    """Each session's label in a picker (its title and date), told apart by a number where two read the
    same: Streamlit's selectbox knows an option by its label, so of two sessions "Vraag het rapport —
    2026-11-28" only the first could be picked."""
    labels: dict[str, str] = {}
    seen: dict[str, int] = {}
    for info in sessions:
        label = f"{info.title} ({info.updated[:10]})"
        seen[label] = seen.get(label, 0) + 1
        labels[info.id] = label if seen[label] == 1 else f"{label} · {seen[label]}"
    return labels


def download(
    where: DeltaGenerator,
    label: str,
    data: str | bytes | Callable[[], bytes],
    file_name: str,
    mime: str,
    key: str | None = None,
) -> None:
    """A download button whose click does not rerun the page: a download changes nothing on it, and a
    rerun started by the click can drop the answer to a file built on the click (``data`` a callable),
    leaving the button greyed out — one click in three on a page that reruns while it shows (session 22)."""
    where.download_button(label, data, file_name, mime, key=key, on_click="ignore")
