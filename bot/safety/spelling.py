"""Spelling tolerance: "sucide" → "suicide", "myslef" → "myself", "kil" → "kill".

Only words that are not real words are corrected, and only towards a short
list of sensitive words, so that "skill", "kiln" or "burger" are never
mistaken for anything.
"""

from __future__ import annotations

from collections.abc import Collection

from rapidfuzz import process
from rapidfuzz.distance import OSA

#: Words at least this long may be two edits away from their target; shorter ones one.
_TWO_EDITS_FROM_LENGTH = 7
#: Corrections already computed; message vocabulary is heavily repeated.
_CACHE_LIMIT = 50_000


class SpellingCorrector:
    """Maps a misspelt word to the sensitive word it most likely is.

    Args:
        targets: the sensitive words worth recovering (at least four letters each).
        min_length: shorter words are never corrected ("cuz" is not "cut").
    """

    def __init__(self, targets: Collection[str], min_length: int) -> None:
        self._min_length = min_length
        # A typo rarely hits the first letter, and requiring it keeps the search tiny.
        self._by_first_letter: dict[str, list[str]] = {}
        for target in sorted(set(targets)):
            self._by_first_letter.setdefault(target[0], []).append(target)
        self._cache: dict[str, str | None] = {}

    def correct(self, word: str) -> str | None:
        """The sensitive word ``word`` is a misspelling of, or ``None``."""
        if len(word) < self._min_length or not word.isalpha():
            return None
        if word in self._cache:
            return self._cache[word]
        candidates = self._by_first_letter.get(word[0], ())
        max_edits = 2 if len(word) >= _TWO_EDITS_FROM_LENGTH else 1
        best = process.extractOne(word, candidates, scorer=OSA.distance, score_cutoff=max_edits)
        result = best[0] if best is not None else None
        if len(self._cache) < _CACHE_LIMIT:
            self._cache[word] = result
        return result
