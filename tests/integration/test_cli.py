"""The `slim` command as a person uses it: output shapes, messages in their language, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.config import Settings
from assistant.index import open_index
from tests.helpers.files import write_corpus, write_pdf

runner = CliRunner()


@pytest.fixture
def small_corpus(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A corpus folder with one short Markdown file, so `slim index` runs in a second."""
    corpus = write_corpus(
        tmp_path / "corpus",
        {
            "kort.md": "---\ndoc_id: kort\ntitle: Kort rapport\n---\n\n# 1 Cultuur\n\n"
            "Stralend falen betekent dat fouten mogen.\n\n# 2 Leiderschap\n\nLeiders geven ruimte om te leren.\n"
        },
    )
    monkeypatch.setenv("SLIM_CORPUS_DIR", str(corpus))
    return corpus


def test_help_documents_every_command() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("index", "search", "eval", "bench", "corpus"):
        assert command in result.output
    assert "retrieval" in runner.invoke(app, ["eval", "--help"]).output


def test_index_then_search_json(small_corpus: Path, tmp_path: Path) -> None:
    pdf = write_pdf(tmp_path / "plan.pdf", ["Onze strategie: vertrouwen opbouwen tussen partners."])
    result = runner.invoke(app, ["index", str(pdf)])
    assert result.exit_code == 0, result.output
    assert "1 toegevoegd" in result.output and "plan.pdf toegevoegd aan werkruimte 'default'" in result.output
    again = runner.invoke(app, ["index"])
    assert "1 ongewijzigd" in again.output and "passages ingebed: 0" in again.output

    out = runner.invoke(app, ["search", "Wat is stralend falen?", "-k", "2", "--json"])
    payload = json.loads(out.output)
    first = payload["hits"][0]
    assert set(first) == {
        *("rank", "chunk_id", "source", "section", "heading", "page", "score", "text"),
        *("kind", "reference", "cite_as"),  # what a passage is: the report's, a person's, or a source's
    }
    assert first["section"] == "1" and "Stralend falen" in first["text"] and first["source"] == "Kort rapport"

    pdf_hit = json.loads(
        runner.invoke(app, ["search", "vertrouwen tussen partners", "--json", "--mode", "bm25"]).output
    )
    assert pdf_hit["hits"][0]["page"] == 1 and pdf_hit["hits"][0]["source"] == "plan.pdf"


def test_search_queries_file_prints_one_json_line_per_query(small_corpus: Path, tmp_path: Path) -> None:
    runner.invoke(app, ["index"])
    queries = tmp_path / "q.jsonl"
    queries.write_text('{"id": "x1", "q": "leiders"}\n{"id": "x2", "q": "fouten"}\n', encoding="utf-8")
    result = runner.invoke(app, ["search", "--queries", str(queries), "-k", "1", "--mode", "dense", "--json"])
    lines = [json.loads(line) for line in result.output.strip().splitlines()]
    assert [line["id"] for line in lines] == ["x1", "x2"]
    assert all(len(line["hits"]) == 1 and line["hits"][0]["rank"] == 1 for line in lines)


def test_eval_retrieval_prints_all_modes(small_corpus: Path, tmp_path: Path) -> None:
    runner.invoke(app, ["index"])
    queries = tmp_path / "eval.jsonl"
    queries.write_text('{"id": "e1", "q": "Wat betekent stralend falen?", "evidence": ["fouten mogen"]}\n')
    result = runner.invoke(app, ["eval", "retrieval", str(queries), "--json"])
    scores = {s["mode"]: s for s in json.loads(result.output)}
    assert set(scores) == {"bm25", "dense", "hybrid"}
    assert scores["hybrid"]["recall"]["1"] == 1.0


