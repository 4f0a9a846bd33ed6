"""What SLIM tells a person about where their words go (``Settings.stays_local``) follows the configuration."""

from __future__ import annotations

import pytest

from assistant.config import Settings


@pytest.mark.parametrize(
    ("settings", "local"),
    [
        ({}, True),  # the embedded model and the local index
        ({"llm": "none"}, True),
        ({"llm": "ollama:qwen2.5"}, True),  # ollama's default address is this computer
        ({"llm": "ollama:qwen2.5", "ollama_base_url": "http://10.0.0.2:11434"}, False),
        ({"llm": "openai:gpt-4o", "openai_base_url": "https://api.openai.com/v1"}, False),
        ({"llm": "openai:local", "openai_base_url": "http://127.0.0.1:8080/v1"}, True),
        ({"llm": "openai:local", "openai_base_url": "http://[::1]:8080/v1"}, True),
        ({"chroma_host": "localhost"}, True),
        ({"chroma_host": "chroma.example.org"}, False),
    ],
)
def test_what_stays_on_this_computer(settings: dict, local: bool) -> None:
    assert Settings(**settings).stays_local is local
