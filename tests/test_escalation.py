"""Escalations and paging: who is paged, when, with what words, and what stops it."""

from __future__ import annotations

import dataclasses
import logging
from datetime import datetime, time, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.clinic import (
    add_client,
    add_therapist,
    client_by_code,
    oncall_for,
    set_oncall,
    therapist_by_email,
)
from bot.demo import DEMO_CLIENT_CODE, seed_demo
from bot.escalation import (
    EscalationError,
    acknowledge,
    acknowledge_escalation,
    advance_pages,
    crisis_line_reply,
    page_delivery,
    person_alerted,
    record_risk,
    resolve_escalation,
    staff_reply,
)
from bot.outbox import SendError, record_failure, record_sent
from bot.settings import Settings, TwilioSettings, load_settings
from bot.staff import deactivate_therapist
from bot.storage.enums import (
    EscalationEventKind,
    EscalationStatus,
    MessageStatus,
    PageStatus,
    PageTier,
)
from bot.storage.models import (
    Client,
    Escalation,
    Message,
    OncallShift,
    Page,
    Therapist,
    utcnow,
)

CLIENT_WORDS = "i have the pills here and i am going to take them tonight"
CRISIS_LINE = "+15005550009"


@pytest.fixture
def settings() -> Settings:
    return dataclasses.replace(
        load_settings(),
        twilio=TwilioSettings("AC" + "0" * 32, "token", "+15005550000"),
        clinic_crisis_line=CRISIS_LINE,
        page_ack_timeout_seconds=300,
    )


PRIMARY, BACKUP, ADMIN = "therapist@clinic.test", "backup@clinic.test", "admin@clinic.test"
PRIMARY_SMS, BACKUP_SMS, ADMIN_SMS = "+15005550011", "+15005550013", "+15005550020"
CLIENT_SMS = "+15005550016"
#: The demo clinic's on-call numbers (``wisemind demo seed``).
DEMO_NUMBERS = {"+15005550001", "+15005550003"}


@pytest.fixture
def client(db_session: Session) -> Client:
    """A real (not demo) clinic: an admin, a primary and a backup on call all day, a client."""
    add_therapist(db_session, email=ADMIN, name="Ada Admin", role="admin", sms_number=ADMIN_SMS)
    add_therapist(db_session, email=PRIMARY, name="Dr. Primary", sms_number=PRIMARY_SMS)
    add_therapist(db_session, email=BACKUP, name="Dr. Backup", sms_number=BACKUP_SMS)
    set_oncall(db_session, therapist_email=PRIMARY, role="primary")
    set_oncall(db_session, therapist_email=BACKUP, role="backup")
    added, _ = add_client(
        db_session,
        name="Robin Client",
        therapist_email=PRIMARY,
        timezone="America/New_York",
        sms_number=CLIENT_SMS,
    )
    return added


def _staff(session: Session, email: str) -> Therapist:
    therapist = therapist_by_email(session, email)
    assert therapist is not None
    return therapist


def _risk(session: Session, client: Client, settings: Settings, level: str = "imminent",
          evidence: str = CLIENT_WORDS, at: object = None):  # type: ignore[no-untyped-def]  # fmt: skip
    return record_risk(
        session, client, level=level, categories=["plan_means"], evidence=evidence,
        now=at or utcnow(), settings=settings,
    )  # fmt: skip


def _pages(session: Session) -> list[Page]:
    return list(session.execute(select(Page).order_by(Page.id)).scalars())


def test_a_high_risk_pages_the_primary_with_no_client_words(
    db_session: Session, client: Client, settings: Settings
) -> None:
    outcome = _risk(db_session, client, settings)
    assert outcome.opened and outcome.alerted
    (page,) = _pages(db_session)
    assert (page.tier, page.address) == (PageTier.PRIMARY, PRIMARY_SMS)
    message = db_session.get(Message, page.message_id)
    assert message is not None and message.status == MessageStatus.QUEUED
    assert client.code in message.body and outcome.code in message.body
    assert "imminent" in message.body
    for word in CLIENT_WORDS.split():
        if len(word) > 3:
            assert word not in message.body.lower()
    escalation = db_session.get(Escalation, outcome.escalation_id)
    assert escalation is not None and CLIENT_WORDS in escalation.evidence


