"""The detector reads structure, not phrases: parts that combine, and what modifies them.

Every message here was written for these tests (none comes from the blind
sets or the training corpus), one class of the issue per test, in English and
in Spanish at the same level.
"""

from __future__ import annotations

import dataclasses

import pytest

from bot.safety import RiskLevel, assess, get_detector
from bot.safety.assessment import Assessment
from bot.safety.detector import LEARNED_RISK, combine, model_is_heard
from bot.safety.model import ModelScores, load_settings
from bot.safety.scoring import RulesVerdict


def _level(text: str) -> RiskLevel:
    return assess(text).level


@pytest.mark.parametrize(
    "text",
    [
        "i swallowed a cup of bleach about ten minutes ago",
        "drank some antifreeze out in the shed",
        "took 25 of my trazodone, feeling really sleepy",
        "just popped the rest of the benadryl bottle",
        "me tomé todas las pastillas de litio",
        "me bebí el cloro que había en el baño",
        "me corté muy profundo y no para de sangrar",
        "i cut my wrist and it wont stop bleeding",
    ],
)
def test_an_attempt_already_made_is_imminent(text: str) -> None:
    assert _level(text) is RiskLevel.IMMINENT


@pytest.mark.parametrize(
    "text",
    [
        "my uncle's pistol is sitting in my lap, tonight",
        "got my brother's razor blades out, doing it when he leaves",
        "grandma's oxys are lined up on my desk. all of them. tonight",
        "tengo la pistola de mi papá en la mano y lo voy a hacer esta noche",
        "las pastillas de mi abuela están en mi cuarto, todas, esta noche",
    ],
)
def test_means_belonging_to_someone_else_but_held_by_the_client_is_imminent(text: str) -> None:
    assert _level(text) is RiskLevel.IMMINENT


@pytest.mark.parametrize(
    "text",
    [
        "no cap i'm going to kill myself",
        "not even kidding i want to kill myself",
        "no bc i'm ending my life tonight",
        "no es broma, me voy a matar",
        "no estoy exagerando, me quiero matar",
    ],
)
def test_pseudo_negation_does_not_cancel_risk(text: str) -> None:
    assert _level(text).escalates


@pytest.mark.parametrize(
    "text",
    [
        "i'm not going to kill myself, i just needed to say it out loud",
        "no me voy a matar, solo estoy cansada",
        "i would never take all my pills, don't worry",
    ],
)
def test_true_negation_still_cancels_risk(text: str) -> None:
    assert not _level(text).escalates


@pytest.mark.parametrize(
    "text",
    [
        "pills.\nall of them.\ntonight.",
        "rope. ready. tonight",
        "me\n🔫\ntonight",
        "puente.\nhoy.\nadiós",
        "the bridge... tonight... goodbye",
    ],
)
def test_parts_split_by_punctuation_line_breaks_or_emoji_combine(text: str) -> None:
    assert _level(text) is RiskLevel.IMMINENT


@pytest.mark.parametrize("text", ["🫡🪦👋", "👋🪦", "🌉👋", "💊👋 bye"])
def test_a_farewell_made_of_emoji_is_imminent(text: str) -> None:
    assert _level(text) is RiskLevel.IMMINENT


@pytest.mark.parametrize(
    "text", ["bye 👋 see you thursday", "👋 hi!", "adiós, nos vemos el lunes 👋"]
)
def test_an_everyday_goodbye_is_not_a_farewell(text: str) -> None:
    assert _level(text) is RiskLevel.NONE


@pytest.mark.parametrize(
    ("english", "spanish"),
    [
        ("i'm going to kill myself", "me voy a matar"),
        ("i took all my pills", "me tomé todas mis pastillas"),
        (
            "i have the gun in my hand and i'm doing it tonight",
            "tengo la pistola en la mano y lo hago esta noche",
        ),
        ("i cut myself and it won't stop bleeding", "me corté y no para de sangrar"),
        ("goodbye everyone, thanks for everything", "adiós a todos, gracias por todo"),
    ],
)
def test_spanish_is_rated_like_the_same_sentence_in_english(english: str, spanish: str) -> None:
    assert _level(spanish) is _level(english)
    assert _level(spanish).escalates


