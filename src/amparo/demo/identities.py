"""Generated account records with ground truth, for measuring entity resolution at scale.

A seeded population of made-up persons, each holding one to four accounts on distinct
fictional platforms (most hold one), written straight as ``AccountRecord``s: no store, no
reports. What it models, and why it is hard:

- Names as in a country: first names from lists in six languages, last names from those
  languages' lists followed by a long tail of syllable-made surnames, both drawn with
  Zipf-like frequencies, so the same full name recurs by chance among strangers. An account
  gives the full name most of the time, sometimes only the first name or none, and now and
  then the last name with two letters swapped.
- Identifiers: each person has one main e-mail, one phone and sometimes one device id, never
  shared with anyone else. An account shows the main e-mail or an own one, the phone or not,
  the device id or not; its screen name is usually its own, sometimes the person's usual
  handle; its profile link is its own. So most accounts of one person share a strong
  identifier, but not all: some are tied only by weak evidence.
- IP sightings: one to four per account, at times gathered around the person's two or three
  active periods in a 150-day window; most at home (one or two static addresses), some
  through a mobile carrier's address (a pool each address of which a few strangers use over
  the months) and some through a carrier-grade NAT address (100.64.0.0/10) that thousands of
  unrelated accounts share (hundreds, in a population of a few thousand accounts).
- Households: about 12% of persons live with one to three others: the same home addresses
  and last name, first names that differ and are not near-spellings of each other (they
  would read as variants of one name).
- Namesakes: about 8% of persons copy another person's first and last name, nothing else.
- Media: a few SHA-256 digests per account, some from the person's own files, some from a
  pool shared by everyone with heavy-tailed popularity.

Everything is invented: ``.example`` and ``mail.example`` domains, national numbers in the
fictional 555-01 block (a country whose block is too small for its persons spills into a
larger one), IPv4 addresses from the documentation and benchmarking ranges, IPv6 from
2001:db8::/32, shared carrier addresses from 100.64.0.0/10.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from amparo.demo.identity_addresses import (
    cgnat_addresses,
    home_addresses,
    mobile_addresses,
    scrambled,
)
from amparo.demo.identity_names import (
    LANGUAGES,
    ascii_name,
    distinct_first_names,
    draw_by_language,
    name_pools,
    swap_two_letters,
)
from amparo.people.records import AccountRecord, IpSighting, comparable_name
from amparo.people.resolve import collector_paused

ACCOUNTS_PER_PERSON = (1, 2, 3, 4)
ACCOUNTS_PER_PERSON_WEIGHTS = (0.70, 0.18, 0.08, 0.04)
HOUSEHOLD_SHARE = 0.12
HOUSEHOLD_SIZES, HOUSEHOLD_SIZE_WEIGHTS = (2, 3, 4), (0.6, 0.3, 0.1)
NAMESAKE_SHARE = 0.08
DEVICE_SHARE = 0.5
MAIN_EMAIL, OWN_EMAIL = 0.82, 0.15  # else no e-mail shown
PHONE_SHOWN = 0.62
DEVICE_SHOWN = 0.6
FULL_NAME, FIRST_NAME_ONLY = 0.9, 0.05  # else no name
LAST_NAME_TYPO = 0.02
USUAL_HANDLE = 0.35
SIGHTINGS, SIGHTINGS_WEIGHTS = (1, 2, 3, 4), (0.15, 0.3, 0.3, 0.25)
HOME, MOBILE = 0.8, 0.1  # else carrier-grade NAT
SIGHTINGS_PER_CGNAT_ADDRESS = 6_000
SIGHTINGS_PER_MOBILE_ADDRESS = 3
MEDIA, MEDIA_WEIGHTS = (0, 1, 2, 3, 4), (0.35, 0.3, 0.2, 0.1, 0.05)
OWN_MEDIA, OWN_FILES_PER_PERSON = 0.4, 3
WINDOW_START = datetime(2025, 1, 6, tzinfo=UTC)
WINDOW_DAYS = 150
DAY = 86_400

MAIL_HOSTS = ("example.com", "example.org", "example.net", "mail.example")
HANDLE_WORDS = (
    "luna", "shadow", "pixel", "wolf", "sunny", "gamer", "dreamer", "tiger", "nova", "star",
    "blue", "rocket", "ninja", "angel", "storm", "lucky", "cool", "dark", "happy", "little",
)  # fmt: skip
PLATFORMS = (
    ("photonet", "photonet.example"), ("chatterbox", "chatterbox.example"),
    ("cloudlocker", "cloudlocker.example"), ("pixelpal", "pixelpal.example"),
    ("talktown", "talktown.example"), ("clipcove", "clipcove.example"),
)  # fmt: skip


@dataclass(frozen=True)
class Country:
    code: str
    calling_code: str
    national_digits: int  # "55501" and then the rest
    language: str
    weight: float


COUNTRIES = (
    Country("ES", "34", 9, "es", 10), Country("MX", "52", 10, "es", 12),
    Country("AR", "54", 10, "es", 8), Country("CO", "57", 10, "es", 8),
    Country("BR", "55", 11, "pt", 16), Country("PT", "351", 9, "pt", 3),
    Country("IT", "39", 10, "it", 10), Country("FR", "33", 9, "fr", 10),
    Country("DE", "49", 11, "de", 12), Country("GB", "44", 10, "en", 11),
)  # fmt: skip
SPILL_COUNTRIES = ("BR", "DE")  # blocks of a million numbers
FOREIGN_FIRST_NAME = 0.1


@dataclass(frozen=True)
class GeneratedIdentities:
    """Records with their truth: which person holds each account, who lives with whom."""

    records: list[AccountRecord]
    person_of: dict[str, int]  # account key -> person number
    households: list[tuple[int, ...]]  # persons sharing home addresses and a last name
    namesakes: list[tuple[int, int]]  # (person, the person whose full name it copies)
    names: list[tuple[str, str]]  # per person: first and last name, as ``comparable_name``
    home_addresses: list[tuple[str, ...]]  # per person


def generate_identities(accounts: int, seed: int = 1) -> GeneratedIdentities:
    """``accounts`` account records of a generated population, the same for the same seed."""
    rng = np.random.default_rng(seed)
    with collector_paused():  # millions of small objects, none in a cycle
        population = _Population(rng, accounts)
        writer = _AccountWriter(rng, population, seed)
        records = writer.records()
        person_of = dict(zip((r.key for r in records), population.person.tolist(), strict=True))
        return GeneratedIdentities(
            records, person_of, population.households, population.namesakes,
            population.comparable_names(), writer.home_addresses,
        )  # fmt: skip


def pairwise_precision_recall(
    clusters: Iterable[Iterable[str]], person_of: Mapping[str, int]
) -> tuple[float, float]:
    """Pairs of accounts put in one cluster that are one person, and the converse.

    Every account in ``person_of`` belongs to exactly one cluster; pairs are unordered.
    """
    together: Counter[tuple[int, int]] = Counter()
    predicted = 0
    for number, cluster in enumerate(clusters):
        keys = list(cluster)
        predicted += _pairs(len(keys))
        together.update((number, person_of[key]) for key in keys)
    right = sum(_pairs(n) for n in together.values())
    actual = sum(_pairs(n) for n in Counter(person_of.values()).values())
    return (right / predicted if predicted else 1.0), (right / actual if actual else 1.0)


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


class _Population:
    """Persons, their names, homes and identifiers, as arrays indexed by person number."""

    def __init__(self, rng: np.random.Generator, accounts: int) -> None:
        self.rng = rng
        counts = rng.choice(ACCOUNTS_PER_PERSON, accounts, p=ACCOUNTS_PER_PERSON_WEIGHTS)
        ends = np.cumsum(counts)
        self.persons = int(np.searchsorted(ends, accounts) + 1)
        counts = counts[: self.persons]
        counts[-1] -= ends[self.persons - 1] - accounts
        self.person = np.repeat(np.arange(self.persons), counts)
        self.accounts_held = counts
        self.country = rng.choice(len(COUNTRIES), self.persons, p=_weights(COUNTRIES))
        self.home = np.arange(self.persons)
        self.households = self._households()
        self.first, self.last = self._names()
        self.namesakes = self._namesakes()

    def comparable_names(self) -> list[tuple[str, str]]:
        pools = name_pools()
        first = [comparable_name(name) or "" for name in pools.first]
        last = [comparable_name(name) or "" for name in pools.last]
        pairs = zip(self.first.tolist(), self.last.tolist(), strict=True)
        return [(first[given], last[family]) for given, family in pairs]

    def _households(self) -> list[tuple[int, ...]]:
        """Persons living together take the first member's home and country."""
        members = self.rng.permutation(self.persons)[: round(HOUSEHOLD_SHARE * self.persons)]
        sizes = self.rng.choice(HOUSEHOLD_SIZES, len(members), p=HOUSEHOLD_SIZE_WEIGHTS)
        households, start = [], 0
        for size in sizes.tolist():
            group = members[start : start + size]
            if len(group) < 2:
                break
            self.home[group] = group[0]
            self.country[group] = self.country[group[0]]
            households.append(tuple(sorted(group.tolist())))
            start += size
        return households

    def _names(self) -> tuple[np.ndarray, np.ndarray]:
        names = name_pools()
        language = np.array([LANGUAGES.index(c.language) for c in COUNTRIES])[self.country]
        foreign = self.rng.random(self.persons) < FOREIGN_FIRST_NAME
        first_language = np.where(foreign, self.rng.integers(0, len(LANGUAGES), self.persons),
                                  language)  # fmt: skip
        first = draw_by_language(self.rng, first_language, names.first_ranges)
        last = draw_by_language(self.rng, language, names.last_ranges)
        for household in self.households:
            last[list(household)] = last[household[0]]
            distinct_first_names(self.rng, first, household, first_language, names)
        return first, last

    def _namesakes(self) -> list[tuple[int, int]]:
        """Persons outside households who copy a person's first and last name."""
        at_home = np.zeros(self.persons, dtype=bool)
        at_home[[p for h in self.households for p in h]] = True
        alone = np.flatnonzero(~at_home)
        copiers = self.rng.choice(alone, round(NAMESAKE_SHARE * self.persons), replace=False)
        copying = np.zeros(self.persons, dtype=bool)
        copying[copiers] = True
        originals = self.rng.integers(0, self.persons, len(copiers))
        keep = ~copying[originals]
        copiers, originals = copiers[keep], originals[keep]
        self.first[copiers], self.last[copiers] = self.first[originals], self.last[originals]
        return list(zip(copiers.tolist(), originals.tolist(), strict=True))


