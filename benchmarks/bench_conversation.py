"""Conversation benchmark: latency, throughput and memory of a running WiseMind.

Starts the real ``wisemind run`` (Rasa server, action server and scheduler under the
supervisor) on a private SQLite database, talks to it over the local channel
exactly as ``wisemind chat`` does, and prints:

* per-message latency (p50/p95/p99) and throughput with N concurrent
  conversations, each with one request in flight, as a real client has;
* p50 latency per window of one long conversation, because Rasa reloads and
  replays a conversation's whole tracker for every message, so per-message cost
  may grow with a session's length;
* the resident memory of each process, after warm-up and at the end.

It prints figures and asserts nothing about them (timing assertions make flaky
tests); the figures go to ``benchmarks/RESULTS.md``. It exits non-zero only
when the run itself went wrong: a failed request or the time limit reached.

With ``--homework-open`` every client has homework assigned that is not due
yet, so each greeting, menu and thanks is followed by the check for due
homework (``action_bring_up_homework``): what that check costs the clients who
have homework open.

Usage: ``.venv/bin/python benchmarks/bench_conversation.py [--conversations N]
[--messages M] [--long-messages L] [--time-limit SECONDS] [--homework-open]``
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from importlib.metadata import version
from itertools import cycle, islice
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot.actions.consent import CONSENT_VERSION
from bot.background import BackgroundWiseMind, StartError, background_wisemind
from bot.clinic import add_client, record_consent
from bot.intake import PROCESSING_ERROR_REPLY
from bot.settings import PROJECT_ROOT
from bot.skills import load_library
from bot.skills.homework import assign_homework
from bot.storage import create_engine_for, session_scope
from bot.training import ensure_model

DEFAULT_CONVERSATIONS = 10
DEFAULT_MESSAGES = 60
DEFAULT_LONG_MESSAGES = 400
#: The whole run (start-up included) stops sending after this long.
DEFAULT_TIME_LIMIT_SECONDS = 15 * 60
#: One reply taking longer than this counts as a failed request.
REQUEST_TIMEOUT_SECONDS = 60.0
PERCENTILES = (50, 95, 99)
#: Window ends for the long conversation; past the last, windows are 100 messages wide.
LENGTH_WINDOW_ENDS = (50, 100, 200, 300, 400)
LENGTH_WINDOW_STEP = 100

WEBHOOK_PATH = "/webhooks/local/webhook"
DEMO_THERAPIST = "therapist@demo.clinic"
CLIENT_TIMEZONE = "America/New_York"
#: With --homework-open, each client's homework falls due this long after enrolment.
HOMEWORK_DUE_IN = timedelta(days=7)
#: The bot's apology (the clients here write English) when processing failed starts with this
#: (up to its first placeholder).
PROCESSING_ERROR_PREFIX = PROCESSING_ERROR_REPLY["en"].split("{")[0]

DIARY_ANSWERS = ("0", "1", "none", "no", "no", "3", "two", "4/5", "1", "a 2", "5", "skip")
#: What a client texts, as (kind, text): a greeting, a full diary card, the menu,
#: thanks and an out-of-scope question. Conversations cycle through it.
CONVERSATION_CYCLE: tuple[tuple[str, str], ...] = (
    ("greeting", "hi"),
    ("diary start", "diary"),
    *(("diary answer", answer) for answer in DIARY_ANSWERS[:-1]),
    ("diary submit", DIARY_ANSWERS[-1]),
    ("menu", "what can you do"),
    ("thanks", "thanks"),
    ("out of scope", "what's the weather"),
)

#: How each supervised process is recognised in its command line.
PROCESS_ROLES = (
    ("bot.rasa_server", "Rasa server"),
    ("bot.action_server", "action server"),
    ("scheduler", "scheduler"),
)
KB_PER_MB = 1024
#: Shown as "nan" for a process that was not (or no longer) running.
NOT_RUNNING = float("nan")
#: Lines of the servers' log printed when requests fail (the log goes with the temp dir).
LOG_TAIL_LINES = 60


@dataclass(frozen=True)
class Exchange:
    """One message sent and its reply: how long it took and whether it worked."""

    kind: str
    latency_ms: float
    ok: bool


@dataclass
class Conversation:
    """One enrolled client talking to the bot over its own HTTP connection."""

    bot: BackgroundWiseMind
    code: str
    exchanges: list[Exchange] = field(default_factory=list)

    def run(
        self,
        messages: Sequence[tuple[str, str]],
        deadline: float,
        between: Callable[[int], None] | None = None,
    ) -> None:
        """Send ``messages`` in order, each after the previous reply, until ``deadline``.

        ``between(n)`` is called untimed after the n-th reply, for measurements
        that must not count as the client's waiting time.
        """
        with httpx.Client(
            base_url=self.bot.rasa_url,
            headers={"Authorization": f"Bearer {self.bot.api_token}"},
        ) as http:
            for number, (kind, message) in enumerate(messages, start=1):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return
                self.exchanges.append(
                    self._send(http, kind, message, min(remaining, REQUEST_TIMEOUT_SECONDS))
                )
                if between is not None:
                    between(number)

    def _send(self, http: httpx.Client, kind: str, message: str, timeout: float) -> Exchange:
        started = time.perf_counter()
        try:
            response = http.post(
                WEBHOOK_PATH, json={"sender": self.code, "message": message}, timeout=timeout
            )
            ok = response.status_code == 200 and _answered(response.json())
        except (httpx.HTTPError, ValueError):
            ok = False
        return Exchange(kind, (time.perf_counter() - started) * 1000, ok)


def _answered(replies: object) -> bool:
    """A real reply: a non-empty REST reply list that is not the processing-error apology."""
    if not isinstance(replies, list) or not replies:
        return False
    texts = [reply.get("text") or "" for reply in replies if isinstance(reply, dict)]
    return not any(text.startswith(PROCESSING_ERROR_PREFIX) for text in texts)


def conversation_messages(count: int) -> list[tuple[str, str]]:
    """The first ``count`` messages of a client cycling through the realistic mix."""
    return list(islice(cycle(CONVERSATION_CYCLE), count))


def enrol_client(engine: Engine, name: str, *, homework_open: bool = False) -> str:
    """A newly enrolled, consented client (hence a conversation of its own); its code.

    With ``homework_open`` the client has homework assigned, due in a week.
    """
    with session_scope(engine) as session:
        client, _ = add_client(
            session, name=name, therapist_email=DEMO_THERAPIST, timezone=CLIENT_TIMEZONE
        )
        record_consent(session, client, CONSENT_VERSION)
        if homework_open:
            assign_homework(
                session,
                load_library(),
                client_code=client.code,
                therapist_email=DEMO_THERAPIST,
                due_at=datetime.now(timezone.utc) + HOMEWORK_DUE_IN,
                skill="tipp",
            )
        return str(client.code)


def tracker_events(engine: Engine, sender: str) -> int:
    """How many events Rasa's tracker store holds for ``sender``."""
    with engine.connect() as connection:
        count = connection.execute(
            text("SELECT count(*) FROM events WHERE sender_id = :sender"), {"sender": sender}
        ).scalar_one()
    return int(count)


