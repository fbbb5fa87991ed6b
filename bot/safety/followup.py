"""Answers to the bot's own safety questions, screened without Rasa.

Some answers call for a person as surely as a crisis message does: a "yes"
(or anything but a clear "no") to *are you having thoughts of suicide or of
hurting yourself?*, a diary-card urge to commit suicide or self-harm of 4 or
5, "no" to *are you safe right now?*. Others must reach the therapist as a
flag: a "yes" to *did you self-harm today?*. The words alone ("yes", "5")
carry no risk for the detector; only the question gives them their meaning.

So the action that asks such a question records it (:func:`record_question`,
one pending question per client, kept until it is answered), and the
core's screening of every inbound message, which runs before Rasa and needs
neither Rasa nor the action server, reads the next message against it
(:func:`escalate_risky_answer`). The check-in for a moderate-risk message is
asked by the core itself (:func:`ask_check_in`), as the crisis reply is. The
answer opens or joins the client's escalation through
:func:`bot.escalation.record_risk` and, for a high-risk answer, returns the
crisis reply for the channel to send at once. The actions read answers with
the same functions (:func:`read_check_in`, :func:`read_safe_now`,
:func:`risk_of_reading`) and see from the message's metadata
(``crisis_replied``) that the answer was already escalated, so an answer is
never paged twice.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import crisis_messages
from bot.answers import NO_WORDS, NUMBER_WORDS, YES_WORDS, read_scale, read_yes_no
from bot.diary import SAFETY_URGE_THRESHOLD
from bot.escalation import PAGING_LEVELS, record_risk
from bot.safety import get_detector
from bot.safety.lexicon import load_answer_words
from bot.settings import Settings
from bot.storage.enums import URGE_MAX, Direction, EscalationLevel, SafetyQuestion
from bot.storage.models import Client, Message, PendingSafetyQuestion

#: How long any message is read as the answer: Rasa's session expiry
#: (``session_expiration_time`` in ``domain/core.yml``). After it the question
#: still waits (people in distress often go quiet before answering), but only a
#: clear answer is read against it (see :func:`take_pending_question`).
QUESTION_LIFETIME = timedelta(minutes=60)

#: Escalation categories for risk the client confirmed in answer to a question.
CHECK_IN_AFFIRMED = "check_in_affirmed"
DIARY_URGE = "diary_urge"
#: The detector's own category for a disclosed act of self-harm (SPEC: at least moderate).
RECENT_SELF_HARM = "recent_self_harm"
SELF_HARM_NEEDS_CARE = "self_harm_needs_care"
NOT_SAFE = "not_safe"
#: "I'm safe, I put the knife away": noted for whoever acts on the escalation, no page.
MEANS_PUT_AWAY = "means_put_away"

#: How an answer to a yes/no safety question was read.
YES, NO, UNCLEAR = "yes", "no", "unclear"

#: The questions as the therapist reads them in the escalation's evidence.
QUESTION_WORDING = {
    SafetyQuestion.CHECK_IN: "Are you having thoughts of suicide or of hurting yourself?",
    SafetyQuestion.URGE_SUICIDE: "Diary card: urge to commit suicide today, 0-5?",
    SafetyQuestion.URGE_SELF_HARM: "Diary card: urge to self-harm, 0-5?",
    SafetyQuestion.SELF_HARM_TODAY: "Diary card: did you self-harm today?",
    SafetyQuestion.SELF_HARM_CARE: "Are you hurt in a way that needs care, or not safe now?",
    SafetyQuestion.SAFE_NOW: "Are you safe right now?",
}

#: The follow-up's own words (``bot/safety/data/answers.yml``): warm emoji, thanks, how
#: they are after a no.
_ANSWER_WORDS = load_answer_words()

#: The words of being well, held once. "ok", "fine" after crisis help acknowledge the
#: message and do not say "I am safe"; "good" says how they are ("im good").
_OK_WORDS = frozenset({"ok", "okay", "fine", "alright"})
#: The well words beside "safe" in an answer to "are you safe right now?" (a no to the
#: check-in reads how they are from ``well`` in ``data/answers.yml``: :data:`_HOW_THEY_ARE`).
_WELL_WORDS = _OK_WORDS | {"good"}
_ACKNOWLEDGEMENTS = _OK_WORDS | {"k", "kk", "sure", "i agree", "👍"}
#: "Safe" in so many words, in English and Spanish.
_SAFE_WORDS = r"safe|a salvo|segur[oa]"
_SAFE = re.compile(rf"\b({_SAFE_WORDS})\b")
#: Any word of being safe or well, as a pattern: "safe", "fine", "ok", "bien".
_FEELING_WELL = rf"(?:{_SAFE_WORDS}|{'|'.join(sorted(_WELL_WORDS))}|bien)"
_UNSAFE = re.compile(
    r"\b(unsafe|not safe|isn'?t safe|not really safe|don'?t feel safe|dont feel safe|"
    r"no estoy a salvo|no estoy segur[oa])\b"
)
#: The words of a no that answers, which open a plain no ("no", "nope", "n"; ``no_answers``
#: and ``no_answers_alone`` in ``data/answers.yml``, the follow-up's one negation vocabulary).
_LEADING_NO = frozenset(_ANSWER_WORDS.no_answers + _ANSWER_WORDS.no_answers_alone)
#: Words that negate what follows them ("not", "never", "nunca").
_NEGATORS = frozenset(_ANSWER_WORDS.negators)
#: The negative contractions, a closed list of stems, with or without the apostrophe, or
#: with it misplaced ("don't", "dont", "dnt", "cant", "aint", "shouldnt", "did'nt"): not
#: every word ending in "nt".
_NEGATIVE_CONTRACTION = (
    rf"(?:{'|'.join(_ANSWER_WORDS.contraction_stems)})'?n'?t"
    rf"|{'|'.join(_ANSWER_WORDS.contraction_misspellings)}"
)
_A_NEGATIVE_CONTRACTION = re.compile(_NEGATIVE_CONTRACTION)
#: A negation anywhere in an answer that names safety ("I don't think I'm safe",
#: "safe? no", "no me siento segura", "nope, i'm safe") makes it "not safe": when in doubt,
#: escalate. Every word of the vocabulary but "n", which is "and" as often ("safe n sound").
_NEGATION = re.compile(
    rf"\b(?:{'|'.join(_ANSWER_WORDS.no_answers + _ANSWER_WORDS.negators)}"
    rf"|{'|'.join(_ANSWER_WORDS.negative_concord)}|{_NEGATIVE_CONTRACTION})\b"
)


def _negates(word: str) -> bool:
    """Whether ``word`` negates the words after it in a plain no: a no, "not", "never",
    "don't". Not Spanish "nada" or "ni": after a negated verb they negate nothing more
    ("no tengo nada" is one no)."""
    return word in _LEADING_NO or word in _NEGATORS or bool(_A_NEGATIVE_CONTRACTION.fullmatch(word))


#: The detector's parts (``bot/safety/data/frames.yml``) that name lethal means: named
#: in an answer to "are you safe right now?", it is not safe, unless each clause that
#: names them says they were put out of reach (:data:`_PUT_AWAY`).
_MEANS_PARTS = frozenset({"FIREARM", "BLADE", "LIGATURE", "MEDICATION", "HEIGHT", "POISON"})
#: The parts of an act done, an injury, a preparation, an ending or a time it ends from
#: ("yes i did it", "safe. bleeding a bit", "yes, i wrote my letters", "yes, goodbye",
#: "forever", "yes i cut", "yes after tonight"): beside a yes or "safe" they are what a
#: clinician hears first, so the answer is not safe. Read with everyday context, so that
#: "yes i'm safe, goodnight" or "going to bed" stay a plain yes. INGESTED is not among
#: them ("yes, i ate dinner"): :data:`_SWALLOWED` reads an overdose by its verb and object.
_NOT_SAFE_PARTS = frozenset(
    {"ATTEMPT_DONE", "FAREWELL", "FINALITY", "WARNING_SIGN", "INTENT", "INJURY_NOW",
     "INJURY_SERIOUS", "WOUND", "SELF_INJURED", "SUICIDE_SELF", "LETHALITY", "PREPARING",
     "NO_NEED_AHEAD", "PASSIVE_WISH", "URGE_SH", "FROM_A_TIME_ON"}
)  # fmt: skip
#: A swallowing verb, tolerant of texting typos ("swallowd", "tooka bunch"), with "ate",
#: "had", "drank" and UK "necked".
_SWALLOW_VERB = (
    r"(?:took\w*|taken|tak(?:in|ing)|swall?ow\w*|downed|popped|chugged|necked|ate|eaten|had|"
    r"drank|drunk|tom[eé]|tomado|tragu[eé]|tragado)"
)
#: A swallowing after "are you safe?" is an overdose when what was swallowed is a pronoun, an
#: amount or a count ("i took em", "took like 20", "a handful", "ate them all", "i had like
#: 20", "me tomé el frasco"), or nothing ("yes i took", "i drank until i passed out"). A
#: pronoun is not one only with a place, an animal's walk or a manner after it ("took them
#: to the vet", "took it easy", "had it rough", "took it one day at a time"); an amount
#: only before a coping step's or a meal's own noun ("took a few deep breaths", "had some
#: water", "ate a lot of pizza"). Any other swallowing ("took your advice") is no plain
#: extra either: asked again (:func:`_is_plain`).
_SWALLOWED = re.compile(
    rf"\b{_SWALLOW_VERB}\s+(?:(?:like|about|around|maybe|over)\s+)?(?:"
    r"(?:em|'em|them|it|those|these|all|every\w*|the rest|the whole|whole|todas?|todos?|"
    r"el frasco|el bote)\b(?!\s+(?:(?:to|for)\s+(?:the\s+|a\s+)?(?:vet|school|park|walk|doctor|"
    r"dentist|groomer)|home|out|easy|slow|rough|hard|tough|(?:one|a) (?:day|step) at a time|"
    r"day by day|step by step)\b)"
    r"|(?:half|some|sum|more|extra|a lot|lots|loads?|a load|a bunch|bunch|a handful|handful|"
    r"a fistful|too many|too much|so many|many|a few|a couple|\d+|varias|muchas|un mont[oó]n)"
    r"\b(?!\s+(?:of\s+)?(?:(?:more|deep|slow|cold|fresh)\s+)?(?:breaths?|water|tea|coffee|air|"
    r"rest|sleep|food|time|minutes?|steps?|agua|t[eé]|aire|dinner|lunch|breakfast|pizza|soup|"
    r"pasta|snacks?|sandwich(?:es)?|toast|rice|fruit|comida|cena|sopa)\b))"
    rf"|\b{_SWALLOW_VERB}(?:$|\s+(?:til|till|until|untill|hasta)\b)"
    r"|\b(?:las|los|la|lo)\s+(?:tom[eé]|tragu[eé])\b"
)
#: A self-harm verb anywhere beside a yes, in the clinic's words first ("self harmed",
#: "harmed myself", "sh'd", "did sh", "me autolesioné": the diary card's "self-harm today?")
#: and the client's ("just cut a little", "cut again", "cutted", "safe, relapsed", "sliced",
#: "od'ed", "banged my head", "me corté", "recaí"), unless the detector reads everyday talk
#: of a cut in the answer ("cut the onions"). What :data:`_NO_ACT` names is no act.
_SELF_HARM_VERB = re.compile(
    r"\b(?:cut|cuts|cutting|cutted|"
    r"sliced|slicing|slashed|slit|burn(?:ed|t)(?!\s+out)|scratched|carved|"
    r"relaps\w*|od|od'?ed|od'?d|overdos\w*|self[- ]?harm\w*|"
    r"(?:harm|harmed|hurt|hurting)\s+myself|sh'?d|sh'?ed|did sh|"
    r"(?:hit|banged|punched|slammed)\s+(?:my\s+head|myself)|autolesion\w*|"
    r"me (?:cort[eé]|quem[eé]|lastim[eé]|ray[eé]|hice da[nñ]o)|cort[aá]ndome|reca[ií](?:da)?)\b"
)
#: Words of self-harm that are no act: cutting ties, back or someone off, a relapse
#: prevention plan ("yes i cut ties with him"). Masked before the detector and
#: :data:`_SELF_HARM_VERB` read an answer beside a yes.
_NO_ACT = re.compile(
    r"\bcut(?:ting)?\s+(?:ties|back|contact|(?:(?!myself)\w+\s+)?off)\b|\brelapse\s+prevention\b"
)
#: An act still to come, which the yes waits on: "yes once i take these", "after i'm
#: done", "cuando termine". Only a coping step after it keeps the yes: "once i called the
#: crisis line", "after i talked to mom", "when i'm with my sister" (a short, closed list).
_ACT_TO_COME = re.compile(
    r"\b(?:once|after|when|as soon as|before)\s+i(?:'m|'ve|'d|'ll| am| have| had)?"
    r"\s+(?!(?:call\w*|talk\w*|text\w*|spoke|speak\w*|messag\w*|breath\w*|meditat\w*|"
    r"pray\w*|walk\w*|slept|sleep|ate|eat|showered|cried|hugged|listen\w*|journal\w*|"
    r"used my skills|did my skills|went to bed|go to bed|went to sleep|go to sleep|with)\b)"
    r"|\b(?:cuando|en cuanto|despu[eé]s de que)\s+(?:me|lo|la|los|las|termine)\b"
)
#: Preparations for an ending named beside a yes that the detector's PREPARING does not
#: hold ("yes i left notes", "signed my will", "sí, escribí cartas"): in any message they
#: may be homework, after "are you safe?" they are not.
_PREPARATION = re.compile(
    r"\b(?:wrote|written|writing|left|finished|signed)\s+(?:\w+\s+)?"
    r"(?:letters?|notes?|will|goodbyes?)\b|\b(?:escrib[ií]|dej[eé])\s+(?:\w+\s+)?cartas?\b"
)
#: Someone a client may be with or call: "my mom", "my sister", "the crisis line", "988".
_SOMEONE = (
    r"(?:(?:my|the|a|mi|mis|la|el)\s+)?(?:mom|mum|mother|dad|father|parents?|sister|"
    r"brother|sis|bro|partner|husband|wife|boyfriend|girlfriend|bf|gf|friends?|"
    r"bestie|best friend|roommate|family|kids|son|daughter|grandma|grandpa|aunt|uncle|cousin|"
    r"therapist|counsell?or|psychiatrist|doctor|nurse|sponsor|dog|cat|puppy|crisis line|"
    r"lifeline|hotline|988|741741|mam[aá]|pap[aá]|hermana|hermano|novi[oa]|espos[oa]|"
    r"amig[oa]s?|terapeuta|psic[oó]log[oa]|perr[oa]|gat[oa]|abuel[oa]|t[ií][oa])"
)
#: The days of the week, in English (whole or short) and Spanish: a goodbye's day ("hasta
#: el jueves"), a time word's (:data:`_TIME_WORDS`: "fri at 5").
_DAYS_OF_THE_WEEK = (
    r"(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day|mon|tue|wed|thu|fri|sat|sun|"
    r"lunes|martes|mi[eé]rcoles|jueves|viernes|s[aá]bado|domingo)"
)
#: What follows "hasta" in a goodbye that names no time: "hasta luego", "hasta pronto",
#: "hasta la próxima".
_GOODBYE_FOR_NOW = r"(?:luego|pronto|la pr[oó]xima)\b"
#: Where such a goodbye ends its clause: a mark, an emoji or the message's end after it,
#: or only thanks ("hasta luego, gracias", "hasta pronto 😊").
_ENDS_ITS_CLAUSE = r"(?=\s*(?:$|[^\w\s]|(?:(?:y|and)\s+)?(?:gracias|thanks?|thank you|ty)\b))"
#: The words that open a limit after "hasta luego" or "hasta pronto": a preposition, a
#: conjunction or an article of a time or an event ("en la noche", "cuando se vaya", "el
#: lunes", "hoy"). Texters rarely put a comma before a name or "nos vemos".
_OPENS_A_LIMIT = (
    r"(?:en|a|al|por|para|de|del|cuando|que|mientras|despu[eé]s|antes|hasta|el|la|los|las|"
    r"esta|este|hoy|ma[nñ]ana|in|at|on|by|when|after|before|once|until|till|tonight|today)\b"
)
#: A goodbye that bounds nothing after a word of safety ("sí estoy bien hasta luego" is a
#: plain yes): "luego" or "pronto" with no limit opened after it, whatever else follows (a
#: name, a greeting, a term of address: "hasta luego amiga", "hasta pronto doc", "hasta
#: luego nos vemos"), or "la próxima" ending its clause. A limit is no goodbye ("hasta la
#: próxima crisis", "hasta luego en la noche", "la próxima semana").
_A_GOODBYE_BOUNDING_NOTHING = (
    rf"(?:(?:luego|pronto)\b(?!\s+{_OPENS_A_LIMIT})|la pr[oó]xima\b{_ENDS_ITS_CLAUSE})"
)
#: What follows "hasta" in a Spanish goodbye ("hasta mañana", "hasta luego", "hasta el
#: jueves"): a goodbye, no limit to the yes, unless a day follows a word of safety ("estoy
#: a salvo hasta mañana" is safe until tomorrow).
_GOODBYE_UNTIL = rf"(?:{_GOODBYE_FOR_NOW}|(?:ma[nñ]ana|el {_DAYS_OF_THE_WEEK})\b)"
#: What a day is planned around, the appointments first: "group", "class", "my session",
#: "la cita". A time word before "at N" (:data:`_TIME_WORDS`), a plan after waking
#: (:data:`_A_PLAN`).
_APPOINTMENTS = (
    r"(?:appointment|appt|meeting|class|session|group|shift|lunch|dinner|breakfast|"
    r"cita|reuni[oó]n|clase|sesi[oó]n)"
)
#: The places and duties a morning is planned around besides the appointments: "school",
#: "work", "the bus", "mi alarma", "a tiempo".
_DAILY_PLACES = (
    r"(?:school|work|job|therapy|practice|church|gym|bus|train|home|alarm|time|"
    r"escuela|colegio|trabajo|terapia|pr[aá]ctica|misa|iglesia|gimnasio|desayuno|almuerzo|"
    r"comida|cena|casa|cami[oó]n|alarma|tiempo)"
)
#: What turns waking or getting somewhere into a plan: a manner ("early", "temprano",
#: "home", "there"), or after any preposition an hour, an appointment, a daily place or
#: someone ("at 7", "before noon", "on time", "to group", "for class", "a casa", "to my
#: mom's"). What it is not is read by :func:`_doubts_the_morning`.
_A_PLAN = re.compile(
    r"\s+(?:(?:early|earlier|late|later|home|there|back|temprano|tarde)\b"
    r"|(?:in|on|en|by|for|para|to|a|al|at|until|till|hasta|before|antes de)\s+"
    r"(?:(?:las?\s+)?\d|(?:noon|midday|mediod[ií]a)\b|"
    rf"(?:(?:the|a|my|mi|la|el)\s+)?(?:{_APPOINTMENTS}|{_DAILY_PLACES})\b|{_SOMEONE}(?:'?s)?\b))"
)
#: A goodbye that doubts the morning by being alive or here at all ("if im still here",
#: "if i dont die", "si sigo viva", "si hay mañana", "ojalá no despierte"). Waking or
#: getting somewhere is :func:`_doubts_the_morning`'s.
_MORNING_DOUBTED = (
    r"\bif\s+(?:i(?:'?m| am)?\s+(?:still\s+(?:here|alive|around|breathing)|alive|not dead)"
    r"|i\s+(?:don'?t|do not|didn'?t)\s+die|i\s+(?:live|survive\w*)"
    r"|there(?:'?s| is)\s+(?:a\s+)?tomorrow|tomorrow comes)\b"
    r"|\bsi\s+(?:es\s+que\s+)?(?:(?:(?:todav[ií]a|a[uú]n)\s+)?(?:sigo|estoy)\s+"
    r"(?:aqu[ií]|ac[aá]|viv[oa]|con vida)|sigo\s+(?:aqu[ií]|ac[aá])|hay\s+(?:un\s+)?ma[nñ]ana|"
    r"no\s+(?:me\s+)?muero|sobrevivo|vivo)\b"
    r"|\bojal[aá]\s+no\s+(?:me\s+)?(?:despierte|amanezca)\b"
)
#: Waking or getting somewhere after "if" or "si", and the rest of its clause (``rest``),
#: which says whether it doubts the morning (:func:`_doubts_the_morning`).
_WAKING_OR_GETTING_THERE = re.compile(
    r"\b(?:if\s+i|si(?:\s+es\s+que)?)\s+(?:even\s+|ever\s+|a[uú]n\s+)?"
    r"(?:wake up|wake(?!\s+up\b)|make it|get through|(?:me\s+)?despierto|amanezco|llego)\b"
    r"(?P<rest>[^.,;:!?\n…]*)"
)
#: The detector's parts of a place to die at ("the train tracks", "the bridge", "the roof",
#: "el río"): the places its ``at_a_height_with_intent`` frame reads.
_LETHAL_PLACE_PARTS = frozenset({"HEIGHT", "TRAFFIC", "WATER"})
#: The places of the dead, which the detector's lexicon does not hold: "my mom's grave",
#: "the other side".
_PLACES_OF_THE_DEAD = re.compile(
    r"\b(?:graves?|gravesite|cemetery|heaven|(?:the )?other side|cementerio|tumba|pante[oó]n|"
    r"cielo|(?:el )?otro lado)\b"
)
#: The detector's parts of a time ("to tmrw", "to sunrise", "a mañana", "to friday").
_TIME_PARTS = frozenset({"TIMELINE", "TIME_AHEAD", "FROM_A_TIME_ON"})
#: The times of day, week and year the detector's parts do not hold ("to the morning",
#: "through the night", "to the weekend", "to the end of the week", "a week", "to
#: christmas", "a ver el amanecer").
_A_TIME_AHEAD = re.compile(
    r"\b(?:morning|mornin|dawn|daybreak|daylight|night|weekend|end|(?:next|another|new) day|"
    r"weeks?|months?|years?|birthday|christmas|amanecer|madrugada|semanas?|mes|meses|a[nñ]os?|"
    r"navidad|cumplea[nñ]os)\b"
)
#: The words that take a client somewhere, and the first word of where (``where``, after
#: any article): "to the office", "a la oficina", "to class". Where it is a time ("to
#: tomorrow", "a mañana", "to the end", "a week") or opens one ("to the next day", "to
#: see another day"), the morning is doubted; where it is a place, a time after it ("to
#: the office tomorrow") only says when.
_TO_A_PLACE = re.compile(
    r"\s+(?:to|a|al)\b(?:\s+(?:(?:the|a|an|my|mi|la|las|el|los)\s+)?(?P<where>[\w'-]+))?"
)
#: The words after "to" or "a" that open a time or a life, not a place: "to the next day",
#: "to another year", "to see tomorrow", "a ver el amanecer", "to live another week".
_OPENS_A_TIME = re.compile(
    r"(?:next|another|new|one|this|that|coming|following|other|see|live|watch|witness|"
    r"ver|vivir|otro|otra|pr[oó]xim[oa]|siguiente|nuevo|nueva)"
)
#: A calm already reached after "until" or "hasta": coping done, no limit to the yes ("i
#: walked until i calmed down", "used my skills till the urge passed", "hasta que me
#: calmé"). Only a past calm, a closed list: a calm still to come ("until i calm down",
#: "hasta que me calme") is the limit it always was, and so is any other past ("until
#: she left").
_CALM_REACHED = (
    r"(?:i\s+(?:calmed(?:\s+down)?|felt\s+(?:(?:a\s+lot|much|a\s+bit|a\s+little)\s+)?"
    r"(?:calm|calmer|better|ok|okay|safe|safer)|was\s+calm(?:er)?)"
    r"|(?:it|the\s+urges?|the\s+feelings?|the\s+panic)\s+(?:passed|went\s+away|faded|eased)"
    r"|que\s+(?:me\s+calmé|me\s+sent[ií]\s+mejor|(?:se\s+)?(?:me\s+)?pas(?:[oó]|aron)))\b"
)
#: A time when it all ends, beside a yes ("safe, it'll all be over soon", "yes soon",
#: "yes, when this is over"), or any limit to the yes ("yes til tonight", "yes till my mom
#: leaves", "until everyone's asleep", "sí, hasta que se duerman", "as long as she's here"):
#: a safety that ends at a time or an event is the conditional safety the detector reads as
#: high in a first message; a calm reached is none (:data:`_CALM_REACHED`). "After
#: tonight" is the detector's FROM_A_TIME_ON. "See you soon" is a goodbye for now; a
#: goodbye that doubts the morning ("si sigo viva", "if im still here";
#: :func:`_doubts_the_morning` reads "if i wake up") is an ending too.
_ENDING_TO_COME = re.compile(
    r"(?<!see you )(?<!see u )(?<!see ya )(?<!talk )(?<!hasta )\b(?:soon|pronto)\b"
    r"|\b(?:will|'ll|gonna|going to)\s+(?:all\s+)?be\s+(?:all\s+)?over\b"
    r"|\b(?:once|after|when)\s+(?:this|it|everything)(?:\s+is|'s)?\s+(?:all\s+)?over\b"
    rf"|\b(?:til|till|until|untill)\b(?!\s+{_CALM_REACHED})"
    r"|\b(?:as long as|so long as|mientras)\b"
    rf"|\bhasta\b(?!\s+(?:{_GOODBYE_UNTIL}|{_CALM_REACHED}))"
    rf"|\b{_FEELING_WELL}\s+hasta\b(?!\s+{_A_GOODBYE_BOUNDING_NOTHING})"
    rf"|{_MORNING_DOUBTED}"
)
#: A yes taken back: "yes jk", "jkjk", "j k", "/s", "yeah right", "psych", "not!", "sí,
#: mentira", "es broma". Here a take-back makes the yes no yes, so the list is wider than
#: the detector's ``jokes`` (there a joke lowers the risk it closes); a negated one ("i'm
#: not kidding", "no es broma") is the opposite of a joke and leaves the yes plain.
_TAKEN_BACK = re.compile(
    r"(?<!not )(?<!no )(?<!not even )\b(?:j+\s?k+(?:j+k+)*|j/k|jking|just kidding|kidding|"
    r"joking|lol no|es broma|bromeando|mentira|psych|ya+h? right|yea+h? right)\b"
    r"|(?<!\S)/s(?!\w)|\bnot!"
)
#: Means put out of reach, in the past tense (a plan to do it is not done): "put the knife
#: away", "threw the rope out", "flushed the pills", "gave them to my mom", "locked it up",
#: "got rid of", "my sister has them", "guardé", "tiré", "le di las pastillas a".
_PUT_AWAY = re.compile(
    r"\b(?:put\b.*\baway|put away|threw\b.*\b(?:out|away)|thrown\b.*\b(?:out|away)|"
    r"tossed|binned|trashed|flushed|poured\b.*\b(?:out|away|down)|got rid of|"
    r"gave\b.*\bto|given\b.*\bto|handed\b.*\b(?:to|over)|locked|returned|dropped\b.*\boff|"
    r"(?:my|mi) \w+ (?:has|have|took|tiene|se llev[oó])|"
    r"guard[eé]|tir[eé]|bot[eé]|me deshice|les? di|se (?:lo|la|los|las) (?:di|llev[oó]))"
)
#: What undoes a means put away within its own clause: still at hand, somewhere near, not
#: done yet ("i'll put it away", "going to flush them"), or some kept ("flushed half the
#: pills", "she gives them back", "debajo de mi almohada"). Means handed over "to keep" are
#: the safety plan (as the detector's ``handed_over`` reads them), not means kept.
_STILL_AT_HAND = re.compile(
    r"\b(?:will|ll|going to|gonna|gotta|need to|have to|should|could|can|want to|wanna|"
    r"try\w*|voy a|tengo que|still|next to me|with me|on me|near me|by my bed|"
    r"in my (?:car|room|bag|pocket|hand|hands|lap|purse|backpack|drawer)|"
    r"under my|todav[ií]a|a[uú]n|conmigo|en mi (?:carro|coche|cuarto|bolsa|mochila)|"
    r"kept|(?<!to )keep|keeping|some|a few|half|the rest|another|more|extra|spare|later|"
    r"(?:get|gets|got|give|gives|gave|take|takes|took|bring|brings|hand|hands)\s+(?:\w+\s+)?back|"
    r"me qued[eé]|unas|unos|algunas|algunos|otra|otro|otras|otros|la mitad|m[aá]s tarde|"
    r"debajo de|bajo mi)\b"
)
#: The closed list of what may stand beside a yes to "are you safe right now?" for it to be
#: a plain yes: affirmations ("i'm safe", "im ok", "fine", "for real"), thanks, a good
#: night, being at home, in bed or with someone, and the coping steps the follow-up hopes
#: for: a call, a text or a talk with someone, breathing, cold water or a shower, a walk,
#: music, a nap or sleep, a meal, tea, the safety plan, therapy tomorrow. Anything else
#: beside the yes ("yes for today", "safe atm", "yes sure jan", "yes 🙃", "yes i took your
#: advice") is no plain yes: asked again. What makes a yes no safety at all is read first
#: (:func:`_takes_the_safety_back`), so nothing here can hide it.
_PLAIN_EXTRA = re.compile(
    r"(?<!\S)(?:"
    # Affirmations, thanks, laughter, a good night.
    rf"yes+|y|yeah|yea|yep|yup|ya|ye|s[ií]|sip|claro|sure|k|kk|{_FEELING_WELL}|"
    r"all right|better|calmer|all good|i promise|promise|"
    r"really|totally|definitely|absolutely|for real|fr|for sure|de verdad|en serio|"
    r"thanks?(?: you)?(?: so much)?(?: for (?:checking(?: in| on me)?|asking))?|thx|ty|"
    r"gracias|lol|haha+|jaja+|good ?night|gn|night|buenas noches|"
    r"see (?:you|u|ya)(?: soon| later| tomorrow)?|talk (?:to you )?(?:soon|later|tomorrow)|"
    rf"hasta {_GOODBYE_UNTIL}|nos vemos|"
    # Feeling better, being at home, in bed or with someone.
    r"(?:i )?(?:feel|felt|feeling|doing)(?: a lot| much)? better|"
    r"(?:at |back )?home|in bed|en casa|en la cama|"
    rf"(?:(?:here|right here)\s+)?(?:with|con)\s+{_SOMEONE}(?:\s+(?:here|now))?|"
    # Someone here now, not once they are ("yes, once my mom is home" waits for them).
    rf"(?:(?:now that|since)\s+)?{_SOMEONE}\s+(?:is|are)\s+(?:here|over|home)|"
    rf"(?:(?:once|now that|since|after|when)\s+)?{_SOMEONE}\s+(?:got|came)\s+(?:here|over|home)|"
    rf"(?:got|have|i've got)\s+{_SOMEONE}\s+(?:here\s+)?with me|"
    # Coping steps, done or under way, and once or after them when done ("once i call my
    # therapist" is a step still to take).
    r"(?:(?:(?:once|after|when|since)\s+)?(?:i\s+)?(?:called|texted|messaged|talked|spoke|"
    r"reached out)|(?:after|since)\s+(?:calling|texting|talking|speaking)|"
    r"(?:i\s+)?(?:calling|call|texting|talking|speaking))(?:\s+(?:to|with))?\s+"
    rf"{_SOMEONE}(?:\s+(?:and\s+)?(?:they|she|he|it)\s+helped)?|"
    rf"(?:despu[eé]s de\s+)?(?:llam[eé]|hablar|habl[eé])\s+(?:a|con)\s+{_SOMEONE}|"
    r"(?:i\s+)?(?:used|using|did|doing|practiced|practised)\s+(?:my|some|the)\s+(?:dbt\s+)?skills|"
    rf"(?:til|till|until|untill|hasta)\s+{_CALM_REACHED}|"
    r"(?:(?:did|doing|took|taking|take|had)\s+)?(?:(?:some|a few|a couple(?: of)?|\d+|a)\s+)?"
    r"(?:(?:deep|slow|paced)\s+)?(?:breaths?|breathing(?: exercises?)?)|breathed|respir\w*|"
    r"(?:used|put|splashed|took|had|drank|tom[eé]|me tom[eé])\s+(?:some\s+|una?\s+)?"
    r"(?:ice|cold water|water|tea|agua(?: fr[ií]a)?|t[eé])(?:\s+on my face)?|"
    r"(?:took|had|taking|tom[eé]|me di)\s+(?:a|una)\s+(?:(?:cold|hot|long)\s+)?"
    r"(?:shower|bath|ducha(?: fr[ií]a)?)|showered|"
    r"(?:took|went for|went on|going for|taking)\s+(?:a|my dog for a|the dog for a)\s+"
    r"(?:(?:long|short|little)\s+)?walk|walked(?: my dog| the dog)?|"
    r"took (?:them|him|her|my dog|the dog|the kids|my kids) (?:to (?:the )?(?:vet|school|park)|"
    r"for a walk|home)|took the (?:bus|train|subway) home|"
    r"(?:listen(?:ed|ing)? to|put on|playing|played)\s+(?:some\s+)?music|"
    r"(?:took|taking|had) a nap|napped|slept(?: it off)?|"
    r"(?:going|gonna|off|about|went)\s+(?:to\s+)?(?:bed|sleep|get some sleep)|"
    r"(?:me voy a )?dormir|"
    r"(?:ate|had|eating) (?:some )?(?:dinner|lunch|breakfast|something)|"
    r"(?:(?:i\s+)?(?:have|got|used|using|following|followed|read|did)\s+)?(?:(?:my|the)\s+)?"
    r"(?:safety|crisis|relapse prevention) plan(?: is working| helped| worked)?|"
    r"like we practiced|as we practiced|"
    r"(?:tomorrow\s+)?(?:i\s+)?(?:see|seeing|have|got)\s+(?:my\s+)?(?:therapist|therapy|"
    r"session|appointment|appt|group)(?:\s+tomorrow)?|therapy tomorrow|"
    r"(?:ma[nñ]ana\s+)?(?:tengo|veo a mi)\s+(?:terapia|terapeuta|cita|sesi[oó]n)(?:\s+ma[nñ]ana)?|"
    # Words that only join the rest.
    r"i|i'm|im|i am|am|i've|just|now|right now|rn|and|n|so|already|also|too|estoy|ya|ahora|"
    r"y|me|👍|✅"
    r")(?!\S)"
)
#: The skin tones that modify an emoji and say nothing of their own ("👍🏽").
_SKIN_TONES = frozenset(chr(code) for code in range(0x1F3FB, 0x1F400))


def _symbols_of(words: Collection[str]) -> frozenset[str]:
    """The emoji among ``words`` that are an answer themselves."""
    return frozenset(
        word for word in words if len(word) == 1 and unicodedata.category(word) == "So"
    )


#: The symbols that are a yes or a no themselves, from the one yes/no vocabulary
#: (``bot.answers``): 👍 ✅ beside a yes, 👎 ❌ in a no.
_YES_SYMBOLS = _symbols_of(YES_WORDS)
_NO_SYMBOLS = _symbols_of(NO_WORDS)
#: Where one clause of an answer ends: the means of one clause are put away by its own verb.
_CLAUSE_BREAK = re.compile(r"[.,;:!?\n…]+|\b(?:and|but|y|pero|though|tho)\b")


#: Unicode categories of dashes and of opening and closing quotes, and their ASCII form.
_STRAIGHT = {"Pd": "-", "Pi": "'", "Pf": "'"}
#: The words that only say who answers ("i'm ok" is no yes, "yes" is).
_SUBJECT = frozenset({"i'm", "im", "i", "am"})
#: The words an unqualified no to a safety question is made of, in English and Spanish.
_PLAIN_NO_WORDS = _LEADING_NO | frozenset(
    {"not", "never", "none", "nada", "nunca",
     "i", "i'm", "im", "am", "do", "don't", "dont", "having", "haven't", "havent",
     "any", "those", "these", "them", "that", "thoughts", "right", "now", "today", "at",
     "all", "thanks", "thank", "you", "tengo", "estoy", "ninguno", "ninguna", "ningún",
     "pensamientos", "esos", "eso", "ahora", "hoy", "gracias", "para", "👎", "❌"}
)  # fmt: skip
#: Words of an injury that needs care, in English and Spanish, and the blood emoji. A
#: hospital only with the client as its patient: "i'm in the hospital", "went to the er";
#: "i'm at the hospital with my mom" is company.
_INJURY = re.compile(
    r"\b(bleed\w*|bled|blood\w*|deep(?! breath)|stitch\w*|emergency|sangr\w*|herida grande|"
    r"profund[oa]|puntos|urgencias|(?:in|to|admitted|into) (?:the |a )?hospital|hospitali[sz]ed|"
    r"(?:in|to|at) the er|emergency room|en el hospital)\b|🩸"
)
#: "not hurt", "i'm not bleeding", "no estoy herida": the hurt half of the care question
#: answered no.
_NOT_HURT = re.compile(
    r"\b((i'?m|i am) )?(not|no estoy|no) (hurt|injured|herid[oa]|lastimad[oa]|bleeding|"
    r"sangrando)\b"
)
#: Answers to "are you hurt?" that say nothing either way ("hmm", "hi"): asked again.
_NOTHING_SAID = frozenset({"hmm", "hm", "hmmm", "um", "umm", "uh", "hi", "hello", "hey", "hola"})


def _phrases(phrases: Collection[str]) -> str:
    """``phrases`` as one alternation, longest first, any run of spaces between words."""
    ordered = sorted(phrases, key=len, reverse=True)
    return "|".join(r"\s+".join(re.escape(word) for word in phrase.split()) for phrase in ordered)


#: Thanks after an answer, whole phrases ("thanks for asking", "gracias por preguntar"):
#: dropped before a no is read, as warm emoji are.
_THANKS = re.compile(rf"(?<![\w'])(?:{_phrases(_ANSWER_WORDS.thanks)})(?![\w'])")
#: The words that open how they are in English: "i'm fine", "doing better", "much better".
_WELL_OPENER = (
    r"(?:(?:i'm|im|i am|am)\s+(?:(?:doing|feeling)\s+)?|(?:doing|feeling)\s+)?"
    r"(?:(?:much|a lot|way|a bit|a little)\s+)?"
)
#: The words that open how they are in Spanish: "estoy bien", "ya estoy mejor".
_WELL_APART_OPENER = r"(?:(?:ya\s+)?(?:estoy|me siento|ando)\s+)?(?:ya\s+)?"
#: How they are, after a no that opens the answer ("no, i'm safe", "nope im ok", "no, ya
#: estoy mejor"): ``well`` and ``well_apart`` of ``data/answers.yml`` with the words that
#: open them. ``opened`` is the English opener; ``apart`` a Spanish phrase.
_HOW_THEY_ARE = re.compile(
    rf"(?<![\w'])(?:(?P<opened>{_WELL_OPENER})(?:{_phrases(_ANSWER_WORDS.well)})"
    rf"|(?P<apart>{_WELL_APART_OPENER}(?:{_phrases(_ANSWER_WORDS.well_apart)})(?:\s+ya)?))"
    r"(?![\w'])"
)
#: A no word just before how they are, nothing but spaces between: "no estoy bien" is "i'm
#: not well", "no better" no answer; "no, estoy bien" and "no, better" are a no.
_JUST_AFTER_A_NO = re.compile(rf"(?<![\w'])(?:{'|'.join(sorted(_LEADING_NO | _NEGATORS))})\s*$")
#: Text smileys, a no's warmth as ":)" is: "<3", ":D", "xD", "=)", "^^", ":P", ";-)". A tear
#: is no nose: ":')", ";')" (smiling through tears, the text form of 🥲) stay faces.
_EMOTICON = re.compile(
    r"(?<!\S)(?:<3+|[:;=8x][-^o]?[)\]}>dp3*]+|[(\[][-^o]?[:;=]|\^_?\^)(?!\S)", re.IGNORECASE
)
#: Punctuation a plain no may end in ("no.", "no!!", "no, i'm fine", "¡no!"); a dash only
#: standing alone ("no - i'm fine"). Any other run of punctuation after the warm smileys
#: are dropped is a text face, and the list of sad ones is open (";-;", ";;", ".-.",
#: ":\\", "</3"): it qualifies the no as "😢" does.
_PLAIN_PUNCTUATION = re.compile(r"[.,!…¡]+|(?<!\S)-(?!\S)")
#: An apostrophe inside a word ("don't", "i'm"): part of the word, not a face.
_INNER_APOSTROPHE = re.compile(r"(?<=\w)'(?=\w)")
#: The subject and verb words of the plain-no vocabulary: after a no they make a clause of
#: their own ("no... i am", "no i do"), which is a no only when it is negated itself.
_CLAUSE_WORDS = frozenset({"i", "i'm", "im", "am", "do", "having", "tengo", "estoy"})
#: Spanish verbs, negated by the "no" just before them ("no tengo", "no, no estoy").
_SPANISH_VERBS = frozenset({"tengo", "estoy"})

_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
#: Words that put an urge at the top of the scale, in English and Spanish.
_HIGH_URGE = re.compile(
    r"\b(high|higher|highest|max|maximum|maxed|extreme|extremely|intense|strong|worst|"
    r"unbearable|off the charts?|through the roof|alt[oa]|altísim[oa]|m[aá]xim[oa]|fuerte)\b"
)

#: A number, in digits or in words ("4", "4:30", "four", "cuatro").
_ANY_NUMBER = r"(?:\d+(?:[:.,]\d+)?|" + "|".join(NUMBER_WORDS) + r")"
#: A number about something other than an urge: a time ("by five", "4pm", "4:30", "a
#: las 4", "back in 5") or a count of something ("5 hours", "2 kids"). "At 5" is a
#: time only when a time word governs it (:data:`_AT_A_TIME`): "still at 5", "been at
#: 5 all day" are the rating.
_NOT_A_RATING = re.compile(
    r"(?<=\w )(?:by|until|till|til|before|after|since|in|a\s+las?|las?)\s+(?:about\s+)?"
    rf"{_ANY_NUMBER}\b|\b{_ANY_NUMBER}\s*(?:am|pm|a\.m\.?|p\.m\.?|o'?clock|h|hrs?|hours?|mins?|minutes?|"
    r"secs?|seconds?|days?|weeks?|wks?|months?|years?|yrs?|times|th|st|nd|rd|people|kids|"
    r"dollars|bucks|mg|horas?|minutos?|d[ií]as?|semanas?|meses|años?|veces)\b"
    r"|\d+:\d+"
)
#: Words that give a sentence its time: an appointment, a meeting, a meal, a day, seeing
#: someone.
_TIME_WORDS = (
    rf"(?:{_APPOINTMENTS}|see (?:you|u|ya)|meet\w*|pick\w* (?:\w+ )?up|until|till|til|"
    rf"{_DAYS_OF_THE_WEEK}|nos vemos|te veo)"
)
#: Feelings, and the urge's own words, a rating may be "with" ("class at 5 with anxiety",
#: "group at 5 with intent", "with cravings"): no company, so the number stays the rating.
_FEELINGS = (
    r"(?:anxiety|anxious|panic|fear|dread|stress|depression|sadness|sad|anger|rage|shame|"
    r"guilt|pain|urges?|thoughts|intent|intention|plans?|cravings?|impulses?|ideation|"
    r"ansiedad|p[aá]nico|miedo|estr[eé]s|depresi[oó]n|tristeza|rabia|ira|verg[uü]enza|culpa|"
    r"dolor|ganas|intenci[oó]n|impulsos?|antojos?)"
)
#: Who a time is with, before or after "at N": someone a client may be with
#: (:data:`_SOMEONE`: "mom", "my sister", "grandma", "friends"), a title and a name ("dr
#: lee", "ms lee") or a name alone ("sarah", "her"). A possessive before anyone else ("with
#: my anxiety"), a feeling (:data:`_FEELINGS`) or what the detector names a part for
#: ("with rope": :func:`_with_a_part`) is no company.
_COMPANY = (
    rf"(?:with|con)\s+(?:{_SOMEONE}|(?:dr|mr|mrs|ms|miss)\.?\s+[^\W\d_]+|"
    r"(?!(?:my|the|a|an|his|her|their|your|our|mi|mis|tu|su|la|el)\s)"
    rf"(?!{_FEELINGS}\b)[^\W\d_]+)"
)
#: The one word after "with" or "con" in a time's company, which :func:`_with_a_part` reads.
_WITH_ONE_WORD = re.compile(r"\b(?:with|con)\s+([^\W\d_]+)")
#: Where a time is: on a day or online ("on thursday", "on zoom", "on campus").
_ON_A_DAY_OR_PLACE = r"(?:on\s+(?:\w+day|zoom|teams|skype|facetime|campus|line)|online|in person)"
#: The only words that may stand between a time word and "at N" for it to govern it: a
#: linking verb, a day, a person, a place ("my appointment is at 4", "my session is on
#: friday at 4", "lunch with mom at 5", "see you at 5"), or another time word it follows
#: ("my appointment is after lunch at 4"). Any other word ("group sucked at 5"), or
#: punctuation ("session today, at 5"), leaves "at N" the rating.
_LINKING_WORDS = (
    r"(?:is|was|'s|are|starts?|started|begins?|ends?|today|tomorrow|tonight|on|"
    rf"{_COMPANY}|you|u|ya|me|him|her|them|us|es|"
    rf"(?:after|before|despu[eé]s de)\s+(?:(?:my|the|mi|la|el)\s+)?{_TIME_WORDS})"
)
#: A number as a clock reads it: "4", "4:30", "4.30", "four"; not "4.5", a rating between 4
#: and 5.
_CLOCK_NUMBER = r"(?:\d+(?:[:.]\d\d)?|" + "|".join(NUMBER_WORDS) + r")"
#: What may follow a time and keep it one: its day, place or company ("my appointment is at
#: 4 tomorrow", "group is at 5 on zoom", "session at 4 with sarah").
_WHEN_AFTER_A_TIME = rf"(?:today|tomorrow|tonight|hoy|ma[nñ]ana|{_ON_A_DAY_OR_PLACE}|{_COMPANY})"
#: "At 4" as a time: only when a time word governs it, nothing but linking words between
#: (:data:`_LINKING_WORDS`), and nothing after it but its day, place or company
#: (:data:`_WHEN_AFTER_A_TIME`) and a sentence's end ("class at 4", "i have group at 5",
#: "see you at 5 tomorrow"); a time's own form ("4pm", "4:30", "4 o'clock")
#: is :data:`_NOT_A_RATING`'s. Any word or emoji after it ("group today at 5 again",
#: "class today at 5 😞", "at 5 now"), a time word elsewhere in the sentence ("been at
#: 5 since lunch"), or a time that dates a state (:data:`_DATES_A_STATE` before it in its
#: sentence), leaves a 4 or 5 the rating. When in doubt, the rating: a page for "i'm home
#: at 5" costs a phone call, a missed urge of 5 costs the client. ``before`` is the
#: sentence up to the time word.
_AT_A_TIME = re.compile(
    rf"(?:^|(?<=[.!?…\n]))(?P<before>[^.!?…\n]*?)\b{_TIME_WORDS}(?:\s+{_LINKING_WORDS})*"
    rf"\s+at\s+(?:about\s+)?{_CLOCK_NUMBER}(?:\s+{_WHEN_AFTER_A_TIME})*[\s.!…]*$"
)
#: Words before a time that make it the start of a state, not an appointment: "after my
#: appointment at 5", "since my session at 5", "desde la cita at 5".
_DATES_A_STATE = re.compile(r"\b(?:after|since|desde|despu[eé]s de)\b")
#: Any number an urge could be read from, as :func:`urge_is_high` reads them.
_SOME_NUMBER = re.compile(r"\d|\b(?:" + "|".join(NUMBER_WORDS) + r")\b")
#: Words that make a number a rating of the urge whatever else the message says.
_RATING_WORDS = re.compile(
    r"\b(?:urges?|scale|rating|rate|level|out of|suicid\w*|self.?harm|ganas|escala|"
    r"(?:i'?m|i am|it'?s|it is|estoy|est[aá]) (?:at|en))\b"
)


@dataclass(frozen=True)
class AskedQuestion:
    """The safety question a message answers, and whether it came after the conversation's hour."""

    kind: str
    #: Past :data:`QUESTION_LIFETIME`: only a clear answer is read against the question.
    late: bool = False


