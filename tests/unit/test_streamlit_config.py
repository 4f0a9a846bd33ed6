"""The app's Streamlit settings that the measured figures rest on (``.streamlit/config.toml``)."""

import gc
import tomllib

from assistant.config import PROJECT_ROOT
from ui.context import freeze_imports


def streamlit_config() -> dict:
    return tomllib.loads((PROJECT_ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))


def test_full_garbage_collection_between_reruns():
    """Kept on: with the imported modules frozen (``ui.context.freeze_imports``) a collection between reruns
    costs 15–22 ms, and it keeps what each run made from building up."""
    assert streamlit_config()["runner"]["postScriptGC"] is True


def test_page_scripts_write_only_what_they_ask_for():
    """Streamlit's "magic" would show a bare string of a page script (a constant's docstring) on the page."""
    assert streamlit_config()["runner"]["magicEnabled"] is False


def test_served_on_loopback_by_default():
    """A workshop opens it up on purpose (``make run HOST=0.0.0.0``), never by default."""
    assert streamlit_config()["server"]["address"] == "127.0.0.1"


def test_the_imported_modules_are_frozen_once_per_process():
    """The collection between reruns skips what the process imported before its first run, and only that:
    a second call freezes nothing new (the models and what each run makes are still collected)."""
    freeze_imports.cache_clear()
    try:
        freeze_imports()
        frozen = gc.get_freeze_count()
        assert frozen > 0
        kept = [[n] for n in range(10)]  # tracked objects made after the first call: not frozen by a second
        freeze_imports()
        # nothing new is frozen (frozen objects that die in between leave the count, so it may fall)
        assert gc.get_freeze_count() <= frozen and kept
    finally:
        gc.unfreeze()
        freeze_imports.cache_clear()