# --- Figures ------------------------------------------------------------------------------


def percentile(values: Sequence[float], pct: int) -> float:
    """The ``pct``-th percentile, interpolated between ranks (as numpy's default)."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]


def latency_cells(exchanges: Sequence[Exchange]) -> list[str]:
    """p50/p95/p99 of the successful exchanges, in ms, as table cells."""
    latencies = [exchange.latency_ms for exchange in exchanges if exchange.ok]
    if not latencies:
        return ["n/a"] * len(PERCENTILES)
    return [f"{percentile(latencies, pct):.0f}" for pct in PERCENTILES]


def length_windows(total: int) -> list[tuple[int, int]]:
    """(first, last) message numbers of each window of a ``total``-message conversation."""
    ends = [end for end in LENGTH_WINDOW_ENDS if end < total]
    last = LENGTH_WINDOW_ENDS[-1]
    ends += list(range(last + LENGTH_WINDOW_STEP, total, LENGTH_WINDOW_STEP)) + [total]
    starts = [1, *(end + 1 for end in ends[:-1])]
    return list(zip(starts, ends, strict=True))


def print_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """A Markdown table, so the output can go into RESULTS.md as it is."""
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()


# --- Machine and memory --------------------------------------------------------------------


def proc_field(path: str, name: str) -> str:
    """The value of the ``name:`` line of a /proc file, or '?' if absent."""
    try:
        for line in Path(path).read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == name:
                return value.strip()
    except OSError:
        pass
    return "?"


def print_machine(argv: Sequence[str]) -> None:
    """What the figures were measured on, and how to measure them again."""
    mem_total_kb = int(proc_field("/proc/meminfo", "MemTotal").split()[0])
    print(f"Date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M UTC}")
    print(f"Command: {shlex.join(argv)}")
    print(f"CPU: {proc_field('/proc/cpuinfo', 'model name')}, nproc {len(os.sched_getaffinity(0))}")
    print(f"Memory: {mem_total_kb / KB_PER_MB / KB_PER_MB:.1f} GB total")
    print(
        f"Python {platform.python_version()}, Rasa {version('rasa')}, "
        f"rasa-sdk {version('rasa-sdk')}, database SQLite (temporary directory)"
    )
    print(f"Load average at start (1/5/15 min): {load_average()}")
    print()


def load_average() -> str:
    """The 1, 5 and 15 minute load averages: other work on the machine skews latency."""
    return " / ".join(f"{load:.2f}" for load in os.getloadavg())


def child_pids(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (from /proc/*/stat)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # The command name is in parentheses and may hold spaces: split after it.
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return sorted(children)


def process_role(pid: int) -> str:
    """Which of WiseMind's processes ``pid`` is, from its command line."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return f"pid {pid}"
    return next((role for marker, role in PROCESS_ROLES if marker in command), f"pid {pid}")


