"""Exact Hamming range search over PDQ hashes, at the scale of national hash sets.

:class:`PdqIndex` returns *every* indexed hash within a radius (31 by default) of each query,
with its distance: 100 % recall, no approximation. It is built like a log-structured merge tree:

- a sorted main segment, searched by multi-index hashing (see :mod:`amparo.match.pdq_plan`)
  over packed numpy arrays (see :mod:`amparo.match.pdq_segment`);
- a small unsorted delta that :meth:`PdqIndex.add` appends to, searched by comparing every
  pair, and merged into the main segment (in linear time, without sorting it again) once it
  would grow past ``merge_threshold`` hashes.

Hashes are ``uint8`` arrays of shape ``(n, 32)`` (the 64-character hex form converts with
:func:`hashes_from_hex` and :func:`hashes_to_hex`); ids are int64 chosen by the caller and are
returned as given, duplicates included. Invalid input raises ValueError. An index is not safe to
modify while another thread searches it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from amparo.match.pdq_plan import DEFAULT_RADIUS, HASH_BITS, Plan, choose_layout, plan_search
from amparo.match.pdq_segment import WORD, Found, build_segment, merge_segment, probe, scan
from amparo.match.pdq_store import HASH_BYTES, StoredIndex, load_index, save_index

DEFAULT_MERGE_THRESHOLD = 4096
PROBES_PER_CHUNK = 1 << 18
MAX_SIZE = (1 << 32) - 1  # row numbers are uint32
_HEX = re.compile("[0-9a-fA-F]*")


def hashes_from_hex(hex_hashes: Iterable[str]) -> np.ndarray:
    """PDQ hashes given as 64 hex digits each, as a ``(n, 32)`` uint8 array."""
    texts = list(hex_hashes)
    joined = "".join(texts)
    # One check and one conversion for all of them; the loop below only names a bad one.
    if not (all(len(text) == 2 * HASH_BYTES for text in texts) and _HEX.fullmatch(joined)):
        for text in texts:
            if len(text) != 2 * HASH_BYTES or not _HEX.fullmatch(text):
                raise ValueError(f"a PDQ hash is 64 hex digits, got {text!r}")
    return np.frombuffer(bytes.fromhex(joined), np.uint8).reshape(-1, HASH_BYTES).copy()


def hashes_to_hex(hashes: np.ndarray) -> list[str]:
    """The 64-hex-digit form of each row of a ``(n, 32)`` uint8 array."""
    return [row.tobytes().hex() for row in _checked_hashes(hashes, "hashes")]


@dataclass(frozen=True)
class PdqMatches:
    """One entry per (query, indexed hash) pair within the radius, as flat arrays sorted by
    query, then distance, then id."""

    query_index: np.ndarray
    ids: np.ndarray
    distances: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)

    def for_query(self, query_index: int) -> list[tuple[int, int]]:
        """(id, distance) of the matches of one query, nearest first."""
        begin, end = np.searchsorted(self.query_index, [query_index, query_index + 1])
        return list(
            zip(self.ids[begin:end].tolist(), self.distances[begin:end].tolist(), strict=True)
        )


class PdqIndex:
    """Hashes and their ids, searchable for every hash within a Hamming radius."""

    def __init__(self, *, merge_threshold: int = DEFAULT_MERGE_THRESHOLD) -> None:
        if merge_threshold < 0:
            raise ValueError(f"merge_threshold must be at least 0, got {merge_threshold}")
        empty = np.empty((0, 4), WORD)
        self._main = build_segment(empty, np.empty(0, np.int64), choose_layout(0))
        self._delta = _Delta(merge_threshold)
        self._plans: dict[int, Plan] = {}

    @classmethod
    def build(
        cls,
        hashes: np.ndarray,
        ids: Iterable[int] | np.ndarray,
        *,
        merge_threshold: int = DEFAULT_MERGE_THRESHOLD,
    ) -> PdqIndex:
        """An index of ``hashes`` (copied), sorted at once, with an empty delta."""
        index = cls(merge_threshold=merge_threshold)
        index._merge(_words(_checked_hashes(hashes, "hashes")), _checked_ids(ids, len(hashes)))
        return index

    def __len__(self) -> int:
        return len(self._main) + self._delta.size

    @property
    def nbytes(self) -> int:
        """Bytes of every array the index holds (hashes included)."""
        return self._main.nbytes + self._delta.nbytes

    def add(self, hashes: np.ndarray, ids: Iterable[int] | np.ndarray) -> None:
        """Make ``hashes`` searchable under ``ids``: appended to the delta, or merged into the
        main segment with it when the delta would outgrow its threshold."""
        words, ids = _words(_checked_hashes(hashes, "hashes")), _checked_ids(ids, len(hashes))
        if len(self) + len(words) > MAX_SIZE:
            raise ValueError(f"a PDQ index holds at most {MAX_SIZE} hashes")
        if len(words) <= self._delta.room:
            self._delta.append(words, ids)
            return
        held_words, held_ids = self._delta.contents()
        self._merge(np.concatenate([held_words, words]), np.concatenate([held_ids, ids]))
        self._delta.clear()

    def compact(self) -> None:
        """Merge the delta into the main segment now."""
        if self._delta.size:
            self._merge(*self._delta.contents())
        self._delta.clear()

    def search(self, queries: np.ndarray, radius: int = DEFAULT_RADIUS) -> PdqMatches:
        """Every indexed hash within ``radius`` (0 to 256, inclusive) of each row of ``queries``
        (a ``(q, 32)`` uint8 array), with its distance."""
        query_words = _words(_checked_hashes(queries, "queries"))
        radius = _checked_radius(radius)
        main = self._search_main(query_words, radius)
        delta_words, delta_ids = self._delta.contents()
        delta = scan(delta_words, query_words, radius)
        return _matches(main, self._main.ids, delta, delta_ids)

    def search_one(
        self, query: np.ndarray | str, radius: int = DEFAULT_RADIUS
    ) -> list[tuple[int, int]]:
        """(id, distance) of every indexed hash within ``radius`` of one hash (32 uint8 or 64 hex
        digits), nearest first."""
        queries = hashes_from_hex([query]) if isinstance(query, str) else np.asarray(query)[None]
        return self.search(queries, radius).for_query(0)

    def search_plan(self, radius: int = DEFAULT_RADIUS) -> Plan:
        """How the main segment is searched at ``radius``: the probe radius of each substring, or
        ``radii=None`` when scanning every hash is cheaper (large radii, small indexes)."""
        radius = _checked_radius(radius)
        if radius not in self._plans:
            self._plans[radius] = plan_search(self._main.layout, len(self._main), radius)
        return self._plans[radius]

    def save(self, folder: Path | str) -> None:
        """Write the index as ``.npy`` arrays and a versioned manifest into ``folder``."""
        words, ids = self._delta.contents()
        save_index(Path(folder), StoredIndex(self._main, words, ids, self._delta.capacity))

    @classmethod
    def load(cls, folder: Path | str, *, mmap: bool = True) -> PdqIndex:
        """An index saved by :meth:`save`; with ``mmap`` its main arrays stay memory-mapped
        (read-only, paged in on demand). ValueError if the folder holds no valid index."""
        stored = load_index(Path(folder), mmap=mmap)
        index = cls(merge_threshold=stored.merge_threshold)
        index._main = stored.main
        index._delta.append(stored.delta_words, stored.delta_ids)
        return index

    def _search_main(self, query_words: np.ndarray, radius: int) -> Found:
        plan = self.search_plan(radius)
        if plan.radii is None:
            return scan(self._main.words, query_words, radius)
        chunk = max(1, PROBES_PER_CHUNK // plan.probes)
        parts = [
            probe(self._main, query_words[first : first + chunk], radius, plan.radii).shifted(first)
            for first in range(0, len(query_words), chunk)
        ]
        return Found.concatenate(parts)

    def _merge(self, words: np.ndarray, ids: np.ndarray) -> None:
        layout = choose_layout(len(self._main) + len(words))
        if layout == self._main.layout:
            self._main = merge_segment(self._main, words, ids)
        else:
            all_words = np.concatenate([self._main.words, words])
            self._main = build_segment(all_words, np.concatenate([self._main.ids, ids]), layout)
        self._plans.clear()


class _Delta:
    """The unsorted hashes added since the last merge, in preallocated buffers."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.size = 0
        self._words = np.empty((capacity, 4), WORD)
        self._ids = np.empty(capacity, np.int64)

    @property
    def room(self) -> int:
        return self.capacity - self.size

    @property
    def nbytes(self) -> int:
        return self._words.nbytes + self._ids.nbytes

    def append(self, words: np.ndarray, ids: np.ndarray) -> None:
        end = self.size + len(words)
        self._words[self.size : end], self._ids[self.size : end] = words, ids
        self.size = end

    def contents(self) -> tuple[np.ndarray, np.ndarray]:
        return self._words[: self.size], self._ids[: self.size]

    def clear(self) -> None:
        self.size = 0


