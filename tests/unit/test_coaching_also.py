"""The coaching bank's second curated passage (``also``): validated on load, resolving to a passage of its
own section on the real report text, and cited as [2] with its line, within the checks' word limit.

The report's passages come from the real loader and chunker (``CorpusPassages``), no index or model."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import pytest
from pydantic import ValidationError

from assistant.coaching import Reply, Signal, coaching_bank
from assistant.config import PROJECT_ROOT, Settings
from assistant.prompts import question_bank, reflection_prompts
from assistant.reflection import nodes
from assistant.reflection.checks import MAX_WORDS, word_count
from assistant.reflection.nodes import Context
from assistant.reflection.state import ReflectionState
from tests.helpers.corpus_passages import corpus_passages

PROMPTS = PROJECT_ROOT / "prompts"


def _replies():
    """(theme, role, id, reply) for every reply of the bank that names a second passage."""
    bank = coaching_bank(PROMPTS)
    for theme_id, theme in bank.themes.items():
        for role, role_bank in theme.roles.items():
            for reply in [role_bank.neutral, *role_bank.signals]:
                if reply.also is not None:
                    yield theme_id, role, getattr(reply, "id", "neutral"), reply


def _squashed(text: str) -> str:
    return " ".join(text.lower().split())


def test_every_second_passage_resolves_to_another_passage_of_its_section() -> None:
    passages = corpus_passages()
    replies = list(_replies())
    assert len(replies) >= 50  # the bank names its second places broadly, not for a handful of signals
    for theme_id, role, signal_id, reply in replies:
        first = passages.passage_with(reply.passage.section, reply.passage.phrase)
        second = passages.passage_with(reply.also.section, reply.also.phrase)
        assert second is not None, (theme_id, role, signal_id, reply.also)
        assert second.section == reply.also.section or second.section.startswith(reply.also.section + ".")
        assert _squashed(reply.also.phrase) in _squashed(second.text)
        assert first is not None and second.chunk_id != first.chunk_id, (theme_id, role, signal_id)


def test_every_text_with_its_second_passage_line_stays_within_the_word_limit() -> None:
    prompts = reflection_prompts(PROMPTS)
    for theme_id, role, signal_id, reply in _replies():
        for lang in ("nl", "en"):
            text = f"{reply.reflection(lang)} {prompts[lang].also.format(n=2)}"
            assert word_count(text) <= MAX_WORDS, (theme_id, role, signal_id, lang)


REPLY = {
    "reflection": {"nl": "Je ziet het doel als richting [1].", "en": "You see the goal as a direction [1]."},
    "passage": {"section": "3.2", "phrase": "De geformuleerde doelstelling is hetgeen de partners bindt"},
    "followup": {"nl": "Waarom?", "en": "Why?"},
}


@pytest.mark.parametrize(
    "also",
    [
        {"section": "7.1.1", "phrase": "Een gezamenlijk doel verbindt het netwerk", "page": 3},  # unknown key
        {"section": "7.1.1"},  # no phrase
        {"section": "7.1.1", "phrase": "te kort"},  # a phrase too short to single a passage out
        REPLY["passage"],  # the reply's own passage again
    ],
    ids=["extra-key", "no-phrase", "short-phrase", "same-as-first"],
)
def test_a_malformed_second_passage_is_refused_on_load(also: dict) -> None:
    with pytest.raises(ValidationError):
        Reply.model_validate({**REPLY, "also": also})


def test_a_reply_without_a_second_passage_is_valid() -> None:
    assert Reply.model_validate(REPLY).also is None


@pytest.fixture
def context(tmp_path) -> Context:
    settings = Settings(data_dir=tmp_path)
    passages = corpus_passages()
    return Context(
        settings=settings,
        llm=None,  # type: ignore[arg-type]  # the bank's reply needs no model
        bank=question_bank(PROMPTS),
        prompts=reflection_prompts(PROMPTS),
        report=passages,  # type: ignore[arg-type]
        person=passages,  # type: ignore[arg-type]
        coach=SimpleNamespace(bank=coaching_bank(PROMPTS)),  # type: ignore[arg-type]
    )


def _state(theme: str, role: str, lang: str) -> ReflectionState:
    return {"role": role, "lang": lang, "mode": "guided", "themes": [theme], "theme_index": 0}  # type: ignore[typeddict-item]


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_banks_reply_cites_its_second_passage_as_2_with_its_line(context: Context, lang: str) -> None:
    theme, role, signal_id, reply = next(r for r in _replies() if r[3].passage.section != r[3].also.section)
    text, citations, followup = nodes._bank_reply(context, _state(theme, role, lang), signal_id)
    line = context.prompts[lang].also.format(n=2)
    assert text == f"{reply.reflection(lang)} {line}" and followup == reply.followup(lang)
    first, second = citations
    assert (first.n, second.n) == (1, 2)
    assert second.section.startswith(reply.also.section) and _squashed(reply.also.phrase) in _squashed(second.text)
    assert word_count(text) <= MAX_WORDS


def test_a_reply_that_would_grow_past_the_word_limit_keeps_only_its_own_passage(context: Context) -> None:
    theme, role, signal_id, reply = next(_replies())
    bank = context.coach.bank  # type: ignore[union-attr]
    long = " ".join(["woord"] * (MAX_WORDS - 3)) + " [1]."
    padded = reply.model_copy(update={"reflection": reply.reflection.model_copy(update={"nl": long})})
    signals = [padded if getattr(s, "id", None) == signal_id else s for s in bank.signals(theme, role)]
    role_bank = bank.themes[theme].roles[role].model_copy(update={"signals": signals})
    theme_bank = bank.themes[theme].model_copy(update={"roles": {**bank.themes[theme].roles, role: role_bank}})
    changed = bank.model_copy(update={"themes": {**bank.themes, theme: theme_bank}})
    changed_context = replace(context, coach=SimpleNamespace(bank=changed))
    text, citations, _ = nodes._bank_reply(changed_context, _state(theme, role, "nl"), signal_id)
    assert text == long and [c.n for c in citations] == [1]


def test_a_signal_without_a_second_passage_cites_one(context: Context) -> None:
    bank = context.coach.bank  # type: ignore[union-attr]
    theme, role, signal = next(
        (t, r, s) for t, tb in bank.themes.items() for r, rb in tb.roles.items() for s in rb.signals if s.also is None
    )
    assert isinstance(signal, Signal)
    text, citations, _ = nodes._bank_reply(context, _state(theme, role, "nl"), signal.id)
    assert text == signal.reflection("nl") and [c.n for c in citations] == [1]
