"""Text helpers every layer shares: one sentence splitter, the citation pattern, folding, the heading separator.

One definition each, so that indexing, highlighting, the checks on a model's text and the prompts agree
on what a sentence and a citation are. Pure functions, no imports from the rest of SLIM.
"""

from __future__ import annotations

import re
import unicodedata

HEADING_SEPARATOR = " › "
"""joins the heading path of a passage ('3 Resultaten › 3.3 Vormen van impact › Onmiddellijke waarde')"""

CITATION = re.compile(r"\[(\d+)\]")
"""a citation in SLIM's texts and a model's answers: '[1]'"""

WORD = re.compile(r"\w+")

# a sentence ends at . ! ? (optionally closed by a quote or bracket, which stays with it) before a capital,
# digit or quote, or before a line break whatever follows (a document's "Peeters.\n</bronnen>" is two
# sentences); paragraph breaks and list items always end a unit
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])([\"”’)]?)(?:\s+(?=[A-ZÀ-Ý0-9“\"‘(])|[ \t]*\n\s*(?=\S))|\n\s*\n|\n(?=- )")


# an abbreviation's full stop ends no sentence: "Salignac et al. (2018) verdeeld …", "(2021, p. 319)", "o.a. Fontys"
_ABBREVIATION = re.compile(r"\b(et al|e\.g|i\.e|o\.a|bijv|m\.b\.t|t\.a\.v|vs|dr|prof|nr|pp?|ca|zgn)\.$", re.IGNORECASE)


def is_paragraph_break(gap: str) -> bool:
    """Whether the whitespace between two sentences ends a paragraph: a blank line (spaces allowed on it)."""
    return gap.count("\n") > 1


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentence-sized spans of ``text`` (start, end), without the whitespace between them: the one way
    SLIM cuts text into sentences (passages are cut between them; each is embedded; the app highlights
    them; the checks on a model's text count them)."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for match in _SENTENCE_BREAK.finditer(text):
        end = match.start() + len(match.group(1) or "")
        paragraph = is_paragraph_break(match.group(0)) or text.startswith("- ", match.end())
        if not paragraph and _ABBREVIATION.search(text, max(pos, end - 8), end):
            continue
        if end > pos:
            spans.append((pos, end))
        pos = match.end()
    if pos < len(text):
        spans.append((pos, len(text)))
    return [(s, e) for s, e in spans if text[s:e].strip()]


def sentences(text: str) -> list[str]:
    """The sentences of ``text`` (``sentence_spans``), each stripped."""
    return [text[s:e].strip() for s, e in sentence_spans(text)]


def fold(text: str) -> str:
    """Lower case without accents: 'Potentiële' and 'potentiele' are the same word to BM25."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def one_line(text: str) -> str:
    """All whitespace (newlines included) as single spaces, trimmed."""
    return " ".join(text.split())


def last_heading(heading_path: str) -> str:
    """The passage's own heading: the last part of its heading path."""
    return heading_path.split(HEADING_SEPARATOR)[-1]
