"""Loads and validates the detector's data files (``bot/safety/data/*.yml``).

Word lists, slang, emoji, idioms and rules are clinical content reviewed like
code, so they live in versioned YAML rather than in Python. Every file carries
a ``version:`` key; a malformed file stops start-up with a message naming the
file and the entry, never a half-working detector.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.safety.assessment import CATEGORIES, RiskLevel
from bot.safety.normalize import fold

DATA_DIR = Path(__file__).resolve().parent / "data"

#: Files holding rules; each adds to the one rule book.
RULE_FILES: tuple[str, ...] = (
    "rules_ideation.yml",
    "rules_hopelessness.yml",
    "rules_self_harm.yml",
    "rules_plan_attempt.yml",
    "rules_abuse_violence.yml",
    "rules_es.yml",
)
#: Files holding suppressors: idioms, diary ratings, recovery talk, history.
SUPPRESSOR_FILES: tuple[str, ...] = ("idioms.yml", "suppressors.yml")
#: The file whose suppressors are figurative language (``SuppressorSpec.figurative``).
IDIOMS_FILE = "idioms.yml"

#: The class the analyzer gives a laugh of any length (``laughs`` in ``classes.yml``).
LAUGH_CLASS = "LAUGH"

_SUBJECTS = ("self", "any", "joined")
_EFFECTS = ("drop", "cap_moderate")


class LexiconError(ValueError):
    """A data file is missing, malformed or inconsistent."""


@dataclass(frozen=True)
class RuleSpec:
    """One rule as written in a ``rules_*.yml`` file (patterns not yet compiled).

    Attributes:
        id: unique name, used in tests and reviews.
        category: the clinical category it is evidence of, or ``None`` for a
            pure signal (means, timeline, goodbye) that only matters in combination.
        level: what it alone is worth.
        patterns: pattern strings (see :mod:`bot.safety.patterns`).
        signals: names of escalation signals it carries (``data/escalation.yml``).
        subject: ``self`` if it must be about the client (not "my friend ..."),
            ``any`` if the pattern itself says whose risk it is, ``joined`` if it is
            another person's own words ("she wants to kill herself") that count only
            where the client joins in ("... and so do i").
        negatable: whether "not"/"never"/"no" before it cancels it.
        topic_sensitive: whether a topic cue ("documentary", "essay") cancels it.
        suppressible: whether idioms and other suppressors may cancel it.
    """

    id: str
    category: str | None
    level: RiskLevel
    patterns: tuple[str, ...]
    signals: tuple[str, ...]
    subject: str
    negatable: bool
    topic_sensitive: bool
    suppressible: bool


@dataclass(frozen=True)
class SuppressorSpec:
    """Figurative or benign language that cancels (or caps) rule matches it overlaps."""

    id: str
    patterns: tuple[str, ...]
    effect: str
    #: An idiom (``idioms.yml``, unless it says ``figurative: false``): the words mean
    #: something else, so the parts of :mod:`bot.safety.frames` set them aside too.
    #: Diary ratings, recovery and accidents (``suppressors.yml``) and means in an
    #: everyday setting are read by the parts in their own way.
    figurative: bool = False
    #: Listed in ``idioms.yml``: an idiom keeps the learned model out of its own sentence
    #: only, so the model reads the rest of the message with it masked ("me quiero
    #: morir de pena. ya tengo las pastillas" still names the pills).
    idiom: bool = False
    #: The idiom's words never mean the firm rules' either (``overrules_firm``): a game
    #: won ("beat me at chess"), working out ("me mato en el gym"). A firm rule resists
    #: the broad idioms only ("kill me if", a laughed threat).
    overrules_firm: bool = False


@dataclass(frozen=True)
class UpgradeSpec:
    """Combinations that raise the level: e.g. ideation plus means at hand is imminent.

    Applies when every signal in ``signals`` was seen (at least ``min_signals``
    matches in all) and, if ``categories`` is not empty, one of them was found.
    """

    id: str
    signals: tuple[str, ...]
    categories: tuple[str, ...]
    min_signals: int
    level: RiskLevel
    add_category: str


@dataclass(frozen=True)
class Lexicon:
    """Everything the detector reads from its data files, validated."""

    classes: Mapping[str, frozenset[str]]
    rewrites: Mapping[str, tuple[str, ...]]
    case_sensitive_rewrites: Mapping[str, tuple[str, ...]]
    contextual_rewrites: Mapping[str, tuple[str, frozenset[str]]]
    multiword: Mapping[tuple[str, ...], str]
    lemma_overrides: Mapping[str, str]
    intensifiers: frozenset[str]
    emoji: Mapping[str, str]
    leet: Mapping[str, tuple[str, ...]]
    masks: frozenset[str]
    spelling_targets: frozenset[str]
    spelling_min_length: int
    sensitive_words: frozenset[str]
    common_words: frozenset[str]
    negation_window: int
    subject_window: int
    #: Patterns of the client joining in with what another person was just said to
    #: want or be ("so do i", "me too", "yo también"):
    #: :func:`bot.safety.context.client_joins_in`.
    joining: tuple[str, ...]
    rules: tuple[RuleSpec, ...]
    suppressors: tuple[SuppressorSpec, ...]
    upgrades: tuple[UpgradeSpec, ...]
    #: A whole word that is a laugh: the one reading of laughs (``laughs_pattern``).
    laugh: re.Pattern[str]

    @property
    def vocabulary(self) -> frozenset[str]:
        """Every single word the data files know, for segmenting run-together words."""
        words = {word for members in self.classes.values() for word in members}
        words.update(self.rewrites)
        return frozenset(words)


def load_lexicon(data_dir: Path = DATA_DIR) -> Lexicon:
    """Read and validate every data file in ``data_dir``."""
    classes_doc = _read(data_dir, "classes.yml")
    context_doc = _read(data_dir, "context.yml")
    word_classes = _word_lists(classes_doc, "classes", "classes.yml")
    context_classes = _word_lists(context_doc, "classes", "context.yml")
    _check_unique([*word_classes, *context_classes, LAUGH_CLASS], "class name")
    # Its members are no list: the analyzer gives it to a word ``laughs`` matches.
    classes = {**word_classes, **context_classes, LAUGH_CLASS: frozenset[str]()}
    slang_doc = _read(data_dir, "slang.yml")
    spelling_doc = _read(data_dir, "spelling.yml")
    obfuscation_doc = _read(data_dir, "obfuscation.yml")
    emoji_doc = _read(data_dir, "emoji.yml")

    rules: list[RuleSpec] = []
    for name in RULE_FILES:
        rules.extend(_rules(_read(data_dir, name), name))
    suppressors: list[SuppressorSpec] = []
    for name in SUPPRESSOR_FILES:
        suppressors.extend(_suppressors(_read(data_dir, name), name))
    upgrades = _upgrades(_read(data_dir, "escalation.yml"))
    _check_unique([r.id for r in rules] + [s.id for s in suppressors], "rule/suppressor id")

    targets = frozenset(fold(word) for word in _list(spelling_doc, "targets", "spelling.yml"))
    too_short = sorted(word for word in targets if len(word) < 4)
    if too_short:
        raise LexiconError(f"spelling.yml: targets must have at least 4 letters: {too_short}")
    sensitive = targets | frozenset(
        fold(word) for word in _list(obfuscation_doc, "extra_words", "obfuscation.yml")
    )
    return Lexicon(
        classes=classes,
        rewrites=_phrase_map(slang_doc, "rewrites", fold_keys=True),
        case_sensitive_rewrites=_phrase_map(slang_doc, "case_sensitive", fold_keys=False),
        contextual_rewrites=_contextual_rewrites(slang_doc),
        multiword={
            tuple(key.split()): value[0]
            for key, value in _phrase_map(slang_doc, "multiword", fold_keys=True).items()
        },
        lemma_overrides={
            key: value[0] for key, value in _phrase_map(slang_doc, "lemmas", fold_keys=True).items()
        },
        intensifiers=frozenset(fold(str(w)) for w in _list(slang_doc, "intensifiers", "slang.yml")),
        emoji={
            key.replace("\ufe0f", ""): str(value)
            for key, value in _mapping(emoji_doc, "emoji", "emoji.yml").items()
        },
        leet={
            str(key): tuple(str(value))
            for key, value in _mapping(obfuscation_doc, "leet", "obfuscation.yml").items()
        },
        masks=frozenset(str(obfuscation_doc.get("masks", ""))),
        spelling_targets=targets,
        spelling_min_length=_int(spelling_doc, "min_length", "spelling.yml"),
        sensitive_words=sensitive,
        common_words=frozenset(
            fold(str(w)) for w in _list(context_doc, "common_words", "context.yml")
        ),
        negation_window=_int(context_doc, "negation_window", "context.yml"),
        subject_window=_int(context_doc, "subject_window", "context.yml"),
        joining=tuple(str(p) for p in _list(context_doc, "joining", "context.yml")),
        rules=tuple(rules),
        suppressors=tuple(suppressors),
        upgrades=upgrades,
        laugh=laughs_pattern(classes_doc, "classes.yml"),
    )


def laughs_pattern(document: Mapping[str, Any], name: str) -> re.Pattern[str]:
    """The ``laughs`` of ``classes.yml`` as one expression to match a whole word with:
    texters stretch a laugh to any length ("jajajajaja"), so no list of words holds
    them, and every reader (the analyzer, the parts) takes them from here."""
    value = document.get("laughs")
    if not isinstance(value, list) or not value:
        raise LexiconError(f"{name}: 'laughs' must be a non-empty list")
    try:
        return re.compile("|".join(f"(?:{pattern})" for pattern in value))
    except re.error as exc:
        raise LexiconError(f"{name}: laughs: {exc}") from exc


@dataclass(frozen=True)
class AnswerWords:
    """The words the follow-up reads in answers to its own safety questions
    (``answers.yml``; ``bot.safety.followup``), and the one list of laughs."""

    #: Warm faces, hearts and hands: warmth beside a plain yes or a plain no alike.
    warm_emoji: frozenset[str]
    #: Thanks phrases after an answer ("thanks for asking", "gracias por preguntar").
    thanks: tuple[str, ...]
    #: How they are after a no that opens the answer ("fine", "safe", "better").
    well: tuple[str, ...]
    #: The same in Spanish, only after a no set apart by punctuation ("bien", "mejor").
    well_apart: tuple[str, ...]
    #: A whole word that is a laugh (``laughs`` in ``classes.yml``).
    laugh: re.Pattern[str]
    #: The negation vocabulary: a no that answers ("no", "nope"), one that only answers
    #: ("n"), words that negate ("not", "never"), Spanish negative concord ("nada", "ni"),
    #: the stems of the negative contractions ("do" of "don't", "dont") and their misspellings.
    no_answers: tuple[str, ...]
    no_answers_alone: tuple[str, ...]
    negators: tuple[str, ...]
    negative_concord: tuple[str, ...]
    contraction_stems: tuple[str, ...]
    contraction_misspellings: tuple[str, ...]


def load_answer_words(data_dir: Path = DATA_DIR) -> AnswerWords:
    """Read ``answers.yml`` (and the laughs of ``classes.yml``) from ``data_dir``."""
    name = "answers.yml"
    document = _read(data_dir, name)

    def phrases(key: str) -> tuple[str, ...]:
        values = _list(document, key, name)
        if not values or not all(isinstance(value, str) and value.strip() for value in values):
            raise LexiconError(f"{name}: '{key}' must be a non-empty list of words")
        return tuple(" ".join(str(value).lower().split()) for value in values)

    warm = phrases("warm_emoji")
    not_one_symbol = [value for value in warm if len(value.replace("\ufe0f", "")) != 1]
    if not_one_symbol:
        raise LexiconError(f"{name}: warm_emoji must be single emoji: {not_one_symbol}")
    return AnswerWords(
        warm_emoji=frozenset(value.replace("\ufe0f", "") for value in warm),
        thanks=phrases("thanks"),
        well=phrases("well"),
        well_apart=phrases("well_apart"),
        laugh=laughs_pattern(_read(data_dir, "classes.yml"), "classes.yml"),
        no_answers=phrases("no_answers"),
        no_answers_alone=phrases("no_answers_alone"),
        negators=phrases("negators"),
        negative_concord=phrases("negative_concord"),
        contraction_stems=phrases("contraction_stems"),
        contraction_misspellings=phrases("contraction_misspellings"),
    )


def _read(data_dir: Path, name: str) -> dict[str, Any]:
    path = data_dir / name
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise LexiconError(f"{name}: cannot be read: {exc}") from exc
    if not isinstance(document, dict) or not isinstance(document.get("version"), int):
        raise LexiconError(f"{name}: must be a mapping with an integer 'version' key")
    return document


def _mapping(document: dict[str, Any], key: str, name: str) -> dict[Any, Any]:
    value = document.get(key)
    if not isinstance(value, dict):
        raise LexiconError(f"{name}: '{key}' must be a mapping")
    return value


def _list(document: dict[str, Any], key: str, name: str) -> list[Any]:
    value = document.get(key)
    if not isinstance(value, list):
        raise LexiconError(f"{name}: '{key}' must be a list")
    return value


def _int(document: dict[str, Any], key: str, name: str) -> int:
    value = document.get(key)
    if not isinstance(value, int) or value < 0:
        raise LexiconError(f"{name}: '{key}' must be a whole number")
    return value


def _word_lists(document: dict[str, Any], key: str, name: str) -> dict[str, frozenset[str]]:
    result = {}
    for class_name, words in _mapping(document, key, name).items():
        if not isinstance(words, list) or not words:
            raise LexiconError(f"{name}: class {class_name} must be a non-empty list")
        not_text = [word for word in words if not isinstance(word, str)]
        if not_text:  # YAML reads a bare no/on/off/yes as a boolean: quote them
            raise LexiconError(f"{name}: class {class_name} holds non-words {not_text}; quote them")
        folded = frozenset(fold(str(word)) for word in words)
        phrases = sorted(word for word in folded if " " in word)
        if phrases:
            raise LexiconError(
                f"{name}: class {class_name} holds phrases {phrases}; use slang.yml multiword"
            )
        result[str(class_name)] = folded
    return result


def _phrase_map(document: dict[str, Any], key: str, fold_keys: bool) -> dict[str, tuple[str, ...]]:
    result = {}
    for source, target in _mapping(document, key, "slang.yml").items():
        if not isinstance(source, str) or not isinstance(target, str):
            raise LexiconError(f"slang.yml: {key}: {source!r}: {target!r} must both be quoted text")
        words = tuple(fold(str(target)).split())
        if not words:
            raise LexiconError(f"slang.yml: {key}: {source!r} has an empty replacement")
        result[fold(str(source)) if fold_keys else str(source)] = words
    return result


def _contextual_rewrites(document: dict[str, Any]) -> dict[str, tuple[str, frozenset[str]]]:
    result = {}
    for word, entry in _mapping(document, "after", "slang.yml").items():
        if not isinstance(entry, dict) or not isinstance(entry.get("to"), str):
            raise LexiconError(f"slang.yml: after: {word!r} needs 'to' and 'after'")
        previous = _list(entry, "after", f"slang.yml: after: {word!r}")
        result[fold(str(word))] = (fold(entry["to"]), frozenset(fold(str(p)) for p in previous))
    return result


def _rules(document: dict[str, Any], name: str) -> list[RuleSpec]:
    specs = []
    for entry in _list(document, "rules", name):
        rule_id = _entry_id(entry, name)
        known = {
            "id",
            "category",
            "level",
            "patterns",
            "signals",
            "subject",
            "negatable",
            "topic_sensitive",
            "suppressible",
        }
        _no_unknown_keys(entry, known, f"{name}: {rule_id}")
        category = entry.get("category")
        if category is not None and category not in CATEGORIES:
            raise LexiconError(f"{name}: {rule_id}: unknown category {category!r}")
        try:
            level = RiskLevel(entry.get("level", "none"))
        except ValueError as exc:
            raise LexiconError(f"{name}: {rule_id}: unknown level {entry.get('level')!r}") from exc
        signals = tuple(str(s) for s in entry.get("signals", ()))
        if (category is None) != (level is RiskLevel.NONE):
            raise LexiconError(
                f"{name}: {rule_id}: a category needs a level above none, and vice versa"
            )
        if category is None and not signals:
            raise LexiconError(f"{name}: {rule_id}: a rule without a category must carry signals")
        subject = entry.get("subject", "self")
        if subject not in _SUBJECTS:
            raise LexiconError(f"{name}: {rule_id}: subject must be one of {_SUBJECTS}")
        specs.append(
            RuleSpec(
                id=rule_id,
                category=category,
                level=level,
                patterns=_patterns(entry, name, rule_id),
                signals=signals,
                subject=subject,
                negatable=bool(entry.get("negatable", True)),
                topic_sensitive=bool(entry.get("topic_sensitive", False)),
                suppressible=bool(entry.get("suppressible", True)),
            )
        )
    return specs


def _suppressors(document: dict[str, Any], name: str) -> list[SuppressorSpec]:
    specs = []
    for entry in _list(document, "suppressors", name):
        suppressor_id = _entry_id(entry, name)
        _no_unknown_keys(
            entry,
            {"id", "patterns", "effect", "figurative", "overrules_firm"},
            f"{name}: {suppressor_id}",
        )
        effect = entry.get("effect", "drop")
        if effect not in _EFFECTS:
            raise LexiconError(f"{name}: {suppressor_id}: effect must be one of {_EFFECTS}")
        patterns = _patterns(entry, name, suppressor_id)
        figurative = bool(entry.get("figurative", name == IDIOMS_FILE))
        overrules_firm = bool(entry.get("overrules_firm", False))
        specs.append(
            SuppressorSpec(
                suppressor_id, patterns, effect, figurative, name == IDIOMS_FILE, overrules_firm
            )
        )
    return specs


def _upgrades(document: dict[str, Any]) -> tuple[UpgradeSpec, ...]:
    specs = []
    for entry in _list(document, "upgrades", "escalation.yml"):
        upgrade_id = _entry_id(entry, "escalation.yml")
        known = {"id", "signals", "categories", "min_signals", "level", "add_category"}
        _no_unknown_keys(entry, known, f"escalation.yml: {upgrade_id}")
        categories = tuple(entry.get("categories", ()))
        add_category = entry.get("add_category")
        unknown = [c for c in (*categories, add_category) if c not in CATEGORIES]
        if unknown:
            raise LexiconError(f"escalation.yml: {upgrade_id}: unknown categories {unknown}")
        signals = tuple(str(s) for s in entry.get("signals", ()))
        if not signals:
            raise LexiconError(f"escalation.yml: {upgrade_id}: needs at least one signal")
        specs.append(
            UpgradeSpec(
                id=upgrade_id,
                signals=signals,
                categories=categories,
                min_signals=int(entry.get("min_signals", 1)),
                level=RiskLevel(entry["level"]),
                add_category=str(add_category),
            )
        )
    return tuple(specs)


def _entry_id(entry: Any, name: str) -> str:
    if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
        raise LexiconError(f"{name}: every entry needs a string 'id': {entry!r}")
    return str(entry["id"])


def _patterns(entry: dict[str, Any], name: str, entry_id: str) -> tuple[str, ...]:
    patterns = entry.get("patterns")
    if (
        not isinstance(patterns, list)
        or not patterns
        or not all(isinstance(p, str) for p in patterns)
    ):
        raise LexiconError(f"{name}: {entry_id}: 'patterns' must be a non-empty list of strings")
    return tuple(patterns)


def _no_unknown_keys(entry: dict[str, Any], known: set[str], where: str) -> None:
    unknown = sorted(set(entry) - known)
    if unknown:
        raise LexiconError(f"{where}: unknown keys {unknown}")


def _check_unique(ids: list[str], what: str) -> None:
    duplicates = sorted(name for name, count in Counter(ids).items() if count > 1)
    if duplicates:
        raise LexiconError(f"duplicate {what}s: {duplicates}")