@pytest.mark.parametrize(
    "text",
    [
        "if he doesn't stop crying i'm going to shake the baby",
        "i keep thinking about hurting my son and i'm scared i will",
        "voy a matar a mi padrastro cuando llegue",
        "le voy a pegar a mi hija hasta que se calle",
    ],
)
def test_violence_toward_others_including_a_child_escalates(text: str) -> None:
    assert _level(text).escalates


@pytest.mark.parametrize(
    "text",
    [
        "urge to kill myself 0 today, urge to self harm 1",
        "suicidal urges: 0/5",
        "my therapist asked if i was thinking of killing myself and i said no",
        "la psicóloga me preguntó si quería matarme y le dije que no",
        "what if the character in my book tried to kill himself",
        "kms this printer is jammed again (jk)",
    ],
)
def test_diary_ratings_answered_no_reports_and_jokes_are_benign(text: str) -> None:
    assert _level(text) is RiskLevel.NONE


def test_a_past_attempt_stays_a_flag_not_a_page() -> None:
    assert _level("i took a bunch of pills years ago when i was 16") is RiskLevel.MODERATE


@pytest.mark.parametrize(
    "text",
    ["i want to fucking die", "i'm so freaking ready to end my life", "me quiero pinche morir"],
)
def test_a_swear_word_inside_intent_does_not_hide_it(text: str) -> None:
    assert _level(text) >= RiskLevel.HIGH


@pytest.mark.parametrize(
    "text",
    [
        'my cousin said "kms" when the wifi went out',
        "my roommate texted 'i want to die' because her team lost",
        'mi prima dijo "me quiero morir" porque perdió el camión',
        'we have a group chat called "kms club" for calc homework',
    ],
)
def test_words_someone_else_said_in_quotes_are_reported_not_risk(text: str) -> None:
    assert _level(text) is RiskLevel.NONE


def test_words_the_client_said_in_quotes_still_count() -> None:
    assert _level('i texted my brother "i want to die" and he never answered') >= RiskLevel.HIGH


@pytest.mark.parametrize(
    "text",
    [
        "how long would it take to bleed out?",
        "what's a lethal amount of my sertraline?",
        "¿cuánto tiempo tarda uno en desangrarse?",
        "cuántas de mis pastillas de litio serían una dosis letal",
    ],
)
def test_asking_how_lethal_a_method_is_pages(text: str) -> None:
    assert _level(text) >= RiskLevel.HIGH


@pytest.mark.parametrize(
    "text",
    ["signing off for good. thank you for everything", "me despido de todos, para siempre"],
)
def test_a_farewell_made_final_is_imminent(text: str) -> None:
    assert _level(text) is RiskLevel.IMMINENT


@pytest.mark.parametrize(
    "text",
    ["i took something and now i can't feel my legs", "ya lo hice y estoy vomitando sangre"],
)
def test_something_done_and_how_the_body_feels_now_is_an_attempt(text: str) -> None:
    assert _level(text) is RiskLevel.IMMINENT


@pytest.mark.parametrize(
    "text",
    ["i'm going to make it look like an accident", "la próxima vez que lo vea no se levanta"],
)
def test_violence_said_sideways_escalates(text: str) -> None:
    assert _level(text) >= RiskLevel.HIGH


@pytest.mark.parametrize(
    "text",
    [
        "gun show this weekend w my dad",
        "bought rope for my climbing class, first lesson saturday",
        "I give up on this homework",
        "nothing matters today lol",
        "my phone is about to die, bye",
        "which hurts less, a tattoo or a piercing?",
        "i hurt my knee at practice",
        "no quiero ir al trabajo mañana",
        "what's the lethal dose of caffeine lol",
    ],
)
def test_everyday_look_alikes_are_not_flagged(text: str) -> None:
    assert _level(text) is RiskLevel.NONE


