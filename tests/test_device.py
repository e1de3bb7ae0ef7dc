"""Device trees: every file hashed, kept and sighted on the device with its path."""

from __future__ import annotations

import os
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


def test_links_and_special_files_are_recorded_not_read(
    workspace: Workspace, tmp_path: Path
) -> None:
    tree = _write_tree(tmp_path / "dump")
    os.symlink("/etc/passwd", tree / "DCIM" / "link-out")
    os.mkfifo(tree / "DCIM" / "pipe")
    summary = ingest_device_tree(workspace, "phone-3", tree)
    assert summary.ingested == [str(tree)]
    reasons = sorted(q.reason for q in summary.quarantined)
    assert "symbolic link" in reasons[0] and "link-out" in reasons[0]
    assert "special file" in reasons[1] and "pipe" in reasons[1]
    assert set(_sightings(workspace)) == set(TREE)


def test_changed_content_at_a_known_path_is_kept_apart(
    workspace: Workspace, tmp_path: Path
) -> None:
    tree = _write_tree(tmp_path / "dump")
    ingest_device_tree(workspace, "phone-1", tree)
    (tree / "notes.txt").write_bytes(b"a different shopping list")
    summary = ingest_device_tree(workspace, "phone-1", tree)
    assert summary.ingested == [str(tree)]
    assert len(summary.quarantined) == 1
    assert "already holds a different file" in summary.quarantined[0].reason
    with workspace.session() as session:
        part = session.scalars(select(tables.Source).filter_by(kind="device_file")).one()
        assert part.digest in workspace.evidence, "the new content is kept, not lost"


def test_long_paths_are_stored(workspace: Workspace, tmp_path: Path) -> None:
    deep = tmp_path / "dump" / ("WhatsApp Media Folder With A Long Name/" * 6).strip("/")
    deep.mkdir(parents=True)
    (deep / "IMG-20240102-WA0001.jpg").write_bytes(b"benign")
    assert ingest_device_tree(workspace, "phone-4", tmp_path / "dump").quarantined == []
    assert max(len(path) for path in _sightings(workspace)) > 200
