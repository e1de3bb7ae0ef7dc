"""The pure core of clustering new material: near pairs joined into series, keyed stably."""

from __future__ import annotations

from collections.abc import Iterable


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
    """A series key that stays the same while its earliest-seen file does."""
    return f"new:{first_sha256[:16]}"


def known_series_key(hash_set: str, series: str) -> str:
    return f"known:{hash_set}:{series}"
