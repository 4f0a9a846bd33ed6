"""Which sentences an answer quotes, and when it counts as grounded: SLIM's own logic on given scores.

Real embeddings choose real sentences in tests/integration/test_answer.py; here the scores are set by
hand (or by a toy embedding whose vectors are written out), so each rule is tested on its own.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from assistant.answer.choice import (
    CANDIDATE_WORDS,
    CHOICE_CANDIDATES,
    QUOTE_MARGIN,
    Pick,
    answering_quotes,
    choice_candidates,
    choice_messages,
    choose,
    clipped,
    compared_quotes,
    with_choice,
)
from assistant.answer.compose import chosen_answer, extractive_answer, focused_excerpts
from assistant.answer.coverage import ANSWERING, KNOWN_FLOOR, KNOWN_QUESTION, QUESTION_EASING, answers_question, unasked
from assistant.answer.generation import language_of_answer, prompt_prefix
from assistant.answer.sentences import (
    LEXICAL_SHARE,
    PAIRED,
    PASSAGE_PRIOR,
    REFERRED_WORDS,
    Quote,
    asked_within,
    passage_sentences,
    rank_sentences,
    within_chapters,
)
from assistant.config import PROJECT_ROOT
from assistant.corpus import network_descriptions
from assistant.embeddings import SlimEmbeddings
from assistant.prompts import answer_prompts, answer_types, choice_prompt
from assistant.retrieve import Evidence, Hit, stop_words
from assistant.text import chapter_names, named_chapters, without_description, without_names
from tests.helpers.fakes import broken_llm, fake_chooser


def quote(n: int, text: str, score: float, order: int = 0) -> Quote:
    return Quote(n=n, text=text, similarity=score, overlap=0.0, score=score, order=order)


class Axes(SlimEmbeddings):
    """A toy embedding: each text is the unit vector of the first axis word it contains. Enough to tell
    which sentence of a passage is about what the question asks."""

    name, dim = "axes", 4
    words = ("interviews", "focusgroep", "bestuur", "cultuur")

    def _vector(self, text: str) -> np.ndarray:
        vector = np.full(self.dim, 0.1, dtype=np.float32)
        for i, word in enumerate(self.words):
            if word in text.lower():
                vector[i] = 1.0
                break
        return vector / np.linalg.norm(vector)

    def embed_query_array(self, text: str) -> np.ndarray:
        return self._vector(text)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([self._vector(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)


def hit(n: int, text: str) -> Hit:
    return Hit(
        rank=n, chunk_id=f"c{n}", source="r.md", section="2.1", heading="2.1 Opzet", page=None, score=1, text=text
    )


PASSAGE = (
    "Het bestuur koos voor een open opzet. In totaal zijn er 14 interviews gehouden met 16 personen. "
    "De cultuur werd als open ervaren.\n\nCentrale vraag:\n\nEen focusgroep vond plaats in Venlo. "
    "Drie netwerken deden mee:\n\n- Business Club Maas Rhein\n- De STAP naar gezonder"
)


def test_passage_sentences_are_the_quotable_sentences_verbatim() -> None:
    sentences = [quoted for _, quoted in passage_sentences(PASSAGE)]
    assert sentences == [
        "Het bestuur koos voor een open opzet.",
        "In totaal zijn er 14 interviews gehouden met 16 personen.",
        "De cultuur werd als open ervaren.",
        "Centrale vraag:\n\nEen focusgroep vond plaats in Venlo.",  # a label comes with what it announces
        "Drie netwerken deden mee:\n\n- Business Club Maas Rhein\n- De STAP naar gezonder",  # the list comes along
    ]
    assert all(s in PASSAGE for s in sentences)
    assert passage_sentences("- Een opsomming zonder inleiding ervoor.") == [
        (["- Een opsomming zonder inleiding ervoor."], "Een opsomming zonder inleiding ervoor.")
    ]


def test_the_sentence_about_the_question_is_chosen_not_the_first() -> None:
    ranked = rank_sentences("Hoeveel interviews zijn er gehouden?", [hit(1, PASSAGE)], Axes())
    assert ranked[0].text == "In totaal zijn er 14 interviews gehouden met 16 personen."
    assert ranked[0].n == 1 and ranked[0].order == 1
    assert [q.score for q in ranked] == sorted((q.score for q in ranked), reverse=True)


def test_the_question_words_in_a_sentence_add_to_its_score() -> None:
    # the toy embedding sees no axis word in either sentence: only the shared words tell them apart
    text = "Het netwerk is open. Leden betalen geen contributie voor het lidmaatschap."
    ranked = rank_sentences("Wat kost het lidmaatschap?", [hit(1, text)], Axes())
    assert ranked[0].text.startswith("Leden betalen") and ranked[0].overlap > 0
    assert ranked[0].score == pytest.approx(ranked[0].similarity + LEXICAL_SHARE * ranked[0].overlap, abs=1e-3)


def test_a_sentence_of_the_best_retrieved_passage_goes_before_a_nearly_as_good_one() -> None:
    # both about the board; the second passage's sentence shares one question word more ("club")
    hits = [hit(1, "Het bestuur telt zeven leden."), hit(2, "Het bestuur van de club vergadert met de leden.")]
    ranked = rank_sentences("Welke leden heeft het bestuur van de club?", hits, Axes())
    assert [q.n for q in ranked] == [1, 2]
    assert 0 < ranked[1].score - ranked[0].score < PASSAGE_PRIOR  # it orders; whether they answer is the score's


def test_vectors_the_index_already_has_are_used() -> None:
    class Counting(Axes):
        embedded: list[str] = []

        def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
            self.embedded += list(texts)
            return super().embed_passages(texts)

    model = Counting()
    units = [unit for parts, _ in passage_sentences(PASSAGE) for unit in parts]
    known = {unit: model._vector(unit) for unit in units[:4]}
    rank_sentences("Hoeveel interviews?", [hit(1, PASSAGE)], model, indexed=known)
    assert model.embedded == sorted(units[4:])  # the sentence and the list items the index lacks, nothing else


class Written(Axes):
    """A toy embedding whose vectors are written out: the question asks two things, each sentence holds one."""

    name, dim = "written", 3
    vectors = {
        "Welke netwerken zijn gekozen, en waarom?": [1.0, 1.0, 0.0],
        "We kozen drie netwerken.": [1.0, 0.0, 0.0],
        "Criteria waren spreiding en focus.": [0.0, 1.0, 0.0],
        "De leden zijn tevreden.": [0.0, 0.0, 1.0],
    }

    def _vector(self, text: str) -> np.ndarray:
        vector = np.array(self.vectors[text], dtype=np.float32)
        return vector / np.linalg.norm(vector)


CHOSEN = "We kozen drie netwerken. Criteria waren spreiding en focus. De leden zijn tevreden."


def test_two_neighbouring_sentences_that_answer_together_are_one_quote() -> None:
    question = "Welke netwerken zijn gekozen, en waarom?"
    ranked = rank_sentences(question, [hit(1, CHOSEN)], Written())
    best = ranked[0]
    assert best.parts == ("We kozen drie netwerken.", "Criteria waren spreiding en focus.")
    assert best.similarity == pytest.approx(1.0, abs=1e-3)  # the mean of the two vectors is the question's
    assert best.score == pytest.approx(best.similarity + LEXICAL_SHARE * best.overlap - PAIRED, abs=1e-3)
    assert best.score > max(q.score for q in ranked if not q.parts)
    quotes = answering_quotes(ranked)
    assert quotes == [best]  # the sentences it joins are not quoted again
    prompt = answer_prompts(PROJECT_ROOT / "prompts")["nl"]
    text = extractive_answer(prompt, quotes)
    # each sentence quoted with its citation, as any other quote
    assert "“We kozen drie netwerken.” [1] “Criteria waren spreiding en focus.” [1]" in text


def test_sentences_are_not_paired_across_a_paragraph() -> None:
    text = "We kozen drie netwerken.\n\nCriteria waren spreiding en focus. De leden zijn tevreden."
    ranked = rank_sentences("Welke netwerken zijn gekozen, en waarom?", [hit(1, text)], Written())
    assert [q.parts for q in ranked if q.parts] == [("Criteria waren spreiding en focus.", "De leden zijn tevreden.")]


def test_quotes_that_share_a_sentence_are_not_both_quoted() -> None:
    pair = Quote(n=1, text="A. B.", similarity=0.9, overlap=0.0, score=0.9, parts=("A.", "B."))
    overlapping = pair.model_copy(update={"text": "B. C.", "parts": ("B.", "C.")})
    ranked = [pair, quote(1, "B.", 0.9, order=1), overlapping]
    assert [q.text for q in answering_quotes(ranked)] == ["A. B."]
    assert [q.text for q in choice_candidates([*ranked, quote(2, "D.", 0.5)])] == ["A. B.", "D."]


def test_the_model_reads_the_start_of_both_sentences_of_a_pair() -> None:
    first, second = "Eerste " * 40 + "zin.", "Tweede zin met het antwoord."
    read = clipped(f"{first} {second}", parts=(first, second))
    assert read.startswith("Eerste " * (REFERRED_WORDS - 1) + "Eerste …") and read.endswith(second)


def test_a_second_sentence_is_quoted_only_when_nearly_as_good_and_in_reading_order() -> None:
    ranked = [quote(2, "B", 0.90, order=3), quote(1, "A", 0.90 - QUOTE_MARGIN / 2, order=5), quote(1, "C", 0.7)]
    assert [q.text for q in answering_quotes(ranked)] == ["A", "B"]  # passage 1 before passage 2
    far = [quote(1, "A", 0.90), quote(1, "B", 0.90 - 2 * QUOTE_MARGIN - 0.01)]
    assert [q.text for q in answering_quotes(far)] == ["A"]
    assert answering_quotes([]) == []


def test_a_sentence_two_passages_share_is_quoted_once() -> None:
    ranked = [quote(2, "A", 0.90), quote(3, "A", 0.90), quote(3, "B", 0.89)]
    assert [(q.n, q.text) for q in answering_quotes(ranked)] == [(2, "A"), (3, "B")]


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_grounded_only_when_the_best_quoted_sentence_answers(lang: str) -> None:
    assert answers_question([quote(1, "A", ANSWERING[lang])], lang)  # type: ignore[arg-type]
    assert not answers_question([quote(1, "A", ANSWERING[lang] - 0.001)], lang)  # type: ignore[arg-type]
    assert not answers_question([], lang)  # type: ignore[arg-type]


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_an_open_question_close_to_one_written_for_the_report_is_answered_a_little_lower(lang: str) -> None:
    eased = [quote(1, "A", ANSWERING[lang] - QUESTION_EASING)]
    assert answers_question(eased, lang, known_question=KNOWN_QUESTION)  # type: ignore[arg-type]
    assert not answers_question(eased, lang, known_question=KNOWN_QUESTION - 0.001)  # type: ignore[arg-type]
    assert not answers_question(eased, lang)  # type: ignore[arg-type]  # no questions written: no easing
    money = next(kind for kind in answer_types(PROJECT_ROOT / "prompts").types if kind.id == "money")
    typed = [quote(1, "€ 5", ANSWERING[lang] - QUESTION_EASING).model_copy(update={"typed": True})]
    assert not answers_question(typed, lang, money, KNOWN_QUESTION)  # type: ignore[arg-type]  # a kind eases less


def test_an_english_question_far_from_every_written_question_is_not_covered_when_the_report_comes_first() -> None:
    report, own = hit(1, "Het bestuur koos voor een open opzet."), hit(1, "Our board chose an open set-up.")
    own = own.model_copy(update={"kind": "document"})

    def evidence(first: Hit, known: float | None) -> Evidence:
        return Evidence(hits=[first], excerpts=[first.text], relevance=0.85, known_question=known)

    below = KNOWN_FLOOR["en"] - 0.001
    assert unasked(evidence(report, below), "en")
    assert not unasked(evidence(report, KNOWN_FLOOR["en"]), "en")
    assert not unasked(evidence(own, below), "en")  # a person's English document compares in its own language
    assert not unasked(evidence(report, None), "en")  # no questions written (no report in the index)
    assert not unasked(evidence(report, below), "nl")  # Dutch sentences already compare in one language


def test_the_extractive_answer_quotes_cites_and_speaks_the_question_language() -> None:
    prompts = answer_prompts(PROJECT_ROOT / "prompts")
    quotes = [quote(1, "Er zijn 14 interviews gehouden [3].", 0.9), quote(2, "Een focusgroep in Venlo.", 0.9)]
    english = extractive_answer(prompts["en"], quotes)
    assert english == (
        f"{prompts['en'].extractive_intro} “Er zijn 14 interviews gehouden (3).” [1] “Een focusgroep in Venlo.” [2]"
    )
    assert extractive_answer(prompts["nl"], quotes).startswith(prompts["nl"].extractive_intro)
    # not answering: said so, in the question's language, and the closest sentences offered
    assert extractive_answer(prompts["en"], quotes[:1], answered=False).startswith(prompts["en"].closest_intro)
    assert prompts["nl"].closest_intro != prompts["en"].closest_intro
    # a thing no text names: that is said, with the word as the person wrote it
    why = prompts["en"].unheard_intro.format(thing="software")
    unheard = extractive_answer(prompts["en"], quotes[:1], answered=False, lang="en", why=why)
    assert unheard.startswith("I don't find ‘software’ anywhere in the sources. This comes closest: “Er zijn")


def test_excerpts_for_the_model_are_each_passage_best_sentences_in_reading_order() -> None:
    ranked = [quote(1, "late", 0.9, order=4), quote(2, "other", 0.85), quote(1, "early", 0.8, order=1)]
    ranked.append(quote(1, "third", 0.7, order=2))
    assert focused_excerpts(ranked, 3, max_chars=100) == ["early late", "other", ""]
    assert focused_excerpts(ranked, 1, max_chars=6) == ["late"]  # a second sentence only where it fits
    long_list = [quote(1, "Zes waarden: " + "; ".join(["een waarde"] * 40), 0.9)]
    excerpt = focused_excerpts(long_list, 1, max_chars=50)[0]
    assert len(excerpt) <= 102 and excerpt.startswith("Zes waarden:") and excerpt.endswith("…")


# --- the embedded model chooses: SLIM's logic around its choice, with LangChain's fake chat model ----------


@pytest.mark.parametrize(
    ("reply", "pick"),
    [
        ('{"answer": "2"}', Pick(index=1)),
        ('{"answer": "none"}', Pick(none=True)),
        ('{"answer": "4"}', Pick(problem="choice out of range")),  # three candidates
        ('{"answer": "0"}', Pick(problem="choice out of range")),
        ("Zin 2 geeft het antwoord.", Pick(problem="unreadable choice")),
        ('{"signal": "2"}', Pick(problem="unreadable choice")),
    ],
)
def test_the_model_choice_is_a_listed_number_or_none(reply: str, pick: Pick) -> None:
    llm = fake_chooser(reply)
    assert choose(llm, [], 3) == pick


def test_a_failing_model_is_a_problem_not_an_exception() -> None:
    pick = choose(broken_llm(chooses=True), [], 3)
    assert pick.index is None and not pick.none and pick.problem and "went away" in pick.problem


def test_the_choice_prompt_numbers_the_candidates_after_a_fixed_prefix() -> None:
    prompt = choice_prompt(PROJECT_ROOT / "prompts")
    candidates = [quote(1, "Er zijn 14 interviews gehouden [3].", 0.9), quote(2, "woord " * 80, 0.8)]
    messages = choice_messages(prompt, "Hoeveel\ninterviews?", candidates)
    assert messages[:-1] == prompt_prefix(prompt)  # the part that is warmed and kept on disk, unchanged
    body = str(messages[-1].content)
    assert "1. Er zijn 14 interviews gehouden (3)." in body  # the passage's own numbers are not citations
    assert f"2. {'woord ' * CANDIDATE_WORDS}…".replace("  ", " ") in body  # a long sentence is clipped
    assert body.rstrip().endswith("Hoeveel interviews?")


def test_candidates_are_the_best_sentences_each_once() -> None:
    ranked = [quote(1, "A", 0.9), quote(2, "A", 0.9), quote(1, "B", 0.8), quote(3, "C", 0.7)]
    assert [q.text for q in choice_candidates(ranked, count=2)] == ["A", "B"]
    assert [(q.n, q.text) for q in choice_candidates(ranked)] == [(1, "A"), (1, "B"), (3, "C")]


def test_the_chosen_sentence_is_quoted_with_the_best_scoring_ones_in_reading_order() -> None:
    chosen = quote(2, "Gekozen.", 0.85, order=4)
    best = [quote(1, "Beste.", 0.9, order=2), quote(2, "Gekozen.", 0.85, order=4)]
    assert [q.text for q in with_choice(chosen, best)] == ["Beste.", "Gekozen."]  # once each


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_frame_around_a_chosen_sentence_is_in_the_question_language_and_names_the_passage(lang: str) -> None:
    prompts = answer_prompts(PROJECT_ROOT / "prompts")[lang]  # type: ignore[index]
    report = hit(1, "Er zijn 14 interviews gehouden.")
    document = report.model_copy(update={"kind": "document", "source": "notulen.docx", "section": ""})
    one = [quote(1, "Er zijn 14 interviews gehouden.", 0.9)]
    text = chosen_answer(prompts, one, [report], lang)  # type: ignore[arg-type]
    assert text == f"{prompts.chosen_intro.report} “Er zijn 14 interviews gehouden.” [1]"
    assert language_of_answer(text, lang) == lang  # type: ignore[arg-type]  # SLIM's words, not the quote
    assert chosen_answer(prompts, one, [document], lang).startswith(prompts.chosen_intro.document)  # type: ignore[arg-type]
    both = [*one, quote(2, "Een zin uit de notulen.", 0.9)]
    assert chosen_answer(prompts, both, [report, document], lang).startswith(prompts.extractive_intro)  # type: ignore[arg-type]


# --- session 10: which sentences the model is offered, and what a quote keeps together ----------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Wij geven de volgende aanbevelingen:\n\nBlijf duidelijk over de doelen. Vier ook kleine successen.",
            ["Wij geven de volgende aanbevelingen:\n\nBlijf duidelijk over de doelen.", "Vier ook kleine successen."],
        ),
        (
            "The report gives three reasons for this: the terms are short. Plans change every year.",
            ["The report gives three reasons for this: the terms are short.", "Plans change every year."],
        ),
    ],
)
def test_a_sentence_that_announces_what_follows_is_quoted_with_the_next_one(text: str, expected: list[str]) -> None:
    assert [quoted for _, quoted in passage_sentences(text)] == expected
    assert all(quoted in text for quoted in expected)  # verbatim, so the quote is the report's own text


def test_a_sentence_that_points_back_is_quoted_with_the_one_before_it() -> None:
    text = (
        "Veel leden komen zelden naar de bijeenkomsten. Dit wordt toegeschreven aan een gebrek aan tijd. "
        "Het bestuur telt acht leden.\n\nDeze uitgave valt onder een open licentie."
    )
    assert [quoted for _, quoted in passage_sentences(text)] == [
        "Veel leden komen zelden naar de bijeenkomsten. Dit wordt toegeschreven aan een gebrek aan tijd.",
        "Het bestuur telt acht leden.",  # not joined across a paragraph: 'Deze uitgave' is another matter
        "Deze uitgave valt onder een open licentie.",
    ]
    named = "Het netwerk werkt samen met andere organisaties. Specifiek genoemd worden Fontys en Ondernemend Venlo."
    assert len(passage_sentences(named)) == 1  # the names of what the sentence before it said
    colophon = "Auteurs:\n\nCindy Ras,\n\nClaudine Verbiest,\n\nMax Klöters\n\nVanuit het Fontys Kenniscentrum"
    assert [" ".join(quoted.split()) for _, quoted in passage_sentences(colophon)] == [
        "Auteurs: Cindy Ras, Claudine Verbiest, Max Klöters",  # a list written one name per line is one answer
        "Vanuit het Fontys Kenniscentrum",
    ]
    example = "De verandering is al zichtbaar. Er wordt bijvoorbeeld meer geluisterd naar burgers."
    assert len(passage_sentences(example)) == 1  # an example a word or two in illustrates the one before it
    said = "De voorzitter zegt hierover: “Wij hebben de strategie besproken. Die is dan in juli vastgesteld.”"
    assert len(passage_sentences(said)) == 1  # 'Die is …' says what only with the sentence before it
    blank = "Het bestuur telt acht leden.\n  \nDit staat los van de leden."  # a blank line with spaces on it
    assert len(passage_sentences(blank)) == 2
    first = " ".join(f"woord{i}" for i in range(40)) + "."
    joined = f"{first} Dit wordt toegeschreven aan een gebrek aan tijd."
    shown = clipped(joined)  # the model reads the start of both sentences, not only the first
    assert shown.startswith(" ".join(first.split()[:REFERRED_WORDS])) and "Dit wordt toegeschreven" in shown
    assert len(shown.replace(" …", "").split()) <= CANDIDATE_WORDS


def test_an_announcing_sentence_scores_as_what_it_announces() -> None:
    # alone 'De volgende punten zijn genoemd:' says nothing about the board; with its next sentence it does
    text = "Het netwerk is open. De volgende punten zijn genoemd:\n\nHet bestuur leert te weinig van fouten."
    ranked = rank_sentences("Wat zegt het rapport over het bestuur?", [hit(1, text)], Axes())
    assert ranked[0].text == "De volgende punten zijn genoemd:\n\nHet bestuur leert te weinig van fouten."


def candidates_around_a_first_passage() -> list[Quote]:
    """Sentences of passages 2 and 3 that name the network score above the one of passage 1 (retrieval's
    best) that answers without naming it."""
    return [
        quote(2, "De Business Club Maas Rhein is een Duits-Nederlands netwerk.", 0.97),
        quote(3, "De Business Club Maas Rhein bestaat uit bijna 100 ondernemers.", 0.95),
        quote(2, "Het doel van de Business Club Maas Rhein is verbinden.", 0.92),
        quote(3, "De Business Club Maas Rhein kent een grote diversiteit.", 0.91),
        quote(1, "Het netwerk heeft recent haar 25-jarig bestaan gevierd.", 0.83),
        quote(1, "Het bestuur bestaat uit een voorzitter en 7 bestuursleden.", 0.80),
    ]


def test_the_best_sentence_of_the_first_passage_is_always_a_candidate() -> None:
    ranked = candidates_around_a_first_passage()
    candidates = choice_candidates(ranked)
    assert len(candidates) == CHOICE_CANDIDATES  # the model reads no more than before
    assert [q.text for q in candidates] == [q.text for q in ranked[:3]] + [ranked[4].text]  # the 4th gives way
    assert choice_candidates(ranked, spread=0) == ranked[:4]  # without the rule: the four best
    # when passage 1 already has a sentence among the best, the candidates are the best ones
    first = quote(1, "Het netwerk bestaat al 25 jaar.", 0.99)
    assert choice_candidates([first, *ranked]) == [first, *ranked[:3]]


@pytest.mark.parametrize(
    "question", ["Hoe oud is de Business Club Maas Rhein?", "How old is the Business Club Maas Rhein?"]
)
def test_the_model_can_choose_the_first_passage_sentence_and_it_is_quoted(question: str) -> None:
    ranked = candidates_around_a_first_passage()
    candidates = choice_candidates(ranked)
    llm = fake_chooser('{"answer": "4"}')
    messages = choice_messages(choice_prompt(PROJECT_ROOT / "prompts"), question, candidates)
    pick = choose(llm, messages, len(candidates))
    assert pick.index == 3
    read = str(llm.chat.seen[0][-1].content)  # type: ignore[union-attr]
    assert "4. Het netwerk heeft recent haar 25-jarig bestaan gevierd." in read and question in read
    quoted = [q.text for q in with_choice(candidates[pick.index], answering_quotes(ranked))]
    assert quoted[0] == "Het netwerk heeft recent haar 25-jarig bestaan gevierd."  # passage 1 first, in reading order
    assert quoted[1:] == [q.text for q in ranked[:2]]  # with the best-scoring sentences, as for any choice


def test_a_quote_within_the_quoted_sentence_cannot_close_it() -> None:
    """A sentence of the report that quotes a title keeps one pair of SLIM's quotation marks: what reads its
    own words (the language check, a person) sees where the report's text ends."""
    prompts = answer_prompts(PROJECT_ROOT / "prompts")
    sentence = "In de strategische visie van Fontys, “Fontys for Society, strategisch plan 2021 – 2025” staat dat."
    text = extractive_answer(prompts["en"], [quote(1, sentence, 0.9)])
    assert text.count("“") == 1 and text.count("”") == 1
    assert "‘Fontys for Society, strategisch plan 2021 – 2025’" in text
    assert language_of_answer(text, "nl") == "en"


