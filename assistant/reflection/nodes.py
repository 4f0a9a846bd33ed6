"""What each step of the reflection does: the graph's nodes, each a module-level function of the state and
a typed runtime context (``Runtime[Context]``), so a test can call any one of them alone.

Which documents a node searches is decided here, once, by the retriever it takes from the context:

- ``Context.report`` (the report alone, shared by everyone): the intro of a theme and how the three case
  networks handled it (``intro``), and the action points of the synthesis (§7.2). These speak for the
  report; a person's own documents have no place in them.
- ``Context.person`` (the report plus the person's own documents; the report's own retriever when they
  have none): the reflection on what the person said (``reflect``) and free questions at any pause. What
  they talk about may well be in their own plans and minutes.

Nodes that speak append turns. The ``wait_*`` nodes pause the graph with ``interrupt`` and hand what the
person sends to a pure handler (``on_answer``, ``on_followup``, ``on_score``, ``on_free``) that sets
``next_step``; the routers in ``graph.py`` read it. A reply that is being written is sent on LangGraph's
custom stream as it comes: its ``Passages`` first, then ``Token`` by ``Token``, and ``Place`` while it
waits for the model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from langchain_core.messages import HumanMessage, SystemMessage
from langgraph.runtime import Runtime
from langgraph.types import StreamWriter, interrupt

from assistant.answer import answer_question, as_data, checked_generation
from assistant.coaching import MAX_ALSO, Reply, Signal
from assistant.config import Language, Settings
from assistant.domain import Citation, Synthesis
from assistant.llm import LanguageModel
from assistant.prompts import Question, QuestionBank, ReflectionPrompts, Theme, answer_prompts, instruction_patterns
from assistant.reflection.checks import MAX_WORDS, reflection_faults, word_count
from assistant.reflection.further import further_passage, theme_sections
from assistant.reflection.heard import NEUTRAL, NOTE_GAP, entry_for, heard_per_theme, pointed_level, standing
from assistant.reflection.signals import SignalChooser
from assistant.reflection.state import Input, ReflectionState, Step, Waiting, turn
from assistant.reflection.synthesis import build_synthesis, choose_cycle, own_words, synthesis_markdown
from assistant.retrieve import Retriever, in_sections
from assistant.safe_text import without_links

# A reply that is only the self-assessment's number ('3'), sent where the question asks for words
SCORE_ONLY = re.compile(r"\s*[1-5]\s*[.!]?\s*")


@dataclass(frozen=True)
class Context:
    """What the nodes need, given with every run of the graph (``context=`` of ``invoke``/``stream``)."""

    settings: Settings
    llm: LanguageModel
    bank: QuestionBank
    prompts: ReflectionPrompts
    report: Retriever
    """the report alone: theme intros, case passages, the synthesis's action points"""
    person: Retriever
    """the report plus the person's own documents (else the report's): reflections and free questions"""
    coach: SignalChooser | None = None
    """the coaching bank and what recognises its signals; None (no bank): the model writes the reflection,
    checked, with the template as fallback"""
    writes: bool = False
    """a stronger backend (``openai:``/``ollama:``) writes its own reflection on the bank's passage; it is
    shown only when it passes the checks the bank's texts pass, else the bank's text is"""


# --- what goes out on the custom stream while a reply is written ------------------------------------------


@dataclass(frozen=True)
class Passages:
    """The passages a reply rests on, sent before the model writes (the app shows them at once)."""

    citations: list[Citation]


@dataclass(frozen=True)
class Token:
    """A piece of the model's text, as it is written."""

    text: str


@dataclass(frozen=True)
class Place:
    """The reply's place in line for the model (1 = next)."""

    position: int


Event = Passages | Token | Place


# --- small helpers --------------------------------------------------------------------------------------


def _theme(state: ReflectionState, ctx: Context) -> Theme:
    return ctx.bank.themes[state["themes"][state["theme_index"]]]


