"""The dashboard's web application (Starlette): routes, login, CSRF, audit.

Every page request runs one database transaction: the login is checked, the
page is read, and the audit row for any client data shown is written in that
same transaction, so no view of client data happens without its record. A
request for someone else's client or escalation gets a 403 page (audited as
``access_denied``), whatever the URL.

Handlers are plain functions ``(db, visit) -> Response`` run in a worker
thread (SQLAlchemy is synchronous); :meth:`Dashboard.endpoint` wraps them with
the cookie, CSRF check, login check and error pages.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from bot import audit
from bot.clinic import ClinicError, add_client, new_enrolment_code, oncall_gaps
from bot.dashboard import auth, queries
from bot.dashboard.access import (
    Forbidden,
    NotFound,
    client_for,
    escalation_for,
    is_admin,
    may_write_to,
    writable_client,
)
from bot.dashboard.charts import diary_charts
from bot.dashboard.homework import assign_homework
from bot.dashboard.security import (
    COOKIE_NAME,
    CSRF_FIELD,
    CSRF_HEADER,
    CookieSigner,
    CookieState,
    SecurityHeadersMiddleware,
    csrf_matches,
)
from bot.escalation import (
    VIA_DASHBOARD,
    EscalationError,
    acknowledge_escalation,
    resolve_escalation,
)
from bot.settings import Settings
from bot.storage import session_scope
from bot.storage.enums import OncallRole
from bot.storage.models import AuditLog, Client, OncallShift, Therapist, utcnow
from bot.takeover import (
    TakeoverError,
    active_takeover,
    hand_back,
    send_as_therapist,
    start_takeover,
)

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
TEMPLATES_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"
#: How many audit rows the admin page shows (the newest).
AUDIT_SHOWN = 300
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
#: A dashboard page to return to after login: letters, digits, dashes and slashes only.
LOCAL_PATH = re.compile(r"/(?!/)[A-Za-z0-9/_-]*")

Handler = Callable[[Session, "Visit"], Response]


@dataclass
class Visit:
    """One request as a handler sees it: who, from where, what they sent."""

    request: Request
    ip: str | None
    now: datetime
    cookie: CookieState
    form: Mapping[str, str] = field(default_factory=dict)
    staff: Therapist | None = None

    @property
    def therapist(self) -> Therapist:
        assert self.staff is not None, "handler needs a login"
        return self.staff

    def int_param(self, name: str) -> int:
        return int(self.request.path_params[name])


class Dashboard:
    """The application's state: settings, database, templates, cookie signer."""

    def __init__(self, settings: Settings, engine: Engine | None = None) -> None:
        self.settings = settings
        self.engine = engine
        self.signer = CookieSigner(settings.dashboard_secret)
        self.idle = timedelta(minutes=settings.dashboard_idle_minutes)
        self.secure_cookie = settings.dashboard_url.startswith("https://")
        self.clinic_tz = ZoneInfo(settings.clinic_timezone)
        self.templates = Environment(
            loader=FileSystemLoader(TEMPLATES_DIR),
            # Every template, whatever its extension: client text is untrusted.
            autoescape=select_autoescape(default=True, default_for_string=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.templates.filters["when"] = self._when
        self.templates.filters["day"] = lambda d: f"{d:%a %b %d}" if d else "—"

    # --- plumbing ---------------------------------------------------------------

    def _when(self, moment: datetime | None) -> str:
        if moment is None:
            return "—"
        return f"{moment.astimezone(self.clinic_tz):%b %d %H:%M %Z}"

    def render(self, visit: Visit, template: str, status: int = 200, **context: Any) -> Response:
        html = self.templates.get_template(template).render(
            staff=visit.staff,
            is_admin=visit.staff is not None and is_admin(visit.staff),
            csrf=visit.cookie.csrf,
            clinic_name=self.settings.clinic_name,
            path=visit.request.url.path,
            **context,
        )
        return HTMLResponse(html, status_code=status)

    def endpoint(self, handler: Handler, *, login: bool = True) -> Callable[[Request], Any]:
        """Wrap a handler: cookie, CSRF on POST, login, errors, and the cookie refreshed."""

        async def run(request: Request) -> Response:
            cookie = self.signer.loads(request.cookies.get(COOKIE_NAME))
            form: FormData | None = None
            response: Response
            if request.method == "POST":
                form = await request.form()
                supplied = request.headers.get(CSRF_HEADER) or form.get(CSRF_FIELD)
                if not csrf_matches(cookie.csrf, str(supplied) if supplied else None):
                    response = PlainTextResponse(
                        "This form has expired or did not come from the dashboard. "
                        "Go back, reload the page and try again.",
                        status_code=403,
                    )
                    return self._with_cookie(response, cookie, request)
            visit = Visit(
                request=request,
                ip=request.client.host if request.client else None,
                now=utcnow(),
                cookie=cookie,
                form={k: str(v) for k, v in form.items()} if form is not None else {},
            )
            response = await run_in_threadpool(self._in_transaction, handler, visit, login)
            return self._with_cookie(response, visit.cookie, request)

        return run

    def _in_transaction(self, handler: Handler, visit: Visit, login: bool) -> Response:
        with session_scope(self.engine) as db:
            if visit.cookie.session_token:
                visit.staff = auth.current_staff(
                    db, visit.cookie.session_token, now=visit.now, idle=self.idle
                )
                if visit.staff is None:
                    visit.cookie = CookieState.fresh()
            if login and visit.staff is None:
                return self._to_login(visit)
            try:
                return handler(db, visit)
            except Forbidden as refused:
                audit.record(
                    db,
                    action="access_denied",
                    actor_therapist_id=visit.staff.id if visit.staff else None,
                    detail=f"{visit.request.method} {refused}",
                    ip=visit.ip,
                )
                return self.render(
                    visit,
                    "error.html",
                    403,
                    title="Not your client",
                    message=(
                        "This record belongs to another therapist's caseload. "
                        "The attempt has been recorded."
                    ),
                )
            except NotFound:
                return self.render(
                    visit,
                    "error.html",
                    404,
                    title="Not found",
                    message=("There is no such record."),
                )

    def _to_login(self, visit: Visit) -> Response:
        if visit.request.headers.get("hx-request"):
            return Response(status_code=401, headers={"HX-Redirect": "/login"})
        # Back to the page asked for after login (a page link opened on a phone).
        wanted = visit.request.url.path
        target = (
            f"/login?next={quote(wanted)}" if _local_path(wanted) and wanted != "/" else "/login"
        )
        return RedirectResponse(target, status_code=303)

    def _with_cookie(self, response: Response, cookie: CookieState, request: Request) -> Response:
        """Set the signed cookie: Secure when the dashboard is reached over HTTPS.

        That is when its public address is https (a TLS proxy in front), or when
        the request itself came over HTTPS (directly, or as a trusted proxy says).
        """
        response.set_cookie(
            COOKIE_NAME,
            self.signer.dumps(cookie),
            httponly=True,
            samesite="strict",
            secure=self.secure_cookie or request.url.scheme == "https",
            path="/",
        )
        return response

    @staticmethod
    def redirect(url: str) -> Response:
        return RedirectResponse(url, status_code=303)

    # --- login ------------------------------------------------------------------

    def login_page(self, db: Session, visit: Visit) -> Response:
        if visit.staff is not None:
            return self.redirect("/")
        return self.render(visit, "login.html", error="", next=_next_page(visit))

    def login(self, db: Session, visit: Visit) -> Response:
        outcome = auth.attempt_login(
            db,
            email=visit.form.get("email", ""),
            password=visit.form.get("password", ""),
            ip=visit.ip,
            now=visit.now,
        )
        if outcome.therapist is None:
            return self.render(
                visit, "login.html", 401, error=outcome.refusal, next=_next_page(visit)
            )
        token = auth.open_session(db, outcome.therapist, ip=visit.ip, now=visit.now)
        # A new CSRF token with the login: a token planted before it is worthless.
        visit.cookie = CookieState(csrf=CookieState.fresh().csrf, session_token=token)
        return self.redirect(_next_page(visit) or "/")

    def logout(self, db: Session, visit: Visit) -> Response:
        if visit.cookie.session_token:
            auth.close_session(db, visit.cookie.session_token, ip=visit.ip, now=visit.now)
        visit.cookie = CookieState.fresh()
        return self.redirect("/login")

    def home(self, db: Session, visit: Visit) -> Response:
        return self.redirect("/caseload")

    # --- escalations ----------------------------------------------------------------

    def escalations(self, db: Session, visit: Visit) -> Response:
        box = queries.inbox(db, visit.therapist)
        self._audit(db, visit, "view_escalations", detail="escalation inbox")
        return self.render(visit, "escalations.html", inbox=box)

    def escalation(
        self, db: Session, visit: Visit, *, error: str = "", status: int = 200
    ) -> Response:
        found = escalation_for(db, visit.therapist, visit.int_param("escalation_id"))
        self._audit(
            db, visit, "view_escalation", client_id=found.client_id, detail=f"escalation {found.id}"
        )
        client = found.client
        takeover = active_takeover(db, client.id, visit.now)
        return self.render(
            visit,
            "escalation.html",
            status,
            escalation=found,
            client=client,
            categories=queries.categories(found),
            timeline=queries.timeline(db, found),
            can_open_client=is_admin(visit.therapist) or client.therapist_id == visit.therapist.id,
            can_write=may_write_to(db, visit.therapist, client),
            takeover=takeover,
            takeover_by=takeover.therapist.name if takeover else "",
            error=error,
        )

    def acknowledge(self, db: Session, visit: Visit) -> Response:
        found = escalation_for(db, visit.therapist, visit.int_param("escalation_id"))
        try:
            acknowledge_escalation(
                db,
                escalation_id=found.id,
                therapist=visit.therapist,
                now=visit.now,
                via=VIA_DASHBOARD,
            )
        except EscalationError as error:
            return self.escalation(db, visit, error=str(error), status=409)
        self._audit(
            db,
            visit,
            "acknowledge_escalation",
            client_id=found.client_id,
            detail=f"escalation {found.id}",
        )
        return self.redirect(f"/escalations/{found.id}")

    def resolve(self, db: Session, visit: Visit) -> Response:
        found = escalation_for(db, visit.therapist, visit.int_param("escalation_id"))
        try:
            resolve_escalation(
                db,
                escalation_id=found.id,
                therapist=visit.therapist,
                note=visit.form.get("note", ""),
                now=visit.now,
            )
        except EscalationError as error:
            return self.escalation(db, visit, error=str(error), status=400)
        self._audit(
            db,
            visit,
            "resolve_escalation",
            client_id=found.client_id,
            detail=f"escalation {found.id}",
        )
        return self.redirect(f"/escalations/{found.id}")

    # --- caseload and clients -------------------------------------------------------

    def caseload(self, db: Session, visit: Visit) -> Response:
        rows = queries.caseload(db, visit.therapist, visit.now)
        self._audit(db, visit, "view_caseload", detail=f"{len(rows)} clients")
        return self.render(visit, "caseload.html", rows=rows)

    def client(
        self, db: Session, visit: Visit, *, notice: str = "", error: str = "", status: int = 200
    ) -> Response:
        client = client_for(db, visit.therapist, visit.int_param("client_id"))
        days = self._days(visit)
        record = queries.client_record(db, client, days=days, now=visit.now)
        local_today = visit.now.astimezone(ZoneInfo(client.timezone)).date()
        start = local_today - timedelta(days=days - 1)
        self._audit(
            db,
            visit,
            "view_client",
            client_id=client.id,
            detail=f"diary {days} days, practices, homework, reminders, transcript",
        )
        return self.render(
            visit,
            "client.html",
            status,
            record=record,
            charts=diary_charts(record.diary, start, local_today),
            windows=queries.TREND_WINDOWS,
            notice=notice,
            error=error,
            today=local_today,
        )

    def _days(self, visit: Visit) -> int:
        raw = visit.request.query_params.get("days", "")
        return (
            int(raw)
            if raw.isdigit() and int(raw) in queries.TREND_WINDOWS
            else queries.TREND_WINDOWS[0]
        )

    def enrolment_code(self, db: Session, visit: Visit) -> Response:
        client = client_for(db, visit.therapist, visit.int_param("client_id"))
        code = new_enrolment_code(db, client, created_by=visit.therapist)
        self._audit(db, visit, "create_enrolment_code", client_id=client.id)
        return self.client(
            db,
            visit,
            notice=(
                f"New enrolment code {code.code} (valid until {self._when(code.expires_at)}): the "
                "client texts JOIN and the code, or sends /start and the code on Telegram."
            ),
        )

    def homework(self, db: Session, visit: Visit) -> Response:
        client = client_for(db, visit.therapist, visit.int_param("client_id"))
        try:
            assign_homework(
                db,
                client=client,
                therapist=visit.therapist,
                title=visit.form.get("title", ""),
                instructions=visit.form.get("instructions", ""),
                skill_id=visit.form.get("skill_id", ""),
                due=_parse_date(visit.form.get("due", "")),
            )
        except ClinicError as error:
            return self.client(db, visit, error=str(error), status=400)
        self._audit(db, visit, "assign_homework", client_id=client.id)
        return self.redirect(f"/clients/{client.id}")

    # --- take-over ------------------------------------------------------------------

    def _back(self, visit: Visit, client: Client) -> str:
        """Where a take-over form returns: the escalation it came from, or the client page."""
        escalation_id = visit.form.get("escalation_id", "")
        return (
            f"/escalations/{escalation_id}" if escalation_id.isdigit() else f"/clients/{client.id}"
        )

    def takeover_start(self, db: Session, visit: Visit) -> Response:
        client = writable_client(db, visit.therapist, visit.int_param("client_id"))
        try:
            start_takeover(
                db,
                client=client,
                therapist=visit.therapist,
                now=visit.now,
                minutes=self.settings.takeover_minutes,
            )
        except TakeoverError as error:
            return self._takeover_refused(db, visit, client, str(error))
        self._audit(db, visit, "takeover_start", client_id=client.id)
        return self.redirect(self._back(visit, client))

    def takeover_message(self, db: Session, visit: Visit) -> Response:
        client = writable_client(db, visit.therapist, visit.int_param("client_id"))
        try:
            message = send_as_therapist(
                db,
                client=client,
                therapist=visit.therapist,
                text=visit.form.get("text", ""),
                now=visit.now,
                minutes=self.settings.takeover_minutes,
            )
        except TakeoverError as error:
            return self._takeover_refused(db, visit, client, str(error))
        self._audit(
            db, visit, "takeover_message", client_id=client.id, detail=f"message {message.id}"
        )
        return self.redirect(self._back(visit, client))

    def takeover_end(self, db: Session, visit: Visit) -> Response:
        client = writable_client(db, visit.therapist, visit.int_param("client_id"))
        try:
            hand_back(db, client=client, therapist=visit.therapist, now=visit.now)
        except TakeoverError as error:
            return self._takeover_refused(db, visit, client, str(error))
        self._audit(db, visit, "takeover_hand_back", client_id=client.id)
        return self.redirect(self._back(visit, client))

    def _takeover_refused(self, db: Session, visit: Visit, client: Client, error: str) -> Response:
        if is_admin(visit.therapist) or client.therapist_id == visit.therapist.id:
            return self.client(db, visit, error=error, status=409)
        return self.render(
            visit, "error.html", 409, title="Cannot write to the client", message=error
        )

    # --- clinic and audit -----------------------------------------------------------

    def clinic(
        self, db: Session, visit: Visit, *, notice: str = "", error: str = "", status: int = 200
    ) -> Response:
        shifts = (
            db.execute(
                select(OncallShift).order_by(
                    OncallShift.role, OncallShift.weekday, OncallShift.start_time
                )
            )
            .scalars()
            .all()
        )
        therapists = (
            db.execute(select(Therapist).order_by(Therapist.name)).scalars().all()
            if is_admin(visit.therapist)
            else []
        )
        clients = queries.caseload(db, visit.therapist, visit.now)
        self._audit(db, visit, "view_clinic", detail="rota, enrolment")
        return self.render(
            visit,
            "clinic.html",
            status,
            notice=notice,
            error=error,
            default_timezone=self.settings.default_client_timezone,
            shifts=shifts,
            gaps=oncall_gaps(db),
            therapists=therapists,
            clients=clients,
            weekdays=WEEKDAY_NAMES,
            roles=OncallRole.ALL,
            clinic_tz=self.settings.clinic_timezone,
        )

    def new_client(self, db: Session, visit: Visit) -> Response:
        """Enrol a client in the caseload (an admin's choice of therapist, else their own)."""
        therapist_email = visit.therapist.email
        if is_admin(visit.therapist) and visit.form.get("therapist_email"):
            therapist_email = visit.form["therapist_email"]
        try:
            client, code = add_client(
                db,
                name=visit.form.get("name", ""),
                therapist_email=therapist_email,
                timezone=visit.form.get("timezone", "").strip()
                or self.settings.default_client_timezone,
                sms_number=visit.form.get("sms_number", "").strip() or None,
            )
        except ClinicError as error:
            return self.clinic(db, visit, error=str(error), status=400)
        self._audit(db, visit, "enrol_client", client_id=client.id)
        return self.clinic(
            db,
            visit,
            notice=(
                f"{client.name} is enrolled (client {client.code}). Enrolment code {code.code}, "
                f"valid until {self._when(code.expires_at)}: the client texts JOIN {code.code}, "
                f"or sends /start {code.code} to the clinic's Telegram bot."
            ),
        )

    def audit_log(self, db: Session, visit: Visit) -> Response:
        if not is_admin(visit.therapist):
            raise Forbidden("audit log")
        rows = (
            db.execute(select(AuditLog).order_by(AuditLog.id.desc()).limit(AUDIT_SHOWN))
            .scalars()
            .all()
        )
        names = {t.id: t.email for t in db.execute(select(Therapist)).scalars()}
        codes = {c.id: c.code for c in db.execute(select(Client)).scalars()}
        self._audit(db, visit, "view_audit_log")
        return self.render(visit, "audit.html", rows=rows, names=names, codes=codes)

    def health(self, db: Session, visit: Visit) -> Response:
        return PlainTextResponse("ok")

    def _audit(
        self,
        db: Session,
        visit: Visit,
        action: str,
        *,
        client_id: int | None = None,
        detail: str | None = None,
    ) -> None:
        audit.record(
            db,
            action=action,
            actor_therapist_id=visit.staff.id if visit.staff else None,
            client_id=client_id,
            detail=detail,
            ip=visit.ip,
        )

    # --- the application --------------------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        def page(path: str, handler: Handler, method: str = "GET", login: bool = True) -> Route:
            return Route(path, self.endpoint(handler, login=login), methods=[method])

        return [
            page("/healthz", self.health, login=False),
            page("/login", self.login_page, login=False),
            page("/login", self.login, "POST", login=False),
            page("/logout", self.logout, "POST", login=False),
            page("/", self.home),
            page("/escalations", self.escalations),
            page("/escalations/{escalation_id:int}", self.escalation),
            page("/escalations/{escalation_id:int}/acknowledge", self.acknowledge, "POST"),
            page("/escalations/{escalation_id:int}/resolve", self.resolve, "POST"),
            page("/caseload", self.caseload),
            page("/clients/{client_id:int}", self.client),
            page("/clients/{client_id:int}/enrolment-code", self.enrolment_code, "POST"),
            page("/clients/{client_id:int}/homework", self.homework, "POST"),
            page("/clients/{client_id:int}/takeover", self.takeover_start, "POST"),
            page("/clients/{client_id:int}/takeover/message", self.takeover_message, "POST"),
            page("/clients/{client_id:int}/takeover/end", self.takeover_end, "POST"),
            page("/clinic", self.clinic),
            page("/clients", self.new_client, "POST"),
            page("/audit", self.audit_log),
            Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="static"),
        ]


def _local_path(path: str) -> bool:
    """A path on this site (ids only, as every dashboard URL): never another site's address."""
    return bool(LOCAL_PATH.fullmatch(path))


def _next_page(visit: Visit) -> str:
    """Where to go after logging in: the form's or the query's ``next``, if local."""
    wanted = visit.form.get("next") or visit.request.query_params.get("next", "")
    return wanted if _local_path(wanted) else ""


def _parse_date(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        raise ClinicError(f"Expected a date like 2026-12-01, got {raw!r}.") from None


def create_app(settings: Settings, engine: Engine | None = None) -> Starlette:
    """The dashboard as an ASGI application (``engine`` defaults to the configured database).

    With SMS configured it also serves Twilio's Fallback URL, so that a text
    sent while the Rasa server is down is still taken in (see
    :mod:`channels.twilio_webhook`): this process does not depend on Rasa.
    """
    dashboard = Dashboard(settings, engine)
    routes = dashboard.routes()
    if settings.twilio is not None:
        from channels.twilio_webhook import fallback_route

        routes.append(fallback_route(settings, engine))
    app = Starlette(routes=routes)
    app.add_middleware(SecurityHeadersMiddleware)
    app.state.dashboard = dashboard
    return app
