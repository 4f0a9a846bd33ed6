"""The reflection graph's nodes and routers, each called alone with a fake context: our own logic (which
input leads where, which documents a step searches, what goes out on the stream), in well under a second,
with no index and no model (LangChain's fake chat model where a model is needed).

The whole conversation on the real index is tested in test_reflection.py."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from langgraph.runtime import Runtime

from assistant.answer.generation import Generation, checked_generation
from assistant.config import Settings
from assistant.domain import Citation
from assistant.llm import LanguageModel
from assistant.prompts import question_bank, reflection_prompts
from assistant.reflection import graph, nodes
from assistant.reflection.nodes import Context, Passages, Place, Token
from assistant.reflection.state import Input, ReflectionState
from assistant.retrieve import Evidence, Hit
from tests.helpers.fakes import FlatEmbeddings, broken_llm, fake_llm

NO_LLM = LanguageModel("none", None)
GOOD = "Je merkt dat fouten bij jullie verzwegen worden. Het rapport noemt dat stralend falen [1]."


class FakePassages:
    """A retriever over made-up passages of one ``source``: every query finds ``k`` passages of its own,
    in the section that ``sections`` gives for the query (else 3.1), so a test can tell whose they are."""

    def __init__(self, source: str, sections: dict[str, str] | None = None):
        self.source, self.sections, self.queries = source, sections or {}, []

    def _hits(self, query: str, k: int) -> list[Hit]:
        self.queries.append(query)
        section = self.sections.get(query, "3.1")
        return [
            Hit(
                rank=i,
                chunk_id=f"{self.source}:{len(self.queries)}:{i}",
                source=self.source,
                section=section,
                heading=f"{section} Een kop",
                page=None,
                score=1.0,
                text=f"Een passage uit {self.source} over {query}, met fouten en vertrouwen.",
            )
            for i in range(1, k + 1)
        ]

    def evidence(self, query: str, k: int, sentences: int = 2, max_chars: int = 10_000) -> Evidence:
        hits = self._hits(query, k)
        return Evidence(hits=hits, excerpts=[h.text for h in hits], relevance=0.95)

    def search(self, query: str, k: int = 5, **_: Any) -> list[Hit]:
        return self._hits(query, k)

    # what a free answer reads to choose the sentences it quotes: vectors (none stored here) and the
    # question as BM25 sees it
    index = SimpleNamespace(embeddings=FlatEmbeddings())

    def snapshot(self) -> SimpleNamespace:
        return SimpleNamespace(sentence_texts=[], sentence_vectors=[])

    def lexical_query(self, query: str) -> str:
        return query

    def passage_with(self, section: str, phrase: str) -> Hit:
        """A made-up passage of ``section`` that contains ``phrase``, as the real one finds it."""
        (hit,) = self._hits(phrase, 1)
        return hit.model_copy(update={"section": section, "text": f"{hit.text} {phrase}"})


@pytest.fixture
def context(tmp_path: Path) -> Context:
    settings = Settings(data_dir=tmp_path)
    bank = question_bank(settings.prompts_dir)
    cases = {case.query: case.sections[0] for t in bank.themes.values() for case in t.cases}
    return Context(
        settings=settings,
        llm=NO_LLM,
        bank=bank,
        prompts=reflection_prompts(settings.prompts_dir),
        report=FakePassages("samen-leren-impact-maken.md", cases),
        person=FakePassages("plan.pdf"),
    )


def runtime(context: Context, events: list | None = None, **changes: Any) -> Runtime[Context]:
    """The runtime LangGraph gives a node: the context, and a stream writer (here: a list)."""
    return Runtime(context=replace(context, **changes), stream_writer=(events if events is not None else []).append)


def at_theme(**values: Any) -> ReflectionState:
    state: ReflectionState = {"role": "board", "lang": "nl", "mode": "guided", "themes": ["cultuur", "proces"]}
    state.update({"theme_index": 0, "followups": 0, "answers": {}, "scores": {}, **values})
    return state


# --- routers ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("router", "allowed"),
    [
        (graph.after_wait_answer, {"wait_answer", "reflect", "assess"}),
        (graph.after_reflect, {"wait_followup", "wait_answer", "assess"}),
        (graph.after_wait_followup, {"wait_followup", "reflect", "assess"}),
        (graph.after_wait_score, {"wait_score", "advance"}),
        (graph.after_wait_free, {"wait_free"}),
    ],
)
def test_each_router_goes_only_where_its_node_may_lead(router, allowed: set[str]) -> None:
    for step in allowed:
        assert router({"next_step": step}) == step
    for step in {"wait_answer", "wait_followup", "wait_score", "wait_free", "reflect", "assess", "advance"} - allowed:
        with pytest.raises(ValueError):
            router({"next_step": step})
    with pytest.raises(ValueError):
        router({})


def test_welcome_and_advance_routers() -> None:
    assert graph.after_welcome({"mode": "ask", "themes": []}) == "wait_free"
    assert graph.after_welcome({"mode": "guided", "themes": []}) == "wait_free"
    assert graph.after_welcome({"mode": "guided", "themes": ["cultuur"]}) == "intro"
    assert graph.after_advance({"theme_index": 1, "themes": ["cultuur", "proces"]}) == "intro"
    assert graph.after_advance({"theme_index": 2, "themes": ["cultuur", "proces"]}) == "synthesis"


def test_the_graph_takes_each_routers_targets_from_its_type() -> None:
    edges: dict[str, set[str]] = {}
    for edge in graph.build_graph().get_graph().edges:
        edges.setdefault(edge.source, set()).add(edge.target)
    assert edges == {
        "__start__": {"welcome"},
        "welcome": {"intro", "wait_free"},
        "intro": {"wait_answer"},
        "wait_answer": {"wait_answer", "reflect", "assess"},
        "reflect": {"wait_followup", "wait_answer", "assess"},
        "wait_followup": {"wait_followup", "reflect", "assess"},
        "assess": {"wait_score"},
        "wait_score": {"wait_score", "advance"},
        "advance": {"intro", "synthesis"},
        "synthesis": {"wait_free"},
        "wait_free": {"wait_free"},
    }


# --- handlers of what the person sends -------------------------------------------------------------------


def test_an_answer_is_recorded_and_reflected_on(context: Context) -> None:
    state = at_theme(answers={"cultuur": ["eerder"]})
    update = nodes.on_answer(state, Input(type="answer", text="  Fouten verzwijgen we. "), runtime(context))
    assert update["next_step"] == "reflect"
    assert update["answers"] == {"cultuur": ["eerder", "Fouten verzwijgen we."]}
    assert [(t["role"], t["kind"], t["theme"]) for t in update["turns"]] == [("user", "answer", "cultuur")]


@pytest.mark.parametrize(
    ("data", "turns", "step"),
    [
        ({"type": "skip"}, ["skip"], "assess"),
        ({"type": "next"}, [], "assess"),
        ({"type": "answer", "text": "  "}, None, "wait_answer"),
        ({"type": "deepen"}, None, "wait_answer"),  # there is nothing to deepen before an answer
        ({"type": "score", "value": 3}, None, "wait_answer"),
        ({"type": "ask", "text": " "}, None, "wait_answer"),
    ],
)
def test_the_question_waits_for_an_answer_or_moves_on(context: Context, data: dict, turns, step: str) -> None:
    update = nodes.on_answer(at_theme(), Input.model_validate(data), runtime(context))
    assert update["next_step"] == step
    assert (None if "turns" not in update else [t["kind"] for t in update["turns"]]) == turns


def test_a_follow_up_deepens_only_while_follow_ups_are_left(context: Context) -> None:
    rt = runtime(context, settings=Settings(data_dir=context.settings.data_dir, max_followups=2))
    answer, deepen = Input(type="answer", text="Ja."), Input(type="deepen")
    assert nodes.on_followup(at_theme(followups=1), answer, rt)["next_step"] == "reflect"
    assert nodes.on_followup(at_theme(followups=1), deepen, rt) == {"next_step": "reflect"}
    last = nodes.on_followup(at_theme(followups=2), answer, rt)  # the last follow-up's answer: a word, then the scale
    assert last["next_step"] == "assess" and [t["kind"] for t in last["turns"]] == ["answer", "reflection"]
    assert last["turns"][1]["text"] == "Dank je, dat neem ik mee in de samenvatting."
    assert nodes.on_followup(at_theme(followups=2), deepen, rt) == {"next_step": "wait_followup"}
    assert nodes.on_followup(at_theme(followups=2), Input(type="next"), rt) == {"turns": [], "next_step": "assess"}


def test_a_score_is_noted_and_the_next_theme_follows(context: Context) -> None:
    update = nodes.on_score(at_theme(), Input(type="score", value=2), runtime(context))
    assert update["scores"] == {"cultuur": 2} and update["next_step"] == "advance"
    assert [t["text"] for t in update["turns"]][0] == "2"
    assert update["turns"][1]["text"].startswith("Genoteerd: 2 (")
    skipped = nodes.on_score(at_theme(), Input(type="skip"), runtime(context))
    assert skipped["next_step"] == "advance" and skipped["turns"][0]["text"] == "We slaan deze over."
    assert nodes.on_score(at_theme(), Input(type="answer", text="Goed"), runtime(context)) == {
        "next_step": "wait_score"
    }


def test_a_free_question_at_any_pause_searches_the_persons_documents_and_stays(context: Context) -> None:
    events: list = []
    rt = runtime(context, events)
    ask = Input(type="ask", text="Wat staat er in ons plan?")
    for handler, here in [
        (nodes.on_answer, "wait_answer"),
        (nodes.on_followup, "wait_followup"),
        (nodes.on_score, "wait_score"),
        (nodes.on_free, "wait_free"),
    ]:
        update = handler(at_theme(), ask, rt)
        assert update["next_step"] == here and "answers" not in update and "scores" not in update
        question, answer = update["turns"]
        assert (question["kind"], answer["kind"]) == ("free_question", "free_answer")
        assert {c["source"] for c in answer["citations"]} == {"plan.pdf"}
    assert context.report.queries == []
    assert all(isinstance(e, Passages) for e in events) and len(events) == 4  # no model: passages only
    assert nodes.on_free(at_theme(), Input(type="answer", text="Hallo"), rt) == {"next_step": "wait_free"}


def test_a_streamed_free_answer_sends_passages_then_tokens(context: Context) -> None:
    events: list = []
    rt = runtime(context, events, llm=fake_llm("Het plan zegt dat fouten verzwegen worden [1]."))
    update = nodes.on_free(at_theme(), Input(type="ask", text="Wat staat er in ons plan?"), rt)
    assert update["turns"][1]["data"]["method"] == "llm"
    first, *rest = events
    assert isinstance(first, Passages) and all(isinstance(e, Token) for e in rest)
    assert "".join(e.text for e in rest) == update["turns"][1]["text"]


# --- nodes that speak ------------------------------------------------------------------------------------


def test_the_intro_rests_on_the_report_alone(context: Context) -> None:
    update = nodes.intro(at_theme(), runtime(context))
    intro, question = update["turns"]
    assert {c["source"] for c in intro["citations"]} == {"samen-leren-impact-maken.md"}
    assert len(intro["citations"]) == 5  # two for the theme, one per case network
    assert [c["n"] for c in intro["citations"]] == [1, 2, 3, 4, 5]
    assert "**Thema 1 van 2: " in intro["text"] and "- **De STAP naar gezonder**:" in intro["text"]
    assert question["text"].startswith("Vraag: ") and question["data"]["question_id"]
    assert update["waiting_for"] == "answer" and update["followups"] == 0
    assert context.person.queries == []


def test_a_question_chosen_at_the_start_is_asked_and_an_unknown_one_leaves_the_first(context: Context) -> None:
    asked = question_bank(context.settings.prompts_dir).themes["cultuur"].questions["board"]
    second = nodes.intro(at_theme(questions={"cultuur": asked[1].id}), runtime(context))["turns"][1]
    assert second["data"]["question_id"] == asked[1].id and asked[1].text("nl") in second["text"]
    unknown = nodes.intro(at_theme(questions={"cultuur": "geen-vraag"}), runtime(context))["turns"][1]
    assert unknown["data"]["question_id"] == asked[0].id


def test_the_reflection_searches_the_persons_documents_and_streams(context: Context) -> None:
    events: list = []
    rt = runtime(context, events, llm=fake_llm(GOOD))
    update = nodes.reflect(at_theme(answers={"cultuur": ["Fouten worden verzwegen."]}), rt)
    reflection, followup = update["turns"]
    assert reflection["text"] == GOOD and {c["source"] for c in reflection["citations"]} == {"plan.pdf"}
    assert context.report.queries == []
    first, *tokens = events
    assert (
        first == Passages([Citation.model_validate(c) for c in reflection["citations"]])
        and "".join(t.text for t in tokens) == GOOD
    )
    assert followup["kind"] == "followup" and update["next_step"] == "wait_followup"
    assert update["followups"] == 1 and update["waiting_for"] == "followup"


def test_a_reflection_that_cites_nothing_falls_back_to_the_mirror(context: Context) -> None:
    rt = runtime(context, llm=fake_llm("Dit is een zin zonder bron over van alles en nog wat."))
    update = nodes.reflect(at_theme(answers={"cultuur": ["Fouten worden verzwegen."]}, followups=1), rt)
    (reflection,) = update["turns"]  # the one follow-up is used: on to the self-assessment
    assert reflection["text"].startswith("Je vertelt: “Fouten worden verzwegen.” Het rapport laat hierbij zien:")
    assert update["next_step"] == "assess" and "waiting_for" not in update


def test_assess_offers_the_five_levels(context: Context) -> None:
    update = nodes.assess(at_theme(), runtime(context))
    (turn,) = update["turns"]
    assert [lv["level"] for lv in turn["data"]["levels"]] == [1, 2, 3, 4, 5] and update["waiting_for"] == "score"


def test_welcome_names_the_themes_or_opens_ask_mode(context: Context) -> None:
    guided = nodes.welcome(at_theme(), runtime(context))
    assert guided["theme_index"] == 0 and "Cultuur" in guided["turns"][0]["text"]
    one = nodes.welcome(at_theme(themes=["cultuur"]), runtime(context))["turns"][0]["text"]
    two = nodes.welcome(at_theme(themes=["cultuur", "proces"]), runtime(context))["turns"][0]["text"]
    assert "door het thema Cultuur uit het rapport." in one and "1 thema" not in one  # not "1 thema's"
    assert "door 2 thema's uit het rapport: Cultuur, Proces." in two
    ask = nodes.welcome({"role": "board", "lang": "en", "mode": "ask", "themes": []}, runtime(context))
    assert ask["waiting_for"] == "free" and "theme_index" not in ask


def test_the_synthesis_cites_the_report(context: Context) -> None:
    state = at_theme(theme_index=2, answers={"cultuur": ["We leren van fouten."]}, scores={"cultuur": 2})
    update = nodes.synthesis(state, runtime(context))
    assert {c["source"] for c in update["synthesis"]["citations"]} == {"samen-leren-impact-maken.md"}
    assert [t["kind"] for t in update["turns"]] == ["synthesis", "done"] and update["waiting_for"] == "free"
    assert context.person.queries == []


def test_advance_goes_to_the_next_theme() -> None:
    assert nodes.advance(at_theme(theme_index=1)) == {"theme_index": 2}


# --- the one checked generation --------------------------------------------------------------------------


def _generate(llm: LanguageModel, **kwargs: Any) -> tuple[Generation, list[str]]:
    tokens: list[str] = []
    out = checked_generation(llm, [], passages=2, lang="nl", fallback="TERUGVAL", on_token=tokens.append, **kwargs)
    return out, tokens


@pytest.mark.parametrize(
    ("reply", "text", "problem"),
    [
        (GOOD, GOOD, None),
        (
            "Het rapport zegt dat fouten bij het leren horen [1] en dat vertrouwen nodig is [7].",
            "Het rapport zegt dat fouten bij het leren horen [1] en dat vertrouwen nodig is.",
            None,
        ),
        ("Dit is een zin zonder bron over van alles en nog wat.", "TERUGVAL", "no valid citation"),
        ("Ja [1].", "TERUGVAL", "degenerate"),
        ("The report says that failing is part of learning together [1].", "TERUGVAL", "wrong language"),
    ],
)
def test_checked_generation_uses_the_model_only_when_it_can_be_trusted(reply: str, text: str, problem) -> None:
    out, tokens = _generate(fake_llm(reply))
    assert (out.text, out.problem) == (text, problem)
    assert "".join(tokens) == reply and out.raw == reply and out.first_token_s is not None


def test_checked_generation_survives_a_failing_or_missing_model() -> None:
    out, tokens = _generate(broken_llm())
    assert out.text == "TERUGVAL" and out.problem == "error: model server went away" and tokens == []
    out, _ = _generate(NO_LLM)
    assert (out.text, out.problem, out.first_token_s) == ("TERUGVAL", "no language model", None)


def test_checked_generation_cleans_before_it_checks() -> None:
    out, _ = _generate(fake_llm(GOOD + " WEG"), clean=lambda raw: raw.removesuffix(" WEG"))
    assert out.text == GOOD and out.raw == GOOD + " WEG"


def test_the_place_in_line_goes_out_on_the_stream(context: Context) -> None:
    events: list = []
    llm = fake_llm(GOOD)
    state, rt = at_theme(answers={"cultuur": ["Fouten."]}), runtime(context, events, llm=llm)
    with llm.queue.turn():  # someone else's reply is being written: this one waits its turn
        worker = threading.Thread(target=nodes.reflect, args=(state, rt))
        worker.start()
        deadline = time.monotonic() + 10
        while Place(1) not in events and time.monotonic() < deadline:
            time.sleep(0.01)
    worker.join(10)
    assert [type(e).__name__ for e in events][:3] == ["Passages", "Place", "Token"]
    assert events[1] == Place(1)
