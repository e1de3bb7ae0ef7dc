"""Ages at the incident, and what follows from them where the person is.

The core is pure: ``age_at`` turns a stated age or a date of birth into the age on the day of
the incident; ``assess`` picks one age from everything the store says about a person and
applies the age-of-criminal-responsibility table (``data/age_of_criminal_responsibility.csv``,
one row per country or subdivision, each with its source). ``assess_ages`` is the adapter: it
recomputes every person's ``PersonAge`` row in a few bulk statements.

Which age wins: what the reports say of the account holder comes first, at the earliest
incident; a matched ISP subscriber's date of birth only when no report gives an age. The
subscriber is who pays for the line (often a parent of a minor user), so their age describes
the account holder only when nothing better does, and its basis says ``subscriber`` so that
nobody mistakes it for the user's own. Every observation is kept in the evidence.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pycountry
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from amparo.errors import InvalidInput
from amparo.geo.locate_store import account_owners, chosen_locations
from amparo.geo.subscribers import subscriber_answers
from amparo.store import tables
from amparo.store.nulls import not_null

TABLE_PATH = Path(__file__).with_name("data") / "age_of_criminal_responsibility.csv"
ADULT_AGE = 18
MAX_PLAUSIBLE_AGE = 120
REPORT, SUBSCRIBER = "report", "subscriber"
BASIS_AGE, BASIS_DOB = "age", "date_of_birth"

# Where a person goes (DESIGN.md section 1, step 3).
CHILD_PROTECTION = "child_protection"
JUVENILE_PROSECUTOR = "juvenile_prosecutor"
PROSECUTION = "prosecution"
UNKNOWN = "unknown"
ROUTES = (CHILD_PROTECTION, JUVENILE_PROSECUTOR, PROSECUTION, UNKNOWN)


# --- the age-of-criminal-responsibility table ----------------------------------------------


@dataclass(frozen=True)
class ResponsibilityRule:
    """One row of the table; ``age`` is None where the law sets no single age."""

    country: str
    subdivision: str | None
    age: int | None
    source: str
    note: str

    @property
    def jurisdiction(self) -> str:
        return self.subdivision or self.country


class ResponsibilityTable:
    """The rules by jurisdiction; a subdivision's own row wins over its country's."""

    def __init__(self, rules: Iterable[ResponsibilityRule]) -> None:
        self._rules = {rule.jurisdiction: rule for rule in rules}

    def __iter__(self) -> Iterator[ResponsibilityRule]:
        return iter(self._rules.values())

    def __len__(self) -> int:
        return len(self._rules)

    def rule(
        self, country: str | None, subdivision: str | None = None
    ) -> ResponsibilityRule | None:
        """The rule for a place: its subdivision, that subdivision's parents, then its country."""
        if country is None:
            return None
        codes = [*_subdivision_chain(country, subdivision), country]
        return next((self._rules[code] for code in codes if code in self._rules), None)


def _subdivision_chain(country: str, subdivision: str | None) -> Iterator[str]:
    while subdivision and subdivision.startswith(f"{country}-"):
        yield subdivision
        found = pycountry.subdivisions.get(code=subdivision)
        subdivision = getattr(found, "parent_code", None)


