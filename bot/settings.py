"""Configuration read from ``WISEMIND_*`` environment variables.

Every process (Rasa server, action server, CLI, dashboard, scheduler) reads the
same variables, so one environment configures them all. Values come from the
process environment first, then from ``.env`` in the project home, then from
``var/secrets.env`` (secrets that ``wisemind run`` generates). Bad values fail
at start-up with a clear message rather than at the first message a client sends.
Each server reads them once (:func:`process_settings`), so editing ``.env``
changes nothing until the processes restart.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

#: The repository root: the default home of ``.env``, ``var/`` and ``models/``.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
PREFIX = "WISEMIND_"

#: The locale whose configured crisis numbers stand in for a locale without its own.
ENGLISH = "en"
#: Crisis numbers per locale when none are configured: the United States'.
DEFAULT_CRISIS_NUMBERS: dict[str, tuple[str, str]] = {
    "en": ("988", "911"),
    "es": ("988 (oprime 2 para español)", "911"),
}

#: A crisis number of the United States (the defaults above, however worded after it).
US_NUMBER = re.compile(r"\s*(988|911)\b")
#: The numbers exactly as shipped (``.env.example``), refused beside a clinic's own.
_SHIPPED_NUMBERS = frozenset(n for pair in DEFAULT_CRISIS_NUMBERS.values() for n in pair)

#: The shortest webhook secret accepted: long enough that nobody guesses it.
MIN_TELEGRAM_SECRET_LENGTH = 32
#: The characters Telegram allows in a webhook's secret token.
TELEGRAM_SECRET_ALPHABET = re.compile(r"[A-Za-z0-9_-]+")

#: A phone number in E.164: "+", a country code, at most 15 digits in all.
E164 = re.compile(r"\+[1-9][0-9]{6,14}")


class ConfigError(ValueError):
    """A setting is missing or malformed; raised at start-up, shown as one line."""


@dataclass(frozen=True)
class TwilioSettings:
    """The Twilio account WiseMind sends SMS from; None in Settings when not configured."""

    account_sid: str
    auth_token: str
    from_number: str
    api_url: str = "https://api.twilio.com"


@dataclass(frozen=True)
class TelegramSettings:
    """The Telegram bot; None in Settings when not configured."""

    token: str
    secret: str
    api_url: str = "https://api.telegram.org"


@dataclass(frozen=True)
class Settings:
    """A snapshot of the configuration; build it with :func:`load_settings`."""

    home: Path
    var_dir: Path
    database_url: str
    api_token: str
    rasa_host: str
    rasa_port: int
    action_port: int
    action_server_url: str
    clinic_name: str
    clinic_timezone: str
    default_client_timezone: str
    #: How clients reach the clinic's people (shown in SMS HELP replies).
    clinic_contact: str = ""
    #: locale -> (crisis line, emergency number)
    crisis_numbers: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    #: The Rasa server's public base URL, as Twilio reaches it.
    public_url: str = ""
    #: The public base URL of the dashboard's process as Twilio and Telegram reach it, for
    #: the SMS *Fallback URL* and Telegram's webhook (``WISEMIND_PUBLIC_FALLBACK_URL``;
    #: default: the dashboard's URL).
    public_fallback_url: str = ""
    twilio: TwilioSettings | None = None
    telegram: TelegramSettings | None = None
    #: Where therapists open the dashboard; pages link to it.
    dashboard_url: str = "http://127.0.0.1:8000"
    #: How long a page waits for ``ACK <code>`` before the next tier is paged.
    page_ack_timeout_seconds: int = 300
    #: The clinic's crisis line (E.164), paged by SMS when no therapist acknowledges.
    clinic_crisis_line: str = ""
    #: How often a paging chain that ran out unanswered starts again (and admins are told).
    page_repeat_minutes: int = 10
    #: Port (on 127.0.0.1) of ``wisemind run``'s health endpoint, ``GET /health``; 0: none.
    health_port: int = 5056
    #: Redis for Rasa's conversation locks, when several Rasa servers share the database.
    redis_url: str = ""
    #: Where the dashboard listens (put it behind an HTTPS reverse proxy in production).
    dashboard_host: str = "127.0.0.1"
    dashboard_port: int = 8000
    #: Signs the dashboard's cookies; generated into var/secrets.env when not set.
    dashboard_secret: str = ""
    #: A dashboard login ends after this long without a request.
    dashboard_idle_minutes: int = 30
    #: A take-over the therapist forgets to hand back ends this long after their last message.
    takeover_minutes: int = 60

    @property
    def real_channel_configured(self) -> bool:
        """Whether messages can reach real phones (Twilio or Telegram is set up)."""
        return self.twilio is not None or self.telegram is not None

    #: Whether this scheduler sends reminders at all (one scheduler sends them anyway).
    reminders_enabled: bool = True
    #: ``rasa`` (reminders open the client's conversation) or ``outbox`` (words only).
    reminder_handoff: str = "rasa"

    @property
    def fallback_base_url(self) -> str:
        """The base of Twilio's *Fallback URL* and Telegram's webhook: the dashboard's process."""
        return self.public_fallback_url or self.dashboard_url

    @property
    def models_dir(self) -> Path:
        return self.home / "models"

    @property
    def rasa_url(self) -> str:
        """Where local clients (``wisemind chat``, tests) reach the Rasa server."""
        host = "127.0.0.1" if self.rasa_host in ("0.0.0.0", "::") else self.rasa_host
        return f"http://{host}:{self.rasa_port}"


