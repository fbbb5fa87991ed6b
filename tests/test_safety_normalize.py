"""De-obfuscation keeps a map back to the client's own characters."""

from __future__ import annotations

import pytest

from bot.safety.lexicon import load_lexicon
from bot.safety.normalize import Normalizer, fold

KNOWN_WORDS = {"so", "no", "help", "bye", "die", "kill", "me", "cut", "sad", "goodbye"}


@pytest.fixture(scope="module")
def normalizer() -> Normalizer:
    lexicon = load_lexicon()
    return Normalizer(
        emoji=lexicon.emoji,
        leet=lexicon.leet,
        masks=lexicon.masks,
        sensitive_words=lexicon.sensitive_words,
        is_known_word=KNOWN_WORDS.__contains__,
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("I want to k*ll myself", "i want to kill myself"),
        ("su1c1de", "suicide"),
        ("s**cide", "suicide"),
        ("my$elf", "myself"),
        ("k!ll", "kill"),
        ("d13!!", "die!!"),
        ("k i l l  m y s e l f", "kill  myself"),
        ("s.u.i.c.i.d.e", "suicide"),
        ("s-u-i-c-i-d-e", "suicide"),
        ("diiiieeee", "die"),
        ("killlll", "kill"),
        ("soooo sad", "so sad"),
        ("Kill. Myself. Now.", "kill myself now."),
        ("𝓴𝓲𝓵𝓵", "kill"),
        ("YA NO AGUANTO MÁS", "ya no aguanto mas"),
        ("I’m", "i'm"),
    ],
)
def test_disguised_words_are_recovered(normalizer: Normalizer, raw: str, expected: str) -> None:
    assert normalizer.normalize(raw).text == expected


@pytest.mark.parametrize(
    "raw", ["meet me at 8pm", "a$$", "10/10 would recommend", "i m ok", "u.s.a"]
)
def test_ordinary_text_is_left_alone(normalizer: Normalizer, raw: str) -> None:
    assert normalizer.normalize(raw).text == raw.lower()


def test_plain_ascii_needs_no_offset_map(normalizer: Normalizer) -> None:
    normalized = normalizer.normalize("I cut last night")
    assert normalized.starts is None
    assert normalized.original_span(2, 5) == (2, 5)


def test_rewritten_word_maps_back_to_the_original_characters(normalizer: Normalizer) -> None:
    raw = "so k i l l  m y s e l f ok"
    normalized = normalizer.normalize(raw)
    start = normalized.text.index("kill")
    begin, end = normalized.original_span(start, start + len("kill"))
    assert raw[begin:end] == "k i l l"


def test_emoji_becomes_a_word_that_points_at_the_emoji(normalizer: Normalizer) -> None:
    raw = "ok ⚰️ bye"
    normalized = normalizer.normalize(raw)
    assert "emoji_death" in normalized.text
    start = normalized.text.index("emoji_death")
    begin, end = normalized.original_span(start, start + len("emoji_death"))
    assert raw[begin:end] == "⚰️"


def test_fold_lowercases_and_strips_accents() -> None:
    assert fold("Daño MÁS") == "dano mas"
