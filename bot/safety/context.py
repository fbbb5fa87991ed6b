"""Reading a match in its context: negation, whose risk it is, and topic talk.

"I'm not suicidal", "my friend wants to die" and "an essay on suicide" all
contain the words of a crisis; what sits around the words decides. The cue
words are classes in ``data/context.yml``.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.safety.patterns import Pattern
from bot.safety.tokens import Token

_NEGATION = "@NEGATION"
#: Words after which a negation no longer reaches forward: "can't *stop* thinking
#: about suicide", "I don't *think* I can go on", "never felt *so* suicidal".
_SCOPE_BREAK = "@SCOPE_BREAK"
_CLAUSE_START = "@CLAUSE_START"
_FIRST_PERSON = "@FIRST_PERSON"
_THIRD_PERSON = "@THIRD_PERSON"
_TOPIC = "@TOPIC"
_ANSWER_NO = "@ANSWER_NO"
#: "and", "y": a clause they open stands beside the one before, with its own subject.
_COORDINATOR = "@COORDINATOR"
#: Words after which spelled-out slang is the verb of the nearest subject: "she wants to
#: kms" is hers, as "she wants to kill herself" would be.
_INFINITIVE_MARKERS = frozenset({"to", "gonna", "wanna"})


def is_negated(tokens: Sequence[Token], start: int, window: int) -> bool:
    """Whether a negation cue governs the match starting at token ``start``.

    Looks back at most ``window`` tokens within the clause. A rule whose own
    pattern includes the negation ("I don't want to live") is not affected,
    because only tokens before the match are read. A line break ends the clause
    ("not ok\nwant to die"), unless the line before ends in the negation itself
    ("i don't\nwant to die") or the negation is alone on its line and is no answer
    ("im\nnot\ngoing to"); "no" alone on its line is an answer ("no\nwant to die")
    and does not reach on.
    """
    for index in range(start - 1, max(start - 1 - window, -1), -1):
        tags = tokens[index].tags
        if tokens[index].breaks_clause:
            return False
        if tokens[index + 1].opens_line:
            alone_on_its_line = index == 0 or tokens[index].opens_line
            return _NEGATION in tags and not (alone_on_its_line and _ANSWER_NO in tags)
        if _NEGATION in tags:
            return True
        if not tags.isdisjoint((_SCOPE_BREAK, _CLAUSE_START, _FIRST_PERSON, _THIRD_PERSON)):
            return False
    return False


def is_about_someone_else(tokens: Sequence[Token], start: int, end: int, window: int) -> bool:
    """Whether the nearest subject of the match is another person ("my friend wants to die").

    A match that itself names the client ("… kill myself", "… makes me want to
    die") is always the client's; with no subject at all ("want to die"), it is
    the client's too, as texting drops "I".
    """
    if _names_the_client(tokens, start, end):
        return False
    if _THIRD_PERSON in tokens[start].tags:
        return True
    for index in range(start - 1, max(start - 1 - window, -1), -1):
        token = tokens[index]
        # Across a line break the subject is left unknown, so the client's: when in doubt, escalate.
        if token.breaks_clause or tokens[index + 1].opens_line or _FIRST_PERSON in token.tags:
            return False
        if _THIRD_PERSON in token.tags:
            return True
    return False


def client_joins_in(
    tokens: Sequence[Token], end: int, window: int, joining: Sequence[Pattern]
) -> bool:
    """Whether the client joins in with the risk of the match ending at token ``end``:
    where its clause ends, a clause of its own that says "so do i", "me too", "same" or
    "yo también" ("my friend wants to kms and so do i", "… kms. same tbh").

    The other person's risk is then the client's as well. A subordinate clause may come
    first ("… kms so bad and so do i", "… because her bf left, same"), not a coordinate
    one, a comma or a full stop: in "my friend wants to die and her mom is scared, me too"
    the client joins the mother. The joining words must end their clause: "same with my
    mom" or "so does her sister" joins nothing.
    """
    index = end
    while index < len(tokens) and index - end <= window:
        if _opens_a_clause(tokens, index):
            start = index
            while start < len(tokens) and _is_punctuation(tokens[start]):
                start += 1
            if any(pattern.match_at(tokens, start) is not None for pattern in joining):
                return True
            token = tokens[index]
            if token.breaks_clause or token.opens_line or _COORDINATOR in token.tags:
                return False
        index += 1
    return False


def _opens_a_clause(tokens: Sequence[Token], index: int) -> bool:
    token = tokens[index]
    return token.breaks_clause or token.opens_line or _CLAUSE_START in token.tags


def _is_punctuation(token: Token) -> bool:
    return not any(character.isalnum() for character in token.norm)


def _names_the_client(tokens: Sequence[Token], start: int, end: int) -> bool:
    """Whether the match names the client itself ("... kill myself"). Slang spelled out
    ("kms": "kill myself", every word on the span of the one written) after "to" names
    no one: the subject before it does ("she wants to kms", "i want to kms")."""
    if not any(_FIRST_PERSON in token.tags for token in tokens[start:end]):
        return False
    spelled_out = all(
        (token.start, token.end) == (tokens[start].start, tokens[start].end)
        for token in tokens[start:end]
    )
    return not (spelled_out and start > 0 and tokens[start - 1].norm in _INFINITIVE_MARKERS)


def is_topic_talk(tokens: Sequence[Token], start: int, end: int) -> bool:
    """Whether the sentence around the match talks about a topic ("documentary", "essay").

    The sentence, or the line: a line break ends it as a full stop does."""
    index = start - 1
    while index >= 0 and not tokens[index].ends_sentence and not tokens[index + 1].opens_line:
        if _TOPIC in tokens[index].tags:
            return True
        index -= 1
    index = start
    while index < len(tokens) and (
        index < end or not (tokens[index].ends_sentence or tokens[index].opens_line)
    ):
        if _TOPIC in tokens[index].tags:
            return True
        index += 1
    return False
