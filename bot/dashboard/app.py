"""The dashboard's web application (Starlette): login, escalations, caseload, audit log.

The pages are grouped by what they are about; each group is a small class
on the shared :class:`~bot.dashboard.web.Dashboard` plumbing:

- here: logging in and out, one's own password, the escalation inbox, the
  caseload and the admins' audit log;
- :mod:`.client_pages`: a client's record, check-ins, reminders, homework, take-over;
- :mod:`.clinic_pages`: enrolment, and for admins the staff and the on-call rota.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from bot.dashboard import auth, queries
from bot.dashboard.access import escalation_for, is_admin, may_write_to
from bot.dashboard.client_pages import ClientPages
from bot.dashboard.clinic_pages import ClinicPages
from bot.dashboard.security import CookieState, Device, SecurityHeadersMiddleware
from bot.dashboard.web import PASSWORD_PAGE, Dashboard, Visit, local_path
from bot.escalation import VIA_DASHBOARD, acknowledge_escalation, resolve_escalation
from bot.passwords import verify_password
from bot.settings import Settings
from bot.staff import WRONG_CURRENT_PASSWORD, change_password
from bot.storage.models import AuditLog, Client, Escalation, StaffSession, Therapist
from bot.takeover import active_takeover

STATIC_DIR = Path(__file__).resolve().parent / "static"
#: What a client code typed in the audit filter may look like (letters, digits, dashes).
CLIENT_CODE = re.compile(r"[A-Za-z0-9_-]{1,64}")
#: How many audit rows one page of the admins' audit log shows (then *Older*).
AUDIT_PAGE_ROWS = 100


class MainPages:
    """Login, password, escalations, caseload, audit log."""

    def __init__(self, web: Dashboard) -> None:
        self.web = web

    # --- login ------------------------------------------------------------------

    def login_page(self, db: Session, visit: Visit) -> Response:
        if visit.staff is not None:
            return self.web.redirect("/")
        return self.web.render(visit, "login.html", error="", next=_next_page(visit))

    def login(self, visit: Visit) -> Response:
        """Log in; the password is checked outside any transaction (:func:`auth.attempt_login`)."""
        device = self.web.device(visit.request)
        outcome = auth.attempt_login(
            self.web.engine,
            email=visit.form.get("email", ""),
            password=visit.form.get("password", ""),
            ip=visit.ip,
            now=visit.now,
            device=device,
        )
        staff = outcome.therapist
        if staff is None:
            return self.web.render(
                visit, "login.html", 401, error=outcome.refusal, next=_next_page(visit)
            )
        # A new CSRF token with the login: a token planted before it is worthless.
        visit.cookie = CookieState(csrf=CookieState.fresh().csrf, session_token=outcome.token)
        wanted = _next_page(visit)
        if staff.must_change_password:
            wanted = PASSWORD_PAGE + (f"?next={wanted}" if wanted else "")
        response = self.web.redirect(wanted or "/")
        accounts = (*(a for a in device.accounts if a != staff.id), staff.id)
        self.web.remember_device(response, visit.request, Device(device.id, accounts))
        return response

    def logout(self, db: Session, visit: Visit) -> Response:
        if visit.cookie.session_token:
            auth.close_session(db, visit.cookie.session_token, ip=visit.ip, now=visit.now)
        visit.cookie = CookieState.fresh()
        return self.web.redirect("/login")

    def password_page(
        self, db: Session, visit: Visit, *, error: str = "", status: int = 200
    ) -> Response:
        return self.web.render(
            visit,
            "password.html",
            status,
            error=error,
            required=visit.therapist.must_change_password,
            next=_next_page(visit),
        )

    def change_password(self, db: Session, visit: Visit) -> Response:
        def refused(error: str) -> Response:
            return self.password_page(db, visit, error=error, status=400)

        new = visit.form.get("new_password", "")
        if new != visit.form.get("repeat_password", ""):
            return refused("The two new passwords are not the same.")
        if not verify_password(
            visit.form.get("current_password", ""), visit.therapist.password_hash
        ):
            login = db.get(StaffSession, visit.login_id)
            assert login is not None
            if auth.wrong_current_password(db, login, ip=visit.ip, now=visit.now):
                visit.cookie = CookieState.fresh()
                return self.web.redirect("/login")
            return refused(WRONG_CURRENT_PASSWORD)

        def step() -> None:
            change_password(
                db,
                visit.therapist,
                current=visit.form.get("current_password", ""),
                new=new,
                now=visit.now,
                keep_session=visit.login_id,
            )

        return self.web.act(
            db,
            visit,
            step,
            action="change_password",
            then=_next_page(visit) or "/",
            refused=refused,
        )

    def home(self, db: Session, visit: Visit) -> Response:
        return self.web.redirect("/caseload")

    # --- escalations ----------------------------------------------------------------

    def escalations(self, db: Session, visit: Visit) -> Response:
        box = queries.inbox(db, visit.therapist)
        self.web.audit(db, visit, "view_escalations", detail="escalation inbox")
        return self.web.render(visit, "escalations.html", inbox=box)

    def escalation(
        self, db: Session, visit: Visit, *, error: str = "", status: int = 200
    ) -> Response:
        found = escalation_for(db, visit.therapist, visit.int_param("escalation_id"))
        self.web.audit(
            db, visit, "view_escalation", client_id=found.client_id, detail=f"escalation {found.id}"
        )
        client = found.client
        takeover = active_takeover(db, client.id, visit.now)
        return self.web.render(
            visit,
            "escalation.html",
            status,
            escalation=found,
            client=client,
            categories=queries.categories(found),
            timeline=queries.timeline(db, found),
            can_open_client=is_admin(visit.therapist) or client.therapist_id == visit.therapist.id,
            can_write=may_write_to(db, visit.therapist, client, visit.now),
            takeover=takeover,
            takeover_by=takeover.therapist.name if takeover else "",
            error=error,
        )

    def acknowledge(self, db: Session, visit: Visit) -> Response:
        return self._lifecycle_step(
            db,
            visit,
            "acknowledge_escalation",
            409,
            lambda found: acknowledge_escalation(
                db,
                escalation_id=found.id,
                therapist=visit.therapist,
                now=visit.now,
                via=VIA_DASHBOARD,
            ),
        )

    def resolve(self, db: Session, visit: Visit) -> Response:
        return self._lifecycle_step(
            db,
            visit,
            "resolve_escalation",
            400,
            lambda found: resolve_escalation(
                db,
                escalation_id=found.id,
                therapist=visit.therapist,
                note=visit.form.get("note", ""),
                now=visit.now,
            ),
        )

    def _lifecycle_step(
        self,
        db: Session,
        visit: Visit,
        action: str,
        refused_status: int,
        step: Callable[[Escalation], object],
    ) -> Response:
        """Acknowledge or resolve through the lifecycle API, back to the escalation's page."""
        found = escalation_for(db, visit.therapist, visit.int_param("escalation_id"))

        def take() -> str:
            step(found)
            return f"escalation {found.id}"

        return self.web.act(
            db,
            visit,
            take,
            action=action,
            client_id=found.client_id,
            then=f"/escalations/{found.id}",
            refused=lambda error: self.escalation(db, visit, error=error, status=refused_status),
        )

    # --- caseload and audit -----------------------------------------------------------

    def caseload(self, db: Session, visit: Visit) -> Response:
        rows = queries.caseload(db, visit.therapist, visit.now)
        self.web.audit(db, visit, "view_caseload", detail=f"{len(rows)} clients")
        return self.web.render(visit, "caseload.html", rows=rows)

    def audit_log(self, db: Session, visit: Visit) -> Response:
        """The audit log, newest first, a page at a time, filtered by client or staff member.

        "Who viewed Casey's record last month?": filter by Casey's code and page
        back with *Older*. Reading it is audited too, with the filter used.
        """
        wanted = AuditFilter.of(visit.request.query_params)
        query = select(AuditLog).order_by(AuditLog.id.desc()).limit(AUDIT_PAGE_ROWS)
        client = None
        if wanted.client:
            client = db.execute(
                select(Client).where(Client.code == wanted.client)
            ).scalar_one_or_none()
            query = query.where(AuditLog.client_id == (client.id if client else None))
        if wanted.staff is not None:
            query = query.where(AuditLog.actor_therapist_id == wanted.staff)
        if wanted.before is not None:
            query = query.where(AuditLog.id < wanted.before)
        rows = db.execute(query).scalars().all()
        people = db.execute(select(Therapist).order_by(Therapist.email)).scalars().all()
        names = {t.id: t.email for t in people}
        codes = {c.id: c.code for c in db.execute(select(Client)).scalars()}
        older = wanted.link(before=rows[-1].id) if len(rows) == AUDIT_PAGE_ROWS else ""
        self.web.audit(
            db,
            visit,
            "view_audit_log",
            client_id=client.id if client else None,
            detail=wanted.detail() or None,
        )
        return self.web.render(
            visit,
            "audit.html",
            rows=rows,
            names=names,
            codes=codes,
            people=people,
            wanted=wanted,
            unknown_client=bool(wanted.client) and client is None,
            older=older,
            newest=wanted.link(before=None) if wanted.before is not None else "",
        )

    def health(self, db: Session, visit: Visit) -> Response:
        return PlainTextResponse("ok")

    def routes(self) -> list[BaseRoute]:
        page = self.web.page
        return [
            page("/healthz", self.health, login=False),
            page("/login", self.login_page, login=False),
            self.web.page_without_login("/login", self.login, "POST"),
            page("/logout", self.logout, "POST", login=False),
            page(PASSWORD_PAGE, self.password_page, before_own_password=True),
            page(PASSWORD_PAGE, self.change_password, "POST", before_own_password=True),
            page("/", self.home),
            page("/escalations", self.escalations),
            page("/escalations/{escalation_id:int}", self.escalation),
            page("/escalations/{escalation_id:int}/acknowledge", self.acknowledge, "POST"),
            page("/escalations/{escalation_id:int}/resolve", self.resolve, "POST"),
            page("/caseload", self.caseload),
            page("/audit", self.audit_log, admin=True),
        ]


