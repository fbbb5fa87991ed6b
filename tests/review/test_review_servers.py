"""Review, through the real ``wisemind run`` (both channels on the provider stand-ins).

One server for the module, started the way a clinic might start it: Twilio
configured, ``WISEMIND_PUBLIC_URL`` not set (nothing refuses that).
"""

from __future__ import annotations

import os
import signal
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.storage import session_scope
from bot.storage.models import Message
from tests.servers import (
    CLINIC_SMS_NUMBER,
    Phone,
    RunningWiseMind,
    clinic_wisemind,
    enrol_client,
    new_phone,
    poll_until,
    post_webhook,
)
from tests.standins import TelegramStandin, TwilioStandin, inbound_sms_params, signed_twilio_webhook
from tests.test_restart import _children


@pytest.fixture(scope="module")
def server(
    trained_model: Path,
    tmp_path_factory: pytest.TempPathFactory,
    twilio_api: TwilioStandin,
    telegram_api: TelegramStandin,
) -> Iterator[RunningWiseMind]:
    var_dir = tmp_path_factory.mktemp("review-var")
    with clinic_wisemind(
        var_dir, twilio_api, telegram_api, extra_env={"WISEMIND_PUBLIC_URL": ""}
    ) as running:
        server = RunningWiseMind.of(running)
        server.env["WISEMIND_PUBLIC_URL"] = server.rasa_url  # what a direct caller signs
        server.env["REVIEW_SUPERVISOR_PID"] = str(running.pid)
        poll_until(
            lambda: "WiseMind is running" in server.log_path.read_text("utf-8", "replace"), bool
        )
        yield server
        server.engine.dispose()


def _stored_from(server: RunningWiseMind, number: str) -> int:
    with session_scope(server.engine) as session:
        return int(
            session.execute(
                select(func.count(Message.id)).where(Message.address == number)
            ).scalar_one()
        )


def test_an_sms_through_the_clinics_https_proxy_is_accepted(
    server: RunningWiseMind, twilio_api: TwilioStandin
) -> None:
    """Twilio signs the https URL it calls; the proxy forwards plain http to port 5005."""
    number = new_phone()
    enrol_client(server, consented=True, sms_number=number)
    public = "https://coach.example.org/webhooks/twilio_sms/webhook"
    params = inbound_sms_params(number, CLINIC_SMS_NUMBER, "i want to kill myself tonight")
    body, headers = signed_twilio_webhook(public, params)
    headers |= {"Host": "coach.example.org", "X-Forwarded-Proto": "https",
                "X-Forwarded-For": "54.172.60.1"}  # fmt: skip
    status, answer = post_webhook(f"{server.rasa_url}/webhooks/twilio_sms/webhook", body, headers)
    assert status == 200, f"HTTP {status} {answer!r}: Twilio does not retry, the SMS is lost"


def test_an_sms_that_arrives_while_the_rasa_server_restarts_is_not_lost(
    server: RunningWiseMind, twilio_api: TwilioStandin
) -> None:
    """Twilio calls the webhook once (15 s timeout) and does not retry an inbound SMS."""
    phone = Phone(server, twilio_api, new_phone())
    phone.code = enrol_client(server, consented=True, sms_number=phone.number)
    supervisor = int(server.env["REVIEW_SUPERVISOR_PID"])
    (rasa,) = [pid for pid, cmd in _children(supervisor).items() if "bot.rasa_server" in cmd]
    os.kill(rasa, signal.SIGKILL)  # an out-of-memory kill, a crash, or a deploy
    killed_at = time.monotonic()
    time.sleep(2)
    status: int | str
    try:
        status, _ = phone.text("i took all my pills, goodbye")
    except (urllib.error.URLError, OSError) as error:
        status = f"no answer ({type(error).__name__})"
    back = poll_until(lambda: _answers(f"{server.rasa_url}/webhooks/local/"), bool, timeout=180)
    down_for = time.monotonic() - killed_at
    print(f"webhook unavailable for about {down_for:.0f} s after the kill; status {status}")
    assert back
    assert _stored_from(server, phone.number) > 0, (
        f"the crisis SMS got {status} and was never stored: Twilio will not send it again"
    )


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except (urllib.error.URLError, OSError):
        return False
