"""When a reflection may be shown: the one set of checks for the coaching bank's texts, for what a stronger
model writes itself, and for ``slim eval reflections`` (which counts a reflection *clean* when this finds
no fault). A model's own reflection that fails any of them is replaced by the bank's text.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from assistant.config import Language
from assistant.i18n import detect_language

MAX_WORDS = 70
THIRD_PERSON = re.compile(
    r"\b(de persoon|deze persoon|de gebruiker|de deelnemer|de respondent|the person|the user|this person|"
    r"the participant|the respondent|hij of zij|he or she)\b",
    re.IGNORECASE,
)
FIRST_PERSON = re.compile(  # the guide speaking as if it were the person ("ik ben het eens … mijn organisatie")
    r"\b((mijn|onze?|my|our)\s+(organisatie|netwerk|partners|bestuur|gemeente|bedrijf|school|organisation|"
    r"organization|network|board|company)|ik ben het (er )?(mee )?eens|i agree)\b",
    re.IGNORECASE,
)
LABEL_CITATION = re.compile(r"(^|\n)\s*\[\d+\]")
CITATION = re.compile(r"\[(\d+)\]")
QUOTED = re.compile(r"[“„\"][^“”\"„]*[”\"]")


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-zà-ÿ']+", text.lower()) if len(w) > 3}


def _echoes(sentence: str, question: str) -> bool:
    """A sentence that says the question again: it holds most of the question's words and little else.
    (A reflection on a concept question names the same concept, in a sentence of its own making.)"""
    q_words, s_words = _words(question), _words(sentence)
    if not q_words or not s_words:
        return False
    shared = len(q_words & s_words)
    return shared / len(q_words) > 0.7 and shared / len(s_words) > 0.6


def word_count(text: str) -> int:
    """The words of a reflection as ``MAX_WORDS`` counts them: citation numbers are not words."""
    return len(CITATION.sub("", text).split())


def reflection_faults(text: str, lang: Language, question: str, answer: str, valid: Collection[int]) -> list[str]:
    """What keeps a reflection from being shown; empty when it may be. ``valid`` are the citation numbers
    that point at a passage given with it (each of them a passage that fits the answer's signal)."""
    found = []
    unquoted = QUOTED.sub(" ", text)  # the person's own words, quoted briefly, are theirs
    if detect_language(CITATION.sub(" ", unquoted), default=lang) != lang:
        found.append("language")
    if THIRD_PERSON.search(text):
        found.append("third-person")
    if FIRST_PERSON.search(unquoted):
        found.append("first-person")
    if any(_echoes(sentence, question) for sentence in re.split(r"(?<=[.!?])\s+", CITATION.sub("", text))):
        found.append("echoes-question")
    if len(answer.split()) > 6 and " ".join(answer.lower().split()) in " ".join(text.lower().split()):
        found.append("reads-answer-back")
    if LABEL_CITATION.search(text):
        found.append("citation-as-label")
    if word_count(text) > MAX_WORDS:
        found.append("too-long")
    cited = {int(n) for n in CITATION.findall(text)}
    if not cited or not cited <= set(valid):
        found.append("no-valid-citation")
    return found
