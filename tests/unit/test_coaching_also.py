"""The coaching bank's other curated places (``also``, one or two): validated on load, each resolving to a
passage of its own section on the real report text, and cited as [2] (and [3]) with their line, within the
checks' word limit.

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
from assistant.reflection.checks import MAX_WORDS, reflection_faults, word_count
from assistant.reflection.nodes import Context
from assistant.reflection.state import ReflectionState
from tests.helpers.corpus_passages import corpus_passages

PROMPTS = PROJECT_ROOT / "prompts"


def _replies():
    """(theme, role, id, reply) for every reply of the bank that names another place."""
    bank = coaching_bank(PROMPTS)
    for theme_id, theme in bank.themes.items():
        for role, role_bank in theme.roles.items():
            for reply in [role_bank.neutral, *role_bank.signals]:
                if reply.also:
                    yield theme_id, role, getattr(reply, "id", "neutral"), reply


def _squashed(text: str) -> str:
    return " ".join(text.lower().split())


def test_every_other_place_resolves_to_another_passage_of_its_section() -> None:
    passages = corpus_passages()
    replies = list(_replies())
    assert len(replies) >= 50  # the bank names its second places broadly, not for a handful of signals
    assert any(len(reply.also) == 2 for *_, reply in replies)  # and a third where the report says it again
    for theme_id, role, signal_id, reply in replies:
        first = passages.passage_with(reply.passage.section, reply.passage.phrase)
        assert first is not None, (theme_id, role, signal_id)
        seen = [first.chunk_id]
        for place in reply.also:
            found = passages.passage_with(place.section, place.phrase)
            assert found is not None, (theme_id, role, signal_id, place)
            assert found.section == place.section or found.section.startswith(place.section + ".")
            assert _squashed(place.phrase) in _squashed(found.text)
            assert found.chunk_id not in seen, (theme_id, role, signal_id, place)
            seen.append(found.chunk_id)


def _line(lang: str, places: int) -> str:
    texts = reflection_prompts(PROMPTS)[lang]
    return texts.also.format(n=2) if places == 1 else texts.also_two.format(n=2, m=3)


def test_every_text_with_its_places_line_stays_within_the_word_limit() -> None:
    for theme_id, role, signal_id, reply in _replies():
        for lang in ("nl", "en"):
            text = f"{reply.reflection(lang)} {_line(lang, len(reply.also))}"
            assert word_count(text) <= MAX_WORDS, (theme_id, role, signal_id, lang)


REPLY = {
    "reflection": {"nl": "Je ziet het doel als richting [1].", "en": "You see the goal as a direction [1]."},
    "passage": {"section": "3.2", "phrase": "De geformuleerde doelstelling is hetgeen de partners bindt"},
    "followup": {"nl": "Waarom?", "en": "Why?"},
}
OTHER = {"section": "7.1.1", "phrase": "Een gezamenlijk doel verbindt het netwerk"}
THIRD = {"section": "5.2", "phrase": "een gezamenlijk doel op de lange termijn"}


@pytest.mark.parametrize(
    "also",
    [
        {"section": "7.1.1", "phrase": "Een gezamenlijk doel verbindt het netwerk", "page": 3},  # unknown key
        {"section": "7.1.1"},  # no phrase
        {"section": "7.1.1", "phrase": "te kort"},  # a phrase too short to single a passage out
        REPLY["passage"],  # the reply's own passage again
        [OTHER, OTHER],  # the same place twice
        [OTHER, THIRD, {"section": "7.2", "phrase": "Blijf het proces van leren en veranderen"}],  # three more
        [OTHER, {**THIRD, "page": 3}],  # an unknown key in the second of two
    ],
    ids=["extra-key", "no-phrase", "short-phrase", "same-as-first", "twice", "three", "extra-key-in-list"],
)
def test_a_malformed_other_place_is_refused_on_load(also: dict | list) -> None:
    with pytest.raises(ValidationError):
        Reply.model_validate({**REPLY, "also": also})


def test_a_reply_without_other_places_is_valid() -> None:
    assert Reply.model_validate(REPLY).also == []


def test_one_place_may_be_written_as_a_mapping_two_as_a_list() -> None:
    assert [p.section for p in Reply.model_validate({**REPLY, "also": OTHER}).also] == ["7.1.1"]
    assert [p.section for p in Reply.model_validate({**REPLY, "also": [OTHER, THIRD]}).also] == ["7.1.1", "5.2"]


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
@pytest.mark.parametrize("places", [1, 2])
def test_the_banks_reply_cites_its_other_places_as_2_and_3_with_their_line(
    context: Context, lang: str, places: int
) -> None:
    theme, role, signal_id, reply = next(r for r in _replies() if len(r[3].also) == places)
    text, citations, followup = nodes._bank_reply(context, _state(theme, role, lang), signal_id)
    assert text == f"{reply.reflection(lang)} {_line(lang, places)}" and followup == reply.followup(lang)
    assert [c.n for c in citations] == list(range(1, places + 2))
    for place, cited in zip(reply.also, citations[1:], strict=True):
        assert cited.section.startswith(place.section) and _squashed(place.phrase) in _squashed(cited.text)
    assert all(f"[{c.n}]" in text for c in citations) and word_count(text) <= MAX_WORDS


def _with_dutch_text(context: Context, theme: str, role: str, signal_id: str, reply: Reply, text: str) -> Context:
    """The context with one reply's Dutch text replaced (the bank is frozen: copied, not changed)."""
    bank = context.coach.bank  # type: ignore[union-attr]
    padded = reply.model_copy(update={"reflection": reply.reflection.model_copy(update={"nl": text})})
    signals = [padded if getattr(s, "id", None) == signal_id else s for s in bank.signals(theme, role)]
    role_bank = bank.themes[theme].roles[role].model_copy(update={"signals": signals})
    theme_bank = bank.themes[theme].model_copy(update={"roles": {**bank.themes[theme].roles, role: role_bank}})
    changed = bank.model_copy(update={"themes": {**bank.themes, theme: theme_bank}})
    return replace(context, coach=SimpleNamespace(bank=changed))


