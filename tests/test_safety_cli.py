"""``python -m bot.safety`` / ``wisemind safety classify``: JSON lines in, one verdict line out."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

from bot.safety.cli import run_classify

REPO_ROOT = Path(__file__).resolve().parents[1]

INPUT = "\n".join(
    [
        json.dumps({"text": "I want to kill myself", "id": 1}),
        "this is not json",
        "",
        json.dumps({"text": 42}),
        json.dumps(["a", "list"]),
        json.dumps({"message": "no text key"}),
        json.dumps({"text": "this homework is killing me"}),
        json.dumps({"text": "💊💊💊 goodbye"}),
    ]
)


def _check_outputs(lines: list[str]) -> None:
    results = [json.loads(line) for line in lines]
    assert len(results) == 7  # one per non-blank input line
    assert results[0]["level"] == "high" and results[0]["categories"] == ["active_ideation"]
    assert results[0]["evidence"][0]["text"] == "kill myself"
    assert [set(r) for r in results[1:5]] == [{"error"}] * 4
    assert results[1]["error"].startswith("line 2:")
    assert results[5] == {"level": "none", "categories": [], "evidence": []}
    assert results[6]["level"] == "imminent"


def test_run_classify_answers_every_line_in_order() -> None:
    stdout = io.StringIO()
    assert run_classify(io.StringIO(INPUT), stdout) == 0
    _check_outputs(stdout.getvalue().splitlines())


def test_module_command_classifies_json_lines_and_survives_malformed_ones() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "bot.safety"],
        input=(INPUT + "\n").encode("utf-8") + b"\xff\xfe broken bytes\n",
        capture_output=True,
        cwd=REPO_ROOT,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr.decode(errors="replace")
    assert b"Traceback" not in completed.stderr
    lines = completed.stdout.decode("utf-8").splitlines()
    _check_outputs(lines[:7])
    assert json.loads(lines[7]) == {"error": "line 9: not valid JSON"}