def _question(state: ReflectionState, ctx: Context) -> Question:
    """The role's first question of the theme, or the one chosen for it at the start."""
    asked = _theme(state, ctx).questions[state["role"]]
    chosen = state.get("questions", {}).get(_current_theme_id(state))
    return next((q for q in asked if q.id == chosen), asked[0])


def _answered(state: ReflectionState, ctx: Context, reply: Reply) -> Question:
    """The question the answer speaks to: the one asked, unless the signal heard (``reply``) is one of another
    of the theme's questions (people do not always answer the question asked)."""
    asked = _question(state, ctx)
    if not isinstance(reply, Signal) or asked.id in reply.questions:
        return asked
    return next((q for q in _theme(state, ctx).questions[state["role"]] if q.id in reply.questions), asked)


def _citations(
    retriever: Retriever, queries: list[str], k: int, sections: list[str] | None = None
) -> tuple[list[Citation], list[str]]:
    """Cited passages for ``queries`` (each its best ``k``, only from ``sections`` if given), numbered
    from 1, with a short excerpt each."""
    citations: list[Citation] = []
    excerpts: list[str] = []
    seen: set[str] = set()
    for query in queries:
        evidence = retriever.evidence(query, k=k if sections is None else 4 * k, sentences=1)
        for hit, excerpt in zip(evidence.hits, evidence.excerpts, strict=True):
            if sections is not None and not in_sections(hit.section, sections):
                continue
            if hit.chunk_id in seen or len(citations) >= k * len(queries):
                continue
            seen.add(hit.chunk_id)
            citations.append(Citation.from_hit(len(citations) + 1, hit))
            excerpts.append(excerpt)
    return citations, excerpts


def _free_answer(question: str, lang: Language, runtime: Runtime[Context]) -> list[dict]:
    """A cited answer from the person's retriever, streamed as it is written; a question with no words
    is answered in the session's language."""
    ctx, write = runtime.context, runtime.stream_writer
    result = answer_question(
        question,
        ctx.person,
        ctx.llm,
        ctx.settings.model_copy(update={"lang": lang}),
        on_passages=lambda citations: write(Passages(citations)),
        on_token=lambda piece: write(Token(piece)),
        on_wait=lambda position: write(Place(position)),
    )
    return [
        turn("user", "free_question", question),
        turn(
            "assistant",
            "free_answer",
            result.answer,
            citations=result.citations,
            method=result.method,
        ),
    ]


def _reflection_text(
    ctx: Context,
    lang: Language,
    question: str,
    answer: str,
    citations: list[Citation],
    excerpts: list[str],
    write: StreamWriter,
) -> str:
    """Mirror and connect, by the language model when it does this well (``checked_generation``), else
    from the template. The model's text goes out on the stream as it is written."""
    texts = ctx.prompts[lang]
    template = texts.mirror.format(quote=own_words(answer, 200))
    if citations:
        template += " " + texts.connect.format(excerpt=as_data(excerpts[0]), n=1)
    if not ctx.llm.available or not citations or not answer.strip():
        return template
    passages = "\n".join(
        f"[{c.n}] ({as_data(c.label())}) {as_data(e, instruction_patterns(ctx.settings.prompts_dir))}"
        for c, e in zip(citations, excerpts, strict=True)
    )
    messages = [
        SystemMessage(texts.reflect_system),
        HumanMessage(texts.reflect_user.format(passages=passages, question=question, answer=answer)),
    ]
    return checked_generation(
        ctx.llm,
        messages,
        passages=len(citations),
        lang=lang,
        fallback=template,
        on_token=lambda piece: write(Token(piece)),
        on_wait=lambda position: write(Place(position)),
    ).text


