"""The skills library: loading, failing loudly on a bad file, finding a skill as clients type it."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.skills import CONTENT_DIR, MODULES, SkillContentError, SkillLibrary, load_library


@pytest.fixture(scope="module")
def library() -> SkillLibrary:
    return load_library()


@pytest.mark.parametrize(
    ("text", "skill_id"),
    [
        ("TIPP", "tipp"),
        ("tipp", "tipp"),
        ("tip", "tipp"),
        ("Tip skill", "tipp"),
        ("T.I.P.P.", "tipp"),
        ("what is tipp?", "tipp"),
        ("walk me through TIPP please", "tipp"),
        ("DEAR MAN", "dear_man"),
        ("dear man", "dear_man"),
        ("dearman", "dear_man"),
        ("DEAR-MAN", "dear_man"),
        ("Dear Man?", "dear_man"),
        ("dear man???", "dear_man"),
        ("whats dear man", "dear_man"),
        ("what's DEAR MAN", "dear_man"),
        ("dear mna", "dear_man"),
        ("deer man", "dear_man"),
        ("STOP", "stop"),
        ("the stop skill", "stop"),
        ("tell me about STOP", "stop"),
        ("qué es dear man", "dear_man"),
        ("PLEASE", "please"),
        ("what is please", "please"),
        ("abc please", "abc"),
        ("ABC", "abc"),
        ("cope ahead", "abc"),
        ("opposite action", "opposite_action"),
        ("opposit acton", "opposite_action"),
        ("check facts", "check_the_facts"),
        ("ride the wave", "mindfulness_of_current_emotion"),
        ("radical acceptence", "radical_acceptance"),
        ("I need to distract myself", "accepts"),
        ("half smile", "half_smile_willing_hands"),
        ("i struggle with radical acceptence", "radical_acceptance"),
        ("the pros and cons of moving", "pros_and_cons"),
        ("tell me about this skill: tipp", "tipp"),
        ("whats PLEASE in dbt", "please"),
        ("what does FAST stand 4", "fast"),
        ("what does GIVE stand for in DBT", "give"),
        ("wats ABC abt", "abc"),
        ("what is wise mind", "wise_mind"),
        ("tell me about wisemind", "wise_mind"),
        ("what are the what skills", "what_skills"),
        ("what r the how skills", "how_skills"),
        ("hey wisemind whats TIPP", "tipp"),
    ],
)
def test_a_skill_is_found_whatever_the_spelling(
    library: SkillLibrary, text: str, skill_id: str
) -> None:
    found = library.find(text)
    assert found is not None and found.id == skill_id


@pytest.mark.parametrize(
    "text",
    [
        "I can't stop crying",
        "please help",
        "I'm willing to try the opposite",
        "I need some validation",
        "stop it",
        "show me distress tolerance skills",
        "give me a minute",
        "hello",
        "",
        "???",
        "stp",
        "what skills do you have",
        "what skills r there",
        "hey wisemind",
        "heyyy wisemind",
        "hi wisemind",
        "hi wise mind",
        "thanks WiseMind",
        "tips for sleeping " * 30,
    ],
)
def test_everyday_words_name_no_skill(library: SkillLibrary, text: str) -> None:
    assert library.find(text) is None


def test_get_returns_the_skill_and_an_unknown_id_is_a_key_error(library: SkillLibrary) -> None:
    assert library.get("tipp").name == "TIPP"
    with pytest.raises(KeyError, match="nope"):
        library.get("nope")


def test_by_module_lists_a_modules_skills_in_teaching_order(library: SkillLibrary) -> None:
    distress = library.by_module("distress_tolerance")
    assert [skill.id for skill in distress[:1]] == ["stop"]
    assert all(skill.module == "distress_tolerance" for skill in distress)
    listed = [skill.id for module in MODULES for skill in library.by_module(module)]
    assert sorted(listed) == sorted(library.ids)
    with pytest.raises(KeyError, match="no module"):
        library.by_module("dbt")


def test_skills_are_frozen_and_acronym_letters_are_records(library: SkillLibrary) -> None:
    tipp = library.get("tipp")
    assert tipp.module_name == "Distress tolerance"
    assert [letter.stands_for for letter in tipp.acronym][:2] == ["Temperature", "Intense exercise"]
    with pytest.raises(AttributeError):
        tipp.name = "TIP"  # type: ignore[misc]


def test_the_library_is_loaded_once_per_directory() -> None:
    assert load_library() is load_library(str(CONTENT_DIR))


# --- a bad file stops loading, naming the file and the field -----------------------


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "skills_content"
    shutil.copytree(CONTENT_DIR, copy)
    return copy


def _edit(directory: Path, name: str, change: Callable[[dict[str, Any]], None]) -> None:
    path = directory / name
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")


def _set(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda document: document.__setitem__(key, value)


def _set_step(index: int, text: str) -> Callable[[dict[str, Any]], None]:
    return lambda document: document["steps"].__setitem__(index, text)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_set_step(2, "x" * 301), r"tipp\.yml: steps\[2\]: is 301 characters, more than 300"),
        (_set_step(0, "Breathe \u201cslowly\u201d"), r"tipp\.yml: steps\[0\]: .*not plain GSM-7"),
        (_set_step(0, "Breathe \U0001f60a"), r"tipp\.yml: steps\[0\]: .*not plain GSM-7"),
        (lambda d: d.pop("homework"), r"tipp\.yml: homework: field required"),
        (_set("steps", []), r"tipp\.yml: steps: must list at least one item"),
        (_set("module", "dt"), r"tipp\.yml: module: must be one of"),
        (_set("colour", "red"), r"tipp\.yml: colour: extra fields not permitted"),
        (_set("id", "tip"), r"tipp\.yml: id: 'tip' must match the file name"),
        (_set("situations", ["sad_face"]), r"tipp\.yml: situations: \['sad_face'\]"),
        (_set("aliases", ["dear man"]), r"tipp\.yml: aliases: 'dearman' also names dear_man"),
        (lambda d: d["acronym"].pop(), r"tipp\.yml: acronym: letters spell 'TIP'"),
        (lambda d: d["acronym"][0].__setitem__("letter", "t"), r"tipp\.yml: acronym\[0\]\.letter"),
        (lambda d: d["acronym"][1].pop("meaning"), r"tipp\.yml: acronym\[1\]\.meaning"),
    ],
)
def test_a_malformed_skill_file_fails_loudly_naming_file_and_field(
    content_copy: Path, change: Callable[[dict[str, Any]], None], expected: str
) -> None:
    _edit(content_copy, "tipp.yml", change)
    with pytest.raises(SkillContentError, match=expected):
        load_library(content_copy)


def test_a_yaml_syntax_error_names_the_file(content_copy: Path) -> None:
    (content_copy / "stop.yml").write_text("id: stop\nsteps: [unclosed\n", encoding="utf-8")
    with pytest.raises(SkillContentError, match=r"stop\.yml: cannot be read"):
        load_library(content_copy)


def test_a_skill_missing_from_the_module_order_fails(content_copy: Path) -> None:
    _edit(content_copy, "modules.yml", lambda d: d["distress_tolerance"].remove("tipp"))
    with pytest.raises(SkillContentError, match=r"modules\.yml: distress_tolerance"):
        load_library(content_copy)


def test_a_situation_suggesting_a_skill_that_does_not_fit_it_fails(content_copy: Path) -> None:
    _edit(
        content_copy,
        "situations.yml",
        lambda d: d["situations"]["sadness"].__setitem__(
            "suggest", [{"skill": "dear_man", "reason": "Ask for a hug."}]
        ),
    )
    with pytest.raises(SkillContentError, match=r"situations\.yml: sadness: suggests dear_man"):
        load_library(content_copy)


def test_a_missing_content_directory_fails(tmp_path: Path) -> None:
    with pytest.raises(SkillContentError, match="does not exist"):
        load_library(tmp_path / "nowhere")


@pytest.mark.parametrize("skill_id", load_library().ids)
def test_every_name_and_alias_finds_its_own_skill(library: SkillLibrary, skill_id: str) -> None:
    skill = library.get(skill_id)
    spellings = []
    for name in (skill.name, skill.id.replace("_", " "), *skill.aliases):
        spellings += [name, name.upper(), name.lower()]
    spellings += [f"what is {skill.name}?", f"tell me about {skill.name}"]
    spellings += [f"walk me through {skill.name.lower()} please"]
    missed = [text for text in spellings if getattr(library.find(text), "id", None) != skill_id]
    assert missed == []


@pytest.mark.parametrize(
    ("text", "module"),
    [
        ("show me distress tolerance skills", "distress_tolerance"),
        ("DT", "distress_tolerance"),
        ("crisis skills", "distress_tolerance"),
        ("distres tolerence", "distress_tolerance"),
        ("mindfulness", "mindfulness"),
        ("mindfulness skills", "mindfulness"),
        ("emotional regulation skills", "emotion_regulation"),
        ("regulación emocional", "emotion_regulation"),
        ("what are the IE skills", "interpersonal_effectiveness"),
        ("relationship skills", "interpersonal_effectiveness"),
        ("mindfulness of others", None),
        ("tipp", None),
        ("I feel stuck", None),
        ("list all the modules", None),
    ],
)
def test_a_browsing_request_names_its_module(
    library: SkillLibrary, text: str, module: str | None
) -> None:
    assert library.find_module(text) == module
