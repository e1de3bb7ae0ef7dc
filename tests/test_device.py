"""Device trees: every file hashed, kept and sighted on the device with its path."""

from __future__ import annotations

import zipfile
from pathlib import Path

from sqlalchemy import select

from amparo.intake.device import ingest_device_tree
from amparo.store import tables
from amparo.workspace import Workspace

TREE = {
    "DCIM/Camera/IMG_0001.jpg": b"\xff\xd8\xff\xe0 benign jpeg-like bytes",
    "WhatsApp/Media/WhatsApp Images/IMG-20240102-WA0001.jpg": b"\xff\xd8\xff\xe0 other bytes",
    "Download/copy-of-IMG_0001.jpg": b"\xff\xd8\xff\xe0 benign jpeg-like bytes",
    "notes.txt": b"shopping list",
}


def _write_tree(root: Path) -> Path:
    for name, data in TREE.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return root


def _sightings(workspace: Workspace) -> dict[str, tuple[str, str]]:
    with workspace.session() as session:
        rows = session.execute(
            select(tables.Sighting.file_id, tables.Device.label, tables.Media.sha256)
            .join(tables.Device)
            .join(tables.Media)
        ).all()
    return {path: (label, sha256) for path, label, sha256 in rows}


def test_every_file_is_sighted_with_its_path(workspace: Workspace, tmp_path: Path) -> None:
    summary = ingest_device_tree(workspace, "phone-1", _write_tree(tmp_path / "dump"))
    assert summary.ingested == [str(tmp_path / "dump")]
    sightings = _sightings(workspace)
    assert set(sightings) == set(TREE)
    assert {label for label, _ in sightings.values()} == {"phone-1"}
    same = sightings["DCIM/Camera/IMG_0001.jpg"][1]
    assert sightings["Download/copy-of-IMG_0001.jpg"][1] == same, "one file, two paths"
    with workspace.session() as session:
        assert len(session.scalars(select(tables.Media)).all()) == 3


def test_a_device_dump_ingested_twice_adds_nothing(workspace: Workspace, tmp_path: Path) -> None:
    tree = _write_tree(tmp_path / "dump")
    ingest_device_tree(workspace, "phone-1", tree)
    again = ingest_device_tree(workspace, "phone-1", tree)
    assert again.duplicates == [str(tree)]
    assert len(_sightings(workspace)) == len(TREE)


def test_a_zipped_dump_with_an_escaping_entry_is_quarantined(
    workspace: Workspace, tmp_path: Path
) -> None:
    archive = tmp_path / "dump.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("DCIM/a.jpg", b"benign")
        out.writestr("../../etc/cron.d/evil", b"x")
    summary = ingest_device_tree(workspace, "phone-2", archive)
    assert summary.ingested == []
    assert "escape" in summary.quarantined[0].reason
    assert _sightings(workspace) == {}
