"""The dashboard's HTTP plumbing: one request, one transaction, one audit trail.

Every page request runs one database transaction: the login is checked, the
page is read, and the audit row for any client data shown is written in that
same transaction, so no view of client data happens without its record. A
request for someone else's client or escalation, or for an admin's page by a
therapist, gets a 403 page (audited as ``access_denied``), whatever the URL.

Handlers are plain functions ``(db, visit) -> Response`` run in a worker
thread (SQLAlchemy is synchronous); :meth:`Dashboard.page` wraps them with
the cookie, CSRF check, login check, admin check and error pages. A change is
made through :meth:`Dashboard.act`: one step of the core, audited if it is
taken, rolled back and explained if it is refused.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from bot import audit
from bot.clinic import ClinicError
from bot.dashboard import auth
from bot.dashboard.access import AdminOnly, Forbidden, NotFound, is_admin
from bot.dashboard.security import (
    COOKIE_NAME,
    CSRF_FIELD,
    CSRF_HEADER,
    DEVICE_COOKIE_MAX_AGE_SECONDS,
    DEVICE_COOKIE_NAME,
    CookieSigner,
    CookieState,
    Device,
    csrf_matches,
)
from bot.escalation import EscalationError
from bot.reminders.store import ReminderError
from bot.settings import Settings
from bot.storage import session_scope
from bot.storage.enums import AUDIT_DETAIL_MAX_LENGTH
from bot.storage.models import Therapist, utcnow
from bot.takeover import TakeoverError

HERE = Path(__file__).resolve().parent
TEMPLATES_DIR = HERE / "templates"
#: A dashboard page to return to after login: letters, digits, dashes and slashes only.
LOCAL_PATH = re.compile(r"/(?!/)[A-Za-z0-9/_-]*")
#: Where an account whose password an admin chose is sent until it picks its own.
PASSWORD_PAGE = "/password"
#: A refused step's audit action is the step's with this suffix (``enrol_client_refused``).
REFUSED_SUFFIX = "_refused"
#: What a refused step of the core raises: its one-line message is shown to the person.
REFUSALS = (ClinicError, EscalationError, ReminderError, TakeoverError)

Handler = Callable[[Session, "Visit"], Response]
OwnTransactions = Callable[["Visit"], Response]


@dataclass
class Visit:
    """One request as a handler sees it: who, from where, what they sent."""

    request: Request
    ip: str | None
    now: datetime
    cookie: CookieState
    form: Mapping[str, str] = field(default_factory=dict)
    #: Every value of each form field (checkboxes send several).
    choices: Mapping[str, list[str]] = field(default_factory=dict)
    staff: Therapist | None = None
    #: The ``staff_sessions`` row of this login.
    login_id: int | None = None

    @property
    def therapist(self) -> Therapist:
        assert self.staff is not None, "handler needs a login"
        return self.staff

    def int_param(self, name: str) -> int:
        return int(self.request.path_params[name])


class Dashboard:
    """The application's state (settings, database, templates, cookie signer) and its plumbing."""

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
        self.templates.filters["when"] = self.when
        self.templates.filters["day"] = lambda d: f"{d:%a %b %d}" if d else "—"

    def when(self, moment: datetime | None) -> str:
        """A moment in the clinic's time zone, as pages show it."""
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

    @staticmethod
    def redirect(url: str) -> Response:
        return RedirectResponse(url, status_code=303)

    # --- routes -------------------------------------------------------------------

    def page(
        self,
        path: str,
        handler: Handler,
        method: str = "GET",
        *,
        login: bool = True,
        admin: bool = False,
        before_own_password: bool = False,
    ) -> Route:
        """A route: ``admin`` pages refuse therapists (403, audited) whatever the URL;
        ``before_own_password`` pages open while the account still has an admin's password."""

        async def run(request: Request) -> Response:
            visit = await self._visit(request)
            if isinstance(visit, Response):
                return visit
            rules = _Rules(login=login, admin=admin, before_own_password=before_own_password)
            response = await run_in_threadpool(self._in_transaction, handler, visit, rules)
            return self._with_cookie(response, visit.cookie, request)

        return Route(path, run, methods=[method])

    def page_without_login(self, path: str, handler: OwnTransactions, method: str) -> Route:
        """A route whose handler opens its own short transactions (the login form).

        It gets the cookie and CSRF check of :meth:`page`, but no transaction
        around it: a password check (argon2, a fraction of a second) must not
        hold SQLite's write lock, which the crisis path needs.
        """

        async def run(request: Request) -> Response:
            visit = await self._visit(request)
            if isinstance(visit, Response):
                return visit
            response = await run_in_threadpool(handler, visit)
            return self._with_cookie(response, visit.cookie, request)

        return Route(path, run, methods=[method])

    async def _visit(self, request: Request) -> Visit | Response:
        """The request as handlers see it, or the refusal of a POST without the CSRF token."""
        cookie = self.signer.loads(request.cookies.get(COOKIE_NAME))
        form: FormData | None = None
        if request.method == "POST":
            form = await request.form()
            supplied = request.headers.get(CSRF_HEADER) or form.get(CSRF_FIELD)
            if not csrf_matches(cookie.csrf, str(supplied) if supplied else None):
                refused = PlainTextResponse(
                    "This form has expired or did not come from the dashboard. "
                    "Go back, reload the page and try again.",
                    status_code=403,
                )
                return self._with_cookie(refused, cookie, request)
        return Visit(
            request=request,
            ip=request.client.host if request.client else None,
            now=utcnow(),
            cookie=cookie,
            form={k: str(v) for k, v in form.items()} if form is not None else {},
            choices=(
                {k: [str(v) for v in form.getlist(k)] for k in form} if form is not None else {}
            ),
        )

    def _in_transaction(self, handler: Handler, visit: Visit, rules: _Rules) -> Response:
        with session_scope(self.engine) as db:
            if visit.cookie.session_token:
                current = auth.current_login(
                    db, visit.cookie.session_token, now=visit.now, idle=self.idle
                )
                if current is None:
                    visit.cookie = CookieState.fresh()
                else:
                    visit.staff, visit.login_id = current.therapist, current.id
            if rules.login and visit.staff is None:
                return self._to_login(visit)
            if (
                visit.staff is not None
                and visit.staff.must_change_password
                and not rules.before_own_password
            ):
                return self.go(visit, PASSWORD_PAGE)
            try:
                if rules.admin and not is_admin(visit.therapist):
                    raise AdminOnly(visit.request.url.path)
                return handler(db, visit)
            except Forbidden as refused:
                return self._forbidden(db, visit, refused)
            except NotFound:
                return self.render(
                    visit, "error.html", 404, title="Not found", message="There is no such record."
                )

    def _forbidden(self, db: Session, visit: Visit, refused: Forbidden) -> Response:
        audit.record(
            db,
            action="access_denied",
            actor_therapist_id=visit.staff.id if visit.staff else None,
            detail=f"{visit.request.method} {refused}",
            ip=visit.ip,
        )
        if isinstance(refused, AdminOnly):
            title, message = "Admins only", "Only the clinic's admins can do this."
        else:
            title = "Not your client"
            message = "This record belongs to another therapist's caseload."
        return self.render(
            visit,
            "error.html",
            403,
            title=title,
            message=f"{message} The attempt has been recorded.",
        )

    def go(self, visit: Visit, path: str) -> Response:
        """Send the browser to ``path`` (htmx requests are told to load it as a page)."""
        if visit.request.headers.get("hx-request"):
            return Response(status_code=200, headers={"HX-Redirect": path})
        return self.redirect(path)

    def _to_login(self, visit: Visit) -> Response:
        if visit.request.headers.get("hx-request"):
            return Response(status_code=401, headers={"HX-Redirect": "/login"})
        # Back to the page asked for after login (a page link opened on a phone).
        wanted = visit.request.url.path
        target = (
            f"/login?next={quote(wanted)}" if local_path(wanted) and wanted != "/" else "/login"
        )
        return self.redirect(target)

    # --- cookies --------------------------------------------------------------------

    def _with_cookie(self, response: Response, cookie: CookieState, request: Request) -> Response:
        self._set_cookie(response, request, COOKIE_NAME, self.signer.dumps(cookie))
        return response

    def remember_device(self, response: Response, request: Request, device: Device) -> None:
        """Remember on this browser its id and the accounts that logged in from it (.auth)."""
        self._set_cookie(
            response,
            request,
            DEVICE_COOKIE_NAME,
            self.signer.dumps_device(device),
            max_age=DEVICE_COOKIE_MAX_AGE_SECONDS,
        )

    def device(self, request: Request) -> Device:
        return self.signer.loads_device(request.cookies.get(DEVICE_COOKIE_NAME))

    def _set_cookie(
        self,
        response: Response,
        request: Request,
        name: str,
        value: str,
        max_age: int | None = None,
    ) -> None:
        """HttpOnly, SameSite=Strict, and Secure when the dashboard is reached over HTTPS.

        That is when its public address is https (a TLS proxy in front), or when
        the request itself came over HTTPS (directly, or as a trusted proxy says).
        """
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            httponly=True,
            samesite="strict",
            secure=self.secure_cookie or request.url.scheme == "https",
            path="/",
        )

    # --- changes ----------------------------------------------------------------------

    def act(
        self,
        db: Session,
        visit: Visit,
        step: Callable[[], Done | str | None],
        *,
        action: str,
        then: str | Callable[[], Response],
        refused: Callable[[str], Response],
        client_id: int | None = None,
    ) -> Response:
        """Take one step of the core: audited and on to ``then``, or undone and explained.

        ``step`` returns the audit row's detail (ids, never client words), or a
        :class:`Done` when the client it touched is known only afterwards. A
        refused step is rolled back to a savepoint, so half a change is never
        kept; ``refused`` gets its one-line reason to show. The refusal is
        audited too (``<action>_refused``, with the reason shown): a probe
        (a phone number tried at enrolment, say) leaves a trace.
        """
        try:
            with db.begin_nested():
                done = step()
        except REFUSALS as error:
            reason = str(error)
            self.audit(
                db,
                visit,
                f"{action}{REFUSED_SUFFIX}",
                client_id=client_id,
                detail=reason[:AUDIT_DETAIL_MAX_LENGTH],
            )
            return refused(reason)
        if not isinstance(done, Done):
            done = Done(done, client_id)
        self.audit(db, visit, action, client_id=done.client_id, detail=done.detail)
        return self.redirect(then) if isinstance(then, str) else then()

    def audit(
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


@dataclass(frozen=True)
class Done:
    """What a step of :meth:`Dashboard.act` did, for its audit row."""

    detail: str | None = None
    client_id: int | None = None


@dataclass(frozen=True)
class _Rules:
    login: bool
    admin: bool
    before_own_password: bool


def local_path(path: str) -> bool:
    """A path on this site (ids only, as every dashboard URL): never another site's address."""
    return bool(LOCAL_PATH.fullmatch(path))


def ticked_weekdays(visit: Visit) -> list[int]:
    """The ticked ``day`` boxes of a form (0 Monday … 6 Sunday), in order; forged ones refused."""
    raw = visit.choices.get("day", [])
    if not all(value.isdigit() and int(value) < 7 for value in raw):
        raise ClinicError("Days are ticked from Monday to Sunday.")
    return sorted({int(value) for value in raw})
