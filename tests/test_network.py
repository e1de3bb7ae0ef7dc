"""Networks: the typed graph, Leiden communities, centrality, first sharers, cross-border links,
the store adapter on a generated operation, and the GraphML export read back by other tools."""

from __future__ import annotations

import json
import random
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import igraph
import pytest
from sqlalchemy import event, func, select

from amparo.demo import GeneratedOperation, generate_operation
from amparo.export.graphml import annotated_graph, export_graphml
from amparo.intake.ingest import ingest_paths
from amparo.model import account_key
from amparo.network import analysis
from amparo.network.analysis import analyse, person_graph, summarise, to_findings
from amparo.network.country import country_code, country_hint, phone_region
from amparo.network.graph import (
    GroupNode,
    MemberOf,
    NetworkData,
    PersonNode,
    SeriesNode,
    Share,
    build_graph,
)
from amparo.network.store import load_network
from amparo.stages.pipeline import run_pipeline
from amparo.store import tables
from amparo.workspace import Workspace

AT = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def _side(side: str, country: str | None = None) -> tuple[list[MemberOf], list[Share]]:
    """Four accounts in two groups of their own, all sharing the same two files in one."""
    members, shares = [], []
    for i in range(4):
        account = f"chat:{side}{i}"
        members += [MemberOf(account, f"chat:{side}-main"), MemberOf(account, f"chat:{side}-side")]
        shares += [Share(account, f"chat:{side}-main", f"{side}-file-{n}", AT) for n in range(2)]
    return members, shares


def two_communities() -> NetworkData:
    """Two tight circles, a... and b..., and a bridge person in one group of each.

    The bridge has two accounts (one per circle); a0 is in Spain, a1 in Mexico, a2 unknown.
    """
    members_a, shares_a = _side("a")
    members_b, shares_b = _side("b")
    bridge = [MemberOf("chat:bridge-1", "chat:a-main"), MemberOf("mail:bridge-2", "chat:b-main")]
    return NetworkData(
        persons=(
            PersonNode("person-bridge", ("chat:bridge-1", "mail:bridge-2")),
            PersonNode("chat:a0", ("chat:a0",), "ES"),
            PersonNode("chat:a1", ("chat:a1",), "MX"),
        ),
        groups=(GroupNode("chat:a-main", "Circle A"),),
        memberships=(*members_a, *members_b, *bridge),
        shares=(
            *shares_a,
            *shares_b,
            Share("mail:bridge-2", "chat:b-main", "new-1", AT, "new", "new:s1"),
            Share("chat:b0", "chat:b-main", "new-1", AT, "new", "new:s1"),
        ),
        series=(
            SeriesNode("new:s1", "new", ("mail:bridge-2", "chat:b0", "chat:bridge-1")),
            SeriesNode("known:set/7", "known", ("chat:a0",)),
        ),
    )


# --- the typed graph -----------------------------------------------------------------------


def test_the_graph_has_typed_vertices_and_edges() -> None:
    graph = build_graph(two_communities())
    kinds = Counter(graph.vs["kind"])
    assert kinds == {"person": 9, "account": 10, "group": 4, "series": 1}, "only new series"
    edges = Counter(graph.es["kind"])
    assert edges == {"holds": 10, "member": 18, "shared": 9, "first_shared": 3}
    bridge = graph.vs.find(name="person:person-bridge")
    held = {graph.vs[v]["label"] for v in graph.neighbors(bridge)}
    assert held == {"chat:bridge-1", "mail:bridge-2"}
    alone = graph.vs.find(name="person:chat:b3")
    assert [graph.vs[v]["name"] for v in graph.neighbors(alone)] == ["account:chat:b3"]
    assert graph.vs.find(name="group:chat:a-main")["group_name"] == "Circle A"


def test_shared_edges_count_files_and_new_files() -> None:
    graph = build_graph(two_communities())
    shared = {
        (graph.vs[e.source]["label"], graph.vs[e.target]["label"]): (e["weight"], e["new_files"])
        for e in graph.es.select(kind="shared")
    }
    assert shared[("chat:a0", "chat:a-main")] == (2.0, 0)
    assert shared[("chat:b0", "chat:b-main")] == (3.0, 1)
    assert shared[("mail:bridge-2", "chat:b-main")] == (1.0, 1)


