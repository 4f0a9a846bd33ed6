"""A finished session's summary: radar (beside an earlier session, if chosen), value ladder, synthesis with
its sources, downloads; a free question can still be asked under it."""

from __future__ import annotations

import streamlit as st

from assistant.i18n import t
from assistant.prompts import reflection_prompts
from assistant.reflection.synthesis import synthesis_markdown
from assistant.safe_text import model_markdown
from assistant.summary import RADAR_MIN_THEMES, ladder, ladder_png, radar_png, radar_themes, session_pdf
from ui import navigation, session
from ui.components import cycle_choices, download, session_labels, sources
from ui.context import owner, services
from ui.state import state

app, lang = services(), state.lang
engine, view = session.current("summary")
session.header(view, "summary")
synthesis = view.synthesis
assert synthesis is not None  # session.current opens the conversation otherwise
session_lang = view.info.lang
texts = reflection_prompts(app.settings.prompts_dir)[session_lang]
titles, skipped = radar_themes({th.theme: th.title for th in synthesis.themes}, view.scores)
st.subheader(t("ui.radar", lang))
scored = engine.finished_scores(owner())
others = {s.id: s for s in engine.list(owner()) if s.id != view.info.id and s.id in scored}
labels = session_labels(others.values())
compare = st.selectbox(
    t("ui.compare", lang),
    ["", *others],
    format_func=lambda sid: labels[sid] if sid else t("ui.compare_none", lang),
    key="compare",
)
series = [(view.info.title, view.scores)]
if compare:
    series.append((others[compare].title, scored[compare]))
if len(titles) >= RADAR_MIN_THEMES:
    st.image(radar_png(series, titles))
elif skipped:
    st.caption(t("ui.radar_too_few", lang))
if skipped:
    st.caption(t("ui.radar_skipped", lang, themes=", ".join(skipped)))
st.subheader(t("ui.ladder", lang))
steps = ladder(synthesis, app.bank, session_lang)
st.image(ladder_png(steps))
cycles = [(c.order, c.label(session_lang)) for c in sorted(app.bank.value_cycles, key=lambda c: c.order)]


def on_cycle(proposal: str, order: int | None) -> None:
    """The person confirms or corrects a proposed value cycle; the session stores the choice."""
    engine.send(view.info.id, {"type": "cycle", "text": proposal, "value": order})
    st.rerun()


cycle_choices(synthesis, cycles, lang, texts, on_cycle)
markdown = synthesis_markdown(synthesis, texts)
st.markdown(model_markdown(markdown))
if synthesis.citations:
    sources(synthesis.citations, markdown, lang, app.retriever.section_text, key=f"syn-{view.info.id}")
if view.info.role == "coordinator":  # the route promises the group's view and an agenda: the group scan gives both
    st.subheader(t("ui.to_group", lang))
    st.caption(t("ui.to_group_help", lang))
    if st.button(t("ui.to_group_button", lang), icon=":material/groups:", key="to-group"):
        state.prefill_group_scan(view.themes)
        navigation.go(navigation.GROUP)
left, middle, right = st.columns(3)
name = f"slim-{view.info.id}"
download(left, t("ui.download_md", lang), engine.export(view.info.id, "md"), f"{name}.md", "text/markdown")
download(  # built on the click (a third of a second), not at every rerun of the page
    middle,
    t("ui.download_pdf", lang),
    lambda: session_pdf(view.info, synthesis, app.bank, texts, session_lang),
    f"{name}.pdf",
    "application/pdf",
    key=f"summary-pdf-{view.info.id}",
)
download(right, t("ui.download_json", lang), engine.export(view.info.id, "json"), f"{name}.json", "application/json")
session.controls(view)
