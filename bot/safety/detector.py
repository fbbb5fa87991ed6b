"""The crisis detector: one object, built once, that scores messages.

Building it loads spaCy, the lookup tables and the data files (about a
second), so :func:`bot.safety.assess` keeps a single instance. Scoring is then
pure computation on short texts: no I/O, no logging, and nothing about a
message is kept after it is scored.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet

from spacy.tokens import Doc

from bot.safety.assessment import CATEGORIES, NO_RISK, Assessment, Evidence, RiskLevel
from bot.safety.frames import FrameFinding, FrameReader
from bot.safety.language import EnglishLookups, build_tokenizer
from bot.safety.lexicon import Lexicon, LexiconError, load_lexicon
from bot.safety.model import CrisisModel, ModelScores, ModelSettings, load_model, load_settings
from bot.safety.normalize import NormalizedText, Normalizer
from bot.safety.patterns import compile_patterns
from bot.safety.rulebook import RuleBook
from bot.safety.scoring import RulesVerdict, ScoringSettings, is_dropped, score
from bot.safety.tokens import Analyzer

#: The category of risk the model found and no rule named.
LEARNED_RISK = "learned_risk"
_NOTHING_FOUND = RulesVerdict(NO_RISK)
#: A word for ``min_words``: a contraction is one ("i'm not hurt" is three words, as "im
#: not hurt" is).
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
#: What ends a sentence, and a clause within one: an idiom keeps the model out of its
#: own clause (its words and their company), not of what else the message says.
_SENTENCE_ENDS = (".", "!", "?", ";", "\n")
_CLAUSE_BREAK = re.compile(r",|\b(?:and|but|so|y|pero)\b", re.IGNORECASE)
#: A clause after an idiom also opens where the client speaks again: "im dying of
#: embarrassment i'm not going to be around much longer". (Not before one: "tonight
#: i'm going to finish the puzzle" is one clause.)
_CLAUSE_AFTER_BREAK = re.compile(_CLAUSE_BREAK.pattern + r"|\s(?=(?:i'm|im|i’m)\b)", re.IGNORECASE)
#: Categories SPEC §6 rates ``moderate`` (see :func:`_only_moderate_by_spec`).
_MODERATE_BY_SPEC = frozenset({"recent_self_harm"})
#: Two kinds of part ("took" and "all of them") are worth the learned model's reading,
#: when one is more than a qualifier: "a whole thing ... how to ... on the spot" (an
#: amount, a question, a place) is a long day told, not risk noticed.
_NOTICED_FROM_PARTS = 2
#: Messages tokenized per spaCy batch in :meth:`CrisisDetector.assess_many`.
BATCH_SIZE = 512


class CrisisDetector:
    """Scores messages for suicide, self-harm, abuse and violence risk (SPEC §6).

    The rules give a level with the client's words as evidence; the learned
    model (:mod:`bot.safety.model`) may then raise it, never lower it: to
    ``moderate`` or ``high`` when its probability passes the thresholds in
    ``data/model.yml``, reported as ``learned_risk``.

    Args:
        lexicon: the data to use; by default ``bot/safety/data``.
        model: the learned model; by default the shipped one.
    """

    def __init__(self, lexicon: Lexicon | None = None, model: CrisisModel | None = None) -> None:
        lexicon = lexicon if lexicon is not None else load_lexicon()
        self._frames = FrameReader()
        self._model = model if model is not None else load_model()
        self._model_settings = load_settings()
        english = EnglishLookups()
        self._tokenizer = build_tokenizer()
        self._normalizer = build_normalizer(lexicon, english)
        self._analyzer = Analyzer(lexicon, english.lemma, english.is_known)
        common_tags = frozenset().union(
            *(self._analyzer.tags_of(word) for word in lexicon.common_words)
        )
        self._rules = RuleBook(lexicon, common_tags)
        self._settings = ScoringSettings(
            lexicon.negation_window,
            lexicon.subject_window,
            lexicon.upgrades,
            tuple(
                pattern
                for source in lexicon.joining
                for pattern in compile_patterns(source, lexicon.classes)
            ),
        )
        unknown = sorted(self._model_settings.risk_word_classes - set(lexicon.classes))
        if unknown:
            raise LexiconError(f"model.yml: risk_word_classes not in classes.yml: {unknown}")
        self._risk_word_tags = frozenset(
            f"@{name}" for name in self._model_settings.risk_word_classes
        )

    def assess(self, text: str) -> Assessment:
        """Score one message."""
        return self.assess_many([text])[0]

    def assess_many(self, texts: Iterable[str]) -> list[Assessment]:
        """Score many messages; tokenizes and vectorises in batches, several times faster."""
        normalized = [self._normalizer.normalize(text) for text in texts]
        ruled = self.rules_verdicts(normalized)
        # The model reads only the messages whose verdict it may change: "yes", "3" or
        # a set-aside idiom are the rules' alone (37% of the speed benchmark's mix).
        heard = [
            model_is_heard(n.original, verdict, self._model_settings)
            for n, verdict in zip(normalized, ruled, strict=True)
        ]
        to_score = [
            self.model_input(n, verdict)
            for n, verdict, h in zip(normalized, ruled, heard, strict=True)
            if h
        ]
        learned = iter(self._model.scores(to_score))
        return [
            combine(n.original, verdict, next(learned), self._model_settings)
            if h
            else verdict.assessment
            for n, verdict, h in zip(normalized, ruled, heard, strict=True)
        ]

    def assess_rules_many(self, texts: Iterable[str]) -> list[Assessment]:
        """The rules' verdicts alone, without the learned model (for measuring each half)."""
        normalized = [self._normalizer.normalize(text) for text in texts]
        return [verdict.assessment for verdict in self.rules_verdicts(normalized)]

    def model_scores(self, texts: Sequence[str]) -> list[ModelScores]:
        """The learned model's probabilities alone (for measuring each half)."""
        return self._model.scores([self.normalize_for_model(text) for text in texts])

    def model_scores_normalized(self, texts: Sequence[str]) -> list[ModelScores]:
        """The model's probabilities for texts already normalised (for timing each half)."""
        return self._model.scores(texts)

    def normalize_for_model(self, text: str) -> str:
        """The text the model reads: the rules' normalisation (folded, de-obfuscated)."""
        return self._normalizer.normalize(text).text

    def model_input(self, normalized: NormalizedText, verdict: RulesVerdict) -> str:
        """The text the model reads for a message: its normalised text, without the clause
        of an idiom the rules set aside (``verdict.masked``, see :func:`neutralised`)."""
        if not verdict.masked:
            return normalized.text
        return self._normalizer.normalize(neutralised(normalized.original, verdict.masked)).text

    def normalize(self, text: str) -> NormalizedText:
        """The normalised text both halves read."""
        return self._normalizer.normalize(text)

    def named_parts(self, text: str) -> frozenset[str]:
        """The parts of ``data/frames.yml`` that ``text`` names, not negated ("FIREARM")."""
        return self._frames.named_parts(self._normalizer.normalize(text))

    def parts_in_context(self, text: str) -> frozenset[str]:
        """The parts ``text`` names as the detector counts them: with their context
        (negation, other people, everyday talk: "going to bed" is no intent)."""
        return frozenset(self._frames.read(self._normalizer.normalize(text)).parts)

    def everyday_parts(self, text: str) -> frozenset[str]:
        """The parts ``text`` holds everyday talk for ("i cut the onions": SELF_INJURED)."""
        return self._frames.everyday_parts(self._normalizer.normalize(text))

    def rules_verdicts(self, normalized: list[NormalizedText]) -> list[RulesVerdict]:
        """The phrase rules' and the parts' verdicts together, with whether risk words
        were set aside."""
        docs = self._tokenizer.pipe((n.text for n in normalized), batch_size=BATCH_SIZE)
        verdicts = []
        for n, doc in zip(normalized, docs, strict=True):
            verdict, figurative = self._score(n, doc)
            verdicts.append(
                _with_frames(verdict, self._frames.read(n, figurative), self._frames.qualifiers)
            )
        return verdicts

    def _score(
        self, normalized: NormalizedText, doc: Doc
    ) -> tuple[RulesVerdict, tuple[tuple[int, int], ...]]:
        """The phrase rules' verdict, and where (in the original text) an idiom drops risk
        words, so that the parts do not count them either."""
        tokens = self._analyzer.analyze(normalized, doc)
        if not tokens:
            return _NOTHING_FOUND, ()
        tags = frozenset().union(*(token.tags for token in tokens))
        hits = self._rules.hits(tokens, tags)
        suppressions = self._rules.suppressions(tokens, tags)
        dropping = [s for s in suppressions if s.suppressor.effect == "drop"]
        figurative = tuple(
            (tokens[s.start].start, tokens[s.end - 1].end)
            for s in dropping
            if s.suppressor.figurative
        )
        # An idiom ("I'll die if I don't get coffee", "finish the puzzle tonight") is set
        # aside even where no rule, or only a signal that needs company ("tonight"),
        # matched: the learned model reads the message without the idiom's clause, so
        # that it reads neither the idiom nor its company ("tonight i'm going to") as
        # risk, yet still reads what the other clauses say ("im dead tired, this is the
        # last time you'll hear from me", "... ya tengo las pastillas").
        masked = tuple(
            _clause_around(normalized.original, tokens[s.start].start, tokens[s.end - 1].end)
            for s in dropping
            if s.suppressor.idiom
        )
        # A diary rating, recovery or an accident ("SI no", "clean from cutting") keeps
        # the model out of a message where no rule then counts.
        benign = any(not s.suppressor.idiom for s in dropping)
        seen = bool(tags & self._risk_word_tags) or any(
            hit.rule.category is not None
            or not set(hit.rule.signals) <= self._model_settings.bare_time_signals
            for hit in hits
        )
        if not hits:
            verdict = RulesVerdict(NO_RISK, cancelled=benign, masked=masked, risk_words_seen=seen)
            return verdict, figurative
        verdict = score(normalized.original, tokens, hits, suppressions, self._settings)
        found_nothing = verdict.assessment.level is RiskLevel.NONE
        cancelled = verdict.cancelled or (benign and found_nothing)
        if not found_nothing and not any(is_dropped(h, suppressions, idiom=True) for h in hits):
            masked = ()  # the idiom set nothing aside: the model reads the whole message
        verdict = dataclasses.replace(
            verdict, cancelled=cancelled, masked=masked, risk_words_seen=seen
        )
        return verdict, figurative