def test_a_reply_that_would_grow_past_the_word_limit_keeps_only_its_own_passage(context: Context) -> None:
    theme, role, signal_id, reply = next(_replies())
    long = " ".join(["woord"] * (MAX_WORDS - 3)) + " [1]."
    changed_context = _with_dutch_text(context, theme, role, signal_id, reply, long)
    text, citations, _ = nodes._bank_reply(changed_context, _state(theme, role, "nl"), signal_id)
    assert text == long and [c.n for c in citations] == [1]


def test_a_signal_without_a_second_passage_cites_one(context: Context) -> None:
    bank = context.coach.bank  # type: ignore[union-attr]
    theme, role, signal = next(
        (t, r, s) for t, tb in bank.themes.items() for r, rb in tb.roles.items() for s in rb.signals if not s.also
    )
    assert isinstance(signal, Signal)
    text, citations, _ = nodes._bank_reply(context, _state(theme, role, "nl"), signal.id)
    assert text == signal.reflection("nl") and [c.n for c in citations] == [1]


def test_a_reply_whose_two_places_would_not_fit_keeps_the_first_that_does(context: Context) -> None:
    theme, role, signal_id, reply = next(r for r in _replies() if len(r[3].also) == 2)
    long = " ".join(["woord"] * (MAX_WORDS - word_count(_line("nl", 1)) - 1)) + " [1]."
    assert word_count(f"{long} {_line('nl', 1)}") <= MAX_WORDS < word_count(f"{long} {_line('nl', 2)}")
    changed_context = _with_dutch_text(context, theme, role, signal_id, reply, long)
    text, citations, _ = nodes._bank_reply(changed_context, _state(theme, role, "nl"), signal_id)
    assert text == f"{long} {_line('nl', 1)}" and [c.n for c in citations] == [1, 2]
    assert _squashed(reply.also[0].phrase) in _squashed(citations[1].text)


def test_every_bank_text_with_its_places_passes_the_checks_for_each_of_its_questions() -> None:
    """A bank text is shown only as it is: one that echoed its own question (the check counts most of the
    question's words in one sentence) would be unclean whenever its signal is chosen."""
    bank, questions = coaching_bank(PROMPTS), question_bank(PROMPTS)
    for theme_id, theme in bank.themes.items():
        for role, role_bank in theme.roles.items():
            asked = {q.id: q for q in questions.themes[theme_id].questions[role]}
            for reply in [role_bank.neutral, *role_bank.signals]:
                name, cited = getattr(reply, "id", "neutral"), list(range(1, len(reply.also) + 2))
                for question_id in getattr(reply, "questions", list(asked)):
                    for lang in ("nl", "en"):
                        text = reply.reflection(lang) + (f" {_line(lang, len(reply.also))}" if reply.also else "")
                        faults = reflection_faults(text, lang, asked[question_id].text(lang), "", cited)
                        assert faults == [], (theme_id, role, name, question_id, lang, faults)


def test_the_passage_the_question_rests_on_is_cited_where_a_place_is_left(context: Context) -> None:
    """After the reply's own places, the passage the theme's question rests on (``Question.passage``) is named
    as the next place, within the word limit; never as a second copy of a passage already cited."""
    bank, questions = context.coach.bank, question_bank(PROMPTS)  # type: ignore[union-attr]
    added = same = 0
    for theme_id, theme in bank.themes.items():
        for role in theme.roles:
            asked = questions.themes[theme_id].questions[role][0].passage
            assert asked is not None
            for reply in [bank.neutral(theme_id, role), *bank.signals(theme_id, role)]:
                signal_id = getattr(reply, "id", None)
                if signal_id is not None and questions.themes[theme_id].questions[role][0].id not in reply.questions:
                    continue
                text, citations, _ = nodes._bank_reply(context, _state(theme_id, role, "nl"), signal_id)
                holds = [_squashed(asked.phrase) in _squashed(c.text) for c in citations]
                assert sum(holds) <= 1 and word_count(text) <= MAX_WORDS and len(citations) <= 3
                texts = {_squashed(c.text) for c in citations}
                assert len(texts) == len(citations)  # every place once
                if holds[-1] and not holds[0] and len(citations) == len(reply.also) + 2:
                    added += 1
                same += holds[0]
    assert added >= 40  # named broadly, not for a handful of replies
