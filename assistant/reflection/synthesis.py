"""The closing synthesis: the person's own words per theme, their scores, the value cycles their answers
clearly show (proposals the person confirms or corrects), action points from the report's
recommendations (§7.2) and questions for the group, both following from the signals the guide heard.

Everything here is deterministic and derived from what the person said and chose, whatever the backend:
no model writes or invents any of it. Every action point cites its passage of §7.2.
"""

from __future__ import annotations

from typing import Any

from assistant.answer import quoted
from assistant.config import Language
from assistant.domain import Action, Citation, CycleReached, Synthesis, ThemeSummary
from assistant.prompts import QuestionBank, Recommendation, ReflectionPrompts
from assistant.reflection.heard import cycle_of, heard_per_theme, says_enough_for_a_cycle, signals_heard, similar_cycle
from assistant.reflection.signals import SignalChooser
from assistant.retrieve import Retriever
from assistant.summary_lines import action_line, cycle_status, shown_cycles
from assistant.text import sentences

UNSCORED = 3  # a theme the person skipped counts as middling when choosing action points
RECOMMENDATIONS_SECTION = "7.2"
MIN_ACTIONS, MAX_ACTIONS = 3, 5
GROUP_QUESTIONS = 3


def own_words(text: str, limit: int = 240) -> str:
    """An answer in the person's words, up to ``limit`` characters: a longer one is cut at a word with "…" (not
    after its first sentence: "Op papier wel. Maar …" would lose the point, nor inside a word)."""
    out = " ".join(sentences(text))
    if len(out) > limit:
        out = out[: limit - 2].rsplit(" ", 1)[0].rstrip(" ,;:") + " …"
    return quoted(out)


def propose_cycles(state: dict[str, Any], bank: QuestionBank, coach: SignalChooser | None) -> list[CycleReached]:
    """The value cycles the person's answers clearly show, as proposals they confirm or correct. From a
    signal the bank maps to a cycle, or from an answer that closely resembles those signals' examples
    (``heard.similar_cycle``, which compares with all of a theme's signals, not only those of the question
    asked). The resemblance decides for answers where no signal stood and in the themes whose signals
    show a cycle, unless the person chose the signal themselves ("andere invalshoek"); an answer the
    guide recognised as being about something else is not searched for a cycle. A verdict of a few words
    ("Nauwelijks.") shows none, whatever signal it was taken for (``heard.MIN_CYCLE_WORDS``), unless the
    person chose that signal. One proposal per cycle, with the words that show it. Nothing for the student
    role (their answers are about the framework, not a network) and nothing without the bank: no model
    invents a cycle."""
    if coach is None or state.get("role") == "student":
        return []
    lang: Language = state["lang"]
    heard = heard_per_theme(state)
    cycle_themes = {ref.partition("/")[0] for c in bank.value_cycles for ref in c.signals}
    proposals: dict[str, CycleReached] = {}
    for theme in state["themes"]:
        by_answer = {h.answer: h for h in heard.get(theme, [])}
        for number, text in enumerate(state.get("answers", {}).get(theme, [])):
            found = by_answer.get(number)
            if not (found and found.person) and not says_enough_for_a_cycle(text):
                continue
            signal = found.signal if found else None
            mapped = cycle_of(bank, theme, signal) if signal else None
            cycle, how = mapped, "signal"
            if not (found and found.person) and (signal is None or theme in cycle_themes):
                similar = similar_cycle(coach, text, bank, state["role"])
                if similar is not None and similar != mapped:
                    cycle, how = similar, "similarity"
            if cycle is None or cycle.id in proposals:
                continue
            proposals[cycle.id] = CycleReached(
                id=f"{theme}-{number}",
                cycle=cycle.id,
                order=cycle.order,
                label=cycle.label(lang),
                theme=theme,
                quote=own_words(text, 160),
                signal=signal if how == "signal" else None,
                how=how,  # type: ignore[arg-type]
                status="proposed",
                proposed=cycle.id,
            )
    return sorted(proposals.values(), key=lambda p: p.order)


def choose_cycle(
    synthesis: Synthesis, proposal_id: str, order: int | None, bank: QuestionBank, lang: Language
) -> Synthesis:
    """The synthesis with the person's word on one proposed cycle: the cycle they recognise (the proposed
    one: confirmed; another: corrected, and confirmed) or none of them (rejected)."""
    cycles = []
    for item in synthesis.cycles:
        if item.id == proposal_id:
            cycle = next((c for c in bank.value_cycles if c.order == order), None)
            if cycle is None:
                item = item.model_copy(update={"status": "rejected"})
            else:
                update = {"cycle": cycle.id, "order": cycle.order, "label": cycle.label(lang), "status": "confirmed"}
                item = item.model_copy(update=update)
        cycles.append(item)
    return synthesis.model_copy(update={"cycles": cycles})


def choose_recommendations(prompts: ReflectionPrompts, themes: list[str], scores: dict[str, int], count: int = 4):
    """The recommendations that serve the person's weakest themes first; 3 to 5 of them."""

    def need(rec) -> float:
        served = [t for t in rec.themes if t in themes]
        return sum(6 - scores.get(t, UNSCORED) for t in served) + 0.1 * len(served)

    ranked = sorted(prompts.recommendations, key=need, reverse=True)
    return ranked[: max(3, min(5, count))]


