"""Entity resolution: which evidence merges accounts, which never does, and analysts' rulings."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from amparo.people.clusters import LINK, UNLINK, Decision, Resolution, person_key
from amparo.people.records import (
    MAX_ACCOUNTS_PER_STRONG_TOKEN,
    MAX_ACCOUNTS_PER_TOKEN,
    AccountRecord,
    IpSighting,
    comparable_name,
)
from amparo.people.resolve import describe, resolve

NOON = datetime(2024, 3, 1, 12, tzinfo=UTC)


def account(
    key: str, first: str | None = None, last: str | None = None, **tokens: object
) -> AccountRecord:
    record = AccountRecord(key, key.split(":")[0])
    if first:
        record.first_names[comparable_name(first)] += 1
    if last:
        record.last_names[comparable_name(last)] += 1
    for feature, values in tokens.items():
        getattr(record, feature).update(values)
    return record


def at_ip(ip: str, *moments: datetime) -> set[IpSighting]:
    return {IpSighting(ip, moment) for moment in moments}


def together(resolution: Resolution, a: str, b: str) -> bool:
    return any(a in p.accounts and b in p.accounts for p in resolution.persons)


def test_a_shared_phone_links_accounts_and_says_so() -> None:
    records = [
        account("photonet:1", "lucia", "garcia", phones={"+34555011234"}),
        account("chatterbox:cb_1", "lucia", "garcia", phones={"+34555011234"}),
    ]
    resolution = resolve(records)
    [person] = [p for p in resolution.persons if len(p.accounts) == 2]
    [link] = person.links
    lines = [describe(item) for item in link.evidence]
    assert lines[0].startswith("same phone number: +34555011234 (+")
    assert link.rule == "model" and link.weight > 10
    contributed = sum(item["weight"] for item in link.evidence)
    assert link.weight == pytest.approx(contributed + prior_weight(), abs=0.05)


def prior_weight() -> float:
    """The match weight of the prior (log2 odds), which every link's weight includes."""
    from math import log2

    from amparo.people.model import PRIOR_MATCH_PROBABILITY as prior

    return round(log2(prior / (1 - prior)), 2)


def test_every_account_is_in_exactly_one_person() -> None:
    records = [account(f"p:{n}", phones={f"+3455501{n // 2:04d}"}) for n in range(10)]
    persons = resolve(records).persons
    assert sorted(a for p in persons for a in p.accounts) == sorted(r.key for r in records)
    assert len(persons) == 5


def test_siblings_behind_one_router_stay_two_people() -> None:
    """Same IP at the same hour and the same last name: a household, not one person."""
    records = [
        account("photonet:1", "lucia", "garcia", ip_sightings=at_ip("192.0.2.7", NOON)),
        account("photonet:2", "mateo", "garcia", ip_sightings=at_ip("192.0.2.7", NOON)),
    ]
    resolution = resolve(records)
    assert not together(resolution, "photonet:1", "photonet:2")
    assert resolution.pairs_rejected == 1  # the model alone would have merged them


def test_a_family_phone_does_not_merge_people_with_different_first_names() -> None:
    phone = {"+34555010001"}
    records = [account(f"p:{n}", first, "ruiz", phones=phone) for n, first in enumerate(
        ("ana", "luis", "eva")
    )]  # fmt: skip
    assert len(resolve(records).persons) == 3
    home = at_ip("192.0.2.9", NOON)
    records = [
        account("p:a", "ana", "ruiz", phones=phone, ip_sightings=home),
        account("q:b", "anita", "ruiz", phones=phone, ip_sightings=home),
    ]
    assert together(resolve(records), "p:a", "q:b")  # a second kind of evidence besides


def test_a_placeholder_strong_identifier_proves_nothing() -> None:
    count = MAX_ACCOUNTS_PER_STRONG_TOKEN + 1
    records = [account(f"p:{n}", emails={"noemail@noemail.com"}) for n in range(count)]
    resolution = resolve(records)
    assert len(resolution.persons) == count
    assert resolution.common_tokens == {"emails:noemail@noemail.com": count}


def test_siblings_with_similar_first_names_stay_two_people() -> None:
    records = [
        account("photonet:1", "mario", "garcia", ip_sightings=at_ip("192.0.2.7", NOON)),
        account("photonet:2", "maria", "garcia", ip_sightings=at_ip("192.0.2.7", NOON)),
    ]
    assert not together(resolve(records), "photonet:1", "photonet:2")


def test_a_shared_ip_alone_never_merges() -> None:
    records = [
        account("photonet:1", ip_sightings=at_ip("192.0.2.7", NOON)),
        account("chatterbox:cb_1", ip_sightings=at_ip("192.0.2.7", NOON + timedelta(hours=1))),
    ]
    assert not together(resolve(records), "photonet:1", "chatterbox:cb_1")