def test_further_risk_adds_evidence_to_the_open_escalation_without_paging_again(
    db_session: Session, client: Client, settings: Settings
) -> None:
    first = _risk(db_session, client, settings)
    second = _risk(db_session, client, settings, evidence="still here with them")
    assert second.escalation_id == first.escalation_id and not second.opened
    assert len(_pages(db_session)) == 1
    escalation = db_session.get(Escalation, first.escalation_id)
    assert escalation is not None and "still here with them" in escalation.evidence


def test_moderate_risk_is_flagged_without_a_page_until_it_becomes_high(
    db_session: Session, client: Client, settings: Settings
) -> None:
    flagged = _risk(db_session, client, settings, level="moderate", evidence="whats the point")
    assert flagged.opened and not flagged.alerted
    assert _pages(db_session) == []
    raised = _risk(db_session, client, settings, level="high", evidence="i want to die")
    assert raised.level == "high" and raised.alerted
    assert len(_pages(db_session)) == 1


def test_no_acknowledgement_in_time_pages_the_backup_then_the_crisis_line(
    db_session: Session, client: Client, settings: Settings
) -> None:
    start = utcnow()
    _risk(db_session, client, settings, at=start)
    assert advance_pages(db_session, start + timedelta(seconds=299), settings) == 0
    assert advance_pages(db_session, start + timedelta(seconds=301), settings) == 1
    primary, backup = _pages(db_session)
    assert primary.status == PageStatus.SUPERSEDED
    assert (backup.tier, backup.address) == (PageTier.BACKUP, BACKUP_SMS)
    advance_pages(db_session, start + timedelta(seconds=602), settings)
    assert [(p.tier, p.address) for p in _pages(db_session)][-1] == (
        PageTier.CRISIS_LINE,
        CRISIS_LINE,
    )


def _fail_send(session: Session, page: Page, code: str, *, transient: bool, at: datetime) -> None:
    """The outbox's record of a failed send of ``page`` (claimed first, as the worker does)."""
    message = session.get(Message, page.message_id)
    assert message is not None
    message.status, message.attempts = MessageStatus.SENDING, message.attempts + 1
    record_failure(session, message.id, SendError(code, transient=transient), at)


@pytest.mark.parametrize(
    ("code", "transient"), [("twilio-21211", False), ("twilio-503", True)], ids=["refused", "5xx"]
)
def test_a_failed_page_moves_to_the_backup_at_once_only_when_the_provider_refused_it_for_good(
    db_session: Session, client: Client, settings: Settings, code: str, transient: bool
) -> None:
    start = utcnow()
    _risk(db_session, client, settings, at=start)
    (primary,) = _pages(db_session)
    _fail_send(db_session, primary, code, transient=transient, at=start)
    moved = advance_pages(db_session, start + timedelta(seconds=5), settings)
    if transient:
        # Retried to the same person by the outbox, while the acknowledgement timer runs on.
        assert moved == 0 and [p.address for p in _pages(db_session)] == [PRIMARY_SMS]
        message = db_session.get(Message, primary.message_id)
        assert message is not None and message.status == MessageStatus.FAILED
        moved = advance_pages(db_session, start + timedelta(seconds=301), settings)
    assert moved == 1
    assert [p.address for p in _pages(db_session)] == [PRIMARY_SMS, BACKUP_SMS]
    assert _pages(db_session)[0].status == (
        PageStatus.SUPERSEDED if transient else PageStatus.FAILED
    )


def test_a_client_is_not_told_a_person_was_alerted_when_the_only_page_could_not_be_delivered(
    db_session: Session, client: Client, settings: Settings
) -> None:
    start = utcnow()
    first = _risk(db_session, client, settings, at=start)
    assert first.alerted
    (primary,) = _pages(db_session)
    _fail_send(db_session, primary, "twilio-21211", transient=False, at=start)
    # Before the scheduler has moved the chain on, more risk arrives: nobody has it yet.
    again = _risk(db_session, client, settings, at=start + timedelta(seconds=1))
    assert not again.alerted
    advance_pages(db_session, start + timedelta(seconds=2), settings)
    assert _risk(db_session, client, settings, at=start + timedelta(seconds=3)).alerted


