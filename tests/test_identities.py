"""Generated identities: the same for a seed, households and namesakes as modelled, and
resolution on them precise and complete enough."""

from __future__ import annotations

from collections import defaultdict
from itertools import combinations

import duckdb
import pytest

from amparo.demo.identities import (
    GeneratedIdentities,
    generate_identities,
    pairwise_precision_recall,
)
from amparo.demo.identity_names import SIMILAR_NAME
from amparo.people.clusters import Resolution
from amparo.people.records import AccountRecord
from amparo.people.resolve import resolve

ACCOUNTS = 5_000
TARGET_PRECISION = 0.99
TARGET_RECALL = 0.95


@pytest.fixture(scope="module")
def population() -> GeneratedIdentities:
    return generate_identities(ACCOUNTS, seed=1)


@pytest.fixture(scope="module")
def resolution(population: GeneratedIdentities) -> Resolution:
    return resolve(population.records)


def accounts_of(population: GeneratedIdentities) -> dict[int, list[AccountRecord]]:
    by_key = {record.key: record for record in population.records}
    accounts: dict[int, list[AccountRecord]] = defaultdict(list)
    for key, person in population.person_of.items():
        accounts[person].append(by_key[key])
    return accounts


def test_the_same_seed_gives_the_same_accounts() -> None:
    first, again = generate_identities(1_500, seed=7), generate_identities(1_500, seed=7)
    assert first.records == again.records
    assert first.person_of == again.person_of
    assert first.households == again.households and first.namesakes == again.namesakes
    assert generate_identities(1_500, seed=8).records != first.records


def test_the_population_is_as_modelled(population: GeneratedIdentities) -> None:
    assert len(population.records) == ACCOUNTS == len(population.person_of)
    held = defaultdict(list)
    for record in population.records:
        held[population.person_of[record.key]].append(record.platform)
    assert all(1 <= len(platforms) == len(set(platforms)) <= 4 for platforms in held.values())
    assert sum(len(p) == 1 for p in held.values()) > 0.6 * len(held)  # most hold one account
    housed = sum(len(household) for household in population.households)
    assert 0.08 < housed / len(held) < 0.16
    assert 0.05 < len(population.namesakes) / len(held) < 0.1


def test_an_email_phone_or_device_belongs_to_one_person(population: GeneratedIdentities) -> None:
    holders: dict[str, set[int]] = defaultdict(set)
    for record in population.records:
        for value in record.emails | record.phones | record.device_ids:
            holders[value].add(population.person_of[record.key])
    assert all(len(persons) == 1 for persons in holders.values())


def test_households_share_home_and_last_name_never_a_first_name(
    population: GeneratedIdentities,
) -> None:
    accounts = accounts_of(population)
    for household in population.households:
        [home] = {population.home_addresses[person] for person in household}
        assert len({population.names[person][1] for person in household}) == 1
        first_names = [population.names[person][0] for person in household]
        assert len(set(first_names)) == len(first_names)
        assert max(similarity(a, b) for a, b in combinations(first_names, 2)) < SIMILAR_NAME
        seen = {s.ip for p in household for record in accounts[p] for s in record.ip_sightings}
        assert seen & set(home)


def similarity(a: str, b: str) -> float:
    """Jaro-Winkler, as the model's DuckDB comparison computes it."""
    [(value,)] = duckdb.execute("select jaro_winkler_similarity(?, ?)", [a, b]).fetchall()
    return value


def test_namesakes_share_the_name_and_nothing_else(population: GeneratedIdentities) -> None:
    accounts = accounts_of(population)
    assert population.namesakes
    for person, original in population.namesakes:
        assert population.names[person] == population.names[original]
        homes = set(population.home_addresses[person])
        assert not homes & set(population.home_addresses[original])
        for mine, theirs in ((a, b) for a in accounts[person] for b in accounts[original]):
            for feature in ("emails", "phones", "device_ids", "screen_names", "profile_urls"):
                assert not getattr(mine, feature) & getattr(theirs, feature)
            assert not homes & {sighting.ip for sighting in theirs.ip_sightings}


def test_pairwise_precision_and_recall_count_pairs_of_accounts() -> None:
    truth = {"a": 1, "b": 1, "c": 1, "d": 2, "e": 3}
    # predicted {a, b} {c, d} {e}: one right pair (a-b) of two predicted, of three true
    assert pairwise_precision_recall([["a", "b"], ["c", "d"], ["e"]], truth) == (0.5, 1 / 3)
    assert pairwise_precision_recall([["a", "b", "c"], ["d"], ["e"]], truth) == (1.0, 1.0)
    assert pairwise_precision_recall([[key] for key in truth], truth) == (1.0, 0.0)


def test_resolution_finds_persons_precisely_and_nearly_all(
    population: GeneratedIdentities, resolution: Resolution
) -> None:
    clusters = [person.accounts for person in resolution.persons]
    precision, recall = pairwise_precision_recall(clusters, population.person_of)
    assert precision >= TARGET_PRECISION
    assert recall >= TARGET_RECALL


def test_no_household_is_merged(population: GeneratedIdentities, resolution: Resolution) -> None:
    person_of_account = {
        account: number
        for number, person in enumerate(resolution.persons)
        for account in person.accounts
    }
    accounts = accounts_of(population)
    for household in population.households:
        for one, other in combinations(household, 2):
            found = {person_of_account[record.key] for record in accounts[one]}
            assert not found & {person_of_account[record.key] for record in accounts[other]}
