"""The DBT skills library: one validated YAML file per skill in ``skills_content/``.

Skill content is clinical material reviewed like code, so it lives in data
files, and a file that breaks the schema stops start-up with a message naming
the file and the field, never a coach that half knows a skill. Everything
here is plain Python: the Rasa actions, the CLI and the dashboard read the
same :class:`SkillLibrary`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from pydantic import BaseModel, Extra, StrictStr, ValidationError, validator
from rapidfuzz import fuzz, process

from bot.settings import PROJECT_ROOT
from bot.skills.files import SkillContentError, read_yaml
from bot.skills.situations import SITUATIONS_FILE, SituationLexicon, load_situations
from bot.skills.text import compact, sms_text, words
from bot.storage.enums import SKILL_ID_MAX_LENGTH

#: Where the skill files live.
CONTENT_DIR: Final = PROJECT_ROOT / "skills_content"
#: The file that lists each module's skills in teaching order.
MODULES_FILE: Final = "modules.yml"

#: The four DBT modules, in the order the library presents them, with display names.
MODULES: Final[Mapping[str, str]] = {
    "mindfulness": "Mindfulness",
    "distress_tolerance": "Distress tolerance",
    "emotion_regulation": "Emotion regulation",
    "interpersonal_effectiveness": "Interpersonal effectiveness",
}

#: What clients call each module ("show me DT skills", "crisis skills", "regulacion emocional").
#: Names shorter than five letters ("dt") count only as the whole request.
MODULE_ALIASES: Final[Mapping[str, tuple[str, ...]]] = {
    "mindfulness": ("mindfulness", "core mindfulness", "mindful", "atencion plena"),
    "distress_tolerance": (
        "distress tolerance",
        "dt",
        "crisis skills",
        "crisis survival",
        "crisis survival skills",
        "tolerancia al malestar",
    ),
    "emotion_regulation": (
        "emotion regulation",
        "emotional regulation",
        "er",
        "regulating emotions",
        "regulacion emocional",
        "regulacion de emociones",
    ),
    "interpersonal_effectiveness": (
        "interpersonal effectiveness",
        "interpersonal",
        "ie",
        "relationship skills",
        "people skills",
        "efectividad interpersonal",
    ),
}
#: Words around a module name in a browsing request ("list all the DT skills").
_BROWSE_WORDS = frozenset({"list", "all", "module", "modules", "muestrame", "ver", "todas"})
_SKILL_WORDS = frozenset({"skill", "skills"})
#: A step is read one SMS at a time: 300 GSM-7 characters fit two segments (2 x 153).
STEP_MAX_CHARS: Final = 300
#: The summary is the first thing a client reads about a skill; same budget as a step.
SUMMARY_MAX_CHARS: Final = 300
#: A practice exercise or homework prompt may take up to four SMS segments.
PRACTICE_MAX_CHARS: Final = 600
#: A display name fits in a button or a list line.
NAME_MAX_CHARS: Final = 40
#: Skill names that are also everyday words: they name a skill only when they are
#: the whole request ("what's STOP"), never inside a sentence ("I can't stop crying").
EVERYDAY_WORDS: Final = frozenset(
    {
        "stop",
        "give",
        "fast",
        "please",
        "improve",
        "accepts",
        "accept",
        "acceptance",
        "abc",
        "tip",
        "willingness",
        "willing",
        "validation",
        "validate",
        "observe",
        "describe",
        "participate",
        "observing",
        "describing",
        "participating",
        "validating",
        "validacion",
        "effectively",
        "distract",
        "distraction",
        "priorities",
    }
)
#: What clients call the assistant itself ("hey wisemind", "thanks WiseMind"): like an
#: everyday word, it names the Wise Mind skill only as the whole request ("what's wisemind").
ASSISTANT_NAMES: Final = frozenset({"wisemind"})
#: Words around a skill name in a request ("tell me about the TIPP skill please").
REQUEST_WORDS: Final = frozenset(
    [
        "what",
        "whats",
        "wat",
        "is",
        "are",
        "was",
        "the",
        "a",
        "an",
        "about",
        "tell",
        "me",
        "more",
        "on",
        "explain",
        "explanation",
        "how",
        "do",
        "does",
        "did",
        "i",
        "im",
        "use",
        "using",
        "skill",
        "skills",
        "walk",
        "through",
        "thru",
        "with",
        "practice",
        "practise",
        "practicing",
        "can",
        "could",
        "you",
        "u",
        "show",
        "teach",
        "learn",
        "again",
        "remind",
        "of",
        "to",
        "called",
        "mean",
        "means",
        "que",
        "es",
        "la",
        "el",
        "los",
        "las",
        "una",
        "un",
        "habilidad",
        "habilidades",
        # How a request is framed around a name: "what's PLEASE in DBT", "what does
        # FAST stand 4", "wats ABC abt", "what r the how skills".
        "in",
        "dbt",
        "for",
        "4",
        "stand",
        "stands",
        "abt",
        "r",
        "wats",
        "wut",
        "explica",
        "explicame",
        "explicar",
        "sobre",
        "de",
        "como",
        "uso",
        "usar",
        "dime",
        "ensename",
        "practicar",
    ]
)
#: Words that end a polite request ("dear man please") rather than name a skill.
POLITE_ENDINGS: Final = frozenset({"please", "pls", "plz", "thanks", "thx", "porfa", "porfavor"})
#: Whole-request typos ("radical acceptence", "dearmna") are accepted from this similarity (0-100).
FUZZY_MIN_SCORE: Final = 85
#: Inside a longer sentence a near-name must be closer ("somevalidation" is not "selfvalidation").
FUZZY_SCAN_MIN_SCORE: Final = 90
#: Keys shorter than this are matched exactly only ("stp" is not STOP, "gve" is not GIVE).
FUZZY_MIN_KEY_LENGTH: Final = 5
#: A request longer than this many words is not searched for names (it is not a request).
FIND_MAX_WORDS: Final = 40
#: The longest skill name in words ("mindfulness of current thoughts"), for scanning a sentence.
_MAX_NAME_WORDS = 5

_ID_PATTERN = re.compile(rf"^[a-z][a-z_]{{1,{SKILL_ID_MAX_LENGTH - 1}}}$")
_LETTER_PATTERN = r"^[A-Z]{1,2}$"


@dataclass(frozen=True)
class AcronymLetter:
    """One letter of an acronym skill: DEAR MAN's ``A`` stands for *Assert*.

    ``letter`` is usually one capital; PLEASE's ``PL`` (treat PhysicaL illness)
    is the one two-letter entry DBT uses.
    """

    letter: str
    stands_for: str
    meaning: str


@dataclass(frozen=True)
class Skill:
    """One DBT skill as written in ``skills_content/<id>.yml`` (see its README)."""

    id: str
    name: str
    module: str
    aliases: tuple[str, ...]
    acronym: tuple[AcronymLetter, ...]
    summary: str
    when_to_use: tuple[str, ...]
    when_not_to_use: tuple[str, ...]
    situations: tuple[str, ...]
    steps: tuple[str, ...]
    practice: str
    homework: str
    source: str

    @property
    def module_name(self) -> str:
        """The module's display name ("Distress tolerance")."""
        return MODULES[self.module]

    @property
    def is_acronym(self) -> bool:
        """Whether the skill is taught letter by letter (TIPP, DEAR MAN)."""
        return bool(self.acronym)


