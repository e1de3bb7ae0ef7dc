"""Telegram Desktop JSON exports: both shapes, text entities, service actions, files, errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from amparo.errors import InvalidInput, UnsafeInput
from amparo.formats import telegram
from amparo.formats.telegram import (
    TelegramChat,
    TelegramExport,
    TelegramParticipant,
    parse_telegram,
)

ACCOUNT_EXPORT = Path(__file__).parent / "fixtures" / "telegram" / "result.json"


@pytest.fixture(scope="module")
def account() -> TelegramExport:
    return parse_telegram(ACCOUNT_EXPORT.read_bytes(), path="result.json")


def chat_by_name(export: TelegramExport, name: str) -> TelegramChat:
    return next(chat for chat in export.chats if chat.name == name)


def single_chat(*messages: dict[str, Any]) -> TelegramChat:
    """The one chat parsed from a single-chat export holding ``messages``."""
    document = {"name": "Sam Sample", "type": "personal_chat", "id": 7, "messages": messages}
    export = parse_telegram(json.dumps(document).encode(), path="result.json")
    assert export.owner is None
    (chat,) = export.chats
    return chat


def message(**fields: Any) -> dict[str, Any]:
    return {"id": 1, "type": "message", "date": "2023-05-14T18:30:00", "text": "", **fields}


def test_account_export_has_owner_and_all_chats(account: TelegramExport) -> None:
    assert account.owner is not None
    assert account.owner.first_name == "Alex"
    assert account.owner.phone_number == "+34 600 000 001"
    assert account.owner.sender_id == "user1000001"
    assert [(chat.name, chat.type, chat.id, chat.left) for chat in account.chats] == [
        ("Sam Sample", "personal_chat", 2000002, False),
        ("Football Club Parents", "private_group", 3000003, False),
        ("Old Club News", "public_channel", 4000004, True),
    ]


def test_single_chat_export() -> None:
    chat = single_chat(message(id=5, text="hello", **{"from": "Sam", "from_id": "user9"}))
    assert (chat.name, chat.type, chat.id) == ("Sam Sample", "personal_chat", 7)
    (only,) = chat.messages
    assert (only.id, only.chat_id, only.sender, only.sender_id, only.text) == (
        5,
        7,
        "Sam",
        "user9",
        "hello",
    )


def test_text_entities_are_flattened_and_replies_kept(account: TelegramExport) -> None:
    reply = chat_by_name(account, "Sam Sample").messages[1]
    assert reply.text == "Yes! The map is at https://example.org/park and bring water."
    assert reply.reply_to == 11
    assert reply.edited is not None
    assert reply.edited.utc == datetime(2023, 5, 14, 16, 32, tzinfo=UTC)


def test_service_messages_name_actor_action_and_members(account: TelegramExport) -> None:
    group = chat_by_name(account, "Football Club Parents")
    created, invited = group.messages[0], group.messages[3]
    assert (created.service, created.action, created.sender_id) == (
        True,
        "create_group",
        "user1000001",
    )
    assert created.members == ("Sam Sample", "Robin Placeholder")
    assert (invited.action, invited.members) == ("invite_members", ("Jordan Dummy",))


def test_participants_are_senders_then_members_named_only(account: TelegramExport) -> None:
    assert chat_by_name(account, "Football Club Parents").participants == (
        TelegramParticipant("user1000001", "Alex Example"),
        TelegramParticipant("user2000002", "Sam Sample"),
        TelegramParticipant(None, "Robin Placeholder"),
        TelegramParticipant(None, "Jordan Dummy"),
    )


def test_photos_and_files_keep_relative_paths(account: TelegramExport) -> None:
    photo = chat_by_name(account, "Sam Sample").messages[2]
    document = chat_by_name(account, "Football Club Parents").messages[1]
    assert photo.attachment == "photos/photo_1@14-05-2023_18-40-00.jpg"
    assert (document.attachment, document.mime_type) == (
        "files/training_schedule.pdf",
        "application/pdf",
    )
    assert not photo.attachment_missing and not document.attachment_missing


def test_file_not_included_is_a_flag_not_a_path(account: TelegramExport) -> None:
    video = chat_by_name(account, "Football Club Parents").messages[2]
    assert video.attachment is None
    assert video.attachment_missing
    assert (video.media_type, video.forwarded_from) == ("video_file", "City Sports News")
    assert video.problem is None


def test_unixtime_gives_utc_and_offset(account: TelegramExport) -> None:
    at = chat_by_name(account, "Sam Sample").messages[0].at
    assert at.raw == "2023-05-14T18:30:00"
    assert at.utc == datetime(2023, 5, 14, 16, 30, tzinfo=UTC)
    assert at.offset_minutes == 120


def test_without_unixtime_no_zone_is_guessed(account: TelegramExport) -> None:
    at = chat_by_name(account, "Old Club News").messages[0].at
    assert (at.raw, at.utc, at.offset_minutes) == ("2022-01-10T09:00:00", None, None)


@pytest.mark.parametrize(
    "unsafe_path",
    ["../../etc/passwd", "photos/../../secret.jpg", "/etc/passwd", "C:\\Users\\x.jpg", "a\\..\\b"],
)
def test_escaping_attachment_path_is_recorded_as_problem(unsafe_path: str) -> None:
    (kept,) = single_chat(message(photo=unsafe_path, text="caption")).messages
    assert kept.attachment is None
    assert not kept.attachment_missing
    assert kept.text == "caption"
    assert kept.problem is not None and repr(unsafe_path) in kept.problem


def test_dots_inside_a_file_name_are_not_an_escape() -> None:
    (kept,) = single_chat(message(file="files/notes..final.txt")).messages
    assert (kept.attachment, kept.problem) == ("files/notes..final.txt", None)


def test_malformed_json_names_line_and_column() -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_telegram(b'{\n  "name": "x",\n  "messages": [,]\n}', path="result.json")
    assert raised.value.place == "line 3, column 16"
    assert raised.value.path == "result.json"


@pytest.mark.parametrize("document", [b'{"report": {"id": 1}}', b"[1, 2]", b'"text"'])
def test_json_that_is_not_a_telegram_export_is_refused(document: bytes) -> None:
    with pytest.raises(InvalidInput, match="expected an object with 'messages'"):
        parse_telegram(document, path="other.json")


def test_wrongly_typed_field_costs_its_message_only_with_its_place() -> None:
    chat = single_chat(message(from_id=[42]), message(id=2, text="kept"))
    assert [kept.text for kept in chat.messages] == ["kept"]
    (refused,) = chat.refused
    assert isinstance(refused, InvalidInput)
    assert "'from_id' is neither text nor a number" in refused.reason
    assert refused.place == "messages[0]"


def test_oversized_input_is_unsafe(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(telegram, "MAX_EXPORT_BYTES", 10)
    with pytest.raises(UnsafeInput):
        parse_telegram(b'{"messages": []}     ', path="result.json")


def test_deeply_nested_json_is_unsafe() -> None:
    with pytest.raises(UnsafeInput, match="nested too deeply"):
        parse_telegram(b"[" * 100_000 + b"]" * 100_000, path="result.json")