def _bank_reply(
    ctx: Context, state: ReflectionState, signal_id: str | None, opening: str = ""
) -> tuple[str, list[Citation], str]:
    """A reflection of the coaching bank (the signal's, or the neutral one, after ``opening`` when given),
    its passage resolved in the report and cited as [1], the bank's other places for the same point
    (``also``) and then the passage the question rests on (``Question.passage``) as [2] and [3] with the
    line that says so, as many as fit in the word limit, and the follow-up question that fits it."""
    assert ctx.coach is not None
    lang, role, theme_id = state["lang"], state["role"], _current_theme_id(state)
    bank = ctx.coach.bank
    reply = bank.signal(theme_id, role, signal_id) if signal_id else bank.neutral(theme_id, role)
    hit = ctx.report.passage_with(reply.passage.section, reply.passage.phrase)
    text = f"{opening} {reply.reflection(lang)}".strip()
    if hit is None:  # a bank test proves every passage resolves; never cite what is not there
        return text.replace(" [1]", "").replace("[1]", ""), [], reply.followup(lang)
    found = [hit]
    asked = _answered(state, ctx, reply).passage  # what the question rests on, where a place is left
    for place in [*reply.also, *([asked] if asked else [])]:
        if len(found) > MAX_ALSO:
            break
        if any(_same_text(place.phrase.lower(), f.text.lower()) for f in found):
            continue  # its words are in a place cited already (passages overlap at their edges)
        more = ctx.report.passage_with(place.section, place.phrase)
        if more is not None and not any(_same_text(more.text, f.text) for f in found):
            found.append(more)
    texts = ctx.prompts[lang]
    while len(found) > 1:  # the places that fit in the word limit, the first named first
        line = texts.also.format(n=2) if len(found) == 2 else texts.also_two.format(n=2, m=3)
        if word_count(f"{text} {line}") <= MAX_WORDS:
            return f"{text} {line}", [Citation.from_hit(n, f) for n, f in enumerate(found, 1)], reply.followup(lang)
        found.pop()
    return text, [Citation.from_hit(1, hit)], reply.followup(lang)


def _same_text(one: str, other: str) -> bool:
    """Whether two cited stretches of the report overlap so much that citing both says the same twice
    (one lies inside the other: the same passage, or one with its neighbours)."""
    a, b = " ".join(one.split()), " ".join(other.split())
    return a in b or b in a


def _with_further(
    ctx: Context, state: ReflectionState, answer: str, text: str, citations: list[Citation]
) -> tuple[str, list[Citation], float | None]:
    """The bank's reply with one more passage (after the bank's own: [2], or [3] beside a curated second
    passage) when the answer closely resembles one of the theme's sections (``further_passage``), and the
    line that says the report treats this there; the whole text stays within the checks' word limit (the
    line is left out rather than the bank's text shortened)."""
    if not citations:
        return text, citations, None
    n = len(citations) + 1
    found = further_passage(ctx.report, answer, theme_sections(_theme(state, ctx)), citations, n=n)
    line = ctx.prompts[state["lang"]].further.format(n=n)
    if found is None or word_count(f"{text} {line}") > MAX_WORDS:
        return text, citations, None
    further, similarity = found
    return f"{text} {line}", [*citations, further], round(similarity, 4)


def _own_reflection(
    ctx: Context, lang: Language, question: str, answer: str, citations: list[Citation], write: StreamWriter
) -> str | None:
    """A stronger model's own reflection on the passage of the signal the answer carries; None unless it
    passes every check the bank's texts pass (``reflection_faults``): then the bank's text is shown."""
    if not (ctx.writes and ctx.llm.available and citations and answer.strip()):
        return None
    texts = ctx.prompts[lang]
    patterns = instruction_patterns(ctx.settings.prompts_dir)
    passages = "\n".join(f"[{c.n}] ({as_data(c.label())}) {as_data(c.text, patterns)}" for c in citations)
    messages = [
        SystemMessage(texts.reflect_system),
        HumanMessage(texts.reflect_user.format(passages=passages, question=question, answer=answer)),
    ]
    written = checked_generation(
        ctx.llm,
        messages,
        passages=len(citations),
        lang=lang,
        fallback="",
        on_token=lambda piece: write(Token(piece)),
        on_wait=lambda position: write(Place(position)),
    ).text
    text = without_links(written, answer_prompts(ctx.settings.prompts_dir)[lang].link_removed)
    if not text or reflection_faults(text, lang, question, answer, [c.n for c in citations]):
        return None
    return text


