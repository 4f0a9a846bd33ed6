"""The Markdown and PDF exports name the session for a person: the role's and themes' names and a local
time in the session's language, not the ids and ISO times the JSON export keeps for machines."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator

import pytest
from pypdf import PdfReader

from assistant.config import PROJECT_ROOT
from assistant.domain import Synthesis
from assistant.prompts import question_bank, reflection_prompts
from assistant.sessions import SessionContent, SessionInfo, export_json, export_markdown
from assistant.summary import session_pdf

PROMPTS = PROJECT_ROOT / "prompts"
CREATED = "2026-11-28T10:12:33.123+00:00"


@pytest.fixture(autouse=True)
def _amsterdam(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The machine's clock in the Netherlands: 10:12 UTC is 11:12 there in November."""
    monkeypatch.setenv("TZ", "Europe/Amsterdam")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def _session(lang: str) -> tuple[SessionInfo, SessionContent]:
    info = SessionInfo(
        id="3f9a1c2b7d4e", title="Mijn netwerk", role="coordinator", lang=lang, mode="guided",
        route="strategiesessie", created=CREATED, updated=CREATED,
    )  # fmt: skip
    turns = [{"role": "user", "kind": "answer", "text": "We delen vooral updates.", "theme": "cultuur"}]
    return info, SessionContent(themes=["cultuur", "lerend-vermogen"], turns=turns)  # type: ignore[list-item]


@pytest.mark.parametrize(
    ("lang", "role", "when", "themes", "you"),
    [
        ("nl", "Coördinator", "28-11-2026, 11:12", "Thema's: Cultuur, Lerend vermogen op vier niveaus", "**Jij**"),
        ("en", "Coordinator", "2026-11-28, 11:12", "Themes: Culture, Learning capacity on four levels", "**You**"),
    ],
)
def test_the_markdown_export_names_role_themes_and_time_for_a_person(
    lang: str, role: str, when: str, themes: str, you: str
) -> None:
    bank = question_bank(PROMPTS)
    info, content = _session(lang)
    exported = export_markdown(info, content, bank)
    assert f"*{role} · {when}*" in exported and f"*{themes}*" in exported, exported
    assert f"{you}: We delen vooral updates." in exported
    for raw in ("coordinator", "cultuur,", "lerend-vermogen", "T10:12", "+00:00", f" · {lang} · "):
        assert raw not in exported, raw
    machine = json.loads(export_json(info, content))  # the JSON export stays machine-readable
    assert machine["session"]["created"] == CREATED and machine["session"]["role"] == "coordinator"
    assert machine["themes"] == ["cultuur", "lerend-vermogen"]


def test_the_pdf_header_is_the_markdowns() -> None:
    bank = question_bank(PROMPTS)
    info, _ = _session("nl")
    themes = [
        {"theme": theme, "title": bank.themes[theme].title("nl"), "points": [], "score": 3, "score_label": "Midden"}
        for theme in ("cultuur", "lerend-vermogen", "proces")
    ]
    synthesis = Synthesis.model_validate(
        {"themes": themes, "cycles": [], "actions": [], "group_questions": [], "citations": []}
    )
    pdf = session_pdf(info, synthesis, bank, reflection_prompts(PROMPTS)["nl"], "nl")
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())
    assert (
        "Coördinator · 28-11-2026, 11:12" in text
        and "Thema's: Cultuur, Lerend vermogen op vier niveaus, Proces" in text
    )
    assert "coordinator" not in text and "+00:00" not in text and "Bronnen / Sources" not in text
