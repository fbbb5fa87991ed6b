"""``wisemind chat``: talk to the running bot from a terminal, as a client.

It speaks to the Rasa server's local channel (``/webhooks/local/webhook``),
the same way the tests and benchmarks do. Lines can be typed or piped in.
"""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from typing import IO

from bot.settings import Settings

CHAT_TIMEOUT_SECONDS = 60


class ChatError(RuntimeError):
    """The bot could not be reached; the message says what to do."""


def send(settings: Settings, client_code: str, text: str) -> list[str]:
    """Send one message as ``client_code``; return the bot's replies."""
    request = urllib.request.Request(
        f"{settings.rasa_url}/webhooks/local/webhook",
        data=json.dumps({"sender": client_code, "message": text}).encode(),
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {settings.api_token}",
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=CHAT_TIMEOUT_SECONDS) as response:
            replies = json.load(response)
    except urllib.error.HTTPError as exc:
        raise ChatError(f"the bot refused the message (HTTP {exc.code})") from exc
    except OSError as exc:
        raise ChatError(
            f"WiseMind is not answering at {settings.rasa_url}: start it with `make run`"
        ) from exc
    return [reply["text"] for reply in replies if reply.get("text")]


def chat(settings: Settings, client_code: str, stdin: IO[str], stdout: IO[str]) -> int:
    """Read lines, send each, print the replies, until end of input or 'exit'."""
    interactive = stdin.isatty()
    if interactive:
        stdout.write(f"Chatting as client {client_code}. Type 'exit' or press Ctrl-D to stop.\n")
    while True:
        if interactive:
            stdout.write("you> ")
            stdout.flush()
        line = stdin.readline()
        if not line or line.strip().lower() in ("exit", "/exit"):
            return 0
        try:
            replies = send(settings, client_code, line.rstrip("\n"))
        except ChatError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        for reply in replies:
            stdout.write(f"bot> {reply}\n")
        stdout.flush()
