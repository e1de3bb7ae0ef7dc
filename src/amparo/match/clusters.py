"""The pure core of clustering new material: near pairs joined into series, keyed stably."""

from __future__ import annotations

from collections.abc import Iterable

from amparo.match.known_index import HexPdqIndex


class DisjointSets:
    """Union-find over hashable members, with path halving."""

    def __init__(self, members: Iterable[int]) -> None:
        self._parent = {member: member for member in members}

    def find(self, member: int) -> int:
        parent = self._parent
        while parent[member] != member:
            parent[member] = parent[parent[member]]
            member = parent[member]
        return member

    def union(self, a: int, b: int) -> None:
        root_a, root_b = self.find(a), self.find(b)
        if root_a != root_b:
            self._parent[max(root_a, root_b)] = min(root_a, root_b)

    def groups(self) -> list[list[int]]:
        grouped: dict[int, list[int]] = {}
        for member in self._parent:
            grouped.setdefault(self.find(member), []).append(member)
        return [sorted(members) for members in grouped.values()]


def cluster(members: Iterable[int], near_pairs: Iterable[tuple[int, int]]) -> list[list[int]]:
    """Connected components of ``members`` under ``near_pairs`` (single linkage)."""
    sets = DisjointSets(members)
    for a, b in near_pairs:
        sets.union(a, b)
    return sorted(sets.groups())


def new_series_key(first_sha256: str) -> str:
    """A series key that stays the same while its earliest-seen file does (its full SHA-256,
    so two series can never share a key)."""
    return f"new:{first_sha256}"


def known_series_key(hash_set: str, series: str) -> str:
    return f"known:{hash_set}:{series}"


VIDEO_MATCH_PERCENT = 80.0


def near_video_pairs(
    videos: dict[int, list[str]], radius: int, percent: float = VIDEO_MATCH_PERCENT
) -> list[tuple[int, int]]:
    """Pairs of videos that are variants of each other by vPDQ, as the vpdq package compares
    them: at least ``percent`` of each video's distinct frame hashes have a frame of the other
    within ``radius``."""
    frames = {video: sorted(set(hashes)) for video, hashes in videos.items() if hashes}
    owners = [video for video, hashes in frames.items() for _ in hashes]
    flat = [h for hashes in frames.values() for h in hashes]
    if not flat:
        return []
    index = HexPdqIndex.of(flat, list(range(len(flat))))
    matched: dict[tuple[int, int], set[int]] = {}
    for query, frame, _ in index.search(flat, radius):
        pair = (owners[query], owners[frame])
        if pair[0] != pair[1]:
            matched.setdefault(pair, set()).add(query)
    return [
        (a, b)
        for (a, b), hits in matched.items()
        if a < b
        and len(hits) * 100 >= percent * len(frames[a])
        and len(matched.get((b, a), ())) * 100 >= percent * len(frames[b])
    ]
