"""Conversations with the real Rasa server and action server (``wisemind run``).

Each test is one client texting the bot over the local channel; assertions are
on what the client reads and on what the database holds afterwards.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.clinic import client_by_code
from bot.storage import session_scope
from bot.storage.models import DiaryEntry, Message
from tests.servers import ChatClient, RunningWiseMind

DIARY_ANSWERS = [
    ("0", "self-harm"),
    ("1", "use"),
    ("none", "self-harm today"),
    ("no", "drugs or alcohol"),
    ("nope", "Sadness"),
    ("3", "Anger"),
    ("two", "Fear"),
    ("4/5", "Shame"),
    ("1", "Joy"),
    ("a 2", "0 to 7"),
    ("5", "therapist to know"),
]


def _diary_entry(server: RunningWiseMind, code: str) -> DiaryEntry | None:
    with session_scope(server.engine) as session:
        client = client_by_code(session, code)
        assert client is not None
        return session.execute(
            select(DiaryEntry).where(DiaryEntry.client_id == client.id)
        ).scalar_one_or_none()


def test_whole_diary_card_is_saved_and_read_back(client: ChatClient) -> None:
    assert "diary" in client.say_joined("hi").lower()
    opening = client.say_joined("can i do my diary card")
    assert "Urge to commit suicide" in opening
    for answer, next_question in DIARY_ANSWERS:
        assert next_question in client.say_joined(answer)
    summary = client.say_joined("had a rough afternoon but used opposite action")

    assert "Saved your diary card" in summary
    assert "suicide 0, self-harm 1, use 0" in summary
    assert "Skills: 5/7" in summary
    entry = _diary_entry(client.server, client.code)
    assert entry is not None
    assert (entry.urge_suicide, entry.urge_self_harm, entry.urge_use) == (0, 1, 0)
    assert (entry.self_harm, entry.substance_use) == (False, False)
    assert (entry.sadness, entry.anger, entry.fear, entry.shame, entry.joy) == (3, 2, 4, 1, 2)
    assert entry.skills_used == 5
    assert entry.note == "had a rough afternoon but used opposite action"
    assert entry.entry_date == datetime.now(ZoneInfo("America/New_York")).date()


def test_unreadable_diary_answers_are_reasked_with_the_scale(client: ChatClient) -> None:
    client.say("diary")
    out_of_range = client.say_joined("9")
    assert "0 to 5" in out_of_range
    assert "Urge to commit suicide" in out_of_range
    assert "just a number from 0 to 5" in client.say_joined("2 or 3")
    assert "Urge to self-harm" in client.say_joined("2")
    assert "Urge to use" in client.say_joined("3")
    assert "outside the scale" in client.say_joined("-1")
    assert "Did you self-harm today" in client.say_joined("no")
    assert "Please reply with yes or no" in client.say_joined("maybe")
    assert _diary_entry(client.server, client.code) is None


def test_skip_leaves_the_diary_note_empty(client: ChatClient) -> None:
    client.say("diary card pls")
    for answer, _ in DIARY_ANSWERS:
        client.say(answer)
    assert "Saved your diary card" in client.say_joined("skip")
    entry = _diary_entry(client.server, client.code)
    assert entry is not None
    assert entry.note is None


def test_pausing_the_diary_keeps_the_answers_and_diary_resumes_where_it_stopped(
    client: ChatClient,
) -> None:
    client.say("start my diary card")
    client.say("2")
    reply = client.say_joined("can we do this later")
    assert "kept your answers" in reply
    assert _diary_entry(client.server, client.code) is None
    assert "Urge to self-harm" in client.say_joined("diary")
    for answer, _ in DIARY_ANSWERS[1:]:
        client.say(answer)
    summary = client.say_joined("rough day")
    assert "suicide 2, self-harm 1, use 0" in summary
    assert "Note: rough day" in summary


def test_first_contact_explains_the_bot_and_asks_consent_before_anything(
    new_client: ChatClient,
) -> None:
    intro = new_client.say_joined("diary")
    assert "NOT an emergency service" in intro
    assert "988" in intro
    assert "911" in intro
    assert "YES or NO" in intro
    assert "Please reply YES" in new_client.say_joined("what is this")
    welcome = new_client.say_joined("yes")
    assert "You're all set" in welcome
    with session_scope(new_client.server.engine) as session:
        client = client_by_code(session, new_client.code)
        assert client is not None
        assert client.consent_at is not None
    assert "Urge to commit suicide" in new_client.say_joined("diary")


def test_declining_consent_is_respected_and_yes_later_still_works(new_client: ChatClient) -> None:
    new_client.say("hello")
    declined = new_client.say_joined("no")
    assert "won't store" in declined
    assert "988" in declined
    assert "You're all set" in new_client.say_joined("actually yes")


def test_crisis_numbers_on_request_even_mid_diary(client: ChatClient) -> None:
    client.say("diary")
    reply = client.say_joined("what's the crisis line number")
    assert "988" in reply
    assert "Urge to commit suicide" in reply


def test_out_of_scope_gets_a_kind_reply_saying_what_the_bot_can_do(client: ChatClient) -> None:
    reply = client.say_joined("what's the weather tomorrow")
    assert "DIARY" in reply
    assert "988" in reply


def test_menu_lists_what_the_bot_can_do(client: ChatClient) -> None:
    reply = client.say_joined("what can you do")
    assert "DIARY" in reply
    assert "not an emergency service" in reply


def test_every_message_is_in_the_message_log(client: ChatClient) -> None:
    client.say("hi")
    with session_scope(client.server.engine) as session:
        owner = client_by_code(session, client.code)
        assert owner is not None
        rows = session.execute(
            select(Message.direction, Message.body, Message.status)
            .where(Message.client_id == owner.id)
            .order_by(Message.id)
        ).all()
    assert rows[0] == ("inbound", "hi", "processed")
    assert rows[1][0] == "outbound"
    assert rows[1][2] == "sent"


def test_unknown_sender_gets_a_safe_reply_and_nothing_is_stored(
    wisemind: RunningWiseMind,
) -> None:
    with session_scope(wisemind.engine) as session:
        before = session.execute(select(func.count(Message.id))).scalar_one()
    status, body = wisemind.post({"sender": "NOSUCH01", "message": "hi it's jamie"})
    assert status == 200
    assert isinstance(body, list)
    assert "isn't linked to anyone" in body[0]["text"]
    assert "988" in body[0]["text"]
    with session_scope(wisemind.engine) as session:
        assert session.execute(select(func.count(Message.id))).scalar_one() == before


def test_empty_message_gets_a_prompt_and_is_not_stored(client: ChatClient) -> None:
    assert "didn't receive any text" in client.say_joined("   ")
    with session_scope(client.server.engine) as session:
        owner = client_by_code(session, client.code)
        assert owner is not None
        count = session.execute(
            select(func.count(Message.id)).where(Message.client_id == owner.id)
        ).scalar_one()
    assert count == 0


def test_ten_kilobyte_message_gets_a_reply(client: ChatClient) -> None:
    long_text = ("I had a long day and want to tell you all of it. " * 210)[:10_240]
    replies = client.say(long_text)
    assert replies
    with session_scope(client.server.engine) as session:
        owner = client_by_code(session, client.code)
        assert owner is not None
        stored = session.execute(
            select(Message.body).where(
                Message.client_id == owner.id, Message.direction == "inbound"
            )
        ).scalar_one()
    assert stored == long_text


def test_emoji_only_message_gets_a_reply(client: ChatClient) -> None:
    assert client.say("😔😔😔")


def test_message_over_the_limit_is_refused_with_413(client: ChatClient) -> None:
    status, body = client.server.post({"sender": client.code, "message": "a" * 16_001})
    assert status == 413
    assert isinstance(body, dict)
    assert "longer than" in body["error"]


def test_wrong_token_is_refused_and_nothing_is_stored(client: ChatClient) -> None:
    status, _ = client.server.post({"sender": client.code, "message": "hi"}, token="wrong")
    assert status == 401
    with session_scope(client.server.engine) as session:
        owner = client_by_code(session, client.code)
        assert owner is not None
        count = session.execute(
            select(func.count(Message.id)).where(Message.client_id == owner.id)
        ).scalar_one()
    assert count == 0


def test_malformed_payloads_get_400_not_500(wisemind: RunningWiseMind) -> None:
    for payload in (b"{not json", b"[]", {"sender": "DEMO0001"}, {"message": "hi"},
                    {"sender": 7, "message": "hi"}):  # fmt: skip
        status, body = wisemind.post(payload)
        assert status == 400, payload
        assert isinstance(body, dict)
        assert "expected JSON" in body["error"]