def test_a_page_in_transient_retry_does_not_count_as_a_person_alerted_until_it_is_sent(
    db_session: Session, client: Client, settings: Settings
) -> None:
    start = utcnow()
    outcome = _risk(db_session, client, settings, at=start)
    (primary,) = _pages(db_session)
    _fail_send(db_session, primary, "telegram-NetworkError", transient=True, at=start)
    escalation = db_session.get(Escalation, outcome.escalation_id)
    assert not person_alerted(db_session, escalation, settings)
    record_sent(db_session, primary.message_id or 0, "SM1")
    assert person_alerted(db_session, escalation, settings)


def test_ack_stops_the_escalation_going_further(
    db_session: Session, client: Client, settings: Settings
) -> None:
    start = utcnow()
    outcome = _risk(db_session, client, settings, at=start)
    therapist = therapist_by_email(db_session, PRIMARY)
    assert therapist is not None
    reply = staff_reply(db_session, therapist, f"ack {outcome.code.lower()}", start)
    assert "Acknowledged" in reply and client.code in reply
    assert advance_pages(db_session, start + timedelta(hours=1), settings) == 0
    escalation = db_session.get(Escalation, outcome.escalation_id)
    assert escalation is not None and escalation.acknowledged_by == therapist.id
    assert [p.status for p in _pages(db_session)] == [PageStatus.ACKNOWLEDGED]


def test_an_unknown_ack_code_says_so_and_other_texts_get_instructions(
    db_session: Session, client: Client
) -> None:
    therapist = therapist_by_email(db_session, PRIMARY)
    assert therapist is not None
    assert "no open alert" in acknowledge(db_session, therapist, "ZZZZZZ", utcnow())
    assert "ACK <code>" in staff_reply(db_session, therapist, "hello?", utcnow())


def test_with_nobody_on_call_the_backup_or_crisis_line_is_paged_at_once(
    db_session: Session, client: Client, settings: Settings
) -> None:
    for shift in db_session.execute(select(OncallShift)).scalars():
        db_session.delete(shift)
    db_session.flush()
    _risk(db_session, client, settings)
    assert [(p.tier, p.address) for p in _pages(db_session)] == [
        (PageTier.CRISIS_LINE, CRISIS_LINE)
    ]


def test_without_any_paging_channel_nobody_is_paged_and_the_client_is_not_told_so(
    db_session: Session, client: Client, settings: Settings
) -> None:
    outcome = _risk(db_session, client, dataclasses.replace(settings, twilio=None))
    assert outcome.opened and not outcome.alerted
    assert _pages(db_session) == []


# --- lifecycle: open -> acknowledged -> resolved ------------------------------------


def test_dashboard_acknowledgement_stops_paging_and_records_who_when_and_how(
    db_session: Session, client: Client, settings: Settings
) -> None:
    start = utcnow()
    outcome = _risk(db_session, client, settings, at=start)
    backup = _staff(db_session, BACKUP)
    advance_pages(db_session, start + timedelta(seconds=301), settings)
    later = start + timedelta(seconds=330)
    escalation = acknowledge_escalation(
        db_session,
        escalation_id=outcome.escalation_id,
        therapist=backup,
        now=later,
        via="dashboard",
    )
    assert escalation.status == EscalationStatus.ACKNOWLEDGED
    assert (escalation.acknowledged_by, escalation.acknowledged_at) == (backup.id, later)
    assert escalation.acknowledged_via == "dashboard"
    assert advance_pages(db_session, start + timedelta(hours=1), settings) == 0
    kinds = [(e.kind, e.therapist_id, e.via) for e in escalation.events]
    assert kinds[0][0] == EscalationEventKind.OPENED
    assert (EscalationEventKind.ACKNOWLEDGED, backup.id, "dashboard") in kinds


def test_resolving_needs_a_note_and_keeps_it_with_who_and_when(
    db_session: Session, client: Client, settings: Settings
) -> None:
    outcome = _risk(db_session, client, settings)
    primary = _staff(db_session, PRIMARY)
    with pytest.raises(EscalationError, match="note is required"):
        resolve_escalation(
            db_session, escalation_id=outcome.escalation_id, therapist=primary, note="  ",
            now=utcnow(),
        )  # fmt: skip
    done = utcnow()
    escalation = resolve_escalation(
        db_session, escalation_id=outcome.escalation_id, therapist=primary,
        note="Called Robin; safe with partner; safety plan reviewed.", now=done,
    )  # fmt: skip
    assert escalation.status == EscalationStatus.RESOLVED
    assert (escalation.resolved_by, escalation.resolved_at) == (primary.id, done)
    assert escalation.resolution_note == "Called Robin; safe with partner; safety plan reviewed."
    assert {p.status for p in _pages(db_session)} == {PageStatus.SUPERSEDED}