def _bank_reflection(
    ctx: Context, state: ReflectionState, answer: str, question: Question, write: StreamWriter
) -> tuple[dict, dict, str]:
    """Understand the answer (which signal it carries) and say the bank's text for it, or what a stronger
    model wrote on the same passage when that passes the checks."""
    assert ctx.coach is not None
    lang, theme_id = state["lang"], _current_theme_id(state)
    choice = ctx.coach.choose(answer, question.text(lang), theme_id, state["role"], question.id)
    previous = state.get("signals", {}).get(theme_id)
    aside = _aside(ctx, lang, choice.aside)
    if _said_already(previous, choice.chosen) and not aside:  # a follow-up answer that carries what was heard
        text, citations, followup, further, own = ctx.prompts[lang].noted, [], "", None, None
    else:
        text, citations, followup = _bank_reply(ctx, state, choice.chosen, aside)
        text, citations, further = _with_further(ctx, state, answer, text, citations)
        if citations:  # shown at once, also while a stronger model is still writing
            write(Passages(citations))
        # about something else: the bank's word on it, not a model's reflection on what was no answer
        own = None if aside else _own_reflection(ctx, lang, question.text(lang), answer, citations, write)
    data = {
        "signal": choice.chosen,
        "method": choice.method,
        "alternatives": choice.ranked,
        "writer": "model" if own else "bank",
        "further": further,
        "aside": choice.aside if aside else None,
    }
    reflection = turn("assistant", "reflection", own or text, theme_id, citations, **data)
    number = len(state.get("answers", {}).get(theme_id, [])) - 1  # the answer just recorded
    return reflection, {theme_id: entry_for(previous, choice.ranked, choice.chosen, number)}, followup


def _aside(ctx: Context, lang: Language, kind: str | None) -> str:
    """The word on an answer about something else (who reads along, no time now, ...), said before the
    theme's neutral reply; empty for an answer to the question."""
    off_topic = ctx.coach.bank.off_topic if ctx.coach else None
    if kind is None or off_topic is None:
        return ""
    return off_topic.kind(kind).text(lang, ctx.settings.stays_local)


def _ask_again(state: ReflectionState, ctx: Context, reflection: dict) -> dict | None:
    """After the first answer to the theme's question that was about something else: the question once
    more, the answer not kept as one (not in the summary, no signal). Only once per question: a second
    answer about something else goes on like any other."""
    theme_id, lang = _current_theme_id(state), state["lang"]
    if not reflection["data"].get("aside") or state.get("followups", 0):
        return None
    if any(
        t["kind"] == "question" and t["data"].get("again") for t in state.get("turns", []) if t["theme"] == theme_id
    ):
        return None
    question = _question(state, ctx)
    again = ctx.prompts[lang].ask_again.format(question=question.text(lang))
    reflection = {**reflection, "data": {**reflection["data"], "alternatives": []}}  # nothing was heard to correct
    return {
        "turns": [reflection, turn("assistant", "question", again, theme_id, question_id=question.id, again=True)],
        "answers": {theme_id: state.get("answers", {}).get(theme_id, [])[:-1]},
        "waiting_for": "answer",
        "next_step": "wait_answer",
    }


def _said_already(previous: dict | None, signal: str | None) -> bool:
    """Whether the guide already said the reflection for this signal (or the neutral one) on this theme:
    a follow-up answer often carries the same point, and the same text twice reads like a machine."""
    if not previous:
        return False
    said = {h.signal for h in standing(previous)} | set(previous.get("shown") or [])
    return (signal or NEUTRAL) in said


def _answered_since_reflection(state: ReflectionState) -> bool:
    """Whether the person's last answer has had no reflection yet (else this is a "verdiep")."""
    kinds = [t["kind"] for t in state.get("turns", []) if t["kind"] in ("answer", "reflection")]
    return bool(kinds) and kinds[-1] == "answer"


