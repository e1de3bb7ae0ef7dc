"""Frames against image hash sets: a known picture shown in one frame of an animated picture
(a sticker, a GIF) or at one second of a video.

A file's stored frames (``Media.video_frames``: every distinct frame of an animated picture,
one frame a second of a video) of PDQ quality 50 or more are looked up as they are (frames are
not rotated or mirrored) in the index of the hash sets' PDQ hashes. Per entry, the closest
frame within the entry's threshold is the match, the earliest among equals; it records where:
``frame`` (0-based: the fifth frame is 4) for an animated picture, ``second`` for a video. A
match by a frame makes a file a known variant at most: it shows the known picture, it is not
the known file.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from amparo.match.known_index import KnownPdqIndex
from amparo.match.matcher import MIN_PDQ_QUALITY, EntryInfo, FoundMatch
from amparo.store import tables

FRAME_TRANSFORM = "original"


@dataclass(frozen=True)
class FramePlace:
    """Where in a file a frame is: its number in an animated picture, its second in a video."""

    frame: int | None
    second: float | None

    @property
    def order(self) -> float:
        return float(self.frame if self.frame is not None else self.second or 0.0)


FrameHit = tuple[int, int, FramePlace]  # entry id, distance, where the frame is


def frame_queries(kind: str, frames: Iterable[dict[str, Any]]) -> list[tuple[str, FramePlace]]:
    """Each distinct reliable frame hash of a file, with the first place it appears."""
    first: dict[str, FramePlace] = {}
    for frame in frames:
        if frame["quality"] >= MIN_PDQ_QUALITY and frame["pdq"] not in first:
            first[frame["pdq"]] = _place(kind, frame)
    return list(first.items())


def _place(kind: str, frame: dict[str, Any]) -> FramePlace:
    if kind == "video":
        return FramePlace(None, frame.get("second"))
    return FramePlace(frame.get("frame"), None)


def frame_hits(
    session: Session, media_ids: list[int], index: KnownPdqIndex
) -> dict[int, list[FrameHit]]:
    """Index hits ``(entry id, distance, place)`` of the frames of ``media_ids``, per media id."""
    media = tables.Media
    rows = session.execute(
        select(media.id, media.kind, media.video_frames).where(
            media.id.in_(media_ids), media.video_frames.is_not(None)
        )
    ).all()
    queries = [
        (media_id, pdq, place)
        for media_id, kind, frames in rows
        for pdq, place in frame_queries(kind, frames or [])
    ]
    grouped: dict[int, list[FrameHit]] = defaultdict(list)
    for query, entry_id, distance in index.search([pdq for _, pdq, _ in queries]):
        media_id, _, place = queries[query]
        grouped[media_id].append((entry_id, distance, place))
    return grouped


def best_frame_matches(hits: Iterable[FrameHit], entries: dict[int, EntryInfo]) -> list[FoundMatch]:
    """Per entry, the closest (then earliest) frame hit within the entry's threshold."""
    best: dict[int, tuple[int, float, FramePlace]] = {}
    for entry_id, distance, place in hits:
        if distance > entries[entry_id].threshold:
            continue
        if entry_id not in best or (distance, place.order) < best[entry_id][:2]:
            best[entry_id] = (distance, place.order, place)
    return [
        _frame_match(entries[entry_id], distance, place)
        for entry_id, (distance, _, place) in sorted(best.items())
    ]


def _frame_match(entry: EntryInfo, distance: int, place: FramePlace) -> FoundMatch:
    return FoundMatch(
        entry.entry_id, "pdq", distance, entry.threshold, FRAME_TRANSFORM, entry.suppressing,
        frame=place.frame, second=place.second,
    )  # fmt: skip


def with_frame_matches(found: list[FoundMatch], by_frame: list[FoundMatch]) -> list[FoundMatch]:
    """A file's matches with its frames' added: one PDQ match per entry, the closest, and the
    whole file's among equals (an animated picture's own PDQ is its first frame's)."""
    whole = {m.entry_id: m for m in found if m.algorithm == "pdq"}
    closer = [
        m for m in by_frame if m.entry_id not in whole or m.distance < whole[m.entry_id].distance
    ]
    replaced = {m.entry_id for m in closer}
    kept = [m for m in found if not (m.algorithm == "pdq" and m.entry_id in replaced)]
    return kept + closer
