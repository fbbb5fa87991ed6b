"""The skills content is complete and fit to send: every SPEC §3 skill, every acronym letter,
steps that fit two SMS segments, sources, safety notes, and a documented situation vocabulary."""

from __future__ import annotations

import re

import pytest

from bot.skills import MODULES, STEP_MAX_CHARS, Skill, SkillLibrary, load_library
from bot.skills.library import CONTENT_DIR
from channels.sms_segments import is_gsm7, segment_count

#: Every skill the library must teach: SPEC §3's, plus a few that DBT clinics teach with them.
REQUIRED_SKILLS: dict[str, tuple[str, ...]] = {
    "mindfulness": ("wise_mind", "what_skills", "how_skills", "loving_kindness"),
    "distress_tolerance": (
        "stop",
        "pros_and_cons",
        "tipp",
        "paired_muscle_relaxation",
        "accepts",
        "self_soothe",
        "improve",
        "radical_acceptance",
        "turning_the_mind",
        "willingness",
        "half_smile_willing_hands",
        "mindfulness_of_current_thoughts",
    ),
    "emotion_regulation": (
        "check_the_facts",
        "opposite_action",
        "problem_solving",
        "abc",
        "please",
        "mindfulness_of_current_emotion",
    ),
    "interpersonal_effectiveness": (
        "dear_man",
        "give",
        "fast",
        "validation",
        "mindfulness_of_others",
        "clarifying_priorities",
    ),
}
#: Acronym skills and the words their letters stand for, as DBT teaches them.
ACRONYMS: dict[str, tuple[str, ...]] = {
    "stop": ("Stop", "Take a step back", "Observe", "Proceed mindfully"),
    "tipp": ("Temperature", "Intense exercise", "Paced breathing", "Paired muscle relaxation"),
    "accepts": (
        "Activities",
        "Contributing",
        "Comparisons",
        "Emotions",
        "Pushing away",
        "Thoughts",
        "Sensations",
    ),
    "improve": (
        "Imagery",
        "Meaning",
        "Prayer",
        "Relaxing actions",
        "One thing in the moment",
        "Vacation",
        "Encouragement",
    ),
    "dear_man": (
        "Describe",
        "Express",
        "Assert",
        "Reinforce",
        "stay Mindful",
        "Appear confident",
        "Negotiate",
    ),
    "give": ("be Gentle", "act Interested", "Validate", "use an Easy manner"),
    "fast": ("be Fair", "no Apologies", "Stick to values", "be Truthful"),
    "please": (
        "treat PhysicaL illness",
        "balance Eating",
        "avoid mood-Altering substances",
        "balance Sleep",
        "get Exercise",
    ),
    "abc": ("Accumulate positive emotions", "Build mastery", "Cope ahead"),
}
#: Crisis survival skills (Distress Tolerance Handout 2): for getting through a crisis only.
CRISIS_SURVIVAL = (
    "stop",
    "pros_and_cons",
    "tipp",
    "paired_muscle_relaxation",
    "accepts",
    "self_soothe",
    "improve",
)
#: Each module's handouts, as the source of its skills must cite them.
HANDOUT_SERIES = {
    "mindfulness": "Mindfulness Handout",
    "distress_tolerance": "Distress Tolerance Handout",
    "emotion_regulation": "Emotion Regulation Handout",
    "interpersonal_effectiveness": "Interpersonal Effectiveness Handout",
}
SOURCE_BOOK = "Linehan, DBT Skills Training Manual, 2nd ed. (2015), "


@pytest.fixture(scope="module")
def library() -> SkillLibrary:
    return load_library()


def _all_skills() -> list[Skill]:
    return list(load_library())


def _client_texts(skill: Skill) -> list[tuple[str, str]]:
    """Every text a client may be sent from the skill's file, with where it comes from."""
    texts = [("name", skill.name), ("summary", skill.summary)]
    texts += [(f"when_to_use[{i}]", t) for i, t in enumerate(skill.when_to_use)]
    texts += [(f"when_not_to_use[{i}]", t) for i, t in enumerate(skill.when_not_to_use)]
    texts += [(f"steps[{i}]", t) for i, t in enumerate(skill.steps)]
    texts += [("practice", skill.practice), ("homework", skill.homework)]
    for i, letter in enumerate(skill.acronym):
        texts += [(f"acronym[{i}].stands_for", letter.stands_for)]
        texts += [(f"acronym[{i}].meaning", letter.meaning)]
    return texts


def test_every_required_skill_is_in_the_library_under_its_module(library: SkillLibrary) -> None:
    for module, skill_ids in REQUIRED_SKILLS.items():
        assert [skill.id for skill in library.by_module(module)] == list(skill_ids)
    assert len(library) == sum(len(ids) for ids in REQUIRED_SKILLS.values()) == 28
    assert set(MODULES) == set(REQUIRED_SKILLS)


@pytest.mark.parametrize(("skill_id", "words"), ACRONYMS.items())
def test_every_acronym_letter_is_present_and_spells_the_name(
    library: SkillLibrary, skill_id: str, words: tuple[str, ...]
) -> None:
    skill = library.get(skill_id)
    assert tuple(letter.stands_for for letter in skill.acronym) == words
    capitals = re.sub("[^A-Z]", "", skill.name)
    assert "".join(letter.letter for letter in skill.acronym) == capitals
    for letter in skill.acronym:
        assert letter.letter in re.sub("[^A-Z]", "", letter.stands_for), letter
        assert letter.meaning


