"""Confirming PDQ matches at full precision: which entries to check, and which hash matched.

Hash sets are hashed by other software, which prepares pixels otherwise than Amparo's fast hash
(see :mod:`amparo.media.pdq_preparations`). Measured on benign photos of 1-3 megapixels
(``benchmarks/pdq_interop.py``), the fast hash lies within ``PREPARATION_SPREAD`` bits of the
same file's full-size-decode hash for 99 % of photos, and closer to the resize-first hash. So an
entry within its set's threshold plus that spread of the fast hash may match a full-precision
hash of the file: such entries are *candidates*, and the file is hashed again the other tools'
ways. Each candidate matches on the closest of all preparations and transforms, when that is
within the threshold; the match records which preparation it was (ties go to the fast hash,
then in the order given).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from amparo.match.matcher import MIN_PDQ_QUALITY, EntryInfo, FoundMatch
from amparo.media.pdq import DIHEDRAL_TRANSFORMS, hamming_distance
from amparo.media.pdq_preparations import FAST, PreparedPdq

# How far the fast hash may lie from a full-precision hash of the same photo, measured on 348
# benign photos (benchmarks/results/pdq_interop.json): to the full-size decode median 6, p99 50,
# max 60 bits (the max on a brick wall; 98.7 % of 1-3 megapixel photos within 50); to the
# resize-first hash max 34. Not the max: past a radius of 81 random entries of a 10M-entry set
# come within reach of almost every file (at 91: 22 a photo), which would all be decoded in full.
PREPARATION_SPREAD = 50
# The fast hashes searched at the widened radius. The other seven dihedral hashes are searched at
# the set's threshold only: a widened query scans the whole index, 12.5 ms of one core at 10M
# entries against 0.3 for one at 31 (results/pdq_widened_search.json, pdq_scan_crossover.json).
WIDENED_TRANSFORMS = frozenset({"original"})


def candidate_radius(threshold: int) -> int:
    """How far from a fast hash an entry of a set with ``threshold`` may match at full precision."""
    return threshold + PREPARATION_SPREAD


def is_candidate(entry: EntryInfo, fast_distance: int) -> bool:
    return fast_distance <= candidate_radius(entry.threshold)


def closest_matches(
    candidates: Iterable[tuple[EntryInfo, str]], prepared: Sequence[PreparedPdq]
) -> list[FoundMatch]:
    """Per candidate ``(entry, entry's PDQ hex)``, its closest preparation and transform, when
    within the entry's threshold. ``prepared`` comes in order of preference, fast first."""
    usable = [p for p in prepared if p.quality >= MIN_PDQ_QUALITY]
    found = []
    for entry, entry_pdq in candidates:
        distance, transform, preparation = _closest(entry_pdq, usable)
        if distance <= entry.threshold:
            found.append(
                FoundMatch(entry.entry_id, "pdq", distance, entry.threshold, transform,
                           entry.suppressing, preparation=preparation)
            )  # fmt: skip
    return found


def fast_preparation(quality: int, dihedral: Sequence[str]) -> PreparedPdq:
    """The hash stage's stored hashes as a preparation among others."""
    return PreparedPdq(FAST, quality, tuple(dihedral))


def _closest(entry_pdq: str, prepared: Sequence[PreparedPdq]) -> tuple[int, str, str]:
    best = (257, "original", FAST)
    for preparation in prepared:
        for transform, pdq in zip(DIHEDRAL_TRANSFORMS, preparation.dihedral, strict=True):
            distance = hamming_distance(pdq, entry_pdq)
            if distance < best[0]:
                best = (distance, transform, preparation.preparation)
    return best