@dataclass(frozen=True)
class AnswerRisk:
    """The risk an answer carries: the escalation level, its category and evidence."""

    level: str
    category: str
    evidence: str
    #: Noted, but no answer to the question: it stays waiting and is asked again.
    asked_again: bool = False


def is_clear_no(text: str) -> bool:
    """Whether ``text`` is an unqualified no: "no", "nope, I'm not", "no tengo", "no, I'm fine".

    Every word must belong to a plain no (:data:`_PLAIN_NO_WORDS`): anything
    more ("no but i want to", "no... maybe", "no sé", "no estoy segura", "no
    pero quiero", "no thanks, i already decided") qualifies the no, and is not
    one; so does any emoji but a warm one and the answer's own 👎❌ ("no 🔪",
    "no 💊", "no... 😭😭😭", "no 🙃": :func:`_has_other_emoji`), and so does any
    text face but a warm one ("no :(", "no ;-;", "no ;;", "no .-.", "no T_T":
    :func:`_has_face`). Warmth is no qualification: warm emoji and text smileys
    ("no thanks 🙂", "no <3", "no :D"), thanks ("no, gracias por preguntar") and
    a laugh ("no lol"). How they are counts only after a no that opens the
    answer with no other negation before it (:data:`_HOW_THEY_ARE`): "no, I'm
    fine", "no, i'm safe", "no, i'm doing better", "no, just tired" are a no;
    "I'm not fine", "not good" and "no I'm not fine" are distress, not a no.
    Spanish ones, and a bare English one, only after a no set apart by
    punctuation: "no, estoy bien" is a no, "no estoy bien" is "I'm not well".
    A clause of its own after the no must be negated too
    (:func:`_clauses_negated`): "no... i am" and "no i do" take the no back.
    """
    text = _EMOTICON.sub(" ", _lowered(text))
    if _has_other_emoji(text, _NO_SYMBOLS) or _has_face(text):
        return False
    text = _THANKS.sub(" ", text)
    if not _well_after_the_no(text):
        return False
    rest = _HOW_THEY_ARE.sub(" ", text)
    words = _words_but_laughs(rest)
    if not set(words) <= _PLAIN_NO_WORDS:
        return False
    # "ok" is a yes to most questions; in "nope im ok" it said how they are, and is gone.
    if read_yes_no(" ".join(words)).value is not False:
        return False
    return _clauses_negated(rest)


