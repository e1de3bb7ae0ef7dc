"""Placing persons: evidence fused strongest first, conflicts kept, place names to ISO codes."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from amparo.geo.locate import (
    IP,
    PHONE,
    PLATFORM_ESTIMATE,
    SUBSCRIBER,
    Clue,
    fuse,
    location_basis,
)
from amparo.geo.locate_store import locate_persons
from amparo.geo.places import country_code, phone_region, subdivision_code
from amparo.intake.subscribers import import_subscriber_returns
from amparo.store import tables
from amparo.workspace import Workspace
from tests.test_subscribers import T0, Ev, seed


def test_a_subscriber_return_wins_over_everything_weaker() -> None:
    rows = fuse([
        Clue(PHONE, "MX"),
        Clue(PLATFORM_ESTIMATE, "ES", "ES-AN"),
        Clue(IP, "ES"),
        Clue(SUBSCRIBER, "ES", "ES-A", {"ip": "83.40.1.2"}),
    ])  # fmt: skip
    chosen = rows[0]
    assert (chosen.basis, chosen.country, chosen.subdivision) == (SUBSCRIBER, "ES", "ES-A")
    assert chosen.chosen and not any(row.chosen for row in rows[1:])
    assert [row.basis for row in rows] == [SUBSCRIBER, IP, PLATFORM_ESTIMATE, PHONE]
    assert location_basis(rows) == SUBSCRIBER


def test_conflicting_evidence_is_kept_not_hidden() -> None:
    rows = fuse([Clue(IP, "AR"), Clue(PHONE, "ES")])
    assert rows[0].country == "AR"
    assert rows[1].country == "ES" and rows[1].basis == PHONE


def test_a_subdivision_comes_from_a_weaker_kind_only_in_the_same_country() -> None:
    same = fuse([Clue(IP, "AR"), Clue(PLATFORM_ESTIMATE, "AR", "AR-S")])
    assert (same[0].country, same[0].subdivision, same[0].basis) == ("AR", "AR-S", IP)
    other = fuse([Clue(IP, "AR"), Clue(PLATFORM_ESTIMATE, "MX", "MX-JAL")])
    assert (other[0].country, other[0].subdivision) == ("AR", None)


def test_within_a_kind_the_majority_decides_and_lowers_confidence() -> None:
    [row] = fuse([Clue(IP, "ES"), Clue(IP, "ES"), Clue(IP, "PT")])
    assert row.country == "ES"
    assert row.confidence == pytest.approx(0.7 * 2 / 3, abs=0.001)
    assert len(row.evidence) == 3


def test_a_tie_between_countries_decides_nothing() -> None:
    """Half the addresses Spanish, half Argentinian: no country from them, never alphabetical."""
    rows = fuse([Clue(IP, "ES"), Clue(IP, "AR")])
    assert not any(row.chosen for row in rows) and rows[0].country is None
    fallback = fuse([Clue(IP, "ES"), Clue(IP, "AR"), Clue(PHONE, "ES")])
    assert fallback[1].chosen and (fallback[1].basis, fallback[1].country) == (PHONE, "ES")


def test_an_answer_that_may_be_another_subscribers_places_no_one() -> None:
    rows = fuse([
        Clue(SUBSCRIBER, "ES", "ES-A", ambiguous=True),
        Clue(SUBSCRIBER, "ES", "ES-B", ambiguous=True),
        Clue(IP, "ES"),
    ])  # fmt: skip
    assert rows[0].basis == SUBSCRIBER and not rows[0].chosen and rows[0].confidence < 0.3
    assert rows[1].chosen and (rows[1].basis, rows[1].subdivision) == (IP, None)
    firm = fuse([Clue(SUBSCRIBER, "ES", "ES-A"), Clue(SUBSCRIBER, "ES", "ES-B", ambiguous=True)])
    assert (firm[0].chosen, firm[0].subdivision) == (True, "ES-A")


def test_the_chosen_row_says_which_kind_gave_its_subdivision() -> None:
    rows = fuse([Clue(SUBSCRIBER, "ES"), Clue(PLATFORM_ESTIMATE, "ES", "ES-M")])
    chosen = rows[0]
    assert (chosen.basis, chosen.subdivision, chosen.subdivision_basis) == (
        SUBSCRIBER, "ES-M", PLATFORM_ESTIMATE,
    )  # fmt: skip


def test_no_evidence_places_no_one() -> None:
    assert fuse([Clue(IP, None)]) == []
    assert location_basis([]) == "none"


@pytest.mark.parametrize(
    ("country", "name", "code"),
    [
        ("ES", "Alicante", "ES-A"),
        ("ES", "Comunidad de Madrid", "ES-MD"),
        ("ES", "Madrid", "ES-M"),
        ("ES", "Cataluña", "ES-CT"),
        ("ES", "es-b", "ES-B"),
        ("AR", "Santa Fe", "AR-S"),
        ("MX", "nuevo leon", "MX-NLE"),
        ("IT", "Piemonte", "IT-21"),
        ("ES", "Santa Fe", None),
        ("ES", "AR-S", None),
        (None, "Alicante", None),
    ],
)
def test_place_names_to_iso_subdivisions(country: str | None, name: str, code: str | None) -> None:
    assert subdivision_code(country, name) == code


def test_countries_and_phone_regions() -> None:
    assert country_code("Spain") == "ES"
    assert country_code("es") == "ES"
    assert country_code("A1") is None  # MaxMind's anonymous-proxy pseudo-code
    assert country_code("Atlantis") is None
    assert phone_region("+34555011234") == "ES"
    assert phone_region("+5491155501234") == "AR"
    assert phone_region("555011234") is None


# --- in the store: a provider's answer without the event's port -----------------------------


@pytest.mark.parametrize(("isp", "placed"), [("Telefonica de Espana", True),
                                             ("Vodafone Spain", False)])  # fmt: skip
def test_a_portless_answer_places_the_person_unless_the_provider_shares_addresses(
    workspace: Workspace, tmp_path: Path, isp: str, placed: bool
) -> None:
    with workspace.session() as session:
        seed(session, [Ev("83.32.0.10", 51234, T0, person="person-a", organisation=None,
                          asn=None, country=None, reserved="test: no IP place")])  # fmt: skip
    answer = tmp_path / "answer.csv"
    answer.write_text("ip,port,start_utc,end_utc,isp,subscriber_name,provincia\n"
                      f"83.32.0.10,,2024-07-01T09:00:00Z,2024-07-01T11:00:00Z,{isp},Ana,Alicante\n",
                      encoding="utf-8")  # fmt: skip
    import_subscriber_returns(workspace, answer)
    with workspace.session() as session:
        locate_persons(session)
        rows = session.scalars(select(tables.PersonLocation)).all()
    [row] = rows
    assert (row.basis, row.country, row.subdivision) == ("subscriber", "ES", "ES-A")
    assert row.chosen is placed  # an ambiguous answer alone decides nothing
    assert row.evidence[0]["ambiguous"] is not placed