def test_an_empty_network_is_an_empty_graph() -> None:
    assert build_graph(NetworkData()).vcount() == 0
    summary = analyse(NetworkData())
    assert summary.persons == 0 and summary.communities == () and summary.cross_border == ()


def test_a_network_of_nobody_is_summarised_as_the_graph_would_be() -> None:
    """Series found on seized devices alone: no person to link, and the same summary as
    building the (empty) graph gives, new series with no first sharers included."""
    data = NetworkData(series=(SeriesNode("new:s1", "new"), SeriesNode("known:set/7", "known")))
    summary = analyse(data)
    assert summary == summarise(person_graph(data), data)
    assert summary.first_sharers == {"new:s1": ()}


# --- analysis ------------------------------------------------------------------------------


def test_leiden_finds_the_two_communities() -> None:
    summary = analyse(two_communities())
    by_person = {p: c.community for p, c in summary.centrality.items()}
    a = {by_person[f"chat:a{i}"] for i in range(4)}
    b = {by_person[f"chat:b{i}"] for i in range(4)}
    assert len(a) == 1 and len(b) == 1 and a != b and None not in a | b
    assert len(summary.communities) == 2
    assert sorted(len(c.persons) for c in summary.communities) == [4, 5], "the bridge joins one"


def test_the_bridge_has_the_highest_betweenness() -> None:
    centrality = analyse(two_communities()).centrality
    ranked = sorted(centrality, key=lambda p: -centrality[p].betweenness)
    assert ranked[0] == "person-bridge"
    assert centrality["person-bridge"].betweenness == pytest.approx(16 / 28), "a-b pairs / pairs"
    assert all(0.0 <= c.betweenness <= 1.0 and 0.0 <= c.weighted_degree <= 1.0
               for c in centrality.values())  # fmt: skip
    assert max(c.weighted_degree for c in centrality.values()) == 1.0


def test_betweenness_from_sampled_sources(monkeypatch: pytest.MonkeyPatch) -> None:
    exact = analyse(two_communities())
    monkeypatch.setattr(analysis, "EXACT_BETWEENNESS_LIMIT", 3)
    monkeypatch.setattr(analysis, "SAMPLED_SOURCES", 9)
    every_source = analyse(two_communities())
    assert every_source.betweenness_sources == 9
    assert every_source.centrality == exact.centrality, "sampling all sources is exact"


def test_link_weights_count_common_groups_and_files_shared_in_them() -> None:
    projection = analyse(two_communities())
    link = next(x for x in projection.cross_border if {x.a, x.b} == {"chat:a0", "chat:a1"})
    assert link.weight == 2 + 2, "two common groups, two files both shared in one"
    assert link.groups == ("chat:a-main", "chat:a-side")


def test_results_do_not_depend_on_input_order() -> None:
    data = two_communities()
    shuffled = [list(data.memberships), list(data.shares), list(data.persons)]
    for items in shuffled:
        random.Random(3).shuffle(items)
    other = NetworkData(tuple(shuffled[2]), data.groups, tuple(shuffled[0]),
                        tuple(shuffled[1]), data.series)  # fmt: skip
    assert to_findings(analyse(other)) == to_findings(analyse(data))


def test_first_sharers_of_new_series_are_persons_earliest_first() -> None:
    summary = analyse(two_communities())
    assert summary.first_sharers == {"new:s1": ("person-bridge", "chat:b0")}, (
        "both bridge accounts are one person, named once; known series are left out"
    )


def test_cross_border_links_need_both_countries_known_and_different() -> None:
    links = analyse(two_communities()).cross_border
    assert [(x.a, x.b, x.country_a, x.country_b) for x in links] == [
        ("chat:a0", "chat:a1", "ES", "MX")
    ], "a0-a2 and a1-a2 are links too, but a2's country is unknown"


def test_a_large_group_links_nobody_and_is_listed() -> None:
    data = two_communities()
    summary = analyse(data, max_group_size=4)
    assert summary.large_groups == ("chat:a-main", "chat:b-main")
    assert summary.centrality["person-bridge"].weighted_degree == 0.0
    assert summary.centrality["chat:a0"].weighted_degree > 0, "a-side still links the a's"


