"""The corpus Markdown is the report, whole: every word of the body, none of the page furniture."""

from __future__ import annotations

import re

import pytest

from assistant.config import PROJECT_ROOT
from assistant.corpus import (
    build_markdown,
    comparable_text,
    is_furniture,
    load_sources,
    split_front_matter,
    standalone_urls,
)
from tests.conftest import CORPUS_MD, REPORT_TXT

needs_source = pytest.mark.skipif(not REPORT_TXT.exists(), reason="../shared/report is not beside this checkout")


@needs_source
def test_no_body_text_lost_or_added() -> None:
    source = REPORT_TXT.read_text(encoding="utf-8")
    corpus = CORPUS_MD.read_text(encoding="utf-8")
    assert comparable_text(corpus, markdown=True) == comparable_text(source, markdown=False)
    assert standalone_urls(corpus) == standalone_urls(source)


@needs_source
def test_committed_corpus_is_what_the_builder_makes() -> None:
    assert build_markdown(REPORT_TXT.read_text(encoding="utf-8")) == CORPUS_MD.read_text(encoding="utf-8")


def test_no_page_furniture_left() -> None:
    _, body, _ = split_front_matter(CORPUS_MD.read_text(encoding="utf-8"))
    assert not [line for line in body.splitlines() if line.strip() and is_furniture(line)]
    assert "FONTYS  >" not in body
    assert not re.search(r"Samen Leren Impact Maken\s+•\s+\d+", body)


def test_headings_are_numbered_as_in_the_report() -> None:
    text = CORPUS_MD.read_text(encoding="utf-8")
    numbers = re.findall(r"(?m)^#{1,3} (\d+(?:\.\d+)*)\.? ", text)
    assert numbers[:3] == ["1", "2", "2.1"]
    for expected in ["3.2", "3.3", "4.1", "5.4", "6.3", "7.1.1", "7.1.4", "7.2", "8.3", "9"]:
        assert expected in numbers
    assert re.search(r"(?m)^# 3\. Welke concepten en kenmerken zijn verbonden met het lerend vermogen", text)
    assert re.search(r"(?m)^### 7\.1\.1 Wat maakt een regionaal netwerk lerend .* gerealiseerd kan worden\?$", text)
    assert re.search(r"(?m)^#### Transformatieve waarde$", text)
    # every case chapter's forms of value are headings, also where the title follows a quote's attribution
    for chapter in ("4", "5", "6"):
        section = text.split(f"## {chapter}.3 ")[1].split(f"## {chapter}.4 ")[0]
        assert "\n#### Transformatieve waarde\n" in section


def test_a_title_used_before_is_a_heading_after_an_unfinished_line() -> None:
    """A quote's attribution ends without a full stop; the title after it is still a heading when the report
    used that title before, not when it is new (then it may be the quote's last line)."""
    source = (
        "Gerealiseerde waarde\nDe waarde is zichtbaar in de praktijk van het netwerk en daarbuiten voor iedereen.\n\n"
        "“Dat zie je terug in de wijken.” Vertegenwoordiger van een gemeente in de regio, tijdens het interview\n\n"
        "Gerealiseerde waarde\nOf het zo uitpakt is nog niet te zeggen, dat blijkt pas over een aantal jaren.\n\n"
        "“Dat zie je terug in de wijken.” Vertegenwoordiger van een gemeente in de regio, tijdens het interview\n\n"
        "Nieuwe titel hier\nDit is gewone lopende tekst die op de regel hierboven volgt en doorloopt.\n"
    )
    markdown = build_markdown(source)
    assert markdown.count("#### Gerealiseerde waarde") == 2
    assert "#### Nieuwe titel hier" not in markdown


def test_lists_captions_quotes_and_rejoined_lines_are_kept() -> None:
    text = CORPUS_MD.read_text(encoding="utf-8")
    assert "- verwachte waarde;\n- onmiddellijke waarde;" in text
    assert "*Figuur 2. Lerend vermogen op vier niveaus (gebaseerd op Crossan, Lane en White, 1999).*" in text
    assert "*Tabel 1. Overzicht afgenomen interviews per casestudy*" in text
    # a sentence broken over a page break is one paragraph again
    assert "Vanuit het model van Salignac et al (2018) kunnen we hieraan toevoegen" in text
    # a compound hyphenated over two lines is one word again
    assert "Naamsvermelding-NietCommercieel-GelijkDelen" in text
    assert "“Wij bereidden sessies voor met onze denk- en ontwerpkracht" in text


def test_front_matter_names_the_report_and_its_licence() -> None:
    meta, _, _ = split_front_matter(CORPUS_MD.read_text(encoding="utf-8"))
    assert meta["doc_id"] == "samen-leren-impact-maken"
    assert meta["license"] == "CC BY-NC-SA 4.0"
    readme = (PROJECT_ROOT / "corpus" / "README.md").read_text(encoding="utf-8")
    assert "CC BY-NC-SA 4.0" in readme and "Fontys Kenniscentrum Leven Lang Ontwikkelen" in readme


def test_sources_are_structured_and_found_in_the_report() -> None:
    sources = load_sources(PROJECT_ROOT / "corpus" / "sources.yaml")
    flat = re.sub(r"\s+", " ", CORPUS_MD.read_text(encoding="utf-8")).lower()
    references = [s for s in sources if s.kind == "reference"]
    documents = [s for s in sources if s.kind == "analysed_document"]
    assert len(references) == 24
    assert {d.case for d in documents} == {
        "Business Club Maas Rhein",
        "De STAP naar gezonder",
        "Metropoolregio Eindhoven",
    }
    assert len({s.id for s in sources}) == len(sources)
    for source in sources:
        for text in (source.title, source.listed):
            if text:  # as the report spells it (a cited_in_text record has no title: the report gives none)
                assert re.sub(r"\s+", " ", text).lower() in flat, source.id
        if source.doi:
            assert source.doi.lower() in flat, source.id
    wenger = next(s for s in sources if s.id == "wenger-trayner-de-laat-2021")
    assert wenger.year == 2021 and wenger.authors[0] == "Wenger, E."
