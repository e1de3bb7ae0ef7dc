"""WhatsApp exports from seized phones: messages, accounts, group and shared files stored."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from click.testing import CliRunner
from PIL import Image
from sqlalchemy import select

from amparo.cli import main
from amparo.intake.chat import ingest_chat_export
from amparo.store import tables
from amparo.workspace import Workspace

MADRID = ZoneInfo("Europe/Madrid")
CHAT = """\
13/06/2018, 21:25 - Messages and calls are end-to-end encrypted.
13/06/2018, 21:25 - +34 600 11 22 33 created group "Amigos"
13/06/2018, 21:26 - +34 600 11 22 33: hola: ¿qué tal?
13/06/2018, 21:27 - Tía Carmen: IMG-20180613-WA0001.jpg (file attached)
una foto
14/06/2018, 08:00 - +54 9 11 2345 6789: IMG-20180614-WA0002.jpg (file attached)
"""


def _picture(colour: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), colour).save(buffer, "JPEG")
    return buffer.getvalue()


def _export(tmp_path: Path) -> Path:
    path = tmp_path / "WhatsApp Chat with Amigos.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("WhatsApp Chat with Amigos.txt", CHAT)
        archive.writestr("IMG-20180613-WA0001.jpg", _picture("red"))
        archive.writestr("IMG-20180614-WA0002.jpg", _picture("blue"))
        archive.writestr("IMG-20180615-WA0003.jpg", _picture("green"))  # named by no message
    return path


def test_messages_accounts_group_and_shares(workspace: Workspace, tmp_path: Path) -> None:
    summary = ingest_chat_export(
        workspace, _export(tmp_path), zone=MADRID, owner="+34 611 00 00 00"
    )
    assert len(summary.ingested) == 1
    assert [q.reason for q in summary.quarantined] == [
        f"{tmp_path / 'WhatsApp Chat with Amigos.zip'}!/IMG-20180615-WA0003.jpg: "
        "no message of the chat names this file"
    ]
    with workspace.session() as session:
        messages = session.scalars(select(tables.Message).order_by(tables.Message.position)).all()
        accounts = {f"{a.platform}:{a.user_id}" for a in session.scalars(select(tables.Account))}
        group = session.scalars(select(tables.Group)).one()
        members = session.scalars(select(tables.Membership)).all()
        shares = session.scalars(select(tables.Sighting)).all()
    assert [m.system for m in messages] == [True, True, False, False, False]
    assert messages[2].text == "hola: ¿qué tal?"
    assert messages[2].at == datetime(2018, 6, 13, 19, 26, tzinfo=UTC)
    assert messages[3].author == "Tía Carmen" and messages[3].account_id is None
    assert messages[3].text.endswith("una foto")
    assert accounts == {"whatsapp:+34600112233", "whatsapp:+5491123456789", "whatsapp:+34611000000"}
    assert (group.platform, group.group_id, group.name) == ("whatsapp", "Amigos", "Amigos")
    assert len(members) == 3
    assert len(shares) == 2 and all(s.group_id == group.id for s in shares)


def test_an_owner_who_also_writes_is_one_member(workspace: Workspace, tmp_path: Path) -> None:
    summary = ingest_chat_export(workspace, _export(tmp_path), zone=MADRID, owner="+34600112233")
    assert summary.quarantined[0].reason.endswith("no message of the chat names this file")
    with workspace.session() as session:
        assert len(session.scalars(select(tables.Membership)).all()) == 2


def test_without_a_time_zone_times_are_kept_raw(workspace: Workspace, tmp_path: Path) -> None:
    ingest_chat_export(workspace, _export(tmp_path), zone=None)
    with workspace.session() as session:
        message = session.scalars(select(tables.Message).where(tables.Message.position == 3)).one()
    assert message.at is None
    assert message.at_raw == "13/06/2018, 21:26"


def test_a_text_only_export_and_a_second_ingest(workspace: Workspace, tmp_path: Path) -> None:
    text = tmp_path / "WhatsApp Chat with Amigos.txt"
    text.write_text(CHAT, encoding="utf-8")
    first = ingest_chat_export(workspace, text, zone=MADRID)
    again = ingest_chat_export(workspace, text, zone=MADRID)
    assert (first.ingested, again.duplicates) == ([str(text)], [str(text)])
    with workspace.session() as session:
        assert len(session.scalars(select(tables.Message)).all()) == 5


def test_a_file_that_is_no_chat_is_quarantined(workspace: Workspace, tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("shopping list\n", encoding="utf-8")
    summary = ingest_chat_export(workspace, text, zone=MADRID)
    assert summary.ingested == []
    assert "no WhatsApp message lines found" in summary.quarantined[0].reason


def test_the_cli_detects_a_chat_export_and_the_findings_show_the_group(tmp_path: Path) -> None:
    runner = CliRunner()
    workspace = ["-w", str(tmp_path / "ws")]
    result = runner.invoke(main, [*workspace, "ingest", "--zone", "Europe/Madrid",
                                  str(_export(tmp_path))])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert runner.invoke(main, [*workspace, "export", "findings"]).exit_code == 0
    findings = json.loads((tmp_path / "ws" / "findings.json").read_text(encoding="utf-8"))
    (group,) = findings["groups"]
    assert group["key"] == "whatsapp:Amigos" and group["media_shared"] == 2
    assert "whatsapp:+34600112233" in group["members"]
    wrong = runner.invoke(main, [*workspace, "ingest", "--zone", "Mars/Olympus", str(tmp_path)])
    assert wrong.exit_code == 2 and "unknown time zone" in wrong.output
