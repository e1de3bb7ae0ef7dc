"""The library decides what an input is: each path to its kind, zipped Telegram exports too."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from amparo.cli import main
from amparo.intake.dispatch import (
    DEVICE_TREE,
    REPORT_PACKAGE,
    TELEGRAM_EXPORT,
    WHATSAPP_EXPORT,
    IngestOptions,
    ingest_inputs,
    input_type,
)
from amparo.store import tables
from amparo.workspace import Workspace, open_workspace

TELEGRAM_FIXTURE = Path(__file__).parent / "fixtures" / "telegram" / "result.json"
CHAT_LINE = "14/05/2023, 18:30 - +34 600 111 222: hola\n"


def _zip(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


def _telegram_zip(folder: Path, result: bytes | None = None) -> Path:
    """A Telegram Desktop export folder zipped as people send it: the folder inside the zip."""
    data = TELEGRAM_FIXTURE.read_bytes() if result is None else result
    entries = {"ChatExport_2023-05-20/result.json": data,
               "ChatExport_2023-05-20/files/notes.txt": b"a note no message names"}  # fmt: skip
    return _zip(folder / "export.zip", entries)


def test_each_path_goes_to_its_kind(tmp_path: Path) -> None:
    package = tmp_path / "package"
    package.mkdir()
    (package / "report.xml").write_text("<report/>")
    telegram_folder = tmp_path / "ChatExport"
    telegram_folder.mkdir()
    shutil.copy(TELEGRAM_FIXTURE, telegram_folder / "result.json")
    chat_txt = tmp_path / "WhatsApp Chat with Ana.txt"
    chat_txt.write_text(CHAT_LINE)
    (tmp_path / "zips").mkdir()
    expected = {
        package: REPORT_PACKAGE,
        _zip(tmp_path / "zips" / "123.zip", {"report.xml": b"<report/>", "a.txt": b""}):
            REPORT_PACKAGE,
        telegram_folder: TELEGRAM_EXPORT,
        telegram_folder / "result.json": TELEGRAM_EXPORT,
        _telegram_zip(tmp_path): TELEGRAM_EXPORT,
        chat_txt: WHATSAPP_EXPORT,
        _zip(tmp_path / "zips" / "chat.zip", {"_chat.txt": CHAT_LINE.encode()}): WHATSAPP_EXPORT,
        _zip(tmp_path / "zips" / "other.zip", {"photo.jpg": b"x"}): REPORT_PACKAGE,
    }  # fmt: skip
    assert {path: input_type(path) for path in expected} == expected
    assert input_type(telegram_folder, IngestOptions(device="phone-1")) == DEVICE_TREE


def test_owner_name_needs_the_owner() -> None:
    with pytest.raises(ValueError, match="owner's phone number"):
        IngestOptions(owner_name="Ana")


def test_cli_ingests_a_zipped_telegram_export(tmp_path: Path, database_url: str) -> None:
    export = _telegram_zip(tmp_path)
    workspace_folder = tmp_path / "ws"
    result = CliRunner(env={"AMPARO_DATABASE_URL": database_url}).invoke(
        main, ["-w", str(workspace_folder), "ingest", str(export)]
    )
    output = " ".join(result.output.split())
    assert result.exit_code == 0, result.output
    assert "no report.xml" not in output
    assert "Ingested 1 input(s); 0 were already in the workspace; 1 item(s) quarantined." in output
    assert "no message of the chat names this file" in output
    workspace = open_workspace(workspace_folder, database_url=database_url)
    try:
        with workspace.session() as session:
            kinds = set(session.scalars(select(tables.Source.kind)))
            messages = session.scalars(select(tables.Message)).all()
    finally:
        workspace.close()
    assert "telegram_export" in kinds and "report_package" not in kinds
    assert len(messages) == 8


def test_a_bad_message_in_a_zipped_export_is_quarantined_with_its_place(
    workspace: Workspace, tmp_path: Path
) -> None:
    document = json.loads(TELEGRAM_FIXTURE.read_bytes())
    document["chats"]["list"][0]["messages"][1]["date"] = 20230514
    export = _telegram_zip(tmp_path, json.dumps(document).encode())
    summary = ingest_inputs(workspace, [export])
    assert summary.ingested == [str(export)]
    place = f"{export}!/ChatExport_2023-05-20/result.json, chats.list[0].messages[1]"
    assert f"{place}: 'date' is not text" in [q.reason for q in summary.quarantined]
    with workspace.session() as session:
        assert len(session.scalars(select(tables.Message)).all()) == 7


def test_a_lone_result_json_is_read_without_its_media(workspace: Workspace, tmp_path: Path) -> None:
    lone = tmp_path / "result.json"
    shutil.copy(TELEGRAM_FIXTURE, lone)
    summary = ingest_inputs(workspace, [lone])
    assert summary.ingested == [str(lone)]
    with workspace.session() as session:
        shared = session.scalars(select(tables.Sighting)).all()
        assert len(session.scalars(select(tables.Message)).all()) == 8
    assert shared == [], "the photos are not beside it: messages kept, no file invented"


def test_device_option_makes_every_path_a_device_tree(workspace: Workspace, tmp_path: Path) -> None:
    dump = tmp_path / "dump"
    dump.mkdir()
    shutil.copy(TELEGRAM_FIXTURE, dump / "result.json")
    summary = ingest_inputs(workspace, [dump], IngestOptions(device="phone-1"))
    assert summary.ingested == [str(dump)]
    with workspace.session() as session:
        assert session.scalars(select(tables.Message)).all() == []
        (sighting,) = session.scalars(select(tables.Sighting)).all()
    assert sighting.file_id == "result.json"
