"""The situation vocabulary and the cue words that recognise it in a client's message.

``skills_content/situations.yml`` names each situation a skill can fit
(``high_arousal``, ``asking_or_saying_no``, ...), the everyday words that
signal it in English and Spanish ("about to explode", "can't sleep", "no
puedo dormir"), how much it should steer the choice of skill, and which skills
DBT reaches for first there, with the reason a client reads. Cues are data so
that a clinician can review and extend them without touching code.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from bot.safety.spelling import SpellingCorrector
from bot.skills.files import SkillContentError, read_yaml
from bot.skills.text import sms_text, words

#: The situation file inside the skills content directory.
SITUATIONS_FILE: Final = "situations.yml"
#: Reasons are sent as they are: the same two-segment budget as a step.
REASON_MAX_CHARS: Final = 300
#: Only the start of a long message is read: situations are named early, and a
#: 10 kB message must cost no more than a short one.
MAX_WORDS: Final = 300
#: Misspelt words this long or longer are corrected towards cue words ("anxous").
SPELLING_MIN_LENGTH: Final = 6
#: Cue words this long or longer are worth recovering from a typo.
SPELLING_TARGET_MIN_LENGTH: Final = 7
#: Each further cue of the same situation adds this share of its weight (up to MAX_EXTRA_CUES).
EXTRA_CUE_SHARE: Final = 0.25
MAX_EXTRA_CUES: Final = 2


@dataclass(frozen=True)
class SuggestedSkill:
    """A skill DBT reaches for in a situation, and why, in words the client reads."""

    skill: str
    reason: str


@dataclass(frozen=True)
class Situation:
    """One tag of the vocabulary.

    Attributes:
        tag: the name skill files use in ``situations``.
        description: what it means, for the people who write content.
        weight: how strongly it steers the choice when several are recognised
            (high arousal outranks a plain emotion word: DBT says to bring the
            body down before skills that need a clear head).
        cues: word sequences that signal it, folded, every language together.
        suggest: the skills to offer first, best first.
    """

    tag: str
    description: str
    weight: float
    cues: tuple[tuple[str, ...], ...]
    suggest: tuple[SuggestedSkill, ...]


@dataclass(frozen=True)
class RecognisedSituation:
    """A situation found in a message: ``cues`` distinct cues matched, worth ``score``."""

    tag: str
    cues: int
    score: float


class SituationLexicon(Mapping[str, Situation]):
    """The vocabulary, and recognising it in a message.

    Args:
        situations: every situation, in the file's order.
        negators: words that cancel a cue right after them ("not angry").
        negation_window: how many words before a cue are searched for a negator.
        known_words: real words that look like a typo of a cue word ("explore"
            is not "explode") and are never corrected.
    """

    def __init__(
        self,
        situations: Sequence[Situation],
        negators: frozenset[str],
        negation_window: int,
        known_words: frozenset[str],
    ) -> None:
        self._situations = {situation.tag: situation for situation in situations}
        self._negators = negators
        self._negation_window = negation_window
        self._by_first_word: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for situation in situations:
            for cue in situation.cues:
                self._by_first_word.setdefault(cue[0], []).append((cue, situation.tag))
        vocabulary = {word for situation in situations for cue in situation.cues for word in cue}
        self._vocabulary = frozenset(vocabulary) | known_words
        self._spelling = SpellingCorrector(
            [w for w in vocabulary if w.isalpha() and len(w) >= SPELLING_TARGET_MIN_LENGTH],
            SPELLING_MIN_LENGTH,
        )

    def __getitem__(self, tag: str) -> Situation:
        return self._situations[tag]

    def __iter__(self) -> Iterator[str]:
        return iter(self._situations)

    def __len__(self) -> int:
        return len(self._situations)

    @property
    def tags(self) -> tuple[str, ...]:
        """Every tag, in the file's order."""
        return tuple(self._situations)

    def recognise(self, text: str) -> list[RecognisedSituation]:
        """The situations the message signals, strongest first (none if no cue matches)."""
        message = [self._corrected(word) for word in words(text)[:MAX_WORDS]]
        found: dict[str, set[tuple[str, ...]]] = {}
        for position, word in enumerate(message):
            for cue, tag in self._by_first_word.get(word, ()):
                if tuple(message[position : position + len(cue)]) != cue:
                    continue
                if self._negated(message, position, cue):
                    continue
                found.setdefault(tag, set()).add(cue)
        recognised = [
            RecognisedSituation(
                tag=tag,
                cues=len(cues),
                score=self._situations[tag].weight
                * (1 + EXTRA_CUE_SHARE * min(len(cues) - 1, MAX_EXTRA_CUES)),
            )
            for tag, cues in found.items()
        ]
        order = {tag: index for index, tag in enumerate(self._situations)}
        return sorted(recognised, key=lambda found: (-found.score, order[found.tag]))

    def _corrected(self, word: str) -> str:
        if word in self._vocabulary:
            return word
        return self._spelling.correct(word) or word

    def _negated(self, message: Sequence[str], position: int, cue: tuple[str, ...]) -> bool:
        """ "not angry", "no estoy enojado"; a cue that itself starts negated stands."""
        if cue[0] in self._negators:
            return False
        before = message[max(0, position - self._negation_window) : position]
        return any(word in self._negators for word in before)


