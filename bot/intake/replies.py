"""What the pipeline itself says, and how its replies reach the outbox.

Replies decided here (crisis replies, carrier keywords, prompts) are queued in
the same transaction that decides them. Each provider splits text its own way
(SMS segments, Telegram's 4096 characters): its module registers a
:data:`ReplyFormat` with :func:`register_reply_format`, so provider details
stay in ``channels/`` and the core still queues correctly formatted parts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from bot import escalation
from bot.crisis_contacts import crisis_contacts
from bot.outbox import Button, enqueue
from bot.safety import followup
from bot.settings import Settings
from bot.storage.enums import Channel, Lane
from bot.storage.models import Client, utcnow

#: A provider's way of carrying a reply: (text, buttons) -> [(part, buttons of that part)].
ReplyFormat = Callable[[str, Sequence[Button]], list[tuple[str, Sequence[Button]]]]
_FORMATS: dict[str, ReplyFormat] = {}

# Carrier-compliance keywords (CTIA; the ones Twilio itself recognises), exact whole messages.
OPT_OUT_KEYWORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
)
OPT_IN_KEYWORDS = frozenset({"START", "UNSTOP", "YES"})
HELP_KEYWORDS = frozenset({"HELP", "INFO"})
#: ``JOIN <code>`` by SMS and ``/start <code>`` on Telegram link a sender to a client.
JOIN_KEYWORD = "JOIN"
START_COMMAND = "/start"
#: What the assistant is told on first contact once a sender is linked: greet (starts consent).
GREETING_TRIGGER = "/greet"

# Each text the pipeline writes itself is a table keyed by language, as in
# bot.crisis_messages, and is chosen with its language_of. The keywords a client
# texts back (STOP, START, HELP, JOIN, MENU) stay in English in every language: the
# carriers and Twilio's keyword handling act on the English STOP, START and HELP (the
# keywords below), CTIA wants the STOP and HELP replies to name them, and the bot
# reads only these words. Accented Spanish travels as UCS-2 (67 characters a
# segment), so the Spanish texts are kept to one SMS of three segments where they can.
UNKNOWN_SENDER_REPLY = {
    "en": (
        "This is WiseMind, a skills coach for clients of a DBT clinic. This number or "
        "account isn't linked to anyone here. If your therapist gave you an enrolment code, "
        "reply JOIN and the code. If you need to talk to someone now, call or text "
        "{crisis_line}; in an emergency call {emergency}."
    ),
    "es": (
        "Hola, soy WiseMind, un asistente de habilidades para clientes de una clínica de "
        "DBT. Este número o cuenta no está vinculado a nadie aquí. Si tu terapeuta te dio un "
        "código de inscripción, responde JOIN y el código. Si necesitas hablar con alguien "
        "ahora, llama o escribe al {crisis_line}; en una emergencia llama al {emergency}."
    ),
}
PROCESSING_ERROR_REPLY = {
    "en": (
        "Sorry, something went wrong on my side and I couldn't answer that. Your message "
        "was saved. If you need to talk to someone now, call or text {crisis_line}; "
        "in an emergency call {emergency}."
    ),
    "es": (
        "Perdón, algo falló de mi lado y no pude responderte. Tu mensaje quedó guardado. "
        "Si necesitas hablar con alguien ahora, llama o escribe al {crisis_line}; en una "
        "emergencia llama al {emergency}."
    ),
}
#: When a message could not even be stored: nothing was kept, so the client is asked to resend.
NOT_STORED_REPLY = {
    "en": (
        "Sorry, something went wrong on my side and your message did not reach me. Please "
        "send it again in a few minutes. If you need to talk to someone now, call or text "
        "{crisis_line}; in an emergency call {emergency}."
    ),
    "es": (
        "Perdón, algo falló de mi lado y tu mensaje no me llegó. Reenvíalo en unos minutos. "
        "Si necesitas hablar con alguien ahora, llama o escribe al {crisis_line}; en una "
        "emergencia llama al {emergency}."
    ),
}
ENROLMENT_FAILED_REPLY = {
    "en": (
        "Sorry, that enrollment code didn't work: it may be mistyped, used or expired. "
        "Please check it with your therapist."
    ),
    "es": (
        "Perdón, ese código de inscripción no funcionó: puede tener un error, estar usado o "
        "vencido. Por favor revísalo con tu terapeuta."
    ),
}
EMPTY_MESSAGE_REPLY = {
    "en": "I didn't receive any text. Text MENU to see what I can do.",
    "es": "No me llegó ningún texto. Escribe MENU para ver lo que puedo hacer.",
}
NOT_TEXT_REPLY = {
    "en": "I can only read text messages. Text MENU to see what I can do.",
    "es": "Solo puedo leer mensajes de texto. Escribe MENU para ver lo que puedo hacer.",
}
#: A picture or voice note while a safety question waits for its answer: no menu, the numbers.
NOT_TEXT_ANSWER_REPLY = {
    "en": (
        "I can only read text, so I couldn't see or hear that. Could you answer me in words? "
        "If you need to talk to someone now, call or text {crisis_line}; in an emergency call "
        "{emergency}."
    ),
    "es": (
        "Solo puedo leer texto, así que no pude ver ni oír eso. ¿Me respondes con palabras? "
        "Si necesitas hablar con alguien ahora, llama o escribe al {crisis_line}; "
        "en una emergencia llama al {emergency}."
    ),
}
OPTED_OUT_REPLY = {
    "en": (
        "You're unsubscribed from WiseMind and won't get more messages. Reply START to "
        "resubscribe. If you need to talk to someone, call or text {crisis_line}; in an "
        "emergency call {emergency}."
    ),
    "es": (
        "Ya no recibirás mensajes de WiseMind. Responde START para volver a suscribirte. "
        "Si necesitas hablar con alguien, llama o escribe al {crisis_line}; en una "
        "emergencia llama al {emergency}."
    ),
}
OPTED_IN_REPLY = {
    "en": "Welcome back, you're subscribed to WiseMind again. Text MENU for what I can do.",
    "es": (
        "Qué bueno tenerte de vuelta: tu suscripción a WiseMind está activa otra vez. "
        "Escribe MENU para ver lo que puedo hacer."
    ),
}
HELP_REPLY = {
    "en": (
        "WiseMind, the DBT skills coach of {clinic}.{contact} Text MENU for what I can do, "
        "STOP to unsubscribe. Not an emergency service: in danger call {emergency}; to talk "
        "to someone now call or text {crisis_line}."
    ),
    "es": (
        "WiseMind, el asistente de habilidades DBT de {clinic}.{contact} Escribe MENU para "
        "ver lo que puedo hacer, STOP para cancelar la suscripción. No es un servicio de "
        "emergencias: si estás en peligro llama al {emergency}; para hablar con alguien "
        "ahora llama o escribe al {crisis_line}."
    ),
}
#: HELP's clinic contact, when one is configured.
CLINIC_CONTACT = {"en": " Contact: {contact}.", "es": " Contacto: {contact}."}


def register_reply_format(channel: str, reply_format: ReplyFormat) -> None:
    """Tell the core how ``channel``'s provider splits a reply (called by its module)."""
    _FORMATS[channel] = reply_format


