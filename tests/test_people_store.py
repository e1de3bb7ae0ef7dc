"""Resolving a generated operation's accounts in the store, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from itertools import combinations, pairwise
from pathlib import Path

import pytest
from click.testing import CliRunner

from amparo.cli import main
from amparo.demo import GeneratedOperation, generate_operation
from amparo.demo.people import Persona
from amparo.export.findings import build_findings, validate_findings
from amparo.intake.ingest import ingest_paths
from amparo.people.clusters import LINK, UNLINK, Decision
from amparo.stages.resolution import decide, run_resolve_stage
from amparo.workspace import Workspace

REPORTS, SEED = 400, 11


@pytest.fixture(scope="module")
def operation(tmp_path_factory: pytest.TempPathFactory) -> GeneratedOperation:
    return generate_operation(tmp_path_factory.mktemp("op") / "input", reports=REPORTS, seed=SEED)


@pytest.fixture(scope="module")
def personas(operation: GeneratedOperation) -> dict[str, Persona]:
    """The ground truth: the made-up human behind each account the reports name."""
    return dict(operation.personas)


def resolve_operation(workspace: Workspace, packages: list[Path]) -> dict[str, str]:
    """Ingest ``packages``, resolve, and give each account's person from the findings."""
    ingest_paths(workspace, packages)
    assert run_resolve_stage(workspace) is not None
    with workspace.session() as session:
        document = build_findings(session)
    validate_findings(document)
    holders = {key: p["id"] for p in document["persons"] for key in p["accounts"]}
    accounts = {a["key"]: a["person"] for a in document["accounts"]}
    assert holders == accounts
    assert document["stats"]["persons"] == len(document["persons"])
    linked = [p for p in document["persons"] if len(p["accounts"]) > 1]
    assert linked and all(p["links"] and p["links"][0]["evidence"] for p in linked)
    in_communities = {key for c in document["network"]["communities"] for key in c["persons"]}
    assert in_communities and in_communities <= set(holders.values())
    assert all(p["network"]["community"] is not None for p in document["persons"]
               if p["id"] in in_communities)  # fmt: skip
    return accounts


def pairs(groups: dict[str, object]) -> set[tuple[str, str]]:
    return {(a, b) for a, b in combinations(sorted(groups), 2) if groups[a] == groups[b]}


def test_a_generated_operation_resolves_right(
    workspace: Workspace, operation: GeneratedOperation, personas: dict[str, Persona]
) -> None:
    resolved = resolve_operation(workspace, list(operation.packages))
    truth = {key: id(personas[key]) for key in resolved}
    true_pairs, found_pairs = pairs(truth), pairs(resolved)
    correct = len(true_pairs & found_pairs)
    assert correct / len(found_pairs) >= 0.99  # pairwise precision
    assert correct / len(true_pairs) >= 0.95  # pairwise recall
    _assert_households_and_namesakes_apart(resolved, personas)
    assert run_resolve_stage(workspace) is None  # nothing new: skipped


def _assert_households_and_namesakes_apart(
    resolved: dict[str, str], personas: dict[str, Persona]
) -> None:
    def people_who(share: object) -> set[tuple[str, str]]:
        return {
            (a, b) for a, b in combinations(sorted(resolved), 2)
            if personas[a] != personas[b] and share(personas[a], personas[b])
        }  # fmt: skip

    households = people_who(lambda a, b: a.home_ips == b.home_ips)
    namesakes = people_who(lambda a, b: (a.first_name, a.last_name) == (b.first_name, b.last_name))
    assert households and namesakes
    assert all(resolved[a] != resolved[b] for a, b in households | namesakes)


def test_analysts_decisions_survive_reruns(
    workspace: Workspace, operation: GeneratedOperation
) -> None:
    resolved = resolve_operation(workspace, list(operation.packages[:80]))
    a, b = next(iter(sorted(pairs(resolved))))
    persons = decide(workspace, Decision(a, b, UNLINK, "inspector", "different voices"))
    assert len(persons) == 2
    assert run_resolve_stage(workspace, force=True) is not None
    assert _person_of(workspace, a) != _person_of(workspace, b)
    keys = sorted(resolved)
    strangers = next((x, y) for x, y in pairwise(keys) if resolved[x] != resolved[y])
    decide(workspace, Decision(*strangers, LINK, "inspector"))
    assert run_resolve_stage(workspace, force=True) is not None
    assert _person_of(workspace, strangers[0]) == _person_of(workspace, strangers[1])


def _person_of(workspace: Workspace, key: str) -> str:
    with workspace.session() as session:
        accounts = build_findings(session)["accounts"]
    return next(a["person"] for a in accounts if a["key"] == key)


def test_people_commands(tmp_path: Path, operation: GeneratedOperation) -> None:
    runner, workspace = CliRunner(), ["-w", str(tmp_path / "ws")]
    packages = [str(path) for path in operation.packages[:40]]
    assert runner.invoke(main, [*workspace, "ingest", *packages]).exit_code == 0
    assert runner.invoke(main, [*workspace, "process", "--stage", "resolve"]).exit_code == 0
    document = runner.invoke(main, [*workspace, "export", "findings", "-o", str(tmp_path / "f")])
    assert document.exit_code == 0
    a, b = (a["key"] for a in _accounts(tmp_path / "f")[:2])
    linked = runner.invoke(main, [*workspace, "people", "link", a, b, "--reason", "same face"])
    assert linked.exit_code == 0, linked.output
    assert "analyst" in linked.output and "same face" in linked.output
    shown = runner.invoke(main, [*workspace, "people", "show", a])
    assert shown.exit_code == 0 and b in shown.output
    unknown = runner.invoke(main, [*workspace, "people", "unlink", a, "photonet:nobody"])
    assert unknown.exit_code == 1 and "no account 'photonet:nobody'" in unknown.output


def _accounts(path: Path) -> list[dict[str, str]]:
    return json.loads(path.read_text())["accounts"]
