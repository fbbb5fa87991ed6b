"""Undo the ways people disguise or garble risky words, keeping a map to the original.

People in distress type fast, and some deliberately hide words from filters:
``k*ll``, ``su1c1de``, ``k i l l  m y s e l f``, ``s.u.i.c.i.d.e``,
``diiiiie``, ``💊💊💊``. Matching happens on the normalised text, but evidence
must quote the client's own words, so every normalised character remembers
the span of original characters it came from.

Only a word that becomes one of the detector's sensitive words is rewritten
from leetspeak or masks: ``8pm`` or ``a$$`` stay as they are.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from itertools import product

#: Characters that carry no letter: zero-width joiners, variation selectors,
#: skin-tone modifiers and the keycap combiner ("5️⃣" is just "5").
_INVISIBLE = frozenset(
    "\u200b\u200c\u200d\u2060\ufeff\ufe0e\ufe0f\u20e3" + "".join(map(chr, range(0x1F3FB, 0x1F400)))
)
_APOSTROPHES = frozenset("\u2018\u2019\u201b\u02bc\u0060\u00b4")

#: Three or more single letters joined by one separator: "k i l l", "s.u.i.c.i.d.e".
_SPACED_LETTERS = re.compile(r"(?<![^\W\d_])[^\W\d_](?:[ .\-_*~·•+][^\W\d_]){2,}(?![^\W\d_])")
#: Three or more one-word sentences: "Kill. Myself. Now." is said for emphasis.
_ONE_WORD_SENTENCES = re.compile(r"(?<![\w'])(?:[^\W\d_]+[.!]+[ \t]+){2,}[^\W\d_]+")
_SENTENCE_STOP = re.compile(r"[.!]+(?=[ \t])")
#: A letter repeated three or more times: "diiie", "killlll".
_REPEATED_LETTER = re.compile(r"([^\W\d_])\1\1+")
_TRAILING_PUNCTUATION = re.compile(r"[.,;:?!)\]}\"']+$")
_LEADING_PUNCTUATION = re.compile(r"^[(\[{\"'¿¡]+")
#: The longest run of letters one mask character may stand for ("s**cide").
_MAX_MASKED_LETTERS = 3
#: Beyond this many ambiguous leet characters a word is left alone (2**n readings).
_MAX_AMBIGUOUS_LEET = 4
#: Longer "words", or more mask runs, are not disguised sensitive words (and would be slow).
_MAX_DISGUISED_LENGTH = 24
_MAX_MASK_RUNS = 3
#: With more repeated-letter runs than this, only the all-double and all-single readings are tried.
_MAX_RUNS_COMBINED = 3
#: A run of symbols (punctuation, emoji) longer than this is cut to this many:
#: "!?!?!?!?!?…" is emphasis, and every symbol would be a token.
MAX_SYMBOL_RUN = 8
_LONG_SYMBOL_RUN = re.compile(rf"[^\w\s]{{{MAX_SYMBOL_RUN + 1},}}")
#: The tokenizer's affix search is quadratic in the length of a run without spaces
#: (16,000 emoji took 32 s), so longer runs are cut into pieces this long. No word,
#: nor four run-together words, is this long.
MAX_RUN_LENGTH = 48
_LONG_RUN = re.compile(rf"\S{{{MAX_RUN_LENGTH + 1},}}")


def fold(text: str) -> str:
    """Lower-case and strip accents, as done to messages and to the data files alike."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