def reply_parts(
    channel: str, text: str, buttons: Sequence[Button] = ()
) -> list[tuple[str, Sequence[Button]]]:
    """``text`` as ``channel`` carries it; one part where no format is registered."""
    reply_format = _FORMATS.get(channel)
    return reply_format(text, buttons) if reply_format else [(text, buttons)]


def queue_reply(
    session: Session,
    *,
    client_id: int | None,
    channel: str,
    address: str,
    text: str,
    buttons: Sequence[Button] = (),
    lane: str = Lane.NORMAL,
) -> None:
    """Queue ``text`` for the outbox in the caller's transaction, split as the provider needs."""
    for body, part_buttons in reply_parts(channel, text, buttons):
        enqueue(
            session,
            client_id=client_id,
            channel=channel,
            address=address,
            body=body,
            buttons=part_buttons,
            lane=lane,
        )


def queue_assistant_reply(
    session: Session,
    *,
    client_id: int | None,
    channel: str,
    address: str,
    text: str,
    buttons: Sequence[Button] = (),
    now: datetime | None = None,
) -> None:
    """Queue a reply of the assistant (Rasa) in the lane the client's situation calls for.

    While the client is being paged for (their escalation open at high or
    imminent risk), or a safety question waits for their answer, the assistant
    is talking with someone at risk ("are you safe right now?", "is someone
    with you?"): its replies go in the crisis lane, never held behind an
    ordinary reply in back-off. Otherwise the normal lane, the diary card's
    routine urge questions included, so that the card's messages keep their
    order when the provider makes one wait; a moderate flag or an acknowledged
    escalation, which can stay active for days, does not put every reply of
    those days in the lane the pages share.
    """
    lane = Lane.NORMAL
    client = session.get(Client, client_id) if client_id is not None else None
    if client is not None and (
        escalation.being_paged_for(session, client.id)
        or followup.question_waiting(session, client, now or utcnow(), include_diary=False)
    ):
        lane = Lane.CRISIS
    queue_reply(session, client_id=client_id, channel=channel, address=address, text=text,
                buttons=buttons, lane=lane)  # fmt: skip


def help_reply(settings: Settings, language: str) -> str:
    """HELP/INFO in ``language``: the clinic, its contact and the crisis numbers.

    The contact is passed as a value, never read as a template, so a ``{`` in
    the configured contact is shown as written rather than read as a placeholder.
    """
    contacts = crisis_contacts(language)
    contact = (
        CLINIC_CONTACT[language].format(contact=settings.clinic_contact)
        if settings.clinic_contact
        else ""
    )
    return HELP_REPLY[language].format(
        clinic=settings.clinic_name,
        contact=contact,
        crisis_line=contacts.crisis_line,
        emergency=contacts.emergency_number,
    )


def empty_message_reply(channel: str, language: str) -> str:
    """The prompt for a message with nothing to read (a picture, a sticker)."""
    return (NOT_TEXT_REPLY if channel == Channel.TELEGRAM else EMPTY_MESSAGE_REPLY)[language]


def enrolment_code(channel: str, text: str) -> str | None:
    """The code in ``JOIN <code>`` (SMS) or ``/start <code>`` (Telegram), else None."""
    words = text.split()
    command = JOIN_KEYWORD if channel == Channel.SMS else START_COMMAND
    if len(words) == 2 and words[0].upper() == command.upper():
        return words[1]
    return None


def is_enrolment_command(channel: str, text: str) -> bool:
    """``JOIN <code>``, or ``/start`` with or without a code: the assistant greets instead."""
    words = text.split()
    if channel == Channel.TELEGRAM and words[:1] == [START_COMMAND]:
        return True
    return enrolment_code(channel, text) is not None
