"""The learned half of the detector: character and word n-grams, two logistic heads.

The rules name what a clinician listens for; people phrase it in more ways
than any rule list holds. This model, trained on the labelled corpus in
``data/corpus/`` (messages written blind to the rules), reads the same
normalised text and gives two probabilities: that a message carries any risk
(``flag`` or ``escalate``) and that it must page someone (``escalate``).
:mod:`bot.safety.detector` combines them with the rules using the thresholds
in ``data/model.yml``.

Training is deterministic (fixed solver, no shuffling, sorted corpus), so
``wisemind safety train`` reproduces the shipped ``data/model/crisis_model.joblib``
exactly; its fingerprint is checked by the tests. Scoring is one sparse
vectorisation (linear in the text) and one sparse-dense product for a whole
batch; nothing is downloaded or written at run time.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import sklearn
import yaml
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion

from bot.safety.lexicon import DATA_DIR, LexiconError

CORPUS_DIR = DATA_DIR / "corpus"
MODEL_DIR = DATA_DIR / "model"
MODEL_FILE = MODEL_DIR / "crisis_model.joblib"
FINGERPRINT_FILE = MODEL_DIR / "crisis_model.json"
SETTINGS_FILE = DATA_DIR / "model.yml"
#: Below minus this, a probability is 0 (and math.exp would overflow).
_LOGIT_LIMIT = 700.0
#: Words whose character n-grams are remembered between messages.
_WORD_CACHE_LIMIT = 100_000
#: The corpus labels, in order of severity.
EXPECTS = ("none", "flag", "escalate")


@dataclass(frozen=True)
class ModelSettings:
    """Hyper-parameters and the thresholds at which the model raises the rules' level."""

    char_ngrams: tuple[int, int]
    word_ngrams: tuple[int, int]
    min_df: int
    max_char_features: int
    max_word_features: int
    regularisation: float
    flag_threshold: float
    escalate_threshold: float
    flag_alone_threshold: float
    escalate_alone_threshold: float
    min_words: int


@dataclass(frozen=True)
class ModelScores:
    """The model's probabilities for one message."""

    risk: float
    escalate: float


@dataclass(frozen=True)
class LabelledMessage:
    """One corpus line: its text and what should happen (``none|flag|escalate``)."""

    text: str
    expect: str


