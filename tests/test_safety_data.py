"""The detector's data files: versioned, valid, and rejected loudly when broken."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from bot.safety.assessment import CATEGORIES
from bot.safety.lexicon import DATA_DIR, LexiconError, load_answer_words, load_lexicon
from bot.safety.patterns import ClauseEnd, PatternError, compile_patterns
from bot.safety.rulebook import RuleBook
from bot.safety.tokens import Token

CLASSES = {"WANT": frozenset({"want"}), "DIE": frozenset({"die"}), "NEGATION": frozenset({"not"})}


def _tokens(*words: str) -> list[Token]:
    """Minimal tokens: a word's tags are the word and its test class."""
    tokens = []
    for word in words:
        tags = {word, *(f"@{name}" for name, members in CLASSES.items() if word in members)}
        is_break = word in {",", ".", "but"}
        tokens.append(
            Token(word, word, frozenset(tags), 0, 0, word == ".", is_break, not word.isalpha())
        )
    return tokens


@pytest.mark.parametrize("path", sorted(DATA_DIR.glob("*.yml")), ids=lambda p: p.name)
def test_every_data_file_carries_a_version(path: Path) -> None:
    assert isinstance(yaml.safe_load(path.read_text(encoding="utf-8"))["version"], int)


def test_every_rule_names_a_known_category_and_compiles() -> None:
    lexicon = load_lexicon()
    assert {rule.category for rule in lexicon.rules if rule.category} <= set(CATEGORIES)
    RuleBook(lexicon, frozenset())


def test_every_category_but_the_learned_one_has_at_least_one_rule() -> None:
    learned_only = {"learned_risk"}  # the model's category: no rule reports it
    assert {rule.category for rule in load_lexicon().rules} >= set(CATEGORIES) - learned_only


@pytest.mark.parametrize(
    ("file", "old", "new", "message"),
    [
        (
            "rules_ideation.yml",
            "category: passive_ideation",
            "category: sadness",
            "unknown category",
        ),
        ("classes.yml", '"off"', "off", "quote them"),
        ("emoji.yml", "version: 1", "", "version"),
        (
            "rules_self_harm.yml",
            "negatable: false",
            "negatable: false\n    colour: red",
            "unknown keys",
        ),
    ],
)
def test_a_broken_data_file_stops_start_up_with_a_clear_message(
    tmp_path: Path, file: str, old: str, new: str, message: str
) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    path = data / file
    original = path.read_text(encoding="utf-8")
    assert old in original
    path.write_text(original.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(LexiconError, match=message):
        load_lexicon(data)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('"🙂", "😊"', '"🙂😊"', "single emoji"),
        ('"nope", "nah"', "nope, no", "non-empty list of words"),
        ("negators:", "negator:", "'negators' must be a list"),
    ],
)
def test_a_broken_answers_file_stops_start_up_with_a_clear_message(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    """The follow-up's words (``answers.yml``) fail as loudly as the detector's: an unquoted
    ``no`` is YAML's false, two emoji in one entry no emoji."""
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    path = data / "answers.yml"
    original = path.read_text(encoding="utf-8")
    assert old in original
    path.write_text(original.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(LexiconError, match=f"answers.yml: .*{message}"):
        load_answer_words(data)


@pytest.mark.parametrize("source", ["@WANT to @NOPE", "(want|die", "...2 die", "die?", "want ...2"])
def test_a_malformed_pattern_is_rejected(source: str) -> None:
    with pytest.raises(PatternError):
        compile_patterns(source, CLASSES)


def test_groups_expand_to_one_pattern_per_choice() -> None:
    patterns = compile_patterns("i (want to|wanna)? @DIE", CLASSES)
    assert [p.source.split() for p in patterns] == [
        ["i", "want", "to", "@DIE"],
        ["i", "wanna", "@DIE"],
        ["i", "@DIE"],
    ]


def test_gaps_do_not_skip_a_negation_or_cross_a_clause_break() -> None:
    (pattern,) = compile_patterns("@WANT ...2 @DIE", CLASSES)
    assert pattern.find_all(_tokens("want", "to", "die")) == [(0, 3)]
    assert pattern.find_all(_tokens("want", "not", "die")) == []
    assert pattern.find_all(_tokens("want", ",", "die")) == []


def test_clause_end_matches_punctuation_or_the_end_of_the_message() -> None:
    (pattern,) = compile_patterns("@WANT to @DIE $", CLASSES)
    assert isinstance(pattern.steps[-1], ClauseEnd)
    assert pattern.find_all(_tokens("want", "to", "die")) == [(0, 3)]
    assert pattern.find_all(_tokens("want", "to", "die", ".")) == [(0, 3)]
    assert pattern.find_all(_tokens("want", "to", "die", "my", "hair")) == []