def _matches(main: Found, main_ids: np.ndarray, delta: Found, delta_ids: np.ndarray) -> PdqMatches:
    queries = np.concatenate([main.queries, delta.queries]).astype(np.int64)
    ids = np.concatenate([np.take(main_ids, main.rows), np.take(delta_ids, delta.rows)])
    distances = np.concatenate([main.distances, delta.distances]).astype(np.int32)
    order = np.lexsort((ids, distances, queries))
    return PdqMatches(queries[order], ids[order], distances[order])


def _checked_hashes(hashes: np.ndarray, name: str) -> np.ndarray:
    if not isinstance(hashes, np.ndarray) or hashes.dtype != np.uint8 or hashes.ndim != 2:
        described = (
            f"{hashes.dtype} array of shape {hashes.shape}"
            if isinstance(hashes, np.ndarray)
            else type(hashes).__name__
        )
        raise ValueError(f"{name} must be a uint8 array of shape (n, 32), got {described}")
    if hashes.shape[1] != HASH_BYTES:
        raise ValueError(f"{name} must be a uint8 array of shape (n, 32), got {hashes.shape}")
    return hashes


def _checked_ids(ids: Iterable[int] | np.ndarray, count: int) -> np.ndarray:
    array = np.asarray(ids if isinstance(ids, np.ndarray) else list(ids))
    if array.size == 0 and count == 0:
        return np.empty(0, np.int64)
    if array.shape != (count,) or array.dtype.kind not in "iu" or not np.can_cast(array, np.int64):
        raise ValueError(
            f"ids must be {count} integers fitting int64, got {array.dtype}{array.shape}"
        )
    return array.astype(np.int64)


def _checked_radius(radius: int) -> int:
    if isinstance(radius, bool) or not isinstance(radius, int | np.integer):
        raise ValueError(f"radius must be an integer, got {radius!r}")
    if not 0 <= radius <= HASH_BITS:
        raise ValueError(f"radius must be between 0 and {HASH_BITS}, got {radius}")
    return int(radius)


def _words(hashes: np.ndarray) -> np.ndarray:
    """The hashes as ``(n, 4)`` little-endian 64-bit words (a view where possible)."""
    return np.ascontiguousarray(hashes).view(WORD)
