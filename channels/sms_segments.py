"""How many SMS segments a text costs: GSM-7 (160/153) or UCS-2 (70/67).

A text made only of GSM 03.38 characters is sent 7 bits a character, 160 in
one segment or 153 a segment once concatenated (the rest is the header);
extension characters (``{ } [ ] ~ \\ | ^ €``) take two. One character outside
the alphabet (an emoji, a curly quote) turns the whole text into UCS-2: 70
UTF-16 code units in one segment, 67 a segment when concatenated.
"""

from __future__ import annotations

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

GSM7_SINGLE, GSM7_MULTI = 160, 153
UCS2_SINGLE, UCS2_MULTI = 70, 67


def is_gsm7(text: str) -> bool:
    return all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in text)


def segment_count(text: str) -> int:
    """The number of SMS segments ``text`` is billed and delivered as."""
    if not text:
        return 1
    if is_gsm7(text):
        units = sum(2 if char in GSM7_EXTENSION else 1 for char in text)
        single, multi = GSM7_SINGLE, GSM7_MULTI
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, multi = UCS2_SINGLE, UCS2_MULTI
    return 1 if units <= single else -(-units // multi)
