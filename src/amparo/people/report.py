"""Persons as the findings document and the ``amparo people`` commands show them."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from amparo.identifiers import is_e164
from amparo.model import account_key, instant, parse_account_key
from amparo.people.resolve import describe
from amparo.store import tables

P, PA, PL, A = tables.Person, tables.PersonAccount, tables.PersonLink, tables.Account
ID, M = tables.Identifier, tables.AccountMerge


def person_keys_by_account(session: Session) -> dict[int, str]:
    """Account id → person key, for every resolved account."""
    rows = session.execute(select(PA.account_id, P.key).join(P, P.id == PA.person_id))
    return {account_id: key for account_id, key in rows}


def persons_document(session: Session, only: int | None = None) -> list[dict[str, Any]]:
    """Every person (or only the one with id ``only``) with accounts and links, by key."""
    keys = _account_keys(session)
    members, links_query, persons = select(PA.account_id, PA.person_id), select(PL), select(P)
    if only is not None:
        members = members.where(PA.person_id == only)
        links_query, persons = links_query.where(PL.person_id == only), persons.where(P.id == only)
    accounts: dict[int, list[str]] = defaultdict(list)
    for account_id, person_id in session.execute(members):
        accounts[person_id].append(keys[account_id])
    links: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for link in session.scalars(links_query.order_by(PL.id)):
        links[link.person_id].append(_link(link, keys))
    places, ages = _places(session, only), _ages(session, only)
    phones, merged = _phones(session, keys, only), _merged(session, keys, only)
    return [
        _person(p.key, sorted(accounts[p.id]), links[p.id])
        | places.get(p.id, UNPLACED)
        | ages.get(p.id, AGE_UNKNOWN)
        | {"phones": phones.get(p.id, []), "merged_accounts": merged.get(p.id, [])}
        for p in session.scalars(persons.order_by(P.key))
    ]


def _phones(
    session: Session, keys: dict[int, str], only: int | None
) -> dict[int, list[dict[str, Any]]]:
    """Each person's phone numbers as written, as read, and where a national one's region
    came from (``region_basis``: None for a number that could not be read)."""
    query = (
        select(PA.person_id, ID.account_id, ID.raw, ID.normalized, ID.attributes)
        .join(PA, PA.account_id == ID.account_id)
        .where(ID.kind == "phone")
        .order_by(PA.person_id, ID.id)
    )
    if only is not None:
        query = query.where(PA.person_id == only)
    phones: dict[int, dict[tuple[Any, ...], dict[str, Any]]] = defaultdict(dict)
    for person_id, account_id, raw, normalized, attributes in session.execute(query):
        reading = {"account": keys[account_id], "raw": raw, "normalized": normalized,
                   "read": is_e164(normalized), "region_basis": attributes.get("region_basis"),
                   "region": attributes.get("region")}  # fmt: skip
        phones[person_id].setdefault(tuple(reading.values()), reading)
    return {person_id: list(found.values()) for person_id, found in phones.items()}


def _merged(
    session: Session, keys: dict[int, str], only: int | None
) -> dict[int, list[dict[str, Any]]]:
    """The account keys merged into (or renamed to) each person's accounts, when and why."""
    query = (
        select(PA.person_id, M.from_key, M.into_account_id, M.merged_at, M.reason)
        .join(PA, PA.account_id == M.into_account_id)
        .order_by(M.id)
    )
    if only is not None:
        query = query.where(PA.person_id == only)
    merged: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for person_id, from_key, into, at, reason in session.execute(query):
        merged[person_id].append(
            {"from": from_key, "into": keys[into], "at": instant(at), "reason": reason}
        )
    return merged


UNPLACED: dict[str, Any] = {"country": None, "subdivision": None, "location_basis": "none",
            "subdivision_basis": None, "locations": []}  # fmt: skip
AGE_UNKNOWN = {"age": None, "minor": None, "criminally_responsible": None}


def _places(session: Session, only: int | None) -> dict[int, dict[str, Any]]:
    """Each person's chosen place and every location row behind it, strongest first."""
    query = select(tables.PersonLocation).order_by(
        tables.PersonLocation.person_id, tables.PersonLocation.chosen.desc(),
        tables.PersonLocation.confidence.desc(),
    )  # fmt: skip
    if only is not None:
        query = query.where(tables.PersonLocation.person_id == only)
    places: dict[int, dict[str, Any]] = {}
    for row in session.scalars(query):
        place = places.setdefault(row.person_id, dict(UNPLACED, locations=[]))
        if row.chosen:
            place |= {"country": row.country, "subdivision": row.subdivision,
                      "location_basis": row.basis,
                      "subdivision_basis": row.subdivision_basis}  # fmt: skip
        place["locations"].append(
            {"basis": row.basis, "country": row.country, "subdivision": row.subdivision,
             "confidence": row.confidence, "chosen": row.chosen, "evidence": row.evidence}
        )  # fmt: skip
    return places


def _ages(session: Session, only: int | None) -> dict[int, dict[str, Any]]:
    query = select(tables.PersonAge)
    if only is not None:
        query = query.where(tables.PersonAge.person_id == only)
    return {
        row.person_id: {"age": row.age, "minor": row.minor,
                        "criminally_responsible": row.criminally_responsible,
                        "age_basis": row.basis, "age_of_responsibility": row.responsibility_age}
        for row in session.scalars(query)
    }  # fmt: skip


def _account_keys(session: Session) -> dict[int, str]:
    rows = session.execute(select(A.id, A.platform, A.user_id))
    return {id_: account_key(platform, user_id) for id_, platform, user_id in rows}


def _link(link: tables.PersonLink, keys: dict[int, str]) -> dict[str, Any]:
    return {
        "a": keys[link.account_a_id],
        "b": keys[link.account_b_id],
        "rule": link.rule,
        "weight": link.weight,
        "probability": link.probability,
        "evidence": [describe(item) for item in link.evidence],
        "contributions": link.evidence,
    }


def _person(key: str, accounts: list[str], links: list[dict[str, Any]]) -> dict[str, Any]:
    """The priority comes from the score stage; until it exists it is unknown."""
    return {
        "id": key,
        "accounts": accounts,
        "links": sorted(links, key=lambda link: (link["a"], link["b"])),
        "priority": None,
    }


def find_person(session: Session, key: str) -> dict[str, Any] | None:
    """The person with this person key, or the person holding this account key."""
    person_id = session.scalar(select(P.id).where(P.key == key))
    if person_id is None:
        platform, user_id = parse_account_key(key)
        person_id = session.scalar(
            select(PA.person_id).join(A, A.id == PA.account_id)
            .where(A.platform == platform, A.user_id == user_id)
        )  # fmt: skip
    return None if person_id is None else persons_document(session, only=person_id)[0]