def test_eval_retrieval_takes_several_files_and_reports_per_label(small_corpus: Path, tmp_path: Path) -> None:
    """A gain on one kind of question that costs another must show: recall per type, language and style."""
    runner.invoke(app, ["index"])
    plain = tmp_path / "plain.jsonl"
    plain.write_text('{"id": "p1", "q": "Wat betekent stralend falen?", "evidence": ["fouten mogen"]}\n')
    labelled = tmp_path / "labelled.jsonl"
    labelled.write_text(
        '{"id": "l1", "q": "Wat betekent stralend falen?", "evidence": ["fouten mogen"],'
        ' "type": "concept", "lang": "nl", "style": "report"}\n'
        '{"id": "l2", "q": "What does radiant failure mean?", "evidence": ["geen bewijs in deze tekst"],'
        ' "type": "concept", "lang": "en", "style": "paraphrase"}\n'
    )
    result = runner.invoke(app, ["eval", "retrieval", str(plain), str(labelled), "--json"])
    first, second = (json.loads(line) for line in result.output.strip().splitlines())
    assert all(s["groups"] == {} for s in first)
    hybrid = next(s for s in second if s["mode"] == "hybrid")
    assert hybrid["groups"]["type"]["concept"] == {"count": 2, "recall_1": 0.5, "recall_5": 0.5}
    assert hybrid["groups"]["lang"]["en"]["recall_5"] == 0.0
    assert hybrid["groups"]["style"]["report"]["recall_1"] == 1.0
    table = runner.invoke(app, ["eval", "retrieval", str(labelled)]).output
    assert "| type: concept | 2 |" in table and "| lang: en | 1 |" in table


@pytest.mark.parametrize(
    ("make", "lang", "expected"),
    [
        (lambda d: d / "ontbreekt.pdf", "nl", "Bestand niet gevonden"),
        (lambda d: d / "ontbreekt.pdf", "en", "File not found"),
        (lambda d: _file(d / "tabel.xlsx", b"x"), "nl", "wordt niet ondersteund"),
        (lambda d: _file(d / "leeg.md", b""), "en", "The file is empty"),
        (lambda d: _file(d / "kapot.pdf", b"%PDF-1.4 garbage"), "nl", "beschadigd"),
        (lambda d: _file(d / "kapot.docx", b"garbage"), "en", "is named .docx, but its content is plain text"),
        (lambda d: _file(d / "kapot.docx", b"PK\x03\x04garbage"), "en", "damaged"),
        (lambda d: write_pdf(d / "scan.pdf", [""]), "nl", "geen tekst gevonden"),
    ],
)
def test_bad_input_is_one_clear_line_exit_2_and_index_unchanged(
    small_corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make, lang: str, expected: str
) -> None:
    assert runner.invoke(app, ["index"]).exit_code == 0
    index_before = sorted(open_index(Settings()).ids())
    monkeypatch.setenv("SLIM_LANG", lang)
    result = runner.invoke(app, ["index", str(make(tmp_path))])
    assert result.exit_code == 2
    message = result.stderr.strip()
    assert expected in message and "\n" not in message and "Traceback" not in result.output
    assert sorted(open_index(Settings()).ids()) == index_before


def test_search_on_an_empty_index_says_how_to_build_it(small_corpus: Path) -> None:
    result = runner.invoke(app, ["search", "iets"])
    assert result.exit_code == 2 and "slim index" in result.stderr


def test_corpus_build_regenerates_the_markdown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "report.txt"
    source.write_text(
        " 1. Introductie \n \nEen zin die eindigt.\nFONTYS  > LERENDE EN INNOVERENDE NETWERKEN EN REGIO’S \n", "utf-8"
    )
    monkeypatch.setenv("SLIM_CORPUS_DIR", str(tmp_path))
    result = runner.invoke(app, ["corpus", "build", str(source)])
    assert result.exit_code == 0
    text = (tmp_path / "samen-leren-impact-maken.md").read_text(encoding="utf-8")
    assert "# 1. Introductie" in text and "FONTYS" not in text


def _file(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path
