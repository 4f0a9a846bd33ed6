"""What kind of answer a question asks for, and the rule that only a sentence holding one answers it.

The patterns are the real ones of prompts/retrieval/answer-types.yaml; the sentences' scores are set by hand
(or by the toy embedding of test_answer_choice.py), so each rule is tested on its own.
"""

from __future__ import annotations

import json

import pytest

from assistant.answer.choice import QUOTE_MARGIN, answering_quotes, with_typed
from assistant.answer.coverage import ANSWERING, STRONG_EVIDENCE, TYPED_EASING, answers_question, trust_refusal
from assistant.answer.kinds import (
    asked_subjects,
    asked_thing,
    asked_type,
    counted_thing,
    headed,
    holds_answer,
    listed_only,
    listed_term,
    matches,
    named_in_lists_only,
    narrower,
    opinion_asked,
    unquotable,
)
from assistant.answer.sentences import ORDINAL_WEIGHT, TYPE_BONUS, Quote, positions, rank_sentences
from assistant.config import PROJECT_ROOT
from assistant.domain import Hit
from assistant.prompts import AnswerType, answer_types
from tests.unit.test_answer_choice import Axes, hit

TYPES = answer_types(PROJECT_ROOT / "prompts")


def kind_of(question: str) -> str | None:
    kind = asked_type(question, TYPES.types)
    return kind.id if kind else None


def the(kind_id: str) -> AnswerType:
    return next(kind for kind in TYPES.types if kind.id == kind_id)


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Wat is het telefoonnummer van het kenniscentrum Leven Lang Ontwikkelen?", "phone"),
        ("What's the phone number of the network's office?", "phone"),
        ("Hoe kan ik de coördinator van De STAP bellen?", "phone"),
        # an amount of money comes before a number: 'hoeveel kost' asks for money
        ("Wat is het budget van het netwerk?", "money"),
        ("Hoeveel heeft het onderzoek gekost?", "money"),
        ("Wat heeft de begeleiding door het adviesbureau gekost?", "money"),
        ("How much money did the region spend on it?", "money"),
        ("What is the membership fee?", "money"),
        ("What's the yearly fee for members?", "money"),  # 's as 'is'
        ("Who’s the chair of the network?", "person"),
        ("Hoeveel heeft de gemeente betaald voor de begeleiding?", "money"),  # what was paid is an amount
        ("How much funding did the network receive?", "money"),
        ("Hoe laat begint de bijeenkomst?", "time"),
        ("What time does the meeting start?", "time"),
        ("Wanneer werd het netwerk opgericht?", "founded"),  # when it began: not any date about it
        ("In which year was the network founded?", "founded"),
        ("When was the board set up?", "founded"),
        ("Wanneer werd het netwerk opgeheven?", "date"),
        ("In welk jaar begon de samenwerking?", "date"),
        ("When did the project end?", "date"),
        ("Which year was the report published?", "date"),
        ("Hoeveel partners doen er mee?", "number"),
        ("Hoe vaak komt de groep samen?", "frequency"),  # how often: a frequency, not any number
        ("How often does the board meet?", "frequency"),
        ("How many people took part?", "number"),
        ("How old is the network?", "number"),
        ("Hoe lang duurden de interviews?", "duration"),  # a stretch of time, not any number
        ("How long was the process supported?", "duration"),
        ("Welk percentage van de leden komt uit Duitsland?", "share"),  # a part of a whole, not a count
        ("What share of the members are companies?", "share"),
        ("Waar vond de bijeenkomst plaats?", "place"),
        ("In welke stad zit het netwerk?", "place"),
        ("Where was the meeting held?", "place"),
        ("Waar letten de onderzoekers op toen ze observeerden?", None),  # 'waar … op' asks what they looked at
        ("Waar komen de leden vandaan?", "origin"),  # where from: 'uit Zuidoost Nederland' answers that
        ("From which regions do the members come?", "origin"),
        ("Wie leidde het traject?", "name"),
        ("Hoe heet de voorzitter?", "person"),  # who holds a role: a person's name, not any name
        ("Hoe heet de vertegenwoordiger van het thema gezondheid?", "person"),
        ("Who chaired the meeting?", "person"),
        ("Wie is de directeur van het netwerk?", "person"),
        ("Wie is op dit moment de voorzitter van de club?", "person"),  # 'now', 'currently' between the words
        ("Who is currently the chair of the board?", "person"),
        ("What is the name of the mayor who visited?", "person"),
        ("What is the name of the current chair of the club?", "person"),  # 'current' before the role
        ("Wat is de naam van de huidige voorzitter?", "person"),
        ("Who showed leadership after the strategy was agreed?", "name"),  # who did something: a person or a body
        ("Which organisations are members?", "name"),
        ("Welke drie netwerken zijn onderzocht?", "list"),
        ("Kun je alle 21 gemeenten opnoemen?", "names"),  # every one of a group by name, not how many
        ("Can you list all the networks that were studied?", "names"),
        ("What are the names of the people interviewed?", "names"),
        ("Noem alle vijf waarden.", None),  # named without capitals: not a group of names
        ("What are the four levels of learning?", "list"),
        ("Geef een voorbeeld van gerealiseerde waarde bij De STAP.", "example"),
        ("Welk voorbeeld noemt het rapport van toegepaste waarde?", "example"),
        ("Can you give a few examples of immediate value?", "example"),
        ("What example of realised value does the club give?", "example"),
        ("Op welke dag is de ledenvergadering?", "date"),
        ("Waar en wanneer kwamen de netwerken samen?", "date"),  # 'wanneer' opens what is asked
        ("Can you tell me when the study ended?", "date"),
        ("Was there any value at the club when the study was done?", None),  # 'when' joins a clause: yes or no
        ("Wat doet het netwerk wanneer een partner vertrekt?", None),
        # open questions: any sentence may answer them
        ("What does the network do with its annual budget?", None),  # asks what, not how much
        ("Wat is transformatieve waarde?", None),
        ("Waar staat GROZ voor?", None),  # 'waar … voor?' asks what it stands for, not where
        ("Waar moet je volgens de aanbevelingen op letten als je wilt dat mensen blijven leren?", None),
        ("Waar werken de partners aan samen?", None),  # 'waar … aan samen(werken)' asks what on
        ("Waar komen de leden bij elkaar?", "place"),
        ("Waar zit de club in Venlo?", "place"),
        ("Waarom is er niet geobserveerd?", None),
        ("What does the report say about trust?", None),
        ("Why do members not come to events?", None),
        # what to do, asked in the first person: advice; how something works in general is open
        ("Hoe zorg ik dat er ruimte is om te experimenteren?", "advice"),
        ("Wat kunnen we doen om leden vaker te laten komen?", "advice"),
        ("Hoe vraag je als gemeente een subsidie aan?", "advice"),
        ("Tips om een bijeenkomst te leiden?", "advice"),
        ("How do I get the board to learn together?", "advice"),
        ("What can we do to keep the goal tangible?", "advice"),
        ("Hoe maak je onderscheid tussen potentiële en toegepaste waarde?", None),
        ("How do the members experience the culture?", None),
    ],
)
def test_the_kind_of_answer_is_read_from_the_wording_in_dutch_and_english(question: str, kind: str | None) -> None:
    assert kind_of(question) == kind


