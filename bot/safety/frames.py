"""Parts that combine: the structure a clinician listens for, anywhere in one message.

"pills.\\nall of them.\\ntonight." has no sentence a phrase rule could match,
yet it names a means, an amount and a timeline. This module finds the parts
listed in ``data/frames.yml`` (an attempt already made, medications, poisons,
weapons, heights, being there, intent, a timeline, preparations, a farewell,
violence toward others, abuse), reads each in its clause (a true negation
before it cancels it, a pseudo-negation such as "no cap" does not; a clause
that is someone else's, reported, hypothetical or past does not count), then
checks the message-level combinations of the same file. One pass over the
tokens and a dictionary look-up per token: linear in the message.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.answers import NUMBER_WORDS
from bot.safety.assessment import CATEGORIES, Evidence, RiskLevel
from bot.safety.lexicon import DATA_DIR, LexiconError, laughs_pattern
from bot.safety.normalize import NormalizedText, fold

FRAMES_FILE = DATA_DIR / "frames.yml"
CLASSES_FILE = DATA_DIR / "classes.yml"
#: A token: a word (with apostrophes or "*" inside, as in "don't", "k*llearme"), or any
#: other symbol; a quotation mark ("'kms'") is a symbol of its own. A line break is a
#: token too, so that it ends a clause as a full stop does ("we were on the ps5\nim going
#: to kill him tonight for real").
_TOKEN = re.compile(r"\w+(?:['*]\w+)*|\n|[^\w\s]")
_LINE_BREAK = "\n"
_QUOTE_MARKS = frozenset("\"'\u201c\u201d\u00ab\u00bb")
_SENTENCE_BREAKS = frozenset(".!?\n")
#: A quotation longer than this (in tokens) is not a quoted remark.
_MAX_QUOTE = 40
#: Who speaks when the word before a verb of speech is one of these: the client.
_FIRST_PERSON = frozenset({"i", "yo", "we", "me"})
_CLAUSE_BREAKS = frozenset(".!?;,\n") | {"but", "pero", "though", "aunque"}
#: Words that turn a marker of the past into a duration up to now: "me toca desde hace
#: años" is abuse still going on, not history.
_DURATION_OPENERS = frozenset({"desde"})
#: From this count on, a number is an overdose-sized amount ("took 30").
_MANY_FROM = 10
_NUMBER_MANY = "NUMBER_MANY"
#: How a list names a laugh of any length (``laughs`` in ``classes.yml``); upper-case, so
#: that no folded word of a message is it.
_LAUGH = "LAUGH"
_PSEUDO, _OTHERS, _MODIFIERS, _PAST, _RATING, _JOKES, _RETRACTIONS = (
    "pseudo",
    "others",
    "modifiers",
    "past",
    "rating",
    "jokes",
    "retractions",
)
_HEDGES, _HEDGE_TAILS, _HEDGE_COMPLEMENTS = "hedges", "hedge_tails", "hedge_complements"
_QUESTIONS, _ANSWERED_YES = "questions", "answered_yes"
_DOUBTING_MARKS, _SYMPTOMS = "doubting_marks", "symptoms"
_STREAK, _RELAPSE = "clean_streak", "relapse"
#: Words passed over between a joke and the hedge that qualifies it: "jk or maybe".
_HEDGE_JOINERS = frozenset({"or", "o"})
_HANDED_OVER, _TAKEN_BACK, _AHEAD = "handed_over", "handover_undone", "handover_ahead"
_KEEPING, _LEFT_OVER, _GIVING = "keeping", "kept_left_over", "giving_away"
_GIVING_CLITICS = "giving_clitics"
_KEPT_AMOUNT, _KEPT_HARMLESS = "kept_amounts", "kept_harmless"
_BELONGS = "belongs_to"
_AMOUNT = "AMOUNT"
_NEED_ENDED, _ENDED_EVENT, _EVENT_ENDING = "need_ended", "ended_events", "event_endings"
_ENDING_SHARED = "ending_shared"
#: The part of an ending said for good ("forever", "para siempre").
_FINALITY = "FINALITY"
_SPEAKERS, _SPEECH, _QUOTED_IN = "speakers", "speech", "quoted_in"
_TIME_OPENER, _PERSON = "time_opener", "person"
#: Marker kinds of a clause of time about someone else and their list under ``time_clauses``.
_TIME_CLAUSE_LISTS = {_TIME_OPENER: "openers", _PERSON: "people"}
#: How many words after "as soon as" / "cuando" its subject may come ("cuando se duerma
#: mi mama").
_TIME_CLAUSE_SUBJECT_REACH = 4
_SCHEDULED = "SCHEDULED"
_MEANS_KEPT = "MEANS_KEPT"
#: The part of having something ("have", "tengo"): before what is kept "left" over.
_HAVING = "AT_HAND"
#: Marker kinds and the key of their list in ``frames.yml``.
_MARKER_LISTS = {
    _PSEUDO: "pseudo_negations",
    _OTHERS: "other_subjects",
    _MODIFIERS: "modifiers",
    _QUESTIONS: "questions",
    _ANSWERED_YES: "answered_yes",
    _PAST: "past",
    _RATING: "rating_terms",
    _JOKES: "jokes",
    _RETRACTIONS: "retractions",
    _HEDGES: "hedges",
    _HEDGE_TAILS: "hedge_tails",
    _HEDGE_COMPLEMENTS: "hedge_complements",
    _DOUBTING_MARKS: "doubting_marks",
    _SYMPTOMS: "symptoms",
    _STREAK: "clean_streak",
    _RELAPSE: "relapse",
    _HANDED_OVER: "handed_over",
    _TAKEN_BACK: "handover_undone",
    _AHEAD: "handover_ahead",
    _KEEPING: "keeping",
    _LEFT_OVER: "kept_left_over",
    _GIVING: "giving_away",
    _GIVING_CLITICS: "giving_clitics",
    _KEPT_AMOUNT: "kept_amounts",
    _KEPT_HARMLESS: "kept_harmless",
    _BELONGS: "belongs_to",
    _NEED_ENDED: "need_ended",
    _ENDED_EVENT: "ended_events",
    _EVENT_ENDING: "event_endings",
    _ENDING_SHARED: "ending_shared",
}
#: How many words a handed-over means may come after its verb ("gave my brother the gun").
_HANDOVER_REACH = 5
#: How many words a giving verb's subject may come before it ("you can have it").
_SUBJECT_REACH = 3
#: Words that make the client the one receiving ("gave me his gun"): means acquired.
_TO_THE_CLIENT = frozenset({"me", "myself"})
#: Marker kinds of reported speech and their list under ``reported_speech``.
_SPEECH_LISTS = {_SPEAKERS: "speakers", _SPEECH: "verbs", _QUOTED_IN: "quoted_in"}
_EVERYDAY = "everyday:"
#: Marker kinds of words saying a part is real ("irl", "for real"), by part.
_REAL = "real:"
_FORGIVEN, _INTENDED, _INTENT_GIVEN_UP = "forgiveness", "harm_intended", "harm_intent_given_up"
_PETTY = "petty_reasons"
#: How many words after the harm's own a child may be named ("hacer daño al bebé").
_CHILD_REACH = 4
_STRETCHED = re.compile(r"(\w)\1+")
_POSSESSIVE = re.compile(r"^(.+?)(?:'s|s')$")


@dataclass(frozen=True)
class Combination:
    """A level reached when every listed part (one of each alternative set) counts."""

    id: str
    parts: tuple[tuple[str, ...], ...]  # each a sorted set of alternatives
    level: RiskLevel
    category: str


@dataclass(frozen=True)
class FrameFinding:
    """What the parts found in one message: the level, its categories and evidence."""

    level: RiskLevel
    categories: tuple[str, ...]
    evidence: tuple[Evidence, ...]
    #: The kinds of part that counted (even if no combination was complete).
    parts: tuple[str, ...]
    #: Spans of the original text that are reported, hypothetical, a topic or a
    #: joke: risk words there do not count, whichever half found them.
    discounted: tuple[tuple[int, int], ...] = ()
    #: Spans in the past ("years ago"): risk words there are history, at most moderate.
    past: tuple[tuple[int, int], ...] = ()
    #: Parts found and set aside: negated, someone else's or reported. The learned
    #: model then needs to be far surer to raise the message.
    set_aside: tuple[str, ...] = ()
    #: Spans of parts explained by everyday context ("pills" beside "organizer",
    #: "rope" beside "climbing"): risk words there do not count, whichever half
    #: found them, and the learned model does not overrule that.
    explained: tuple[tuple[int, int], ...] = ()
    #: The spans of ``discounted`` that a joke takes back ("kms jk"): the learned model
    #: reads the rest of the message ("... this is the last time you'll hear from me").
    joked: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class _Occurrence:
    part: str
    start: int  # token indexes
    end: int


class FrameReader:
    """Finds the parts of ``data/frames.yml`` and their combinations in a message."""

    def __init__(self, path: Path = FRAMES_FILE) -> None:
        document = _read(path)
        # The symbols (emoji) some phrase names: any other is decoration between words.
        self._symbols: set[str] = set()
        # One-word phrases by their word, longer ones by their first two words: most
        # words of a message open no phrase at all.
        self._single: dict[str, list[str]] = {}
        self._multi: dict[tuple[str, str], list[tuple[tuple[str, ...], str]]] = {}
        for part, phrases in _mapping(document, "parts").items():
            for phrase in phrases:
                self._add(str(phrase), str(part))
        self._opens_multi = frozenset(first for first, _ in self._multi)
        # Words that may open a part by themselves (possessives and numbers aside).
        self._openers = self._opens_multi | frozenset(self._single)
        # Every marker phrase (pseudo-negations, subjects, modifiers, everyday talk) in
        # one index, so that a message is read for all of them in one pass.
        self._markers: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for kind, key in _MARKER_LISTS.items():
            self._add_markers(kind, _list(document, key))
        for part, phrases in _mapping(document, "everyday").items():
            self._add_markers(f"{_EVERYDAY}{part}", phrases)
        self._everyday_in_clause = frozenset(_mapping(document, "everyday_in_clause"))
        for part, phrases in _mapping(document, "everyday_in_clause").items():
            self._add_markers(f"{_REAL}{part}", phrases)
        self._game_places = frozenset(fold(str(w)) for w in _list(document, "game_places"))
        self._game_times = frozenset(fold(str(w)) for w in _list(document, "game_times"))
        self._children = frozenset(fold(str(w)) for w in _list(document, "children"))
        self._petty_kill = frozenset(fold(str(w)) for w in _list(document, "petty_kill"))
        for kind in (_FORGIVEN, _INTENDED, _INTENT_GIVEN_UP, _PETTY):
            self._add_markers(kind, _list(document, kind))
        self._forgiveness_explains = frozenset(
            str(p) for p in _list(document, "forgiveness_explains")
        )
        self._forgiveness_undone_by = frozenset(
            str(p) for p in _list(document, "forgiveness_undone_by")
        )
        reported = _mapping(document, "reported_speech")
        for kind, key in _SPEECH_LISTS.items():
            self._add_markers(kind, reported.get(key, []))
        time_clauses = _mapping(document, "time_clauses")
        for kind, key in _TIME_CLAUSE_LISTS.items():
            self._add_markers(kind, time_clauses.get(key, []))
        # Words an accent tells apart ("me mató": it killed me; "me mato": i kill myself),
        # by their folded form: read as written.
        self._accented: dict[str, frozenset[str]] = {}
        for accented in _list(document, "accented_words"):
            written = str(accented).lower()
            folded = fold(written)
            self._accented[folded] = self._accented.get(folded, frozenset()) | {written}
        self._negators = frozenset(fold(str(w)) for w in _list(document, "negators"))
        self._yes_words = frozenset(
            _unstretched(fold(str(w))) for w in _list(document, "yes_words")
        )
        self._yes_words_alone = frozenset(
            _unstretched(fold(str(w))) for w in _list(document, "yes_words_alone")
        )
        self._yes_restated_by = frozenset(fold(str(w)) for w in _list(document, "yes_restated_by"))
        self._no_words = frozenset(_unstretched(fold(str(w))) for w in _list(document, "no_words"))
        self._no_answered_after = frozenset(
            fold(str(w)).split()[-1] for w in _list(document, "no_answered_after")
        )
        self._window = int(document.get("negation_window", 3))
        self._subject_free = frozenset(str(p) for p in _list(document, "subject_free_parts"))
        self._qualifiers = frozenset(str(p) for p in _list(document, "qualifier_parts"))
        self._means = frozenset(str(p) for p in _list(document, "means_parts"))
        self._symptom_parts = frozenset(str(p) for p in _list(document, "symptom_parts"))
        self._times = frozenset(str(p) for p in _list(document, "time_parts"))
        self._streak_explains = frozenset(str(p) for p in _list(document, "streak_explains"))
        self._everyday_undone_by = {
            str(part): frozenset(str(p) for p in undoers)
            for part, undoers in _mapping(document, "everyday_undone_by").items()
        }
        self._handover_verbs = frozenset(str(p) for p in _list(document, "handover_verb_parts"))
        self._handover_undoers = frozenset(str(p) for p in _list(document, "handover_undone_parts"))
        self._everyday_objects = {
            str(part): frozenset(fold(str(word)) for word in words)
            for part, words in _mapping(document, "everyday_objects").items()
        }
        self._object_fillers = frozenset(fold(str(w)) for w in _list(document, "object_fillers"))
        self._not_given_after = frozenset(fold(str(w)) for w in _list(document, "not_given_after"))
        self._part_as_subject = frozenset(fold(str(w)) for w in _list(document, "part_as_subject"))
        self._giving_verbs = frozenset(fold(str(w)) for w in _list(document, "giving_verbs"))
        self._not_given_places = frozenset(
            fold(str(w)) for w in _list(document, "not_given_places")
        )
        self._clitic_auxiliaries = frozenset(
            fold(str(w)) for w in _list(document, "clitic_auxiliaries")
        )
        self._clitic_giving_verbs = frozenset(
            fold(str(w)) for w in _list(document, "clitic_giving_verbs")
        )
        self._given_objects = frozenset(fold(str(w)) for w in _list(document, "given_objects"))
        self._giving_parts = frozenset(str(p) for p in _list(document, "giving_away_parts"))
        self._belongs_now = frozenset(fold(str(w)) for w in _list(document, "belongs_now"))
        self._the_care = frozenset(fold(str(w)) for w in _list(document, "the_care"))
        self._not_the_client = frozenset(fold(str(w)) for w in _list(document, "not_the_client"))
        self._keeping_fillers = frozenset(fold(str(w)) for w in _list(document, "keeping_fillers"))
        # The people of reported speech ("mom", "she", "mi tía") and the one spoken to.
        self._keeping_by_others = frozenset(
            fold(str(w))
            for w in [
                *_mapping(document, "reported_speech").get("speakers", []),
                *_list(document, "keeping_by_others"),
            ]
        )
        self._keeping_auxiliaries = frozenset(
            fold(str(w)) for w in _list(document, "keeping_auxiliaries")
        )
        self._clitics = frozenset(fold(str(w)) for w in _list(document, "clitics"))
        self._kept_for = frozenset(fold(str(w)) for w in _list(document, "kept_for"))
        self._keeping_continues = frozenset(
            fold(str(w)) for w in _list(document, "keeping_continues")
        )
        self._kept_stores = frozenset(fold(str(w)) for w in _list(document, "kept_stores"))
        classes = _read(CLASSES_FILE)
        # Numbers in words ("kept thirty"): the answers' and the rules' own lists.
        self._number_words = frozenset(NUMBER_WORDS) | frozenset(
            fold(str(w)) for w in _mapping(classes, "classes")["NUM_MANY"]
        )
        self._laugh = laughs_pattern(classes, CLASSES_FILE.name)
        self._client_words = frozenset(fold(str(w)) for w in _list(document, "about_the_client"))

        self._combinations = tuple(_combination(entry) for entry in _list(document, "combinations"))
        known = set(_mapping(document, "parts"))
        for combination in self._combinations:
            unknown = set().union(*combination.parts) - known
            if unknown:
                raise LexiconError(f"frames.yml: {combination.id}: unknown parts {sorted(unknown)}")
        # A combination needs one of its first alternatives: filed under those, a
        # message is tried only against the combinations its parts can open.
        self._combinations_by_part: dict[str, list[int]] = {}
        for position, combination in enumerate(self._combinations):
            for part in combination.parts[0]:
                self._combinations_by_part.setdefault(part, []).append(position)

    @property
    def qualifiers(self) -> frozenset[str]:
        """The parts that only qualify others (a time, an amount, a place)."""
        return self._qualifiers

    def _add_markers(self, kind: str, phrases: Sequence[Any]) -> None:
        for phrase in phrases:
            words = (_LAUGH,) if phrase == _LAUGH else tuple(_TOKEN.findall(fold(str(phrase))))
            self._symbols.update(w for w in words if _is_symbol(w))
            if words:
                self._markers.setdefault(words[0], []).append((words, kind))

    def _marks(self, words: Sequence[str]) -> dict[str, list[bool]]:
        """For each kind of marker found, which tokens its phrases cover."""
        marks: dict[str, list[bool]] = {}
        laughs = self._markers.get(_LAUGH, [])
        for position, word in enumerate(words):
            candidates = self._markers.get(word, [])
            if laughs and self._laugh.fullmatch(word):
                candidates = [*candidates, *laughs]
            for phrase, kind in candidates:
                if (
                    phrase[0] != _LAUGH
                    and tuple(words[position : position + len(phrase)]) != phrase
                ):
                    continue
                if kind == _OTHERS and (
                    (position and words[position - 1] not in _CLAUSE_BREAKS)
                    or self._parts_at(words, position)
                ):
                    # A subject opens its clause: "she wants to die", not "told her"; and
                    # a word that opens a part is its article: "el corte", "el tren".
                    continue
                if kind == _PAST and position and words[position - 1] in _DURATION_OPENERS:
                    continue
                if kind == _MODIFIERS and self._parts_at(words, position):
                    # A hypothesis that opens a part is its words: "vivirían más
                    # tranquilos si yo no existiera" is a burden, not a "what if".
                    continue
                covered = marks.setdefault(kind, [False] * len(words))
                covered[position : position + len(phrase)] = [True] * len(phrase)
        return marks

    def _add(self, phrase: str, part: str) -> None:
        words = tuple(_TOKEN.findall(fold(phrase)))
        self._symbols.update(w for w in words if _is_symbol(w))
        if not words:
            raise LexiconError(f"frames.yml: {part}: empty phrase")
        if len(words) == 1:
            self._single.setdefault(words[0], []).append(part)
        else:
            self._multi.setdefault((words[0], words[1]), []).append((words, part))

    def read(
        self, normalized: NormalizedText, figurative: Sequence[tuple[int, int]] = ()
    ) -> FrameFinding:
        """The parts and combinations in one normalised message.

        ``figurative`` are spans of the original text that the phrase rules read as an
        idiom or another benign use ("killing myself trying to finish this paper"): a
        part there is set aside, as the phrase rule is.
        """
        matches = self._tokens(normalized.text)
        words = self._words(normalized, matches)
        marks = self._marks(words)
        none = [False] * len(words)
        if self._recovery_parts(marks):
            # A clean streak told, no relapse with it: its clause is the past.
            past = marks.get(_PAST, none)
            marks[_PAST] = [a or b for a, b in zip(past, marks[_STREAK], strict=True)]
        pseudo = marks.get(_PSEUDO, none)
        quoted = _reported_quotes(normalized.text, matches, words, marks)
        # A joke beside a pseudo-negation ("no cap", "no es broma") is no joke.
        joked = none if _PSEUDO in marks else self._joked(words, marks, none, quoted)
        skip, skip_for_rules, past = self._discounted_clauses(words, marks, none, joked)
        if quoted:
            skip = [a or b for a, b in zip(skip, quoted, strict=True)]
            skip_for_rules = [a or b for a, b in zip(skip_for_rules, quoted, strict=True)]
        discounted = _spans(normalized, matches, skip_for_rules)
        joke_spans = _spans(normalized, matches, joked)
        past_spans = _spans(normalized, matches, past)
        time_clauses = _time_clauses_about_others(words, marks)
        found: list[_Occurrence] = []
        set_aside: set[str] = set()
        not_negating = list(pseudo)
        for index, word in enumerate(words):
            if word not in self._openers and "'" not in word and not word.isdigit():
                continue  # opens no part: most words of a message
            for part, end in self._parts_at(words, index):
                if (
                    skip_for_rules[index]
                    or (
                        skip[index]
                        and part not in self._subject_free
                        and not self._about_the_client(words, part, index, end)
                    )
                    or self._negated(words, index, not_negating)
                    or not self._has_its_object(words, marks, part, index, end)
                ):
                    set_aside.add(part)
                    continue
                _shield(not_negating, index, end)
                if not _repeats_previous(found, part, index, end, words):
                    found.append(_Occurrence(part, index, end))
        found.extend(_Occurrence(_SCHEDULED, start, end) for start, end in time_clauses)
        # A part is explained by everyday talk anywhere in the message ("pills ... in the
        # organizer") or by an idiom over its own words: it counts for nothing, and the
        # learned model stays out, as for an idiom the phrase rules read. Everyday words
        # inside another part are that part's: "see ya never" is a farewell made final,
        # and a clause of time about someone else ("... as soon as my mom goes to bed",
        # a part of its own) explains nothing the client says.
        everyday = _everyday_parts(marks, found, self._everyday_in_clause) | self._recovery_parts(
            marks
        )
        # In the file's order: a part undone counts, and may undo the next one's words.
        counting = {o.part for o in found} - everyday
        for part, undoers in self._everyday_undone_by.items():
            if part in everyday and undoers & counting:
                everyday.discard(part)
                counting.add(part)
        everyday |= self._forgiven_parts(words, marks, found)
        in_clause = self._everyday_in_its_clause(words, marks, found, not_negating)
        spans = [_span(normalized, matches, occurrence) for occurrence in found]
        # An idiom with a time said inside its own words is meant: "si me deja el viernes
        # me mato jaja" is a threat laughed at, with its day ("si tengo tiempo hoy me mato
        # en el gym jaja" is still the gym's idiom, which holds no time).
        times = [span for o, span in zip(found, spans, strict=True) if o.part in self._times]
        untimed = [f for f in figurative if not any(f[0] <= t[0] and t[1] <= f[1] for t in times)]
        idiom = [_touches_any(span, untimed) for span in spans]
        # An idiom explains its words only when nothing else in the message is risk:
        # "end it with him tonight" is a figure of speech, "... with the gun" is not.
        if not all(
            i or o.part in everyday or c or o.part in self._qualifiers
            for o, i, c in zip(found, idiom, in_clause, strict=True)
        ):
            idiom = [False] * len(found)
        is_explained = [
            occurrence.part in everyday or i or c
            for occurrence, i, c in zip(found, idiom, in_clause, strict=True)
        ]
        explained = tuple(sorted({span for span, e in zip(spans, is_explained, strict=True) if e}))
        # Means handed over to be kept count for nothing either, but the rest of the
        # message may still be risk ("the urge is so strong i gave my razor to my
        # roommate"): the learned model may still flag it, if far surer. Only in a
        # message that says nothing else of means or an ending: means kept, got back or
        # bought again ("i saved a few"), or an ending in another clause ("..., won't
        # need them anymore") leave them counted (:meth:`_handed_over`).
        handed = self._handed_over(words, marks, not_negating, found, is_explained)
        kept = self._kept_means(words, marks)
        if handed and kept is not None:
            # Handed over and then kept back, got back or bought again: the safety
            # plan undone, means at hand (a part of its own, on the undoing words).
            found.append(_Occurrence(_MEANS_KEPT, *kept))
            is_explained.append(False)
            handed = set()
        set_aside.update(found[position].part for position in handed)
        found = [
            occurrence
            for position, (occurrence, e) in enumerate(zip(found, is_explained, strict=True))
            if not e and position not in handed
        ]
        aside = tuple(sorted(set_aside))
        if not found:
            return FrameFinding(
                RiskLevel.NONE, (), (), (), discounted, past_spans, aside, explained, joke_spans
            )
        counts: dict[str, list[_Occurrence]] = {}
        for occurrence in found:
            counts.setdefault(occurrence.part, []).append(occurrence)
        level = RiskLevel.NONE
        categories: set[str] = set()
        evidence: set[Evidence] = set()
        candidates = sorted(
            {position for part in counts for position in self._combinations_by_part.get(part, ())}
        )
        for position in candidates:
            combination = self._combinations[position]
            used = _complete(combination, counts)
            if used is None:
                continue
            level = max(level, combination.level)
            categories.add(combination.category)
            for occurrence in used:
                start, end = _span(normalized, matches, occurrence)
                evidence.add(
                    Evidence(normalized.original[start:end], start, end, combination.category)
                )
        ordered = tuple(sorted(categories, key=CATEGORIES.index))
        return FrameFinding(
            level,
            ordered,
            tuple(sorted(evidence, key=_position)),
            tuple(sorted(counts)),
            discounted,
            past_spans,
            aside,
            explained,
            joke_spans,
        )

    def named_parts(self, normalized: NormalizedText) -> frozenset[str]:
        """Every part the message names, unless a true negation comes just before it.

        Unlike :meth:`read`, everyday context does not explain a part away: in an
        answer to "are you safe right now?", "safe" beside "the gun" is the
        question's word, not a gun safe.
        """
        words = self._words(normalized, self._tokens(normalized.text))
        not_negating = list(self._marks(words).get(_PSEUDO, [False] * len(words)))
        named: set[str] = set()
        for index in range(len(words)):
            for part, end in self._parts_at(words, index):
                if not self._negated(words, index, not_negating):
                    named.add(part)
                    _shield(not_negating, index, end)
        return frozenset(named)

    def everyday_parts(self, normalized: NormalizedText) -> frozenset[str]:
        """The parts whose everyday talk (``everyday`` in ``data/frames.yml``) the message
        holds anywhere: "onions" for SELF_INJURED, "organizer" for MEDICATION. The answer
        readers of :mod:`bot.safety.followup` ask it of words that are no part here ("cut
        again"), so that one list says what is everyday."""
        words = self._words(normalized, self._tokens(normalized.text))
        marks = self._marks(words)
        return self._recovery_parts(marks) | frozenset(
            kind.removeprefix(_EVERYDAY) for kind in marks if kind.startswith(_EVERYDAY)
        )

    def _recovery_parts(self, marks: Mapping[str, list[bool]]) -> frozenset[str]:
        """The parts a clean streak explains (``streak_explains``), unless a relapse is
        told with it: "2 years clean from cutting" is recovery, "i went back to cutting
        after 2 years clean" the act it ends."""
        if _STREAK in marks and _RELAPSE not in marks:
            return self._streak_explains
        return frozenset()

    def _forgiven_parts(
        self, words: Sequence[str], marks: Mapping[str, list[bool]], found: Sequence[_Occurrence]
    ) -> frozenset[str]:
        """The parts that anger forgiven explains (``forgiveness_explains``): none where a
        plan is told with it, a part of ``forgiveness_undone_by`` (a time, a weapon)
        outside its own clause ("i want to kill him tonight but i forgive him", "i bought
        a knife to kill him but i forgive him"), the harm said as intended anywhere before
        it in its clause ("im gonna drive over and stab him but i forgive him"), or harm to
        a child; forgiveness softens anger, not a plan. Killing said over a petty reason
        ("lo voy a matar por comerse mi pastel, bueno lo perdono") is the idiom of anger:
        its intent is no plan."""
        forgiven = marks.get(_FORGIVEN)
        if forgiven is None:
            return frozenset()
        own_clauses = set()
        for start, _ in _runs(forgiven):
            # "but i forgive him": the clause after the leading "but", not the one before.
            while start + 1 < len(words) and words[start] in _CLAUSE_BREAKS:
                start += 1
            own_clauses.add(_clause_around(words, start).start)
        none = [False] * len(words)
        intended = marks.get(_INTENDED, none)
        given_up = marks.get(_INTENT_GIVEN_UP, none)
        petty = marks.get(_PETTY, none)
        for occurrence in found:
            clause = _clause_around(words, occurrence.start)
            if occurrence.part in self._forgiveness_undone_by and clause.start not in own_clauses:
                return frozenset()
            if occurrence.part not in self._forgiveness_explains:
                continue
            if self._harms_a_child(words, occurrence, clause):
                return frozenset()
            if any(petty[occurrence.end : clause.stop]) and not self._petty_kill.isdisjoint(
                words[occurrence.start : occurrence.end]
            ):
                continue
            if any(intended[i] and not given_up[i] for i in range(clause.start, occurrence.end)):
                return frozenset()
        return self._forgiveness_explains

    def _harms_a_child(self, words: Sequence[str], occurrence: _Occurrence, clause: slice) -> bool:
        """Whether the harm at ``occurrence`` is to a child: a word of ``children`` in its
        words or in the few after them in its clause ("le voy a hacer daño al bebé")."""
        stop = min(clause.stop, occurrence.end + _CHILD_REACH)
        return not self._children.isdisjoint(words[occurrence.start : stop])

    def _everyday_in_its_clause(
        self,
        words: Sequence[str],
        marks: Mapping[str, list[bool]],
        found: Sequence[_Occurrence],
        not_negating: Sequence[bool],
    ) -> list[bool]:
        """For each occurrence, whether everyday words read in their clause
        (``everyday_in_clause``) explain it. Negated ("not in the game") they explain
        nothing, and they never explain harm to a child. Where the game is the harm's
        place, in its clause ("im going to kill him in fortnite tonight"), it explains it.
        A game that is a pastime beside the harm ("my brother plays roblox all day",
        "after we finish playing warzone", in the harm's clause or another) explains it
        only where no words say the harm is real ("..., im gonna kill him for real", "ya
        no es un juego") and the harm's clause names no time and no weapon ("im going to
        kill him tonight", "con el cuchillo")."""
        explained = [False] * len(found)
        for part in self._everyday_in_clause:
            everyday = marks.get(f"{_EVERYDAY}{part}")
            if everyday is None:
                continue
            games = [
                (start, end)
                for start, end in _runs(everyday)
                if not self._negated(words, start, not_negating)
            ]
            if not games:
                continue
            places = {
                _clause_around(words, start).start
                for start, _ in games
                if self._game_is_the_place(words, start)
            }
            real = any(
                not self._negated(words, start, not_negating)
                for start, _ in _runs(marks.get(f"{_REAL}{part}", [False] * len(words)))
            )
            for position, occurrence in enumerate(found):
                if occurrence.part != part:
                    continue
                clause = _clause_around(words, occurrence.start)
                if self._harms_a_child(words, occurrence, clause):
                    continue
                if clause.start in places:
                    explained[position] = True
                    continue
                planned = any(
                    (other.part in self._times or other.part in self._means)
                    and clause.start <= other.start < clause.stop
                    for other in found
                )
                explained[position] = not real and not planned
        return explained

    def _game_is_the_place(self, words: Sequence[str], start: int) -> bool:
        """Whether the game words at ``start`` say where the harm happens: they open with
        a word of ``game_places`` ("in fortnite") or follow one ("playing warzone"), and no
        word of time comes before that ("after playing warzone": only when)."""
        if words[start] in self._game_places:
            opener = start
        elif start > 0 and words[start - 1] in self._game_places:
            opener = start - 1
        else:
            return False
        return opener == 0 or words[opener - 1] not in self._game_times

    def _handed_over(
        self,
        words: Sequence[str],
        marks: Mapping[str, list[bool]],
        not_negating: Sequence[bool],
        found: Sequence[_Occurrence],
        is_explained: Sequence[bool],
    ) -> set[int]:
        """Positions in ``found`` of means handed over to be kept or got rid of, and of
        the verbs that hand them over: the safety plan working, not means at hand nor a
        possession given away. "i gave my dog away" names no means and stays a warning
        sign; "gave me his gun" hands means to the client and stays means. Both are
        left out of the message's combinations and counted as set aside.

        A hand-over still ahead ("i'm giving my gun to my brother tomorrow") has not
        put anything away yet, and an ending said outside the hand-over's clause ("gave
        my guns to my son, won't need them anymore": a possession given away with a
        warning) undoes every hand-over of the message: the means count again."""
        handover = marks.get(_HANDED_OVER)
        if handover is None:
            return set()
        ahead = marks.get(_AHEAD, [False] * len(words))
        starts = {o.start for o in found if o.part not in self._handover_verbs | self._qualifiers}
        endings = [
            o.start
            for o, e in zip(found, is_explained, strict=True)
            if o.part in self._handover_undoers and not e
        ]
        explained: set[int] = set()
        for position, occurrence in enumerate(found):
            if occurrence.part not in self._means:
                continue
            verb = _handover_verb_before(words, handover, occurrence.start, starts)
            if verb is None or self._negated(words, verb, not_negating):
                continue  # "when i wouldn't give him my pain meds": kept, not handed over
            clause = _clause_around(words, verb)
            if any(ahead[clause.start : occurrence.end]):
                continue
            if any(not clause.start <= ending < clause.stop for ending in endings):
                return set()
            explained.add(position)
            explained.update(
                other_position
                for other_position, other in enumerate(found)
                if other.part in self._handover_verbs and verb <= other.start < occurrence.start
            )
        return explained

    def _kept_means(
        self, words: Sequence[str], marks: Mapping[str, list[bool]]
    ) -> tuple[int, int] | None:
        """The first words undoing a hand-over that are about the means, as ``(start,
        end)``: a run of ``keeping`` verbs or of ``handover_undone`` phrases, or a having
        word with what is kept and a ``kept_left_over`` word ("i have some left", "tengo
        unas escondidas"). Someone else keeping them ("she hid them", "my mom is keeping
        them") or the hand-over's own purpose ("my guns to keep", "para que las guarde")
        is the safety plan working. What the client keeps is read by :meth:`_keeps_means`;
        any other run ("got another", "tengo otra", "buy some") is about the means only
        when followed, fillers passed over, by nothing, a means, a pronoun, a number or a
        word of ``keeping_continues`` ("tengo otras", "buy more tomorrow"), as "got another
        tattoo", "tengo otra cita" are everyday talk."""
        none = [False] * len(words)
        keeping = marks.get(_KEEPING, none)
        undone = marks.get(_TAKEN_BACK, none)
        either = [k or u for k, u in zip(keeping, undone, strict=True)]
        for start, end in _runs(either):
            if self._kept_by_others(words, start):
                continue
            if any(keeping[start:end]):
                if self._keeps_means(words, marks, end):
                    return start, end
                continue
            after = end
            while after < len(words) and words[after] in self._keeping_fillers:
                after += 1
            following = words[after] if after < len(words) else ""
            if (
                not following
                or following in _CLAUSE_BREAKS
                or following in self._keeping_continues
                or following.isdigit()
                or self._means_at(words, after)
            ):
                return start, end
        for index, _ in _runs(marks.get(_LEFT_OVER, ())):
            having = index - 1
            while having >= 0 and (
                words[having] in self._keeping_fillers
                or words[having].isdigit()
                or self._means_at(words, having)
            ):
                having -= 1
            if 0 <= having < index - 1 and any(
                part == _HAVING for part, _ in self._parts_at(words, having)
            ):
                return having, index + 1
        return None

    def _kept_by_others(self, words: Sequence[str], start: int) -> bool:
        """Whether the keeping verb at ``start`` is someone else's: a person before it,
        an auxiliary between ("she hid them", "my mom is keeping them", "you can keep
        them"), or the purpose of the hand-over ("gave my brother my guns to keep",
        "para que las guarde": a "to"/"que" after the means or the person, or a "que"
        with its clitics)."""
        back = start - 1
        if back > 0 and words[back] in self._keeping_auxiliaries:
            back -= 1
        if back >= 0 and not self._keeping_by_others.isdisjoint(_forms(words[back])):
            return True
        back = start - 1
        while back >= 0 and words[back] in self._clitics:
            back -= 1
        if back < 0 or words[back] not in self._kept_for:
            return False
        return back < start - 1 or (
            back > 0
            and (
                words[back - 1] in self._keeping_by_others
                or words[back - 1] in self._keeping_continues
                or self._means_at(words, back - 1)
            )
        )

    def _keeps_means(self, words: Sequence[str], marks: Mapping[str, list[bool]], end: int) -> bool:
        """Whether what a keeping verb ending at ``end`` keeps may be the means. Fillers,
        an amount ("a few", "enough", "like 10", "thirty") and an owner ("my
        therapist's") passed over, it is when nothing more is said up to the clause's end
        ("kept a few to take tonight", "unas que ella no sabe"), or when those words name
        it, or when they name no harmless thing (:meth:`_names_the_means`). With nothing
        passed over, only a means, a store (``kept_stores``: "kept spares"), a pronoun, a
        place or a time (``keeping_continues``) or nothing at all is: "kept busy", "kept
        myself safe", "todavía tengo terapia" are the safety plan working, and a
        ``kept_for`` word is a duty ("still have to tell my therapist", "todavía tengo
        que ir")."""
        amounts = marks.get(_KEPT_AMOUNT, [False] * len(words))
        after = end
        passed = words[end - 1] in self._keeping_fillers  # "kept some", "guardé unas"
        while after < len(words) and not amounts[after]:
            word = words[after]
            amount_end = min(
                (part_end for part, part_end in self._parts_at(words, after) if part == _AMOUNT),
                default=None,
            )
            if amount_end is not None:
                after = amount_end  # "enough" (not "enough to"), "a bunch", "40"
            elif (
                word in self._keeping_fillers
                or word.isdigit()
                or word in self._number_words
                or _POSSESSIVE.match(word)
            ):
                after += 1
            else:
                break
            passed = True
        if self._means_at(words, after) or self._means_at(words, after + 1):
            return True  # "my safety razor"
        if not passed and not (after < len(words) and amounts[after]):
            following = words[after] if after < len(words) else ""
            return (
                not following
                or following in _CLAUSE_BREAKS
                or following in self._kept_stores
                or (following in self._keeping_continues and following not in self._kept_for)
            )
        return self._names_the_means(words, marks, after)

    def _names_the_means(
        self, words: Sequence[str], marks: Mapping[str, list[bool]], index: int
    ) -> bool:
        """Whether the words kept from ``index`` on, up to a ``kept_for`` word, a place or
        a time (``keeping_continues``) or the clause's end, may be the means: unless they
        name a harmless thing (``kept_harmless``, the care or a person: "a list", "a
        photo", "receipts", "my appointment", "con mi tía") before any means part or
        amount of days. After
        means were handed over, an adjective, a container or a word not known ("the
        other one", "the big bottle", "a secret bottle") is read as the means: in doubt,
        the client is asked and the therapist paged."""
        none = [False] * len(words)
        amounts = marks.get(_KEPT_AMOUNT, none)
        harmless = marks.get(_KEPT_HARMLESS, none)
        for position in range(index, len(words)):
            word = words[position]
            if amounts[position] or self._means_at(words, position):
                return True
            if word in _CLAUSE_BREAKS or word in self._kept_for or word in self._keeping_continues:
                break
            if harmless[position] or word in self._the_care or self._a_person(word):
                return False
        return True

    def _means_at(self, words: Sequence[str], index: int) -> bool:
        """Whether a means part (``means_parts``) opens at ``index``."""
        return index < len(words) and any(
            part in self._means for part, _ in self._parts_at(words, index)
        )

    def _has_its_object(
        self,
        words: Sequence[str],
        marks: Mapping[str, list[bool]],
        part: str,
        start: int,
        end: int,
    ) -> bool:
        """Whether a part that an everyday object sets aside (``everyday_objects``) is
        about the client: "won't need my lithium / my cat / to see you / u after
        tonight" and a Spanish "ya no me va a hacer falta" with no object said are, but
        "won't need a ride / the car / dinner" is a plan, unless the message gives it
        away ("you can sell it", "véndelo"). The list is of everyday things and not of
        the care, because the care, a person, a pet or a possession given away can be
        named in more words than any list holds. A thing named with "my", "the" or "mi"
        is set aside too when the reason it is no longer needed is said
        (:meth:`_reason_given`: "my glasses after tomorrow, getting lasik"), unless it is
        the care or the means. Another subject ("she won't need her meds") sets it aside
        too, unless what they will not need is the client ("he won't need to worry about
        me anymore")."""
        everyday = self._everyday_objects.get(part)
        if everyday is None:
            return True
        after = end
        while after < len(words) and words[after] in self._object_fillers:
            after += 1
        thing = words[after] if after < len(words) else ""
        if (
            end < after < len(words)
            and words[end] != "to"
            and thing not in self._the_care
            and not self._parts_at(words, after)
            and self._reason_given(words, marks, after)
        ):
            return False  # "my glasses after tomorrow, getting lasik": a thing replaced
        if thing in everyday:
            return self._gives_it_away(words, marks, start, end, thing)
        if start and words[start - 1] in self._not_the_client:
            return self._about_the_client(words, part, start, end)
        return True

    def _reason_given(
        self, words: Sequence[str], marks: Mapping[str, list[bool]], index: int
    ) -> bool:
        """Whether the clause holding the thing at ``index`` or the next one says why it
        is no longer needed: a ``need_ended`` phrase ("getting lasik", "it's in the
        shop"), or an event of its own (``ended_events``) and its ending
        (``event_endings``) in one clause ("finals are done", "ya terminan los
        exámenes"). An ending with no event ("everything is over", "my days are done",
        "ya terminó todo") is none: it says what the warning sign says, and so is any
        reason when the client's own ending is said after the thing (``ending_shared``
        or FINALITY: "the semester ends and so do i", "my last shift. on earth"): in
        doubt, the no-need pages."""
        none = [False] * len(words)
        reasons = marks.get(_NEED_ENDED, none)
        events = marks.get(_ENDED_EVENT, none)
        endings = marks.get(_EVENT_ENDING, none)
        clause = _clause_around(words, index)
        if any(marks.get(_ENDING_SHARED, none)[clause.start :]) or any(
            part == _FINALITY
            for position in range(clause.start, len(words))
            for part, _ in self._parts_at(words, position)
        ):
            return False
        clauses = [clause]
        following = clause.stop
        while following < len(words) and words[following] in _CLAUSE_BREAKS:
            following += 1  # "after tonight... finals are done"
        if following < len(words):
            clauses.append(_clause_around(words, following))
        return any(any(reasons[c]) or (any(events[c]) and any(endings[c])) for c in clauses)

    def _gives_it_away(
        self,
        words: Sequence[str],
        marks: Mapping[str, list[bool]],
        start: int,
        end: int,
        thing: str,
    ) -> bool:
        """Whether the message gives ``thing`` away, anywhere outside the no-need at
        ``start:end``: a giving verb whose object is the thing, by a pronoun or by its
        name ("you can sell it", "my brother gets it", "take my truck") and not put in a
        place (:meth:`_put_in_a_place`: "ill leave it at the shop"), a ``giving_away``
        phrase ("its urs", "véndelo"), object pronouns before a verb of giving
        (:meth:`_clitics_give`: "se lo dejo a mi hermano", not "te lo devuelvo"), whose it
        is now (:meth:`_owned_by_someone`) or a part of ``giving_away_parts`` ("have my
        car", "where i'm going") that everyday talk does not explain ("goodnight"); none
        of them followed by a ``not_given_after`` word ("you can have it back", "take it
        easy", "get it washed"), nor a part by a copula that makes it a subject
        (``part_as_subject``: "where i'm going is walking distance")."""

        def given(phrase_end: int, not_after: AbstractSet[str] = self._not_given_after) -> bool:
            return phrase_end >= len(words) or words[phrase_end] not in not_after

        for index, word in enumerate(words):
            if word in self._giving_verbs and not start <= index < end:
                taken = index + 1
                while taken < len(words) and words[taken] in self._object_fillers:
                    taken += 1
                if (
                    taken < len(words)
                    and (words[taken] in self._given_objects or words[taken] == thing)
                    and given(taken + 1)
                    and not self._put_in_a_place(words, index, taken + 1)
                ):
                    return True
        if any(given(phrase_end) for _, phrase_end in _runs(marks.get(_GIVING, ()))):
            return True
        if any(
            self._clitics_give(words, phrase_end)
            for _, phrase_end in _runs(marks.get(_GIVING_CLITICS, ()))
        ):
            return True
        if any(
            self._owned_by_someone(words, start, end)
            for start, end in _runs(marks.get(_BELONGS, ()))
        ):
            return True
        return any(
            part in self._giving_parts
            and f"{_EVERYDAY}{part}" not in marks
            and given(part_end, self._not_given_after | self._part_as_subject)
            for index in range(len(words))
            if not start <= index < end
            for part, part_end in self._parts_at(words, index)
        )

    def _put_in_a_place(self, words: Sequence[str], verb: int, index: int) -> bool:
        """Whether the words from ``index`` on, right after the object of the giving verb
        at ``verb``, put the thing in a place (``not_given_places``: "ill leave it at the
        shop", "in the car"): a thing parked, not given. Not when someone else is the
        verb's subject, a few words before it ("you can have it in the morning", "my
        brother can take it at 5"), nor with a person in the rest of its clause or a time
        right after the place ("leave it at my sister's", "at home for you", "at 5")."""
        if index >= len(words) or words[index] not in self._not_given_places:
            return False
        subject = words[max(0, verb - _SUBJECT_REACH) : verb]
        someone = [*subject, *words[index : _clause_around(words, index).stop]]
        after = index + 1
        while after < len(words) and words[after] in self._object_fillers:
            after += 1
        return not (
            any(self._a_person(word) for word in someone)
            or any(
                part in self._times
                for position in range(index, min(after + 1, len(words)))
                for part, _ in self._parts_at(words, position)
            )
        )

    def _clitics_give(self, words: Sequence[str], index: int) -> bool:
        """Whether object pronouns ending at ``index`` (``giving_clitics``: "te lo", "se
        la") come before a verb of giving (``clitic_giving_verbs``, auxiliaries passed:
        "se lo dejo a mi hermano", "te lo voy a regalar"): not "te lo devuelvo mañana",
        "te la presto", the thing given back or lent."""
        while index < len(words) and words[index] in self._clitic_auxiliaries:
            index += 1
        return index < len(words) and words[index] in self._clitic_giving_verbs

    def _a_person(self, word: str) -> bool:
        """Whether ``word`` names a person of ``reported_speech`` or the one spoken to,
        as an owner too ("brothers", "dad's": the brother's)."""
        return not self._keeping_by_others.isdisjoint({*_forms(word), word.removesuffix("s")})

    def _owned_by_someone(self, words: Sequence[str], start: int, end: int) -> bool:
        """Whether "its"/"es de" (``belongs_to``) at ``start:end`` says it is someone
        else's now: fillers, then a person ("brothers", "mi hermano") ending the clause,
        with ``belongs_now`` before or after ("ahora es de mi hermano", "its my brothers
        now"). Without it, "it's my dad's" names whose it has always been."""
        index = end
        while index < len(words) and words[index] in self._object_fillers:
            index += 1
        if index >= len(words) or not self._a_person(words[index]):
            return False
        after = words[index + 1] if index + 1 < len(words) else ""
        if after in self._belongs_now:
            return True
        return (
            start > 0
            and words[start - 1] in self._belongs_now
            and (not after or after in _CLAUSE_BREAKS)
        )

    def _about_the_client(self, words: Sequence[str], part: str, start: int, end: int) -> bool:
        """Whether someone else's no-need is of the client ("he won't need to worry about
        me anymore", "they won't need me"): an ending of the client's all the same."""
        if part not in self._everyday_objects:
            return False
        clause = _clause_around(words, start)
        return any(word in self._client_words for word in words[end : clause.stop])

    def _tokens(self, text: str) -> list[re.Match[str]]:
        """The tokens of ``text`` without the emoji no phrase names: "end 🫠 myself" is
        "end myself", as "rope ✅ chair ✅" is a list of means ticked off."""
        return [
            match
            for match in _TOKEN.finditer(text)
            if not _is_symbol(match.group()) or match.group() in self._symbols
        ]

    def _words(self, normalized: NormalizedText, matches: Sequence[re.Match[str]]) -> list[str]:
        """The tokens as the parts read them: folded, except a word written with an accent
        that makes it another word ("me mató" is not "me mato")."""
        words = [_plain(match.group()) for match in matches]
        for index, word in enumerate(words):
            if word in self._accented:
                start, end = normalized.original_span(*matches[index].span())
                written = normalized.original[start:end].lower()
                if written in self._accented[word]:
                    words[index] = written
        return words

    def _parts_at(self, words: Sequence[str], index: int) -> list[tuple[str, int]]:
        forms = _forms(words[index])  # "dad's gun": the gun is at hand whoever owns it
        found = [(part, index + 1) for form in forms for part in self._single.get(form, ())]
        # Few words open a phrase of several: the others skip the pairwise look-up.
        if index + 1 < len(words) and not self._opens_multi.isdisjoint(forms):
            for first in forms:
                for second in _forms(words[index + 1]):
                    found.extend(
                        (part, index + len(phrase))
                        for phrase, part in self._multi.get((first, second), ())
                        if len(phrase) == 2 or _matches_at(words, index, phrase)
                    )
        word = words[index]
        if word.isdigit() and int(word) >= _MANY_FROM:
            found.append((_AMOUNT, index + 1))
        return found

    def _negated(self, words: Sequence[str], index: int, not_negating: Sequence[bool]) -> bool:
        """Whether a true negator comes shortly before ``index`` in its clause; the
        words ``not_negating`` marks (a pseudo-negation, a part) negate nothing. A line
        break is passed over: "not" alone on its line negates the next."""
        seen = 0
        for back in range(index - 1, -1, -1):
            if words[back] == _LINE_BREAK:
                continue  # "im\nnot\ngoing to kill myself": one sentence over three lines
            if seen == self._window or words[back] in _CLAUSE_BREAKS:
                return False
            if words[back] in self._negators and not not_negating[back]:
                return True
            seen += 1
        return False

    def _risk_at(self, words: Sequence[str], index: int) -> bool:
        """Whether a part that is risk by itself (not a time, an amount or a place, which
        only qualify others) opens at ``index``, not negated (quoted words aside: the
        caller knows which are reported)."""
        return any(part not in self._qualifiers for part, _ in self._parts_at(words, index)) and (
            not self._negated(words, index, [False] * len(words))
        )

    def _joked(
        self,
        words: Sequence[str],
        marks: Mapping[str, list[bool]],
        none: list[bool],
        quoted: Sequence[bool],
    ) -> list[bool]:
        """The tokens a joke takes back (:func:`_joked`), risk read as the parts read it:
        quoted words are someone else's. A time the parts read ("kms jk maybe soon",
        "es broma creo que el viernes") completes a hedge as ``hedge_complements`` do."""
        if _JOKES not in marks:
            return none
        complements = list(marks.get(_HEDGE_COMPLEMENTS, none))
        for index in range(len(words)):
            for part, end in self._parts_at(words, index):
                if part in self._times:
                    complements[index:end] = [True] * (end - index)
        return _joked(
            words,
            {**marks, _HEDGE_COMPLEMENTS: complements},
            none,
            lambda index: not (quoted and quoted[index]) and self._risk_at(words, index),
            lambda index: any(
                part in self._symptom_parts for part, _ in self._parts_at(words, index)
            ),
        )

    def _answered_yes(self, words: Sequence[str], marks: Mapping[str, list[bool]]) -> bool:
        """Whether the message answers a safety question yes: in words of ``answered_yes``,
        or by the first answer after the question, in its sentence or as the next
        sentence's first word: a yes word ("and yes sadly", "the answer is yes :(",
        "yess"; "si" only as :meth:`_says_yes` reads it), not a no ("i said no. yeah i'm
        just stressed", "le dije que no. si, me fue bien"). "yeah no" is no yes."""
        if _ANSWERED_YES in marks:
            return True
        asked = marks.get(_QUESTIONS)
        if asked is None or True not in asked:
            return False
        index = len(asked) - asked[::-1].index(True)
        next_sentence = False
        while index < len(words):
            word = words[index]
            if word in _SENTENCE_BREAKS:
                if next_sentence:
                    return False
                while index < len(words) and words[index] in _CLAUSE_BREAKS:
                    index += 1
                next_sentence = True
                continue
            if self._says_no(words, index):
                return False
            if self._says_yes(words, index):
                return True
            if next_sentence:
                return False
            index += 1
        return False

    def _says_no(self, words: Sequence[str], index: int) -> bool:
        """Whether the word at ``index`` answers no: a no word opening its clause or after
        a word of ``no_answered_after`` ("i said no", "y no")."""
        return _unstretched(words[index]) in self._no_words and (
            index == 0
            or words[index - 1] in _CLAUSE_BREAKS
            or words[index - 1] in self._no_answered_after
        )

    def _says_yes(self, words: Sequence[str], index: int) -> bool:
        """Whether the word at ``index`` answers yes and no no word follows it ("yeah no").
        "si" ("if" too) and "claro" only where they end the clause, a face or an emoji
        follows, or the answer is said again ("y sí lo he pensado", "sí, i am")."""
        word = _unstretched(words[index])
        following = words[index + 1] if index + 1 < len(words) else ""
        if _unstretched(following) in self._no_words:
            return False
        if word in self._yes_words:
            return True
        if word not in self._yes_words_alone:
            return False
        after = index + 1
        while after < len(words) and words[after] in self._clitics:
            after += 1
        return (
            not following
            or following in _CLAUSE_BREAKS
            or not following.replace("_", "").isalnum()
            or following.startswith("emoji_")
            or (after < len(words) and words[after] in self._yes_restated_by)
        )

    def _discounted_clauses(
        self,
        words: Sequence[str],
        marks: Mapping[str, list[bool]],
        none: list[bool],
        joked: list[bool],
    ) -> tuple[list[bool], list[bool], list[bool]]:
        """Which tokens do not count: for the parts, for the phrase rules, and the past.

        Parts do not count in a clause opened by someone else, or holding a report,
        a hypothesis or the past ("she asked if i was suicidal", "years ago"); a
        question asked is no report where the message answers it yes. The
        phrase rules read subjects and history themselves, so for them only reports,
        hypotheses, topics, low diary ratings ("urge to kill myself 0") and jokes are
        discounted, and the past is held at moderate. A joke ("(es broma)", "jk")
        discounts what it closes (``joked``), for the parts and the rules alike.
        """
        if not (marks.keys() & {_OTHERS, _MODIFIERS, _QUESTIONS, _PAST, _RATING}):
            return joked, joked, none
        others = marks.get(_OTHERS, none)
        asked = none if self._answered_yes(words, marks) else marks.get(_QUESTIONS, none)
        modified = [m or a for m, a in zip(marks.get(_MODIFIERS, none), asked, strict=True)]
        past = marks.get(_PAST, none)
        rating_terms = marks.get(_RATING, none)
        for_parts = [False] * len(words)
        for_rules = [False] * len(words)
        in_past = [False] * len(words)
        clause_start = 0
        opened_by_other = False
        for index, word in enumerate([*words, _END]):
            if word in _CLAUSE_BREAKS or word is _END:
                clause = slice(clause_start, index)
                width = index - clause_start
                rated = any(rating_terms[clause])
                low_rating = rated and any(_LOW_RATING.match(w) for w in words[clause])
                # A middling urge ("urge to kill myself 3") is a strong urge: moderate,
                # as the past is; the diary card acts from 4.
                mid_rating = rated and any(_MID_RATING.match(w) for w in words[clause])
                if any(modified[clause]) or low_rating:
                    for_parts[clause] = for_rules[clause] = [True] * width
                elif any(past[clause]) or mid_rating:
                    for_parts[clause] = in_past[clause] = [True] * width
                clause_start = index + 1
                opened_by_other = False
                continue
            opened_by_other = opened_by_other or others[index]
            for_parts[index] = for_parts[index] or opened_by_other or joked[index]
            for_rules[index] = for_rules[index] or joked[index]
        return for_parts, for_rules, in_past


def _joked(
    words: Sequence[str],
    marks: Mapping[str, list[bool]],
    none: list[bool],
    risk_at: Callable[[int], bool],
    taken_at: Callable[[int], bool],
) -> list[bool]:
    """The tokens a joke marker takes back: its own sentence up to the marker ("i want to
    die jk", "i'm fine jk" in "i'm fine jk. i took the whole bottle"), or the sentence
    before when the marker opens its sentence ("i want to die.\nlol jk"). Never what
    comes after it: "jk. i really took all my pills" is said once the joke is over.

    A joke takes back anything only when it ends the message or an ordinary sentence
    follows it ("gonna kms jk i love life", "jk i think ill order pizza"). Followed by a
    retraction anywhere ("kms jk... no for real", "jk... or not", "jk idk", "jk, i'm
    already here"), by a hedge that qualifies it (:func:`_hedged`: "jk maybe"), by a
    sad face right after it ("jk?", "jk...?", "jk 😭", "jk :'(", "jk T_T"), by risk of its
    own ("jk i have the rope ready"), or, when it takes back something swallowed, means
    or an act done ("i took the whole bottle jk", "i did it jk"), by an overdose's
    symptoms ("jk, everything is blurry", "jk i feel nauseous"), it is no joke: a client
    testing whether anyone takes them seriously."""
    jokes = marks.get(_JOKES)
    if jokes is None:
        return none
    retractions = marks.get(_RETRACTIONS, none)
    doubting = marks.get(_DOUBTING_MARKS, none)
    symptoms = marks.get(_SYMPTOMS, none)
    joked = [False] * len(words)
    for index, end in _runs(jokes):
        start = _sentence_start(words, index)
        if not any(word[0].isalnum() for word in words[start:index]):
            # Only symbols before it ("i want to die. 🙃 jk"): it closes the sentence before.
            start = _sentence_start(words, start - 1 if start else 0)
        # The marks right after it, a text face spelt with letters among them ("T_T", ":c").
        marks_after = end
        while marks_after < len(words) and (
            not words[marks_after][0].isalnum() or doubting[marks_after]
        ):
            marks_after += 1
        doubted = (
            any(retractions[end:])
            or any(doubting[end:marks_after])
            or _hedged(
                words,
                marks.get(_HEDGES, none),
                marks.get(_HEDGE_TAILS, none),
                marks.get(_HEDGE_COMPLEMENTS, none),
                marks_after,
            )
            or any(risk_at(after) for after in range(end, len(words)))
            or (any(symptoms[end:]) and any(taken_at(i) for i in range(start, index)))
        )
        if not doubted:
            joked[start:end] = [True] * (end - start)
    return joked


def _hedged(
    words: Sequence[str],
    hedges: Sequence[bool],
    tails: Sequence[bool],
    complements: Sequence[bool],
    index: int,
) -> bool:
    """Whether a hedge after a joke's marks at ``index`` (a laugh, "or"/"o" and marks
    passed over: "jk lol maybe", "jk or nah") qualifies the joke: it ends its sentence,
    nothing after it but marks, a laugh or its own complement, a time, "so" or a bare
    auxiliary ("jk maybe", "jk maybe lol", "jk maybe soon", "jk i think i will", "es
    broma... creo que sí"). A hedge that opens a sentence of its own, a verb and its
    object after it, is ordinary talk ("jk, i think i'll watch a movie", "es broma,
    creo que mejor me duermo")."""
    while (
        index < len(words)
        and not hedges[index]
        and (words[index] in _HEDGE_JOINERS or tails[index] or not words[index][0].isalnum())
    ):
        index += 1
    if index >= len(words) or not hedges[index]:
        return False
    while index < len(words) and hedges[index]:
        index += 1
    while index < len(words) and words[index] not in _SENTENCE_BREAKS:
        if words[index][0].isalnum() and not (tails[index] or complements[index]):
            return False
        index += 1
    return True


def _sentence_start(words: Sequence[str], index: int) -> int:
    """Where the sentence holding ``index`` begins, passing over the breaks just before
    it ("i want to die... jk": "..." ends the sentence, not a word of it)."""
    while index > 0 and words[index - 1] in _SENTENCE_BREAKS:
        index -= 1
    while index > 0 and words[index - 1] not in _SENTENCE_BREAKS:
        index -= 1
    return index


def _time_clauses_about_others(
    words: Sequence[str], marks: Mapping[str, list[bool]]
) -> list[tuple[int, int]]:
    """Token spans of clauses of time whose subject is someone else: from the opener
    ("as soon as", "cuando") to the end of the clause, when a person ("my mom",
    "everyone") comes within a few words of it and before any word of the client's."""
    openers = marks.get(_TIME_OPENER)
    people = marks.get(_PERSON)
    if openers is None or people is None:
        return []
    spans: list[tuple[int, int]] = []
    index = 0
    while index < len(words):
        if not openers[index] or (index and openers[index - 1]):
            index += 1
            continue
        end = index
        while end < len(words) and openers[end]:
            end += 1
        subject = next(
            (
                position
                for position in range(end, min(len(words), end + _TIME_CLAUSE_SUBJECT_REACH))
                if people[position]
                or words[position] in _FIRST_PERSON
                or words[position] in _CLAUSE_BREAKS
            ),
            None,
        )
        if subject is None or not people[subject]:
            index = end
            continue
        clause_end = next(
            (
                position
                for position in range(subject, len(words))
                if words[position] in _CLAUSE_BREAKS
            ),
            len(words),
        )
        spans.append((index, clause_end))
        index = clause_end
    return spans


def _reported_quotes(
    text: str,
    matches: Sequence[re.Match[str]],
    words: Sequence[str],
    marks: Mapping[str, list[bool]],
) -> list[bool]:
    """Tokens inside quotation marks that someone else said, or a meme, song or title.

    'my friend said "kms" when she dropped her phone', 'coworker: "i'm gonna kms"',
    'the "i want to die" cat meme': the words are reported, not the client's. A
    quotation the client said ("i texted my sister 'i want to die'") still counts.
    An empty list when there is nothing quoted.
    """
    if not (marks.keys() & {_SPEECH, _QUOTED_IN}) and ":" not in words:
        return []
    if sum(word in _QUOTE_MARKS for word in words) < 2:
        return []
    speakers = marks.get(_SPEAKERS)
    speech = marks.get(_SPEECH)
    quoted_in = marks.get(_QUOTED_IN)
    result: list[bool] = []
    sentence_start = 0
    index = 0
    while index < len(words):
        word = words[index]
        if word in _SENTENCE_BREAKS:
            sentence_start = index + 1
        opening = word in _QUOTE_MARKS and _opens_quote(text, matches[index])
        if not opening:
            index += 1
            continue
        close = next(
            (
                end
                for end in range(index + 1, min(len(words), index + 1 + _MAX_QUOTE))
                if words[end] in _QUOTE_MARKS or words[end] == "\n"
            ),
            None,
        )
        if close is None or words[close] == "\n":
            index += 1
            continue
        sentence_end = next(
            (end for end in range(close + 1, len(words)) if words[end] in _SENTENCE_BREAKS),
            len(words),
        )
        before = range(sentence_start, index)
        someone_said = (
            speakers is not None
            and speech is not None
            and any(speakers[i] for i in before)
            and any(speech[i] and (i == 0 or words[i - 1] not in _FIRST_PERSON) for i in before)
        )
        attributed = (
            index >= 2 and words[index - 1] == ":" and words[index - 2] not in _FIRST_PERSON
        )
        titled = quoted_in is not None and any(
            quoted_in[i] for i in range(sentence_start, sentence_end)
        )
        if someone_said or attributed or titled:
            if not result:
                result = [False] * len(words)
            result[index : close + 1] = [True] * (close + 1 - index)
        index = close + 1
    return result


def _opens_quote(text: str, match: re.Match[str]) -> bool:
    """A quotation mark at the start of a quotation, not an apostrophe ("dads' car")."""
    return match.group() != "'" or match.start() == 0 or not text[match.start() - 1].isalnum()


#: A low diary rating: "0", "2", "1/5", "3/10".
_LOW_RATING = re.compile(r"^(?:[0-2]|[0-2]/5|[0-3]/10)$")
_MID_RATING = re.compile(r"^(?:3|3/5|[4-6]/10)$")
_END = "\x00end"
#: Emoji become words of this prefix (``data/emoji.yml``); a wave is a sign-off.
_EMOJI = "emoji_"
#: The Unicode category of pictographs ("🫠", "✅", "♡"): not "+" in "20+".
_SYMBOL_CATEGORIES = frozenset({"So"})
#: Emoji newer than this Python's Unicode tables ("🫠") are read as pictographs too.
_NEWER_EMOJI = 0x1F000
_WAVE = "emoji_farewell"


def _everyday_parts(
    marks: Mapping[str, list[bool]], found: Sequence[_Occurrence], in_clause: AbstractSet[str]
) -> set[str]:
    """The parts that everyday talk anywhere in the message explains (not those of
    ``in_clause``, read where they are said). Everyday words that are all
    inside another part are that part's words, not everyday talk: "see ya" is ordinary,
    "see ya never" is a farewell made final; "goes to bed" in "as soon as my mom goes to
    bed" is the time of someone else's clause."""
    explained: set[str] = set()
    for kind, covered in marks.items():
        if not kind.startswith(_EVERYDAY):
            continue
        part = kind[len(_EVERYDAY) :]
        if part in in_clause:
            continue
        in_other_parts = [False] * len(covered)
        for occurrence in found:
            if occurrence.part != part:
                in_other_parts[occurrence.start : occurrence.end] = [True] * (
                    occurrence.end - occurrence.start
                )
        if any(c and not inside for c, inside in zip(covered, in_other_parts, strict=True)):
            explained.add(part)
    return explained


def _handover_verb_before(
    words: Sequence[str], handover: Sequence[bool], start: int, part_starts: AbstractSet[int]
) -> int | None:
    """Where the verb of handing over that governs the part at ``start`` begins: within
    ``_HANDOVER_REACH`` words before it in its clause, with no other part (something
    taken) nor the client as receiver in between; ``None`` if there is none."""
    for back in range(start - 1, max(start - 1 - _HANDOVER_REACH, -1), -1):
        word = words[back]
        if word in _CLAUSE_BREAKS or word in _TO_THE_CLIENT or back in part_starts:
            return None
        if handover[back]:
            while back > 0 and handover[back - 1]:
                back -= 1
            return back
    return None


def _clause_around(words: Sequence[str], index: int) -> slice:
    """The tokens of the clause holding ``index``."""
    start = index
    while start > 0 and words[start - 1] not in _CLAUSE_BREAKS:
        start -= 1
    end = index
    while end < len(words) and words[end] not in _CLAUSE_BREAKS:
        end += 1
    return slice(start, end)


def _runs(mask: Sequence[bool]) -> Iterator[tuple[int, int]]:
    """The ``(start, end)`` of each run of marked tokens in ``mask``, in order."""
    index = 0
    while index < len(mask):
        if not mask[index]:
            index += 1
            continue
        end = index
        while end < len(mask) and mask[end]:
            end += 1
        yield index, end
        index = end


def _spans(
    normalized: NormalizedText, matches: Sequence[re.Match[str]], skip: Sequence[bool]
) -> tuple[tuple[int, int], ...]:
    """Runs of skipped tokens as spans of the original text."""
    if not any(skip):  # the common case
        return ()
    spans: list[tuple[int, int]] = []
    for match, skipped in zip(matches, skip, strict=True):
        if not skipped:
            continue
        start, end = normalized.original_span(*match.span())
        if spans and spans[-1][1] >= start - 2:
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return tuple(spans)


def _span(
    normalized: NormalizedText, matches: Sequence[re.Match[str]], occurrence: _Occurrence
) -> tuple[int, int]:
    """Where an occurrence of a part is in the original text."""
    start, _ = normalized.original_span(*matches[occurrence.start].span())
    _, end = normalized.original_span(*matches[occurrence.end - 1].span())
    return start, end


def _shield(not_negating: list[bool], start: int, end: int) -> None:
    """Mark the words of a part that counts as negating nothing after it: the "won't" of
    "i won't be here" does not negate "tonight", nor "don't" in "don't try to find me"."""
    not_negating[start:end] = [True] * (end - start)


def _touches_any(span: tuple[int, int], spans: Sequence[tuple[int, int]]) -> bool:
    return any(start < span[1] and span[0] < end for start, end in spans)


def _position(evidence: Evidence) -> tuple[int, int, str]:
    return evidence.start, evidence.end, evidence.category


def _unstretched(word: str) -> str:
    """``word`` with each run of one letter written once: "yesss", "siii" are "yes", "si"."""
    return _STRETCHED.sub(r"\1", word)


def _is_symbol(token: str) -> bool:
    """Whether ``token`` is one pictograph or other symbol (not punctuation, which ends
    clauses)."""
    return len(token) == 1 and (
        unicodedata.category(token) in _SYMBOL_CATEGORIES or ord(token) >= _NEWER_EMOJI
    )


def _plain(token: str) -> str:
    return token.replace("\u2019", "'")


def _forms(word: str) -> tuple[str, ...]:
    """A word, and without its possessive ("dad's" → "dad") if it has one."""
    if "'" not in word:
        return (word,)
    possessive = _POSSESSIVE.match(word)
    return (word, possessive.group(1)) if possessive else (word,)


def _matches_at(words: Sequence[str], index: int, phrase: tuple[str, ...]) -> bool:
    if index + len(phrase) > len(words):
        return False
    for offset, wanted in enumerate(phrase):
        word = words[index + offset]
        if word != wanted:
            possessive = _POSSESSIVE.match(word)
            if possessive is None or possessive.group(1) != wanted:
                return False
    return True


def _repeats_previous(
    found: Sequence[_Occurrence], part: str, start: int, end: int, words: Sequence[str]
) -> bool:
    """Whether this is the same part said again at once: "bye bye" is one farewell, and so
    is a wave after the word ("bye 👋", "bye ✌️"), as people sign off; two farewells
    apart, or a symbol of death beside a wave ("⚰️👋"), are a goodbye (``farewell_twice``)."""
    if not found:
        return False
    previous = found[-1]
    if previous.part != part or previous.end != start:
        return False
    said, again = tuple(words[previous.start : previous.end]), tuple(words[start:end])
    return said == again or (again == (_WAVE,) and not said[-1].startswith(_EMOJI))


def _complete(
    combination: Combination, counts: Mapping[str, list[_Occurrence]]
) -> list[_Occurrence] | None:
    """The occurrences that complete ``combination``, or ``None`` if it is incomplete."""
    if any(counts.keys().isdisjoint(alternatives) for alternatives in combination.parts):
        return None
    used: list[_Occurrence] = []
    for alternatives in combination.parts:
        available = [
            occurrence
            for part in alternatives
            for occurrence in counts.get(part, ())
            if occurrence not in used and not _overlaps(occurrence, used)
        ]
        if not available:
            return None
        used.append(available[0])
    return used


def _overlaps(occurrence: _Occurrence, used: Sequence[_Occurrence]) -> bool:
    return any(occurrence.start < other.end and other.start < occurrence.end for other in used)


def _combination(entry: Any) -> Combination:
    if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
        raise LexiconError(f"frames.yml: a combination needs an id: {entry!r}")
    category = entry.get("category")
    if category not in CATEGORIES:
        raise LexiconError(f"frames.yml: {entry['id']}: unknown category {category!r}")
    parts = tuple(tuple(sorted(set(str(p).split("|")))) for p in entry.get("parts", ()))
    if not parts:
        raise LexiconError(f"frames.yml: {entry['id']}: needs parts")
    return Combination(entry["id"], parts, RiskLevel(entry["level"]), category)


def _read(path: Path) -> dict[str, Any]:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise LexiconError(f"{path.name}: cannot be read: {exc}") from exc
    if not isinstance(document, dict) or not isinstance(document.get("version"), int):
        raise LexiconError(f"{path.name}: must be a mapping with an integer 'version' key")
    return document


def _mapping(document: Mapping[str, Any], key: str) -> dict[str, list[Any]]:
    value = document.get(key)
    if not isinstance(value, dict) or not all(isinstance(v, list) for v in value.values()):
        raise LexiconError(f"frames.yml: '{key}' must map names to lists")
    return value


def _list(document: Mapping[str, Any], key: str) -> list[Any]:
    value = document.get(key)
    if not isinstance(value, list):
        raise LexiconError(f"frames.yml: '{key}' must be a list")
    return value
