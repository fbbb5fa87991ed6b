"""How replies are cut for SMS and Telegram, and what SMS segments cost."""

from __future__ import annotations

import pytest

from bot.outbox import Button
from channels.formatting import split_text
from channels.sms_segments import segment_count
from channels.telegram import telegram_parts
from channels.twilio_sms import MAX_SEGMENTS_PER_REPLY, MAX_SEGMENTS_PER_SMS, sms_parts


@pytest.mark.parametrize(
    ("text", "segments"),
    [
        ("", 1),
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("€" * 80, 1),  # an extension character takes two septets
        ("€" * 81, 2),
        ("🙂" * 35, 1),  # one emoji: UCS-2, two code units each
        ("🙂" * 36, 2),
        ("é" * 160, 1),  # é is in the GSM-7 alphabet
        ("ê" * 70, 1),  # ê is not: UCS-2
        ("ê" * 71, 2),
    ],
)
def test_segments_are_counted_as_carriers_bill_them(text: str, segments: int) -> None:
    assert segment_count(text) == segments


def test_long_text_is_cut_between_sentences() -> None:
    text = "First sentence here. Second one is here! Third? Fourth line\nFifth."
    assert split_text(text, lambda part: len(part) <= 25) == [
        "First sentence here.",
        "Second one is here!",
        "Third? Fourth line\nFifth.",
    ]


def test_a_word_longer_than_a_part_is_cut_only_when_it_must_be() -> None:
    assert split_text("go " + "x" * 12, lambda part: len(part) <= 5) == [
        "go",
        "xxxxx",
        "xxxxx",
        "xx",
    ]


def test_sms_buttons_become_numbered_choices_on_the_last_part() -> None:
    buttons = (Button("Yes", "/affirm"), Button("No", "/deny"))
    parts = sms_parts("Would you like to try a skill?", buttons)
    assert parts == [("Would you like to try a skill?\n1. Yes\n2. No", buttons)]


def test_a_long_emoji_reply_is_split_into_ucs2_sized_sms() -> None:
    text = " ".join(["Breathe in slowly 🙂."] * 40)
    parts = sms_parts(text, ())
    assert len(parts) > 1
    assert all(segment_count(body) <= MAX_SEGMENTS_PER_SMS for body, _ in parts)
    assert sum(segment_count(body) for body, _ in parts) <= MAX_SEGMENTS_PER_REPLY


def test_a_very_long_reply_is_capped_with_an_ellipsis() -> None:
    parts = sms_parts("This sentence goes on. " * 400, ())
    assert sum(segment_count(body) for body, _ in parts) <= MAX_SEGMENTS_PER_REPLY
    assert parts[-1][0].endswith("...")


def test_telegram_parts_fit_4096_utf16_units_with_the_keyboard_last() -> None:
    buttons = (Button("Done", "/affirm"),)
    parts = telegram_parts("A calm sentence. " * 600, buttons)
    assert len(parts) == 3
    assert all(len(body.encode("utf-16-le")) // 2 <= 4096 for body, _ in parts)
    assert [b for _, b in parts] == [(), (), buttons]
