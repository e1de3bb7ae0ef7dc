"""The Source ledger: every input recorded once, as ingested or quarantined, with its parts.

Each input (a report package, a chat, a device tree, a hash-set file, a provider's answer) is
one top-level ``Source`` row of its kind, named by its digest. One that is read is recorded as
ingested, and every part of it that had to be set aside (a member, some lines, an entry, a
row) as a quarantined ``Source`` under it, naming the file, the place in it and the reason. One
that cannot be read is recorded once as quarantined, however often it is offered; offered
again and read, its earlier quarantine is dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select

from amparo import model
from amparo.errors import InputRejected
from amparo.intake.concurrency import claim_input
from amparo.store import tables
from amparo.store.rows import insert_row
from amparo.workspace import Workspace

PARTS_PER_INSERT = 10_000  # bad entries of a large file are written in batches of this many


@dataclass(frozen=True)
class QuarantinedPart:
    """A part of an input set aside on its own, its bytes (if any) already kept."""

    kind: str
    path: str
    digest: model.MediaDigest | None
    error: InputRejected


def source_row(
    kind: str, path: str, digest: str | None, error: InputRejected | None
) -> dict[str, Any]:
    """The columns of a Source: ingested when ``error`` is None, else quarantined with why."""
    return {
        "kind": kind,
        "path": path,
        "digest": digest,
        "received_at": datetime.now(UTC),
        "status": tables.SOURCE_INGESTED if error is None else tables.SOURCE_QUARANTINED,
        "reason": None if error is None else error.describe(),
        "place": None if error is None else error.place,
    }


def open_source(
    connection: Connection,
    kind: str,
    path: str,
    digest: str,
    *,
    note: str | None = None,
    size: int | None = None,
) -> int:
    """Record an input being ingested; return its Source id. ``note``: a choice made reading
    it (kept as the reason), ``size``: its size in bytes, where kept."""
    row = source_row(kind, path, digest, None) | {"reason": note}
    if size is not None:
        row["size"] = size
    return insert_row(connection, tables.Source, row)


def record_parts(connection: Connection, source_id: int, parts: Iterable[QuarantinedPart]) -> None:
    """Record the parts of the input ``source_id`` that were set aside, under its Source."""
    batch: list[dict[str, Any]] = []
    for part in parts:
        batch.append(_part_row(source_id, part))
        if len(batch) >= PARTS_PER_INSERT:
            connection.execute(insert(tables.Source), batch)
            batch = []
    if batch:
        connection.execute(insert(tables.Source), batch)


def _part_row(source_id: int, part: QuarantinedPart) -> dict[str, Any]:
    digest = part.digest
    row = source_row(part.kind, part.path, None if digest is None else digest.sha256, part.error)
    return row | {"parent_id": source_id, "size": None if digest is None else digest.size}


def drop_parts(connection: Connection, source_id: int) -> None:
    """Forget the set-aside parts of ``source_id`` (an input read again records them anew)."""
    connection.execute(delete(tables.Source).where(_SOURCE.parent_id == source_id))


def earlier_source(connection: Connection, kind: str, digest: str) -> int | None:
    """The Source id of the input ``kind``/``digest`` if it was ingested before; an earlier
    quarantine of it is dropped, as it is about to be read again."""
    query = _TOP_SOURCES.params(digest=digest, kind=kind)
    found = {status: source_id for source_id, status in connection.execute(query)}
    if tables.SOURCE_INGESTED in found:
        return found[tables.SOURCE_INGESTED]
    if found:
        connection.execute(
            delete(tables.Source).where(
                _SOURCE.digest == digest, _SOURCE.kind == kind, _SOURCE.parent_id.is_(None)
            )
        )
    return None


def record_rejected(
    workspace: Workspace,
    kind: str,
    path: str,
    digest: str | None,
    error: InputRejected,
    *,
    size: int | None = None,
) -> None:
    """Record an input that cannot be read, once however often (or by how many commands) it
    is offered: by its digest, or (unreadable, without one) by its path and reason."""
    with workspace.session() as session:
        connection = session.connection()
        claim_input(connection, kind, digest or path)
        same = select(_SOURCE.id).filter_by(path=path, parent_id=None, reason=error.describe())
        if digest is not None:
            same = _TOP_SOURCES.params(digest=digest, kind=kind)
        if connection.execute(same).first() is None:
            row = source_row(kind, path, digest, error)
            if size is not None:
                row["size"] = size
            connection.execute(insert(tables.Source), row)


_SOURCE = tables.Source.__table__.c
_TOP_SOURCES = select(_SOURCE.id, _SOURCE.status).where(
    _SOURCE.digest == bindparam("digest"),
    _SOURCE.parent_id.is_(None),
    _SOURCE.kind == bindparam("kind"),
)
