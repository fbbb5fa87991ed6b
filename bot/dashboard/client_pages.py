"""A client's page and what a therapist does there.

The record (diary trends, practices, chain analyses, homework and its reports, check-ins and
their answers, reminders, transcript), and the changes made from it:
enrolment codes, homework, check-ins and reminders (set and stopped through
:mod:`bot.reminders.manage`, as the CLI does), and take-over. Every view is
audited; so is every change (:meth:`~bot.dashboard.web.Dashboard.act`).

The transcript refreshes itself every few seconds during a take-over. A
refresh is audited only when it shows a message the therapist's latest
audited view of this client did not (the audit row names the newest message
shown), so an open page writes one row per new message, not one per refresh,
and every view of something new is still on record.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import Response
from starlette.routing import BaseRoute

from bot.clinic import ClinicError, new_enrolment_code, parse_clock
from bot.dashboard import queries
from bot.dashboard.access import client_for, is_admin, writable_client
from bot.dashboard.charts import diary_charts
from bot.dashboard.web import Dashboard, Visit, local_path, ticked_weekdays
from bot.reminders.commands import KIND_NAMES, describe_when
from bot.reminders.manage import add_for_client, remove
from bot.reminders.store import ReminderError
from bot.skills import load_library
from bot.skills.chain import CHAIN_LINKS
from bot.skills.homework import assign_homework, due_at_end_of
from bot.storage.enums import HomeworkStatus, ReminderDays, ReminderKind, Role
from bot.storage.models import AuditLog, Client, Therapist
from bot.takeover import active_takeover, hand_back, send_as_therapist, start_takeover

#: What a therapist can set from the client page (check-ins have a form of their own).
REMINDER_KINDS = (
    ReminderKind.DIARY,
    ReminderKind.PRACTICE,
    ReminderKind.HOMEWORK,
    ReminderKind.SESSION,
    ReminderKind.REENGAGE,
)
#: Audited views that show the transcript (the page, and its refresh during a take-over).
TRANSCRIPT_VIEWS = ("view_client", "view_transcript")
#: The form's choice between a one-off and a recurring schedule.
ONCE, RECURRING = "once", "recurring"


class ClientPages:
    """``/clients/<id>`` and the forms on it."""

    def __init__(self, web: Dashboard) -> None:
        self.web = web

    # --- the record ---------------------------------------------------------------------

    def client(
        self, db: Session, visit: Visit, *, notice: str = "", error: str = "", status: int = 200
    ) -> Response:
        client = client_for(db, visit.therapist, visit.int_param("client_id"))
        days = self._days(visit)
        record = queries.client_record(db, client, days=days, now=visit.now)
        local_now = visit.now.astimezone(ZoneInfo(client.timezone))
        start = local_now.date() - timedelta(days=days - 1)
        self.web.audit(
            db,
            visit,
            "view_client",
            client_id=client.id,
            detail=(
                f"diary {days} days, practices, chain analyses, homework, check-ins, reminders; "
                f"{record.transcript.audit_mark}"
            ),
        )
        staff = db.execute(select(Therapist)).scalars().all()
        return self.web.render(
            visit,
            "client.html",
            status,
            record=record,
            charts=diary_charts(record.diary, start, local_now.date()),
            windows=queries.TREND_WINDOWS,
            notice=notice,
            error=error,
            today=local_now.date(),
            local_now=local_now.strftime("%Y-%m-%dT%H:%M"),
            skills=sorted(load_library(), key=lambda skill: skill.name.lower()),
            staff_names={person.id: person.name for person in staff},
            other_therapists=[
                person
                for person in staff
                if person.active
                and person.role == Role.THERAPIST
                and person.id != client.therapist_id
            ],
            reminder_kinds=[(kind, KIND_NAMES[kind]) for kind in REMINDER_KINDS],
            reminder_names=KIND_NAMES,
            reminder_times={r.id: describe_when(r, client) for r in record.reminders},
            open_homework=[h for h in record.homework if h.status == HomeworkStatus.ASSIGNED],
            weekdays=ReminderDays.WEEKDAYS,
            chain_links=CHAIN_LINKS,
        )

    def transcript(self, db: Session, visit: Visit) -> Response:
        """The transcript alone, for the take-over's auto-refresh (see the module docstring)."""
        client = client_for(db, visit.therapist, visit.int_param("client_id"))
        shown = queries.transcript(db, client)
        last_view = db.execute(
            select(AuditLog.detail)
            .where(
                AuditLog.actor_therapist_id == visit.therapist.id,
                AuditLog.client_id == client.id,
                AuditLog.action.in_(TRANSCRIPT_VIEWS),
            )
            .order_by(AuditLog.id.desc())
            .limit(1)
        ).scalar_one_or_none()
        if not (last_view or "").endswith(shown.audit_mark):
            self.web.audit(
                db, visit, "view_transcript", client_id=client.id, detail=shown.audit_mark
            )
        return self.web.render(
            visit,
            "_transcript.html",
            client=client,
            transcript=shown,
            takeover=active_takeover(db, client.id, visit.now),
        )

    @staticmethod
    def _days(visit: Visit) -> int:
        raw = visit.request.query_params.get("days", "")
        return (
            int(raw)
            if raw.isdigit() and int(raw) in queries.TREND_WINDOWS
            else queries.TREND_WINDOWS[0]
        )

    # --- changes from the page -----------------------------------------------------------

    def _change(
        self,
        db: Session,
        visit: Visit,
        action: str,
        step: Callable[[Client], str | None],
        *,
        client: Client | None = None,
        section: str = "",
    ) -> Response:
        """One change to a client the therapist may see, back to their page (at ``section``)."""
        client = client or client_for(db, visit.therapist, visit.int_param("client_id"))
        return self.web.act(
            db,
            visit,
            lambda: step(client),
            action=action,
            client_id=client.id,
            then=self._back(visit, client) + (f"#{section}" if section else ""),
            refused=lambda error: self._refused(db, visit, client, error),
        )

    def _refused(self, db: Session, visit: Visit, client: Client, error: str) -> Response:
        if is_admin(visit.therapist) or client.therapist_id == visit.therapist.id:
            return self.client(db, visit, error=error, status=409)
        # The on-call therapist writing from an escalation: not their client's page.
        return self.web.render(
            visit, "error.html", 409, title="That could not be done", message=error
        )

    @staticmethod
    def _back(visit: Visit, client: Client) -> str:
        """Where a form returns: the page it names (an escalation), else the client's page."""
        wanted = visit.form.get("return_to", "")
        return wanted if local_path(wanted) else f"/clients/{client.id}"

    def enrolment_code(self, db: Session, visit: Visit) -> Response:
        client = client_for(db, visit.therapist, visit.int_param("client_id"))
        code = new_enrolment_code(db, client, created_by=visit.therapist)
        self.web.audit(db, visit, "create_enrolment_code", client_id=client.id)
        return self.client(
            db,
            visit,
            notice=(
                f"New enrolment code {code.code} (valid until {self.web.when(code.expires_at)}): "
                "the client texts JOIN and the code, or sends /start and the code on Telegram."
            ),
        )

    def homework(self, db: Session, visit: Visit) -> Response:
        def step(client: Client) -> str:
            due = _parse_date(visit.form.get("due", ""))
            if due is None:
                raise ClinicError("Give a due date: the client is asked about it after that day.")
            homework = assign_homework(
                db,
                load_library(),
                client_code=client.code,
                therapist_email=visit.therapist.email,
                due_at=due_at_end_of(due, client.timezone),
                skill=visit.form.get("skill", "").strip() or None,
                title=visit.form.get("title", "").strip() or None,
                instructions=visit.form.get("instructions", "").strip() or None,
            )
            return f"homework {homework.id}"

        return self._change(db, visit, "assign_homework", step, section="homework")

    def add_checkin(self, db: Session, visit: Visit) -> Response:
        return self._add_reminder(db, visit, ReminderKind.CHECKIN, "add_checkin", "checkins")

    def add_reminder(self, db: Session, visit: Visit) -> Response:
        kind = visit.form.get("kind", "")
        if kind not in REMINDER_KINDS:
            kind = ""  # refused by the core with its own message
        return self._add_reminder(db, visit, kind, "add_reminder", "reminders")

    def _add_reminder(
        self, db: Session, visit: Visit, kind: str, action: str, section: str
    ) -> Response:
        def step(client: Client) -> str:
            reminder = add_for_client(
                db,
                client_code=client.code,
                kind=kind,
                therapist_email=visit.therapist.email,
                now=visit.now,
                text=visit.form.get("text", "").strip() or None,
                after_days=_optional_int(visit.form.get("after_days", "")),
                homework_id=_optional_int(visit.form.get("homework_id", "")),
                **_schedule(visit),
            )
            return f"{reminder.kind} {reminder.id}"

        return self._change(db, visit, action, step, section=section)

    def stop_reminder(self, db: Session, visit: Visit) -> Response:
        def step(client: Client) -> str:
            reminder = remove(db, visit.int_param("reminder_id"), visit.now, client=client)
            return f"{reminder.kind} {reminder.id}"

        section = "checkins" if visit.form.get("kind") == ReminderKind.CHECKIN else "reminders"
        return self._change(db, visit, "stop_reminder", step, section=section)

    # --- take-over ----------------------------------------------------------------------

    def _takeover_step(
        self, db: Session, visit: Visit, action: str, step: Callable[[Client], str | None]
    ) -> Response:
        client = writable_client(db, visit.therapist, visit.int_param("client_id"), visit.now)
        return self._change(db, visit, action, step, client=client)

    def takeover_start(self, db: Session, visit: Visit) -> Response:
        def step(client: Client) -> None:
            start_takeover(
                db,
                client=client,
                therapist=visit.therapist,
                now=visit.now,
                minutes=self.web.settings.takeover_minutes,
            )

        return self._takeover_step(db, visit, "takeover_start", step)

    def takeover_message(self, db: Session, visit: Visit) -> Response:
        def step(client: Client) -> str:
            message = send_as_therapist(
                db,
                client=client,
                therapist=visit.therapist,
                text=visit.form.get("text", ""),
                now=visit.now,
                minutes=self.web.settings.takeover_minutes,
            )
            return f"message {message.id}"

        return self._takeover_step(db, visit, "takeover_message", step)

    def takeover_end(self, db: Session, visit: Visit) -> Response:
        def step(client: Client) -> None:
            hand_back(db, client=client, therapist=visit.therapist, now=visit.now)

        return self._takeover_step(db, visit, "takeover_hand_back", step)

    def routes(self) -> list[BaseRoute]:
        page, base = self.web.page, "/clients/{client_id:int}"
        return [
            page(base, self.client),
            page(f"{base}/transcript", self.transcript),
            page(f"{base}/enrolment-code", self.enrolment_code, "POST"),
            page(f"{base}/homework", self.homework, "POST"),
            page(f"{base}/checkins", self.add_checkin, "POST"),
            page(f"{base}/reminders", self.add_reminder, "POST"),
            page(f"{base}/reminders/{{reminder_id:int}}/stop", self.stop_reminder, "POST"),
            page(f"{base}/takeover", self.takeover_start, "POST"),
            page(f"{base}/takeover/message", self.takeover_message, "POST"),
            page(f"{base}/takeover/end", self.takeover_end, "POST"),
        ]


