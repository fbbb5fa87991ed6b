"""Crisis detector figures for any labelled JSONL file (``text`` and ``expect`` per line).

Prints aggregate figures only, overall and per language: escalate recall (an
``escalate`` message scored ``high``/``imminent``), any-risk recall (a
``flag`` or ``escalate`` message scored at least ``moderate``), flag recall,
and the share of ``none`` messages flagged. With ``--misses`` it also prints
the messages it got wrong: never use that on a test part you mean to keep
blind. ``--rules-only`` scores the rules without the learned model.

Run: ``.venv/bin/python benchmarks/score_crisis.py FILE [--misses] [--rules-only]``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

if "tensorflow" not in sys.modules:  # spaCy would import it only to offer a backend
    sys.modules["tensorflow"] = None  # type: ignore[assignment]

from bot.safety import Assessment, RiskLevel, get_detector  # noqa: E402


@dataclass
class Tally:
    """Counts behind the figures for one slice (all, or one language)."""

    escalate: int = 0
    escalate_hit: int = 0
    flag: int = 0
    flag_hit: int = 0
    risky_hit: int = 0
    benign: int = 0
    benign_flagged: int = 0
    benign_paged: int = 0
    misses: list[tuple[str, str, str]] = field(default_factory=list)

    def add(self, expect: str, level: RiskLevel, text: str) -> None:
        """Count one labelled message and the level it was given."""
        flagged = level is not RiskLevel.NONE
        if expect == "escalate":
            self.escalate += 1
            self.escalate_hit += level.escalates
            self.risky_hit += flagged
            if not level.escalates:
                self.misses.append((expect, level.value, text))
        elif expect == "flag":
            self.flag += 1
            self.flag_hit += flagged
            self.risky_hit += flagged
            if not flagged:
                self.misses.append((expect, level.value, text))
        else:
            self.benign += 1
            self.benign_flagged += flagged
            self.benign_paged += level.escalates
            if flagged:
                self.misses.append((expect, level.value, text))

    def line(self, name: str) -> str:
        """One line of figures."""
        risky = self.escalate + self.flag
        return (
            f"{name:<4} n={self.escalate + self.flag + self.benign:<5}"
            f" escalate recall {_ratio(self.escalate_hit, self.escalate)}"
            f" | any-risk recall {_ratio(self.risky_hit, risky)}"
            f" | flag recall {_ratio(self.flag_hit, self.flag)}"
            f" | benign flagged {_percent(self.benign_flagged, self.benign)}"
            f" (paged {_percent(self.benign_paged, self.benign)})"
        )


def _ratio(hit: int, total: int) -> str:
    return f"{hit / total:.3f} ({hit}/{total})" if total else "n/a"


def _percent(hit: int, total: int) -> str:
    return f"{100 * hit / total:.1f}% ({hit}/{total})" if total else "n/a"


def score_file(path: Path, rules_only: bool) -> dict[str, Tally]:
    """Tallies for the whole file (key ``all``) and per language."""
    records = [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    detector = get_detector()
    texts = [record["text"] for record in records]
    verdicts: Sequence[Assessment] = (
        detector.assess_rules_many(texts) if rules_only else detector.assess_many(texts)
    )
    tallies: dict[str, Tally] = {"all": Tally()}
    for record, verdict in zip(records, verdicts, strict=True):
        expect = record.get("expect", "none")
        for key in ("all", record.get("lang", "?")):
            tallies.setdefault(key, Tally()).add(expect, verdict.level, record["text"])
    return tallies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--misses", action="store_true", help="also print what was missed")
    parser.add_argument("--rules-only", action="store_true", help="score without the model")
    args = parser.parse_args()
    tallies = score_file(args.path, args.rules_only)
    for name, tally in tallies.items():
        print(tally.line(name))
    if args.misses:
        for expect, level, text in tallies["all"].misses:
            print(f"MISS expect={expect} got={level}: {json.dumps(text, ensure_ascii=False)}")


if __name__ == "__main__":
    main()
