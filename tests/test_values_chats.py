"""Issue 12: chat and subscriber values out of range cost their line, message or row only."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from amparo.intake.chat import ingest_chat_export
from amparo.intake.subscribers import import_subscriber_returns
from amparo.intake.telegram import ingest_telegram_export
from amparo.store import tables
from amparo.workspace import Workspace

TELEGRAM = Path(__file__).parent / "fixtures" / "telegram" / "result.json"


@pytest.mark.parametrize(
    ("zone", "line"),
    [("America/New_York", "31/12/9999, 23:30 - Ana: late"),
     ("Asia/Tokyo", "01/01/0001, 00:30 - Ana: early")],
)  # fmt: skip
def test_a_whatsapp_line_beyond_the_calendar_is_set_aside(
    workspace: Workspace, tmp_path: Path, zone: str, line: str
) -> None:
    path = tmp_path / "WhatsApp Chat with Ana.txt"
    path.write_text(f"13/06/2018, 21:25 - Ana: hola\n{line}\n14/06/2018, 08:00 - Bea: adiós\n")
    summary = ingest_chat_export(workspace, path, zone=ZoneInfo(zone))
    assert summary.ingested == [str(path)]
    (quarantined,) = summary.quarantined
    assert quarantined.reason.startswith(f"{path}, line 2: unreadable date or time")
    assert "outside 1900..2200" in quarantined.reason
    with workspace.session() as session:
        texts = session.scalars(select(tables.Message.text).order_by(tables.Message.position))
        assert list(texts) == ["hola", "adiós"]


def _telegram_export(tmp_path: Path, change: dict[str, object]) -> Path:
    """The fixture export with its first chat's second message changed."""
    document = json.loads(TELEGRAM.read_text())
    document["chats"]["list"][0]["messages"][1].update(change)
    folder = tmp_path / "ChatExport"
    folder.mkdir()
    (folder / "result.json").write_text(json.dumps(document))
    shutil.copytree(TELEGRAM.parent, folder, dirs_exist_ok=True, ignore=lambda *_: ["result.json"])
    return folder


def _fixture_messages() -> int:
    document = json.loads(TELEGRAM.read_text())
    chats = document["chats"]["list"] + document.get("left_chats", {}).get("list", [])
    return sum(len(chat["messages"]) for chat in chats)


def test_a_telegram_time_beyond_the_calendar_keeps_its_text_only(
    workspace: Workspace, tmp_path: Path
) -> None:
    folder = _telegram_export(tmp_path, {"date_unixtime": "999999999999"})
    summary = ingest_telegram_export(workspace, folder)
    assert summary.ingested == [str(folder)]
    reasons = [q.reason for q in summary.quarantined if "unixtime" in q.reason]
    assert reasons == [
        f"{folder / 'result.json'}, chats.list[0].messages[1].date_unixtime: "
        "time 999999999999 epoch seconds is outside 1900..2200 (UTC)"
    ]
    with workspace.session() as session:
        at = session.execute(select(tables.Message.at).filter_by(position=12)).scalar_one()
        assert at is None
        assert len(session.scalars(select(tables.Message)).all()) == _fixture_messages()


@pytest.mark.parametrize("message_id", [2**64 + 1, 2**63, 2**31, -(2**31) - 1])
def test_a_telegram_id_too_wide_for_the_store_sets_that_message_aside(
    workspace: Workspace, tmp_path: Path, message_id: int
) -> None:
    folder = _telegram_export(tmp_path, {"id": message_id})
    summary = ingest_telegram_export(workspace, folder)
    assert summary.ingested == [str(folder)]
    reasons = [q.reason for q in summary.quarantined if "message id" in q.reason]
    assert reasons == [
        f"{folder / 'result.json'}, chats.list[0].messages[1]: "
        f"message id {message_id} is not from -2147483648 to 2147483647"
    ]
    with workspace.session() as session:
        assert len(session.scalars(select(tables.Message)).all()) == _fixture_messages() - 1


def test_a_subscriber_time_beyond_the_calendar_costs_its_row(
    workspace: Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "return.csv"
    path.write_text(
        "ip,port,start_utc,end_utc,subscriber_name\n"
        "192.0.2.1,5000,9999-12-31T23:00:00-05:00,,Ana\n"
        "192.0.2.2,5001,2024-07-01T09:00:00Z,2024-07-01T11:00:00Z,Bea\n"
    )
    result = import_subscriber_returns(workspace, path)
    assert [(p.row, p.reason) for p in result.refused] == [
        (2, "start: time 9999-12-31T23:00:00-05:00 is outside 1900..2200 (UTC)")
    ]
    with workspace.session() as session:
        names = session.scalars(select(tables.SubscriberRecord.subscriber_name)).all()
        assert names == ["Bea"]
