"""Building the tracker Rasa hands an action, and running the action, for action tests.

In the style of Rasa's financial-demo tests: a ``Tracker`` from plain dicts and a
``CollectingDispatcher``, so one action is tested without a server.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

#: The demo client's conversation id (``wisemind demo seed``).
DEMO = "DEMO0001"


def tracker_after(
    latest: dict[str, Any],
    user_event: dict[str, Any],
    *,
    slots: dict[str, Any] | None = None,
    new_slots: dict[str, Any] | None = None,
    active_loop: str | None = None,
    events_before: Sequence[dict[str, Any]] = (),
) -> Tracker:
    """The demo client's tracker after one message, with the slots a form read from it."""
    events = [*events_before, user_event]
    events += [{"event": "slot", "name": k, "value": v} for k, v in (new_slots or {}).items()]
    return Tracker(
        sender_id=DEMO,
        slots={**(slots or {}), **(new_slots or {})},
        latest_message=latest,
        events=events,
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


async def run_action(
    action: Any, state: Tracker, domain: dict[str, Any]
) -> tuple[list[dict[str, Any]], list[str]]:
    """The events ``action`` returns and the texts (or response names) it sends."""
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, state, domain)
    return events, [m.get("text") or m.get("response") or "" for m in dispatcher.messages]
