"""The detector's output: a risk level, the categories behind it and their evidence.

These are plain, immutable values so that the Rasa component, the action server,
the CLI and the dashboard can pass them around and serialise them without
knowing anything about spaCy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

#: Every category the detector may report. They are the clinical kinds of risk
#: named in SPEC §6; goodbye messages and "timeline" cues are reported as
#: ``plan_means`` because clinically they are evidence of a plan. ``learned_risk``
#: is risk the learned model reads in the whole message where no rule named it.
CATEGORIES: tuple[str, ...] = (
    "active_ideation",
    "passive_ideation",
    "plan_means",
    "attempt",
    "self_harm_intent",
    "recent_self_harm",
    "abuse_disclosure",
    "harm_to_others",
    "hopelessness_burden",
    "learned_risk",
)


class RiskLevel(str, Enum):
    """How urgently a human must look at a message; levels compare by severity.

    ``none`` < ``moderate`` (a caring check-in) < ``high`` (page the on-call
    therapist) < ``imminent`` (page, and the person may be acting now).
    """

    NONE = "none"
    MODERATE = "moderate"
    HIGH = "high"
    IMMINENT = "imminent"

    @property
    def rank(self) -> int:
        """Position on the severity scale, 0 for ``none``."""
        return _RANKS[self]

    @property
    def escalates(self) -> bool:
        """Whether this level pages the on-call therapist (SPEC §6)."""
        return self.rank >= _RANKS[RiskLevel.HIGH]

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, RiskLevel):
            return NotImplemented
        return self.rank < other.rank

    def __le__(self, other: object) -> bool:
        if not isinstance(other, RiskLevel):
            return NotImplemented
        return self.rank <= other.rank

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, RiskLevel):
            return NotImplemented
        return self.rank > other.rank

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, RiskLevel):
            return NotImplemented
        return self.rank >= other.rank

    def __str__(self) -> str:
        return self.value


_RANKS: dict[RiskLevel, int] = {level: rank for rank, level in enumerate(RiskLevel)}


@dataclass(frozen=True)
class Evidence:
    """The exact piece of the client's original message behind one category.

    ``start``/``end`` index the original text (``text == message[start:end]``),
    so the dashboard can highlight it. Evidence is clinical content: it is
    shown to the client's therapist only and never written to logs.
    """

    text: str
    start: int
    end: int
    category: str

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape used by the CLI and stored with a flag."""
        return {"text": self.text, "start": self.start, "end": self.end, "category": self.category}


@dataclass(frozen=True)
class Assessment:
    """The detector's verdict on one message."""

    level: RiskLevel = RiskLevel.NONE
    categories: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = field(default=())

    @property
    def escalates(self) -> bool:
        """Whether the message must page the on-call therapist."""
        return self.level.escalates

    def to_dict(self) -> dict[str, Any]:
        """``{"level", "categories", "evidence"}`` as written by ``wisemind safety classify``."""
        return {
            "level": self.level.value,
            "categories": list(self.categories),
            "evidence": [item.to_dict() for item in self.evidence],
        }


#: The verdict for a message with nothing of concern in it.
NO_RISK = Assessment()
