"""The "Bronnen" page: every source of the report, whether the shared library holds it, and the passages
of the report that cite it. It only reads (``corpus/sources.yaml``, the corpus and the library's folder):
adding a source is for whoever runs SLIM, with ``slim sources add``."""

from __future__ import annotations

import streamlit as st

from assistant.config import Settings
from assistant.corpus import SourceRecord
from assistant.i18n import t
from assistant.library import LibraryEntry, library_entries, records
from assistant.safe_text import untrusted_markdown
from assistant.sources import report_citations
from ui.components import marked

FILTERS = ("all", "cited", "library")


def entry_label(entry: LibraryEntry, lang: str) -> str:
    status = t("sources.in_library" if entry.in_library else "sources.not_in_library", lang)
    mark = "✓" if entry.in_library else "·"
    return f"{mark} {entry.cite} — {status}"


def record_details(record: SourceRecord | None, entry: LibraryEntry, lang: str) -> None:
    st.caption(untrusted_markdown(t(f"sources.kind.{entry.kind}", lang)))
    if record is not None:
        for line in (record.title, record.venue, record.listed and t("sources.listed", lang, listed=record.listed)):
            if line and line != entry.cite:
                st.markdown(untrusted_markdown(line))
    if entry.url or entry.doi:  # shown as text: SLIM never renders a link
        st.markdown(untrusted_markdown(t("sources.get_it", lang, link=entry.url or entry.doi)))


def render(settings: Settings, lang: str) -> None:
    """The page itself; the app's language comes in, nothing goes out."""
    st.title(t("ui.sources_page", lang))
    st.markdown(t("ui.sources_intro", lang))
    entries = library_entries(settings)
    by_id = {record.id: record for record in records(settings)}
    citations = report_citations(settings.corpus_dir)
    held = sum(e.in_library for e in entries)
    st.caption(t("ui.sources_count", lang, total=len(entries), in_library=held))
    shown = st.radio(
        t("ui.sources_show", lang),
        FILTERS,
        format_func=lambda f: t(f"ui.sources_{f}", lang),
        horizontal=True,
        key="sources_filter",
    )
    for entry in entries:
        if (shown == "cited" and not entry.cited_in) or (shown == "library" and not entry.in_library):
            continue
        record = by_id.get(entry.id)
        with st.expander(untrusted_markdown(entry_label(entry, lang))):
            record_details(record, entry, lang)
            passages = citations.get(entry.id, [])
            if passages:
                st.markdown(f"**{t('sources.cited_in', lang, count=len(passages))}**")
            elif record is not None and record.kind == "analysed_document":
                st.caption(untrusted_markdown(t("sources.analysed", lang, case=record.case)))
            elif entry.kind != "extra":
                st.caption(t("sources.not_cited", lang))
            for passage in passages:
                st.markdown(f"*{untrusted_markdown(passage.where())}*")
                st.markdown(marked(passage.text, passage.cited, lambda safe: f"**{safe}**"))  # its name in bold
