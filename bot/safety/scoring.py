"""From rule matches to a verdict: context filters, suppressions, levels, upgrades.

A match counts only if nothing in its context cancels it (negation, another
person, topic talk, an idiom or diary rating over the same words). The level
is the highest of what counts, then raised by combinations from
``data/escalation.yml``: ideation plus means at hand, a timeline or a goodbye
is imminent, whichever words each came in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.safety.assessment import CATEGORIES, NO_RISK, Assessment, Evidence, RiskLevel
from bot.safety.context import (
    client_joins_in,
    is_about_someone_else,
    is_negated,
    is_topic_talk,
)
from bot.safety.lexicon import UpgradeSpec
from bot.safety.patterns import Pattern
from bot.safety.rulebook import Hit, Suppression
from bot.safety.tokens import Token

_CATEGORY_ORDER = {category: position for position, category in enumerate(CATEGORIES)}


@dataclass(frozen=True)
class ScoringSettings:
    """How far negation and subject search reach, the combinations that escalate, and
    how the client joins in with another person's risk (``context.yml``: ``joining``)."""

    negation_window: int
    subject_window: int
    upgrades: tuple[UpgradeSpec, ...]
    joining: tuple[Pattern, ...] = ()


@dataclass(frozen=True)
class RulesVerdict:
    """The rules' assessment, and whether they read risk words and set them aside.

    ``cancelled`` is true when a match was negated, about someone else, topic
    talk, an idiom, a diary rating, a report, a joke or the past: the learned
    model does not overrule that. ``set_aside`` is true when a part of
    :mod:`bot.safety.frames` was negated or explained by everyday context ("pills"
    beside "organizer"): the model must then be far surer. ``noticed`` is true when
    a rule with a category matched, counted or not, or when two kinds of part did.
    ``by_parts`` is true when parts that combine reached the level on their own:
    the model's veto does not lower it. ``masked`` are spans of the original text (an
    idiom's sentences): the model reads the message without them, rather than not at all,
    and never lowers the verdict. ``firm`` are the spans of rules no idiom may cancel
    (``suppressible: false``): the parts' everyday talk and idioms do not explain them
    away either. ``joined`` is true when a counted match is another person's risk the
    client joins in with ("my friend wants to kms and so do i"): the learned model reads
    such words as the other person's, so it does not lower the verdict.
    ``risk_words_seen`` is true when the rules met a word of risk at all,
    counted or not: a rule's match other than a bare time ("tonight"), a part that is
    more than a qualifier, or a word of a risk class (``model.yml``:
    ``risk_word_classes``). Where it is false the learned model alone is heard only when
    sure (``unseen``): "i'm going to take a shower" is no page.
    """

    assessment: Assessment
    cancelled: bool = False
    noticed: bool = False
    set_aside: bool = False
    by_parts: bool = False
    masked: tuple[tuple[int, int], ...] = ()
    firm: tuple[tuple[int, int], ...] = ()
    joined: bool = False
    risk_words_seen: bool = False


@dataclass(frozen=True)
class _Counted:
    hit: Hit
    level: RiskLevel
    joined: bool = False


def score(
    text: str,
    tokens: Sequence[Token],
    hits: Sequence[Hit],
    suppressions: Sequence[Suppression],
    settings: ScoringSettings,
) -> RulesVerdict:
    """The assessment of one message, given its tokens, rule matches and suppressions."""
    # A match an idiom drops is masked for the model (see ``RulesVerdict.masked``), not
    # a reason to keep it out; any other match that does not count is.
    literal = [hit for hit in hits if not is_dropped(hit, suppressions, idiom=True)]
    counted = [
        c for c in (_count(hit, tokens, suppressions, settings) for hit in literal) if c is not None
    ]
    cancelled = len(counted) < len(literal)
    counted = _without_restatements(counted)
    if not counted:
        return RulesVerdict(NO_RISK, cancelled, cancelled)
    level = RiskLevel.NONE
    evidence: set[Evidence] = set()
    for item in counted:
        category = item.hit.rule.category
        if category is not None:
            level = max(level, item.level)
            evidence.add(_evidence(text, tokens, item.hit, category))
    for upgrade in settings.upgrades:
        signal_hits = _signal_hits(counted, upgrade)
        if signal_hits is None:
            continue
        if upgrade.categories and not any(
            item.hit.rule.category in upgrade.categories
            for item in counted
            if item.hit not in signal_hits  # a set: messages may repeat a phrase hundreds of times
        ):
            continue
        level = max(level, upgrade.level)
        evidence.update(_evidence(text, tokens, hit, upgrade.add_category) for hit in signal_hits)
    if level is RiskLevel.NONE:  # only signals ("tonight", "pills") that need company
        return RulesVerdict(NO_RISK, cancelled, cancelled)
    merged = _merge_touching(text, evidence)
    categories = tuple(sorted({e.category for e in merged}, key=_CATEGORY_ORDER.__getitem__))
    firm = tuple(
        (tokens[item.hit.start].start, tokens[item.hit.end - 1].end)
        for item in counted
        if not item.hit.rule.suppressible and item.hit.rule.category is not None
    )
    joined = any(item.joined and item.hit.rule.category is not None for item in counted)
    return RulesVerdict(
        Assessment(level, categories, merged), cancelled, True, firm=firm, joined=joined
    )


