"""What a client in crisis reads, in English and Spanish.

Short, warm, and in this order: where to get a person now (the configured
crisis numbers), one grounding step, and whether someone from their care team
has been alerted (only said when it is true). The language follows the
client's message when it is plainly Spanish, else their profile.
"""

from __future__ import annotations

import re

from bot.crisis_contacts import crisis_contacts

#: Common Spanish words that rarely appear in English texting.
_SPANISH_MARKERS = frozenset(
    {"quiero", "estoy", "tengo", "morir", "matarme", "vida", "nadie", "más", "puedo",
     "siento", "por", "qué", "que", "porque", "nada", "mejor", "hacer", "voy", "cortar",
     "pastillas", "aguanto", "ayuda", "triste", "mi"}
)  # fmt: skip
_WORD = re.compile(r"[a-záéíóúñü]+")

PROTOCOL = {
    "en": (
        "I'm really glad you told me, and I want you to be safe right now. Please call or "
        "text {crisis_line} to talk to someone now, or call {emergency} if you are in "
        "immediate danger."
    ),
    "es": (
        "Me alegra mucho que me lo digas y quiero que estés a salvo ahora. Llama o envía "
        "un mensaje al {crisis_line} para hablar con alguien ahora, o llama al {emergency} "
        "si estás en peligro inmediato."
    ),
}
GROUNDING = {
    "en": (
        "One thing to do right now: put both feet on the floor, breathe in for 4, hold "
        "for 4, out slowly for 6. Do it three times."
    ),
    "es": (
        "Algo para hacer ahora mismo: pon los dos pies en el suelo, inhala contando 4, "
        "aguanta 4 y exhala despacio contando 6. Hazlo tres veces."
    ),
}
ALERTED = {
    "en": "I've alerted a person from your care team. They will reach out to you.",
    "es": "Avisé a una persona de tu equipo de atención. Se pondrá en contacto contigo.",
}
NOT_REACHED = {
    "en": "I couldn't reach your care team just now",
    "es": "No pude avisar a tu equipo ahora",
}
NOT_ALERTED = {
    "en": NOT_REACHED["en"] + ", so please use the numbers above.",
    "es": NOT_REACHED["es"] + ", así que por favor usa los números de arriba.",
}
#: Sent after the crisis reply once every page was refused: what it said is corrected.
NOT_REACHED_AFTER_ALL = {
    "en": NOT_REACHED["en"]
    + ". Please call or text {crisis_line} to talk to someone now, or call {emergency} if "
    "you are in immediate danger.",
    "es": NOT_REACHED["es"]
    + ". Llama o envía un mensaje al {crisis_line} para hablar con alguien ahora, o llama "
    "al {emergency} si estás en peligro inmediato.",
}
CHECK_IN = {
    "en": (
        "It sounds like things are really hard right now, and I'm glad you told me. I want "
        "to ask you directly: are you having thoughts of suicide or of hurting yourself? "
        "Please reply YES or NO."
    ),
    "es": (
        "Parece que las cosas están muy difíciles ahora y me alegra que me lo cuentes. "
        "Quiero preguntarte directamente: ¿estás pensando en suicidarte o en hacerte daño? "
        "Responde SÍ o NO."
    ),
}
CHECK_IN_NO = {
    "en": (
        "Thank you for telling me. Your care team will see that today is hard. A skill "
        "that can help right now is TIPP: splash cold water on your face or hold something "
        "cold for 30 seconds, then breathe out slower than you breathe in. If things get "
        "worse, call or text {crisis_line}."
    ),
    "es": (
        "Gracias por decírmelo. Tu equipo verá que hoy es un día difícil. Una habilidad que "
        "puede ayudarte ahora es TIPP: mójate la cara con agua fría o sostén algo frío 30 "
        "segundos, y luego exhala más despacio de lo que inhalas. Si empeora, llama o "
        "escribe al {crisis_line}."
    ),
}


def language_of(text: str, profile_locale: str | None) -> str:
    """``es`` for a plainly Spanish message (two marker words), else the profile's."""
    words = _WORD.findall(text.lower())
    if sum(word in _SPANISH_MARKERS for word in words) >= 2 or (
        len(words) <= 3 and any(word in _SPANISH_MARKERS for word in words)
    ):
        return "es"
    return profile_locale if profile_locale in PROTOCOL else "en"


def protocol_messages(language: str, alerted: bool) -> list[str]:
    """The crisis reply: numbers, a grounding step, and who has been alerted."""
    contacts = crisis_contacts(language)
    numbers = {"crisis_line": contacts.crisis_line, "emergency": contacts.emergency_number}
    return [
        PROTOCOL[language].format(**numbers),
        GROUNDING[language],
        (ALERTED if alerted else NOT_ALERTED)[language],
    ]


