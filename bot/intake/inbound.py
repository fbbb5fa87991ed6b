"""What a channel hands the intake pipeline, and what the pipeline decides.

A channel turns its provider's payload into one :class:`InboundMessage` and
renders the :class:`Decision` it gets back (TwiML, a Telegram webhook answer,
the local channel's JSON). Neither knows anything of the other's format.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Metadata key telling the assistant the crisis reply has already been sent.
CRISIS_REPLIED = "crisis_replied"
#: What a text column cannot hold, yet a provider may deliver: NUL (valid in a Twilio
#: form and in Telegram's JSON, refused by PostgreSQL) and lone UTF-16 surrogates
#: (a JSON "\ud83d" without its pair, which no database encoding can store).
UNSTORABLE_CHARACTERS = re.compile("[\x00\ud800-\udfff]")
#: Metadata key telling the assistant the check-in question has already been sent.
CHECK_IN_ASKED = "check_in_asked"
#: Metadata key with the safety question (``SafetyQuestion``) the intake read the message as
#: answering: after an hour's silence, the assistant's new session reads it so too.
ANSWERED_QUESTION = "answered_question"
#: Metadata key with the intake's risk level for the message's words (joined with recent
#: texts when that added risk); the crisis NLU component takes its intent from it.
RISK_LEVEL = "risk_level"
#: Between an original message's provider id and an edit's own part (see ``provider_id``).
EDIT_SEPARATOR = ":e"


@dataclass(frozen=True)
class InboundMessage:
    """One message as a person sent it, whatever the provider.

    ``text`` gathers every field a human wrote (a Telegram caption, an edited
    message, an MMS body, a button's data): everything a person writes is
    screened. ``address`` is already normalised (E.164 phone, chat id, or on
    the local channel the client code). Characters no database can store are
    dropped from ``text`` as the message is made, whatever the channel, so a
    crisis text carrying one is still stored, screened and paged.
    """

    channel: str
    address: str
    text: str
    #: Twilio MessageSid, a Telegram message key; None on the local channel. An edit's
    #: id is its original's, then :data:`EDIT_SEPARATOR` and what tells the edits apart.
    provider_id: str | None = None
    #: A picture, sticker or other media came with (or instead of) the text.
    has_media: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", UNSTORABLE_CHARACTERS.sub("", self.text))


@dataclass(frozen=True)
class HandOff:
    """A stored, screened message for the assistant (Rasa) to answer."""

    conversation_id: str
    message_id: int
    client_id: int
    channel: str
    address: str
    #: What the assistant reads: the text, a chosen button's payload, or ``/greet``.
    text: str
    #: The client's language for this message (their words, else their profile), in which
    #: they are told if the assistant fails on it.
    language: str
    #: The screening's level for the words (``none`` … ``imminent``); None if unscored.
    risk_level: str | None = None
    crisis_replied: bool = False
    check_in_asked: bool = False
    answered_question: str | None = None

    @property
    def metadata(self) -> dict[str, object]:
        """What the assistant learns about the message besides its text."""
        return {
            "message_id": self.message_id,
            RISK_LEVEL: self.risk_level,
            CRISIS_REPLIED: self.crisis_replied,
            CHECK_IN_ASKED: self.check_in_asked,
            ANSWERED_QUESTION: self.answered_question,
        }


@dataclass(frozen=True)
class Decision:
    """What the pipeline did with one inbound message, for the channel to render."""

    message_id: int | None = None
    client_id: int | None = None
    #: Answer in the webhook response itself; nothing is queued (unknown senders, bad codes).
    direct_reply: str | None = None
    #: Replies for a channel that answers in its HTTP response (local chat). Outbox
    #: channels (SMS, Telegram) find theirs already queued.
    replies: tuple[str, ...] = ()
    #: The message for the caller to hand to the assistant now, if it is to see it.
    hand_off: HandOff | None = None
    #: The assistant is to see the message, but from a Rasa server's recovery
    #: (:func:`~bot.intake.claim_handoffs`, which takes a client's messages in order):
    #: the caller could not hand it over, or an older message of the client waits there.
    #: Wake the recovery so that it is answered now.
    handoff_left: bool = False
    #: A provider's retry of a message already stored: acknowledge and drop.
    duplicate: bool = False
    #: Stored, but screening failed here: the retry loop (:func:`screen_pending`) finishes it.
    deferred: bool = False
