"""The pure core of matching: which matches count, and what they make of a file.

``known``: a cryptographic match, or PDQ at distance 0, to a pertinent entry;
``known_variant``: a PDQ match within the entry's set threshold, or a vPDQ match, or a PDQ
match of one frame of an animated picture or video (it shows the known picture, it is not it);
``new``: an image or video with no match at all;
``unprocessable``: a file that could not be decoded and matched nothing.
Entries of a non-pertinent category (VICS US category 0) or of an allow list *suppress*: a file
that matches only such entries is a known false positive, ``known`` or ``known_variant`` by the
same rules with ``non_pertinent`` set, and never new material.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from amparo.media.analyse import RELIABLE_PDQ_QUALITY
from amparo.model import Category, MediaStatus

KNOWN, KNOWN_VARIANT = MediaStatus.KNOWN, MediaStatus.KNOWN_VARIANT
NEW, UNPROCESSABLE = MediaStatus.NEW, MediaStatus.UNPROCESSABLE
CRYPTOGRAPHIC = ("md5", "sha1", "sha256")
MIN_PDQ_QUALITY = RELIABLE_PDQ_QUALITY
NON_PERTINENT = Category("vics-us", "0")


@dataclass(frozen=True)
class EntryInfo:
    """What matching needs to know of a hash-set entry."""

    entry_id: int
    purpose: str
    threshold: int
    category: Category | None

    @property
    def suppressing(self) -> bool:
        return self.purpose == "allow" or self.category == NON_PERTINENT


@dataclass(frozen=True)
class FoundMatch:
    """One match; ``frame`` or ``second`` say where, when one frame of the file matched."""

    entry_id: int
    algorithm: str
    distance: int
    threshold: int
    transform: str | None
    suppressing: bool
    frame: int | None = None
    second: float | None = None
    preparation: str | None = None  # how the file's pixels were prepared for the PDQ that matched

    @property
    def by_frame(self) -> bool:
        return self.frame is not None or self.second is not None


@dataclass(frozen=True)
class Verdict:
    status: str | None
    non_pertinent: bool


def cryptographic_match(entry: EntryInfo, algorithm: str) -> FoundMatch:
    return FoundMatch(entry.entry_id, algorithm, 0, 0, None, entry.suppressing)


def best_pdq_matches(
    hits: Iterable[tuple[EntryInfo, int, str]],
) -> list[FoundMatch]:
    """Per entry, the closest of the dihedral hits ``(entry, distance, transform)`` in range."""
    best: dict[int, tuple[int, str, EntryInfo]] = {}
    for entry, distance, transform in hits:
        if distance > entry.threshold:
            continue
        if entry.entry_id not in best or distance < best[entry.entry_id][0]:
            best[entry.entry_id] = (distance, transform, entry)
    return [
        FoundMatch(e.entry_id, "pdq", d, e.threshold, t, e.suppressing, preparation="fast")
        for d, t, e in best.values()
    ]


def _closeness(matches: list[FoundMatch]) -> str:
    exact = any(m.algorithm in CRYPTOGRAPHIC or _exact_pdq(m) for m in matches)
    return KNOWN if exact else KNOWN_VARIANT


def _exact_pdq(match: FoundMatch) -> bool:
    return match.algorithm == "pdq" and match.distance == 0 and not match.by_frame


def verdict(matches: list[FoundMatch], *, kind: str, problem: str | None) -> Verdict:
    """The status of a file given all its matches (see the module docstring)."""
    counted = [m for m in matches if not m.suppressing]
    if counted:
        return Verdict(_closeness(counted), False)
    if matches:
        return Verdict(_closeness(matches), True)
    if problem is not None:
        return Verdict(UNPROCESSABLE, False)
    return Verdict(NEW if kind in {"image", "video"} else None, False)
