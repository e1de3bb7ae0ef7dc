"""Existing stores brought to the new reading of phone numbers (migration 0011).

Every stored phone is read again in its context (its ``countryCallingCode``, the party's or
account's address and estimated location, the country of the account's IP events, the
workspace's home country). An account on a phone-number messenger whose id now reads as
another account's key is merged into it: its parties, identifiers, IP events, sightings,
messages, memberships and analysts' decisions move to the surviving account, a person left
without accounts hands its case to the surviving account's person, and each merge (or rename,
when no account held the new key yet) is recorded in ``account_merge`` with when and why.

Written in SQLAlchemy Core on tables declared here as they stand at revision 0011, so later
changes to the models cannot change what this migration does.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from amparo.identifiers import (
    PhoneContext,
    PhoneReading,
    address_country,
    phone_identifier,
    read_messenger_id,
)
from amparo.model import PHONE_NUMBER_PLATFORMS, account_key
from amparo.store.types import JSONData, UTCDateTime

ACTOR = "migration 0011"
MERGED_EVENT = "subject_merged"
DEFAULT_HOME_COUNTRY = "ES"

_m = sa.MetaData()
account = sa.Table("account", _m, sa.Column("id", sa.Integer), sa.Column("platform", sa.Text),
                   sa.Column("user_id", sa.Text))  # fmt: skip
party = sa.Table("party", _m, sa.Column("id", sa.Integer), sa.Column("account_id", sa.Integer),
                 sa.Column("addresses", JSONData), sa.Column("est_country", sa.String))  # fmt: skip
identifier = sa.Table(
    "identifier", _m, sa.Column("id", sa.Integer), sa.Column("party_id", sa.Integer),
    sa.Column("account_id", sa.Integer), sa.Column("kind", sa.String), sa.Column("raw", sa.Text),
    sa.Column("normalized", sa.Text), sa.Column("attributes", JSONData),
)  # fmt: skip
ip_event = sa.Table(
    "ip_event",
    _m,
    sa.Column("id", sa.Integer),
    sa.Column("account_id", sa.Integer),
    sa.Column("possible_proxy", sa.Boolean),
)
ip_lookup = sa.Table(
    "ip_lookup",
    _m,
    sa.Column("ip_event_id", sa.Integer),
    sa.Column("country", sa.String),
    sa.Column("reserved", sa.String),
)
setting = sa.Table("setting", _m, sa.Column("key", sa.String), sa.Column("value", JSONData))
membership = sa.Table("membership", _m, sa.Column("id", sa.Integer),
                      sa.Column("group_id", sa.Integer), sa.Column("account_id", sa.Integer),
                      sa.Column("source_id", sa.Integer))  # fmt: skip
decision = sa.Table(
    "link_decision",
    _m,
    sa.Column("id", sa.Integer),
    sa.Column("account_a_id", sa.Integer),
    sa.Column("account_b_id", sa.Integer),
)
person_link = sa.Table("person_link", _m, sa.Column("person_id", sa.Integer),
                       sa.Column("account_a_id", sa.Integer),
                       sa.Column("account_b_id", sa.Integer))  # fmt: skip
person_account = sa.Table(
    "person_account", _m, sa.Column("account_id", sa.Integer), sa.Column("person_id", sa.Integer)
)
person = sa.Table("person", _m, sa.Column("id", sa.Integer), sa.Column("key", sa.String))
case_file = sa.Table(
    "case_file",
    _m,
    sa.Column("id", sa.Integer),
    sa.Column("kind", sa.String),
    sa.Column("subject", sa.Text),
)
case_event = sa.Table(
    "case_event",
    _m,
    sa.Column("case_id", sa.Integer),
    sa.Column("at", UTCDateTime),
    sa.Column("actor", sa.Text),
    sa.Column("action", sa.String),
    sa.Column("detail", JSONData),
)
series = sa.Table("series", _m, sa.Column("id", sa.Integer), sa.Column("first_accounts", JSONData))
stage_run = sa.Table("stage_run", _m, sa.Column("stage", sa.String))
account_merge = sa.Table(
    "account_merge", _m, sa.Column("id", sa.Integer), sa.Column("from_key", sa.Text),
    sa.Column("into_account_id", sa.Integer), sa.Column("reason", sa.Text),
    sa.Column("merged_at", UTCDateTime), sa.Column("detail", JSONData),
)  # fmt: skip
_OWNED = ("party", "identifier", "ip_event", "sighting", "message")


@dataclass
class _Known:
    """What the store says around each party and account, for reading their numbers."""

    home: str | None
    party_places: dict[int, tuple[str | None, str | None]] = field(default_factory=dict)
    account_places: dict[int, tuple[str | None, str | None]] = field(default_factory=dict)
    account_ip_country: dict[int, str | None] = field(default_factory=dict)

    def context(self, party_id: int | None, account_id: int | None) -> PhoneContext:
        address, estimate = self.party_places.get(party_id or -1, (None, None))
        own_address, own_estimate = self.account_places.get(account_id or -1, (None, None))
        return PhoneContext(
            address_country=address or own_address,
            estimated_country=estimate or own_estimate,
            ip_country=self.account_ip_country.get(account_id or -1),
            home_country=self.home,
        )


def rekey_phone_accounts(connection: Connection, now: datetime) -> int:
    """Read every stored phone again and merge the accounts that became one; return merges."""
    known = _known(connection)
    _reread_phones(connection, known)
    merges = 0
    for platform in sorted(PHONE_NUMBER_PLATFORMS):
        merges += _rekey_platform(connection, known, platform, now)
    connection.execute(sa.delete(stage_run))  # persons, places and scores are made again
    return merges


def _known(connection: Connection) -> _Known:
    home = connection.execute(sa.select(setting.c.value).where(setting.c.key == "home_country"))
    value = home.scalar()
    known = _Known(value["value"] if value else DEFAULT_HOME_COUNTRY)
    rows = connection.execute(
        sa.select(party.c.id, party.c.account_id, party.c.addresses, party.c.est_country)
        .order_by(party.c.id)
    )  # fmt: skip
    for party_id, account_id, addresses, estimate in rows:
        place = (address_country(addresses or ()), estimate)
        known.party_places[party_id] = place
        if account_id is not None:
            earlier = known.account_places.get(account_id, (None, None))
            known.account_places[account_id] = (earlier[0] or place[0], earlier[1] or place[1])
    known.account_ip_country = _ip_countries(connection)
    return known


def _ip_countries(connection: Connection) -> dict[int, str | None]:
    """Each account's most common IP-event country (possible proxies left out; a tie: none)."""
    rows = connection.execute(
        sa.select(ip_event.c.account_id, ip_lookup.c.country)
        .join(ip_lookup, ip_lookup.c.ip_event_id == ip_event.c.id)
        .where(ip_event.c.account_id.is_not(None), ip_lookup.c.country.is_not(None),
               ip_event.c.possible_proxy.is_not(True))
    )  # fmt: skip
    counts: dict[int, Counter[str]] = defaultdict(Counter)
    for account_id, country in rows:
        counts[account_id][country] += 1
    countries: dict[int, str | None] = {}
    for account_id, counted in counts.items():
        ranked = counted.most_common(2)
        tie = len(ranked) == 2 and ranked[0][1] == ranked[1][1]
        countries[account_id] = None if tie else ranked[0][0]
    return countries


