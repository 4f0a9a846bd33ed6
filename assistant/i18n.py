"""User-facing text in Dutch and English, kept in ``prompts/i18n/<lang>.yaml``.

Code refers to messages by key; a missing key or placeholder is a programming error and fails loudly in
the tests that load every file.
"""

from __future__ import annotations

import datetime as dt
import re
import string
from functools import cache
from pathlib import Path

import yaml

from assistant.config import Language, Settings

LANGUAGES: tuple[Language, ...] = ("nl", "en")
PROMPTS_DIR: Path = Settings.model_fields["prompts_dir"].default
"""the default of ``Settings.prompts_dir``: where ``t`` reads until an entry says otherwise"""

_prompts_dir: Path = PROMPTS_DIR


def use_prompts_dir(prompts_dir: Path) -> None:
    """Where ``t`` reads the messages from now on: ``Settings.prompts_dir``, decided once at the entry (the
    command line's settings, the app's frame, ``build_services``). Messages are looked up deep in the code,
    in errors raised with no settings at hand, so the place is the process's rather than an argument of
    every call; both languages are checked there at once, so a missing file fails at the entry."""
    global _prompts_dir
    for lang in LANGUAGES:
        messages(lang, prompts_dir)
    _prompts_dir = prompts_dir


def messages(lang: Language, prompts_dir: Path | None = None) -> dict[str, str]:
    """Every message of ``lang``, from ``prompts_dir`` (default: the one the entry chose); read once."""
    return _read((prompts_dir or _prompts_dir) / "i18n" / f"{lang}.yaml")


@cache
def _read(path: Path) -> dict[str, str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {str(k): str(v) for k, v in data.items()}


def t(key: str, lang: Language = "nl", **values: object) -> str:
    """The message ``key`` in ``lang`` with ``values`` filled in. A count before a noun reads right for
    one too ("1 passage", "3 passages"): where ``<key>_one`` exists, it is the message when the count is 1."""
    found = messages(lang)
    text = found[key]
    if f"{key}_one" in found and _count(text, values) == 1:
        text = found[f"{key}_one"]
    return text.format(**values)


def _count(template: str, values: dict[str, object]) -> int | None:
    """A message's count, by convention its first placeholder given a whole number: the callers pass
    counts under their own names (``passages``, ``answered``), so the message says which one counts."""
    for _, name, _, _ in string.Formatter().parse(template):
        value = values.get(name) if name else None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def date_text(day: dt.date, lang: Language) -> str:
    """A date as people write it: 31-12-2026 in Dutch, ISO (2026-12-31) in English. One place, so the
    pages (whose date fields take the same form), the exports and the command line write dates alike."""
    return day.strftime("%d-%m-%Y") if lang == "nl" else day.isoformat()


def moment_text(moment: dt.datetime, lang: Language) -> str:
    """A moment in the local time of the machine SLIM runs on, its date as ``date_text`` writes it:
    28-11-2026, 11:12 in Dutch, 2026-11-28, 11:12 in English (stored moments are ISO times in UTC)."""
    local = moment.astimezone()
    return f"{date_text(local.date(), lang)}, {local:%H:%M}"


def decimal_text(value: float, lang: Language, places: int = 1) -> str:
    """A figure with ``places`` decimals, with a decimal comma in Dutch (2,25) and a point in English (2.25)."""
    text = f"{value:.{places}f}"
    return text.replace(".", ",") if lang == "nl" else text


_FUNCTION_WORDS: dict[Language, frozenset[str]] = {
    "nl": frozenset(
        [
            "de",
            "het",
            "een",
            "en",
            "van",
            "in",
            "op",
            "is",
            "zijn",
            "wat",
            "welke",
            "wie",
            "hoe",
            "waarom",
            "wanneer",
            "waar",
            "er",
            "dat",
            "die",
            "niet",
            "met",
            "voor",
            "ook",
            "aan",
            "bij",
            "naar",
            "over",
            "dit",
            "deze",
            "wordt",
            "worden",
            "kan",
            "je",
            "ik",
            "we",
            "hoeveel",
        ]
    ),
    "en": frozenset(
        [
            "the",
            "a",
            "an",
            "and",
            "of",
            "in",
            "on",
            "is",
            "are",
            "what",
            "which",
            "who",
            "how",
            "why",
            "when",
            "where",
            "there",
            "that",
            "this",
            "not",
            "with",
            "for",
            "also",
            "to",
            "at",
            "about",
            "was",
            "were",
            "does",
            "do",
            "did",
            "can",
            "you",
            "i",
            "we",
            "many",
            "much",
            "report",
        ]
    ),
}


# The end of a contracted word ("what's", "don't", "we're", "zo'n"): the word before it tells the language.
_CONTRACTION = re.compile(r"(n['’]t|['’](s|re|ll|ve|d|m|n))$", re.IGNORECASE)


def _language_words(text: str) -> list[str]:
    """The words that tell the language: a capitalised word inside a sentence is a name's ("How many
    organisations take part in De STAP naar gezonder?"), and a name is the same in any language. A line
    starts a sentence (a list item, a title)."""
    out = []
    for line in text.splitlines():
        starts = True
        for raw in line.split():
            word = raw.strip(".,;:!?()'\"“”‘’")
            if not any(ch.isalpha() for ch in word):  # a bullet, a number: the sentence has not started
                continue
            word = _CONTRACTION.sub("", word)  # "what's" counts as "what", "don't" as "do", "I'm" as "I"
            if not word[0].isupper() or word == "I" or starts or raw.startswith(('"', "“", "‘")):
                out.append(word)
            starts = raw.rstrip("\"'”’)").endswith((".", "!", "?", ":"))
    return out


def detect_language(text: str, default: Language = "nl") -> Language:
    """Dutch or English, by counting common function words (names left out): enough for questions and
    short answers."""
    words = [w.lower() for w in _language_words(text)]
    counts = {lang: sum(w in vocab for w in words) for lang, vocab in _FUNCTION_WORDS.items()}
    if counts["en"] > counts["nl"]:
        return "en"
    if counts["nl"] > counts["en"]:
        return "nl"
    return default