def test_findings_are_json_ready() -> None:
    findings = to_findings(analyse(two_communities()))
    assert json.loads(json.dumps(findings)) == findings
    assert set(findings) == {"persons", "communities", "centrality", "first_sharers",
                             "cross_border", "large_groups", "betweenness"}  # fmt: skip
    assert findings["centrality"]["person-bridge"]["community"] in {0, 1}
    assert findings["cross_border"][0] == {
        "a": "chat:a0", "b": "chat:a1", "country_a": "ES", "country_b": "MX",
        "weight": 4.0, "groups": ["chat:a-main", "chat:a-side"],
    }  # fmt: skip
    assert findings["betweenness"] == {"exact": True, "sampled_sources": None}


# --- country hints -------------------------------------------------------------------------


def test_country_hints_are_never_guessed() -> None:
    assert country_hint(["es", "ES", "MX"]) == "ES"
    assert country_hint(["ES", "MX"]) is None, "a tie is no hint"
    assert country_hint([None, "A1"], ["+34600111222"]) == "ES", "proxies are no country"
    assert country_hint(["AR"], ["+34600111222"]) == "AR", "the platform's estimate first"
    assert country_hint([], ["not a number", "+80012345678"]) is None, "non-geographic"
    assert country_code("XK1") is None and country_code(" pt ") == "PT"
    assert phone_region("+5491123456789") == "AR"


# --- GraphML -------------------------------------------------------------------------------


def _nasty() -> NetworkData:
    data = two_communities()
    name = 'Fotos <"privadas"> & \x00\x07 más'
    return NetworkData(data.persons, (GroupNode("chat:a-main", name),), data.memberships,
                       data.shares, data.series)  # fmt: skip


def test_graphml_round_trips_through_igraph(tmp_path: Path) -> None:
    graph, _ = annotated_graph(_nasty())
    out = tmp_path / "net.graphml"
    graph.write_graphml(str(out))
    back = igraph.Graph.Read_GraphML(str(out))
    assert (back.vcount(), back.ecount()) == (graph.vcount(), graph.ecount())
    for name in ("kind", "label", "country", "community", "centrality", "weighted_degree"):
        assert name in back.vs.attributes()
        assert None not in back.vs[name]
    assert {"kind", "weight"} <= set(back.es.attributes())
    assert "co_member" in back.es["kind"]
    group = back.vs.find(label="chat:a-main")
    assert group["group_name"] == 'Fotos <"privadas"> & \ufffd\ufffd más'
    bridge = back.vs.find(label="person-bridge")
    assert bridge["centrality"] == max(back.vs["centrality"])
    accounts = back.vs.select(kind="account", label_in={"chat:a0", "chat:a1"})
    assert len(set(accounts["community"])) == 1 and accounts["community"][0] >= 0


def test_graphml_opens_in_networkx(tmp_path: Path) -> None:
    networkx = pytest.importorskip("networkx")
    graph, _ = annotated_graph(_nasty())
    out = tmp_path / "net.graphml"
    graph.write_graphml(str(out))
    back = networkx.read_graphml(out)
    assert back.number_of_nodes() == graph.vcount()
    assert back.number_of_edges() == graph.ecount()
    kinds = Counter(data["kind"] for _, data in back.nodes(data=True))
    assert kinds["person"] == 9 and kinds["series"] == 1
    assert all("weight" in data for _, _, data in back.edges(data=True))


# --- the store adapter ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def operation(tmp_path_factory: pytest.TempPathFactory) -> GeneratedOperation:
    return generate_operation(tmp_path_factory.mktemp("op") / "input", reports=30, seed=4)


@pytest.fixture
def processed(workspace: Workspace, operation: GeneratedOperation) -> Workspace:
    ingest_paths(workspace, [operation.root])
    run_pipeline(workspace, ("hash", "match", "cluster"), workers=0)
    return workspace


def _rows(workspace: Workspace, query: Any) -> list[Any]:
    with workspace.session() as session:
        return list(session.execute(query).all())


