"""The intake pipeline: what happens to a message before the assistant sees it.

Run against real databases (SQLite and PostgreSQL) with the real detector;
only the clock of flood control and, where a test says so, a failure, are
staged.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import secrets
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from rasa.core.channels.channel import UserMessage
from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT
from sanic import Sanic
from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from bot.background import free_port
from bot.clinic import add_client, client_by_code
from bot.crisis_contacts import crisis_contacts
from bot.crisis_messages import with_numbers
from bot.dashboard.app import create_app
from bot.demo import seed_demo
from bot.escalation import acknowledge_escalation, advance_pages, crisis_line_stopped
from bot.intake import (
    ANSWERED_QUESTION,
    CHECK_IN_ASKED,
    CRISIS_REPLIED,
    PROCESSING_ERROR_REPLY,
    RISK_LEVEL,
    FloodControl,
    HandOff,
    InboundMessage,
    claim_handoffs,
    finish_handoff,
    receive,
    release_handoff,
    renew_handoff,
    screen_pending,
    strangers,
)
from bot.intake.pipeline import (
    HANDOFF_LEASE,
    HANDOFF_RENEWAL,
    SCREENING_ATTEMPTS,
    SCREENING_DEADLINE,
    SCREENING_GRACE,
)
from bot.outbox import SendError, enqueue, record_failure, record_sent
from bot.safety.followup import record_question
from bot.settings import (
    Settings,
    TelegramSettings,
    TwilioSettings,
    load_settings,
    process_settings,
)
from bot.storage import create_engine_for, session_scope
from bot.storage.enums import Channel, PageTier, SafetyQuestion
from bot.storage.models import (
    Client,
    Escalation,
    EscalationEvent,
    Message,
    Page,
    PendingSafetyQuestion,
    Therapist,
    utcnow,
)
from channels.outbox_output import answer_after_webhook, keep_recovering, process_inbound
from channels.sms_segments import segment_count
from channels.telegram import TelegramInput, TelegramOutput
from channels.telegram_webhook import SECRET_HEADER, parse_update
from channels.telegram_webhook import WEBHOOK_PATH as TELEGRAM_WEBHOOK_PATH
from channels.twilio_sms import MAX_SEGMENTS_PER_SMS, SmsOutput, TwilioInput
from channels.twilio_webhook import (
    FALLBACK_PATH,
    WEBHOOK_PATH,
    TwilioForm,
    TwilioWebhook,
    WebhookAnswer,
    WebhookRequest,
    sms_message,
)
from channels.webhook import MAX_WEBHOOK_BODY_BYTES, BackgroundTasks
from tests.conftest import demo_staff_as_real_rota
from tests.standins import inbound_sms_params, text_update
from tests.standins.twilio import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, signed_twilio_webhook

DEMO_PHONE = "+15005550006"
DEMO_CHAT = "777000"
STRANGER_PHONE = "+15550001111"
CRISIS = "i want to kill myself tonight"


@pytest.fixture
def engine(migrated_engine: Engine, tmp_path: Path) -> Engine:
    """The demo clinic on a fresh database (its client texts from +15005550006, chat 777000)."""
    with session_scope(migrated_engine) as session:
        seed_demo(session, credentials_file=tmp_path / "credentials.txt")
        demo_staff_as_real_rota(session)
    return migrated_engine


@pytest.fixture
def settings() -> Settings:
    """SMS configured, so that pages can leave and the client is told so."""
    return dataclasses.replace(
        load_settings(),
        twilio=TwilioSettings("AC" + "0" * 32, "token", "+15005550000"),
        clinic_timezone="America/New_York",
    )


@pytest.fixture
def unlimited() -> Iterator[FloodControl]:
    yield FloodControl(burst=1000)


def sms(body: str, sid: int = 1, sender: str = DEMO_PHONE, media: bool = False) -> InboundMessage:
    return InboundMessage("sms", sender, body, provider_id=f"SM{sid:032d}", has_media=media)


def queued_to(engine: Engine, address: str) -> list[str]:
    with session_scope(engine) as session:
        return list(
            session.execute(
                select(Message.body)
                .where(Message.direction == "outbound", Message.address == address)
                .order_by(Message.id)
            ).scalars()
        )


def escalations(engine: Engine) -> list[tuple[str, str]]:
    with session_scope(engine) as session:
        return [
            tuple(row) for row in session.execute(select(Escalation.level, Escalation.categories))
        ]  # type: ignore[misc]


def inbound(engine: Engine, message_id: int) -> Message:
    with session_scope(engine) as session:
        message = session.get(Message, message_id)
        assert message is not None
        return message


def speaks(engine: Engine, locale: str) -> None:
    """The demo client's profile says they read ``locale`` (``en`` or ``es``)."""
    with session_scope(engine) as session:
        demo_client(session).locale = locale


def demo_client(session: Session) -> Client:
    """The demo clinic's client (DEMO0001), in ``session``."""
    client = client_by_code(session, "DEMO0001")
    assert client is not None
    return client


def asked(engine: Engine, question: SafetyQuestion) -> None:
    """The core has just asked the demo client ``question`` (the check-in, "are you safe?")."""
    with session_scope(engine) as session:
        record_question(session, demo_client(session), question, utcnow())


def claimed_after_its_server_died(engine: Engine, channel: str = "sms") -> list[HandOff]:
    """What the next Rasa server claims once the claims of one that died have run out."""
    return claim_handoffs(channel, engine=engine, now=utcnow() + HANDOFF_LEASE * 2)


def crisis_line(locale: str) -> str:
    """The crisis line a reply in ``locale`` gives ("988 (oprime 2 para español)" in Spanish)."""
    return crisis_contacts(locale).crisis_line


def test_a_high_risk_sms_queues_the_crisis_reply_and_pages_before_the_assistant_runs(
    engine: Engine, settings: Settings, unlimited: FloodControl
) -> None:
    decision = receive(sms(CRISIS), settings, engine=engine, flood=unlimited)
    assert decision.hand_off is not None
    assert decision.hand_off.conversation_id == "DEMO0001"
    assert decision.hand_off.metadata[CRISIS_REPLIED] is True
    replies = queued_to(engine, DEMO_PHONE)
    assert any("988" in text for text in replies)
    assert any("alerted a person" in text for text in replies)
    assert any("DEMO0001" in page for page in queued_to(engine, "+15005550001"))
    stored = inbound(engine, decision.hand_off.message_id)
    assert stored.risk_level in ("high", "imminent") and stored.screened_at is not None
    with session_scope(engine) as session:
        assert "kill myself" in session.execute(select(Escalation.evidence)).scalar_one()


@pytest.mark.parametrize("body", ["can we do my diary", "I'm not suicidal, just tired"])
def test_an_ordinary_message_goes_to_the_assistant_and_opens_nothing(
    engine: Engine, settings: Settings, body: str, unlimited: FloodControl
) -> None:
    decision = receive(sms(body), settings, engine=engine, flood=unlimited)
    assert decision.hand_off is not None and decision.hand_off.text == body
    assert queued_to(engine, DEMO_PHONE) == []
    assert escalations(engine) == []