def test_acknowledging_twice_or_after_resolution_is_refused_clearly(
    db_session: Session, client: Client, settings: Settings
) -> None:
    outcome = _risk(db_session, client, settings)
    primary = _staff(db_session, PRIMARY)
    acknowledge_escalation(
        db_session, escalation_id=outcome.escalation_id, therapist=primary, now=utcnow(), via="sms"
    )
    with pytest.raises(EscalationError, match="already acknowledged"):
        acknowledge_escalation(
            db_session, escalation_id=outcome.escalation_id, therapist=primary, now=utcnow(),
            via="dashboard",
        )  # fmt: skip
    resolve_escalation(
        db_session, escalation_id=outcome.escalation_id, therapist=primary, note="ok", now=utcnow()
    )
    with pytest.raises(EscalationError, match="already resolved"):
        resolve_escalation(
            db_session, escalation_id=outcome.escalation_id, therapist=primary, note="again",
            now=utcnow(),
        )  # fmt: skip
    with pytest.raises(EscalationError, match="no escalation 999"):
        acknowledge_escalation(
            db_session, escalation_id=999, therapist=primary, now=utcnow(), via="dashboard"
        )


def test_a_therapist_with_no_part_in_it_may_not_acknowledge(
    db_session: Session, client: Client, settings: Settings
) -> None:
    outcome = _risk(db_session, client, settings)
    stranger, _ = add_therapist(db_session, email="other@clinic.test", name="Dr. Other")
    with pytest.raises(EscalationError, match="may not act"):
        acknowledge_escalation(
            db_session, escalation_id=outcome.escalation_id, therapist=stranger, now=utcnow(),
            via="dashboard",
        )  # fmt: skip
    admin = _staff(db_session, ADMIN)
    escalation = acknowledge_escalation(
        db_session, escalation_id=outcome.escalation_id, therapist=admin, now=utcnow(),
        via="dashboard",
    )  # fmt: skip
    assert escalation.acknowledged_by == admin.id


def test_an_ack_by_staff_with_no_part_in_it_reveals_no_client_even_once_acknowledged(
    db_session: Session, client: Client, settings: Settings
) -> None:
    outcome = _risk(db_session, client, settings)
    other, _ = add_therapist(db_session, email="other@clinic.test", name="Dr. Other")
    before = staff_reply(db_session, other, f"ACK {outcome.code}", utcnow())
    staff_reply(db_session, _staff(db_session, PRIMARY), f"ACK {outcome.code}", utcnow())
    after = staff_reply(db_session, other, f"ACK {outcome.code}", utcnow())
    for reply in (before, after):
        assert client.code not in reply and "no open alert" in reply
    escalation = db_session.get(Escalation, outcome.escalation_id)
    assert escalation is not None and escalation.acknowledged_by != other.id


def test_ack_by_text_goes_through_the_same_lifecycle(
    db_session: Session, client: Client, settings: Settings
) -> None:
    outcome = _risk(db_session, client, settings)
    primary = _staff(db_session, PRIMARY)
    staff_reply(db_session, primary, f"ACK {outcome.code}", utcnow(), via="telegram")
    escalation = db_session.get(Escalation, outcome.escalation_id)
    assert escalation is not None and escalation.acknowledged_via == "telegram"
    assert escalation.events[-1].kind == EscalationEventKind.ACKNOWLEDGED


# --- the pager: re-paging, repeating, waiting for someone reachable ------------------


def _addresses(session: Session) -> list[tuple[str, str]]:
    return [(p.tier, p.address) for p in _pages(session)]