def test_every_kind_is_asked_for_in_both_languages() -> None:
    dutch = {kind_of(q) for q in ("Wat kost het?", "Hoe laat?", "Wanneer?", "Hoeveel?", "Waar is het?", "Wie?")}
    english = {kind_of(q) for q in ("What does it cost?", "What time?", "When?", "How many?", "Where?", "Who?")}
    assert dutch == english == {"money", "time", "date", "number", "place", "name"}
    assert kind_of("Wie is de voorzitter?") == kind_of("Who is the chair?") == "person"
    assert kind_of("Welke vier waarden?") == kind_of("Which four values?") == "list"
    assert kind_of("Wanneer opgericht?") == kind_of("When founded?") == "founded"
    assert kind_of("Geef een voorbeeld.") == kind_of("Give an example.") == "example"
    assert kind_of("Hoe lang?") == kind_of("How long?") == "duration"
    assert kind_of("Welk percentage?") == kind_of("What percentage?") == "share"
    assert kind_of("Hoe kan ik dat doen?") == kind_of("How can I do that?") == "advice"


@pytest.mark.parametrize(
    ("sentence", "holds"),
    [
        ("Er wordt bijvoorbeeld meer geluisterd naar de wensen van burgers.", True),
        ("Toevallige ontmoetingen leidden tot projecten, zoals de Roermond Swim.", True),
        ("De vertegenwoordiger geeft als voorbeeld: “In één wijk zijn beweegtoestellen geplaatst.", True),
        ("Dit kan gaan om een tip, een inspirerende bijeenkomst of antwoord op een praktijkvraag.", True),  # several
        ("In sommige gevallen is de verandering al zichtbaar.", False),  # says there are examples, gives none
    ],
)
def test_an_example_is_answered_by_a_sentence_that_gives_one(sentence: str, holds: bool) -> None:
    assert holds_answer(sentence, the("example"), "Geef een voorbeeld van een zichtbare verandering.") is holds


