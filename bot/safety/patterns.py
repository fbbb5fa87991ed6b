"""A small pattern language over tagged tokens, and its matcher.

Rules in ``data/rules_*.yml`` are written as readable token sequences::

    "@WANT to @DIE"                 # a class, a literal word, a class
    "@KILL @SELF"                   # "kill myself", "unalive myself", "k*ll my self"
    "@WANT ...2 @SH_ACT $"          # up to two other words in between, then end of clause
    "cut too|really|so? deep"       # alternatives; a trailing ? makes an element optional

* ``word`` matches a token whose normal form or lemma is ``word``;
* ``@NAME`` matches a token in word class ``NAME`` (``data/classes.yml``);
* ``a|b|@C`` matches any of them; a trailing ``?`` makes the element optional;
* ``(ready to die|want to die|dead)`` is a choice of phrases, ``(...)?`` an optional one;
  a group is expanded into one flat pattern per choice when the rules are loaded;
* ``...N`` skips up to N tokens, never across a clause break (``,`` ``.`` "but") and
  never over a negation (``would ...2 hurt myself`` must not read "would never hurt myself");
* a line break is a space to a pattern ("i want\nto die"), and also a place where ``$``
  matches;
* ``$`` matches at the end of a clause (punctuation, "and", "lol", end of message),
  also as an alternative: ``$|anymore`` is the end of the clause or the word "anymore".

Compiled patterns know which tags they require, so the detector skips rules
that cannot match a message without trying them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.safety.normalize import fold
from bot.safety.tokens import Token

_GAP = re.compile(r"^\.\.\.(\d+)$")
_NEGATION = "@NEGATION"
_GROUP = re.compile(r"\(([^()]*)\)(\?)?")
#: A pattern whose groups expand to more flat patterns than this is a mistake.
_MAX_EXPANSIONS = 256
_LITERAL = re.compile(r"^[a-z0-9_'/?!.,:;-]+$")


class PatternError(ValueError):
    """A pattern in the data files is malformed or names an unknown class."""


@dataclass(frozen=True)
class Element:
    """One token position: the tags it accepts, and whether it may be absent.

    With ``or_clause_end`` it is also satisfied, without consuming a token, at
    the end of a clause.
    """

    accept: frozenset[str]
    optional: bool = False
    or_clause_end: bool = False


@dataclass(frozen=True)
class Gap:
    """Up to ``max_tokens`` tokens of anything within the clause."""

    max_tokens: int


@dataclass(frozen=True)
class ClauseEnd:
    """Zero-width: the next token ends the clause, or there is none."""


Step = Element | Gap | ClauseEnd


@dataclass(frozen=True)
class Pattern:
    """A compiled pattern: its steps and the tag sets a message must contain."""

    source: str
    steps: tuple[Step, ...]
    required: tuple[frozenset[str], ...]

    def could_match(self, tags: frozenset[str] | set[str]) -> bool:
        """Cheap pre-check: every required element has a candidate token somewhere."""
        return not any(map(tags.isdisjoint, self.required))  # no Python frame per element

    def match_at(self, tokens: Sequence[Token], index: int) -> int | None:
        """The end of the shortest match starting at token ``index``, or ``None``."""
        end = _match(self.steps, 0, tokens, index)
        return end if end is not None and end > index else None

    def find_all(self, tokens: Sequence[Token]) -> list[tuple[int, int]]:
        """Non-overlapping ``(start, end)`` token spans, shortest match at each start."""
        # A match must start on a token the first word accepts (unless that word may be
        # absent or a clause end): most tokens are passed over without a matching attempt.
        first = self.steps[0]
        opening = (
            first.accept
            if isinstance(first, Element) and not first.optional and not first.or_clause_end
            else None
        )
        spans = []
        index = 0
        while index < len(tokens):
            if opening is not None and opening.isdisjoint(tokens[index].tags):
                index += 1
                continue
            end = _match(self.steps, 0, tokens, index)
            if end is not None and end > index:
                spans.append((index, end))
                index = end
            else:
                index += 1
        return spans


def compile_patterns(source: str, classes: Mapping[str, frozenset[str]]) -> tuple[Pattern, ...]:
    """Compile one pattern string, expanding its ``( | )`` groups; mistakes fail loudly."""
    return tuple(_compile_flat(flat, source, classes) for flat in _expand_groups(source))


def _expand_groups(source: str) -> list[str]:
    """ "a (b c|d)? e" → ["a b c e", "a d e", "a e"]."""
    group = _GROUP.search(source)
    if group is None:
        if "(" in source or ")" in source:
            raise PatternError(f"unbalanced or nested parentheses in pattern {source!r}")
        return [source]
    choices = [choice.strip() for choice in group.group(1).split("|")]
    if group.group(2):
        choices.append("")
    expanded = []
    for choice in choices:
        expanded.extend(
            _expand_groups(f"{source[: group.start()]} {choice} {source[group.end() :]}")
        )
    if len(expanded) > _MAX_EXPANSIONS:
        raise PatternError(f"pattern {source!r} expands to too many variants")
    return expanded


def _compile_flat(flat: str, source: str, classes: Mapping[str, frozenset[str]]) -> Pattern:
    steps: list[Step] = []
    for raw in flat.split():
        gap = _GAP.match(raw)
        if gap:
            steps.append(Gap(int(gap.group(1))))
            continue
        if raw == "$":
            steps.append(ClauseEnd())
            continue
        optional = raw.endswith("?") and len(raw) > 1
        body = raw[:-1] if optional else raw
        accept: set[str] = set()
        or_clause_end = False
        for alternative in body.split("|"):
            if alternative == "$":
                or_clause_end = True
            elif alternative.startswith("@"):
                if alternative[1:] not in classes:
                    raise PatternError(f"unknown class {alternative} in pattern {source!r}")
                accept.add(alternative)
            elif alternative and _LITERAL.match(fold(alternative)):
                accept.add(fold(alternative))
            else:
                raise PatternError(f"bad element {raw!r} in pattern {source!r}")
        if not accept:
            raise PatternError(f"bad element {raw!r} in pattern {source!r}")
        steps.append(Element(frozenset(accept), optional, or_clause_end))
    elements = [step for step in steps if isinstance(step, Element)]
    if not elements or not isinstance(steps[0], Element) or isinstance(steps[-1], Gap):
        raise PatternError(f"pattern {source!r} must start and end with a word")
    if steps[0].optional and (len(steps) < 2 or not isinstance(steps[1], Element)):
        # Otherwise a match could start on an unrelated token.
        raise PatternError(f"pattern {source!r} must not open with an optional word and a gap")
    if all(element.optional or element.or_clause_end for element in elements):
        raise PatternError(f"pattern {source!r} has no required word")
    required = tuple(e.accept for e in elements if not e.optional and not e.or_clause_end)
    return Pattern(flat, tuple(steps), required)


def _match(steps: tuple[Step, ...], step: int, tokens: Sequence[Token], index: int) -> int | None:
    """End index of the shortest match of ``steps[step:]`` at ``index``, or ``None``."""
    if step == len(steps):
        return index
    current = steps[step]
    if isinstance(current, ClauseEnd):
        if _at_clause_end(tokens, index):
            return _match(steps, step + 1, tokens, index)
        return None
    if isinstance(current, Gap):
        for skipped in range(current.max_tokens + 1):
            if skipped:
                crossed = index + skipped - 1
                if crossed >= len(tokens) or tokens[crossed].breaks_clause:
                    return None
                if _NEGATION in tokens[crossed].tags:
                    return None
            end = _match(steps, step + 1, tokens, index + skipped)
            if end is not None:
                return end
        return None
    if index < len(tokens) and not current.accept.isdisjoint(tokens[index].tags):
        end = _match(steps, step + 1, tokens, index + 1)
        if end is not None:
            return end
    if current.optional or (current.or_clause_end and _at_clause_end(tokens, index)):
        return _match(steps, step + 1, tokens, index)
    return None


def _at_clause_end(tokens: Sequence[Token], index: int) -> bool:
    """The end of the message, a token that ends a clause, or a line break: "i want to
    die\nlol" ends its clause there, and "i want\nto die" still reads on."""
    return index == len(tokens) or tokens[index].ends_clause or tokens[index].opens_line
