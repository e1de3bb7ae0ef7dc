"""Device trees: every file of a seized drive or phone dump hashed, kept and sighted on it.

Each path is kept (as VICS ``MediaFiles`` does), so an investigator can find the file again on
the device. A dump is read with the same protections as a report package: no extraction, no
escaping paths or links, no decompression bombs.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path, PurePosixPath

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from amparo.intake.ingest import IngestSummary, InputKind, ingest_package, store_file
from amparo.intake.package import DEFAULT_LIMITS, Limits, Package
from amparo.intake.writer import KnownIds, QuarantinedPart, insert_row, media_id, source_row
from amparo.store import tables
from amparo.workspace import Workspace

DEVICE_TREE = "device_tree"


def ingest_device_tree(
    workspace: Workspace, label: str, path: Path, *, limits: Limits = DEFAULT_LIMITS
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
    insert_row(
        connection, tables.Source, source_row(DEVICE_TREE, package.label, package.digest, None)
    )
    device_id = known.find_or_insert(connection, tables.Device, {"label": label}, {"label": label})
    already = set(session.scalars(select(tables.Sighting.file_id).filter_by(device_id=device_id)))
    rows = []
    for name in sorted(set(package.members) - already):
        stored = store_file(workspace, package, None, name, limits)
        rows.append(_sighting_row(device_id, name, media_id(connection, known, stored)))
    if rows:
        connection.execute(insert(tables.Sighting.__table__), rows)
    return []


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