@pytest.mark.parametrize(
    ("kind", "sentence", "holds"),
    [
        ("money", "Het jaarbudget is € 2,5 miljoen.", True),
        ("money", "Leden betalen geen contributie.", True),
        ("money", "Het netwerk telt 21 gemeenten en een bestuur van 25 leden.", False),
        ("date", "De eerste focusgroep was op 9 mei 2023.", True),
        ("date", "Het netwerk telt 21 gemeenten.", False),
        ("founded", "Het netwerk is in 2016 opgericht door drie ziekenhuizen.", True),
        ("founded", "HealthHolland werkt sinds 2020 intensief samen met de regio's.", True),
        ("founded", "The network was established in March 2019.", True),
        ("founded", "Het netwerk wil in 2040 alle wijken bereiken.", False),  # a year, not when it began
        ("number", "Er zijn 14 interviews gehouden.", True),
        ("number", "Er werden vier verschillende scenario's besproken.", True),
        ("number", "Het bestuur komt elke maand bijeen.", True),
        ("number", "Er zijn interviews gehouden met leden.", False),
        ("date", "De ledenvergadering is op dinsdag.", True),
        ("duration", "Het traject is gedurende een jaar extern begeleid.", True),
        ("duration", "De interviews duurden ongeveer anderhalf uur.", True),
        ("duration", "The networks have been active for 9 to 25 years.", True),
        ("duration", "In totaal zijn er 14 interviews gehouden.", False),  # a count, no stretch of time
        ("share", "De verschillen moeten met 30% afnemen.", True),
        ("share", "De meeste leden komen uit Nederland.", True),
        ("share", "Het netwerk telt bijna 100 leden.", False),  # a count of the whole, no part of it
        ("time", "De bijeenkomst begint om 16.30 uur.", True),
        ("time", "De bijeenkomst duurt een dag.", False),
        ("place", "De tweede focusgroep was bij Fontys in Venlo.", True),
        ("place", "De tweede focusgroep was later in het jaar.", False),
        ("place", "Het is een netwerk van ondernemers uit Zuidoost Nederland.", False),  # where they come from
        ("origin", "Het is een netwerk van ondernemers uit Zuidoost Nederland.", True),
        ("name", "Het traject werd begeleid door BMC Consultants & Dona Stedenbouw.", True),
        ("name", "De penningmeester van ons netwerk is Anouk de Vries.", True),
        ("name", "Het traject duurde een jaar.", False),
        ("person", "Het is belangrijk hoe Jeroen Dijsselbloem daarin zijn rol van voorzitter neerzet.", True),
        ("person", "De penningmeester van ons netwerk is Anouk de Vries.", True),
        ("person", "Het bestuur bestaat uit een voorzitter en 7 bestuursleden.", False),  # the role, no name
        ("person", "De Business Club Maas Rhein is een netwerk uit Zuidoost Nederland.", False),  # names, no role
        ("names", "Onderzocht zijn Business Club Maas Rhein, De STAP naar gezonder en Metropoolregio Eindhoven.", True),
        ("names", "Geselecteerd werden:\n\n- Business Club Maas Rhein\n- De STAP naar gezonder", True),
        ("names", "Metropoolregio Eindhoven is een samenwerkingsverband van 21 gemeenten.", False),  # counts them
        ("advice", "Zorg dat de waarden zichtbaar worden gemaakt via communicatie.", True),  # an imperative
        ("advice", "Daarom is het belangrijk om behoeften te blijven bevragen.", True),
        ("advice", "Door het te verbinden aan korte termijn doelen blijven de doelen tastbaar.", True),
        ("advice", "Keep the long-term goal clear to every partner.", True),
        ("advice", "Neem bijvoorbeeld de groei van werkgelegenheid in de regio.", False),  # 'for example'
        ("advice", "Vanuit het Rijk wordt samenwerking gestimuleerd door het toekennen van Regiodeals.", False),
        ("list", "Geselecteerd werden:\n\n- Business Club Maas Rhein\n- De STAP naar gezonder", True),
        ("list", "Het gaat om het individu, de groep en de organisatie.", True),
        ("list", "Het gaat om het leren van het netwerk.", False),
        ("phone", "Bel het secretariaat op 040-2345678 of +31 (0)40 234 5678.", True),
        ("phone", "Voor meer informatie kunt u contact opnemen met Hanna van Beelen.", False),  # whom, no number
        ("phone", "In goede banen. Samenwerkingsakkoord 2023 -2026", False),  # years
        ("phone", "Journal of Organizational Ethnography, 8(2), 171–184. doi 10.1108/JOE-03-2017-0013", False),
    ],
)
def test_a_sentence_holds_an_answer_of_the_kind_or_not(kind: str, sentence: str, holds: bool) -> None:
    assert holds_answer(sentence, the(kind), "Een vraag?") is holds


