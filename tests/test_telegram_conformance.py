"""Telegram exports from other parsers' public test suites, checked against their own results.

The fixtures and where each expected value comes from are listed in
``tests/conformance/telegram/SOURCES.md``; ``expected.json`` transcribes them. A fixture folder
deleted from the tree (the AGPL chat-analytics one, say) skips its tests.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from amparo.formats.telegram import TelegramChat, TelegramMessage, parse_telegram

CONFORMANCE = Path(__file__).parent / "conformance" / "telegram"
EXPECTED: dict[str, Any] = json.loads((CONFORMANCE / "expected.json").read_text("utf-8"))
CHAT_MINER = ["chat-miner/test_single_export.json", "chat-miner/test_batch_export.json"]


def _only_chat(name: str) -> TelegramChat:
    fixture = CONFORMANCE / name
    if not fixture.is_file():  # a redistributor may delete a copyleft folder (../README.md)
        pytest.skip(f"{name} is not in this tree")
    export = parse_telegram(fixture.read_bytes(), path=name)
    assert len(export.chats) == EXPECTED[name]["chats"]
    (chat,) = export.chats
    assert chat.refused == ()
    return chat


def _utc(message: TelegramMessage) -> str | None:
    return None if message.at.utc is None else message.at.utc.isoformat()


def _without_spaces(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("name", CHAT_MINER)
def test_chat_miner_exports_without_ids_dates_or_sender_ids(name: str) -> None:
    chat = _only_chat(name)
    expected = EXPECTED[name]["messages"]
    assert chat.name == EXPECTED[name].get("chat_name")
    assert [(m.sender, _utc(m)) for m in chat.messages] == [
        (e["author"], e["utc"]) for e in expected
    ]
    assert [_without_spaces(m.text) for m in chat.messages] == [
        _without_spaces(e["text"]) for e in expected
    ]
    assert [m.position for m in chat.messages] == [1, 2], "no id: the place in the chat"


def test_chat_miner_target_is_what_expected_json_transcribes() -> None:
    target = json.loads((CONFORMANCE / "chat-miner" / "target.json").read_text("utf-8"))
    for theirs, ours in zip(target, EXPECTED[CHAT_MINER[0]]["messages"], strict=True):
        assert (theirs["author"], theirs["message"]) == (ours["author"], ours["text"])
        assert (
            datetime.fromisoformat(ours["utc"]).replace(tzinfo=None).isoformat()
            == (theirs["timestamp"])
        )


def test_chat_analytics_direct_chat_of_mixed_vintages() -> None:
    name = "chat-analytics/DM_2A_7M.json"
    expected = EXPECTED[name]
    chat = _only_chat(name)
    assert chat.id == expected["chat_id"]
    senders = {p.id: p.name for p in chat.participants if p.id is not None}
    assert senders == expected["authors"]
    messages = {m.id: m for m in chat.messages if not m.service}
    assert sorted(messages) == [e["id"] for e in expected["messages"]]
    for wanted in expected["messages"]:
        _check_message(messages[wanted["id"]], wanted)
    (call,) = [m for m in chat.messages if m.action == "phone_call"]
    assert (call.id, call.sender_id, _utc(call)) == tuple(expected["calls"][0].values())


def _check_message(message: TelegramMessage, wanted: dict[str, Any]) -> None:
    assert message.sender_id == wanted["sender_id"]
    if "local_time" in wanted:  # no zone in the export: kept as written, UTC left empty
        assert (message.at.raw, message.at.utc) == (wanted["local_time"], None)
    else:
        assert _utc(message) == wanted["utc"]
    assert _without_spaces(message.text) == _without_spaces(wanted.get("text", ""))
    if wanted.get("attachment") == "image":
        assert message.attachment_missing, "the photo was left out of the export"


def test_chat_analytics_big_sample_with_numeric_sender_ids() -> None:
    name = "chat-analytics/BIG_20A_5475M.json"
    expected = EXPECTED[name]
    chat = _only_chat(name)
    assert chat.id == expected["chat_id"]
    assert len(chat.messages) == expected["messages"]
    assert (chat.messages[0].id, chat.messages[-1].id) == (
        expected["first_id"],
        expected["last_id"],
    )
    assert len({m.sender_id for m in chat.messages}) == expected["authors"]
    assert all(m.sender_id and m.sender_id.startswith("user") for m in chat.messages)
    assert all(m.at.utc is not None for m in chat.messages), "dates written in UTC with 'Z'"
