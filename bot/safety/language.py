"""The spaCy side of the detector: a tokenizer and the English lookup tables.

No pretrained pipeline is used (none can be downloaded in production): a blank
English pipeline tokenizes, and the tables of spaCy's lookup lemmatizer
(shipped by ``spacy-lookups-data``) give lemmas ("killing" → "kill") and tell
real words from typos, which only then go to spelling correction.
"""

from __future__ import annotations

from typing import cast

import spacy
from spacy.lookups import load_lookups
from spacy.tokenizer import Tokenizer
from spacy.util import compile_infix_regex

#: Extra split points for how diary answers are typed: "urge:0", "SH=2", "suicidal?no".
_EXTRA_INFIXES = (
    r"(?<=[a-z])[:=](?=[0-9])",
    r"(?<=[0-9])[:=](?=[a-z])",
    r"(?<=[a-z])[?!;:](?=[a-z])",
)


def build_tokenizer() -> Tokenizer:
    """The tokenizer of a blank English pipeline, also splitting diary-style answers."""
    nlp = spacy.blank("en")
    tokenizer = cast(Tokenizer, nlp.tokenizer)
    infixes = [*(nlp.Defaults.infixes or ()), *_EXTRA_INFIXES]
    tokenizer.infix_finditer = compile_infix_regex(infixes).finditer
    return tokenizer


class EnglishLookups:
    """Lemmas and real-word checks from spaCy's English lookup tables."""

    def __init__(self) -> None:
        lookups = load_lookups("en", ["lemma_lookup", "lemma_index"])
        self._lemmas = lookups.get_table("lemma_lookup")
        # The lookup table keys are hashes; its values and the index lists are words.
        words: set[str] = set(self._lemmas.values())
        for word_list in lookups.get_table("lemma_index").values():
            words.update(word_list)
        self._base_forms = frozenset(words)

    def lemma(self, word: str) -> str | None:
        """The dictionary form of ``word`` ("cutting" → "cut"), or ``None`` if not listed."""
        lemma = self._lemmas.get(word)
        return lemma if isinstance(lemma, str) else None

    def is_known(self, word: str) -> bool:
        """Whether ``word`` is an English word form spaCy knows."""
        return word in self._base_forms or word in self._lemmas