@cache
def responsibility_table(path: Path = TABLE_PATH) -> ResponsibilityTable:
    """Load and check the table; a bad row is an InvalidInput naming its line."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return ResponsibilityTable(_rule(row, str(path), line) for line, row in enumerate(rows, 2))


def _rule(row: dict[str, str], path: str, line: int) -> ResponsibilityRule:
    def fail(reason: str) -> InvalidInput:
        return InvalidInput(reason, path=path, place=f"line {line}")

    country = (row.get("country") or "").strip().upper()
    subdivision = (row.get("subdivision") or "").strip().upper() or None
    source = (row.get("source") or "").strip()
    if pycountry.countries.get(alpha_2=country) is None:
        raise fail(f"{country!r} is not an ISO 3166-1 two-letter country code")
    if subdivision and not _is_subdivision_of(subdivision, country):
        raise fail(f"{subdivision!r} is not an ISO 3166-2 subdivision of {country}")
    if not source:
        raise fail("every row needs its source (statute or survey)")
    age = _table_age(row.get("age"), fail)
    return ResponsibilityRule(country, subdivision, age, source, (row.get("note") or "").strip())


def _is_subdivision_of(code: str, country: str) -> bool:
    found = pycountry.subdivisions.get(code=code)
    return found is not None and found.country_code == country


def _table_age(text: str | None, fail: Callable[[str], InvalidInput]) -> int | None:
    text = (text or "").strip()
    if not text:
        return None
    if not text.isdigit() or int(text) > ADULT_AGE:
        raise fail(f"age {text!r} is not a whole number from 0 to {ADULT_AGE}")
    return int(text)


# --- ages ----------------------------------------------------------------------------------


def full_years(born: date, on: date) -> int:
    """Completed years from ``born`` to ``on``; a 29 February birthday falls on 1 March."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def age_at(
    incident_date: date | None, age: int | None = None, date_of_birth: date | None = None
) -> tuple[int | None, str | None]:
    """The age on the incident's day and its basis: ``date_of_birth``, ``age``, or nothing.

    A date of birth gives the exact age when the incident's date is known, so it wins over a
    stated age; an implausible result (negative, past 120) is ignored.
    """
    if date_of_birth is not None and incident_date is not None:
        years = full_years(date_of_birth, incident_date)
        if 0 <= years <= MAX_PLAUSIBLE_AGE:
            return years, BASIS_DOB
    if age is not None and 0 <= age <= MAX_PLAUSIBLE_AGE:
        return age, BASIS_AGE
    return None, None


@dataclass(frozen=True)
class AgeObservation:
    """One statement of a person's age: a report's party, or a matched subscriber record."""

    source: str  # report | subscriber
    reference: str  # the report number, or which subscriber record
    on: date | None  # the incident's (or IP event's) local date
    age: int | None = None
    date_of_birth: date | None = None

    @property
    def age_at_incident(self) -> tuple[int | None, str | None]:
        return age_at(self.on, self.age, self.date_of_birth)

    def evidence(self, used: bool) -> dict[str, Any]:
        age, basis = self.age_at_incident
        return {
            "source": self.source,
            "reference": self.reference,
            "on": _iso(self.on),
            "age": self.age,
            "date_of_birth": _iso(self.date_of_birth),
            "age_at_incident": age,
            "basis": basis,
            "used": used,
        }


@dataclass(frozen=True)
class AgeAssessment:
    """The fields of a ``PersonAge`` row."""

    age: int | None
    basis: str | None
    minor: bool | None
    criminally_responsible: bool | None
    responsibility_age: int | None
    evidence: list[dict[str, Any]]

    def row(self, person_id: int) -> dict[str, Any]:
        return {"person_id": person_id, **asdict(self)}

    @property
    def route(self) -> str:
        return route(self.minor, self.criminally_responsible)


def assess(
    observations: Iterable[AgeObservation],
    country: str | None,
    subdivision: str | None = None,
    table: ResponsibilityTable | None = None,
) -> AgeAssessment:
    """One person's age (report data first, earliest incident) and what follows from it."""
    ordered = sorted(set(observations), key=_order)
    chosen = next((o for o in ordered if o.age_at_incident[0] is not None), None)
    rule = (table or responsibility_table()).rule(country, subdivision)
    threshold = None if rule is None else rule.age
    evidence = [o.evidence(o is chosen) for o in ordered]
    if rule is not None:
        evidence.append(_rule_evidence(rule))
    if chosen is None:
        return AgeAssessment(None, None, None, None, threshold, evidence)
    age, basis = chosen.age_at_incident
    assert age is not None  # chosen for having one
    if chosen.source == SUBSCRIBER:
        # The line holder is often a parent: the age is shown, but nothing is concluded from it.
        return AgeAssessment(age, SUBSCRIBER, None, None, threshold, evidence)
    responsible = None if threshold is None else age >= threshold
    return AgeAssessment(age, basis, age < ADULT_AGE, responsible, threshold, evidence)


