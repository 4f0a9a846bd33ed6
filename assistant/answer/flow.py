"""``answer_question``: from a question to a cited answer (see the package's docstring for the whole flow)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from time import perf_counter

from assistant.answer.choice import (
    answering_quotes,
    choice_candidates,
    choice_messages,
    choose,
    compared_quotes,
    with_choice,
    with_typed,
)
from assistant.answer.compose import EXCERPT_CAP, EXCERPT_CHARS, chosen_answer, extractive_answer, focused_excerpts
from assistant.answer.coverage import KNOWN_QUESTION, RELEVANCE_FLOOR, answers_question, trust_refusal, unasked
from assistant.answer.generation import (
    build_messages,
    checked_generation,
    drop_refusal,
    says_not_covered,
    speaks_to_model,
)
from assistant.answer.kinds import (
    asked_thing,
    asked_type,
    listed_term,
    matches,
    opinion_asked,
    unheard_name,
    unquotable,
)
from assistant.answer.sentences import asked_within, indexed_sentences, rank_sentences, within_chapters
from assistant.config import Settings
from assistant.corpus import network_descriptions
from assistant.domain import Answer, Citation, Timings
from assistant.i18n import detect_language, t
from assistant.llm import LanguageModel
from assistant.prompts import AnswerPrompt, answer_prompts, answer_types, choice_prompt, instruction_patterns
from assistant.retrieve import Retriever
from assistant.safe_text import without_links

# Within the chapter of the network a question names ("Uit hoeveel mensen bestaat het bestuur van de Business
# Club Maas Rhein?"), sentences are ranked on the question without that name: there the name says nothing, and
# the sentences that repeat it outscored the one that answers ("Het bestuur bestaat uit een voorzitter en 7
# bestuursleden"). Whether the passages answer at all is still judged on the question as asked. On the tuning
# halves 5 more answering sentences quoted without a model and 2 more with it, none lost (docs/benchmarks.md,
# "Session 18"). A question that describes the network instead ("de grensclub", "the health movement") is ranked
# so on the question without the words of the chapter's context (``asked_within``): 5 more again, none lost
# ("Session 31").
WITHIN_CHAPTER = True


def unanswerable(
    prompt: AnswerPrompt, opinion: bool, unheard: str | None, later: bool, appendix: bool, listed: str | None
) -> tuple[str, str] | None:
    """Why none of the sentences can answer, whatever they say, first reason first: the words that tell the
    person so (before the closest sentences) and a note for the evaluation; None when nothing rules it out."""
    if opinion:  # SLIM's own view or a prediction: no source holds one
        return prompt.opinion_intro, "an opinion or prediction"
    if unheard:  # a thing no text of the index names ('Met welke software …?')
        return prompt.unheard_intro.format(thing=unheard), f"the index never names '{unheard}'"
    if later:  # what happened after the study
        return prompt.later_intro, "after the study"
    if appendix:  # what an appendix holds: the report's text has none of them
        return prompt.appendix_intro, "an appendix"
    if listed:
        return prompt.listed_intro.format(thing=listed), f"'{listed}' only in a list"
    return None


def answer_question(
    question: str,
    retriever: Retriever,
    llm: LanguageModel,
    settings: Settings,
    *,
    on_passages: Callable[[list[Citation]], None] | None = None,
    on_token: Callable[[str], None] | None = None,
    on_wait: Callable[[int], None] | None = None,
) -> Answer:
    """Answer ``question`` from the index; callbacks let a UI show passages and tokens as they come, and
    the place in line while other people's answers are being written (``on_wait``)."""
    start = perf_counter()
    lang = detect_language(question, default=settings.lang)
    prompt = answer_prompts(settings.prompts_dir)[lang]
    if not any(ch.isalnum() for ch in question):  # '', '   ', '😀😀😀', '```': nothing to search for
        timings = Timings(retrieval_s=0.0, first_token_s=None, total_s=round(perf_counter() - start, 3))
        text = t("answer.empty_question", lang)
        return Answer(answer=text, language=lang, grounded=False, citations=[], timings=timings, method="empty")
    evidence = retriever.evidence(question, k=settings.answer_passages, max_chars=EXCERPT_CHARS)
    citations = [Citation.from_hit(n, hit) for n, hit in enumerate(evidence.hits, start=1)]
    retrieval_s = perf_counter() - start
    # a question none of whose words the index knows ('asdfghjkl') is not covered, however close a
    # passage's vector happens to be
    # one that all but repeats a question written for the report (KNOWN_QUESTION) is covered under the floor too:
    # "Wanneer vond de kick-off van het onderzoeksteam plaats?" is answered by a table row far from its words
    close = evidence.relevance >= RELEVANCE_FLOOR[lang] or (evidence.known_question or 0.0) >= KNOWN_QUESTION
    covered = close and bool(citations) and evidence.known_words > 0
    far = covered and unasked(evidence, lang)
    types = answer_types(settings.prompts_dir)
    # the weather in Venlo: passages about Venlo come close, none can answer (a person's own document may)
    everyday = matches(question, types.everyday) and (not evidence.hits or evidence.hits[0].kind != "document")
    covered = covered and not far and not everyday
    if on_passages and covered:  # passages the answer will not rest on would flash up and vanish
        on_passages(citations)

    def done(
        text: str, method: str, cites: list[Citation], first: float | None, grounded: bool, note: str | None = None
    ) -> Answer:
        return Answer(
            answer=without_links(text, prompt.link_removed),
            language=lang,
            grounded=grounded,
            citations=cites,
            timings=Timings(
                retrieval_s=round(retrieval_s, 3), first_token_s=first, total_s=round(perf_counter() - start, 3)
            ),
            method=method,  # type: ignore[arg-type]
            note=note,
        )

    if everyday:
        return done(prompt.outside_scope, "not_covered", [], None, False, note="an everyday question")
    if not covered:
        note = "far from every question written for the report" if far else "low relevance"
        return done(prompt.not_covered, "not_covered", [], None, False, note=note)
    embeddings, indexed = retriever.index.embeddings, indexed_sentences(retriever)
    kind = asked_type(question, types.types)
    lexical = retriever.lexical_query(question)
    skipped = unquotable(types, kind)
    ranked = rank_sentences(
        question, evidence.hits, embeddings, lexical, indexed, kind, skipped, ordinals=types.ordinals
    )
    # whether the passages answer is judged on single sentences: judged on pairs too, fewer near-domain questions
    # were declined on the tuning halves (docs/benchmarks.md, "Session 27")
    singles = [q for q in ranked if not q.parts]
    answered_by = with_typed(answering_quotes(singles), singles)
    within = asked_within(question, evidence, network_descriptions(settings.corpus_dir))
    if WITHIN_CHAPTER and within is not None:
        asked, own = within
        focus = (asked, retriever.lexical_query(asked))
        focused = rank_sentences(
            question, evidence.hits, embeddings, lexical, indexed, kind, skipped, focus, ordinals=types.ordinals
        )
        ranked = within_chapters(ranked, focused, evidence.hits, own)
    compared = compared_quotes(
        question,
        evidence.compared,
        ranked,
        evidence.hits,
        lambda asked: rank_sentences(asked, evidence.hits, embeddings, retriever.lexical_query(asked), indexed),
    )
    best = with_typed(answering_quotes(ranked), ranked)
    quotes = with_typed(compared, ranked) if compared else best
    # whether the passages answer is judged on the question as asked (a comparison's too); which sentences to
    # quote, on what it asks of a network within that network's chapter
    thing = asked_thing(question, types.things)
    unheard = thing if thing is not None and not retriever.knows_name(thing) else unheard_name(question, retriever)
    # a thing no text of the index names ('Met welke software …?') is one the report says nothing about; an English
    # word close to a word of the report ('subcategories', 'subcategorieën') is held, as a name is
    # a question about what happened after the study asks what the report cannot know; a person's own document
    # may be newer
    report = evidence.hits[0].kind == "report"
    later = report and matches(question, types.later)
    appendix = report and matches(question, types.appendix)
    # a term the sources only name in a list ('zoals living labs, social labs, …') is one none of them explains
    listed = listed_term(question, types, indexed)
    why = unanswerable(prompt, opinion_asked(question, types), unheard, later, appendix, listed)
    answered = answers_question(answered_by, lang, kind, evidence.known_question) and why is None
    fallback = extractive_answer(prompt, quotes, answered, evidence.hits, lang, why[0] if why else None)
    if not llm.available:
        return done(fallback, "extractive", citations, None, answered, note="no language model")
    if kind is not None and not any(q.typed for q in ranked):
        # the passages hold no answer of the asked kind (no amount for a budget question): what a model
        # would write could only be made up; the closest sentences are shown as such
        return done(fallback, "extractive", citations, None, False, note=f"no {kind.id} in the passages")
    if not answered:
        # no sentence scores as an answer: a model would write one from passages that come close (a
        # near-domain question), so the closest sentences are shown as such and the model is not asked
        note = why[1] if why else "no sentence answers"
        return done(fallback, "extractive", citations, None, False, note=note)

    instructions = instruction_patterns(settings.prompts_dir)
    # a sentence that speaks to a model would only reach it as '[…]': the excerpt's room goes to the others
    readable = [q for q in ranked if not speaks_to_model(q.text, instructions)]
    if llm.chooses:
        candidates = choice_candidates(readable, compared=[q for q in compared if q in readable])
        messages = choice_messages(choice_prompt(settings.prompts_dir), question, candidates, instructions)
        pick = choose(llm, messages, len(candidates), on_wait)
        if pick.index is not None:
            text = chosen_answer(prompt, with_choice(candidates[pick.index], quotes), evidence.hits, lang)
            method, grounded, note = "chosen", True, None
        elif pick.none:  # the model reads that no sentence answers: said so, with what comes closest
            text = extractive_answer(prompt, quotes, False, evidence.hits, lang)
            method, grounded, note = "extractive", False, "model: none"
        else:  # a failed or unreadable choice: the sentences that score best, as without a model
            text, method, grounded, note = fallback, "extractive", answered, pick.problem
        if on_token:  # the answer starts when its text does: after the choice, frame and quotes at once
            on_token(without_links(text, prompt.link_removed))
        return done(text, method, citations, round(perf_counter() - start, 3), grounded, note=note)
    excerpts = focused_excerpts(readable, len(evidence.hits), EXCERPT_CHARS, cap=EXCERPT_CAP)
    evidence = replace(evidence, excerpts=excerpts)
    generated = checked_generation(
        llm,
        build_messages(prompt, question, evidence, instructions, lang),
        passages=len(citations),
        lang=lang,
        fallback=fallback,
        on_token=on_token,
        on_wait=on_wait,
        clean=lambda raw: drop_refusal(raw, prompt),
        started=start,
    )
    first_token = generated.first_token_s
    if says_not_covered(generated.raw, prompt):
        if trust_refusal(kind, evidence.relevance, lang):
            return done(prompt.not_covered, "not_covered", [], first_token, False, note="model")
        return done(fallback, "extractive", citations, first_token, True, note="refused")
    if generated.problem:
        return done(fallback, "extractive", citations, first_token, answered, note=generated.problem)
    return done(generated.text, "llm", citations, first_token, True)
