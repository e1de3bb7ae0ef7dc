"""PDQ indexes as the stages use them: hex hashes in, ``(query, id, distance)`` triples out.

The index of the hash sets' PDQ hashes is saved in the workspace under the fingerprint of the
hash sets it was built from, so it is rebuilt only when a hash set changes.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from amparo.match.pdq_index import PdqIndex, hashes_from_hex
from amparo.store import tables
from amparo.store.nulls import not_null

Hit = tuple[int, int, int]
INDEX_PREFIX = "known-pdq-"


class HexPdqIndex:
    """Hex PDQ hashes with integer ids, searched within a Hamming radius."""

    def __init__(self, index: PdqIndex) -> None:
        self._index = index

    @classmethod
    def of(cls, hashes: list[str], ids: list[int]) -> HexPdqIndex:
        return cls(PdqIndex.build(hashes_from_hex(hashes), np.asarray(ids, np.int64)))

    def save(self, folder: Path) -> None:
        self._index.save(folder)

    def search(self, queries: list[str], radius: int) -> list[Hit]:
        """``(query position, id, distance)`` of every hash within ``radius`` of each query."""
        if not queries or len(self._index) == 0:
            return []
        found = self._index.search(hashes_from_hex(queries), radius)
        return list(
            zip(found.query_index.tolist(), found.ids.tolist(), found.distances.tolist(),
                strict=True)
        )  # fmt: skip


class KnownPdqIndex:
    """The PDQ hashes of every hash-set entry, searched at the widest set threshold."""

    def __init__(self, index: HexPdqIndex | None, radius: int) -> None:
        self._index = index
        self.radius = radius

    @classmethod
    def for_store(cls, session: Session, folder: Path, fingerprint: str) -> KnownPdqIndex:
        radius = session.scalar(select(func.max(tables.HashSet.pdq_threshold))) or 0
        rows = session.execute(
            select(tables.KnownEntry.id, tables.KnownEntry.pdq)
            .where(tables.KnownEntry.pdq.is_not(None))
            .order_by(tables.KnownEntry.id)
        ).all()
        if not rows:
            return cls(None, radius)
        hashes = [not_null(pdq) for _, pdq in rows]
        ids = [entry_id for entry_id, _ in rows]
        return cls(
            _saved_or_built(folder / f"{INDEX_PREFIX}{fingerprint[:16]}", hashes, ids), radius
        )

    def search(self, queries: list[str], radius: int | None = None) -> list[Hit]:
        """Hits within ``radius``, by default the widest set threshold."""
        if self._index is None:
            return []
        return self._index.search(queries, self.radius if radius is None else radius)


def _saved_or_built(target: Path, hashes: list[str], ids: list[int]) -> HexPdqIndex:
    """The index saved for these hash sets when it holds exactly them, else a new one, saved."""
    try:
        saved = PdqIndex.load(target)
        if len(saved) == len(ids):
            return HexPdqIndex(saved)
    except (ValueError, OSError):
        pass
    index = HexPdqIndex.of(hashes, ids)
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True, exist_ok=True)
    index.save(target)
    return index


def _remove_other_indexes(keep: Path) -> None:
    for stale in keep.parent.glob(f"{INDEX_PREFIX}*"):
        if stale != keep:
            shutil.rmtree(stale, ignore_errors=True)
