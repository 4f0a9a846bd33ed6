"""The real embedded model (Qwen2.5-Coder-1.5B Q4 via llama.cpp's own server, xllamacpp) — a small set.

`make setup` assembles the model into data/models; these tests load it once and talk to it over HTTP on
127.0.0.1, both as SLIM's `embedded` backend and as a plain OpenAI-compatible server (`openai:`).
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.answer import answer_question
from assistant.config import PROJECT_ROOT, Settings
from assistant.llm import LanguageModel, make_llm
from assistant.models import is_installed
from assistant.prompts import answer_prompts
from assistant.reflection.engine import ReflectionEngine
from assistant.retrieve import Retriever

pytestmark = pytest.mark.slow
MODELS = PROJECT_ROOT / "data" / "models"


@pytest.fixture(scope="module")
def embedded(corpus_data_dir: Path) -> Iterator[tuple[Settings, LanguageModel]]:
    settings = Settings(data_dir=corpus_data_dir, models_dir=MODELS)
    if not is_installed(MODELS, settings.llm_model):
        pytest.fail("the embedded model is not assembled: run `make setup` (or `slim models install`)")
    llm = make_llm(settings)
    yield settings, llm
    del llm


def _cited_numbers(text: str) -> set[int]:
    return {int(n) for n in re.findall(r"\[(\d+)\]", text)}


def test_embedded_model_answers_with_valid_citations(embedded, corpus_retriever: Retriever) -> None:
    settings, llm = embedded
    assert llm.name == "embedded:qwen2.5-coder-1.5b" and llm.server.listening_address.startswith("http://127.0.0.1:")
    # how often the model answers well is measured by `slim eval answers`; what must always hold is tested here:
    # the embedded model only chooses, so every answer is SLIM's frame around the report's own sentences
    assert llm.chooses
    for question, lang in [("Wat betekent stralend falen?", "nl"), ("What is the aim of De STAP naar gezonder?", "en")]:
        result = answer_question(question, corpus_retriever, llm, settings)
        assert result.language == lang and result.timings.first_token_s is not None
        assert _cited_numbers(result.answer) <= {c.n for c in result.citations}
        if result.grounded:
            assert result.method in {"chosen", "extractive"} and _cited_numbers(result.answer)
        else:  # declined: with what comes closest (cited), or nothing when the report is far off
            closest = answer_prompts(settings.prompts_dir)[lang].closest_intro
            assert result.answer.startswith(closest) or not result.citations, result.answer


def test_the_server_speaks_openai_over_http(embedded, corpus_retriever: Retriever) -> None:
    settings, llm = embedded
    base_url = f"{llm.server.listening_address}/v1"
    body = json.dumps({"messages": [{"role": "user", "content": "Say OK."}], "max_tokens": 5}).encode()
    headers = {"Content-Type": "application/json"}
    with pytest.raises(urllib.error.HTTPError) as refused:  # the server answers only who has its key
        urllib.request.urlopen(urllib.request.Request(f"{base_url}/chat/completions", body, headers), timeout=120)
    assert refused.value.code == 401
    headers["Authorization"] = f"Bearer {llm.key}"
    request = urllib.request.Request(f"{base_url}/chat/completions", data=body, headers=headers)
    with urllib.request.urlopen(request, timeout=120) as response:
        reply = json.loads(response.read())
    assert reply["object"] == "chat.completion" and reply["choices"][0]["message"]["content"]

    update = {"llm": "openai:local", "openai_base_url": base_url, "openai_api_key": llm.key}
    remote = make_llm(settings.model_copy(update=update))
    assert remote.name == "openai:local"
    result = answer_question(
        "Hoeveel gemeenten werken samen in de Metropoolregio Eindhoven?", corpus_retriever, remote, settings
    )
    assert result.grounded and "21" in " ".join(c.text for c in result.citations)
    assert _cited_numbers(result.answer) <= {c.n for c in result.citations}


def test_a_reflection_turn_with_the_embedded_model(embedded, corpus_retriever: Retriever, tmp_path: Path) -> None:
    settings, llm = embedded
    engine = ReflectionEngine(
        settings.model_copy(update={"data_dir": tmp_path}),
        corpus_retriever,
        llm,
        conn=sqlite3.connect(tmp_path / "s.sqlite", check_same_thread=False),
    )
    view = engine.start("board", "nl", themes=["cultuur"])
    view = engine.send(
        view.info.id, {"type": "answer", "text": "Bij ons durft niemand te zeggen dat een project mislukt is."}
    )
    reflection = view.turns[-2]
    assert reflection.kind == "reflection" and reflection.citations
    assert _cited_numbers(reflection.text) and _cited_numbers(reflection.text) <= {c.n for c in reflection.citations}


def test_a_fresh_process_restores_the_prompt_prefix_instead_of_reading_it(embedded, tmp_path: Path) -> None:
    """The fixed start of the answer prompt is computed once and saved; a new server (as in a new
    `slim ask` process) restores it; a damaged file is computed again, not a failure."""
    from assistant.answer.generation import prompt_prefix
    from assistant.llm import embedded_params, embedded_sampling, openai_compatible, start_embedded_server
    from assistant.prompts import answer_prompts

    settings, _ = embedded
    prefix = prompt_prefix(answer_prompts(settings.prompts_dir)["nl"])

    def fresh() -> LanguageModel:
        server, base_url = start_embedded_server(embedded_params(settings, slots=tmp_path))
        chat = openai_compatible(settings, base_url, "local")
        return LanguageModel("embedded:test", chat, server, slots=tmp_path, sampling=embedded_sampling(settings))

    first = fresh()
    assert first.warm(prefix) == "computed"
    saved = list(tmp_path.glob("*.bin"))
    assert len(saved) == 1 and saved[0].stat().st_size > 1_000_000
    del first
    second = fresh()
    assert second.warm(prefix) == "restored"
    del second
    saved[0].write_bytes(b"not a saved slot")
    third = fresh()
    assert third.warm(prefix) == "computed" and saved[0].stat().st_size > 1_000_000


def test_a_command_uses_the_model_the_app_offers(embedded, corpus_retriever: Retriever, tmp_path: Path) -> None:
    """The app (``share``) records its server in the data directory; `slim ask` (``reuse``) answers through
    it without loading the model, and once the app has stopped offering it, nothing points there any more."""
    from assistant.answer import answer_prefix
    from assistant.model_server import read_record, running_server, withdraw

    settings = embedded[0].model_copy(update={"data_dir": tmp_path / "data"})
    app = make_llm(settings, share=True)
    record = read_record(settings)
    assert record is not None and record.pid == os.getpid() and app.address == record.address
    assert running_server(settings) == record

    command = make_llm(settings, reuse=True)
    assert command.shared and command.server is None and command.address == app.address
    assert command.warm(answer_prefix(command, settings.prompts_dir, "nl")) in {"restored", "computed"}
    result = answer_question("Wat betekent stralend falen?", corpus_retriever, command, settings)
    assert result.method in {"chosen", "extractive"} and result.timings.first_token_s is not None
    assert _cited_numbers(result.answer) <= {c.n for c in result.citations}

    withdraw(settings)  # what the app does when it ends
    assert read_record(settings) is None and running_server(settings) is None
    del app


def test_a_command_loads_its_own_model_in_a_child_process(embedded, corpus_retriever: Retriever) -> None:
    """`slim ask` without a server to use: the model loads in a child process while the command goes on;
    the first request waits for it, and the child ends with the command."""
    settings, _ = embedded
    started = time.perf_counter()
    llm = make_llm(settings, background=True)
    assert time.perf_counter() - started < 5  # returned before the model loaded
    try:
        assert not llm.shared and llm.ready is not None and llm.address.startswith("http://127.0.0.1:")
        question = "Hoeveel gemeenten werken samen in de Metropoolregio Eindhoven?"
        result = answer_question(question, corpus_retriever, llm, settings)
        assert result.method == "chosen" or result.note == "model: none"  # the model chose: no error
        assert _cited_numbers(result.answer) <= {c.n for c in result.citations}
    finally:
        llm.server.close()


def test_a_choice_asked_as_an_opening_chooses_as_the_schema_does(embedded, corpus_retriever: Retriever) -> None:
    """The embedded server gets a choice as the reply's fixed opening and a grammar of the values (3 tokens
    written instead of 7); the model picks what it picks when the whole JSON is asked under the schema."""
    from dataclasses import replace

    from assistant.answer.choice import choice_candidates, choice_messages
    from assistant.answer.sentences import rank_sentences
    from assistant.prompts import choice_prompt

    settings, llm = embedded
    as_schema = replace(llm, address=None, server=None)  # the same server and chat model, asked as a schema
    prompt = choice_prompt(settings.prompts_dir)
    for question in ["Wat betekent stralend falen?", "Hoeveel gemeenten werken samen in de Metropoolregio Eindhoven?"]:
        hits = corpus_retriever.search(question, k=3)
        candidates = choice_candidates(rank_sentences(question, hits, corpus_retriever.index.embeddings))
        messages = choice_messages(prompt, question, candidates)
        ids = [str(i) for i in range(1, len(candidates) + 1)] + ["none"]
        schema = {"type": "object", "properties": {"answer": {"enum": ids}}, "required": ["answer"]}
        opened = json.loads(llm.structured(messages, schema))
        assert opened["answer"] in ids and opened == json.loads(as_schema.structured(messages, schema))
