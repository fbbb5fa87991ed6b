"""The compiled rules and suppressors, and finding where they match a message."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.safety.lexicon import Lexicon, RuleSpec, SuppressorSpec
from bot.safety.patterns import Pattern, compile_patterns
from bot.safety.tokens import Token


@dataclass(frozen=True)
class Hit:
    """A rule matched tokens ``start:end`` of a message."""

    rule: RuleSpec
    start: int
    end: int


@dataclass(frozen=True)
class Suppression:
    """Tokens ``start:end`` are figurative or benign: matches overlapping them are cancelled
    (``drop``) or held at moderate (``cap_moderate``)."""

    suppressor: SuppressorSpec
    start: int
    end: int

    def overlaps(self, hit: Hit) -> bool:
        """Whether the hit shares at least one token with this suppression."""
        return hit.start < self.end and self.start < hit.end


class RuleBook:
    """All rules and suppressors, compiled once at start-up."""

    def __init__(self, lexicon: Lexicon) -> None:
        classes = lexicon.classes
        self._rules = [
            (rule, tuple(p for source in rule.patterns for p in compile_patterns(source, classes)))
            for rule in lexicon.rules
        ]
        self._suppressors = [
            (suppressor, tuple(p for source in suppressor.patterns for p in compile_patterns(source, classes)))
            for suppressor in lexicon.suppressors
        ]

    def hits(self, tokens: Sequence[Token], tags: frozenset[str]) -> list[Hit]:
        """Every rule match; ``tags`` is the union of the tokens' tags (for the pre-check)."""
        return [
            Hit(rule, start, end)
            for rule, patterns in self._rules
            for start, end in _spans(patterns, tokens, tags)
        ]

    def suppressions(self, tokens: Sequence[Token], tags: frozenset[str]) -> list[Suppression]:
        """Every suppressor match."""
        return [
            Suppression(suppressor, start, end)
            for suppressor, patterns in self._suppressors
            for start, end in _spans(patterns, tokens, tags)
        ]


def _spans(patterns: tuple[Pattern, ...], tokens: Sequence[Token], tags: frozenset[str]) -> set[tuple[int, int]]:
    """Distinct spans matched by any of ``patterns``; patterns that cannot match are skipped."""
    spans: set[tuple[int, int]] = set()
    for pattern in patterns:
        if pattern.could_match(tags):
            spans.update(pattern.find_all(tokens))
    return spans
