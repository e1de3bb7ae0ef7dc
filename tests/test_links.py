"""Links met while walking inputs are recorded as links, never followed out of the input or
around a loop: folders of packages, report folders, chat exports and Telegram attachments."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import zipfile
from pathlib import Path

from sqlalchemy import select

from amparo.demo import generate_operation
from amparo.intake.dispatch import ingest_inputs
from amparo.store import tables
from amparo.workspace import Workspace

TELEGRAM_FIXTURE = Path(__file__).parent / "fixtures" / "telegram" / "result.json"
OUTSIDE_TEXT = b"[01/02/2023, 10:00:00] Outsider: a file outside the input\n"


def _outside_file(tmp_path: Path) -> Path:
    """A file beside the inputs that a link inside them points to (it must never be read)."""
    outside = tmp_path / "outside" / "secret.txt"
    outside.parent.mkdir()
    outside.write_bytes(OUTSIDE_TEXT)
    return outside


def _sources(workspace: Workspace) -> list[tables.Source]:
    with workspace.session() as session:
        return list(session.scalars(select(tables.Source)))


def _assert_never_read(workspace: Workspace, outside: Path) -> None:
    digest = hashlib.sha256(outside.read_bytes()).hexdigest()
    assert digest not in workspace.evidence
    assert all(source.digest != digest for source in _sources(workspace))


def test_a_folder_of_packages_with_a_loop_and_outward_links(
    workspace: Workspace, tmp_path: Path
) -> None:
    inputs = tmp_path / "inputs"
    package = generate_operation(inputs, reports=1, seed=5, zip_every=0).packages[0]
    outside = _outside_file(tmp_path)
    os.symlink(".", inputs / "loop")
    os.symlink(outside, inputs / "chat.txt")
    os.symlink(outside.parent, inputs / "elsewhere")
    summary = ingest_inputs(workspace, [inputs])
    assert summary.ingested == [str(package)], "the package is read once, not once per loop turn"
    links = {q.path: q.reason for q in summary.quarantined}
    assert set(links) == {str(inputs / name) for name in ("loop", "chat.txt", "elsewhere")}
    assert "symbolic link (to '.'), not followed" in links[str(inputs / "loop")]
    assert str(outside) in links[str(inputs / "chat.txt")]
    _assert_never_read(workspace, outside)
    recorded = {s.path for s in _sources(workspace) if s.status == tables.SOURCE_QUARANTINED}
    assert recorded == set(links)


def test_a_link_the_user_names_is_followed(workspace: Workspace, tmp_path: Path) -> None:
    package = generate_operation(tmp_path / "real", reports=1, seed=6, zip_every=0).packages[0]
    named = tmp_path / "named"
    os.symlink(package.parent, named)
    summary = ingest_inputs(workspace, [named])
    assert summary.ingested == [str(named / package.name)] and summary.quarantined == []


def test_a_telegram_attachment_that_is_a_link_is_recorded(
    workspace: Workspace, tmp_path: Path
) -> None:
    export = tmp_path / "ChatExport"
    (export / "photos").mkdir(parents=True)
    (export / "files").mkdir()
    shutil.copy(TELEGRAM_FIXTURE, export / "result.json")
    outside = _outside_file(tmp_path)
    os.symlink(outside, export / "photos" / "photo_1@14-05-2023_18-40-00.jpg")
    (export / "files" / "training_schedule.pdf").write_bytes(b"%PDF-1.4 benign schedule")
    summary = ingest_inputs(workspace, [export])
    assert summary.ingested == [str(export)]
    link = str(export / "photos" / "photo_1@14-05-2023_18-40-00.jpg")
    reasons = {q.path: q.reason for q in summary.quarantined}
    assert str(outside) in reasons[link] and "not followed" in reasons[link]
    _assert_never_read(workspace, outside)
    parts = {s.path: s.kind for s in _sources(workspace) if s.parent_id is not None}
    assert parts[link] == "not_read"


def test_a_whatsapp_folder_and_zip_record_their_links(workspace: Workspace, tmp_path: Path) -> None:
    outside = _outside_file(tmp_path)
    folder = tmp_path / "WhatsApp Chat with Club"
    folder.mkdir()
    (folder / "_chat.txt").write_text("[01/02/2023, 10:00:00] Ana: IMG-1.jpg (file attached)\n")
    os.symlink(outside, folder / "IMG-1.jpg")
    archive = tmp_path / "WhatsApp Chat with Team.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("_chat.txt", "[01/02/2023, 10:00:00] Bea: hi\n")
        link = zipfile.ZipInfo("IMG-2.jpg")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        out.writestr(link, str(outside))
    summary = ingest_inputs(workspace, [folder, archive])
    # An unzipped WhatsApp folder is walked: its text is the chat, its link is recorded.
    assert sorted(summary.ingested) == sorted([str(folder / "_chat.txt"), str(archive)])
    reasons = {q.path: q.reason for q in summary.quarantined}
    assert str(outside) in reasons[str(folder / "IMG-1.jpg")]
    assert str(outside) in reasons[f"{archive}!/IMG-2.jpg"]
    _assert_never_read(workspace, outside)
