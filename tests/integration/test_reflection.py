"""The guided reflection: a whole route, free questions mid-way, persistence, exports — on the real
index, with no language model or LangChain's fake one (the graph's logic is what is tested here)."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.config import PROJECT_ROOT, Settings
from assistant.errors import SlimError
from assistant.i18n import t
from assistant.index import open_index
from assistant.llm import LanguageModel
from assistant.reflection.engine import ReflectionEngine, SessionView
from assistant.retrieve import Retriever
from tests.helpers.fakes import fake_llm
from tests.helpers.model_server import ModelServer

NO_LLM = LanguageModel("none", None)


def engine_for(tmp_path: Path, retriever: Retriever, llm: LanguageModel = NO_LLM, **settings) -> ReflectionEngine:
    conn = sqlite3.connect(tmp_path / "sessions.sqlite", check_same_thread=False)
    return ReflectionEngine(Settings(data_dir=tmp_path, **settings), retriever, llm, conn=conn)


def assert_citations_resolve(view: SessionView) -> None:
    """Every [n] in a message points at a citation of that message, which has a section and a passage."""
    for item in view.turns:
        numbers = {int(n) for n in re.findall(r"\[(\d+)\]", item.text)}
        available = {c.n for c in item.citations}
        assert numbers <= available, (item.kind, numbers, available)
        for c in item.citations:
            assert c.text.strip() and c.section, item.kind


def test_a_whole_route_ends_in_a_cited_synthesis(tmp_path: Path, corpus_retriever: Retriever) -> None:
    engine = engine_for(tmp_path, corpus_retriever)
    view = engine.start("coordinator", "nl", route_id="strategiesessie")
    assert view.themes == ["gezamenlijk-doel", "proces", "waardecreatie", "relationele-factoren", "lerend-vermogen"]
    answers = [
        "Ons doel is impliciet; we organiseren vooral bijeenkomsten met een inspirerende spreker.",
        "We wisselen ervaringen uit, maar er is weinig tijd voor reflectie.",
        "We hebben een pilot gedaan met een nieuwe werkwijze in twee wijken.",
        "Tussen de gemeenten is het vertrouwen gegroeid.",
        "Wat we leren blijft vaak bij individuen hangen.",
    ]
    for number, answer in enumerate(answers, start=1):
        assert view.waiting_for == "answer" and view.progress == (number, 5)
        intro, question = view.turns[-2:]
        assert intro.kind == "intro" and len(intro.citations) >= 3
        assert question.kind == "question" and question.text.startswith("Vraag:")
        view = engine.send(view.info.id, {"type": "answer", "text": answer})
        reflection, followup = view.turns[-2:]
        assert reflection.kind == "reflection" and reflection.citations
        # without a model the coaching bank speaks: a curated text for what was recognised, citing [1]
        assert "signal" in reflection.data and "[1]" in reflection.text
        assert followup.kind == "followup" and view.waiting_for == "followup"
        view = engine.send(view.info.id, {"type": "next"})
        assert view.turns[-1].kind == "assess" and len(view.turns[-1].data["levels"]) == 5
        view = engine.send(view.info.id, {"type": "score", "value": 1 + number % 5})
        if view.turns[-1].kind == "score_check":  # far from what the answer pointed to: said once
            view = engine.send(view.info.id, {"type": "score", "value": 1 + number % 5})
    assert view.waiting_for == "free"
    synthesis = view.synthesis
    assert synthesis is not None
    assert [t.score for t in synthesis.themes] == [2, 3, 4, 5, 1]
    assert synthesis.themes[0].points == [answers[0]]
    for cycle in synthesis.cycles:  # proposals, each in the person's own words
        assert cycle.status == "proposed" and cycle.quote in {a[: len(cycle.quote)] for a in answers}
    assert 3 <= len(synthesis.actions) <= 5
    assert all(a.citation for a in synthesis.actions)
    assert {c.section for c in synthesis.citations} == {"7.2"}
    assert len(synthesis.group_questions) == 3
    assert_citations_resolve(view)


def test_an_english_session_quotes_the_same_passages_of_the_report(tmp_path: Path, corpus_retriever: Retriever) -> None:
    """The report is Dutch: its passages for a theme's introduction and its case networks are found with the Dutch
    queries in either language, so an English session shows the culture of the Business Club, not its access."""
    engine = engine_for(tmp_path, corpus_retriever)
    intros = {
        lang: next(t for t in engine.start("coordinator", lang, themes=["cultuur"]).turns if t.kind == "intro")
        for lang in ("nl", "en")
    }
    assert [c.chunk_id for c in intros["nl"].citations] == [c.chunk_id for c in intros["en"].citations]
    assert "De cultuur van de Business Club Maas Rhein" in intros["en"].text


def test_a_free_question_is_answered_and_the_flow_resumes(tmp_path: Path, corpus_retriever: Retriever) -> None:
    engine = engine_for(tmp_path, corpus_retriever)
    view = engine.start("board", "nl", themes=["cultuur"])
    before = view.waiting_for
    view = engine.send(view.info.id, {"type": "ask", "text": "Wat is stralend falen?"})
    question, answer = view.turns[-2:]
    assert question.kind == "free_question" and answer.kind == "free_answer" and answer.citations
    assert view.waiting_for == before == "answer"
    view = engine.send(view.info.id, {"type": "skip"})
    assert view.waiting_for == "score"
    view = engine.send(view.info.id, {"type": "ask", "text": "Wat is vertrouwen volgens het rapport?"})
    assert view.waiting_for == "score" and view.turns[-1].kind == "free_answer"
    assert_citations_resolve(view)


def test_the_language_model_writes_the_reflection_when_it_cites_well(
    tmp_path: Path, corpus_retriever: Retriever
) -> None:
    good = "Je merkt dat het doel niet helder is. Het rapport zegt dat een gezamenlijk doel het netwerk verbindt [1]."
    engine = engine_for(
        tmp_path, corpus_retriever, fake_llm(good, "Dit is een zin zonder bron over van alles en nog wat.")
    )
    view = engine.start("board", "nl", themes=["gezamenlijk-doel", "cultuur"])
    streamed: list = []
    view = engine.send(
        view.info.id,
        {"type": "answer", "text": "Het doel is niet helder voor iedereen."},
        on_passages=streamed.append,
        on_token=streamed.append,
    )
    assert view.turns[-2].text == good
    passages, *tokens = streamed  # the passages are shown first, while the model is still writing
    assert passages == view.turns[-2].citations
    assert len(tokens) > 5 and "".join(tokens) == good  # the app shows it as it is written
    view = engine.send(view.info.id, {"type": "next"})
    view = engine.send(view.info.id, {"type": "score", "value": 2})
    view = engine.send(view.info.id, {"type": "answer", "text": "Fouten worden bij ons verzwegen."})
    # the second reply cites nothing, so the guide falls back to the coaching bank's text and its passage
    reflection = view.turns[-2]
    assert reflection.data["writer"] == "bank" and reflection.citations
    from assistant.coaching import coaching_bank

    bank = coaching_bank(PROJECT_ROOT / "prompts")
    signal_id = reflection.data["signal"]
    reply = bank.signal("cultuur", "board", signal_id) if signal_id else bank.neutral("cultuur", "board")
    assert reflection.text.startswith(reply.reflection("nl"))  # [2] may follow
    assert_citations_resolve(view)


def test_follow_ups_are_limited_and_deepen_asks_the_next_probe(tmp_path: Path, corpus_retriever: Retriever) -> None:
    engine = engine_for(tmp_path, corpus_retriever, max_followups=2)
    view = engine.start("student", "nl", themes=["waardecreatie"])
    view = engine.send(view.info.id, {"type": "answer", "text": "Onmiddellijke waarde is wat direct waardevol is."})
    view = engine.send(view.info.id, {"type": "deepen"})
    followups = [t for t in view.turns if t.kind == "followup"]
    assert len(followups) == 2 and followups[0].text != followups[1].text
    assert [f.data.get("deeper") for f in followups] == [True, False]  # the screen offers "Verdiep" once
    assert not view.can_deepen
    view = engine.send(view.info.id, {"type": "deepen"})  # no third follow-up: the limit is 2
    assert [t.kind for t in view.turns].count("followup") == 2
    view = engine.send(view.info.id, {"type": "answer", "text": "Potentiële waarde is kennis voor later."})
    assert view.waiting_for == "score"
    # a student studies networks: the welcome and the scale speak of the concepts and a case, not "jullie netwerk"
    assert "een vraag over de begrippen" in view.turns[0].text and "jouw netwerk" not in view.turns[0].text
    assert (
        view.turns[-1].text.startswith("Oefening: neem een van de casusnetwerken")
        and "jullie" not in view.turns[-1].text
    )


def test_english_session_and_ask_mode(tmp_path: Path, corpus_retriever: Retriever) -> None:
    engine = engine_for(tmp_path, corpus_retriever)
    view = engine.start("student", "en", route_id="studeren-op-de-kaders")
    assert view.turns[0].text.startswith("Welcome.") and view.turns[-1].text.startswith("Question:")
    assert "Theme 1 of 6: Structure" in view.turns[1].text
    ask = engine.start("coordinator", "nl", mode="ask")
    assert ask.waiting_for == "free" and ask.themes == []
    ask = engine.send(ask.info.id, {"type": "ask", "text": "Wat is de schaalsprong?"})
    assert ask.turns[-1].kind == "free_answer" and ask.waiting_for == "free"


def test_sessions_persist_rename_delete_and_export(tmp_path: Path, corpus_retriever: Retriever) -> None:
    first = engine_for(tmp_path, corpus_retriever)
    view = first.start("board", "nl", themes=["leiderschap"])
    view = first.send(view.info.id, {"type": "answer", "text": "Onze voorzitter trekt alles alleen."})
    first.conn.close()

    second = engine_for(tmp_path, corpus_retriever)  # a new process would do exactly this
    again = second.view(view.info.id)
    assert again.turns == view.turns and again.waiting_for == "followup"
    second.rename(view.info.id, "Bestuursdag maart")
    assert [s.title for s in second.list()] == ["Bestuursdag maart"]

    markdown = second.export(view.info.id, "md")
    assert markdown.startswith("# Bestuursdag maart")
    assert "Onze voorzitter trekt alles alleen." in markdown
    assert re.search(r"> \[1\] §\d", markdown)
    data = json.loads(second.export(view.info.id, "json"))
    cited = [c for t in data["turns"] for c in t["citations"]]
    assert cited and all(c["section"] and c["text"] for c in cited)

    second.delete(view.info.id)
    assert second.list() == []
    with pytest.raises(SlimError):
        second.view(view.info.id)


def test_a_killed_session_resumes_with_nothing_lost(tmp_path: Path, corpus_data_dir: Path) -> None:
    """`slim reflect` is killed (SIGKILL) in the middle of a session; everything said before is there."""
    env = dict(os.environ, SLIM_DATA_DIR=str(tmp_path), SLIM_LLM="none", PYTHONUNBUFFERED="1")
    # the session database lives in tmp_path; the index is the shared corpus index
    (tmp_path / "chroma").symlink_to(corpus_data_dir / "chroma", target_is_directory=True)
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant", "reflect", "--role", "board", "--themes", "cultuur,leiderschap"],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdin and proc.stdout
    # an example of the bank's level-1 signal, so the score 2 is near what was said: no remark, no question
    proc.stdin.write("Nee, eigenlijk nooit.\n/next\n2\n")
    proc.stdin.flush()
    deadline = time.monotonic() + 120
    seen = ""
    while "Thema 2 van 2" not in seen and time.monotonic() < deadline:
        seen += proc.stdout.readline()
    assert "Thema 2 van 2" in seen, seen[-2000:]
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)

    listed = json.loads(
        CliRunner().invoke(app, ["sessions", "list", "--json"], env={"SLIM_DATA_DIR": str(tmp_path)}).output
    )
    assert len(listed) == 1
    exported = (
        CliRunner().invoke(app, ["sessions", "export", listed[0]["id"]], env={"SLIM_DATA_DIR": str(tmp_path)}).output
    )
    assert "Nee, eigenlijk nooit." in exported and "Genoteerd: 2" in exported


def test_a_crash_while_the_model_writes_loses_nothing(tmp_path: Path, corpus_data_dir: Path) -> None:
    """`slim reflect` is killed while the model writes its reflection on an answer: the answer is saved,
    and resuming runs the reflection again and goes on."""
    (tmp_path / "chroma").symlink_to(corpus_data_dir / "chroma", target_is_directory=True)
    with ModelServer("Dat blijft liggen.", hold_on="") as model:  # takes the request and does not answer
        env = dict(os.environ, SLIM_DATA_DIR=str(tmp_path), SLIM_LLM="openai:stall", SLIM_OPENAI_BASE_URL=model.url)
        proc = subprocess.Popen(
            [sys.executable, "-m", "assistant", "reflect", "--role", "board", "--themes", "cultuur"],
            env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        assert proc.stdin
        proc.stdin.write("Bij ons worden fouten verzwegen, uit angst.\n")
        proc.stdin.flush()
        assert model.asked.wait(120), "the model was never asked"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)

    cli = {"SLIM_DATA_DIR": str(tmp_path), "SLIM_LLM": "none"}
    session = json.loads(CliRunner().invoke(app, ["sessions", "list", "--json"], env=cli).output)[0]["id"]
    exported = CliRunner().invoke(app, ["sessions", "export", session], env=cli).output
    assert "Bij ons worden fouten verzwegen, uit angst." in exported
    # "2" twice: when the answer points at another level, the guide asks once which one fits (either is kept)
    resumed = CliRunner().invoke(app, ["reflect", "--resume", session], input="/next\n2\n2\n", env=cli)
    assert resumed.exit_code == 0, resumed.output
    exported = CliRunner().invoke(app, ["sessions", "export", session], env=cli).output
    # the reflection cut off by the crash is given on resume (by the coaching bank: SLIM_LLM=none now)
    from assistant.coaching import coaching_bank

    bank = coaching_bank(PROJECT_ROOT / "prompts")
    replies = [bank.neutral("cultuur", "board"), *bank.signals("cultuur", "board")]
    assert any(r.reflection("nl")[:40] in exported for r in replies) and "Genoteerd: 2" in exported


def test_the_terminal_says_what_it_cannot_use(tmp_path: Path, corpus_data_dir: Path) -> None:
    """A theme, role or route the bank does not have is named with the ones it has; text typed where the scale asks
    for a number is answered, not dropped without a word."""
    (tmp_path / "chroma").symlink_to(corpus_data_dir / "chroma", target_is_directory=True)
    cli = {"SLIM_DATA_DIR": str(tmp_path), "SLIM_LLM": "none"}
    for args, said in [
        (["--themes", "cultuur,klimaat"], "Onbekend thema 'klimaat'. Kies uit: gezamenlijk-doel, structuur,"),
        (["--role", "wethouder"], "Onbekende rol 'wethouder'. Kies uit: coordinator, board, student."),
        (["--route", "heidag"], "Onbekende route 'heidag'. Kies uit: strategiesessie,"),
    ]:
        refused = CliRunner().invoke(app, ["reflect", *args], input="", env=cli)
        assert refused.exit_code == 2 and said in refused.output, refused.output
    script = "Nee, eigenlijk nooit.\n/next\nWe durven het nog niet.\n2\n"
    done = CliRunner().invoke(app, ["reflect", "--role", "board", "--themes", "cultuur"], input=script, env=cli)
    assert done.exit_code == 0, done.output
    assert t("sessions.score_expected", "nl") in done.output and "Genoteerd: 2" in done.output
    chosen = CliRunner().invoke(app, ["reflect", "--themes", "cultuur,gezamenlijk-doel"], input="", env=cli)
    assert "Thema 1 van 2: Cultuur" in chosen.output  # in the order the person gave


def test_slim_reflect_completes_a_route_from_a_script(tmp_path: Path, corpus_data_dir: Path) -> None:
    """`slim reflect` reads one line per step from stdin (scripting, screen readers) and exports Markdown."""
    (tmp_path / "chroma").symlink_to(corpus_data_dir / "chroma", target_is_directory=True)
    script = "\n".join(
        [
            "We willen de zorg in de wijk samen anders organiseren.",
            "/next",
            "3",
            "/vraag Wat is de schaalsprong?",
            "Vooral nieuwe contacten: na de bijeenkomst maakte de buurtsportcoach meteen een afspraak met de huisarts.",
            "/skip",
            "2",
            "/waarde 1 2",
        ]
    )
    out = tmp_path / "sessie.md"
    env = {"SLIM_DATA_DIR": str(tmp_path), "SLIM_LLM": "none"}
    result = CliRunner().invoke(
        app,
        ["reflect", "--role", "coordinator", "--themes", "gezamenlijk-doel,waardecreatie", "--export", str(out)],
        input=script + "\n",
        env=env,
    )
    assert result.exit_code == 0, result.output
    assert "Thema 2 van 2: Waardecreatie" in result.output and "Samenvatting van je reflectie" in result.output
    markdown = out.read_text(encoding="utf-8")
    assert "Vooral nieuwe contacten" in markdown
    assert "Onmiddellijke waarde (voorstel)" in result.output  # the new contact shows immediate value
    assert "Potentiële waarde (door jou bevestigd)" in markdown  # /waarde 1 2: the person's correction
    assert re.search(r"> \[\d+\] §7\.2", markdown)  # action points cite the recommendations


def test_eval_answers_reports_every_measure(tmp_path: Path, corpus_data_dir: Path) -> None:
    items = tmp_path / "a.jsonl"
    items.write_text(
        '{"id": "i", "q": "Wat betekent stralend falen?", "kind": "in"}\n'
        '{"id": "o", "q": "Wie won het WK voetbal in 2010?", "kind": "out"}\n'
        '{"id": "r", "q": "Bij ons durft niemand fouten toe te geven.", "kind": "reflection", "theme": "cultuur"}\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        app, ["eval", "answers", str(items), "--llm", "none", "--json"], env={"SLIM_DATA_DIR": str(corpus_data_dir)}
    )
    assert result.exit_code == 0, result.output
    scores = json.loads(result.output)
    assert scores["citation_validity"] == 1.0 and scores["in_language"] == 1.0
    assert scores["answered_in_scope"] == 1.0 and scores["declined_out_of_scope"] == 1.0
    assert scores["passages_p50_s"] < 5 and scores["first_token_p50_s"] is None


def test_sessions_belong_to_their_owner_and_old_databases_migrate(tmp_path: Path, corpus_retriever: Retriever) -> None:
    conn = sqlite3.connect(tmp_path / "old.sqlite", check_same_thread=False)
    conn.execute(
        "CREATE TABLE slim_sessions (id TEXT PRIMARY KEY, title TEXT NOT NULL, role TEXT NOT NULL, lang TEXT NOT NULL,"
        " mode TEXT NOT NULL, route TEXT, created TEXT NOT NULL, updated TEXT NOT NULL)"
    )
    conn.execute("INSERT INTO slim_sessions VALUES ('old1', 'Oud', 'board', 'nl', 'guided', NULL, 'x', 'x')")
    conn.commit()
    engine = ReflectionEngine(Settings(data_dir=tmp_path), corpus_retriever, NO_LLM, conn=conn)
    a = engine.start("board", "nl", mode="ask", owner="browser-a")
    b = engine.start("board", "nl", mode="ask", owner="browser-b")
    assert [s.id for s in engine.list("browser-a")] == [a.info.id]
    assert [s.id for s in engine.list("browser-b")] == [b.info.id]
    assert {s.id for s in engine.list()} == {a.info.id, b.info.id, "old1"}
    assert engine.owned(a.info.id, "browser-a") and not engine.owned(a.info.id, "browser-b")


def test_the_browser_bench_long_conversation_is_a_finished_route(tmp_path: Path, corpus_data_dir: Path) -> None:
    """`slim bench --browser` times clicks on this session: it must be what it says (finished, long, owned)."""
    from assistant.evaluation.browser import LONG_ROUTE, long_session

    (tmp_path / "chroma").symlink_to(corpus_data_dir / "chroma", target_is_directory=True)
    settings = Settings(data_dir=tmp_path, llm="none")
    messages = long_session(settings, owner="bench-person")
    engine = ReflectionEngine(
        settings, Retriever(open_index(settings), settings.prompts_dir), LanguageModel("none", None)
    )
    (info,) = engine.list("bench-person")
    view = engine.view(info.id)
    assert info.route == LONG_ROUTE and view.synthesis is not None and len(view.scores) == len(view.themes) == 5
    assert messages == sum(1 for turn in view.turns if turn.text) >= 40
    assert [turn.text for turn in view.turns if turn.kind == "free_question"][-1] == "Wat is lerend vermogen?"


def test_a_follow_up_answer_gets_a_reply_and_never_the_same_text_twice(
    tmp_path: Path, corpus_retriever: Retriever
) -> None:
    """With one follow-up (the default) its answer used to go straight to the scale, unanswered: it gets a word
    now, and is kept for the summary. With more follow-ups an answer to one is reflected on; where it carries
    the point already reflected on, the same word instead of the same text twice."""
    noted = "Dank je, dat neem ik mee in de samenvatting."
    said = "Iedereen heeft het doel op papier, maar partners werken vooral aan hun eigen doelen."
    engine = engine_for(tmp_path, corpus_retriever)
    view = engine.start("board", "nl", themes=["gezamenlijk-doel"])
    view = engine.send(view.info.id, {"type": "answer", "text": said})
    view = engine.send(view.info.id, {"type": "answer", "text": "Daar praten we in het bestuur nooit over."})
    assert [t.kind for t in view.turns][-3:] == ["answer", "reflection", "assess"] and view.waiting_for == "score"
    assert view.turns[-2].text == noted and not view.turns[-2].citations and not view.other_angle

    (tmp_path / "two").mkdir()
    deeper = engine_for(tmp_path / "two", corpus_retriever, max_followups=2)
    for follow_up, same in ((said, True), ("We vieren elk jaar samen de resultaten van afgeronde projecten.", False)):
        view = deeper.start("board", "nl", themes=["gezamenlijk-doel"])
        view = deeper.send(view.info.id, {"type": "answer", "text": said})
        first = next(t for t in reversed(view.turns) if t.kind == "reflection")
        view = deeper.send(view.info.id, {"type": "answer", "text": follow_up})
        reply = next(t for t in reversed(view.turns) if t.kind == "reflection")
        assert reply is not first and reply.text != first.text
        assert (reply.text == noted) is same and bool(reply.citations) is not same
        assert_citations_resolve(view)


def test_an_answer_about_something_else_gets_a_word_on_it_and_the_question_once_more(
    tmp_path: Path, corpus_retriever: Retriever
) -> None:
    """A board member asks who reads along before answering: the guide says where the answers stay (true to
    the backend: a model outside this computer is named), the theme's neutral reply with its passage, and the
    question once more; the aside is no answer (not kept for the summary). A second answer about something
    else goes on like any other, so nobody is held at a question."""
    asked = "Wie leest dit eigenlijk allemaal mee? Mijn directeur hoeft niet alles te zien wat ik hier schrijf."
    for settings, opening in (
        ({}, "Goed dat je het vraagt: wat je hier schrijft, blijft op deze computer."),
        (
            {"llm": "openai:gpt-4o", "openai_base_url": "https://api.example.org/v1"},
            "Goed dat je het vraagt: je sessies blijven hier",
        ),
    ):
        folder = tmp_path / str(len(settings))
        folder.mkdir()
        conn = sqlite3.connect(folder / "sessions.sqlite", check_same_thread=False)
        engine = ReflectionEngine(Settings(data_dir=folder, **settings), corpus_retriever, NO_LLM, conn=conn)
        view = engine.start("board", "nl", themes=["cultuur"])
        question = next(t for t in reversed(view.turns) if t.kind == "question")
        view = engine.send(view.info.id, {"type": "answer", "text": asked})
        reply, again = view.turns[-2:]
        assert reply.kind == "reflection" and reply.data["aside"] == "privacy" and reply.text.startswith(opening)
        assert reply.data["signal"] is None and reply.citations and not view.other_angle
        assert again.kind == "question" and again.text.endswith(question.text.removeprefix("Vraag: "))
        assert view.waiting_for == "answer"
        assert_citations_resolve(view)
        saved = engine.graph.get_state(engine._config(view.info.id)).values
        assert saved["answers"] == {"cultuur": []} and "cultuur" not in saved.get("signals", {})

    view = engine.send(view.info.id, {"type": "answer", "text": asked})
    assert [t.kind for t in view.turns][-3:] == ["answer", "reflection", "followup"]
    assert view.waiting_for == "followup" and view.turns[-2].data["aside"] == "privacy"


def test_a_reply_to_the_follow_up_about_the_conversation_gets_its_word_and_the_follow_up_again(
    tmp_path: Path, corpus_retriever: Retriever
) -> None:
    """The last follow-up's reply gets "I'll take that into the summary": not for "who reads along?". That
    gets its word and the follow-up once more, and is not kept as an answer; once per follow-up."""
    engine = engine_for(tmp_path, corpus_retriever)
    view = engine.start("board", "nl", themes=["cultuur"])
    view = engine.send(
        view.info.id, {"type": "answer", "text": "Nee, in het bestuur laten we vooral zien wat goed gaat."}
    )
    followup = view.turns[-1]
    assert followup.kind == "followup" and view.waiting_for == "followup"
    asked = "Wie leest dit eigenlijk allemaal mee? Mijn directeur hoeft niet alles te zien wat ik hier schrijf."
    view = engine.send(view.info.id, {"type": "answer", "text": asked})
    word, again = view.turns[-2:]
    assert word.data["aside"] == "privacy" and word.text.startswith("Goed dat je het vraagt") and not word.citations
    assert again.kind == "followup" and again.text == followup.text and view.waiting_for == "followup"
    assert not view.other_angle
    saved = engine.graph.get_state(engine._config(view.info.id)).values
    assert len(saved["answers"]["cultuur"]) == 1
    view = engine.send(view.info.id, {"type": "answer", "text": asked})  # a second time: on to the scale
    assert [t.kind for t in view.turns][-3:] == ["answer", "reflection", "assess"] and view.waiting_for == "score"
