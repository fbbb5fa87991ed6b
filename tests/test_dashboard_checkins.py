"""The client page's schedules and reports (TestClient): check-ins, reminders, homework, chains.

Check-ins and reminders are set and stopped through :mod:`bot.reminders.manage`
(as ``wisemind checkin|reminders`` do); an answer is kept against the
occurrence it answers, and shown as text. The take-over's transcript refresh
is audited once per new message, not once per refresh.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.reminders.checkins import record_answer
from bot.reminders.delivery import claim_due
from bot.reminders.prompts import open_delivery
from bot.skills.chain import CHAIN_LINKS, save_chain
from bot.skills.homework import report_homework
from bot.storage import session_scope
from bot.storage.enums import ReminderKind
from bot.storage.models import Client, Homework, Reminder, utcnow
from tests.dashboard_support import Browser, Clinic, audit_rows, csrf_of, rows_of

CLIENT_ZONE = ZoneInfo("America/New_York")
XSS_ANSWER = '<img src=x onerror="alert(1)"> better than I feared'


def local(moment: datetime) -> str:
    """A moment as the form's datetime-local field sends it, in the client's time zone."""
    return moment.astimezone(CLIENT_ZONE).strftime("%Y-%m-%dT%H:%M")


def without_quiet_hours(clinic: Clinic, client_id: int) -> None:
    """Tests run at any hour: quiet hours would hold a check-in due now until the morning."""
    with session_scope(clinic.engine) as session:
        client = session.get(Client, client_id)
        assert client is not None
        client.quiet_start = client.quiet_end = time(0)


def client_answers_due_checkins(clinic: Clinic, client_id: int, answer: str) -> int:
    """The scheduler sends what is due and the client answers, as the reminder path stores it."""
    now = utcnow()
    with session_scope(clinic.engine) as session:
        claims, _ = claim_due(session, now)
        for claim in claims:
            assert open_delivery(session, claim.delivery_id, now) is not None
            assert record_answer(session, claim.delivery_id, client_id, answer, now)
        return len(claims)


def reminders_of(clinic: Clinic, client_id: int) -> list[Reminder]:
    return rows_of(
        clinic, select(Reminder).where(Reminder.client_id == client_id).order_by(Reminder.id)
    )


# --- check-ins -------------------------------------------------------------------------------


def test_a_check_in_scheduled_once_shows_the_answer_kept_against_it_as_text(
    browser: Browser, clinic: Clinic
) -> None:
    without_quiet_hours(clinic, clinic.client_a)
    browser.login(clinic.alice)
    question = "How did the talk with your mom go?"
    added = browser.post(
        f"/clients/{clinic.client_a}/checkins", text=question, repeat="once", on=local(utcnow())
    )
    assert added.status_code == 303
    assert added.headers["location"] == f"/clients/{clinic.client_a}#checkins"
    (row,) = audit_rows(clinic, "add_checkin")
    assert row.client_id == clinic.client_a and question not in (row.detail or "")
    page = browser.http.get(f"/clients/{clinic.client_a}").text
    assert question in page and "(once)" in page and ">pending<" in page

    assert client_answers_due_checkins(clinic, clinic.client_a, XSS_ANSWER) == 1
    page = browser.http.get(f"/clients/{clinic.client_a}").text
    assert XSS_ANSWER not in page
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt; better than I feared" in page
    assert "set by Alice Ng" in page


def test_a_recurring_check_in_lists_its_days_and_can_be_cancelled(
    browser: Browser, clinic: Clinic
) -> None:
    browser.login(clinic.alice)
    added = browser.http.post(
        f"/clients/{clinic.client_a}/checkins",
        data={
            "text": "Did you use a skill today?", "repeat": "recurring", "at": "09:00",
            "day": ["0", "3"], "csrf_token": browser.csrf,
        },
        follow_redirects=False,
    )  # fmt: skip
    assert added.status_code == 303
    page = browser.http.get(f"/clients/{clinic.client_a}").text
    assert "Mon, Thu at 9:00 AM (recurring)" in page
    (checkin,) = reminders_of(clinic, clinic.client_a)
    assert (checkin.kind, checkin.days, checkin.local_time) == ("checkin", "mon,thu", time(9))

    stopped = browser.post(
        f"/clients/{clinic.client_a}/reminders/{checkin.id}/stop", kind=ReminderKind.CHECKIN
    )
    assert stopped.status_code == 303
    assert stopped.headers["location"].endswith("#checkins")
    assert not reminders_of(clinic, clinic.client_a)[0].active
    assert "· stopped" in browser.http.get(f"/clients/{clinic.client_a}").text
    assert audit_rows(clinic, "stop_reminder")[0].detail == f"checkin {checkin.id}"


def test_a_check_in_without_a_question_or_in_the_past_is_refused_with_the_reason(
    browser: Browser, clinic: Clinic
) -> None:
    browser.login(clinic.alice)
    path = f"/clients/{clinic.client_a}/checkins"
    empty = browser.post(path, text=" ", repeat="once", on=local(utcnow() + timedelta(hours=1)))
    assert empty.status_code == 409 and "needs the therapist&#39;s question" in empty.text
    past = browser.post(path, text="How are you?", repeat="once", on="2020-01-01T09:00")
    assert past.status_code == 409 and "has already passed" in past.text
    no_time = browser.post(path, text="How are you?", repeat="recurring", at="")
    assert no_time.status_code == 409 and "a time like 09:00" in no_time.text
    assert reminders_of(clinic, clinic.client_a) == []
    assert not audit_rows(clinic, "add_checkin")


def test_another_therapists_clients_check_ins_are_out_of_reach_even_by_url(
    browser: Browser, clinic: Clinic
) -> None:
    browser.login(clinic.bob)
    bobs = browser.post(
        f"/clients/{clinic.client_b}/checkins",
        text="Mine", repeat="once", on=local(utcnow() + timedelta(days=1)),
    )  # fmt: skip
    assert bobs.status_code == 303
    (theirs,) = reminders_of(clinic, clinic.client_b)
    browser.post("/logout")
    browser.csrf = csrf_of(browser.http.get("/login").text)
    browser.login(clinic.alice)
    refused = browser.post(
        f"/clients/{clinic.client_b}/checkins",
        text="Not mine", repeat="once", on=local(utcnow() + timedelta(days=1)),
    )  # fmt: skip
    assert refused.status_code == 403
    assert browser.post(f"/clients/{clinic.client_b}/reminders/{theirs.id}/stop").status_code == 403
    # Through her own client's URL, someone else's check-in is not found either.
    sideways = browser.post(f"/clients/{clinic.client_a}/reminders/{theirs.id}/stop")
    assert sideways.status_code == 409 and "no active reminder" in sideways.text
    assert reminders_of(clinic, clinic.client_b)[0].active
    assert len(audit_rows(clinic, "access_denied")) == 2


# --- reminders and homework --------------------------------------------------------------------


def test_reminders_are_set_and_stopped_from_the_client_page(
    browser: Browser, clinic: Clinic
) -> None:
    browser.login(clinic.alice)
    path = f"/clients/{clinic.client_a}/reminders"
    diary = browser.post(path, kind="diary", repeat="recurring", at="21:00")
    assert diary.status_code == 303 and diary.headers["location"].endswith("#reminders")
    appointment = local(utcnow() + timedelta(days=3))
    assert browser.post(path, kind="session", repeat="once", on=appointment).status_code == 303
    practice = browser.post(path, kind="practice", text="TIPP", repeat="recurring", at="18:30")
    assert practice.status_code == 303
    page = browser.http.get(f"/clients/{clinic.client_a}").text
    assert "every day at 9:00 PM" in page and "skills practice: TIPP" in page
    assert "therapy session" in page
    missing = browser.post(path, kind="reengage", repeat="recurring", at="10:00")
    assert missing.status_code == 409 and "a number of days" in missing.text

    diary_id = reminders_of(clinic, clinic.client_a)[0].id
    assert browser.post(f"{path}/{diary_id}/stop").status_code == 303
    assert "every day at 9:00 PM" not in browser.http.get(f"/clients/{clinic.client_a}").text
    assert len(audit_rows(clinic, "add_reminder")) == 3
    assert audit_rows(clinic, "stop_reminder")[0].detail == f"diary {diary_id}"


def test_homework_reports_show_done_or_not_and_the_clients_words_as_text(
    browser: Browser, clinic: Clinic
) -> None:
    browser.login(clinic.alice)
    path = f"/clients/{clinic.client_a}/homework"
    due = (utcnow() + timedelta(days=2)).date().isoformat()
    assert browser.post(path, skill="tipp", due=due).status_code == 303
    assert browser.post(path, title="Fill in the chain worksheet", due=due).status_code == 303
    no_due = browser.post(path, title="Someday")
    assert no_due.status_code == 409 and "Give a due date" in no_due.text
    with session_scope(clinic.engine) as session:
        client = session.get(Client, clinic.client_a)
        assert client is not None
        tipp, worksheet = session.execute(
            select(Homework).where(Homework.client_id == client.id).order_by(Homework.id)
        ).scalars()
        assert tipp.title == "Practice TIPP" and tipp.skill_id == "tipp"
        report_homework(session, client, tipp.id, done=True, report=XSS_ANSWER, now=utcnow())
        report_homework(session, client, worksheet.id, done=False, report=None, now=utcnow())
    page = browser.http.get(f"/clients/{clinic.client_a}").text
    assert XSS_ANSWER not in page and "&lt;img src=x onerror=" in page
    assert ">done</span>" in page and ">not done</span>" in page


def test_chain_analyses_show_every_link_in_the_clients_words_and_a_paused_one_says_so(
    browser: Browser, clinic: Clinic
) -> None:
    done = {link.slot: f"{link.column} answer" for link in CHAIN_LINKS}
    done["chain_behavior"] = XSS_ANSWER
    with session_scope(clinic.engine) as session:
        client = session.get(Client, clinic.client_a)
        assert client is not None
        for answers, complete in ((done, True), ({"chain_behavior": "yelled at my boss"}, False)):
            save_chain(
                session, client, answers, chain_id=None, channel="sms", now=utcnow(),
                complete=complete,
            )  # fmt: skip
    browser.login(clinic.alice)
    page = browser.http.get(f"/clients/{clinic.client_a}").text
    chains = page[page.index('id="chains"') : page.index('id="homework"')]
    assert XSS_ANSWER not in chains and "&lt;img src=x onerror=" in chains
    for link in CHAIN_LINKS[1:]:
        assert f"<th>{link.label}</th>" in chains and f"{link.column} answer" in chains
    assert "yelled at my boss" in chains and "paused, not finished" in chains
    assert ">done</span>" in chains


# --- the take-over's refresh -----------------------------------------------------------------


def test_the_take_over_refresh_audits_each_new_message_once_not_every_refresh(
    browser: Browser, clinic: Clinic
) -> None:
    browser.login(clinic.alice)
    client_page = f"/clients/{clinic.client_a}"
    assert browser.post(f"{client_page}/takeover").status_code == 303
    page = browser.http.get(client_page).text
    assert f'hx-get="{client_page}/transcript"' in page
    for _ in range(3):
        refresh = browser.http.get(f"{client_page}/transcript", headers={"HX-Request": "true"})
        assert refresh.status_code == 200 and 'id="transcript"' in refresh.text
    assert audit_rows(clinic, "view_transcript") == []  # nothing new since the page was viewed

    clinic.client_texts(clinic.client_a, "are you still there?")
    for _ in range(3):
        refresh = browser.http.get(f"{client_page}/transcript", headers={"HX-Request": "true"})
        assert "are you still there?" in refresh.text
    (seen,) = audit_rows(clinic, "view_transcript")
    assert seen.client_id == clinic.client_a and seen.ip
    assert "still there" not in (seen.detail or "")

    # A fresh view of the page is always on record, and the refresh after it adds nothing.
    browser.http.get(client_page)
    browser.http.get(f"{client_page}/transcript", headers={"HX-Request": "true"})
    assert len(audit_rows(clinic, "view_transcript")) == 1
    assert browser.post(f"{client_page}/takeover/end").status_code == 303
    assert "hx-trigger" not in browser.http.get(f"{client_page}/transcript").text


def test_another_therapist_cannot_read_the_transcript_fragment(
    browser: Browser, clinic: Clinic
) -> None:
    browser.login(clinic.alice)
    assert browser.http.get(f"/clients/{clinic.client_b}/transcript").status_code == 403
