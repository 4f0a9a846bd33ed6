"""The composition root: what the app and the command line get when a part cannot start, and that a
command builds only the parts it uses."""

from __future__ import annotations

import pytest

from assistant.config import Settings
from assistant.errors import SlimError
from assistant.llm import LanguageModel
from assistant.services import build_services


def test_the_app_falls_back_to_extractive_answers_and_says_why(settings: Settings) -> None:
    broken = settings.model_copy(update={"llm": "openai:some-model"})  # no SLIM_OPENAI_BASE_URL: cannot start
    services = build_services(broken, tolerant=True)
    assert services.llm.name == "none" and not services.llm.available
    assert isinstance(services.llm_error, SlimError) and "openai:some-model" in services.llm_error.message("en")
    assert services.llm is services.llm  # decided once


def test_the_command_line_stops_with_the_models_error(settings: Settings) -> None:
    broken = settings.model_copy(update={"llm": "openai:some-model"})
    with pytest.raises(SlimError):
        _ = build_services(broken).llm


def test_parts_are_built_on_first_use_only(settings: Settings) -> None:
    """`slim sessions list` must not start a model or write the page keys' secret."""
    services = build_services(settings, llm=LanguageModel("none", None))
    assert services.bank.themes and services.llm.name == "none"
    assert set(services._parts) == {"llm", "bank"}
    assert not (settings.data_dir / "secret.key").exists()
