"""vPDQ: matching a video's frames against the frames of known videos, as the vpdq package does.

A video matches a known one when at least 80 % of its distinct reliable frames (PDQ quality
50 or more) lie within PDQ distance 31 of a frame of the known video. The match records as its
distance the percentage of the video's frames that found no counterpart (0: every frame did),
so that, as for every algorithm, smaller is closer and the threshold is the most allowed (20).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from amparo.match.known_index import HexPdqIndex
from amparo.match.matcher import MIN_PDQ_QUALITY, EntryInfo, FoundMatch
from amparo.store import tables

FRAME_RADIUS = 31
QUERY_MATCH_PERCENT = 80.0
VPDQ_THRESHOLD = round(100 - QUERY_MATCH_PERCENT)


def reliable_frames(features: list[str]) -> list[str]:
    """Distinct frame hashes of quality 50 or more, from ``"hex,quality,seconds"`` features."""
    frames = [f.split(",") for f in features]
    return sorted({digits for digits, quality, *_ in frames if int(quality) >= MIN_PDQ_QUALITY})


@dataclass
class KnownVideos:
    """The frames of every hash-set entry that carries a vPDQ hash, in one PDQ index."""

    index: HexPdqIndex | None
    frame_owner: list[int]
    frame_count: dict[int, int]

    @classmethod
    def for_store(cls, session: Session) -> KnownVideos:
        rows = session.execute(
            select(tables.KnownEntry.id, tables.KnownEntry.vpdq)
            .where(tables.KnownEntry.vpdq.is_not(None))
            .order_by(tables.KnownEntry.id)
        ).all()
        frames = {entry_id: reliable_frames(features) for entry_id, features in rows if features}
        owner = [entry_id for entry_id, hashes in frames.items() for _ in hashes]
        flat = [h for hashes in frames.values() for h in hashes]
        index = HexPdqIndex.of(flat, list(range(len(flat)))) if flat else None
        return cls(index, owner, {e: len(h) for e, h in frames.items() if h})

    def hits(self, video_frames: list[dict[str, Any]]) -> dict[int, float]:
        """Per known entry, the percentage of the video's reliable frames it matched."""
        query = sorted({f["pdq"] for f in video_frames if f["quality"] >= MIN_PDQ_QUALITY})
        if self.index is None or not query:
            return {}
        matched: dict[int, set[int]] = defaultdict(set)
        for position, frame, _ in self.index.search(query, FRAME_RADIUS):
            matched[self.frame_owner[frame]].add(position)
        return {entry: 100.0 * len(found) / len(query) for entry, found in matched.items()}


def vpdq_matches(percentages: dict[int, float], entries: dict[int, EntryInfo]) -> list[FoundMatch]:
    """The known videos a video matches, each with the share of its frames left unmatched."""
    return [
        FoundMatch(entry_id, "vpdq", round(100 - percent), VPDQ_THRESHOLD, None,
                   entries[entry_id].suppressing)
        for entry_id, percent in sorted(percentages.items())
        if percent >= QUERY_MATCH_PERCENT
    ]  # fmt: skip
