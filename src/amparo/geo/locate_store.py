"""Reading the clues of where persons are from the store, writing their locations, and reading
back the one each person is placed by, with who holds each account: geo's age assessment reads
these here, the layers above geo through ``amparo.people.read_model``.

The chosen location (one rule for every reader): the locate stage marks at most one row per
person ``chosen``; should a person have several, the most confident wins, and of equally
confident ones the last written (highest id).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from amparo.geo.locate import IP, PHONE, PLATFORM_ESTIMATE, SUBSCRIBER, Clue, fuse
from amparo.geo.places import country_code, phone_region, subdivision_code
from amparo.geo.subscribers import subscriber_answers
from amparo.identifiers import ESTIMATED_LOCATION, HOME_COUNTRY, IP_EVENTS
from amparo.model import PHONE_NUMBER_PLATFORMS, instant
from amparo.store import tables
from amparo.store.nulls import not_null

E, L, R = tables.IPEvent, tables.IpLookup, tables.SubscriberRecord
REGION_FROM_ELSEWHERE = frozenset({ESTIMATED_LOCATION, IP_EVENTS, HOME_COUNTRY})


def locate_persons(session: Session) -> int:
    """Replace every person's locations; return how many persons could be placed."""
    owner = account_owners(session)
    clues: dict[int, list[Clue]] = defaultdict(list)
    for account_id, clue in _clues(session):
        if account_id in owner:
            clues[owner[account_id]].append(clue)
    session.execute(delete(tables.PersonLocation))
    rows = [_row(person_id, row) for person_id, found in clues.items() for row in fuse(found)]
    if rows:
        session.execute(insert(tables.PersonLocation), rows)
    return sum(1 for row in rows if row["chosen"])


def account_owners(session: Session) -> dict[int, int]:
    """Account id → id of the person holding it, for every account a person holds."""
    members = select(tables.PersonAccount.account_id, tables.PersonAccount.person_id)
    return {account_id: person_id for account_id, person_id in session.execute(members)}


@dataclass(frozen=True)
class ChosenLocation:
    """Where a person is placed: the chosen location row's place, basis and confidence."""

    country: str | None
    subdivision: str | None
    basis: str
    subdivision_basis: str | None
    confidence: float


def chosen_locations(session: Session, only: int | None = None) -> dict[int, ChosenLocation]:
    """Person id → the chosen location, for every person placed (or only the person ``only``)."""
    loc = tables.PersonLocation
    query = (
        select(loc.person_id, loc.country, loc.subdivision, loc.basis, loc.subdivision_basis,
               loc.confidence)
        .where(loc.chosen.is_(True))
        .order_by(loc.person_id, loc.confidence.desc(), loc.id.desc())
    )  # fmt: skip
    if only is not None:
        query = query.where(loc.person_id == only)
    places: dict[int, ChosenLocation] = {}
    for row in session.execute(query):
        place = ChosenLocation(row.country, row.subdivision, row.basis, row.subdivision_basis,
                               row.confidence)  # fmt: skip
        places.setdefault(row.person_id, place)
    return places


def _row(person_id: int, location: Any) -> dict[str, Any]:
    return {
        "person_id": person_id,
        "country": location.country,
        "subdivision": location.subdivision,
        "basis": location.basis,
        "subdivision_basis": location.subdivision_basis,
        "confidence": location.confidence,
        "chosen": location.chosen,
        "evidence": list(location.evidence),
    }


def _clues(session: Session) -> Iterator[tuple[int, Clue]]:
    yield from _subscriber_clues(session)
    yield from _ip_clues(session)
    yield from _platform_clues(session)
    yield from _phone_clues(session)


def _subscriber_clues(session: Session) -> Iterator[tuple[int, Clue]]:
    """Every matched answer; those that may be another subscriber's are marked ambiguous."""
    ambiguous = {
        (a.ip_event_id, a.subscriber_record_id): a.notes
        for a in subscriber_answers(session) if a.ambiguous
    }  # fmt: skip
    rows = session.execute(
        select(E.id, R.id, E.account_id, E.ip, E.port, E.at, R.country, R.subdivision,
               R.municipality, R.isp, R.row, R.source_id)
        .join(tables.SubscriberMatch, tables.SubscriberMatch.ip_event_id == E.id)
        .join(R, R.id == tables.SubscriberMatch.subscriber_record_id)
        .where(E.account_id.is_not(None))
    )  # fmt: skip
    for event_id, record_id, account_id, ip, port, at, country, subdivision, *rest in rows:
        municipality, isp, row, source = rest
        country = country or (subdivision.split("-")[0] if subdivision else None)
        notes = ambiguous.get((event_id, record_id))
        detail = {"ip": ip, "port": port, "at": instant(at), "municipality": municipality,
                  "isp": isp, "return_row": row, "source": source,
                  "notes": list(notes or ())}  # fmt: skip
        yield (
            not_null(account_id),
            Clue(SUBSCRIBER, country, subdivision, detail, ambiguous=bool(notes)),
        )


def _ip_clues(session: Session) -> Iterator[tuple[int, Clue]]:
    """Routable addresses only, leaving out those the platform flagged as a possible proxy."""
    rows = session.execute(
        select(E.account_id, E.ip, E.at, L.country, L.subdivision, L.organisation)
        .join(L, L.ip_event_id == E.id)
        .where(E.account_id.is_not(None), L.reserved.is_(None), E.possible_proxy.is_not(True))
    )  # fmt: skip
    for account_id, ip, at, country, subdivision, organisation in rows:
        detail = {"ip": ip, "at": instant(at), "provider": organisation}
        yield not_null(account_id), Clue(IP, country, subdivision, detail)


def _platform_clues(session: Session) -> Iterator[tuple[int, Clue]]:
    party = tables.Party
    rows = session.execute(
        select(party.account_id, party.est_country, party.est_region, party.est_city,
               tables.Report.number)
        .join(tables.Report, tables.Report.id == party.report_id)
        .where(party.account_id.is_not(None), party.est_country.is_not(None))
    )  # fmt: skip
    for account_id, country_raw, region, city, number in rows:
        country = country_code(country_raw)  # MaxMind's pseudo-codes A1/A2 name no country
        detail = {"report": number, "region": region, "city": city}
        clue = Clue(PLATFORM_ESTIMATE, country, subdivision_code(country, region), detail)
        yield not_null(account_id), clue


def _phone_clues(session: Session) -> Iterator[tuple[int, Clue]]:
    """Numbers whose country the number itself (or the person's address) gives; one whose
    region was taken from the place, IP events or home country would only echo those."""
    identifier, account = tables.Identifier, tables.Account
    rows = session.execute(
        select(identifier.account_id, identifier.normalized, identifier.attributes).where(
            identifier.kind == "phone", identifier.account_id.is_not(None)
        )
    ).all()
    numbers = {(a, n) for a, n, attributes in rows
               if attributes.get("region_basis") not in REGION_FROM_ELSEWHERE}  # fmt: skip
    echoes = {(account_id, number) for account_id, number, _ in rows} - numbers
    numbers |= set(session.execute(
        select(account.id, account.user_id).where(account.platform.in_(PHONE_NUMBER_PLATFORMS))
    ).all())  # fmt: skip
    for account_id, number in numbers - echoes:
        if (region := phone_region(number)) is not None:
            yield account_id, Clue(PHONE, region, None, {"phone": number})