def test_the_store_is_read_in_a_few_selects(processed: Workspace) -> None:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(processed.engine, "before_cursor_execute", count)
    try:
        with processed.session() as session:
            data = load_network(session)
    finally:
        event.remove(processed.engine, "before_cursor_execute", count)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == len(statements) <= 9, "one per table read, whatever the store's size"
    assert data.persons and data.memberships and data.shares


def test_unresolved_accounts_are_persons_of_their_own(processed: Workspace) -> None:
    with processed.session() as session:
        data = load_network(session)
    rows = _rows(processed, select(tables.Account.platform, tables.Account.user_id))
    accounts = {account_key(platform, user) for platform, user in rows}
    assert {p.key for p in data.persons} == accounts
    assert all(p.accounts == (p.key,) for p in data.persons)
    m, s = tables.Membership, tables.Sighting
    memberships = _rows(processed, select(m.group_id, m.account_id).distinct())
    assert len(data.memberships) == len(memberships)
    in_groups = s.account_id.is_not(None), s.group_id.is_not(None)
    shares = _rows(
        processed, select(s.account_id, s.group_id, s.media_id).distinct().where(*in_groups)
    )
    assert len(data.shares) == len(shares) > 0


def test_countries_come_from_platform_estimates(processed: Workspace) -> None:
    with processed.session() as session:
        data = load_network(session)
        estimated = session.execute(
            select(tables.Account.platform, tables.Account.user_id, tables.Party.est_country)
            .join(tables.Party, tables.Party.account_id == tables.Account.id)
            .where(tables.Party.est_country.is_not(None))
        ).all()
    estimates: dict[str, set[str]] = defaultdict(set)
    for platform, user, country in estimated:
        estimates[account_key(platform, user)].add(country)
    countries = {p.key: p.country for p in data.persons}
    agreed = {key: next(iter(found)) for key, found in estimates.items() if len(found) == 1}
    assert agreed
    assert all(countries[key] == country for key, country in agreed.items())


def test_new_series_first_sharers_and_resolved_persons(processed: Workspace) -> None:
    first_two = select(tables.Account.id).order_by(tables.Account.id).limit(2)
    ids = [row[0] for row in _rows(processed, first_two)]
    with processed.session() as session:
        person = tables.Person(key="P-000001", resolved_at=AT)
        session.add(person)
        session.flush()
        session.add_all([tables.PersonAccount(account_id=a, person_id=person.id) for a in ids])
    with processed.session() as session:
        data = load_network(session)
        new_series = session.scalar(
            select(func.count()).select_from(tables.Series).where(tables.Series.status == "new")
        )
    merged = next(p for p in data.persons if p.key == "P-000001")
    assert len(merged.accounts) == 2
    assert not {p.key for p in data.persons} & set(merged.accounts), "no longer alone"
    summary = analyse(data)
    assert new_series and len(summary.first_sharers) == new_series
    persons = {p.key for p in data.persons}
    assert all(set(sharers) <= persons for sharers in summary.first_sharers.values())
    assert summary.communities, "the operation's groups make communities"


def test_export_graphml_writes_a_file_igraph_reads(processed: Workspace, tmp_path: Path) -> None:
    out = tmp_path / "out" / "network.graphml"
    result = export_graphml(processed, out)
    back = igraph.Graph.Read_GraphML(str(out))
    assert (back.vcount(), back.ecount()) == (result.vertices, result.edges)
    assert set(back.vs["kind"]) == {"person", "account", "group", "series"}
    assert result.summary.persons == back.vs["kind"].count("person")


def test_a_located_country_replaces_the_hint(processed: Workspace) -> None:
    run_pipeline(processed, ("resolve", "locate"))
    with processed.session() as session:
        located = dict(session.execute(
            select(tables.Person.key, tables.PersonLocation.country)
            .join(tables.PersonLocation, tables.PersonLocation.person_id == tables.Person.id)
            .where(tables.PersonLocation.chosen.is_(True))
        ).all())  # fmt: skip
        persons = {p.key: p.country for p in load_network(session).persons}
    assert located
    assert all(persons[key] == country for key, country in located.items())