def _with_frames(
    verdict: RulesVerdict, frames: FrameFinding, qualifiers: AbstractSet[str]
) -> RulesVerdict:
    """The graver of the phrase rules' and the parts' verdicts, evidence of both.
    ``qualifiers`` are the parts that only qualify others (:attr:`FrameReader.qualifiers`):
    two kinds of part are worth the model's reading only if one is more than these."""
    rules = verdict.assessment
    # A joke keeps the model out of what it takes back only: it reads the sentences
    # after it ("kms jk. this is the last time you'll hear from me"). Anything else
    # discounted (a report, a hypothesis, a rating) keeps it out of the whole message.
    joke_only = not any(
        not any(start <= d_start and d_end <= end for start, end in frames.joked)
        for d_start, d_end in frames.discounted
    )
    if joke_only and frames.joked:
        verdict = dataclasses.replace(verdict, masked=(*verdict.masked, *frames.joked))
    if rules.evidence and all(
        _within(e, frames.discounted)
        or (_touches(e, frames.explained) and not _touches(e, verdict.firm))
        for e in rules.evidence
    ):
        cancelled = not (joke_only and all(_within(e, frames.joked) for e in rules.evidence))
        verdict = RulesVerdict(NO_RISK, cancelled=cancelled, noticed=True, masked=verdict.masked)
        rules = NO_RISK
    elif rules.level > RiskLevel.MODERATE and all(_within(e, frames.past) for e in rules.evidence):
        rules = Assessment(RiskLevel.MODERATE, rules.categories, rules.evidence)
        verdict = RulesVerdict(rules, cancelled=True, noticed=True, masked=verdict.masked)
    noticed = verdict.noticed or (
        len(frames.parts) >= _NOTICED_FROM_PARTS and not set(frames.parts) <= qualifiers
    )
    # A report, hypothesis, rating, the past or everyday context anywhere: the model
    # stays out. Words an idiom explains are out of its reading already (masked).
    explained = [span for span in frames.explained if not _overlaps(span, verdict.masked)]
    cancelled = verdict.cancelled or bool(
        (frames.discounted and not joke_only) or frames.past or explained
    )
    # After a joke the model must be far surer, as where parts were set aside: "jk.
    # sorry i'm being dramatic" is no page, "jk. this is the last time you'll hear from
    # me" is.
    set_aside = bool(frames.set_aside or (joke_only and frames.joked))
    by_parts = RiskLevel.NONE < frames.level >= rules.level
    seen = verdict.risk_words_seen or not set(frames.parts) <= qualifiers
    if frames.level <= rules.level:
        return RulesVerdict(
            rules,
            cancelled,
            noticed,
            set_aside,
            by_parts,
            verdict.masked,
            joined=verdict.joined,
            risk_words_seen=seen,
        )
    categories = tuple(sorted(set(rules.categories) | set(frames.categories), key=CATEGORIES.index))
    evidence = tuple(
        sorted(set(rules.evidence) | set(frames.evidence), key=lambda e: (e.start, e.end))
    )
    return RulesVerdict(
        Assessment(frames.level, categories, evidence),
        cancelled,
        noticed,
        set_aside,
        by_parts,
        verdict.masked,
        joined=verdict.joined,
        risk_words_seen=seen,
    )


