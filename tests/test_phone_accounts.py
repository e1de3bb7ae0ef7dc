"""Phone numbers and WhatsApp ids as platforms write them: one account per number, the region of
a national number from its context (and shown), and old workspaces merged by migration 0011."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from click.testing import CliRunner
from sqlalchemy import Connection, insert, select

from amparo.cli import main
from amparo.intake.ingest import ingest_paths
from amparo.people.report import find_person
from amparo.settings import set_setting
from amparo.stages.pipeline import run_pipeline
from amparo.store import tables
from amparo.store.database import alembic_config, make_engine
from amparo.workspace import Workspace, open_workspace

SPANISH_IP = "83.32.0.10"  # Telefonica de Espana, as the bundled lookup places it
ARGENTINE_IP = "181.96.0.10"  # Telecom Argentina


def party_xml(
    esp_id: str,
    *,
    service: str = "WhatsApp",
    phone: str | None = None,
    calling_code: str | None = None,
    address: str | None = None,
    estimate: str | None = None,
    ip: str | None = None,
    first_name: str = "Ana",
) -> str:
    code = f' countryCallingCode="{calling_code}"' if calling_code else ""
    person = f"<firstName>{first_name}</firstName>"
    person += f"<phone{code}>{phone}</phone>" if phone else ""
    person += f'<address type="Home"><country>{address}</country></address>' if address else ""
    at = "<dateTime>2026-03-01T09:00:00Z</dateTime>"
    events = f"<ipCaptureEvent><ipAddress>{ip}</ipAddress>{at}</ipCaptureEvent>" if ip else ""
    place = f"<estimatedLocation><countryCode>{estimate}</countryCode></estimatedLocation>"
    return (
        f"<personOrUserReported><personOrUserReportedPerson>{person}"
        f"</personOrUserReportedPerson><espIdentifier>{esp_id}</espIdentifier>"
        f"<espService>{service}</espService>{events}{place if estimate else ''}"
        "</personOrUserReported>"
    )


def write_report(folder: Path, number: int, *parties: str) -> Path:
    package = folder / str(number)
    package.mkdir(parents=True)
    (package / "report.xml").write_text(
        "<report><incidentSummary><incidentType>Child Pornography (possession, manufacture, "
        "and distribution)</incidentType><platform>WhatsApp</platform>"
        "<incidentDateTime>2026-03-01T10:30:00Z</incidentDateTime></incidentSummary>"
        "<reporter><reportingPerson><email>safety@whatsapp.example</email></reportingPerson>"
        "</reporter>"
        + "".join(parties) + "</report>",
        encoding="utf-8",
    )  # fmt: skip
    return package


def whatsapp_ids(workspace: Workspace) -> set[str]:
    with workspace.session() as session:
        rows = session.scalars(
            select(tables.Account.user_id).where(tables.Account.platform == "whatsapp")
        )
        return set(rows)


def phones(workspace: Workspace) -> dict[str, tuple[str, str | None, str | None]]:
    """raw → (normalised, region basis, region) of every stored phone."""
    with workspace.session() as session:
        rows = session.execute(
            select(tables.Identifier.raw, tables.Identifier.normalized,
                   tables.Identifier.attributes).where(tables.Identifier.kind == "phone")
        )  # fmt: skip
        return {
            raw: (normalized, attributes.get("region_basis"), attributes.get("region"))
            for raw, normalized, attributes in rows
        }


def show(workspace: Workspace, key: str) -> str:
    """What ``amparo people show KEY`` prints for this workspace (its database, either backend)."""
    url = workspace.engine.url.render_as_string(hide_password=False)
    arguments = ["--workspace", str(workspace.root), "people", "show", key]
    result = CliRunner().invoke(main, arguments, env={"AMPARO_DATABASE_URL": url})
    assert result.exit_code == 0, result.output
    return result.output


def test_every_shape_of_a_whatsapp_id_is_one_account(workspace: Workspace, tmp_path: Path) -> None:
    shapes = ["34654961180", "+34 654 96 11 80", "34654961180@s.whatsapp.net",
              "34654961180@c.us", "0034654961180", "654 96 11 80"]  # fmt: skip
    packages = [write_report(tmp_path, 900 + n, party_xml(raw)) for n, raw in enumerate(shapes)]
    summary = ingest_paths(workspace, packages)
    assert len(summary.ingested) == len(shapes) and summary.quarantined == []
    assert whatsapp_ids(workspace) == {"+34654961180"}
    readings = phones(workspace)
    assert readings["654 96 11 80"] == ("+34654961180", "home_country", "ES")
    assert readings["34654961180@c.us"] == ("+34654961180", "international", None)


def test_a_national_number_takes_its_region_from_the_report_then_the_workspace(
    workspace: Workspace, tmp_path: Path
) -> None:
    with workspace.session() as session:
        set_setting(session, "home_country", "AR")
    parties = [
        party_xml("a", service="PhotoNet", phone="671 92 47 77", calling_code="+34", address="AR"),
        party_xml("b", service="PhotoNet", phone="671924777", address="ES", estimate="AR"),
        party_xml("c", service="PhotoNet", phone="671-924-777", estimate="ES", ip=ARGENTINE_IP),
        party_xml("d", service="PhotoNet", phone="(671) 92 47 77", ip=SPANISH_IP),
        party_xml("e", service="PhotoNet", phone="671.92.47.77"),  # home AR: not an AR number
    ]
    summary = ingest_paths(workspace, [write_report(tmp_path, 950, *parties)])
    assert summary.quarantined == []
    assert phones(workspace) == {
        "671 92 47 77": ("+34671924777", "country_calling_code", "ES"),
        "671924777": ("+34671924777", "address", "ES"),
        "671-924-777": ("+34671924777", "estimated_location", "ES"),
        "(671) 92 47 77": ("+34671924777", "ip_events", "ES"),
        "671.92.47.77": ("671924777", None, None),
    }


def test_an_unread_number_never_links_and_shows_why(workspace: Workspace, tmp_path: Path) -> None:
    parties = [party_xml(user, service="PhotoNet", phone="12 34", first_name="Ana")
               for user in ("x1", "x2")]  # fmt: skip
    parties.append(party_xml("12 34", first_name="Ana"))  # an unreadable WhatsApp id stays raw
    ingest_paths(workspace, [write_report(tmp_path, 960, *parties)])
    run_pipeline(workspace, ("resolve",))
    assert whatsapp_ids(workspace) == {"12 34"}
    with workspace.session() as session:
        person = find_person(session, "photonet:x1")
    assert person is not None and person["accounts"] == ["photonet:x1"]
    assert person["phones"] == [{"account": "photonet:x1", "raw": "12 34", "normalized": "1234",
                                 "read": False, "region_basis": None, "region": None}]  # fmt: skip
    assert "12 34 → 1234 (not read: no country known, never links)" in show(
        workspace, "photonet:x1"
    )


# --- migration 0011 on a store built at 0010 ------------------------------------------------

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
OLD_KEYS = {1: "34654961180", 2: "+34654961180", 3: "34654961180@s.whatsapp.net",
            4: "671 92 47 77", 5: "12", 6: "123"}  # fmt: skip


def build_store_at_0010(database_url: str) -> None:
    """Accounts as 0010 kept them: WhatsApp ids as written, phones read without context."""
    engine = make_engine(database_url)
    command.upgrade(alembic_config(engine), "0010")
    with engine.begin() as c:
        _fill(c)
    engine.dispose()


def _fill(c: Connection) -> None:
    c.execute(insert(tables.Source.__table__), [{"id": 1, "kind": "report_package", "path": "p",
              "received_at": T0, "status": "ingested"}])  # fmt: skip
    c.execute(insert(tables.Report.__table__), [{"id": 1, "number": "R1", "source_id": 1,
              "incident_type": "x", "incident_at_raw": "x", "annotations": [],
              "internet_details": [], "details": {}}])  # fmt: skip
    c.execute(insert(tables.Account.__table__), [
        {"id": i, "platform": "photonet" if i == 6 else "whatsapp", "user_id": u}
        for i, u in OLD_KEYS.items()
    ])  # fmt: skip
    c.execute(insert(tables.Party.__table__), [
        {"id": i, "report_id": 1, "position": i, "role": "reported", "account_id": i,
         "addresses": [], "details": {}} for i in OLD_KEYS
    ])  # fmt: skip
    c.execute(insert(tables.Identifier.__table__), [{"party_id": 1, "account_id": 1,
              "kind": "phone", "raw": "0034 654 96 11 80", "normalized": "0034654961180",
              "attributes": {}}])  # fmt: skip
    c.execute(insert(tables.IPEvent.__table__), [
        {"report_id": 1, "party_id": i, "account_id": i, "ip": "192.0.2.1", "at": T0}
        for i in (1, 2)
    ])  # fmt: skip
    c.execute(insert(tables.Group.__table__), [{"id": 1, "platform": "whatsapp", "group_id": "g"}])
    c.execute(insert(tables.Membership.__table__), [
        {"group_id": 1, "account_id": i, "source_id": 1} for i in (1, 2, 3)
    ])  # fmt: skip
    c.execute(insert(tables.Message.__table__), [{"source_id": 1, "group_id": 1, "account_id": 3,
              "position": 1, "at_raw": "x", "text": "hola", "system": False}])  # fmt: skip
    c.execute(insert(tables.LinkDecision.__table__), [
        {"account_a_id": 1, "account_b_id": 6, "decision": "link", "analyst": "eva",
         "decided_at": T0},
        {"account_a_id": 1, "account_b_id": 2, "decision": "unlink", "analyst": "eva",
         "decided_at": T0},
    ])  # fmt: skip
    c.execute(insert(tables.Person.__table__), [
        {"id": n, "key": f"person-{key}", "resolved_at": T0} for n, key in enumerate("xyz", 1)
    ])  # fmt: skip
    c.execute(insert(tables.PersonAccount.__table__), [
        {"account_id": a, "person_id": p} for a, p in ((1, 1), (6, 1), (2, 2), (3, 3))
    ])  # fmt: skip
    c.execute(insert(tables.Case.__table__), [
        {"kind": "person", "subject": "person-z", "title": "z", "status": "in_review",
         "priority_level": "high", "priority_score": 1.0, "reasons": [], "flags": [],
         "created_at": T0, "updated_at": T0}
    ])  # fmt: skip
    c.execute(insert(tables.Series.__table__), [{"key": "s1", "status": "new",
              "first_accounts": ["whatsapp:34654961180"], "groups": []}])  # fmt: skip
    c.execute(insert(tables.StageRun.__table__), [{"stage": "resolve", "fingerprint": "f",
              "finished_at": T0}])  # fmt: skip


@pytest.fixture
def migrated(database_url: str, tmp_path: Path) -> Iterator[Workspace]:
    build_store_at_0010(database_url)
    opened = open_workspace(tmp_path / "old-workspace", database_url=database_url)
    yield opened
    opened.close()


def test_migration_merges_accounts_whose_keys_now_read_as_one(migrated: Workspace) -> None:
    with migrated.session() as s:
        accounts = dict(s.execute(select(tables.Account.id, tables.Account.user_id)).all())
        assert accounts == {2: "+34654961180", 4: "+34671924777", 5: "12", 6: "123"}
        owners = set(s.scalars(select(tables.Party.account_id)))
        assert owners == {2, 4, 5, 6}
        merges = {m.from_key: (m.into_account_id, m.detail["kind"], m.reason)
                  for m in s.scalars(select(tables.AccountMerge))}  # fmt: skip
        assert set(merges) == {"whatsapp:34654961180", "whatsapp:34654961180@s.whatsapp.net",
                               "whatsapp:671 92 47 77"}  # fmt: skip
        assert merges["whatsapp:34654961180"][:2] == (2, "merged")
        assert merges["whatsapp:671 92 47 77"][:2] == (4, "renamed")
        assert "region ES from home country" in merges["whatsapp:671 92 47 77"][2]
        phone = s.execute(select(tables.Identifier.normalized, tables.Identifier.attributes)).one()
        assert phone == ("+34654961180", {"region_basis": "international", "region": None})
        assert set(s.scalars(select(tables.IPEvent.account_id))) == {2}
        assert [m.account_id for m in s.scalars(select(tables.Membership))] == [2]
        assert set(s.scalars(select(tables.Message.account_id))) == {2}
        decisions = s.execute(select(tables.LinkDecision.account_a_id,
                                     tables.LinkDecision.account_b_id,
                                     tables.LinkDecision.decision)).all()  # fmt: skip
        assert decisions == [(2, 6, "link")]  # the unlink of the two merged ids is moot
        case = s.scalars(select(tables.Case)).one()
        assert (case.subject, case.status) == ("person-y", "in_review")
        event = s.scalars(select(tables.CaseEvent)).one()
        assert event.detail["from"] == "person-z" and event.action == "subject_merged"
        assert s.scalars(select(tables.Series.first_accounts)).one() == ["whatsapp:+34654961180"]
        assert s.scalars(select(tables.StageRun)).all() == []


def test_after_migration_the_person_shows_what_was_merged(migrated: Workspace) -> None:
    run_pipeline(migrated, ("resolve",))
    with migrated.session() as session:
        person = find_person(session, "whatsapp:+34654961180")
    assert person is not None
    assert {"photonet:123", "whatsapp:+34654961180"} <= set(person["accounts"])
    assert {m["from"] for m in person["merged_accounts"]} == {
        "whatsapp:34654961180", "whatsapp:34654961180@s.whatsapp.net"
    }  # fmt: skip
    shown = show(migrated, "whatsapp:+34654961180")
    assert "merged whatsapp:34654961180 into whatsapp:+34654961180" in shown
    assert "0034 654 96 11 80 → +34654961180 (own country code)" in shown


def test_a_region_taken_from_the_context_is_no_evidence_of_place(
    workspace: Workspace, tmp_path: Path
) -> None:
    parties = [
        party_xml("p1", service="PhotoNet", phone="671 92 47 77", first_name="Ana"),  # home ES
        party_xml("p2", service="PhotoNet", phone="671 92 47 78", calling_code="+34",
                  first_name="Bea"),
    ]  # fmt: skip
    ingest_paths(workspace, [write_report(tmp_path, 970, *parties)])
    run_pipeline(workspace, ("resolve", "locate"))
    with workspace.session() as session:
        guessed, stated = (find_person(session, f"photonet:{user}") for user in ("p1", "p2"))
    assert guessed is not None and stated is not None
    assert guessed["phones"][0]["region_basis"] == "home_country"
    assert (guessed["country"], guessed["location_basis"]) == (None, "none")
    assert (stated["country"], stated["location_basis"]) == ("ES", "phone")
