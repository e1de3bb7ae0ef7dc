"""Persons as the findings document and the ``amparo people`` commands show them, written
from the read model's dossiers (``amparo.people.read_model``)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from amparo.identifiers import is_e164
from amparo.model import instant
from amparo.people.read_model import (
    AgeAssessment,
    Dossier,
    account_keys,
    dossiers,
    person_id_of,
)
from amparo.people.resolve import describe
from amparo.store import tables

PA, PL, PLOC = tables.PersonAccount, tables.PersonLink, tables.PersonLocation
ID, M = tables.Identifier, tables.AccountMerge


def persons_document(session: Session, only: int | None = None) -> list[dict[str, Any]]:
    """Every person (or only the one with id ``only``) with accounts and links, by key."""
    keys = account_keys(session)
    found = dossiers(session, only)
    links_query = select(PL) if only is None else select(PL).where(PL.person_id == only)
    links: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for link in session.scalars(links_query.order_by(PL.id)):
        links[link.person_id].append(_link(link, keys))
    places = _places(session, found, only)
    phones, merged = _phones(session, keys, only), _merged(session, keys, only)
    return [
        _person(d.key, d.account_keys, links[d.person_id])
        | places.get(d.person_id, UNPLACED)
        | _age(d.age)
        | {"phones": phones.get(d.person_id, []), "merged_accounts": merged.get(d.person_id, [])}
        for d in found.values()
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


def _places(
    session: Session, found: dict[int, Dossier], only: int | None
) -> dict[int, dict[str, Any]]:
    """Each person's chosen place and every location row behind it, strongest first."""
    query = select(PLOC).order_by(PLOC.person_id, PLOC.chosen.desc(), PLOC.confidence.desc())
    if only is not None:
        query = query.where(PLOC.person_id == only)
    places: dict[int, dict[str, Any]] = {}
    for row in session.scalars(query):
        place = places.setdefault(row.person_id, _place(found.get(row.person_id)))
        place["locations"].append(
            {"basis": row.basis, "country": row.country, "subdivision": row.subdivision,
             "confidence": row.confidence, "chosen": row.chosen, "evidence": row.evidence}
        )  # fmt: skip
    return places


def _place(person: Dossier | None) -> dict[str, Any]:
    chosen = person and person.location
    if not chosen:
        return dict(UNPLACED, locations=[])
    return {"country": chosen.country, "subdivision": chosen.subdivision,
            "location_basis": chosen.basis, "subdivision_basis": chosen.subdivision_basis,
            "locations": []}  # fmt: skip


def _age(age: AgeAssessment | None) -> dict[str, Any]:
    if age is None:
        return AGE_UNKNOWN
    return {"age": age.age, "minor": age.minor,
            "criminally_responsible": age.criminally_responsible,
            "age_basis": age.basis, "age_of_responsibility": age.responsibility_age}  # fmt: skip


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
    person_id = person_id_of(session, key)
    return None if person_id is None else persons_document(session, only=person_id)[0]
