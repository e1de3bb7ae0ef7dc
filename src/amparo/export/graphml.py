"""``amparo export graphml``: the annotated network as GraphML, for Gephi and similar tools.

Vertices (``kind`` person, account, group or series; ``label`` its key) carry ``country`` (the
person's country hint), ``community`` (the person's Leiden community, which its accounts share;
-1 for none), ``centrality`` (normalised betweenness) and ``weighted_degree`` of persons. Edges
carry ``kind`` and ``weight``; ``co_member`` edges are the person-person links the analysis ran
on. No attribute is ever missing: unknown text is the empty string, unknown numbers -1 or 0.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import igraph

from amparo.errors import ExportError
from amparo.network.analysis import Centrality, NetworkSummary, person_graph, summarise
from amparo.network.graph import (
    ACCOUNT,
    PERSON,
    VERTEX_TEXT,
    NetworkData,
    build_graph,
    vertex_name,
)
from amparo.network.results import current_summary
from amparo.network.store import load_network
from amparo.workspace import Workspace

CO_MEMBER = "co_member"
NO_COMMUNITY = -1
_NONE = Centrality(0.0, 0.0, None)
# Characters XML 1.0 cannot carry, even escaped.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class GraphmlExport:
    vertices: int
    edges: int
    summary: NetworkSummary


def annotated_graph(
    data: NetworkData, summary: NetworkSummary | None = None
) -> tuple[igraph.Graph, NetworkSummary]:
    """The typed graph with the analysis (``summary``, or done here) written on its vertices
    and person-person edges."""
    graph = build_graph(data)
    projection = person_graph(data)
    if summary is None:
        summary = summarise(projection, data)
    _annotate_vertices(graph, summary, data.owners())
    _add_person_links(graph, projection.graph)
    for name in VERTEX_TEXT:
        graph.vs[name] = [xml_safe(value) for value in graph.vs[name]]
    return graph, summary


def xml_safe(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _annotate_vertices(
    graph: igraph.Graph, summary: NetworkSummary, owners: dict[str, str]
) -> None:
    """Persons get their own figures; accounts their person's community; others nothing."""
    community, betweenness, degree = [], [], []
    for kind, label in zip(graph.vs["kind"], graph.vs["label"], strict=True):
        person = label if kind == PERSON else owners.get(label, "") if kind == ACCOUNT else ""
        figures = summary.centrality.get(person, _NONE)
        community.append(NO_COMMUNITY if figures.community is None else figures.community)
        betweenness.append(figures.betweenness if kind == PERSON else 0.0)
        degree.append(figures.weighted_degree if kind == PERSON else 0.0)
    graph.vs["community"], graph.vs["centrality"] = community, betweenness
    graph.vs["weighted_degree"] = degree


def _add_person_links(graph: igraph.Graph, links: igraph.Graph) -> None:
    names, count = links.vs["name"], links.ecount()
    index = {name: i for i, name in enumerate(graph.vs["name"])}
    before = {name: graph.es[name] for name in graph.es.attributes()}
    graph.add_edges(
        (index[vertex_name(PERSON, names[a])], index[vertex_name(PERSON, names[b])])
        for a, b in links.get_edgelist()
    )
    added = {name: links.es[name] if count else [] for name in ("weight", "groups", "co_shared")}
    graph.es["kind"] = before["kind"] + [CO_MEMBER] * count
    graph.es["weight"] = before["weight"] + added["weight"]
    graph.es["new_files"] = before["new_files"] + [0] * count
    graph.es["groups"] = [0] * len(before["kind"]) + added["groups"]
    graph.es["co_shared"] = [0] * len(before["kind"]) + added["co_shared"]


def export_graphml(workspace: Workspace, out: Path) -> GraphmlExport:
    """Write the workspace's network to ``out`` as GraphML."""
    with workspace.session() as session:
        data = load_network(session)
        stored = current_summary(session, data)
    graph, summary = annotated_graph(data, stored)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        graph.write_graphml(str(out))
    except (OSError, igraph.InternalError) as error:
        raise ExportError(f"cannot write {out}: {error}") from error
    return GraphmlExport(graph.vcount(), graph.ecount(), summary)
