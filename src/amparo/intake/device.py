"""Device trees: every file of a seized drive or phone dump hashed, kept and sighted on it.

Each path is kept (as VICS ``MediaFiles`` does), so an investigator can find the file again on
the device. A dump is read with the same protections as a report package: no extraction, no
escaping paths or links, no decompression bombs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path, PurePosixPath

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from amparo.errors import InvalidInput
from amparo.intake.ingest import (
    IngestSummary,
    InputKind,
    ingest_package,
    skipped_parts,
    store_file,
)
from amparo.intake.keeping import keep_files
from amparo.intake.ledger import QuarantinedPart, open_source, record_parts
from amparo.intake.package import (
    DEFAULT_LIMITS,
    Limits,
    Package,
    folder_digest,
    list_directory,
    open_package,
)
from amparo.intake.writer import KnownIds, StoredFile, media_ids
from amparo.store import tables
from amparo.store.evidence import EvidenceStore
from amparo.workspace import Workspace

DEVICE_TREE = "device_tree"


# A phone extraction or drive image is often far larger than a report package.
DEVICE_LIMITS = replace(DEFAULT_LIMITS, max_package_bytes=64 * 1024**4, max_members=50_000_000)


def ingest_device_tree(
    workspace: Workspace, label: str, path: Path, *, limits: Limits = DEVICE_LIMITS
) -> IngestSummary:
    """Ingest the folder or zip at ``path`` as the device ``label``."""
    summary = IngestSummary()
    opener = partial(_open_kept_folder, workspace.evidence) if path.is_dir() else open_package
    kind = InputKind(DEVICE_TREE, partial(_store_tree, label), opener)
    ingest_package(workspace, path, summary, limits=limits, kind=kind)
    return summary


@dataclass(frozen=True)
class _KeptFolder(Package):
    """A folder whose files went into the evidence store as they were read: each read once
    for the copy, its three digests and its type; the folder's digest made from the same."""

    kept: dict[str, StoredFile] = field(default_factory=dict)


@contextmanager
def _open_kept_folder(evidence: EvidenceStore, root: Path, limits: Limits) -> Iterator[Package]:
    """The folder at ``root``, its files kept (content already kept is not written again)."""
    label = str(root)
    try:
        files, skipped = list_directory(root)
    except OSError as error:
        raise InvalidInput(f"cannot be read: {error}", path=label) from error
    stored = keep_files(evidence, limits, label, files)
    kept = dict(zip((name for name, _, _ in files), stored, strict=True))
    digest = folder_digest({name: stored.digest.sha256 for name, stored in kept.items()}, skipped)
    yield _KeptFolder(label, "directory", digest, {}, skipped, kept)


def _store_tree(
    label: str,
    workspace: Workspace,
    session: Session,
    package: Package,
    limits: Limits,
    known: KnownIds,
) -> list[QuarantinedPart]:
    connection = session.connection()
    source_id = open_source(connection, DEVICE_TREE, package.label, package.digest)
    device_id = known.find_or_insert(connection, tables.Device, {"label": label}, {"label": label})
    already = dict(
        session.execute(
            select(tables.Sighting.file_id, tables.Media.sha256)
            .join(tables.Media)
            .where(tables.Sighting.device_id == device_id)
        ).all()
    )
    new, parts = {}, skipped_parts(package)
    for name, stored in _kept_files(workspace, package, limits):
        if name not in already:
            new[name] = stored
        elif already[name] != stored.digest.sha256:
            parts.append(_changed_file(package, label, name, stored))
    ids = media_ids(connection, known, list(new.values()))
    rows = [_sighting_row(device_id, name, media) for name, media in zip(new, ids, strict=True)]
    if rows:
        connection.execute(insert(tables.Sighting.__table__), rows)
    record_parts(connection, source_id, parts)
    return parts


def _kept_files(
    workspace: Workspace, package: Package, limits: Limits
) -> Iterator[tuple[str, StoredFile]]:
    """Each file of the tree with what the evidence store holds of it, by name."""
    if isinstance(package, _KeptFolder):
        yield from package.kept.items()
        return
    for name in sorted(package.members):
        yield name, store_file(workspace, package, None, name, limits)


def _changed_file(package: Package, label: str, name: str, stored: StoredFile) -> QuarantinedPart:
    """A path of this device that already held other content: both kept, the clash shown."""
    reason = f"device {label!r} already holds a different file at this path; kept for review"
    error = InvalidInput(reason, path=package.place(name))
    return QuarantinedPart("device_file", package.place(name), stored.digest, error)


def _sighting_row(device_id: int, path: str, media: int) -> dict[str, object]:
    return {
        "media_id": media,
        "device_id": device_id,
        "file_id": path,
        "file_name": PurePosixPath(path).name,
        "annotations": [],
        "original_hashes": {},
        "details": {"path": path},
    }
