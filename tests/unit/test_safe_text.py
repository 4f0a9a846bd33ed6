"""Untrusted text stays text in every sink: Streamlit Markdown, headings, the model's Markdown, matplotlib,
the Markdown export and the PDF. Markdown is rendered with markdown-it-py (CommonMark, as a viewer
would, raw HTML allowed); Streamlit's own extras ($ math, :directives:, autolinked addresses) are checked on
the text a renderer gets; tests/test_browser.py checks all of it in a real browser."""

from __future__ import annotations

import html
import io
import re

import pytest
from pypdf import PdfReader

from assistant.config import PROJECT_ROOT
from assistant.domain import LadderStep, Synthesis
from assistant.prompts import question_bank, reflection_prompts
from assistant.safe_text import (
    WORD_JOINER,
    heading_markdown,
    model_markdown,
    plot_text,
    untrusted_markdown,
    without_links,
)
from assistant.sessions import SessionContent, SessionInfo, export_markdown
from assistant.summary import ladder, ladder_png, radar_png, session_pdf

markdown_it = pytest.importorskip("markdown_it")

HOSTILE = [
    r"$\Huge\rule{1500px}{900px}$",
    r"$$\rule{1200px}{700px}$$",
    ":red-background[WAARSCHUWING]",
    "**vet**",
    "_schuin_ ~~weg~~",
    ":material/warning:",
    ":smile: ::leaf[x] :::container",
    "[deze pagina](//2130706433:9999/phish)",
    "[hier](/relatief)",
    r"[x](\\evil.example)",
    r"[x](\/evil.example)",
    "<//evil.example>",
    r"<\\evil.example>",
    "https://evil.example/x",
    "www.evil.example/x",
    "mailto:a@evil.example",
    "beheer@evil.example",
    "![img](http://evil.example/a.png)",
    "![img][ref]\n\n[ref]: http://evil.example/a.png",
    "[a][b]\n[b]: //evil.example",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<iframe src=//evil></iframe>",
    "[a](javascript:alert(1))",
    "<a href='javascript:alert(1)'>klik</a>",
    "&lt;script&gt; &#36;x&#36; &#58;red[y]",
    "Sessie $\\foo$ kosten",
    "# kop\n- lijst\n1. genummerd\n> citaat\n| a | b |\n|---|---|\n=== ",
    "`code` \\*niet vet\\*",
]

EVIL = re.compile(r"<(a|img|script|iframe|strong|em|del|h\d|ul|ol|li|blockquote|table|code)\b", re.IGNORECASE)


def render(markdown: str) -> str:
    """HTML as a common Markdown viewer makes it (raw HTML passed through, GFM tables and strikethrough)."""
    return markdown_it.MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).render(markdown)


def shown(html_text: str) -> str:
    """The text a reader sees in rendered HTML, word joiners ignored."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", html_text)).replace(WORD_JOINER, "").split())


def streamlit_extras_inert(markdown: str) -> None:
    """What Streamlit adds to CommonMark cannot start: every '$' escaped (no math), no colon right before a
    letter (no :directive[…], :material/…:), no address a GFM renderer would link."""
    assert not re.search(r"(?<!\\)(?:\\\\)*\$", markdown), markdown
    assert not re.search(r":[A-Za-z]", markdown), markdown
    assert not re.search(r"(?i)[a-z]://|www\.|@[\w-]", markdown), markdown


@pytest.mark.parametrize("text", HOSTILE)
def test_untrusted_markdown_shows_the_text_and_nothing_else(text: str) -> None:
    for safe in (untrusted_markdown(text), untrusted_markdown(f"Tekst voor {text} en erna.")):
        rendered = render(safe)
        assert not EVIL.search(rendered), rendered
        streamlit_extras_inert(safe)
    assert shown(render(untrusted_markdown(text))) == " ".join(text.split())


@pytest.mark.parametrize("text", HOSTILE)
def test_a_heading_is_one_literal_line(text: str) -> None:
    safe = heading_markdown(text)
    assert "\n" not in safe
    rendered = render(f"# {safe}")
    assert rendered.startswith("<h1>") and not EVIL.search(rendered.removeprefix("<h1>")), rendered
    streamlit_extras_inert(safe)
    assert shown(rendered) == " ".join(text.split())


@pytest.mark.parametrize("text", HOSTILE)
def test_the_model_keeps_its_formatting_but_no_quote_or_address_renders(text: str) -> None:
    """A model answer quoting a passage (the headline bug: a quoted $\\rule…$ drew a black block)."""
    one_line = " ".join(text.split())
    answer = f"**Kort**: het rapport zegt “{one_line}” [1]. Daarbij ook {text} los."
    safe = model_markdown(answer)
    rendered = render(safe)
    assert "<strong>Kort</strong>" in rendered and "[1]" in rendered
    assert not re.search(r"<(a|img|script|iframe)\b", rendered, re.IGNORECASE), rendered
    quoted = re.search(r"“(.*)”", rendered).group(1)  # type: ignore[union-attr]
    assert not EVIL.search(quoted) and shown(quoted) == one_line, quoted
    streamlit_extras_inert(safe)


@pytest.mark.parametrize(
    "text",
    [t for t in HOSTILE if re.search(r"\]\(|\]\[|<[/\\]|://|www\.|@|javascript:", t)],
)
def test_links_images_and_addresses_are_replaced_in_what_slim_says(text: str) -> None:
    cleaned = without_links(f"Zie {text}\n\nEinde [1].", "(link weggelaten)")
    assert "(link weggelaten)" in cleaned and cleaned.endswith("[1].")
    assert not re.search(r"\]\(|evil\.example|//2130706433|/relatief|javascript:|mailto:", cleaned), cleaned


@pytest.mark.parametrize("text", HOSTILE)
def test_a_chart_takes_any_title_as_text(text: str) -> None:
    """'Sessie $\\foo$ kosten' made matplotlib raise 'Unknown symbol' on the summary's comparison."""
    titles = {"a": "Doel", "b": "Cultuur", "c": "Waarde"}
    png = radar_png([(text, {"a": 2, "b": 3, "c": 4}), ("Eerder", {"a": 1, "b": 1, "c": 1})], titles)
    assert png.startswith(b"\x89PNG")
    assert plot_text(text).count("$") == plot_text(text).count(r"\$")