def load_settings(path: Path = SETTINGS_FILE) -> ModelSettings:
    """Read ``data/model.yml``; a malformed file stops start-up."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        features = document["features"]
        combine = document["combine"]
        return ModelSettings(
            char_ngrams=(int(features["char_ngrams"][0]), int(features["char_ngrams"][1])),
            word_ngrams=(int(features["word_ngrams"][0]), int(features["word_ngrams"][1])),
            min_df=int(features["min_df"]),
            max_char_features=int(features["max_char_features"]),
            max_word_features=int(features["max_word_features"]),
            regularisation=float(document["regularisation"]),
            flag_threshold=float(combine["flag_threshold"]),
            escalate_threshold=float(combine["escalate_threshold"]),
            flag_alone_threshold=float(combine["flag_alone_threshold"]),
            escalate_alone_threshold=float(combine["escalate_alone_threshold"]),
            min_words=int(combine["min_words"]),
        )
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError, IndexError) as exc:
        raise LexiconError(f"model.yml: cannot be read: {exc!r}") from exc


def load_corpus(corpus_dir: Path = CORPUS_DIR) -> list[LabelledMessage]:
    """Every labelled message of ``corpus_dir/*.jsonl``, de-duplicated and sorted."""
    found: dict[str, str] = {}
    for path in sorted(corpus_dir.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            record = json.loads(line)
            expect = record.get("expect")
            if not isinstance(record.get("text"), str) or expect not in EXPECTS:
                raise LexiconError(f"{path.name}: line {number}: needs text and expect")
            previous = found.get(record["text"])
            if previous is None or EXPECTS.index(expect) > EXPECTS.index(previous):
                found[record["text"]] = expect  # a text labelled twice keeps the graver label
    return [LabelledMessage(text, expect) for text, expect in sorted(found.items())]


class CrisisModel:
    """A fitted vectoriser and two logistic heads (any risk, escalate).

    Scoring does not go through scikit-learn's matrices: each term's idf and
    its weight in both heads are folded into one table, and a message is scored
    by counting its n-grams (each distinct word's character n-grams once, times
    its count) and summing table entries. The result equals
    ``vectorizer.transform(texts) @ weights + bias`` (a test checks it) at a
    fraction of the cost for one short message, and in time linear in the text.
    """

    def __init__(self, vectorizer: FeatureUnion, weights: np.ndarray, bias: np.ndarray) -> None:
        self._vectorizer = vectorizer
        self._weights = weights
        self._bias = bias
        self._tables: list[_TermTable] | None = None

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_tables"] = None  # rebuilt on first use; keeps the shipped file small
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._tables = None

    def scores(self, texts: Sequence[str]) -> list[ModelScores]:
        """The probabilities for each (normalised) text."""
        if self._tables is None:
            self._tables = self._build_tables()
        bias_risk, bias_escalate = float(self._bias[0]), float(self._bias[1])
        results = []
        for text in texts:
            risk, escalate = bias_risk, bias_escalate
            for table in self._tables:
                part_risk, part_escalate = table.logits(text)
                risk += part_risk
                escalate += part_escalate
            results.append(ModelScores(_sigmoid(risk), _sigmoid(escalate)))
        return results

    def scores_by_matrix(self, texts: Sequence[str]) -> list[ModelScores]:
        """The same probabilities through scikit-learn's matrices (the reference)."""
        if not texts:
            return []
        logits = np.asarray(self._vectorizer.transform(texts) @ self._weights) + self._bias
        return [ModelScores(_sigmoid(risk), _sigmoid(esc)) for risk, esc in logits]

    def _build_tables(self) -> list[_TermTable]:
        tables = []
        offset = 0
        for name, part in self._vectorizer.transformer_list:
            size = len(part.vocabulary_)
            entries = {
                term: (
                    float(part.idf_[index]),
                    float(self._weights[offset + index, 0]),
                    float(self._weights[offset + index, 1]),
                )
                for term, index in part.vocabulary_.items()
            }
            if name == "chars":
                tables.append(_TermTable(entries, _char_counts(part.ngram_range)))
            else:
                tables.append(_TermTable(entries, _word_counts(part.build_analyzer())))
            offset += size
        return tables

    def fingerprint(self) -> str:
        """A hash of what the model computes: its vocabulary and rounded weights."""
        digest = hashlib.sha256()
        for vocabulary in self.vocabularies():
            digest.update(json.dumps(vocabulary, ensure_ascii=False).encode())
        digest.update(np.round(self._weights, 6).tobytes())
        digest.update(np.round(self._bias, 6).tobytes())
        return digest.hexdigest()

    def vocabularies(self) -> list[list[tuple[str, int]]]:
        """Each vectoriser's terms with their feature index, sorted."""
        return [
            sorted((term, int(index)) for term, index in part.vocabulary_.items())
            for _, part in self._vectorizer.transformer_list
        ]

    def differs_from(self, other: CrisisModel, tolerance: float = 1e-6) -> list[str]:
        """How ``other`` computes something else: its terms, or weights beyond ``tolerance``.

        A retrain on another run may differ from the shipped model in the last bits of a
        weight (the solver's floating-point sums), which can flip the fingerprint's
        rounding; only a real difference should fail a check.
        """
        differences = []
        for mine, theirs in zip(self.vocabularies(), other.vocabularies(), strict=True):
            if mine != theirs:
                extra = sorted({term for term, _ in mine} ^ {term for term, _ in theirs})
                differences.append(f"vocabulary differs ({len(extra)} terms, e.g. {extra[:5]})")
        if not differences:
            for name, a, b in (
                ("weights", self._weights, other._weights),
                ("bias", self._bias, other._bias),
            ):
                gap = float(np.max(np.abs(a - b)))
                if gap > tolerance:
                    differences.append(f"{name} differ by up to {gap:.2e}")
        return differences


class _TermTable:
    """One vectoriser's terms: idf and both heads' weights, and how to count terms.

    Each entry holds ``(idf, idf², idf·w_risk, idf·w_escalate)`` so that a term seen
    once (most are) costs three additions.
    """

    def __init__(
        self,
        entries: dict[str, tuple[float, float, float]],
        count: Callable[[str, Mapping[str, object]], Counter[str]],
    ) -> None:
        self._entries = {
            term: (idf, idf * idf, idf * risk, idf * escalate)
            for term, (idf, risk, escalate) in entries.items()
        }
        self._count = count

    def logits(self, text: str) -> tuple[float, float]:
        """This part's contribution to both heads: sublinear tf-idf, l2-normalised."""
        squared = risk = escalate = 0.0
        entries = self._entries
        for term, count in self._count(text, entries).items():
            idf, idf_squared, idf_risk, idf_escalate = entries[term]
            if count == 1:
                squared += idf_squared
                risk += idf_risk
                escalate += idf_escalate
            else:
                tf = 1.0 + math.log(count)
                squared += tf * tf * idf_squared
                risk += tf * idf_risk
                escalate += tf * idf_escalate
        if squared == 0.0:
            return 0.0, 0.0
        norm = math.sqrt(squared)
        return risk / norm, escalate / norm


def _char_counts(
    ngram_range: tuple[int, int],
) -> Callable[[str, Mapping[str, object]], Counter[str]]:
    """scikit-learn's ``char_wb`` n-grams that are in the vocabulary, counted.

    A word's n-grams are worked out once and remembered (words repeat across
    messages), then added up once per distinct word of the message.
    """
    low, high = ngram_range
    known: dict[str, tuple[str, ...]] = {}

    def ngrams(word: str, vocabulary: Mapping[str, object]) -> tuple[str, ...]:
        padded = f" {word} "
        found: list[str] = []
        for size in range(low, high + 1):
            if len(padded) <= size:
                found.append(padded)  # a short word counts once, as a whole
                break
            found.extend(padded[start : start + size] for start in range(len(padded) - size + 1))
        return tuple(term for term in found if term in vocabulary)

    def count(text: str, vocabulary: Mapping[str, object]) -> Counter[str]:
        counts: Counter[str] = Counter()
        for word, times in Counter(text.split()).items():
            terms = known.get(word)
            if terms is None:
                terms = ngrams(word, vocabulary)
                if len(known) < _WORD_CACHE_LIMIT:
                    known[word] = terms
            for term in terms:
                counts[term] += times
        return counts

    return count


def _word_counts(
    analyzer: Callable[[str], list[str]],
) -> Callable[[str, Mapping[str, object]], Counter[str]]:
    """scikit-learn's word n-grams that are in the vocabulary, counted."""

    def count(text: str, vocabulary: Mapping[str, object]) -> Counter[str]:
        return Counter(term for term in analyzer(text) if term in vocabulary)

    return count


def _sigmoid(logit: float) -> float:
    if logit < -_LOGIT_LIMIT:
        return 0.0
    return 1.0 / (1.0 + math.exp(-logit))


def train(
    corpus: Sequence[LabelledMessage],
    normalize: Callable[[str], str],
    settings: ModelSettings,
) -> CrisisModel:
    """Fit the model on ``corpus``; the same corpus and settings give the same model."""
    texts = [normalize(message.text) for message in corpus]
    vectorizer = _vectorizer(settings)
    features = vectorizer.fit_transform(texts)
    heads = []
    for graver_than in ("none", "flag"):
        labels = np.array([EXPECTS.index(m.expect) > EXPECTS.index(graver_than) for m in corpus])
        head = LogisticRegression(
            C=settings.regularisation,
            solver="liblinear",
            class_weight="balanced",
            max_iter=1000,
            random_state=0,
        )
        head.fit(features, labels)
        heads.append(head)
    weights = np.column_stack([head.coef_[0] for head in heads])
    bias = np.array([head.intercept_[0] for head in heads])
    return CrisisModel(vectorizer, weights, bias)


def _vectorizer(settings: ModelSettings) -> FeatureUnion:
    common: dict[str, Any] = {
        "lowercase": False,  # the text is already normalised
        "sublinear_tf": True,
        "min_df": settings.min_df,
        "dtype": np.float32,
    }
    return FeatureUnion(
        [
            (
                "chars",
                TfidfVectorizer(
                    analyzer="char_wb",
                    ngram_range=settings.char_ngrams,
                    max_features=settings.max_char_features,
                    **common,
                ),
            ),
            (
                "words",
                TfidfVectorizer(
                    analyzer="word",
                    token_pattern=r"(?u)\b\w+\b|[^\w\s]",
                    ngram_range=settings.word_ngrams,
                    max_features=settings.max_word_features,
                    **common,
                ),
            ),
        ]
    )


def cross_validate(
    corpus: Sequence[LabelledMessage],
    normalize: Callable[[str], str],
    settings: ModelSettings,
    folds: int,
) -> list[ModelScores]:
    """Each message's scores from a model trained without it (``folds`` interleaved folds)."""
    scores: list[ModelScores | None] = [None] * len(corpus)
    for fold in range(folds):
        held_out = range(fold, len(corpus), folds)
        training = [m for index, m in enumerate(corpus) if index % folds != fold]
        model = train(training, normalize, settings)
        predicted = model.scores([normalize(corpus[index].text) for index in held_out])
        for index, score in zip(held_out, predicted, strict=True):
            scores[index] = score
    return [score for score in scores if score is not None]


def corpus_fingerprint(corpus: Sequence[LabelledMessage], settings: ModelSettings) -> str:
    """A hash of the training inputs: the corpus, the settings and scikit-learn's version."""
    digest = hashlib.sha256(f"scikit-learn {sklearn.__version__}".encode())
    digest.update(repr(settings).encode())
    for message in corpus:
        digest.update(f"{message.expect}\t{message.text}\n".encode())
    return digest.hexdigest()


def save_model(model: CrisisModel, corpus_hash: str, path: Path = MODEL_FILE) -> None:
    """Write the model and, beside it, the fingerprints that tie it to its corpus."""
    path.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, path, compress=9)
    fingerprints = {
        "corpus": corpus_hash,
        "model": model.fingerprint(),
        "scikit_learn": sklearn.__version__,
    }
    FINGERPRINT_FILE.write_text(json.dumps(fingerprints, indent=2) + "\n", encoding="utf-8")


def load_model(path: Path = MODEL_FILE) -> CrisisModel:
    """The shipped model; missing or unreadable is an error, never a silent rules-only run."""
    try:
        model = joblib.load(path)
    except (OSError, ValueError, EOFError) as exc:
        raise LexiconError(f"{path.name}: cannot be loaded; run `wisemind safety train`") from exc
    if not isinstance(model, CrisisModel):
        raise LexiconError(f"{path.name}: is not a crisis model; run `wisemind safety train`")
    return model


def shipped_fingerprints() -> dict[str, str]:
    """The fingerprints written beside the shipped model."""
    result: dict[str, str] = json.loads(FINGERPRINT_FILE.read_text(encoding="utf-8"))
    return result
