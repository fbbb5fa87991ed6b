"""The crisis detector: one object, built once, that scores messages.

Building it loads spaCy, the lookup tables and the data files (about a
second), so :func:`bot.safety.assess` keeps a single instance. Scoring is then
pure computation on short texts: no I/O, no logging, and nothing about a
message is kept after it is scored.
"""

from __future__ import annotations

from collections.abc import Iterable

from spacy.tokens import Doc

from bot.safety.assessment import NO_RISK, Assessment
from bot.safety.language import EnglishLookups, build_tokenizer
from bot.safety.lexicon import Lexicon, load_lexicon
from bot.safety.normalize import NormalizedText, Normalizer
from bot.safety.rulebook import RuleBook
from bot.safety.scoring import ScoringSettings, score
from bot.safety.tokens import Analyzer

#: Messages tokenized per spaCy batch in :meth:`CrisisDetector.assess_many`.
BATCH_SIZE = 512


class CrisisDetector:
    """Scores messages for suicide, self-harm, abuse and violence risk (SPEC §6).

    Args:
        lexicon: the data to use; by default ``bot/safety/data``.
    """

    def __init__(self, lexicon: Lexicon | None = None) -> None:
        lexicon = lexicon if lexicon is not None else load_lexicon()
        english = EnglishLookups()
        self._tokenizer = build_tokenizer()
        self._normalizer = Normalizer(
            emoji=lexicon.emoji,
            leet=lexicon.leet,
            masks=lexicon.masks,
            sensitive_words=lexicon.sensitive_words,
            is_known_word=english.is_known,
        )
        self._analyzer = Analyzer(lexicon, english.lemma, english.is_known)
        common_tags = frozenset().union(
            *(self._analyzer.tags_of(word) for word in lexicon.common_words)
        )
        self._rules = RuleBook(lexicon, common_tags)
        self._settings = ScoringSettings(
            lexicon.negation_window, lexicon.subject_window, lexicon.upgrades
        )

    def assess(self, text: str) -> Assessment:
        """Score one message."""
        normalized = self._normalizer.normalize(text)
        return self._score(normalized, self._tokenizer(normalized.text))

    def assess_many(self, texts: Iterable[str]) -> list[Assessment]:
        """Score many messages; tokenizes in batches, which is several times faster."""
        normalized = [self._normalizer.normalize(text) for text in texts]
        docs = self._tokenizer.pipe((n.text for n in normalized), batch_size=BATCH_SIZE)
        return [self._score(n, doc) for n, doc in zip(normalized, docs, strict=True)]

    def _score(self, normalized: NormalizedText, doc: Doc) -> Assessment:
        tokens = self._analyzer.analyze(normalized, doc)
        if not tokens:
            return NO_RISK
        tags = frozenset().union(*(token.tags for token in tokens))
        hits = self._rules.hits(tokens, tags)
        if not hits:
            return NO_RISK
        suppressions = self._rules.suppressions(tokens, tags)
        return score(normalized.original, tokens, hits, suppressions, self._settings)
