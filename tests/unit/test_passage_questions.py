"""The passage questions (``corpus/passage-questions/*.yaml``) load strictly, every shipped anchor reaches
a passage of the report as it is cut now, an anchor no passage holds stops the index naming file and
anchor, and editing a file changes the document's version."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from langchain_core.documents import Document

from assistant.corpus import (
    PASSAGE_QUESTIONS_DIR,
    AnchoredQuestions,
    load_passage_questions,
    passage_question_files,
)
from assistant.errors import InputError
from assistant.i18n import detect_language
from assistant.ingest import chunk_document, content_hash, load_document, search_text, with_passage_questions
from tests.conftest import CORPUS_MD

DOC_ID = "samen-leren-impact-maken"


def _report(path: Path = CORPUS_MD):
    return load_document(path, "report", chunk_chars=500, overlap_chars=150, max_pages=2000)


def _write(folder: Path, text: str, name: str = "x.yaml") -> Path:
    (folder / PASSAGE_QUESTIONS_DIR).mkdir(exist_ok=True)
    path = folder / PASSAGE_QUESTIONS_DIR / name
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_files_load_and_every_anchor_is_in_the_report_once() -> None:
    """An anchor copied word for word from one paragraph: it occurs once, within one line."""
    entries = load_passage_questions(CORPUS_MD.parent)[DOC_ID]
    assert passage_question_files(CORPUS_MD.parent) and entries
    text = CORPUS_MD.read_text(encoding="utf-8")
    for entry in entries:
        assert text.count(entry.anchor) == 1, (entry.file, entry.anchor)
        assert len(entry.questions) >= 2, (entry.file, entry.anchor)
    assert len({e.anchor for e in entries}) == len(entries)


def test_every_shipped_anchor_reaches_a_passage_and_its_questions_go_to_bm25() -> None:
    passages = chunk_document(_report(), 500, 150)
    entries = load_passage_questions(CORPUS_MD.parent)[DOC_ID]
    for entry in entries:
        holding = [p for p in passages if entry.anchor in " ".join(p.page_content.split())]
        assert holding, (entry.file, entry.anchor)
        for passage in holding:
            assert set(entry.questions) <= set(str(passage.metadata["passage_questions"]).splitlines())
            assert entry.questions[0] in search_text(passage)
            assert entry.questions[0] not in passage.page_content  # the text shown stays the report's
    asked = {q for p in passages for q in str(p.metadata.get("passage_questions", "")).splitlines()}
    assert asked == {q for e in entries for q in e.questions}


def test_questions_are_in_the_language_they_are_filed_under() -> None:
    """A question filed under ``en`` that reads as Dutch would give English questions nothing of their own
    to meet; a few short ones may be ambiguous, most must be clear."""
    for path in passage_question_files(CORPUS_MD.parent):
        entries = yaml.safe_load(path.read_text(encoding="utf-8"))[DOC_ID]
        for lang in ("nl", "en"):
            asked = [q for entry in entries for q in entry[lang]]
            agree = sum(detect_language(q) == lang for q in asked)
            assert agree / len(asked) >= 0.9, (path.name, lang)


@pytest.mark.parametrize(
    "text",
    [
        f'{DOC_ID}:\n  - anchor: "a b c"\n    nl: ["Wat?"]\n    en: ["What?"]\n    de: ["Was?"]\n',  # unknown key
        f'{DOC_ID}:\n  - anchor: "a b c"\n    nl: []\n    en: ["What?"]\n',  # no Dutch question
        f'{DOC_ID}:\n  - nl: ["Wat?"]\n    en: ["What?"]\n',  # no anchor
        f'{DOC_ID}:\n  - anchor: "a b c\n    nl: ["Wat?"]\n',  # not YAML
    ],
)
def test_a_broken_file_stops_with_its_name(tmp_path: Path, text: str) -> None:
    _write(tmp_path, text, "broken.yaml")
    with pytest.raises(InputError) as caught:
        load_passage_questions(tmp_path)
    assert caught.value.key == "error.passage_questions_invalid"
    assert caught.value.values["path"] == f"{PASSAGE_QUESTIONS_DIR}/broken.yaml"


def _passage(text: str, n: int) -> Document:
    return Document(page_content=text, metadata={"chunk_id": f"c{n}"})


def test_an_anchor_goes_to_every_passage_holding_it_whitespace_aside() -> None:
    passages = [_passage("Eerste zin. Een zin in\nde overlap.", 0), _passage("Een zin in de  overlap. Nog een.", 1)]
    entries = [
        AnchoredQuestions("pq/a.yaml", "zin in de overlap", ("Wat overlapt?", "What overlaps?")),
        AnchoredQuestions("pq/a.yaml", "Nog een", ("Nog?",)),
    ]
    with_passage_questions(passages, entries)
    assert passages[0].metadata["passage_questions"] == "Wat overlapt?\nWhat overlaps?"
    assert passages[1].metadata["passage_questions"] == "Wat overlapt?\nWhat overlaps?\nNog?"


def test_an_anchor_no_passage_holds_stops_the_index_naming_file_and_anchor() -> None:
    entries = [AnchoredQuestions("passage-questions/07-09.yaml", "niet in het rapport", ("Wat?",))]
    with pytest.raises(InputError) as caught:
        with_passage_questions([_passage("Iets anders.", 0)], entries)
    assert caught.value.key == "error.passage_question_anchor"
    assert caught.value.values == {"path": "passage-questions/07-09.yaml", "anchor": "niet in het rapport"}
    message = caught.value.message("en")
    assert "passage-questions/07-09.yaml" in message and "niet in het rapport" in message


def test_a_missing_anchor_in_a_corpus_file_fails_at_load_time(tmp_path: Path) -> None:
    shutil.copy(CORPUS_MD, tmp_path / CORPUS_MD.name)
    entry = '  - anchor: "dit staat nergens in het rapport"\n    nl: ["Wat?"]\n    en: ["What?"]\n'
    _write(tmp_path, f"{DOC_ID}:\n{entry}")
    loaded = _report(tmp_path / CORPUS_MD.name)
    with pytest.raises(InputError, match="passage_question_anchor"):
        chunk_document(loaded, 500, 150)


def test_changing_a_passage_question_file_changes_the_document_version(tmp_path: Path) -> None:
    """The index re-embeds a document whose hash changed: editing, adding or removing a file must change it."""
    shutil.copy(CORPUS_MD, tmp_path / CORPUS_MD.name)
    copy = tmp_path / CORPUS_MD.name
    before = content_hash(copy, 500, 150)
    path = _write(tmp_path, f'{DOC_ID}:\n  - anchor: "Samen Leren Impact Maken"\n    nl: ["Wat?"]\n    en: ["What?"]\n')
    added = content_hash(copy, 500, 150)
    assert added != before
    path.write_text(path.read_text(encoding="utf-8").replace("What?", "Which?"), encoding="utf-8")
    assert content_hash(copy, 500, 150) != added
    path.unlink()
    assert content_hash(copy, 500, 150) == before
    assert not _report(copy).passage_questions  # no files: no passage questions, still loads
