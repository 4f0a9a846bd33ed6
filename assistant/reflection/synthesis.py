"""The closing synthesis: the person's own words per theme, their scores, the value cycles their examples
reached, action points from the report's recommendations (§7.2), and questions for the group.

Everything here is deterministic and derived from what the person said and chose; the cited passages come
from the retriever, so every action point rests on the report.
"""

from __future__ import annotations

from typing import Any

from assistant.answer import quoted
from assistant.config import Language
from assistant.domain import Action, Citation, CycleReached, Synthesis, ThemeSummary
from assistant.prompts import QuestionBank, ReflectionPrompts, ValueCycle
from assistant.retrieve import Retriever
from assistant.text import sentences

UNSCORED = 3  # a theme the person skipped counts as middling when choosing action points


def own_words(text: str, limit: int = 240) -> str:
    """The first sentences of an answer, up to ``limit`` characters: a key point in the person's words."""
    out = ""
    for sentence in sentences(text):
        if out and len(out) + len(sentence) > limit:
            break
        out = f"{out} {sentence}".strip()
    return quoted(out[:limit])


def cycles_reached(answers: dict[str, list[str]], cycles: list[ValueCycle]) -> list[dict[str, Any]]:
    """Which value cycles the person's examples reach, each with the words that show it."""
    found = []
    for cycle in sorted(cycles, key=lambda c: c.order):
        for theme, texts in answers.items():
            hit = next((t for t in texts for cue in cycle.cues if cue in t.lower()), None)
            if hit:
                found.append({"cycle": cycle.id, "order": cycle.order, "theme": theme, "quote": own_words(hit, 160)})
                break
    return found


def choose_recommendations(prompts: ReflectionPrompts, themes: list[str], scores: dict[str, int], count: int = 4):
    """The recommendations that serve the person's weakest themes first; 3 to 5 of them."""

    def need(rec) -> float:
        served = [t for t in rec.themes if t in themes]
        return sum(6 - scores.get(t, UNSCORED) for t in served) + 0.1 * len(served)

    ranked = sorted(prompts.recommendations, key=need, reverse=True)
    return ranked[: max(3, min(5, count))]


def group_questions(bank: QuestionBank, themes: list[str], scores: dict[str, int], lang: Language) -> list[str]:
    """Questions to take to the group: the coordinator questions of the three weakest themes."""
    weakest = sorted(themes, key=lambda t: (scores.get(t, UNSCORED), bank.themes[t].order))[:3]
    return [bank.themes[t].questions["coordinator"][0].text(lang) for t in weakest]


def build_synthesis(
    state: dict[str, Any], bank: QuestionBank, prompts: ReflectionPrompts, retriever: Retriever
) -> Synthesis:
    lang: Language = state["lang"]
    themes: list[str] = state["themes"]
    answers: dict[str, list[str]] = state.get("answers", {})
    scores: dict[str, int] = state.get("scores", {})
    citations: list[Citation] = []
    actions = []
    for rec in choose_recommendations(prompts, themes, scores):
        hits = retriever.search(rec.query, k=1)
        n = len(citations) + 1
        if hits:
            citations.append(Citation.from_hit(n, hits[0]))
        actions.append(Action(id=rec.id, text=rec.text(lang), citation=n if hits else None))
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
    labels = {c.id: c.label(lang) for c in bank.value_cycles}
    cycles = [CycleReached(**c, label=labels[c["cycle"]]) for c in cycles_reached(answers, bank.value_cycles)]
    return Synthesis(
        themes=per_theme,
        cycles=cycles,
        actions=actions,
        group_questions=group_questions(bank, themes, scores, lang),
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
    lines += [f"- {c.label}: “{c.quote}”" for c in synthesis.cycles] or [f"- {texts.no_cycles}"]
    lines += ["", f"**{texts.synthesis_actions}**"]
    lines += [f"{i}. {a.text}" + (f" [{a.citation}]" if a.citation else "") for i, a in enumerate(synthesis.actions, 1)]
    lines += ["", f"**{texts.synthesis_group}**"]
    lines += [f"- {q}" for q in synthesis.group_questions]
    return "\n".join(lines)
