"""The network analysis's results, stored once per change and read back by those who show them.

The network stage (``amparo.stages.network``) analyses the store's network and writes what it
found here, with a fingerprint of what it read. Triage, the findings export and the web pages
call :func:`current_summary`: the stored results while that fingerprint still holds, otherwise
(a stage run since, or the network stage never run) the analysis done afresh, so a reader never
sees results older than the store.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from amparo.network.analysis import (
    Centrality,
    Community,
    CrossBorderLink,
    NetworkSummary,
    analyse,
)
from amparo.network.graph import NetworkData
from amparo.network.store import load_network
from amparo.store import tables
from amparo.store.fingerprint import fingerprint, last_fingerprint, value_counts

STAGE = "network"
SUMMARY_ID = 1
_INPUTS = (
    tables.Account, tables.Group, tables.Membership, tables.Sighting, tables.Media,
    tables.Series, tables.Person, tables.PersonLocation, tables.Party, tables.Identifier,
)  # fmt: skip
# The stages that rewrite in place what the network reads: series, persons, chosen locations.
_UPSTREAM = ("cluster", "resolve", "locate")
_RESULTS = (
    tables.NetworkPerson, tables.NetworkCrossBorder, tables.NetworkFirstSharers,
    tables.NetworkSummary,
)  # fmt: skip


def network_fingerprint(session: Session) -> str:
    """What the network is built from: row counts and highest ids, the files' statuses and
    series (which the match and cluster stages set in place), and when upstream stages ran."""
    in_series = session.scalar(select(func.count()).where(tables.Media.series_id.is_not(None)))
    extra = [value_counts(session, tables.Media.status), f"in_series:{in_series}"]
    return fingerprint(session, _INPUTS, after=_UPSTREAM, extra=extra)


def current_summary(session: Session, data: NetworkData | None = None) -> NetworkSummary:
    """The network's summary as of now: stored when still current, else analysed here (from
    ``data`` when the caller has loaded the network already)."""
    if last_fingerprint(session, STAGE) == network_fingerprint(session):
        stored = stored_summary(session)
        if stored is not None:
            return stored
    return analyse(load_network(session) if data is None else data)


def store_summary(session: Session, summary: NetworkSummary) -> None:
    """Replace the stored results with ``summary``."""
    for table in reversed(_RESULTS):
        session.execute(delete(table))
    session.add(
        tables.NetworkSummary(
            id=SUMMARY_ID,
            persons=summary.persons,
            large_groups=list(summary.large_groups),
            betweenness_sources=summary.betweenness_sources,
        )
    )
    _insert(session, tables.NetworkPerson, [
        {"person": person, "community": c.community, "weighted_degree": c.weighted_degree,
         "betweenness": c.betweenness}
        for person, c in sorted(summary.centrality.items())
    ])  # fmt: skip
    _insert(session, tables.NetworkCrossBorder, [
        {"person_a": link.a, "person_b": link.b, "country_a": link.country_a,
         "country_b": link.country_b, "weight": link.weight, "groups": list(link.groups)}
        for link in summary.cross_border
    ])  # fmt: skip
    _insert(session, tables.NetworkFirstSharers, [
        {"series": series, "persons": list(persons)}
        for series, persons in sorted(summary.first_sharers.items())
    ])  # fmt: skip


def _insert(session: Session, table: type[tables.Base], rows: list[dict[str, object]]) -> None:
    if rows:
        session.execute(insert(table), rows)


def stored_summary(session: Session) -> NetworkSummary | None:
    """The stored results as the analysis returns them; None when there are none."""
    row = session.get(tables.NetworkSummary, SUMMARY_ID)
    if row is None:
        return None
    centrality = _centrality(session)
    return NetworkSummary(
        persons=row.persons,
        communities=_communities(centrality),
        centrality=centrality,
        first_sharers=_first_sharers(session),
        cross_border=_cross_border(session),
        large_groups=tuple(row.large_groups),
        betweenness_sources=row.betweenness_sources,
    )


def _centrality(session: Session) -> dict[str, Centrality]:
    t = tables.NetworkPerson
    rows = session.execute(
        select(t.person, t.weighted_degree, t.betweenness, t.community)
    )  # sorted here: a database's collation may order text otherwise
    return {person: Centrality(degree, between, community)
            for person, degree, between, community in sorted(rows, key=_first)}  # fmt: skip


def _communities(centrality: dict[str, Centrality]) -> tuple[Community, ...]:
    members: dict[int, list[str]] = defaultdict(list)
    for person, figures in centrality.items():
        if figures.community is not None:
            members[figures.community].append(person)
    return tuple(Community(i, tuple(sorted(members[i]))) for i in sorted(members))


def _first_sharers(session: Session) -> dict[str, tuple[str, ...]]:
    t = tables.NetworkFirstSharers
    rows = session.execute(select(t.series, t.persons))
    return {series: tuple(persons) for series, persons in sorted(rows, key=_first)}


def _cross_border(session: Session) -> tuple[CrossBorderLink, ...]:
    t = tables.NetworkCrossBorder
    rows = session.execute(
        select(t.person_a, t.person_b, t.country_a, t.country_b, t.weight, t.groups)
    )
    links = [CrossBorderLink(a, b, country_a, country_b, weight, tuple(groups))
             for a, b, country_a, country_b, weight, groups in rows]  # fmt: skip
    return tuple(sorted(links, key=lambda link: (-link.weight, link.a, link.b)))


def _first(row: Any) -> str:
    return str(row[0])