def other_angle(state: ReflectionState, runtime: Runtime[Context]) -> dict:
    """ "Past niet / andere invalshoek": the reflection of the next-best signal not shown yet (then the
    neutral one), remembered in the session."""
    ctx, theme_id = runtime.context, _current_theme_id(state)
    seen = state.get("signals", {}).get(theme_id)
    if ctx.coach is None or not seen:
        return {}
    left = [sid for sid in seen["ranked"] if sid not in seen["shown"]]
    chosen = left[0] if left else None
    text, citations, _ = _bank_reply(ctx, state, chosen)
    data = {"signal": chosen, "method": "person", "alternatives": seen["ranked"]}
    return {
        "turns": [turn("assistant", "reflection", text, theme_id, citations, **data)],
        "signals": {theme_id: {**seen, "shown": [*seen["shown"], chosen or NEUTRAL]}},
    }


# --- nodes that speak -----------------------------------------------------------------------------------


def welcome(state: ReflectionState, runtime: Runtime[Context]) -> dict:
    ctx, lang = runtime.context, state["lang"]
    texts = ctx.prompts[lang]
    if state.get("mode") == "ask":
        return {"turns": [turn("assistant", "welcome", texts.ask_mode_welcome)], "waiting_for": "free"}
    titles = ", ".join(ctx.bank.themes[t].title(lang) for t in state["themes"])
    welcome = texts.welcome_student if state["role"] == "student" else texts.welcome
    count = len(state["themes"])
    themes = (texts.one_theme if count == 1 else texts.themes).format(count=count, titles=titles)
    text = welcome.format(themes=themes)
    return {"turns": [turn("assistant", "welcome", text)], "theme_index": 0, "answers": {}, "scores": {}}


def intro(state: ReflectionState, runtime: Runtime[Context]) -> dict:
    """The theme in the report's words, with how the case networks handled it (all from ``report``),
    then the role's question."""
    ctx, lang = runtime.context, state["lang"]
    texts, theme = ctx.prompts[lang], _theme(state, ctx)
    queries = theme.evidence_queries[:1]
    citations, _ = _citations(ctx.report, queries, k=2)
    case_lines = []
    for case in theme.cases:
        more, excerpts = _citations(ctx.report, [case.query], k=1, sections=case.sections)
        for item, excerpt in zip(more, excerpts, strict=True):
            if item.chunk_id in {c.chunk_id for c in citations}:
                continue
            item = item.model_copy(update={"n": len(citations) + 1})
            citations.append(item)
            case_lines.append(f"- **{case.network}**: “{as_data(excerpt)}” [{item.n}]")
    own = " ".join(f"[{c.n}]" for c in citations[: len(citations) - len(case_lines)])
    header = texts.theme_header.format(
        index=state["theme_index"] + 1, count=len(state["themes"]), title=theme.title(lang)
    )
    body = f"**{header}**\n\n{theme.intro_for(state['role'], lang)} {own}\n\n{texts.cases_intro}\n" + "\n".join(
        case_lines
    )
    question = _question(state, ctx)
    asked = f"{texts.question_prefix} {question.text(lang)}"
    if ctx.coach is not None:
        ctx.coach.prepare(theme.id, state["role"], question.id)
    return {
        "turns": [
            turn("assistant", "intro", body, theme.id, citations),
            turn("assistant", "question", asked, theme.id, question_id=question.id),
        ],
        "followups": 0,
        "waiting_for": "answer",
    }


