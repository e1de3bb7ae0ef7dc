"""The cluster stage: files grouped into series, each with its first sighting and first sharers.

Known and variant files join the series their hash-set entry names. New pictures are clustered
by PDQ (all dihedral variants, within distance 31), so re-encoded, resized, cropped, rotated or
mirrored copies of one new picture form one series, and new videos by vPDQ (80 % of each one's
frames within distance 31 of the other's); the series is keyed by its earliest-seen
file so the key survives re-runs. The earliest sightings name the accounts that shared it first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import BindParameter, Connection, bindparam, delete, func, select, update
from sqlalchemy.orm import Session, aliased

from amparo.match.clusters import cluster, known_series_key, near_video_pairs, new_series_key
from amparo.match.known_index import HexPdqIndex
from amparo.match.matcher import KNOWN, KNOWN_VARIANT, MIN_PDQ_QUALITY, NEW
from amparo.model import SeriesStatus, account_key
from amparo.store import tables
from amparo.store.fingerprint import fingerprint, last_fingerprint, record_run, value_counts
from amparo.store.nulls import not_null
from amparo.store.rows import insert_rows
from amparo.workspace import Workspace

NEW_SERIES_RADIUS = 31
FIRST_ACCOUNTS = 5
M, K, H, S = tables.Media, tables.KnownEntry, tables.HashSet, tables.Sighting
STAGE = "cluster"
# Series too, so that series changed behind the stage's back are made anew.
_INPUTS = (M, tables.Match, S, tables.Account, tables.Group, K, H, tables.Series)


@dataclass
class _Seen:
    """When and where one file was seen."""

    first: datetime | None = None
    accounts: dict[str, datetime | None] = field(default_factory=dict)
    groups: set[str] = field(default_factory=set)


def run_cluster_stage(workspace: Workspace, *, force: bool = False) -> int | None:
    """Recompute every series from the current matches; return how many series there are,
    or None when nothing it reads changed since its last run."""
    with workspace.session() as session:
        if not force and last_fingerprint(session, STAGE) == _fingerprint(session):
            return None
        members = _known_series(session)
        for group in _new_clusters(session):
            members.setdefault((SeriesStatus.NEW, group[0]), []).extend(group)
        seen = _sightings(session)
        _write_series(session, members, seen)
        record_run(session, STAGE, _fingerprint(session))  # after: its own series count too
        return len(members)


def _fingerprint(session: Session) -> str:
    """The inputs' row counts and highest ids, and what the hash and match stages wrote in
    place: how many files are analysed, each status and each hash-set state matched against."""
    analysed = select(func.count()).where(M.analysed_at.is_not(None))
    extra = [
        f"analysed:{session.scalar(analysed)}",
        value_counts(session, M.status),
        value_counts(session, M.matched_against),
    ]
    return fingerprint(session, _INPUTS, extra=extra)


def _known_series(session: Session) -> dict[tuple[str, Any], list[int]]:
    """Known and variant files per hash-set series, by their closest counted match."""
    best: dict[int, tuple[tuple[int, int], str]] = {}
    rows = session.execute(
        select(tables.Match.media_id, tables.Match.algorithm, tables.Match.distance,
               H.name, K.series)
        .join(K, tables.Match.known_entry_id == K.id).join(H)
        .join(M, M.id == tables.Match.media_id)
        .where(tables.Match.suppressing.is_(False), K.series.is_not(None),
               M.status.in_((KNOWN, KNOWN_VARIANT)))
    )  # fmt: skip
    for media_id, algorithm, distance, hash_set, series in rows:
        rank = (0 if algorithm != "pdq" else 1, distance)
        if media_id not in best or rank < best[media_id][0]:
            best[media_id] = (rank, known_series_key(hash_set, not_null(series)))
    members: dict[tuple[str, Any], list[int]] = defaultdict(list)
    for media_id, (_, key) in best.items():
        members[(SeriesStatus.KNOWN, key)].append(media_id)
    return members


def _new_clusters(session: Session) -> list[list[int]]:
    rows = session.execute(
        select(M.id, M.pdq, M.pdq_quality, M.pdq_dihedral, M.video_frames).where(M.status == NEW)
    ).all()
    hashable = [
        r for r in rows if r.pdq and r.pdq_dihedral and (r.pdq_quality or 0) >= MIN_PDQ_QUALITY
    ]
    videos = {r.id: _reliable_frames(r.video_frames) for r in rows if r.video_frames}
    pairs = [*_near_pairs(hashable), *near_video_pairs(videos, NEW_SERIES_RADIUS)]
    return cluster([r.id for r in rows], pairs)


def _reliable_frames(frames: list[dict[str, Any]]) -> list[str]:
    return [f["pdq"] for f in frames if f["quality"] >= MIN_PDQ_QUALITY]


def _near_pairs(rows: list[Any]) -> Iterable[tuple[int, int]]:
    if not rows:
        return []
    index = HexPdqIndex.of([r.pdq for r in rows], [r.id for r in rows])
    queries = [(r.id, h) for r in rows for h in r.pdq_dihedral]
    hits = index.search([h for _, h in queries], NEW_SERIES_RADIUS)
    return [(queries[q][0], media_id) for q, media_id, _ in hits]


def _sightings(session: Session) -> dict[int, _Seen]:
    account, group = aliased(tables.Account), aliased(tables.Group)
    rows = session.execute(
        select(S.media_id, S.at, account.platform, account.user_id, group.platform,
               group.group_id)
        .outerjoin(account, S.account_id == account.id)
        .outerjoin(group, S.group_id == group.id)
    )  # fmt: skip
    seen: dict[int, _Seen] = defaultdict(_Seen)
    for media_id, at, a_platform, a_user, g_platform, g_id in rows:
        entry = seen[media_id]
        entry.first = _earlier(entry.first, at)
        if a_platform is not None:
            key = account_key(a_platform, a_user)
            entry.accounts[key] = _earlier(entry.accounts.get(key), at)
        if g_platform is not None:
            entry.groups.add(account_key(g_platform, g_id))
    return seen


def _write_series(
    session: Session, members: dict[tuple[str, Any], list[int]], seen: dict[int, _Seen]
) -> None:
    """Upsert every series in a few statements and point each file at its series."""
    connection = session.connection()
    sha = dict(connection.execute(select(M.id, M.sha256)).all())
    rows = [_series_row(_key(status, key, ids, seen, sha), status, [seen[m] for m in ids])
            for (status, key), ids in members.items()]  # fmt: skip
    series_ids = _upsert_series(connection, rows)
    connection.execute(update(M.__table__).values(series_id=None))
    links = [
        {"media": media_id, "series": series_id}
        for series_id, media_ids in zip(series_ids, members.values(), strict=True)
        for media_id in media_ids
    ]
    if links:
        connection.execute(_SET_SERIES, links)
    stale = set(connection.execute(select(tables.Series.id)).scalars()) - set(series_ids)
    for chunk in _chunks(sorted(stale)):
        connection.execute(delete(tables.Series.__table__).where(tables.Series.id.in_(chunk)))


_SET_SERIES = (
    update(tables.Media.__table__)
    .where(tables.Media.__table__.c.id == bindparam("media"))
    .values(series_id=bindparam("series"))
)
_SERIES_CHANGES = ("status", "first_seen", "first_accounts", "groups")


def _key(status: str, key: Any, ids: list[int], seen: dict[int, _Seen], sha: dict[int, str]) -> str:
    return key if status == SeriesStatus.KNOWN else new_series_key(_earliest(ids, seen, sha))


def _upsert_series(connection: Connection, rows: list[dict[str, Any]]) -> list[int]:
    """Series ids in the order of ``rows``: existing keys updated, new keys inserted."""
    table = tables.Series.__table__
    existing = dict(connection.execute(select(table.c.key, table.c.id)).all())
    known = [row | {"series_id": existing[row["key"]]} for row in rows if row["key"] in existing]
    if known:
        changes: dict[str, BindParameter[Any]] = {name: bindparam(name) for name in _SERIES_CHANGES}
        statement = update(table).where(table.c.id == bindparam("series_id")).values(changes)
        connection.execute(statement, known)
    fresh = [row for row in rows if row["key"] not in existing]
    created = iter(insert_rows(connection, tables.Series, fresh))
    return [existing.get(row["key"]) or next(created) for row in rows]


def _chunks(ids: list[int], size: int = 500) -> list[list[int]]:
    """Id lists cut short enough for any database's limit on bound parameters."""
    return [ids[start : start + size] for start in range(0, len(ids), size)]


