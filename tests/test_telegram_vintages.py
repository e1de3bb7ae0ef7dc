"""Telegram Desktop exports of every vintage: the shapes older and newer versions write."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from amparo.errors import InvalidInput
from amparo.formats.telegram import TelegramChat, parse_telegram


def chat_of(*messages: dict[str, Any]) -> TelegramChat:
    document = {"name": "Club", "type": "private_group", "id": 9, "messages": messages}
    (chat,) = parse_telegram(json.dumps(document).encode(), path="result.json").chats
    return chat


def test_numeric_sender_of_older_exports_is_the_same_account_as_newer_text() -> None:
    older, newer = chat_of(
        {"id": 1, "type": "message", "date": "2019-01-01T10:00:00", "from_id": 4242, "text": "a"},
        {"id": 2, "type": "message", "date": "2023-01-01T10:00:00", "from_id": "user4242",
         "text": "b"},
    ).messages  # fmt: skip
    assert older.sender_id == newer.sender_id == "user4242"


def test_channel_sender_ids_are_kept_as_written() -> None:
    (post,) = chat_of({"id": 1, "date": "2023-01-01T10:00:00", "from_id": "channel77"}).messages
    assert post.sender_id == "channel77"


def test_unix_time_without_written_date() -> None:
    (message,) = chat_of({"id": 5, "date_unixtime": "1652135033", "text": "x"}).messages
    assert message.at.utc == datetime(2022, 5, 9, 22, 23, 53, tzinfo=UTC)
    assert (message.at.raw, message.at.offset_minutes) == ("1652135033", None)


def test_written_date_with_a_zone_gives_utc() -> None:
    (message,) = chat_of({"id": 1, "date": "2017-01-01T06:20:09.248Z"}).messages
    assert message.at.utc == datetime(2017, 1, 1, 6, 20, 9, 248000, tzinfo=UTC)
    assert message.at.offset_minutes == 0


def test_messages_without_id_are_named_by_their_place() -> None:
    chat = chat_of({"date_unixtime": "1544006350", "text": "a"},
                   {"date_unixtime": "1544006964", "text": "b"})  # fmt: skip
    assert [(m.id, m.position) for m in chat.messages] == [(None, 1), (None, 2)]


def test_text_held_only_in_text_entities() -> None:
    entities = [{"type": "bold", "text": "Hola"}, {"type": "plain", "text": " mundo"}]
    (message,) = chat_of({"id": 1, "date": "2023-01-01T10:00:00",
                          "text_entities": entities}).messages  # fmt: skip
    assert message.text == "Hola mundo"


def test_text_is_preferred_over_its_entities() -> None:
    entities = [{"type": "plain", "text": "other"}]
    written = {"id": 1, "date": "2023-01-01T10:00:00", "text": "as written"}
    (message,) = chat_of(written | {"text_entities": entities}).messages
    assert message.text == "as written"


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ({"id": 2}, "no time"),
        ({"id": 2, "date": "2023-01-01T10:00:00", "date_unixtime": "soon"}, "not epoch seconds"),
        ({"id": 2, "date": "2023-01-01T10:00:00", "text": 7}, "neither text nor a list"),
        ({"id": "2", "date": "2023-01-01T10:00:00"}, "'id' is not an integer"),
        ("not an object", "expected a JSON object"),
    ],
)
def test_one_bad_message_costs_that_message_only(bad: Any, reason: str) -> None:
    good = {"id": 1, "date": "2023-01-01T10:00:00", "text": "kept"}
    chat = chat_of(good, bad, good | {"id": 3})
    assert [m.id for m in chat.messages] == [1, 3]
    (refused,) = chat.refused
    assert isinstance(refused, InvalidInput) and reason in refused.reason
    assert (refused.path, refused.place) == ("result.json", "messages[1]")