def test_a_shared_name_alone_never_merges() -> None:
    records = [account("photonet:1", "lucia", "garcia"), account("pixelpal:9", "lucia", "garcia")]
    resolution = resolve(records)
    assert not together(resolution, "photonet:1", "pixelpal:9")
    assert resolution.pairs_scored == 0  # a name is no blocking key: the pair is never compared


def test_the_same_ip_at_close_times_and_the_same_name_merge() -> None:
    records = [
        account("photonet:1", "lucia", "garcia", ip_sightings=at_ip("192.0.2.7", NOON)),
        account("pixelpal:9", "Lucía", "GARCÍA", ip_sightings=at_ip("192.0.2.7", NOON)),
    ]
    resolution = resolve(records)
    assert together(resolution, "photonet:1", "pixelpal:9")
    [link] = next(p for p in resolution.persons if len(p.accounts) == 2).links
    assert {item["feature"] for item in link.evidence if item["weight"] > 0} == {
        "ip", "first_name", "last_name"
    }  # fmt: skip


def test_a_carrier_grade_nat_address_is_set_aside() -> None:
    """Many same-named strangers behind one CGNAT address at one time are not one person."""
    count = MAX_ACCOUNTS_PER_TOKEN + 5
    records = [
        account(f"photonet:{n}", "lucia", "garcia", ip_sightings=at_ip("100.64.0.1", NOON))
        for n in range(count)
    ]
    resolution = resolve(records)
    assert len(resolution.persons) == count
    assert resolution.common_tokens["ip_any:100.64.0.1"] == count


def test_shared_files_add_weight_but_never_merge_with_a_name() -> None:
    files = {"a" * 64, "b" * 64}
    records = [
        account("photonet:1", "lucia", "garcia", media=files),
        account("pixelpal:9", "lucia", "garcia", media=files),
    ]
    assert not together(resolve(records), "photonet:1", "pixelpal:9")


def chain() -> list[AccountRecord]:
    """a and b share a phone (strong); b and c share an IP at close times and the name (weaker)."""
    phone, home = {"+34555010001"}, at_ip("192.0.2.9", NOON)
    return [
        account("p:a", "ana", "ruiz", phones=phone),
        account("p:b", "ana", "ruiz", phones=phone, ip_sightings=home),
        account("p:c", "ana", "ruiz", ip_sightings=home),
    ]


def test_an_analysts_unlink_cuts_the_weakest_evidence() -> None:
    assert len(resolve(chain()).persons) == 1
    resolution = resolve(chain(), [Decision("p:a", "p:c", UNLINK, "inspector")])
    assert together(resolution, "p:a", "p:b")
    assert not together(resolution, "p:b", "p:c")


def test_an_analysts_unlink_of_a_direct_link_wins() -> None:
    resolution = resolve(chain(), [Decision("p:b", "p:a", UNLINK, "inspector")])
    assert not together(resolution, "p:a", "p:b")


def test_an_analysts_link_merges_and_is_marked_as_theirs() -> None:
    records = [account("p:x", "ana", "ruiz"), account("q:y", "eva", "gil")]
    decision = Decision("p:x", "q:y", LINK, "inspector", "same face in both profiles")
    [person] = resolve(records, [decision]).persons
    [link] = person.links
    assert link.rule == "analyst"
    assert describe(link.evidence[0]) == "linked by inspector: same face in both profiles"


def test_person_keys_depend_only_on_the_accounts() -> None:
    assert person_key(["p:b", "p:a"]) == person_key(["p:a", "p:b"])
    first = {p.key for p in resolve(chain()).persons}
    again = {p.key for p in resolve(list(reversed(chain()))).persons}
    assert first == again


def test_a_name_is_the_one_given_most_often_without_accents_or_case() -> None:
    assert comparable_name("  Lucía   GARCÍA ") == "lucia garcia"
    record = account("p:1")
    record.first_names.update(Counter({"lucia": 2, "lu": 1}))
    assert record.first_name == "lucia"


def test_a_person_keeps_its_key_when_an_account_joins_or_a_person_merges_in() -> None:
    first = resolve(chain()[1:])  # p:b and p:c
    [person] = first.persons
    previous = {account: person.key for account in person.accounts}
    grown = resolve(chain(), previous=previous)  # p:a, which sorts first, joins
    [again] = grown.persons
    assert again.key == person.key
    split = resolve(chain(), [Decision("p:a", "p:b", UNLINK, "inspector")], previous)
    keys = {p.key for p in split.persons}
    assert person.key in keys and len(keys) == len(split.persons) == 2