# --- session 17: a question that compares case networks ------------------------------------------------------


def chapter_hit(n: int, chapter: str, text: str) -> Hit:
    return hit(n, text).model_copy(update={"heading": f"{chapter} › {chapter[3:]} › Over het netwerk"})


def test_a_comparison_quotes_the_best_sentence_about_each_network_it_names() -> None:
    bcmr, stap = "4. Business Club Maas Rhein (BCMR)", "5. De STAP naar Gezonder"
    hits = [
        chapter_hit(1, bcmr, "De Business Club Maas Rhein heeft een bestuur. Het bestuur werkt met vrijwilligers."),
        chapter_hit(
            2, bcmr, "De Business Club Maas Rhein is een netwerk. Het netwerk is een stichting met een bestuur."
        ),
        chapter_hit(3, stap, "De STAP naar gezonder is een coöperatie met een bestuur."),
    ]
    question = "Hoe verschillen de Business Club Maas Rhein en De STAP in hun bestuur?"
    ranked = rank_sentences(question, hits, Axes())
    asked: list[str] = []

    def rank(text: str) -> list[Quote]:
        asked.append(text)
        return rank_sentences(text, hits, Axes())

    named = named_chapters(question, [bcmr, stap])
    quotes = compared_quotes(question, named, ranked, hits, rank)
    assert asked == ["Hoe verschillen de en in hun bestuur?"]  # within a network's chapter its name says nothing
    assert [q.n for q in quotes] == [1, 3]  # one sentence about each network, in reading order
    assert all(q in ranked for q in quotes)  # scored as the whole question scores them
    candidates = choice_candidates(ranked, compared=quotes)
    assert all(q in candidates for q in quotes)  # the model reads both, whatever their score
    one = "Hoe groot is het bestuur van de Business Club Maas Rhein?"
    assert compared_quotes(one, named_chapters(one, [bcmr, stap]), ranked, hits, rank) == []