@dataclass(frozen=True)
class NormalizedText:
    """Normalised text plus, for each of its characters, the original span it came from.

    ``starts``/``ends`` are ``None`` when nothing moved (the common case), so that
    plain messages pay nothing for the map.
    """

    text: str
    original: str
    starts: tuple[int, ...] | None = None
    ends: tuple[int, ...] | None = None

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Map ``text[start:end]`` back to ``(start, end)`` offsets in the original."""
        if self.starts is None or self.ends is None:
            return start, end
        return self.starts[start], self.ends[end - 1]


class _Buffer:
    """The text being normalised, with its character-to-original map built lazily."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts: list[int] | None = None
        self.ends: list[int] | None = None

    def replace(self, edits: list[tuple[int, int, str]]) -> None:
        """Apply non-overlapping ``(start, end, new_text)`` edits, in order of position.

        A same-length edit maps character to character; otherwise every new
        character points at the whole replaced span.
        """
        if not edits:
            return
        old_starts = self.starts if self.starts is not None else list(range(len(self.text)))
        old_ends = self.ends if self.ends is not None else list(range(1, len(self.text) + 1))
        pieces: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        cursor = 0
        for start, end, new in edits:
            pieces.append(self.text[cursor:start])
            starts.extend(old_starts[cursor:start])
            ends.extend(old_ends[cursor:start])
            pieces.append(new)
            if len(new) == end - start:
                starts.extend(old_starts[start:end])
                ends.extend(old_ends[start:end])
            else:
                starts.extend([old_starts[start]] * len(new))
                ends.extend([old_ends[end - 1]] * len(new))
            cursor = end
        pieces.append(self.text[cursor:])
        starts.extend(old_starts[cursor:])
        ends.extend(old_ends[cursor:])
        self.text = "".join(pieces)
        self.starts = starts
        self.ends = ends


