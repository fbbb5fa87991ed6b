"""How skill names and clients' messages are reduced to comparable words.

Clients type "DEAR-MAN?", "dear man", "Dearman", "what's TIPP", "acción
opuesta": case, accents, apostrophes and punctuation carry no meaning here, so
both the content and the message go through the same folding before they are
compared.
"""

from __future__ import annotations

import re

from bot.safety.normalize import fold

#: Apostrophes, straight and curly, are dropped so that "can't" and "cant" are one word.
_APOSTROPHES = re.compile("['\u2018\u2019\u02bc`\u00b4]")
#: A word (letters or digits) or one pictograph (emoji carry feelings: "😡", "😭").
_WORD = re.compile(r"[^\W_]+|[\u2600-\u27bf\U0001f300-\U0001faff]")


def words(text: str) -> list[str]:
    """The folded words and emoji of ``text``: ``"I'm SO mad!! 😡"`` -> ``[im, so, mad, 😡]``."""
    return _WORD.findall(_APOSTROPHES.sub("", fold(text)))


def compact(text: str) -> str:
    """Folded letters and digits only: ``"DEAR-MAN"``, ``"dear man"`` -> ``"dearman"``."""
    return "".join(word for word in words(text) if word.isalnum())


#: Characters a client-facing text may use: plain ASCII inside the GSM-7 basic
#: alphabet, so no text turns an SMS into UCS-2 (curly quotes, emoji, long dashes)
#: or costs two characters ({ } [ ] ~ \ | ^).
SMS_SAFE_CHARACTERS = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 \n!\"#%&'()*+,-./:;<=>?@$_"
)


def sms_text(value: str, limit: int | None = None) -> str:
    """``value`` stripped, if it is client-facing text fit for SMS; ``ValueError`` saying why not.

    Used by the content validators, whose messages name the file and field.
    """
    text = value.strip()
    if not text:
        raise ValueError("must not be empty")
    unsafe = sorted(set(text) - SMS_SAFE_CHARACTERS)
    if unsafe:
        raise ValueError(f"uses characters that are not plain GSM-7: {unsafe}")
    if limit is not None and len(text) > limit:
        raise ValueError(f"is {len(text)} characters, more than {limit}")
    return text
