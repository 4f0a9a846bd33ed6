"""How the index spends its embedding work: each distinct text once, lists split evenly over the cores.
A fake embedding that records what it is asked (our own logic, not the model's)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from assistant.embeddings import balanced_parts
from assistant.index import distinct


class Recorder:
    """Embeds a text as (its length, its count of 'a', 1), normalised, and records every text it embeds."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        self.seen.extend(texts)
        raw = np.array([[len(t), t.count("a"), 1.0] for t in texts], dtype=np.float32).reshape(len(texts), 3)
        return raw / np.linalg.norm(raw, axis=1, keepdims=True)


def test_a_repeated_sentence_is_embedded_once() -> None:
    embed = Recorder()
    vectors = distinct(embed, ["(2018).", "Samen leren.", "(2018)."])
    assert embed.seen == ["(2018).", "Samen leren."]
    assert vectors.shape == (3, 3) and np.array_equal(vectors[0], vectors[2])


def test_a_long_list_is_dealt_evenly_and_every_text_comes_back_to_its_row() -> None:
    texts = ["x" * n for n in (50, 10, 40, 20, 30, 5)]
    parts = balanced_parts(texts, 2)
    assert sorted(row for rows, _ in parts for row in rows) == list(range(6))
    assert all(texts[row] == text for rows, part in parts for row, text in zip(rows, part, strict=True))
    lengths = [sum(len(t) for t in part) for _, part in parts]
    assert max(lengths) - min(lengths) <= 10
    assert balanced_parts(["één"], 4) == [([0], ["één"])]