@pytest.mark.parametrize("text", ["i cut myself last night", "me corté anoche"])
def test_self_harm_already_done_is_moderate_not_a_page(text: str) -> None:
    """SPEC §6: recent self-harm is moderate (a caring question about injuries)."""
    assert _level(text) is RiskLevel.MODERATE


def test_evidence_of_parts_quotes_the_client_exactly() -> None:
    text = "My DAD'S Glock is in my lap.\nTonight."
    assessment = assess(text)
    assert assessment.level is RiskLevel.IMMINENT
    assert assessment.evidence
    assert all(text[e.start : e.end] == e.text for e in assessment.evidence)


# --- the learned model beside the rules ------------------------------------------------


def _verdict(
    level: RiskLevel,
    *,
    cancelled: bool = False,
    noticed: bool = True,
    set_aside: bool = False,
    categories: tuple[str, ...] = (),
) -> RulesVerdict:
    verdict = RulesVerdict(Assessment(level, categories), cancelled, noticed, set_aside)
    return dataclasses.replace(verdict, risk_words_seen=True)  # a word of risk, at least


def test_model_raises_to_high_what_the_rules_noticed() -> None:
    settings = load_settings()
    text = "i don't think i can keep doing this much longer, it's all set"
    sure = ModelScores(risk=0.99, escalate=0.99)
    combined = combine(text, _verdict(RiskLevel.NONE), sure, settings)
    assert combined.level is RiskLevel.HIGH
    assert combined.categories == (LEARNED_RISK,)
    assert [(e.start, e.end) for e in combined.evidence] == [(0, len(text))]


def test_model_alone_flags_and_pages_only_when_surer() -> None:
    settings = load_settings()
    text = "everything is grey lately and i am tired of it"
    alone = _verdict(RiskLevel.NONE, noticed=False)
    fairly_sure = ModelScores(risk=0.95, escalate=settings.alone.escalate - 0.01)
    assert combine(text, alone, fairly_sure, settings).level is RiskLevel.MODERATE
    very_sure = ModelScores(risk=0.99, escalate=settings.alone.escalate)
    assert combine(text, alone, very_sure, settings).level is RiskLevel.HIGH
    assert settings.alone.flag > settings.noticed.flag
    # Paging alone needs the same escalation probability as where the rules noticed
    # something, but both heads must agree (page_needs_risk) and the message must
    # not be a fragment (min_words); leave-one-writer-out chose 0.5 for both.
    assert settings.alone.escalate >= settings.noticed.escalate
    assert settings.page_needs_risk > 0


def test_model_alone_pages_a_message_without_any_word_of_risk_only_when_surer() -> None:
    """Review 15 #1: where the rules met no word of risk at all ("i'm going to the
    store"), the model's "i'm going to" is not enough to page: a caring question instead,
    a page only from the ``unseen`` bar. A word of risk anywhere keeps the ``alone`` bar."""
    settings = load_settings()
    text = "i'm going to the store after work"
    between = ModelScores(
        risk=0.9, escalate=(settings.alone.escalate + settings.unseen.escalate) / 2
    )
    unseen = RulesVerdict(Assessment(RiskLevel.NONE, ()))
    assert combine(text, unseen, between, settings).level is RiskLevel.MODERATE
    seen = dataclasses.replace(unseen, risk_words_seen=True)
    assert combine(text, seen, between, settings).level is RiskLevel.HIGH
    sure = ModelScores(risk=0.9, escalate=settings.unseen.escalate)
    assert combine(text, unseen, sure, settings).level is RiskLevel.HIGH
    assert settings.unseen.escalate > settings.alone.escalate