def test_a_network_s_name_says_nothing_within_its_own_chapter() -> None:
    chapters = ["4. Business Club Maas Rhein (BCMR)", "8. Verantwoording"]
    question = "Uit hoeveel mensen bestaat het bestuur van de Business Club Maas Rhein volgens Fontys?"
    own = named_chapters(question, chapters)
    assert own == chapters[:1] and chapter_names(question, own) == ["Business Club Maas Rhein"]  # not 'Fontys'
    assert (
        without_names(question, chapter_names(question, own))
        == "Uit hoeveel mensen bestaat het bestuur van de volgens Fontys?"
    )
    hits = [hit(1, "x"), hit(2, "y")]
    hits[0] = hits[0].model_copy(update={"heading": "4. Business Club Maas Rhein (BCMR) › 4.2 Structuur"})
    as_asked = [
        quote(1, "De Business Club Maas Rhein is een netwerk.", 0.95),
        quote(1, "Het bestuur telt 8 leden.", 0.80),
        quote(2, "Bij de Business Club Maas Rhein waren 12 interviews.", 0.92),
    ]
    focused = [
        quote(1, "De Business Club Maas Rhein is een netwerk.", 0.70),
        quote(1, "Het bestuur telt 8 leden.", 0.88),
        quote(2, "Bij de Business Club Maas Rhein waren 12 interviews.", 0.60),
    ]
    ranked = within_chapters(as_asked, focused, hits, set(own))
    # in the network's chapter the sentences as scored without its name; elsewhere naming it still tells
    assert [(q.n, q.score) for q in ranked] == [(2, 0.92), (1, 0.88), (1, 0.70)]


