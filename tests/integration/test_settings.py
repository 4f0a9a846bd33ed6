"""Bad settings and unreachable services: one line in the person's language that names the setting and
what it allows, exit code 2; and a read-only data directory still serves every command that only reads."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.llm import free_port
from tests.helpers.files import write_corpus

runner = CliRunner()

CORPUS = {
    "kort.md": "---\ndoc_id: kort\ntitle: Kort rapport\n---\n\n"
    "# 1 Cultuur\n\nStralend falen betekent dat fouten mogen.\n"
}
READ_COMMANDS = [
    ["search", "Wat is stralend falen?"],
    ["sessions", "list"],
    ["docs", "list"],
    ["doctor", "--check-only"],
    ["ask", "Wat is stralend falen?", "--llm", "none", "--json"],
]


@pytest.fixture
def small_corpus(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    corpus = write_corpus(tmp_path / "corpus", CORPUS)
    monkeypatch.setenv("SLIM_CORPUS_DIR", str(corpus))
    return corpus


def _one_line(result) -> str:  # noqa: ANN001
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    line = result.stderr.strip()
    assert line and "\n" not in line, result.output
    return line


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        # the language itself is wrong: the default language says so
        ({"SLIM_LANG": "fr"}, "SLIM_LANG='fr' kan niet: gebruik een van: nl, en."),
        ({"SLIM_TOP_K": "abc"}, "SLIM_TOP_K='abc' kan niet: gebruik een geheel getal van 1 tot en met 50."),
        (
            {"SLIM_TOP_K": "abc", "SLIM_LANG": "en"},
            "SLIM_TOP_K='abc' is not allowed: use a whole number from 1 to 50.",
        ),
        (
            {"SLIM_CHROMA_PORT": "99999"},
            "SLIM_CHROMA_PORT='99999' kan niet: gebruik een geheel getal van 1 tot en met 65535.",
        ),
        (
            {"SLIM_UPLOAD_MAX_MB": "-1", "SLIM_LANG": "en"},
            "SLIM_UPLOAD_MAX_MB='-1' is not allowed: use a number greater than 0.",
        ),
        (
            {"SLIM_RETRIEVAL_MODE": "fuzzy", "SLIM_LANG": "en"},
            "SLIM_RETRIEVAL_MODE='fuzzy' is not allowed: use one of: bm25, dense, hybrid.",
        ),
    ],
)
def test_a_bad_setting_is_one_line_naming_it(
    small_corpus: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert _one_line(runner.invoke(app, ["search", "Wat is stralend falen?"])) == expected


@pytest.mark.parametrize("command", [*READ_COMMANDS, ["index"], ["docs", "add", "plan.md"]])
def test_every_command_says_it_the_same_way(small_corpus: Path, monkeypatch: pytest.MonkeyPatch, command) -> None:  # noqa: ANN001
    monkeypatch.setenv("SLIM_TOP_K", "abc")
    assert _one_line(runner.invoke(app, command)).startswith("SLIM_TOP_K='abc' kan niet")


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("nl", "Geen Chroma-server bereikbaar op 127.0.0.1:{port}"),
        ("en", "No Chroma server answers at 127.0.0.1:{port}"),
    ],
)
@pytest.mark.parametrize("command", READ_COMMANDS)
def test_an_unreachable_chroma_server_is_one_line(
    small_corpus: Path, monkeypatch: pytest.MonkeyPatch, lang: str, expected: str, command: list[str]
) -> None:
    port = free_port()  # nothing listens there
    monkeypatch.setenv("SLIM_CHROMA_HOST", "127.0.0.1")
    monkeypatch.setenv("SLIM_CHROMA_PORT", str(port))
    monkeypatch.setenv("SLIM_LANG", lang)
    line = _one_line(runner.invoke(app, command))
    assert expected.format(port=port) in line and "SLIM_CHROMA_HOST" in line


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("nl", "SLIM_DATA_DIR={path} kan niet"), ("en", "SLIM_DATA_DIR={path} cannot be used")],
)
@pytest.mark.parametrize("command", READ_COMMANDS)
def test_a_data_directory_under_proc_is_one_line(
    small_corpus: Path, monkeypatch: pytest.MonkeyPatch, lang: str, expected: str, command: list[str]
) -> None:
    path = "/proc/slim-data"
    monkeypatch.setenv("SLIM_DATA_DIR", path)
    monkeypatch.setenv("SLIM_LANG", lang)
    assert _one_line(runner.invoke(app, command)).startswith(expected.format(path=path))


# --- a read-only data directory ---------------------------------------------------------------------------
# Tests run as root, where chmod does not stop a write. So as root each command runs in a mount namespace of
# its own (unshare) with the data directory bind-mounted read-only: the kernel refuses every write, as on a
# read-only disk. As another user, chmod -R a-w does the same.


def _slim(*args: str, env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args], input=stdin, capture_output=True, text=True, timeout=300, env=env
    )


def _read_only(data: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "assistant", *args]
    if os.geteuid() == 0:
        mount = 'mount --bind -o ro "$0" "$0" && exec "$@"'
        command = ["unshare", "--mount", "sh", "-c", mount, str(data), *command]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)


@pytest.fixture(scope="module")
def read_only_data(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A data directory with the report indexed, one document and one session, then made read-only."""
    tmp_path = tmp_path_factory.mktemp("read-only")
    corpus = write_corpus(tmp_path / "corpus", CORPUS)
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLIM_")}
    env.update(SLIM_DATA_DIR=str(data), SLIM_CORPUS_DIR=str(corpus), HF_HUB_OFFLINE="1")
    plan = tmp_path / "plan.md"
    plan.write_text("# Plan\n\nOnze strategie is vertrouwen opbouwen tussen partners.\n", encoding="utf-8")
    for args, stdin in (
        (["index"], ""),
        (["docs", "add", str(plan)], ""),
        (["reflect", "--ask", "--llm", "none"], "Wat is stralend falen?\n"),
    ):
        done = _slim(*args, env=env, stdin=stdin)
        assert done.returncode == 0, done.stdout + done.stderr
    if os.geteuid() == 0:
        probe = _read_only(data, "--help", env=env)
        if probe.returncode != 0 or not shutil.which("unshare"):
            pytest.skip(f"no read-only mount possible here: {probe.stderr.strip()[:200]}")
        yield data, env
    else:
        subprocess.run(["chmod", "-R", "a-w", str(data)], check=True)
        yield data, env
        subprocess.run(["chmod", "-R", "u+w", str(data)], check=True)


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (READ_COMMANDS[0], "Stralend falen betekent dat fouten mogen."),
        (READ_COMMANDS[1], "Vraag het rapport"),
        (READ_COMMANDS[2], "plan.md"),
        (READ_COMMANDS[3], "✓ report: alles klopt (documenten: 1, passages: 1).\n✓ workspace default"),
        (READ_COMMANDS[4], '"grounded"'),
    ],
)
def test_read_only_commands_work_on_a_read_only_data_directory(
    read_only_data: tuple[Path, dict[str, str]], command: list[str], expected: str
) -> None:
    data, env = read_only_data
    result = _read_only(data, *command, env=env)
    assert expected in result.stdout and "Traceback" not in result.stderr, result.stdout + result.stderr
    assert result.returncode == 0, result.stdout + result.stderr