def test_new_risk_after_an_acknowledgement_pages_the_on_call_primary_again_then_the_chain(
    db_session: Session, client: Client, settings: Settings
) -> None:
    start = utcnow()
    outcome = _risk(db_session, client, settings, at=start, level="high", evidence="i want to die")
    staff_reply(db_session, _staff(db_session, PRIMARY), f"ACK {outcome.code}", start)
    later = start + timedelta(minutes=20)
    again = _risk(db_session, client, settings, at=later, evidence=CLIENT_WORDS)
    assert again.escalation_id == outcome.escalation_id and again.alerted
    escalation = db_session.get(Escalation, outcome.escalation_id)
    assert escalation is not None and escalation.status == EscalationStatus.OPEN
    # The acknowledger is the on-call primary: paged once, as the primary.
    assert _addresses(db_session)[1:] == [(PageTier.PRIMARY, PRIMARY_SMS)]
    advance_pages(db_session, later + timedelta(seconds=301), settings)
    assert _addresses(db_session)[-1] == (PageTier.BACKUP, BACKUP_SMS)


def test_new_risk_after_a_recent_acknowledgement_pages_the_on_call_primary_and_the_acknowledger(
    db_session: Session, client: Client, settings: Settings
) -> None:
    """The admin (off the rota) acknowledged ten minutes ago and may be on the phone with
    the client: she hears of the new risk too, at the same moment as the on-call primary,
    and the chain does not wait on her."""
    start = utcnow()
    outcome = _risk(db_session, client, settings, at=start, level="high", evidence="i want to die")
    staff_reply(db_session, _staff(db_session, ADMIN), f"ACK {outcome.code}", start)
    later = start + timedelta(minutes=10)
    assert _risk(db_session, client, settings, at=later).alerted
    assert _addresses(db_session)[1:] == [
        (PageTier.PRIMARY, PRIMARY_SMS),
        (PageTier.ACKNOWLEDGER, ADMIN_SMS),
    ]
    advance_pages(db_session, later + timedelta(seconds=301), settings)
    assert _addresses(db_session)[3:] == [(PageTier.BACKUP, BACKUP_SMS)]


def test_new_crisis_after_the_crisis_line_acknowledged_pages_the_crisis_line_at_once(
    db_session: Session, client: Client, settings: Settings
) -> None:
    """At 2 a.m. nobody on the rota answered; the crisis line's counsellor texted ACK and
    called the client. Twenty minutes later the client writes of an overdose: the
    counsellor, who may be on the phone with them, is paged at once beside the on-call
    primary (with the client's name and callback, as any crisis-line page), and the
    chain does not wait on it. A day later the crisis line is not paged beside it."""
    start = utcnow()
    outcome = _risk(db_session, client, settings, at=start, level="high", evidence="i want to die")
    advance_pages(db_session, start + timedelta(seconds=301), settings)
    advance_pages(db_session, start + timedelta(seconds=602), settings)
    crisis_line_reply(db_session, f"ACK {outcome.code}", start + timedelta(seconds=700))
    later = start + timedelta(minutes=30)
    assert _risk(db_session, client, settings, at=later).alerted
    assert _addresses(db_session)[3:] == [
        (PageTier.PRIMARY, PRIMARY_SMS),
        (PageTier.ACKNOWLEDGER, CRISIS_LINE),
    ]
    message = db_session.get(Message, _pages(db_session)[-1].message_id)
    assert message is not None and "Robin Client" in message.body and CLIENT_SMS in message.body
    advance_pages(db_session, later + timedelta(seconds=301), settings)
    assert _addresses(db_session)[5:] == [(PageTier.BACKUP, BACKUP_SMS)]
    crisis_line_reply(db_session, f"ACK {outcome.code}", later + timedelta(seconds=400))
    assert _risk(db_session, client, settings, at=later + timedelta(days=1)).alerted
    assert _addresses(db_session)[6:] == [(PageTier.PRIMARY, PRIMARY_SMS)]


def test_new_risk_a_day_after_an_off_duty_acknowledgement_pages_only_who_is_on_call(
    db_session: Session, client: Client, settings: Settings
) -> None:
    """The clinical lead acknowledged a flag in the day and is off duty and asleep: the
    new crisis at night goes to the on-call therapist at once, not to her phone first."""
    start = utcnow()
    outcome = _risk(db_session, client, settings, at=start, level="high", evidence="i want to die")
    staff_reply(db_session, _staff(db_session, ADMIN), f"ACK {outcome.code}", start)
    later = start + timedelta(hours=13)
    assert _risk(db_session, client, settings, at=later).alerted
    assert _addresses(db_session)[1:] == [(PageTier.PRIMARY, PRIMARY_SMS)]