def test_model_needs_to_be_surest_where_a_part_was_negated() -> None:
    settings = load_settings()
    text = "i can't say i won't do it"
    between = (settings.set_aside.escalate + settings.alone.escalate) / 2
    scores = ModelScores(risk=0.5, escalate=between)
    aside = _verdict(RiskLevel.NONE, noticed=False, set_aside=True)
    assert combine(text, aside, scores, settings).level is RiskLevel.NONE
    alone = _verdict(RiskLevel.NONE, noticed=False)
    assert combine(text, alone, scores, settings).level is RiskLevel.HIGH


def test_model_never_overrules_what_the_rules_set_aside() -> None:
    settings = load_settings()
    sure = ModelScores(risk=0.99, escalate=0.99)
    verdict = _verdict(RiskLevel.NONE, cancelled=True)
    assert combine("i'm not going to hurt myself", verdict, sure, settings).level is RiskLevel.NONE


def test_model_sure_of_nothing_lowers_the_rules_one_level_but_never_imminent() -> None:
    settings = load_settings()
    unsure = ModelScores(risk=settings.veto / 2, escalate=0.0)
    text = "i have the pills right here"
    assert combine(text, _verdict(RiskLevel.IMMINENT), unsure, settings).level is (
        RiskLevel.IMMINENT
    )
    assert combine(text, _verdict(RiskLevel.HIGH), unsure, settings).level is RiskLevel.MODERATE
    assert combine(text, _verdict(RiskLevel.MODERATE), unsure, settings).level is RiskLevel.NONE
    doubtful = ModelScores(risk=settings.veto, escalate=0.0)
    assert combine(text, _verdict(RiskLevel.HIGH), doubtful, settings).level is RiskLevel.HIGH


def test_model_does_not_page_on_self_harm_already_done() -> None:
    """SPEC §6: recent self-harm is moderate, however sure the model is of risk."""
    settings = load_settings()
    sure = ModelScores(risk=0.99, escalate=0.99)
    done = _verdict(RiskLevel.MODERATE, categories=("recent_self_harm",))
    assert combine("i cut myself last night", done, sure, settings).level is RiskLevel.MODERATE


def test_model_leaves_a_word_or_two_to_the_rules() -> None:
    settings = load_settings()
    sure = ModelScores(risk=0.99, escalate=0.99)
    assert combine("⚰️", _verdict(RiskLevel.NONE), sure, settings).level is RiskLevel.NONE


def test_model_and_rules_together_score_the_same_in_batches_and_alone() -> None:
    texts = ["i feel like a burden to everyone", "took my meds, night", "me quiero morir"]
    detector = get_detector()
    assert detector.assess_many(texts) == [detector.assess(text) for text in texts]


@pytest.mark.parametrize(
    ("text", "heard"),
    [
        ("yes", False),
        ("3", False),
        ("want to die", False),  # a fragment: the rules' alone
        ("i'll die if i don't get coffee today", True),  # read without the idiom's sentence
        ("everything is grey lately and i am tired of it", True),
        ("took all of them, bye", True),
    ],
)
def test_a_message_the_model_does_not_read_gets_the_verdict_it_would_have_had(
    text: str, heard: bool
) -> None:
    """The detector skips the model where combine() would ignore its scores: the
    verdict must be what combining with the model's scores gives, and there any
    scores give the rules' verdict."""
    detector = get_detector()
    settings = load_settings()
    normalized = detector.normalize(text)
    [verdict] = detector.rules_verdicts([normalized])
    [scores] = detector.model_scores_normalized([detector.model_input(normalized, verdict)])
    assert detector.assess(text) == combine(text, verdict, scores, settings)
    assert model_is_heard(text, verdict, settings) is heard
    if not heard:
        for extreme in (ModelScores(0.0, 0.0), ModelScores(1.0, 1.0)):
            assert combine(text, verdict, extreme, settings) == verdict.assessment
