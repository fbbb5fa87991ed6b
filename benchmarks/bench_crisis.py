"""Crisis benchmark: from a crisis SMS's webhook to the crisis reply and the page.

A message with suicide or self-harm risk must get the client a crisis reply and
page the on-call therapist within 2 s (p99) of the webhook arriving. Both leave
through the outbox, which the scheduler process sends, looking for new messages
every ``bot.outbox.POLL_SECONDS``: the page is queued by the intake pipeline as the webhook
arrives, before Rasa sees the message (``bot/intake/``); the reply is Rasa's.

Starts the Twilio and Telegram stand-ins (``tests/standins``) and the real
``wisemind run`` pointed at them, as ``bench_channels.py`` does, all on loopback.
Then, one client at a time, N freshly enrolled clients, each with its own phone,
send one ``escalate`` message of the shared dev set (cycling through it) over the
signed Twilio SMS webhook: every other client while idle, the others halfway
through a diary card ("diary" and "1" first, each after the whole reply to the
one before). Each client has one escalation, so it pages once; the page is then
acknowledged, as the therapist's ``ACK`` would do, lest it move on to the backup
phone while later clients are measured. It prints, from just before the webhook
POST, for idle, mid-diary and all clients:

* to the crisis reply: the first SMS to the client that the Twilio stand-in
  recorded (its own timestamp), which must open the crisis protocol;
* to the page: the SMS to the primary on call (+15005550001) naming the client's
  code;

as p50/p95/p99/max and how many of the N were within 2 s; and where the time goes
(the webhook's own answer, when each message was stored in the outbox, how long it
waited there).

It prints figures and asserts nothing about them; the figures go to
``benchmarks/RESULTS.md``. It exits non-zero only when the run itself went wrong:
a crisis message without a crisis reply or a page, a diary card that did not
start, or the time limit reached.

Usage: ``.venv/bin/python benchmarks/bench_crisis.py [--clients N] [--time-limit SECONDS]``
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from itertools import cycle, islice

import httpx
from bench_channels import (
    MS_PER_SECOND,
    NOT_MEASURED,
    PAUSE_SECONDS,
    PAUSE_SEED,
    REPLY_POLL_SECONDS,
    Rig,
    SmsClient,
    cells,
    ms_between,
    run_benchmark,
)
from bench_conversation import (
    DEFAULT_TIME_LIMIT_SECONDS,
    LOG_TAIL_LINES,
    PERCENTILES,
    REQUEST_TIMEOUT_SECONDS,
    Exchange,
    latency_cells,
    load_average,
    print_table,
)
from sqlalchemy import select

from bot.clinic import client_for_identity, therapist_for_identity
from bot.crisis_messages import ALERTED, PROTOCOL
from bot.escalation import acknowledge, active_escalation
from bot.outbox import POLL_SECONDS
from bot.storage import session_scope
from bot.storage.enums import Channel, Direction
from bot.storage.models import Message, utcnow

# ``bench_channels`` has put the project root on ``sys.path`` for ``tests``.
from tests.servers import (
    BACKUP_ON_CALL,
    CLINIC_CRISIS_LINE,
    PRIMARY_ON_CALL,
)
from tests.standins import SentSms
from tests.test_crisis import DEV_SET, pages_about

DEFAULT_CLIENTS = 40
#: The promise: crisis reply and page within this long of the webhook arriving (p99).
TARGET_MS = 2 * MS_PER_SECOND
#: The dev set's label for messages that must get the crisis reply and a page.
ESCALATE = "escalate"
IDLE, MID_DIARY = "idle", "mid-diary"
#: Clients alternate, so that a change in the machine's load touches both states alike.
CLIENT_STATES = (IDLE, MID_DIARY)
#: Sent first by a mid-diary client: start the card and answer its first question.
DIARY_OPENING = ("diary", "1")
#: The warm-up client's crisis message: not in the dev set, so it warms no cache for it.
WARM_UP_TEXT = "i want to end my life"
#: A crisis reply opens with the protocol's first sentence, in English or Spanish.
CRISIS_OPENINGS = tuple(text.split(". ")[0] for text in PROTOCOL.values())
ALERTED_TEXTS = tuple(ALERTED.values())
#: Where the time goes: the median and the slow tail.
PHASE_PERCENTILES = (50, 95)


@dataclass(frozen=True)
class CrisisDelivery:
    """One crisis message and what came of it, in ms from just before its webhook POST.

    ``reply`` and ``page`` time the first SMS of the crisis reply to the client and
    the page to the primary on call, as the Twilio stand-in recorded them (NaN and
    not ``ok`` when missing); ``*_queued_ms`` time their going into the outbox
    (``created_at``), so ``reply.latency_ms - reply_queued_ms`` is the reply's wait
    there. ``alerted`` is whether the reply told the client a person was alerted.
    """

    reply: Exchange
    page: Exchange
    webhook_ms: float
    reply_queued_ms: float
    page_queued_ms: float
    alerted: bool

    @property
    def state(self) -> str:
        return self.reply.kind

    @classmethod
    def failed(cls, state: str, webhook_ms: float = NOT_MEASURED) -> CrisisDelivery:
        missing = Exchange(state, NOT_MEASURED, False)
        return cls(missing, missing, webhook_ms, NOT_MEASURED, NOT_MEASURED, False)


def escalate_messages(count: int) -> list[str]:
    """The first ``count`` ``escalate`` messages of the shared dev set, cycling through it."""
    if not DEV_SET.exists():
        raise SystemExit(f"The shared crisis dev set is not here: {DEV_SET}")
    rows = [json.loads(line) for line in DEV_SET.read_text().splitlines() if line.strip()]
    texts = [row["text"] for row in rows if row["expect"] == ESCALATE]
    return list(islice(cycle(texts), count))


def client_state(number: int) -> str:
    """Idle or mid-diary, in turn, for client ``number`` (from 1)."""
    return CLIENT_STATES[(number - 1) % len(CLIENT_STATES)]


def ms_since(start: datetime, end: datetime | None) -> float:
    return NOT_MEASURED if end is None else ms_between(start, end)


class CrisisPhone(SmsClient):
    """A client's phone texting the clinic's number, and the pages about that client."""

    def __init__(self, rig: Rig, number: int) -> None:
        super().__init__(rig, number)
        with session_scope(rig.server.engine) as session:
            client = client_for_identity(session, Channel.SMS, self.address)
            if client is None:
                raise LookupError(f"client {number} was not enrolled")
            self.client_id, self.code = client.id, client.code

    def pages(self) -> list[SentSms]:
        """Pages about this client the primary on call has received so far."""
        return pages_about(self.rig.twilio, PRIMARY_ON_CALL, self.code)

    def send_crisis(self, text: str, state: str, deadline: float) -> CrisisDelivery:
        """Text ``text``; wait for the whole crisis reply and for the page, and time them."""
        url, body, headers, provider_id = self.webhook(text)
        already = len(self.outbound())
        timeout = min(deadline - time.monotonic(), REQUEST_TIMEOUT_SECONDS)
        wait_until = time.monotonic() + timeout
        sent_at = datetime.now(timezone.utc)  # the stand-in stamps with the wall clock
        started = time.perf_counter()
        try:
            response = httpx.post(url, content=body, headers=headers, timeout=timeout)
        except httpx.HTTPError:
            return CrisisDelivery.failed(state)
        webhook_ms = (time.perf_counter() - started) * MS_PER_SECOND
        if response.status_code != 200:
            return CrisisDelivery.failed(state, webhook_ms)
        reply = self.await_reply(provider_id, already, wait_until)
        page = self._await_page(wait_until)
        first_at, first_text = reply[0] if reply else (None, "")
        return CrisisDelivery(
            reply=Exchange(
                state, ms_since(sent_at, first_at), first_text.startswith(CRISIS_OPENINGS)
            ),
            page=Exchange(
                state, ms_since(sent_at, page.received_at if page else None), page is not None
            ),
            webhook_ms=webhook_ms,
            reply_queued_ms=ms_since(sent_at, self.queued_at(already)),
            page_queued_ms=ms_since(sent_at, self._page_queued_at()),
            alerted=any(alerted in sms for _, sms in reply for alerted in ALERTED_TEXTS),
        )

    def _await_page(self, wait_until: float) -> SentSms | None:
        """The page about this client, once the primary on call has it; None if not in time."""
        while time.monotonic() < wait_until:
            pages = self.pages()
            if pages:
                return pages[0]
            time.sleep(REPLY_POLL_SECONDS)
        return None

    def _page_queued_at(self) -> datetime | None:
        """When the page about this client went into the outbox."""
        with self.rig.server.engine.connect() as connection:
            return connection.execute(
                select(Message.created_at)
                .where(
                    Message.channel == Channel.SMS,
                    Message.direction == Direction.OUTBOUND,
                    Message.address == PRIMARY_ON_CALL,
                    Message.body.contains(self.code),
                )
                .order_by(Message.id)
                .limit(1)
            ).scalar_one_or_none()

    def acknowledge_page(self) -> None:
        """Acknowledge this client's escalation as the primary on call's ``ACK`` would."""
        with session_scope(self.rig.server.engine) as session:
            escalation = active_escalation(session, self.client_id)
            therapist = therapist_for_identity(session, Channel.SMS, PRIMARY_ON_CALL)
            if escalation is not None and therapist is not None:
                acknowledge(session, therapist, escalation.code, utcnow())


# --- The measurement -----------------------------------------------------------------------


@dataclass
class CrisisRun:
    """Every crisis message measured, and what went wrong on the way."""

    deliveries: list[CrisisDelivery]
    phones: list[CrisisPhone]
    diary_failures: int = 0


def measure_client(
    rig: Rig,
    number: int,
    text: str,
    state: str,
    pause_seconds: float,
    results: CrisisRun,
    deadline: float,
) -> None:
    """Enrol client ``number``, bring it to ``state``, pause, then time its crisis message."""
    phone = CrisisPhone(rig, number)
    results.phones.append(phone)
    if state == MID_DIARY:
        opening = phone.run(DIARY_OPENING, deadline)
        if len(opening) < len(DIARY_OPENING) or not all(d.first.ok for d in opening):
            results.diary_failures += 1
            return
    time.sleep(pause_seconds)
    if time.monotonic() >= deadline:
        return
    results.deliveries.append(phone.send_crisis(text, state, deadline))
    phone.acknowledge_page()


def measure(rig: Rig, clients: int, deadline: float) -> CrisisRun:
    """One client at a time, each crisis message after a random pause (``PAUSE_SECONDS``)."""
    pauses = random.Random(PAUSE_SEED)
    results = CrisisRun([], [])
    for number, text in enumerate(escalate_messages(clients), start=1):
        if time.monotonic() >= deadline:
            break
        state = client_state(number)
        pause = pauses.uniform(0, PAUSE_SECONDS)
        measure_client(rig, number, text, state, pause, results, deadline)
    return results


def warm_up(rig: Rig, deadline: float) -> CrisisRun:
    """One mid-diary crisis message by a client of its own (number 0), not counted."""
    results = CrisisRun([], [])
    measure_client(rig, 0, WARM_UP_TEXT, MID_DIARY, 0.0, results, deadline)
    return results


# --- Figures ------------------------------------------------------------------------------


def within_target(exchanges: Sequence[Exchange]) -> int:
    return sum(e.ok and e.latency_ms <= TARGET_MS for e in exchanges)


def max_cell(exchanges: Sequence[Exchange]) -> str:
    latencies = [e.latency_ms for e in exchanges if e.ok]
    return f"{max(latencies):.0f}" if latencies else "n/a"


def by_state(deliveries: Sequence[CrisisDelivery]) -> list[tuple[str, list[CrisisDelivery]]]:
    """Idle, mid-diary, then all: the rows of every table."""
    rows = [(state, [d for d in deliveries if d.state == state]) for state in CLIENT_STATES]
    return [*rows, ("**all**", list(deliveries))]


def print_latency(title: str, exchanges_of: dict[str, list[Exchange]]) -> None:
    """p50/p95/p99/max and how many within the target, per client state."""
    print(f"### {title}\n")
    rows = [
        [
            state,
            str(len(exchanges)),
            str(sum(not e.ok for e in exchanges)),
            *latency_cells(exchanges),
            max_cell(exchanges),
            f"{within_target(exchanges)} of {len(exchanges)}",
        ]
        for state, exchanges in exchanges_of.items()
    ]
    print_table(
        [
            "client state",
            "clients",
            "failed",
            *(f"p{pct} ms" for pct in PERCENTILES),
            "max ms",
            f"within {TARGET_MS / MS_PER_SECOND:.0f} s",
        ],
        rows,
    )


def phase_cell(values: Sequence[float]) -> str:
    """``p50 / p95`` of the measured ``values``, in ms."""
    return " / ".join(cells([v for v in values if not math.isnan(v)], PHASE_PERCENTILES))


def print_phases(deliveries: Sequence[CrisisDelivery]) -> None:
    """The webhook's answer, and each message's time to the outbox and in it."""
    print("### Where the time goes (p50 / p95 ms, from just before the webhook POST)\n")
    rows = []
    for state, of_state in by_state(deliveries):
        ok = [d for d in of_state if d.reply.ok and d.page.ok]
        rows.append(
            [
                state,
                phase_cell([d.webhook_ms for d in of_state]),
                phase_cell([d.page_queued_ms for d in ok]),
                phase_cell([d.page.latency_ms - d.page_queued_ms for d in ok]),
                phase_cell([d.reply_queued_ms for d in ok]),
                phase_cell([d.reply.latency_ms - d.reply_queued_ms for d in ok]),
            ]
        )
    print_table(
        [
            "client state",
            "webhook 2xx",
            "page stored in outbox",
            "page wait in outbox",
            "reply stored in outbox",
            "reply wait in outbox",
        ],
        rows,
    )


def print_results(results: CrisisRun) -> None:
    deliveries = results.deliveries
    rows = by_state(deliveries)
    print_latency(
        "a. Webhook to the crisis reply (first SMS to the client)",
        {state: [d.reply for d in of_state] for state, of_state in rows},
    )
    print_latency(
        f"b. Webhook to the page (SMS to the primary on call, {PRIMARY_ON_CALL})",
        {state: [d.page for d in of_state] for state, of_state in rows},
    )
    both = sum(
        d.reply.ok and d.page.ok and max(d.reply.latency_ms, d.page.latency_ms) <= TARGET_MS
        for d in deliveries
    )
    print(f"Crisis reply and page both within 2 s: {both} of {len(deliveries)}")
    print(f"Replies saying a person was alerted: {sum(d.alerted for d in deliveries)}\n")
    print_phases(deliveries)


def print_paging(rig: Rig, phones: Sequence[CrisisPhone]) -> None:
    """Each client paged once, and no page moved on past the primary on call."""
    counts = [len(phone.pages()) for phone in phones]
    codes = [phone.code for phone in phones]
    moved_on = sum(
        len(pages_about(rig.twilio, number, code))
        for number in (BACKUP_ON_CALL, CLINIC_CRISIS_LINE)
        for code in codes
    )
    print(
        f"Pages to the primary on call per client: {min(counts, default=0)} to "
        f"{max(counts, default=0)}; pages to the backup or the crisis line: {moved_on}"
    )


def print_warm_up(results: CrisisRun) -> None:
    """The first crisis message after start-up, for the record: not in the figures."""
    for delivery in results.deliveries:
        reply_ms, page_ms = delivery.reply.latency_ms, delivery.page.latency_ms
        print(
            "Warm-up (first crisis message after start-up, mid-diary, not counted): "
            f"crisis reply {reply_ms:.0f} ms, page {page_ms:.0f} ms\n"
        )


def report(rig: Rig, args: argparse.Namespace, deadline: float) -> bool:
    """Warm-up, then the measurement, printed; True if every crisis message got both."""
    warm = warm_up(rig, deadline)
    print_warm_up(warm)
    texts = escalate_messages(args.clients)
    print(
        f"## Crisis messages: {args.clients} clients, one each "
        f"({len(set(texts))} distinct escalate messages of {DEV_SET.name})\n"
    )
    print(f"Outbox poll interval (bot.outbox.POLL_SECONDS): {POLL_SECONDS * 1000:.0f} ms\n")
    measured_run = measure(rig, args.clients, deadline)
    print_results(measured_run)
    print_paging(rig, [*warm.phones, *measured_run.phones])
    print(f"Load average at end (1/5/15 min): {load_average()}")

    deliveries = [*warm.deliveries, *measured_run.deliveries]
    failed = sum(not (d.reply.ok and d.page.ok) for d in deliveries)
    diary_failures = warm.diary_failures + measured_run.diary_failures
    measured = len(measured_run.deliveries) + measured_run.diary_failures
    if measured < args.clients:
        print(f"\nINCOMPLETE: time limit reached after {measured} of {args.clients} clients")
    if diary_failures:
        print(f"\nFAILED: {diary_failures} diary cards did not start properly")
    if failed:
        print(f"\nFAILED: {failed} crisis messages lacked a crisis reply or a page.")
    if failed or diary_failures:
        print("End of the servers' log:")
        print("\n".join(rig.bot.log_path.read_text().splitlines()[-LOG_TAIL_LINES:]))
    return measured == args.clients and not (failed or diary_failures)


# --- Entry point ---------------------------------------------------------------------------


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=DEFAULT_CLIENTS)
    parser.add_argument("--time-limit", type=float, default=DEFAULT_TIME_LIMIT_SECONDS)
    args = parser.parse_args(argv)
    if min(args.clients, args.time_limit) <= 0:
        parser.error("the number of clients and the time limit must be positive")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    return run_benchmark("WiseMind crisis benchmark", report, args)


if __name__ == "__main__":
    sys.exit(main())
