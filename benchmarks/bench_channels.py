"""Channel benchmark: from a provider's webhook to our outbound message, per channel.

SMS and Telegram replies do not travel in the webhook's HTTP response: the Rasa
server stores them in the outbox and the scheduler process sends them, looking
for new ones every ``bot.outbox.POLL_SECONDS``. This measures what that path
costs, against the local REST channel (Rasa's plain REST format), whose replies
come back in the HTTP response.

Starts the Twilio and Telegram stand-ins (``tests/standins``) and the real
``wisemind run`` with both channels pointed at them, as the test suite does
(``tests/servers.py``), all on loopback; enrols N clients per channel, each with
its own phone number or chat id; and prints, for the local REST channel, SMS (a
signed Twilio webhook in, the reply recorded by the Twilio stand-in) and Telegram
(an Update with the secret token header in, the reply recorded by the Telegram
stand-in):

* webhook-to-outbound latency (p50/p95/p99): from just before the webhook POST
  to the moment the stand-in recorded the first outbound message of the reply
  (REST: the HTTP response), with one message in flight at a time and the
  channels taking turns, so that nothing queues and a change in the machine's
  load touches all three alike; the webhook's own response time, how soon
  Twilio or Telegram get their 2xx (p50/p99); and how long the reply's first
  message waited in the outbox (p50/p95);
* sustained throughput: N clients at once on one channel, each sending M
  messages one after another and waiting for the whole reply before the next,
  as a person would; with the latencies under that load.

Messages are the quick ones ("hi", "what can you do", "thanks", "what's the
weather"), so that the figures describe the channel path, not the diary logic.
It prints figures and asserts nothing about them; the figures go to
``benchmarks/RESULTS.md``. It exits non-zero only when the run itself went
wrong: a message without a proper reply, or the time limit reached.

Usage: ``.venv/bin/python benchmarks/bench_channels.py [--clients N]
[--messages M] [--time-limit SECONDS]``
"""

from __future__ import annotations

import abc
import argparse
import json
import math
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from itertools import count, cycle, islice
from pathlib import Path
from typing import ClassVar

import httpx
from bench_conversation import (
    DEFAULT_TIME_LIMIT_SECONDS,
    LOG_TAIL_LINES,
    PERCENTILES,
    PROCESSING_ERROR_PREFIX,
    REQUEST_TIMEOUT_SECONDS,
    Conversation,
    Exchange,
    latency_cells,
    load_average,
    percentile,
    print_machine,
    print_table,
)
from sqlalchemy import func, select

from bot.background import BackgroundWiseMind, StartError
from bot.outbox import PENDING, POLL_SECONDS
from bot.settings import PROJECT_ROOT
from bot.storage.enums import Channel, Direction, MessageStatus
from bot.storage.models import Message
from bot.training import ensure_model

# ``tests`` is a package at the project root, which the editable install does not map.
sys.path.insert(0, str(PROJECT_ROOT))

from tests.servers import (  # noqa: E402
    CLINIC_SMS_NUMBER,
    TELEGRAM_SECRET,
    RunningWiseMind,
    clinic_wisemind,
    enrol_client,
)
from tests.standins import (  # noqa: E402
    TelegramStandin,
    TwilioStandin,
    inbound_sms_params,
    signed_telegram_headers,
    signed_twilio_webhook,
    text_update,
)
from tests.standins.telegram import SEND_MESSAGE  # noqa: E402

DEFAULT_CLIENTS = 5
DEFAULT_MESSAGES = 20
#: Quick replies with no form or database work: the cost measured is the channel's.
FAST_MESSAGES = ("hi", "what can you do", "thanks", "what's the weather")
#: Webhook percentiles: the median, and the slow tail a provider's timeout would meet.
WEBHOOK_PERCENTILES = (50, 99)
#: Wait of a reply's first message in the outbox: up to one poll interval, plus sending.
OUTBOX_PERCENTILES = (50, 95)