def _well_after_the_no(text: str) -> bool:
    """Whether every word of how they are in ``text`` (:data:`_HOW_THEY_ARE`) follows the no
    that opens the answer, with no negation before it in its own clause ("no, not fine",
    "no no im fine", "no, fine, not good"; "no, no tengo, estoy bien" is a no) and, Spanish
    or bare, not just after a no word ("no estoy bien", "no better")."""
    for found in _HOW_THEY_ARE.finditer(text):
        before = text[: found.start()]
        opening = _words_but_laughs(before)
        if not opening or opening[0] not in _LEADING_NO:
            return False
        clauses = _CLAUSE_BREAK.split(before)
        clause = _words_but_laughs(clauses[-1])
        if len(clauses) == 1:
            clause = clause[1:]  # The no that opens the answer answers; it negates nothing.
        if any(_negates(word) for word in clause):
            return False
        bare = found["apart"] is None and not found["opened"]
        if (found["apart"] is not None or bare) and _JUST_AFTER_A_NO.search(before):
            return False
    return True


def _words_but_laughs(text: str) -> list[str]:
    """The words of ``text`` (:func:`_answer_phrase`) but its laughs ("lol", "jajaja")."""
    return [word for word in _answer_phrase(text).split() if not _is_a_laugh(word)]