def process_tree(supervisor: int) -> dict[str, int]:
    """Role -> pid for the supervisor and every process below it."""
    tree = {"supervisor": supervisor}
    pending = [supervisor]
    while pending:
        for child in child_pids(pending.pop()):
            tree[process_role(child)] = child
            pending.append(child)
    return tree


def memory_mb(pid: int, name: str = "VmRSS") -> float:
    """A process's resident memory (``VmRSS``) or its peak (``VmHWM``), in MB."""
    value = proc_field(f"/proc/{pid}/status", name)
    return int(value.split()[0]) / KB_PER_MB if value != "?" else NOT_RUNNING


# --- The measurements ----------------------------------------------------------------------


def warm_up(
    bot: BackgroundWiseMind, engine: Engine, deadline: float, *, homework_open: bool
) -> Conversation:
    """One full cycle by its own client, so first-use costs stay out of the figures."""
    conversation = Conversation(
        bot, enrol_client(engine, "Bench warm-up", homework_open=homework_open)
    )
    conversation.run(CONVERSATION_CYCLE, deadline)
    return conversation


def measure_concurrent(
    bot: BackgroundWiseMind,
    engine: Engine,
    conversations: int,
    messages: int,
    deadline: float,
    *,
    homework_open: bool,
) -> tuple[list[Conversation], float]:
    """N clients texting at once, one request in flight each; returns them and the wall time."""
    clients = [
        Conversation(bot, enrol_client(engine, f"Bench {number}", homework_open=homework_open))
        for number in range(1, conversations + 1)
    ]
    script = conversation_messages(messages)
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=conversations) as pool:
        for future in [pool.submit(client.run, script, deadline) for client in clients]:
            future.result()
    return clients, time.perf_counter() - started


def print_concurrent(clients: Sequence[Conversation], wall_seconds: float) -> None:
    """Latency percentiles overall and by kind of message, and throughput."""
    exchanges = [exchange for client in clients for exchange in client.exchanges]
    failed = sum(not exchange.ok for exchange in exchanges)
    print(f"Messages: {len(exchanges)} in {wall_seconds:.1f} s, failed: {failed}")
    print(f"Throughput: {len(exchanges) / wall_seconds:.1f} messages/s")
    print()
    rows = [["all", str(len(exchanges)), *latency_cells(exchanges)]]
    for kind in dict.fromkeys(kind for kind, _ in CONVERSATION_CYCLE):
        of_kind = [exchange for exchange in exchanges if exchange.kind == kind]
        rows.append([kind, str(len(of_kind)), *latency_cells(of_kind)])
    print_table(["messages", "count", *(f"p{pct} ms" for pct in PERCENTILES)], rows)


def measure_long(
    bot: BackgroundWiseMind, engine: Engine, total: int, deadline: float, *, homework_open: bool
) -> tuple[Conversation, dict[int, int]]:
    """One client sending ``total`` messages in one session; tracker size at each window end."""
    conversation = Conversation(
        bot, enrol_client(engine, "Bench long", homework_open=homework_open)
    )
    window_ends = {end for _, end in length_windows(total)}
    events_at: dict[int, int] = {}

    def count_events(number: int) -> None:
        if number in window_ends:
            events_at[number] = tracker_events(engine, conversation.code)

    conversation.run(conversation_messages(total), deadline, between=count_events)
    return conversation, events_at


def print_long(conversation: Conversation, total: int, events_at: dict[int, int]) -> None:
    """p50 (and p95) per window of the conversation, with the tracker's size."""
    exchanges = conversation.exchanges
    failed = sum(not exchange.ok for exchange in exchanges)
    print(f"Messages: {len(exchanges)} of {total}, failed: {failed}")
    print()
    rows = []
    for first, last in length_windows(total):
        window = exchanges[first - 1 : last]
        if window:
            p50, p95, _ = latency_cells(window)
            events = str(events_at.get(last, "n/a"))
            rows.append([f"{first}–{last}", p50, p95, events])
    print_table(["messages", "p50 ms", "p95 ms", "tracker events at window end"], rows)


