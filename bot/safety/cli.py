"""``wisemind safety classify``: score JSON lines from stdin, one verdict line per input.

Input lines look like ``{"text": "..."}`` (other keys are ignored). Each
non-blank input line gets exactly one output line, in order: the assessment
(``level``, ``categories``, ``evidence``) or, for a line that is not a JSON
object with a string ``text``, ``{"error": "..."}``. A bad line never stops
the run. Lines are scored in batches, so piping a file through is fast; from
a terminal each line is answered as soon as it is typed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, TextIO

from bot.safety import assess_many

#: Lines scored per batch when reading from a pipe or file.
BATCH_LINES = 1000


def run_classify(stdin: TextIO, stdout: TextIO) -> int:
    """Classify every line of ``stdin`` onto ``stdout``; returns the exit status (0).

    Malformed lines are answered in-band with an ``error`` line rather than
    failing the run, so the exit status is 0 whenever the input could be read.
    """
    batch_lines = 1 if stdin.isatty() else BATCH_LINES
    for batch in _batches(stdin, batch_lines):
        texts = [item for item in batch if not isinstance(item, _Malformed)]
        verdicts = iter(assess_many(texts))
        for item in batch:
            result = (
                {"error": item.reason} if isinstance(item, _Malformed) else next(verdicts).to_dict()
            )
            stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
        stdout.flush()
    return 0


class _Malformed:
    """An input line that cannot be classified, and why (never echoing its content)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason


def _batches(stdin: TextIO, size: int) -> Iterator[list[str | _Malformed]]:
    batch: list[str | _Malformed] = []
    for number, line in enumerate(stdin, start=1):
        if not line.strip():
            continue
        batch.append(_parse(line, number))
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _parse(line: str, number: int) -> str | _Malformed:
    try:
        record: Any = json.loads(line)
    except ValueError:
        return _Malformed(f"line {number}: not valid JSON")
    if not isinstance(record, dict):
        return _Malformed(f'line {number}: expected a JSON object with a "text" string')
    text = record.get("text")
    if not isinstance(text, str):
        return _Malformed(f'line {number}: "text" is missing or not a string')
    return text


def run_train(stdout: TextIO, folds: int = 0) -> int:
    """Train the learned model from ``data/corpus`` and the bot's NLU chatter
    (``data/nlu``, :func:`bot.safety.model.coaching_chatter`) and write it with its
    fingerprints.

    With ``folds`` > 1, first prints cross-validated figures of the model alone
    and of the model combined with the rules (the rules are not trained).
    """
    from bot.safety.detector import build_normalizer
    from bot.safety.lexicon import load_lexicon
    from bot.safety.model import (
        corpus_fingerprint,
        cross_validate,
        load_corpus,
        load_settings,
        save_model,
        train,
    )

    normalizer = build_normalizer(load_lexicon())

    def normalize(text: str) -> str:
        return normalizer.normalize(text).text

    corpus = load_corpus()
    settings = load_settings()
    stdout.write(f"corpus: {len(corpus)} messages\n")
    if folds > 1:
        scores = cross_validate(corpus, normalize, settings, folds)
        tally = {expect: [0, 0, 0] for expect in ("none", "flag", "escalate")}
        for message, score in zip(corpus, scores, strict=True):
            counts = tally[message.expect]
            counts[0] += 1
            counts[1] += score.risk >= settings.alone.flag or (
                score.escalate >= settings.alone.escalate
            )
            counts[2] += score.escalate >= settings.alone.escalate
        stdout.write(
            f"{folds}-fold cross-validation, model alone: "
            f"escalate recall {_share(tally['escalate'][2], tally['escalate'][0])}, "
            f"flag recall {_share(tally['flag'][1], tally['flag'][0])}, "
            f"benign flagged {_share(tally['none'][1], tally['none'][0])}\n"
        )
    model = train(corpus, normalize, settings)
    save_model(model, corpus_fingerprint(corpus, settings))
    stdout.write(f"model written; fingerprint {model.fingerprint()[:16]}\n")
    return 0


def _share(hit: int, total: int) -> str:
    return f"{hit / total:.3f} ({hit}/{total})" if total else "n/a"
