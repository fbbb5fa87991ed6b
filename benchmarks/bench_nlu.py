"""NLU quality on held-out texting-style messages: intent F1 and skill-entity F1.

Runs ``rasa test nlu`` with the current model (trained first if the inputs
changed) on ``tests/nlu_heldout/``, messages never used for training, and
prints the weighted intent F1, the ``skill`` entity F1 of the library-backed
extractor, and the most confused intent pairs. It asserts nothing; the
targets (0.90 each) are printed next to the figures.

Run: ``.venv/bin/python benchmarks/bench_nlu.py``
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from bot.training import ensure_model  # noqa: E402

HELD_OUT = REPO_ROOT / "tests" / "nlu_heldout"
#: The issue's quality bar for both figures.
TARGET_F1 = 0.90
ENTITY = "skill"
ENTITY_EXTRACTOR = "SkillEntityExtractor"
#: How many confused pairs and misclassified messages to print.
TOP_CONFUSIONS = 8


def run_rasa_test(model: Path, out: Path) -> None:
    """``rasa test nlu`` on the held-out set, reports written to ``out``."""
    command = [
        sys.executable, "-m", "rasa", "test", "nlu",
        "--model", str(model), "--nlu", str(HELD_OUT), "--out", str(out),
        "--no-plot",
    ]  # fmt: skip
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}
    subprocess.run(command, cwd=REPO_ROOT, env=env, check=True, capture_output=True)


def main() -> int:
    model = (
        Path(sys.argv[1]) if len(sys.argv) > 1 else ensure_model(REPO_ROOT, REPO_ROOT / "models")[0]
    )
    with tempfile.TemporaryDirectory() as directory:
        out = Path(directory)
        run_rasa_test(model, out)
        intents = json.loads((out / "intent_report.json").read_text())
        errors = json.loads((out / "intent_errors.json").read_text())
        entity_reports = sorted(out.glob(f"{ENTITY_EXTRACTOR}_report.json"))
        entities = json.loads(entity_reports[0].read_text()) if entity_reports else {}
    weighted = intents["weighted avg"]
    print(f"held-out messages: {int(weighted['support'])} ({HELD_OUT.relative_to(REPO_ROOT)})")
    print(f"intent F1 (weighted): {weighted['f1-score']:.3f}  target {TARGET_F1}")
    print(f"intent accuracy:      {intents['accuracy']:.3f}")
    skill = entities.get(ENTITY, {})
    if skill:
        print(
            f"skill entity F1:      {skill['f1-score']:.3f}  target {TARGET_F1} "
            f"(precision {skill['precision']:.3f}, recall {skill['recall']:.3f}, "
            f"support {skill['support']})"
        )
    else:
        print("skill entity F1:      no report (is SkillEntityExtractor in config.yml?)")
    print("\nweakest intents (F1):")
    per_intent = {
        name: report
        for name, report in intents.items()
        if isinstance(report, dict)
        and "f1-score" in report
        and name not in ("micro avg",)
        and not name.endswith(" avg")
    }
    for name, report in sorted(per_intent.items(), key=lambda item: item[1]["f1-score"])[:6]:
        print(f"  {name:24s} {report['f1-score']:.3f}")
    pairs = Counter((error["intent"], error["intent_prediction"]["name"]) for error in errors)
    print("\nmost confused pairs (expected -> predicted: count):")
    for (expected, predicted), count in pairs.most_common(TOP_CONFUSIONS):
        print(f"  {expected} -> {predicted}: {count}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
