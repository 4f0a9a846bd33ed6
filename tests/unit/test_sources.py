"""The report's sources as records: every citation in the text resolves, every record is used, and each
record knows the paragraphs that cite it (computed from the corpus, so the same every time)."""

from __future__ import annotations

import re

import pytest

from assistant.config import PROJECT_ROOT
from assistant.corpus import load_sources, split_front_matter
from assistant.domain import Citation
from assistant.sources import (
    MENTION,
    _paragraphs,
    cite_as,
    citing_passages,
    match_record,
    mentions,
    record_keys,
    unresolved_mentions,
)
from tests.conftest import CORPUS_MD

SOURCES = load_sources(PROJECT_ROOT / "corpus" / "sources.yaml")
BY_ID = {s.id: s for s in SOURCES}
CORPUS = CORPUS_MD.read_text(encoding="utf-8")
# the two entries of chapter 9 the text never cites (each record says so in its note)
SNELLER = "sneller-innoveren-met-ecosystemen"
UNCITED_REFERENCES = {"handboek-hrm-organiseren-van-het-leren", "keursten-2014"}


def _resolve(written: str) -> list[str]:
    (mention,) = mentions(written)
    return [s.id for s in SOURCES if mention.key in record_keys(s)]


@pytest.mark.parametrize(
    ("written", "record"),
    [
        ("Wenger et al., 2021", "wenger-trayner-de-laat-2021"),
        ("(Wenger, et al, 2021)", "wenger-trayner-de-laat-2021"),
        ("(Salignac et al., 2018)", "salignac-2018"),
        ("Salignac (2018)", "salignac-2018"),
        ("De Laat et al. (2021, p. 319)", "de-laat-2021"),
        ("(De Laat, 2014)", "de-laat-2014"),
        ("(Crossan, Lane en White, 1999)", "crossan-1999"),
        ("(Yoon, Yang, Lee, & Hwang, 2017)", "yoon-2017"),
        ("(Garcia-Teran e.a. 2018)", "garcia-teran-2018"),  # the entry spells it García-Terán
        ("Wenger (1988)", "wenger-1998"),  # the text's misprint of the entry's 1998
        ("Mennens et al. 2023", "schipper-2023"),  # the 2023 paper on the model, Mennens second author
        ("in Wesselink et al, 2021", "mak-hong-2020"),  # the secondary citation of Mak & Hong
    ],
)
def test_author_year_forms_resolve_to_their_record(written: str, record: str) -> None:
    assert _resolve(written) == [record]


def test_every_author_year_mention_in_the_report_resolves_to_a_record() -> None:
    found = [m for _, _, text in _paragraphs(CORPUS) for m in mentions(text)]
    assert len(found) > 50  # the mentions are really read (there are some sixty in chapters 1-7)
    assert unresolved_mentions(CORPUS, SOURCES) == []


def test_no_citation_escapes_the_mention_pattern() -> None:
    """Every year in the body that is not part of a mention follows a lower-case word or a dash: a date
    ('op 9 mei 2023'), never a name — so no author-year citation goes unread."""
    for _, _, text in _paragraphs(CORPUS):
        read = {m.span("year") for m in MENTION.finditer(text)}
        for year in re.finditer(r"\b(?:19|20)\d\d\b", text):
            if year.span() in read:
                continue
            before = text[: year.start()].split()
            assert not before or before[-1][:1].islower() or before[-1] in {"–", "-"}, text[
                year.start() - 40 : year.end()
            ]


def test_every_record_is_cited_or_an_analysed_document() -> None:
    cited = citing_passages(CORPUS, SOURCES)
    uncited = {s.id for s in SOURCES if not cited[s.id] and s.kind != "analysed_document"}
    assert uncited == UNCITED_REFERENCES
    for source_id in uncited:
        assert "cites no work" in (BY_ID[source_id].note or "")
    assert {s.kind for s in SOURCES} == {"reference", "cited_in_text", "analysed_document"}
    assert sum(s.kind == "analysed_document" for s in SOURCES) == 18


def test_chapter_9_entries_are_records_and_none_is_damaged() -> None:
    _, body, _ = split_front_matter(CORPUS)
    chapter = body.split("# 9. Bronnenlijst", 1)[1].split("# Colofon", 1)[0]
    entries = [p.strip() for p in chapter.split("\n\n") if p.strip() and not re.match(r"https?://", p.strip())]
    references = [s for s in SOURCES if s.kind == "reference"]
    assert len(entries) == len(references) == 24
    for entry in entries:
        flat = " ".join(entry.split())
        owners = [s.id for s in references if (s.listed and flat.startswith(s.listed)) or (s.title and s.title in flat)]
        assert len(owners) == 1, entry
    for source in SOURCES:  # a title is a title, not a citation the extraction left in its place
        assert not re.search(r"\(\d{4}|et al|;|^\s*$", source.title or "x"), source.id
        assert source.kind != "reference" or source.title or source.listed
        if source.kind in ("reference", "cited_in_text") and source.authors and source.id != SNELLER:
            assert source.year, source.id  # the notitie of the Topsectoren is the one work the report dates nowhere
    assert BY_ID["de-laat-2021"].title is None and BY_ID["de-laat-2021"].authors == ["De Laat", "et al."]
    assert BY_ID["mak-hong-2020"].title is None and BY_ID["mak-hong-2020"].year == 2020


