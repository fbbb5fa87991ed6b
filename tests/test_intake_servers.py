"""Every inbound path, through the real servers: screened, paged, refused cheaply, never logged.

The running ``wisemind run`` (``tests/servers.py``) with both channels on the
stand-ins; the demo clinic's primary on call is +15005550001.
"""

from __future__ import annotations

import itertools
import json
import secrets
import socket
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from bot.storage import session_scope
from bot.storage.models import Message
from tests.servers import (
    PRIMARY_ON_CALL,
    QUIET_SECONDS,
    REPLY_TIMEOUT,
    TELEGRAM_SECRET,
    Phone,
    RunningWiseMind,
    enrol_client,
    new_phone,
    poll_until,
    post_webhook,
)
from tests.standins import (
    DEFAULT_TOKEN,
    TelegramStandin,
    TwilioStandin,
    inbound_sms_params,
    signed_telegram_headers,
    signed_twilio_webhook,
    text_update,
)
from tests.test_crisis import wait_for_pages

_update_ids = itertools.count(secrets.randbelow(10**6) * 1000 + 500_000)


def new_chat_id() -> int:
    return 2 * 10**9 + secrets.randbelow(10**9)


def telegram_post(server: RunningWiseMind, update: dict) -> int:
    status, _ = post_webhook(
        f"{server.rasa_url}/webhooks/telegram/webhook",
        json.dumps(update).encode(),
        signed_telegram_headers(TELEGRAM_SECRET),
    )
    return status


def telegram_texts(telegram: TelegramStandin, chat_id: int) -> str:
    return "\n".join(m.text or "" for m in telegram.messages_to(chat_id))


def photo_with_caption(chat_id: int, caption: str) -> dict:
    update = text_update(next(_update_ids), chat_id, "x")
    del update["message"]["text"]
    update["message"]["photo"] = [{"file_id": "p1", "width": 90, "height": 90}]
    update["message"]["caption"] = caption
    return update


def edited(chat_id: int, text: str) -> dict:
    update = text_update(next(_update_ids), chat_id, text)
    update["message"]["edit_date"] = update["message"]["date"] + 5
    update["edited_message"] = update.pop("message")
    return update


@pytest.fixture
def chat(wisemind: RunningWiseMind, providers: tuple[TwilioStandin, TelegramStandin]) -> int:
    chat_id = new_chat_id()
    enrol_client(wisemind, consented=True, name="Rio Tg", telegram_chat_id=str(chat_id))
    return chat_id


def _client_code(server: RunningWiseMind, chat_id: int) -> str:
    with session_scope(server.engine) as session:
        from bot.clinic import client_for_identity

        client = client_for_identity(session, "telegram", str(chat_id))
        assert client is not None
        return client.code


@pytest.mark.parametrize("how", ["caption", "edited message"])
def test_a_crisis_on_telegram_gets_the_crisis_reply_and_pages_the_on_call_therapist(
    wisemind: RunningWiseMind,
    providers: tuple[TwilioStandin, TelegramStandin],
    chat: int,
    how: str,
) -> None:
    twilio, telegram = providers
    if how == "caption":
        update = photo_with_caption(chat, "took all of these pills, goodbye")
    else:
        assert telegram_post(wisemind, text_update(next(_update_ids), chat, "hi there")) == 200
        update = edited(chat, "i want to kill myself tonight")
    assert telegram_post(wisemind, update) == 200
    reply = poll_until(lambda: telegram_texts(telegram, chat), lambda t: "alerted a person" in t)
    assert "988" in reply and "alerted a person" in reply
    wait_for_pages(twilio, PRIMARY_ON_CALL, _client_code(wisemind, chat))