def test_a_moderate_message_is_flagged_and_asked_the_check_in_without_the_assistant(
    engine: Engine, settings: Settings, unlimited: FloodControl, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Twilio only in the settings handed in, none in the environment: the answer's page
    # must go by the running server's settings, read once (finding 5 of review 7).
    for name in (
        "WISEMIND_TWILIO_ACCOUNT_SID",
        "WISEMIND_TWILIO_AUTH_TOKEN",
        "WISEMIND_TWILIO_FROM",
    ):
        monkeypatch.delenv(name, raising=False)
    body = "everyone would be better off without me"
    decision = receive(sms(body), settings, engine=engine, flood=unlimited)
    (check_in,) = queued_to(engine, DEMO_PHONE)
    assert "thoughts of suicide" in check_in
    assert [level for level, _ in escalations(engine)] == ["moderate"]
    assert queued_to(engine, "+15005550001") == []  # a flag, not a page
    assert decision.hand_off is not None
    assert decision.hand_off.metadata[CHECK_IN_ASKED] is True
    assert decision.hand_off.metadata[RISK_LEVEL] == "moderate"
    # The assistant never answered (its action server hung); the client's "yes" still pages.
    receive(sms("yes", 2), settings, engine=engine, flood=unlimited)
    assert [level for level, _ in escalations(engine)] == ["high"]
    assert any("DEMO0001" in page for page in queued_to(engine, "+15005550001"))


def _acknowledge(engine: Engine) -> None:
    """The on-call therapist acknowledges the page by SMS (and is calling)."""
    with session_scope(engine) as session:
        primary = session.execute(
            select(Therapist).where(Therapist.email == "therapist@demo.clinic")
        ).scalar_one()
        escalation_id = session.execute(select(Escalation.id)).scalar_one()
        acknowledge_escalation(
            session, escalation_id=escalation_id, therapist=primary, now=utcnow(), via="sms"
        )


def _time_passes(engine: Engine, minutes: int) -> None:
    """Move every stored time of the conversation back: the question, the messages."""
    back = timedelta(minutes=minutes)
    with session_scope(engine) as session:
        for pending in session.execute(select(PendingSafetyQuestion)).scalars():
            pending.asked_at -= back
            pending.expires_at -= back
        for message in session.execute(select(Message)).scalars():
            message.created_at -= back


@pytest.mark.parametrize(
    "text",
    [
        "gave my guns to my son, won't need them anymore",
        "i gave my pills to my mom. i saved a few",
        "i took the whole bottle jk... or not",
        "me quiero matar jaja es broma... o no",
        "me quiero morir de pena. ya tengo las pastillas",
    ],
)
def test_means_kept_a_joke_half_taken_back_or_grief_with_pills_gets_the_crisis_reply_and_pages(
    engine: Engine, settings: Settings, unlimited: FloodControl, text: str
) -> None:
    """Review 7 #7-#9: these reached nobody (or only the check-in): no crisis numbers,
    nobody paged."""
    receive(sms(text), settings, engine=engine, flood=unlimited)
    assert escalations(engine), "no escalation: nobody will ever see this"
    assert any("988" in reply for reply in queued_to(engine, DEMO_PHONE))
    assert any("DEMO0001" in page for page in queued_to(engine, "+15005550001"))


@pytest.mark.parametrize(
    "text", ["me corto desde hace un mes", "llevo un mes cortándome", "desde hace años me corto"]
)
def test_self_harm_going_on_for_a_month_is_on_the_dashboard(
    engine: Engine, settings: Settings, unlimited: FloodControl, text: str
) -> None:
    """Review 7 #10: "me corto desde hace un mes" (I've been cutting myself for a month)
    was not even the check-in, nothing on the dashboard."""
    receive(sms(text), settings, engine=engine, flood=unlimited)
    assert escalations(engine), "not even flagged: no check-in, nothing on the dashboard"


def test_a_yes_to_are_you_having_thoughts_of_suicide_an_hour_later_still_pages(
    engine: Engine, settings: Settings, unlimited: FloodControl
) -> None:
    """At 22:00 she is asked the check-in, puts the phone down and answers "yes" at 23:05
    (people in distress often go quiet first). The core's question still waits: the
    "yes" pages without the assistant, however late it comes, and the assistant (whose
    session has ended meanwhile) is told the "yes" answers the check-in."""
    receive(sms("honestly everyone would be better off without me", 1), settings,
            engine=engine, flood=unlimited)  # fmt: skip
    assert any("thoughts of suicide" in text for text in queued_to(engine, DEMO_PHONE))
    _time_passes(engine, minutes=65)
    before = len(queued_to(engine, DEMO_PHONE))
    answer = receive(sms("yes", 2), settings, engine=engine, flood=unlimited)
    assert [level for level, _ in escalations(engine)] == ["high"]
    assert any("DEMO0001" in text for text in queued_to(engine, PRIMARY_PHONE))
    assert any("988" in text for text in queued_to(engine, DEMO_PHONE)[before:])
    assert answer.hand_off is not None
    assert answer.hand_off.metadata[ANSWERED_QUESTION] == SafetyQuestion.CHECK_IN


def test_a_no_to_are_you_safe_right_now_an_hour_later_reopens_the_escalation(
    engine: Engine, settings: Settings, unlimited: FloodControl
) -> None:
    """After the therapist acknowledged, the bot asked "are you safe right now?"; the
    client answers "no" 65 minutes later, with Rasa and the action server down."""
    receive(sms(CRISIS, 1), settings, engine=engine, flood=unlimited)
    _acknowledge(engine)
    asked(engine, SafetyQuestion.SAFE_NOW)
    _time_passes(engine, minutes=65)
    receive(sms("no", 2), settings, engine=engine, flood=unlimited)
    assert _escalation_status(engine) == "open"  # re-opened: the on-call therapist is paged


@pytest.mark.parametrize("late", ["hi", "ok", "can we do my diary card"])
def test_a_greeting_hours_after_the_check_in_is_not_read_as_yes(
    engine: Engine, settings: Settings, unlimited: FloodControl, late: str
) -> None:
    """Long after the question, only a clear answer is read against it: "hi" the next
    morning is a greeting, not "yes, I am having thoughts of suicide"."""
    receive(sms("honestly everyone would be better off without me", 1), settings,
            engine=engine, flood=unlimited)  # fmt: skip
    _time_passes(engine, minutes=10 * 60)
    greeting = receive(sms(late, 2), settings, engine=engine, flood=unlimited)
    assert [level for level, _ in escalations(engine)] == ["moderate"]
    assert greeting.hand_off is not None and greeting.hand_off.metadata[ANSWERED_QUESTION] is None
    receive(sms("yes", 3), settings, engine=engine, flood=unlimited)  # answers what came next
    assert [level for level, _ in escalations(engine)] == ["moderate"]


def test_a_diary_answer_after_a_reminder_is_not_read_as_an_old_urge_question(
    engine: Engine, settings: Settings, unlimited: FloodControl
) -> None:
    """Yesterday's diary card stopped at "urge to commit suicide, 0-5?". Today's reminder
    starts a new card ("mood today, 0-5?") and she answers "5": that is her mood."""
    asked(engine, SafetyQuestion.URGE_SUICIDE)
    _time_passes(engine, minutes=20 * 60)
    with session_scope(engine) as session:
        enqueue(session, client_id=demo_client(session).id, channel="sms", address=DEMO_PHONE,
                body="Time for your diary card. Mood today, 0-5?")  # fmt: skip
    receive(sms("5", 2), settings, engine=engine, flood=unlimited)
    assert escalations(engine) == []


def test_a_recovered_hand_off_still_says_the_check_in_was_asked(
    engine: Engine, settings: Settings, unlimited: FloodControl
) -> None:
    receive(
        sms("everyone would be better off without me"), settings, engine=engine, flood=unlimited
    )
    (again,) = claimed_after_its_server_died(engine)
    assert again.check_in_asked and again.risk_level == "moderate"


@pytest.mark.parametrize(
    "parts",
    [("thinking about ending", "it", "tonight"), ("i want to", "kill", "myself")],
)
def test_risk_split_over_several_texts_gets_the_crisis_reply_and_pages(
    engine: Engine, settings: Settings, unlimited: FloodControl, parts: tuple[str, ...]
) -> None:
    decisions = [
        receive(sms(part, sid), settings, engine=engine, flood=unlimited)
        for sid, part in enumerate(parts, start=1)
    ]
    replied = [
        index
        for index, decision in enumerate(decisions)
        if decision.hand_off is not None and decision.hand_off.metadata[CRISIS_REPLIED]
    ]
    # The first text alone is not a crisis; the texts joined are, from the text that
    # completes the risk ("thinking about ending" + "it" already pages).
    assert replied and replied[0] > 0, decisions
    decision = decisions[replied[0]]
    assert decision.hand_off is not None
    # The assistant reads the last text alone: it is told the intake's decision with it.
    assert decision.hand_off.metadata[RISK_LEVEL] in ("high", "imminent")
    assert any("988" in text for text in queued_to(engine, DEMO_PHONE))
    assert any("DEMO0001" in page for page in queued_to(engine, "+15005550001"))
    with session_scope(engine) as session:
        evidence = session.execute(select(Escalation.evidence)).scalar_one()
    assert all(part in evidence for part in parts[: replied[0] + 1]), evidence


def test_an_im_safe_now_after_the_therapist_acknowledged_does_not_page_them_again(
    engine: Engine, settings: Settings, unlimited: FloodControl
) -> None:
    receive(sms(CRISIS, 1), settings, engine=engine, flood=unlimited)
    _acknowledge(engine)
    # The therapist is calling; the client answers the bot's follow-up meanwhile.
    receive(sms("thank you, I'm safe now", 2), settings, engine=engine, flood=unlimited)
    with session_scope(engine) as session:
        assert session.execute(select(Escalation.status)).scalar_one() == "acknowledged"
    assert len([page for page in queued_to(engine, "+15005550001") if "ACK" in page]) == 1


def _edit(update: dict[str, object], text: str, update_id: int) -> InboundMessage:
    """The update Telegram sends when the client edits the message of ``update``."""
    message = dict(update["message"])  # type: ignore[call-overload]
    message["text"] = text
    message["edit_date"] = int(time.time()) + update_id
    parsed = parse_update({"update_id": update_id, "edited_message": message}, "123")
    assert parsed is not None
    return parsed.message


def _acknowledged_telegram_crisis(
    engine: Engine, settings: Settings, flood: FloodControl, text: str
) -> tuple[dict[str, object], int]:
    """The demo client's crisis ``text`` on Telegram, acknowledged by the on-call therapist:
    the update (for the client to edit) and how many replies the client had."""
    first = text_update(1, int(DEMO_CHAT), text)
    parsed = parse_update(first, "123")
    assert parsed is not None
    receive(parsed.message, settings, engine=engine, flood=flood)
    _acknowledge(engine)
    return first, len(queued_to(engine, DEMO_CHAT))


def test_a_typo_fixed_in_a_crisis_text_after_the_therapist_acknowledged_does_not_page_her_again(
    engine: Engine, settings: Settings, unlimited: FloodControl
) -> None:
    """The on-call therapist acknowledged "i want to kil myself tonight" and is calling;
    the client fixes the typo on Telegram. The words are the ones she is acting on: no
    second page, no walk on to the backup, no second crisis reply."""
    settings = _with_telegram(settings)
    first, replies_before = _acknowledged_telegram_crisis(
        engine, settings, unlimited, "i want to kil myself tonight"
    )
    decision = receive(_edit(first, "i want to kill myself tonight", 2), settings,
                       engine=engine, flood=unlimited)  # fmt: skip
    assert _escalation_status(engine) == "acknowledged"
    assert len([text for text in queued_to(engine, PRIMARY_PHONE) if "Reply ACK" in text]) == 1
    assert len(queued_to(engine, DEMO_CHAT)) == replies_before
    # The assistant is told the crisis reply was given, so it does not repeat it either.
    assert decision.hand_off is not None and decision.hand_off.metadata[CRISIS_REPLIED] is True
    with session_scope(engine) as session:  # the edited words reach the therapist's evidence
        assert "kill myself" in session.execute(select(Escalation.evidence)).scalar_one()


def test_a_crisis_text_edited_to_say_she_took_the_pills_pages_again_after_the_acknowledgement(
    engine: Engine, settings: Settings, unlimited: FloodControl
) -> None:
    settings = _with_telegram(settings)
    first, replies_before = _acknowledged_telegram_crisis(engine, settings, unlimited, CRISIS)
    receive(_edit(first, "i took all my pills, goodbye", 2), settings, engine=engine,
            flood=unlimited)  # fmt: skip
    assert _escalation_status(engine) == "open"
    assert len([text for text in queued_to(engine, PRIMARY_PHONE) if "Reply ACK" in text]) == 2
    assert len(queued_to(engine, DEMO_CHAT)) > replies_before


def test_a_crisis_sms_resent_by_the_phone_gets_no_second_crisis_reply_or_page(
    engine: Engine, settings: Settings, unlimited: FloodControl
) -> None:
    """The phone said "Not delivered, try again" and the client tapped it: same words."""
    receive(sms(CRISIS, 1), settings, engine=engine, flood=unlimited)
    replies_before = len(queued_to(engine, DEMO_PHONE))
    receive(sms(CRISIS, 2), settings, engine=engine, flood=unlimited)
    assert len([text for text in queued_to(engine, PRIMARY_PHONE) if "Reply ACK" in text]) == 1
    assert len(queued_to(engine, DEMO_PHONE)) == replies_before


def test_the_same_crisis_words_typed_again_after_the_call_reopen_the_escalation(
    engine: Engine, settings: Settings, unlimited: FloodControl
) -> None:
    """22:00 "i want to kill myself tonight"; the on-call therapist acknowledges, calls and
    hangs up believing the client is settled. Minutes later the client sends the same words
    again: not a phone's re-send (someone acted in between), so the crisis reply goes out
    again and the therapist is paged again."""
    receive(sms(CRISIS, 1), settings, engine=engine, flood=unlimited)
    _acknowledge(engine)
    with session_scope(engine) as session:
        for message in session.execute(select(Message)).scalars():  # a minute passes
            message.created_at -= timedelta(minutes=1)
    replies_before = len(queued_to(engine, DEMO_PHONE))
    receive(sms(CRISIS, 2), settings, engine=engine, flood=unlimited)
    assert _escalation_status(engine) == "open"
    assert len([text for text in queued_to(engine, PRIMARY_PHONE) if "Reply ACK" in text]) == 2
    assert len(queued_to(engine, DEMO_PHONE)) > replies_before


def test_the_same_crisis_words_after_another_text_are_answered_again(
    engine: Engine, settings: Settings, unlimited: FloodControl
) -> None:
    """ "i want to kill myself tonight", "ok", then the same words: typed again, not re-sent."""
    receive(sms(CRISIS, 1), settings, engine=engine, flood=unlimited)
    receive(sms("ok", 2), settings, engine=engine, flood=unlimited)
    replies_before = len(queued_to(engine, DEMO_PHONE))
    receive(sms(CRISIS, 3), settings, engine=engine, flood=unlimited)
    assert any("988" in text for text in queued_to(engine, DEMO_PHONE)[replies_before:])


def test_texts_after_a_moderate_one_that_add_nothing_are_not_asked_the_check_in_again(
    engine: Engine, settings: Settings, unlimited: FloodControl
) -> None:
    for sid, text in enumerate(("i feel so hopeless about everything", "no", "thanks"), 1):
        receive(sms(text, sid), settings, engine=engine, flood=unlimited)
    assert len([text for text in queued_to(engine, DEMO_PHONE) if "thoughts of" in text]) == 1
    assert [level for level, _ in escalations(engine)] == ["moderate"]


def test_an_ok_right_after_a_crisis_message_is_not_sent_the_crisis_reply_again(
    engine: Engine, settings: Settings, unlimited: FloodControl
) -> None:
    receive(sms(CRISIS, 1), settings, engine=engine, flood=unlimited)
    crisis_reply = queued_to(engine, DEMO_PHONE)
    assert any("988" in text for text in crisis_reply)
    ok = receive(sms("ok", 2), settings, engine=engine, flood=unlimited)
    assert ok.hand_off is not None and not ok.hand_off.crisis_replied
    assert queued_to(engine, DEMO_PHONE) == crisis_reply
    assert inbound(engine, ok.hand_off.message_id).risk_level == "none"


def test_the_clinic_crisis_line_can_acknowledge_the_page_it_got_and_paging_stops(
    engine: Engine, settings: Settings, unlimited: FloodControl
) -> None:
    crisis_line = "+15005550099"
    settings = dataclasses.replace(settings, clinic_crisis_line=crisis_line)
    receive(sms(CRISIS, 1), settings, engine=engine, flood=unlimited)
    step = timedelta(seconds=settings.page_ack_timeout_seconds + 1)
    with session_scope(engine) as session:
        advance_pages(session, utcnow() + step, settings)
        advance_pages(session, utcnow() + step * 2, settings)
        assert session.execute(select(Page).where(Page.tier == PageTier.CRISIS_LINE)).scalar_one()
        code = session.execute(select(Escalation.code)).scalar_one()
    receive(sms(f"ACK {code}", 2, sender=crisis_line), settings, engine=engine, flood=unlimited)
    assert any("Acknowledged" in text for text in queued_to(engine, crisis_line))
    with session_scope(engine) as session:
        assert session.execute(select(Escalation.status)).scalar_one() == "acknowledged"
        details = session.execute(
            select(EscalationEvent.detail).where(EscalationEvent.kind == "acknowledged")
        ).scalars()
        assert list(details) == ["crisis line"]
        assert advance_pages(session, utcnow() + step * 10, settings) == 0


#: The demo clinic's therapists on call as primary and backup, and a number for its admin.
PRIMARY_PHONE, BACKUP_PHONE, ADMIN_PHONE = "+15005550001", "+15005550003", "+15005550020"


def _give_the_admin_a_phone(engine: Engine) -> None:
    """The demo clinic's admin is told of paging trouble by SMS on :data:`ADMIN_PHONE`."""
    with session_scope(engine) as session:
        admin = session.execute(
            select(Therapist).where(Therapist.email == "admin@demo.clinic")
        ).scalar_one()
        admin.sms_number = ADMIN_PHONE


def _page_code(engine: Engine) -> str:
    """The ACK code in the page the on-call primary got."""
    (page,) = [text for text in queued_to(engine, PRIMARY_PHONE) if "Reply ACK" in text]
    return page.split("Reply ACK ")[1].split()[0]


def _escalation_status(engine: Engine) -> str:
    with session_scope(engine) as session:
        return str(session.execute(select(Escalation.status)).scalar_one())


def test_new_crisis_after_a_daytime_acknowledgement_pages_the_on_call_therapist_at_once(
    engine: Engine, settings: Settings, unlimited: FloodControl
) -> None:
    """At 10:00 "everyone would be better off without me" flags the client (moderate); the
    clinical lead (here the admin, off the rota) acknowledges it on the dashboard and leaves
    it open. At 23:00 the client texts "i want to kill myself tonight": the therapist on
    call tonight is paged at once, not 5 minutes after a page to the sleeping lead."""
    _give_the_admin_a_phone(engine)
    receive(sms("everyone would be better off without me", 1), settings, engine=engine,
            flood=unlimited)  # fmt: skip
    with session_scope(engine) as session:
        admin = session.execute(
            select(Therapist).where(Therapist.email == "admin@demo.clinic")
        ).scalar_one()
        escalation_id = session.execute(select(Escalation.id)).scalar_one()
        acknowledge_escalation(session, escalation_id=escalation_id, therapist=admin,
                               now=utcnow() - timedelta(hours=13), via="dashboard")  # fmt: skip
    receive(sms(CRISIS, 2), settings, engine=engine, flood=unlimited)
    assert _escalation_status(engine) == "open"
    assert [text for text in queued_to(engine, PRIMARY_PHONE) if "Reply ACK" in text]
    assert queued_to(engine, ADMIN_PHONE) == []  # off duty: not woken first, nor at all


@pytest.mark.parametrize(
    "reply",
    [
        "ACK {code}",
        "Ack {code}.",
        "ACK {code} calling now",
        "ack: {code}",
        "ACK:{code}",
        "ACK-{code}",
    ],
)
def test_a_therapists_ack_with_a_full_stop_a_colon_or_a_note_still_acknowledges(
    engine: Engine, settings: Settings, unlimited: FloodControl, reply: str
) -> None:
    receive(sms(CRISIS, 1), settings, engine=engine, flood=unlimited)
    ack = sms(reply.format(code=_page_code(engine)), 2, sender=PRIMARY_PHONE)
    receive(ack, settings, engine=engine, flood=unlimited)
    assert _escalation_status(engine) == "acknowledged", queued_to(engine, PRIMARY_PHONE)[-1]
    assert queued_to(engine, PRIMARY_PHONE)[-1].startswith("Acknowledged alert")


def test_a_therapist_whose_number_is_also_a_test_clients_can_still_acknowledge(
    engine: Engine, settings: Settings, unlimited: FloodControl
) -> None:
    """The on-call therapist tried the bot as a client with their own phone."""
    with session_scope(engine) as session:
        tester, _ = add_client(session, name="Dr Demo (testing)",
                               therapist_email="therapist@demo.clinic",
                               timezone="America/New_York", sms_number=PRIMARY_PHONE)  # fmt: skip
        tester_code = tester.code
    receive(sms(CRISIS, 1), settings, engine=engine, flood=unlimited)
    code = _page_code(engine)
    ack = receive(sms(f"ACK {code}", 2, sender=PRIMARY_PHONE), settings, engine=engine,
                  flood=unlimited)  # fmt: skip
    assert ack.hand_off is None
    assert _escalation_status(engine) == "acknowledged"
    # Anything else from that phone is still the test client's, an unknown code included.
    for sid, text in ((3, "hi"), (4, "ACK ZZZZZZ")):
        other = receive(sms(text, sid, sender=PRIMARY_PHONE), settings, engine=engine,
                        flood=unlimited)  # fmt: skip
        assert other.hand_off is not None and other.hand_off.conversation_id == tester_code


def _providers_refuse_every_page(engine: Engine, settings: Settings, rounds: int = 10) -> None:
    """Twilio refuses each page for good as it is sent (a mistyped number: 21211), and
    the scheduler moves the chain on, until it has run out (and, with ``rounds``, again)."""
    for _ in range(rounds):
        with session_scope(engine) as session:
            live = session.execute(select(Page).where(Page.status.in_(("pending", "sent"))))
            for page in live.scalars().all():
                message = session.get(Message, page.message_id)
                if message is not None and message.status == "queued":
                    refused = SendError("twilio-21211", transient=False)
                    record_failure(session, page.message_id, refused, utcnow())
            advance_pages(session, utcnow(), settings)


def test_a_client_told_a_person_was_alerted_hears_again_when_every_page_was_refused(
    engine: Engine, settings: Settings, unlimited: FloodControl
) -> None:
    """The on-call numbers were typed wrong in the rota (valid, nobody's phone). The client
    reads "I've alerted a person" as the page is queued; Twilio then refuses every page
    and the chain runs out. The client is told, once, that the care team could not be
    reached, with the crisis numbers, in the crisis lane; the admins are told as before."""
    _give_the_admin_a_phone(engine)
    receive(sms(CRISIS, 1), settings, engine=engine, flood=unlimited)
    told = queued_to(engine, DEMO_PHONE)
    assert any("alerted a person" in text for text in told)
    _providers_refuse_every_page(engine, settings)
    later = queued_to(engine, DEMO_PHONE)[len(told) :]
    assert len(later) == 1 and "couldn't reach your care team" in later[0], later
    assert "988" in later[0] and "911" in later[0]
    assert any("nobody has acknowledged" in text for text in queued_to(engine, ADMIN_PHONE))
    with session_scope(engine) as session:
        (lane,) = session.execute(select(Message.lane).where(Message.body == later[0])).scalars()
        events = session.execute(select(EscalationEvent.kind)).scalars().all()
        # The next round, refused again, says nothing new to the client.
        advance_pages(session, utcnow() + timedelta(minutes=11), settings)
    assert lane == "crisis" and events.count("client_told_not_reached") == 1
    _providers_refuse_every_page(engine, settings, rounds=3)
    assert queued_to(engine, DEMO_PHONE)[len(told) :] == later


def test_a_client_whose_page_reached_the_phone_is_not_told_nobody_was_reached(
    engine: Engine, settings: Settings, unlimited: FloodControl
) -> None:
    """The primary's page went out and nobody answered before the chain ran out: a person
    was alerted, so the client's "I've alerted a person" stands."""
    receive(sms(CRISIS, 1), settings, engine=engine, flood=unlimited)
    told = queued_to(engine, DEMO_PHONE)
    with session_scope(engine) as session:
        (page,) = session.execute(select(Page)).scalars()
        record_sent(session, page.message_id, "SM" + "1" * 32)
    _providers_refuse_every_page(engine, settings)
    with session_scope(engine) as session:
        advance_pages(session, utcnow() + timedelta(minutes=30), settings)
    assert queued_to(engine, DEMO_PHONE) == told


def _tiers_paged(engine: Engine) -> list[str]:
    with session_scope(engine) as session:
        return [str(t) for t in session.execute(select(Page.tier).order_by(Page.id)).scalars()]


@pytest.mark.parametrize("answer", ["Yes", "start"])
def test_a_therapist_who_answers_a_page_with_yes_is_told_how_to_acknowledge(
    engine: Engine, settings: Settings, unlimited: FloodControl, answer: str
) -> None:
    """At 03:00 the on-call therapist answers the page "Yes", as people answer an alert.
    Her pages never stopped, so it is no opt-in: she is told to reply ACK <code>."""
    receive(sms(CRISIS, 1), settings, engine=engine, flood=unlimited)
    receive(sms(answer, 2, sender=PRIMARY_PHONE), settings, engine=engine, flood=unlimited)
    assert _escalation_status(engine) == "open"
    reply = queued_to(engine, PRIMARY_PHONE)[-1]
    assert "ACK" in reply and "again" not in reply, reply


def test_a_therapist_who_texts_stop_in_answer_to_a_live_page_hands_it_to_the_backup_at_once(
    engine: Engine, settings: Settings, unlimited: FloodControl
) -> None:
    """Paged at night, the on-call therapist answers STOP: the backup is paged at the
    scheduler's next tick, not when the 5-minute acknowledgement time-out runs out."""
    receive(sms(CRISIS, 1), settings, engine=engine, flood=unlimited)
    assert _tiers_paged(engine) == [PageTier.PRIMARY]
    receive(sms("STOP", 2, sender=PRIMARY_PHONE), settings, engine=engine, flood=unlimited)
    assert "next person" in queued_to(engine, PRIMARY_PHONE)[-1]
    with session_scope(engine) as session:
        advance_pages(session, utcnow() + timedelta(seconds=2), settings)
    assert _tiers_paged(engine) == [PageTier.PRIMARY, PageTier.BACKUP]
    assert any("DEMO0001" in text for text in queued_to(engine, BACKUP_PHONE))


def test_a_therapist_who_texts_stop_to_the_paging_number_is_skipped_until_they_text_start(
    engine: Engine, settings: Settings, unlimited: FloodControl
) -> None:
    """Twilio blocks every later SMS to a number that texted STOP (error 21610)."""
    _give_the_admin_a_phone(engine)
    with session_scope(engine) as session:
        other, _ = add_client(session, name="Other Client", therapist_email="therapist@demo.clinic",
                              timezone="America/New_York", sms_number="+15005550016")  # fmt: skip
    receive(sms("STOP", 1, sender=PRIMARY_PHONE), settings, engine=engine, flood=unlimited)
    assert "START" in queued_to(engine, PRIMARY_PHONE)[-1]
    assert any("therapist@demo.clinic" in text and "STOP" in text
               for text in queued_to(engine, ADMIN_PHONE))  # fmt: skip
    receive(sms(CRISIS, 2), settings, engine=engine, flood=unlimited)
    assert not any("Reply ACK" in text for text in queued_to(engine, PRIMARY_PHONE))
    assert any("DEMO0001" in text for text in queued_to(engine, BACKUP_PHONE))
    # The client was told the truth: the backup's page is on its way.
    assert any("alerted a person" in text for text in queued_to(engine, DEMO_PHONE))

    receive(sms("START", 3, sender=PRIMARY_PHONE), settings, engine=engine, flood=unlimited)
    assert any("again" in text for text in queued_to(engine, ADMIN_PHONE)[1:])
    receive(sms(CRISIS, 4, sender="+15005550016"), settings, engine=engine, flood=unlimited)
    assert any(other.code in text for text in queued_to(engine, PRIMARY_PHONE))


#: The clinic's crisis line, paged when neither the primary nor the backup answers.
CRISIS_LINE = "+15005550099"


def _walk_the_chain(engine: Engine, settings: Settings, start: datetime, rounds: int) -> datetime:
    """Let ``rounds`` acknowledgement time-outs pass after ``start``, the scheduler ticking."""
    step = timedelta(seconds=settings.page_ack_timeout_seconds + 1)
    for _ in range(rounds):
        start += step
        with session_scope(engine) as session:
            advance_pages(session, start, settings)
    return start


def test_the_crisis_line_texting_stop_to_the_paging_number_is_skipped_and_told_to_the_admins(
    engine: Engine, settings: Settings, unlimited: FloodControl
) -> None:
    """Someone at the clinic's crisis line answers a page STOP: Twilio blocks every later SMS
    to it, so the last tier of every chain would fail unseen. It is told how to undo it, the
    admins are told at once, chains end without it (the admins told as for any chain nobody
    answered) until it texts START, and then it is paged again."""
    _give_the_admin_a_phone(engine)
    settings = dataclasses.replace(settings, clinic_crisis_line=CRISIS_LINE)
    receive(sms("STOP", 1, sender=CRISIS_LINE), settings, engine=engine, flood=unlimited)
    assert "Text START" in queued_to(engine, CRISIS_LINE)[-1]
    assert any(CRISIS_LINE in text and "STOP" in text for text in queued_to(engine, ADMIN_PHONE))
    with session_scope(engine) as session:
        assert "texted STOP" in (crisis_line_stopped(session, settings) or "")

    receive(sms(CRISIS, 2), settings, engine=engine, flood=unlimited)
    ran_out = _walk_the_chain(engine, settings, utcnow(), rounds=2)
    assert _tiers_paged(engine) == [PageTier.PRIMARY, PageTier.BACKUP, PageTier.ADMIN]
    assert not any("Reply ACK" in text for text in queued_to(engine, CRISIS_LINE))
    assert any("nobody has acknowledged" in text for text in queued_to(engine, ADMIN_PHONE))

    receive(sms("START", 3, sender=CRISIS_LINE), settings, engine=engine, flood=unlimited)
    assert "again" in queued_to(engine, CRISIS_LINE)[-1]
    assert any(CRISIS_LINE in text and "START" in text for text in queued_to(engine, ADMIN_PHONE))
    # The next round, once the repeat is due, ends with the crisis line again.
    repeat = ran_out + timedelta(minutes=settings.page_repeat_minutes, seconds=1)
    with session_scope(engine) as session:
        advance_pages(session, repeat, settings)
    _walk_the_chain(engine, settings, repeat, rounds=2)
    assert _tiers_paged(engine)[-1] == PageTier.CRISIS_LINE
    assert any("Reply ACK" in text for text in queued_to(engine, CRISIS_LINE))


def test_a_page_refused_because_the_crisis_line_opted_out_at_twilio_is_recorded_as_its_stop(
    engine: Engine, settings: Settings, unlimited: FloodControl
) -> None:
    """The crisis line texted STOP where WiseMind did not see it: Twilio refuses its page
    (21610). That is recorded as its STOP, the admins are told, and the chain runs out now."""
    _give_the_admin_a_phone(engine)
    settings = dataclasses.replace(settings, clinic_crisis_line=CRISIS_LINE)
    receive(sms(CRISIS, 1), settings, engine=engine, flood=unlimited)
    paged_at = _walk_the_chain(engine, settings, utcnow(), rounds=2)
    with session_scope(engine) as session:
        page = session.execute(select(Page).where(Page.tier == PageTier.CRISIS_LINE)).scalar_one()
        refused = SendError("twilio-21610", transient=False)
        record_failure(session, page.message_id, refused, paged_at)
        advance_pages(session, paged_at, settings)
        assert crisis_line_stopped(session, settings) is not None
    assert any("refused a page to the clinic's crisis line" in text
               for text in queued_to(engine, ADMIN_PHONE))  # fmt: skip
    assert any("nobody has acknowledged" in text for text in queued_to(engine, ADMIN_PHONE))


def _database_down(engine: Engine, tmp_path: Path) -> Engine:
    """An engine for the same server whose database is not there: every store fails."""
    if engine.dialect.name == "sqlite":
        return create_engine(engine.url.set(database=str(tmp_path / "gone" / "db.sqlite")))
    return create_engine(engine.url.set(database="wisemind_no_such_database"))


def test_when_the_database_is_down_a_crisis_sms_still_gets_the_crisis_numbers(
    engine: Engine, settings: Settings, unlimited: FloodControl, tmp_path: Path
) -> None:
    down = _database_down(engine, tmp_path)
    decision = receive(sms(CRISIS), settings, engine=down, flood=unlimited)
    assert decision.direct_reply is not None and "988" in decision.direct_reply
    ordinary = receive(sms("hello", 2), settings, engine=down, flood=unlimited)
    assert ordinary.direct_reply is not None and "send it again" in ordinary.direct_reply
    assert "988" in ordinary.direct_reply


def test_when_the_database_is_down_a_telegram_update_fails_so_telegram_sends_it_again(
    engine: Engine, settings: Settings, unlimited: FloodControl, tmp_path: Path
) -> None:
    update = parse_update(text_update(1, int(DEMO_CHAT), CRISIS), "123")
    assert update is not None and update.message is not None
    with pytest.raises(OperationalError):
        receive(update.message, settings, engine=_database_down(engine, tmp_path), flood=unlimited)


@pytest.mark.parametrize("channel", ["sms", "telegram"])
def test_a_crisis_message_with_a_nul_character_is_stored_screened_and_paged(
    engine: Engine, settings: Settings, unlimited: FloodControl, channel: str
) -> None:
    """NUL is valid in a Twilio form and in Telegram's JSON (so is a lone surrogate there,
    a "\\ud83d" without its pair); PostgreSQL text holds neither."""
    text = "i want to kill\x00 myself tonight"
    if channel == "sms":
        params = inbound_sms_params(DEMO_PHONE, "+15005550000", text)
        message = sms_message(TwilioForm.parse(urlencode(params).encode()))
    else:
        update = parse_update(text_update(5, int(DEMO_CHAT), text + "\ud83d"), "123")
        assert update is not None and update.message is not None
        message = update.message
    decision = receive(message, settings, engine=engine, flood=unlimited)
    assert decision.message_id is not None
    assert inbound(engine, decision.message_id).body == "i want to kill myself tonight"
    assert escalations(engine)
    assert any("DEMO0001" in page for page in queued_to(engine, "+15005550001"))


def test_a_long_message_keeps_the_passage_around_the_risk_as_evidence(
    engine: Engine, settings: Settings, unlimited: FloodControl
) -> None:
    body = "work was long and boring. " * 300 + "and tonight i am going to kill myself."
    receive(sms(body), settings, engine=engine, flood=unlimited)
    with session_scope(engine) as session:
        evidence = session.execute(select(Escalation.evidence)).scalar_one()
    assert "kill myself" in evidence
    assert len(evidence) < 1000


def test_a_message_the_detector_cannot_score_is_kept_and_escalated(
    engine: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch, unlimited: FloodControl
) -> None:
    def broken(text: str) -> None:
        raise RuntimeError("detector fault")

    monkeypatch.setattr("bot.intake.screening.assess", broken)
    decision = receive(sms("hello"), settings, engine=engine, flood=unlimited)
    assert decision.message_id is not None
    assert queued_to(engine, DEMO_PHONE) == []
    ((level, categories),) = escalations(engine)
    assert level == "high" and "screening_failed" in categories


def test_a_bad_clinic_time_zone_keeps_the_message_and_the_retry_loop_pages_once_fixed(
    engine: Engine, settings: Settings, unlimited: FloodControl
) -> None:
    broken = dataclasses.replace(settings, clinic_timezone="Mars/Olympus_Mons")
    decision = receive(sms(CRISIS), broken, engine=engine, flood=unlimited)
    assert decision.deferred and decision.message_id is not None
    kept = inbound(engine, decision.message_id)
    assert kept.body == CRISIS and kept.screened_at is None
    assert escalations(engine) == []

    later = utcnow() + SCREENING_GRACE
    assert screen_pending(broken, engine=engine, now=later) == 0  # still broken: kept, not lost
    assert screen_pending(settings, engine=engine, now=later) == 1
    assert [level for level, _ in escalations(engine)] in (["high"], ["imminent"])
    assert any("988" in text for text in queued_to(engine, DEMO_PHONE))
    assert any("DEMO0001" in page for page in queued_to(engine, "+15005550001"))
    assert screen_pending(settings, engine=engine, now=later) == 0  # screened once


@pytest.mark.parametrize("check_in", [False, True], ids=["crisis text", "yes to the check-in"])
def test_a_half_edited_env_file_does_not_stop_a_running_servers_crisis_reply_and_page(
    engine: Engine,
    settings: Settings,
    unlimited: FloodControl,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    check_in: bool,
) -> None:
    """A server reads its settings once, as it starts: editing .env changes nothing until then."""
    monkeypatch.setenv("WISEMIND_HOME", str(tmp_path))
    monkeypatch.setenv("WISEMIND_VAR_DIR", str(tmp_path / "var"))
    process_settings()  # the server starts, its settings valid
    # The operator adds Telegram to .env one line at a time: the token saved, its secret not yet.
    (tmp_path / ".env").write_text("WISEMIND_TELEGRAM_TOKEN=123456:ABC-new-bot\n")
    if check_in:
        asked(engine, SafetyQuestion.CHECK_IN)
    decision = receive(sms("yes" if check_in else CRISIS), settings, engine=engine, flood=unlimited)
    assert not decision.deferred
    assert any("alerted a person" in text for text in queued_to(engine, DEMO_PHONE))
    assert any("DEMO0001" in page for page in queued_to(engine, "+15005550001"))


def _escalation_times_out(monkeypatch: pytest.MonkeyPatch) -> None:
    def failing(*args: object, **kwargs: object) -> None:
        raise TimeoutError("database lock timeout")

    monkeypatch.setattr("bot.escalation.record_risk", failing)


def test_an_escalation_error_does_not_lose_the_message(
    engine: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch, unlimited: FloodControl
) -> None:
    _escalation_times_out(monkeypatch)
    decision = receive(sms(CRISIS), settings, engine=engine, flood=unlimited)
    assert decision.deferred
    assert inbound(engine, decision.message_id or 0).screened_at is None
    monkeypatch.undo()
    assert screen_pending(settings, engine=engine, now=utcnow() + SCREENING_GRACE) == 1
    assert len(escalations(engine)) == 1


def test_the_detector_runs_outside_any_write_transaction(
    engine: Engine,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
    unlimited: FloodControl,
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's single write lock is what a long detector run would hold")
    import sqlite3

    from bot import safety

    writable: list[bool] = []
    real_assess = safety.assess

    def probing(text: str) -> object:
        probe = sqlite3.connect(database_url.removeprefix("sqlite:///"), timeout=0)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.rollback()
            writable.append(True)
        except sqlite3.OperationalError:
            writable.append(False)
        finally:
            probe.close()
        return real_assess(text)

    monkeypatch.setattr("bot.intake.screening.assess", probing)
    receive(sms(CRISIS), settings, engine=engine, flood=unlimited)
    screen_pending(settings, engine=engine)
    assert writable == [True]


def test_an_opted_out_client_is_screened_and_paged_but_not_answered(
    engine: Engine, settings: Settings, unlimited: FloodControl
) -> None:
    receive(sms("STOP", 1), settings, engine=engine, flood=unlimited)
    (confirmation,) = queued_to(engine, DEMO_PHONE)
    assert "unsubscribed" in confirmation and "988" in confirmation
    decision = receive(sms(CRISIS, 2), settings, engine=engine, flood=unlimited)
    assert decision.hand_off is None
    assert len(queued_to(engine, DEMO_PHONE)) == 1
    assert any("DEMO0001" in page for page in queued_to(engine, "+15005550001"))
    assert inbound(engine, decision.message_id or 0).status == "processed"


def _reply_to(engine: Engine, settings: Settings, flood: FloodControl, text: str, sid: int) -> str:
    """The whole reply queued to the demo client's ``text``, however many SMS it takes."""
    before = len(queued_to(engine, DEMO_PHONE))
    receive(sms(text, sid), settings, engine=engine, flood=flood)
    return " ".join(queued_to(engine, DEMO_PHONE)[before:])


@pytest.mark.parametrize(
    "locale, stopped, restarted, helped",
    [
        ("en", "You're unsubscribed", "Welcome back", "Not an emergency service"),
        ("es", "Ya no recibirás mensajes", "Qué bueno tenerte de vuelta", "No es un servicio"),
    ],
)
def test_stop_start_and_help_are_answered_in_the_clients_language_naming_the_english_keywords(
    engine: Engine,
    settings: Settings,
    unlimited: FloodControl,
    locale: str,
    stopped: str,
    restarted: str,
    helped: str,
) -> None:
    """Carriers act on STOP, START and HELP in English only: every language names them so."""
    speaks(engine, locale)
    stop, start, help_ = (
        _reply_to(engine, settings, unlimited, keyword, sid)
        for sid, keyword in enumerate(("STOP", "START", "HELP"), start=1)
    )
    assert stopped in stop and "START" in stop and crisis_line(locale) in stop
    assert restarted in start and "MENU" in start
    assert helped in help_ and "STOP" in help_ and crisis_line(locale) in help_


@pytest.mark.parametrize(
    "locale, words",
    [("en", "Could you answer me in words?"), ("es", "¿Me respondes con palabras?")],
)
def test_a_voice_note_to_are_you_safe_right_now_is_asked_for_words_in_the_clients_language(
    engine: Engine, settings: Settings, unlimited: FloodControl, locale: str, words: str
) -> None:
    """Asked "¿Estás a salvo ahora mismo?", a Spanish speaker who answers by voice is asked
    in Spanish to answer in words, with the Spanish crisis line."""
    speaks(engine, locale)
    asked(engine, SafetyQuestion.SAFE_NOW)
    receive(sms("", 1, media=True), settings, engine=engine, flood=unlimited)
    (reply,) = queued_to(engine, DEMO_PHONE)
    assert words in reply and crisis_line(locale) in reply
    assert segment_count(reply) <= MAX_SEGMENTS_PER_SMS  # one SMS, in Spanish's UCS-2 too


@pytest.mark.parametrize("locale, words", [("en", "was saved"), ("es", "quedó guardado")])
async def test_a_message_the_assistant_fails_on_gets_the_apology_in_the_clients_language(
    engine: Engine,
    settings: Settings,
    unlimited: FloodControl,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    locale: str,
    words: str,
) -> None:
    monkeypatch.setenv("WISEMIND_DATABASE_URL", database_url)  # the SMS output's own database
    speaks(engine, locale)
    decision = receive(sms("ok"), settings, engine=engine, flood=unlimited)
    assert decision.hand_off is not None and decision.client_id is not None

    async def failing_assistant(message: UserMessage) -> None:
        raise RuntimeError("the assistant failed on this message")

    output = SmsOutput(decision.client_id, DEMO_PHONE)
    await process_inbound(failing_assistant, decision.hand_off, output, "twilio")
    (apology,) = queued_to(engine, DEMO_PHONE)
    assert apology == with_numbers(PROCESSING_ERROR_REPLY, locale)
    assert words in apology and crisis_line(locale) in apology


def test_an_opted_out_clients_unanswered_message_is_closed_not_answered_on_recovery(
    engine: Engine, settings: Settings, unlimited: FloodControl
) -> None:
    decision = receive(sms("hi", 1), settings, engine=engine, flood=unlimited)
    assert decision.hand_off is not None
    with session_scope(engine) as session:
        demo_client(session).opted_out_at = utcnow()
    assert claimed_after_its_server_died(engine) == []
    assert inbound(engine, decision.message_id or 0).status == "processed"


def test_an_unanswered_message_is_taken_again_only_when_its_server_is_gone(
    engine: Engine, settings: Settings, unlimited: FloodControl
) -> None:
    decision = receive(sms("hi", 1), settings, engine=engine, flood=unlimited)
    assert decision.hand_off is not None
    assert claim_handoffs("sms", engine=engine) == []  # still in its server's hands
    (again,) = claimed_after_its_server_died(engine)
    assert again.message_id == decision.message_id and again.text == "hi"
    finish_handoff(again.message_id, answered=True, engine=engine)
    with session_scope(engine) as session:
        # Stored a moment ago by a server that died before deciding it: no wait of 30 s.
        session.add(
            Message(client_id=demo_client(session).id, channel="sms", direction="inbound",
                    address=DEMO_PHONE, body="are you there", status="received",
                    screened_at=utcnow())
        )  # fmt: skip
    (fresh,) = claim_handoffs("sms", engine=engine)
    assert fresh.text == "are you there"


def test_a_stranger_learns_nothing_and_nothing_of_theirs_is_kept(
    engine: Engine, settings: Settings, unlimited: FloodControl
) -> None:
    decision = receive(sms("hey", sender=STRANGER_PHONE), settings, engine=engine, flood=unlimited)
    assert decision.direct_reply is not None and "isn't linked" in decision.direct_reply
    with session_scope(engine) as session:
        assert session.execute(select(Message.id)).first() is None


def test_a_risky_message_from_a_new_phone_gets_the_crisis_numbers_and_is_kept(
    engine: Engine, settings: Settings, unlimited: FloodControl
) -> None:
    decision = receive(sms(CRISIS, sender=STRANGER_PHONE), settings, engine=engine, flood=unlimited)
    assert decision.direct_reply is not None and "988" in decision.direct_reply
    assert "alerted" not in decision.direct_reply
    kept = inbound(engine, decision.message_id or 0)
    assert kept.client_id is None and kept.risk_level in ("high", "imminent")


@pytest.mark.parametrize(
    "locale, text, words",
    [
        ("en", "i feel like everyone would be better off without me", "isn't linked"),
        ("es", "siento que todos estarían mejor sin mí", "no está vinculado"),
    ],
)
def test_a_stranger_at_moderate_risk_is_answered_in_the_language_they_write_in(
    engine: Engine,
    settings: Settings,
    unlimited: FloodControl,
    locale: str,
    text: str,
    words: str,
) -> None:
    """As a high-risk stranger gets the crisis reply in the language they write in."""
    decision = receive(sms(text, sender=STRANGER_PHONE), settings, engine=engine, flood=unlimited)
    assert decision.direct_reply is not None and decision.message_id is not None
    assert words in decision.direct_reply and crisis_line(locale) in decision.direct_reply


def test_crisis_texts_from_many_unknown_numbers_ring_the_on_call_phone_three_times_then_once(
    engine: Engine, settings: Settings, unlimited: FloodControl
) -> None:
    senders = [f"+1555000{n:04d}" for n in range(50)]
    for n, sender in enumerate(senders):
        decision = receive(sms(CRISIS, n, sender=sender), settings, engine=engine, flood=unlimited)
        # Every one of them is kept and gets the crisis numbers, whatever the alerts do.
        assert decision.direct_reply is not None and "988" in decision.direct_reply
        assert decision.message_id is not None
    at_once = queued_to(engine, ON_CALL_PHONE)
    assert len(at_once) == strangers.URGENT_ALERTS_PER_WINDOW
    assert all(sender in alert for sender, alert in zip(senders, at_once, strict=False))
    with session_scope(engine) as session:
        # Within the window nothing more; once it has passed, one summary with the count.
        assert strangers.send_summary(session, utcnow(), settings) == 0
        later = utcnow() + strangers.ALERT_WINDOW
        assert strangers.send_summary(session, later, settings) == 47
        assert strangers.send_summary(session, later, settings) == 0
    *_, summary = queued_to(engine, ON_CALL_PHONE)
    assert "47 risky messages came from 47 unregistered number(s)" in summary
    assert senders[3] in summary and "kill" not in summary


ON_CALL_PHONE = "+15005550001"
NEW_PHONE, THROWAWAY = "+15550004242", "+15550009999"
IMMINENT, MODERATE = "i took all my pills, goodbye", "i feel so hopeless"


def test_the_first_alert_of_a_quiet_window_names_its_one_message_and_sender(
    engine: Engine, settings: Settings, unlimited: FloodControl
) -> None:
    """One risky text from one unknown number: the on-call phone reads the single-sender
    alert, not "2 risky messages came from 1 unregistered number(s)"."""
    receive(sms(IMMINENT, 1, sender=NEW_PHONE), settings, engine=engine, flood=unlimited)
    (alert,) = queued_to(engine, ON_CALL_PHONE)
    assert alert.startswith("WiseMind: a risky message") and NEW_PHONE in alert, alert


def test_an_imminent_message_from_a_new_phone_is_told_at_once_after_a_throwaway_alert(
    engine: Engine, settings: Settings, unlimited: FloodControl
) -> None:
    """23:00, a throwaway number's "i feel so hopeless" gets the window's one alert; 23:04,
    a client on a new phone texts "i took all my pills, goodbye". The on-call phone hears
    of it at once, with its level, not in the next summary up to 10 minutes later."""
    receive(sms(MODERATE, 1, sender=THROWAWAY), settings, engine=engine, flood=unlimited)
    (first,) = queued_to(engine, ON_CALL_PHONE)
    assert "moderate risk" in first
    receive(sms(IMMINENT, 2, sender=NEW_PHONE), settings, engine=engine, flood=unlimited)
    _, alert = queued_to(engine, ON_CALL_PHONE)
    assert NEW_PHONE in alert and "imminent risk" in alert and "pills" not in alert


def test_a_stranger_whose_hopeless_text_was_told_is_told_again_when_they_write_goodbye(
    engine: Engine, settings: Settings, unlimited: FloodControl
) -> None:
    """A new phone's "i feel so hopeless" is told; twenty minutes later the same number
    writes "i took all my pills, goodbye": told again at once, as imminent. The same words
    again are not told a third time within the hour."""
    receive(sms(MODERATE, 1, sender=NEW_PHONE), settings, engine=engine, flood=unlimited)
    with session_scope(engine) as session:  # twenty minutes pass
        for message in session.execute(select(Message)).scalars():
            message.created_at -= timedelta(minutes=20)
            if message.alerted_at is not None:
                message.alerted_at -= timedelta(minutes=20)
    receive(sms(IMMINENT, 2, sender=NEW_PHONE), settings, engine=engine, flood=unlimited)
    receive(sms(IMMINENT, 3, sender=NEW_PHONE), settings, engine=engine, flood=unlimited)
    with session_scope(engine) as session:
        assert strangers.send_summary(session, utcnow() + strangers.ALERT_WINDOW, settings) == 0
    _, again = queued_to(engine, ON_CALL_PHONE)
    assert NEW_PHONE in again and "imminent risk" in again


def test_the_summary_names_the_number_of_the_most_urgent_stranger_first(
    engine: Engine, settings: Settings, unlimited: FloodControl
) -> None:
    """After the window's alerts ran out, three throwaway numbers text, then a client on
    a new phone texts "i took all my pills, goodbye". The summary names that number
    first, not after three others and not as "and 1 more"."""
    for n in range(strangers.URGENT_ALERTS_PER_WINDOW):
        receive(sms(CRISIS, n, sender=f"+1555000700{n}"), settings, engine=engine,
                flood=unlimited)  # fmt: skip
    for n in range(3):
        receive(sms(MODERATE, 10 + n, sender=f"+1555000800{n}"), settings, engine=engine,
                flood=unlimited)  # fmt: skip
    receive(sms(IMMINENT, 20, sender=NEW_PHONE), settings, engine=engine, flood=unlimited)
    assert len(queued_to(engine, ON_CALL_PHONE)) == strangers.URGENT_ALERTS_PER_WINDOW
    with session_scope(engine) as session:
        assert strangers.send_summary(session, utcnow() + strangers.ALERT_WINDOW, settings) == 4
    summary = queued_to(engine, ON_CALL_PHONE)[-1]
    assert f"({NEW_PHONE} (imminent risk), +15550008000 (moderate risk)," in summary, summary
    assert "and 1 more" in summary


def test_a_stranger_counted_as_and_1_more_is_named_when_they_write_again(
    engine: Engine, settings: Settings, unlimited: FloodControl
) -> None:
    """A burst of throwaway numbers texts crisis words at night; the first three ring the
    on-call phone, the next are held. A client on a new phone writes "i took all my pills,
    goodbye": held too, and the summary names three throwaway numbers "and 1 more". When
    the same person writes again, at the same level, their number is named: being counted
    is not being told."""
    for n in range(strangers.URGENT_ALERTS_PER_WINDOW + strangers.SUMMARY_NUMBERS):
        receive(sms(CRISIS, n, sender=f"+1555000700{n}"), settings, engine=engine,
                flood=unlimited)  # fmt: skip
    receive(sms(IMMINENT, 20, sender=NEW_PHONE), settings, engine=engine, flood=unlimited)
    with session_scope(engine) as session:
        assert strangers.send_summary(session, utcnow() + strangers.ALERT_WINDOW, settings) == 4
    assert "and 1 more" in queued_to(engine, ON_CALL_PHONE)[-1]
    assert not any(NEW_PHONE in alert for alert in queued_to(engine, ON_CALL_PHONE))
    receive(sms(IMMINENT, 21, sender=NEW_PHONE), settings, engine=engine, flood=unlimited)
    with session_scope(engine) as session:
        assert strangers.send_summary(session, utcnow() + 2 * strangers.ALERT_WINDOW, settings)
    assert NEW_PHONE in queued_to(engine, ON_CALL_PHONE)[-1]


def test_a_risky_message_from_a_new_phone_tells_the_on_call_therapist_once_without_its_words(
    engine: Engine, settings: Settings, unlimited: FloodControl
) -> None:
    receive(sms(CRISIS, 1, sender=STRANGER_PHONE), settings, engine=engine, flood=unlimited)
    receive(sms(CRISIS, 2, sender=STRANGER_PHONE), settings, engine=engine, flood=unlimited)
    (alert,) = queued_to(engine, "+15005550001")
    assert STRANGER_PHONE in alert and "unregistered" in alert
    assert "kill" not in alert


@pytest.mark.parametrize(
    "locale, words", [("en", "didn't receive any text"), ("es", "No me llegó ningún texto")]
)
def test_an_mms_without_text_is_kept_and_gets_a_prompt(
    engine: Engine, settings: Settings, unlimited: FloodControl, locale: str, words: str
) -> None:
    speaks(engine, locale)
    decision = receive(sms("", media=True), settings, engine=engine, flood=unlimited)
    assert decision.hand_off is None
    assert inbound(engine, decision.message_id or 0).status == "processed"
    assert words in queued_to(engine, DEMO_PHONE)[0]


def test_a_flooding_sender_is_throttled_but_every_message_is_stored_and_screened(
    engine: Engine, settings: Settings
) -> None:
    flood = FloodControl(burst=2, refill_seconds=3600, clock=lambda: 0.0)
    decisions = [receive(sms(f"hi {n}", n), settings, engine=engine, flood=flood) for n in range(4)]
    crisis = receive(sms(CRISIS, 99), settings, engine=engine, flood=flood)
    assert [d.hand_off is not None for d in decisions] == [True, True, False, False]
    assert crisis.hand_off is None
    assert inbound(engine, crisis.message_id or 0).screened_at is not None
    assert any("988" in text for text in queued_to(engine, DEMO_PHONE))
    assert any("DEMO0001" in page for page in queued_to(engine, "+15005550001"))


def test_a_sender_spread_over_several_rasa_servers_is_throttled_once_not_per_server(
    engine: Engine, settings: Settings
) -> None:
    # Each Rasa server has its own engine (its own connections) on the one database.
    servers = [create_engine_for(engine.url.render_as_string(hide_password=False)) for _ in "ab"]
    flood = FloodControl(burst=3, refill_seconds=3600, clock=lambda: 0.0)
    try:
        decisions = [
            receive(sms(f"hi {n}", n), settings, engine=servers[n % 2], flood=flood)
            for n in range(6)
        ]
    finally:
        for server in servers:
            server.dispose()
    assert [d.hand_off is not None for d in decisions] == [True] * 3 + [False] * 3


def test_a_sender_is_answered_again_once_their_bucket_refills(
    engine: Engine, settings: Settings
) -> None:
    clock = [0.0]
    flood = FloodControl(burst=2, refill_seconds=10, clock=lambda: clock[0])

    def answered(sids: range) -> list[bool]:
        return [receive(sms("hi", sid), settings, engine=engine, flood=flood).hand_off is not None
                for sid in sids]  # fmt: skip

    assert answered(range(3)) == [True, True, False]
    clock[0] = 10.0
    assert answered(range(3, 5)) == [True, False]
    clock[0] = 1000.0  # idle long enough: a full burst again, not a thousand messages' worth
    assert answered(range(5, 8)) == [True, True, False]


def test_a_failure_of_flood_control_neither_throttles_nor_undoes_the_screening(
    engine: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch, unlimited: FloodControl
) -> None:
    def broken(*args: object) -> bool:
        raise OperationalError("UPSERT", {}, Exception("flood_buckets is locked"))

    monkeypatch.setattr(unlimited, "allow", broken)
    decision = receive(sms(CRISIS), settings, engine=engine, flood=unlimited)
    assert decision.hand_off is not None
    assert any("988" in text for text in queued_to(engine, DEMO_PHONE))
    assert any("DEMO0001" in page for page in queued_to(engine, "+15005550001"))


def test_help_shows_a_clinic_contact_with_braces_as_written(
    engine: Engine, settings: Settings, unlimited: FloodControl
) -> None:
    braces = dataclasses.replace(settings, clinic_contact="front desk {ext. 12}")
    receive(sms("HELP"), braces, engine=engine, flood=unlimited)
    (reply,) = queued_to(engine, DEMO_PHONE)
    assert "front desk {ext. 12}" in reply and "988" in reply


@pytest.mark.parametrize(
    "field, content",
    [
        ("caption", {"photo": [{"file_id": "p"}], "caption": "took all of these pills, goodbye"}),
        ("edited", {"text": CRISIS, "edit_date": 1_700_000_100}),
    ],
)
def test_a_telegram_caption_or_edit_is_screened_and_pages(
    engine: Engine, settings: Settings, unlimited: FloodControl, field: str, content: dict
) -> None:
    update = text_update(5, int(DEMO_CHAT), "x")
    message = update["message"]
    del message["text"]
    message.update(content)
    if field == "edited":
        update["edited_message"] = update.pop("message")
    settings = dataclasses.replace(settings, telegram=None)
    parsed = parse_update(update, "123")
    assert parsed is not None
    receive(parsed.message, settings, engine=engine, flood=unlimited)
    assert escalations(engine), field
    assert any("988" in text for text in queued_to(engine, DEMO_CHAT))
    assert any("DEMO0001" in page for page in queued_to(engine, "+15005550001"))


def test_a_telegram_broadcast_channel_post_is_ignored_so_no_crisis_reply_is_broadcast() -> None:
    update = text_update(1, int(DEMO_CHAT), CRISIS)
    update["message"]["chat"]["type"] = "channel"
    assert parse_update({"update_id": 1, "channel_post": update["message"]}, "123") is None


def test_a_new_telegram_message_reusing_an_old_update_id_is_not_taken_for_a_retry(
    engine: Engine, settings: Settings, unlimited: FloodControl
) -> None:
    first = parse_update(text_update(1, int(DEMO_CHAT), "hi", message_id=10), "123")
    # Telegram restarted its update_id sequence: same update_id, a new message.
    second = parse_update(text_update(1, int(DEMO_CHAT), "hello", message_id=11), "123")
    retry = parse_update(text_update(1, int(DEMO_CHAT), "hi", message_id=10), "123")
    assert first and second and retry
    assert not receive(first.message, settings, engine=engine, flood=unlimited).duplicate
    assert not receive(second.message, settings, engine=engine, flood=unlimited).duplicate
    assert receive(retry.message, settings, engine=engine, flood=unlimited).duplicate


def test_a_late_sent_report_does_not_undo_a_delivery_outcome(engine: Engine) -> None:
    from bot.message_log import record_delivery

    with session_scope(engine) as session:
        for _ in range(2):
            enqueue(session, client_id=None, channel="sms", address=DEMO_PHONE, body="x")
        rows = session.execute(select(Message).where(Message.direction == "outbound")).scalars()
        for row, sid in zip(rows, ("SMundelivered", "SMdelivered"), strict=True):
            row.provider_id, row.status = sid, "sent"
    with session_scope(engine) as session:
        record_delivery(session, "sms", "SMundelivered", "undeliverable", error="twilio-30003")
        record_delivery(session, "sms", "SMdelivered", "delivered")
    with session_scope(engine) as session:
        record_delivery(session, "sms", "SMundelivered", "sent")
        record_delivery(session, "sms", "SMdelivered", "sent")
    with session_scope(engine) as session:
        statuses = dict(
            session.execute(
                select(Message.provider_id, Message.status).where(Message.direction == "outbound")
            ).all()
        )
    assert statuses == {"SMundelivered": "undeliverable", "SMdelivered": "delivered"}


def test_a_retried_screening_does_not_repeat_itself_on_a_message_already_decided(
    engine: Engine, settings: Settings, unlimited: FloodControl
) -> None:
    receive(sms(CRISIS), settings, engine=engine, flood=unlimited)
    before = queued_to(engine, DEMO_PHONE)
    assert screen_pending(settings, engine=engine, now=utcnow() + timedelta(minutes=5)) == 0
    assert queued_to(engine, DEMO_PHONE) == before


def test_a_check_in_yes_taken_again_after_a_rasa_crash_does_not_get_the_crisis_reply_twice(
    engine: Engine, settings: Settings, unlimited: FloodControl
) -> None:
    asked(engine, SafetyQuestion.CHECK_IN)
    first = receive(sms("yes", 1), settings, engine=engine, flood=unlimited)
    assert first.hand_off is not None and first.hand_off.crisis_replied
    # The Rasa server that took it died; the next one claims it after the lease.
    (again,) = claimed_after_its_server_died(engine)
    assert again.message_id == first.hand_off.message_id and again.crisis_replied


def test_a_message_taken_in_while_no_rasa_server_runs_is_answered_by_the_next_one_once(
    engine: Engine, settings: Settings, unlimited: FloodControl
) -> None:
    """Twilio's fallback URL: stored, screened and paged at once; the assistant's turn waits."""
    decision = receive(sms(CRISIS), settings, engine=engine, flood=unlimited, handing_off=False)
    assert any("alerted a person" in text for text in queued_to(engine, DEMO_PHONE))
    assert any("DEMO0001" in page for page in queued_to(engine, "+15005550001"))
    (claimed,) = claim_handoffs("sms", engine=engine)
    assert claimed.message_id == decision.message_id and claimed.crisis_replied
    assert claim_handoffs("sms", engine=engine) == []


def test_the_assistant_reads_a_message_taken_in_at_the_fallback_before_a_newer_one(
    engine: Engine, settings: Settings, unlimited: FloodControl
) -> None:
    """While the Rasa server restarts, "i can't do this anymore, everyone would be better off
    without me" is taken in at the Fallback URL (screened, the check-in asked, the
    assistant's turn left for later). The server is back; the client answers "no" at the
    webhook. The "no" is not handed over before the message it answers: it waits behind
    it, and the Rasa server's recovery (woken: ``handoff_left``) hands both over in order."""
    first = receive(
        sms("i can't do this anymore, everyone would be better off without me", 1),
        settings, engine=engine, flood=unlimited, handing_off=False,
    )  # fmt: skip
    second = receive(sms("no", 2), settings, engine=engine, flood=unlimited)
    assert second.hand_off is None and second.handoff_left
    (read_first,) = claim_handoffs("sms", engine=engine)
    assert read_first.message_id == first.message_id
    # Not even a second Rasa server hands the "no" over while the first is answering.
    assert claim_handoffs("sms", engine=engine) == []
    finish_handoff(read_first.message_id, answered=True, engine=engine)
    (read_next,) = claim_handoffs("sms", engine=engine)
    assert read_next.message_id == second.message_id


def test_a_turn_longer_than_the_lease_is_not_answered_again_while_its_server_renews_it(
    engine: Engine, settings: Settings, unlimited: FloodControl
) -> None:
    """A turn of several slow actions outlasts the lease: the server still answering it
    renews its claim, so no second server answers it again; once renewals stop (the server
    died), the lease runs out and the message is taken again."""
    decision = receive(sms("hi", 1), settings, engine=engine, flood=unlimited, handing_off=False)
    start = utcnow()
    (claimed,) = claim_handoffs("sms", engine=engine, now=start)
    renewed = start + HANDOFF_LEASE * 0.9
    renew_handoff(claimed.message_id, engine=engine, now=renewed)
    assert claim_handoffs("sms", engine=engine, now=start + HANDOFF_LEASE * 1.5) == []
    (again,) = claim_handoffs("sms", engine=engine, now=renewed + HANDOFF_LEASE * 1.1)
    assert again.message_id == decision.message_id


def test_a_claim_outlasts_the_assistants_slowest_action() -> None:
    """A claim must not run out while Rasa still waits on one action (review 5 #6: 2
    minutes against Rasa's 5-minute action timeout), nor after one lost renewal."""
    assert timedelta(seconds=DEFAULT_REQUEST_TIMEOUT) < HANDOFF_LEASE
    assert HANDOFF_RENEWAL * 2 < HANDOFF_LEASE


async def test_a_direct_hand_off_still_being_answered_after_the_lease_is_not_claimed_again(
    engine: Engine,
    settings: Settings,
    unlimited: FloodControl,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Review 6 #11: an SMS handed to Rasa directly by the Rasa server's webhook, whose turn
    outlasts the lease (two slow actions: the action server hung), is not claimed again by
    the same server's recovery loop while it is still being answered: its turn renews the
    claim as the loop's turns do (every 50 ms here, for the test's sake)."""
    monkeypatch.setenv("WISEMIND_DATABASE_URL", database_url)
    monkeypatch.setattr("channels.outbox_output.HANDOFF_RENEWAL", timedelta(seconds=0.05))
    decision = receive(sms("no", 1), settings, engine=engine, flood=unlimited)
    assert decision.hand_off is not None and not decision.handoff_left  # handed over directly
    message_id = decision.hand_off.message_id
    taken_at = inbound(engine, message_id).handed_off_at
    assert taken_at is not None
    may_end = asyncio.Event()

    async def slow_assistant(message: UserMessage) -> None:
        await asyncio.wait_for(may_end.wait(), 20)

    output = SmsOutput(decision.client_id, DEMO_PHONE)
    turn = asyncio.create_task(process_inbound(slow_assistant, decision.hand_off, output, "twilio"))
    deadline = time.monotonic() + 5
    while inbound(engine, message_id).handed_off_at == taken_at and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    renewed_at = inbound(engine, message_id).handed_off_at
    assert renewed_at is not None and renewed_at > taken_at, "the direct hand-off is not renewed"
    # Past the first claim's lease, Rasa still answers: nobody claims the message again.
    still_answering = taken_at + HANDOFF_LEASE + (renewed_at - taken_at) / 2
    assert claim_handoffs("sms", engine=engine, now=still_answering) == []
    may_end.set()
    await asyncio.wait_for(turn, 5)
    assert inbound(engine, message_id).status == "processed"


def test_a_clients_next_message_while_the_assistant_answers_the_last_is_handed_over_at_once(
    engine: Engine, settings: Settings, unlimited: FloodControl
) -> None:
    """Only a message left for recovery holds a newer one back, not one being answered."""
    first = receive(sms("hello", 1), settings, engine=engine, flood=unlimited)
    second = receive(sms("can we do my diary card", 2), settings, engine=engine, flood=unlimited)
    assert first.hand_off is not None and second.hand_off is not None
    assert not second.handoff_left


def test_a_message_finished_by_the_retry_loop_is_answered_by_the_next_rasa_server_at_once(
    engine: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch, unlimited: FloodControl
) -> None:
    monkeypatch.setattr("bot.escalation.record_risk", lambda *a, **k: 1 / 0)
    decision = receive(sms(CRISIS), settings, engine=engine, flood=unlimited)
    monkeypatch.undo()
    assert screen_pending(settings, engine=engine, now=utcnow() + SCREENING_GRACE) == 1
    (hand_off,) = claim_handoffs("sms", engine=engine)
    assert hand_off.message_id == decision.message_id and hand_off.crisis_replied


def _screening_always_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fault after screening's escalation step, on every try: the decision never commits."""

    def failing(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a fault in deciding the reply")

    monkeypatch.setattr("bot.intake.pipeline._hand_off", failing)


@pytest.mark.parametrize("locale, saved", [("en", "was saved"), ("es", "quedó guardado")])
def test_a_message_whose_screening_keeps_failing_pages_a_person_and_the_client_gets_the_numbers(
    engine: Engine,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    unlimited: FloodControl,
    caplog: pytest.LogCaptureFixture,
    locale: str,
    saved: str,
) -> None:
    _screening_always_fails(monkeypatch)
    speaks(engine, locale)
    words = "can we do my diary card now please"
    decision = receive(sms(words), settings, engine=engine, flood=unlimited)
    assert decision.deferred and decision.message_id is not None
    start = utcnow() + SCREENING_GRACE
    for attempt in range(SCREENING_ATTEMPTS - 1):
        assert screen_pending(settings, engine=engine, now=start) == 0, attempt
        assert escalations(engine) == []  # still being retried
    assert screen_pending(settings, engine=engine, now=start) == 1
    ((level, categories),) = escalations(engine)
    assert level == "high" and "screening_failed" in categories
    (page,) = queued_to(engine, "+15005550001")
    assert "DEMO0001" in page and "diary" not in page
    (numbers,) = queued_to(engine, DEMO_PHONE)
    assert crisis_line(locale) in numbers and saved in numbers
    given_up = inbound(engine, decision.message_id)
    assert given_up.screened_at is not None and given_up.status == "failed"
    assert given_up.screening_attempts == SCREENING_ATTEMPTS
    # Marked: never tried again, the client is told once.
    assert screen_pending(settings, engine=engine, now=start + timedelta(minutes=5)) == 0
    assert len(queued_to(engine, DEMO_PHONE)) == 1
    assert words not in caplog.text and "diary" not in caplog.text


def test_a_message_still_unscreened_after_half_a_minute_goes_to_a_person_at_the_next_failure(
    engine: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch, unlimited: FloodControl
) -> None:
    _screening_always_fails(monkeypatch)
    receive(sms("hello", 1), settings, engine=engine, flood=unlimited)
    receive(sms("are you there", 2), settings, engine=engine, flood=unlimited)
    late = utcnow() + SCREENING_DEADLINE
    assert screen_pending(settings, engine=engine, now=late) == 2
    assert len(escalations(engine)) == 1  # both joined one escalation: one page
    assert len(queued_to(engine, "+15005550001")) == 1
    assert len(queued_to(engine, DEMO_PHONE)) == 1  # the numbers once, not per message


def test_a_message_that_cannot_even_be_escalated_is_still_marked_and_the_client_gets_the_numbers(
    engine: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch, unlimited: FloodControl
) -> None:
    _escalation_times_out(monkeypatch)
    decision = receive(sms(CRISIS), settings, engine=engine, flood=unlimited)
    late = utcnow() + SCREENING_DEADLINE
    assert screen_pending(settings, engine=engine, now=late) == 1
    assert inbound(engine, decision.message_id or 0).status == "failed"
    assert any("988" in text for text in queued_to(engine, DEMO_PHONE))
    assert screen_pending(settings, engine=engine, now=late) == 0


#: The Rasa server's public URL and the dashboard's (Twilio's Fallback URL) for the test below.
PUBLIC, FALLBACK = "https://sms.clinic.test", "https://dash.clinic.test"


def _signed(settings: Settings) -> Settings:
    return dataclasses.replace(
        settings,
        twilio=TwilioSettings(DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, "+15005550000"),
        public_url=PUBLIC,
        public_fallback_url=FALLBACK,
    )


async def _post(
    webhook: TwilioWebhook, url: str, params: dict[str, str], *, primary: bool
) -> WebhookAnswer:
    body, headers = signed_twilio_webhook(url, params)

    async def read() -> bytes:
        return body

    request = WebhookRequest(
        path=urlsplit(url).path,
        query="",
        signature=headers["X-Twilio-Signature"],
        content_type=headers["Content-Type"],
        read_body=read,
    )
    answer, _ = await webhook.receive_message(request, handing_off=primary)
    return answer


async def test_a_strangers_crisis_sms_retried_at_the_fallback_url_still_gets_the_crisis_numbers(
    engine: Engine, settings: Settings
) -> None:
    """A client texting from a new phone (unknown to WiseMind) sends
    "i took all my pills, goodbye". The Rasa server stores it and decides the reply (the crisis
    numbers, only in the TwiML answer: nothing is queued for a stranger), but answers after
    Twilio's 15 s timeout, so Twilio discards that answer and calls the Fallback URL with the
    same MessageSid. The fallback finds it stored and answers the crisis numbers again
    (Twilio sends only one of the two answers)."""
    settings = _signed(settings)
    params = inbound_sms_params(STRANGER_PHONE, "+15005550000", "i took all my pills, goodbye")
    primary = TwilioWebhook(settings, PUBLIC, engine)
    fallback = TwilioWebhook(settings, FALLBACK, engine)
    first: WebhookAnswer = await _post(primary, PUBLIC + WEBHOOK_PATH, params, primary=True)
    assert first.status == 200 and "988" in first.body  # decided, but Twilio stopped waiting
    again = await _post(fallback, FALLBACK + FALLBACK_PATH, params, primary=False)
    with session_scope(engine) as session:
        stored = session.execute(
            select(func.count()).where(Message.direction == "inbound")
        ).scalar_one()
    assert stored == 1  # stored once: the de-duplication itself is sound
    assert again.status == 200
    assert "988" in again.body, again.body


#: The secret Telegram echoes in the dashboard's Telegram webhook tests below.
TELEGRAM_SECRET = "s" * 32


def _with_telegram(settings: Settings) -> Settings:
    """Telegram configured; the Rasa server's address a free port (no Rasa server, unless a
    test starts one there)."""
    return dataclasses.replace(
        settings,
        telegram=TelegramSettings("123456:" + "A" * 35, TELEGRAM_SECRET),
        dashboard_secret="d" * 40,
        rasa_host="127.0.0.1",
        rasa_port=free_port(),
    )


def _post_update(http: TestClient, update: object, secret: str = TELEGRAM_SECRET) -> int:
    answer = http.post(TELEGRAM_WEBHOOK_PATH, json=update, headers={SECRET_HEADER: secret})
    return answer.status_code


def test_a_telegram_crisis_message_is_taken_in_while_no_rasa_server_runs(
    engine: Engine, settings: Settings
) -> None:
    """The Rasa server restarts (a crash, a deploy; loading the model takes minutes). The
    webhook Telegram is given is on the dashboard's process, which does not need Rasa:
    "i want to kill myself tonight" is stored and screened, the crisis reply is queued and
    the on-call therapist paged at once; the assistant's turn waits for the Rasa server."""
    with TestClient(create_app(_with_telegram(settings), engine)) as http:
        assert _post_update(http, text_update(9001, int(DEMO_CHAT), CRISIS)) == 200
    ((level, _),) = escalations(engine)
    assert level in ("high", "imminent")
    replies = "\n".join(queued_to(engine, DEMO_CHAT))
    assert "988" in replies and "alerted a person" in replies
    assert any("DEMO0001" in page for page in queued_to(engine, "+15005550001"))
    (waiting,) = claim_handoffs("telegram", engine=engine)  # the Rasa server, once it is back
    assert waiting.text == CRISIS and waiting.crisis_replied


def test_the_dashboards_telegram_webhook_refuses_a_wrong_secret_and_takes_a_redelivery_once(
    engine: Engine, settings: Settings
) -> None:
    """The same verification as on the Rasa server: the secret token, the body limit, and a
    message Telegram delivers again (its update_id restarted or not) stored once."""
    update = text_update(9002, int(DEMO_CHAT), "hello")
    stored_before = _stored_messages(engine)
    with TestClient(create_app(_with_telegram(settings), engine)) as http:
        assert _post_update(http, update, secret="guessed" * 5) == 403
        assert _stored_messages(engine) == stored_before  # nothing stored, nothing answered
        too_long = http.post(
            TELEGRAM_WEBHOOK_PATH,
            content=b"{" + b" " * MAX_WEBHOOK_BODY_BYTES + b"}",
            headers={SECRET_HEADER: TELEGRAM_SECRET, "Content-Type": "application/json"},
        )
        assert too_long.status_code == 413
        assert _post_update(http, update) == 200
        assert _post_update(http, update) == 200
    (taken,) = claim_handoffs("telegram", engine=engine)
    assert taken.text == "hello"


def _stored_messages(engine: Engine) -> int:
    with session_scope(engine) as session:
        return int(session.execute(select(func.count(Message.id))).scalar_one())


@contextlib.asynccontextmanager
async def _rasa_servers_telegram_channel(
    settings: Settings,
    assistant: Callable[[UserMessage], Awaitable[None]],
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[None]:
    """The Rasa server's Telegram channel (its routes and recovery loop) at ``settings``'
    Rasa address, with ``assistant`` in place of the trained model's answer."""
    # Sanic's own test mode: several apps may start in one process (one per test).
    monkeypatch.setattr(Sanic, "test_mode", True)
    app = Sanic(f"rasa_telegram_{secrets.token_hex(4)}")
    app.blueprint(TelegramInput(settings).blueprint(assistant), url_prefix="/webhooks/telegram")
    server = await app.create_server(
        host=settings.rasa_host, port=settings.rasa_port, return_asyncio_server=True
    )
    assert server is not None
    await server.startup()
    await server.after_start()  # the channel's recovery loop starts here, as in Rasa
    try:
        yield
    finally:
        await server.before_stop()
        server.close()
        await server.wait_closed()


async def _read_within(seconds: float, read: list[str], wanted: list[str]) -> list[str]:
    deadline = time.monotonic() + seconds
    while read != wanted and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    return read


def _recording_assistant() -> tuple[list[str], Callable[[UserMessage], Awaitable[None]]]:
    """An assistant that only records, in order, the texts it is handed."""
    read: list[str] = []

    async def assistant(message: UserMessage) -> None:
        read.append(message.text or "")

    return read, assistant


async def test_a_telegram_message_taken_in_by_the_dashboard_is_answered_by_the_rasa_server_at_once(
    engine: Engine, settings: Settings, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The dashboard's process takes the message in, then wakes the Rasa server, whose
    Telegram channel hands it to the assistant at once, not at its recovery loop's next
    pass (made a minute here, so that only the wake can explain a prompt answer)."""
    monkeypatch.setenv("WISEMIND_DATABASE_URL", database_url)
    monkeypatch.setattr("channels.outbox_output.RECOVERY_SECONDS", 60.0)
    settings = _with_telegram(settings)
    read, assistant = _recording_assistant()

    def post_to_dashboard(text: str, update_id: int) -> int:
        with TestClient(create_app(settings, engine)) as http:
            return _post_update(http, text_update(update_id, int(DEMO_CHAT), text))

    async with _rasa_servers_telegram_channel(settings, assistant, monkeypatch):
        await asyncio.sleep(1)  # its first pass, at start, finds nothing
        assert await asyncio.to_thread(post_to_dashboard, "hello", 9004) == 200
        assert await _read_within(5, read, ["hello"]) == ["hello"]
        # Now the loop surely waits out its minute: only the wake can bring this one.
        assert await asyncio.to_thread(post_to_dashboard, "can we do my diary card", 9005) == 200
        assert await _read_within(5, read, ["hello", "can we do my diary card"]) == [
            "hello",
            "can we do my diary card",
        ]


def _telegram(text: str, message_id: int, chat: str = DEMO_CHAT) -> InboundMessage:
    return InboundMessage("telegram", chat, text, provider_id=f"123:{chat}:{message_id}")


#: Another client of the demo clinic, on Telegram.
OTHER_CHAT = "888000"


def _add_other_telegram_client(engine: Engine) -> None:
    with session_scope(engine) as session:
        add_client(session, name="Other Client", therapist_email="therapist@demo.clinic",
                   timezone="America/New_York", telegram_chat_id=OTHER_CHAT)  # fmt: skip


def _taken_in_by_the_dashboard(
    settings: Settings, engine: Engine, text: str, chat: str, message_id: int = 1
) -> int:
    """A Telegram message taken in by the dashboard's process: its turn left to the Rasa
    server (which the dashboard then wakes)."""
    decision = receive(
        _telegram(text, message_id, chat), settings, engine=engine, handing_off=False
    )
    assert decision.handoff_left and decision.message_id is not None
    return decision.message_id


@contextlib.asynccontextmanager
async def _recovering(
    settings: Settings, assistant: Callable[[UserMessage], Awaitable[None]]
) -> AsyncIterator[asyncio.Event]:
    """The Rasa server's Telegram recovery loop, with ``assistant`` in place of the trained
    model's answer; yields the loop's wake-up. Stopped as the server stops it."""
    wake = asyncio.Event()
    recovering = asyncio.create_task(
        keep_recovering(assistant, TelegramOutput, "telegram", settings, wake)
    )
    try:
        yield wake
    finally:
        recovering.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(recovering, 5)


@pytest.mark.parametrize("other_writes", ["before the pass", "during the slow turn"])
async def test_a_slow_conversation_in_the_rasa_servers_recovery_holds_up_no_other_client(
    engine: Engine,
    settings: Settings,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    other_writes: str,
) -> None:
    """Every Telegram message reaches the assistant through the Rasa server's recovery now:
    one client's long turn (a slow action, up to Rasa's 5-minute action timeout) must not
    make another client wait for it, whether the other wrote before the loop's pass or a
    moment after the slow turn began (review 5 #6: the loop waited for the whole pass
    before it claimed again, woken or not). Here the demo client's turn lasts until the
    other client's message is read."""
    monkeypatch.setenv("WISEMIND_DATABASE_URL", database_url)
    settings = _with_telegram(settings)
    _add_other_telegram_client(engine)
    read: list[str] = []
    slow_turn_started, other_read = asyncio.Event(), asyncio.Event()

    async def assistant(message: UserMessage) -> None:
        read.append(message.text or "")
        if message.text == "hello":
            slow_turn_started.set()
            await asyncio.wait_for(other_read.wait(), 20)
        else:
            other_read.set()

    _taken_in_by_the_dashboard(settings, engine, "hello", DEMO_CHAT)
    if other_writes == "before the pass":
        _taken_in_by_the_dashboard(settings, engine, "i can't stop shaking", OTHER_CHAT)
    async with _recovering(settings, assistant) as wake:
        await asyncio.wait_for(slow_turn_started.wait(), 10)
        if other_writes == "during the slow turn":
            await asyncio.to_thread(
                _taken_in_by_the_dashboard, settings, engine, "i can't stop shaking", OTHER_CHAT
            )
            wake.set()
        try:
            await asyncio.wait_for(other_read.wait(), 5)
        except asyncio.TimeoutError:
            pytest.fail("the other client's message waits for the slow turn to end")
    assert read == ["hello", "i can't stop shaking"]


async def test_a_clients_message_sent_during_their_slow_turn_is_answered_after_it_and_once(
    engine: Engine, settings: Settings, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The demo client's "hello" takes long (a slow action); meanwhile they write again,
    and so does another client. The loop, woken and passing every 50 ms, answers the other
    client at once, but the demo client's second message only after their first, and once."""
    monkeypatch.setenv("WISEMIND_DATABASE_URL", database_url)
    monkeypatch.setattr("channels.outbox_output.RECOVERY_SECONDS", 0.05)
    settings = _with_telegram(settings)
    _add_other_telegram_client(engine)
    read: list[str] = []
    first_turn_may_end = asyncio.Event()

    async def assistant(message: UserMessage) -> None:
        read.append(message.text or "")
        if message.text == "hello":
            await asyncio.wait_for(first_turn_may_end.wait(), 20)

    ids = [_taken_in_by_the_dashboard(settings, engine, "hello", DEMO_CHAT)]
    async with _recovering(settings, assistant) as wake:
        assert await _read_within(5, read, ["hello"]) == ["hello"]
        for text, chat in (("can we do my diary card", DEMO_CHAT), ("good morning", OTHER_CHAT)):
            ids.append(
                await asyncio.to_thread(
                    _taken_in_by_the_dashboard, settings, engine, text, chat, len(ids) + 1
                )
            )
            wake.set()
        assert await _read_within(5, read, ["hello", "good morning"]) == ["hello", "good morning"]
        await asyncio.sleep(0.5)  # passes go on while "hello" is still being answered
        assert read == ["hello", "good morning"]
        first_turn_may_end.set()
        wanted = ["hello", "good morning", "can we do my diary card"]
        assert await _read_within(5, read, wanted) == wanted
        await asyncio.sleep(0.5)
    assert read == wanted
    assert [inbound(engine, message_id).status for message_id in ids] == ["processed"] * 3


async def test_an_answered_turn_whose_close_keeps_failing_is_never_answered_twice(
    engine: Engine,
    settings: Settings,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The assistant answered, but closing the message keeps failing: each failure is
    logged without the client's words, the loop goes on answering others, and the message
    is not handed to the assistant again, neither by this server nor, once it stops, at
    once by the next (it did answer; only a lapsed lease could take it again)."""
    monkeypatch.setenv("WISEMIND_DATABASE_URL", database_url)
    settings = _with_telegram(settings)
    _add_other_telegram_client(engine)
    read, assistant = _recording_assistant()

    failing = _taken_in_by_the_dashboard(settings, engine, "i can't stop shaking", DEMO_CHAT)

    def close_or_fail(message_id: int, *, answered: bool) -> None:
        if message_id == failing:
            raise OperationalError("UPDATE messages", {}, Exception("database is locked"))
        finish_handoff(message_id, answered=answered)

    monkeypatch.setattr("channels.outbox_output.finish_handoff", close_or_fail)
    async with _recovering(settings, assistant) as wake:
        assert await _read_within(5, read, ["i can't stop shaking"]) == ["i can't stop shaking"]
        await asyncio.to_thread(
            _taken_in_by_the_dashboard, settings, engine, "good morning", OTHER_CHAT
        )
        wake.set()
        wanted = ["i can't stop shaking", "good morning"]
        assert await _read_within(5, read, wanted) == wanted
        await asyncio.sleep(1)  # several tries at the close
    assert read == wanted
    assert f"closing message {failing} failed: OperationalError" in caplog.text
    assert "shaking" not in caplog.text
    assert inbound(engine, failing).status == "received"
    assert claim_handoffs("telegram", engine=engine) == []


async def test_a_client_whose_answered_turn_failed_to_close_is_not_held_for_the_lease(
    engine: Engine,
    settings: Settings,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Review 6 #10: the assistant answered the demo client's "no" to "are you safe right
    now?", but closing the message failed twice (the database briefly locked). The close is
    tried again until it holds: the client's "hello?? please answer" is read at once, not
    after the 6-minute lease, and the "no" is not read a second time."""
    monkeypatch.setenv("WISEMIND_DATABASE_URL", database_url)
    monkeypatch.setattr("channels.outbox_output.RECOVERY_SECONDS", 0.05)
    settings = _with_telegram(settings)
    read, assistant = _recording_assistant()

    failing = _taken_in_by_the_dashboard(settings, engine, "no", DEMO_CHAT)
    failures = 2

    def close_or_fail(message_id: int, *, answered: bool) -> None:
        nonlocal failures
        if message_id == failing and failures:
            failures -= 1
            raise OperationalError("UPDATE messages", {}, Exception("database is locked"))
        finish_handoff(message_id, answered=answered)

    monkeypatch.setattr("channels.outbox_output.finish_handoff", close_or_fail)
    async with _recovering(settings, assistant) as wake:
        assert await _read_within(5, read, ["no"]) == ["no"]
        later = await asyncio.to_thread(
            _taken_in_by_the_dashboard, settings, engine, "hello?? please answer", DEMO_CHAT, 2
        )
        wake.set()
        wanted = ["no", "hello?? please answer"]
        assert await _read_within(5, read, wanted) == wanted
        await asyncio.sleep(0.5)
    assert read == wanted
    assert f"closing message {failing} failed: OperationalError" in caplog.text
    assert "please answer" not in caplog.text
    assert [inbound(engine, id_).status for id_ in (failing, later)] == ["processed"] * 2


async def test_a_rasa_server_stopping_mid_turn_ends_the_turn_and_gives_the_message_up(
    engine: Engine, settings: Settings, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server stops (a deploy) while the assistant answers: the turn is cancelled and
    awaited, not left running, and the message is open and unclaimed, for the next server
    to take at once."""
    monkeypatch.setenv("WISEMIND_DATABASE_URL", database_url)
    settings = _with_telegram(settings)
    started, cut_off = asyncio.Event(), asyncio.Event()

    async def assistant(message: UserMessage) -> None:
        started.set()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cut_off.set()
            raise

    message_id = _taken_in_by_the_dashboard(settings, engine, "hello", DEMO_CHAT)
    async with _recovering(settings, assistant):
        await asyncio.wait_for(started.wait(), 10)
    assert cut_off.is_set()
    assert inbound(engine, message_id).status == "received"
    (again,) = claim_handoffs("telegram", engine=engine)
    assert again.message_id == message_id


async def test_a_client_cut_off_by_a_restart_is_answered_by_the_restarted_server_at_once(
    engine: Engine, settings: Settings, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Review 6 #9: the Rasa server is restarted (a deploy) while the assistant answers the
    demo client's "hello". The client, who writes "are you there? i need help" at once, is
    answered by the restarted server at once, "hello" first, not after the 6-minute lease."""
    monkeypatch.setenv("WISEMIND_DATABASE_URL", database_url)
    settings = _with_telegram(settings)
    read: list[str] = []
    started = asyncio.Event()

    async def cut_off_by_the_restart(message: UserMessage) -> None:
        started.set()
        await asyncio.sleep(60)

    async def assistant(message: UserMessage) -> None:
        read.append(message.text or "")

    _taken_in_by_the_dashboard(settings, engine, "hello", DEMO_CHAT)
    async with _recovering(settings, cut_off_by_the_restart):
        await asyncio.wait_for(started.wait(), 10)
    async with _recovering(settings, assistant) as wake:
        await asyncio.to_thread(
            _taken_in_by_the_dashboard, settings, engine, "are you there? i need help",
            DEMO_CHAT, 2,
        )  # fmt: skip
        wake.set()
        wanted = ["hello", "are you there? i need help"]
        assert await _read_within(5, read, wanted) == wanted


#: What the assistant says first to a "no" after "are you safe right now?".
FOLLOW_UP = "Thank you for telling me. Is anyone with you right now?"


async def test_a_client_cut_off_after_the_crisis_follow_up_is_not_asked_it_twice(
    engine: Engine, settings: Settings, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Review 7 #12: the demo client answers "no" to "are you safe right now?". The
    assistant has queued its follow-up ("Thank you for telling me. Is anyone with you right
    now?") and waits on its next action when the Rasa server is restarted (a deploy). The
    restarted server does not hand the "no" to the assistant again (Rasa keeps no record of
    a turn it did not finish, so the client would get the follow-up twice): the message is
    closed as failed, in the care team's message log, and the client's next message is
    answered at once. The on-call therapist was paged by the intake, before any of this."""
    monkeypatch.setenv("WISEMIND_DATABASE_URL", database_url)
    settings = _with_telegram(settings)
    replied = asyncio.Event()
    read: list[str] = []

    async def replies_then_is_cut_off(message: UserMessage) -> None:
        assert message.output_channel is not None
        await message.output_channel.send_text_message(message.sender_id or "", FOLLOW_UP)
        replied.set()
        await asyncio.sleep(60)  # the next action, cut off by the restart

    async def restarted_assistant(message: UserMessage) -> None:
        read.append(message.text or "")

    asked(engine, SafetyQuestion.SAFE_NOW)
    answered = _taken_in_by_the_dashboard(settings, engine, "no", DEMO_CHAT)
    paged = queued_to(engine, "+15005550001")
    assert any("DEMO0001" in page for page in paged)
    async with _recovering(settings, replies_then_is_cut_off):
        await asyncio.wait_for(replied.wait(), 10)
    async with _recovering(settings, restarted_assistant) as wake:
        await asyncio.to_thread(
            _taken_in_by_the_dashboard, settings, engine, "my sister is here", DEMO_CHAT, 2
        )
        wake.set()
        assert await _read_within(5, read, ["my sister is here"]) == ["my sister is here"]
    assert queued_to(engine, DEMO_CHAT).count(FOLLOW_UP) == 1
    assert inbound(engine, answered).status == "failed"
    assert queued_to(engine, "+15005550001") == paged


@pytest.mark.parametrize("channel", [Channel.TELEGRAM, Channel.SMS])
def test_a_rasa_server_stopped_mid_turn_leaves_the_message_to_the_next_server_at_once(
    engine: Engine,
    settings: Settings,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    channel: str,
) -> None:
    """Review 7 #13: a deploy stops `rasa run` while the assistant answers the demo
    client's "hello". Sanic 21.12 (`app.run`, then `sanic.server.runners.serve_single`)
    stops the loop, runs the before-stop listeners and closes the loop, cancelling only its
    own tasks: the channel stops its turns itself, so that the claim is given up and the
    next server answers the client at once, not after the 6-minute lease. Here the channel's
    blueprint runs on a real Sanic app, stopped by `app.stop` as SIGTERM stops it."""
    monkeypatch.setenv("WISEMIND_DATABASE_URL", database_url)
    monkeypatch.setattr(Sanic, "test_mode", True)  # one app per test in one process
    settings = _with_telegram(settings)
    if channel == Channel.TELEGRAM:
        message_id = _taken_in_by_the_dashboard(settings, engine, "hello", DEMO_CHAT)
        channel_input: TelegramInput | TwilioInput = TelegramInput(settings)
    else:
        decision = receive(sms("hello"), settings, engine=engine, handing_off=False)
        assert decision.handoff_left and decision.message_id is not None
        message_id = decision.message_id
        channel_input = TwilioInput(settings)
    app = Sanic(f"rasa_{channel}_{secrets.token_hex(4)}")
    started, cut_off = threading.Event(), threading.Event()

    async def assistant(message: UserMessage) -> None:
        started.set()
        asyncio.get_running_loop().call_soon(app.stop)  # SIGTERM, as Sanic's handler takes it
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cut_off.set()
            raise

    app.blueprint(channel_input.blueprint(assistant), url_prefix=f"/webhooks/{channel}")
    server = threading.Thread(
        target=app.run,
        kwargs={"host": settings.rasa_host, "port": settings.rasa_port, "motd": False,
                "access_log": False, "register_sys_signals": False},  # signals: main thread only
    )  # fmt: skip
    server.start()
    server.join(30)
    assert not server.is_alive(), "the server did not stop"
    assert started.is_set() and cut_off.is_set()
    assert inbound(engine, message_id).status == "received"
    (again,) = claim_handoffs(channel, engine=engine)
    assert again.message_id == message_id


def test_a_crisis_text_arriving_as_the_server_stops_is_answered_by_the_next_server_at_once(
    engine: Engine,
    settings: Settings,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    unlimited: FloodControl,
) -> None:
    """Review 8 #6: a deploy stops `rasa run` while Twilio's webhook for the demo client's
    "i want to kill myself tonight" is still in its handler (the intake runs in a thread).
    Sanic 21.12 (`sanic.server.runners.serve`) runs the before-stop listeners, drains the
    requests in flight with the loop running, then closes the loop. The client gets the
    crisis reply and the on-call therapist is paged in the handler, as always; no
    assistant's turn starts during the drain (nothing would end it before the close), and
    the message is given up, so that the next server answers the client at once, not
    after the 6-minute lease. The loop is driven here as Sanic drives it."""
    monkeypatch.setenv("WISEMIND_DATABASE_URL", database_url)
    loop = asyncio.new_event_loop()
    background = BackgroundTasks()
    read: list[str] = []

    async def assistant(message: UserMessage) -> None:
        read.append(message.text or "")
        await asyncio.sleep(60)

    async def webhook_ends_during_the_drain() -> None:
        decision = await asyncio.to_thread(
            receive, sms(CRISIS), settings, engine=engine, flood=unlimited
        )
        assert decision.hand_off is not None
        output = SmsOutput(decision.hand_off.client_id, decision.hand_off.address)
        await answer_after_webhook(background, assistant, decision.hand_off, output, "sms")

    try:
        loop.run_until_complete(background.stop())  # the before-stop listener
        loop.run_until_complete(webhook_ends_during_the_drain())
        loop.run_until_complete(asyncio.sleep(0.1))  # the drain's wait for idle connections
    finally:
        loop.close()
    assert read == []
    assert any("988" in text for text in queued_to(engine, DEMO_PHONE))
    assert any("DEMO0001" in page for page in queued_to(engine, "+15005550001"))
    assert [hand_off.text for hand_off in claim_handoffs("sms", engine=engine)] == [CRISIS]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_message_the_recovery_loop_is_claiming_as_the_server_stops_is_left_to_the_next_server(
    engine: Engine,
    settings: Settings,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Review 9 #7: a deploy stops `rasa run` while the recovery loop (every Telegram
    message, and any SMS left behind an older one or given up by a stopped server, is
    answered this way) is claiming the client's "hello" in its thread, held there by a busy
    database (another transaction locks the table for a moment). `BackgroundTasks.stop`
    cancels the loop at once; the thread runs on and its claim goes through after the
    stop. That claim is given back, so that the next server answers "hello" at once, not
    after the 6-minute lease, and only it holds the message. The loop is driven as Sanic
    21.12's `sanic.server.runners.serve` drives it on a stop (before-stop, drain, close)."""
    monkeypatch.setenv("WISEMIND_DATABASE_URL", database_url)
    decision = receive(sms("hello"), settings, engine=engine)
    assert decision.hand_off is not None
    message_id = decision.hand_off.message_id
    loop = asyncio.new_event_loop()
    background = BackgroundTasks()
    wake = asyncio.Event()
    locker = engine.connect()

    async def assistant(message: UserMessage) -> None:
        await asyncio.sleep(60)

    async def server_starts() -> None:  # its first pass finds nothing: the webhook holds it
        background.start(keep_recovering(assistant, SmsOutput, "sms", settings, wake))
        await asyncio.sleep(1.0)

    async def loop_woken() -> None:
        wake.set()
        await asyncio.sleep(1.0)  # claim_handoffs waits in its thread for the lock

    try:
        loop.run_until_complete(server_starts())
        release_handoff(message_id, engine=engine)  # a server gave "hello" up
        transaction = locker.begin()
        locker.exec_driver_sql("LOCK TABLE messages IN ACCESS EXCLUSIVE MODE")
        loop.run_until_complete(loop_woken())
        loop.run_until_complete(background.stop())  # Sanic's before_server_stop
        transaction.commit()  # the database answers: the thread's claim goes through
        loop.run_until_complete(asyncio.sleep(0.1))  # the drain
    finally:
        locker.close()
        loop.close()  # Sanic's end
    assert [hand_off.text for hand_off in _claimed_by_the_next_server(engine)] == ["hello"]
    time.sleep(0.5)  # whatever the stopped server's thread still did, it did not undo that
    assert inbound(engine, message_id).handed_off_at is not None


def test_a_message_claimed_just_as_the_server_stops_is_left_to_the_next_server(
    engine: Engine,
    settings: Settings,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Review 9 #7, the other order: the recovery pass's claim on "hello" is committed in its
    thread, and the stop cancels the pass before the claimed messages reach it (the
    result is dropped with the cancellation). The pass gives them back as it ends, so that
    the next server answers "hello" at once, not after the 6-minute lease."""
    monkeypatch.setenv("WISEMIND_DATABASE_URL", database_url)
    decision = receive(sms("hello"), settings, engine=engine)
    assert decision.hand_off is not None
    release_handoff(decision.hand_off.message_id, engine=engine)  # a server gave it up
    claiming, claimed = threading.Event(), threading.Event()

    def claim_then_return(channel: str, **kwargs: object) -> list[HandOff]:
        claiming.wait(10)
        try:
            return claim_handoffs(channel, engine=engine)
        finally:
            claimed.set()

    monkeypatch.setattr("channels.outbox_output.claim_handoffs", claim_then_return)
    loop = asyncio.new_event_loop()
    background = BackgroundTasks()
    wake = asyncio.Event()
    read: list[str] = []

    async def assistant(message: UserMessage) -> None:
        read.append(message.text or "")
        await asyncio.sleep(60)

    try:
        loop.run_until_complete(_recovery_started(background, assistant, settings, wake))
        claiming.set()
        assert claimed.wait(10)
        time.sleep(0.2)  # the thread returns; its result waits for the loop, which is stopped
        loop.run_until_complete(background.stop())  # Sanic's before_server_stop
        loop.run_until_complete(asyncio.sleep(0.1))  # the drain
    finally:
        loop.close()
    assert read == []
    assert [hand_off.text for hand_off in _claimed_by_the_next_server(engine)] == ["hello"]


async def _recovery_started(
    background: BackgroundTasks,
    assistant: Callable[[UserMessage], Awaitable[None]],
    settings: Settings,
    wake: asyncio.Event,
) -> None:
    """Start the recovery loop as the channels do and let it reach its first claim."""
    background.start(keep_recovering(assistant, SmsOutput, "sms", settings, wake))
    await asyncio.sleep(0.5)


def _claimed_by_the_next_server(engine: Engine) -> list[HandOff]:
    """What the next server's recovery claims within a few seconds of its start."""
    deadline = time.monotonic() + 5
    while not (claimed := claim_handoffs("sms", engine=engine)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return claimed


async def test_channels_setup_asks_telegram_for_edited_messages_too(
    settings: Settings,
) -> None:
    """Review 5 #9: Telegram sends only the updates the webhook asks for; without
    ``edited_message`` a client who edits "i'm ok" into "i'm not ok, i took the pills" is
    read by nobody."""
    from bot.channel_setup import set_up_channels
    from bot.settings import TelegramSettings
    from tests.standins.telegram import DEFAULT_TOKEN, TelegramStandin

    with TelegramStandin() as standin:
        configured = dataclasses.replace(
            settings,
            telegram=TelegramSettings(DEFAULT_TOKEN, "s" * 32, api_url=standin.url),
            twilio=None,
        )
        assert await set_up_channels(configured, lambda line: None) == 0
        webhook = standin.webhook
    assert webhook is not None
    allowed = webhook.params.get("allowed_updates")
    if isinstance(allowed, str):
        allowed = json.loads(allowed)
    assert allowed is None or "edited_message" in allowed, allowed