def test_the_ladder_takes_any_label_as_text() -> None:
    steps = [LadderStep(label=text, reached=i % 2 == 0, confirmed=i == 0) for i, text in enumerate(HOSTILE[:5])]
    assert ladder_png(steps).startswith(b"\x89PNG")


def test_the_ladder_is_every_value_cycle_with_what_the_session_reached() -> None:
    bank = question_bank(PROJECT_ROOT / "prompts")
    first, second, third = sorted(bank.value_cycles, key=lambda c: c.order)[:3]
    cycles = [
        {
            "cycle": first.id,
            "order": 1,
            "theme": "a",
            "quote": "We delen wat werkt.",
            "label": "x",
            "status": "confirmed",
        },
        {"cycle": second.id, "order": 2, "theme": "a", "quote": "We passen het toe.", "label": "y"},
        {"cycle": third.id, "order": 3, "theme": "a", "quote": "Niet zo.", "label": "z", "status": "rejected"},
    ]
    empty = {"themes": [], "actions": [], "group_questions": [], "citations": []}
    steps = ladder(Synthesis.model_validate({**empty, "cycles": cycles}), bank, "en")
    assert [s.label for s in steps] == [c.label("en") for c in sorted(bank.value_cycles, key=lambda c: c.order)]
    assert steps[0] == LadderStep(label=first.label("en"), reached=True, confirmed=True, quote="We delen wat werkt.")
    assert (steps[1].reached, steps[1].confirmed, steps[1].quote) == (True, False, "We passen het toe.")
    assert not steps[2].reached and steps[2].quote is None  # a rejected proposal is not on the ladder


def _hostile_session() -> tuple[SessionInfo, SessionContent]:
    passage = " ".join(" ".join(t.split()) for t in HOSTILE)
    citation = {"n": 1, "chunk_id": "x", "source": "<img src=x onerror=alert(1)>.md", "section": "",
                "heading": "[kop](//evil.example) $\\foo$", "page": None, "text": passage}  # fmt: skip
    turns = [
        {"role": "assistant", "kind": "free_answer", "text": f"Dit staat er: “{passage}” [1]", "citations": [citation]},
        {"role": "user", "kind": "answer", "text": "\n".join(HOSTILE), "citations": []},
    ]
    info = SessionInfo(id="s1", title="Sessie $\\foo$ kosten <script>alert(1)</script>", role="board", lang="nl",
                       mode="ask", route=None, created="2025-01-01", updated="2025-01-01")  # fmt: skip
    return info, SessionContent.model_validate({"turns": turns})


def test_the_markdown_export_carries_no_tag_link_image_or_math() -> None:
    info, state = _hostile_session()
    exported = export_markdown(info, state, question_bank(PROJECT_ROOT / "prompts"))
    rendered = render(exported)
    assert not re.search(r"<(a|img|script|iframe)\b", rendered, re.IGNORECASE), rendered  # no tag: no attribute
    streamlit_extras_inert(exported)
    text = shown(rendered)
    for hostile in HOSTILE:  # still there to read, as text
        assert " ".join(hostile.split()) in text, hostile
    assert "<script>alert(1)</script>" in text and r"$\Huge\rule{1500px}{900px}$" in text


def test_the_pdf_shows_hostile_text_as_text_without_links() -> None:
    bank = question_bank(PROJECT_ROOT / "prompts")
    texts = reflection_prompts(PROJECT_ROOT / "prompts")["nl"]
    info, state = _hostile_session()
    (citation,) = state.turns[0].citations
    themes = [
        {"theme": theme, "title": title, "points": HOSTILE[:3], "score": 3, "score_label": "Midden"}
        for theme, title in [("a", "Doel"), ("b", "Cultuur"), ("c", "Waarde")]
    ]
    cycle = min(bank.value_cycles, key=lambda c: c.order).id
    synthesis = Synthesis.model_validate(
        {"themes": themes, "citations": [citation], "group_questions": [HOSTILE[2]],
         "cycles": [{"cycle": cycle, "order": 1, "theme": "a", "quote": HOSTILE[0], "label": HOSTILE[1]}],
         "actions": [{"id": "r1", "text": HOSTILE[7], "citation": 1}]}
    )  # fmt: skip
    pdf = PdfReader(io.BytesIO(session_pdf(info, synthesis, bank, texts, "nl")))
    text = " ".join(" ".join(page.extract_text() for page in pdf.pages).split())
    assert "Sessie $\\foo$ kosten <script>alert(1)</script>" in text
    assert ":red-background[WAARSCHUWING]" in text and "[deze pagina](//2130706433:9999/phish)" in text
    assert not any("/Annots" in page for page in pdf.pages)  # fpdf2 renders no Markdown: no link anywhere