def _is_a_laugh(word: str) -> bool:
    """Whether ``word`` is a laugh ("lol", "jajaja"; ``laughs`` in ``data/classes.yml``)."""
    return bool(_ANSWER_WORDS.laugh.fullmatch(word))


def _clauses_negated(text: str) -> bool:
    """Whether every clause of a plain-no answer with a subject or verb is negated.

    The no that opens a clause answers the question ("no i do": no, and then
    "i do"), except a Spanish one just before its verb ("no tengo"); the rest
    of the clause must hold an odd count of negations: "no i'm not", "not
    having those thoughts", but not "i'm never not having those thoughts".
    """
    for clause in _CLAUSE_BREAK.split(text.lower()):
        words = _answer_phrase(clause).split()
        leading = 0
        while leading < len(words) and words[leading] in _LEADING_NO:
            leading += 1
        if leading and leading < len(words) and words[leading] in _SPANISH_VERBS:
            leading -= 1
        rest = words[leading:]
        if set(rest) & _CLAUSE_WORDS and sum(_negates(word) for word in rest) % 2 == 0:
            return False
    return True


def _has_face(text: str) -> bool:
    """Whether ``text`` (warm smileys dropped) holds punctuation a plain no does not: a
    text face, whichever ("no ;-;", "no ):", "no T_T"). Emoji are :func:`_has_other_emoji`'s."""
    rest = _PLAIN_PUNCTUATION.sub(" ", _INNER_APOSTROPHE.sub("", text))
    return any(
        unicodedata.category(char).startswith("P") or (char.isascii() and not char.isalnum())
        for char in rest
        if not char.isspace()
    )