class Normalizer:
    """Turns a raw message into :class:`NormalizedText` for the tokenizer.

    Args:
        emoji: emoji character → the token it stands for (``"💊" → "emoji_pill"``).
        leet: look-alike character → the letters it may stand for (``"1" → ("i", "l")``).
        masks: characters people type in place of letters (``*``, ``#``).
        sensitive_words: the only words leetspeak and masks are resolved to.
        is_known_word: whether a word is real, to pick "die" over "diie" when
            squeezing repeated letters.
    """

    def __init__(
        self,
        emoji: Mapping[str, str],
        leet: Mapping[str, tuple[str, ...]],
        masks: Collection[str],
        sensitive_words: Collection[str],
        is_known_word: Callable[[str], bool],
        intensifiers: Collection[str] = (),
    ) -> None:
        self._intensifiers = (
            re.compile(rf"\b(?:{'|'.join(sorted(map(re.escape, intensifiers)))})\b[ \t]*")
            if intensifiers
            else None
        )
        self._emoji = {key: f" {value} " for key, value in emoji.items()}
        self._leet = dict(leet)
        self._masks = frozenset(masks)
        self._sensitive = frozenset(sensitive_words)
        self._sensitive_by_length: dict[int, list[str]] = {}
        for word in sorted(self._sensitive):
            self._sensitive_by_length.setdefault(len(word), []).append(word)
        self._is_known = is_known_word
        disguise = re.escape("".join(sorted(set(self._leet) | self._masks)))
        # A letter next to a look-alike or mask character: worth a closer look.
        self._disguised = re.compile(rf"[^\W\d_][{disguise}]|[{disguise}][^\W\d_]")

    def normalize(self, text: str) -> NormalizedText:
        """Normalise one message; see the module docstring for what is undone."""
        buffer = _Buffer(text)
        if text.isascii():
            buffer.text = text.lower()
        else:
            self._fold_characters(buffer)
        self._join_spaced_letters(buffer)
        self._join_one_word_sentences(buffer)
        self._resolve_disguised_words(buffer)
        self._squeeze_repeated_letters(buffer)
        self._drop_intensifiers(buffer)
        self._shorten_symbol_runs(buffer)
        self._cut_long_runs(buffer)
        if buffer.starts is None or buffer.ends is None:
            return NormalizedText(buffer.text, text)
        return NormalizedText(buffer.text, text, tuple(buffer.starts), tuple(buffer.ends))

    def _fold_characters(self, buffer: _Buffer) -> None:
        """Lower-case, strip accents and fancy fonts, drop invisibles, spell out emoji."""
        pieces: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        # Emoji already seen in this run of emoji and spaces: "💊💊💊💊" says "💊" once.
        seen_in_run: set[str] = set()
        for index, char in enumerate(buffer.text):
            if char.isalnum() or char == "\n":
                seen_in_run.clear()
            elif not char.isspace() and not char.isascii() and char not in _INVISIBLE:
                if char in seen_in_run:
                    self._extend_last(starts, ends, index)
                    continue
                seen_in_run.add(char)
            if char in _INVISIBLE:
                self._extend_last(starts, ends, index)
                continue
            if char in self._emoji:
                replacement = self._emoji[char]
            elif char in _APOSTROPHES:
                replacement = "'"
            elif char.isascii():
                replacement = char.lower()
            else:
                replacement = fold(char)
            pieces.append(replacement)
            starts.extend([index] * len(replacement))
            ends.extend([index + 1] * len(replacement))
        buffer.text = "".join(pieces)
        buffer.starts = starts
        buffer.ends = ends

    @staticmethod
    def _extend_last(starts: list[int], ends: list[int], index: int) -> None:
        """What the previous character became now also covers ``index`` ("⚰️", "💊💊")."""
        position = len(starts) - 1
        while position >= 0 and starts[position] == starts[-1]:
            ends[position] = index + 1
            position -= 1

    def _join_spaced_letters(self, buffer: _Buffer) -> None:
        """ "k i l l" → "kill", when the joined letters make a word worth seeing."""
        edits = []
        for match in _SPACED_LETTERS.finditer(buffer.text):
            joined = "".join(ch for ch in match.group() if ch.isalpha())
            if joined in self._sensitive or self._is_known(joined) or len(joined) >= 6:
                edits.append((match.start(), match.end(), joined))
        buffer.replace(edits)

    def _join_one_word_sentences(self, buffer: _Buffer) -> None:
        """ "Kill. Myself. Now." → "Kill Myself Now." so that it reads as one clause."""
        edits = []
        for match in _ONE_WORD_SENTENCES.finditer(buffer.text):
            for stop in _SENTENCE_STOP.finditer(match.group()):
                edits.append((match.start() + stop.start(), match.start() + stop.end(), ""))
        buffer.replace(edits)

    def _resolve_disguised_words(self, buffer: _Buffer) -> None:
        """ "k*ll" → "kill", "su1c1de" → "suicide"; other words are left alone."""
        if not self._disguised.search(buffer.text):
            return
        edits = []
        for match in re.finditer(r"\S+", buffer.text):
            chunk = match.group()
            if not self._disguised.search(chunk):
                continue
            lead = _LEADING_PUNCTUATION.match(chunk)
            core_start = lead.end() if lead else 0
            trail = _TRAILING_PUNCTUATION.search(chunk[core_start:])
            core_end = core_start + trail.start() if trail else len(chunk)
            resolved = self._resolve(chunk[core_start:core_end])
            if resolved is not None:
                edits.append((match.start() + core_start, match.start() + core_end, resolved))
        buffer.replace(edits)

    def _resolve(self, core: str) -> str | None:
        """The sensitive word ``core`` disguises, if any."""
        if len(core) > _MAX_DISGUISED_LENGTH:
            return None
        options: list[tuple[str, ...]] = []
        for char in core:
            if char in self._masks:
                options.append(("*",))
            elif char.isalpha():
                options.append((char,))
            elif char in self._leet:
                options.append(self._leet[char])
            else:
                return None
        if sum(len(choice) > 1 for choice in options) > _MAX_AMBIGUOUS_LEET:
            return None
        for letters in product(*options):
            candidate = "".join(letters)
            if "*" not in candidate:
                if candidate in self._sensitive:
                    return candidate
                continue
            found = self._unmask(candidate)
            if found is not None:
                return found
        return None

    def _unmask(self, masked: str) -> str | None:
        """The sensitive word matching ``masked``, where each ``*`` run hides 1-3 letters."""
        segments = [segment for segment in re.split(r"(\*+)", masked) if segment]
        literal = sum(len(segment) for segment in segments if segment[0] != "*")
        runs = len(segments) - sum(segment[0] != "*" for segment in segments)
        if runs > _MAX_MASK_RUNS:
            return None
        for length in range(literal + runs, literal + runs * _MAX_MASKED_LETTERS + 1):
            for word in self._sensitive_by_length.get(length, ()):
                if _fits_mask(segments, word):
                    return word
        return None

    def _drop_intensifiers(self, buffer: _Buffer) -> None:
        """ "i want to fucking die" → "i want to die": the swear word only adds force."""
        if self._intensifiers is None:
            return
        edits = [(m.start(), m.end(), "") for m in self._intensifiers.finditer(buffer.text)]
        buffer.replace(edits)

    def _squeeze_repeated_letters(self, buffer: _Buffer) -> None:
        """ "diiiiie" → "die", "killlll" → "kill": the first reading that is a word."""
        text = buffer.text
        words: list[tuple[int, int]] = []
        for run in _REPEATED_LETTER.finditer(text):
            if words and run.start() < words[-1][1]:
                continue  # another run in a word already taken
            start, end = run.start(), run.end()
            while start > 0 and text[start - 1].isalpha():
                start -= 1
            while end < len(text) and text[end].isalpha():
                end += 1
            words.append((start, end))
        buffer.replace([(start, end, self._squeeze(text[start:end])) for start, end in words])

    @staticmethod
    def _shorten_symbol_runs(buffer: _Buffer) -> None:
        """ "!!!!!!!!!!!!" → "!!!!!!!!": the evidence still spans the whole run."""
        buffer.replace(
            [
                (run.start(), run.end(), run.group()[:MAX_SYMBOL_RUN])
                for run in _LONG_SYMBOL_RUN.finditer(buffer.text)
            ]
        )

    @staticmethod
    def _cut_long_runs(buffer: _Buffer) -> None:
        """A space after every ``MAX_RUN_LENGTH`` characters of a run without spaces,
        so that tokenizing stays linear in the length of the message."""
        edits = []
        for run in _LONG_RUN.finditer(buffer.text):
            for cut in range(run.start() + MAX_RUN_LENGTH, run.end(), MAX_RUN_LENGTH):
                edits.append((cut - 1, cut, buffer.text[cut - 1] + " "))
        buffer.replace(edits)

    def _squeeze(self, word: str) -> str:
        runs = list(_REPEATED_LETTER.finditer(word))
        choices = [(2,) * len(runs), (1,) * len(runs)]
        if len(runs) <= _MAX_RUNS_COMBINED:
            choices.extend(product((2, 1), repeat=len(runs)))
        readings = [_collapse(word, runs, keep) for keep in choices]
        for reading in readings:
            if reading in self._sensitive or self._is_known(reading):
                return reading
        return readings[1]


def _collapse(word: str, runs: list[re.Match[str]], keep: tuple[int, ...]) -> str:
    """``word`` with each repeated-letter run shortened to ``keep[i]`` letters."""
    pieces = []
    cursor = 0
    for run, count in zip(runs, keep, strict=True):
        pieces.append(word[cursor : run.start()])
        pieces.append(run.group(1) * count)
        cursor = run.end()
    pieces.append(word[cursor:])
    return "".join(pieces)


def _fits_mask(segments: list[str], word: str) -> bool:
    """Whether ``word`` reads as the literal/mask ``segments`` (masks: 1-3 letters each)."""

    def fits(index: int, position: int) -> bool:
        if index == len(segments):
            return position == len(word)
        segment = segments[index]
        if segment[0] != "*":
            if word.startswith(segment, position):
                return fits(index + 1, position + len(segment))
            return False
        return any(
            fits(index + 1, position + span)
            for span in range(1, _MAX_MASKED_LETTERS + 1)
            if position + span <= len(word) and word[position : position + span].isalpha()
        )

    return fits(0, 0)
