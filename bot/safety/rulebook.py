"""The compiled rules and suppressors, and finding where they match a message.

Hundreds of flat patterns are too many to try on every message, so each is
filed under the tags of its most specific required word (its anchor): a
message is only tried against the patterns whose anchor it contains, which
for most messages is none at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from bot.safety.lexicon import Lexicon, RuleSpec, SuppressorSpec
from bot.safety.patterns import Pattern, compile_patterns
from bot.safety.tokens import Token

Owner = TypeVar("Owner", RuleSpec, SuppressorSpec)


@dataclass(frozen=True)
class Hit:
    """A rule matched tokens ``start:end`` of a message."""

    rule: RuleSpec
    start: int
    end: int


@dataclass(frozen=True)
class Suppression:
    """Tokens ``start:end`` are figurative or benign: matches overlapping them are
    cancelled (``drop``) or held at moderate (``cap_moderate``)."""

    suppressor: SuppressorSpec
    start: int
    end: int

    def overlaps(self, hit: Hit) -> bool:
        """Whether the hit shares at least one token with this suppression."""
        return hit.start < self.end and self.start < hit.end


class _PatternIndex(Generic[Owner]):
    """Patterns filed under their anchor tags."""

    def __init__(self, owned: Iterable[tuple[Owner, Pattern]], common_tags: frozenset[str]) -> None:
        self._owners: list[Owner] = []
        self._patterns: list[tuple[int, Pattern]] = []
        for owner, pattern in owned:
            if not self._owners or self._owners[-1] is not owner:
                self._owners.append(owner)
            self._patterns.append((len(self._owners) - 1, pattern))
        self._by_tag: dict[str, list[int]] = {}
        for position, (_, pattern) in enumerate(self._patterns):
            anchor = min(
                pattern.required, key=lambda accept: (len(accept & common_tags), len(accept))
            )
            for tag in anchor:
                self._by_tag.setdefault(tag, []).append(position)
        self._anchors = frozenset(self._by_tag)

    def matches(
        self, tokens: Sequence[Token], tags: frozenset[str]
    ) -> list[tuple[Owner, int, int]]:
        """``(owner, start, end)`` of every distinct match in the message."""
        candidates: set[int] = set()
        for tag in self._anchors.intersection(tags):
            candidates.update(self._by_tag[tag])
        found: set[tuple[int, int, int]] = set()
        for position in candidates:
            owner, pattern = self._patterns[position]
            if pattern.could_match(tags):
                found.update((owner, start, end) for start, end in pattern.find_all(tokens))
        return [(self._owners[owner], start, end) for owner, start, end in sorted(found)]


class RuleBook:
    """All rules and suppressors, compiled and indexed once at start-up.

    Args:
        lexicon: the data files.
        common_tags: tags of everyday words ("i", "to", "want"); a pattern is
            filed under a rarer word when it has one. This only affects speed.
    """

    def __init__(self, lexicon: Lexicon, common_tags: frozenset[str]) -> None:
        classes = lexicon.classes
        self._rules = _PatternIndex(
            (
                (rule, pattern)
                for rule in lexicon.rules
                for source in rule.patterns
                for pattern in compile_patterns(source, classes)
            ),
            common_tags,
        )
        self._suppressors = _PatternIndex(
            (
                (suppressor, pattern)
                for suppressor in lexicon.suppressors
                for source in suppressor.patterns
                for pattern in compile_patterns(source, classes)
            ),
            common_tags,
        )

    def hits(self, tokens: Sequence[Token], tags: frozenset[str]) -> list[Hit]:
        """Every rule match; ``tags`` is the union of the tokens' tags."""
        return [Hit(rule, start, end) for rule, start, end in self._rules.matches(tokens, tags)]

    def suppressions(self, tokens: Sequence[Token], tags: frozenset[str]) -> list[Suppression]:
        """Every suppressor match."""
        return [
            Suppression(s, start, end) for s, start, end in self._suppressors.matches(tokens, tags)
        ]
