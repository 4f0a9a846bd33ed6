"""The section questions (``corpus/section-questions.yaml``) cover every heading of the report in both
languages, load strictly, reach every passage of their section, and change the document's version."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pydantic import ValidationError

from assistant.corpus import (
    MIN_QUESTIONS_PER_LANGUAGE,
    SECTION_QUESTIONS_FILE,
    DocumentQuestions,
    load_section_questions,
    section_key,
)
from assistant.i18n import detect_language
from assistant.ingest import chunk_document, content_hash, load_document, search_text
from tests.conftest import CORPUS_MD


def _report(path: Path = CORPUS_MD):
    return load_document(path, "report", chunk_chars=500, overlap_chars=150, max_pages=2000)


def _questions() -> DocumentQuestions:
    return load_section_questions(CORPUS_MD.parent / SECTION_QUESTIONS_FILE)["samen-leren-impact-maken"]


def test_every_heading_has_questions_in_both_languages() -> None:
    questions = _questions()
    keys = {section_key(seg.section, seg.heading_path) for seg in _report().segments}
    assert keys - set(questions.sections) == set()  # every heading has its questions
    assert set(questions.sections) - keys == set()  # and none are kept for a heading that is gone
    for key, entry in questions.sections.items():
        assert len(entry.nl) >= MIN_QUESTIONS_PER_LANGUAGE and len(entry.en) >= MIN_QUESTIONS_PER_LANGUAGE, key
        assert all(q.strip().endswith("?") or q.strip().endswith(".") for q in entry.all()), key


def test_questions_are_in_the_language_they_are_filed_under() -> None:
    """A question filed under ``en`` that reads as Dutch (or the other way round) would give English
    questions nothing of their own to meet; a few short ones may be ambiguous, most must be clear."""
    entries = list(_questions().sections.values())
    for lang in ("nl", "en"):
        asked = [q for entry in entries for q in getattr(entry, lang)]
        agree = sum(detect_language(q) == lang for q in asked)
        assert agree / len(asked) >= 0.95, lang


def test_the_file_is_strict() -> None:
    with pytest.raises(ValidationError):  # a misspelt language key is refused, not ignored
        DocumentQuestions.model_validate({"sections": {"1": {"nl": ["a?"] * 4, "eng": ["b?"] * 4}}})
    with pytest.raises(ValidationError):  # too few questions for a section
        DocumentQuestions.model_validate({"sections": {"1": {"nl": ["a?"], "en": ["b?"] * 4}}})
    with pytest.raises(ValidationError):
        DocumentQuestions.model_validate({"sections": {}, "chapters": {}})


def test_passages_carry_their_section_s_questions_for_bm25_but_keep_their_text() -> None:
    passages = chunk_document(_report(), 500, 150)
    assert all(p.metadata.get("questions") for p in passages)
    key = "4.3 › Gerealiseerde waarde"
    wanted = _questions().sections[key].all()
    for passage in passages:
        meta = passage.metadata
        if meta["heading"].endswith("4.3 Vormen van impact › Gerealiseerde waarde"):
            assert str(meta["questions"]).splitlines() == wanted
            assert wanted[0] in search_text(passage)
            assert wanted[0] not in passage.page_content


def test_changing_the_questions_changes_the_document_version(tmp_path: Path) -> None:
    """The index re-embeds a document whose hash changed: editing the questions must change it."""
    for name in (CORPUS_MD.name, "section-context.yaml", SECTION_QUESTIONS_FILE):
        shutil.copy(CORPUS_MD.parent / name, tmp_path / name)
    copy = tmp_path / CORPUS_MD.name
    before = content_hash(copy, 500, 150)
    questions = tmp_path / SECTION_QUESTIONS_FILE
    questions.write_text(questions.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert content_hash(copy, 500, 150) != before
    questions.unlink()
    assert all(not seg.questions for seg in _report(copy).segments)  # no file: no questions, still loads