def test_doctor_finds_nothing_wrong_in_a_read_only_data_directory(read_only_data: tuple[Path, dict[str, str]]) -> None:
    data, env = read_only_data
    result = _read_only(data, "doctor", "--check-only", env=env)
    assert result.returncode == 0 and "✗" not in result.stdout, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("command", "lang", "expected"),
    [
        (["index"], "nl", "SLIM_DATA_DIR={path} is alleen-lezen"),
        (["docs", "add", "{plan}"], "en", "SLIM_DATA_DIR={path} is read-only"),
        (["docs", "remove", "plan.md"], "nl", "SLIM_DATA_DIR={path} is alleen-lezen"),
        (["sessions", "delete", "x"], "en", "SLIM_DATA_DIR={path} is read-only"),
    ],
)
def test_changes_to_a_read_only_data_directory_are_one_line(
    read_only_data: tuple[Path, dict[str, str]], lang: str, expected: str, command: list[str]
) -> None:
    data, env = read_only_data
    args = [arg.format(plan=data.parent / "plan.md") for arg in command]
    result = _read_only(data, *args, env={**env, "SLIM_LANG": lang})
    assert result.returncode == 2, result.stdout + result.stderr
    line = result.stderr.strip()
    assert line.startswith(expected.format(path=data)) and "\n" not in line, result.stderr


def test_a_data_directory_that_cannot_be_created_is_one_line(read_only_data: tuple[Path, dict[str, str]]) -> None:
    data, env = read_only_data
    inside = data / "nieuw"  # under the read-only mount: it cannot be made
    result = _read_only(data, "search", "stralend", env={**env, "SLIM_DATA_DIR": str(inside)})
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.strip().startswith(f"SLIM_DATA_DIR={inside} kan niet"), result.stderr


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"SLIM_LANG": "fr"}, "SLIM_LANG='fr' kan niet: gebruik een van: nl, en."),
        ({"SLIM_TOP_K": "abc", "SLIM_LANG": "en"}, "SLIM_TOP_K='abc' is not allowed: use a whole number from 1 to 50."),
    ],
)
def test_the_app_shows_a_bad_setting_as_one_line(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str
) -> None:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from assistant.config import PROJECT_ROOT

    st.cache_resource.clear()  # services() is cached per process
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    at = AppTest.from_file(str(PROJECT_ROOT / "ui" / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception
    assert [e.value.replace("\\", "") for e in at.error] == [expected]  # shown as text: Markdown escapes aside