def test_an_exhausted_chain_alerts_the_admins_and_repeats_until_acknowledged(
    db_session: Session, client: Client, settings: Settings
) -> None:
    start = utcnow()
    outcome = _risk(db_session, client, settings, at=start)
    advance_pages(db_session, start + timedelta(seconds=301), settings)  # backup
    advance_pages(db_session, start + timedelta(seconds=602), settings)  # crisis line
    exhausted = start + timedelta(seconds=903)
    advance_pages(db_session, exhausted, settings)
    assert _addresses(db_session)[-1] == (PageTier.ADMIN, ADMIN_SMS)
    admin_message = db_session.get(Message, _pages(db_session)[-1].message_id)
    assert admin_message is not None and outcome.code in admin_message.body
    count = len(_pages(db_session))
    assert advance_pages(db_session, exhausted + timedelta(minutes=9), settings) == 0
    assert len(_pages(db_session)) == count
    advance_pages(db_session, exhausted + timedelta(minutes=10, seconds=1), settings)
    assert _addresses(db_session)[-1] == (PageTier.PRIMARY, PRIMARY_SMS)


def test_status_shouts_when_every_page_to_the_on_call_phones_was_refused(
    db_session: Session, client: Client, settings: Settings
) -> None:
    """The on-call numbers were typed wrong in the rota: Twilio refuses every page of the
    chain (21211) and it runs out; the admin's phone is right, so her "nobody has
    acknowledged" notice goes through. ``wisemind status`` still says PAGES REFUSED: the
    admins' notices are not pages that reached someone on call."""
    start = utcnow()
    _risk(db_session, client, settings, at=start)
    for step in range(3):
        at = start + timedelta(seconds=step)
        for page in _pages(db_session):
            if page.tier != PageTier.ADMIN and page.status == PageStatus.PENDING:
                _fail_send(db_session, page, "twilio-21211", transient=False, at=at)
        advance_pages(db_session, at, settings)
    (notice,) = [page for page in _pages(db_session) if page.tier == PageTier.ADMIN]
    assert notice.message_id is not None
    record_sent(db_session, notice.message_id, "SM" + "7" * 32)
    status = page_delivery(db_session, start + timedelta(seconds=5)).describe()
    assert "0 reached the provider, 3 refused" in status
    assert "PAGES REFUSED" in status, status


def test_new_risk_while_an_exhausted_chain_waits_pages_at_once(
    db_session: Session, client: Client, settings: Settings
) -> None:
    start = utcnow()
    _risk(db_session, client, settings, at=start)
    for step in (301, 602, 903):
        advance_pages(db_session, start + timedelta(seconds=step), settings)
    again = _risk(db_session, client, settings, at=start + timedelta(seconds=960))
    assert again.alerted
    assert _addresses(db_session)[-1] == (PageTier.PRIMARY, PRIMARY_SMS)


def test_an_escalation_with_nobody_reachable_is_paged_the_moment_someone_is(
    db_session: Session, client: Client, settings: Settings
) -> None:
    for shift in db_session.execute(select(OncallShift)).scalars():
        db_session.delete(shift)
    db_session.flush()
    no_line = dataclasses.replace(settings, clinic_crisis_line="")
    start = utcnow()
    outcome = _risk(db_session, client, no_line, at=start)
    # Only the admin could be told, at once: a notice, not a person on call to act.
    assert not outcome.alerted and _addresses(db_session) == [(PageTier.ADMIN, ADMIN_SMS)]
    assert advance_pages(db_session, start + timedelta(seconds=5), no_line) == 0
    assert len(_pages(db_session)) == 1  # the admins are told once, not every second
    set_oncall(db_session, therapist_email=BACKUP, role="primary")
    advance_pages(db_session, start + timedelta(seconds=6), no_line)
    assert _addresses(db_session)[-1] == (PageTier.PRIMARY, BACKUP_SMS)


def test_with_nobody_at_all_reachable_the_client_is_not_told_a_person_was_alerted(
    db_session: Session, client: Client, settings: Settings
) -> None:
    for shift in db_session.execute(select(OncallShift)).scalars():
        db_session.delete(shift)
    _staff(db_session, ADMIN).active = False
    db_session.flush()
    outcome = _risk(db_session, client, dataclasses.replace(settings, clinic_crisis_line=""))
    assert outcome.opened and not outcome.alerted and _pages(db_session) == []


