"""The clinic page: enrolment for everyone; staff, rota and reassignment for admins.

Every change goes through the same core functions as the CLI
(:mod:`bot.clinic`, :mod:`bot.staff`), so a rule (no deactivating oneself or
the last admin, no shift that ends when it starts, only active staff on the
rota) lives in one place. Admin routes answer a therapist with a 403, audited,
whatever the URL; every change is audited.

The rota form shows, as the admin fills it in, the gaps the rota would have
with the proposed shift (an htmx request to ``/clinic/rota/preview`` that
changes nothing).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import Response
from starlette.routing import BaseRoute

from bot.clinic import (
    AddressTaken,
    ClinicError,
    RotaGap,
    RotaShift,
    add_client,
    add_therapist,
    check_shift,
    oncall_gaps,
    parse_clock,
    reassign_client,
    remove_oncall,
    set_oncall,
    therapist_by_email,
)
from bot.dashboard import queries
from bot.dashboard.access import NotFound, is_admin
from bot.dashboard.web import Dashboard, Done, Visit, local_path, ticked_weekdays
from bot.escalation import crisis_line_stopped, unpageable_on_call
from bot.staff import deactivate_therapist, reactivate_therapist
from bot.storage.enums import OncallRole, Role
from bot.storage.models import Client, OncallShift, Therapist

WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
#: To a therapist whose new client's number is another caseload's client's.
NUMBER_NOT_USABLE = "This number cannot be used for a new client. Ask an admin to check it."


class ClinicPages:
    """``/clinic`` and its forms."""

    def __init__(self, web: Dashboard) -> None:
        self.web = web

    def clinic(
        self,
        db: Session,
        visit: Visit,
        *,
        notice: str = "",
        error: str = "",
        status: int = 200,
        initial_password: str = "",
    ) -> Response:
        admin = is_admin(visit.therapist)
        shifts = (
            db.execute(
                select(OncallShift).order_by(
                    OncallShift.role, OncallShift.weekday, OncallShift.start_time
                )
            )
            .scalars()
            .all()
        )
        self.web.audit(
            db, visit, "view_clinic", detail="rota, enrolment" + (", staff" if admin else "")
        )
        staff_rows = queries.staff(db) if admin else []
        return self.web.render(
            visit,
            "clinic.html",
            status,
            notice=notice,
            error=error,
            initial_password=initial_password,
            default_timezone=self.web.settings.default_client_timezone,
            shifts=shifts,
            gaps=self._gaps(db),
            crisis_line_stopped=crisis_line_stopped(db, self.web.settings),
            staff_rows=staff_rows,
            on_call_candidates=[row.therapist for row in staff_rows if row.therapist.active],
            therapists=[
                row.therapist
                for row in staff_rows
                if row.therapist.active and row.therapist.role == Role.THERAPIST
            ],
            to_reassign=queries.clients_to_reassign(db) if admin else [],
            clients=queries.caseload(db, visit.therapist, visit.now),
            weekdays=WEEKDAY_NAMES,
            roles=OncallRole.ALL,
            staff_roles=Role.ALL,
            clinic_tz=self.web.settings.clinic_timezone,
        )

    def _gaps(self, db: Session, adding: list[RotaShift] | None = None) -> list[RotaGap]:
        # Demo staff are never paged once real channels are on, nor is anyone without a way
        # to reach them: then they cover nothing.
        unpageable = unpageable_on_call(db, self.web.settings)
        return list(
            oncall_gaps(
                db,
                include_demo=not self.web.settings.real_channel_configured,
                adding=adding or [],
                leave_out=[therapist.id for therapist, _ in unpageable],
            )
        )

    def _act(
        self,
        db: Session,
        visit: Visit,
        step: Callable[[], Done | str | None],
        action: str,
        *,
        then: str | Callable[[], Response],
        client_id: int | None = None,
    ) -> Response:
        """A change from this page; refused ones show the clinic page with the reason."""
        return self.web.act(
            db,
            visit,
            step,
            action=action,
            then=then,
            refused=lambda error: self.clinic(db, visit, error=error, status=400),
            client_id=client_id,
        )

    # --- enrolment ------------------------------------------------------------------------

    def new_client(self, db: Session, visit: Visit) -> Response:
        """Enrol a client in the caseload (an admin's choice of therapist, else their own)."""
        enrolled: list[str] = []

        def step() -> Done:
            therapist_email = visit.therapist.email
            if is_admin(visit.therapist) and visit.form.get("therapist_email"):
                therapist_email = visit.form["therapist_email"]
            try:
                client, code = add_client(
                    db,
                    name=visit.form.get("name", ""),
                    therapist_email=therapist_email,
                    timezone=visit.form.get("timezone", "").strip()
                    or self.web.settings.default_client_timezone,
                    sms_number=visit.form.get("sms_number", "").strip() or None,
                )
            except AddressTaken as taken:
                # Whether a number is in treatment here is health information: a therapist
                # learns it only of their own clients (the refusal is audited either way).
                if is_admin(visit.therapist) or taken.owner.therapist_id == visit.therapist.id:
                    raise
                raise ClinicError(NUMBER_NOT_USABLE) from taken
            enrolled.append(
                f"{client.name} is enrolled (client {client.code}). Enrolment code {code.code}, "
                f"valid until {self.web.when(code.expires_at)}: the client texts JOIN "
                f"{code.code}, or sends /start {code.code} to the clinic's Telegram bot."
            )
            return Done(client_id=client.id)

        return self._act(
            db, visit, step, "enrol_client", then=lambda: self.clinic(db, visit, notice=enrolled[0])
        )

    # --- staff (admins) -------------------------------------------------------------------

    def add_staff(self, db: Session, visit: Visit) -> Response:
        """A new account; a generated initial password is shown once, here, to the admin."""
        added: list[tuple[Therapist, str]] = []
        chosen = visit.form.get("password", "")

        def step() -> str:
            therapist, password = add_therapist(
                db,
                email=visit.form.get("email", ""),
                name=visit.form.get("name", ""),
                role=visit.form.get("role", Role.THERAPIST),
                sms_number=visit.form.get("sms_number", "").strip() or None,
                telegram_chat_id=visit.form.get("telegram_chat_id", "").strip() or None,
                password=chosen or None,
                must_change_password=True,
            )
            added.append((therapist, password))
            return f"{therapist.role} {therapist.id}"

        def then() -> Response:
            therapist, password = added[0]
            return self.clinic(
                db,
                visit,
                notice=(
                    f"Added {therapist.name} ({therapist.email}) as {therapist.role}. They choose "
                    "their own password at their first login."
                ),
                initial_password="" if chosen else password,
            )

        return self._act(db, visit, step, "add_staff", then=then)

    def deactivate(self, db: Session, visit: Visit) -> Response:
        therapist = self._staff_member(db, visit)
        report: list[str] = []

        def step() -> str:
            done = deactivate_therapist(db, therapist, by=visit.therapist, now=visit.now)
            waiting = len(done.clients_to_reassign)
            report.append(
                f"{therapist.name} is deactivated: they cannot log in and are never paged. "
                f"{done.sessions_ended} open login(s) ended, {done.pages_withdrawn} page(s) "
                f"moved on to the next person, {done.takeovers_ended} conversation(s) handed "
                "back to the bot."
                + (f" {waiting} client(s) need another therapist: see below." if waiting else "")
            )
            return (
                f"therapist {therapist.id}: {done.sessions_ended} sessions ended, "
                f"{done.pages_withdrawn} pages withdrawn, {done.takeovers_ended} take-overs ended"
            )

        return self._act(
            db,
            visit,
            step,
            "deactivate_staff",
            then=lambda: self.clinic(db, visit, notice=report[0]),
        )

    def reactivate(self, db: Session, visit: Visit) -> Response:
        therapist = self._staff_member(db, visit)

        def step() -> str:
            reactivate_therapist(db, therapist)
            return f"therapist {therapist.id}"

        return self._act(
            db,
            visit,
            step,
            "reactivate_staff",
            then=lambda: self.clinic(
                db, visit, notice=f"{therapist.name} can log in again and be on call."
            ),
        )

    @staticmethod
    def _staff_member(db: Session, visit: Visit) -> Therapist:
        therapist = db.get(Therapist, visit.int_param("therapist_id"))
        if therapist is None:
            raise NotFound(f"staff {visit.int_param('therapist_id')}")
        return therapist

    def reassign(self, db: Session, visit: Visit) -> Response:
        client = db.get(Client, visit.int_param("client_id"))
        if client is None:
            raise NotFound(f"client {visit.int_param('client_id')}")
        wanted = visit.form.get("return_to", "")

        def step() -> str:
            before = client.therapist_id
            after = reassign_client(db, client, visit.form.get("therapist_email", ""))
            return f"therapist {before} -> {after.id}"

        return self._act(
            db,
            visit,
            step,
            "reassign_client",
            then=wanted if local_path(wanted) else "/clinic#therapists",
            client_id=client.id,
        )

    # --- the rota (admins) ------------------------------------------------------------------

    def _proposed(self, db: Session, visit: Visit) -> tuple[str, list[RotaShift]]:
        """The shift form as shifts (one per ticked day; none or all ticked: every day)."""
        email = visit.form.get("therapist_email", "")
        person = therapist_by_email(db, email)
        if person is None or not person.active:
            raise ClinicError("Choose an active member of staff for the shift.")
        days = ticked_weekdays(visit)
        weekdays: list[int | None] = list(days) if 0 < len(days) < 7 else [None]
        start = parse_clock(visit.form.get("start") or "00:00")
        end = parse_clock(visit.form.get("end") or "00:00")
        role = visit.form.get("role", "")
        return email, [check_shift(RotaShift(role, day, start, end)) for day in weekdays]

    def add_shift(self, db: Session, visit: Visit) -> Response:
        def step() -> str:
            email, proposed = self._proposed(db, visit)
            shifts = [
                set_oncall(
                    db,
                    therapist_email=email,
                    role=shift.role,
                    weekday=shift.weekday,
                    start=shift.start_time,
                    end=shift.end_time,
                )
                for shift in proposed
            ]
            return "shift " + ", ".join(str(shift.id) for shift in shifts)

        return self._act(db, visit, step, "add_oncall_shift", then="/clinic#rota")

    def remove_shift(self, db: Session, visit: Visit) -> Response:
        def step() -> str:
            shift = remove_oncall(db, visit.int_param("shift_id"))
            day = "every day" if shift.weekday is None else WEEKDAY_NAMES[shift.weekday]
            return (
                f"shift {shift.id}: {shift.role}, therapist {shift.therapist_id}, {day} "
                f"{shift.start_time:%H:%M}-{shift.end_time:%H:%M}"
            )

        return self._act(db, visit, step, "remove_oncall_shift", then="/clinic#rota")

    def rota_preview(self, db: Session, visit: Visit) -> Response:
        """The gaps the rota would have with the shift being typed in (nothing is changed)."""
        try:
            _, proposed = self._proposed(db, visit)
        except ClinicError as error:
            return self.web.render(visit, "_rota_preview.html", error=str(error), gaps=[])
        return self.web.render(visit, "_rota_preview.html", error="", gaps=self._gaps(db, proposed))

    def routes(self) -> list[BaseRoute]:
        page = self.web.page
        return [
            page("/clinic", self.clinic),
            page("/clients", self.new_client, "POST"),
            page("/clinic/staff", self.add_staff, "POST", admin=True),
            page(
                "/clinic/staff/{therapist_id:int}/deactivate", self.deactivate, "POST", admin=True
            ),
            page(
                "/clinic/staff/{therapist_id:int}/reactivate", self.reactivate, "POST", admin=True
            ),
            page("/clients/{client_id:int}/therapist", self.reassign, "POST", admin=True),
            page("/clinic/rota", self.add_shift, "POST", admin=True),
            page("/clinic/rota/preview", self.rota_preview, "POST", admin=True),
            page("/clinic/rota/{shift_id:int}/remove", self.remove_shift, "POST", admin=True),
        ]