def _reread_phones(connection: Connection, known: _Known) -> None:
    c = identifier.c
    rows = connection.execute(
        sa.select(c.id, c.party_id, c.account_id, c.raw, c.normalized, c.attributes)
        .where(c.kind == "phone")
    ).all()  # fmt: skip
    changed = []
    for id_, party_id, account_id, raw, normalized, attributes in rows:
        read = phone_identifier(raw, attributes or {}, known.context(party_id, account_id))
        if (read.normalized, read.attributes) != (normalized, attributes):
            changed.append({"row": id_, "new": read.normalized, "details": read.attributes})
    if changed:  # one statement, many parameter sets
        connection.execute(
            sa.update(identifier).where(c.id == sa.bindparam("row"))
            .values(normalized=sa.bindparam("new"), attributes=sa.bindparam("details")),
            changed,
        )  # fmt: skip


def _rekey_platform(connection: Connection, known: _Known, platform: str, now: datetime) -> int:
    rows = connection.execute(
        sa.select(account.c.id, account.c.user_id).where(account.c.platform == platform)
        .order_by(account.c.id)
    ).all()  # fmt: skip
    groups: dict[str, list[tuple[int, str, PhoneReading]]] = defaultdict(list)
    for account_id, user_id in rows:
        reading = read_messenger_id(user_id, known.context(None, account_id))
        groups[reading.normalized if reading.read else user_id].append(
            (account_id, user_id, reading)
        )
    merges = 0
    for target, members in groups.items():
        survivor = next((m for m in members if m[1] == target), members[0])
        for absorbed in members:
            if absorbed is not survivor:
                _merge(connection, platform, absorbed, survivor, target, now)
                merges += 1
        if survivor[1] != target:
            _rename(connection, platform, survivor, target, now)
    return merges


