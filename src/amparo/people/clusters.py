"""From accepted links to persons, obeying analysts' decisions.

Persons are the connected components of the link graph. An analyst's ``link`` adds an edge
that is never cut; an ``unlink`` that still finds its two accounts in one person (through other
accounts) removes the cheapest set of links that separates them: a minimum s-t cut weighted by
the links' match weights, so the weakest evidence gives way first.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import igraph

LINK = "link"
UNLINK = "unlink"
ANALYST_CAPACITY = 1e9
MIN_CAPACITY = 0.01


@dataclass(frozen=True)
class Decision:
    a: str
    b: str
    decision: str  # LINK or UNLINK
    analyst: str = ""
    reason: str | None = None


@dataclass(frozen=True)
class Link:
    """Why two accounts are one person; ``rule`` is ``model`` or ``analyst``."""

    a: str
    b: str
    rule: str
    weight: float
    probability: float | None
    evidence: tuple[dict[str, Any], ...]


@dataclass
class ResolvedPerson:
    key: str
    accounts: list[str]
    links: list[Link] = field(default_factory=list)


@dataclass(frozen=True)
class Resolution:
    """What resolving produced: the persons, and how many scored pairs became no link."""

    persons: list[ResolvedPerson]
    pairs_scored: int
    pairs_rejected: int  # above the threshold, but on one weak kind of evidence alone
    common_tokens: dict[str, int]


def person_key(accounts: Iterable[str]) -> str:
    """Stable while the person keeps its alphabetically first account."""
    return "person-" + hashlib.sha256(min(accounts).encode()).hexdigest()[:12]


def analyst_link(decision: Decision) -> Link:
    evidence = {"feature": "analyst", "level": f"linked by {decision.analyst or 'an analyst'}",
                "weight": None, "values": [decision.reason] if decision.reason else []}  # fmt: skip
    return Link(decision.a, decision.b, "analyst", ANALYST_CAPACITY, None, (evidence,))


def cluster(
    accounts: Sequence[str], links: Iterable[Link], decisions: Iterable[Decision]
) -> list[ResolvedPerson]:
    """Every account in exactly one person; analysts' decisions win over the model."""
    decisions = list(decisions)
    forbidden = {_pair(d.a, d.b) for d in decisions if d.decision == UNLINK}
    edges = {
        _pair(link.a, link.b): link for link in links if _pair(link.a, link.b) not in forbidden
    }
    for decision in decisions:
        if decision.decision == LINK:
            edges[_pair(decision.a, decision.b)] = analyst_link(decision)
    import igraph  # it imports matplotlib: slow, and only clustering needs it

    index = {key: position for position, key in enumerate(accounts)}
    graph = igraph.Graph(n=len(accounts), edges=[(index[a], index[b]) for a, b in edges])
    graph.es["capacity"] = [max(link.weight, MIN_CAPACITY) for link in edges.values()]
    graph.es["link"] = range(len(edges))
    _separate(graph, [(index[a], index[b]) for a, b in forbidden if a in index and b in index])
    return _persons(graph, accounts, list(edges.values()))


def _pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


def _separate(graph: igraph.Graph, forbidden: list[tuple[int, int]]) -> None:
    """Cut the cheapest links until no forbidden pair shares a component."""
    for source, target in forbidden:
        membership = graph.connected_components().membership
        if membership[source] != membership[target]:
            continue
        graph.delete_edges(graph.st_mincut(source, target, capacity="capacity").cut)


def _persons(
    graph: igraph.Graph, accounts: Sequence[str], links: list[Link]
) -> list[ResolvedPerson]:
    membership = graph.connected_components().membership
    members: dict[int, list[str]] = {}
    for position, component in enumerate(membership):
        members.setdefault(component, []).append(accounts[position])
    component_links: dict[int, list[Link]] = {}
    edge_links = graph.es["link"] if graph.ecount() else []
    for (source, _), link in zip(graph.get_edgelist(), edge_links, strict=True):
        component_links.setdefault(membership[source], []).append(links[link])
    return [
        ResolvedPerson(person_key(names), sorted(names), component_links.get(component, []))
        for component, names in members.items()
    ]


def carry_keys(persons: list[ResolvedPerson], previous: Mapping[str, str]) -> None:
    """Give each person the key of the earlier person it shares most accounts with.

    ``previous`` maps account keys to the person keys of the last resolution. A person that
    gains an account, or absorbs another, keeps its key (and so its case); each earlier key goes
    to one person only, the one with the largest share of its accounts. The others get a key
    of their own, never one already given.
    """
    overlaps = []
    for index, person in enumerate(persons):
        shared = Counter(previous[a] for a in person.accounts if a in previous)
        overlaps += [(-count, key, index) for key, count in shared.items()]
    taken: set[str] = set()
    keyed: set[int] = set()
    for _, key, index in sorted(overlaps):
        if key not in taken and index not in keyed:
            persons[index].key = key
            taken.add(key)
            keyed.add(index)
    used = taken | set(previous.values())
    for index, person in enumerate(persons):
        if index not in keyed:
            person.key = _unused_key(person.accounts, used)
            used.add(person.key)


def _unused_key(accounts: list[str], used: set[str]) -> str:
    """The usual key, or, where an earlier person whose accounts went elsewhere holds it, a
    key derived from all the accounts (and a counter, should that be taken too)."""
    key, attempt = person_key(accounts), 0
    while key in used:
        attempt += 1
        seed = "\n".join([f"#{attempt}", *sorted(accounts)])
        key = "person-" + hashlib.sha256(seed.encode()).hexdigest()[:12]
    return key
