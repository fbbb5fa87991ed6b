"""The learned model ships from this repository and is reproduced by one command.

``wisemind safety train`` must give exactly the shipped model from the shipped
corpus: these tests train afresh and compare fingerprints, so a changed corpus,
setting or scikit-learn version without a retrain fails here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.safety import get_detector
from bot.safety.detector import build_normalizer
from bot.safety.lexicon import load_lexicon
from bot.safety.model import (
    MODEL_FILE,
    CrisisModel,
    LabelledMessage,
    coaching_chatter,
    corpus_fingerprint,
    evaluation_texts,
    load_corpus,
    load_model,
    load_settings,
    shipped_fingerprints,
    train,
)

#: The shipped model must stay small enough to live in the repository.
MAX_MODEL_BYTES = 5 * 1024 * 1024


@pytest.fixture(scope="module")
def fresh_model() -> CrisisModel:
    normalizer = build_normalizer(load_lexicon())
    return train(load_corpus(), lambda text: normalizer.normalize(text).text, load_settings())


def test_shipped_model_was_trained_on_the_shipped_corpus() -> None:
    expected = corpus_fingerprint(load_corpus(), load_settings())
    # The corpus includes data/nlu's chatter less what the rules flag: new NLU examples
    # or a rules change can change it too. Run `wisemind safety train`.
    assert shipped_fingerprints()["corpus"] == expected


def test_training_again_reproduces_the_shipped_model(fresh_model: CrisisModel) -> None:
    shipped = load_model()
    assert shipped.fingerprint() == shipped_fingerprints()["model"]
    assert fresh_model.differs_from(shipped) == []


def test_a_model_trained_on_other_words_differs_from_the_shipped_one(
    fresh_model: CrisisModel,
) -> None:
    corpus = load_corpus()[::2]
    normalizer = build_normalizer(load_lexicon())
    other = train(corpus, lambda text: normalizer.normalize(text).text, load_settings())
    assert other.differs_from(fresh_model)


def test_shipped_model_is_small() -> None:
    assert MODEL_FILE.stat().st_size < MAX_MODEL_BYTES


def test_corpus_holds_every_label_in_english_and_spanish() -> None:
    corpus = load_corpus()
    assert len(corpus) >= 3000
    assert {message.expect for message in corpus} == {"none", "flag", "escalate"}


def test_fast_scoring_gives_scikit_learns_probabilities() -> None:
    detector = get_detector()
    texts = [
        detector.normalize_for_model(text)
        for text in (
            "i took all of my mom's pills",
            "me quiero morir",
            "this homework is killing me lol",
            "",
            "😭" * 300,
            "a",
        )
    ]
    model = load_model()
    for fast, reference in zip(model.scores(texts), model.scores_by_matrix(texts), strict=True):
        assert fast.risk == pytest.approx(reference.risk, abs=1e-6)
        assert fast.escalate == pytest.approx(reference.escalate, abs=1e-6)


def test_coaching_chatter_is_benign_corpus_but_never_crisis_talk(tmp_path: Path) -> None:
    (tmp_path / "crisis.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: crisis_high\n  examples: |\n    - no one would miss me\n',
        encoding="utf-8",
    )
    (tmp_path / "coaching.yml").write_text(
        'version: "3.1"\nnlu:\n'
        "- intent: practice\n  examples: |\n"
        "    - walk me through [opposite action](skill) please\n"
        "    - push my check-in back two hours\n"
        "- intent: share_feeling\n  examples: |\n"
        "    - honestly i feel hopeless, there's no point in anything anymore\n"
        "    - work was long and i am tired\n"
        "- intent: ask_crisis_resources\n  examples: |\n    - the crisis line number again?\n"
        "- intent: EXTERNAL_nudge\n  examples: |\n    - EXTERNAL_nudge\n",
        encoding="utf-8",
    )
    assert coaching_chatter(tmp_path) == {
        "coaching": [
            "push my check-in back two hours",
            "walk me through opposite action please",
            "work was long and i am tired",
        ]
    }
    corpus = load_corpus(tmp_path / "no corpus here", tmp_path)
    assert {message.expect for message in corpus} == {"none"}
    assert len(corpus) == 3


def test_a_message_of_an_evaluation_set_is_never_trained_on(tmp_path: Path) -> None:
    corpus_dir, evaluation_dir = tmp_path / "corpus", tmp_path / "eval"
    corpus_dir.mkdir()
    evaluation_dir.mkdir()
    (corpus_dir / "writer.jsonl").write_text(
        '{"text": "Ok  thanks", "expect": "none"}\n'
        '{"text": "i took all of them", "expect": "escalate"}\n',
        encoding="utf-8",
    )
    (evaluation_dir / "blind_test.jsonl").write_text(
        '{"text": "ok thanks", "expect": "none"}\n', encoding="utf-8"
    )
    assert load_corpus(corpus_dir, None, evaluation_dir) == [
        LabelledMessage("i took all of them", "escalate")
    ]
    assert len(load_corpus(corpus_dir, None, None)) == 2


def test_training_finds_the_blind_evaluation_sets_it_leaves_out() -> None:
    assert len(evaluation_texts()) > 4000