class _AcronymLetterModel(BaseModel):
    letter: StrictStr
    stands_for: StrictStr
    meaning: StrictStr

    class Config:
        extra = Extra.forbid

    @validator("letter")
    def _capitals(cls, value: str) -> str:
        if not re.match(_LETTER_PATTERN, value):
            raise ValueError("must be one or two capital letters")
        return value

    @validator("stands_for", "meaning")
    def _client_text(cls, value: str) -> str:
        return sms_text(value, STEP_MAX_CHARS)


class _SkillModel(BaseModel):
    id: StrictStr
    name: StrictStr
    module: StrictStr
    aliases: list[StrictStr]
    acronym: list[_AcronymLetterModel]
    summary: StrictStr
    when_to_use: list[StrictStr]
    when_not_to_use: list[StrictStr]
    situations: list[StrictStr]
    steps: list[StrictStr]
    practice: StrictStr
    homework: StrictStr
    source: StrictStr

    class Config:
        extra = Extra.forbid

    @validator("id")
    def _slug(cls, value: str) -> str:
        if not _ID_PATTERN.match(value):
            raise ValueError("must be lower-case letters and underscores (a slug)")
        return value

    @validator("module")
    def _known_module(cls, value: str) -> str:
        if value not in MODULES:
            raise ValueError(f"must be one of {', '.join(MODULES)}")
        return value

    @validator("name")
    def _name(cls, value: str) -> str:
        return sms_text(value, NAME_MAX_CHARS)

    @validator("summary")
    def _summary(cls, value: str) -> str:
        return sms_text(value, SUMMARY_MAX_CHARS)

    @validator("practice", "homework")
    def _exercise(cls, value: str) -> str:
        return sms_text(value, PRACTICE_MAX_CHARS)

    @validator("source")
    def _source(cls, value: str) -> str:
        return sms_text(value)

    @validator("aliases", each_item=True)
    def _alias(cls, value: str) -> str:
        if not compact(value):
            raise ValueError("must contain letters")
        return value.strip()

    @validator("when_to_use", "when_not_to_use", "steps", "situations")
    def _not_empty(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("must list at least one item")
        return value

    @validator("when_to_use", "when_not_to_use", "steps", each_item=True)
    def _item_text(cls, value: str) -> str:
        return sms_text(value, STEP_MAX_CHARS)


class SkillLibrary:
    """Every skill, looked up by id, by what a client calls it, or by module.

    Build it with :func:`load_library`, which validates everything first.
    """

    def __init__(
        self,
        skills: Sequence[Skill],
        module_order: Mapping[str, Sequence[str]],
        situations: SituationLexicon,
    ) -> None:
        self._skills: dict[str, Skill] = {skill.id: skill for skill in skills}
        self._by_module = {
            module: [self._skills[skill_id] for skill_id in ids]
            for module, ids in module_order.items()
        }
        self.situations = situations
        self._keys: dict[str, Skill] = {}
        whole_only: set[str] = set()
        for skill in skills:
            for spelling in _spellings(skill):
                key = compact(spelling)
                self._keys[key] = skill
                if _names_only_as_whole_request(spelling):
                    whole_only.add(key)
        #: Names that count only as the whole request (see :meth:`find`).
        self.whole_request_only: frozenset[str] = frozenset(whole_only)
        self._scannable = {k: s for k, s in self._keys.items() if k not in whole_only}
        self._fuzzy_keys = [k for k in self._keys if len(k) >= FUZZY_MIN_KEY_LENGTH]
        self._fuzzy_scannable = [k for k in self._scannable if len(k) >= FUZZY_MIN_KEY_LENGTH]
        self._module_keys = {
            compact(name): module
            for module, names in MODULE_ALIASES.items()
            for name in (module.replace("_", " "), MODULES[module], *names)
        }

    def __len__(self) -> int:
        return len(self._skills)

    def __iter__(self) -> Iterator[Skill]:
        """Skills module by module, each module in teaching order."""
        return (skill for module in MODULES for skill in self._by_module[module])

    @property
    def name_keys(self) -> dict[str, str]:
        """Every compact spelling that names a skill (``"dearman"``), with the skill's id."""
        return {key: skill.id for key, skill in self._keys.items()}

    @property
    def ids(self) -> tuple[str, ...]:
        """Every skill id, module by module in teaching order."""
        return tuple(skill.id for skill in self)

    def get(self, skill_id: str) -> Skill:
        """The skill with this id; ``KeyError`` naming it if there is none."""
        try:
            return self._skills[skill_id]
        except KeyError:
            raise KeyError(f"no skill with id {skill_id!r}") from None

    def by_module(self, module: str) -> list[Skill]:
        """The module's skills in teaching order; ``KeyError`` for an unknown module."""
        if module not in MODULES:
            raise KeyError(f"no module {module!r}; modules are {', '.join(MODULES)}")
        return list(self._by_module[module])

    def find(self, text: str) -> Skill | None:
        """The skill a client means by ``text``, or ``None``.

        Accepts a bare name or a short request around one, whatever the case,
        punctuation or spacing ("DEAR-MAN", "dearman", "what's tipp?", "tell
        me about opposite action"), and small typos in names of five letters or
        more ("radical acceptence"). Some names count only as the whole request,
        around the words that frame one ("what's PLEASE in DBT"): everyday words
        (STOP, GIVE, FAST), so "I can't stop crying" names no skill; names made
        of request words ("What skills"), so "what skills do you have" asks for
        the list; and the assistant's own name, so "hey wisemind" is a greeting.
        """
        folded = words(text)
        if not folded or len(folded) > FIND_MAX_WORDS:
            return None
        # "what is please" asks about PLEASE; "tipp please" about TIPP.
        trimmed = folded[:-1] if folded[1:] and folded[-1] in POLITE_ENDINGS else folded
        for candidate in (folded, trimmed):
            for span in range(len(candidate), 0, -1):  # "what are the what skills": a name ends it
                ending = "".join(candidate[-span:])
                if ending in self._keys and self._ends_request(candidate, span, ending):
                    return self._keys[ending]
        core = [word for word in trimmed if word not in REQUEST_WORDS] or [
            word for word in folded if word not in REQUEST_WORDS
        ]
        request = "".join(core)
        if request in self._keys:
            return self._keys[request]
        found = self._scan(core)
        if found is not None:
            return found
        if request:
            match = process.extractOne(
                request, self._fuzzy_keys, scorer=fuzz.ratio, score_cutoff=FUZZY_MIN_SCORE
            )
            if match is not None and not self._spelt_out_in(match[0], core):
                return self._keys[match[0]]
        return self._scan(core, fuzzy=True)

    def _ends_request(self, candidate: Sequence[str], span: int, key: str) -> bool:
        """Whether the name ending ``candidate`` in its last ``span`` words is what it asks about.

        A one-word name must be the whole request; a name of several words ends
        a longer one ("I struggle with radical acceptance"), except a name that
        counts only as the whole request, which may follow request words alone
        ("tell me about wise mind", not "hey wise mind").
        """
        if span == len(candidate):
            return True
        if span == 1:
            return False
        return key not in self.whole_request_only or all(
            word in REQUEST_WORDS for word in candidate[:-span]
        )

    def _spelt_out_in(self, key: str, core: Sequence[str]) -> bool:
        """Whether a name that counts only as the whole request is there word for word.

        Then a close match of the whole request ("hi wisemind" to "wisemind") is
        that name with other words around it, not a typo of it.
        """
        if key not in self.whole_request_only:
            return False
        return any(
            "".join(core[start:end]) == key
            for start in range(len(core))
            for end in range(start + 1, min(start + _MAX_NAME_WORDS, len(core)) + 1)
        )

    def find_module(self, text: str) -> str | None:
        """The module a browsing request names ("show me distress tolerance skills",
        "DT", "crisis skills"), or ``None``; ``None`` too when ``text`` names a skill
        ("mindfulness of others" is a skill, not the mindfulness module)."""
        if self.find(text) is not None:
            return None
        folded = words(text)
        if not folded or len(folded) > FIND_MAX_WORDS:
            return None
        core = [w for w in folded if w not in REQUEST_WORDS and w not in _BROWSE_WORDS]
        named = [w for w in folded if w in _SKILL_WORDS or w in core]  # "crisis skills"
        for words_left in (core, named):
            request = "".join(words_left)
            if request in self._module_keys:
                return self._module_keys[request]
            for span in range(min(_MAX_NAME_WORDS, len(words_left)), 0, -1):
                for start in range(len(words_left) - span + 1):
                    candidate = "".join(words_left[start : start + span])
                    if len(candidate) >= FUZZY_MIN_KEY_LENGTH and candidate in self._module_keys:
                        return self._module_keys[candidate]
        long_keys = [key for key in self._module_keys if len(key) >= FUZZY_MIN_KEY_LENGTH]
        match = process.extractOne(
            "".join(core), long_keys, scorer=fuzz.ratio, score_cutoff=FUZZY_MIN_SCORE
        )
        return self._module_keys[match[0]] if match is not None else None

    def _scan(self, core: Sequence[str], fuzzy: bool = False) -> Skill | None:
        """A distinctive name anywhere in the words, longest spans first."""
        for span in range(min(_MAX_NAME_WORDS, len(core)), 0, -1):
            for start in range(len(core) - span + 1):
                candidate = "".join(core[start : start + span])
                if not fuzzy:
                    if candidate in self._scannable:
                        return self._scannable[candidate]
                elif (
                    len(candidate) >= FUZZY_MIN_KEY_LENGTH
                    and candidate not in self.whole_request_only
                    and candidate not in EVERYDAY_WORDS
                ):
                    match = process.extractOne(
                        candidate,
                        self._fuzzy_scannable,
                        scorer=fuzz.ratio,
                        score_cutoff=FUZZY_SCAN_MIN_SCORE,
                    )
                    if match is not None:
                        return self._scannable[match[0]]
        return None


def _spellings(skill: Skill) -> list[str]:
    """Every way the content spells the skill: id, name, aliases, acronym."""
    spellings = [skill.id.replace("_", " "), skill.name, *skill.aliases]
    if skill.acronym:
        spellings.append("".join(letter.letter for letter in skill.acronym))
    return spellings


def _name_keys(skill: Skill) -> set[str]:
    """Every compact spelling that names the skill."""
    return {compact(spelling) for spelling in _spellings(skill)}


def _names_only_as_whole_request(spelling: str) -> bool:
    """Whether a spelling is also an everyday word, the assistant's name, or request words only.

    "Please", "wisemind" and "the what skills" mean something else inside a
    sentence ("can you please...", "hey wisemind", "what skills do you have").
    """
    key = compact(spelling)
    return (
        key in EVERYDAY_WORDS
        or key in ASSISTANT_NAMES
        or all(word in REQUEST_WORDS for word in words(spelling))
    )


def load_library(path: Path | str = CONTENT_DIR) -> SkillLibrary:
    """Read and validate every skill file under ``path``; loaded once per directory.

    Raises:
        SkillContentError: naming the file and field that is wrong.
    """
    return _load(Path(path).resolve())


@functools.lru_cache(maxsize=8)
def _load(directory: Path) -> SkillLibrary:
    if not directory.is_dir():
        raise SkillContentError(f"{directory}: the skills content directory does not exist")
    situations = load_situations(directory / SITUATIONS_FILE)
    skills = [
        _read_skill(path, situations)
        for path in sorted(directory.glob("*.yml"))
        if path.name not in (MODULES_FILE, SITUATIONS_FILE)
    ]
    _check_unique_names(skills)
    order = _read_module_order(directory / MODULES_FILE, skills)
    library = SkillLibrary(skills, order, situations)
    _check_suggestions(library, situations)
    return library


def _read_skill(path: Path, situations: SituationLexicon) -> Skill:
    document = read_yaml(path)
    if not isinstance(document, dict):
        raise SkillContentError(f"{path.name}: must be a mapping of the schema's keys")
    try:
        model = _SkillModel.parse_obj(document)
    except ValidationError as exc:
        problems = "; ".join(
            f"{_field_path(error['loc'])}: {error['msg']}" for error in exc.errors()
        )
        raise SkillContentError(f"{path.name}: {problems}") from None
    if model.id != path.stem:
        raise SkillContentError(f"{path.name}: id: {model.id!r} must match the file name")
    unknown = sorted(set(model.situations) - set(situations.tags))
    if unknown:
        raise SkillContentError(f"{path.name}: situations: {unknown} are not in {SITUATIONS_FILE}")
    acronym = tuple(AcronymLetter(**entry.dict()) for entry in model.acronym)
    if acronym:
        spelled = "".join(entry.letter for entry in acronym)
        expected = re.sub("[^A-Z]", "", model.name.upper())
        if spelled != expected:
            raise SkillContentError(
                f"{path.name}: acronym: letters spell {spelled!r}, the name {model.name!r} "
                f"needs {expected!r}"
            )
    return Skill(
        id=model.id,
        name=model.name,
        module=model.module,
        aliases=tuple(model.aliases),
        acronym=acronym,
        summary=model.summary,
        when_to_use=tuple(model.when_to_use),
        when_not_to_use=tuple(model.when_not_to_use),
        situations=tuple(dict.fromkeys(model.situations)),
        steps=tuple(model.steps),
        practice=model.practice,
        homework=model.homework,
        source=model.source,
    )


def _field_path(location: Sequence[int | str]) -> str:
    """pydantic's ``("steps", 3)`` as ``steps[3]``."""
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _check_unique_names(skills: Sequence[Skill]) -> None:
    owners: dict[str, str] = {}
    for skill in skills:
        for key in _name_keys(skill):
            other = owners.setdefault(key, skill.id)
            if other != skill.id:
                raise SkillContentError(
                    f"{skill.id}.yml: aliases: {key!r} also names {other} ({other}.yml)"
                )


def _read_module_order(path: Path, skills: Sequence[Skill]) -> dict[str, list[str]]:
    document = read_yaml(path)
    if not isinstance(document, dict) or set(document) != set(MODULES):
        raise SkillContentError(f"{path.name}: must map exactly {', '.join(MODULES)} to skill ids")
    order: dict[str, list[str]] = {}
    for module in MODULES:
        listed = document[module]
        actual = {skill.id for skill in skills if skill.module == module}
        if not isinstance(listed, list) or len(set(listed)) != len(listed) or set(listed) != actual:
            raise SkillContentError(
                f"{path.name}: {module}: must list each of its skill files once: {sorted(actual)}"
            )
        order[module] = [str(skill_id) for skill_id in listed]
    return order


def _check_suggestions(library: SkillLibrary, situations: SituationLexicon) -> None:
    """Every skill a situation suggests exists and says it fits that situation."""
    for tag, situation in situations.items():
        for entry in situation.suggest:
            try:
                skill = library.get(entry.skill)
            except KeyError:
                raise SkillContentError(
                    f"{SITUATIONS_FILE}: {tag}: suggests unknown skill {entry.skill!r}"
                ) from None
            if tag not in skill.situations:
                raise SkillContentError(
                    f"{SITUATIONS_FILE}: {tag}: suggests {skill.id}, whose file does not list "
                    f"{tag} in situations"
                )
