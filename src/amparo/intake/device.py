"""Device trees: every file of a seized drive or phone dump hashed, kept and sighted on it.

Each path is kept (as VICS ``MediaFiles`` does), so an investigator can find the file again on
the device. A dump is read with the same protections as a report package: no extraction, no
escaping paths or links, no decompression bombs.
"""

from __future__ import annotations

from dataclasses import replace
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
from amparo.intake.package import DEFAULT_LIMITS, Limits, Package
from amparo.intake.writer import (
    KnownIds,
    QuarantinedPart,
    StoredFile,
    insert_row,
    media_id,
    part_rows,
    source_row,
)
from amparo.store import tables
from amparo.workspace import Workspace

DEVICE_TREE = "device_tree"


# A phone extraction or drive image is often far larger than a report package.
DEVICE_LIMITS = replace(DEFAULT_LIMITS, max_package_bytes=64 * 1024**4, max_members=50_000_000)


def ingest_device_tree(
    workspace: Workspace, label: str, path: Path, *, limits: Limits = DEVICE_LIMITS
) -> IngestSummary:
    """Ingest the folder or zip at ``path`` as the device ``label``."""
    summary = IngestSummary()
    kind = InputKind(DEVICE_TREE, partial(_store_tree, label))
    ingest_package(workspace, path, summary, limits=limits, kind=kind)
    return summary


def _store_tree(
    label: str,
    workspace: Workspace,
    session: Session,
    package: Package,
    limits: Limits,
    known: KnownIds,
) -> list[QuarantinedPart]:
    connection = session.connection()
    row = source_row(DEVICE_TREE, package.label, package.digest, None)
    source_id = insert_row(connection, tables.Source, row)
    device_id = known.find_or_insert(connection, tables.Device, {"label": label}, {"label": label})
    already = dict(
        session.execute(
            select(tables.Sighting.file_id, tables.Media.sha256)
            .join(tables.Media)
            .where(tables.Sighting.device_id == device_id)
        ).all()
    )
    rows, parts = [], skipped_parts(package)
    for name in sorted(package.members):
        stored = store_file(workspace, package, None, name, limits)
        if name not in already:
            rows.append(_sighting_row(device_id, name, media_id(connection, known, stored)))
        elif already[name] != stored.digest.sha256:
            parts.append(_changed_file(package, label, name, stored))
    if rows:
        connection.execute(insert(tables.Sighting.__table__), rows)
    if parts:
        connection.execute(insert(tables.Source.__table__), part_rows(source_id, parts))
    return parts


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
