"""A folder's files kept by worker processes exactly as by threads, failures named."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from sqlalchemy import func, select

from amparo.errors import InvalidInput, UnsafeInput
from amparo.intake.device import DEVICE_LIMITS, ingest_device_tree
from amparo.intake.keeping import PROCESS_MIN_FILES, keep_files
from amparo.intake.package import list_directory
from amparo.store import tables
from amparo.store.evidence_cipher import is_sealed
from amparo.workspace import Workspace

JPEG_START = b"\xff\xd8\xff\xe0"


def _folder(root: Path, count: int) -> Path:
    """``count`` small files, every fifth a copy of an earlier one, some JPEG-like."""
    for number in range(count):
        content = f"file {number - number % 5}".encode()
        if number % 3 == 0:
            content = JPEG_START + content
        path = root / f"sub{number % 7}" / f"file-{number:04d}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return root


def test_workers_keep_a_folder_as_threads_do(workspace: Workspace, tmp_path: Path) -> None:
    files, _ = list_directory(_folder(tmp_path / "dump", 60))
    by_threads = keep_files(workspace.evidence, DEVICE_LIMITS, "dump", files, processes_from=10**9)
    by_workers = keep_files(workspace.evidence, DEVICE_LIMITS, "dump", files, processes_from=1)
    assert by_workers == by_threads
    assert {stored.kind for stored in by_workers} == {"image", "other"}
    for (_, path, _), stored in zip(files, by_workers, strict=True):
        sha256 = stored.digest.sha256
        assert workspace.evidence.read(sha256) == Path(path).read_bytes()
        assert is_sealed(workspace.evidence.path_of(sha256).read_bytes()[:16])


def test_a_file_a_worker_cannot_read_is_named(workspace: Workspace, tmp_path: Path) -> None:
    files, _ = list_directory(_folder(tmp_path / "dump", 20))
    name, path, size = files[7]
    swapped = tmp_path / "swapped"
    swapped.symlink_to(path)  # a link put where a file was listed is not followed
    files[7] = (name, str(swapped), size)
    with pytest.raises(InvalidInput) as refused:
        keep_files(workspace.evidence, DEVICE_LIMITS, "dump", files, processes_from=1)
    assert refused.value.path == f"dump/{name}"
    assert "cannot be read" in refused.value.reason


@pytest.mark.parametrize("kind", [InvalidInput, UnsafeInput])
def test_rejections_cross_process_boundaries_whole(kind: type[InvalidInput]) -> None:
    again = pickle.loads(pickle.dumps(kind("too large", path="dump/a.jpg", place="byte 9")))
    assert type(again) is kind
    assert (again.reason, again.path, again.place) == ("too large", "dump/a.jpg", "byte 9")
    assert str(again) == "dump/a.jpg, byte 9: too large"


def test_a_large_dump_is_ingested_whole(workspace: Workspace, tmp_path: Path) -> None:
    count = PROCESS_MIN_FILES + 20  # kept by worker processes
    tree = _folder(tmp_path / "dump", count)
    summary = ingest_device_tree(workspace, "phone-1", tree)
    assert summary.ingested == [str(tree)] and not summary.quarantined
    with workspace.session() as session:
        sightings = session.scalar(select(func.count()).select_from(tables.Sighting))
        media = session.scalar(select(func.count()).select_from(tables.Media))
    assert sightings == count
    assert media == len({path.read_bytes() for path in tree.rglob("*") if path.is_file()})
