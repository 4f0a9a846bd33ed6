"""The first screen, driven through Streamlit's AppTest against the real corpus index."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from assistant.config import PROJECT_ROOT

APP = str(PROJECT_ROOT / "ui" / "app.py")


@pytest.fixture
def app(corpus_data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("SLIM_DATA_DIR", str(corpus_data_dir))
    monkeypatch.setenv("SLIM_LLM", "none")  # page logic only; the real model has its own tests
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    return at


def test_question_shows_passages_with_section_and_heading(app: AppTest) -> None:
    assert not app.exception
    assert app.title[0].value.startswith("SLIM")
    app.text_input(key="question").input("Wat is transformatieve waarde?")
    app.button[0].click().run()
    assert not app.exception
    shown = [m.value.replace("\\", "") for m in app.markdown]  # Markdown escapes removed
    labels = [value for value in shown if value.startswith("**[")]
    assert [label[:5] for label in labels] == ["**[1]", "**[2]", "**[3]"]
    assert any("§ 3.3" in label or "· 3.3 " in label for label in labels)
    assert not any(re.search(r"§ (\d[\d.]*) · \1 ", label) for label in labels)  # number shown once
    assert any("herdefiniëren van succes" in m.value for m in app.markdown)
    answer = next(m.value for m in app.markdown if m.value.startswith("Dit staat er in het rapport:"))
    cited = {int(n) for n in re.findall(r"\[(\d+)\]", answer)}
    assert cited and cited <= {1, 2, 3}


def test_english_switch_translates_the_screen(app: AppTest) -> None:
    app.sidebar.radio(key="lang").set_value("en").run()
    assert "reflecting on your network" in app.title[0].value
    assert "Everything stays on this computer" in app.markdown[0].value
