"""What a case page shows, read from the store for a set of accounts: identifiers, IP events
with their lookups and subscriber answers, groups, media and a timeline."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any, TypedDict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from amparo.model import account_key, parse_account_key
from amparo.store import tables
from amparo.store.nulls import not_null

T = tables
MAX_TIMELINE = 400


class IdentifierRow(TypedDict):
    kind: str
    normalized: str
    raw: str


class AccountRow(TypedDict):
    key: str
    platform: str
    user_id: str
    identifiers: list[IdentifierRow]


class IpLookupRow(TypedDict):
    country: str | None
    subdivision: str | None
    city: str | None
    asn: int | None
    organisation: str | None
    reserved: str | None
    network: str | None
    source: str


class SubscriberAnswer(TypedDict):
    """What a provider answered about who used an IP address then."""

    isp: str | None
    name: str | None
    address: str | None
    postal_code: str | None
    municipality: str | None
    subdivision: str | None
    country: str | None


class IpEventRow(TypedDict):
    ip: str
    port: int | None
    at: datetime | None
    at_raw: str | None
    event: str | None
    proxy: bool | None
    report: str
    account: str | None
    lookup: IpLookupRow | None
    subscribers: list[SubscriberAnswer]


class GroupRow(TypedDict):
    key: str
    name: str | None
    member: bool
    files_shared: int


class TimelineEntry(TypedDict):
    """A report, IP event, shared file or case event; ``account`` the account's key."""

    at: datetime | None
    kind: str
    text: str
    account: str | None


def accounts_section(session: Session, accounts: dict[int, str]) -> list[AccountRow]:
    """Each account with its identifiers (kind, normalised, as reported), by key."""
    found: dict[int, set[tuple[str, str, str]]] = defaultdict(set)
    rows = session.execute(
        select(T.Identifier.account_id, T.Identifier.kind, T.Identifier.normalized,
               T.Identifier.raw).where(T.Identifier.account_id.in_(list(accounts)))
    )  # fmt: skip
    for account_id, kind, normalized, raw in rows:
        found[not_null(account_id)].add((kind, normalized, raw))
    return [
        {"key": key, "platform": parse_account_key(key)[0], "user_id": parse_account_key(key)[1],
         "identifiers": [{"kind": k, "normalized": n, "raw": r} for k, n, r in sorted(found[i])]}
        for i, key in sorted(accounts.items(), key=lambda item: item[1])
    ]  # fmt: skip


def ip_events_section(session: Session, accounts: dict[int, str]) -> list[IpEventRow]:
    """The accounts' IP events, earliest first, with lookup and any subscriber answer."""
    e, lookup, report = T.IPEvent, T.IpLookup, T.Report
    rows = session.execute(
        select(e, lookup, report.number)
        .outerjoin(lookup, lookup.ip_event_id == e.id)
        .join(report, report.id == e.report_id)
        .where(e.account_id.in_(list(accounts)))
        .order_by(e.at.is_(None), e.at, e.id)
    ).all()
    answers = _subscriber_answers(session, [event.id for event, _, _ in rows])
    return [
        {"ip": event.ip, "port": event.port, "at": event.at, "at_raw": event.at_raw,
         "event": event.event, "proxy": event.possible_proxy, "report": number,
         "account": accounts.get(not_null(event.account_id)), "lookup": _lookup(found),
         "subscribers": answers.get(event.id, [])}
        for event, found, number in rows
    ]  # fmt: skip


def _lookup(row: tables.IpLookup | None) -> IpLookupRow | None:
    if row is None:
        return None
    return {"country": row.country, "subdivision": row.subdivision, "city": row.city,
            "asn": row.asn, "organisation": row.organisation, "reserved": row.reserved,
            "network": row.network, "source": row.source}  # fmt: skip


def _subscriber_answers(
    session: Session, event_ids: list[int]
) -> dict[int, list[SubscriberAnswer]]:
    m, r = T.SubscriberMatch, T.SubscriberRecord
    rows = session.execute(
        select(m.ip_event_id, r)
        .join(r, r.id == m.subscriber_record_id)
        .where(m.ip_event_id.in_(event_ids))
        .order_by(r.id)
    )
    answers: dict[int, list[SubscriberAnswer]] = defaultdict(list)
    for event_id, record in rows:
        answers[event_id].append(
            {"isp": record.isp, "name": record.subscriber_name, "address": record.address,
             "postal_code": record.postal_code, "municipality": record.municipality,
             "subdivision": record.subdivision or record.subdivision_raw,
             "country": record.country}
        )  # fmt: skip
    return answers


