"""What the network shows: communities, centrality, first sharers and cross-border links.

The graph analysed is the person-person projection: two persons are linked when their accounts
are in a common group (as members or by sharing there); the link's weight is the number of
groups they have in common plus the number of files both shared in one of them. Groups of more
than ``max_group_size`` persons (500) link nobody: a channel of hundreds says little about who
knows whom, and its clique would swamp the graph; they are listed in the summary, not dropped.

Communities are Leiden's (modularity, fixed seed: the same store gives the same communities).
Centrality is the weighted degree (1.0 for the most connected person) and the betweenness
(shortest paths over 1/weight, normalised to [0, 1]); past ``EXACT_BETWEENNESS_LIMIT`` persons it
is estimated from a seeded sample of sources, and the summary says so.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from amparo.network.graph import NetworkData

if TYPE_CHECKING:
    import igraph

SEED = 20240601
MAX_GROUP_SIZE = 500
EXACT_BETWEENNESS_LIMIT = 5000
SAMPLED_SOURCES = 200
_DIGITS = 6


@dataclass(frozen=True)
class Community:
    id: int
    persons: tuple[str, ...]


@dataclass(frozen=True)
class Centrality:
    weighted_degree: float
    betweenness: float
    community: int | None


@dataclass(frozen=True)
class CrossBorderLink:
    """Two linked persons whose country hints differ, with the groups that link them."""

    a: str
    b: str
    country_a: str
    country_b: str
    weight: float
    groups: tuple[str, ...]


@dataclass(frozen=True)
class NetworkSummary:
    persons: int
    communities: tuple[Community, ...]
    centrality: dict[str, Centrality]
    first_sharers: dict[str, tuple[str, ...]]
    cross_border: tuple[CrossBorderLink, ...]
    large_groups: tuple[str, ...] = ()
    betweenness_sources: int | None = None  # None: exact; else how many sources were sampled


@dataclass(frozen=True)
class PersonGraph:
    """The person-person projection; vertex ``name`` is the person key, ``country`` its hint."""

    graph: igraph.Graph
    groups_of: dict[str, set[str]]
    large_groups: tuple[str, ...]


def analyse(data: NetworkData, *, max_group_size: int = MAX_GROUP_SIZE) -> NetworkSummary:
    if not data.all_persons(data.owners()):
        # Nobody to link (seized devices only): no graph, and igraph (a second to import,
        # matplotlib with it) is not loaded.
        return NetworkSummary(0, (), {}, first_sharers(data), ())
    return summarise(person_graph(data, max_group_size=max_group_size), data)


def person_graph(data: NetworkData, *, max_group_size: int = MAX_GROUP_SIZE) -> PersonGraph:
    owners = data.owners()
    persons = data.all_persons(owners)
    index = {p.key: i for i, p in enumerate(persons)}
    groups_of = _groups_of(data, owners)
    large = _large_groups(groups_of, max_group_size)
    in_group = [(index[p], g) for p, groups in groups_of.items() for g in groups if g not in large]
    files = [(index[owners[s.account]], (s.group, s.media))
             for s in data.shares if s.group not in large]  # fmt: skip
    graph = _combine(
        len(persons), _project(len(persons), in_group), _project(len(persons), _at_least_two(files))
    )
    graph.vs["name"] = [p.key for p in persons]
    graph.vs["country"] = [p.country for p in persons]
    return PersonGraph(graph, groups_of, tuple(sorted(large)))


def _large_groups(groups_of: dict[str, set[str]], max_group_size: int) -> set[str]:
    sizes = Counter(g for groups in groups_of.values() for g in groups)
    return {group for group, size in sizes.items() if size > max_group_size}


def _groups_of(data: NetworkData, owners: dict[str, str]) -> dict[str, set[str]]:
    groups: dict[str, set[str]] = defaultdict(set)
    for membership in data.memberships:
        groups[owners[membership.account]].add(membership.group)
    for share in data.shares:
        groups[owners[share.account]].add(share.group)
    return groups


def _at_least_two(pairs: list[tuple[int, Any]]) -> list[tuple[int, Any]]:
    """Only the (person, item) pairs of items that two persons or more have."""
    holders: dict[Any, set[int]] = defaultdict(set)
    for person, item in pairs:
        holders[item].add(person)
    return [(p, item) for item, ps in holders.items() if len(ps) > 1 for p in ps]


def _project(persons: int, pairs: list[tuple[int, Any]]) -> igraph.Graph:
    """Persons linked by the items (groups, shared files) they have in common, and how many."""
    import igraph

    items = {item: persons + i for i, item in enumerate(dict.fromkeys(i for _, i in pairs))}
    bipartite = igraph.Graph(n=persons + len(items), edges=[(p, items[i]) for p, i in pairs])
    bipartite.simplify()
    types = [False] * persons + [True] * len(items)
    return bipartite.bipartite_projection(types=types, multiplicity=True, which=0)


def _combine(persons: int, groups: igraph.Graph, files: igraph.Graph) -> igraph.Graph:
    import igraph

    graph = igraph.Graph(n=persons, edges=groups.get_edgelist() + files.get_edgelist())
    group_counts = groups.es["weight"] if groups.ecount() else []
    file_counts = files.es["weight"] if files.ecount() else []
    graph.es["groups"] = group_counts + [0] * len(file_counts)
    graph.es["co_shared"] = [0] * len(group_counts) + file_counts
    graph.simplify(combine_edges={"groups": "sum", "co_shared": "sum"})
    graph.es["weight"] = [float(g + f) for g, f in zip(graph.es["groups"], graph.es["co_shared"],
                                                      strict=True)]  # fmt: skip
    return graph


def summarise(projection: PersonGraph, data: NetworkData) -> NetworkSummary:
    graph = projection.graph
    membership = communities(graph)
    degree, betweenness, sources = centrality(graph)
    names = graph.vs["name"]
    return NetworkSummary(
        persons=graph.vcount(),
        communities=_communities(names, membership),
        centrality={
            name: Centrality(degree[i], betweenness[i], membership[i])
            for i, name in enumerate(names)
        },
        first_sharers=first_sharers(data),
        cross_border=cross_border(projection),
        large_groups=projection.large_groups,
        betweenness_sources=sources,
    )


def communities(graph: igraph.Graph) -> list[int | None]:
    """Each vertex's community (0 the largest), or None for a vertex alone in its own."""
    if graph.vcount() == 0:
        return []
    import leidenalg

    partition = leidenalg.find_partition(
        graph, leidenalg.ModularityVertexPartition, weights="weight", seed=SEED
    )
    names = graph.vs["name"]
    found = [sorted(names[v] for v in members) for members in partition if len(members) > 1]
    ranked = sorted(found, key=lambda members: (-len(members), members[0]))
    number = {name: i for i, members in enumerate(ranked) for name in members}
    return [number.get(name) for name in names]