def reflect(state: ReflectionState, runtime: Runtime[Context]) -> dict:
    """What the guide says after an answer, then a deepening follow-up if one is left. With the coaching
    bank: the text written for the signal the answer carries, citing its passage of the report, and that
    signal's follow-up (a stronger model may write its own on that passage, shown only when it passes the
    bank's checks). Without a bank file for the theme: the person's words mirrored and connected to a
    passage found with ``person``, by the model when it does this well, else the template."""
    ctx, lang = runtime.context, state["lang"]
    texts, theme = ctx.prompts[lang], _theme(state, ctx)
    answer = (state.get("answers", {}).get(theme.id) or [""])[-1]
    question = _question(state, ctx)
    followups = state.get("followups", 0)
    update: dict = {"followups": followups + 1}
    probe = question.probes[followups](lang) if followups < len(question.probes) else None
    if ctx.coach is not None and ctx.coach.bank.covers(theme.id):
        turns = []
        if _answered_since_reflection(state):  # "verdiep" without a new answer: only a deeper question
            reflection, update["signals"], fitting = _bank_reflection(
                ctx, state, answer, question, runtime.stream_writer
            )
            if again := _ask_again(state, ctx, reflection):
                return again
            probe = fitting if followups == 0 else probe
            turns = [reflection]
    else:
        citations, excerpts = _citations(ctx.person, [f"{answer} {theme.title(lang)}"], k=2)
        if citations:  # shown while the model is still writing
            runtime.stream_writer(Passages(citations))
        text = _reflection_text(ctx, lang, question.text(lang), answer, citations, excerpts, runtime.stream_writer)
        text = without_links(text, answer_prompts(ctx.settings.prompts_dir)[lang].link_removed)
        turns = [turn("assistant", "reflection", text, theme.id, citations)]
    if followups < ctx.settings.max_followups and probe:
        # whether "verdiep" can ask one more: a follow-up and a probe of the question are left (the screen
        # offers the button only then)
        deeper = followups + 1 < min(ctx.settings.max_followups, len(question.probes))
        turns.append(turn("assistant", "followup", f"{texts.followup_prefix} {probe}", theme.id, deeper=deeper))
        update["waiting_for"] = "followup"
        update["next_step"] = "wait_followup"
    else:
        update["next_step"] = "assess"
    return update | {"turns": turns}


def _levels(theme: Theme, lang: Language) -> list[dict]:
    return [{"level": s.level, "label": s.label(lang), "description": s.description(lang)} for s in theme.scale]


def assess(state: ReflectionState, runtime: Runtime[Context]) -> dict:
    ctx, lang = runtime.context, state["lang"]
    texts, theme = ctx.prompts[lang], _theme(state, ctx)
    levels = _levels(theme, lang)
    ask = texts.assess_student if state["role"] == "student" else texts.assess
    lines = [ask.format(title=theme.title(lang))] + [texts.assess_level.format(**lv) for lv in levels]
    return {
        "turns": [turn("assistant", "assess", "\n".join(lines), theme.id, levels=levels)],
        "waiting_for": "score",
    }


def advance(state: ReflectionState) -> dict:
    return {"theme_index": state["theme_index"] + 1}


def synthesis(state: ReflectionState, runtime: Runtime[Context]) -> dict:
    """The closing summary; its action points cite the report (``report``)."""
    ctx = runtime.context
    texts = ctx.prompts[state["lang"]]
    result = build_synthesis(dict(state), ctx.bank, ctx.prompts, ctx.report, ctx.coach)
    return {
        "synthesis": result.model_dump(),
        "turns": [
            turn("assistant", "synthesis", synthesis_markdown(result, texts), citations=result.citations),
            turn("assistant", "done", texts.done),
        ],
        "waiting_for": "free",
    }


# --- nodes that wait, and what they do with what the person sends ----------------------------------------


def _read_input(waiting: Waiting) -> Input:
    raw = interrupt({"waiting_for": waiting})
    return raw if isinstance(raw, Input) else Input.model_validate(raw)


def _free_question(state: ReflectionState, data: Input, here: Step, runtime: Runtime[Context]) -> dict | None:
    """A free question at any pause is answered, and the pause resumes where it was."""
    if data.type == "ask" and data.text.strip():
        return {"turns": _free_answer(data.text.strip(), state["lang"], runtime), "next_step": here}
    return None


def _current_theme_id(state: ReflectionState) -> str:
    return state["themes"][state["theme_index"]]


def _record_answer(state: ReflectionState, text: str) -> dict:
    theme_id = _current_theme_id(state)
    answers = list(state.get("answers", {}).get(theme_id, []))
    return {"turns": [turn("user", "answer", text, theme_id)], "answers": {theme_id: answers + [text]}}