@dataclass(frozen=True)
class AuditFilter:
    """What the audit page is asked for: a client (by code), a staff member, rows before an id."""

    client: str = ""
    staff: int | None = None
    before: int | None = None

    @classmethod
    def of(cls, query: Mapping[str, str]) -> AuditFilter:
        """From the page's query; anything malformed is ignored (it is a filter, not a form)."""
        client = query.get("client", "").strip()
        return cls(
            client=client if CLIENT_CODE.fullmatch(client) else "",
            staff=_number(query.get("staff", "")),
            before=_number(query.get("before", "")),
        )

    def link(self, *, before: int | None) -> str:
        """This filter's page of rows older than ``before`` (the newest page for None)."""
        params = {"client": self.client, "staff": self.staff, "before": before}
        kept = {name: value for name, value in params.items() if value not in ("", None)}
        return "/audit" + (f"?{urlencode(kept)}" if kept else "")

    def detail(self) -> str:
        """The filter, for the audit row of this view (ids and codes only)."""
        parts = (
            f"client {self.client}" if self.client else "",
            f"staff {self.staff}" if self.staff is not None else "",
            f"before {self.before}" if self.before is not None else "",
        )
        return " ".join(part for part in parts if part)


def _number(raw: str) -> int | None:
    return int(raw) if raw.isdigit() and len(raw) < 18 else None