def _count(
    hit: Hit,
    tokens: Sequence[Token],
    suppressions: Sequence[Suppression],
    settings: ScoringSettings,
) -> _Counted | None:
    """The level a hit counts for in its context, or ``None`` if it does not count."""
    rule = hit.rule
    if is_dropped(hit, suppressions, idiom=False):
        return None
    overlapping = [s for s in suppressions if s.overlaps(hit)] if rule.suppressible else []
    if rule.negatable and is_negated(tokens, hit.start, settings.negation_window):
        return None
    # Another person's risk is the client's too where the client joins in ("my friend
    # wants to kms and so do i"); another person's own words ("quiere matarse") count
    # only then.
    joined = rule.subject == "joined" or (
        rule.subject == "self"
        and is_about_someone_else(tokens, hit.start, hit.end, settings.subject_window)
    )
    if joined and not client_joins_in(tokens, hit.end, settings.subject_window, settings.joining):
        return None
    if rule.topic_sensitive and is_topic_talk(tokens, hit.start, hit.end):
        return None
    level = rule.level
    if overlapping:  # only "cap_moderate" ones are left: history ("when I was 15")
        level = min(level, RiskLevel.MODERATE)
    return _Counted(hit, level, joined)


def is_dropped(hit: Hit, suppressions: Sequence[Suppression], *, idiom: bool) -> bool:
    """Whether a suppression that drops matches (an idiom, if ``idiom``; a diary rating,
    recovery or an accident otherwise) overlaps ``hit``. A firm rule (``suppressible:
    false``) yields only to an idiom that ``overrules_firm``."""
    return any(
        s.suppressor.effect == "drop"
        and s.suppressor.idiom is idiom
        and (hit.rule.suppressible or s.suppressor.overrules_firm)
        and s.overlaps(hit)
        for s in suppressions
    )


def _without_restatements(counted: list[_Counted]) -> list[_Counted]:
    """Drop a match that lies inside a stronger one ("suicide" within "thoughts of suicide",
    "hurt myself" within "want to hurt myself"): it adds no evidence, only noise."""
    kept: list[_Counted] = []
    for cluster in _overlapping_clusters(counted):
        kept.extend(
            item
            for item in cluster
            if item.hit.rule.category is None
            or not any(_restates(item, other) for other in cluster)
        )
    return kept


def _overlapping_clusters(counted: list[_Counted]) -> list[list[_Counted]]:
    """Groups of hits whose spans overlap, so that comparisons stay local."""
    clusters: list[list[_Counted]] = []
    cluster_end = -1
    for item in sorted(counted, key=lambda c: (c.hit.start, -c.hit.end)):
        if item.hit.start >= cluster_end:
            clusters.append([])
        clusters[-1].append(item)
        cluster_end = max(cluster_end, item.hit.end)
    return clusters


def _restates(item: _Counted, other: _Counted) -> bool:
    """Whether ``other`` is a longer match at least as severe that contains ``item``."""
    return (
        other.hit.rule.category is not None
        and other.level >= item.level
        and other.hit.start <= item.hit.start
        and item.hit.end <= other.hit.end
        and (other.hit.end - other.hit.start) > (item.hit.end - item.hit.start)
    )


def _signal_hits(counted: Sequence[_Counted], upgrade: UpgradeSpec) -> set[Hit] | None:
    """The hits carrying the upgrade's signals, or ``None`` if any signal is missing."""
    found: set[Hit] = set()
    for signal in upgrade.signals:
        carrying = {item.hit for item in counted if signal in item.hit.rule.signals}
        if not carrying:
            return None
        found |= carrying
    return found if len(found) >= upgrade.min_signals else None


def _merge_touching(text: str, evidence: set[Evidence]) -> tuple[Evidence, ...]:
    """One span per run of overlapping or adjacent evidence of a category ("💊💊💊")."""
    merged: list[Evidence] = []
    for item in sorted(evidence, key=lambda e: (_CATEGORY_ORDER[e.category], e.start, e.end)):
        last = merged[-1] if merged else None
        if last is not None and last.category == item.category and item.start <= last.end:
            end = max(last.end, item.end)
            merged[-1] = Evidence(text[last.start : end], last.start, end, item.category)
        else:
            merged.append(item)
    return tuple(sorted(merged, key=lambda e: (e.start, e.end, _CATEGORY_ORDER[e.category])))


def _evidence(text: str, tokens: Sequence[Token], hit: Hit, category: str) -> Evidence:
    start = tokens[hit.start].start
    end = tokens[hit.end - 1].end
    return Evidence(text[start:end], start, end, category)
