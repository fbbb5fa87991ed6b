"""What the Twilio and Telegram stand-ins share: a local HTTP server, a record, a failure schedule.

Each provider stand-in only knows its own API (routes, validation, the JSON it answers
with, how it words an error). Everything else lives here once: serving HTTP on
``127.0.0.1`` on a free port from a daemon thread, decoding request bodies the way
the official clients encode them (form, multipart, JSON), recording every request in
arrival order, and deciding whether a request should fail or be answered slowly.
"""

from __future__ import annotations

import abc
import asyncio
import email.parser
import email.policy
import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

__all__ = [
    "DEFAULT_WAIT_TIMEOUT",
    "Failure",
    "FailureSchedule",
    "IncomingRequest",
    "RecordedRequest",
    "Reply",
    "StandinServer",
    "UploadedFile",
]

_LOGGER = logging.getLogger(__name__)

T = TypeVar("T")
_S = TypeVar("_S", bound="StandinServer")

#: Where the stand-ins listen: loopback only, so a test run never exposes them.
HOST = "127.0.0.1"
#: How long ``wait_for_*`` helpers wait by default, in seconds. Generous, because the
#: bot under test may answer after a Rasa prediction, yet short enough to fail fast.
DEFAULT_WAIT_TIMEOUT = 5.0
#: How often the asyncio waiters look at the record, in seconds.
ASYNC_POLL_INTERVAL = 0.02
#: How often ``serve_forever`` checks for shutdown, in seconds; small so ``stop()`` is quick.
SHUTDOWN_POLL_INTERVAL = 0.05
#: How long ``stop()`` waits for the serving thread to end, in seconds.
STOP_JOIN_TIMEOUT = 5.0

_FORM = "application/x-www-form-urlencoded"
_MULTIPART = "multipart/form-data"
_JSON = "application/json"


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart body (e.g. a document PTB uploads)."""

    filename: str | None
    content_type: str
    content: bytes


@dataclass(frozen=True)
class IncomingRequest:
    """One HTTP request as received, with its body decoded by content type.

    ``form`` keeps every value of repeated keys (Twilio repeats ``MediaUrl``), and
    holds the text fields of multipart bodies too; ``files`` holds their file parts.
    ``json_body`` is the parsed JSON body, or ``None`` when the body was not JSON.
    """

    method: str
    path: str
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]
    body: bytes
    content_type: str
    form: Mapping[str, list[str]]
    files: Mapping[str, UploadedFile]
    json_body: Any

    def header(self, name: str) -> str | None:
        """A header's value regardless of how the client capitalised its name."""
        wanted = name.lower()
        for key, value in self.headers.items():
            if key.lower() == wanted:
                return value
        return None


@dataclass(frozen=True)
class RecordedRequest:
    """A request the stand-in received, kept for assertions, including failed ones.

    ``params`` are the request's parameters decoded the way the provider reads them
    (see each stand-in); ``status`` is what the stand-in answered.
    """

    method: str
    path: str
    headers: Mapping[str, str]
    params: Mapping[str, Any]
    body: bytes
    status: int
    received_at: datetime


@dataclass(frozen=True)
class Reply:
    """What a stand-in answers: a status, a JSON payload and extra headers."""

    status: int
    payload: Any
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Failure:
    """How a request should fail. Each stand-in renders it in its provider's error format.

    ``code`` is a provider error code (Twilio's ``21610``; unused by Telegram),
    ``message`` the human text (Twilio's ``message``, Telegram's ``description``),
    ``retry_after`` the seconds a rate-limited client should wait.
    """

    status: int = HTTPStatus.INTERNAL_SERVER_ERROR
    code: int | None = None
    message: str | None = None
    retry_after: int | None = None


@dataclass
class _Window:
    """A failure that applies to every matching request until ``deadline`` (monotonic)."""

    deadline: float
    failure: Failure
    operation: str | None


@dataclass
class _Countdown:
    """A failure that applies to the next ``remaining`` matching requests."""

    remaining: int
    failure: Failure
    operation: str | None


