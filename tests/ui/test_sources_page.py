"""The "Bronnen" page through Streamlit's AppTest, reached from the app: every record with its status in
the shared library, and for each the report's passages that cite it, in Dutch and English."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from assistant.config import PROJECT_ROOT
from assistant.corpus import load_sources
from tests.helpers.files import write_pdf

APP = str(PROJECT_ROOT / "ui" / "app.py")


@pytest.fixture(autouse=True)
def _fresh_services() -> None:
    import streamlit as st

    st.cache_resource.clear()


@pytest.fixture
def data_dir(corpus_data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "chroma").symlink_to(corpus_data_dir / "chroma", target_is_directory=True)
    monkeypatch.setenv("SLIM_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SLIM_LLM", "none")
    return tmp_path


def _sources_page(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception
    at.switch_page("views/sources.py").run()
    assert not at.exception
    return at


def _labels(at: AppTest) -> list[str]:
    """The records' expanders (the app's sidebar has others)."""
    return [e.label.replace("\\", "") for e in at.expander if e.label[:1] in "✓·"]  # as shown: unescaped


def _expander(at: AppTest, start: str):  # noqa: ANN202
    return next(e for e in at.expander if e.label.replace("\\", "").startswith(start))


def test_the_sources_page_lists_every_record_and_where_the_report_cites_it(data_dir: Path) -> None:
    # the library's folder says what it holds (slim sources add puts a file there; tested in integration)
    held = data_dir / "library" / "files"
    held.mkdir(parents=True)
    write_pdf(held / "wenger-trayner-de-laat-2021.pdf", ["Promoting and assessing value creation."])

    at = _sources_page(AppTest.from_file(APP, default_timeout=120))
    assert at.title[0].value == "Bronnen van het rapport"
    records = load_sources(PROJECT_ROOT / "corpus" / "sources.yaml")
    labels = _labels(at)
    assert len(labels) == len(records) == 50
    assert "50 bronnen, waarvan 1 in de bibliotheek." in [c.value for c in at.caption]
    assert "✓ Wenger, Trayner & De Laat 2021 — in de bibliotheek" in labels
    assert "· Salignac et al. 2018 — niet in de bibliotheek" in labels

    salignac = _expander(at, "· Salignac et al. 2018")
    text = "\n".join(m.value for m in salignac.markdown).replace("\\", "")
    assert "Waar het rapport deze bron gebruikt (8):" in text
    assert "*§3.3 Vormen van impact*" in text
    assert "**Salignac et al. (2018)** beschrijven het begrip collectieve impact" in text
    handboek = _expander(at, "· Handboek Human Resource Management")
    assert "De tekst van het rapport citeert deze bron nergens." in [c.value for c in handboek.caption]

    at.radio(key="sources_filter").set_value("library").run()
    assert _labels(at) == ["✓ Wenger, Trayner & De Laat 2021 — in de bibliotheek"]
    at.sidebar.radio(key="lang").set_value("en").run()
    assert at.title[0].value == "The report's sources"
    assert _labels(at) == ["✓ Wenger, Trayner & De Laat 2021 — in the library"]
    wenger = _expander(at, "✓ Wenger")
    assert "Where the report uses this source (6):" in "\n".join(m.value for m in wenger.markdown)


def test_the_page_offers_no_way_to_add_to_the_library(data_dir: Path) -> None:
    at = _sources_page(AppTest.from_file(APP, default_timeout=120))
    # read-only for the app's users: nothing on the page uploads or acts (the sidebar is the frame's: the
    # person's own documents and sessions)
    assert not at.main.get("file_uploader") and not at.main.button
