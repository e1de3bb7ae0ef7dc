"""The neighbourhood of one group or one series, as nodes and edges for the network view.

Nodes are the group (or series), the accounts that are members or shared files there, the
groups a series was shared in, and the persons holding those accounts (a person resolved
from several accounts is a node of its own; an unresolved account stands for itself).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from amparo.network.graph import NetworkData, Share
from amparo.web.render import key_url


def group_network(data: NetworkData, group: str) -> dict[str, Any]:
    builder = _Builder(data)
    builder.node("group", group, href=f"/groups/{key_url(group)}", centre=True)
    for member in data.memberships:
        if member.group == group:
            builder.account(member.account)
            builder.edge(f"account:{member.account}", f"group:{group}", "member")
    for (account, _), files in _files(s for s in data.shares if s.group == group).items():
        builder.account(account)
        builder.edge(f"account:{account}", f"group:{group}", "shared", len(files))
    return builder.document()


def series_network(data: NetworkData, series: str) -> dict[str, Any]:
    builder = _Builder(data)
    builder.node("series", series, href=f"/series/{key_url(series)}", centre=True)
    first = {a for s in data.series if s.key == series for a in s.first_accounts}
    shares = [s for s in data.shares if s.series == series]
    for account in first:
        builder.account(account, first=True)
        builder.edge(f"account:{account}", f"series:{series}", "first_shared")
    for (account, group), files in _files(shares).items():
        builder.account(account, first=account in first)
        builder.node("group", group, href=f"/groups/{key_url(group)}")
        builder.edge(f"account:{account}", f"group:{group}", "shared", len(files))
        builder.edge(f"group:{group}", f"series:{series}", "contains", len(files))
    return builder.document()


def _files(shares: Any) -> dict[tuple[str, str], set[str]]:
    files: dict[tuple[str, str], set[str]] = defaultdict(set)
    share: Share
    for share in shares:
        files[(share.account, share.group)].add(share.media)
    return files


class _Builder:
    def __init__(self, data: NetworkData) -> None:
        self.owners = data.owners()
        self.resolved = {p.key for p in data.persons if len(p.accounts) > 1}
        self.nodes: dict[str, dict[str, Any]] = {}
        self.edges: dict[tuple[str, str, str], int] = {}

    def node(self, kind: str, key: str, **extra: Any) -> str:
        node_id = f"{kind}:{key}"
        node = self.nodes.setdefault(node_id, {"id": node_id, "kind": kind, "label": key})
        node.update({k: v for k, v in extra.items() if v})
        return node_id

    def account(self, account: str, *, first: bool = False) -> None:
        person = self.owners.get(account, account)
        self.node("account", account, first=first, person=person)
        if person in self.resolved:
            self.node("person", person)
            self.edge(f"person:{person}", f"account:{account}", "holds")

    def edge(self, source: str, target: str, kind: str, weight: int = 1) -> None:
        key = (source, target, kind)
        self.edges[key] = max(self.edges.get(key, 0), weight)

    def document(self) -> dict[str, Any]:
        return {
            "nodes": sorted(self.nodes.values(), key=lambda n: n["id"]),
            "edges": [
                {"source": s, "target": t, "kind": k, "weight": w}
                for (s, t, k), w in sorted(self.edges.items())
            ],
        }