def _only_moderate_by_spec(rules: Assessment) -> bool:
    """Whether the rules found only what SPEC §6 rates ``moderate`` whatever the wording:
    self-harm already done ("i cut myself last night"). The model, which reads words
    and not tense, does not page on that alone."""
    return bool(rules.categories) and set(rules.categories) <= _MODERATE_BY_SPEC


def _within(evidence: Evidence, spans: Sequence[tuple[int, int]]) -> bool:
    return any(start <= evidence.start and evidence.end <= end for start, end in spans)


def _touches(evidence: Evidence, spans: Sequence[tuple[int, int]]) -> bool:
    return any(start < evidence.end and evidence.start < end for start, end in spans)


def _overlaps(span: tuple[int, int], spans: Sequence[tuple[int, int]]) -> bool:
    return any(start < span[1] and span[0] < end for start, end in spans)


def _word_count(text: str) -> int:
    return len(_WORD.findall(text))


def _clause_around(text: str, start: int, end: int) -> tuple[int, int]:
    """The span of the clause of ``text`` that holds ``text[start:end]``, with the break
    that closes it (a comma, "and", "pero") when another clause of its sentence follows."""
    before = max(text.rfind(mark, 0, start) for mark in _SENTENCE_ENDS) + 1
    after = [found for found in (text.find(mark, end) for mark in _SENTENCE_ENDS) if found >= 0]
    sentence_end = min(after, default=len(text))
    opening = [found.end() for found in _CLAUSE_BREAK.finditer(text, before, start)]
    closing = _CLAUSE_AFTER_BREAK.search(text, end, sentence_end)
    return max(opening, default=before), closing.end() if closing else sentence_end


