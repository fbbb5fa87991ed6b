"""Crisis detection for every inbound message (SPEC §6).

``assess(text)`` returns an :class:`Assessment`: a :class:`RiskLevel`
(``none`` < ``moderate`` < ``high`` < ``imminent``), the clinical categories
behind it and :class:`Evidence` quoting the client's own words. ``high`` and
``imminent`` page the on-call therapist; ``moderate`` asks a caring question.

The detector is plain Python on top of a blank spaCy pipeline; its word lists
and rules are versioned data in ``bot/safety/data``. It never logs message
text or evidence.
"""

from __future__ import annotations

import gc
import sys
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from bot.safety.assessment import CATEGORIES, Assessment, Evidence, RiskLevel

if TYPE_CHECKING:  # importing spaCy is deferred to the first message
    from bot.safety.detector import CrisisDetector

__all__ = [
    "CATEGORIES",
    "Assessment",
    "CrisisDetector",
    "Evidence",
    "RiskLevel",
    "assess",
    "assess_many",
    "get_detector",
    "skip_tensorflow",
    "warm_up",
]

_detector: CrisisDetector | None = None
_detector_lock = threading.Lock()


def get_detector() -> CrisisDetector:
    """The process-wide detector, built on first use (loading takes about a second)."""
    global _detector
    if _detector is None:
        with _detector_lock:
            if _detector is None:
                from bot.safety.detector import CrisisDetector

                _detector = CrisisDetector()
                _freeze_loaded_objects()
    return _detector


def _freeze_loaded_objects() -> None:
    """Take what is loaded by now out of the garbage collector's full passes.

    spaCy, its lookup tables, the detector's data (and TensorFlow where Rasa
    loaded it) are some 420,000 objects that live as long as the process. Every
    full collection walks them all (about 0.2 s of CPU), and one lands inside
    whichever message happens to be scored: a fifth of the time of scoring 5,000
    messages in a row. :func:`gc.freeze` moves them to a generation the collector
    never scans. Nothing else changes: objects are still freed when no longer
    referenced; only a reference cycle among those objects would now outlive them.
    """
    gc.freeze()


def assess(text: str) -> Assessment:
    """Score one inbound message."""
    return get_detector().assess(text)


def warm_up() -> None:
    """Build the detector and its model's tables now, so no message waits for them.

    Both are built on first use, which takes seconds (tens of seconds on a busy
    machine): in a process where that first use is a webhook with a deadline
    (Twilio gives up after 15 s), call this as it starts.
    """
    assess("")


def skip_tensorflow() -> None:
    """Keep spaCy from importing TensorFlow, which the detector never uses.

    spaCy's thinc imports TensorFlow when it is installed (Rasa installs it)
    only to offer it as a backend: seconds of start-up and hundreds of MB.
    Call before spaCy is imported, in a process that runs no Rasa model.
    """
    if "tensorflow" not in sys.modules:
        sys.modules["tensorflow"] = None  # type: ignore[assignment]


def assess_many(texts: Iterable[str]) -> list[Assessment]:
    """Score many messages at once (batched tokenization; thousands per second)."""
    return get_detector().assess_many(texts)


def __getattr__(name: str) -> Any:
    """``bot.safety.CrisisDetector`` without importing spaCy on ``import bot.safety``."""
    if name == "CrisisDetector":
        from bot.safety.detector import CrisisDetector

        return CrisisDetector
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
