"""The rows triage reads from the store: a handful of SELECTs over whole tables, keyed.

Reports, reported parties, sightings, media, new series, memberships, matches and ages are read
once each; ``gather`` tallies them into facts. Nothing here judges anything.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from amparo.match.matcher import KNOWN, KNOWN_VARIANT, NEW
from amparo.people import read_model
from amparo.people.read_model import account_ids, person_keys, person_keys_by_account
from amparo.store import tables
from amparo.store.nulls import not_null

REPORTED = "reported"


@dataclass(frozen=True)
class ReportRow:
    incident_type: str
    incident_at: datetime | None
    escalated: bool
    annotations: frozenset[str]


@dataclass(frozen=True)
class SightingRow:
    account_id: int | None
    media_id: int
    report_id: int | None
    group_id: int | None
    at: datetime | None
    annotations: frozenset[str]


@dataclass
class StoreRows:
    """The rows triage reads, keyed for tallying."""

    persons: list[str]  # every person key, those without accounts too
    person_of: dict[int, str]  # account id -> person key
    account_ids: dict[str, int]  # account key -> account id
    reports: dict[int, ReportRow]
    reported: list[tuple[int, int]]  # (account id, report id) of reported users
    sightings: list[SightingRow]
    media: dict[int, tuple[str | None, int | None]]  # media id -> (status, series id)
    new_series: dict[int, tuple[str, list[str]]]  # series id -> (key, first accounts)
    memberships: list[tuple[int, int]]  # (account id, group id)

    @classmethod
    def read(cls, session: Session) -> StoreRows:
        return cls(
            persons=sorted(person_keys(session).values()),
            person_of=person_keys_by_account(session),
            account_ids=account_ids(session),
            reports=_reports(session),
            reported=_reported(session),
            sightings=_sightings(session),
            media=_media(session),
            new_series=_new_series(session),
            memberships=_memberships(session),
        )

    def person_accounts(self) -> dict[str, list[str]]:
        keys = {id_: key for key, id_ in self.account_ids.items()}
        accounts: dict[str, list[str]] = defaultdict(list)
        for account_id, person in self.person_of.items():
            accounts[person].append(keys[account_id])
        return {person: sorted(held) for person, held in accounts.items()}

    def new_material_groups(self) -> set[int]:
        return {
            s.group_id for s in self.sightings
            if s.group_id is not None and self.media[s.media_id][0] == NEW
        }  # fmt: skip

    def newest(self) -> datetime | None:
        times = [r.incident_at for r in self.reports.values() if r.incident_at is not None]
        times = times or [s.at for s in self.sightings if s.at is not None]
        return max(times, default=None)

    def series_media(self) -> dict[int, list[int]]:
        members: dict[int, list[int]] = defaultdict(list)
        for media_id, (_, series_id) in self.media.items():
            if series_id in self.new_series:
                members[series_id].append(media_id)
        return members


def _reported(session: Session) -> list[tuple[int, int]]:
    party = tables.Party
    rows = session.execute(
        select(party.account_id, party.report_id).distinct()
        .where(party.role == REPORTED, party.account_id.is_not(None))
    )  # fmt: skip
    return [(not_null(account_id), report_id) for account_id, report_id in rows]


def _media(session: Session) -> dict[int, tuple[str | None, int | None]]:
    m = tables.Media
    return {id_: (status, series) for id_, status, series in session.execute(
        select(m.id, m.status, m.series_id))}  # fmt: skip


def _new_series(session: Session) -> dict[int, tuple[str, list[str]]]:
    s = tables.Series
    rows = session.execute(select(s.id, s.key, s.first_accounts).where(s.status == NEW))
    return {id_: (key, list(first or ())) for id_, key, first in rows}


def _memberships(session: Session) -> list[tuple[int, int]]:
    m = tables.Membership
    rows = session.execute(select(m.account_id, m.group_id).distinct())
    return [(account_id, group_id) for account_id, group_id in rows]


def _reports(session: Session) -> dict[int, ReportRow]:
    r = tables.Report
    rows = session.execute(
        select(r.id, r.incident_type, r.incident_at, r.escalate_to_high_priority, r.annotations)
    )
    return {
        id_: ReportRow(kind, at, bool((escalation or "").strip()), frozenset(notes or ()))
        for id_, kind, at, escalation, notes in rows
    }


def _sightings(session: Session) -> list[SightingRow]:
    s = tables.Sighting
    rows = session.execute(
        select(s.account_id, s.media_id, s.report_id, s.group_id, s.at, s.annotations)
    )
    return [SightingRow(a, m, r, g, at, frozenset(notes or ())) for a, m, r, g, at, notes in rows]


def long_known_media(session: Session, newest: datetime | None, days: int) -> set[int]:
    """Files matched to an entry whose victim is identified, that circulates, or that is old."""
    m, k, media = tables.Match, tables.KnownEntry, tables.Media
    rows = session.execute(
        select(m.media_id, k.victim_identified, k.is_distributed, k.details)
        .join(k, k.id == m.known_entry_id).join(media, media.id == m.media_id)
        .where(m.suppressing.is_(False), media.status.in_((KNOWN, KNOWN_VARIANT)))
    )  # fmt: skip
    cutoff = None if newest is None else newest - timedelta(days=days)
    return {
        media_id for media_id, identified, distributed, details in rows
        if identified or distributed or entry_dated_before(details, cutoff)
    }  # fmt: skip


def entry_dated_before(details: dict[str, Any] | None, cutoff: datetime | None) -> bool:
    """Whether an entry's own date (NCMEC ``timestamp``) is at or before ``cutoff``."""
    stamp = (details or {}).get("timestamp")
    if cutoff is None or not isinstance(stamp, str):
        return False
    try:
        dated = datetime.fromisoformat(stamp.strip().replace("Z", "+00:00"))
    except ValueError:
        return False
    return dated.tzinfo is not None and dated <= cutoff


def person_ages(session: Session) -> dict[str, tuple[int | None, bool | None, bool | None]]:
    """Person key → (age, minor, criminally responsible), for every person assessed."""
    keys = person_keys(session)
    return {
        keys[person_id]: (age.age, age.minor, age.criminally_responsible)
        for person_id, age in read_model.person_ages(session).items()
    }