def test_what_the_question_already_holds_is_no_answer() -> None:
    sentence = "In 2023 deden drie netwerken mee."
    assert holds_answer(sentence, the("date"), "Wanneer deden de netwerken mee?")
    assert not holds_answer(sentence, the("date"), "Wat gebeurde er in 2023?")


def test_a_name_the_question_holds_is_no_answer_but_the_name_beside_it_is() -> None:
    question = "Wie is de voorzitter van Groen Brabant?"
    assert holds_answer("De voorzitter van Groen Brabant is Sanne Peeters.", the("person"), question)
    assert not holds_answer("De voorzitter van Groen Brabant wordt elk jaar gekozen.", the("person"), question)
    # capitalised words that are all the question's name nobody ('Vertegenwoordiger Bouwsteen' in a table row)
    asked = "Hoe heet de vertegenwoordiger van de bouwsteen lerend vermogen?"
    assert not holds_answer("De STAP: Vertegenwoordiger Bouwsteen Lerend vermogen", the("person"), asked)
    assert holds_answer("Anna de Wit is projectleider van de bouwsteen Lerend vermogen.", the("person"), asked)


def test_references_and_web_addresses_answer_nothing() -> None:
    text = (
        "Het bestuur telt 8 mensen. Journal of Workplace Learning, 19(6), 336– 342. "
        "Zie ook https://doi.org/10.1108/13665620710777084 voor meer."
    )
    ranked = rank_sentences("Hoeveel mensen telt het bestuur?", [hit(1, text)], Axes(), not_answers=TYPES.not_answers)
    assert [q.text for q in ranked] == ["Het bestuur telt 8 mensen."]


@pytest.mark.parametrize(
    ("question", "quoted"),
    [
        ("Wat maakt Alucol in Neer?", False),  # an open question: the row that names the visit does not answer
        ("Wanneer was het bedrijfsbezoek bij Alucol?", True),  # a date: the row holds it
        ("In welke maanden vond het veldwerk plaats?", True),
    ],
)
def test_a_table_row_answers_only_a_question_that_asks_for_a_kind(question: str, quoted: bool) -> None:
    row = "Business Club Maas Rhein:   Bedrijfsbezoek Alucol in Neer op 26 oktober 2023"
    kind = asked_type(question, TYPES.types)
    ranked = rank_sentences(question, [hit(1, row)], Axes(), kind=kind, not_answers=unquotable(TYPES, kind))
    assert bool(ranked) is quoted


def quote(text: str, score: float, typed: bool, order: int = 0) -> Quote:
    return Quote(n=1, text=text, similarity=score, overlap=0.0, score=score, order=order, typed=typed)


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_a_question_of_a_kind_is_grounded_only_by_a_quoted_sentence_that_holds_one(lang: str) -> None:
    money = the("money")
    close = ANSWERING[lang] + 0.1  # scores as answering, whatever it holds
    about_the_network = [quote("Het netwerk telt 21 gemeenten.", close, typed=False)]
    assert answers_question(about_the_network, lang)  # type: ignore[arg-type]  # an open question: answered
    assert not answers_question(about_the_network, lang, money)  # type: ignore[arg-type]
    with_amount = [*about_the_network, quote("Het budget is € 2 miljoen.", close - 0.01, typed=True)]
    assert answers_question(with_amount, lang, money)  # type: ignore[arg-type]
    # an amount a little under ANSWERING answers (the kind is a second sign); one further under does not,
    # and an open question a little under ANSWERING is not answered by a sentence of any kind
    eased = ANSWERING[lang] - TYPED_EASING
    assert answers_question([quote("Het budget is € 5.000.", eased, typed=True)], lang, money)  # type: ignore[arg-type]
    assert not answers_question([quote("€ 5", eased - 0.001, typed=True)], lang, money)  # type: ignore[arg-type]
    assert not answers_question([quote("Het budget is € 5.000.", eased, typed=False)], lang)  # type: ignore[arg-type]


