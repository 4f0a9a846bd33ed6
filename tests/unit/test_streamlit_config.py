"""The app's Streamlit settings that the measured figures rest on (``.streamlit/config.toml``)."""

import tomllib

from assistant.config import PROJECT_ROOT


def streamlit_config() -> dict:
    return tomllib.loads((PROJECT_ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))


def test_full_garbage_collection_between_reruns():
    """Off, it saved a participant's click 200–340 ms, but reruns of the summary hung in the test suite: on until
    that is understood."""
    assert streamlit_config()["runner"]["postScriptGC"] is True


def test_served_on_loopback_by_default():
    """A workshop opens it up on purpose (``make run HOST=0.0.0.0``), never by default."""
    assert streamlit_config()["server"]["address"] == "127.0.0.1"
