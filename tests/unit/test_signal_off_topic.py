"""Answers about something else entirely (``prompts/coaching/special/off-topic.yaml``): validated on load, and an answer
most like them gets the theme's neutral reply, while "andere invalshoek" still offers only real signals.

The embeddings are a fake of our own (two directions: off-topic examples and everything else), so the test is
about SLIM's choosing logic; how well e5 separates such answers is measured by ``slim eval reflections``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from assistant.coaching import OffTopic, coaching_bank
from assistant.embeddings import SlimEmbeddings
from assistant.reflection.signals import NONE, SignalChooser

PROMPTS = Path(__file__).resolve().parents[2] / "prompts"


class TwoWays(SlimEmbeddings):
    """The bank's off-topic examples (and ``elsewhere``) point one way, every other text the other way."""

    name, dim = "two-ways", 2

    def __init__(self, elsewhere: set[str]) -> None:
        self.elsewhere = elsewhere

    def embed_query_array(self, text: str) -> np.ndarray:
        return np.array([1.0, 0.0] if text in self.elsewhere else [0.0, 1.0], dtype=np.float32)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([self.embed_query_array(t) for t in texts])


@pytest.fixture
def chooser() -> SignalChooser:
    bank = coaching_bank(PROMPTS)
    assert bank.off_topic is not None
    return SignalChooser(bank, TwoWays({*bank.off_topic.nl, *bank.off_topic.en}))


def test_the_bank_has_off_topic_examples_in_both_languages() -> None:
    off_topic = coaching_bank(PROMPTS).off_topic
    assert off_topic is not None and len(off_topic.nl) >= 8 and len(off_topic.en) >= 8


@pytest.mark.parametrize(
    "data",
    [
        {"examples": {"nl": ["a", "b", "c"], "en": ["a", "b", "c"]}, "theme": "cultuur"},  # unknown key
        {"examples": {"nl": ["a", "b"], "en": ["a", "b", "c"]}},  # too few in one language
        {"examples": {"nl": ["a", "b", "c"]}},  # no English
    ],
    ids=["extra-key", "too-few", "one-language"],
)
def test_a_malformed_off_topic_file_is_refused_on_load(data: dict) -> None:
    with pytest.raises(ValidationError):
        OffTopic.model_validate(data)


def test_an_answer_most_like_the_off_topic_examples_gets_the_neutral_reply(chooser: SignalChooser) -> None:
    answer = chooser.bank.off_topic.nl[0]  # type: ignore[union-attr]
    choice = chooser.choose(answer, "", "cultuur", "board", None, use_model=False)
    assert choice.chosen is None
    signals = {s.id for s in chooser.bank.signals("cultuur", "board")}
    assert NONE not in choice.ranked and set(choice.ranked) == signals  # other angles: real signals only


def test_an_answer_like_a_signal_still_gets_a_signal(chooser: SignalChooser) -> None:
    choice = chooser.choose("Bij ons mag je fouten maken.", "", "cultuur", "board", None, use_model=False)
    assert choice.chosen in {s.id for s in chooser.bank.signals("cultuur", "board")}
    assert NONE not in choice.ranked
