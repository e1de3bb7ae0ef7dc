"""Where each person is: evidence of four kinds fused in order of strength, none hidden.

Kinds, strongest first: the provider's subscriber return for one of the person's IP events; the
IP lookup (with a subdivision only where a City database was configured); the platform's
estimated location; the country of the person's phone numbers. The country comes from the
strongest kind that names one (within a kind, the one most of its clues name); the subdivision
from the strongest kind that names one in that same country. Every kind found is kept as a
location row, so an analyst sees when the provider says Alicante and the platform says Mexico.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

SUBSCRIBER, IP, PLATFORM_ESTIMATE, PHONE, NONE = (
    "subscriber", "ip", "platform_estimate", "phone", "none",
)  # fmt: skip
BASES = (SUBSCRIBER, IP, PLATFORM_ESTIMATE, PHONE)
CONFIDENCE = {SUBSCRIBER: 0.95, IP: 0.7, PLATFORM_ESTIMATE: 0.5, PHONE: 0.3}
CITY_LEVEL_IP_CONFIDENCE = 0.8


@dataclass(frozen=True)
class Clue:
    """One piece of evidence of where a person is, with where it came from."""

    basis: str
    country: str | None
    subdivision: str | None = None
    detail: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class Location:
    """What one kind of evidence says; ``chosen`` marks the row the person is placed by."""

    basis: str
    country: str | None
    subdivision: str | None
    confidence: float
    chosen: bool
    evidence: tuple[dict[str, Any], ...]


def fuse(clues: Iterable[Clue]) -> list[Location]:
    """One row per kind of evidence found, strongest first; at most one row is chosen."""
    by_basis: dict[str, list[Clue]] = {basis: [] for basis in BASES}
    for clue in clues:
        if clue.country:
            by_basis[clue.basis].append(clue)
    rows = [_summary(basis, found) for basis, found in by_basis.items() if found]
    if not rows:
        return []
    country = rows[0].country
    subdivision = next(
        (row.subdivision for row in rows if row.subdivision and row.country == country), None
    )
    chosen = Location(rows[0].basis, country, subdivision, rows[0].confidence, True,
                      rows[0].evidence)  # fmt: skip
    return [chosen, *rows[1:]]


def _summary(basis: str, clues: Sequence[Clue]) -> Location:
    """The country most clues of this kind name, and its most named subdivision."""
    country, agreeing = _most_common(clue.country for clue in clues)
    subdivision, _ = _most_common(
        clue.subdivision for clue in clues if clue.country == country and clue.subdivision
    )
    confidence = CONFIDENCE[basis]
    if basis == IP and subdivision:
        confidence = CITY_LEVEL_IP_CONFIDENCE
    share = agreeing / len(clues)
    evidence = tuple(
        {"country": c.country, "subdivision": c.subdivision, **c.detail} for c in clues
    )
    return Location(basis, country, subdivision, round(confidence * share, 3), False, evidence)


def _most_common(values: Iterable[str | None]) -> tuple[str | None, int]:
    """The value named most often (ties to the alphabetically first), with its count."""
    counts = Counter(value for value in values if value)
    if not counts:
        return None, 0
    value, count = min(counts.items(), key=lambda item: (-item[1], item[0]))
    return value, count


def location_basis(rows: Sequence[Location]) -> str:
    return next((row.basis for row in rows if row.chosen), NONE)
