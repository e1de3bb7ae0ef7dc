"""A generated operation located end to end: requests, providers' answers, places and ages.

Spanish persons are placed in their province only through the providers' subscriber returns
(two subscribers behind one carrier-grade NAT address told apart by port); foreign persons by
the offline IP lookup; ages come from reports giving an age or a date of birth.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from amparo.demo import GeneratedOperation, generate_operation
from amparo.demo.isp import write_provider_answers
from amparo.demo.people import Persona
from amparo.export.findings import build_findings, validate_findings
from amparo.intake.ingest import ingest_paths
from amparo.intake.subscribers import import_subscriber_returns
from amparo.stages.pipeline import run_pipeline
from amparo.store import tables
from amparo.workspace import Workspace

REPORTS, SEED = 150, 3


@pytest.fixture(scope="module")
def operation(tmp_path_factory: pytest.TempPathFactory) -> GeneratedOperation:
    return generate_operation(tmp_path_factory.mktemp("op") / "in", reports=REPORTS, seed=SEED)


@pytest.fixture
def located(workspace: Workspace, operation: GeneratedOperation, tmp_path: Path) -> dict:
    ingest_paths(workspace, list(operation.packages))
    run_pipeline(workspace, ("resolve", "locate"))
    answers = tmp_path / "answers.csv"
    assert write_provider_answers(workspace, operation.personas.values(), answers) > 0
    assert import_subscriber_returns(workspace, answers).used > 0
    run_pipeline(workspace, ("locate",))
    with workspace.session() as session:
        document = build_findings(session)
    validate_findings(document)
    return document


def persona_of(person: dict, personas: dict[str, Persona]) -> Persona:
    [persona] = {id(personas[key]): personas[key] for key in person["accounts"]}.values()
    return persona


def test_every_located_person_is_in_the_right_country_and_province(
    located: dict, operation: GeneratedOperation
) -> None:
    persons = [p for p in located["persons"] if p["country"] is not None]
    assert len(persons) >= 0.9 * len(located["persons"])
    for person in persons:
        persona = persona_of(person, dict(operation.personas))
        assert person["country"] == persona.locale.country_code, person
        if person["location_basis"] == "subscriber":
            assert person["subdivision"] == persona.place.subdivision, person
    spanish = [p for p in persons if p["country"] == "ES"]
    assert spanish and all(p["location_basis"] == "subscriber" for p in spanish
                           if _has_home_event(p))  # fmt: skip
    foreign = [p for p in persons if p["country"] != "ES"]
    assert foreign and all(p["location_basis"] == "ip" for p in foreign if _has_home_event(p))


def _has_home_event(person: dict) -> bool:
    return any(row["basis"] in ("subscriber", "ip") for row in person["locations"])


def test_two_subscribers_behind_one_address_are_told_apart_by_port(
    located: dict, workspace: Workspace, operation: GeneratedOperation
) -> None:
    with workspace.session() as session:
        records = session.execute(
            select(tables.SubscriberRecord.ip, tables.SubscriberRecord.port,
                   tables.SubscriberRecord.subscriber_name)
        ).all()  # fmt: skip
    names_by_ip: dict[str, set[str]] = defaultdict(set)
    for ip, port, name in records:
        if port is not None:
            names_by_ip[ip].add(name)
    shared = [ip for ip, names in names_by_ip.items() if len(names) >= 2]
    assert shared, "the operation should put two subscribers behind one CGNAT address"
    behind = [
        p for p in located["persons"]
        if any(e.get("ip") in shared for row in p["locations"] for e in row["evidence"])
        and p["location_basis"] == "subscriber"
    ]  # fmt: skip
    personas = dict(operation.personas)
    assert len({persona_of(p, personas).port_block for p in behind}) >= 2
    for person in behind:
        assert person["subdivision"] == persona_of(person, personas).place.subdivision


def test_ages_minors_and_criminal_responsibility(
    located: dict, workspace: Workspace, operation: GeneratedOperation
) -> None:
    personas = dict(operation.personas)
    incidents = _incident_dates_by_account(workspace)
    aged = [p for p in located["persons"] if p["age"] is not None]
    assert len(aged) == len(located["persons"])  # every report gives an age or a birth date
    for person in aged:
        persona = persona_of(person, personas)
        days = {
            d + timedelta(days=shift)
            for key in person["accounts"]
            for d in incidents[key]
            for shift in (-1, 0, 1)
        }  # the report's local date may be a UTC day off
        assert person["age"] in {persona.age_on(day) for day in days}
        assert person["minor"] == (person["age"] < 18)
        if person["country"] == "ES":
            assert person["criminally_responsible"] == (person["age"] >= 14)
    assert any(p["minor"] for p in aged)


def _incident_dates_by_account(workspace: Workspace) -> dict[str, set]:
    party, account, report = tables.Party, tables.Account, tables.Report
    with workspace.session() as session:
        rows = session.execute(
            select(account.platform, account.user_id, report.incident_at)
            .join(party, party.account_id == account.id).join(report, report.id == party.report_id)
        ).all()  # fmt: skip
    dates: dict[str, set] = defaultdict(set)
    for platform, user_id, at in rows:
        dates[f"{platform}:{user_id}"].add(at.date())
    return dates


def test_statistics_count_the_located_persons_exactly(located: dict) -> None:
    stats = located["stats"]
    persons = located["persons"]
    assert stats["persons"] == len(persons)
    assert stats["by_country"] == dict(Counter(p["country"] for p in persons if p["country"]))
    assert stats["by_subdivision"] == dict(
        Counter(p["subdivision"] for p in persons if p["subdivision"])
    )
    assert stats["minors"] == sum(1 for p in persons if p["minor"])


def test_foreign_persons_are_referred_to_their_country(located: dict) -> None:
    abroad = {p["country"] for p in located["persons"] if p["country"] not in (None, "ES")}
    referrals = {r["country"]: set(r["persons"]) for r in located["referrals"]}
    assert set(referrals) == abroad
    for person in located["persons"]:
        if person["country"] in referrals:
            assert person["id"] in referrals[person["country"]]
