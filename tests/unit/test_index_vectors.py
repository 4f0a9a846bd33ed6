"""How the index spends its embedding work: each distinct text once.
A fake embedding that records what it is asked (our own logic, not the model's)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

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
