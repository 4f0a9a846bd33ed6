"""How a summary's value cycles and action points read: one place for the Markdown of the conversation
and the exports, the PDF and the app. Plain functions over the synthesis (no model, no chart library),
so both the reflection and the summary's pictures can use them.
"""

from __future__ import annotations

from assistant.domain import Action, CycleReached, Synthesis
from assistant.prompts import GuideTexts


def shown_cycles(synthesis: Synthesis) -> list[CycleReached]:
    """The cycles a summary shows: proposed and confirmed ones (a rejected proposal is gone), by order."""
    return sorted((c for c in synthesis.cycles if c.status != "rejected"), key=lambda c: c.order)


def cycle_status(cycle: CycleReached, texts: GuideTexts) -> str:
    return texts.cycle_confirmed if cycle.status == "confirmed" else texts.cycle_proposed


def action_line(number: int, action: Action, texts: GuideTexts) -> str:
    """'1. <action> [n] — naar aanleiding van wat je zei bij <themes>'"""
    line = f"{number}. {action.text}" + (f" [{action.citation}]" if action.citation else "")
    if action.because:
        line += " — " + texts.action_because.format(themes=", ".join(action.because))
    return line