def print_memory(snapshots: dict[str, dict[str, float]], peaks: dict[str, float]) -> None:
    """RSS per process at each snapshot, and each process's peak RSS."""
    roles = list(dict.fromkeys(role for snapshot in snapshots.values() for role in snapshot))
    rows = []
    for role in roles:
        cells = [snapshot.get(role, NOT_RUNNING) for snapshot in snapshots.values()]
        rows.append([role, *(f"{mb:.0f}" for mb in [*cells, peaks.get(role, NOT_RUNNING)])])
    print_table(["process", *(f"RSS MB {when}" for when in snapshots), "peak RSS MB"], rows)


def rss_snapshot(supervisor: int) -> dict[str, float]:
    """Role -> RSS in MB, now."""
    return {role: memory_mb(pid) for role, pid in process_tree(supervisor).items()}


def peak_rss(supervisor: int) -> dict[str, float]:
    """Role -> peak RSS (VmHWM) in MB since each process started."""
    return {role: memory_mb(pid, "VmHWM") for role, pid in process_tree(supervisor).items()}


# --- Entry point ---------------------------------------------------------------------------


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=DEFAULT_CONVERSATIONS)
    parser.add_argument("--messages", type=int, default=DEFAULT_MESSAGES)
    parser.add_argument("--long-messages", type=int, default=DEFAULT_LONG_MESSAGES)
    parser.add_argument("--time-limit", type=float, default=DEFAULT_TIME_LIMIT_SECONDS)
    parser.add_argument(
        "--homework-open",
        action="store_true",
        help="every client has homework assigned, due in a week",
    )
    args = parser.parse_args(argv)
    if min(args.conversations, args.messages, args.long_messages, args.time_limit) <= 0:
        parser.error("every count and the time limit must be positive")
    return args


def run(args: argparse.Namespace, deadline: float) -> bool:
    """Start WiseMind, measure, print; True if every request worked within the time limit."""
    ensure_model(PROJECT_ROOT, PROJECT_ROOT / "models")
    with tempfile.TemporaryDirectory(prefix="wisemind-bench-") as var_dir:
        started = time.monotonic()
        with background_wisemind(Path(var_dir)) as bot:
            print(f"WiseMind started in {time.monotonic() - started:.0f} s (pid {bot.pid})\n")
            engine = create_engine_for(bot.database_url)
            try:
                return measure_all(bot, engine, args, deadline)
            finally:
                engine.dispose()


def measure_all(
    bot: BackgroundWiseMind, engine: Engine, args: argparse.Namespace, deadline: float
) -> bool:
    """The three measurements in turn, each printed as soon as it is done."""
    warm = warm_up(bot, engine, deadline, homework_open=args.homework_open)
    rss: dict[str, dict[str, float]] = {"after warm-up": rss_snapshot(bot.pid)}

    print(f"## a. {args.conversations} concurrent conversations × {args.messages} messages\n")
    clients, wall_seconds = measure_concurrent(
        bot, engine, args.conversations, args.messages, deadline, homework_open=args.homework_open
    )
    print_concurrent(clients, wall_seconds)
    rss["after concurrent"] = rss_snapshot(bot.pid)

    print(f"## b. Latency vs conversation length (one conversation, {args.long_messages} msgs)\n")
    long, events_at = measure_long(
        bot, engine, args.long_messages, deadline, homework_open=args.homework_open
    )
    print_long(long, args.long_messages, events_at)
    rss["at end"] = rss_snapshot(bot.pid)

    print("## c. Memory (RSS of each process)\n")
    print_memory(rss, peak_rss(bot.pid))
    print(f"Load average at end (1/5/15 min): {load_average()}")

    conversations = [warm, *clients, long]
    sent = sum(len(conversation.exchanges) for conversation in conversations)
    expected = len(CONVERSATION_CYCLE) + args.conversations * args.messages + args.long_messages
    failed = sum(not e.ok for conversation in conversations for e in conversation.exchanges)
    if sent < expected:
        print(f"\nINCOMPLETE: time limit reached after {sent} of {expected} messages")
    if failed:
        print(f"\nFAILED: {failed} requests got no proper reply. End of the servers' log:")
        print("\n".join(bot.log_path.read_text().splitlines()[-LOG_TAIL_LINES:]))
    return sent == expected and not failed


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    deadline = time.monotonic() + args.time_limit
    print("# WiseMind conversation benchmark\n")
    print_machine([sys.executable, *sys.argv])
    try:
        return 0 if run(args, deadline) else 1
    except StartError as exc:
        print(f"WiseMind did not start: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
