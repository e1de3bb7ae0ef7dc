"""Reading account records and analysts' decisions from the store; writing persons back."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from amparo.errors import UnknownReference
from amparo.identifiers import is_e164
from amparo.model import PHONE_NUMBER_PLATFORMS, account_key
from amparo.people.clusters import Decision, ResolvedPerson
from amparo.people.read_model import account_ids, person_keys_by_account_key
from amparo.people.records import AccountRecord, IpSighting, comparable_name
from amparo.store import tables
from amparo.store.nulls import not_null
from amparo.store.rows import insert_rows

IDENTIFIER_FEATURES = {
    "email": "emails",
    "phone": "phones",
    "device_id": "device_ids",
    "screen_name": "screen_names",
    "profile_url": "profile_urls",
}


def load_records(session: Session) -> list[AccountRecord]:
    """One record per account, from identifiers, parties, IP events and sightings."""
    records: dict[int, AccountRecord] = {}
    for account_id, platform, user_id in session.execute(
        select(tables.Account.id, tables.Account.platform, tables.Account.user_id)
    ):
        record = AccountRecord(account_key(platform, user_id), platform)
        if platform in PHONE_NUMBER_PLATFORMS and is_e164(user_id):
            record.phones.add(user_id)
        records[account_id] = record
    _add_identifiers(session, records)
    _add_names(session, records)
    _add_ip_sightings(session, records)
    _add_media(session, records)
    return list(records.values())


def _add_identifiers(session: Session, records: dict[int, AccountRecord]) -> None:
    identifier = tables.Identifier
    rows = session.execute(
        select(identifier.account_id, identifier.kind, identifier.normalized).where(
            identifier.account_id.is_not(None), identifier.kind.in_(IDENTIFIER_FEATURES)
        )
    )
    for account_id, kind, normalized in rows:
        # An unread number (no country) is kept and shown but never links accounts.
        if normalized and (kind != "phone" or is_e164(normalized)):
            getattr(records[not_null(account_id)], IDENTIFIER_FEATURES[kind]).add(normalized)


def _add_names(session: Session, records: dict[int, AccountRecord]) -> None:
    party = tables.Party
    rows = session.execute(
        select(party.account_id, party.first_name, party.last_name).where(
            party.account_id.is_not(None)
        )
    )
    for account_id, first_name, last_name in rows:
        record = records[not_null(account_id)]
        if first := comparable_name(first_name):
            record.first_names[first] += 1
        if last := comparable_name(last_name):
            record.last_names[last] += 1


def _add_ip_sightings(session: Session, records: dict[int, AccountRecord]) -> None:
    """IP events of the account, leaving out those the platform flagged as a possible proxy."""
    event = tables.IPEvent
    rows = session.execute(
        select(event.account_id, event.ip, event.at).where(
            event.account_id.is_not(None), event.possible_proxy.is_not(True)
        )
    )
    for account_id, ip, at in rows:
        records[not_null(account_id)].ip_sightings.add(IpSighting(ip, at))


def _add_media(session: Session, records: dict[int, AccountRecord]) -> None:
    sighting, media = tables.Sighting, tables.Media
    rows = session.execute(
        select(sighting.account_id, media.sha256)
        .join(media, media.id == sighting.media_id)
        .where(sighting.account_id.is_not(None))
    )
    for account_id, sha256 in rows:
        records[not_null(account_id)].media.add(sha256)


def load_person_keys(session: Session) -> dict[str, str]:
    """Account key → person key, as the last resolution left them."""
    return person_keys_by_account_key(session)


def load_decisions(session: Session) -> list[Decision]:
    decision = tables.LinkDecision
    a, b = tables.Account.__table__.alias("a"), tables.Account.__table__.alias("b")
    rows = session.execute(
        select(a.c.platform, a.c.user_id, b.c.platform, b.c.user_id, decision.decision,
               decision.analyst, decision.reason)
        .join(a, a.c.id == decision.account_a_id)
        .join(b, b.c.id == decision.account_b_id)
    )  # fmt: skip
    return [
        Decision(account_key(pa, ua), account_key(pb, ub), kind, analyst, reason)
        for pa, ua, pb, ub, kind, analyst, reason in rows
    ]


def record_decision(session: Session, decision: Decision, now: datetime | None = None) -> None:
    """Store an analyst's ruling on a pair of accounts, replacing any earlier one."""
    ids = sorted(_account_id(session, key) for key in (decision.a, decision.b))
    if ids[0] == ids[1]:
        raise UnknownReference(f"{decision.a} and {decision.b} are the same account")
    table = tables.LinkDecision
    session.execute(delete(table).where(table.account_a_id == ids[0], table.account_b_id == ids[1]))
    session.add(
        table(account_a_id=ids[0], account_b_id=ids[1], decision=decision.decision,
              analyst=decision.analyst, reason=decision.reason, decided_at=now or _now())
    )  # fmt: skip


def _account_id(session: Session, key: str) -> int:
    found = account_ids(session, [key]).get(key)
    if found is None:
        raise UnknownReference(f"no account {key!r} in this workspace (write platform:user_id)")
    return found


def write_persons(session: Session, persons: Iterable[ResolvedPerson]) -> None:
    """Replace every person with ``persons``; keys stay the same where accounts did."""
    session.execute(delete(tables.PersonLink))
    session.execute(delete(tables.PersonAccount))
    session.execute(delete(tables.Person))
    ids = account_ids(session)
    persons = list(persons)
    now = _now()
    rows = [{"key": person.key, "resolved_at": now} for person in persons]
    person_ids = insert_rows(session.connection(), tables.Person, rows)
    members, links = [], []
    for person, person_id in zip(persons, person_ids, strict=True):
        members += [{"account_id": ids[a], "person_id": person_id} for a in person.accounts]
        links += [_link_row(link, person_id, ids) for link in person.links]
    for table, table_rows in ((tables.PersonAccount, members), (tables.PersonLink, links)):
        if table_rows:
            session.execute(insert(table), table_rows)


def _link_row(link: Any, person_id: int, account_ids: dict[str, int]) -> dict[str, Any]:
    return {
        "person_id": person_id,
        "account_a_id": account_ids[link.a],
        "account_b_id": account_ids[link.b],
        "rule": link.rule,
        "weight": link.weight,
        "probability": link.probability,
        "evidence": list(link.evidence),
    }


def _now() -> datetime:
    return datetime.now(UTC)
