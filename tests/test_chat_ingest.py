"""WhatsApp exports from seized phones: messages, accounts, group and shared files stored."""

from __future__ import annotations

import io
import json
import unicodedata
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
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
OWNER = "+34 611 00 00 00"
# An iOS export: the owner's own lines carry the owner's profile name, never the number.
IOS_CHAT = """\
[13/06/18, 21:25:15] Amigos: \u200eMessages and calls are end-to-end encrypted.
[13/06/18, 21:26:00] +34 600 11 22 33: ¿quedamos?
[13/06/18, 21:27:00] Tú: \u200e<attached: 00000042-PHOTO-2018-06-13-21-27-00.jpg>
[13/06/18, 21:28:00] Tú: vale
mañana
[13/06/18, 21:29:00] Tía Carmen: 👍
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


def _ios_export(tmp_path: Path) -> Path:
    path = tmp_path / "WhatsApp Chat - Amigos.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("_chat.txt", IOS_CHAT)
        archive.writestr("00000042-PHOTO-2018-06-13-21-27-00.jpg", _picture("red"))
    return path


def _accounts_by_author(workspace: Workspace) -> dict[str, set[str | None]]:
    """Each author's accounts, as ``platform:user_id`` (None for lines with no account)."""
    with workspace.session() as session:
        keys = {a.id: f"{a.platform}:{a.user_id}" for a in session.scalars(select(tables.Account))}
        messages = session.scalars(select(tables.Message).where(~tables.Message.system)).all()
    found: dict[str, set[str | None]] = {}
    for message in messages:
        found.setdefault(message.author, set()).add(keys.get(message.account_id))
    return found


@pytest.mark.parametrize(
    "owner_name",
    ["Tú", unicodedata.normalize("NFD", " Tú ")],
    ids=["as-written", "decomposed-and-padded"],
)
def test_the_owners_named_lines_carry_the_owners_account(
    workspace: Workspace, tmp_path: Path, owner_name: str
) -> None:
    ingest_chat_export(
        workspace, _ios_export(tmp_path), zone=MADRID, owner=OWNER, owner_name=owner_name
    )
    assert _accounts_by_author(workspace) == {
        "Amigos": {None},
        "+34 600 11 22 33": {"whatsapp:+34600112233"},
        "Tú": {"whatsapp:+34611000000"},
        "Tía Carmen": {None},
    }
    with workspace.session() as session:
        owner = session.scalars(
            select(tables.Account).where(tables.Account.user_id == "+34611000000")
        ).one()
        (share,) = session.scalars(select(tables.Sighting)).all()
        members = session.scalars(select(tables.Membership)).all()
    assert share.account_id == owner.id and share.details["author"] == "Tú"
    assert len(members) == 2 and [m.account_id for m in members].count(owner.id) == 1


def test_without_the_owners_name_nothing_is_guessed(workspace: Workspace, tmp_path: Path) -> None:
    ingest_chat_export(workspace, _ios_export(tmp_path), zone=MADRID, owner=OWNER)
    assert _accounts_by_author(workspace)["Tú"] == {None}
    with workspace.session() as session:
        assert session.scalars(select(tables.Sighting)).one().account_id is None
        assert len(session.scalars(select(tables.Membership)).all()) == 2


@pytest.mark.parametrize("owner_name", ["Nadie", "+34 600 11 22 33"], ids=["absent", "a-number"])
def test_an_owner_name_no_named_author_has_changes_nothing(
    workspace: Workspace, tmp_path: Path, owner_name: str
) -> None:
    ingest_chat_export(
        workspace, _ios_export(tmp_path), zone=MADRID, owner=OWNER, owner_name=owner_name
    )
    accounts = _accounts_by_author(workspace)
    assert accounts["Tú"] == {None}
    assert accounts["+34 600 11 22 33"] == {"whatsapp:+34600112233"}


@pytest.mark.parametrize(
    ("owner", "owner_name", "reason"),
    [
        ("611 00 00 00", None, "not an international phone number"),
        ("Ana", None, "not an international phone number"),
        (None, "Tú", "needs the owner's phone number"),
    ],
)
def test_an_owner_must_be_an_international_number(
    workspace: Workspace, tmp_path: Path, owner: str | None, owner_name: str | None, reason: str
) -> None:
    export = _ios_export(tmp_path)
    with pytest.raises(ValueError, match=reason):
        ingest_chat_export(workspace, export, zone=MADRID, owner=owner, owner_name=owner_name)