def _earliest(media_ids: list[int], seen: dict[int, _Seen], sha: dict[int, str]) -> str:
    def order(media_id: int) -> tuple[bool, datetime | str, str]:
        first = seen[media_id].first
        return (first is None, first or "", sha[media_id])

    return sha[min(media_ids, key=order)]


def _series_row(key: str, status: str, seen: list[_Seen]) -> dict[str, Any]:
    firsts = [s.first for s in seen if s.first is not None]
    return {
        "key": key,
        "status": status,
        "first_seen": min(firsts) if firsts else None,
        "first_accounts": _first_accounts(seen),
        "groups": sorted(set().union(*(s.groups for s in seen))),
    }


def _first_accounts(seen: list[_Seen]) -> list[str]:
    """The accounts that shared the series earliest, earliest first (undated ones last)."""
    first_by_account: dict[str, datetime | None] = {}
    for entry in seen:
        for key, at in entry.accounts.items():
            first_by_account[key] = _earlier(first_by_account.get(key), at)
    ordered = sorted(first_by_account.items(), key=lambda kv: (kv[1] is None, kv[1] or "", kv[0]))
    return [key for key, _ in ordered[:FIRST_ACCOUNTS]]


def _earlier(a: datetime | None, b: datetime | None) -> datetime | None:
    """The earlier of two times, an unknown time giving way to a known one."""
    if a is None or b is None:
        return a or b
    return min(a, b)