def route(minor: bool | None, criminally_responsible: bool | None) -> str:
    """Child-protection services below the age of responsibility, the juvenile prosecutor for
    minors above it, prosecution for adults (no table age is above 18), else unknown."""
    if criminally_responsible is False:
        return CHILD_PROTECTION
    if minor is False:
        return PROSECUTION
    if minor and criminally_responsible:
        return JUVENILE_PROSECUTOR
    return UNKNOWN


def _order(observation: AgeObservation) -> tuple[bool, date, str, str]:
    """Reports before subscribers, earliest incident first, then a stable tie-break."""
    on = observation.on or date.max
    return observation.source != REPORT, on, observation.reference, repr(observation)


def _rule_evidence(rule: ResponsibilityRule) -> dict[str, Any]:
    return {
        "source": "age_of_criminal_responsibility",
        "jurisdiction": rule.jurisdiction,
        "age": rule.age,
        "citation": rule.source,
        "note": rule.note,
    }


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def local_date(at: datetime | None, offset_minutes: int | None) -> date | None:
    """The calendar date where it happened: UTC shifted by the input's offset when known."""
    if at is None:
        return None
    return (at + timedelta(minutes=offset_minutes or 0)).date()


# --- the adapter ---------------------------------------------------------------------------


def assess_ages(session: Session, table: ResponsibilityTable | None = None) -> int:
    """Recompute every person's ``PersonAge`` row; returns how many persons were assessed."""
    owners = account_owners(session)
    observations: dict[int, list[AgeObservation]] = defaultdict(list)
    for account_id, observation in [*_report_ages(session), *_subscriber_ages(session)]:
        if account_id in owners:
            observations[owners[account_id]].append(observation)
    places = chosen_places(session)
    rows = [
        assess(observations[person], *places.get(person, (None, None)), table=table).row(person)
        for person in session.scalars(select(tables.Person.id))
    ]
    session.execute(delete(tables.PersonAge))
    if rows:
        session.execute(insert(tables.PersonAge), rows)
    return len(rows)


def chosen_places(session: Session) -> dict[int, tuple[str | None, str | None]]:
    """Each person's chosen (country, subdivision), by the one rule of ``chosen_locations``."""
    return {
        person: (place.country, place.subdivision)
        for person, place in chosen_locations(session).items()
    }


def _report_ages(session: Session) -> Iterator[tuple[int, AgeObservation]]:
    party, report = tables.Party, tables.Report
    rows = session.execute(
        select(
            party.account_id,
            report.number,
            report.incident_at,
            report.incident_offset_minutes,
            party.age,
            party.date_of_birth,
        )
        .join(report, report.id == party.report_id)
        .where(
            party.account_id.is_not(None), party.age.is_not(None) | party.date_of_birth.is_not(None)
        )
    )
    for account_id, number, at, offset, age, born in rows:
        yield (
            not_null(account_id),
            AgeObservation(REPORT, number, local_date(at, offset), age, born),
        )


def _subscriber_ages(session: Session) -> Iterator[tuple[int, AgeObservation]]:
    record, event, report = tables.SubscriberRecord, tables.IPEvent, tables.Report
    rows = session.execute(
        select(
            event.account_id,
            record.id,
            event.id,
            report.number,
            record.date_of_birth,
            event.at,
            event.offset_minutes,
            report.incident_at,
            report.incident_offset_minutes,
        )
        .select_from(tables.SubscriberMatch)
        .join(record, record.id == tables.SubscriberMatch.subscriber_record_id)
        .join(event, event.id == tables.SubscriberMatch.ip_event_id)
        .join(report, report.id == event.report_id)
        .where(event.account_id.is_not(None), record.date_of_birth.is_not(None))
    )
    ambiguous = {
        (a.ip_event_id, a.subscriber_record_id) for a in subscriber_answers(session) if a.ambiguous
    }
    for account_id, record_id, event_id, number, born, at, offset, incident, offset_i in rows:
        if (event_id, record_id) in ambiguous:
            continue  # several subscribers could be the one: none of their birth dates is used
        on = local_date(at, offset) or local_date(incident, offset_i)
        reference = f"subscriber record {record_id} (IP event of report {number})"
        yield not_null(account_id), AgeObservation(SUBSCRIBER, reference, on, None, born)
