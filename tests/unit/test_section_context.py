"""Every heading of the report has a section context in both languages, and every context names a heading
that exists: a renamed heading or a new section cannot silently lose its context."""

from __future__ import annotations

from pathlib import Path

from assistant.corpus import SECTION_CONTEXT_FILE, load_section_contexts, section_key
from assistant.ingest import chunk_document, load_document, search_text
from tests.conftest import CORPUS_MD


def _report():
    return load_document(CORPUS_MD, "report", chunk_chars=500, overlap_chars=150, max_pages=2000)


def test_every_section_of_the_report_has_a_context_in_both_languages() -> None:
    contexts = load_section_contexts(CORPUS_MD.parent / SECTION_CONTEXT_FILE)["samen-leren-impact-maken"]
    keys = {section_key(seg.section, seg.heading_path) for seg in _report().segments}
    assert keys - set(contexts.sections) == set()  # every heading has its own context
    assert set(contexts.sections) - keys == set()  # and no context describes a heading that is gone
    chapters = {seg.section.split(".")[0] for seg in _report().segments if seg.section}
    assert set(contexts.chapters) <= chapters
    for entry in [*contexts.sections.values(), *contexts.chapters.values()]:
        assert entry.nl.strip() and entry.en.strip()


def test_passages_carry_their_context_for_search_but_keep_their_text() -> None:
    report = _report()
    passages = chunk_document(report, 500, 150)
    assert all(p.metadata.get("context") for p in passages)
    heading = "4.2 Randvoorwaarden voor lerend vermogen › Structuur"
    structure = next(p for p in passages if p.metadata["heading"].endswith(heading))
    assert "Business Club Maas Rhein" in structure.metadata["context"]  # the chapter's case network
    assert "business club" in structure.metadata["context"]  # and the section's own words, in English
    text = CORPUS_MD.read_text(encoding="utf-8")
    for passage in passages:  # the passage itself is still a verbatim slice of the report
        assert text[passage.metadata["start"] : passage.metadata["end"]] == passage.page_content
        assert passage.metadata["context"] in search_text(passage)


def test_people_s_documents_get_no_context(tmp_path: Path) -> None:
    plan = tmp_path / "plan.md"
    plan.write_text("# 4.2 Structuur\n\nOns netwerk heeft een bestuur.\n", encoding="utf-8")
    (tmp_path / SECTION_CONTEXT_FILE).write_text((CORPUS_MD.parent / SECTION_CONTEXT_FILE).read_text(encoding="utf-8"))
    doc = load_document(plan, "document", chunk_chars=500, overlap_chars=150, max_pages=2000)
    assert all(not seg.context for seg in doc.segments)
    assert all("context" not in p.metadata for p in chunk_document(doc, 500, 150))