def test_with_no_channel_configured_the_log_names_that_cause(
    db_session: Session, client: Client, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="bot.escalation")
    _risk(db_session, client, dataclasses.replace(settings, twilio=None, telegram=None))
    assert "no SMS or Telegram channel is configured" in caplog.text
    assert "nobody to page" not in caplog.text


def test_demo_staff_never_cover_a_real_therapists_gap_when_real_channels_are_on(
    db_session: Session, client: Client, settings: Settings, tmp_path: Path
) -> None:
    seed_demo(db_session, credentials_file=tmp_path / "creds.txt")
    for shift in db_session.execute(select(OncallShift)).scalars():
        if shift.therapist.email == PRIMARY:
            shift.start_time, shift.end_time = time(9), time(17)  # clinic hours only
    db_session.flush()
    night = datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc)  # 03:00 in New York
    outcome = _risk(
        db_session, client, dataclasses.replace(settings, clinic_crisis_line=""), at=night
    )
    paged = {address for _tier, address in _addresses(db_session)}
    assert not paged & DEMO_NUMBERS
    assert paged == {BACKUP_SMS}  # the real backup, not the demo primary
    assert outcome.alerted


def test_on_the_embedded_defaults_the_demo_staff_are_on_call(
    db_session: Session, tmp_path: Path
) -> None:
    seed_demo(db_session, credentials_file=tmp_path / "creds.txt")
    demo_client = client_by_code(db_session, DEMO_CLIENT_CODE)
    assert demo_client is not None
    on_call = oncall_for(db_session, utcnow(), "America/New_York", include_demo=False)
    assert on_call == {"primary": None, "backup": None}
    on_call = oncall_for(db_session, utcnow(), "America/New_York")
    assert on_call["primary"] is not None and on_call["primary"].is_demo


def test_the_crisis_line_page_carries_the_clients_name_and_callback_but_never_their_words(
    db_session: Session, client: Client, settings: Settings
) -> None:
    start = utcnow()
    outcome = _risk(
        db_session,
        client,
        dataclasses.replace(settings, dashboard_url="https://dash.clinic.test"),
        at=start,
    )
    for step in (301, 602):
        advance_pages(db_session, start + timedelta(seconds=step), settings)
    crisis_line = _pages(db_session)[-1]
    assert crisis_line.tier == PageTier.CRISIS_LINE
    message = db_session.get(Message, crisis_line.message_id)
    assert message is not None
    assert "Robin Client" in message.body and CLIENT_SMS in message.body
    assert outcome.code in message.body
    assert not any(word in message.body.lower() for word in CLIENT_WORDS.split() if len(word) > 4)
    first = db_session.get(Message, _pages(db_session)[0].message_id)
    assert first is not None and "Robin" not in first.body and CLIENT_SMS not in first.body
    assert f"https://dash.clinic.test/escalations/{outcome.escalation_id} " in first.body


def test_deactivating_the_paged_primary_moves_the_page_to_the_backup_at_once(
    db_session: Session, client: Client, settings: Settings
) -> None:
    outcome = _risk(db_session, client, settings)
    (first,) = _pages(db_session)
    primary = _staff(db_session, PRIMARY)
    deactivate_therapist(db_session, primary, by=_staff(db_session, ADMIN), now=utcnow())
    message = db_session.get(Message, first.message_id)
    assert message is not None and message.status == MessageStatus.UNDELIVERABLE
    assert advance_pages(db_session, utcnow(), settings) == 1
    second = _pages(db_session)[-1]
    assert (second.tier, second.address) == (PageTier.BACKUP, BACKUP_SMS)
    kinds = [event.kind for event in db_session.get(Escalation, outcome.escalation_id).events]  # type: ignore[union-attr]
    assert EscalationEventKind.PAGE_WITHDRAWN in kinds
    # A new escalation never pages the inactive primary: the backup is the first reached.
    other, _ = add_client(
        db_session, name="Sam Other", therapist_email=BACKUP, timezone="America/New_York"
    )
    assert _risk(db_session, other, settings).alerted
    assert _pages(db_session)[-1].address == BACKUP_SMS
