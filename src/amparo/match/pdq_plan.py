"""How a PDQ index splits the 256 bits into substrings, and what it probes for a search radius.

Multi-index hashing (Norouzi, Punjani and Fleet, 2012), generalised: cut the hash into disjoint
substrings and give substring ``i`` a probe radius ``r_i`` (-1: not probed). If every substring
differed by more than its radius, the full distance would be at least ``sum(r_i + 1)``; so when
``sum(r_i + 1) > radius``, every hash within ``radius`` of a query lies within ``r_i`` of it in
some substring, and probing each table at all keys within ``r_i`` finds it: 100 % recall.
For radius 31 over 16 substrings this is the classic "radius 1 in each"; with fewer, wider
substrings it is e.g. radius 2 in most and 1 in the rest. The radii are chosen by a cost model,
which falls back to scanning every hash when probing would cost more (large radii).
"""

from __future__ import annotations

import functools
import math
import operator
from dataclasses import dataclass

import numpy as np

HASH_BITS = 256
DEFAULT_RADIUS = 31
SUBSTRING_COUNTS = range(8, 33)
# Bucket tables may take up to twice the hashes' own 32 bytes, and at least this much.
TABLE_BYTES_PER_HASH = 64
MIN_TABLE_BYTES = 8 << 20
# Nanoseconds on one core of the development machine, fitted to searches over 10M and 30M hashes.
PROBE_NS = 25.0
CANDIDATE_NS = 75.0
# A pair compared by the scan (FAISS): 1.0 over 10,000 hashes (in cache) to 1.5 over 10M
# (memory-bound), benchmarks/results/pdq_scan_crossover.json. The larger value: the choice
# matters most for large indexes, where it puts the crossover at radius 51-56 at 10M, 46-51 at 1M.
SCAN_NS = 1.5
MAX_PROBES_PER_QUERY = 1 << 20


@dataclass(frozen=True)
class Layout:
    """Consecutive substring widths covering the 256 bits (bit ``b`` is bit ``b % 64`` of
    little-endian 64-bit word ``b // 64``)."""

    widths: tuple[int, ...]

    @classmethod
    def split(cls, count: int) -> Layout:
        """``count`` substrings of near-equal widths."""
        width, wider = divmod(HASH_BITS, count)
        return cls(tuple(width + 1 if i < wider else width for i in range(count)))

    @functools.cached_property
    def starts(self) -> tuple[int, ...]:
        return tuple(sum(self.widths[:i]) for i in range(len(self.widths)))

    @functools.cached_property
    def substrings(self) -> list[tuple[int, int]]:
        """(first bit, width) of each substring."""
        return list(zip(self.starts, self.widths, strict=True))

    @functools.cached_property
    def table_sizes(self) -> tuple[int, ...]:
        """Entries of each bucket-offset table: one per key, plus the end."""
        return tuple((1 << width) + 1 for width in self.widths)

    @functools.cached_property
    def table_starts(self) -> tuple[int, ...]:
        """Where each table begins when the tables are stored one after the other."""
        return tuple(sum(self.table_sizes[:i]) for i in range(len(self.widths)))

    @property
    def table_bytes(self) -> int:
        return 4 * sum(self.table_sizes)


@dataclass(frozen=True)
class Plan:
    """How to search one segment: the probe radius per substring, or None to scan every hash."""

    radii: tuple[int, ...] | None
    probes: int
    cost_ns: float


def choose_layout(size: int) -> Layout:
    """The substring layout that makes radius-31 searches over ``size`` hashes cheapest, within
    the table-memory budget."""
    budget = max(MIN_TABLE_BYTES, TABLE_BYTES_PER_HASH * size)
    layouts = [Layout.split(count) for count in SUBSTRING_COUNTS]
    affordable = [layout for layout in layouts if layout.table_bytes <= budget]
    return min(affordable, key=lambda layout: (_probing_cost(layout, size), layout.table_bytes))


def plan_search(layout: Layout, size: int, radius: int) -> Plan:
    """The cheaper of probing (with the cheapest radii that keep recall at 100 %) and scanning."""
    probing = cheapest_probing(layout, size, radius)
    scanning = Plan(None, 0, SCAN_NS * size)
    return probing if probing is not None and probing.cost_ns < scanning.cost_ns else scanning


def probe_count(width: int, radius: int) -> int:
    """Keys within ``radius`` bits of a ``width``-bit key (0 for radius -1)."""
    return sum(math.comb(width, flips) for flips in range(radius + 1))


@functools.cache
def flip_masks(width: int, radius: int) -> np.ndarray:
    """Every ``width``-bit mask with at most ``radius`` bits set, as int64 (read-only)."""
    masks = np.zeros(1, np.int64)
    for bit in range(width):
        fewer = masks[np.bitwise_count(masks) < radius]
        masks = np.concatenate([masks, fewer | (1 << bit)])
    masks.flags.writeable = False
    return masks


def _probing_cost(layout: Layout, size: int) -> float:
    plan = cheapest_probing(layout, size, DEFAULT_RADIUS)
    return math.inf if plan is None else plan.cost_ns


def cheapest_probing(layout: Layout, size: int, radius: int) -> Plan | None:
    """Greedy radii meeting ``sum(r_i + 1) > radius``. Optimal: each substring's cost is convex
    in its radius below half its width, which the probe cap keeps it under. None past the cap."""
    per_probe = [PROBE_NS + CANDIDATE_NS * size / (1 << width) for width in layout.widths]
    radii = [-1] * len(layout.widths)
    for _ in range(radius + 1):
        step = [
            _step_cost(w, r, unit)
            for w, r, unit in zip(layout.widths, radii, per_probe, strict=True)
        ]
        radii[step.index(min(step))] += 1
    probes = [probe_count(w, r) for w, r in zip(layout.widths, radii, strict=True)]
    if sum(probes) > MAX_PROBES_PER_QUERY:
        return None
    return Plan(tuple(radii), sum(probes), sum(map(operator.mul, probes, per_probe)))


def _step_cost(width: int, radius: int, per_probe: float) -> float:
    return math.comb(width, radius + 1) * per_probe if radius < width else math.inf
