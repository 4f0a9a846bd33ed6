"""Evaluation files are read in the forms people write them in."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.errors import InputError
from assistant.evaluation.quality import load_answer_items


def write(path: Path, lines: list[dict]) -> Path:
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    return path


def test_a_question_file_in_the_retrieval_sets_form_is_read_as_answer_items(tmp_path: Path) -> None:
    path = write(
        tmp_path / "free.jsonl",
        [
            {"id": "d01", "q": "Wat betekent stralend falen?", "evidence": ["stralend falen"]},
            {"id": "o01", "question": "Hoe laat vertrekt de trein naar Venlo?"},
            {"id": "o02", "q": "Wie wint het WK?", "kind": "out", "evidence": []},
            {"id": "r01", "q": "Wat is onmiddellijke waarde?", "kind": "reflection", "theme": "waardecreatie"},
        ],
    )
    items = {item.id: item for item in load_answer_items(path)}
    assert items["d01"].kind == "in" and items["d01"].evidence == ["stralend falen"]
    assert items["o01"].kind == "out" and items["o01"].q == "Hoe laat vertrekt de trein naar Venlo?"
    assert items["o02"].kind == "out"
    assert items["r01"].kind == "reflection"  # a kind given is kept


def test_a_line_without_a_question_names_its_line(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.jsonl", [{"id": "d01", "q": "Wat is stralend falen?"}, {"id": "d02"}])
    with pytest.raises(InputError) as caught:
        load_answer_items(path)
    assert caught.value.values["line"] == 2
