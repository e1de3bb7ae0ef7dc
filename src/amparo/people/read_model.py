"""The one read model of accounts and persons: account ids and keys, who holds an account,
where a person is placed, and a person's dossier.

Pages, exports, the people report, the network and triage read these here instead of each
writing its own query. The chosen location is read by the one rule of
``amparo.geo.locate_store`` (the most confident chosen row, then the last written), which sits
in geo so that the age assessment there reads the same rule.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from amparo.geo.locate_store import ChosenLocation, chosen_locations
from amparo.model import account_key, parse_account_key
from amparo.store import tables

A, P, PA, AGE = tables.Account, tables.Person, tables.PersonAccount, tables.PersonAge

__all__ = [
    "AgeAssessment",
    "ChosenLocation",
    "Dossier",
    "account_ids",
    "account_keys",
    "chosen_locations",
    "dossier",
    "dossiers",
    "person_ages",
    "person_id_of",
    "person_keys",
    "person_keys_by_account",
    "person_keys_by_account_key",
    "persons_of_accounts",
]


# --- accounts ------------------------------------------------------------------------------


def account_keys(
    session: Session, *, ids: Iterable[int] | None = None, keys: Iterable[str] | None = None
) -> dict[int, str]:
    """Account id → account key: every account, or those with ``ids``, or those whose key is
    one of ``keys`` (keys of no account are skipped)."""
    query = select(A.id, A.platform, A.user_id)
    if ids is not None:
        query = query.where(A.id.in_(list(ids)))
    if keys is None:
        return {id_: account_key(platform, user) for id_, platform, user in session.execute(query)}
    wanted = {parse_account_key(key) for key in keys if ":" in key}
    query = query.where(A.platform.in_(sorted({platform for platform, _ in wanted})))
    rows = session.execute(query)
    return {id_: account_key(p, u) for id_, p, u in rows if (p, u) in wanted}


def account_ids(session: Session, keys: Iterable[str] | None = None) -> dict[str, int]:
    """Account key → account id, for every account (or only those whose key is in ``keys``)."""
    return {key: id_ for id_, key in account_keys(session, keys=keys).items()}


# --- persons -------------------------------------------------------------------------------


def person_keys(session: Session) -> dict[int, str]:
    """Person id → person key, for every person."""
    return {id_: key for id_, key in session.execute(select(P.id, P.key))}


def persons_of_accounts(session: Session) -> dict[int, tuple[int, str]]:
    """Account id → (person id, person key), for every account a person holds."""
    rows = session.execute(select(PA.account_id, P.id, P.key).join(P, P.id == PA.person_id))
    return {account_id: (person_id, key) for account_id, person_id, key in rows}


def person_keys_by_account(session: Session) -> dict[int, str]:
    """Account id → person key, for every account a person holds."""
    return {account: key for account, (_, key) in persons_of_accounts(session).items()}


def person_keys_by_account_key(session: Session) -> dict[str, str]:
    """Account key → person key, as the last resolution left them."""
    keys = account_keys(session)
    return {keys[account_id]: key for account_id, key in person_keys_by_account(session).items()}


def person_id_of(session: Session, key: str) -> int | None:
    """The id of the person with this person key, or of the person holding this account key."""
    person_id = session.scalar(select(P.id).where(P.key == key))
    if person_id is None:
        platform, user_id = parse_account_key(key)
        person_id = session.scalar(
            select(PA.person_id).join(A, A.id == PA.account_id)
            .where(A.platform == platform, A.user_id == user_id)
        )  # fmt: skip
    return person_id


@dataclass(frozen=True)
class AgeAssessment:
    """A person's age at the incident as the locate stage assessed it."""

    age: int | None
    minor: bool | None
    criminally_responsible: bool | None
    basis: str | None
    responsibility_age: int | None


def person_ages(session: Session, only: int | None = None) -> dict[int, AgeAssessment]:
    """Person id → the assessed age, for every person assessed (or only the person ``only``)."""
    query = select(AGE.person_id, AGE.age, AGE.minor, AGE.criminally_responsible, AGE.basis,
                   AGE.responsibility_age)  # fmt: skip
    if only is not None:
        query = query.where(AGE.person_id == only)
    return {
        person_id: AgeAssessment(age, minor, responsible, basis, responsibility_age)
        for person_id, age, minor, responsible, basis, responsibility_age in session.execute(query)
    }


# --- dossiers ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dossier:
    """One person as every reader sees it: key, accounts (id → key), chosen place, age."""

    person_id: int
    key: str
    accounts: dict[int, str]
    location: ChosenLocation | None
    age: AgeAssessment | None

    @property
    def account_keys(self) -> list[str]:
        return sorted(self.accounts.values())


def dossiers(session: Session, only: int | None = None) -> dict[int, Dossier]:
    """Person id → dossier, for every person (or only the person ``only``), by person key."""
    keys = account_keys(session)
    persons, members = select(P.id, P.key), select(PA.account_id, PA.person_id)
    if only is not None:
        persons, members = persons.where(P.id == only), members.where(PA.person_id == only)
    held: dict[int, dict[int, str]] = defaultdict(dict)
    for account_id, person_id in session.execute(members):
        held[person_id][account_id] = keys[account_id]
    places, ages = chosen_locations(session, only), person_ages(session, only)
    return {
        person_id: Dossier(person_id, key, held[person_id], places.get(person_id),
                           ages.get(person_id))
        for person_id, key in session.execute(persons.order_by(P.key))
    }  # fmt: skip


def dossier(session: Session, key: str) -> Dossier | None:
    """The dossier of the person with this person key or holding this account key."""
    person_id = person_id_of(session, key)
    return None if person_id is None else dossiers(session, only=person_id)[person_id]