def neutralised(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """``text`` with the idiom clauses of ``spans`` blanked, a full stop in place of the
    break that closed each (offsets stay where they were). The model reads the clauses
    that follow as it reads a new sentence: without the stop, "bruh my phone is dead,
    texting from my brothers" reads "texting from my brothers" as a last text."""
    characters = list(without_spans(text, spans))
    for start, end in spans:
        if any(found.end() == end for found in _CLAUSE_AFTER_BREAK.finditer(text, start, end)):
            characters[end - 1] = "."
    return "".join(characters)


def without_spans(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """``text`` with the characters of ``spans`` blanked (offsets stay where they were)."""
    characters = list(text)
    for start, end in spans:
        characters[start:end] = " " * (end - start)
    return "".join(characters)


def build_normalizer(lexicon: Lexicon, english: EnglishLookups | None = None) -> Normalizer:
    """The normaliser both halves of the detector read through (also used to train)."""
    english = english if english is not None else EnglishLookups()
    return Normalizer(
        emoji=lexicon.emoji,
        leet=lexicon.leet,
        masks=lexicon.masks,
        sensitive_words=lexicon.sensitive_words,
        is_known_word=english.is_known,
        intensifiers=lexicon.intensifiers,
    )


def model_is_heard(text: str, verdict: RulesVerdict, settings: ModelSettings) -> bool:
    """Whether the model's scores can change the rules' verdict at all: not where the
    rules set risk words aside, nor for a fragment of fewer than ``min_words`` words
    (see :func:`combine`). The detector does not score the others."""
    return not verdict.cancelled and _word_count(text) >= settings.min_words


def combine(
    text: str, verdict: RulesVerdict, scores: ModelScores, settings: ModelSettings
) -> Assessment:
    """The rules' verdict, raised where the model is confident of more, lowered one
    level where it is confident of nothing and only phrase rules spoke.

    How sure the model must be depends on what the rules saw: less where they
    noticed something, more where they noticed nothing or a part was negated, and
    most where they met no word of risk at all ("i'm going to the store": the model
    has learned "i'm going to" from the corpus' plans). It
    never overrules risk words the rules set aside (negated, someone else's, a
    topic, an idiom, a diary rating, everyday context), and does not page on what
    SPEC §6 rates moderate whatever the wording (self-harm already done). An idiom
    keeps it out of the idiom's sentence only: it reads the rest (``verdict.masked``),
    and never lowers such a verdict. Below the veto it lowers a phrase rule's
    ``moderate`` or ``high`` one level (never ``imminent``, nor what parts that combine
    found). It pages only where its two
    heads agree: a high probability of escalation with a low one of any risk
    ("her ex threatened to kill her") is a message unlike the corpus, not a
    crisis. A fragment of three words or fewer is left to the rules (risk split
    over several texts is assessed on the texts joined, :mod:`bot.intake.screening`).
    The thresholds were chosen by leave-one-writer-out validation
    (``data/model.yml``, ``benchmarks/lowo_crisis.py``).
    """
    rules = verdict.assessment
    if not model_is_heard(text, verdict, settings):
        return rules
    if verdict.masked and _word_count(without_spans(text, verdict.masked)) < settings.min_words:
        return rules  # an idiom, and next to nothing besides: the rules' alone
    if verdict.set_aside:
        thresholds = settings.set_aside
    elif verdict.noticed:
        thresholds = settings.noticed
    elif verdict.risk_words_seen:
        thresholds = settings.alone
    else:
        thresholds = settings.unseen
    learned = RiskLevel.NONE
    if (
        scores.escalate >= thresholds.escalate
        and scores.risk >= settings.page_needs_risk
        and not _only_moderate_by_spec(rules)
    ):
        learned = RiskLevel.HIGH
    elif scores.risk >= thresholds.flag:
        learned = RiskLevel.MODERATE
    if learned > rules.level:
        stripped = text.strip()
        start = text.find(stripped) if stripped else 0
        evidence = Evidence(stripped, start, start + len(stripped), LEARNED_RISK)
        categories = (*rules.categories, LEARNED_RISK) if rules.categories else (LEARNED_RISK,)
        return Assessment(learned, categories, (*rules.evidence, evidence))
    if scores.risk >= settings.veto or verdict.by_parts or verdict.masked or verdict.joined:
        # (the model read the message without an idiom, or read a risk the client joins
        # in with as someone else's: it cannot vouch for it)
        return rules
    if rules.level is RiskLevel.HIGH:
        return Assessment(RiskLevel.MODERATE, rules.categories, rules.evidence)
    if rules.level is RiskLevel.MODERATE:
        return NO_RISK
    return rules
