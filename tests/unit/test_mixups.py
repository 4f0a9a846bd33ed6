"""Reading a swap in a student's answer: one statement that names one thing with what belongs to another."""

from __future__ import annotations

import pytest

from assistant.coaching import Mixup, mixed_up

FORMS = [
    Mixup(subject=r"\bbcmr\b", wrong="coöperatie|cooperative"),
    Mixup(subject=r"\bstap\b", wrong="stichting|foundation"),
    Mixup(subject="organisatie", wrong="integratie|integreer", right="institutionali"),
    Mixup(subject="quadruple", wrong="nature"),
    Mixup(subject="quintuple"),
]


@pytest.mark.parametrize(
    ("answer", "swapped"),
    [
        ("BCMR is een coöperatie, De STAP een stichting.", True),
        ("De STAP is a foundation and BCMR has members.", True),
        ("BCMR is een stichting en De STAP een coöperatie.", False),
        # a denial says it the right way round
        ("BCMR is geen coöperatie maar een stichting.", False),
        # a statement that names two of them says how they relate, not which is which
        ("De STAP is net als BCMR geen kleine club, STAP is groter dan BCMR als coöperatie.", False),
        # what belongs to the subject itself, named beside it: how the two relate
        ("Integratie leidt tot institutionalisatie in de organisatie.", False),
        ("De organisatie integreert.", True),
        # a bracket ends a statement: the example belongs to the list before it
        ("Voorbeelden van de stichting (BCMR) en de coöperatie (STAP).", False),
        # a statement that goes on about the one named before (a reason, a pronoun) speaks of it; another does not
        ("BCMR is het kleinst, want het is een coöperatie.", True),
        ("BCMR is een stichting en een coöperatie heeft een ledenvergadering.", False),
        ("Vorm: stichting (BCMR), coöperatie (STAP).", False),
        # a subject named only to be told apart
        ("Quadruple adds nature.", True),
        ("Quintuple is quadruple plus nature.", False),
    ],
)
def test_a_statement_that_pairs_one_thing_with_what_belongs_to_another(answer: str, swapped: bool) -> None:
    assert mixed_up(answer, FORMS) is swapped
