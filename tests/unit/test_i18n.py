"""Every message exists in Dutch and English with the same placeholders, read from the settings' prompts
directory."""

from __future__ import annotations

import datetime as dt
import shutil
import string
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.cli.common import command_settings
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


def test_every_singular_twin_belongs_to_a_message_with_a_count_and_the_same_placeholders() -> None:
    for lang in ("nl", "en"):
        found = messages(lang)
        for key in [k for k in found if k.endswith("_one")]:
            base = key.removesuffix("_one")
            assert base in found and _fields(found[key]) == _fields(found[base]), key
            ones = dict.fromkeys(_fields(found[base]), 1)
            assert t(base, lang, **ones) == found[key].format(**ones), key  # its count is found
            assert t(base, lang, **dict.fromkeys(ones, 2)) == found[base].format(**dict.fromkeys(ones, 2)), key


@pytest.mark.parametrize(
    ("key", "values", "nl", "en"),
    [
        ("ui.upload_done", {"name": "a.md", "passages": 1}, "a.md toegevoegd: 1 passage.", "a.md added: 1 passage."),
        ("ui.upload_done", {"name": "a.md", "passages": 3}, "a.md toegevoegd: 3 passages.", "a.md added: 3 passages."),
        ("ui.doc_passages", {"passages": 1}, "1 passage", "1 passage"),
        ("ui.index_size", {"count": 1}, "1 passage in de index", "1 passage in the index"),
        ("ui.index_size", {"count": 0}, "0 passages in de index", "0 passages in the index"),
        ("docs.row", {"name": "a", "passages": 1, "pages": "", "reference": ""}, "a  1 passage", "a  1 passage"),
        ("group.answered", {"answered": 1}, "1 persoon heeft geantwoord.", "1 person has answered."),
        ("group.answered", {"answered": 4}, "4 mensen hebben geantwoord.", "4 people have answered."),
        (
            "group.too_few",  # the first count decides, not the threshold after it
            {"n": 1, "min_answers": 3},
            "Op dit thema heeft 1 persoon geantwoord; vanaf 3 is de verdeling te zien.",
            "1 person answered on this theme; the distribution is shown from 3 on.",
        ),
        (
            "doctor.index_ok",  # two counts: each after its noun
            {"name": "report", "docs": 1, "passages": 7},
            "✓ report: alles klopt (documenten: 1, passages: 7).",
            "✓ report: all consistent (documents: 1, passages: 7).",
        ),
    ],
)
def test_a_count_of_one_takes_the_singular_in_both_languages(
    key: str, values: dict[str, object], nl: str, en: str
) -> None:
    assert t(key, "nl", **values) == nl and t(key, "en", **values) == en


def test_only_a_whole_number_is_a_count() -> None:
    """A flag or a text that reads "1" is not a count: the plural stays."""
    assert t("ui.doc_passages", "en", passages="1") == "1 passages"
    assert t("ui.doc_passages", "en", passages=True) == "True passages"


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
    assert command_settings().prompts_dir == own_prompts  # every command's entry
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


@pytest.mark.parametrize(
    "text",
    [
        "what's the 2040 goal that de stap naar gezonder ties into",
        "Mostly ours, if I'm honest.",
        "Honestly? It doesn't work, that's the problem.",
    ],
)
def test_a_contracted_word_counts_as_english(text: str) -> None:
    """A name typed in lower case ("de stap naar gezonder") holds Dutch words; "what's" and "don't" are the
    English words that tell the language, counted as "what" and "do"."""
    assert detect_language(text) == "en"


def test_each_line_starts_a_sentence() -> None:
    """A list item's first word is no name: "- Het bestuur" is Dutch, whatever the default."""
    assert detect_language("Leden:\n- Het bestuur\n- De werkgroepen", default="en") == "nl"
