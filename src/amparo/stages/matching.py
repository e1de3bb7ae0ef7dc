"""The match stage: every analysed file compared with every hash set, retroactively.

A file is re-matched whenever the hash sets change (their fingerprint differs from the one it
was matched against), so an old report turns from ``new`` to ``known`` when a partner's list
arrives. Cryptographic matches are SQL joins on indexed columns; PDQ near matches query all
eight dihedral hashes of each image against an index of the hash sets' PDQ hashes, and the
frames of animated pictures and videos against the same index (``amparo.match.frames``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.orm import Session

from amparo.intake.hashsets import matching_fingerprint
from amparo.match.frames import best_frame_matches, frame_hits, with_frame_matches
from amparo.match.known_index import KnownPdqIndex
from amparo.match.matcher import (
    CRYPTOGRAPHIC,
    MIN_PDQ_QUALITY,
    EntryInfo,
    FoundMatch,
    cryptographic_match,
    verdict,
)
from amparo.match.video import KnownVideos, vpdq_matches
from amparo.media.pdq import DIHEDRAL_TRANSFORMS
from amparo.model import Category
from amparo.stages.pdq_confirm import PdqConfirmation
from amparo.store import tables
from amparo.workspace import Workspace

BATCH = 500
M, K, H = tables.Media, tables.KnownEntry, tables.HashSet


def run_match_stage(
    workspace: Workspace,
    *,
    on_total: Callable[[int], None] | None = None,
    on_done: Callable[[int], None] | None = None,
) -> int:
    """Match every analysed file whose matching is out of date; return how many."""
    with workspace.session() as session:
        fingerprint = matching_fingerprint(session)
        stale = list(session.scalars(_stale_media(fingerprint)))
        if stale:
            index = KnownPdqIndex.for_store(session, workspace.root / "indexes", fingerprint)
            videos = KnownVideos.for_store(session)
            confirmation = PdqConfirmation(workspace.evidence, index)
    if on_total is not None:
        on_total(len(stale))
    for start in range(0, len(stale), BATCH):
        chunk = stale[start : start + BATCH]
        with workspace.session() as session:
            _match_batch(session, chunk, (index, videos, confirmation), fingerprint)
        if on_done is not None:
            on_done(len(chunk))
    return len(stale)


def _stale_media(fingerprint: str) -> Any:
    return (
        select(M.id)
        .where(M.analysed_at.is_not(None))
        .where(or_(M.matched_against.is_(None), M.matched_against != fingerprint))
        .order_by(M.id)
    )


def _match_batch(
    session: Session,
    media_ids: list[int],
    indexes: tuple[KnownPdqIndex, KnownVideos, PdqConfirmation],
    fingerprint: str,
) -> None:
    index, videos, confirmation = indexes
    media = session.execute(
        select(M.id, M.kind, M.problem, M.pdq_quality, M.pdq_dihedral).where(M.id.in_(media_ids))
    ).all()
    found = _cryptographic(session, media_ids)
    hits = _pdq_hits(session, media, index)
    for media_id, matches in confirmation.matches(session, media, hits, entry_infos).items():
        found[media_id] += matches
    for media_id, matches in _vpdq(session, media_ids, videos).items():
        found[media_id] += matches
    for media_id, matches in _frame_matches(session, media_ids, index).items():
        found[media_id] = with_frame_matches(found[media_id], matches)
    session.execute(delete(tables.Match).where(tables.Match.media_id.in_(media_ids)))
    rows = [_match_row(media_id, m) for media_id, ms in found.items() for m in ms]
    if rows:
        session.execute(insert(tables.Match), rows)
    verdicts = [
        {"id": media_id, "matched_against": fingerprint,
         "status": verdict(found[media_id], kind=kind, problem=problem).status}
        for media_id, kind, problem, _, _ in media
    ]  # fmt: skip
    if verdicts:
        session.execute(update(M), verdicts)  # one executemany, by primary key


def _cryptographic(session: Session, media_ids: list[int]) -> defaultdict[int, list[FoundMatch]]:
    found: defaultdict[int, list[FoundMatch]] = defaultdict(list)
    pairs: list[tuple[int, int, str]] = []
    for algorithm in CRYPTOGRAPHIC:
        joined = select(M.id, K.id).join(K, getattr(K, algorithm) == getattr(M, algorithm))
        for media_id, entry_id in session.execute(joined.where(M.id.in_(media_ids))):
            pairs.append((media_id, entry_id, algorithm))
    entries = entry_infos(session, {entry_id for _, entry_id, _ in pairs})
    for media_id, entry_id, algorithm in pairs:
        found[media_id].append(cryptographic_match(entries[entry_id], algorithm))
    return found


def _pdq_hits(
    session: Session, media: Iterable[Any], index: KnownPdqIndex
) -> dict[int, list[tuple[EntryInfo, int, str]]]:
    """Dihedral PDQ hits ``(entry, distance, transform)`` per media id."""
    queries: list[tuple[int, str, str]] = []
    for media_id, _, _, quality, dihedral in media:
        if dihedral and (quality or 0) >= MIN_PDQ_QUALITY:
            pairs = zip(dihedral, DIHEDRAL_TRANSFORMS, strict=True)
            queries += [(media_id, pdq, transform) for pdq, transform in pairs]
    hits = index.search([pdq for _, pdq, _ in queries])
    entries = entry_infos(session, {entry_id for _, entry_id, _ in hits})
    grouped: dict[int, list[tuple[EntryInfo, int, str]]] = defaultdict(list)
    for query, entry_id, distance in hits:
        media_id, _, transform = queries[query]
        grouped[media_id].append((entries[entry_id], distance, transform))
    return grouped


def _vpdq(
    session: Session, media_ids: list[int], videos: KnownVideos
) -> dict[int, list[FoundMatch]]:
    """vPDQ matches of the videos among ``media_ids``."""
    rows = session.execute(
        select(M.id, M.video_frames).where(
            M.id.in_(media_ids), M.video_frames.is_not(None), M.kind == "video"
        )
    ).all()
    percentages = {media_id: videos.hits(frames) for media_id, frames in rows if frames}
    entries = entry_infos(session, {e for hits in percentages.values() for e in hits})
    return {media_id: vpdq_matches(hits, entries) for media_id, hits in percentages.items()}


def _frame_matches(
    session: Session, media_ids: list[int], index: KnownPdqIndex
) -> dict[int, list[FoundMatch]]:
    """PDQ matches of single frames of the animated pictures and videos among ``media_ids``."""
    hits = frame_hits(session, media_ids, index)
    entries = entry_infos(session, {entry for found in hits.values() for entry, _, _ in found})
    return {media_id: best_frame_matches(found, entries) for media_id, found in hits.items()}


def entry_infos(session: Session, entry_ids: set[int]) -> dict[int, EntryInfo]:
    """Matching facts of the given entries, looked up in chunks."""
    infos: dict[int, EntryInfo] = {}
    ordered = sorted(entry_ids)
    for start in range(0, len(ordered), BATCH):
        rows = session.execute(
            select(K.id, H.purpose, H.pdq_threshold, K.category_scheme, K.category_code)
            .join(H)
            .where(K.id.in_(ordered[start : start + BATCH]))
        )
        for entry_id, purpose, threshold, scheme, code in rows:
            category = Category(scheme, code) if scheme and code is not None else None
            infos[entry_id] = EntryInfo(entry_id, purpose, threshold, category)
    return infos


def _match_row(media_id: int, match: FoundMatch) -> dict[str, Any]:
    return {
        "media_id": media_id,
        "known_entry_id": match.entry_id,
        "algorithm": match.algorithm,
        "distance": match.distance,
        "threshold": match.threshold,
        "transform": match.transform,
        "suppressing": match.suppressing,
        "frame": match.frame,
        "second": match.second,
        "preparation": match.preparation,
    }
