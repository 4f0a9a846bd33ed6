"""Every message exists in Dutch and English with the same placeholders."""

from __future__ import annotations

import string

from assistant.i18n import messages


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_dutch_and_english_have_the_same_keys_and_placeholders() -> None:
    nl, en = messages("nl"), messages("en")
    assert set(nl) == set(en)
    for key in nl:
        assert _fields(nl[key]) == _fields(en[key]), key
        assert nl[key].strip() and en[key].strip(), key
