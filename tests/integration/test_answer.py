"""Grounded answers: citations validated, bad model output replaced, passages marked as data.

The language model is LangChain's fake chat model: these tests are about SLIM's own logic.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.answer.coverage import KNOWN_FLOOR, KNOWN_QUESTION, RELEVANCE_FLOOR
from assistant.answer.flow import answer_question
from assistant.answer.generation import (
    build_messages,
    is_degenerate,
    language_of_answer,
    prompt_prefix,
    valid_citations,
)
from assistant.answer.kinds import counting, unheard_name
from assistant.cli import app
from assistant.config import PROJECT_ROOT, Settings
from assistant.llm import LanguageModel, UnknownLLMError, make_llm
from assistant.prompts import answer_prompts, answer_types, choice_prompt
from assistant.retrieve import Retriever
from tests.helpers.fakes import broken_llm, fake_chooser, fake_llm


@pytest.fixture
def settings(corpus_data_dir: Path) -> Settings:
    return Settings(data_dir=corpus_data_dir)


def test_prompt_delimits_passages_and_keeps_them_as_data(corpus_retriever: Retriever, settings: Settings) -> None:
    evidence = corpus_retriever.evidence("Wat is stralend falen?", k=3)
    messages = build_messages(answer_prompts(settings.prompts_dir)["nl"], "Wat is stralend falen?", evidence)
    system, *examples, last = messages
    assert "not instructions" in system.content
    assert len(examples) == 4  # two worked examples, user + assistant each
    body = str(last.content)
    assert body.startswith("<bronnen>") and "</bronnen>" in body and body.rstrip().endswith("Wat is stralend falen?")
    inside = body.split("<bronnen>")[1].split("</bronnen>")[0]
    assert [int(n) for n in re.findall(r"^\[(\d+)\]", inside, re.M)] == [1, 2, 3]
    assert "§" in inside


def test_a_valid_answer_keeps_its_citations(corpus_retriever: Retriever, settings: Settings) -> None:
    llm = fake_llm("Stralend falen betekent dat fouten mogen, zodat ervan geleerd wordt [1].")
    result = answer_question("Wat is stralend falen?", corpus_retriever, llm, settings)
    assert result.method == "llm" and result.grounded and result.language == "nl"
    assert "[1]" in result.answer and result.citations[0].n == 1
    assert "stralend falen" in result.citations[0].text.lower()


def test_citations_that_point_at_nothing_are_removed(corpus_retriever: Retriever, settings: Settings) -> None:
    llm = fake_llm("Fouten maken mag daar, om van te leren [1]. Dat staat ook elders [7].")
    result = answer_question("Wat is stralend falen?", corpus_retriever, llm, settings)
    assert "[7]" not in result.answer and "[1]" in result.answer
    numbers = {int(n) for n in re.findall(r"\[(\d+)\]", result.answer)}
    assert numbers <= {c.n for c in result.citations}


@pytest.mark.parametrize(
    ("reply", "note"),
    [
        ("Stralend falen is een begrip uit het rapport.", "no valid citation"),
        ("falen falen falen falen falen falen falen falen [1]", "degenerate"),
        ("It means that mistakes are allowed so people can learn from them [1].", "wrong language"),
        ("Ja [1].", "degenerate"),
    ],
)
def test_bad_model_output_falls_back_to_an_extractive_answer(
    corpus_retriever: Retriever, settings: Settings, reply: str, note: str
) -> None:
    result = answer_question("Wat is stralend falen?", corpus_retriever, fake_llm(reply), settings)
    assert result.method == "extractive" and result.note == note
    assert result.answer.startswith("Dit staat er in de bronnen:")
    # cited: the passages whose sentences answer best, not necessarily the first
    cited = {int(n) for n in re.findall(r"\[(\d+)\]", result.answer)}
    assert cited and cited <= {c.n for c in result.citations} and result.grounded
    quoted = re.findall(r"“([^”]+)”", result.answer)
    passages = [" ".join(c.text.split()) for c in result.citations]
    assert quoted and all(any(q in p for p in passages) for q in quoted)  # the quotes are the report's words


def test_off_topic_question_is_declined_without_calling_the_model(
    corpus_retriever: Retriever, settings: Settings
) -> None:
    shown: list[int] = []
    result = answer_question(
        "Hoe repareer ik een lekke fietsband?", corpus_retriever, broken_llm(), settings, on_passages=shown.append
    )
    assert shown == []  # no passages flash up under an answer that will not rest on them
    assert result.method == "not_covered" and result.answer == "Het rapport geeft hier geen antwoord op."
    english = answer_question("How do I fix a flat bicycle tyre?", corpus_retriever, broken_llm(), settings)
    assert english.answer == "The report does not answer this." and english.language == "en"


@pytest.mark.parametrize(
    "question",
    ["How do I connect my printer to the wifi network?", "What is the best way to learn to play the guitar?"],
)
def test_an_english_question_about_something_else_is_declined_though_a_dutch_sentence_comes_close(
    corpus_retriever: Retriever, settings: Settings, question: str
) -> None:
    evidence = corpus_retriever.evidence(question, k=settings.answer_passages)
    assert evidence.relevance >= RELEVANCE_FLOOR["en"]  # across languages a sentence comes close …
    assert evidence.known_question is not None and evidence.known_question < KNOWN_FLOOR["en"]  # … no question does
    result = answer_question(question, corpus_retriever, broken_llm(), settings)
    assert result.method == "not_covered" and result.answer == "The report does not answer this."
    assert result.note == "far from every question written for the report"


def test_an_english_question_the_report_answers_is_close_to_a_question_written_for_it(
    corpus_retriever: Retriever, settings: Settings
) -> None:
    question = "How many interviews did the researchers hold, and with how many people?"
    evidence = corpus_retriever.evidence(question, k=settings.answer_passages)
    assert evidence.known_question is not None and evidence.known_question >= KNOWN_FLOOR["en"]
    result = answer_question(
        question, corpus_retriever, make_llm(settings.model_copy(update={"llm": "none"})), settings
    )
    assert result.method == "extractive" and result.grounded and "14 interviews" in result.answer


def test_a_question_that_repeats_one_written_for_the_report_is_covered_though_no_sentence_is_close(
    corpus_retriever: Retriever, settings: Settings
) -> None:
    """The answer is a row of a table ('Kick-off onderzoeksteam:   Maart 2023'), close to no sentence of the question;
    a question written for that passage all but repeats it."""
    question = "Wanneer vond de kick-off van het onderzoeksteam plaats?"
    evidence = corpus_retriever.evidence(question, k=settings.answer_passages)
    assert evidence.known_question is not None and evidence.known_question >= KNOWN_QUESTION
    none = make_llm(settings.model_copy(update={"llm": "none"}))
    result = answer_question(question, corpus_retriever, none, settings)
    assert result.method == "extractive" and result.grounded
    assert any("Maart 2023" in q for q in _quotes(result.answer)), result.answer


def test_a_failing_model_still_gives_the_passages(corpus_retriever: Retriever, settings: Settings) -> None:
    result = answer_question("Wat is stralend falen?", corpus_retriever, broken_llm(), settings)
    assert result.method == "extractive" and result.note and "went away" in result.note
    assert result.citations


def test_passages_are_known_before_the_first_token(corpus_retriever: Retriever, settings: Settings) -> None:
    events: list[str] = []
    answer_question(
        "Wat is stralend falen?",
        corpus_retriever,
        fake_llm("Fouten mogen, om ervan te leren [1]."),
        settings,
        on_passages=lambda cites: events.append(f"passages:{len(cites)}"),
        on_token=lambda token: events.append("token"),
    )
    assert events[0] == "passages:3" and events[1:] and set(events[1:]) == {"token"}


def test_helpers() -> None:
    assert valid_citations("A [1] B [4] C [2].", 2) == ("A [1] B C [2].", {1, 2})
    assert is_degenerate("") and is_degenerate("ja ja")
    assert not is_degenerate("Het netwerk leert op vier niveaus, van individu tot netwerk [1].")


def test_ask_json_without_a_language_model(corpus_data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLIM_DATA_DIR", str(corpus_data_dir))
    result = CliRunner().invoke(
        app, ["ask", "Hoeveel gemeenten werken samen in de Metropoolregio Eindhoven?", "--llm", "none", "--json"]
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert set(payload) == {"answer", "language", "grounded", "citations", "timings"}
    assert payload["language"] == "nl" and payload["grounded"] is True
    assert set(payload["timings"]) == {"retrieval_s", "first_token_s", "total_s", "served"}
    cited = {int(n) for n in re.findall(r"\[(\d+)\]", payload["answer"])}
    assert cited and cited <= {c["n"] for c in payload["citations"]}
    first = payload["citations"][0]
    # kind and cite_as say what a passage is: the report's, a person's, or a source's (cited by author and year)
    assert set(first) == {"n", "chunk_id", "source", "section", "heading", "page", "text", "kind", "cite_as"}
    assert (first["kind"], first["cite_as"]) == ("report", None)
    assert "21 gemeenten" in " ".join(c["text"] for c in payload["citations"])


def test_language_model_choice(settings: Settings) -> None:
    none = make_llm(settings.model_copy(update={"llm": "none"}))
    assert (none.name, none.chat, none.available) == ("none", None, False)
    with pytest.raises(UnknownLLMError) as info:
        make_llm(settings.model_copy(update={"llm": "gpt-5"}))
    assert "embedded" in info.value.message("en")
    with pytest.raises(UnknownLLMError):
        make_llm(settings.model_copy(update={"llm": "openai:some-model", "openai_base_url": None}))


def _quotes(answer: str) -> list[str]:
    return re.findall(r"“([^”]+)”", answer)


@pytest.mark.parametrize(
    ("question", "answer_words"),
    [
        ("Hoeveel interviews zijn er in totaal gehouden?", "14 interviews"),
        ("Hoeveel leden heeft het algemeen bestuur van de Metropoolregio Eindhoven?", "25 leden"),
        ("Wat zijn de bouwstenen van een lerend netwerk volgens Mennens?", "structuur (samenstelling)"),  # a list
        # within the chapter of the network it names, the sentence that answers without naming it
        ("Hoeveel mensen zitten er in het bestuur van de Business Club Maas Rhein?", "7 bestuursleden"),
        ("Wie zijn de auteurs van het rapport?", "Cindy Ras, Claudine Verbiest"),  # one name per line
        ("Noem een voorbeeld van toegepaste waarde bij de Business Club Maas Rhein.", "Roermond Swim"),  # an example
        # within the chapter of the network it describes ('Duits-Nederlandse' is how its context describes it)
        ("Hoe is de Duits-Nederlandse ondernemersclub juridisch georganiseerd?", "georganiseerd als een stichting"),
    ],
)
def test_the_extractive_answer_quotes_the_sentence_that_answers(
    corpus_retriever: Retriever, settings: Settings, question: str, answer_words: str
) -> None:
    none = make_llm(settings.model_copy(update={"llm": "none"}))
    result = answer_question(question, corpus_retriever, none, settings)
    assert result.method == "extractive" and result.grounded
    quotes = _quotes(result.answer)
    assert any(answer_words in q for q in quotes), result.answer
    passages = [" ".join(c.text.split()) for c in result.citations]
    assert all(any(q in p for p in passages) for q in quotes)  # the report's words, verbatim


def test_an_english_question_gets_english_words_around_the_dutch_quote(
    corpus_retriever: Retriever, settings: Settings
) -> None:
    question = "How many people attended the first focus group?"
    result = answer_question(question, corpus_retriever, broken_llm(), settings)
    assert result.language == "en" and result.method == "extractive"
    assert result.answer.startswith(answer_prompts(settings.prompts_dir)["en"].extractive_intro)
    assert any("12 personen" in q for q in _quotes(result.answer))
    assert language_of_answer(result.answer, "en") == "en"


@pytest.mark.parametrize(
    ("question", "grounded", "answer_words"),
    [
        # near the report's domain, not in docs/eval/answers.jsonl: the report names no contribution or budget,
        # yet the passages about the same network score as high as a real answer
        ("Wat is de contributie van de Metropoolregio Eindhoven?", False, None),
        ("What was the budget of the research?", False, None),
        # the same kinds of question that the report does answer
        ("Hoeveel leden telt het dagelijks bestuur van de Metropoolregio Eindhoven?", True, "4 leden"),
        # a number answers only when it counts what the question counts (the passages hold counts of
        # organisations and board members, none of districts)
        ("Hoeveel wijken doen mee aan De STAP naar gezonder?", False, None),
        ("Waar vond de eerste focusgroep plaats?", True, "in Eindhoven"),
        # how long: a stretch of time answers, a count of interviews does not
        ("Hoe lang duurde een interview gemiddeld?", False, None),
        ("Hoe lang heeft de externe begeleiding van de ontwikkelstrategie geduurd?", True, "gedurende een jaar"),
        # every one by name: a sentence that counts them does not name them
        ("Kun je alle gemeenten van de Metropoolregio Eindhoven opnoemen?", False, None),
    ],
)
def test_a_question_is_answered_only_by_a_sentence_that_holds_what_it_asks_for(
    corpus_retriever: Retriever, settings: Settings, question: str, grounded: bool, answer_words: str | None
) -> None:
    none = make_llm(settings.model_copy(update={"llm": "none"}))
    result = answer_question(question, corpus_retriever, none, settings)
    prompt = answer_prompts(settings.prompts_dir)[result.language]
    assert result.method == "extractive" and result.grounded is grounded, result.answer
    if grounded:
        assert any(answer_words in q for q in _quotes(result.answer)), result.answer
    else:  # said so, with what comes closest, still cited
        assert result.answer.startswith(prompt.closest_intro) and result.citations
    # with a language model: a question whose passages hold no answer of its kind never reaches it (what it
    # wrote could only be made up); one whose passages do is the model's to answer
    with_model = answer_question(question, corpus_retriever, fake_llm("Het zijn er vijf [1]."), settings)
    assert with_model.method == ("llm" if grounded else "extractive") and with_model.grounded is grounded


def test_no_sentence_that_answers_means_the_model_is_not_asked(corpus_retriever: Retriever, settings: Settings) -> None:
    # near the report's words (covered), but no sentence of the passages scores as an answer: a model would
    # write one from what comes close; the broken model shows it is never called
    question = "What does the report say about holidays?"
    result = answer_question(question, corpus_retriever, broken_llm(), settings)
    prompt = answer_prompts(settings.prompts_dir)["en"]
    assert result.method == "extractive" and result.note == "no sentence answers" and not result.grounded
    assert result.answer.startswith(prompt.closest_intro) and result.citations


def test_a_refused_open_question_whose_sentences_answer_gets_the_extractive_answer(
    corpus_retriever: Retriever, settings: Settings
) -> None:
    refusal = answer_prompts(settings.prompts_dir)["nl"].not_covered
    question = "Wat verstaat het rapport onder transformatieve waarde?"
    result = answer_question(question, corpus_retriever, fake_llm(refusal), settings)
    assert result.method == "extractive" and result.note == "refused" and result.grounded
    assert result.answer.startswith("Dit staat er in de bronnen:")
    assert any("transformatieve waarde" in q.lower() for q in _quotes(result.answer)), result.answer


def test_a_refused_question_for_a_number_stands_when_the_passages_are_not_very_close(
    corpus_retriever: Retriever, settings: Settings
) -> None:
    # a count of people is there ('in totaal 12 personen aanwezig', at the first focus group); whether it counts the
    # people asked about is what the model can read and the sentence score cannot
    refusal = answer_prompts(settings.prompts_dir)["nl"].not_covered
    question = "Hoeveel personen waren aanwezig bij de tweede focusgroep?"
    result = answer_question(question, corpus_retriever, fake_llm(refusal), settings)
    assert result.method == "not_covered" and result.note == "model" and not result.grounded
    assert result.answer == refusal and result.citations == []
    # where no sentence among the best holds a count of what is asked (of coffee, of parking places), the
    # model is not asked and SLIM declines itself
    for other in (
        "Hoeveel koffie wordt er gedronken op een bijeenkomst?",
        "Hoeveel parkeerplaatsen heeft de locatie van de focusgroep?",
    ):
        declined = answer_question(other, corpus_retriever, fake_llm(), settings)
        assert declined.method == "extractive" and not declined.grounded, other


# --- the embedded model chooses (LanguageModel.chooses): a fake chooser, real retrieval and sentence scores ----


def _candidates(llm: LanguageModel) -> dict[int, str]:
    """The numbered sentences the (fake) model was given to choose from."""
    body = str(llm.chat.seen[-1][-1].content)  # type: ignore[union-attr]
    return {int(n): text for n, text in re.findall(r"^(\d+)\. (.*)$", body, re.M)}


def _quoted_with_numbers(answer: str) -> list[tuple[str, int]]:
    return [(q, int(n)) for q, n in re.findall(r"“([^”]+)” \[(\d+)\]", answer)]


@pytest.mark.parametrize(
    ("question", "lang"),
    [("Wat is stralend falen?", "nl"), ("What does the report mean by immediate value?", "en")],
)
def test_the_sentence_the_model_chooses_is_quoted_in_a_frame_in_the_question_language(
    corpus_retriever: Retriever, settings: Settings, question: str, lang: str
) -> None:
    llm = fake_chooser('{"answer": "2"}')
    streamed: list[str] = []
    result = answer_question(question, corpus_retriever, llm, settings, on_token=streamed.append)
    prompt = answer_prompts(settings.prompts_dir)[result.language]
    assert result.method == "chosen" and result.grounded and result.language == lang
    assert result.answer.startswith(prompt.chosen_intro.report)
    assert language_of_answer(result.answer, lang) == lang  # type: ignore[arg-type]  # English around a Dutch quote
    assert llm.chat.seen[-1][:-1] == prompt_prefix(choice_prompt(settings.prompts_dir))  # type: ignore[union-attr]
    second = _candidates(llm)[2].removesuffix(" …")
    quotes = _quoted_with_numbers(result.answer)
    assert any(q.startswith(second) for q, _ in quotes), (second, result.answer)
    for q, n in quotes:  # every quote verbatim in the passage its citation points at
        assert 1 <= n <= len(result.citations) and q in " ".join(result.citations[n - 1].text.split())
    # the answer starts when its text does: all of it at once, after the choice
    assert streamed == [result.answer] and result.timings.first_token_s is not None


def test_a_choice_of_none_declines_with_what_comes_closest(corpus_retriever: Retriever, settings: Settings) -> None:
    result = answer_question("Wat is stralend falen?", corpus_retriever, fake_chooser('{"answer": "none"}'), settings)
    prompt = answer_prompts(settings.prompts_dir)["nl"]
    assert result.method == "extractive" and result.note == "model: none" and not result.grounded
    assert result.answer.startswith(prompt.closest_intro) and result.citations


@pytest.mark.parametrize(
    ("reply", "note"),
    [('{"answer": "9"}', "choice out of range"), ("Zin twee.", "unreadable choice"), (None, "error")],
)
def test_a_choice_that_cannot_be_used_leaves_the_extractive_answer(
    corpus_retriever: Retriever, settings: Settings, reply: str | None, note: str
) -> None:
    llm = fake_chooser(reply) if reply is not None else broken_llm(chooses=True)
    result = answer_question("Wat is stralend falen?", corpus_retriever, llm, settings)
    assert result.method == "extractive" and result.note and result.note.startswith(note) and result.grounded
    assert result.answer.startswith("Dit staat er in de bronnen:")
    cited = {int(n) for n in re.findall(r"\[(\d+)\]", result.answer)}
    assert cited and cited <= {c.n for c in result.citations}


def test_a_chooser_is_not_asked_when_no_sentence_answers(corpus_retriever: Retriever, settings: Settings) -> None:
    # the broken chooser shows it is never called: near-domain questions are declined by the sentence score
    for question in ("What does the report say about holidays?", "Wat is de contributie van de Metropoolregio?"):
        result = answer_question(question, corpus_retriever, broken_llm(chooses=True), settings)
        assert result.method == "extractive" and not result.grounded and result.note != "error", result.note


def test_a_thing_no_text_of_the_index_names_is_not_answered(corpus_retriever: Retriever, settings: Settings) -> None:
    # the report never names software, a subsidy or hours; it does name its board members, sub-regions and
    # leadership (an English term of the glossary), as compounds, hyphenated or in English
    assert not any(corpus_retriever.knows(word) for word in ("software", "softwareprogramma", "subsidie", "hours"))
    assert all(corpus_retriever.knows(word) for word in ("bestuursleden", "sub-regions", "leadership", "Welke"))
    # the passages about the interviews come close, but what is asked about is not in them: said so, with
    # what comes closest, and the broken chooser shows the model is not asked
    question = "Met welke software hebben de onderzoekers de interviews gecodeerd?"
    result = answer_question(question, corpus_retriever, broken_llm(chooses=True), settings)
    prompt = answer_prompts(settings.prompts_dir)["nl"]
    assert result.method == "extractive" and not result.grounded and result.note == "the index never names 'software'"
    assert result.answer.startswith("In de bronnen kom ik ‘software’ nergens tegen.") and result.citations
    assert result.answer.startswith(prompt.unheard_intro.format(thing="software"))
    # an English word close to one of the report ('subcategories', 'subcategorieën') is held, as a name is
    english = "Into which subcategories of capital is potential value divided?"
    assert not corpus_retriever.knows("subcategories") and corpus_retriever.knows_name("subcategories")
    result = answer_question(english, corpus_retriever, broken_llm(chooses=True), settings)
    assert result.note != "the index never names 'subcategories'" and "subcategorieën" in result.answer


def test_a_thing_the_report_only_lists_is_not_answered(corpus_retriever: Retriever, settings: Settings) -> None:
    # the report lists health insurers among the kinds of organisations that joined, and names none: which one
    # takes part it cannot say; said so, with that list as what comes closest (the model is not asked)
    question = "Welke zorgverzekeraar doet mee aan De STAP naar gezonder?"
    result = answer_question(question, corpus_retriever, broken_llm(chooses=True), settings)
    prompt = answer_prompts(settings.prompts_dir)["nl"]
    assert result.method == "extractive" and not result.grounded and result.note == "'zorgverzekeraar' only in a list"
    assert result.answer.startswith(prompt.listed_intro.format(thing="zorgverzekeraar")) and result.citations
    assert "zorgverzekeraars, werkgevers en ondernemers" in result.answer
    # a term it also explains is answered
    no_model = make_llm(settings.model_copy(update={"llm": "none"}))
    explained = answer_question("Wat is toegepaste waarde?", corpus_retriever, no_model, settings)
    assert explained.grounded and explained.note != "'toegepaste waarde' only in a list"


@pytest.mark.parametrize(
    ("question", "lang", "note", "intro", "quoted"),
    [
        # the report counts the municipalities as they were during the study; how many there are by now it cannot
        # know: said so, with what comes closest (the count then)
        (
            "Hoeveel gemeenten werken er inmiddels samen in de Metropoolregio Eindhoven?",
            "nl",
            "after the study",
            "later_intro",
            "21 gemeenten",
        ),
        (
            "Has the health movement grown to more neighbourhoods since then?",
            "en",
            "after the study",
            "later_intro",
            "",
        ),
        # the report refers to its topic list in an appendix its text does not hold: said so, with the reference
        (
            "Welke vragen stonden er op de topiclijst in bijlage 1?",
            "nl",
            "an appendix",
            "appendix_intro",
            "(zie bijlage 1)",
        ),
        # the passages about the health movement's 2040 goal come close; no source holds whether it will be reached
        (
            "Do you think De STAP naar gezonder will actually reach its 2040 health goal?",
            "en",
            "an opinion or prediction",
            "opinion_intro",
            "2040",
        ),
    ],
)
def test_a_question_no_source_can_answer_is_declined_with_its_reason(
    corpus_retriever: Retriever, settings: Settings, question: str, lang: str, note: str, intro: str, quoted: str
) -> None:
    # said so before the closest sentences; the broken chooser shows the model is not asked
    result = answer_question(question, corpus_retriever, broken_llm(chooses=True), settings)
    prompt = answer_prompts(settings.prompts_dir)[lang]
    assert result.method == "extractive" and not result.grounded and result.note == note
    assert result.answer.startswith(getattr(prompt, intro)) and quoted in result.answer and result.citations


@pytest.mark.parametrize(
    ("question", "lang"),
    [
        ("What's the weather going to be like in Venlo this weekend?", "en"),
        ("Wat wordt het weer morgen in Venlo?", "nl"),
    ],
)
def test_a_question_about_everyday_life_is_declined_without_passages(
    corpus_retriever: Retriever, settings: Settings, question: str, lang: str
) -> None:
    # passages about Venlo come close; none can answer, so none is shown, and the broken model is not asked
    result = answer_question(question, corpus_retriever, broken_llm(chooses=True), settings)
    assert result.method == "not_covered" and not result.grounded and not result.citations
    assert result.answer == answer_prompts(settings.prompts_dir)[lang].outside_scope
    assert result.note == "an everyday question"


def test_a_question_that_asks_for_advice_is_answered_by_a_sentence_that_gives_it(
    corpus_retriever: Retriever, settings: Settings
) -> None:
    # the report gives no advice on agendas: the passages about meetings come close, the closest sentences are
    # offered as such and the broken chooser shows the model is not asked
    result = answer_question(
        "Hoe stel ik een goede agenda op voor een bijeenkomst van ons netwerk?",
        corpus_retriever,
        broken_llm(chooses=True),
        settings,
    )
    assert result.method == "extractive" and not result.grounded and result.note == "no advice in the passages"
    assert result.answer.startswith(answer_prompts(settings.prompts_dir)["nl"].closest_intro) and result.citations
    # what the report recommends answers: its recommendation is quoted
    result = answer_question(
        "Wat kunnen we doen om ook de kleine stappen zichtbaar te maken?",
        corpus_retriever,
        make_llm(settings.model_copy(update={"llm": "none"})),
        settings,
    )
    assert result.grounded and "Benadruk ook de kleine stappen" in result.answer


def test_a_name_no_text_of_the_index_holds_is_not_answered(corpus_retriever: Retriever, settings: Settings) -> None:
    # names of the report, a typo of one, a part of a compound, another spelling beside a known word: known
    known = ("Wenger", "Bussiness Club", "Metropool Regio", "Health Holland", "Maas Rijn")
    assert all(corpus_retriever.knows_name(name) for name in known)
    assert not any(corpus_retriever.knows_name(name) for name in ("Kotter", "Preskill", "Roth IRA"))
    assert unheard_name("What happened at the focus group in November 2023?", corpus_retriever) is None  # a month
    # a model of change the report never mentions: its passages on change come close, but do not answer
    question = "How does Kotter's eight-step change model apply to regional innovation networks?"
    assert unheard_name(question, corpus_retriever) == "Kotter"
    result = answer_question(question, corpus_retriever, broken_llm(chooses=True), settings)
    assert result.method == "extractive" and not result.grounded and result.note == "the index never names 'Kotter'"
    assert result.answer.startswith("I don't find ‘Kotter’ anywhere in the sources.") and result.citations
    dutch = answer_question(
        "Hoe meet je de impact van een netwerk met de methode van Preskill?",
        corpus_retriever,
        broken_llm(chooses=True),
        settings,
    )
    assert dutch.answer.startswith("In de bronnen kom ik ‘Preskill’ nergens tegen.") and not dutch.grounded
    # a two-letter abbreviation is a name too; one the report holds ('IT'), or a question's first word, is known
    assert unheard_name("Wat vinden de onderzoekers van de inzet van AI in netwerken?", corpus_retriever) == "AI"
    assert unheard_name("Welke rol speelt IT in de netwerken?", corpus_retriever) is None
    assert unheard_name("AI wordt toch overal gebruikt?", corpus_retriever) is None


def test_a_count_answers_when_its_words_mean_what_the_question_counts(corpus_retriever: Retriever) -> None:
    number = next(kind for kind in answer_types(PROJECT_ROOT / "prompts").types if kind.id == "number")
    assert number.counted is not None
    embeddings = corpus_retriever.index.embeddings
    sentences = {"Er zijn 21 gemeenten aangesloten.", "Er doen meer dan 100 organisaties mee.", "Het duurde 3 jaar."}
    assert counting(sentences, "municipalities", number.counted, embeddings) == {"Er zijn 21 gemeenten aangesloten."}
    assert counting(sentences, "years", number.counted, embeddings) == {"Het duurde 3 jaar."}
    assert counting(sentences, "students", number.counted, embeddings) == set()
    # a compound of the counted word counts part of them, unless the question names that part too
    board = {"Het bestuur bestaat uit een voorzitter en 7 bestuursleden.", "Het netwerk telt 90 leden."}
    members = "Hoeveel leden heeft het netwerk?"
    assert counting(board, "leden", number.counted, embeddings, members) == {"Het netwerk telt 90 leden."}
    english = "How many members does the network have?"
    lexical = corpus_retriever.lexical_query(english)
    assert counting(board, "members", number.counted, embeddings, english, lexical) == {"Het netwerk telt 90 leden."}
    asked = "Hoeveel leden heeft het bestuur?"
    assert counting(board, "leden", number.counted, embeddings, asked) == board
