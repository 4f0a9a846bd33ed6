"""Settings from the environment, for the entry points (the CLI, the app): a wrong ``SLIM_*`` value becomes one
line naming the variable and what it allows (``SettingsError``) instead of pydantic's traceback. Apart from
config.py because the error's message needs i18n, which needs config."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from assistant.config import Settings, allowed
from assistant.errors import SettingsError


def load_settings(**overrides: Any) -> Settings:
    """``Settings()`` from the environment, with the ``overrides`` that are not None on top."""
    try:
        settings = Settings()
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else ""
            if name not in Settings.model_fields:
                continue
            value = str(error.get("input"))
            value = repr(value if len(value) <= 60 else value[:57] + "...")
            problems.append((f"SLIM_{name.upper()}", value, *allowed(name)))
        raise SettingsError(problems) from None
    return settings.model_copy(update={k: v for k, v in overrides.items() if v is not None})
