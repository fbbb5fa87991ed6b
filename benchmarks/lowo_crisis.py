"""Leave-one-writer-out figures for the crisis detector (rules + learned model).

Each file of ``bot/safety/data/corpus/`` is one writer. In turn, the learned model
is trained on every other writer (without any text the held-out writer also
wrote) and the held-out writer's messages are scored by the rules and that
model, combined as shipped (``data/model.yml``). This is how the detector meets a
writer it has never seen, without spending an evaluation set: the thresholds in
``model.yml`` are chosen from these figures.

Prints, per held-out writer and pooled (overall and per language): escalate
recall, any-risk recall, benign flagged and benign paged. ``--grid`` also
compares other thresholds on the same held-out scores; ``--misses WRITER`` lists
that writer's misses (the corpus is training data, reading it is allowed).
Fold scores are cached in ``var/lowo_cache/`` by a hash of what they depend on
(the normalised texts, labels and model settings), so changing only the rules
reruns in seconds. Run: ``.venv/bin/python benchmarks/lowo_crisis.py [--grid]``.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

if "tensorflow" not in sys.modules:  # spaCy would import it only to offer a backend
    sys.modules["tensorflow"] = None  # type: ignore[assignment]

from bot.safety import RiskLevel, get_detector  # noqa: E402
from bot.safety.detector import combine  # noqa: E402
from bot.safety.model import (  # noqa: E402
    CORPUS_DIR,
    EXPECTS,
    NLU_DIR,
    LabelledMessage,
    ModelScores,
    ModelSettings,
    Thresholds,
    coaching_chatter,
    load_settings,
    train,
    training_settings,
)
from bot.safety.scoring import RulesVerdict  # noqa: E402

CACHE_DIR = REPO_ROOT / "var" / "lowo_cache"
#: Values tried by ``--grid`` for each threshold, one setting changed at a time.
GRID_PROBABILITIES = (0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.01)
GRID_VETO = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3)
GRID_MIN_WORDS = (1, 2, 3, 4, 5)
GRID_PAGE_NEEDS_RISK = (0.0, 0.3, 0.5, 0.7)


@dataclass(frozen=True)
class Message:
    """One message of one writer, with what should happen to it."""

    writer: str
    text: str
    expect: str
    lang: str


@dataclass
class Tally:
    """The four figures of one slice."""

    escalate: int = 0
    escalate_hit: int = 0
    risky: int = 0
    risky_hit: int = 0
    benign: int = 0
    flagged: int = 0
    paged: int = 0

    def add(self, expect: str, level: RiskLevel) -> None:
        """Count one message and the level it was given."""
        if expect == "none":
            self.benign += 1
            self.flagged += level is not RiskLevel.NONE
            self.paged += level.escalates
            return
        self.risky += 1
        self.risky_hit += level is not RiskLevel.NONE
        if expect == "escalate":
            self.escalate += 1
            self.escalate_hit += level.escalates

    def cells(self) -> list[str]:
        """Escalate recall, any-risk recall, benign flagged, benign paged."""
        return [
            _ratio(self.escalate_hit, self.escalate),
            _ratio(self.risky_hit, self.risky),
            _percent(self.flagged, self.benign),
            _percent(self.paged, self.benign),
        ]


def _ratio(hit: int, total: int) -> str:
    return f"{hit / total:.3f} ({hit}/{total})" if total else "—"


def _percent(hit: int, total: int) -> str:
    return f"{100 * hit / total:.1f}% ({hit}/{total})" if total else "—"


def load_writers(
    corpus_dir: Path = CORPUS_DIR, nlu_dir: Path = NLU_DIR
) -> dict[str, list[Message]]:
    """Each writer's distinct messages (a text written twice keeps the graver label).

    Each file of the bot's NLU chatter (``coaching_chatter``, all ``none``) is one
    more writer, ``nlu_<file>``, language ``nlu``: held out, it shows how the model
    reads coaching talk of a kind it was not trained on (other intents' chatter).
    """
    writers: dict[str, list[Message]] = {}
    for path in sorted(corpus_dir.glob("*.jsonl")):
        found: dict[str, Message] = {}
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            record = json.loads(line)
            message = Message(path.stem, record["text"], record["expect"], record.get("lang", "?"))
            previous = found.get(message.text)
            if previous is None or EXPECTS.index(message.expect) > EXPECTS.index(previous.expect):
                found[message.text] = message
        writers[path.stem] = sorted(found.values(), key=lambda m: m.text)
    for stem, texts in coaching_chatter(nlu_dir).items():
        writers[f"nlu_{stem}"] = [Message(f"nlu_{stem}", text, "none", "nlu") for text in texts]
    return writers


def held_out_scores(
    writers: dict[str, list[Message]],
    normalized: dict[str, str],
    settings: ModelSettings,
    use_cache: bool,
) -> dict[str, list[ModelScores]]:
    """For each writer, the model scores of its messages from a model trained without it."""
    scores: dict[str, list[ModelScores]] = {}
    for writer, messages in writers.items():
        held_texts = {m.text for m in messages}
        graver: dict[str, str] = {}
        for other, others in writers.items():
            if other == writer:
                continue
            for m in others:
                if m.text in held_texts:
                    continue  # never train on a text the held-out writer also wrote
                previous = graver.get(m.text)
                if previous is None or EXPECTS.index(m.expect) > EXPECTS.index(previous):
                    graver[m.text] = m.expect
        training = [LabelledMessage(text, expect) for text, expect in sorted(graver.items())]
        key = _cache_key(training, messages, normalized, settings)
        cached = CACHE_DIR / f"{writer}-{key[:20]}.json"
        if use_cache and cached.exists():
            pairs = json.loads(cached.read_text(encoding="utf-8"))
            scores[writer] = [ModelScores(risk, escalate) for risk, escalate in pairs]
            continue
        started = time.perf_counter()
        model = train(training, normalized.__getitem__, settings)
        scores[writer] = model.scores([normalized[m.text] for m in messages])
        print(
            f"  trained without {writer}: {len(training)} messages,"
            f" {time.perf_counter() - started:.0f} s",
            file=sys.stderr,
        )
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        cached.write_text(json.dumps([[s.risk, s.escalate] for s in scores[writer]]))
    return scores


def _cache_key(
    training: Sequence[LabelledMessage],
    held: Sequence[Message],
    normalized: dict[str, str],
    settings: ModelSettings,
) -> str:
    digest = hashlib.sha256(repr(training_settings(settings)).encode())
    for item in training:
        digest.update(f"{item.expect}\t{normalized[item.text]}\n".encode())
    digest.update(b"\x00held\x00")
    for message in held:
        digest.update(f"{normalized[message.text]}\n".encode())
    return digest.hexdigest()


def levels(
    messages: Sequence[Message],
    verdicts: Sequence[RulesVerdict],
    scores: Sequence[ModelScores],
    settings: ModelSettings,
) -> list[RiskLevel]:
    """The shipped combination of rules and model for each message."""
    return [
        combine(m.text, verdict, score, settings).level
        for m, verdict, score in zip(messages, verdicts, scores, strict=True)
    ]


def table(rows: Iterable[tuple[str, Tally]]) -> str:
    """A Markdown table of tallies."""
    lines = [
        "| held out | n | escalate recall | any-risk recall | benign flagged | benign paged |",
        "|---|---|---|---|---|---|",
    ]
    for name, tally in rows:
        n = tally.risky + tally.benign
        lines.append(f"| {name} | {n} | " + " | ".join(tally.cells()) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid", action="store_true", help="compare other thresholds")
    parser.add_argument("--misses", metavar="WRITER", help="list one writer's misses")
    parser.add_argument("--no-cache", action="store_true", help="retrain every fold")
    args = parser.parse_args()

    detector = get_detector()
    settings = load_settings()
    writers = load_writers()
    everyone = [m for messages in writers.values() for m in messages]
    texts = sorted({m.text for m in everyone})
    normal = {text: detector.normalize(text) for text in texts}
    normalized = {text: n.text for text, n in normal.items()}
    ruled = dict(zip(texts, detector.rules_verdicts([normal[t] for t in texts]), strict=True))
    scores = held_out_scores(writers, normalized, settings, not args.no_cache)

    pooled, by_lang, rules_alone = Tally(), {}, Tally()
    rows = []
    all_messages: list[Message] = []
    all_verdicts: list[RulesVerdict] = []
    all_scores: list[ModelScores] = []
    for writer, messages in writers.items():
        verdicts = [ruled[m.text] for m in messages]
        tally = Tally()
        for m, level, verdict in zip(
            messages, levels(messages, verdicts, scores[writer], settings), verdicts, strict=True
        ):
            tally.add(m.expect, level)
            pooled.add(m.expect, level)
            by_lang.setdefault(m.lang, Tally()).add(m.expect, level)
            rules_alone.add(m.expect, verdict.assessment.level)
            if args.misses == writer and _missed(m.expect, level):
                print(f"MISS expect={m.expect} got={level.value}: {json.dumps(m.text)}")
        rows.append((writer, tally))
        all_messages += messages
        all_verdicts += verdicts
        all_scores += scores[writer]
    rows.append(("**pooled**", pooled))
    rows += [(f"pooled, {lang}", tally) for lang, tally in sorted(by_lang.items())]
    rows.append(("pooled, rules alone", rules_alone))
    print(f"thresholds: {_thresholds(settings)}")
    print(table(rows))
    if args.grid:
        print()
        print(grid(all_messages, all_verdicts, all_scores, settings))


def _missed(expect: str, level: RiskLevel) -> bool:
    if expect == "escalate":
        return not level.escalates
    if expect == "flag":
        return level is RiskLevel.NONE
    return level is not RiskLevel.NONE


def _thresholds(settings: ModelSettings) -> str:
    cases = ("noticed", "alone", "unseen", "set_aside")
    described = ", ".join(
        f"{case} flag {getattr(settings, case).flag} / escalate {getattr(settings, case).escalate}"
        for case in cases
    )
    return (
        f"{described}, veto {settings.veto}, page needs risk {settings.page_needs_risk},"
        f" min words {settings.min_words}"
    )


def grid(
    messages: Sequence[Message],
    verdicts: Sequence[RulesVerdict],
    scores: Sequence[ModelScores],
    settings: ModelSettings,
) -> str:
    """Pooled figures with one combination setting changed at a time (1.01 = never)."""
    lines = [
        "| changed | escalate recall | any-risk recall | benign flagged | benign paged |",
        "|---|---|---|---|---|",
    ]
    for name, changed in variations(settings):
        tally = Tally()
        for m, level in zip(messages, levels(messages, verdicts, scores, changed), strict=True):
            tally.add(m.expect, level)
        lines.append(f"| {name} | " + " | ".join(tally.cells()) + " |")
    return "\n".join(lines)


def variations(settings: ModelSettings) -> Iterator[tuple[str, ModelSettings]]:
    """The shipped settings, then each threshold moved alone through its grid."""
    yield "as shipped", settings
    for case in ("noticed", "alone", "unseen", "set_aside"):
        thresholds: Thresholds = getattr(settings, case)
        for head in ("flag", "escalate"):
            for value in GRID_PROBABILITIES:
                if value != getattr(thresholds, head):
                    moved = dataclasses.replace(thresholds, **{head: value})
                    yield f"{case}.{head} {value}", dataclasses.replace(settings, **{case: moved})
    for veto in GRID_VETO:
        if veto != settings.veto:
            yield f"veto {veto}", dataclasses.replace(settings, veto=veto)
    for floor in GRID_PAGE_NEEDS_RISK:
        if floor != settings.page_needs_risk:
            yield f"page_needs_risk {floor}", dataclasses.replace(settings, page_needs_risk=floor)
    for words in GRID_MIN_WORDS:
        if words != settings.min_words:
            yield f"min_words {words}", dataclasses.replace(settings, min_words=words)


if __name__ == "__main__":
    main()
