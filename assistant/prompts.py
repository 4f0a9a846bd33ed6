"""Prompts, examples and messages live in ``prompts/`` as YAML; here they are loaded and validated.

Every file is checked against a pydantic model with ``extra="forbid"`` when it is loaded, so a typo in a
key or a missing language fails at start-up (and in the tests), not in the middle of a conversation.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict

from assistant.config import Language


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Example(Strict):
    user: str
    assistant: str


class AnswerPrompt(Strict):
    system: str
    passage: str
    user: str
    not_covered: str
    extractive_intro: str
    examples: list[Example]


class AnswerPrompts(Strict):
    nl: AnswerPrompt
    en: AnswerPrompt

    def __getitem__(self, lang: Language) -> AnswerPrompt:
        return getattr(self, lang)


def read_yaml(path: Path) -> object:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@cache
def answer_prompts(prompts_dir: Path) -> AnswerPrompts:
    return AnswerPrompts.model_validate(read_yaml(prompts_dir / "answer.yaml"))
