"""Help in the moment: what a client says is happening gets a fitting DBT skill, and why."""

from __future__ import annotations

import pytest

from bot.skills import SkillLibrary, load_library, suggest_skills
from channels.sms_segments import is_gsm7, segment_count

#: Families of skills DBT reaches for, per situation (issue 9, SPEC §3).
BODY_DOWN = {"tipp", "stop", "accepts", "self_soothe", "paired_muscle_relaxation"}
RESIST_URGE = {"stop", "pros_and_cons", "tipp", "accepts"}
NOT_FITTING = {"check_the_facts", "opposite_action"}
FITTING = {"problem_solving"}
ASK_OR_REFUSE = {"dear_man", "give", "fast"}
RELATIONSHIP = {"give", "dear_man", "validation"}
SELF_RESPECT = {"fast", "dear_man"}
VULNERABILITY = {"please", "abc"}
ACCEPTANCE = {"radical_acceptance", "turning_the_mind", "willingness", "half_smile_willing_hands"}
THOUGHTS = {"mindfulness_of_current_thoughts", "accepts", "what_skills"}
SELF_KINDNESS = {"how_skills", "loving_kindness", "validation"}
PRESENT = {"what_skills", "self_soothe", "wise_mind"}
DECIDE = {"wise_mind", "pros_and_cons", "clarifying_priorities"}
LOW_MOOD = {"abc", "opposite_action", "mindfulness_of_current_emotion", "please"}
CONNECT = {"opposite_action", "abc", "mindfulness_of_others", "self_soothe"}
COPE_AHEAD = {"abc"}
REPAIR = {"check_the_facts", "problem_solving", "opposite_action"}
FEEL_IT = {"mindfulness_of_current_emotion", "self_soothe", "improve"}
OVERWHELM = {"stop", "tipp", "improve"}


@pytest.fixture(scope="module")
def library() -> SkillLibrary:
    return load_library()


@pytest.mark.parametrize(
    ("message", "family"),
    [
        ("I'm about to explode at my mom", BODY_DOWN),
        ("I'm so angry at my sister", NOT_FITTING),
        ("help me calm down", BODY_DOWN),
        ("i'm freaking out, my heart is racing and i can't breathe", BODY_DOWN),
        ("SO MAD RN 😡😡😡", BODY_DOWN),
        ("I want to text my ex so bad right now", RESIST_URGE),
        ("i really want a drink tonight, the craving is bad", RESIST_URGE),
        ("everything is too much i cant cope", OVERWHELM),
        ("ugh rough day", FEEL_IT),
        ("I know I'm overreacting but he didn't text back", NOT_FITTING),
        ("everyone at work hates me i just know it", NOT_FITTING),
        ("I got fired and I can't pay rent", FITTING),
        ("i have 3 deadlines and im failing my class, how do i fix this", FITTING),
        ("i need to ask my boss for a raise", ASK_OR_REFUSE),
        ("how do i say no to my sister, she keeps asking me for money", ASK_OR_REFUSE),
        ("we had a huge fight, my boyfriend is yelling at me", RELATIONSHIP),
        ("i always give in and apologize for everything, im such a pushover", SELF_RESPECT),
        ("I haven't slept in 2 days and I'm so irritable", VULNERABILITY),
        ("haven't eaten all day and i feel sick", VULNERABILITY),
        ("my dad died last month and i can't accept it", ACCEPTANCE),
        ("it's not fair, why me", ACCEPTANCE),
        ("i cant stop thinking about what she said, keep replaying it", THOUGHTS),
        ("im so stupid i hate myself", SELF_KINDNESS),
        ("i feel numb and spaced out", PRESENT),
        ("should I take the job or stay? i cant decide", DECIDE),
        ("I feel really sad today", LOW_MOOD),
        ("nothing makes me happy anymore, i'm bored and empty", LOW_MOOD),
        ("I'm so lonely, nobody cares", CONNECT),
        ("job interview tomorrow and im so nervous", COPE_AHEAD),
        ("im so embarrassed about what i said at the party", NOT_FITTING),
        ("i feel guilty i yelled at my kid", REPAIR),
        ("im so anxous about everything", NOT_FITTING | {"tipp"}),
        ("estoy muy enojada con mi novio, voy a explotar", BODY_DOWN),
        ("no puedo dormir y estoy agotada", VULNERABILITY),
        ("me siento sola, nadie me quiere", CONNECT),
        ("mi abuela murió y no lo puedo aceptar", ACCEPTANCE),
        ("tengo que decirle que no a mi jefe", ASK_OR_REFUSE),
    ],
)
def test_a_situation_gets_a_skill_of_the_fitting_family_first(
    library: SkillLibrary, message: str, family: set[str]
) -> None:
    suggestions = suggest_skills(message, library)
    assert suggestions, "no skill suggested"
    assert suggestions[0].skill.id in family, [s.skill.id for s in suggestions]


def test_about_to_explode_gets_tipp_first_and_why(library: SkillLibrary) -> None:
    suggestions = suggest_skills("I'm about to explode at my mom", library)
    assert [s.skill.id for s in suggestions] == ["tipp", "stop", "accepts"]
    assert suggestions[0].reason.startswith("When you're about to explode, TIPP")


def test_asking_for_something_gets_dear_man_with_give_and_fast(library: SkillLibrary) -> None:
    suggestions = suggest_skills("I need to ask my roommate to pay me back", library)
    assert [s.skill.id for s in suggestions] == ["dear_man", "give", "fast"]


def test_an_emotion_that_fits_a_real_problem_gets_problem_solving_not_opposite_action(
    library: SkillLibrary,
) -> None:
    ids = [s.skill.id for s in suggest_skills("I got evicted and I can't pay rent", library)]
    assert ids[0] == "problem_solving" and "opposite_action" not in ids


@pytest.mark.parametrize(
    "message",
    [
        "hello",
        "what's the weather",
        "ok thanks",
        "",
        "   ",
        "🙂",
        "I'm not angry, just checking in",
        "remind me tomorrow at 8",
        "i want to ask you something",
        "I got a raise today!",
        "I used TIPP and it helped a lot",
        "I had a great day with my mom",
        "what is tipp",
        "lol I almost died laughing",
        "I killed it at my presentation today",
    ],
)
def test_a_message_without_a_situation_gets_no_guess(library: SkillLibrary, message: str) -> None:
    assert suggest_skills(message, library) == []


def test_suggestions_are_distinct_limited_and_sendable(library: SkillLibrary) -> None:
    message = "so angry and anxious, can't sleep, fighting with my mom, I hate myself"
    for limit in (1, 3, 5):
        suggestions = suggest_skills(message, library, limit=limit)
        assert len(suggestions) == limit
        assert len({s.skill.id for s in suggestions}) == limit
        for suggestion in suggestions:
            assert is_gsm7(suggestion.reason) and segment_count(suggestion.reason) <= 2
    assert suggest_skills(message, library, limit=0) == []


def test_a_negated_feeling_is_not_taken_as_felt(library: SkillLibrary) -> None:
    recognised = {r.tag for r in library.situations.recognise("I'm not angry, I'm sad")}
    assert recognised == {"sadness"}


def test_a_real_word_near_a_cue_is_not_corrected_into_it(library: SkillLibrary) -> None:
    assert library.situations.recognise("I want to explore the city") == []


def test_a_ten_kilobyte_message_is_read_without_error(library: SkillLibrary) -> None:
    suggestions = suggest_skills("I'm so overwhelmed. " + "and then " * 1200, library)
    assert suggestions and suggestions[0].skill.id in OVERWHELM