def test_an_mms_body_in_crisis_pages(
    wisemind: RunningWiseMind, providers: tuple[TwilioStandin, TelegramStandin]
) -> None:
    number = new_phone()
    phone = Phone(wisemind, providers[0], number)
    phone.code = enrol_client(wisemind, consented=True, name="Mo Mms", sms_number=number)
    status, _ = phone.text("here they are, i took all my pills", num_media=2)
    assert status == 200
    wait_for_pages(phone.twilio, PRIMARY_ON_CALL, phone.code)
    assert "988" in "\n".join(sms.body for sms in phone.replies(1))


def _stored_from(server: RunningWiseMind, address: str) -> int:
    with session_scope(server.engine) as session:
        return int(
            session.execute(
                select(func.count(Message.id)).where(Message.address == address)
            ).scalar_one()
        )


def test_an_oversized_sms_webhook_is_refused_and_nothing_is_stored(
    wisemind: RunningWiseMind, providers: tuple[TwilioStandin, TelegramStandin]
) -> None:
    number = new_phone()
    enrol_client(wisemind, consented=True, sms_number=number)
    url = f"{wisemind.env['WISEMIND_PUBLIC_URL']}/webhooks/twilio_sms/webhook"
    params = inbound_sms_params(number, "+15005550000", "a" * 70_000)
    status, _ = post_webhook(url, *signed_twilio_webhook(url, params))
    assert status == 413
    assert _stored_from(wisemind, number) == 0


@pytest.mark.parametrize(
    "path",
    ["/webhooks/twilio_sms/webhook", "/webhooks/telegram/webhook", "/webhooks/local/webhook"],
)
def test_a_huge_declared_body_is_refused_before_it_is_sent(
    wisemind: RunningWiseMind, path: str
) -> None:
    """Only the headers go out: the server must answer 413 without waiting for 100 MB."""
    address = urlsplit(wisemind.rasa_url)
    with socket.create_connection((address.hostname, address.port), timeout=REPLY_TIMEOUT) as conn:
        conn.sendall(
            (
                f"POST {path} HTTP/1.1\r\nHost: {address.netloc}\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n"
                f"Authorization: Bearer {wisemind.api_token}\r\n"
                f"{'X-Telegram-Bot-Api-Secret-Token: ' + TELEGRAM_SECRET}\r\n"
                "Content-Length: 100000000\r\n\r\n"
            ).encode()
        )
        answer = conn.recv(4096).decode(errors="replace")
    assert answer.startswith("HTTP/1.1 413"), answer[:200]


#: SQLite triggers that make every escalation, and every message from a stranger, fail.
FORCED_FAILURES = {
    "fail_escalations": "BEFORE INSERT ON escalations",
    "fail_strangers": "BEFORE INSERT ON messages "
    "WHEN NEW.client_id IS NULL AND NEW.direction = 'inbound'",
}


@pytest.fixture
def broken_database(wisemind: RunningWiseMind) -> Iterator[Callable[[], None]]:
    """The running servers' database fails (see FORCED_FAILURES) until the yielded repair."""
    path = wisemind.database_url.removeprefix("sqlite:///")

    def repair() -> None:
        with sqlite3.connect(path, timeout=30) as db:
            for name in FORCED_FAILURES:
                db.execute(f"DROP TRIGGER IF EXISTS {name}")

    with sqlite3.connect(path, timeout=30) as db:
        for name, when in FORCED_FAILURES.items():
            db.execute(f"CREATE TRIGGER {name} {when} BEGIN SELECT RAISE(ABORT, 'forced'); END")
    try:
        yield repair
    finally:
        repair()


