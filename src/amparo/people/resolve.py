"""Entity resolution: accounts to persons, every link with its evidence and weight.

A scored pair becomes a link only when its match probability reaches the threshold *and* its
evidence is not one weak kind alone: it needs a strong identifier (e-mail, phone, device id), or
at least two independent weak kinds (the same IP address, names, screen name, profile link),
where the same first name with the same or a similar last name counts as one kind (a similar
first name does not: siblings are often named alike); shared files add weight but never count
as a kind, since spreading the same files is what a group's members do. So a shared IP alone,
or a shared name alone, never merges two people: siblings behind one home router, subscribers
behind one carrier-grade NAT address and strangers with the same name stay apart, however the
model's weights add up.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from amparo.people.clusters import Decision, Link, Resolution, carry_keys, cluster
from amparo.people.model import ScoredPair, score_pairs
from amparo.people.records import STRONG_FEATURES, AccountRecord, build_input

THRESHOLD_PROBABILITY = 0.95
WEAK_KINDS = ("ip", "screen_names", "profile_urls")
TOKEN_OF_FEATURE = {"ip": "ip_any"}
MAX_VALUES_SHOWN = 5


def resolve(
    records: Sequence[AccountRecord],
    decisions: Iterable[Decision] = (),
    previous: Mapping[str, str] | None = None,
) -> Resolution:
    """Persons for ``records``; an analyst's decision overrides the model for its pair.

    ``previous`` (account key → person key of the last run) keeps persons' keys stable.
    """
    with collector_paused():
        resolution_input = build_input(records)
        pairs = score_pairs(resolution_input.table, THRESHOLD_PROBABILITY) if records else []
        by_key = {record.key: record for record in records}
        links = [_link(pair, by_key) for pair in pairs if independent_evidence(pair)]
        persons = cluster([record.key for record in records], links, decisions)
        carry_keys(persons, previous or {})
    return Resolution(persons, len(pairs), len(pairs) - len(links), resolution_input.common_tokens)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for the duration, then as it was.

    Resolution makes millions of small objects that live until it returns (pairs, links, their
    evidence), and every so many allocations the collector walks all live objects, the records
    included: at a million accounts that doubled the time of making the links and persons.
    Garbage with reference cycles (splink's query trees) is collected once it is back on.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def independent_evidence(pair: ScoredPair) -> bool:
    """A strong identifier, or two weak kinds of evidence that do not depend on each other.

    A strong identifier between accounts whose first names differ (a parent's e-mail on a
    child's account, a family's landline) needs one more kind of evidence besides.
    """
    names = pair.same("first_name") and pair.agrees("last_name")  # Mario and Maria: siblings
    weak = sum(pair.agrees(kind) for kind in WEAK_KINDS) + names
    if pair.strong:
        return not pair.differs("first_name") or weak >= 1 or _strong_kinds(pair) >= 2
    return weak >= 2


def _strong_kinds(pair: ScoredPair) -> int:
    return sum(pair.agrees(feature) for feature in STRONG_FEATURES)


def _link(pair: ScoredPair, records: dict[str, AccountRecord]) -> Link:
    evidence = tuple(
        _evidence(feature, level, weight, records[pair.a], records[pair.b])
        for feature, (level, weight) in sorted(pair.levels.items(), key=lambda i: -i[1][1])
    )
    return Link(pair.a, pair.b, "model", pair.weight, pair.probability, evidence)


def _evidence(
    feature: str, level: str, weight: float, a: AccountRecord, b: AccountRecord
) -> dict[str, Any]:
    return {
        "feature": feature,
        "level": level,
        "weight": weight,
        "values": _shared_values(feature, a, b) if weight > 0 else [],
    }


def _shared_values(feature: str, a: AccountRecord, b: AccountRecord) -> list[str]:
    if feature in ("first_name", "last_name"):
        return sorted({getattr(a, feature), getattr(b, feature)} - {None})
    token_feature = TOKEN_OF_FEATURE.get(feature, feature)
    shared = a.tokens(token_feature) & b.tokens(token_feature)
    return sorted(shared)[:MAX_VALUES_SHOWN]


def describe(evidence: dict[str, Any]) -> str:
    """One line an investigator reads: ``same phone number: +34555011234 (+22.4)``."""
    values = ", ".join(evidence["values"])
    weight = evidence["weight"]
    text = evidence["level"] + (f": {values}" if values else "")
    return text + (f" ({weight:+.1f})" if weight is not None else "")
