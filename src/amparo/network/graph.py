"""The operation's graph: persons, accounts, groups and new series as typed igraph vertices.

Edges: ``holds`` (person-account), ``member`` (account-group), ``shared`` (account-group,
weighted by the number of distinct files the account shared there, with how many were new)
and ``first_shared`` (account-series, for the accounts that shared a new series first).
Vertex names are ``kind:key`` so that a person keyed by its only account's key stays apart
from that account; ``label`` is the key itself.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from amparo.model import SeriesStatus

if TYPE_CHECKING:
    import igraph

PERSON, ACCOUNT, GROUP, SERIES = "person", "account", "group", "series"
HOLDS, MEMBER, SHARED, FIRST_SHARED = "holds", "member", "shared", "first_shared"
NEW = SeriesStatus.NEW
VERTEX_TEXT = ("name", "kind", "label", "country", "group_name")


@dataclass(frozen=True, slots=True)
class PersonNode:
    """A person: resolved from several accounts, or an unresolved account on its own."""

    key: str
    accounts: tuple[str, ...]
    country: str | None = None


@dataclass(frozen=True, slots=True)
class GroupNode:
    key: str
    name: str | None = None


@dataclass(frozen=True, slots=True)
class MemberOf:
    account: str
    group: str


@dataclass(frozen=True, slots=True)
class Share:
    """One file an account shared in a group (the earliest time it did)."""

    account: str
    group: str
    media: str
    at: datetime | None = None
    status: str | None = None
    series: str | None = None

    @property
    def new(self) -> bool:
        return self.status == NEW


@dataclass(frozen=True, slots=True)
class SeriesNode:
    """A series and the accounts that shared it first, earliest first."""

    key: str
    status: str
    first_accounts: tuple[str, ...] = ()


@dataclass(frozen=True)
class NetworkData:
    """Everything the network is built from, as plain data."""

    persons: tuple[PersonNode, ...] = ()
    groups: tuple[GroupNode, ...] = ()
    memberships: tuple[MemberOf, ...] = ()
    shares: tuple[Share, ...] = ()
    series: tuple[SeriesNode, ...] = ()

    def owners(self) -> dict[str, str]:
        """Account key → person key; an account no person holds is a person of its own."""
        owners = {a: p.key for p in self.persons for a in p.accounts}
        for account in self._mentioned_accounts():
            owners.setdefault(account, account)
        return owners

    def all_persons(self, owners: dict[str, str]) -> list[PersonNode]:
        """The persons, plus one for each account of ``owners`` that no person holds, by key."""
        held = {a for p in self.persons for a in p.accounts}
        alone = [PersonNode(a, (a,)) for a in owners if a not in held]
        return sorted([*self.persons, *alone], key=lambda p: p.key)

    def new_series(self) -> list[SeriesNode]:
        return sorted((s for s in self.series if s.status == NEW), key=lambda s: s.key)

    def _mentioned_accounts(self) -> Iterable[str]:
        yield from (m.account for m in self.memberships)
        yield from (s.account for s in self.shares)
        for series in self.new_series():
            yield from series.first_accounts


def vertex_name(kind: str, key: str) -> str:
    return f"{kind}:{key}"


@dataclass
class _Builder:
    """Vertex and edge attributes gathered column by column."""

    vertices: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    edges: list[tuple[str, str]] = field(default_factory=list)
    edge_attributes: dict[str, list[object]] = field(default_factory=lambda: defaultdict(list))

    def vertex(self, kind: str, key: str, country: str | None = None, group_name: str = "") -> None:
        values = (vertex_name(kind, key), kind, key, country or "", group_name)
        for name, value in zip(VERTEX_TEXT, values, strict=True):
            self.vertices[name].append(value)

    def edge(self, source: str, target: str, kind: str, weight: int = 1, new: int = 0) -> None:
        self.edges.append((source, target))
        self.edge_attributes["kind"].append(kind)
        self.edge_attributes["weight"].append(float(weight))
        self.edge_attributes["new_files"].append(new)

    def graph(self) -> igraph.Graph:
        import igraph  # it imports matplotlib: a second, which only building a graph needs

        index = {name: i for i, name in enumerate(self.vertices["name"])}
        graph = igraph.Graph(n=len(index), edges=[(index[a], index[b]) for a, b in self.edges])
        for name in VERTEX_TEXT:
            graph.vs[name] = self.vertices[name]
        for name in ("kind", "weight", "new_files"):
            graph.es[name] = self.edge_attributes[name]
        return graph


def build_graph(data: NetworkData) -> igraph.Graph:
    """The typed graph of ``data``: vertices by kind then key, edges by kind."""
    owners = data.owners()
    builder = _Builder()
    for person in data.all_persons(owners):
        builder.vertex(PERSON, person.key, person.country)
    for account in sorted(owners):
        builder.vertex(ACCOUNT, account)
    for group in _groups(data):
        builder.vertex(GROUP, group.key, group_name=group.name or "")
    for series in data.new_series():
        builder.vertex(SERIES, series.key)
    _add_edges(builder, data, owners)
    return builder.graph()


def _groups(data: NetworkData) -> list[GroupNode]:
    groups = {g.key: g for g in data.groups}
    for key in {m.group for m in data.memberships} | {s.group for s in data.shares}:
        groups.setdefault(key, GroupNode(key))
    return sorted(groups.values(), key=lambda g: g.key)


def _add_edges(builder: _Builder, data: NetworkData, owners: dict[str, str]) -> None:
    for account, person in sorted(owners.items()):
        builder.edge(vertex_name(PERSON, person), vertex_name(ACCOUNT, account), HOLDS)
    for account, group in sorted({(m.account, m.group) for m in data.memberships}):
        builder.edge(vertex_name(ACCOUNT, account), vertex_name(GROUP, group), MEMBER)
    for (account, group), (files, new) in sorted(shared_files(data.shares).items()):
        builder.edge(vertex_name(ACCOUNT, account), vertex_name(GROUP, group), SHARED,
                     len(files), len(new))  # fmt: skip
    for series in data.new_series():
        for account in dict.fromkeys(series.first_accounts):
            builder.edge(vertex_name(ACCOUNT, account), vertex_name(SERIES, series.key),
                         FIRST_SHARED)  # fmt: skip


def shared_files(shares: Iterable[Share]) -> dict[tuple[str, str], tuple[set[str], set[str]]]:
    """(account, group) → (the files it shared there, those of them that were new)."""
    shared: dict[tuple[str, str], tuple[set[str], set[str]]] = defaultdict(lambda: (set(), set()))
    for share in shares:
        files, new = shared[(share.account, share.group)]
        files.add(share.media)
        if share.new:
            new.add(share.media)
    return shared