SMS_WEBHOOK_PATH = "/webhooks/twilio_sms/webhook"
TELEGRAM_WEBHOOK_PATH = "/webhooks/telegram/webhook"
#: Clients' phone numbers are this prefix and a 7-digit number; chat ids this base plus it.
PHONE_PREFIX = "+1555"
CHAT_ID_BASE = 10**9
#: Before each message measured one at a time, a client pauses for a random time up to
#: this long: people's messages arrive at random moments, whereas a client sending
#: straight after its last reply would keep one phase against the scheduler's polling.
PAUSE_SECONDS = 2 * POLL_SECONDS
#: Seeds the pauses, so that two runs pause alike.
PAUSE_SEED = 3
#: How often a client looks for its reply at the stand-in. The latency itself is the
#: stand-in's own timestamp, so this only delays the client's next message.
REPLY_POLL_SECONDS = 0.02
MS_PER_SECOND = 1000
NOT_MEASURED = float("nan")


@dataclass(frozen=True)
class Rig:
    """What runs for the benchmark: WiseMind and the two provider stand-ins."""

    bot: BackgroundWiseMind
    #: The same WiseMind, in the form ``tests.servers`` helpers take it.
    server: RunningWiseMind
    twilio: TwilioStandin
    telegram: TelegramStandin


@dataclass(frozen=True)
class Delivery:
    """One message a client sent, and how its reply came back.

    ``first`` times the webhook POST to the first outbound message of the reply
    (REST: to the HTTP response); ``queued_ms`` to that message's going into the
    outbox (its ``created_at``), so ``first`` minus ``queued_ms`` is its wait
    there; ``webhook_ms`` to the webhook's own HTTP response. ``parts`` is how
    many outbound messages the reply took. ``queued_ms`` and ``parts`` are NaN
    and None on REST, where the reply is the response.
    """

    first: Exchange
    queued_ms: float
    webhook_ms: float
    parts: int | None

    @property
    def in_outbox_ms(self) -> float:
        return self.first.latency_ms - self.queued_ms

    @classmethod
    def failed(cls, text: str, webhook_ms: float = NOT_MEASURED) -> Delivery:
        return cls(Exchange(text, NOT_MEASURED, False), NOT_MEASURED, webhook_ms, None)


def fast_messages(length: int) -> list[str]:
    """The first ``length`` messages of a client cycling through the quick ones."""
    return list(islice(cycle(FAST_MESSAGES), length))


