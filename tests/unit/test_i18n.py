"""Every message exists in Dutch and English with the same placeholders, read from the settings' prompts
directory."""

from __future__ import annotations

import datetime as dt
import shutil
import string
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant import cli
from assistant.config import Settings
from assistant.i18n import PROMPTS_DIR, date_text, decimal_text, detect_language, messages, t, use_prompts_dir
from assistant.services import build_services


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_dutch_and_english_have_the_same_keys_and_placeholders() -> None:
    nl, en = messages("nl"), messages("en")
    assert set(nl) == set(en)
    for key in nl:
        assert _fields(nl[key]) == _fields(en[key]), key
        assert nl[key].strip() and en[key].strip(), key


@pytest.fixture
def own_prompts(tmp_path: Path) -> Iterator[Path]:
    """A copy of prompts/ with one message changed; the process's messages are the default ones again after."""
    folder = tmp_path / "prompts"
    shutil.copytree(PROMPTS_DIR, folder)
    english = folder / "i18n" / "en.yaml"
    english.write_text(english.read_text(encoding="utf-8").replace('"New session"', '"Start afresh"'), "utf-8")
    yield folder
    use_prompts_dir(PROMPTS_DIR)


def test_messages_come_from_the_settings_prompts_dir(own_prompts: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert t("ui.new_session", "en") == "New session"
    build_services(Settings(data_dir=own_prompts.parent / "data", prompts_dir=own_prompts))  # the composition root
    assert t("ui.new_session", "en") == "Start afresh"
    use_prompts_dir(PROMPTS_DIR)
    monkeypatch.setenv("SLIM_PROMPTS_DIR", str(own_prompts))
    assert cli._settings().prompts_dir == own_prompts  # every command's entry
    assert t("ui.new_session", "en") == "Start afresh" and t("ui.new_session", "nl") == "Nieuwe sessie"


def test_a_prompts_dir_without_messages_fails_at_the_entry(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        use_prompts_dir(tmp_path)
    assert t("ui.new_session", "en") == "New session"  # the messages in use stay where they were


def test_dates_and_figures_in_the_persons_language() -> None:
    """Dutch: 05-03-2026 and a decimal comma; English: ISO dates and a decimal point."""
    day = dt.date(2026, 3, 5)
    assert date_text(day, "nl") == "05-03-2026" and date_text(day, "en") == "2026-03-05"
    assert decimal_text(2.25, "nl", 2) == "2,25" and decimal_text(2.25, "en", 2) == "2.25"
    assert decimal_text(3, "nl", 1) == "3,0" and decimal_text(4.44, "en") == "4.4"


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("How many organisations take part in De STAP naar gezonder?", "en"),
        ("In which year was De STAP naar gezonder founded?", "en"),
        ("Can I read what The Hague decided?", "en"),
        ("Hoe werkt De STAP naar gezonder?", "nl"),
        ("Wat zegt het rapport? Is De STAP een netwerk?", "nl"),
    ],
)
def test_a_name_does_not_decide_the_language(text: str, lang: str) -> None:
    """The report's network names are Dutch ("De STAP naar gezonder"): in an English question their words
    are a name, not Dutch."""
    assert detect_language(text) == lang


def test_each_line_starts_a_sentence() -> None:
    """A list item's first word is no name: "- Het bestuur" is Dutch, whatever the default."""
    assert detect_language("Leden:\n- Het bestuur\n- De werkgroepen", default="en") == "nl"
