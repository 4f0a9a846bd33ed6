"""The checks a reflection passes before it is shown (the bank's, a stronger model's, and the eval's)."""

from __future__ import annotations

import pytest

from assistant.reflection.checks import reflection_faults

QUESTION = "Weten alle partners waarvoor jullie netwerk bestaat?"
ANSWER = "Eerlijk gezegd weet de helft van de partners niet goed waarom het netwerk bestaat."
GOOD = "Het doel leeft dus niet bij iedereen. Het rapport ziet in een gedeeld doel wat partners bindt [1]."


def test_a_good_reflection_has_no_fault() -> None:
    assert reflection_faults(GOOD, "nl", QUESTION, ANSWER, [1]) == []
    quoted = "Je noemt het “een doel op papier”. Het rapport ziet in een gedeeld doel wat partners bindt [1]."
    assert reflection_faults(quoted, "nl", QUESTION, ANSWER, [1]) == []
    guide = "Als ik je goed begrijp, leeft het doel niet bij iedereen; een gedeeld doel bindt partners [1]."
    assert reflection_faults(guide, "nl", QUESTION, ANSWER, [1]) == []  # the guide may say "ik" as itself


def test_naming_the_concept_a_question_asks_about_is_no_echo() -> None:
    question = "Welke elementen rekent het model van Mennens et al. tot de structuur van een netwerk?"
    text = (
        "Wat je noemt valt grotendeels buiten de drie elementen die het model van Mennens et al. tot de structuur"
        " rekent. Daar gaat structuur over de grootte, de duur en de betrokken organisaties van een netwerk [1]."
    )
    assert reflection_faults(text, "nl", question, "Iets over vergaderen.", [1]) == []


@pytest.mark.parametrize(
    ("text", "fault"),
    [
        ("De persoon zegt dat het doel onduidelijk is. Een gedeeld doel bindt partners [1].", "third-person"),
        ("Ik ben het eens, mijn organisatie weet het ook niet. Een gedeeld doel bindt partners [1].", "first-person"),
        ("Weten alle partners waarvoor jullie netwerk bestaat? Niet iedereen, zeg je [1].", "echoes-question"),
        (f"Je zegt: {ANSWER} Een gedeeld doel bindt partners [1].", "reads-answer-back"),
        ("[1] Het doel leeft niet bij iedereen, en een gedeeld doel bindt partners.", "citation-as-label"),
        ("Het doel leeft niet bij iedereen [1]. " + " ".join(f"woord{i}" for i in range(70)), "too-long"),
        ("Het doel leeft niet bij iedereen, en een gedeeld doel bindt partners.", "no-valid-citation"),
        ("Het doel leeft niet bij iedereen, en een gedeeld doel bindt partners [2].", "no-valid-citation"),
        ("The goal does not live with everyone, and a shared goal binds the partners [1].", "language"),
    ],
)
def test_each_fault_is_found(text: str, fault: str) -> None:
    assert fault in reflection_faults(text, "nl", QUESTION, ANSWER, [1])