def _communities(names: list[str], membership: list[int | None]) -> tuple[Community, ...]:
    members: dict[int, list[str]] = defaultdict(list)
    for name, community in zip(names, membership, strict=True):
        if community is not None:
            members[community].append(name)
    return tuple(Community(i, tuple(sorted(members[i]))) for i in sorted(members))


def centrality(graph: igraph.Graph) -> tuple[list[float], list[float], int | None]:
    """Normalised weighted degree and betweenness, and the sources sampled (None: exact)."""
    n = graph.vcount()
    if graph.ecount() == 0:
        return [0.0] * n, [0.0] * n, None
    strength = graph.strength(weights="weight")
    top = max(strength)
    distances = [1.0 / w for w in graph.es["weight"]]
    sources = None
    if n > EXACT_BETWEENNESS_LIMIT:
        sources = sorted(random.Random(SEED).sample(range(n), SAMPLED_SOURCES))
    raw = graph.betweenness(directed=False, weights=distances, sources=sources)
    scale = (n / len(sources) if sources else 1.0) * (2.0 / ((n - 1) * (n - 2)) if n > 2 else 0)
    return (
        [round(s / top, _DIGITS) for s in strength],
        [round(min(b * scale, 1.0), _DIGITS) for b in raw],
        len(sources) if sources else None,
    )


def first_sharers(data: NetworkData) -> dict[str, tuple[str, ...]]:
    """Each new series' first sharers as persons, earliest first."""
    owners = data.owners()
    return {
        series.key: tuple(dict.fromkeys(owners[a] for a in series.first_accounts))
        for series in data.new_series()
    }


def cross_border(projection: PersonGraph) -> tuple[CrossBorderLink, ...]:
    """Linked persons whose country hints are both known and differ."""
    graph, groups_of = projection.graph, projection.groups_of
    names, countries = graph.vs["name"], graph.vs["country"]
    weights = graph.es["weight"] if graph.ecount() else []
    links = []
    for (a, b), weight in zip(graph.get_edgelist(), weights, strict=True):
        if countries[a] and countries[b] and countries[a] != countries[b]:
            a, b = (a, b) if names[a] < names[b] else (b, a)
            groups = tuple(sorted(groups_of[names[a]] & groups_of[names[b]]))
            links.append(CrossBorderLink(names[a], names[b], countries[a], countries[b], weight,
                                         groups))  # fmt: skip
    return tuple(sorted(links, key=lambda link: (-link.weight, link.a, link.b)))


def to_findings(summary: NetworkSummary) -> dict[str, Any]:
    """The summary as JSON-ready data for the findings document."""
    return {
        "persons": summary.persons,
        "communities": [{"id": c.id, "persons": list(c.persons)} for c in summary.communities],
        "centrality": {person: _centrality(c) for person, c in sorted(summary.centrality.items())},
        "first_sharers": {key: list(ps) for key, ps in sorted(summary.first_sharers.items())},
        "cross_border": [_link(link) for link in summary.cross_border],
        "large_groups": list(summary.large_groups),
        "betweenness": {
            "exact": summary.betweenness_sources is None,
            "sampled_sources": summary.betweenness_sources,
        },
    }


def _centrality(c: Centrality) -> dict[str, Any]:
    return {"weighted_degree": c.weighted_degree, "betweenness": c.betweenness,
            "community": c.community}  # fmt: skip


def _link(link: CrossBorderLink) -> dict[str, Any]:
    return {"a": link.a, "b": link.b, "country_a": link.country_a, "country_b": link.country_b,
            "weight": link.weight, "groups": list(link.groups)}  # fmt: skip
