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
import re
from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
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

from bot.safety.assessment import RiskLevel
from bot.safety.lexicon import DATA_DIR, LexiconError

CORPUS_DIR = DATA_DIR / "corpus"
#: The bot's own NLU training examples (Rasa YAML); the non-crisis ones are benign corpus.
NLU_DIR = Path(__file__).resolve().parents[2] / "data" / "nlu"
#: The blind evaluation sets (``*.jsonl``): none of their texts is ever trained on.
EVALUATION_DIR = Path(__file__).resolve().parents[2] / "benchmarks" / "crisis_eval"
#: NLU files never read as benign: the crisis intents.
NLU_CRISIS_FILES = frozenset({"crisis.yml"})
#: NLU intents never read as benign: asking for a crisis line is help-seeking close to a
#: crisis, and ``EXTERNAL_`` intents are the scheduler's, never a client's words.
NLU_NOT_BENIGN_INTENTS = frozenset({"ask_crisis_resources"})
_NLU_ENTITY = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")
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
class Thresholds:
    """The probabilities from which the model raises a message to ``moderate`` (any
    risk) and to ``high`` (escalate)."""

    flag: float
    escalate: float


@dataclass(frozen=True)
class ModelSettings:
    """Hyper-parameters, and how the model and the rules combine (``data/model.yml``).

    The model raises a message by ``noticed`` where the rules noticed something,
    by ``alone`` where they noticed nothing but met a word of risk, by ``unseen``
    where they met none at all (``RulesVerdict.risk_words_seen``), and by
    ``set_aside`` where they read risk words and set them aside (negated, someone
    else's, a report, an idiom).
    Below ``veto`` probability of any risk it lowers the rules' ``moderate`` or
    ``high`` one level. It pages only where its probability of any risk is at least
    ``page_needs_risk`` too (both heads agree). Messages of fewer than ``min_words``
    words are the rules'.
    """

    char_ngrams: tuple[int, int]
    word_ngrams: tuple[int, int]
    min_df: int
    max_char_features: int
    max_word_features: int
    regularisation: float
    noticed: Thresholds
    alone: Thresholds
    unseen: Thresholds
    set_aside: Thresholds
    veto: float
    page_needs_risk: float
    min_words: int
    risk_word_classes: frozenset[str]
    bare_time_signals: frozenset[str]


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
            noticed=_thresholds(combine["noticed"]),
            alone=_thresholds(combine["alone"]),
            unseen=_thresholds(combine["unseen"]),
            set_aside=_thresholds(combine["set_aside"]),
            veto=float(combine["veto"]),
            page_needs_risk=float(combine["page_needs_risk"]),
            min_words=int(combine["min_words"]),
            risk_word_classes=frozenset(str(name) for name in combine["risk_word_classes"]),
            bare_time_signals=frozenset(str(name) for name in combine["bare_time_signals"]),
        )
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError, IndexError) as exc:
        raise LexiconError(f"model.yml: cannot be read: {exc!r}") from exc


def _thresholds(entry: Mapping[str, Any]) -> Thresholds:
    return Thresholds(flag=float(entry["flag"]), escalate=float(entry["escalate"]))


