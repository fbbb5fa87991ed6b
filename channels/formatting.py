"""Splitting a long reply into parts a channel can carry, between sentences.

A cut in the middle of a sentence (or a word) is hard to read on a phone, and
for someone in distress, confusing. Parts are cut after a sentence or line
where possible, at a space otherwise, and mid-word only when a single word is
longer than a whole part. Line breaks inside a part are kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable

#: Whitespace after sentence punctuation, or line breaks: the preferred cuts.
_SENTENCE_END = re.compile(r"(?<=[.!?…])[ \t]+|\n+")
_SPACE = re.compile(r"\s+")


def split_text(text: str, fits: Callable[[str], bool]) -> list[str]:
    """Split ``text`` into the fewest parts that each ``fits``, cutting between sentences."""
    text = text.strip()
    if fits(text):
        return [text]
    parts: list[str] = []
    current = ""
    for piece in _pieces(text, fits):
        if fits((current + piece).strip()):
            current += piece
        else:
            if current.strip():
                parts.append(current.strip())
            current = piece
    if current.strip():
        parts.append(current.strip())
    return parts


def _cut_after(text: str, pattern: re.Pattern[str]) -> list[str]:
    """``text`` cut after each match of ``pattern``, the separators kept."""
    pieces, start = [], 0
    for match in pattern.finditer(text):
        pieces.append(text[start : match.end()])
        start = match.end()
    pieces.append(text[start:])
    return [piece for piece in pieces if piece]


def _pieces(text: str, fits: Callable[[str], bool]) -> list[str]:
    """Sentences; a sentence too long for one part is broken into words, then characters."""
    pieces: list[str] = []
    for sentence in _cut_after(text, _SENTENCE_END):
        if fits(sentence.strip()):
            pieces.append(sentence)
            continue
        for word in _cut_after(sentence, _SPACE):
            pieces.extend([word] if fits(word.strip()) else _hard_cut(word, fits))
    return pieces


def _hard_cut(word: str, fits: Callable[[str], bool]) -> list[str]:
    chunks: list[str] = []
    while word:
        size = len(word)
        while size > 1 and not fits(word[:size]):
            size -= 1
        chunks.append(word[:size])
        word = word[size:]
    return chunks