def _has_other_emoji(text: str, answer_symbols: frozenset[str]) -> bool:
    """Whether ``text`` holds an emoji or other pictograph that qualifies an answer: any but
    the warm ones (``warm_emoji`` in ``data/answers.yml``, the same beside a yes and a no)
    and the answer's own ``answer_symbols`` ("no 👎", "yes ✅"), whatever their skin tone.

    ASCII symbols ("<", "=", "^") are a text smiley's or a face's: :func:`_has_face`.
    """
    allowed = _ANSWER_WORDS.warm_emoji | answer_symbols | _SKIN_TONES
    return any(
        unicodedata.category(char).startswith("S") and not char.isascii() and char not in allowed
        for char in text
    )


def read_check_in(text: str) -> str:
    """The check-in answer: only a clear "no" (:func:`is_clear_no`) is no; anything else is yes.

    When in doubt, escalate: a person checking on someone who was fine costs
    little; missing someone who was not could cost everything.
    """
    return NO if is_clear_no(text) else YES


def _lowered(text: str) -> str:
    """``text`` in lower case with straight apostrophes and hyphens: a phone's "i’m" is
    "i'm", and a keyboard's ":‑(" (a non-breaking hyphen) is ":-(". Every dash and every
    opening or closing quote, by its Unicode category."""
    return "".join(_STRAIGHT.get(unicodedata.category(char), char) for char in text.lower())


