"""WhatsApp exports into the store: an unreadable line set aside alone, choices shown, senders."""

from __future__ import annotations

import zipfile
from pathlib import Path
from zoneinfo import ZoneInfo

from click.testing import CliRunner
from sqlalchemy import select

from amparo.cli import main
from amparo.intake.chat import ingest_chat_export
from amparo.store import tables
from amparo.workspace import Workspace

MADRID = ZoneInfo("Europe/Madrid")
BROKEN_LINE = "31/02/2018, 10:00 - +34 600 11 22 33: a date that never was"
CHAT = f"""\
13/06/2018, 21:25 - +34 600 11 22 33: hola
{BROKEN_LINE}
and its second line
14/06/2018, 08:00 - Tía Carmen: adiós
"""
# One date, which also reads month first: the file proves no order.
UNPROVEN = "01/02/2018, 10:00 - a: x\n01/02/2018, 11:00 - b: y\n"


def test_an_unreadable_line_is_set_aside_and_the_rest_ingested(
    workspace: Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "WhatsApp Chat with Amigos.txt"
    path.write_text(CHAT, encoding="utf-8")
    summary = ingest_chat_export(workspace, path, zone=MADRID)
    assert summary.ingested == [str(path)]
    (quarantined,) = summary.quarantined
    assert quarantined.reason.startswith(f"{path}, lines 2-3: unreadable date or time")
    with workspace.session() as session:
        texts = session.scalars(select(tables.Message.text).order_by(tables.Message.position))
        part = session.scalars(select(tables.Source).where(tables.Source.kind == "chat_lines"))
        assert list(texts) == ["hola", "adiós"]
        part = part.one()
    assert (part.status, part.place, part.parent_id is not None) == (
        "quarantined",
        "lines 2-3",
        True,
    )
    kept = workspace.evidence.read(part.digest).decode("utf-8")
    assert kept == f"{BROKEN_LINE}\nand its second line"


def test_an_order_the_file_does_not_prove_is_recorded_and_printed(
    workspace: Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "WhatsApp Chat with Ana.txt"
    path.write_text(UNPROVEN, encoding="utf-8")
    summary = ingest_chat_export(workspace, path, zone=MADRID)
    (note,) = summary.notes
    assert note.startswith(f"{path}: dates read day/month/year: every date could be read")
    with workspace.session() as session:
        source = session.scalars(select(tables.Source).where(tables.Source.kind == "chat_export"))
        assert note.endswith(source.one().reason)


def test_the_cli_prints_the_choice(tmp_path: Path) -> None:
    path = tmp_path / "WhatsApp Chat with Ana.txt"
    path.write_text(UNPROVEN, encoding="utf-8")
    result = CliRunner().invoke(main, ["-w", str(tmp_path / "ws"), "ingest", str(path)])
    assert result.exit_code == 0, result.output
    assert "note " in result.output and "dates read day/month/year" in result.output


def test_a_document_and_a_german_file_keep_their_senders(
    workspace: Workspace, tmp_path: Path
) -> None:
    chat = (
        "[13/06/2018, 21:25:15] +34 600 11 22 33: Plan.pdf • 2 pages "
        "<attached: 00000047-Plan.pdf>\n"
        "13/06/2018, 21:26 - +49 151 2345 6789: notiz.pdf (Datei angehängt)\n"
    )
    path = tmp_path / "WhatsApp Chat with Amigos.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("WhatsApp Chat with Amigos.txt", chat)
        archive.writestr("00000047-Plan.pdf", b"%PDF-1.4 benign test document one\n")
        archive.writestr("notiz.pdf", b"%PDF-1.4 benign test document two\n")
    summary = ingest_chat_export(workspace, path, zone=MADRID)
    assert summary.quarantined == []
    with workspace.session() as session:
        keys = {a.id: a.user_id for a in session.scalars(select(tables.Account))}
        shares = session.scalars(select(tables.Sighting)).all()
    assert {(s.file_name, keys[s.account_id]) for s in shares} == {
        ("00000047-Plan.pdf", "+34600112233"),
        ("notiz.pdf", "+4915123456789"),
    }