def _weights(countries: tuple[Country, ...]) -> np.ndarray:
    weights = np.array([c.weight for c in countries], dtype=float)
    return weights / weights.sum()


class _AccountWriter:
    """Per-account choices drawn as arrays, then one ``AccountRecord`` per account."""

    def __init__(self, rng: np.random.Generator, population: _Population, seed: int) -> None:
        self.rng = rng
        self.people = population
        self.seed = seed
        self.accounts = len(population.person)
        self.addresses = _SightingAddresses(rng, population)

    @property
    def home_addresses(self) -> list[tuple[str, ...]]:
        first = self.addresses.first_home.tolist()
        second = self.addresses.second_home.tolist()
        homes = self.people.home.tolist()
        by_home = {h: (first[h], second[h]) if second[h] else (first[h],) for h in set(homes)}
        return [by_home[h] for h in homes]

    def records(self) -> list[AccountRecord]:
        people, n = self.people, self.accounts
        person = people.person.tolist()
        keys, profiles = self._keys_and_profiles()
        emails = self._emails()
        phones = _mask(self._phones(), self.rng.random(n) < PHONE_SHOWN, person)
        devices = _mask(self._devices(), self.rng.random(n) < DEVICE_SHOWN, person)
        handles = self._handles()
        firsts, lasts = self._shown_names()
        sightings = self._sightings()
        media = self._media()
        return [
            AccountRecord(
                key=keys[i],
                platform=keys[i].partition(":")[0],
                emails=emails[i],
                phones=phones[i],
                device_ids=devices[i],
                screen_names={handles[i]},
                profile_urls={profiles[i]},
                first_names=firsts[i],
                last_names=lasts[i],
                ip_sightings=sightings[i],
                media=media[i],
            )
            for i in range(n)
        ]

    def _keys_and_profiles(self) -> tuple[list[str], list[str]]:
        """Each person's accounts on distinct platforms, with ids unique per platform."""
        people, rng = self.people, self.rng
        order = np.argsort(rng.random((people.persons, len(PLATFORMS))), axis=1)
        rank = np.arange(self.accounts) - np.repeat(
            np.cumsum(people.accounts_held) - people.accounts_held, people.accounts_held
        )
        platform = order[people.person, rank]
        user_ids = scrambled(np.arange(self.accounts), 9 * 10**9, rng) + 10**9
        keys, profiles = [], []
        for number, user_id in zip(platform.tolist(), user_ids.tolist(), strict=True):
            name, domain = PLATFORMS[number]
            keys.append(f"{name}:{user_id}")
            profiles.append(f"https://{domain}/u/{user_id}")
        return keys, profiles

    def _emails(self) -> list[set[str]]:
        """The main e-mail, an own one, or none; never one another person holds."""
        people, rng, n = self.people, self.rng, self.accounts
        pools = name_pools()
        ascii_first = [ascii_name(name) for name in pools.first]
        ascii_last = [ascii_name(name) for name in pools.last]
        person_number = scrambled(np.arange(people.persons), 10**7, rng).tolist()
        account_number = scrambled(np.arange(n), 10**8, rng).tolist()
        host = rng.integers(0, len(MAIL_HOSTS), n).tolist()
        draw = rng.random(n).tolist()
        first, last = people.first.tolist(), people.last.tolist()
        emails: list[set[str]] = []
        for i, p in enumerate(people.person.tolist()):
            if draw[i] < MAIN_EMAIL:
                local = f"{ascii_first[first[p]]}.{ascii_last[last[p]]}{person_number[p]}"
                emails.append({f"{local}@{MAIL_HOSTS[person_number[p] % len(MAIL_HOSTS)]}"})
            elif draw[i] < MAIN_EMAIL + OWN_EMAIL:
                local = f"{ascii_first[first[p]]}{account_number[i]}"
                emails.append({f"{local}@{MAIL_HOSTS[host[i]]}"})
            else:
                emails.append(set())
        return emails

    def _phones(self) -> list[str]:
        """One E.164 number per person in the 555-01 block of its country, or a spill one."""
        people, rng = self.people, self.rng
        country = people.country.copy()
        spill = [i for i, c in enumerate(COUNTRIES) if c.code in SPILL_COUNTRIES]
        for number, found in enumerate(COUNTRIES):
            who = np.flatnonzero(country == number)
            room = 10 ** (found.national_digits - 5) // 2
            if len(who) > room:
                country[who[room:]] = rng.choice(spill, len(who) - room)
        phones = np.empty(people.persons, dtype=object)
        for number, found in enumerate(COUNTRIES):
            who = np.flatnonzero(country == number)
            digits = found.national_digits - 5
            if len(who) > 10**digits:
                raise ValueError(f"more persons than {found.code} has 555-01 numbers")
            rest = scrambled(np.arange(len(who)), 10**digits, rng).tolist()
            phones[who] = [f"+{found.calling_code}55501{r:0{digits}d}" for r in rest]
        return phones.tolist()

    def _devices(self) -> list[str | None]:
        """An IMEI or an Android id for half the persons, unique to each."""
        people, rng = self.people, self.rng
        number = scrambled(np.arange(people.persons), 10**12, rng)
        imeis = _imeis(number)
        has = (rng.random(people.persons) < DEVICE_SHARE).tolist()
        imei = (rng.random(people.persons) < 0.5).tolist()
        android = [f"{n * 7919:016x}" for n in number.tolist()]
        return [
            None if not has[p] else imeis[p] if imei[p] else android[p]
            for p in range(people.persons)
        ]

    def _handles(self) -> list[str]:
        """The person's usual handle or one of the account's own: a word or name and a number."""
        people, rng, n = self.people, self.rng, self.accounts
        words = list(HANDLE_WORDS) + [ascii_name(name) for name in name_pools().first]
        usual = _handle_strings(rng, people.persons, words, people.first)
        own = _handle_strings(rng, n, words, people.first[people.person])
        reuse = (rng.random(n) < USUAL_HANDLE).tolist()
        return [usual[p] if reuse[i] else own[i] for i, p in enumerate(people.person.tolist())]

    def _shown_names(self) -> tuple[list[Counter[str]], list[Counter[str]]]:
        people, rng, n = self.people, self.rng, self.accounts
        pools = name_pools()
        folded_first = [comparable_name(name) for name in pools.first]
        folded_last = [comparable_name(name) for name in pools.last]
        draw = rng.random(n).tolist()
        typo = (rng.random(n) < LAST_NAME_TYPO).tolist()
        first, last = people.first.tolist(), people.last.tolist()
        firsts, lasts = [], []
        for i, p in enumerate(people.person.tolist()):
            shown_first = draw[i] < FULL_NAME + FIRST_NAME_ONLY
            shown_last = draw[i] < FULL_NAME
            firsts.append(_once(folded_first[first[p]]) if shown_first else Counter())
            surname = folded_last[last[p]]
            lasts.append(_once(swap_two_letters(surname) if typo[i] else surname)
                         if shown_last else Counter())  # fmt: skip
        return firsts, lasts

    def _sightings(self) -> list[set[IpSighting]]:
        people, rng, n = self.people, self.rng, self.accounts
        per_account = rng.choice(SIGHTINGS, n, p=SIGHTINGS_WEIGHTS)
        owner = np.repeat(people.person, per_account)
        ips = self.addresses.for_sightings(owner)
        seconds = _sighting_seconds(rng, people.persons, owner)
        starts = (np.cumsum(per_account) - per_account).tolist()
        at = [datetime.fromtimestamp(s, UTC) for s in seconds.tolist()]
        sightings = [IpSighting(ip, when) for ip, when in zip(ips, at, strict=True)]
        return [
            set(sightings[start : start + count])
            for start, count in zip(starts, per_account.tolist(), strict=True)
        ]

    def _media(self) -> list[set[str]]:
        """Own files (shared among a person's accounts) and files from a heavy-tailed pool."""
        people, rng, n = self.people, self.rng, self.accounts
        per_account = rng.choice(MEDIA, n, p=MEDIA_WEIGHTS)
        owner = np.repeat(people.person, per_account)
        pool = max(1_000, n // 2)
        popular = (rng.zipf(1.6, len(owner)) - 1) % pool
        popular = scrambled(popular, pool, rng)
        own = pool + owner * OWN_FILES_PER_PERSON + rng.integers(0, OWN_FILES_PER_PERSON,
                                                                 len(owner))  # fmt: skip
        files = np.where(rng.random(len(owner)) < OWN_MEDIA, own, popular).tolist()
        digests = {f: _digest(self.seed, f) for f in set(files)}
        starts = (np.cumsum(per_account) - per_account).tolist()
        return [
            {digests[f] for f in files[start : start + count]}
            for start, count in zip(starts, per_account.tolist(), strict=True)
        ]


class _SightingAddresses:
    """Home addresses per home, a mobile carrier's pool, carrier-grade NAT addresses."""

    def __init__(self, rng: np.random.Generator, people: _Population) -> None:
        self.rng = rng
        self.people = people
        homes = np.unique(people.home)
        self.first_home, self.second_home = home_addresses(rng, people.persons, homes)

    def for_sightings(self, owner: np.ndarray) -> list[str]:
        rng, count = self.rng, len(owner)
        kind = rng.random(count)
        home = self.people.home[owner]
        second = (rng.random(count) < 0.5) & (self.second_home[home] != "")
        at_home = np.where(second, self.second_home[home], self.first_home[home])
        mobile_count = int(((kind >= HOME) & (kind < HOME + MOBILE)).sum())
        mobile = mobile_addresses(max(16, mobile_count // SIGHTINGS_PER_MOBILE_ADDRESS))
        cgnat_count = int((kind >= HOME + MOBILE).sum())
        cgnat = cgnat_addresses(max(4, cgnat_count // SIGHTINGS_PER_CGNAT_ADDRESS))
        through_mobile = mobile[rng.integers(0, len(mobile), count)]
        through_cgnat = cgnat[rng.integers(0, len(cgnat), count)]
        elsewhere = np.where(kind < HOME + MOBILE, through_mobile, through_cgnat)
        return np.where(kind < HOME, at_home, elsewhere).tolist()


def _sighting_seconds(rng: np.random.Generator, persons: int, owner: np.ndarray) -> np.ndarray:
    """Times around one of the person's active periods, mostly in the evening."""
    periods = rng.uniform(3, WINDOW_DAYS - 3, (persons, 3))
    period = periods[owner, rng.integers(0, rng.choice((1, 2, 3), persons)[owner])]
    day = np.clip(np.floor(period + rng.normal(0, 2, len(owner))), 0, WINDOW_DAYS - 1)
    hour = rng.choice(24, len(owner), p=_evening())
    second = day * DAY + hour * 3600 + rng.integers(0, 3600, len(owner))
    return (WINDOW_START.timestamp() + second).astype(np.int64)


def _evening() -> np.ndarray:
    weights = np.array([2, 1, 1, 1, 1, 1, 2, 3, 4, 4, 4, 4, 5, 5, 4, 4, 5, 6, 7, 8, 9, 9, 7, 4])
    return weights / weights.sum()


def _once(name: str) -> Counter[str]:
    counter: Counter[str] = Counter()
    counter[name] = 1
    return counter


def _mask(values: Sequence[str | None], shown: np.ndarray, person: list[int]) -> list[set[str]]:
    flags = shown.tolist()
    return [
        {value} if flags[i] and (value := values[p]) is not None else set()
        for i, p in enumerate(person)
    ]


def _handle_strings(
    rng: np.random.Generator, count: int, words: list[str], first: np.ndarray
) -> list[str]:
    word = rng.integers(0, len(HANDLE_WORDS) + 1, count)
    number = rng.integers(1, 100_000, count).tolist()
    chosen = np.where(word < len(HANDLE_WORDS), word, len(HANDLE_WORDS) + first).tolist()
    return [f"{words[w]}_{k}" for w, k in zip(chosen, number, strict=True)]


def _imeis(numbers: np.ndarray) -> list[str]:
    """``35`` and twelve digits of each number, then the Luhn check digit."""
    digits = numbers[:, None] // 10 ** np.arange(11, -1, -1) % 10
    body = np.hstack([np.full((len(numbers), 1), 3), np.full((len(numbers), 1), 5), digits])
    from_right = body[:, ::-1].copy()
    from_right[:, 0::2] *= 2
    from_right -= 9 * (from_right > 9)
    check = (-from_right.sum(axis=1) % 10).tolist()
    return [f"35{n:012d}{c}" for n, c in zip(numbers.tolist(), check, strict=True)]


def _digest(seed: int, file: int) -> str:
    return hashlib.sha256(f"amparo-demo-file:{seed}:{file}".encode()).hexdigest()