def _answer_phrase(text: str) -> str:
    """``text`` as words: lower case, straight apostrophes, punctuation dropped (emoji kept)."""
    return " ".join(re.sub(r"[^\w\s'👍👎❌]", " ", _lowered(text)).split())


def read_safe_now(text: str) -> str:
    """Whether the client says they are safe: yes, no, or unclear (ask again).

    No when the answer says what a clinician acts on at once: not safe in so many
    words, lethal means named and not put away ("yes i'm safe, the gun is in my
    car though"), or an act done, an injury, a preparation, an act still to
    come, a limit, an ending or a joke beside the yes
    (:func:`_takes_the_safety_back`). Yes only for a yes or "safe" with nothing
    beside it but the closed list of plain extras (:func:`_is_plain`): "yes i'm
    safe, goodnight", "yes, i called my sister", "sí, tomé agua fría". Anything
    else is unclear, and the follow-up asks again, gently: "ok" or "hi" right
    after crisis help, a hedged yes ("safe for now", "sí por ahora", "yes for
    today"), and every yes with words no list foresaw. Means the client put out
    of reach ("i'm safe, i put the knife away") are no reason to page again, but
    no plain yes either: unclear, asked again (and noted for the escalation:
    :func:`put_means_away`).
    """
    phrase = _answer_phrase(text)
    negated = bool(_NEGATION.search(phrase))
    means = get_detector().named_parts(text) & _MEANS_PARTS
    if (
        _UNSAFE.search(phrase)
        or _takes_the_safety_back(text)
        or (means and not put_means_away(text))
    ):
        return NO
    if _SAFE.search(phrase) and (negated or "?" in text):
        return NO
    if negated and set(phrase.split()) & _ACKNOWLEDGEMENTS:
        return NO  # "I'm not ok", "not fine"
    says_yes = _SAFE.search(phrase) or (
        read_yes_no(phrase).value is True and set(phrase.split()) - _ACKNOWLEDGEMENTS - _SUBJECT
    )
    if says_yes:
        return YES if not means and _is_plain(text) else UNCLEAR
    return NO if read_yes_no(phrase).value is False else UNCLEAR


