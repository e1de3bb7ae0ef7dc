"""Reading the store into the network's plain data, in a few bulk SELECTs (one per table).

Accounts that the resolve stage has not put in a person (or all of them, before it has run)
are persons of their own, keyed by the account key. Only sightings that name both an account
and a group are shares; the first sharers of new series come from the cluster stage's series.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from amparo.model import PHONE_NUMBER_PLATFORMS, SeriesStatus, account_key
from amparo.network.country import country_hint
from amparo.network.graph import GroupNode, MemberOf, NetworkData, PersonNode, SeriesNode, Share
from amparo.people.read_model import account_keys, chosen_locations, persons_of_accounts
from amparo.store import tables
from amparo.store.nulls import not_null

NEW = SeriesStatus.NEW
PHONE = "phone"
# Platforms whose user ids are the account's phone number in E.164 (DESIGN.md section 5).


def load_network(session: Session) -> NetworkData:
    accounts = account_keys(session)
    groups = _groups(session)
    return NetworkData(
        persons=_persons(session, accounts),
        groups=tuple(sorted(groups.values(), key=lambda g: g.key)),
        memberships=_memberships(session, accounts, groups),
        shares=_shares(session, accounts, groups),
        series=_series(session),
    )


def _groups(session: Session) -> dict[int, GroupNode]:
    rows = session.execute(
        select(tables.Group.id, tables.Group.platform, tables.Group.group_id, tables.Group.name)
    )
    return {
        id_: GroupNode(account_key(platform, group), name) for id_, platform, group, name in rows
    }


def _persons(session: Session, accounts: dict[int, str]) -> tuple[PersonNode, ...]:
    """Resolved persons with their accounts, and every other account as a person of its own."""
    held: dict[str, list[int]] = defaultdict(list)
    persons = persons_of_accounts(session)
    for account_id, (_, person) in persons.items():
        held[person].append(account_id)
    in_person = {a for ids in held.values() for a in ids}
    held.update({accounts[a]: [a] for a in accounts if a not in in_person})
    estimates, phones = _country_evidence(session, accounts)
    located = _located_countries(session, dict(persons.values()))
    return tuple(
        PersonNode(
            key,
            tuple(sorted(accounts[a] for a in ids)),
            located.get(key)
            or country_hint(
                [e for a in ids for e in estimates[a]], [p for a in ids for p in phones[a]]
            ),
        )
        for key, ids in sorted(held.items())
    )


def _located_countries(session: Session, persons: dict[int, str]) -> dict[str, str]:
    """The country the locate stage placed each of ``persons`` (id → key) in, where it could."""
    return {
        persons[person_id]: place.country
        for person_id, place in chosen_locations(session).items()
        if place.country is not None and person_id in persons
    }


def _country_evidence(
    session: Session, accounts: dict[int, str]
) -> tuple[dict[int, list[str]], dict[int, list[str]]]:
    """Per account: the platforms' country estimates (one per report) and its phone numbers."""
    estimates: dict[int, list[str]] = defaultdict(list)
    party = tables.Party
    for account_id, country in session.execute(
        select(party.account_id, party.est_country).where(
            party.account_id.is_not(None), party.est_country.is_not(None)
        )
    ):
        estimates[not_null(account_id)].append(not_null(country))
    phones: dict[int, list[str]] = defaultdict(list)
    ident = tables.Identifier
    for account_id, number in session.execute(
        select(ident.account_id, ident.normalized)
        .where(ident.account_id.is_not(None), ident.kind == PHONE)
        .distinct()
    ):
        phones[not_null(account_id)].append(number)
    for account_id, key in accounts.items():
        platform, _, user = key.partition(":")
        if platform in PHONE_NUMBER_PLATFORMS and user.startswith("+"):
            phones[account_id].append(user)
    return estimates, phones


def _memberships(
    session: Session, accounts: dict[int, str], groups: dict[int, GroupNode]
) -> tuple[MemberOf, ...]:
    m = tables.Membership
    rows = session.execute(select(m.account_id, m.group_id).distinct())
    return tuple(sorted((MemberOf(accounts[a], groups[g].key) for a, g in rows), key=_member_key))


def _member_key(membership: MemberOf) -> tuple[str, str]:
    return membership.account, membership.group


def _shares(
    session: Session, accounts: dict[int, str], groups: dict[int, GroupNode]
) -> tuple[Share, ...]:
    """Each file each account shared in each group, with its earliest time, status and series."""
    s, media, series = tables.Sighting, tables.Media, tables.Series
    rows = session.execute(
        select(s.account_id, s.group_id, media.sha256, media.status, series.key, func.min(s.at))
        .join(media, media.id == s.media_id)
        .outerjoin(series, series.id == media.series_id)
        .where(s.account_id.is_not(None), s.group_id.is_not(None))
        .group_by(s.account_id, s.group_id, media.sha256, media.status, series.key)
    )
    shares = [
        Share(accounts[not_null(a)], groups[not_null(g)].key, sha256, at, status, key)
        for a, g, sha256, status, key, at in rows
    ]
    return tuple(sorted(shares, key=lambda s: (s.account, s.group, s.media)))


def _series(session: Session) -> tuple[SeriesNode, ...]:
    t = tables.Series
    rows = session.execute(
        select(t.key, t.status, t.first_accounts).where(t.status == NEW).order_by(t.key)
    )
    return tuple(SeriesNode(key, status, tuple(first or ())) for key, status, first in rows)