def _skip(state: ReflectionState, data: Input) -> dict:
    """Skip or next: on to the self-assessment ("skip" is noted as a turn of its own)."""
    skipped = [turn("user", "skip", "", _current_theme_id(state))] if data.type == "skip" else []
    return {"turns": skipped, "next_step": "assess"}


def on_answer(state: ReflectionState, data: Input, runtime: Runtime[Context]) -> dict:
    """The person's reply to the theme's question: an answer is reflected on; skip/next go to the score."""
    if asked := _free_question(state, data, "wait_answer", runtime):
        return asked
    if data.type == "answer" and SCORE_ONLY.fullmatch(data.text):  # the self-assessment's number, one step early
        theme_id, early = _current_theme_id(state), runtime.context.prompts[state["lang"]].score_early
        said = [turn("user", "score_early", data.text.strip(), theme_id), turn("assistant", "hint", early, theme_id)]
        return {"turns": said, "next_step": "wait_answer"}
    if data.type == "answer" and data.text.strip():
        return _record_answer(state, data.text.strip()) | {"next_step": "reflect"}
    if data.type in ("skip", "next"):
        return _skip(state, data)
    return {"next_step": "wait_answer"}


def on_followup(state: ReflectionState, data: Input, runtime: Runtime[Context]) -> dict:
    """The reply to a follow-up: an answer (or "deepen") gets another reflection while follow-ups are left."""
    if asked := _free_question(state, data, "wait_followup", runtime):
        return asked
    if data.type == "other":
        return other_angle(state, runtime) | {"next_step": "wait_followup"}
    can_deepen = state.get("followups", 0) < runtime.context.settings.max_followups
    if data.type == "answer" and data.text.strip():
        if aside := _followup_aside(state, runtime.context, data.text):
            return aside
        recorded = _record_answer(state, data.text.strip())
        if can_deepen:
            return recorded | {"next_step": "reflect"}
        # the last follow-up's answer: kept for the summary and not left without a word, but not read for a
        # signal (the question's signals describe answers to the question, not to its follow-up: tried, a
        # reply about the chair's openness came back as "a newcomer walks into a distant meeting")
        noted = turn("assistant", "reflection", runtime.context.prompts[state["lang"]].noted, _current_theme_id(state))
        return recorded | {"turns": [*recorded["turns"], noted], "next_step": "assess"}
    if data.type == "deepen" and can_deepen:
        return {"next_step": "reflect"}
    if data.type in ("skip", "next"):
        return _skip(state, data)
    return {"next_step": "wait_followup"}


def _followup_aside(state: ReflectionState, ctx: Context, text: str) -> dict | None:
    """A reply to a follow-up that asks about the conversation itself (who reads along, no time now, how
    this works, ...): the word on it and the follow-up once more; the reply is not kept as an answer. Only
    a kind's own word, never the general one: a follow-up's answer may well be about something the
    question's signals do not name. Once per follow-up."""
    theme_id, lang = _current_theme_id(state), state["lang"]
    off_topic = ctx.coach.bank.off_topic if ctx.coach and ctx.coach.bank.covers(theme_id) else None
    said = [t for t in state.get("turns", []) if t["role"] == "assistant" and t["theme"] == theme_id]
    if off_topic is None or not said or said[-1]["kind"] != "followup":
        return None
    if len(said) > 1 and said[-2]["data"].get("aside"):  # said once for this follow-up already
        return None
    assert ctx.coach is not None
    question = _question(state, ctx)
    kind = ctx.coach.choose(text, question.text(lang), theme_id, state["role"], question.id, use_model=False).aside
    if kind is None or kind == off_topic.fallback:
        return None
    return {
        "turns": [
            turn("user", "answer", text.strip(), theme_id),
            turn("assistant", "reflection", _aside(ctx, lang, kind), theme_id, aside=kind),
            said[-1],  # the follow-up once more
        ],
        "next_step": "wait_followup",
    }