def groups_section(session: Session, accounts: dict[int, str]) -> list[GroupRow]:
    """Groups the accounts belong to or shared files in, with how many files they shared."""
    ids = list(accounts)
    g, s = T.Group, T.Sighting
    member_of = set(
        session.scalars(select(T.Membership.group_id).where(T.Membership.account_id.in_(ids)))
    )
    shares = dict(
        session.execute(
            select(s.group_id, func.count(func.distinct(s.media_id)))
            .where(s.account_id.in_(ids), s.group_id.is_not(None))
            .group_by(s.group_id)
        ).all()
    )
    group_ids = member_of | set(shares)
    rows = session.scalars(select(g).where(g.id.in_(group_ids))).all()
    return sorted(
        ({"key": account_key(row.platform, row.group_id), "name": row.name,
          "member": row.id in member_of, "files_shared": shares.get(row.id, 0)}
         for row in rows),
        key=lambda group: group["key"],
    )  # fmt: skip


def media_section(session: Session, media_ids: Iterable[int]) -> list[dict[str, Any]]:
    """The items, newest status first, with their series key and first sighting."""
    m, series, s = T.Media, T.Series, T.Sighting
    first_seen = (
        select(s.media_id, func.min(s.at).label("first"))
        .where(s.media_id.in_(list(media_ids)))
        .group_by(s.media_id)
        .subquery()
    )
    rows = session.execute(
        select(m, series.key, first_seen.c.first)
        .outerjoin(series, series.id == m.series_id)
        .outerjoin(first_seen, first_seen.c.media_id == m.id)
        .where(m.id.in_(list(media_ids)))
        .order_by(m.sha256)
    )
    return [
        {"id": media.id, "sha256": media.sha256, "kind": media.kind, "status": media.status,
         "mime_type": media.mime_type, "width": media.width, "height": media.height,
         "series": key, "first_seen": first}
        for media, key, first in rows
    ]  # fmt: skip


def media_of_accounts(session: Session, accounts: dict[int, str]) -> set[int]:
    s = T.Sighting
    return set(session.scalars(select(s.media_id).where(s.account_id.in_(list(accounts)))))


def timeline_section(
    session: Session, accounts: dict[int, str], history: list[TimelineEntry]
) -> list[TimelineEntry]:
    """Reports, IP events, shared files and the case's own history, in time order.

    A long timeline keeps its newest entries (the case's latest notes among them) and says how
    many earlier ones it leaves out.
    """
    entries = [*_report_entries(session, accounts), *_ip_entries(session, accounts),
               *_share_entries(session, accounts), *history]  # fmt: skip
    entries.sort(key=lambda entry: (entry["at"] is not None, entry["at"] or datetime.min))
    if len(entries) <= MAX_TIMELINE:
        return entries
    left_out = len(entries) - MAX_TIMELINE
    note = TimelineEntry(
        kind="omitted", at=None, text=f"{left_out} earlier entries not shown", account=None
    )
    return [note, *entries[-MAX_TIMELINE:]]


def _report_entries(session: Session, accounts: dict[int, str]) -> list[TimelineEntry]:
    p, r = T.Party, T.Report
    rows = session.execute(
        select(r.number, r.incident_type, r.incident_at, r.platform, p.account_id)
        .join(p, p.report_id == r.id)
        .where(p.account_id.in_(list(accounts)))
        .distinct()
    )
    return [
        {"at": at, "kind": "report",
         "text": f"Report {number} ({kind}) on {platform or 'unknown platform'}",
         "account": accounts[not_null(account)]}
        for number, kind, at, platform, account in rows
    ]  # fmt: skip


def _ip_entries(session: Session, accounts: dict[int, str]) -> list[TimelineEntry]:
    e = T.IPEvent
    rows = session.execute(
        select(e.at, e.ip, e.port, e.event, e.account_id).where(e.account_id.in_(list(accounts)))
    )
    return [
        {"at": at, "kind": "ip",
         "text": f"{event or 'IP event'} from {ip}" + (f" port {port}" if port else ""),
         "account": accounts[not_null(account)]}
        for at, ip, port, event, account in rows
    ]  # fmt: skip


def _share_entries(session: Session, accounts: dict[int, str]) -> list[TimelineEntry]:
    s, m, g = T.Sighting, T.Media, T.Group
    rows = session.execute(
        select(s.at, m.sha256, m.status, g.platform, g.group_id, s.account_id)
        .join(m, m.id == s.media_id)
        .outerjoin(g, g.id == s.group_id)
        .where(s.account_id.in_(list(accounts)))
    )
    return [
        {"at": at, "kind": "file",
         "text": f"{status or 'unmatched'} file {sha[:12]}…"
         + (f" shared in {account_key(platform, group)}" if group else " uploaded"),
         "account": accounts[not_null(account)]}
        for at, sha, status, platform, group, account in rows
    ]  # fmt: skip
