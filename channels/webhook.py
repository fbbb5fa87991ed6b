"""What every webhook route shares: a body read cheaply, and work done after the answer.

Sanic reads a whole body (up to 100 MB by default) before a handler runs, and
Starlette reads all of it when asked for it. WiseMind's webhook routes stream
instead: :func:`read_limited` refuses a declared ``Content-Length`` over
:data:`MAX_WEBHOOK_BODY_BYTES` without reading a byte of it, and stops a
chunked body as soon as it passes the limit, so nobody can make a server read
and parse megabytes. :func:`read_body` and :func:`too_large` are its Sanic
side (the Rasa server's channels); the dashboard's process, which serves
Twilio's fallback URL and Telegram's webhook, streams a Starlette request
through the same function. :class:`BackgroundTasks` runs what may follow the
answer (the assistant's turn, a button's spinner) in either framework, and on
the Rasa server ends it, cut off, as the server stops.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:  # the dashboard's process reads bodies here without loading Sanic
    from sanic import Blueprint
    from sanic.request import Request
    from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)

#: Far above any real webhook (a 16,000-character message is ~64 kB only as 4-byte emoji).
MAX_WEBHOOK_BODY_BYTES = 64 * 1024
#: The error a body over the limit gets (the connection is not kept either).
TOO_LARGE_ERROR = f"request body over {MAX_WEBHOOK_BODY_BYTES} bytes"
#: How long a stopping server waits for its cancelled background tasks to finish.
STOP_TIMEOUT_SECONDS = 5.0


class BodyTooLarge(Exception):
    """The request's body is over :data:`MAX_WEBHOOK_BODY_BYTES`."""


async def read_limited(declared_length: str | None, chunks: AsyncIterator[bytes]) -> bytes:
    """The body from ``chunks``; raises :class:`BodyTooLarge` past the limit.

    ``declared_length`` is the request's ``Content-Length`` header, if any: one
    over the limit (or not a number) is refused before anything is read.
    """
    if declared_length is not None and (
        not declared_length.isdigit() or int(declared_length) > MAX_WEBHOOK_BODY_BYTES
    ):
        raise BodyTooLarge
    parts: list[bytes] = []
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > MAX_WEBHOOK_BODY_BYTES:
            raise BodyTooLarge
        parts.append(chunk)
    return b"".join(parts)


class Refusal(NamedTuple):
    """Why a webhook request is refused before its body is parsed, for the channel to render."""

    status: int
    message: str
    headers: dict[str, str]


async def configured_body(
    configured: bool, channel: str, read: Callable[[], Awaitable[bytes]]
) -> bytes | Refusal:
    """The body of a request to a channel's webhook, or why it is refused unread.

    A channel with no configuration answers 503 without reading anything, and a
    body over the limit 413 (the connection is not kept), before the channel
    checks the request's signature or secret on what was read.
    """
    if not configured:
        return Refusal(503, f"{channel} channel not configured", {})
    try:
        return await read()
    except BodyTooLarge:
        return Refusal(413, TOO_LARGE_ERROR, {"Connection": "close"})


async def read_body(request: Request) -> bytes:
    """A Sanic request's body, read in chunks; raises :class:`BodyTooLarge` past the limit."""
    if request.stream is not None:
        # Sanic drains an unread body after the response up to this size, not 100 MB.
        request.stream.request_max_size = MAX_WEBHOOK_BODY_BYTES
    return await read_limited(request.headers.get("content-length"), _chunks(request))


async def _chunks(request: Request) -> AsyncIterator[bytes]:
    if request.stream is None:  # not a streaming route: Sanic has read the body already
        yield request.body
        return
    while (chunk := await request.stream.read()) is not None:
        yield chunk


def too_large() -> HTTPResponse:
    """The answer to a body over the limit (and the connection is not kept)."""
    from sanic import response

    return response.json({"error": TOO_LARGE_ERROR}, status=413, headers={"Connection": "close"})


class BackgroundTasks:
    """Runs work after a webhook's answer, keeping references to the tasks until done."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopping = False

    def start(self, work: Coroutine[Any, Any, None]) -> bool:
        """Run ``work`` in a task; False, with ``work`` never begun, once the stop has begun.

        Sanic 21.12 stops these tasks before it drains the requests in flight,
        and closes the loop after: a task started by a request that ends
        during the drain would be left pending at the close, its ``finally``
        never run (an assistant's turn would keep its claim on the client's
        message for the whole lease). The caller does at once what the work's
        end would have done (gives the claim up).
        """
        if self._stopping:
            work.close()
            return False
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    async def stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> None:
        """Start no more tasks; cancel the running ones and wait, up to ``timeout`` seconds.

        A task's ``finally`` needs the event loop: an assistant's turn cut off
        gives its claim on the client's message up there, so that the next
        server answers the client at once. One still running at the end is
        logged (a count, nothing of its work) and left to the loop's close.
        """
        self._stopping = True
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)
        if self._tasks:
            logger.warning("%d background tasks still running after %.0f s of the stop",
                           len(self._tasks), timeout)  # fmt: skip

    def stop_with(self, blueprint: Blueprint) -> None:
        """Stop these tasks as a Sanic server serving ``blueprint`` stops, before its loop closes.

        Sanic 21.12 (``sanic.server.runners.serve``) cancels only the tasks
        registered with ``app.add_task``, then closes the loop: without this,
        no ``finally`` of these tasks would ever run. It stops them before it
        drains the requests in flight; what those start after is refused
        (:meth:`start`), so nothing is left running at the close.
        """

        @blueprint.listener("before_server_stop")
        async def stop(*_: Any) -> None:
            await self.stop()
