"""Intake: every inbound message, on every channel, through one pipeline.

Channels verify the provider's request, parse its payload into an
:class:`InboundMessage`, call :func:`receive`, and render the
:class:`Decision`. Stored messages that were not finished (a failure or a
crash) are finished by :func:`screen_pending` (the scheduler's retry loop)
and handed to the assistant again by :func:`claim_handoffs`.
"""

from bot.intake.flood import FloodControl
from bot.intake.inbound import (
    ANSWERED_QUESTION,
    CHECK_IN_ASKED,
    CRISIS_REPLIED,
    EDIT_SEPARATOR,
    RISK_LEVEL,
    Decision,
    HandOff,
    InboundMessage,
)
from bot.intake.pipeline import (
    MAX_INBOUND_CHARS,
    claim_handoffs,
    finish_handoff,
    process_stored,
    receive,
    release_handoff,
    renew_handoff,
    screen_pending,
)
from bot.intake.replies import (
    PROCESSING_ERROR_REPLY,
    ReplyFormat,
    queue_assistant_reply,
    queue_reply,
    register_reply_format,
)
from bot.intake.screening import SCREENING_FAILED, Screening, screen_for_risk

__all__ = [
    "ANSWERED_QUESTION",
    "CHECK_IN_ASKED",
    "CRISIS_REPLIED",
    "EDIT_SEPARATOR",
    "MAX_INBOUND_CHARS",
    "PROCESSING_ERROR_REPLY",
    "RISK_LEVEL",
    "SCREENING_FAILED",
    "Screening",
    "Decision",
    "FloodControl",
    "HandOff",
    "InboundMessage",
    "ReplyFormat",
    "claim_handoffs",
    "finish_handoff",
    "process_stored",
    "queue_assistant_reply",
    "queue_reply",
    "receive",
    "register_reply_format",
    "release_handoff",
    "renew_handoff",
    "screen_for_risk",
    "screen_pending",
]