def choose_actions(
    state: dict[str, Any], prompts: ReflectionPrompts, coach: SignalChooser | None
) -> list[tuple[Recommendation, list[str]]]:
    """Action points that follow from what the person said: the §7.2 recommendation of every signal heard
    (most often heard first), each with the themes it came from; topped up to three from the weakest
    themes when the signals lead to fewer."""
    themes, role = state["themes"], state["role"]
    because: dict[str, list[str]] = {}
    if coach is not None:
        for theme, heard in heard_per_theme(state).items():
            for signal in signals_heard(coach.bank, theme, role, heard):
                rec = signal.recommendation
                if rec and theme not in because.setdefault(rec, []):
                    because[rec].append(theme)
    by_id = {r.id: r for r in prompts.recommendations}
    first = list(because)
    chosen = sorted(first, key=lambda r: (-len(because[r]), first.index(r)))[:MAX_ACTIONS]
    actions = [(by_id[r], because[r]) for r in chosen]
    for rec in choose_recommendations(prompts, themes, state.get("scores", {}), count=MIN_ACTIONS):
        if len(actions) < MIN_ACTIONS and rec.id not in chosen:
            actions.append((rec, []))
    return actions


def group_questions(
    state: dict[str, Any], bank: QuestionBank, coach: SignalChooser | None, lang: Language
) -> list[str]:
    """Questions to take to the group that fit what the person said: the follow-ups of the signals heard,
    weakest themes first; topped up to three with the coordinator question of the weakest other themes."""
    themes, scores, role = state["themes"], state.get("scores", {}), state["role"]
    weakest = sorted(themes, key=lambda t: (scores.get(t, UNSCORED), bank.themes[t].order))
    heard = heard_per_theme(state)
    questions: list[str] = []
    covered: set[str] = set()
    for theme in weakest:
        for signal in signals_heard(coach.bank, theme, role, heard.get(theme, [])) if coach is not None else []:
            question = signal.followup(lang)
            if question not in questions:
                questions.append(question)
                covered.add(theme)
    for theme in weakest:
        if len(questions) >= GROUP_QUESTIONS:
            break
        if theme not in covered:
            questions.append(bank.themes[theme].questions["coordinator"][0].text(lang))
    return questions[:GROUP_QUESTIONS]


def build_synthesis(
    state: dict[str, Any],
    bank: QuestionBank,
    prompts: ReflectionPrompts,
    retriever: Retriever,
    coach: SignalChooser | None = None,
) -> Synthesis:
    lang: Language = state["lang"]
    themes: list[str] = state["themes"]
    answers: dict[str, list[str]] = state.get("answers", {})
    scores: dict[str, int] = state.get("scores", {})
    citations: list[Citation] = []
    actions = []
    for rec, because in choose_actions(state, prompts, coach):
        hit = retriever.passage_with(RECOMMENDATIONS_SECTION, rec.phrase)
        n = len(citations) + 1
        if hit is not None:  # a test proves every phrase resolves; never cite what is not there
            citations.append(Citation.from_hit(n, hit))
        because_titles = [bank.themes[t].title(lang) for t in because]
        actions.append(
            Action(id=rec.id, text=rec.text(lang), citation=n if hit is not None else None, because=because_titles)
        )
    per_theme = []
    for theme_id in themes:
        theme = bank.themes[theme_id]
        score = scores.get(theme_id)
        level = next((s for s in theme.scale if s.level == score), None)
        per_theme.append(
            ThemeSummary(
                theme=theme_id,
                title=theme.title(lang),
                points=[own_words(a) for a in answers.get(theme_id, []) if a.strip()],
                score=score,
                score_label=level.label(lang) if level else None,
            )
        )
    return Synthesis(
        themes=per_theme,
        cycles=propose_cycles(state, bank, coach),
        actions=actions,
        group_questions=group_questions(state, bank, coach, lang),
        citations=citations,
    )


def synthesis_markdown(synthesis: Synthesis, texts) -> str:
    """The synthesis as Markdown, with [n] pointing at ``synthesis.citations``."""
    lines = [f"### {texts.synthesis_title}", "", f"**{texts.synthesis_points}**"]
    for theme in synthesis.themes:
        points = "; ".join(f"“{p}”" for p in theme.points) or texts.no_answer
        lines.append(f"- *{theme.title}*: {points}")
    lines += ["", f"**{texts.synthesis_scores}**"]
    lines += [f"- {t.title}: {t.score} ({t.score_label})" if t.score else f"- {t.title}: —" for t in synthesis.themes]
    lines += ["", f"**{texts.synthesis_cycles}**"]
    cycles = shown_cycles(synthesis)
    if any(c.status == "proposed" for c in cycles):
        lines.append(f"*{texts.cycles_hint}*")
    lines += [f"- {c.label} ({cycle_status(c, texts)}): “{c.quote}”" for c in cycles] or [f"- {texts.no_cycles}"]
    lines += ["", f"**{texts.synthesis_actions}**"]
    lines += [action_line(i, a, texts) for i, a in enumerate(synthesis.actions, 1)]
    lines += ["", f"**{texts.synthesis_group}**"]
    lines += [f"- {q}" for q in synthesis.group_questions]
    return "\n".join(lines)