def test_a_sentence_that_holds_the_kind_is_preferred_among_nearly_as_good_ones() -> None:
    ranked = sorted(
        [quote("Het netwerk is groot.", 0.95, False), quote("Het telt 21 gemeenten.", 0.95 - TYPE_BONUS / 2, True)],
        key=lambda q: -(q.score + TYPE_BONUS * q.typed),
    )
    assert [q.text for q in answering_quotes(ranked, limit=1)] == ["Het telt 21 gemeenten."]
    far = [quote("Het netwerk is groot.", 0.95, False), quote("Het telt 21 gemeenten.", 0.95 - 2 * TYPE_BONUS, True)]
    assert [q.text for q in answering_quotes(far, limit=1)] == ["Het netwerk is groot."]
    assert QUOTE_MARGIN < TYPE_BONUS  # the bonus decides among the close ones, relevance among the rest


def test_ranking_marks_and_lifts_the_sentences_that_hold_the_kind() -> None:
    text = "De interviews waren open van opzet. In totaal zijn 14 interviews gehouden."
    question = "Hoeveel interviews zijn er gehouden?"
    ranked = rank_sentences(question, [hit(1, text)], Axes(), kind=asked_type(question, TYPES.types))
    assert ranked[0].text == "In totaal zijn 14 interviews gehouden." and ranked[0].typed
    sentences = [q for q in ranked if not q.parts]  # the two as one quote holds the kind too
    assert sentences[0] is ranked[0] and not sentences[1].typed


def test_of_several_the_sentence_about_the_asked_one_comes_first() -> None:
    # the toy embedding scores every sentence about a focus group alike: only the position tells them apart
    first = "De eerste focusgroep was op 9 mei 2023 in Eindhoven."
    second = "De tweede focusgroep was op 26 oktober 2023 in Venlo."
    passages = [hit(1, first), hit(2, second)]
    for question in ("Wanneer was de tweede focusgroep?", "When was the second focus group held?"):
        ranked = [q for q in rank_sentences(question, passages, Axes(), ordinals=TYPES.ordinals) if not q.parts]
        assert ranked[0].text == second and ranked[0].asked_position
        scores = {q.text: q.score for q in ranked}
        without = {q.text: q.score for q in rank_sentences(question, passages, Axes()) if not q.parts}
        assert scores[first] == pytest.approx(without[first] - ORDINAL_WEIGHT)  # about another focus group
        assert scores[second] == pytest.approx(without[second])  # its rank is lifted, not its score
    # a question that names no position, and a sentence that names none, are scored as before
    plain = rank_sentences("Wanneer was de focusgroep?", passages, Axes(), ordinals=TYPES.ordinals)
    assert not any(q.asked_position for q in plain)
    assert {q.score for q in plain if not q.parts} == {
        q.score for q in rank_sentences("Wanneer was de focusgroep?", passages, Axes()) if not q.parts
    }


def test_positions_are_read_in_both_languages() -> None:
    assert positions("Bij de tweede focusgroep", TYPES.ordinals) == positions(
        "at the second focus group", TYPES.ordinals
    )
    assert positions("De eerste en de derde ronde", TYPES.ordinals) == {0, 2}
    assert positions("Allereerst is gestart met een literatuurverkenning", TYPES.ordinals) == set()
    assert positions("Het netwerk is eerst klein begonnen", TYPES.ordinals) == set()


def test_a_sentence_of_the_kind_answers_only_from_a_passage_about_what_the_question_names() -> None:
    question = "Hoe vaak komt de Stuurgroep samen?"
    about = hit(1, "De Stuurgroep is het hart van het netwerk. Ze komt elke maand samen.")
    other = hit(2, "De werkgroep komt vier keer per jaar samen.")
    kind = asked_type(question, TYPES.types)
    ranked = rank_sentences(question, [about, other], Axes(), kind=kind)
    assert {q.text for q in ranked if q.typed} == {about.text}  # 'Ze komt …' is quoted with what it points back to
    # a name no retrieved passage holds asks nothing of them (another language, a name the report never uses)
    assert {q.text for q in rank_sentences(question, [other], Axes(), kind=kind) if q.typed} == {other.text}


