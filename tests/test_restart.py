"""Nothing is lost when WiseMind stops: pages still move on, messages still get answered.

The first test stops the whole of ``wisemind run`` between a page and its
deadline and starts it again on the same database (two extra server starts,
so it is one test that checks both promises). The others kill the Rasa
server with SIGKILL, as an out-of-memory killer would.
"""

from __future__ import annotations

import os
import re
import signal
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, text

from bot.background import START_TIMEOUT_SECONDS, free_port
from bot.clinic import client_by_code
from bot.storage import session_scope
from bot.storage.models import Message, utcnow
from channels.twilio_webhook import FALLBACK_PATH
from tests.servers import (
    BACKUP_ON_CALL,
    CLINIC_SMS_NUMBER,
    DASHBOARD_URL,
    PRIMARY_ON_CALL,
    REPLY_TIMEOUT,
    RunningWiseMind,
    clinic_wisemind,
    enrolled_phone,
    poll_until,
    post_webhook,
)
from tests.standins import (
    TelegramStandin,
    TwilioStandin,
    inbound_sms_params,
    signed_twilio_webhook,
)
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
        at_risk = enrolled_phone(server, twilio)
        at_risk.reply_to("i'm going to kill myself tonight")
        wait_for_pages(twilio, PRIMARY_ON_CALL, at_risk.code)
        waiting = enrolled_phone(server, twilio)
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


#: What library noise looks like in a log: a warning's class name, an asyncio leak report.
NOISE = re.compile(r"\w*Warning: |Unclosed client session|Unclosed connector|Registered function")


def test_wisemind_run_starts_and_stops_with_a_log_free_of_library_warnings_and_leaks(
    trained_model: Path,
    tmp_path: Path,
    providers: tuple[TwilioStandin, TelegramStandin],
) -> None:
    twilio, telegram = providers
    with clinic_wisemind(tmp_path, twilio, telegram) as running:
        server = RunningWiseMind.of(running)
        phone = enrolled_phone(server, twilio)
        phone.reply_to("hi")  # the scheduler's provider session is in use before the stop
        server.engine.dispose()
    log = running.log_path.read_text("utf-8", "replace")
    assert "scheduler stopped" in log
    assert NOISE.findall(log) == [], [line for line in log.splitlines() if NOISE.search(line)]


def _children(pid: int) -> dict[int, str]:
    """The live (not zombie) child processes of ``pid``, with their command lines."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        state, parent = stat.rsplit(")", 1)[1].split()[:2]
        if int(parent) == pid and state != "Z":
            found[int(entry.name)] = command
    return found


def test_a_risky_message_left_unscreened_when_rasa_is_killed_still_pages_and_rasa_comes_back(
    trained_model: Path,
    tmp_path: Path,
    providers: tuple[TwilioStandin, TelegramStandin],
) -> None:
    twilio, telegram = providers
    with clinic_wisemind(tmp_path, twilio, telegram) as running:
        server = RunningWiseMind.of(running)
        at_risk = enrolled_phone(server, twilio)
        # The supervisor gives up on a child that dies before everything is up: kill after.
        poll_until(
            lambda: "WiseMind is running" in server.log_path.read_text("utf-8", "replace"), bool
        )
        (rasa,) = [pid for pid, cmd in _children(running.pid).items() if "bot.rasa_server" in cmd]
        os.kill(rasa, signal.SIGKILL)
        with session_scope(server.engine) as session:
            client = client_by_code(session, at_risk.code)
            assert client is not None
            # Stored by the webhook; the kill came before it was screened.
            session.add(
                Message(client_id=client.id, channel="sms", direction="inbound",
                        address=at_risk.number, body="i took all my pills, goodbye",
                        provider_id="SM" + "7" * 32, status="received")
            )  # fmt: skip
        # Screening does not wait for Rasa: the scheduler finishes the stored message.
        wait_for_pages(twilio, PRIMARY_ON_CALL, at_risk.code)
        assert "988" in "\n".join(sms.body for sms in at_risk.replies(1))
        deadline = time.monotonic() + REPLY_TIMEOUT
        restarted: list[int] = []
        while not restarted and time.monotonic() < deadline:
            children = _children(running.pid).items()
            restarted = [pid for pid, cmd in children if "bot.rasa_server" in cmd and pid != rasa]
            time.sleep(0.5)
        assert restarted, "the supervisor did not start the killed Rasa server again"
        server.engine.dispose()


def test_an_sms_sent_while_the_rasa_server_restarts_is_taken_in_at_the_fallback_url(
    trained_model: Path,
    tmp_path: Path,
    providers: tuple[TwilioStandin, TelegramStandin],
) -> None:
    """Twilio calls an inbound-SMS webhook once, and its Fallback URL when that fails.

    The fallback is served by the dashboard's process, which does not need
    Rasa: the message is stored, screened, answered with the crisis reply and
    pages the on-call therapist; the Rasa server answers it once it is back.
    """
    twilio, telegram = providers
    with clinic_wisemind(tmp_path, twilio, telegram) as running:
        server = RunningWiseMind.of(running)
        at_risk = enrolled_phone(server, twilio)
        poll_until(
            lambda: "WiseMind is running" in server.log_path.read_text("utf-8", "replace"), bool
        )
        (rasa,) = [pid for pid, cmd in _children(running.pid).items() if "bot.rasa_server" in cmd]
        os.kill(rasa, signal.SIGKILL)  # an out-of-memory kill, a crash, or a deploy
        # The URL Twilio was given (the dashboard's public address); the proxy forwards it.
        public = f"{DASHBOARD_URL}{FALLBACK_PATH}"
        fallback = f"{running.dashboard_url}{FALLBACK_PATH}"
        params = inbound_sms_params(
            at_risk.number, CLINIC_SMS_NUMBER, "i took all my pills, goodbye"
        )
        forged = signed_twilio_webhook(fallback, params)  # signed over the wrong URL
        assert post_webhook(fallback, *forged)[0] == 403
        status, answer = post_webhook(fallback, *signed_twilio_webhook(public, params))
        assert status == 200 and b"<Response>" in answer

        wait_for_pages(twilio, PRIMARY_ON_CALL, at_risk.code)
        assert "alerted a person" in "\n".join(sms.body for sms in at_risk.replies(3))

        def conversation() -> tuple[str, int]:
            with session_scope(server.engine) as session:
                message = session.execute(
                    select(Message).where(Message.provider_id == params["MessageSid"])
                ).scalar_one()
                turns = session.execute(
                    text(
                        "SELECT count(*) FROM events WHERE sender_id = :code AND type_name = 'user'"
                    ),
                    {"code": at_risk.code},
                ).scalar_one()
                return message.status, int(turns)

        assert conversation()[0] == "received"  # stored and screened, waiting for the assistant
        # The supervisor restarts the Rasa server, which takes the message up once loaded.
        status_and_turns = poll_until(
            conversation, lambda found: found[0] != "received", timeout=START_TIMEOUT_SECONDS
        )
        assert status_and_turns == ("processed", 1)
        server.engine.dispose()
