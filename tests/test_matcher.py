"""The pure matching rules: statuses, suppression, best dihedral hit, clustering."""

from __future__ import annotations

import random

import pytest

from amparo.match.clusters import cluster, near_video_pairs, new_series_key
from amparo.match.matcher import (
    KNOWN,
    KNOWN_VARIANT,
    NEW,
    UNPROCESSABLE,
    EntryInfo,
    FoundMatch,
    best_pdq_matches,
    cryptographic_match,
    verdict,
)
from amparo.model import Category

BLOCK = EntryInfo(1, "block", 31, Category("vics-us", "1"))
TIGHT = EntryInfo(2, "block", 10, Category("caid-uk", "A"))
ALLOWED = EntryInfo(3, "allow", 31, None)
NON_PERTINENT = EntryInfo(4, "block", 31, Category("vics-us", "0"))


def _pdq(entry: EntryInfo, distance: int) -> FoundMatch:
    return FoundMatch(entry.entry_id, "pdq", distance, entry.threshold, "original",
                      entry.suppressing)  # fmt: skip


@pytest.mark.parametrize(
    ("matches", "kind", "problem", "status", "non_pertinent"),
    [
        ([cryptographic_match(BLOCK, "md5")], "image", None, KNOWN, False),
        ([cryptographic_match(BLOCK, "sha1")], "other", "truncated", KNOWN, False),
        ([_pdq(BLOCK, 0)], "image", None, KNOWN, False),
        ([_pdq(BLOCK, 12)], "image", None, KNOWN_VARIANT, False),
        ([_pdq(BLOCK, 12), cryptographic_match(TIGHT, "sha256")], "image", None, KNOWN, False),
        ([], "image", None, NEW, False),
        ([], "video", None, NEW, False),
        ([], "other", None, None, False),
        ([], "image", "image is truncated", UNPROCESSABLE, False),
        ([cryptographic_match(ALLOWED, "md5")], "image", None, KNOWN, True),
        ([_pdq(NON_PERTINENT, 5)], "image", None, KNOWN_VARIANT, True),
        ([_pdq(NON_PERTINENT, 0)], "image", None, KNOWN, True),
        ([FoundMatch(1, "vpdq", 0, 20, None, False)], "video", None, KNOWN_VARIANT, False),
        ([_pdq(NON_PERTINENT, 5), _pdq(BLOCK, 20)], "image", None, KNOWN_VARIANT, False),
    ],
)  # fmt: skip
def test_verdicts(
    matches: list[FoundMatch], kind: str, problem: str | None, status: str | None,
    non_pertinent: bool,
) -> None:  # fmt: skip
    result = verdict(matches, kind=kind, problem=problem)
    assert (result.status, result.non_pertinent) == (status, non_pertinent)


def test_best_dihedral_hit_per_entry_within_its_own_threshold() -> None:
    hits = [(BLOCK, 25, "original"), (BLOCK, 7, "rotate90"), (TIGHT, 11, "flipx"),
            (TIGHT, 9, "rotate180")]  # fmt: skip
    found = {m.entry_id: m for m in best_pdq_matches(hits)}
    assert (found[1].distance, found[1].transform, found[1].threshold) == (7, "rotate90", 31)
    assert (found[2].distance, found[2].transform, found[2].threshold) == (9, "rotate180", 10)
    assert best_pdq_matches([(TIGHT, 11, "original")]) == []


def test_clusters_are_connected_components() -> None:
    groups = cluster([1, 2, 3, 4, 5, 6], [(1, 2), (2, 3), (5, 4)])
    assert groups == [[1, 2, 3], [4, 5], [6]]


def test_series_keys_are_stable() -> None:
    assert new_series_key("ab" * 32) == "new:" + "ab" * 32


def _flip(hex_hash: str, bits: int) -> str:
    value = int(hex_hash, 16) ^ ((1 << bits) - 1)
    return f"{value:064x}"


def test_videos_sharing_most_frames_are_variants() -> None:
    rng = random.Random(3)
    frames = [f"{rng.getrandbits(256):064x}" for _ in range(10)]
    reencoded = [_flip(h, 9) for h in frames]
    trimmed = frames[:9]  # 9 of 10 frames: 90 % one way, 100 % the other
    excerpt = frames[:3]  # 30 % of the original: not a variant
    other = [f"{rng.getrandbits(256):064x}" for _ in range(10)]
    videos = {1: frames, 2: reencoded, 3: trimmed, 4: excerpt, 5: other}
    pairs = set(near_video_pairs(videos, radius=31))
    assert pairs == {(1, 2), (1, 3), (2, 3)}
