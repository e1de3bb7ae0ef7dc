"""Telegram Desktop exports ingested: chats as groups, senders as accounts, files shared."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

from click.testing import CliRunner
from PIL import Image
from sqlalchemy import select

from amparo.cli import main
from amparo.intake.telegram import ingest_telegram_export, looks_like_telegram_export
from amparo.store import tables
from amparo.workspace import Workspace

FIXTURE = Path(__file__).parent / "fixtures" / "telegram" / "result.json"


def _export(tmp_path: Path) -> Path:
    folder = tmp_path / "ChatExport_2023-05-20"
    (folder / "photos").mkdir(parents=True)
    (folder / "files").mkdir()
    shutil.copy(FIXTURE, folder / "result.json")
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), "purple").save(buffer, "JPEG")
    (folder / "photos" / "photo_1@14-05-2023_18-40-00.jpg").write_bytes(buffer.getvalue())
    (folder / "files" / "training_schedule.pdf").write_bytes(b"%PDF-1.4 benign schedule")
    (folder / "files" / "not_named.txt").write_text("kept, set aside")
    return folder


def test_chats_senders_and_shared_files(workspace: Workspace, tmp_path: Path) -> None:
    folder = _export(tmp_path)
    assert looks_like_telegram_export(folder)
    summary = ingest_telegram_export(workspace, folder)
    assert summary.ingested == [str(folder)]
    assert [q.reason.split(": ", 1)[1] for q in summary.quarantined] == [
        "no message of the chat names this file"
    ]
    with workspace.session() as session:
        groups = {g.group_id: g.name for g in session.scalars(select(tables.Group))}
        accounts = {a.user_id for a in session.scalars(select(tables.Account))}
        shares = session.scalars(select(tables.Sighting)).all()
        messages = session.scalars(select(tables.Message)).all()
    assert groups == {"2000002": "Sam Sample", "3000003": "Football Club Parents",
                      "4000004": "Old Club News"}  # fmt: skip
    assert {"user1000001", "user2000002"} <= accounts
    assert len(shares) == 2 and len(messages) == 8
    without_zone = [m.position for m in messages if m.at is None]
    assert without_zone == [1], "only the message the export gives no Unix time keeps no UTC"


def test_a_second_ingest_adds_nothing(workspace: Workspace, tmp_path: Path) -> None:
    folder = _export(tmp_path)
    ingest_telegram_export(workspace, folder)
    assert ingest_telegram_export(workspace, folder).duplicates == [str(folder)]
    with workspace.session() as session:
        assert len(session.scalars(select(tables.Message)).all()) == 8


def test_the_cli_finds_a_telegram_export_in_a_folder_of_inputs(tmp_path: Path) -> None:
    _export(tmp_path / "seized")
    result = CliRunner().invoke(
        main, ["-w", str(tmp_path / "ws"), "ingest", str(tmp_path / "seized")]
    )
    assert result.exit_code == 0, result.output
    assert "Ingested 1 input(s)" in " ".join(result.output.split())
