"""Internet providers' subscriber records matched to the IP events they answer.

The returns are imported by ``amparo.intake.subscribers``.

A record answers an event when their addresses are the same (compared in canonical form: IPv6
compressed, IPv4-mapped IPv6 as IPv4), the event's UTC time lies within the record's window
(``start <= at <= end``; no end: an open window) and, when both give a port, the ports are the
same. When an event has a record with its exact port, port-less records are not matched to it.

A port on one side only still matches. The answer is **ambiguous** (it may be another
subscriber's) when the return gives a port and the event has none, when several subscribers
held the address in that window, or when the return gives no port for an event with one and the
provider shares addresses among subscribers (flagged ``uses_cgnat`` in the providers list, by
the return's ISP name or the event address's lookup). A provider that does not share addresses
and names one subscriber for the window gives a **firm** answer, port or no port.

Ambiguity is not stored: a ``SubscriberMatch`` row is just the pair, and ``subscriber_answers``
derives each pair's notes from the rows (a port on one side only, a provider that shares
addresses, several subscribers for one event, an open window), so they can never disagree with
the data.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from amparo.geo.addresses import normalise_ip
from amparo.geo.providers import find_provider
from amparo.store import tables
from amparo.store.nulls import not_null

INSERT_CHUNK = 2000

PORT_ONLY_IN_RETURN = "the return gives a port, the event has none"
PORT_ONLY_IN_EVENT = "the event has a port, the return gives none"
SHARED_ADDRESS = (
    "the provider shares addresses among subscribers (carrier-grade NAT), so without the port "
    "another subscriber may have used the address"
)
SEVERAL_SUBSCRIBERS = "several subscribers answer this event"
OPEN_WINDOW = "the return gives no end time (open window)"
AMBIGUOUS_NOTES = (PORT_ONLY_IN_RETURN, SHARED_ADDRESS, SEVERAL_SUBSCRIBERS)


@dataclass(frozen=True)
class SubscriberAnswer:
    """A subscriber record matched to an IP event, with what makes the answer less than sure."""

    ip_event_id: int
    subscriber_record_id: int
    notes: tuple[str, ...]

    @property
    def ambiguous(self) -> bool:
        return any(note in AMBIGUOUS_NOTES for note in self.notes)


@dataclass(frozen=True)
class _Window:
    id: int
    ip: str
    port: int | None
    start_at: datetime | None
    end_at: datetime | None

    def holds(self, at: datetime) -> bool:
        after_start = self.start_at is None or self.start_at <= at
        return after_start and (self.end_at is None or at <= self.end_at)


@dataclass(frozen=True)
class _Event:
    id: int
    ip: str
    port: int | None
    at: datetime


def match_subscribers(session: Session) -> int:
    """(Re)compute every SubscriberMatch from the records and IP events; return how many."""
    windows = _windows(session)
    events = _events(session)
    pairs = sorted(set(match_pairs(windows, events)))
    session.execute(delete(tables.SubscriberMatch))
    rows = [{"subscriber_record_id": r, "ip_event_id": e} for r, e in pairs]
    for start in range(0, len(rows), INSERT_CHUNK):
        session.execute(insert(tables.SubscriberMatch), rows[start : start + INSERT_CHUNK])
    return len(rows)


def match_pairs(windows: Iterable[_Window], events: Iterable[_Event]) -> list[tuple[int, int]]:
    """(record id, event id) for each record that answers an event (see the module docstring)."""
    by_ip: dict[str, list[_Window]] = defaultdict(list)
    for window in windows:
        by_ip[window.ip].append(window)
    pairs = []
    for event in events:
        holding = [w for w in by_ip.get(event.ip, []) if w.holds(event.at)]
        compatible = [w for w in holding if None in (w.port, event.port) or w.port == event.port]
        exact = [w for w in compatible if w.port is not None and w.port == event.port]
        pairs += [(w.id, event.id) for w in exact or compatible]
    return pairs


def _windows(session: Session) -> list[_Window]:
    record = tables.SubscriberRecord
    rows = session.execute(
        select(record.id, record.ip, record.port, record.start_at, record.end_at)
    )
    return [_Window(*row) for row in rows]


def _events(session: Session) -> list[_Event]:
    event = tables.IPEvent
    rows = session.execute(
        select(event.id, event.ip, event.port, event.at).where(event.at.is_not(None))
    )
    events = []
    for event_id, ip, port, at in rows:
        canonical = _canonical(ip)
        if canonical is not None:
            events.append(_Event(event_id, canonical, port, not_null(at)))
    return events


def _canonical(ip: str | None) -> str | None:
    try:
        return normalise_ip(ip or "")
    except ValueError:
        return None


def subscriber_answers(session: Session) -> list[SubscriberAnswer]:
    """Every stored match with its notes; ``ambiguous`` when the answer may be another
    subscriber's (see the module docstring)."""
    match, record, event = tables.SubscriberMatch, tables.SubscriberRecord, tables.IPEvent
    lookup = tables.IpLookup
    rows = session.execute(
        select(match.ip_event_id, match.subscriber_record_id, record.port, record.end_at,
               event.port, record.isp, lookup.organisation, lookup.asn, record.subscriber_name,
               record.address)
        .join(record, record.id == match.subscriber_record_id)
        .join(event, event.id == match.ip_event_id)
        .outerjoin(lookup, lookup.ip_event_id == match.ip_event_id)
        .order_by(match.ip_event_id, match.subscriber_record_id)
    ).all()  # fmt: skip
    per_event = defaultdict(set)
    for event_id, record_id, *_, name, address in rows:
        per_event[event_id].add(_subscriber(record_id, name, address))
    return [
        SubscriberAnswer(event_id, record_id, answer_notes(
            record_port, end_at, event_port, len(per_event[event_id]),
            shares_addresses=shares_addresses(isp, organisation, asn),
        ))
        for event_id, record_id, record_port, end_at, event_port, isp, organisation, asn, *_
        in rows
    ]  # fmt: skip


def _subscriber(record_id: int, name: str | None, address: str | None) -> tuple[Any, ...]:
    """Who a record names: rows naming the same person at the same address are one subscriber."""
    if not name and not address:
        return (record_id,)
    return (" ".join((name or "").casefold().split()), " ".join((address or "").casefold().split()))


def shares_addresses(isp: str | None, organisation: str | None, asn: int | None) -> bool:
    """Whether the provider (by the return's ISP name or the address's lookup) is flagged as
    putting subscribers behind carrier-grade NAT in the providers list."""
    found = (find_provider(isp, None), find_provider(organisation, asn))
    return any(provider is not None and provider.uses_cgnat for provider in found)


def answer_notes(
    record_port: int | None,
    end_at: datetime | None,
    event_port: int | None,
    subscribers: int,
    *,
    shares_addresses: bool = False,
) -> tuple[str, ...]:
    """Why a match is less than sure (empty when it is exact)."""
    notes = []
    if record_port is not None and event_port is None:
        notes.append(PORT_ONLY_IN_RETURN)
    if record_port is None and event_port is not None:
        notes.append(PORT_ONLY_IN_EVENT)
        if shares_addresses:
            notes.append(SHARED_ADDRESS)
    if subscribers > 1:
        notes.append(SEVERAL_SUBSCRIBERS)
    if end_at is None:
        notes.append(OPEN_WINDOW)
    return tuple(notes)