def test_client_words_reach_no_log_on_any_path_even_when_the_database_fails(
    wisemind: RunningWiseMind,
    providers: tuple[TwilioStandin, TelegramStandin],
    broken_database: Callable[[], None],
) -> None:
    twilio, telegram = providers
    marker = "zqv" + secrets.token_hex(4)
    words = f"i will hang myself with the rope tonight {marker}"
    sms_client, mms_client, opted_out, stranger = (new_phone() for _ in range(4))
    codes = {
        number: enrol_client(wisemind, consented=True, sms_number=number)
        for number in (sms_client, mms_client, opted_out)
    }
    chats = [new_chat_id() for _ in range(3)]
    for chat_id in chats:
        codes[str(chat_id)] = enrol_client(wisemind, consented=True, telegram_chat_id=str(chat_id))
    local_code = enrol_client(wisemind, consented=True)
    phones = {n: Phone(wisemind, twilio, n) for n in (sms_client, mms_client, opted_out, stranger)}
    assert phones[opted_out].text("STOP")[0] == 200
    phones[opted_out].replies(1)

    statuses = [
        phones[sms_client].text(words)[0],
        phones[mms_client].text(words, num_media=1)[0],
        phones[opted_out].text(words)[0],
        phones[stranger].text(words)[0],
        telegram_post(wisemind, text_update(next(_update_ids), chats[0], words)),
        telegram_post(wisemind, photo_with_caption(chats[1], words)),
        telegram_post(wisemind, edited(chats[2], words)),
        wisemind.post({"sender": local_code, "message": words})[0],
    ]
    # The stranger's message could not be stored: its answer carries the crisis numbers
    # instead; all the others were stored before the failure. Every webhook answered 200.
    assert statuses == [200] * 8
    time.sleep(QUIET_SECONDS)  # the scheduler's retry loop meets the failure too
    log = wisemind.log_path.read_text(errors="replace")
    assert "forced" in log  # the failure was logged...
    assert marker not in log and "rope" not in log  # ...without the client's words
    assert DEFAULT_TOKEN not in log

    # Nothing was lost: once the database works again, every client's message pages.
    broken_database()
    for code in [*codes.values(), local_code]:
        wait_for_pages(twilio, PRIMARY_ON_CALL, code)
    assert marker not in wisemind.log_path.read_text(errors="replace")


def test_wisemind_run_keeps_demo_passwords_out_of_a_service_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Under a service manager stdout is the log: ``wisemind run`` passes ``isatty()`` here."""
    from bot.cli import _seed_and_report
    from bot.demo import CREDENTIALS_FILENAME
    from bot.storage.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'wisemind.db'}"
    monkeypatch.setenv("WISEMIND_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("WISEMIND_DATABASE_URL", url)
    upgrade(url)
    _seed_and_report(show_passwords=False)
    credentials = (tmp_path / CREDENTIALS_FILENAME).read_text().splitlines()
    passwords = [line.split()[-1] for line in credentials if line.strip() and line[0] != "#"]
    assert passwords
    printed = capsys.readouterr().out
    assert not [p for p in passwords if p in printed]
    assert CREDENTIALS_FILENAME in printed


def test_a_therapist_acknowledges_a_page_from_telegram(
    wisemind: RunningWiseMind, providers: tuple[TwilioStandin, TelegramStandin]
) -> None:
    from bot.clinic import add_therapist

    twilio, telegram = providers
    therapist_chat = new_chat_id()
    with session_scope(wisemind.engine) as session:
        add_therapist(
            session,
            email=f"tg-{therapist_chat}@clinic.test",
            name="Tess Telegram",
            # Only staff with a part in an alert may acknowledge it: an admin may.
            role="admin",
            telegram_chat_id=therapist_chat,
        )
    number = new_phone()
    phone = Phone(wisemind, twilio, number)
    phone.code = enrol_client(wisemind, consented=True, sms_number=number)
    assert phone.text("i want to kill myself tonight")[0] == 200
    (page,) = wait_for_pages(twilio, PRIMARY_ON_CALL, phone.code)
    ack_code = page.body.split("Reply ACK ")[1].split()[0]
    update = text_update(next(_update_ids), therapist_chat, f"ACK {ack_code}")
    assert telegram_post(wisemind, update) == 200
    reply = poll_until(lambda: telegram_texts(telegram, therapist_chat), bool)
    assert "Acknowledged" in reply and phone.code in reply
