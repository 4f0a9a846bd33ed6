"""A second passage beside the coaching bank's: the one of the theme's sections that the person's answer
most resembles, cited as [2] only when that resemblance is high.

The bank cites one passage per signal; the report often treats what a person said in another, equally
relevant place as well (a concept's definition, a case network's own words). The guide then adds one
short line from ``prompts/model/reflection.yaml`` (``further``) that says no more than that the report
treats this there. Chosen on the tuning half of ``docs/eval/reflections-*.jsonl`` (docs/benchmarks.md).
"""

from __future__ import annotations

import numpy as np

from assistant.domain import Citation
from assistant.prompts import Theme
from assistant.retrieve import Retriever, hit_from_document, in_sections

# Resemblance must be there in meaning *and* in words. e5 similarity of the answer to the best sentence of a
# passage: unrelated text scores ~0.80-0.86, but a short or general answer ("Weet ik niet", "Als netwerk,
# samen") reaches 0.88-0.91 with passages about something else, so the passage must also be among the
# ``LEXICAL_TOP`` best of the whole report for the answer's own words (BM25). Both chosen on the tuning
# half: of the 20 second passages read there at similarity >= 0.875, 5 fit and 2 partly; all but one of
# those 7 were among the 4 best passages for the answer's words, none of the 13 that did not fit.
MIN_SIMILARITY = 0.875
LEXICAL_TOP = 4


def theme_sections(theme: Theme) -> list[str]:
    """The report's sections a theme draws on: its own and those of its case networks."""
    found = [*theme.sections, *(s for case in theme.cases for s in case.sections)]
    return list(dict.fromkeys(found))


def further_passage(
    retriever: Retriever, answer: str, sections: list[str], cited: list[Citation], n: int = 2
) -> tuple[Citation, float] | None:
    """The passage of ``sections`` whose best sentence is most like ``answer`` (the ``cited`` passages and
    those next to them aside: the same text again), with its neighbours, and that similarity; None when it
    is below ``MIN_SIMILARITY`` or the answer's words do not single it out (``LEXICAL_TOP``)."""
    if not answer.strip():
        return None
    snap = retriever.snapshot()
    signals = retriever.signals(answer, "hybrid", snap=snap)
    scores, words = signals["sentence"], signals["bm25"]
    places = [snap.docs[snap.position[c.chunk_id]].metadata for c in cited if c.chunk_id in snap.position]
    for row in np.argsort(-scores, kind="stable"):
        if scores[row] < MIN_SIMILARITY:
            return None
        doc = snap.docs[row]
        meta = doc.metadata
        if meta.get("kind", "report") != "report" or not in_sections(str(meta.get("section", "")), sections):
            continue
        if any(meta["doc_id"] == p["doc_id"] and abs(int(meta["ordinal"]) - int(p["ordinal"])) <= 1 for p in places):
            continue
        if words[row] <= 0 or int((words > words[row]).sum()) >= LEXICAL_TOP:
            return None  # like the answer in tone, not in what it is about
        hit = hit_from_document(n, retriever.with_neighbours(doc, snap), float(scores[row]))
        return Citation.from_hit(n, hit), float(scores[row])
    return None
