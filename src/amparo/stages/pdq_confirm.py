"""The match stage's PDQ matches, confirmed at full precision where an entry is near enough.

Adapter around :mod:`amparo.match.confirm`: finds each file's candidate entries (its fast
dihedral hits, plus entries within a set's threshold plus the preparation spread of its fast
hash), reads the evidence file of each file that has any (verified against its SHA-256),
hashes it the ways other tools do and keeps, per entry, the closest hash within the threshold.
A file whose evidence cannot be read or decoded in full keeps its fast matches.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from amparo.errors import EvidenceError
from amparo.match.confirm import (
    WIDENED_TRANSFORMS,
    candidate_radius,
    closest_matches,
    fast_preparation,
    is_candidate,
)
from amparo.match.known_index import KnownPdqIndex
from amparo.match.matcher import MIN_PDQ_QUALITY, EntryInfo, FoundMatch
from amparo.media.decode import UndecodableImage
from amparo.media.pdq import DIHEDRAL_TRANSFORMS
from amparo.media.pdq_preparations import PreparedPdq, full_precision_pdq
from amparo.store import tables
from amparo.store.evidence import EvidenceStore
from amparo.store.nulls import not_null

FastHits = dict[int, list[tuple[EntryInfo, int, str]]]
EntryLookup = Callable[[Session, set[int]], dict[int, EntryInfo]]
_WIDENED = [DIHEDRAL_TRANSFORMS.index(name) for name in sorted(WIDENED_TRANSFORMS)]


class PdqConfirmation:
    """Confirms one batch of files' PDQ matches against the hash sets' index."""

    def __init__(self, evidence: EvidenceStore, index: KnownPdqIndex) -> None:
        self._evidence = evidence
        self._index = index

    def matches(
        self, session: Session, media: Iterable[Any], fast_hits: FastHits, entries: EntryLookup
    ) -> dict[int, list[FoundMatch]]:
        """PDQ matches per media id (rows with ``id``, ``pdq_quality`` and ``pdq_dihedral``)."""
        eligible = {row.id: row for row in media if _matchable(row)}
        candidates = self._candidates(session, eligible, fast_hits, entries)
        entry_pdq = _entry_hashes(session, {e.entry_id for c in candidates.values() for e in c})
        sha256 = _media_sha256(session, set(candidates))
        found: dict[int, list[FoundMatch]] = {}
        for media_id, entry_infos in candidates.items():
            row = eligible[media_id]
            prepared = [fast_preparation(row.pdq_quality, row.pdq_dihedral)]
            prepared += self._full_precision(sha256[media_id])
            pairs = [(entry, entry_pdq[entry.entry_id]) for entry in entry_infos]
            found[media_id] = closest_matches(pairs, prepared)
        return found

    def _candidates(
        self, session: Session, eligible: dict[int, Any], fast_hits: FastHits, entries: EntryLookup
    ) -> dict[int, list[EntryInfo]]:
        widened = self._widened_hits(eligible)
        infos = entries(session, {entry_id for _, entry_id, _ in widened})
        near: defaultdict[int, dict[int, EntryInfo]] = defaultdict(dict)
        for media_id, hits in fast_hits.items():
            for entry, distance, _ in hits:
                if media_id in eligible and is_candidate(entry, distance):
                    near[media_id][entry.entry_id] = entry
        for media_id, entry_id, distance in widened:
            if is_candidate(infos[entry_id], distance):
                near[media_id][entry_id] = infos[entry_id]
        return {media_id: list(by_id.values()) for media_id, by_id in near.items()}

    def _widened_hits(self, eligible: dict[int, Any]) -> list[tuple[int, int, int]]:
        """``(media id, entry id, distance)`` within the widest candidate radius."""
        queries = [(media_id, row.pdq_dihedral[i]) for media_id, row in eligible.items()
                   for i in _WIDENED]  # fmt: skip
        radius = candidate_radius(self._index.radius)
        hits = self._index.search([pdq for _, pdq in queries], radius)
        return [(queries[query][0], entry_id, distance) for query, entry_id, distance in hits]

    def _full_precision(self, sha256: str) -> list[PreparedPdq]:
        try:
            return full_precision_pdq(self._evidence.read(sha256))
        except (EvidenceError, UndecodableImage):
            return []  # the fast hash's matches stand, marked as such


def _matchable(row: Any) -> bool:
    return bool(row.pdq_dihedral) and (row.pdq_quality or 0) >= MIN_PDQ_QUALITY


def _entry_hashes(session: Session, entry_ids: set[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    ordered = sorted(entry_ids)
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        rows = session.execute(
            select(tables.KnownEntry.id, tables.KnownEntry.pdq).where(
                tables.KnownEntry.id.in_(chunk), tables.KnownEntry.pdq.is_not(None)
            )
        )
        found.update((entry_id, not_null(pdq)) for entry_id, pdq in rows)
    return found


def _media_sha256(session: Session, media_ids: set[int]) -> dict[int, str]:
    rows = session.execute(
        select(tables.Media.id, tables.Media.sha256).where(tables.Media.id.in_(media_ids))
    )
    return {media_id: sha256 for media_id, sha256 in rows}
