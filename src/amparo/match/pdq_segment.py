"""The sorted segment of a PDQ index and the two ways to search packed hashes.

A segment holds ``n`` hashes as little-endian 64-bit words ``(n, 4)``, their ids, and per
substring a CSR-style table: ``rows[i]`` lists the row numbers ordered by substring key and
``table(i)[key]:table(i)[key + 1]`` is the bucket of ``key``. Searching is batched over the
queries; no Python loop runs per query or per candidate.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import faiss
import numpy as np

from amparo.cores import usable_cores
from amparo.match.pdq_plan import HASH_BITS, Layout, flip_masks

WORD = np.dtype("<u8")
ROW = np.dtype(np.uint32)
LOW_32_BITS = np.uint64(0xFFFF_FFFF)
HASH_BYTES = HASH_BITS // 8


@dataclass(frozen=True)
class Found:
    """Matches as flat arrays: query number, row number, distance."""

    queries: np.ndarray
    rows: np.ndarray
    distances: np.ndarray

    @classmethod
    def concatenate(cls, parts: list[Found]) -> Found:
        if not parts:
            return cls(np.empty(0, np.intp), np.empty(0, np.intp), np.empty(0, np.int16))
        return cls(
            *(np.concatenate(arrays) for arrays in zip(*(p.arrays for p in parts), strict=True))
        )

    @property
    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.queries, self.rows, self.distances

    def shifted(self, first_query: int) -> Found:
        return Found(self.queries + first_query, self.rows, self.distances)


@dataclass(frozen=True)
class Segment:
    """Hashes, ids and the multi-index tables over them."""

    words: np.ndarray
    ids: np.ndarray
    layout: Layout
    rows: np.ndarray
    tables: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def nbytes(self) -> int:
        return sum(array.nbytes for array in (self.words, self.ids, self.rows, self.tables))

    def table(self, substring: int) -> np.ndarray:
        begin = self.layout.table_starts[substring]
        return self.tables[begin : begin + self.layout.table_sizes[substring]]


def build_segment(words: np.ndarray, ids: np.ndarray, layout: Layout) -> Segment:
    """Index ``words`` from scratch."""
    rows = np.empty((len(layout.widths), len(words)), ROW)
    segment = Segment(words, ids, layout, rows, np.empty(sum(layout.table_sizes), ROW))
    for substring, width in enumerate(layout.widths):
        keys = substring_keys(words, layout, (substring,))[:, 0]
        sorted_keys, rows[substring] = _order_by_key(keys, first_row=0)
        segment.table(substring)[:] = _keys_below(sorted_keys, width)
    return segment


def merge_segment(segment: Segment, words: np.ndarray, ids: np.ndarray) -> Segment:
    """A segment holding ``segment``'s hashes then ``words``, by inserting the new rows into
    each sorted table (linear time) rather than sorting everything again."""
    layout = segment.layout
    rows = np.empty((len(layout.widths), len(segment) + len(words)), ROW)
    all_words, all_ids = np.concatenate([segment.words, words]), np.concatenate([segment.ids, ids])
    merged = Segment(all_words, all_ids, layout, rows, np.empty(segment.tables.shape, ROW))
    for substring, width in enumerate(layout.widths):
        keys = substring_keys(words, layout, (substring,))[:, 0]
        sorted_keys, new_rows = _order_by_key(keys, first_row=len(segment))
        old_table = segment.table(substring)
        bucket_ends = old_table[sorted_keys + 1].astype(np.intp)
        rows[substring] = np.insert(segment.rows[substring], bucket_ends, new_rows)
        np.add(old_table, _keys_below(sorted_keys, width), out=merged.table(substring))
    return merged


def substring_keys(words: np.ndarray, layout: Layout, substrings: tuple[int, ...]) -> np.ndarray:
    """The keys ``(n, len(substrings))`` of the listed substrings of each hash, as int64."""
    word, shift, high_shift, mask = _key_extraction(layout, substrings)
    low = words[:, word] >> shift
    high = words[:, np.minimum(word + 1, 3)] << high_shift
    return ((low | high) & mask).astype(np.int64)


def probe(segment: Segment, query_words: np.ndarray, radius: int, radii: tuple[int, ...]) -> Found:
    """Every row within ``radius`` of a query, probing substring ``i`` at radius ``radii[i]``."""
    keys = substring_keys(query_words, segment.layout, tuple(range(len(radii))))
    # One substring at a time, so that each batch of probes hits one table.
    candidates = [
        _candidates(segment, substring, keys[:, substring], substring_radius)
        for substring, substring_radius in enumerate(radii)
        if substring_radius >= 0
    ]
    rows, queries = (np.concatenate(arrays) for arrays in zip(*candidates, strict=True))
    found = verify(segment.words, rows, query_words, queries, radius)
    # A hash close in several substrings is found once in each of them.
    _, first = np.unique(found.queries * len(segment) + found.rows, return_index=True)
    return Found(found.queries[first], found.rows[first], found.distances[first])


def scan(words: np.ndarray, query_words: np.ndarray, radius: int) -> Found:
    """Every row within ``radius`` of a query, by comparing all pairs: FAISS's exact Hamming
    range search (popcounts in C++, the queries shared among OpenMP threads), reading ``words``
    where they lie, memory-mapped read-only arrays included."""
    if len(words) == 0 or len(query_words) == 0:
        return Found.concatenate([])
    # Not a thread per core of the machine (some OpenMP runtimes' default): past the cores this
    # process may use, threads only take turns and spin on each other's barriers.
    faiss.omp_set_num_threads(usable_cores())
    result = faiss.RangeSearchResult(len(query_words))
    # Any permutation of the bits, applied to both sides, keeps Hamming distances: the words'
    # bytes in memory order are valid 32-byte codes. FAISS keeps distances below its radius.
    # (faiss-cpu's stubs leave this function out.)
    faiss.hamming_range_search(  # type: ignore[attr-defined]
        _codes(query_words), _codes(words), len(query_words), len(words), radius + 1,
        HASH_BYTES, result,
    )  # fmt: skip
    return _found(result, len(query_words))


def _codes(words: np.ndarray) -> Any:
    """A pointer to the hashes' bytes for FAISS, without a copy when they are contiguous (a
    segment's words always are)."""
    return faiss.swig_ptr(np.ascontiguousarray(words).view(np.uint8))


