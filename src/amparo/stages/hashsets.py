"""Importing hash sets into the store: entries upserted, withdrawn ones removed, nothing twice.

A VICS or CSV file is a full export, so a newer version replaces the set's entries; an NCMEC
hash-sharing file is a delta (additions and deletions), so it is applied on top.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from amparo.errors import InputRejected, InvalidInput, StoreError
from amparo.formats.hashsets import MAX_HASH_SET_BYTES, read_hash_set
from amparo.intake.package import read_limited
from amparo.intake.writer import source_row
from amparo.model import HashSetFile, KnownEntry
from amparo.store import tables
from amparo.store.database import refusal_reason
from amparo.workspace import Workspace

DELTA_FORMATS = {"ncmec-hashsharing"}
PURPOSES = ("block", "allow")
DEFAULT_PDQ_THRESHOLD = 31
INSERT_CHUNK = 5000
HASH_SET_SOURCE = "hash_set"


@dataclass(frozen=True)
class HashSetImport:
    name: str
    format: str
    entries: int
    added: int
    removed: int
    unchanged: bool
    without_hashes: int = 0


def import_hash_set(
    workspace: Workspace,
    path: Path,
    *,
    name: str,
    purpose: str = "block",
    pdq_threshold: int = DEFAULT_PDQ_THRESHOLD,
) -> HashSetImport:
    """Import ``path`` as the hash set ``name`` (creating or updating it)."""
    if purpose not in PURPOSES:
        raise InvalidInput(f"purpose must be one of {', '.join(PURPOSES)}", path=str(path))
    if not 0 <= pdq_threshold <= 256:
        raise InvalidInput("the PDQ threshold must be between 0 and 256 bits", path=str(path))
    data = read_limited(path, MAX_HASH_SET_BYTES)
    digest = hashlib.sha256(data).hexdigest()
    try:
        parsed = read_hash_set(data, path=str(path))
    except InputRejected as error:
        _record_source(workspace, str(path), digest, error)
        raise
    try:
        with workspace.session() as session:
            result = _apply(session, parsed, digest, name=name, purpose=purpose,
                            threshold=pdq_threshold)  # fmt: skip
    except SQLAlchemyError as error:
        reason = refusal_reason(error)
        raise StoreError(f"the database refused hash set {name!r}: {reason}") from error
    if not result.unchanged:
        _record_source(workspace, str(path), digest, None)
    return result


def _record_source(
    workspace: Workspace, path: str, digest: str, error: InputRejected | None
) -> None:
    """Every hash-set file offered is accounted for, as ingested or quarantined, once."""
    with workspace.session() as session:
        row = source_row(HASH_SET_SOURCE, path, digest, error)
        same = select(tables.Source.id).filter_by(
            kind=HASH_SET_SOURCE, digest=digest, status=row["status"]
        )
        if session.execute(same).first() is None:
            session.execute(insert(tables.Source), row)


def _apply(
    session: Session, parsed: HashSetFile, digest: str, *, name: str, purpose: str, threshold: int
) -> HashSetImport:
    hash_set = session.scalars(select(tables.HashSet).filter_by(name=name)).one_or_none()
    settings_same = hash_set is not None and (hash_set.purpose, hash_set.pdq_threshold) == (
        purpose, threshold,
    )  # fmt: skip
    seen = hash_set is not None and digest in (hash_set.applied or [hash_set.digest])
    if seen and settings_same:
        return HashSetImport(name, parsed.format, hash_set.entry_count, 0, 0, unchanged=True)
    if hash_set is None:
        hash_set = tables.HashSet(name=name, entry_count=0)
        session.add(hash_set)
    hash_set.format, hash_set.version, hash_set.digest = parsed.format, parsed.version, digest
    hash_set.applied = _applied_after(hash_set, parsed.format, digest)
    hash_set.purpose, hash_set.pdq_threshold = purpose, threshold
    hash_set.imported_at = datetime.now(UTC)
    session.flush()
    added, removed = _replace_entries(session, hash_set.id, parsed)
    hash_set.entry_count = _entry_count(session, hash_set.id)
    hashless = sum(1 for e in parsed.entries if not e.deleted and not _has_hash(e))
    return HashSetImport(name, parsed.format, hash_set.entry_count, added, removed, False, hashless)


def _has_hash(entry: KnownEntry) -> bool:
    return any((entry.md5, entry.sha1, entry.sha256, entry.pdq, entry.photodna, entry.vpdq))


def _applied_after(hash_set: tables.HashSet, file_format: str, digest: str) -> list[str]:
    """Files a set now reflects: every delta applied, or just the last full export."""
    if file_format not in DELTA_FORMATS:
        return [digest]
    earlier = [d for d in hash_set.applied or [] if d != digest]
    return [*earlier, digest]


def _replace_entries(session: Session, hash_set_id: int, parsed: HashSetFile) -> tuple[int, int]:
    """Apply the file's entries; return (entries written, entries removed)."""
    existing = set(
        session.scalars(select(tables.KnownEntry.entry_id).filter_by(hash_set_id=hash_set_id))
    )
    final: dict[str, KnownEntry] = {}
    for entry in parsed.entries:  # in document order: a later deletion undoes an earlier add
        final[entry.entry_id] = entry
    withdrawn = {key for key, entry in final.items() if entry.deleted}
    current = {key: entry for key, entry in final.items() if not entry.deleted}
    if parsed.format not in DELTA_FORMATS:
        withdrawn |= existing - set(current)
    stale = (withdrawn | set(current)) & existing
    _delete_entries(session, hash_set_id, stale)
    rows = [_entry_row(hash_set_id, entry) for entry in current.values()]
    for start in range(0, len(rows), INSERT_CHUNK):
        session.execute(insert(tables.KnownEntry), rows[start : start + INSERT_CHUNK])
    return len(rows), len(withdrawn & existing)


