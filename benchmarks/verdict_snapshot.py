"""Freeze the crisis detector's verdicts, to prove a speed change alters none.

Scores every text of ``bot/safety/data/corpus/*.jsonl`` and the speed
benchmark's messages (its hard cases, the shared dev set, long messages) with
:func:`bot.safety.assess_many` and writes one JSON line per text (level,
categories, evidence) to the file named on the command line. Run it before and
after a change and compare the two files byte for byte::

    PYTHONHASHSEED=0 .venv/bin/python benchmarks/verdict_snapshot.py /tmp/before.jsonl

The fixed hash seed matters: evidence of two categories on the same words comes
out in set order, which changes from one process to the next otherwise.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.bench_detector import LONG_CASES, _corpus  # noqa: E402
from bot.safety import assess_many  # noqa: E402

CORPUS = REPO_ROOT / "bot" / "safety" / "data" / "corpus"


def _texts() -> list[str]:
    texts = []
    for path in sorted(CORPUS.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                texts.append(json.loads(line)["text"])
    benchmark = list(dict.fromkeys(_corpus()))
    return texts + benchmark + list(LONG_CASES.values())


def main(out: Path) -> None:
    texts = _texts()
    with out.open("w", encoding="utf-8") as file:
        for text, found in zip(texts, assess_many(texts), strict=True):
            record = {
                "text": text[:200],
                "level": found.level.name,
                "categories": list(found.categories),
                "evidence": [[e.text, e.start, e.end, e.category] for e in found.evidence],
            }
            file.write(json.dumps(record, ensure_ascii=False) + "\n")
    print(f"{len(texts)} verdicts written to {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