def test_the_chapters_a_question_names_are_read_from_their_titles() -> None:
    chapters = ["2. Over dit onderzoek", "4. Business Club Maas Rhein (BCMR)", "5. De STAP naar Gezonder"]
    assert named_chapters("How do the BCMR and De STAP differ?", chapters) == chapters[1:]
    assert named_chapters("Wat doet De STAP naar gezonder?", chapters) == [chapters[2]]
    assert named_chapters("Wat vindt de BCMRX ervan?", chapters) == []  # a whole name, not part of a word


# --- session 31: a network named by a description --------------------------------------------------------------

DESCRIPTIONS = network_descriptions(PROJECT_ROOT / "corpus")


@pytest.mark.parametrize(
    ("chapter", "question", "asked"),
    [
        (
            "4",
            "Waarom komen leden van de Duits-Nederlandse businessclub zelden naar de activiteiten?",
            "Waarom komen leden van de zelden naar de activiteiten?",
        ),
        ("4", "Wat besprak het bestuur van de grensclub?", "Wat besprak het bestuur van de ?"),
        (
            "5",
            "Which themes does the health movement work on with its partners?",
            "Which themes does the work on with its partners?",
        ),
        (
            "5",
            "Wat remt het leren bij de bestuurders in de Eindhovense gezondheidsbeweging?",
            "Wat remt het leren bij de bestuurders in de ?",
        ),
    ],
)
def test_the_words_that_describe_a_network_are_left_out_of_what_is_asked_within_its_chapter(
    chapter: str, question: str, asked: str
) -> None:
    # the descriptions are the case chapters' contexts (corpus/section-context.yaml): a word they hold, or one that
    # starts as one of theirs does ('grensclub', 'grensoverschrijdende'; 'Eindhovense', 'Eindhoven'), not a
    # stop word ('with')
    assert set(DESCRIPTIONS) == {"4", "5", "6"}
    assert without_description(question, DESCRIPTIONS[chapter], stop_words()) == asked


