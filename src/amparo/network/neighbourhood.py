"""The part of the network one group's or one series' page shows, read from the store alone.

A page about one group needs that group's memberships and shares, a page about one series the
shares of its files and, for a new series, its first sharers; both need the persons holding
those accounts, with all their accounts (so that a person resolved from several shows as one).
Reading only that, instead of the whole network (``store.load_network``), keeps a page's cost
to its own neighbourhood. Country hints are left out: no page of this kind shows them.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import Select, and_, false, func, or_, select
from sqlalchemy.orm import Session, aliased

from amparo.model import account_key
from amparo.network.graph import MemberOf, NetworkData, PersonNode, SeriesNode, Share
from amparo.network.store import NEW
from amparo.store import tables

A, G, S = tables.Account, tables.Group, tables.Sighting


def load_group_neighbourhood(session: Session, group: str) -> NetworkData:
    """Memberships and shares of the group keyed ``group``, and their accounts' persons."""
    platform, _, group_id = group.partition(":")
    ids = select(G.id).where(G.platform == platform, G.group_id == group_id).scalar_subquery()
    m = tables.Membership
    rows = session.execute(
        select(A.id, A.platform, A.user_id, G.platform, G.group_id).select_from(m)
        .join(A, A.id == m.account_id).join(G, G.id == m.group_id)
        .where(m.group_id == ids).distinct()
    ).all()  # fmt: skip
    memberships = sorted({MemberOf(account_key(r[1], r[2]), account_key(r[3], r[4])) for r in rows},
                         key=lambda member: (member.account, member.group))  # fmt: skip
    in_group = (
        select(m.account_id)
        .where(m.group_id == ids)
        .union(select(S.account_id).where(S.group_id == ids, S.account_id.is_not(None)))
    )
    return NetworkData(
        persons=_persons(session, in_group),
        memberships=tuple(memberships),
        shares=_shares(session, S.group_id == ids),
    )


def load_series_neighbourhood(session: Session, series: str) -> NetworkData:
    """Shares of the files of the series keyed ``series``, its first sharers when it is new,
    and their accounts' persons."""
    t = tables.Series
    row = session.execute(
        select(t.id, t.status, t.first_accounts).where(t.key == series)
    ).one_or_none()
    if row is None:
        return NetworkData()
    series_id, status, first = row
    in_series = select(tables.Media.id).where(tables.Media.series_id == series_id)
    shared = S.media_id.in_(in_series)
    nodes = (SeriesNode(series, status, tuple(first or ())),) if status == NEW else ()
    sharers = select(S.account_id).where(shared, S.group_id.is_not(None), S.account_id.is_not(None))
    first_sharers = _accounts_keyed(nodes[0].first_accounts if nodes else ())
    return NetworkData(
        persons=_persons(session, sharers.union(first_sharers)),
        shares=_shares(session, shared),
        series=nodes,
    )


def _shares(session: Session, where: Any) -> tuple[Share, ...]:
    """The shares ``where`` selects among sightings, as ``store.load_network`` reads them."""
    media, series = tables.Media, tables.Series
    rows = session.execute(
        select(A.id, A.platform, A.user_id, G.platform, G.group_id, media.sha256,
               media.status, series.key, func.min(S.at)).select_from(S)
        .join(A, A.id == S.account_id).join(G, G.id == S.group_id)
        .join(media, media.id == S.media_id)
        .outerjoin(series, series.id == media.series_id)
        .where(where)
        .group_by(A.id, A.platform, A.user_id, G.platform, G.group_id, media.sha256,
                  media.status, series.key)
    ).all()  # fmt: skip
    shares = [
        Share(account_key(r[1], r[2]), account_key(r[3], r[4]), r[5], r[8], r[6], r[7])
        for r in rows
    ]
    return tuple(sorted(shares, key=lambda s: (s.account, s.group, s.media)))


def _accounts_keyed(keys: tuple[str, ...]) -> Select[Any]:
    """The ids of the accounts whose keys are ``keys`` (a few: a series' first sharers)."""
    wanted = [and_(A.platform == platform, A.user_id == user)
              for platform, _, user in (key.partition(":") for key in keys)]  # fmt: skip
    return select(A.id).where(or_(false(), *wanted))


def _persons(session: Session, account_ids: Any) -> tuple[PersonNode, ...]:
    """The persons holding the accounts ``account_ids`` selects, each with all its accounts."""
    held, other = tables.PersonAccount, aliased(tables.PersonAccount)
    persons = select(held.person_id).where(held.account_id.in_(account_ids))
    rows = session.execute(
        select(tables.Person.key, A.platform, A.user_id)
        .join(other, other.person_id == tables.Person.id)
        .join(A, A.id == other.account_id)
        .where(tables.Person.id.in_(persons))
    )
    accounts: dict[str, list[str]] = defaultdict(list)
    for person, platform, user in rows:
        accounts[person].append(account_key(platform, user))
    return tuple(PersonNode(key, tuple(sorted(keys))) for key, keys in sorted(accounts.items()))