def crisis_reply(text: str, profile_locale: str | None, alerted: bool) -> tuple[str, ...]:
    """The crisis reply to the client's ``text``, in its language (:func:`language_of`)."""
    return tuple(protocol_messages(language_of(text, profile_locale), alerted))


def check_in_message(language: str) -> str:
    return CHECK_IN[language]


def check_in_no_message(language: str) -> str:
    return CHECK_IN_NO[language].format(crisis_line=crisis_contacts(language).crisis_line)


# The follow-up after crisis help (bot.actions.crisis, crisis_followup_form): as a
# crisis counsellor would, stay with the client, ask whether they are safe, keep
# the numbers at hand, and close gently only once they say they are safe.
SAFE_NOW_FIRST = {
    "en": "I'm staying right here with you. Are you safe right now? Please reply YES or NO.",
    "es": "Sigo aquí contigo. ¿Estás a salvo ahora mismo? Responde SÍ o NO.",
}
SAFE_NOW_AGAIN = {
    "en": (
        "I want to make sure you're okay. Are you safe right now? A YES or NO is enough. "
        "To talk to someone now, call or text {crisis_line}; in an emergency call {emergency}."
    ),
    "es": (
        "Quiero asegurarme de que estás bien. ¿Estás a salvo ahora mismo? Basta con SÍ o NO. "
        "Para hablar con alguien ahora, llama o escribe al {crisis_line}; en una emergencia "
        "llama al {emergency}."
    ),
}
SAFE_NOW_AFTER_UNSAFE = {
    "en": (
        "I'm still here with you. If you are in danger, call {emergency} now, or call or "
        "text {crisis_line} to talk to someone. Tell me when you are safe: are you safe now? "
        "(YES or NO)"
    ),
    "es": (
        "Sigo aquí contigo. Si estás en peligro, llama al {emergency} ahora, o llama o "
        "escribe al {crisis_line} para hablar con alguien. Dime cuando estés a salvo: "
        "¿estás a salvo ahora? (SÍ o NO)"
    ),
}
SUPPORT_WHEN_SAFE = {
    "en": "I'm really glad. Is someone with you, or someone you could be with or call today?",
    "es": "Me alegra mucho. ¿Hay alguien contigo, o alguien con quien puedas estar o hablar hoy?",
}
SUPPORT_WHEN_UNSAFE = {
    "en": (
        "Are you somewhere safe, away from anything you could use to hurt yourself? "
        "Is someone with you, or someone you can call to come and be with you?"
    ),
    "es": (
        "¿Estás en un lugar seguro, lejos de cualquier cosa con la que puedas hacerte daño? "
        "¿Hay alguien contigo, o alguien a quien puedas llamar para que venga?"
    ),
}
FOLLOWUP_CLOSE = {
    "en": (
        "Thank you for staying with me. I'm glad you're safe. Your care team knows and will "
        "follow up. If things get hard again, call or text {crisis_line} any time, or "
        "{emergency} in an emergency. When you feel ready, a skill that can help now is "
        "Self-soothe: one small kind thing for each sense, like a warm drink, a soft blanket "
        "or a song you love. Text MENU whenever you want."
    ),
    "es": (
        "Gracias por quedarte conmigo. Me alegra que estés a salvo. Tu equipo lo sabe y se "
        "pondrá en contacto. Si vuelve a ser difícil, llama o escribe al {crisis_line} cuando "
        "quieras, o al {emergency} en una emergencia. Cuando te sientas con ánimo, una "
        "habilidad que puede ayudar es calmarte con los sentidos: algo amable para cada "
        "sentido, como una bebida caliente, una manta suave o una canción que te guste. "
        "Escribe MENU cuando quieras."
    ),
}
SELF_HARM_CHECK_IN = {
    "en": (
        "Thank you for telling me. That isn't easy, and your therapist will see it. If you "
        "are hurt, please get it looked after: call {emergency} for anything serious. I also "
        "want to ask you directly: are you having thoughts of suicide or of hurting yourself "
        "right now? Please reply YES or NO."
    ),
    "es": (
        "Gracias por contármelo. No es fácil, y tu terapeuta lo verá. Si estás herido o "
        "herida, busca atención: llama al {emergency} si es algo grave. También quiero "
        "preguntarte directamente: ¿estás pensando en suicidarte o en hacerte daño ahora? "
        "Responde SÍ o NO."
    ),
}


def with_numbers(texts: dict[str, str], language: str) -> str:
    """``texts`` in ``language`` with the configured crisis numbers filled in."""
    contacts = crisis_contacts(language)
    return texts[language].format(
        crisis_line=contacts.crisis_line, emergency=contacts.emergency_number
    )