def default_database_url(var_dir: Path) -> str:
    return f"sqlite:///{var_dir / 'wisemind.db'}"


class _Source:
    """Looks a ``WISEMIND_`` setting up in the environment, then the files."""

    def __init__(self, home: Path, var_dir: Path) -> None:
        # An empty value in .env (``WISEMIND_API_TOKEN=``, as .env.example has it)
        # means "not set": it must not hide a value generated into secrets.env.
        self.files = {
            key: value
            for path in (var_dir / "secrets.env", home / ".env")
            for key, value in read_env_file(path).items()
            if value.strip()
        }

    def get(self, name: str, default: str = "") -> str:
        key = PREFIX + name
        value = os.environ.get(key, "").strip() or self.files.get(key, "").strip()
        return value or default

    def get_int(self, name: str, default: int) -> int:
        raw = self.get(name)
        if not raw:
            return default
        try:
            return int(raw)
        except ValueError as exc:
            raise ConfigError(f"{PREFIX}{name} must be a whole number, got {raw!r}") from exc


def _crisis_numbers(source: _Source) -> dict[str, tuple[str, str]]:
    """Each locale's crisis line and emergency number.

    A locale without numbers of its own takes the clinic's English ones when the
    clinic set those: a clinic outside the United States that sets only
    ``CRISIS_LINE_EN`` must not hand its Spanish speakers 988 and 911. Only when
    the English numbers are the defaults too does a locale keep its own default.
    """
    clinic_line = source.get(f"CRISIS_LINE_{ENGLISH.upper()}")
    clinic_emergency = source.get(f"EMERGENCY_NUMBER_{ENGLISH.upper()}")
    return {
        locale: (
            source.get(f"CRISIS_LINE_{locale.upper()}") or clinic_line or line,
            source.get(f"EMERGENCY_NUMBER_{locale.upper()}") or clinic_emergency or emergency,
        )
        for locale, (line, emergency) in DEFAULT_CRISIS_NUMBERS.items()
    }


def load_settings() -> Settings:
    """Read the configuration (see the module docstring for the order)."""
    home = Path(os.environ.get(f"{PREFIX}HOME") or PROJECT_ROOT).resolve()
    # Runtime state (SQLite file, generated secrets); tests point it at a temporary folder.
    var_dir = Path(os.environ.get(f"{PREFIX}VAR_DIR") or home / "var").resolve()
    source = _Source(home, var_dir)
    rasa_port = source.get_int("RASA_PORT", 5005)
    action_port = source.get_int("ACTION_PORT", 5055)
    crisis_numbers = _crisis_numbers(source)
    settings = Settings(
        home=home,
        var_dir=var_dir,
        database_url=source.get("DATABASE_URL") or default_database_url(var_dir),
        api_token=source.get("API_TOKEN"),
        rasa_host=source.get("RASA_HOST", "127.0.0.1"),
        rasa_port=rasa_port,
        action_port=action_port,
        action_server_url=source.get(
            "ACTION_SERVER_URL", f"http://127.0.0.1:{action_port}/webhook"
        ),
        clinic_name=source.get("CLINIC_NAME", "WiseMind Demo Clinic"),
        clinic_timezone=source.get("CLINIC_TIMEZONE", "America/New_York"),
        default_client_timezone=source.get("DEFAULT_CLIENT_TIMEZONE", "America/New_York"),
        clinic_contact=source.get("CLINIC_CONTACT"),
        crisis_numbers=crisis_numbers,
        public_url=source.get("PUBLIC_URL").rstrip("/"),
        public_fallback_url=source.get("PUBLIC_FALLBACK_URL").rstrip("/"),
        twilio=_twilio_settings(source),
        telegram=_telegram_settings(source),
        dashboard_url=source.get("DASHBOARD_URL", "http://127.0.0.1:8000").rstrip("/"),
        page_ack_timeout_seconds=source.get_int("PAGE_ACK_TIMEOUT_SECONDS", 300),
        clinic_crisis_line=source.get("CLINIC_CRISIS_LINE"),
        page_repeat_minutes=source.get_int("PAGE_REPEAT_MINUTES", 10),
        redis_url=source.get("REDIS_URL"),
        health_port=source.get_int("HEALTH_PORT", 5056),
        dashboard_host=source.get("DASHBOARD_HOST", "127.0.0.1"),
        dashboard_port=source.get_int("DASHBOARD_PORT", 8000),
        dashboard_secret=source.get("DASHBOARD_SECRET"),
        dashboard_idle_minutes=source.get_int("DASHBOARD_IDLE_MINUTES", 30),
        takeover_minutes=source.get_int("TAKEOVER_MINUTES", 60),
        reminders_enabled=_flag(source, "REMINDERS_ENABLED", default=True),
        reminder_handoff=_one_of(source, "REMINDER_HANDOFF", ("rasa", "outbox")),
    )
    check_settings(settings)
    return settings