def load_corpus(
    corpus_dir: Path = CORPUS_DIR,
    nlu_dir: Path | None = NLU_DIR,
    evaluation_dir: Path | None = EVALUATION_DIR,
) -> list[LabelledMessage]:
    """Every labelled message of ``corpus_dir/*.jsonl`` and the coaching chatter of
    ``nlu_dir`` (:func:`coaching_chatter`, ``none``), de-duplicated and sorted.

    A text that is also in an evaluation set of ``evaluation_dir`` is left out
    (:func:`evaluation_texts`): writers blind to each other still write the same
    short or common message now and then, and a model trained on it would score
    that set's figures on what it was taught.
    """
    held_out = evaluation_texts(evaluation_dir) if evaluation_dir is not None else set()
    found: dict[str, str] = {}
    for path in sorted(corpus_dir.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            record = json.loads(line)
            expect = record.get("expect")
            if not isinstance(record.get("text"), str) or expect not in EXPECTS:
                raise LexiconError(f"{path.name}: line {number}: needs text and expect")
            if _same_text(record["text"]) not in held_out:
                _keep_graver(found, record["text"], expect)
    if nlu_dir is not None:
        for texts in coaching_chatter(nlu_dir).values():
            for text in texts:
                if _same_text(text) not in held_out:
                    _keep_graver(found, text, "none")
    return [LabelledMessage(text, expect) for text, expect in sorted(found.items())]


def evaluation_texts(evaluation_dir: Path = EVALUATION_DIR) -> set[str]:
    """The texts of every ``*.jsonl`` evaluation set in ``evaluation_dir``, compared
    case- and spacing-blind (:func:`_same_text`)."""
    texts: set[str] = set()
    for path in sorted(evaluation_dir.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                texts.add(_same_text(json.loads(line)["text"]))
    return texts


def _same_text(text: str) -> str:
    """A text as two writers would have written "the same message": case and spacing aside."""
    return " ".join(text.casefold().split())


def _keep_graver(found: dict[str, str], text: str, expect: str) -> None:
    previous = found.get(text)
    if previous is None or EXPECTS.index(expect) > EXPECTS.index(previous):
        found[text] = expect  # a text labelled twice keeps the graver label


def coaching_chatter(nlu_dir: Path = NLU_DIR) -> dict[str, list[str]]:
    """The bot's NLU examples that are ordinary coaching talk, by file stem, sorted.

    The blind corpus has no in-domain chatter ("snooze it", "remind me at 9"), and
    the model alone paged such replies. These examples are read as benign except
    the crisis intents (``NLU_CRISIS_FILES``, ``NLU_NOT_BENIGN_INTENTS``) and any
    that the rules alone score ``moderate`` or above: a feeling shared with
    hopelessness in it is never taught as benign. Reading ``data/nlu`` itself keeps
    new examples in the next ``wisemind safety train`` (never ``tests/nlu_heldout``).
    """
    by_file: dict[str, list[str]] = {}
    for path in sorted(nlu_dir.glob("*.yml")):
        if path.name in NLU_CRISIS_FILES:
            continue
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        texts = set()
        for item in document.get("nlu") or []:
            intent = item.get("intent")
            if not intent or intent in NLU_NOT_BENIGN_INTENTS or intent.startswith("EXTERNAL_"):
                continue
            for line in str(item.get("examples") or "").splitlines():
                example = line.strip()
                if example.startswith("- "):
                    texts.add(_NLU_ENTITY.sub(r"\1", example[2:].strip()))
        by_file[path.stem] = sorted(texts)
    flagged = _flagged_by_rules(sorted({t for texts in by_file.values() for t in texts}))
    return {stem: [t for t in texts if t not in flagged] for stem, texts in by_file.items()}


def _flagged_by_rules(texts: Sequence[str]) -> set[str]:
    """The texts the rules alone score ``moderate`` or above (read without the learned
    model, so that training needs none)."""
    from bot.safety.detector import CrisisDetector  # it imports this module

    no_model = CrisisModel(FeatureUnion([]), np.zeros((0, 2)), np.zeros(2))  # never asked
    rules = CrisisDetector(model=no_model).assess_rules_many(texts)
    return {
        text for text, found in zip(texts, rules, strict=True) if found.level >= RiskLevel.MODERATE
    }


class CrisisModel:
    """A fitted vectoriser and two logistic heads (any risk, escalate).

    Scoring does not go through scikit-learn's matrices: each term's idf and
    its weight in both heads are folded into tables, and a message is scored
    by collecting its known n-grams (each distinct word's character n-grams are
    remembered) and summing table entries. The result equals
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
                tables.append(_TermTable(entries, _char_terms(part.ngram_range)))
            else:
                tables.append(
                    _TermTable(entries, _word_terms(part.token_pattern, part.ngram_range))
                )
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

    def differs_from(self, other: CrisisModel, tolerance: float = 1e-4) -> list[str]:
        """How ``other`` computes something else: its terms, or weights beyond ``tolerance``.

        A retrain on another run or machine may differ from the shipped model in the last
        bits of a weight (the solver's floating-point sums: 3e-6 seen between two machines
        here), which can flip the fingerprint's rounding; only a real difference (another
        corpus or setting moves weights by far more than ``tolerance``) should fail a check.
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
    """One vectoriser's terms, each with ``idf²``, ``idf·w_risk`` and ``idf·w_escalate``.

    Terms are binary (present or not), so a message's contribution is three sums
    over the set of its known terms, divided by the l2 norm: what scikit-learn's
    ``binary=True`` tf-idf times the heads' weights gives.
    """

    def __init__(
        self,
        entries: dict[str, tuple[float, float, float]],
        terms: Callable[[str, AbstractSet[str]], set[str]],
    ) -> None:
        self._squared = {term: idf * idf for term, (idf, _, _) in entries.items()}
        self._risk = {term: idf * risk for term, (idf, risk, _) in entries.items()}
        self._escalate = {term: idf * escalate for term, (idf, _, escalate) in entries.items()}
        self._terms = terms

    def logits(self, text: str) -> tuple[float, float]:
        """This part's contribution to both heads."""
        terms = self._terms(text, self._squared.keys())
        if not terms:
            return 0.0, 0.0
        norm = math.sqrt(sum(map(self._squared.__getitem__, terms)))
        risk = sum(map(self._risk.__getitem__, terms))
        escalate = sum(map(self._escalate.__getitem__, terms))
        return risk / norm, escalate / norm


def _char_terms(ngram_range: tuple[int, int]) -> Callable[[str, AbstractSet[str]], set[str]]:
    """scikit-learn's ``char_wb`` n-grams of a text that are in the vocabulary.

    A word's known n-grams are worked out once and remembered (words repeat
    across messages); a message's are the union over its distinct words.
    """
    low, high = ngram_range
    known: dict[str, frozenset[str]] = {}

    def ngrams(word: str, vocabulary: AbstractSet[str]) -> frozenset[str]:
        padded = f" {word} "
        found: list[str] = []
        for size in range(low, high + 1):
            if len(padded) <= size:
                found.append(padded)  # a short word counts once, as a whole
                break
            found.extend(padded[start : start + size] for start in range(len(padded) - size + 1))
        return frozenset(term for term in found if term in vocabulary)

    def terms(text: str, vocabulary: AbstractSet[str]) -> set[str]:
        found: set[str] = set()
        for word in set(text.split()):
            word_terms = known.get(word)
            if word_terms is None:
                word_terms = ngrams(word, vocabulary)
                if len(known) < _WORD_CACHE_LIMIT:
                    known[word] = word_terms
            found |= word_terms
        return found

    return terms


def _word_terms(
    token_pattern: str, ngram_range: tuple[int, int]
) -> Callable[[str, AbstractSet[str]], set[str]]:
    """scikit-learn's word n-grams of a text (its ``token_pattern``, joined by a space)
    that are in the vocabulary."""
    token = re.compile(token_pattern)
    low, high = ngram_range

    def terms(text: str, vocabulary: AbstractSet[str]) -> set[str]:
        tokens = token.findall(text)
        found: set[str] = set()
        for size in range(low, high + 1):
            if size == 1:
                found.update(tokens)
            else:  # the same n-grams in the same order as slicing, without a frame each
                shifted = (tokens[i:] for i in range(size))
                found.update(map(" ".join, zip(*shifted, strict=False)))  # shorter ones end it
        return found & vocabulary

    return terms


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
        "binary": True,  # see _TermTable
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


def training_settings(settings: ModelSettings) -> tuple[object, ...]:
    """The settings training depends on (the combination thresholds are read at run time)."""
    return (
        settings.char_ngrams,
        settings.word_ngrams,
        settings.min_df,
        settings.max_char_features,
        settings.max_word_features,
        settings.regularisation,
    )


def corpus_fingerprint(corpus: Sequence[LabelledMessage], settings: ModelSettings) -> str:
    """A hash of the training inputs: the corpus, the training settings, scikit-learn's
    version."""
    digest = hashlib.sha256(f"scikit-learn {sklearn.__version__}".encode())
    digest.update(repr(training_settings(settings)).encode())
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