def test_the_names_a_question_holds_are_those_the_passages_know() -> None:
    passages = [hit(1, "De Brainport-regio heet nu De STAP naar gezonder (voorheen: Vitaal in Brainport).")]
    question = "In which year did Vitaal in Brainport change its name to De STAP naar gezonder?"
    assert asked_subjects(question, passages) == ["Vitaal", "Brainport", "De STAP"]
    assert asked_subjects("How many German companies take part?", passages) == []  # 'How' opens; 'German' unknown


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_model_refusal_stands_only_for_a_question_of_a_kind(lang: str) -> None:
    # an open question: the sentence score decides, however the passages score
    assert not trust_refusal(None, STRONG_EVIDENCE[lang] - 0.1, lang)
    # a number, a name, a date: the model reads which thing a number counts; only very close passages overrule it
    assert trust_refusal(the("number"), STRONG_EVIDENCE[lang] - 0.01, lang)
    assert not trust_refusal(the("number"), STRONG_EVIDENCE[lang], lang)


@pytest.mark.parametrize(
    ("question", "thing"),
    [
        ("Hoeveel wijken doen inmiddels mee?", "wijken"),
        ("Hoeveel toekomstscenario's werden er gemaakt?", "toekomstscenario's"),
        ("How many German companies are members?", "German companies"),
        ("How many people attended the first focus group?", "people"),
        ("How many sub-regions are active?", "sub-regions"),
        ("Hoe vaak komt de groep samen?", None),  # a number, but nothing named that it counts
        ("Wanneer werd het netwerk opgericht?", None),  # not a number
    ],
)
def test_what_a_number_question_counts(question: str, thing: str | None) -> None:
    assert counted_thing(question, asked_type(question, TYPES.types)) == thing


@pytest.mark.parametrize(
    ("question", "thing"),
    [
        ("Met welke software hebben de onderzoekers de interviews gecodeerd?", "software"),
        ("Welke subsidie krijgt het netwerk van de EU?", "subsidie"),
        ("Hoeveel sub-regio's zijn er?", "sub-regio"),
        ("Wat voor soort bijeenkomsten organiseert De STAP?", "bijeenkomsten"),
        ("Which town hosts the general meetings?", "town"),  # the word after the question word, not the verb
        ("How many hours a month do board members spend on the club?", "hours"),
        ("What kind of tool do they use?", "tool"),
        ("What percentage should health differences shrink by?", "percentage"),
        ("What worries the process facilitators?", None),  # after 'what' a verb, not a thing
        ("What does the report say about trust?", None),
        ("Hoeveel euro kost het lidmaatschap?", None),  # money is the money type's to judge
        ("Wat betekent stralend falen?", None),
    ],
)
def test_the_thing_a_question_asks_about_by_name(question: str, thing: str | None) -> None:
    assert asked_thing(question, TYPES.things) == thing


@pytest.mark.parametrize(
    ("words", "asked", "narrower_"),
    [
        ("bestuursleden", "Hoeveel leden heeft de club?", True),  # the board's members, not the club's
        ("bestuursleden", "Hoeveel leden heeft het bestuur?", False),  # the question names the board
        ("Bestuursleden en", "Hoeveel bestuursleden en hoeveel leden zijn geïnterviewd?", False),
        ("werkgroepleden", "Hoeveel leden telt de werkgroep?", False),
        ("leden", "Hoeveel leden heeft de club?", False),  # the word itself
        ("ondernemers", "Hoeveel leden heeft de club?", False),  # another word: e5 judges it
    ],
)
def test_a_compound_of_the_counted_word_counts_part_of_them(words: str, asked: str, narrower_: bool) -> None:
    assert narrower(words, {"leden"}, asked.lower()) is narrower_


def test_a_number_that_counts_something_else_does_not_hold_the_answer() -> None:
    text = "Er waren 16 personen aanwezig. In totaal zijn 14 interviews gehouden."
    question = "Hoeveel interviews zijn er gehouden?"
    ranked = rank_sentences(question, [hit(1, text)], Axes(), kind=asked_type(question, TYPES.types))
    assert {q.text: q.typed for q in ranked if not q.parts} == {
        "Er waren 16 personen aanwezig.": False,  # a number, of people: the toy embedding tells them apart
        "In totaal zijn 14 interviews gehouden.": True,
    }


