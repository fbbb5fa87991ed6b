"""Review, through the real ``wisemind run`` (both channels on the provider stand-ins).

One server for the module.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import (
    Phone,
    RunningWiseMind,
    clinic_wisemind,
    enrol_client,
    new_phone,
    poll_until,
)
from tests.standins import TelegramStandin, TwilioStandin
from tests.test_crisis_followup import _action_server_pid, stopped

#: How long the client is given to get any answer to a passive-ideation text.
ANSWER_WAIT = 20.0


@pytest.fixture(scope="module")
def server(
    trained_model: Path,
    tmp_path_factory: pytest.TempPathFactory,
    twilio_api: TwilioStandin,
    telegram_api: TelegramStandin,
) -> Iterator[RunningWiseMind]:
    var_dir = tmp_path_factory.mktemp("review-var")
    with clinic_wisemind(var_dir, twilio_api, telegram_api) as running:
        server = RunningWiseMind.of(running)
        poll_until(
            lambda: "WiseMind is running" in server.log_path.read_text("utf-8", "replace"), bool
        )
        yield server
        server.engine.dispose()


def test_passive_ideation_gets_the_check_in_while_the_action_server_hangs(
    server: RunningWiseMind, twilio_api: TwilioStandin
) -> None:
    phone = Phone(server, twilio_api, new_phone())
    phone.code = enrol_client(server, consented=True, sms_number=phone.number)
    assert "DIARY" in phone.reply_to("hi")  # the assistant and the action server work
    action_port = int(server.env["WISEMIND_ACTION_PORT"])
    with stopped(_action_server_pid(action_port)):
        assert phone.text("honestly everyone would be better off without me")[0] == 200
        answers = poll_until(lambda: phone.sent_bodies()[1:], bool, timeout=ANSWER_WAIT)
    assert answers, (
        f"no answer at all in {ANSWER_WAIT:g} s to passive suicidal ideation: the check-in "
        "question is asked only by the action server"
    )


def test_a_crisis_split_over_three_texts_gets_the_follow_up_not_a_fallback(
    server: RunningWiseMind, twilio_api: TwilioStandin
) -> None:
    """The core escalates on the texts joined; Rasa reads the last one alone."""
    phone = Phone(server, twilio_api, new_phone())
    phone.code = enrol_client(server, consented=True, sms_number=phone.number)
    assert "DIARY" in phone.reply_to("hi")
    phone.reply_to("thinking about ending")
    phone.reply_to("it")
    before = len(phone.sent_bodies())
    assert phone.text("tonight")[0] == 200
    after = poll_until(
        lambda: "\n".join(phone.sent_bodies()[before:]),
        lambda sent: "Are you safe right now?" in sent,
        timeout=ANSWER_WAIT,
    )
    assert "988" in after  # the core's crisis reply and page went out
    assert "Are you safe right now?" in after, f"after the crisis reply the client got: {after!r}"
