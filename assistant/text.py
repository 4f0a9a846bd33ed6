"""Text helpers every layer shares: one sentence splitter, the citation pattern, folding, the heading separator.

One definition each, so that indexing, highlighting, the checks on a model's text and the prompts agree
on what a sentence and a citation are. Pure functions, no imports from the rest of SLIM.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Sequence

HEADING_SEPARATOR = " › "
"""joins the heading path of a passage ('3 Resultaten › 3.3 Vormen van impact › Onmiddellijke waarde')"""

CITATION = re.compile(r"\[(\d+)\]")
"""a citation in SLIM's texts and a model's answers: '[1]'"""

WORD = re.compile(r"\w+")
_HYPHENATED = re.compile(r"\w+(?:-\w+)*")

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


# A name in a question: a capitalised word or words after its first word ('de Metropoolconferentie', 'Vitaal in
# Brainport', 'De STAP'), at least three characters, so that an English "I" or an initial is none.
_NAME_IN_QUESTION = re.compile(r"(?<!^)\b[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)*")


def names_in(question: str) -> list[str]:
    """The names ``question`` holds (capitalised words after its first word)."""
    return [m.group(0) for m in _NAME_IN_QUESTION.finditer(question.strip()) if len(m.group(0)) >= 3]


def chapter_of(heading_path: str) -> str:
    """The chapter a passage is in: the first part of its heading path ('4. Business Club Maas Rhein (BCMR)')."""
    return heading_path.split(HEADING_SEPARATOR)[0]


def whole_name(name: str) -> str:
    """A pattern for ``name`` as a whole: 'BCMR' in '(BCMR)', not in 'BCMRX'."""
    return rf"(?<!\w){re.escape(name)}(?!\w)"


def without_names(question: str, names: list[str] | None = None) -> str:
    """``question`` without its names (or without ``names``): what it asks about each of the networks it
    compares, or about the network whose chapter it is."""
    for name in names_in(question) if names is None else names:
        question = re.sub(whole_name(name), " ", question)
    return one_line(question)


def _titled(question: str, chapters: Sequence[str]) -> list[tuple[str, str]]:
    """Each name of ``question`` with each of ``chapters`` whose title holds it, in the question's order."""
    names = names_in(question)
    return [(name, chapter) for name in names for chapter in chapters if re.search(whole_name(name), chapter)]


def chapter_names(question: str, chapters: Sequence[str]) -> list[str]:
    """The names of ``question`` that a chapter's title holds ('Business Club Maas Rhein', 'BCMR'): within
    that chapter they say nothing about which sentence answers."""
    return list(dict.fromkeys(name for name, _ in _titled(question, chapters)))


def without_description(question: str, description: str, stop: Collection[str] = frozenset()) -> str:
    """``question`` without the words that describe a network as ``description`` does ("de Duits-Nederlandse
    businessclub" for the Business Club Maas Rhein): a word of four letters or more that the description holds,
    or one that starts as one of its words does (five letters: 'grensclub' beside 'grensoverschrijdende',
    'Eindhovense' beside 'Eindhoven'); never one of ``stop`` (folded stop words: 'with', 'naar'). Within that
    network's chapter they say nothing about which sentence answers, as its name does not."""
    words = {word for word in WORD.findall(fold(description)) if len(word) >= 4 and word not in stop}
    starts = {word[:5] for word in words if len(word) >= 5}

    def describes(word: str) -> bool:
        return word in words or (len(word) >= 5 and word[:5] in starts)

    def described(found: re.Match[str]) -> bool:
        """Whether each longer part of a (hyphenated) word describes: 'German-Dutch', '21-gemeenten'."""
        parts = [part for part in fold(found.group(0)).split("-") if len(part) >= 4]
        return bool(parts) and all(describes(part) for part in parts)

    return one_line(_HYPHENATED.sub(lambda found: " " if described(found) else found.group(0), question))


def named_chapters(question: str, chapters: Sequence[str]) -> list[str]:
    """Those of ``chapters`` whose title holds a name of ``question``, in the question's order: "Hoe verschillen
    de Business Club Maas Rhein en De STAP in hun organisatievorm?" names the chapters of two case networks."""
    return list(dict.fromkeys(chapter for _, chapter in _titled(question, chapters)))
