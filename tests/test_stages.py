"""The stage registry, every stage skipped when nothing it reads changed, and the network stage's
stored results: equal to the analysis done directly, read by triage, the findings export and
the web pages, and never older than the store."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, select, update

from amparo.cli import main
from amparo.demo import GeneratedOperation, generate_operation
from amparo.export.findings import build_findings
from amparo.export.graphml import export_graphml
from amparo.intake.dispatch import IngestOptions, ingest_inputs
from amparo.intake.hashsets import import_hash_set
from amparo.intake.ingest import ingest_paths
from amparo.network.analysis import analyse
from amparo.network.neighbourhood import load_group_neighbourhood, load_series_neighbourhood
from amparo.network.results import STAGE, current_summary, stored_summary
from amparo.network.store import load_network
from amparo.people.clusters import LINK, Decision
from amparo.stages.pipeline import run_pipeline
from amparo.stages.registry import STAGE_NAMES, STAGES
from amparo.stages.resolution import decide
from amparo.store import tables
from amparo.triage.gather import gather_facts
from amparo.web.explore import _members, _sharers
from amparo.web.network import group_network, series_network
from amparo.workspace import Workspace

NOW = datetime(2026, 1, 1, tzinfo=UTC)


# --- the registry ----------------------------------------------------------------------------


def test_stages_run_in_declared_order_after_what_they_need() -> None:
    assert STAGE_NAMES == ("hash", "match", "cluster", "resolve", "locate", "network", "score")
    for position, stage in enumerate(STAGES):
        assert set(stage.needs) <= set(STAGE_NAMES[:position]), stage.name
    needs = {stage.name: stage.needs for stage in STAGES}
    assert "network" in needs["score"] and {"cluster", "resolve", "locate"} <= set(needs["network"])


def test_process_help_lists_every_stage_from_the_registry() -> None:
    result = CliRunner().invoke(main, ["process", "--help"])
    assert result.exit_code == 0
    for stage in STAGES:
        assert f"{stage.name}: {stage.summary}" in " ".join(result.output.split())


# --- a processed operation -------------------------------------------------------------------


@pytest.fixture(scope="module")
def operation(tmp_path_factory: pytest.TempPathFactory) -> GeneratedOperation:
    root = tmp_path_factory.mktemp("op") / "input"
    return generate_operation(root, reports=40, seed=7, hash_sets=True, chat_exports=True)


@pytest.fixture
def processed(workspace: Workspace, operation: GeneratedOperation) -> Workspace:
    ingest_paths(workspace, list(operation.packages))
    for chat in operation.chat_exports:
        phone = IngestOptions(zone=ZoneInfo(chat.zone), owner=chat.owner_number)
        ingest_inputs(workspace, [chat.path], phone)
    run_pipeline(workspace, workers=0)
    return workspace


def _done(workspace: Workspace) -> dict[str, int | None]:
    return {report.stage: report.processed for report in run_pipeline(workspace, workers=0)}


def test_a_second_run_does_no_work(processed: Workspace) -> None:
    assert _done(processed) == {
        "hash": 0, "match": 0, "cluster": None, "resolve": None, "locate": None,
        "network": None, "score": None,
    }  # fmt: skip


def test_a_hash_set_reruns_matching_and_what_reads_it(
    processed: Workspace, operation: GeneratedOperation
) -> None:
    for name, path in sorted(operation.hashset_files.items()):
        import_hash_set(processed, path, name=Path(name).stem)
    done = _done(processed)
    assert done["hash"] == 0 and done["match"]
    assert done["resolve"] is None and done["locate"] is None, "persons read no match"
    assert None not in (done["cluster"], done["network"], done["score"])
    assert _done(processed)["network"] is None


def test_an_analysts_link_reruns_what_reads_persons(processed: Workspace) -> None:
    decide(processed, _first_two_linked(processed))
    done = _done(processed)
    assert done["match"] == 0 and done["cluster"] is None
    assert None not in (done["locate"], done["network"], done["score"])


# --- the stored network ----------------------------------------------------------------------


def test_stored_results_equal_the_analysis(processed: Workspace) -> None:
    with processed.session() as session:
        direct = analyse(load_network(session))
        stored = stored_summary(session)
    assert stored == direct
    assert direct.communities and direct.first_sharers and direct.cross_border


def test_readers_read_the_store_while_it_is_current(processed: Workspace, tmp_path: Path) -> None:
    with processed.session() as session:
        person = session.scalars(select(tables.Person.key).order_by(tables.Person.key)).first()
        marked = update(tables.NetworkPerson).where(tables.NetworkPerson.person == person)
        session.execute(marked.values(weighted_degree=0.42))
    with processed.session() as session:
        assert current_summary(session).centrality[person].weighted_degree == 0.42
        facts = gather_facts(session, long_known_days=365)
        persons = {p["id"]: p for p in build_findings(session)["persons"]}
    assert facts.persons[person].centrality == 0.42
    assert persons[person]["network"]["weighted_degree"] == 0.42
    graphml = export_graphml(processed, tmp_path / "network.graphml")
    assert graphml.summary.centrality[person].weighted_degree == 0.42


def test_readers_analyse_afresh_once_the_store_changed(processed: Workspace) -> None:
    with processed.session() as session:
        session.execute(update(tables.NetworkPerson).values(weighted_degree=0.42))
    decide(processed, _first_two_linked(processed))  # the resolve stage ran: persons changed
    with processed.session() as session:
        assert current_summary(session) == analyse(load_network(session))


def test_findings_are_the_same_read_from_the_store_or_analysed(processed: Workspace) -> None:
    with processed.session() as session:
        stored = build_findings(session, now=NOW)
        session.execute(delete(tables.StageRun).where(tables.StageRun.stage == STAGE))
        analysed = build_findings(session, now=NOW)
    assert stored == analysed
    assert stored["network"]["communities"]


def test_pages_read_only_their_neighbourhood_and_show_the_same(processed: Workspace) -> None:
    with processed.session() as session:
        whole = load_network(session)
        groups = sorted({m.group for m in whole.memberships} | {s.group for s in whole.shares})
        series = sorted(session.scalars(select(tables.Series.key)))
        for group in groups:
            part = load_group_neighbourhood(session, group)
            assert {m.group for m in part.memberships} | {s.group for s in part.shares} <= {group}
            assert group_network(part, group) == group_network(whole, group), group
            assert _members(part, group) == _members(whole, group), group
        for key in series:
            part = load_series_neighbourhood(session, key)
            assert {s.series for s in part.shares} <= {key}
            assert series_network(part, key) == series_network(whole, key), key
            assert _sharers(part, key) == _sharers(whole, key), key
    assert groups and series
    shown = [n["kind"] for g in groups for n in group_network(whole, g)["nodes"]]
    assert "person" in shown, "a person holding several accounts is among them"


def _first_two_linked(workspace: Workspace) -> Decision:
    with workspace.session() as session:
        rows = session.execute(
            select(tables.Account.platform, tables.Account.user_id).order_by(tables.Account.id)
        ).all()
    a, b = (f"{platform}:{user}" for platform, user in rows[:2])
    return Decision(a, b, LINK, "ana", "same person")


# --- a device-only workspace -----------------------------------------------------------------


_DEVICE_ONLY_PROCESS = """
import sys
from pathlib import Path
from amparo.intake.device import ingest_device_tree
from amparo.stages.pipeline import run_pipeline
from amparo.workspace import open_workspace

workspace = open_workspace(Path(sys.argv[1]))
ingest_device_tree(workspace, "phone-1", Path(sys.argv[2]))
reports = {report.stage: report.processed for report in run_pipeline(workspace, workers=0)}
loaded = ("pyarrow", "splink", "duckdb", "igraph", "leidenalg", "matplotlib")
heavy = sorted(name for name in loaded if name in sys.modules)
print(reports["resolve"], heavy)
"""


def test_a_device_only_workspace_does_not_load_resolution_or_graphs(tmp_path: Path) -> None:
    """Seized devices hold no accounts: the resolve and network stages have nobody to resolve
    or link, and do not load splink, DuckDB, Arrow, igraph and matplotlib (seconds of
    start-up for every ``amparo process``)."""
    dump = tmp_path / "dump" / "DCIM"
    dump.mkdir(parents=True)
    (dump / "notes.txt").write_text("shopping list")
    run = subprocess.run(
        [sys.executable, "-c", _DEVICE_ONLY_PROCESS, str(tmp_path / "ws"), str(dump.parent)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert run.stdout.split() == ["0", "[]"]
