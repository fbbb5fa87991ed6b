"""Nothing is lost when WiseMind stops: pages still move on, messages still get answered.

This test stops the whole of ``wisemind run`` between a page and its deadline
and starts it again on the same database (two extra server starts, so it is
one test that checks both promises).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.background import free_port
from bot.clinic import client_by_code
from bot.storage import session_scope
from bot.storage.models import Message, utcnow
from tests.servers import (
    BACKUP_ON_CALL,
    PRIMARY_ON_CALL,
    Phone,
    RunningWiseMind,
    clinic_wisemind,
    enrol_client,
    new_phone,
)
from tests.standins import TelegramStandin, TwilioStandin
from tests.test_crisis import pages_about, wait_for_pages


def test_a_restart_between_page_and_deadline_still_pages_the_backup_and_answers_waiting_messages(
    trained_model: Path,
    tmp_path: Path,
    providers: tuple[TwilioStandin, TelegramStandin],
) -> None:
    twilio, telegram = providers
    rasa_port = free_port()
    with clinic_wisemind(tmp_path, twilio, telegram, rasa_port=rasa_port) as first:
        server = RunningWiseMind.of(first)
        at_risk = Phone(server, twilio, new_phone())
        at_risk.code = enrol_client(server, consented=True, sms_number=at_risk.number)
        at_risk.reply_to("i'm going to kill myself tonight")
        wait_for_pages(twilio, PRIMARY_ON_CALL, at_risk.code)
        waiting = Phone(server, twilio, new_phone())
        waiting.code = enrol_client(server, consented=True, sms_number=waiting.number)
        with session_scope(server.engine) as session:
            client = client_by_code(session, waiting.code)
            assert client is not None
            # Stored a minute ago and never processed: the server died in between.
            session.add(
                Message(client_id=client.id, channel="sms", direction="inbound",
                        address=waiting.number, body="hi", status="received",
                        created_at=utcnow() - timedelta(minutes=1))
            )  # fmt: skip
        server.engine.dispose()
    assert pages_about(twilio, BACKUP_ON_CALL, at_risk.code) == []

    with clinic_wisemind(tmp_path, twilio, telegram, rasa_port=rasa_port) as second:
        wait_for_pages(twilio, BACKUP_ON_CALL, at_risk.code)
        assert "DIARY" in waiting.replies(1)[0].body
        RunningWiseMind.of(second).engine.dispose()