def _found(result: faiss.RangeSearchResult, query_count: int) -> Found:
    """The range search's flat results, copied out of FAISS's buffers."""
    limits = faiss.rev_swig_ptr(result.lims, query_count + 1).astype(np.intp)
    total = int(limits[-1])
    rows = faiss.rev_swig_ptr(result.labels, total).astype(np.intp)
    distances = faiss.rev_swig_ptr(result.distances, total).astype(np.int16)
    return Found(np.repeat(np.arange(query_count), np.diff(limits)), rows, distances)


def hamming(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distances between hashes given as words along the last axis (broadcasting)."""
    bits = np.bitwise_count(a ^ b)
    # Two uint8 popcounts of 64-bit words sum to at most 128: no overflow before widening.
    return (bits[..., 0] + bits[..., 1]).astype(np.int16) + (bits[..., 2] + bits[..., 3])


@functools.cache
def _key_extraction(layout: Layout, substrings: tuple[int, ...]) -> tuple[np.ndarray, ...]:
    """Word, shifts and mask that cut each listed substring out of the 4 words of a hash."""
    starts = np.array([layout.starts[i] for i in substrings], np.int64)
    widths = np.array([layout.widths[i] for i in substrings], np.int64)
    word, shift = np.divmod(starts, 64)
    # The next word completes a substring that crosses into it; for any other substring its
    # bits land at or above the substring's width (shift 64 is avoided) and are masked away.
    high_shift = np.minimum(64 - shift, 63)
    mask = (np.int64(1) << widths) - 1
    return word, shift.astype(WORD), high_shift.astype(WORD), mask.astype(WORD)


def _candidates(
    segment: Segment, substring: int, keys: np.ndarray, substring_radius: int
) -> tuple[np.ndarray, np.ndarray]:
    """Rows in the buckets within ``substring_radius`` of each query's key, with the query."""
    masks = flip_masks(segment.layout.widths[substring], substring_radius)
    probes = (keys[:, None] ^ masks).ravel()
    table = segment.table(substring)
    first = np.take(table, probes)
    counts = np.take(table, probes + 1) - first
    hits = np.flatnonzero(counts)
    positions, queries = _expand(first[hits], counts[hits], hits // len(masks))
    return np.take(segment.rows[substring], positions), queries


def verify(
    words: np.ndarray, rows: np.ndarray, query_words: np.ndarray, queries: np.ndarray, radius: int
) -> Found:
    """The candidate pairs (``queries[j]``, ``rows[j]``) that lie within ``radius``."""
    distances = hamming(_take_rows(words, rows), np.take(query_words, queries, axis=0))
    keep = np.flatnonzero(distances <= radius)
    return Found(queries[keep], rows[keep], distances[keep])


def _take_rows(words: np.ndarray, rows: np.ndarray) -> np.ndarray:
    # Taking 32-byte items from a 1-D view is faster than taking rows along axis 0.
    items = words.view(np.dtype((np.void, words.itemsize * 4))).reshape(-1)
    return np.take(items, rows).view(words.dtype).reshape(-1, 4)


def _expand(first: np.ndarray, counts: np.ndarray, owners: np.ndarray) -> tuple[np.ndarray, ...]:
    """Bucket ranges ``first[j] .. first[j] + counts[j]`` as one flat array of positions, with the
    owner of each position."""
    ends = np.cumsum(counts, dtype=np.intp)
    total = int(ends[-1]) if len(ends) else 0
    positions = np.arange(total) + np.repeat(first + counts - ends, counts)
    return positions, np.repeat(owners, counts)


def _order_by_key(keys: np.ndarray, first_row: int) -> tuple[np.ndarray, np.ndarray]:
    """Keys sorted, and the row numbers (from ``first_row``) in that order, ties by row."""
    rows = np.arange(first_row, first_row + len(keys), dtype=np.uint64)
    packed = np.sort((keys.astype(np.uint64) << np.uint64(32)) | rows)
    return (packed >> np.uint64(32)).astype(np.intp), (packed & LOW_32_BITS).astype(ROW)


def _keys_below(sorted_keys: np.ndarray, width: int) -> np.ndarray:
    """A bucket table: entry ``k`` counts the keys below ``k``, for each of the ``2**width`` keys
    and the end."""
    boundaries = np.concatenate([[0], sorted_keys + 1, [(1 << width) + 1]])
    return np.repeat(np.arange(len(sorted_keys) + 1, dtype=ROW), np.diff(boundaries))