def _delete_entries(session: Session, hash_set_id: int, entry_ids: set[str]) -> None:
    ordered = sorted(entry_ids)
    for start in range(0, len(ordered), INSERT_CHUNK):
        chunk = ordered[start : start + INSERT_CHUNK]
        session.execute(
            delete(tables.KnownEntry).where(
                tables.KnownEntry.hash_set_id == hash_set_id,
                tables.KnownEntry.entry_id.in_(chunk),
            )
        )


def _entry_row(hash_set_id: int, entry: KnownEntry) -> dict[str, Any]:
    category = entry.category
    return {
        "hash_set_id": hash_set_id,
        "entry_id": entry.entry_id,
        "kind": entry.kind,
        "md5": entry.md5,
        "sha1": entry.sha1,
        "sha256": entry.sha256,
        "pdq": entry.pdq,
        "photodna": entry.photodna,
        "vpdq": list(entry.vpdq) if entry.vpdq else None,
        "category_scheme": category and category.scheme,
        "category_code": category and category.code,
        "series": entry.series,
        "victim_identified": entry.victim_identified,
        "offender_identified": entry.offender_identified,
        "is_distributed": entry.is_distributed,
        "details": entry.details,
    }


def _entry_count(session: Session, hash_set_id: int) -> int:
    query = select(func.count()).select_from(tables.KnownEntry).filter_by(hash_set_id=hash_set_id)
    return session.scalar(query) or 0


def matching_fingerprint(session: Session) -> str:
    """Changes whenever any hash set's content or matching settings change.

    The entries' id range and count are part of it: a re-import writes new entry rows (and
    drops the matches to the old ones), even when it brings back an earlier file.
    """
    sets = session.execute(
        select(tables.HashSet.id, tables.HashSet.digest, tables.HashSet.purpose,
               tables.HashSet.pdq_threshold).order_by(tables.HashSet.id)
    ).all()  # fmt: skip
    entries = session.execute(
        select(func.count(), func.max(tables.KnownEntry.id)).select_from(tables.KnownEntry)
    ).one()
    state = repr(([tuple(row) for row in sets], tuple(entries)))
    return hashlib.sha256(state.encode()).hexdigest()