def test_a_count_just_below_the_best_sentences_joins_the_quotes() -> None:
    # two sentences about the network score a little higher than the one with the count: the count is the
    # answer, so it is quoted beside them; one far below what the model would choose from is not
    ranked = [
        quote("De club is een Duits-Nederlands netwerk.", 0.93, False, order=0),
        quote("Het doel is contacten over de grens.", 0.92, False, order=1),
        quote("Het jaarprogramma wordt door het bestuur vastgesteld.", 0.91, False, order=2),
        quote("Het bestuur organiseert ongeveer 10 evenementen per jaar.", 0.905, True, order=3),
    ]
    quotes = answering_quotes(ranked)
    assert not any(q.typed for q in quotes)
    joined = with_typed(quotes, ranked)
    assert [q.text for q in joined] == [q.text for q in quotes] + [
        "Het bestuur organiseert ongeveer 10 evenementen per jaar."
    ]
    assert answers_question(joined, "nl", the("number")) and not answers_question(quotes, "nl", the("number"))
    others = [quote(f"Zin {i} over het netwerk.", 0.92 - i / 100, False, order=i) for i in range(5)]
    far = [*others, quote("Er zijn 10 evenementen.", 0.85, True, order=9)]
    assert with_typed(answering_quotes(far), far) == answering_quotes(far)


@pytest.mark.parametrize(
    ("question", "later"),
    [
        ("Hoeveel wijken doen inmiddels mee?", True),
        ("Wat is er sindsdien veranderd in het bestuur?", True),
        ("Heeft de regio na dit onderzoek een nieuw plan gemaakt?", True),
        ("What has the club changed since then?", True),
        ("Has the board finished its plan yet?", True),
        ("What did Fontys publish after the study?", True),
        ("What has changed since the report came out?", True),
        # the time the report describes, or 'yet' that is no 'already'
        ("Hoe werkt het bestuur op dit moment?", False),
        ("How do members currently take part?", False),
        ("Which learning concept is about learning something that does not exist yet?", False),
        ("What does the report say after the study of the three cases?", False),
        ("What did the study find about trust?", False),
    ],
)
def test_a_question_about_what_happened_after_the_study(question: str, later: bool) -> None:
    assert matches(question, TYPES.later) is later


@pytest.mark.parametrize(
    ("question", "appendix"),
    [
        ("Welke vragen stonden er op de topiclijst in bijlage 1?", True),
        ("Wat staat er in bijlage 2?", True),
        ("Can you give me the interview questions from the topic list in the appendix?", True),
        ("What does appendix 1 contain?", True),
        # where something is, which the reference answers; no appendix asked about
        ("Waar vind ik de topiclijst?", False),
        ("Welke vragen stelden de onderzoekers in de interviews?", False),
    ],
)
def test_a_question_about_what_an_appendix_holds(question: str, appendix: bool) -> None:
    assert matches(question, TYPES.appendix) is appendix


@pytest.mark.parametrize(
    ("question", "opinion"),
    [
        ("Wat vind jij: kunnen we ons netwerk beter als stichting of als coöperatie organiseren?", True),
        ("Wat is volgens jou de belangrijkste les voor ons netwerk?", True),
        ("Denk je dat de Roermond Swim volgend jaar weer georganiseerd wordt?", True),
        ("Denk je dat De STAP naar gezonder zijn doel in 2040 haalt?", True),
        ("Which of the three networks would you personally say is the best one to invest in?", True),
        ("Do you think these networks will still exist in ten years?", True),
        ("In your opinion, which network learns best?", True),
        # a way of asking, not a prediction asked
        ("Do you think trust matters for learning in networks?", False),
        ("Denk je dat vertrouwen belangrijk is voor een netwerk?", False),
        ("What do you think is the main difference between immediate and potential value?", False),
        # what the sources say or mean
        ("Wat denk jij dat het rapport bedoelt met stralend falen?", False),
        ("Do you think the authors will do follow-up research?", False),
        ("Waar vind je in het rapport de aanbevelingen?", False),
    ],
)
def test_a_question_that_asks_for_an_opinion_or_a_prediction(question: str, opinion: bool) -> None:
    assert opinion_asked(question, TYPES) is opinion


@pytest.mark.parametrize(
    ("question", "everyday"),
    [
        ("Wat wordt het weer morgen in Venlo?", True),
        ("Hoe is het weer in Eindhoven?", True),
        ("Wat voor weer wordt het morgen in Eindhoven? Moet ik een paraplu meenemen?", True),
        ("What's the weather forecast for Eindhoven this weekend?", True),
        ("How can I improve my sleep at night?", True),
        ("Wie heeft het WK voetbal van 2022 gewonnen?", True),
        ("Hoe laat vertrekt de trein naar Venlo?", True),
        # 'weer' is also 'again'; sleep, a recipe, weathering and a football club can be about a network
        ("Hoe is het weer in gang gezet na de zomer?", False),
        ("Hoe zorg je dat partners weer meedoen als het netwerk stilvalt?", False),
        ("Hoe voorkom je dat een netwerk in slaap sukkelt?", False),
        ("Wat is het recept voor een succesvol lerend netwerk?", False),
        ("Is mijn voetbalclub ook een lerend netwerk?", False),
        ("How do the networks weather a change of board?", False),
    ],
)
def test_a_question_about_everyday_life(question: str, everyday: bool) -> None:
    assert matches(question, TYPES.everyday) is everyday