@functools.cache
def process_settings() -> Settings:
    """This process's settings: read and checked once, when its entry point starts.

    Whatever runs long after start-up (the crisis path, every database session)
    uses this snapshot and never reads the files again: an operator half way
    through editing ``.env`` must not stop a running server's crisis replies
    and pages. A changed setting takes effect when the processes restart.
    """
    return load_settings()


#: The shortest wait for an acknowledgement before the next tier is paged (tests use 6 s).
MIN_ACK_TIMEOUT_SECONDS = 5
#: The shortest interval at which an unacknowledged escalation is paged again.
MIN_PAGE_REPEAT_MINUTES = 1


def check_settings(settings: Settings) -> None:
    """Refuse malformed time zones, phone numbers and URLs at start-up, naming the variable.

    Caught here, a typo stops the process with one line; caught at the first
    risky message, it would stop a page.
    """
    for name, zone in (
        ("CLINIC_TIMEZONE", settings.clinic_timezone),
        ("DEFAULT_CLIENT_TIMEZONE", settings.default_client_timezone),
    ):
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(
                f"{PREFIX}{name} is not a time zone: {zone!r} (expected e.g. America/New_York)"
            ) from None
    for name, value, least, unit in (
        ("PAGE_ACK_TIMEOUT_SECONDS", settings.page_ack_timeout_seconds, MIN_ACK_TIMEOUT_SECONDS,
         "seconds"),
        ("PAGE_REPEAT_MINUTES", settings.page_repeat_minutes, MIN_PAGE_REPEAT_MINUTES, "minute"),
    ):  # fmt: skip
        if value < least:
            raise ConfigError(
                f"{PREFIX}{name} must be at least {least} {unit} (a smaller value pages "
                f"in a storm), got {value}"
            )
    phones = [("CLINIC_CRISIS_LINE", settings.clinic_crisis_line)]
    urls = [
        ("PUBLIC_URL", settings.public_url),
        ("PUBLIC_FALLBACK_URL", settings.public_fallback_url),
        ("DASHBOARD_URL", settings.dashboard_url),
        ("ACTION_SERVER_URL", settings.action_server_url),
    ]
    if settings.twilio is not None:
        phones.append(("TWILIO_FROM", settings.twilio.from_number))
        urls.append(("TWILIO_API_URL", settings.twilio.api_url))
    if settings.telegram is not None:
        urls.append(("TELEGRAM_API_URL", settings.telegram.api_url))
    for name, number in phones:
        if number and not E164.fullmatch(number):
            raise ConfigError(
                f"{PREFIX}{name} must be a phone number in E.164 form like +15551234567, "
                f"got {number!r}"
            )
    for name, url in urls:
        if url and not _is_http_url(url):
            raise ConfigError(
                f"{PREFIX}{name} must be an http(s) URL like https://coach.example.org, "
                f"got {masked_url(url)!r}"
            )
    _check_storage_urls(settings)
    _check_crisis_numbers(settings)
    if settings.twilio is not None and not settings.public_url:
        # Without it the signature would be checked against the URL as the request arrived,
        # which behind the clinic's HTTPS proxy is never the one Twilio signed: every SMS lost.
        raise ConfigError(
            f"Twilio is configured but {PREFIX}PUBLIC_URL is not: set it to the Rasa server's "
            "public https URL (Twilio signs it; delivery reports are sent to it)"
        )


