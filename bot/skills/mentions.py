"""Where a message names a skill: spans for the NLU ``skill`` entity.

:meth:`SkillLibrary.find` answers *which* skill a request means; Rasa's
entity also needs *where* in the message it is named. Spans are found over the
same folded spellings (names, aliases, acronyms) with the same rules: names
that count only as a whole request (everyday words such as STOP, names made of
request words such as "what skills", the assistant's own name) are marked only
when the whole message is a request for that skill, and longer names are
forgiven small typos.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from rapidfuzz import fuzz, process

from bot.skills.library import (
    FUZZY_MIN_KEY_LENGTH,
    FUZZY_MIN_SCORE,
    REQUEST_WORDS,
    SkillLibrary,
)
from bot.skills.text import compact

#: The longest name, in words ("mindfulness of current thoughts").
MAX_NAME_WORDS: Final = 5
#: Only the start of a long message is searched: names come early, and a 10 kB
#: message must cost no more than a short one.
MAX_TOKENS: Final = 120
_TOKEN = re.compile(r"[^\W_]+(?:['\u2019.-][^\W_]+)*")


@dataclass(frozen=True)
class Mention:
    """A skill named at ``text[start:end]``."""

    start: int
    end: int
    skill_id: str


class MentionFinder:
    """Finds skill names in messages; build once per library."""

    def __init__(self, library: SkillLibrary) -> None:
        self._library = library
        self._keys = library.name_keys
        self._fuzzy = [k for k in self._keys if len(k) >= FUZZY_MIN_KEY_LENGTH + 2]

    def find(self, text: str) -> list[Mention]:
        """Non-overlapping mentions, left to right, longest spans first.

        Exact spellings anywhere win; only a message with none is searched for
        a misspelt name, so "abt opposite action" marks just the name.
        """
        tokens = [(m.start(), m.end(), compact(m.group())) for m in _TOKEN.finditer(text)]
        tokens = [token for token in tokens[:MAX_TOKENS] if token[2]]
        whole = self._library.find(text)
        whole_id = whole.id if whole else None
        mentions = self._scan(tokens, whole_id, fuzzy=False)
        if not mentions and whole_id is not None:
            mentions = self._scan(tokens, whole_id, fuzzy=True)
        return mentions

    def _scan(
        self, tokens: list[tuple[int, int, str]], whole_id: str | None, *, fuzzy: bool
    ) -> list[Mention]:
        mentions: list[Mention] = []
        index = 0
        while index < len(tokens):
            found = self._at(tokens, index, whole_id, fuzzy)
            if found is None:
                index += 1
                continue
            span, skill_id = found
            first, last = self._trimmed(tokens[index : index + span], skill_id)
            mentions.append(Mention(tokens[index + first][0], tokens[index + last][1], skill_id))
            index += span
        return mentions

    def _trimmed(self, span: list[tuple[int, int, str]], skill_id: str) -> tuple[int, int]:
        """The name without words around it that an alias carries ("the STOP skill")."""
        first, last = 0, len(span) - 1
        while first < last and span[first][2] in REQUEST_WORDS:
            if self._keys.get("".join(t[2] for t in span[first + 1 : last + 1])) != skill_id:
                break
            first += 1
        while last > first and span[last][2] in REQUEST_WORDS:
            if self._keys.get("".join(t[2] for t in span[first:last])) != skill_id:
                break
            last -= 1
        return first, last

    def _at(
        self, tokens: list[tuple[int, int, str]], index: int, whole_id: str | None, fuzzy: bool
    ) -> tuple[int, str] | None:
        """The skill named by the tokens starting here, and how many tokens name it."""
        for span in range(min(MAX_NAME_WORDS, len(tokens) - index), 0, -1):
            key = "".join(token[2] for token in tokens[index : index + span])
            if not fuzzy:
                skill_id = self._keys.get(key)
                if skill_id is not None and (
                    key not in self._library.whole_request_only or skill_id == whole_id
                ):
                    return span, skill_id
            elif len(key) >= FUZZY_MIN_KEY_LENGTH + 2:
                match = process.extractOne(
                    key, self._fuzzy, scorer=fuzz.ratio, score_cutoff=FUZZY_MIN_SCORE
                )
                # A misspelt span must agree with what the whole request names.
                if match is not None and self._keys[match[0]] == whole_id:
                    return span, whole_id
        return None