def test_no_question_of_the_evaluation_sets_that_the_sources_answer_is_everyday() -> None:
    # every in-scope question written for the answer sets (by hand and blind), in either language
    in_scope = [
        item["q"]
        for path in sorted((PROJECT_ROOT / "docs" / "eval").glob("answers*.jsonl"))
        for item in map(json.loads, path.read_text(encoding="utf-8").splitlines())
        if item.get("kind") == "in"
    ]
    assert len(in_scope) > 400
    assert [q for q in in_scope if matches(q, TYPES.everyday)] == []


LISTING = [
    "In de praktijk zijn er vormen zoals van living labs, social labs, sociale innovatiecentra en city deals.",
    "Er zijn gemeenten, zorg- en welzijnsinstellingen, zorgverzekeraars, werkgevers en ondernemers aangesloten.",
    "Een fieldlab, zoals dat in de wijk draait, is een plek om samen te experimenteren.",
]


def test_a_term_also_explained_elsewhere_is_not_only_listed() -> None:
    explained = [*LISTING, "Een living lab is een proeftuin waarin bewoners en organisaties samen iets uitproberen."]
    assert listed_term("Wat is een living lab?", TYPES, explained) is None
    assert listed_only("living lab", LISTING) and not listed_only("living lab", explained)


NETWORKS = [
    "Veel regionale innovatienetwerken, zoals Brainport Eindhoven, Midpoint Brabant of Greenport Venlo bestaan uit"
    " publiek-private samenwerkingen.",
    "De Business Club Maas Rhein is een Duits-Nederlands netwerk voor ondernemers.",
    "Fontys neemt deel aan netwerken in de regio's Eindhoven, Tilburg, Venlo en daarbuiten.",
]


@pytest.mark.parametrize(
    ("question", "listed"),
    [
        # named only as one item of a list: nothing says what it is, or which one
        ("Wat is eigenlijk een living lab en hoe verschilt dat van een projectgroep?", "living lab"),
        ("What is a living lab?", "living lab"),
        ("Welke zorgverzekeraar doet er mee?", "zorgverzekeraar"),
        # set off by one comma, explained: not a list
        ("Wat is een fieldlab?", None),
        # named nowhere (another check's), or not asked to explain
        ("Wat is een hackathon?", None),
        ("Hoe werken living labs samen met de gemeente?", None),
        # a name the sources only give as one of several examples, the last one too (it runs on into the sentence)
        ("Hoe organiseert Greenport Venlo het leren binnen haar netwerk?", "Greenport Venlo"),
        ("What has Midpoint Brabant achieved?", "Midpoint Brabant"),
        # named with more to say about it, or in a list no 'zoals' opens
        ("Wie zijn de leden van de Business Club Maas Rhein?", None),
        ("Aan welke netwerken in Tilburg doet Fontys mee?", None),
    ],
)
def test_a_term_or_name_the_sources_only_list(question: str, listed: str | None) -> None:
    assert listed_term(question, TYPES, [*LISTING, *NETWORKS]) == listed


def test_a_name_also_told_about_elsewhere_is_not_only_listed() -> None:
    told = [*NETWORKS, "Greenport Venlo werkt met een eigen kennisagenda."]
    assert named_in_lists_only("Greenport Venlo", NETWORKS) and not named_in_lists_only("Greenport Venlo", told)


def test_every_sentence_under_a_heading_of_recommendations_gives_advice() -> None:
    def under(heading: str) -> Hit:
        return hit(1, "Benadruk ook de kleine stappen.").model_copy(update={"heading": heading})

    advice = the("advice")
    assert headed(under("7 Conclusie › 7.2 Aanbevelingen en vervolgonderzoek"), advice)
    assert headed(under("Recommendations for practice"), advice)
    assert not headed(under("4.1 Over het netwerk"), advice)
    assert not headed(under("7.2 Aanbevelingen en vervolgonderzoek"), the("number"))