def _next_page(visit: Visit) -> str:
    """Where to go after logging in: the form's or the query's ``next``, if local."""
    wanted = visit.form.get("next") or visit.request.query_params.get("next", "")
    return wanted if local_path(wanted) else ""


def create_app(settings: Settings, engine: Engine | None = None) -> Starlette:
    """The dashboard as an ASGI application (``engine`` defaults to the configured database).

    With SMS configured it also serves Twilio's Fallback URL, and with
    Telegram configured Telegram's webhook, so that a message sent while the
    Rasa server is down is still taken in, screened and paged at once (see
    :mod:`channels.twilio_webhook`, :mod:`channels.telegram_webhook`): this
    process does not depend on Rasa.
    """
    web = Dashboard(settings, engine)
    routes: list[BaseRoute] = [
        *MainPages(web).routes(),
        *ClientPages(web).routes(),
        *ClinicPages(web).routes(),
        Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="static"),
    ]
    if settings.twilio is not None:
        from channels.twilio_webhook import fallback_route

        routes.append(fallback_route(settings, engine))
    if settings.telegram is not None:
        from channels.telegram_webhook import dashboard_routes

        routes += dashboard_routes(settings, engine)
    app = Starlette(routes=routes)
    app.add_middleware(SecurityHeadersMiddleware)
    app.state.dashboard = web
    return app
