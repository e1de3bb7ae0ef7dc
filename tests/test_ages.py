"""Ages at the incident, minors, the age-of-criminal-responsibility table and the routes that
follow, and the adapter that writes PersonAge rows (on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pycountry
import pytest
from sqlalchemy import select

from amparo.errors import InvalidInput
from amparo.geo.ages import (
    CHILD_PROTECTION,
    JUVENILE_PROSECUTOR,
    PROSECUTION,
    REPORT,
    SUBSCRIBER,
    UNKNOWN,
    AgeObservation,
    ResponsibilityRule,
    ResponsibilityTable,
    age_at,
    assess,
    assess_ages,
    local_date,
    responsibility_table,
    route,
)
from amparo.store import tables
from amparo.workspace import Workspace

AT = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


# --- age at the incident -------------------------------------------------------------------


def test_stated_age_is_taken_as_it_is() -> None:
    assert age_at(date(2024, 5, 1), age=15) == (15, "age")


def test_date_of_birth_gives_the_age_on_the_incident_day() -> None:
    born = date(2010, 6, 15)
    assert age_at(date(2024, 6, 14), date_of_birth=born) == (13, "date_of_birth")
    assert age_at(date(2024, 6, 15), date_of_birth=born) == (14, "date_of_birth")
    assert age_at(date(2024, 6, 16), date_of_birth=born) == (14, "date_of_birth")


def test_date_of_birth_wins_over_a_stated_age() -> None:
    assert age_at(date(2024, 6, 15), age=16, date_of_birth=date(2010, 6, 15)) == (
        14,
        "date_of_birth",
    )


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (date(2023, 2, 28), 14),  # not a leap year: the birthday falls on 1 March
        (date(2023, 3, 1), 15),
        (date(2024, 2, 28), 15),
        (date(2024, 2, 29), 16),  # a leap year: the birthday itself
    ],
)
def test_leap_day_birthdays(on: date, expected: int) -> None:
    assert age_at(on, date_of_birth=date(2008, 2, 29)) == (expected, "date_of_birth")


def test_leap_day_child_turns_fourteen_in_spain_on_1_march() -> None:
    born = date(2008, 2, 29)
    before = assess([_report(on=date(2022, 2, 28), date_of_birth=born)], "ES")
    after = assess([_report(on=date(2022, 3, 1), date_of_birth=born)], "ES")
    assert (before.age, before.criminally_responsible) == (13, False)
    assert (after.age, after.criminally_responsible) == (14, True)


def test_without_incident_date_a_date_of_birth_alone_gives_nothing() -> None:
    assert age_at(None, date_of_birth=date(2010, 1, 1)) == (None, None)
    assert age_at(None, age=12, date_of_birth=date(2010, 1, 1)) == (12, "age")


def test_implausible_values_are_ignored() -> None:
    assert age_at(date(2024, 1, 1), date_of_birth=date(2025, 1, 1)) == (None, None)
    assert age_at(date(2024, 1, 1), age=-3) == (None, None)
    assert age_at(date(2024, 1, 1), age=400) == (None, None)
    assert age_at(date(2024, 1, 1), age=15, date_of_birth=date(2030, 1, 1)) == (15, "age")


def test_local_date_uses_the_offset_of_the_input() -> None:
    late = datetime(2024, 6, 14, 23, 30, tzinfo=UTC)  # 01:30 on the 15th in Madrid (UTC+2)
    assert local_date(late, 120) == date(2024, 6, 15)
    assert local_date(late, None) == date(2024, 6, 14)
    assert local_date(None, 60) is None


# --- minors, responsibility and routes -----------------------------------------------------


def _report(
    age: int | None = None, on: date = date(2024, 6, 1), number: str = "1", **kw
) -> AgeObservation:
    return AgeObservation(REPORT, number, on, age, kw.get("date_of_birth"))


@pytest.mark.parametrize(("age", "minor"), [(17, True), (18, False), (0, True), (40, False)])
def test_minor_means_under_18(age: int, minor: bool) -> None:
    assert assess([_report(age)], "ES").minor is minor


@pytest.mark.parametrize(
    ("age", "responsible", "where"),
    [(13, False, CHILD_PROTECTION), (14, True, JUVENILE_PROSECUTOR), (18, True, PROSECUTION)],
)
def test_spanish_responsibility_boundary(age: int, responsible: bool, where: str) -> None:
    result = assess([_report(age)], "ES", "ES-A")
    assert result.responsibility_age == 14
    assert result.criminally_responsible is responsible
    assert result.route == where


def test_spanish_boundary_on_the_fourteenth_birthday() -> None:
    born = date(2010, 6, 15)
    day_before = assess([_report(on=date(2024, 6, 14), date_of_birth=born)], "ES")
    birthday = assess([_report(on=date(2024, 6, 15), date_of_birth=born)], "ES")
    assert (day_before.age, day_before.criminally_responsible) == (13, False)
    assert (birthday.age, birthday.criminally_responsible) == (14, True)


def test_unknown_country_or_rule_or_age_gives_no_responsibility() -> None:
    assert assess([_report(12)], None).criminally_responsible is None
    nowhere = assess([_report(12)], "AQ")  # Antarctica: no row
    assert (nowhere.criminally_responsible, nowhere.responsibility_age) == (None, None)
    united_states = assess([_report(12)], "US")  # a row without a single age: never guessed
    assert (united_states.criminally_responsible, united_states.responsibility_age) == (None, None)
    unknown_age = assess([], "ES")
    assert (unknown_age.age, unknown_age.minor, unknown_age.criminally_responsible) == (
        None,
        None,
        None,
    )
    assert unknown_age.responsibility_age == 14
    assert unknown_age.route == UNKNOWN


def test_an_adult_somewhere_unknown_still_goes_to_prosecution() -> None:
    adult = assess([_report(30)], None)
    assert (adult.minor, adult.criminally_responsible, adult.route) == (False, None, PROSECUTION)
    assert assess([_report(15)], None).route == UNKNOWN


def test_route_table() -> None:
    assert route(True, False) == CHILD_PROTECTION
    assert route(True, True) == JUVENILE_PROSECUTOR
    assert route(False, True) == PROSECUTION
    assert route(False, None) == PROSECUTION
    assert route(True, None) == UNKNOWN
    assert route(None, None) == UNKNOWN


def test_scotland_has_its_own_row_and_council_areas_inherit_it() -> None:
    assert assess([_report(11)], "GB", "GB-ENG").criminally_responsible is True
    assert assess([_report(11)], "GB", "GB-SCT").criminally_responsible is False
    glasgow = assess([_report(11)], "GB", "GB-GLG")
    assert (glasgow.responsibility_age, glasgow.criminally_responsible) == (12, False)


def test_earliest_incident_wins_and_every_observation_is_kept() -> None:
    later = _report(15, date(2024, 9, 1), "B")
    earlier = _report(13, date(2023, 11, 1), "A")
    result = assess([later, earlier], "ES")
    assert (result.age, result.basis, result.criminally_responsible) == (13, "age", False)
    used = [(e["reference"], e["used"]) for e in result.evidence if e["source"] == REPORT]
    assert used == [("A", True), ("B", False)]
    rule = result.evidence[-1]
    assert rule["jurisdiction"] == "ES" and "5/2000" in rule["citation"]


def test_reports_come_before_the_subscriber() -> None:
    subscriber = AgeObservation(SUBSCRIBER, "record 1", date(2020, 1, 1), None, date(1980, 1, 1))
    report = _report(13, date(2024, 1, 1))
    assert assess([subscriber, report], "ES").age == 13
    alone = assess([subscriber], "ES")
    # the line holder may be a parent: the age is shown, nothing is concluded from it
    assert (alone.age, alone.basis, alone.minor, alone.criminally_responsible) == (
        40,
        "subscriber",
        None,
        None,
    )
    assert alone.route == "unknown"


def test_unusable_observations_are_kept_but_not_used() -> None:
    result = assess([_report(None, date(2024, 1, 1)), _report(16, None, "Z")], "PT")
    assert (result.age, result.criminally_responsible) == (16, True)
    assert [e["used"] for e in result.evidence if e["source"] == REPORT] == [False, True]


# --- the table -----------------------------------------------------------------------------


def test_the_table_loads_and_every_row_has_a_source() -> None:
    table = responsibility_table()
    assert len(table) >= 20
    for rule in table:
        assert rule.source.strip(), rule
        assert pycountry.countries.get(alpha_2=rule.country) is not None
        assert rule.age is None or 0 <= rule.age <= 18


@pytest.mark.parametrize(
    ("country", "age"),
    [
        ("ES", 14),
        ("PT", 16),
        ("IT", 14),
        ("FR", 13),
        ("DE", 14),
        ("GB", 10),
        ("IE", 12),
        ("NL", 12),
        ("BE", 18),
        ("AR", 16),
        ("MX", 12),
        ("CO", 14),
        ("CL", 14),
        ("PE", 14),
        ("BR", 12),
        ("US", None),
        ("CA", 12),
        ("AU", 10),
    ],
)
def test_table_ages(country: str, age: int | None) -> None:
    rule = responsibility_table().rule(country)
    assert rule is not None and rule.age == age


def test_a_bad_row_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "table.csv"
    path.write_text("country,subdivision,age,source,note\nES,,14,LO 5/2000,\nXX,,12,x,\n")
    with pytest.raises(InvalidInput, match="line 3"):
        responsibility_table(path)
    path.write_text("country,subdivision,age,source,note\nES,,14,,\n")
    with pytest.raises(InvalidInput, match="source"):
        responsibility_table(path)
    path.write_text("country,subdivision,age,source,note\nES,FR-75,14,x,\n")
    with pytest.raises(InvalidInput, match="subdivision"):
        responsibility_table(path)


def test_a_table_can_be_given() -> None:
    table = ResponsibilityTable([ResponsibilityRule("ES", None, 16, "test", "")])
    assert assess([_report(15)], "ES", table=table).criminally_responsible is False


# --- the adapter ---------------------------------------------------------------------------


def _person(session, key: str, country: str | None, *accounts: int) -> int:
    person = tables.Person(key=key, resolved_at=AT)
    session.add(person)
    session.flush()
    for account in accounts:
        session.add(tables.PersonAccount(account_id=account, person_id=person.id))
    if country is not None:
        session.add(
            tables.PersonLocation(
                person_id=person.id,
                country=country,
                subdivision=None,
                basis="ip",
                confidence=0.5,
                chosen=True,
                evidence=[],
            )
        )
    return person.id


def _account(session, user: str) -> int:
    account = tables.Account(platform="photo", user_id=user)
    session.add(account)
    session.flush()
    return account.id


def _report_row(session, source: int, number: str, at: datetime | None) -> int:
    report = tables.Report(
        number=number,
        source_id=source,
        incident_type="t",
        incident_at=at,
        incident_at_raw="",
        annotations=[],
        internet_details=[],
        details={},
    )
    session.add(report)
    session.flush()
    return report.id


def _party(
    session, report: int, account: int, age: int | None = None, born: date | None = None
) -> None:
    session.add(
        tables.Party(
            report_id=report,
            position=0,
            role="reported",
            account_id=account,
            age=age,
            date_of_birth=born,
            addresses=[],
            details={},
        )
    )


def test_assess_ages_writes_one_row_per_person(workspace: Workspace) -> None:
    with workspace.session() as session:
        source = tables.Source(kind="test", path="x", received_at=AT, status="ingested")
        session.add(source)
        session.flush()
        a, b, c, d = (_account(session, user) for user in "abcd")
        first = _report_row(session, source.id, "R1", datetime(2023, 1, 10, tzinfo=UTC))
        second = _report_row(session, source.id, "R2", datetime(2024, 1, 10, tzinfo=UTC))
        _party(session, first, a, born=date(2010, 1, 11))  # 12 at R1, the earlier
        _party(session, second, a, age=14)
        _party(session, second, c, age=30)
        event = tables.IPEvent(report_id=second, account_id=d, ip="192.0.2.1", at=AT)
        record = tables.SubscriberRecord(
            source_id=source.id, row=1, ip="192.0.2.1", date_of_birth=date(2008, 1, 1), details={}
        )
        session.add_all([event, record])
        session.flush()
        session.add(tables.SubscriberMatch(subscriber_record_id=record.id, ip_event_id=event.id))
        p1 = _person(session, "P1", "ES", a)
        p2 = _person(session, "P2", "ES", b)
        p3 = _person(session, "P3", None, c)
        p4 = _person(session, "P4", "MX", d)
    with workspace.session() as session:
        assert assess_ages(session) == 4
    with workspace.session() as session:
        assert assess_ages(session) == 4  # a re-run replaces, never adds
        rows = {r.person_id: r for r in session.scalars(select(tables.PersonAge))}
    assert len(rows) == 4
    one = rows[p1]
    assert (one.age, one.basis, one.minor, one.criminally_responsible, one.responsibility_age) == (
        12,
        "date_of_birth",
        True,
        False,
        14,
    )
    assert [e["reference"] for e in one.evidence if e["source"] == REPORT] == ["R1", "R2"]
    assert (rows[p2].age, rows[p2].minor, rows[p2].responsibility_age) == (None, None, 14)
    assert (rows[p3].age, rows[p3].minor, rows[p3].criminally_responsible) == (30, False, None)
    four = rows[p4]
    assert (four.age, four.basis, four.criminally_responsible, four.responsibility_age) == (
        16,
        "subscriber",
        None,  # a subscriber's birth date is shown, never concluded from
        12,
    )