def load_situations(path: Path) -> SituationLexicon:
    """Read and validate ``situations.yml``; errors name the file and the entry."""
    name = path.name
    document = read_yaml(path)
    if not isinstance(document, dict) or not isinstance(document.get("situations"), dict):
        raise SkillContentError(f"{name}: must be a mapping with a 'situations' mapping")
    window = document.get("negation_window")
    if not isinstance(window, int) or window < 0:
        raise SkillContentError(f"{name}: negation_window: must be a whole number")
    return SituationLexicon(
        [_situation(tag, entry, name) for tag, entry in document["situations"].items()],
        negators=_folded_words(document, "negators", name),
        negation_window=window,
        known_words=_folded_words(document, "known_words", name),
    )


def _folded_words(document: Mapping[str, Any], key: str, name: str) -> frozenset[str]:
    values = document.get(key)
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise SkillContentError(f"{name}: {key}: must be a list of quoted words")
    return frozenset(word for value in values for word in words(value))


def _situation(tag: Any, entry: Any, name: str) -> Situation:
    where = f"{name}: {tag}"
    if not isinstance(tag, str) or not tag.isidentifier() or not tag.islower():
        raise SkillContentError(f"{where}: tags are lower-case words joined by underscores")
    if not isinstance(entry, dict):
        raise SkillContentError(f"{where}: must be a mapping")
    unknown = sorted(set(entry) - {"description", "weight", "cues", "suggest"})
    if unknown:
        raise SkillContentError(f"{where}: unknown keys {unknown}")
    description = entry.get("description")
    if not isinstance(description, str) or not description.strip():
        raise SkillContentError(f"{where}: description: must be text")
    weight = entry.get("weight")
    if not isinstance(weight, (int, float)) or isinstance(weight, bool) or weight <= 0:
        raise SkillContentError(f"{where}: weight: must be a positive number")
    cues_by_language = entry.get("cues")
    if not isinstance(cues_by_language, dict) or "en" not in cues_by_language:
        raise SkillContentError(f"{where}: cues: must map languages (at least en) to lists")
    cues: list[tuple[str, ...]] = []
    for language, phrases in cues_by_language.items():
        if not isinstance(phrases, list) or not phrases:
            raise SkillContentError(f"{where}: cues.{language}: must be a non-empty list")
        for phrase in phrases:
            folded = tuple(words(phrase)) if isinstance(phrase, str) else ()
            if not folded:  # YAML reads a bare no/yes/on as a boolean
                raise SkillContentError(f"{where}: cues.{language}: {phrase!r} is not quoted text")
            cues.append(folded)
    suggest = entry.get("suggest", [])
    if not isinstance(suggest, list):
        raise SkillContentError(f"{where}: suggest: must be a list of skill and reason")
    suggested = []
    for index, item in enumerate(suggest):
        if not isinstance(item, dict) or set(item) != {"skill", "reason"}:
            raise SkillContentError(f"{where}: suggest[{index}]: needs exactly skill and reason")
        try:
            reason = sms_text(str(item["reason"]), REASON_MAX_CHARS)
        except ValueError as exc:
            raise SkillContentError(f"{where}: suggest[{index}].reason: {exc}") from None
        suggested.append(SuggestedSkill(skill=str(item["skill"]), reason=reason))
    return Situation(
        tag=tag,
        description=description.strip(),
        weight=float(weight),
        cues=tuple(dict.fromkeys(cues)),
        suggest=tuple(suggested),
    )