def _is_plain(text: str) -> bool:
    """Whether ``text`` holds nothing but the closed list of plain extras beside a yes
    (:data:`_PLAIN_EXTRA`): no word of another list, no face but a warm one."""
    lowered = _EMOTICON.sub(" ", _lowered(text))
    if _has_face(lowered) or _has_other_emoji(lowered, _YES_SYMBOLS):
        return False
    return not _PLAIN_EXTRA.sub(" ", _answer_phrase(lowered)).strip()


def _takes_the_safety_back(text: str) -> bool:
    """Whether ``text`` says, beside any yes or "safe", what makes it no safety at all.

    An act done ("yes i took em", "safe, i already cut", "safe, relapsed", "yes i
    did it"), an injury ("safe. bleeding a bit", "yes 🩸"), a preparation ("yes, i
    wrote my letters"), an act the yes waits on ("yes once i take these"), an
    ending, a time it comes or a limit ("yes, goodbye", "yes after tonight", "it'll
    all be over soon", "yes till my mom leaves") or a take-back ("yes jk", "sí,
    mentira"). The detector's parts read most (:data:`_NOT_SAFE_PARTS`); the rules
    here read what a detector must not count as risk in any message but is no yes
    after "are you safe?" ("took a handful", "cut again", "self harmed"). What
    neither reads is no plain yes either unless :func:`_is_plain` says so. After a
    crisis message these are what the acknowledging therapist must hear; when in
    doubt, they hear it.
    """
    lowered = _NO_ACT.sub(" ", _lowered(text))
    detector = get_detector()
    cut = _SELF_HARM_VERB.search(lowered) and "SELF_INJURED" not in detector.everyday_parts(text)
    return bool(
        detector.parts_in_context(lowered) & _NOT_SAFE_PARTS
        or cut
        or any(
            reading.search(lowered)
            for reading in (
                _INJURY,
                _SWALLOWED,
                _ACT_TO_COME,
                _PREPARATION,
                _ENDING_TO_COME,
                _TAKEN_BACK,
            )
        )
        or _doubts_the_morning(lowered)
    )


def _doubts_the_morning(lowered: str) -> bool:
    """Whether a goodbye doubts the morning by waking or getting somewhere: "if i wake up",
    "if i make it to the train tracks", "si llego a mañana".

    The rest of its clause decides. A place to die at (:data:`_LETHAL_PLACE_PARTS`, a
    grave) is a doubt even after a plan's words ("to the train tracks", "to my moms
    grave": "the train" and "my mom's" alone are plans); so are nothing and the time
    ahead ("if i make it", "to tmrw", "through the night", "en la mañana"). A plan
    (:data:`_A_PLAN`: "early", "to group", "before noon") or any other place ("to the
    office", "a la oficina"), with a time after it or not ("to the office tomorrow": the
    time says when, :data:`_TO_A_PLACE`), is none: asked again, as no plain yes. Anything
    else is a doubt ("by some miracle", "en este mundo", "if i wake up i'll text you"):
    when in doubt, the acknowledger hears it.
    """
    detector = get_detector()
    for found in _WAKING_OR_GETTING_THERE.finditer(lowered):
        rest = found["rest"]
        plan = _A_PLAN.match(rest)
        beyond_the_plan = rest[plan.end() :] if plan else rest
        lethal_place = detector.named_parts(beyond_the_plan) & _LETHAL_PLACE_PARTS
        if lethal_place or _PLACES_OF_THE_DEAD.search(rest):
            return True
        if plan:
            continue
        to_a_place = _TO_A_PLACE.match(rest)
        if not to_a_place:
            return True
        where = to_a_place["where"] or ""
        if (
            where
            and not _OPENS_A_TIME.fullmatch(where)
            and not detector.named_parts(where) & _TIME_PARTS
            and not _A_TIME_AHEAD.search(where)
        ):
            continue
        if (
            not rest.strip()
            or detector.named_parts(rest) & _TIME_PARTS
            or _A_TIME_AHEAD.search(rest)
        ):
            return True
    return False


def put_means_away(text: str) -> bool:
    """Whether every clause of ``text`` that names lethal means says they were put away,
    and every other clause is a putting away too or plain.

    "i put the knife away", "threw the rope out", "flushed the pills", "gave my
    brother the gun to keep": the safety plan's first step, done, and beside it
    only what may stand beside a plain yes ("i have my safety plan", "gonna get
    some sleep", "mañana tengo terapia", "got my dog with me": :func:`_is_plain`).
    A clause that negates it ("i couldn't throw them out"), keeps them near or
    keeps some ("locked it in my car", "flushed half the pills", "she gives them
    back": :data:`_STILL_AT_HAND`) is not; nor is an answer with any other clause
    ("i kept some", "i bought new ones", "there's one in the kitchen", "tengo más
    en el baño"): when in doubt, page. Nor is one that names no means at all.
    """
    detector = get_detector()
    named = False
    # Warm smileys first: their ":" and ";" are no clause's end.
    for clause in _CLAUSE_BREAK.split(_EMOTICON.sub(" ", _lowered(text))):
        put_away = bool(
            _PUT_AWAY.search(clause)
            and not _STILL_AT_HAND.search(clause)
            and not _NEGATION.search(_answer_phrase(clause))
        )
        if detector.named_parts(clause) & _MEANS_PARTS:
            named = True
            if not put_away:
                return False
        elif not put_away and not _is_plain(clause):
            return False
    return named


def read_care_needed(text: str) -> str:
    """The answer to "are you hurt in a way that needs care, or not safe right now?".

    Yes, no, or unclear (asked again). The question has two halves, and a
    "no" word answers only one: "i'm not safe" and "no estoy a salvo" are the
    risky half in the client's words, and "bleeding a lot" says hurt without a
    yes. So words of injury (unless plainly denied: "i'm not bleeding") or of
    not being safe (as :func:`read_safe_now` reads them) are yes; "I'm safe"
    and "i'm not hurt" are no; of the rest only an unqualified no
    (:func:`is_clear_no`) is no, and only what says nothing either way ("hmm",
    "hi", "?") is unclear. A hedge ("i think so", "probably"), pain ("it
    hurts") or an act ("i took pills") is yes: when in doubt, escalate.
    """
    phrase = _answer_phrase(text)
    if not phrase or _says_nothing(phrase):
        return UNCLEAR
    rest = " ".join(_NOT_HURT.sub(" ", phrase).split())
    if _INJURY.search(rest) or _UNSAFE.search(phrase):
        return YES
    if _SAFE.search(rest):
        # "no, I'm safe": the no answers "hurt?", the rest says safe.
        safe = re.sub(r"^(no|nope|nah)\b", "", rest)
        plainly_safe = read_safe_now(safe) == YES and read_yes_no(safe).value is not True
        return NO if plainly_safe else YES
    if not rest or is_clear_no(rest):
        return NO
    return YES


def _says_nothing(phrase: str) -> bool:
    """Whether ``phrase`` holds neither yes nor no nor anything else: "hmm", "hi", "fine"."""
    words = set(phrase.split())
    return words <= _NOTHING_SAID | _ACKNOWLEDGEMENTS and read_yes_no(phrase).value is None


def urge_is_high(text: str) -> bool:
    """Whether a 0-5 urge answer is at the safety threshold, read as a clinician would.

    Beyond a clear 4 or 5: any number at or over the threshold, whether above the
    scale ("10/10", "100"), a decimal ("4.5") or a range's top ("4-5"), and words
    for high ("max", "very high", "off the charts"). When in doubt, escalate.
    """
    urge = read_scale(text, 0, URGE_MAX).value
    if isinstance(urge, int):
        return urge >= SAFETY_URGE_THRESHOLD
    lowered = text.lower()
    numbers = [float(n.replace(",", ".")) for n in _NUMBER.findall(lowered)]
    numbers += [
        NUMBER_WORDS[word] for word in re.findall(r"[^\W\d_]+", lowered) if word in NUMBER_WORDS
    ]
    return max(numbers, default=0) >= SAFETY_URGE_THRESHOLD or bool(_HIGH_URGE.search(lowered))


def _can_answer(kind: str, text: str) -> bool:
    """Whether ``text`` can be an answer to ``kind`` at all.

    Only an urge question is particular: a number in a sentence about
    something else ("my appointment is at 4", "i slept 5 hours", "see you at
    5", written after leaving the diary card) is no rating. Anything that
    could be one is read (when in doubt, escalate): a bare number, one with
    rating words ("i'm at a 4", "i’m at 5", "urge 5, bad day"), words for high
    ("max"), and a number beside other words ("5, it's been a really bad
    day", "still at 5", "been at 5 all day", "been at 5 since lunch": a time
    word governs "at N" only from just before it, :data:`_AT_A_TIME`).
    """
    if kind not in (SafetyQuestion.URGE_SUICIDE, SafetyQuestion.URGE_SELF_HARM):
        return True
    lowered = _lowered(text)
    if not _SOME_NUMBER.search(lowered) or _RATING_WORDS.search(lowered):
        return True
    return bool(_SOME_NUMBER.search(_without_a_time(_NOT_A_RATING.sub(" ", lowered))))


def _without_a_time(text: str) -> str:
    """``text`` without the appointment its last sentence ends on (:data:`_AT_A_TIME`), unless
    that time dates a state ("after my appointment at 5": the 5 stays the rating) or its
    company is no one (:func:`_with_a_part`)."""
    time = _AT_A_TIME.search(text)
    if time is None or _DATES_A_STATE.search(time["before"]) or _with_a_part(time[0]):
        return text
    return text[: time.end("before")]