def _schedule(visit: Visit) -> dict[str, Any]:
    """The form's "when": once at a local date and time, or recurring at a time on some days.

    Times are the client's own, as :func:`bot.reminders.manage.add_for_client` takes them.
    """
    if visit.form.get("repeat") == RECURRING:
        return {"at": parse_clock(visit.form.get("at", "")), "days": _reminder_days(visit)}
    raw = visit.form.get("on", "").strip()
    try:
        return {"on": datetime.fromisoformat(raw).replace(tzinfo=None)}
    except ValueError:
        raise ReminderError(
            "Give the date and time to ask, in the client's time zone, or choose recurring."
        ) from None


def _reminder_days(visit: Visit) -> str:
    """The weekday boxes ticked, as reminders store them; none ticked means every day."""
    ticked = ticked_weekdays(visit)
    if not ticked or len(ticked) == len(ReminderDays.WEEKDAYS):
        return ReminderDays.DAILY
    return ",".join(ReminderDays.WEEKDAYS[day] for day in ticked)


def _optional_int(raw: str) -> int | None:
    raw = raw.strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise ReminderError(f"Expected a whole number, got {raw!r}.")
    return int(raw)


def _parse_date(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        raise ClinicError(f"Expected a date like 2026-12-01, got {raw!r}.") from None