def _reason(platform: str, user_id: str, target: str, reading: PhoneReading) -> str:
    how = "its own country code" if reading.basis == "international" else (
        f"region {reading.region} from {(reading.basis or '').replace('_', ' ')}"
    )  # fmt: skip
    return f"{account_key(platform, user_id)} reads as {account_key(platform, target)} ({how})"


def _record(
    connection: Connection,
    from_key: str,
    into: int,
    reason: str,
    now: datetime,
    detail: dict[str, Any],
) -> None:
    connection.execute(sa.insert(account_merge).values(
        from_key=from_key, into_account_id=into, reason=reason, merged_at=now, detail=detail
    ))  # fmt: skip


def _rename(
    connection: Connection, platform: str, survivor: tuple[int, str, PhoneReading], target: str,
    now: datetime,
) -> None:  # fmt: skip
    account_id, user_id, reading = survivor
    connection.execute(sa.update(account).where(account.c.id == account_id).values(user_id=target))
    _replace_in_series(connection, account_key(platform, user_id), account_key(platform, target))
    detail = {"kind": "renamed", **reading.attributes()}
    _record(connection, account_key(platform, user_id), account_id,
            _reason(platform, user_id, target, reading), now, detail)  # fmt: skip


def _merge(
    connection: Connection, platform: str, absorbed: tuple[int, str, PhoneReading],
    survivor: tuple[int, str, PhoneReading], target: str, now: datetime,
) -> None:  # fmt: skip
    gone, user_id, reading = absorbed
    kept = survivor[0]
    moved = {name: _move_owned(connection, name, gone, kept) for name in _OWNED}
    moved["membership"] = _move_memberships(connection, gone, kept)
    moved["link_decision"] = _move_decisions(connection, gone, kept)
    cases = _move_person(connection, gone, kept, account_key(platform, target), now)
    old_key = account_key(platform, user_id)
    _replace_in_series(connection, old_key, account_key(platform, target))
    connection.execute(sa.delete(account).where(account.c.id == gone))
    detail = {"kind": "merged", **reading.attributes(), "moved": moved, "cases": cases}
    _record(connection, old_key, kept, _reason(platform, user_id, target, reading), now, detail)


def _move_owned(connection: Connection, name: str, gone: int, kept: int) -> int:
    table = sa.table(name, sa.column("account_id"))
    result = connection.execute(
        sa.update(table).where(table.c.account_id == gone).values(account_id=kept)
        .execution_options(preserve_rowcount=True)
    )  # fmt: skip
    return result.rowcount