class FailureSchedule:
    """Which requests fail, and how slowly requests are answered. Thread-safe.

    Three kinds of failure, checked in this order by :meth:`take`:

    * a countdown (``fail_next``): the next *n* matching requests fail, then it is spent;
    * a window (``fail_for``): every matching request fails until a deadline, which is
      how an outage of a few seconds looks to a client that retries;
    * a per-target failure (``fail_target``): every request about one recipient fails,
      for as long as the schedule is not reset (an opted-out number, a blocked chat).

    Transient failures come first because an outage answers before the provider ever
    looks at the recipient. ``operation`` narrows a rule to one kind of request (e.g.
    Telegram's ``sendMessage``), so a client's start-up calls do not use it up;
    ``None`` matches every operation.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._countdowns: deque[_Countdown] = deque()
        self._windows: list[_Window] = []
        self._targets: dict[str, Failure] = {}
        self._delay = 0.0

    def fail_next(self, count: int, failure: Failure, operation: str | None = None) -> None:
        """Make the next ``count`` requests of ``operation`` fail with ``failure``."""
        if count < 1:
            raise ValueError(f"count must be at least 1, not {count}")
        with self._lock:
            self._countdowns.append(_Countdown(count, failure, operation))

    def fail_for(self, seconds: float, failure: Failure, operation: str | None = None) -> None:
        """Make every request of ``operation`` fail with ``failure`` for ``seconds``."""
        if seconds <= 0:
            raise ValueError(f"seconds must be positive, not {seconds}")
        with self._lock:
            self._windows.append(_Window(time.monotonic() + seconds, failure, operation))

    def fail_target(self, target: str, failure: Failure) -> None:
        """Make every request about ``target`` (a phone number, a chat id) fail."""
        with self._lock:
            self._targets[target] = failure

    def clear_target(self, target: str) -> None:
        """Let requests about ``target`` succeed again."""
        with self._lock:
            self._targets.pop(target, None)

    def set_delay(self, seconds: float) -> None:
        """Answer every request ``seconds`` late (``0`` answers at once)."""
        if seconds < 0:
            raise ValueError(f"seconds must not be negative, not {seconds}")
        with self._lock:
            self._delay = seconds

    @property
    def delay(self) -> float:
        """How late requests are answered, in seconds."""
        with self._lock:
            return self._delay

    def reset(self) -> None:
        """Forget every failure and the delay: all requests succeed at once again."""
        with self._lock:
            self._countdowns.clear()
            self._windows.clear()
            self._targets.clear()
            self._delay = 0.0

    def take(self, operation: str, target: str | None = None) -> Failure | None:
        """The failure this request should get, if any, using up one countdown step."""
        with self._lock:
            for countdown in self._countdowns:
                if countdown.operation in (None, operation):
                    countdown.remaining -= 1
                    if countdown.remaining == 0:
                        self._countdowns.remove(countdown)
                    return countdown.failure
            now = time.monotonic()
            self._windows = [window for window in self._windows if window.deadline > now]
            for window in self._windows:
                if window.operation in (None, operation):
                    return window.failure
            if target is not None:
                return self._targets.get(target)
            return None


def _decode_multipart(
    content_type_header: str, body: bytes
) -> tuple[dict[str, list[str]], dict[str, UploadedFile]]:
    """Split a multipart/form-data body into text fields and file parts."""
    raw = b"Content-Type: " + content_type_header.encode("latin-1") + b"\r\n\r\n" + body
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(raw)
    form: dict[str, list[str]] = {}
    files: dict[str, UploadedFile] = {}
    if not message.is_multipart():
        return form, files
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        content = payload if isinstance(payload, bytes) else b""
        filename = part.get_filename()
        if filename is None and part.get_content_type() in ("text/plain", _JSON):
            charset = part.get_content_charset() or "utf-8"
            form.setdefault(name, []).append(content.decode(charset, "replace"))
        else:
            files[name] = UploadedFile(filename, part.get_content_type(), content)
    return form, files


def _decode_chunked(stream: Any) -> bytes:
    """Read a ``Transfer-Encoding: chunked`` body to its end."""
    chunks: list[bytes] = []
    while True:
        size_line = stream.readline()
        size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
        if size == 0:
            while stream.readline() not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return b"".join(chunks)
        chunks.append(stream.read(size))
        stream.readline()  # the CRLF after each chunk


class _Handler(BaseHTTPRequestHandler):
    """Hands every request to the owning :class:`StandinServer`."""

    server: _Server
    #: HTTP/1.0: one request per connection, so ``stop()`` leaves no kept-alive
    #: connection that a lingering handler thread would go on answering.
    protocol_version = "HTTP/1.0"

    def do_GET(self) -> None:  # noqa: N802 - the name http.server dispatches to
        self._serve()

    def do_POST(self) -> None:  # noqa: N802
        self._serve()

    def do_PUT(self) -> None:  # noqa: N802
        self._serve()

    def do_DELETE(self) -> None:  # noqa: N802
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - base signature
        """Log through ``logging`` instead of writing every request to stderr."""
        _LOGGER.debug("%s: " + format, self.server.standin.name, *args)

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return _decode_chunked(self.rfile)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _parse(self) -> IncomingRequest:
        split = urlsplit(self.path)
        body = self._read_body()
        content_type_header = self.headers.get("Content-Type") or ""
        content_type = content_type_header.split(";", 1)[0].strip().lower()
        form: dict[str, list[str]] = {}
        files: dict[str, UploadedFile] = {}
        json_body: Any = None
        if content_type == _FORM:
            form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        elif content_type == _MULTIPART:
            form, files = _decode_multipart(content_type_header, body)
        elif content_type == _JSON and body.strip():
            try:
                json_body = json.loads(body)
            except ValueError:
                json_body = None
        return IncomingRequest(
            method=self.command,
            path=split.path,
            query=parse_qs(split.query, keep_blank_values=True),
            headers=dict(self.headers.items()),
            body=body,
            content_type=content_type,
            form=form,
            files=files,
            json_body=json_body,
        )

    def _serve(self) -> None:
        standin = self.server.standin
        request = self._parse()
        reply = standin.process(request)
        standin.wait_delay()
        data = json.dumps(reply.payload).encode("utf-8")
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Connection", "close")
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (its timeout was shorter than our delay); so would
            # the real API's connection have dropped. Nothing to report.
            _LOGGER.debug("%s: client went away before the reply", standin.name)


class _Server(ThreadingHTTPServer):
    """A threading HTTP server that knows its stand-in and does not print tracebacks."""

    daemon_threads = True
    #: Takes many connections at once, as the providers' APIs do (the default backlog
    #: of 5 would refuse some at once, which frees a sender no real outage frees).
    request_queue_size = 128

    def __init__(self, standin: StandinServer) -> None:
        self.standin = standin
        super().__init__((HOST, 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        _LOGGER.exception("%s: error while handling a request", self.standin.name)


class StandinServer(abc.ABC):
    """A provider stand-in: a local HTTP server plus a thread-safe record of requests.

    Subclasses implement :meth:`decode_params` (what the provider reads from a request)
    and :meth:`respond` (what it answers), and render failures in :meth:`render_failure`.
    Use as a context manager, or call :meth:`start` and :meth:`stop`.
    """

    #: Shown in logs and in assertion messages.
    name = "stand-in"

    def __init__(self) -> None:
        self._lock = threading.RLock()
        #: Notified whenever something is recorded, so waiters wake without polling.
        self._changed = threading.Condition(self._lock)
        self._requests: list[RecordedRequest] = []
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.failures = FailureSchedule()

    # -- lifecycle -------------------------------------------------------------------

    def start(self: _S) -> _S:
        """Listen on a free loopback port and serve from a daemon thread."""
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": SHUTDOWN_POLL_INTERVAL},
            name=f"{self.name} {self.url}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, cutting short any delayed answer. Safe to call twice."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(STOP_JOIN_TIMEOUT)
        self._server = self._thread = None

    def __enter__(self: _S) -> _S:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The base URL to point a client at, e.g. ``http://127.0.0.1:54321``."""
        if self._server is None:
            raise RuntimeError(f"{self.name} is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    # -- record ----------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received, in arrival order, including failed ones."""
        with self._lock:
            return list(self._requests)

    def clear(self) -> None:
        """Forget what was received (not the failure schedule: see :meth:`reset`)."""
        with self._lock:
            self._requests.clear()
            self._clear_records()

    def reset(self) -> None:
        """Forget scheduled failures and delays: every request succeeds at once again."""
        self.failures.reset()

    def delay(self, seconds: float) -> None:
        """Answer every request ``seconds`` late, to exercise client timeouts."""
        self.failures.set_delay(seconds)

    # -- what subclasses provide -----------------------------------------------------

    @abc.abstractmethod
    def decode_params(self, request: IncomingRequest) -> dict[str, Any]:
        """The request's parameters as the provider reads them (recorded for tests)."""

    @abc.abstractmethod
    def respond(self, request: IncomingRequest, params: Mapping[str, Any]) -> Reply:
        """Answer the request. Runs with the record lock held, so state stays consistent."""

    @abc.abstractmethod
    def render_failure(self, failure: Failure, request: IncomingRequest) -> Reply:
        """A scheduled failure in the provider's own error format."""

    @abc.abstractmethod
    def _clear_records(self) -> None:
        """Forget provider-specific records; called by :meth:`clear` with the lock held."""

    # -- helpers for subclasses ------------------------------------------------------

    def scheduled_failure(
        self, request: IncomingRequest, operation: str, target: str | None = None
    ) -> Reply | None:
        """The rendered failure this request should get from the schedule, if any."""
        failure = self.failures.take(operation, target)
        return None if failure is None else self.render_failure(failure, request)

    def _wait_for(
        self, select: Callable[[], list[T]], count: int, timeout: float, what: str
    ) -> list[T]:
        """Block until ``select()`` holds ``count`` items; fail with what did arrive."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                items = select()
                if len(items) >= count:
                    return items
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(self._shortfall(items, count, timeout, what))
                self._changed.wait(remaining)

    async def _wait_for_async(
        self, select: Callable[[], list[T]], count: int, timeout: float, what: str
    ) -> list[T]:
        """:meth:`_wait_for` for code running on an event loop, which must not block."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                items = select()
                if len(items) >= count:
                    return items
                if time.monotonic() >= deadline:
                    raise AssertionError(self._shortfall(items, count, timeout, what))
            await asyncio.sleep(ASYNC_POLL_INTERVAL)

    def _shortfall(self, items: list[Any], count: int, timeout: float, what: str) -> str:
        """What arrived instead, for the assertion message. Call with the lock held."""
        lines = [f"{self.name}: expected {count} {what} within {timeout}s, got {len(items)}:"]
        lines += [f"  {item!r}" for item in items]
        lines.append(f"requests received ({len(self._requests)}):")
        lines += [f"  {r.method} {r.path} -> {r.status} {dict(r.params)!r}" for r in self._requests]
        return "\n".join(lines)

    # -- called by the HTTP handler --------------------------------------------------

    def process(self, request: IncomingRequest) -> Reply:
        """Decode, answer and record one request (before any delay, as a real server
        would have acted on a request whose answer the client then timed out on)."""
        with self._changed:
            params = self.decode_params(request)
            reply = self.respond(request, params)
            self._requests.append(
                RecordedRequest(
                    method=request.method,
                    path=request.path,
                    headers=request.headers,
                    params=params,
                    body=request.body,
                    status=int(reply.status),
                    received_at=datetime.now(timezone.utc),
                )
            )
            self._changed.notify_all()
        return reply

    def wait_delay(self) -> None:
        """Sleep for the configured delay, waking early when the stand-in stops."""
        seconds = self.failures.delay
        if seconds > 0:
            self._stopping.wait(seconds)
