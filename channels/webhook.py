"""Reading a webhook's body cheaply: refuse anything over the limit before reading it.

Sanic reads a whole body (up to 100 MB by default) before a handler runs.
WiseMind's webhook routes are streaming routes instead: :func:`read_body`
refuses a declared ``Content-Length`` over :data:`MAX_WEBHOOK_BODY_BYTES`
without reading a byte of it, and stops a chunked body as soon as it passes
the limit, so nobody can make the Rasa server read and parse megabytes.
"""

from __future__ import annotations

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

#: Far above any real webhook (a 16,000-character message is ~64 kB only as 4-byte emoji).
MAX_WEBHOOK_BODY_BYTES = 64 * 1024


class BodyTooLarge(Exception):
    """The request's body is over :data:`MAX_WEBHOOK_BODY_BYTES`."""


async def read_body(request: Request) -> bytes:
    """The request's body, read in chunks; raises :class:`BodyTooLarge` past the limit."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_WEBHOOK_BODY_BYTES):
        raise BodyTooLarge
    if request.stream is None:
        return request.body
    # Sanic drains an unread body after the response up to this size, not 100 MB.
    request.stream.request_max_size = MAX_WEBHOOK_BODY_BYTES
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = await request.stream.read()
        if chunk is None:
            return b"".join(chunks)
        size += len(chunk)
        if size > MAX_WEBHOOK_BODY_BYTES:
            raise BodyTooLarge
        chunks.append(chunk)


def too_large() -> HTTPResponse:
    """The answer to a body over the limit (and the connection is not kept)."""
    return response.json(
        {"error": f"request body over {MAX_WEBHOOK_BODY_BYTES} bytes"},
        status=413,
        headers={"Connection": "close"},
    )
