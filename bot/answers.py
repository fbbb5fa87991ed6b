"""Reading a client's free-text answer as a number on a scale or as yes/no.

Clients answer from a phone, often in distress: "3", "a 4", "like 2 maybe",
"three", "none", "4/5", "2️⃣", "sí". These parsers accept all of that and say
precisely why an answer could not be read, so the bot can re-ask with the
scale instead of guessing. Guessing a number someone did not say is worse than
asking again: a wrong urge rating misleads their therapist.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import Enum

#: Number words in English and Spanish, up to the largest scale we ask (0–10).
NUMBER_WORDS: dict[str, int] = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "cero": 0, "uno": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5,
    "seis": 6, "siete": 7, "ocho": 8, "nueve": 9, "diez": 10,
}  # fmt: skip

#: Words that mean "none at all" when the question asks for an amount.
ZERO_WORDS = frozenset(
    {"none", "nothing", "nope", "nah", "no", "nil", "zilch", "nada", "ninguno", "ninguna"}
)

YES_WORDS = frozenset(
    {"yes", "y", "yeah", "yea", "ya", "yep", "yup", "yes i did", "yess", "yesss", "sure", "ok",
     "okay", "si", "sí", "claro", "agree", "i agree", "i do", "i did", "👍", "✅"}
)  # fmt: skip
NO_WORDS = frozenset(
    {"no", "n", "nope", "nah", "nop", "naw", "didnt", "didn't", "did not", "not",
     "none", "never", "false", "i didnt", "i didn't", "i did not", "i don't", "i dont",
     "disagree", "no thanks", "👎", "❌"}
)  # fmt: skip

_KEYCAP = "\u20e3"
_TOKEN = re.compile(r"-?\d+(?:[.,]\d+)?|[^\W\d_]+|[👍👎✅❌]", re.UNICODE)


class Problem(str, Enum):
    """Why an answer could not be read; each gets its own re-ask wording."""

    MISSING = "missing"
    OUT_OF_RANGE = "out_of_range"
    AMBIGUOUS = "ambiguous"


@dataclass(frozen=True)
class Reading:
    """The outcome of reading one answer: a value, or the problem with it."""

    value: int | bool | str | None
    problem: Problem | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def _normalise(text: str) -> str:
    """Lower-case, fold accents we do not need, turn keycap emoji into digits."""
    text = unicodedata.normalize("NFKC", text).lower().strip()
    # "3️⃣" is the digit, an optional variation selector and a combining keycap.
    text = text.replace("\ufe0f", "").replace(_KEYCAP, " ")
    return text.replace("’", "'")


def read_scale(text: str, low: int, high: int) -> Reading:
    """Read a whole number between ``low`` and ``high`` from ``text``.

    "4/5" and "6 out of 7" count as 4 and 6 when the second number is the top
    of this scale; two different numbers ("2 or 3", "2-3") are ambiguous.
    """
    tokens = _TOKEN.findall(_normalise(text))
    numbers: list[float] = []
    for token in tokens:
        if token[0].isdigit() or (token[0] == "-" and len(token) > 1):
            numbers.append(float(token.replace(",", ".")))
        elif token in NUMBER_WORDS:
            numbers.append(float(NUMBER_WORDS[token]))
    # "4/5" or "4 out of 5": drop the scale's top when it follows another number.
    if len(numbers) == 2 and numbers[1] == high and numbers[0] != high:
        numbers = numbers[:1]
    distinct = set(numbers)
    if not distinct:
        if any(token in ZERO_WORDS for token in tokens) or "not at all" in _normalise(text):
            return Reading(0) if low <= 0 <= high else Reading(None, Problem.OUT_OF_RANGE)
        return Reading(None, Problem.MISSING)
    if len(distinct) > 1:
        return Reading(None, Problem.AMBIGUOUS)
    number = distinct.pop()
    if not number.is_integer():
        return Reading(None, Problem.AMBIGUOUS)
    if not low <= number <= high:
        return Reading(None, Problem.OUT_OF_RANGE)
    return Reading(int(number))


def read_yes_no(text: str) -> Reading:
    """Read yes or no; a message that says both, or neither, is not guessed."""
    normalised = _normalise(text)
    phrase = re.sub(r"[^\w\s'👍👎✅❌]", " ", normalised, flags=re.UNICODE)
    phrase = " ".join(phrase.split())
    if phrase in YES_WORDS:
        return Reading(True)
    if phrase in NO_WORDS:
        return Reading(False)
    words = set(phrase.split())
    says_yes = bool(words & YES_WORDS)
    says_no = bool(words & NO_WORDS) or "didn't" in phrase or "didnt" in phrase
    if says_yes and not says_no:
        return Reading(True)
    if says_no and not says_yes:
        return Reading(False)
    return Reading(None, Problem.AMBIGUOUS if says_yes and says_no else Problem.MISSING)