def on_score(state: ReflectionState, data: Input, runtime: Runtime[Context]) -> dict:
    """The self-assessment: a score (or skip/next) moves on to the next theme."""
    if asked := _free_question(state, data, "wait_score", runtime):
        return asked
    if data.type == "other":
        return other_angle(state, runtime) | {"next_step": "wait_score"}
    ctx, lang, theme_id = runtime.context, state["lang"], _current_theme_id(state)
    texts = ctx.prompts[lang]
    if data.type == "score" and data.value and (note := _score_note(state, ctx, data.value)):
        return note
    if data.type == "next" and (checked := _checked_score(state, theme_id)):
        data = Input(type="score", value=checked)  # moving on after the note: the level the person chose stands
    if data.type == "score" and data.value:
        level = next(s for s in _theme(state, ctx).scale if s.level == data.value)
        said = texts.assessed.format(level=level.level, label=level.label(lang))
        return {
            "turns": [turn("user", "score", str(data.value), theme_id), turn("assistant", "assessed", said, theme_id)],
            "scores": {theme_id: data.value},
            "next_step": "advance",
        }
    if data.type in ("skip", "next"):
        return {"turns": [turn("assistant", "skipped", texts.skipped, theme_id)], "next_step": "advance"}
    return {"next_step": "wait_score"}


def _checked_score(state: ReflectionState, theme_id: str) -> int | None:
    """The level the person chose before the guide's note on it (``_score_note``), while no score is recorded yet."""
    if theme_id not in state.get("score_checks", {}) or theme_id in state.get("scores", {}):
        return None
    turns = reversed(state.get("turns", []))
    note = next((t for t in turns if t["kind"] == "score_check" and t["theme"] == theme_id), None)
    return note["data"]["chosen"] if note else None


def _score_note(state: ReflectionState, ctx: Context, value: int) -> dict | None:
    """When the self-assessment differs clearly from the level the answers pointed to, the guide says so,
    once per theme, with both levels' descriptions, and waits for the score again (either is taken)."""
    theme_id, lang = _current_theme_id(state), state["lang"]
    if ctx.coach is None or theme_id in state.get("score_checks", {}):
        return None
    heard = heard_per_theme(dict(state)).get(theme_id, [])
    pointed = pointed_level(ctx.coach.bank, theme_id, state["role"], heard)
    if pointed is None or abs(value - pointed) < NOTE_GAP:
        return None
    levels = _levels(_theme(state, ctx), lang)
    chosen, hint = (next(lv for lv in levels if lv["level"] == n) for n in (value, pointed))
    text = ctx.prompts[lang].score_check.format(
        chosen=value,
        chosen_label=chosen["label"],
        chosen_description=chosen["description"],
        pointed=pointed,
        pointed_label=hint["label"],
        pointed_description=hint["description"],
    )
    return {
        "turns": [
            turn("user", "score", str(value), theme_id),
            turn("assistant", "score_check", text, theme_id, levels=levels, chosen=value, pointed=pointed),
        ],
        "score_checks": {theme_id: pointed},
        "waiting_for": "score",
        "next_step": "wait_score",
    }


def on_free(state: ReflectionState, data: Input, runtime: Runtime[Context]) -> dict:
    """Free questions only (ask mode, or after the synthesis), and the person's word on a value cycle the
    summary proposed (stored in the synthesis); anything else waits again."""
    if data.type == "cycle" and state.get("synthesis"):
        saved = Synthesis.model_validate(state["synthesis"])
        updated = choose_cycle(saved, data.text, data.value, runtime.context.bank, state["lang"])
        return {"synthesis": updated.model_dump(), "next_step": "wait_free"}
    return _free_question(state, data, "wait_free", runtime) or {"next_step": "wait_free"}


def wait_answer(state: ReflectionState, runtime: Runtime[Context]) -> dict:
    return on_answer(state, _read_input("answer"), runtime)


def wait_followup(state: ReflectionState, runtime: Runtime[Context]) -> dict:
    return on_followup(state, _read_input("followup"), runtime)


def wait_score(state: ReflectionState, runtime: Runtime[Context]) -> dict:
    return on_score(state, _read_input("score"), runtime)


def wait_free(state: ReflectionState, runtime: Runtime[Context]) -> dict:
    return on_free(state, _read_input("free"), runtime)
