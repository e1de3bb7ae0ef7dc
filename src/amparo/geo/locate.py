"""Where each person is: evidence of four kinds fused in order of strength, none hidden.

Kinds, strongest first: the provider's subscriber return for one of the person's IP events; the
IP lookup (with a subdivision only where a City database was configured); the platform's
estimated location; the country of the person's phone numbers. The country comes from the
strongest kind that names one (within a kind, the one most of its clues name; a tie names
none); the subdivision from the strongest kind that names one in that same country, and the
row says which kind that was. A provider's answer that may be another subscriber's (no port,
or several subscribers for one event) never places anyone: it is kept, at low confidence.
Every kind found is kept as a location row, so an analyst sees when the provider says
Alicante and the platform says Mexico.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

SUBSCRIBER, IP, PLATFORM_ESTIMATE, PHONE, NONE = (
    "subscriber", "ip", "platform_estimate", "phone", "none",
)  # fmt: skip
BASES = (SUBSCRIBER, IP, PLATFORM_ESTIMATE, PHONE)
CONFIDENCE = {SUBSCRIBER: 0.95, IP: 0.7, PLATFORM_ESTIMATE: 0.5, PHONE: 0.3}
CITY_LEVEL_IP_CONFIDENCE = 0.8
AMBIGUOUS_CONFIDENCE_FACTOR = 0.3


@dataclass(frozen=True)
class Clue:
    """One piece of evidence of where a person is, with where it came from."""

    basis: str
    country: str | None
    subdivision: str | None = None
    detail: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    ambiguous: bool = False  # a subscriber answer that may be another subscriber's


@dataclass(frozen=True)
class Location:
    """What one kind of evidence says; ``chosen`` marks the row the person is placed by."""

    basis: str
    country: str | None
    subdivision: str | None
    confidence: float
    chosen: bool
    evidence: tuple[dict[str, Any], ...]
    subdivision_basis: str | None = None
    decisive: bool = True  # False: only ambiguous answers, or a tie between countries


def fuse(clues: Iterable[Clue]) -> list[Location]:
    """One row per kind of evidence found, strongest first; at most one row is chosen."""
    by_basis: dict[str, list[Clue]] = {basis: [] for basis in BASES}
    for clue in clues:
        if clue.country:
            by_basis[clue.basis].append(clue)
    rows = [_summary(basis, found) for basis, found in by_basis.items() if found]
    deciding = next((row for row in rows if row.decisive and row.country), None)
    if deciding is None:
        return rows
    giver = next(
        (r for r in rows if r.decisive and r.subdivision and r.country == deciding.country), None
    )
    chosen = replace(
        deciding, chosen=True, subdivision=giver.subdivision if giver else None,
        subdivision_basis=giver.basis if giver else None,
    )  # fmt: skip
    return [chosen if row is deciding else row for row in rows]


def _summary(basis: str, clues: Sequence[Clue]) -> Location:
    """The country most clues of this kind name (none on a tie), and its most named subdivision.

    Firm clues decide; when a kind has only ambiguous ones, its row is kept but decides nothing.
    """
    firm = [clue for clue in clues if not clue.ambiguous] or list(clues)
    country, agreeing = _most_common(clue.country for clue in firm)
    subdivision, _ = _most_common(
        clue.subdivision for clue in firm if clue.country == country and clue.subdivision
    )
    confidence = CONFIDENCE[basis]
    if basis == IP and subdivision:
        confidence = CITY_LEVEL_IP_CONFIDENCE
    decisive = country is not None and not all(clue.ambiguous for clue in firm)
    if not decisive:
        confidence *= AMBIGUOUS_CONFIDENCE_FACTOR
    evidence = tuple(
        {"country": c.country, "subdivision": c.subdivision, "ambiguous": c.ambiguous, **c.detail}
        for c in clues
    )
    share = agreeing / len(firm)
    return Location(basis, country, subdivision, round(confidence * share, 3), False, evidence,
                    basis if subdivision else None, decisive)  # fmt: skip


def _most_common(values: Iterable[str | None]) -> tuple[str | None, int]:
    """The value named most often, with its count; None when two are named equally often."""
    ranked = Counter(value for value in values if value).most_common(2)
    if not ranked or (len(ranked) == 2 and ranked[0][1] == ranked[1][1]):
        return None, 0
    return ranked[0]


def location_basis(rows: Sequence[Location]) -> str:
    return next((row.basis for row in rows if row.chosen), NONE)
