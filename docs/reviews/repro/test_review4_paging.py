"""Review 4: pages and alerts about risk that name nobody, or hide that nobody was reached.

Real SQLite and PostgreSQL through the fixtures of ``tests/test_intake.py`` (the demo
clinic on a real rota, SMS configured), the real detector, intake pipeline, escalation
and outbox; providers' answers are recorded as the outbox records them. Each test fails
today because of the hole its docstring describes.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.escalation import advance_pages, page_delivery
from bot.intake import FloodControl, receive
from bot.outbox import SendError, record_failure, record_sent
from bot.settings import Settings
from bot.storage import session_scope
from bot.storage.enums import PageTier
from bot.storage.models import Message, Page, utcnow
from tests.test_intake import (  # noqa: F401  (fixtures and helpers)
    ADMIN_PHONE,
    CRISIS,
    IMMINENT,
    NEW_PHONE,
    ON_CALL_PHONE,
    _give_the_admin_a_phone,
    engine,
    queued_to,
    settings,
    sms,
    unlimited,
)


def test_status_shouts_when_every_page_to_the_on_call_phones_was_refused(
    engine: Engine,  # noqa: F811
    settings: Settings,  # noqa: F811
    unlimited: FloodControl,  # noqa: F811
) -> None:
    """What a clinic would see: the on-call numbers were typed wrong in the rota; Twilio
    refuses every page (21211) and the chain runs out, round after round. The admin's phone
    is right, so the admins' "nobody has acknowledged" notices go through. ``wisemind
    status`` counts those notices as pages that "reached the provider", so it never prints
    PAGES REFUSED: the operator reads "2 reached the provider, 6 refused" and moves on,
    while no page ever reached anyone who is on call."""
    _give_the_admin_a_phone(engine)
    receive(sms(CRISIS, 1), settings, engine=engine, flood=unlimited)
    sid = 0
    for _ in range(10):
        with session_scope(engine) as session:
            for page in session.execute(select(Page)).scalars().all():
                message = session.get(Message, page.message_id) if page.message_id else None
                if message is None or message.status != "queued":
                    continue
                if page.tier == PageTier.ADMIN:
                    sid += 1
                    record_sent(session, message.id, f"SM{sid:032d}")
                else:
                    record_failure(session, message.id, SendError("twilio-21211", transient=False),
                                   utcnow())  # fmt: skip
            advance_pages(session, utcnow(), settings)
    assert any("nobody has acknowledged" in text for text in queued_to(engine, ADMIN_PHONE))
    with session_scope(engine) as session:
        status = page_delivery(session, utcnow()).describe()
    assert "PAGES REFUSED" in status, status