@pytest.mark.parametrize(
    ("record", "cited"),
    [
        ("wenger-trayner-de-laat-2021", "Wenger, Trayner & De Laat 2021"),
        ("salignac-2018", "Salignac et al. 2018"),
        ("thomas-autio-2020", "Thomas & Autio 2020"),
        ("tynjala-2008", "Tynjälä 2008"),
        ("de-laat-2021", "De Laat et al. 2021"),
        ("mennens-2021", "Mennens et al. 2021"),
    ],
)
def test_cite_as(record: str, cited: str) -> None:
    assert cite_as(BY_ID[record]) == cited


def test_where_the_report_uses_a_source() -> None:
    cited = citing_passages(CORPUS, SOURCES)
    assert cited == citing_passages(CORPUS, SOURCES)  # deterministic
    salignac = cited["salignac-2018"]
    assert [p.section for p in salignac][:2] == ["3.3", "3.3"]
    assert {"3.4", "4.4", "7.1.2"} <= {p.section for p in salignac}
    assert salignac[0].where() == "§3.3 Vormen van impact"
    assert salignac[0].text.startswith("Salignac et al. (2018) beschrijven het begrip collectieve impact")
    value = cited["wenger-trayner-de-laat-2021"]
    assert "§3.3 Vormen van impact › Onmiddellijke waarde" in [p.where() for p in value]
    assert all("Wenger" in " ".join(p.cited) for p in value)
    # a work the text names by its title counts as cited there
    (sneller,) = cited[SNELLER]
    assert sneller.section == "3.1" and "Human Capital Topsectoren" in sneller.text


def test_a_file_is_matched_by_doi_then_title() -> None:
    record, how = match_record(
        "Stam, E. Entrepreneurial ... https://doi.org/10.1080/09654313.2015.1061484", "", SOURCES
    )
    assert (record.id, how) == ("stam-2015", "doi")  # type: ignore[union-attr]
    head = "Understanding Collective Impact in Australia: A new approach to interorganizational collaboration"
    record, how = match_record(head, "paper.pdf", SOURCES)
    assert (record.id, how) == ("salignac-2018", "title")  # type: ignore[union-attr]
    assert match_record("Minutes of our network meeting, 12 May", "notulen.pdf", SOURCES) == (None, "")
    # a short title ('Beeld van de structuur') is not enough to claim a file
    assert match_record("Een beeld van de structuur van ons netwerk", "x.pdf", SOURCES) == (None, "")


def _cited(cite: str, page: int | None, kind: str) -> Citation:
    return Citation(
        n=1, chunk_id="x", source="s.pdf", section="", heading="", page=page, text="", kind=kind, cite_as=cite
    )


def test_source_label_says_it_is_a_source_not_the_report() -> None:
    assert (
        _cited("Salignac et al. 2018", 4, "source").label(lang="nl")
        == "Salignac et al. 2018, p. 4 — bron van het rapport"
    )
    assert (
        _cited("Salignac et al. 2018", None, "source").label(lang="en") == "Salignac et al. 2018 — source of the report"
    )
    assert "niet uit het rapport" in _cited("Notes on networks", 2, "extra").label(lang="nl")


def test_exports_and_the_app_label_a_source_apart_from_the_report() -> None:
    from assistant.domain import Turn
    from assistant.prompts import question_bank
    from assistant.sessions import SessionContent, SessionInfo, export_markdown
    from ui.components import citation_label

    report = Citation(
        n=1, chunk_id="a", source="Samen Leren Impact Maken", section="3.3",
        heading="3.3 Vormen van impact", page=None, text="Collectieve impact vraagt leiderschap.",
    )  # fmt: skip
    source = Citation(
        n=2, chunk_id="b", source="Understanding Collective Impact in Australia", section="", heading="x",
        page=4, text="Backbone organisations keep the agenda alive.", kind="source", cite_as="Salignac et al. 2018",
    )  # fmt: skip
    info = SessionInfo(
        id="s", title="T", role="student", lang="nl", mode="ask", route=None, created="2026", updated="2026"
    )
    turns = [Turn(role="assistant", kind="answer", text="Zo [1] en zo [2].", citations=[report, source])]
    exported = export_markdown(info, SessionContent(turns=turns), question_bank(PROJECT_ROOT / "prompts"))
    assert "> [2] Salignac et al. 2018, p. 4 — bron van het rapport" in exported
    (line,) = [x for x in exported.splitlines() if x.startswith("> [1] ")]
    assert line.startswith("> [1] §3.3") and "bron van het rapport" not in line
    assert citation_label(source, "en") == "[2] · Salignac et al. 2018, p. 4 — source of the report"
    assert citation_label(report, "nl") == "[1] · § 3.3 Vormen van impact"