def test_only_acronym_skills_have_letters(library: SkillLibrary) -> None:
    assert {skill.id for skill in library if skill.acronym} == set(ACRONYMS)


@pytest.mark.parametrize("skill", _all_skills(), ids=lambda skill: skill.id)
def test_every_text_fits_sms_in_plain_gsm7(skill: Skill) -> None:
    for where, text in _client_texts(skill):
        assert is_gsm7(text), f"{skill.id}.yml {where} is not GSM-7"
        assert text == text.strip() and "  " not in text, f"{skill.id}.yml {where} spacing"
    for index, step in enumerate(skill.steps):
        assert len(step) <= STEP_MAX_CHARS, f"{skill.id}.yml steps[{index}]"
        assert segment_count(step) <= 2, f"{skill.id}.yml steps[{index}]"
        assert not re.match(r"\d+[.)]", step), f"{skill.id}.yml steps[{index}] is numbered"
    assert segment_count(skill.summary) <= 2


@pytest.mark.parametrize("skill", _all_skills(), ids=lambda skill: skill.id)
def test_every_skill_is_complete_and_cites_its_handout(skill: Skill) -> None:
    assert len(skill.steps) >= 3
    assert skill.when_to_use and skill.when_not_to_use and skill.situations
    assert len(skill.practice) >= 80 and len(skill.homework) >= 80
    assert skill.source.startswith(SOURCE_BOOK)
    assert HANDOUT_SERIES[skill.module] in skill.source
    assert re.search(r"Handouts? \d+", skill.source)
    assert skill.aliases


@pytest.mark.parametrize("skill_id", CRISIS_SURVIVAL)
def test_crisis_survival_skills_say_they_are_for_crises_not_everyday_problems(
    library: SkillLibrary, skill_id: str
) -> None:
    cautions = " ".join(library.get(skill_id).when_not_to_use).lower()
    assert "crisis survival skill" in cautions
    assert re.search(r"not (for|a|the|a way)|not solv|not a long-term|not a fix", cautions)


def test_tipp_warns_about_cold_water_and_exercise_before_the_steps_use_them(
    library: SkillLibrary,
) -> None:
    tipp = library.get("tipp")
    cautions = " ".join(tipp.when_not_to_use).lower()
    for risk in ("heart", "eating disorder", "beta blockers", "exercise"):
        assert risk in cautions
    first_cold = next(i for i, step in enumerate(tipp.steps) if "cold" in step.lower())
    assert "heart" in tipp.steps[first_cold].lower() and "eating disorder" in tipp.steps[0]
    assert first_cold == 0


def test_acceptance_skills_say_acceptance_is_not_approval_or_tolerating_harm(
    library: SkillLibrary,
) -> None:
    cautions = " ".join(library.get("radical_acceptance").when_not_to_use).lower()
    assert "not approval" in cautions and "abuse" in cautions


def test_what_and_how_skills_teach_all_three_of_each(library: SkillLibrary) -> None:
    what = " ".join(library.get("what_skills").steps)
    how = " ".join(library.get("how_skills").steps)
    assert all(word in what for word in ("Observe", "Describe", "Participate"))
    assert all(word in how for word in ("Nonjudgmentally", "One-mindfully", "Effectively"))


def test_every_situation_is_used_and_suggests_skills(library: SkillLibrary) -> None:
    used = {tag for skill in library for tag in skill.situations}
    assert used == set(library.situations.tags)
    for tag, situation in library.situations.items():
        assert situation.suggest, tag
        for choice in situation.suggest:
            assert is_gsm7(choice.reason) and segment_count(choice.reason) <= 2, (tag, choice)


def test_the_readme_documents_the_situation_vocabulary_as_the_data_has_it(
    library: SkillLibrary,
) -> None:
    readme = (CONTENT_DIR / "README.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `([a-z_]+)` \| .* \| (.*) \|$", readme, flags=re.MULTILINE))
    documented = {tag: offered for tag, offered in rows.items() if tag in library.situations}
    assert set(documented) == set(library.situations.tags)
    for tag, offered in documented.items():
        names = ", ".join(library.get(c.skill).name for c in library.situations[tag].suggest)
        assert offered == names, tag


def test_the_issue_mapping_of_situations_to_skills_holds(library: SkillLibrary) -> None:
    """Issue 9: high arousal -> TIPP, STOP, ACCEPTS, self-soothe; not fitting the facts ->
    check the facts, opposite action; fitting -> problem solving; asking or saying no ->
    DEAR MAN with GIVE and FAST; vulnerability -> PLEASE, ABC; unchangeable pain -> radical
    acceptance, turning the mind, willingness."""

    def first(tag: str, count: int) -> list[str]:
        return [choice.skill for choice in library.situations[tag].suggest[:count]]

    assert first("high_arousal", 4) == ["tipp", "stop", "accepts", "self_soothe"]
    assert first("emotion_not_fitting_facts", 2) == ["check_the_facts", "opposite_action"]
    assert first("emotion_fits_facts", 1) == ["problem_solving"]
    assert first("asking_or_saying_no", 3) == ["dear_man", "give", "fast"]
    assert first("vulnerability_sleep_food_illness", 2) == ["please", "abc"]
    assert first("unchangeable_pain", 3) == [
        "radical_acceptance",
        "turning_the_mind",
        "willingness",
    ]
