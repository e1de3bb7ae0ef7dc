"""Phone numbers and WhatsApp ids written as platforms write them change nothing: on the same
generated operation, written in E.164 or in every shape platforms use, the same persons come
out (pairwise recall and precision against the generator's truth), located and aged alike."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from amparo.demo import GeneratedOperation, generate_operation
from amparo.demo.identities import pairwise_precision_recall
from amparo.demo.isp import write_provider_answers
from amparo.export.findings import build_findings
from amparo.intake.ingest import ingest_paths
from amparo.intake.subscribers import import_subscriber_returns
from amparo.stages.pipeline import run_pipeline
from amparo.workspace import open_workspace
from tests.conftest import BACKENDS, new_database_url

REPORTS, SEED = 120, 1  # 57 accounts, 16 pairs of one person (one holds five)
MIN_RECALL, MIN_PRECISION = 0.97, 0.99
# A shape of each kind the written operation must hold, as report.xml spells it.
SHAPES = {
    "phone beside its calling code": r'<phone countryCallingCode="\+\d+">\d+<',
    "phone with + and spaces": r"<phone>\+\d+ \d",
    "phone after 00": r"<phone>00\d+<",
    "phone after 011": r"<phone>011 \d",
    "national phone beside an address country": r"<phone>555 [^<]*</phone>\s*<email>[^<]*"
    r'</email>\s*<address type="Home">',
    "national phone alone": r"<phone>555 [^<]*</phone>\s*<email>[^<]*</email>\s*<(age|date)",
    "WhatsApp id in E.164": r"<espIdentifier>\+\d+<",
    "WhatsApp id without +": r"<espIdentifier>[1-9]\d{9,}<",
    "WhatsApp id with spaces": r"<espIdentifier>\+\d+ \d",
    "WhatsApp id @s.whatsapp.net": r"<espIdentifier>\d+@s\.whatsapp\.net<",
    "WhatsApp id @c.us": r"<espIdentifier>\d+@c\.us<",
    "WhatsApp id after 00": r"<espIdentifier>00\d+<",
    "national WhatsApp id": r"<espIdentifier>555 \d",
}


@pytest.fixture(scope="module")
def operations(tmp_path_factory: pytest.TempPathFactory) -> dict[str, GeneratedOperation]:
    root = tmp_path_factory.mktemp("phones")
    return {
        shapes: generate_operation(root / shapes, reports=REPORTS, seed=SEED,
                                   messenger_reports=True, phone_shapes=shapes)
        for shapes in ("clean", "written")
    }  # fmt: skip


@pytest.fixture(scope="module", params=BACKENDS)
def outcomes(
    request: pytest.FixtureRequest,
    operations: dict[str, GeneratedOperation],
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, dict[str, Any]]:
    """Each operation ingested, resolved, answered by providers and located, on one backend."""
    outcomes = {}
    for shapes, operation in operations.items():
        folder = tmp_path_factory.mktemp(f"{shapes}-{request.param}")
        outcomes[shapes] = _process(operation, folder, new_database_url(request, folder))
    return outcomes


def _process(operation: GeneratedOperation, folder: Path, url: str) -> dict[str, Any]:
    workspace = open_workspace(folder / "workspace", database_url=url)
    try:
        summary = ingest_paths(workspace, list(operation.packages))
        assert summary.quarantined == [] and len(summary.ingested) == REPORTS
        run_pipeline(workspace, ("resolve", "locate"))
        answers = folder / "answers.csv"
        if write_provider_answers(workspace, operation.personas.values(), answers):
            import_subscriber_returns(workspace, answers)
        run_pipeline(workspace, ("locate",))
        with workspace.session() as session:
            return build_findings(session)
    finally:
        workspace.close()


def test_the_written_operation_holds_every_shape(operations: dict[str, GeneratedOperation]) -> None:
    text = "".join(
        (report.package / "report.xml").read_text(encoding="utf-8")
        for report in operations["written"].reports
        if report.package.is_dir()
    )
    assert [name for name, pattern in SHAPES.items() if not re.search(pattern, text)] == []
    clean = operations["clean"]
    assert clean.personas == operations["written"].personas  # the same operation, truth and all


def test_persons_are_found_as_with_clean_numbers(
    outcomes: dict[str, dict[str, Any]], operations: dict[str, GeneratedOperation]
) -> None:
    personas = operations["written"].personas
    number = {id(persona): n for n, persona in enumerate(dict.fromkeys(personas.values()))}
    person_of = {key: number[id(persona)] for key, persona in personas.items()}
    scores = {}
    for shapes, document in outcomes.items():
        accounts = {a["key"] for a in document["accounts"]}
        assert accounts == set(person_of), shapes  # one account per WhatsApp number, no other
        clusters = [person["accounts"] for person in document["persons"]]
        scores[shapes] = pairwise_precision_recall(clusters, person_of)
    precision, recall = scores["written"]
    assert precision >= MIN_PRECISION and recall >= MIN_RECALL, scores
    assert scores["written"] == scores["clean"]


def test_every_person_is_located_and_aged_as_with_clean_numbers(
    outcomes: dict[str, dict[str, Any]],
) -> None:
    seen = {shapes: _by_account(document) for shapes, document in outcomes.items()}
    assert seen["written"] == seen["clean"]
    located = [place for place in seen["written"].values() if place[0] is not None]
    assert len(located) >= 0.9 * len(seen["written"])


def _by_account(document: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
    """Each account's person's place and age, as the findings give them."""
    return {
        key: (p["country"], p["subdivision"], p["location_basis"], p["age"], p["minor"])
        for p in document["persons"]
        for key in p["accounts"]
    }
