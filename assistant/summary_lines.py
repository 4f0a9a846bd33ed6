"""How a summary's value cycles and action points read: one place for the Markdown of the conversation
and the exports, the PDF and the app. Plain functions over the synthesis (no model, no chart library),
so both the reflection and the summary's pictures can use them.
"""

from __future__ import annotations

from typing import Any

from assistant.prompts import GuideTexts


def shown_cycles(synthesis: dict[str, Any]) -> list[dict[str, Any]]:
    """The cycles a summary shows: proposed and confirmed ones (a rejected proposal is gone), by order."""
    cycles = [c for c in synthesis.get("cycles", []) if c.get("status", "proposed") != "rejected"]
    return sorted(cycles, key=lambda c: c.get("order", 0))


def cycle_status(cycle: dict[str, Any], texts: GuideTexts) -> str:
    return texts.cycle_confirmed if cycle.get("status") == "confirmed" else texts.cycle_proposed


def action_line(number: int, action: dict[str, Any], texts: GuideTexts) -> str:
    """'1. <action> [n] — naar aanleiding van wat je zei bij <themes>'"""
    line = f"{number}. {action['text']}" + (f" [{action['citation']}]" if action["citation"] else "")
    if action.get("because"):
        line += " — " + texts.action_because.format(themes=", ".join(action["because"]))
    return line
