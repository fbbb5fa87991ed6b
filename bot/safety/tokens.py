"""From a tokenized message to tagged tokens the rules can match.

Each spaCy token is rewritten where texting hides a word ("kms" → "kill
myself", "tonite" → "tonight", "SI" → "suicidal_ideation"), corrected when it
is a typo of a sensitive word ("sucide"), split when words ran together
("killmyself"), merged with its neighbours when a phrase means one thing
("self harm", "going to", "no one"), lemmatised, and tagged with every word
class it belongs to. A token keeps the span of the original text it came
from, for evidence.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from spacy.tokens import Doc

from bot.safety.lexicon import LAUGH_CLASS, Lexicon, LexiconError
from bot.safety.normalize import NormalizedText
from bot.safety.spelling import SpellingCorrector

#: Characters that end a sentence when a token is made only of punctuation. A line
#: break is not one of them: people text one word per line ("quiero\nmorir\nya"),
#: so it is a space to the patterns, marked on the token after it (``opens_line``).
_SENTENCE_END_CHARS = frozenset(".!?;…")
_NUMBER = re.compile(r"^(\d{1,3})(?:/(\d{1,2}))?$")
#: A plain number up to this is read as a 0-5 (or 0-10) rating.
_LOW_RATING_MAX = 3
_RATING_MAX = 10
#: From this many pills on, a count is an overdose amount.
_MANY_FROM = 10
#: Run-together words are split into at most this many known words, each this long at most.
_MAX_PARTS = 4
_MAX_PART_LENGTH = 12
_CACHE_LIMIT = 100_000

#: Class names the analyzer itself assigns; they must exist in the data files.
NUMBER_CLASSES = ("NUMBER", "RATING_LOW", "RATING_HIGH", "NUM_MANY")
STRUCTURE_CLASSES = ("CLAUSE_BREAK", "CLAUSE_END", "THIRD_PERSON")


class Token(NamedTuple):
    """One analysed token (a tuple: thousands are made for a long message).

    Attributes:
        norm: the normal form after rewriting ("kill" for "k*ll").
        lemma: the dictionary form of ``norm``.
        tags: ``norm``, ``lemma`` and ``@CLASS`` for every class they belong to.
        start, end: the span of the original message it came from.
        ends_sentence: ``.``, ``!``, ``?`` or ``;``.
        breaks_clause: a sentence end, a comma or "but": gaps, negation and
            subject search stop here.
        ends_clause: a clause break, other punctuation or emoji, or a word like
            "and"/"lol": what ``$`` in a pattern looks for.
        opens_line: the first token after a line break. Patterns read through a
            line break as through a space; negation, subject and topic search
            stop there (:mod:`bot.safety.context`), as at a sentence end.
    """

    norm: str
    lemma: str
    tags: frozenset[str]
    start: int
    end: int
    ends_sentence: bool
    breaks_clause: bool
    ends_clause: bool
    opens_line: bool = False


@dataclass(frozen=True, slots=True)
class _Profile:
    """What a word is, wherever it appears: lemma, tags, the phrases it may open, and
    whether it ends a sentence or a clause."""

    lemma: str
    tags: frozenset[str]
    phrases: tuple[tuple[tuple[str, ...], str], ...]
    ends_sentence: bool
    breaks_clause: bool
    ends_clause: bool


class _Word(NamedTuple):
    """A word before tagging (a tuple: thousands are made for a long message)."""

    text: str
    start: int
    end: int
    surface: str
    opens_line: bool


class Analyzer:
    """Turns a normalised message and its spaCy ``Doc`` into :class:`Token` objects.

    Args:
        lexicon: the detector's data.
        lemma: English lemma lookup (``None`` when the table has no entry).
        is_known_word: whether a word is real English (then it is never "corrected").
    """

    def __init__(
        self,
        lexicon: Lexicon,
        lemma: Callable[[str], str | None],
        is_known_word: Callable[[str], bool],
    ) -> None:
        missing = [
            name for name in (*NUMBER_CLASSES, *STRUCTURE_CLASSES) if name not in lexicon.classes
        ]
        if missing:
            raise LexiconError(f"classes the analyzer assigns are not defined: {missing}")
        self._lexicon = lexicon
        self._lemma = lemma
        self._is_known = is_known_word
        self._vocabulary = lexicon.vocabulary
        self._spelling = SpellingCorrector(lexicon.spelling_targets, lexicon.spelling_min_length)
        self._class_tags: dict[str, set[str]] = {}
        for name, words in lexicon.classes.items():
            for word in words:
                self._class_tags.setdefault(word, set()).add(f"@{name}")
        self._multiword: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for phrase, replacement in sorted(
            lexicon.multiword.items(), key=lambda item: -len(item[0])
        ):
            self._multiword.setdefault(phrase[0], []).append((phrase, replacement))
        # Read for every token: looked up once here.
        self._case_sensitive = lexicon.case_sensitive_rewrites
        self._contextual = lexicon.contextual_rewrites
        self._rewrite_cache: dict[str, tuple[str, ...]] = {}
        self._analysis_cache: dict[str, tuple[str, frozenset[str]]] = {}
        self._profile_cache: dict[str, _Profile] = {}

    def tags_of(self, word: str) -> frozenset[str]:
        """The tags a token for ``word`` carries (the word, its lemma and their classes)."""
        return self._analysis(word)[1]

    def analyze(self, normalized: NormalizedText, doc: Doc) -> list[Token]:
        """The tagged tokens of one message, in order."""
        words: list[_Word] = []
        original, original_span = normalized.original, normalized.original_span
        previous = ""
        line_break = False
        for token in doc:
            text = token.text
            if token.is_space:
                line_break = line_break or "\n" in text
                continue
            start, end = original_span(token.idx, token.idx + len(text))
            surface = original[start:end]
            for rewritten in self._rewrite(token.norm_, surface, previous):
                words.append(_Word(rewritten, start, end, surface, line_break))
                previous = rewritten
                line_break = False
        return self._tag(words)

    def _rewrite(self, text: str, surface: str, previous: str) -> tuple[str, ...]:
        """Slang, abbreviations, typos and run-together words, as plain words."""
        case_sensitive = self._case_sensitive.get(surface)
        if case_sensitive is not None:
            return case_sensitive
        contextual = self._contextual.get(text)
        if contextual is not None and previous in contextual[1]:
            return (contextual[0],)
        cached = self._rewrite_cache.get(text)
        if cached is not None:
            return cached
        result = self._lexicon.rewrites.get(text) or self._repair(text)
        if len(self._rewrite_cache) < _CACHE_LIMIT:
            self._rewrite_cache[text] = result
        return result

    def _repair(self, text: str) -> tuple[str, ...]:
        if not text.isalpha() or text in self._vocabulary or self._is_known(text):
            return (text,)
        if text.endswith("in") and self._is_known(text + "g"):  # "thinkin" → "thinking"
            return (text + "g",)
        corrected = self._spelling.correct(text)
        if corrected is not None:
            return (corrected,)
        parts = self._segment(text)
        if parts is None:
            return (text,)
        return tuple(word for part in parts for word in self._lexicon.rewrites.get(part, (part,)))

    def _segment(self, text: str) -> tuple[str, ...] | None:
        """ "killmyself" → ("kill", "myself"): fewest known words, one of them sensitive."""
        best: list[tuple[str, ...] | None] = [None] * (len(text) + 1)
        best[0] = ()
        for start in range(len(text)):
            prefix = best[start]
            if prefix is None:
                continue
            for end in range(start + 1, min(len(text), start + _MAX_PART_LENGTH) + 1):
                part = text[start:end]
                if part not in self._vocabulary or (len(part) == 1 and part != "i"):
                    continue
                candidate = (*prefix, part)
                current = best[end]
                if current is None or len(candidate) < len(current):
                    best[end] = candidate
        parts = best[len(text)]
        if parts is None or not 2 <= len(parts) <= _MAX_PARTS:
            return None
        sensitive = self._lexicon.sensitive_words
        if not any(part in sensitive or part in self._lexicon.rewrites for part in parts):
            return None
        return parts

    def _multiword_at(
        self, words: list[_Word], index: int, phrases: tuple[tuple[tuple[str, ...], str], ...]
    ) -> tuple[int, str]:
        for phrase, replacement in phrases:
            end = index + len(phrase)
            if end > len(words):
                continue
            if all(
                self._same_word(words[index + offset].text, wanted)
                for offset, wanted in enumerate(phrase)
            ):
                return end, replacement
        return index, ""

    def _same_word(self, text: str, wanted: str) -> bool:
        return text == wanted or self._analysis(text)[0] == wanted

    def _tag(self, words: list[_Word]) -> list[Token]:
        """Tag each word, joining phrases that mean one thing ("self harm" → "self_harm")."""
        tokens: list[Token] = []
        sentence_start = True
        index = 0
        while index < len(words):
            word = words[index]
            profile = self._profile(word.text)
            index += 1
            if profile.phrases:  # most words open no phrase
                phrase_end, replacement = self._multiword_at(words, index - 1, profile.phrases)
                if phrase_end > index:
                    word = _Word(
                        replacement,
                        word.start,
                        words[phrase_end - 1].end,
                        word.surface,
                        word.opens_line,
                    )
                    profile = self._profile(replacement)
                    index = phrase_end
            tags = profile.tags
            sentence_start = sentence_start or word.opens_line
            if not sentence_start and word.surface[:1].isupper() and self._looks_like_name(word):
                tags = tags | {"@THIRD_PERSON"}
            tokens.append(
                Token(
                    word.text,
                    profile.lemma,
                    tags,
                    word.start,
                    word.end,
                    profile.ends_sentence,
                    profile.breaks_clause,
                    profile.ends_clause,
                    word.opens_line,
                )
            )
            sentence_start = profile.ends_sentence
        return tokens

    def _looks_like_name(self, word: _Word) -> bool:
        """A capitalised unknown word mid-sentence ("… Sarah wants to die") is someone else."""
        return (
            word.text.isalpha()
            and word.text != "i"
            and word.text not in self._vocabulary
            and not self._is_known(word.text)
        )

    def _profile(self, word: str) -> _Profile:
        """Everything about a word that does not depend on its neighbours, cached."""
        cached = self._profile_cache.get(word)
        if cached is not None:
            return cached
        lemma, tags = self._analysis(word)
        phrases = self._multiword.get(word, [])
        if lemma != word:
            phrases = phrases + self._multiword.get(lemma, [])
        has_letter_or_digit = any(ch.isalnum() for ch in word)
        ends_sentence = not has_letter_or_digit and any(ch in _SENTENCE_END_CHARS for ch in word)
        breaks_clause = ends_sentence or word == "," or "@CLAUSE_BREAK" in tags
        profile = _Profile(
            lemma,
            tags,
            tuple(phrases),
            ends_sentence,
            breaks_clause,
            breaks_clause or not has_letter_or_digit or "@CLAUSE_END" in tags,
        )
        if len(self._profile_cache) < _CACHE_LIMIT:
            self._profile_cache[word] = profile
        return profile

    def _analysis(self, word: str) -> tuple[str, frozenset[str]]:
        """``(lemma, tags)`` of a word, cached: vocabulary repeats across messages."""
        cached = self._analysis_cache.get(word)
        if cached is not None:
            return cached
        lemma = self._lexicon.lemma_overrides.get(word) or self._lemma(word) or word
        lemma = lemma.lower()
        tags = {word, lemma, *self._class_tags.get(word, ()), *self._class_tags.get(lemma, ())}
        tags.update(_number_tags(word))
        if self._lexicon.laugh.fullmatch(word):
            # A laugh of any length ends a clause as "lol" does: "i want to die jajajaja".
            tags.update((f"@{LAUGH_CLASS}", "@CLAUSE_END"))
        result = (lemma, frozenset(tags))
        if len(self._analysis_cache) < _CACHE_LIMIT:
            self._analysis_cache[word] = result
        return result


def _number_tags(word: str) -> tuple[str, ...]:
    """Diary-style ratings ("0", "4/5", "7/10") and overdose-sized counts ("30")."""
    match = _NUMBER.match(word)
    if not match:
        return ()
    value = int(match.group(1))
    scale = int(match.group(2)) if match.group(2) else None
    if scale:
        high = value * 10 >= scale * 7 if scale > 5 else value >= 4
        return ("@NUMBER", "@RATING_HIGH" if high else "@RATING_LOW")
    if value <= _LOW_RATING_MAX:
        return ("@NUMBER", "@RATING_LOW")
    if value <= _RATING_MAX:
        return ("@NUMBER", "@RATING_HIGH", *(("@NUM_MANY",) if value >= _MANY_FROM else ()))
    return ("@NUMBER", "@NUM_MANY")
