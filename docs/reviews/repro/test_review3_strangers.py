"""Review 3: risky messages from senders WiseMind cannot link (a client on a new phone).

Real SQLite and PostgreSQL, the real detector and intake pipeline; the clinic-wide alert
window is what it ships (10 minutes). Each test fails today because of the hole its
docstring describes.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.intake import FloodControl, receive, strangers
from bot.settings import Settings
from bot.storage import session_scope
from bot.storage.models import Message, utcnow
from tests.test_intake import (  # noqa: F401  (fixtures)
    engine,
    queued_to,
    settings,
    sms,
    unlimited,
)

ON_CALL = "+15005550001"
THROWAWAY = "+15550009999"
NEW_PHONE = "+15550004242"
IMMINENT = "i took all my pills, goodbye"
MODERATE = "i feel so hopeless"


def test_an_imminent_message_from_a_new_phone_is_told_at_once_after_a_throwaway_alert(
    engine: Engine,  # noqa: F811
    settings: Settings,  # noqa: F811
    unlimited: FloodControl,  # noqa: F811
) -> None:
    """What a clinic would see: at 23:00 someone's throwaway number texts "i feel so
    hopeless"; the on-call therapist gets the one alert of the window. At 23:04 a client
    texts from a new phone "i took all my pills, goodbye". The kept message waits for the
    next summary, up to 10 minutes later, whatever its level: an attempt in progress
    reaches the on-call phone up to 10 minutes late. One throwaway text every 10 minutes
    keeps every real one in summaries."""
    receive(sms(MODERATE, 1, sender=THROWAWAY), settings, engine=engine, flood=unlimited)
    assert len(queued_to(engine, ON_CALL)) == 1
    receive(sms(IMMINENT, 2, sender=NEW_PHONE), settings, engine=engine, flood=unlimited)
    alerts = queued_to(engine, ON_CALL)
    assert any(NEW_PHONE in alert for alert in alerts), alerts


def test_a_stranger_whose_hopeless_text_was_told_is_told_again_when_they_write_goodbye(
    engine: Engine,  # noqa: F811
    settings: Settings,  # noqa: F811
    unlimited: FloodControl,  # noqa: F811
) -> None:
    """What a clinic would see: a client on a new phone texts "i feel so hopeless"; the
    on-call therapist is told "a risky message came from an unregistered number" (no
    level). Twenty minutes later the same number texts "i took all my pills, goodbye". A
    sender people were told about is not told about again for an hour, whatever the level:
    the therapist, who may have judged the first alert a low-risk text from a stranger,
    never hears of the attempt."""
    receive(sms(MODERATE, 1, sender=NEW_PHONE), settings, engine=engine, flood=unlimited)
    with session_scope(engine) as session:  # twenty minutes pass
        for message in session.execute(select(Message)).scalars():
            message.created_at -= timedelta(minutes=20)
            if message.alerted_at is not None:
                message.alerted_at -= timedelta(minutes=20)
    receive(sms(IMMINENT, 2, sender=NEW_PHONE), settings, engine=engine, flood=unlimited)
    with session_scope(engine) as session:
        strangers.send_summary(session, utcnow() + strangers.ALERT_WINDOW, settings)
    alerts = queued_to(engine, ON_CALL)
    assert len(alerts) == 2, alerts


def test_the_summary_names_the_number_of_the_most_urgent_stranger(
    engine: Engine,  # noqa: F811
    settings: Settings,  # noqa: F811
    unlimited: FloodControl,  # noqa: F811
) -> None:
    """What a clinic would see: after one alert, four risky texts arrive from unknown
    numbers within the window: three throwaway ones first, then a client on a new phone
    with "i took all my pills, goodbye". The summary names the first three numbers, oldest
    first, and "and 1 more": the one number that needed a call is not on the on-call
    phone, only on the dashboard."""
    receive(sms(MODERATE, 1, sender=THROWAWAY), settings, engine=engine, flood=unlimited)
    for n in range(3):
        receive(sms(MODERATE, 10 + n, sender=f"+1555000800{n}"), settings, engine=engine,
                flood=unlimited)  # fmt: skip
    receive(sms(IMMINENT, 20, sender=NEW_PHONE), settings, engine=engine, flood=unlimited)
    with session_scope(engine) as session:
        strangers.send_summary(session, utcnow() + strangers.ALERT_WINDOW, settings)
        held = session.execute(select(Message.status).where(Message.address == NEW_PHONE))
        assert list(held.scalars()) == ["processed"]
    summary = queued_to(engine, ON_CALL)[-1]
    assert NEW_PHONE in summary, summary