def _check_crisis_numbers(settings: Settings) -> None:
    """A clinic that set any crisis number of its own set every one.

    Each number is compared on its own: left at a United States default (as
    copied from ``.env.example``, or filled in for a variable left out) beside
    one of the clinic's own, it would give clients a number that does not
    work where the clinic is ("call 911" beside "116 123"). The first such
    variable stops start-up, named. A number that begins with 988 or 911 is
    the United States' whatever follows ("988 (marque 2)"), so a clinic there
    may word its Spanish line as it likes. Only a number exactly as shipped is
    refused: where 911 is the real emergency number too (Canada, Mexico), the
    clinic confirms it by writing it otherwise ("9-1-1", "911 (emergencias)").
    """
    numbers = {
        f"{PREFIX}{kind}_{locale.upper()}": number
        for locale, pair in settings.crisis_numbers.items()
        for kind, number in zip(("CRISIS_LINE", "EMERGENCY_NUMBER"), pair, strict=True)
    }
    own = next((name for name, number in numbers.items() if not US_NUMBER.match(number)), None)
    if own is None:
        return
    for name, number in numbers.items():
        if number.strip() in _SHIPPED_NUMBERS:
            raise ConfigError(
                f"{name} is still the United States' {number} while {own} is the clinic's own "
                f"({numbers[own]}): set it to the number clients should call where the clinic is "
                "(if that is 911 there too, write it as 9-1-1)"
            )


def _check_storage_urls(settings: Settings) -> None:
    """The database and Redis URLs parse; the error never shows their password."""
    try:
        make_url(settings.database_url)
    except ArgumentError:
        raise ConfigError(
            f"{PREFIX}DATABASE_URL must look like postgresql+psycopg2://user:password@host/db "
            f"or sqlite:///path, got {masked_url(settings.database_url)!r}"
        ) from None
    if settings.redis_url:
        parsed = urlsplit(settings.redis_url)
        if parsed.scheme not in ("redis", "rediss") or not parsed.hostname:
            raise ConfigError(
                f"{PREFIX}REDIS_URL must look like redis://host:6379/1, "
                f"got {masked_url(settings.redis_url)!r}"
            )


def masked_url(url: str) -> str:
    """``url`` as it may be printed: anything between its scheme and the last ``@`` hidden.

    Works on malformed URLs too (an error about one must not print its password),
    and hides too much rather than too little.
    """
    head, at, rest = url.rpartition("@")
    if not at:
        return url
    scheme, separator, _ = head.partition("//")
    return f"{scheme}{separator}***@{rest}" if separator else f"***@{rest}"


def _is_http_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _flag(source: _Source, name: str, *, default: bool) -> bool:
    raw = source.get(name).lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{PREFIX}{name} must be true or false, got {raw!r}")


def _one_of(source: _Source, name: str, choices: tuple[str, ...]) -> str:
    """The setting, which must be one of ``choices`` (the first is the default)."""
    raw = source.get(name, choices[0]).lower()
    if raw not in choices:
        raise ConfigError(f"{PREFIX}{name} must be one of {', '.join(choices)}, got {raw!r}")
    return raw


def _twilio_settings(source: _Source) -> TwilioSettings | None:
    names = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM")
    values = [source.get(name) for name in names]
    if not any(values):
        return None
    missing = [PREFIX + name for name, value in zip(names, values, strict=False) if not value]
    if missing:
        raise ConfigError(f"Twilio is half configured: set {', '.join(missing)}")
    sid, token, from_number = values
    return TwilioSettings(
        sid, token, from_number, source.get("TWILIO_API_URL", "https://api.twilio.com")
    )


def _telegram_settings(source: _Source) -> TelegramSettings | None:
    token, secret = source.get("TELEGRAM_TOKEN"), source.get("TELEGRAM_SECRET")
    if not token and not secret:
        return None
    if not token or not secret:
        raise ConfigError(
            f"Telegram needs both {PREFIX}TELEGRAM_TOKEN and {PREFIX}TELEGRAM_SECRET "
            "(the secret Telegram echoes in X-Telegram-Bot-Api-Secret-Token)"
        )
    if len(secret) < MIN_TELEGRAM_SECRET_LENGTH or not TELEGRAM_SECRET_ALPHABET.fullmatch(secret):
        # The secret is all that tells Telegram's POSTs from anyone's: a guessable one lets a
        # stranger post "i'm safe" as a client in crisis, or ACK a page.
        raise ConfigError(
            f"{PREFIX}TELEGRAM_SECRET must be at least {MIN_TELEGRAM_SECRET_LENGTH} random "
            "characters from A-Z, a-z, 0-9, _ and - (Telegram allows no others), e.g. "
            "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
        )
    return TelegramSettings(
        token, secret, source.get("TELEGRAM_API_URL", "https://api.telegram.org")
    )


def read_env_file(path: Path) -> dict[str, str]:
    """Parse a ``KEY=value`` file; a missing file is an empty mapping."""
    if not path.exists():
        return {}
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values