def test_a_question_about_a_network_it_does_not_name_is_asked_within_the_chapter_most_passages_are_in() -> None:
    bcmr, research = "4. Business Club Maas Rhein (BCMR)", "2. Over dit onderzoek"

    def placed(n: int, chapter: str) -> Hit:
        return chapter_hit(n, chapter, "x").model_copy(update={"section": chapter.split(".")[0] + ".1"})

    def evidence(*chapters: str, named: tuple[str, ...] = ()) -> Evidence:
        hits = [placed(n, c) for n, c in enumerate(chapters, start=1)]
        return Evidence(hits=hits, excerpts=[], relevance=0.9, named=named)

    question = "Wat besprak het bestuur van de grensclub?"
    assert asked_within(question, evidence(bcmr, bcmr, research), DESCRIPTIONS) == (
        "Wat besprak het bestuur van de ?",
        {bcmr},
    )
    # most passages elsewhere, or the best one in a chapter that describes no network: about no network
    assert asked_within(question, evidence(bcmr, research, research), DESCRIPTIONS) is None
    assert asked_within(question, evidence(research, bcmr, bcmr), DESCRIPTIONS) is None
    # nothing left to ask once the description is out
    assert asked_within("Wat is de grensoverschrijdende zakenclub?", evidence(bcmr, bcmr), DESCRIPTIONS) is None
    # a name goes before a description: only the name is left out
    named = "Wat besprak het bestuur van de BCMR, de grensclub?"
    assert asked_within(named, evidence(bcmr, research, named=(bcmr,)), DESCRIPTIONS) == (
        "Wat besprak het bestuur van de , de grensclub?",
        {bcmr},
    )
