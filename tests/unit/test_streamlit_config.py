"""The app's Streamlit settings that the measured figures rest on (``.streamlit/config.toml``)."""

import gc
import tomllib
import weakref

from assistant.config import PROJECT_ROOT
from ui.context import settled


def streamlit_config() -> dict:
    return tomllib.loads((PROJECT_ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))


def test_full_garbage_collection_between_reruns():
    """Off, it saved a participant's click 200–340 ms, but reruns of the summary hung in the test suite: on, and
    made cheap by freezing what the loaders built (``ui.context.settled``)."""
    assert streamlit_config()["runner"]["postScriptGC"] is True


def test_served_on_loopback_by_default():
    """A workshop opens it up on purpose (``make run HOST=0.0.0.0``), never by default."""
    assert streamlit_config()["server"]["address"] == "127.0.0.1"


def test_loaded_objects_are_set_aside_from_the_collection_between_reruns():
    """The collection between reruns stays cheap: what a loader built is frozen (skipped by every later
    collection), and garbage made before it is collected, not kept."""

    class Cycle:
        def __init__(self) -> None:
            self.me = self

    garbage = Cycle()
    collected = weakref.ref(garbage)
    del garbage
    before = gc.get_freeze_count()
    loaded = Cycle()
    try:
        assert settled(loaded) is loaded
        assert collected() is None  # collected before the freeze, not frozen
        assert gc.get_freeze_count() > before
    finally:
        gc.unfreeze()