def _with_a_part(time: str) -> bool:
    """Whether a word "with" or "con" opens in ``time`` is one the detector names a part
    for: means ("session at 5 with rope", "with pills") are nobody's name, and the number
    beside them is the rating."""
    detector = get_detector()
    return any(detector.named_parts(word) for word in _WITH_ONE_WORD.findall(time))


def answer_evidence(kind: str, text: str) -> str:
    """How an answer reads in an escalation's evidence: the question, then the answer."""
    return f"{QUESTION_WORDING[kind]} Answer: {text}"


def risk_of_reading(kind: str, text: str) -> AnswerRisk | None:
    """The risk of ``text`` as the answer to the safety question ``kind``; None if none."""
    evidence = answer_evidence(kind, text)
    if kind == SafetyQuestion.CHECK_IN and read_check_in(text) == YES:
        return AnswerRisk(EscalationLevel.HIGH, CHECK_IN_AFFIRMED, evidence)
    if kind in (SafetyQuestion.URGE_SUICIDE, SafetyQuestion.URGE_SELF_HARM) and urge_is_high(text):
        return AnswerRisk(EscalationLevel.HIGH, DIARY_URGE, evidence)
    if kind == SafetyQuestion.SELF_HARM_TODAY and read_yes_no(text).value is True:
        return AnswerRisk(EscalationLevel.MODERATE, RECENT_SELF_HARM, evidence)
    if kind == SafetyQuestion.SELF_HARM_CARE and read_care_needed(text) == YES:
        return AnswerRisk(EscalationLevel.HIGH, SELF_HARM_NEEDS_CARE, evidence)
    if kind == SafetyQuestion.SAFE_NOW:
        safe = read_safe_now(text)
        if safe == NO:
            return AnswerRisk(EscalationLevel.HIGH, NOT_SAFE, evidence)
        if safe == UNCLEAR and put_means_away(text):
            # Whoever acts on the escalation reads it in its evidence and timeline; no page.
            return AnswerRisk(EscalationLevel.MODERATE, MEANS_PUT_AWAY, evidence, asked_again=True)
    return None


def is_clear_answer(kind: str, text: str) -> bool:
    """Whether ``text`` plainly answers ``kind`` ("yes", "no", "not safe", "5"), not "hi" or "ok".

    A message long after the question is read against it only when it is
    such an answer: "hi" the next morning is a greeting, not "yes, I am
    having thoughts of suicide"; a bare "yes" is still that answer.
    """
    phrase = _answer_phrase(text)
    if kind == SafetyQuestion.SAFE_NOW:
        return read_safe_now(text) != UNCLEAR
    if kind == SafetyQuestion.SELF_HARM_CARE:
        return read_care_needed(text) != UNCLEAR
    if kind in (SafetyQuestion.URGE_SUICIDE, SafetyQuestion.URGE_SELF_HARM):
        return read_scale(text, 0, URGE_MAX).value is not None or bool(_NUMBER.search(text))
    return read_yes_no(text).value is not None and phrase not in _ACKNOWLEDGEMENTS


def is_read_as_answer(asked: AskedQuestion, text: str) -> bool:
    """Whether ``text`` is read as the answer to ``asked``: one that can answer it
    (:func:`_can_answer`), and a late one only when it is clear."""
    if not _can_answer(asked.kind, text):
        return False
    return not asked.late or is_clear_answer(asked.kind, text)


def risk_of_answer(asked: AskedQuestion, text: str) -> AnswerRisk | None:
    """The risk of ``text`` as the answer to ``asked``; None if it is none, or no answer."""
    if not is_read_as_answer(asked, text):
        return None
    return risk_of_reading(asked.kind, text)


def record_question(session: Session, client: Client, kind: str, now: datetime) -> None:
    """Remember that ``client`` was just asked the safety question ``kind``."""
    if kind not in SafetyQuestion.ALL:
        raise ValueError(f"unknown safety question {kind!r}; expected one of {SafetyQuestion.ALL}")
    pending = session.get(PendingSafetyQuestion, client.id)
    if pending is None:
        pending = PendingSafetyQuestion(client_id=client.id)
        session.add(pending)
    pending.kind = kind
    pending.asked_at = now
    pending.expires_at = now + QUESTION_LIFETIME
    session.flush()


def take_pending_question(
    session: Session, client: Client, now: datetime, text: str
) -> AskedQuestion | None:
    """The question the client's message ``text`` answers, if one is waiting.

    The question is answered, and forgotten, only when ``text`` settles it:
    an answer that carries risk, or a clear one ("no", "3", "I'm safe"). An
    unclear one ("ok" to "are you safe right now?", "hmm" to an urge 0-5)
    leaves it waiting, so the next message is read against it too, whether or
    not the action server is up to ask it again (its re-ask only refreshes
    it). The caller does not call this for a message that cannot be an answer
    (a carrier HELP, a voice note). The row is locked (PostgreSQL), so two
    messages arriving at once are read one after the other.

    A question is never forgotten with time: a "yes" to "are you having
    thoughts of suicide?" pages however late it comes. After
    :data:`QUESTION_LIFETIME` the answer is ``late`` (only a clear answer is read
    against it) and the question is forgotten whatever the message says (the
    conversation has moved on); a question the bot has written to the client
    since then (a reminder, a new diary card) is superseded: the message
    answers that.
    """
    pending = session.execute(
        select(PendingSafetyQuestion)
        .where(PendingSafetyQuestion.client_id == client.id)
        .with_for_update()
    ).scalar_one_or_none()
    if pending is None:
        return None
    asked = _still_open(session, client, pending, now)
    if asked is None or asked.late or _settles(asked.kind, text):
        session.delete(pending)
        session.flush()
    return asked


def _settles(kind: str, text: str) -> bool:
    """Whether ``text`` answers the question ``kind`` for good: with risk, or clearly.

    A message that cannot answer it (:func:`_can_answer`) leaves it waiting, and
    so does one that is only noted ("i'm safe, i put the knife away": asked again).
    """
    if not _can_answer(kind, text):
        return False
    risk = risk_of_reading(kind, text)
    return (risk is not None and not risk.asked_again) or is_clear_answer(kind, text)


#: The diary card's own questions: routine, asked of every client each day.
DIARY_QUESTIONS = frozenset(
    {SafetyQuestion.URGE_SUICIDE, SafetyQuestion.URGE_SELF_HARM, SafetyQuestion.SELF_HARM_TODAY}
)


def question_waiting(
    session: Session, client: Client, now: datetime, *, include_diary: bool = True
) -> bool:
    """Whether a safety question the client was asked still waits for its answer.

    ``include_diary`` False: only the questions of a conversation about their
    safety (the check-in, "are you hurt?"), not the diary card's routine ones.
    """
    pending = session.get(PendingSafetyQuestion, client.id)
    if pending is None or (not include_diary and pending.kind in DIARY_QUESTIONS):
        return False
    return _still_open(session, client, pending, now) is not None


def _still_open(
    session: Session, client: Client, pending: PendingSafetyQuestion, now: datetime
) -> AskedQuestion | None:
    """``pending`` as the question a message now answers; None once the bot has moved on."""
    if pending.expires_at > now:
        return AskedQuestion(pending.kind)
    spoken_since = session.execute(
        select(Message.id)
        .where(
            Message.client_id == client.id,
            Message.direction == Direction.OUTBOUND,
            Message.created_at >= pending.expires_at,
        )
        .limit(1)
    ).first()
    return None if spoken_since is not None else AskedQuestion(pending.kind, late=True)


def clear_pending_question(session: Session, client: Client) -> None:
    """Forget the client's pending question: someone else is talking with them now.

    A therapist who takes the conversation over asks their own questions; the
    client's "no" to one of theirs must not be read as "not safe" to the bot's.
    """
    pending = session.get(PendingSafetyQuestion, client.id)
    if pending is not None:
        session.delete(pending)
        session.flush()


def check_in_question(language: str, categories: Collection[str]) -> str:
    """The direct question about suicidal thoughts; after disclosed self-harm, injuries first."""
    if RECENT_SELF_HARM in categories:
        return crisis_messages.with_numbers(crisis_messages.SELF_HARM_CHECK_IN, language)
    return crisis_messages.check_in_message(language)


def ask_check_in(
    session: Session, client: Client, text: str, categories: Collection[str], now: datetime
) -> str:
    """The check-in for a moderate-risk ``text``, recorded as asked; the channel sends it.

    Asked by the core as the message arrives, like the crisis reply, so that
    the question (and the page a "yes" brings) needs neither Rasa nor the
    action server.
    """
    record_question(session, client, SafetyQuestion.CHECK_IN, now)
    return check_in_question(crisis_messages.language_of(text, client.locale), categories)


def escalate_risky_answer(
    session: Session,
    client: Client,
    message: Message,
    asked: AskedQuestion | None,
    now: datetime,
    settings: Settings,
) -> tuple[str, ...]:
    """Escalate a stored message that answers the safety question ``asked`` riskily.

    ``asked`` is what :func:`take_pending_question` returned for the message.
    Returns the crisis reply for a high-risk answer (the channel sends it at
    once, before and whatever Rasa does), else nothing. Called by the core's
    screening step for every stored inbound message.
    """
    risk = None if asked is None else risk_of_answer(asked, message.body)
    if risk is None:
        return ()
    outcome = record_risk(
        session,
        client,
        level=risk.level,
        categories=[risk.category],
        evidence=risk.evidence,
        now=now,
        settings=settings,
        source_message_id=message.id,
    )
    if risk.level not in PAGING_LEVELS:
        return ()
    return crisis_messages.crisis_reply(message.body, client.locale, outcome.alerted)