def ms_between(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() * MS_PER_SECOND


# --- Clients -------------------------------------------------------------------------------


class ChannelClient(abc.ABC):
    """One enrolled client texting the bot over one channel."""

    label: ClassVar[str]

    @abc.abstractmethod
    def run(self, messages: Sequence[str], deadline: float) -> list[Delivery]:
        """Send ``messages`` in order, each after the whole reply to the previous one,
        until ``deadline`` (monotonic); how each went."""


class RestClient(ChannelClient):
    """A client of the token-protected local REST channel: the baseline."""

    label = "local REST"

    def __init__(self, rig: Rig, number: int) -> None:
        code = enrol_client(rig.server, consented=True, name=f"Bench REST {number}")
        self.conversation = Conversation(rig.bot, code)

    def run(self, messages: Sequence[str], deadline: float) -> list[Delivery]:
        done = len(self.conversation.exchanges)
        self.conversation.run([(text, text) for text in messages], deadline)
        # The reply is the webhook's response: no outbox, and one time for both.
        return [
            Delivery(exchange, NOT_MEASURED, exchange.latency_ms, None)
            for exchange in self.conversation.exchanges[done:]
        ]


class OutboxClient(ChannelClient):
    """A client on a provider's channel: a webhook in, the reply out through the outbox."""

    #: The channel as the message log names it.
    channel: ClassVar[str]

    def __init__(self, rig: Rig, address: str) -> None:
        self.rig = rig
        self.address = address

    @abc.abstractmethod
    def webhook(self, text: str) -> tuple[str, bytes, dict[str, str], str]:
        """The provider's webhook for ``text``: URL, body, headers and the provider's id."""

    @abc.abstractmethod
    def outbound(self) -> list[tuple[datetime, str]]:
        """When the stand-in recorded each message sent to this client so far, and its text."""

    def run(self, messages: Sequence[str], deadline: float) -> list[Delivery]:
        deliveries = []
        with httpx.Client() as http:
            for text in messages:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                timeout = min(remaining, REQUEST_TIMEOUT_SECONDS)
                deliveries.append(self._send(http, text, timeout))
        return deliveries

    def _send(self, http: httpx.Client, text: str, timeout: float) -> Delivery:
        url, body, headers, provider_id = self.webhook(text)
        already = len(self.outbound())
        wait_until = time.monotonic() + timeout
        sent_at = datetime.now(timezone.utc)  # the stand-ins stamp with the wall clock
        started = time.perf_counter()
        try:
            response = http.post(url, content=body, headers=headers, timeout=timeout)
        except httpx.HTTPError:
            return Delivery.failed(text)
        webhook_ms = (time.perf_counter() - started) * MS_PER_SECOND
        if response.status_code != 200:
            return Delivery.failed(text, webhook_ms)
        reply = self.await_reply(provider_id, already, wait_until)
        if not reply:
            return Delivery.failed(text, webhook_ms)
        first_at, first_text = reply[0]
        ok = not first_text.startswith(PROCESSING_ERROR_PREFIX)
        first = Exchange(text, ms_between(sent_at, first_at), ok)
        queued_at = self.queued_at(already)
        queued_ms = NOT_MEASURED if queued_at is None else ms_between(sent_at, queued_at)
        return Delivery(first, queued_ms, webhook_ms, len(reply))

    def await_reply(
        self, provider_id: str, already: int, wait_until: float
    ) -> list[tuple[datetime, str]]:
        """The reply's outbound messages once all are sent; [] if it was not, in time.

        A reply may take several messages, sent one after another: the next message
        goes only after the last, lest its reply be taken for the rest of this one.
        """
        while time.monotonic() < wait_until:
            reply = self.outbound()[already:]
            if reply and reply[0][1].startswith(PROCESSING_ERROR_PREFIX):
                return reply
            if reply and self._reply_sent(provider_id):
                # The stand-in records a message before the outbox marks it sent.
                return self.outbound()[already:]
            time.sleep(REPLY_POLL_SECONDS)
        return []

    def _reply_sent(self, provider_id: str) -> bool:
        """Whether Rasa is done with the inbound message and the outbox sent all it said."""
        with self.rig.server.engine.connect() as connection:
            status = connection.execute(
                select(Message.status).where(
                    Message.channel == self.channel,
                    Message.direction == Direction.INBOUND,
                    Message.provider_id == provider_id,
                )
            ).scalar_one_or_none()
            if status != MessageStatus.PROCESSED:
                return False
            pending = connection.execute(
                select(func.count(Message.id)).where(
                    Message.channel == self.channel,
                    Message.direction == Direction.OUTBOUND,
                    Message.address == self.address,
                    Message.status.in_(PENDING),
                )
            ).scalar_one()
        return int(pending) == 0

    def queued_at(self, index: int) -> datetime | None:
        """When the ``index``-th message to this client (from 0) went into the outbox."""
        with self.rig.server.engine.connect() as connection:
            return connection.execute(
                select(Message.created_at)
                .where(
                    Message.channel == self.channel,
                    Message.direction == Direction.OUTBOUND,
                    Message.address == self.address,
                )
                .order_by(Message.id)
                .offset(index)
                .limit(1)
            ).scalar_one_or_none()


class SmsClient(OutboxClient):
    """A client's phone texting the clinic's Twilio number."""

    label = "SMS (Twilio)"
    channel = Channel.SMS

    def __init__(self, rig: Rig, number: int) -> None:
        phone = f"{PHONE_PREFIX}{number:07d}"
        enrol_client(rig.server, consented=True, name=f"Bench SMS {number}", sms_number=phone)
        super().__init__(rig, phone)
        self.url = rig.bot.env["WISEMIND_PUBLIC_URL"] + SMS_WEBHOOK_PATH

    def webhook(self, text: str) -> tuple[str, bytes, dict[str, str], str]:
        params = inbound_sms_params(self.address, CLINIC_SMS_NUMBER, text)
        body, headers = signed_twilio_webhook(self.url, params)
        return self.url, body, headers, params["MessageSid"]

    def outbound(self) -> list[tuple[datetime, str]]:
        return [(sms.received_at, sms.body) for sms in self.rig.twilio.messages_to(self.address)]


class TelegramClient(OutboxClient):
    """A client's private chat with the clinic's Telegram bot."""

    label = "Telegram"
    channel = Channel.TELEGRAM
    #: Telegram numbers updates in one sequence per bot; ``next`` on it is thread-safe.
    update_ids: ClassVar[Iterator[int]] = count(1)

    def __init__(self, rig: Rig, number: int) -> None:
        self.chat_id = CHAT_ID_BASE + number
        name = f"Bench Telegram {number}"
        enrol_client(rig.server, consented=True, name=name, telegram_chat_id=str(self.chat_id))
        super().__init__(rig, str(self.chat_id))
        self.url = rig.bot.rasa_url + TELEGRAM_WEBHOOK_PATH

    def webhook(self, text: str) -> tuple[str, bytes, dict[str, str], str]:
        update_id = next(self.update_ids)
        body = json.dumps(text_update(update_id, self.chat_id, text)).encode()
        return self.url, body, signed_telegram_headers(TELEGRAM_SECRET), str(update_id)

    def outbound(self) -> list[tuple[datetime, str]]:
        # The request record, not ``messages_to``: only it has the time of arrival.
        return [
            (request.received_at, str(request.params.get("text", "")))
            for request in self.rig.telegram.requests
            if request.path.endswith(f"/{SEND_MESSAGE}")
            and request.status == 200
            and request.params.get("chat_id") == self.chat_id
        ]


#: The channels compared, the baseline first.
CHANNEL_CLIENTS: tuple[type[RestClient | SmsClient | TelegramClient], ...] = (
    RestClient,
    SmsClient,
    TelegramClient,
)


# --- Figures ------------------------------------------------------------------------------


def succeeded(deliveries: Sequence[Delivery]) -> list[Delivery]:
    return [delivery for delivery in deliveries if delivery.first.ok]


def failures(deliveries: Sequence[Delivery]) -> int:
    return sum(not delivery.first.ok for delivery in deliveries)


def cells(values: Sequence[float], percentiles: Sequence[int]) -> list[str]:
    """Percentiles of ``values`` in ms, as table cells."""
    if not values:
        return ["n/a"] * len(percentiles)
    return [f"{percentile(values, pct):.0f}" for pct in percentiles]


def webhook_cells(deliveries: Sequence[Delivery]) -> list[str]:
    return cells([d.webhook_ms for d in succeeded(deliveries)], WEBHOOK_PERCENTILES)


def parts_cell(deliveries: Sequence[Delivery]) -> str:
    """Outbound messages per reply, on average; '–' where the reply is one HTTP response."""
    parts = [d.parts for d in succeeded(deliveries) if d.parts is not None]
    return f"{sum(parts) / len(parts):.1f}" if parts else "–"


def first_p50(deliveries: Sequence[Delivery]) -> float:
    latencies = [d.first.latency_ms for d in succeeded(deliveries)]
    return percentile(latencies, 50) if latencies else NOT_MEASURED


def outbox_cells(deliveries: Sequence[Delivery]) -> list[str]:
    """How long the reply's first message waited in the outbox; '–' on REST."""
    waits = [d.in_outbox_ms for d in succeeded(deliveries) if not math.isnan(d.in_outbox_ms)]
    return cells(waits, OUTBOX_PERCENTILES) if waits else ["–"] * len(OUTBOX_PERCENTILES)


def print_one_at_a_time(results: dict[str, list[Delivery]]) -> None:
    """Latency without queueing, its excess over REST, the webhook's and the outbox's share."""
    baseline = first_p50(results[RestClient.label])
    rows = []
    for label, deliveries in results.items():
        extra = first_p50(deliveries) - baseline
        rows.append(
            [
                label,
                str(len(deliveries)),
                str(failures(deliveries)),
                *latency_cells([d.first for d in deliveries]),
                "–" if math.isnan(extra) or label == RestClient.label else f"{extra:+.0f}",
                *webhook_cells(deliveries),
                *outbox_cells(deliveries),
                parts_cell(deliveries),
            ]
        )
    print_table(
        [
            "channel",
            "messages",
            "failed",
            *(f"to 1st outbound p{pct} ms" for pct in PERCENTILES),
            "p50 over REST ms",
            *(f"webhook 2xx p{pct} ms" for pct in WEBHOOK_PERCENTILES),
            *(f"in outbox p{pct} ms" for pct in OUTBOX_PERCENTILES),
            "outbound msgs per reply",
        ],
        rows,
    )


def print_concurrent(results: dict[str, tuple[list[Delivery], float]]) -> None:
    """Throughput of each channel with N clients at once, and its latencies under load."""
    rows = []
    for label, (deliveries, wall_seconds) in results.items():
        rows.append(
            [
                label,
                str(len(deliveries)),
                str(failures(deliveries)),
                f"{wall_seconds:.1f}",
                f"{len(deliveries) / wall_seconds:.1f}",
                *latency_cells([d.first for d in deliveries]),
                *webhook_cells(deliveries),
            ]
        )
    print_table(
        [
            "channel",
            "messages",
            "failed",
            "wall s",
            "messages/s",
            *(f"to 1st outbound p{pct} ms" for pct in PERCENTILES),
            *(f"webhook 2xx p{pct} ms" for pct in WEBHOOK_PERCENTILES),
        ],
        rows,
    )


# --- The measurements ----------------------------------------------------------------------


def warm_up(rig: Rig, deadline: float) -> list[Delivery]:
    """Each quick message once per channel by a client of its own, not counted: first
    uses (the provider clients, Rasa's caches) stay out of the figures."""
    return [
        delivery
        for client_type in CHANNEL_CLIENTS
        for delivery in client_type(rig, 0).run(FAST_MESSAGES, deadline)
    ]


def measure_one_at_a_time(
    clients: dict[str, list[ChannelClient]], messages: int, deadline: float
) -> dict[str, list[Delivery]]:
    """Every client sends its messages with nothing else in flight, the channels in turn,
    each message after a random pause (see ``PAUSE_SECONDS``)."""
    pauses = random.Random(PAUSE_SEED)
    results: dict[str, list[Delivery]] = {label: [] for label in clients}
    for text in fast_messages(messages):
        for number in range(len(next(iter(clients.values())))):
            for label, of_channel in clients.items():
                time.sleep(pauses.uniform(0, PAUSE_SECONDS))
                results[label] += of_channel[number].run([text], deadline)
    return results


def measure_concurrent(
    clients: Sequence[ChannelClient], messages: int, deadline: float
) -> tuple[list[Delivery], float]:
    """All ``clients`` at once, one message in flight each; their deliveries and the wall time."""
    script = fast_messages(messages)
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        futures = [pool.submit(client.run, script, deadline) for client in clients]
        deliveries = [delivery for future in futures for delivery in future.result()]
    return deliveries, time.perf_counter() - started


def measure_all(rig: Rig, args: argparse.Namespace, deadline: float) -> bool:
    """Warm-up, then the two measurements, each printed as soon as it is done."""
    warm = warm_up(rig, deadline)
    clients: dict[str, list[ChannelClient]] = {
        client_type.label: [client_type(rig, number) for number in range(1, args.clients + 1)]
        for client_type in CHANNEL_CLIENTS
    }
    per_channel = args.clients * args.messages

    print(f"## a. Webhook to outbound, one message at a time ({per_channel} per channel)\n")
    print(f"Outbox poll interval (bot.outbox.POLL_SECONDS): {POLL_SECONDS * 1000:.0f} ms\n")
    alone = measure_one_at_a_time(clients, args.messages, deadline)
    print_one_at_a_time(alone)

    print(f"## b. Throughput: {args.clients} clients at once × {args.messages} messages\n")
    together = {
        label: measure_concurrent(of_channel, args.messages, deadline)
        for label, of_channel in clients.items()
    }
    print_concurrent(together)
    print(f"Load average at end (1/5/15 min): {load_average()}")

    deliveries = [
        *warm,
        *(d for of_channel in alone.values() for d in of_channel),
        *(d for of_channel, _ in together.values() for d in of_channel),
    ]
    expected = len(CHANNEL_CLIENTS) * (len(FAST_MESSAGES) + 2 * per_channel)
    failed = failures(deliveries)
    if len(deliveries) < expected:
        print(f"\nINCOMPLETE: time limit reached after {len(deliveries)} of {expected} messages")
    if failed:
        print(f"\nFAILED: {failed} messages got no proper reply. End of the servers' log:")
        print("\n".join(rig.bot.log_path.read_text().splitlines()[-LOG_TAIL_LINES:]))
    return len(deliveries) == expected and not failed


# --- Entry point ---------------------------------------------------------------------------


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=DEFAULT_CLIENTS)
    parser.add_argument("--messages", type=int, default=DEFAULT_MESSAGES)
    parser.add_argument("--time-limit", type=float, default=DEFAULT_TIME_LIMIT_SECONDS)
    args = parser.parse_args(argv)
    if min(args.clients, args.messages, args.time_limit) <= 0:
        parser.error("every count and the time limit must be positive")
    return args


