"""Review 7: crisis messages the detector reads too low after fix6b and detector8.

Real SQLite and PostgreSQL through the fixtures of ``tests/test_safety_followup.py``
(the demo clinic on a real rota, SMS configured), the real detector (rules and model)
and intake pipeline (``bot.intake.receive``): no Rasa, no action server. Each test
fails on main (1b94673) because of the hole its docstring describes. Levels "on 63f67c9"
were read from a detached checkout of that commit on the same texts.
"""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from bot.safety import RiskLevel, get_detector
from bot.storage.models import Client
from tests.test_safety_followup import (  # noqa: F401  (fixtures and helpers)
    _answer,
    _escalations,
    _primary_pages,
    client,
)

#: Review 7 #7: means handed over, then kept, got back, bought again, or handed over with
#: "won't need them". 3a3b91c's hand-over reading sets the means aside before the rest of
#: the message is read. On 63f67c9 the first six were high or imminent.
MEANS_HANDED_OVER_AND_AT_HAND = [
    "gave my guns to my son, won't need them anymore",
    "i'm giving my gun to my brother tomorrow, won't need it",
    "i gave my pills to my mom. i saved a few",
    "i gave my roommate my razor, i have another one",
    "i gave my brother the gun to hold, i got it back",
    "i got rid of the pills, i'll buy more tomorrow",
    "i gave the pills to my sister, i kept 30",
    "le di las pastillas a mi mamá pero compré más",
]

#: Review 7 #8: a joke marker followed by half a retraction ("or not", "or am i", "unless?",
#: "i wish", "idk", "o no") or by "i'm already here". The marker now takes back its own
#: sentence; the `retractions` list holds none of these. Nothing on 63f67c9 either.
JOKES_HALF_TAKEN_BACK = [
    "i took the whole bottle jk... or not",
    "i took the whole bottle jk unless?",
    "i took the whole bottle jk i wish",
    "i want to kill myself tonight jk idk",
    "i'm going to jump off the bridge tonight. just kidding. or am i",
    "i'm going to jump off the bridge tonight, jk, i'm already here",
    "me quiero matar jaja es broma... o no",
]

#: Review 7 #9: wishing to die of grief beside means at hand or a preparation: the
#: DYING_OF_GRIEF part caps the message at the check-in ("ya tengo las pastillas" alone
#: is high; "i want to die of grief. i have the pills" is imminent).
GRIEF_WITH_MEANS = [
    "me quiero morir de pena. ya tengo las pastillas",
    "me quiero morir de la pena y ya tengo las pastillas",
    "me quiero morir de pena, ya escribí las cartas",
]


@pytest.mark.parametrize(
    "text", MEANS_HANDED_OVER_AND_AT_HAND + JOKES_HALF_TAKEN_BACK + GRIEF_WITH_MEANS
)
def test_means_kept_a_joke_half_taken_back_or_grief_with_pills_pages_the_on_call_therapist(
    db_session: Session,
    client: Client,  # noqa: F811
    text: str,
) -> None:
    """What a clinic would see: "gave my guns to my son, won't need them anymore", "i gave
    my pills to my mom. i saved a few", "i took the whole bottle jk... or not", "me quiero
    morir de pena. ya tengo las pastillas": no crisis numbers, nobody paged (at most the
    check-in)."""
    reply = _answer(db_session, text)
    assert _escalations(db_session), "no escalation: nobody will ever see this"
    assert any("988" in part for part in reply), "no crisis numbers for the client"
    assert _primary_pages(db_session), "the on-call therapist is not paged"


@pytest.mark.parametrize(
    "text", MEANS_HANDED_OVER_AND_AT_HAND + JOKES_HALF_TAKEN_BACK + GRIEF_WITH_MEANS
)
def test_the_detector_reads_these_as_high_risk(text: str) -> None:
    assessment = get_detector().assess(text)
    assert assessment.level in (RiskLevel.HIGH, RiskLevel.IMMINENT), assessment.level


#: Review 7 #10: self-harm going on "desde hace" / "llevo": "i've been cutting myself for
#: a month" is moderate (the check-in); 8eb8089 reads "desde hace" as a duration only
#: beside a marker of the past, so "me corto" with it stays nothing.
SELF_HARM_GOING_ON = [
    "me corto desde hace un mes",
    "llevo un mes cortándome",
    "desde hace años me corto",
]


@pytest.mark.parametrize("text", SELF_HARM_GOING_ON)
def test_self_harm_going_on_for_a_month_gets_at_least_the_check_in(
    db_session: Session,
    client: Client,  # noqa: F811
    text: str,
) -> None:
    """What a clinic would see: "me corto desde hace un mes" (I've been cutting myself for
    a month): not even the check-in, nothing on the dashboard; the English is moderate."""
    _answer(db_session, text)
    assert _escalations(db_session), "not even flagged: no check-in, nothing on the dashboard"


@pytest.mark.parametrize("text", SELF_HARM_GOING_ON)
def test_the_detector_reads_self_harm_going_on_as_risk(text: str) -> None:
    assert get_detector().assess(text).level is not RiskLevel.NONE


#: Review 7 #11 (Low, over-escalation): ordinary messages that page. All were `none` on
#: 63f67c9: "won't need X after tonight" is imminent whatever X is (d72f777), and "me
#: mato" is high beside an everyday hyperbole.
ORDINARY_MESSAGES = [
    "i won't need a ride after tonight",
    "i won't need the car after tonight",
    "won't need dinner after tonight, i'm eating at moms",
    "we won't need the heater after tonight",
    "me mato en el gym",
    "si repruebo me mato jaja",
]


@pytest.mark.parametrize("text", ORDINARY_MESSAGES)
def test_ordinary_plans_and_hyperbole_page_no_one(text: str) -> None:
    assert not get_detector().assess(text).level.escalates
