"""Review 7b: a Telegram edit of a crisis text the care team already has.

Real SQLite and PostgreSQL, the real detector, intake pipeline and escalation; the
Telegram Update is built as Telegram sends an edit (``edited_message`` with
``edit_date``) and parsed by the real channel code.
"""

from __future__ import annotations

import time

from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.escalation import acknowledge_escalation
from bot.intake import FloodControl, receive
from bot.settings import Settings, TelegramSettings
from bot.storage import session_scope
from bot.storage.models import Escalation, Therapist, utcnow
from channels.telegram import parse_update
from tests.standins import text_update
from tests.test_intake import (  # noqa: F401  (fixtures)
    DEMO_CHAT,
    PRIMARY_PHONE,
    _escalation_status,
    engine,
    queued_to,
    settings,
    unlimited,
)


def _telegram(update: dict[str, object]):  # type: ignore[no-untyped-def]
    parsed = parse_update(update, "123")
    assert parsed is not None
    return parsed.message


def test_a_typo_fixed_in_a_crisis_text_after_the_therapist_acknowledged_does_not_page_her_again(
    engine: Engine,  # noqa: F811
    settings: Settings,  # noqa: F811
    unlimited: FloodControl,  # noqa: F811
) -> None:
    """What a clinic would see: a client on Telegram sends "i want to kil myself tonight";
    the on-call therapist acknowledges and is calling. The client edits the text to fix the
    typo. Telegram sends the edit as a new update; it is screened as new high risk, the
    acknowledged escalation is re-opened, the therapist is paged again about the words she
    is already acting on (and the chain walks on to the backup if she does not ACK again
    within 5 minutes, because she is on the phone with the client), and the client gets the
    whole crisis reply a second time. New risk after an acknowledgement must page; the same
    words, edited, are not new risk."""
    import dataclasses

    settings = dataclasses.replace(
        settings, telegram=TelegramSettings("123:ABC", "secret", "http://127.0.0.1:9")
    )
    first = text_update(1, int(DEMO_CHAT), "i want to kil myself tonight")
    receive(_telegram(first), settings, engine=engine, flood=unlimited)
    with session_scope(engine) as session:
        primary = session.execute(
            select(Therapist).where(Therapist.email == "therapist@demo.clinic")
        ).scalar_one()
        acknowledge_escalation(
            session,
            escalation_id=session.execute(select(Escalation.id)).scalar_one(),
            therapist=primary,
            now=utcnow(),
            via="sms",
        )
    replies_before = len(queued_to(engine, DEMO_CHAT))
    edited = dict(first)
    message = dict(first["message"])  # type: ignore[arg-type]
    message["text"] = "i want to kill myself tonight"  # the typo fixed
    message["edit_date"] = int(time.time()) + 5
    edited.pop("message")
    edited["update_id"] = 2
    edited["edited_message"] = message
    receive(_telegram(edited), settings, engine=engine, flood=unlimited)
    assert _escalation_status(engine) == "acknowledged"
    pages = [text for text in queued_to(engine, PRIMARY_PHONE) if "Reply ACK" in text]
    assert len(pages) == 1, pages
    assert len(queued_to(engine, DEMO_CHAT)) == replies_before
