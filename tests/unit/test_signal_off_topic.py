"""Answers about something else entirely (``prompts/coaching/special/off-topic.yaml``): validated on load, and an answer
most like them gets the theme's neutral reply after a word on its kind (the general one unless a kind is clearly
the closest), while "andere invalshoek" still offers only real signals.

The embeddings are fakes of our own (directions for off-topic examples and everything else), so the tests are
about SLIM's choosing logic; how well e5 separates such answers is measured by ``slim eval reflections``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from assistant.coaching import MAX_REFLECTION_WORDS, OffTopic, coaching_bank
from assistant.embeddings import SlimEmbeddings
from assistant.reflection.signals import NONE, SignalChooser

PROMPTS = Path(__file__).resolve().parents[2] / "prompts"


class TwoWays(SlimEmbeddings):
    """The bank's off-topic examples (and ``elsewhere``) point one way, every other text the other way; with
    ``apart``, those texts point straight that way and the rest of the off-topic examples a little aside."""

    name, dim = "two-ways", 3

    def __init__(self, elsewhere: set[str], apart: set[str] = frozenset()) -> None:
        self.elsewhere, self.apart = elsewhere, apart

    def embed_query_array(self, text: str) -> np.ndarray:
        if text in self.apart or (text in self.elsewhere and not self.apart):
            return np.array([1.0, 0.0, 0.0], dtype=np.float32)
        if text in self.elsewhere:
            return np.array([0.8, 0.0, 0.6], dtype=np.float32)
        return np.array([0.0, 1.0, 0.0], dtype=np.float32)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([self.embed_query_array(t) for t in texts])


def off_topic_examples(kind: str | None = None) -> set[str]:
    off_topic = coaching_bank(PROMPTS).off_topic
    assert off_topic is not None
    return {t for k in off_topic.kinds if kind in (None, k.id) for t in k.examples.nl + k.examples.en}


@pytest.fixture
def chooser() -> SignalChooser:
    return SignalChooser(coaching_bank(PROMPTS), TwoWays(off_topic_examples()))


def test_the_bank_has_off_topic_kinds_in_both_languages() -> None:
    off_topic = coaching_bank(PROMPTS).off_topic
    assert off_topic is not None and {"privacy", "later", off_topic.fallback} <= {k.id for k in off_topic.kinds}
    assert sum(len(k.examples.nl) for k in off_topic.kinds) >= 12 <= sum(len(k.examples.en) for k in off_topic.kinds)


def test_a_word_on_something_else_and_any_neutral_reply_fit_in_one_reflection() -> None:
    """The word on an off-topic answer is said before the theme's neutral reply: together within the limit
    the checks hold every reflection to, in both languages, also the word for a model outside this computer."""
    bank = coaching_bank(PROMPTS)
    assert bank.off_topic is not None
    for kind in bank.off_topic.kinds:
        for theme in bank.themes.values():
            for role in theme.roles.values():
                for lang in ("nl", "en"):
                    for local in (True, False):
                        text = f"{kind.text(lang, local)} {role.neutral.reflection(lang)}"
                        assert len(text.split()) <= MAX_REFLECTION_WORDS, text


KIND = {"id": "later", "examples": {"nl": ["a", "b", "c"], "en": ["a", "b", "c"]}, "aside": {"nl": "x", "en": "y"}}


@pytest.mark.parametrize(
    "data",
    [
        {"kinds": [KIND], "fallback": "later", "theme": "cultuur"},  # unknown key
        {"kinds": [{**KIND, "examples": {"nl": ["a", "b"], "en": ["a", "b", "c"]}}], "fallback": "later"},
        {"kinds": [{**KIND, "examples": {"nl": ["a", "b", "c"]}}], "fallback": "later"},  # no English
        {"kinds": [KIND], "fallback": "privacy"},  # the fallback is no kind
        {"kinds": [KIND, KIND], "fallback": "later"},  # a kind twice
        {"kinds": [{**KIND, "aside": {"nl": "x"}}], "fallback": "later"},  # a word in one language
    ],
    ids=["extra-key", "too-few", "one-language", "unknown-fallback", "repeated-kind", "aside-one-language"],
)
def test_a_malformed_off_topic_file_is_refused_on_load(data: dict) -> None:
    with pytest.raises(ValidationError):
        OffTopic.model_validate(data)


def test_an_answer_most_like_the_off_topic_examples_gets_the_neutral_reply(chooser: SignalChooser) -> None:
    answer = sorted(off_topic_examples("privacy"))[0]
    choice = chooser.choose(answer, "", "cultuur", "board", None, use_model=False)
    assert choice.chosen is None
    signals = {s.id for s in chooser.bank.signals("cultuur", "board")}
    assert NONE not in choice.ranked and set(choice.ranked) == signals  # other angles: real signals only
    assert choice.aside == chooser.bank.off_topic.fallback  # type: ignore[union-attr]  # every kind as close


def test_a_kind_clearly_the_closest_gets_its_own_word() -> None:
    chooser = SignalChooser(coaching_bank(PROMPTS), TwoWays(off_topic_examples(), apart=off_topic_examples("privacy")))
    answer = sorted(off_topic_examples("privacy"))[0]
    assert chooser.choose(answer, "", "cultuur", "board", None, use_model=False).aside == "privacy"


def test_an_answer_like_a_signal_still_gets_a_signal(chooser: SignalChooser) -> None:
    choice = chooser.choose("Bij ons mag je fouten maken.", "", "cultuur", "board", None, use_model=False)
    assert choice.chosen in {s.id for s in chooser.bank.signals("cultuur", "board")}
    assert NONE not in choice.ranked and choice.aside is None