def _move_memberships(connection: Connection, gone: int, kept: int) -> int:
    c = membership.c
    held = {(g, s) for g, s in connection.execute(
        sa.select(c.group_id, c.source_id).where(c.account_id == kept))}  # fmt: skip
    rows = connection.execute(sa.select(c.id, c.group_id, c.source_id).where(c.account_id == gone))
    moved = 0
    for id_, group_id, source_id in rows.all():
        if (group_id, source_id) in held:
            connection.execute(sa.delete(membership).where(c.id == id_))
        else:
            connection.execute(sa.update(membership).where(c.id == id_).values(account_id=kept))
            moved += 1
    return moved


def _move_decisions(connection: Connection, gone: int, kept: int) -> int:
    """Analysts' decisions follow the account; one about the two merged accounts is moot."""
    c = decision.c
    pairs = {(a, b) for a, b in connection.execute(sa.select(c.account_a_id, c.account_b_id))}
    rows = connection.execute(
        sa.select(c.id, c.account_a_id, c.account_b_id)
        .where(sa.or_(c.account_a_id == gone, c.account_b_id == gone))
    ).all()  # fmt: skip
    moved = 0
    for id_, a, b in rows:
        a, b = sorted(kept if x == gone else x for x in (a, b))
        if a == b or (a, b) in pairs:
            connection.execute(sa.delete(decision).where(c.id == id_))
            continue
        connection.execute(sa.update(decision).where(c.id == id_)
                           .values(account_a_id=a, account_b_id=b))  # fmt: skip
        pairs.add((a, b))
        moved += 1
    return moved


def _move_person(
    connection: Connection, gone: int, kept: int, kept_key: str, now: datetime
) -> list[dict[str, Any]]:
    """The absorbed account leaves its person; a person left empty gives its case away."""
    c = person_account.c
    connection.execute(
        sa.delete(person_link).where(
            sa.or_(person_link.c.account_a_id == gone, person_link.c.account_b_id == gone)
        )
    )
    owner = dict(
        connection.execute(
            sa.select(c.account_id, c.person_id).where(c.account_id.in_((gone, kept)))
        ).all()
    )
    if gone not in owner:
        return []
    if kept not in owner:
        connection.execute(sa.update(person_account).where(c.account_id == gone)
                           .values(account_id=kept))  # fmt: skip
        return []
    connection.execute(sa.delete(person_account).where(c.account_id == gone))
    left = connection.execute(
        sa.select(sa.func.count()).select_from(person_account).where(c.person_id == owner[gone])
    )
    if owner[gone] == owner[kept] or left.scalar():
        return []
    return _hand_over_case(connection, owner[gone], owner[kept], kept_key, now)


def _hand_over_case(
    connection: Connection, empty: int, survivor: int, kept_key: str, now: datetime
) -> list[dict[str, Any]]:
    keys = dict(
        connection.execute(
            sa.select(person.c.id, person.c.key).where(person.c.id.in_((empty, survivor)))
        ).all()
    )
    old, new = keys[empty], keys[survivor]
    connection.execute(sa.delete(person).where(person.c.id == empty))
    cases = dict(
        connection.execute(
            sa.select(case_file.c.subject, case_file.c.id).where(
                case_file.c.kind == "person", case_file.c.subject.in_((old, new))
            )
        ).all()
    )
    if old not in cases:
        return []
    detail = {"from": old, "into": new, "account": kept_key}
    if new not in cases:
        connection.execute(sa.update(case_file).where(case_file.c.id == cases[old])
                           .values(subject=new))  # fmt: skip
    connection.execute(
        sa.insert(case_event).values(
            case_id=cases[old], at=now, actor=ACTOR, action=MERGED_EVENT, detail=detail
        )
    )
    return [detail | {"case_moved": new not in cases}]


def _replace_in_series(connection: Connection, old: str, new: str) -> None:
    rows = connection.execute(sa.select(series.c.id, series.c.first_accounts)).all()
    for id_, first in rows:
        if first and old in first:
            replaced = list(dict.fromkeys(new if key == old else key for key in first))
            connection.execute(sa.update(series).where(series.c.id == id_)
                               .values(first_accounts=replaced))  # fmt: skip