@contextmanager
def running_rig() -> Iterator[Rig]:
    """The stand-ins and a background WiseMind pointed at them, as the test suite runs it."""
    ensure_model(PROJECT_ROOT, PROJECT_ROOT / "models")
    with (
        TwilioStandin() as twilio,
        TelegramStandin() as telegram,
        tempfile.TemporaryDirectory(prefix="wisemind-bench-") as var_dir,
    ):
        started = time.monotonic()
        with clinic_wisemind(Path(var_dir), twilio, telegram) as bot:
            print(f"WiseMind started in {time.monotonic() - started:.0f} s (pid {bot.pid})\n")
            server = RunningWiseMind.of(bot)
            try:
                yield Rig(bot, server, twilio, telegram)
            finally:
                server.engine.dispose()


def run_benchmark(
    title: str,
    measure: Callable[[Rig, argparse.Namespace, float], bool],
    args: argparse.Namespace,
) -> int:
    """Print the header, run ``measure`` on a fresh rig; exit code 0 if it succeeded."""
    deadline = time.monotonic() + args.time_limit
    print(f"# {title}\n")
    print_machine([sys.executable, *sys.argv])
    try:
        with running_rig() as rig:
            return 0 if measure(rig, args, deadline) else 1
    except StartError as exc:
        print(f"WiseMind did not start: {exc}", file=sys.stderr)
        return 1


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    return run_benchmark("WiseMind channel benchmark", measure_all, args)


if __name__ == "__main__":
    sys.exit(main())
