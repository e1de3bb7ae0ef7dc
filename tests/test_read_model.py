"""The read model of accounts and persons, on SQLite and PostgreSQL: keys both ways, the person
of an account, the one chosen-location rule (and that every reader now follows it), dossiers."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from amparo.geo.ages import chosen_places
from amparo.network.store import load_network
from amparo.people import read_model
from amparo.people.report import find_person, persons_document
from amparo.store import tables
from amparo.workspace import Workspace

NOW = datetime(2025, 3, 1, tzinfo=UTC)
ACCOUNTS = ("photonet:ana", "photonet:bea", "chatapp:x:y", "photonet:loner")
HOLDERS = {"person-a": ("photonet:ana", "chatapp:x:y"), "person-b": ("photonet:bea",)}


def seed(session: Session) -> dict[str, int]:
    """Four accounts (one user id with a colon), two persons, one account held by nobody."""
    ids = {}
    for key in ACCOUNTS:
        platform, _, user = key.partition(":")
        account = tables.Account(platform=platform, user_id=user)
        session.add(account)
        session.flush()
        ids[key] = account.id
    for person_key, held in HOLDERS.items():
        person = tables.Person(key=person_key, resolved_at=NOW)
        session.add(person)
        session.flush()
        ids[person_key] = person.id
        session.add_all(tables.PersonAccount(account_id=ids[a], person_id=person.id) for a in held)
    session.flush()
    return ids


def place(session: Session, person_id: int, country: str, confidence: float, chosen: bool) -> None:
    session.add(tables.PersonLocation(
        person_id=person_id, country=country, subdivision=None, basis="ip",
        subdivision_basis=None, confidence=confidence, chosen=chosen, evidence=[],
    ))  # fmt: skip
    session.flush()


def test_account_ids_and_keys_both_ways(workspace: Workspace) -> None:
    with workspace.session() as session:
        ids = seed(session)
        keys = {ids[key]: key for key in ACCOUNTS}
        assert read_model.account_keys(session) == keys
        assert read_model.account_ids(session) == {key: ids[key] for key in ACCOUNTS}
        wanted = ["chatapp:x:y", "photonet:nobody", "no-colon", "photonet:bea"]
        assert read_model.account_keys(session, keys=wanted) == {
            ids["chatapp:x:y"]: "chatapp:x:y",
            ids["photonet:bea"]: "photonet:bea",
        }
        assert read_model.account_ids(session, ["photonet:ana"]) == {"photonet:ana": ids[
            "photonet:ana"]}  # fmt: skip
        assert read_model.account_keys(session, keys=[]) == {}
        assert read_model.account_keys(session, ids=[ids["photonet:bea"], -1]) == {
            ids["photonet:bea"]: "photonet:bea"
        }


def test_the_person_of_an_account(workspace: Workspace) -> None:
    with workspace.session() as session:
        ids = seed(session)
        a, b = ids["person-a"], ids["person-b"]
        assert read_model.persons_of_accounts(session) == {
            ids["photonet:ana"]: (a, "person-a"),
            ids["chatapp:x:y"]: (a, "person-a"),
            ids["photonet:bea"]: (b, "person-b"),
        }
        assert read_model.person_keys_by_account(session)[ids["chatapp:x:y"]] == "person-a"
        assert read_model.person_keys_by_account_key(session) == {
            "photonet:ana": "person-a", "chatapp:x:y": "person-a", "photonet:bea": "person-b"
        }  # fmt: skip
        assert read_model.person_keys(session) == {a: "person-a", b: "person-b"}
        assert read_model.person_id_of(session, "person-b") == b
        assert read_model.person_id_of(session, "chatapp:x:y") == a
        assert read_model.person_id_of(session, "photonet:loner") is None
        assert read_model.person_id_of(session, "photonet:nobody") is None


def test_the_most_confident_chosen_location_wins_then_the_last_written(
    workspace: Workspace,
) -> None:
    with workspace.session() as session:
        ids = seed(session)
        a, b = ids["person-a"], ids["person-b"]
        place(session, a, "MX", 0.5, chosen=True)
        place(session, a, "ES", 0.9, chosen=True)
        place(session, a, "FR", 0.95, chosen=False)  # never chosen: never the place
        place(session, a, "IT", 0.3, chosen=True)
        place(session, b, "IT", 0.5, chosen=True)
        place(session, b, "PT", 0.5, chosen=True)  # as confident, written last
        chosen = read_model.chosen_locations(session)
        assert {person: p.country for person, p in chosen.items()} == {a: "ES", b: "PT"}
        assert (chosen[a].basis, chosen[a].confidence) == ("ip", 0.9)
        assert read_model.chosen_locations(session, only=b) == {b: chosen[b]}
        assert chosen_places(session) == {a: ("ES", None), b: ("PT", None)}


def test_a_dossier_holds_keys_accounts_place_and_age(workspace: Workspace) -> None:
    with workspace.session() as session:
        ids = seed(session)
        a, b = ids["person-a"], ids["person-b"]
        place(session, a, "AR", 0.7, chosen=True)
        session.add(tables.PersonAge(person_id=a, age=15, basis="age", minor=True,
                                     criminally_responsible=False, responsibility_age=16,
                                     evidence=[]))  # fmt: skip
        found = read_model.dossiers(session)
        assert list(found) == [a, b]  # by person key
        ana = found[a]
        assert ana.key == "person-a"
        assert ana.account_keys == ["chatapp:x:y", "photonet:ana"]
        assert ana.accounts == {ids["photonet:ana"]: "photonet:ana",
                                ids["chatapp:x:y"]: "chatapp:x:y"}  # fmt: skip
        assert ana.location is not None and ana.location.country == "AR"
        assert ana.age == read_model.AgeAssessment(15, True, False, "age", 16)
        assert (found[b].location, found[b].age) == (None, None)
        assert read_model.dossier(session, "photonet:ana") == ana
        assert read_model.dossier(session, "person-b") == found[b]
        assert read_model.dossier(session, "photonet:loner") is None


def test_the_people_report_and_the_network_place_a_person_by_the_one_rule(
    workspace: Workspace,
) -> None:
    """Both once took another chosen row than the most confident one (the report the last,
    so the least confident; the network whichever row the database gave last)."""
    with workspace.session() as session:
        ids = seed(session)
        a, b = ids["person-a"], ids["person-b"]
        place(session, a, "ES", 0.9, chosen=True)
        place(session, a, "MX", 0.5, chosen=True)
        place(session, b, "PT", 0.5, chosen=True)
        place(session, b, "IT", 0.5, chosen=True)  # as confident, written last
        report = {p["id"]: p["country"] for p in persons_document(session)}
        assert report == {"person-a": "ES", "person-b": "IT"}
        person = find_person(session, "photonet:ana")
        assert person is not None and person["country"] == "ES"
        assert [row["country"] for row in person["locations"]] == ["ES", "MX"]  # all kept
        network = {p.key: p.country for p in load_network(session).persons}
        assert network == {"person-a": "ES", "person-b": "IT", "photonet:loner": None}
