"""Cases: the queue by priority, and each case's file (a person's or a new series')."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypedDict

from sqlalchemy import Row, func, select
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session

from amparo.export.agencies import load_directory
from amparo.export.referrals import REFERRALS_DIR
from amparo.export.stats import ROUTE_LABELS
from amparo.geo.ages import route
from amparo.geo.places import country_name, subdivision_name
from amparo.model import CaseStatus, PriorityLevel, SeriesStatus
from amparo.people.read_model import account_keys
from amparo.people.report import find_person
from amparo.settings import get_setting
from amparo.store import tables
from amparo.store.nulls import not_null
from amparo.triage.cases import case_history as triage_history
from amparo.web import casefile

LEVELS: tuple[str, ...] = tuple(PriorityLevel)
STATUSES: tuple[str, ...] = tuple(CaseStatus)
C = tables.Case


class CaseSections(TypedDict):
    """What every case's file shows, each section a list of rows for case.html."""

    accounts: list[casefile.AccountRow]
    ip_events: list[casefile.IpEventRow]
    groups: list[casefile.GroupRow]
    media: list[dict[str, Any]]  # web/media.py adds each viewer's treatment
    timeline: list[casefile.TimelineEntry]


class CaseFile(CaseSections):
    """A case's file: its sections, the person it is about (or the new series), the referral."""

    person: dict[str, Any] | None
    series: tables.Series | None
    links: list[dict[str, Any]]
    referral: dict[str, Any]


def case_rows(
    session: Session, level: str | None = None, status: str | None = None
) -> Sequence[Row[tables.Case, str]]:
    """Cases, most urgent level first, then by score, with the assignee's name."""
    query = select(C, tables.User.username).outerjoin(tables.User, tables.User.id == C.assignee_id)
    if level in LEVELS:
        query = query.where(C.priority_level == level)
    if status in STATUSES:
        query = query.where(C.status == status)
    rank = sql_case({level: i for i, level in enumerate(LEVELS)}, value=C.priority_level, else_=9)
    return session.execute(query.order_by(rank, C.priority_score.desc(), C.id)).all()


def level_counts(session: Session) -> dict[str, int]:
    """Open cases (not closed) per priority level, every level present."""
    rows = session.execute(
        select(C.priority_level, func.count())
        .where(C.status != CaseStatus.CLOSED)
        .group_by(C.priority_level)
    )
    counts = dict.fromkeys(LEVELS, 0)
    counts.update({level: n for level, n in rows if level in counts})
    return counts


def new_series(session: Session, limit: int = 25) -> list[tables.Series]:
    s = tables.Series
    query = (
        select(s)
        .where(s.status == SeriesStatus.NEW)
        .order_by(s.first_seen.desc().nulls_last(), s.key)
    )
    return list(session.scalars(query.limit(limit)))


def case_history(session: Session, case_id: int) -> list[casefile.TimelineEntry]:
    """The case's history (triage's reading of it) as timeline entries."""
    return [_history_entry(event) for event in triage_history(session, case_id)]


def _history_entry(event: dict[str, Any]) -> casefile.TimelineEntry:
    detail = event["detail"] or {}
    text = f"{event['action']} by {event['actor']}"
    if detail:
        text += ": " + ", ".join(f"{k} {v}" for k, v in sorted(detail.items()))
    return {"at": event["at"], "kind": "case", "text": text, "account": None}


# --- a case's file -----------------------------------------------------------------------


def case_file(session: Session, workspace_root: Path, case: tables.Case) -> CaseFile:
    if case.kind == "series":
        return _series_file(session, case)
    return _person_file(session, workspace_root, case)


def _person_file(session: Session, workspace_root: Path, case: tables.Case) -> CaseFile:
    person = find_person(session, case.subject)
    accounts = account_keys(session, keys=person["accounts"] if person else [case.subject])
    return CaseFile(
        **_common(session, case, accounts, casefile.media_of_accounts(session, accounts)),
        person=person,
        series=None,
        links=person["links"] if person else [],
        referral=referral_state(session, workspace_root, person),
    )


def _series_file(session: Session, case: tables.Case) -> CaseFile:
    series = session.scalar(select(tables.Series).where(tables.Series.key == case.subject))
    media_ids = set() if series is None else set(
        session.scalars(select(tables.Media.id).where(tables.Media.series_id == series.id))
    )  # fmt: skip
    s = tables.Sighting
    sharers = session.scalars(
        select(s.account_id).where(s.media_id.in_(media_ids), s.account_id.is_not(None)).distinct()
    )
    accounts = account_keys(session, ids=[not_null(i) for i in sharers])
    return CaseFile(
        **_common(session, case, accounts, media_ids),
        person=None,
        series=series,
        links=[],
        referral={"state": "series", "text": "A series is referred with the persons who "
                  "shared it: see their cases."},
    )  # fmt: skip


def _common(
    session: Session, case: tables.Case, accounts: dict[int, str], media_ids: set[int]
) -> CaseSections:
    return CaseSections(
        accounts=casefile.accounts_section(session, accounts),
        ip_events=casefile.ip_events_section(session, accounts),
        groups=casefile.groups_section(session, accounts),
        media=casefile.media_section(session, media_ids),
        timeline=casefile.timeline_section(session, accounts, case_history(session, case.id)),
    )


def referral_state(
    session: Session, workspace_root: Path, person: dict[str, Any] | None
) -> dict[str, Any]:
    """Where the person goes: not located, handled at home (and by whom), or referred abroad
    (to which agency, and whether the country's package has been written with them in it)."""
    country = person.get("country") if person else None
    if not person or not country:
        return {"state": "not_located", "text": "Not located yet: no referral."}
    home = get_setting(session, "home_country")
    handled_by = ROUTE_LABELS[route(person.get("minor"), person.get("criminally_responsible"))]
    place = person.get("subdivision")
    where = f"{country_name(country)}" + (f", {subdivision_name(place)}" if place else "")
    if country == home:
        return {"state": "home", "text": f"Located at home ({where}).", "route": handled_by}
    agency = load_directory(workspace_root).for_country(country)
    written = _in_package(workspace_root / REFERRALS_DIR / country / "referral.json", person["id"])
    return {
        "state": "referred" if written else "to_refer",
        "text": f"Abroad ({where}): "
        + ("in the referral package" if written else "to be referred (package not written yet)"),
        "country": country,
        "agency": agency.agency,
        "channel": agency.channel,
        "route": handled_by,
    }


def _in_package(path: Path, person_key: str) -> bool:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return any(p.get("id") == person_key for p in document.get("persons", []))
