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
import ipaddress
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

import duckdb
import numpy as np

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
SECOND_HOME_ADDRESS = 0.25
SIGHTINGS_PER_CGNAT_ADDRESS = 6_000
SIGHTINGS_PER_MOBILE_ADDRESS = 3
MEDIA, MEDIA_WEIGHTS = (0, 1, 2, 3, 4), (0.35, 0.3, 0.2, 0.1, 0.05)
OWN_MEDIA, OWN_FILES_PER_PERSON = 0.4, 3
SIMILAR_NAME = 0.9  # the model's Jaro-Winkler threshold for "similar" names
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
LANGUAGES = ("es", "pt", "it", "fr", "de", "en")
FOREIGN_FIRST_NAME = 0.1
FIRST_NAMES = {
    "es": "Lucía Mateo Sofía Martín Valentina Hugo Camila Santiago Daniela Diego Isabel Javier "
    "Paula Andrés Tomás Elena Carmen Alejandro Ana Pablo Laura Sergio Marta Jorge Claudia "
    "Adrián Sara Álvaro Irene Raúl Natalia Iván Julia Rubén Andrea Óscar Alba Gonzalo Noelia "
    "Emilio Rocío Ignacio Ximena Joaquín Renata Agustín Florencia Nicolás Guadalupe Rodrigo",
    "pt": "João Beatriz Tiago Inês Rui Mariana Duarte Leonor Gabriel Ana Miguel Matilde Rafael "
    "Carolina Gonçalo Francisca Pedro Lara Bruno Juliana Gustavo Larissa Felipe Letícia "
    "Thiago Vitória Caio Yasmin Vinícius Luana Henrique Bianca Eduardo Manuela Leonardo",
    "it": "Giulia Luca Chiara Matteo Francesca Lorenzo Alessia Davide Sofia Leonardo Aurora "
    "Riccardo Ginevra Tommaso Beatrice Edoardo Martina Federico Greta Gabriele Elisa "
    "Simone Noemi Pietro Arianna Filippo Vittoria Niccolò Camilla Stefano Ilaria",
    "fr": "Camille Louis Léa Gabriel Chloé Arthur Manon Jules Inès Raphaël Zoé Adam Jade "
    "Lucas Louise Hugo Emma Théo Alice Nathan Juliette Maxime Clémence Antoine Margaux "
    "Baptiste Pauline Quentin Océane Romain Anaïs",
    "de": "Lukas Hannah Leon Mia Finn Emilia Jonas Lena Paul Marie Felix Lea Elias Johanna "
    "Maximilian Clara Niklas Greta Moritz Frieda Jan Katharina Tobias Franziska Florian "
    "Jana Sebastian Anja Matthias Sabine",
    "en": "Oliver Amelia George Isla Harry Ava Jack Freya Charlie Poppy Oscar Ivy Alfie Rosie "
    "Thomas Grace Jacob Evie Noah Millie William Ella James Lily Joshua Chloe Daniel Holly "
    "Samuel Megan",
}
LAST_NAMES = {
    "es": "García Fernández López Martínez Romero Navarro Torres Ramírez Castro Vargas Herrera "
    "Morales Ortega Delgado Rojas Medina Sánchez Pérez Gómez Díaz Jiménez Ruiz Hernández "
    "Álvarez Moreno Muñoz Alonso Gutiérrez Domínguez Vázquez Ramos Gil Serrano Blanco Molina "
    "Suárez Castillo Ortiz Rubio Marín Sanz Iglesias Núñez Garrido Cortés Flores Aguilar",
    "pt": "Silva Santos Ferreira Pereira Oliveira Costa Martins Sousa Rodrigues Almeida Lima "
    "Carvalho Gomes Ribeiro Lopes Barbosa Araújo Fernandes Rocha Dias Monteiro Cardoso "
    "Teixeira Correia Mendes Nunes Soares Vieira Moreira Cavalcanti Nascimento Freitas",
    "it": "Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco Bruno "
    "Gallo Conti DeLuca Mancini Costa Giordano Rizzo Lombardi Moretti Barbieri Fontana "
    "Santoro Mariani Rinaldi Caruso Ferrara Galli Martini Leone Longo Gentile",
    "fr": "Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon "
    "Laurent Lefebvre Michel Garcia David Bertrand Roux Vincent Fournier Morel Girard "
    "André Lefèvre Mercier Dupont Lambert Bonnet François Martinez",
    "de": "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann "
    "Schäfer Koch Bauer Richter Klein Wolf Schröder Neumann Schwarz Zimmermann Braun "
    "Krüger Hofmann Hartmann Lange Schmitt Werner Krause Meier Lehmann",
    "en": "Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts "
    "Robinson Thompson Wright Walker White Edwards Hughes Green Hall Lewis Harris Clarke "
    "Patel Jackson Wood Turner Martin Cooper Hill Ward Morris",
}
SURNAME_SYLLABLES = {
    "es": ("Bar Cal Mon Val Ser Gal Ri Pa Al Cas Ver Lo Ma Sal Can Oli Fon Mir Qui Tor",
           "ga ve le ri do ca na lla mo te ce",
           "ez ero illa ón ado al ejo ino ares uela"),
    "pt": ("Bra Fon Cor Mou Ta Vas Pin Quei Ser Gui Lou Ma Ben Cam Ro Pe Fa Sa Mel Ar",
           "ra ta ve li do nha lho ce sa",
           "es eira inho ão ral ares oso ela im uca"),
    "it": ("Bel Cap Fer Gal Mar Pel Ros Sal Tor Vit Cas Bon Lan Ber Pag Del Cor Fio Ric Sca",
           "la ne ri to ca mo de gi le",
           "ini etti one ucci elli ato ese ari azzi otti"),
    "fr": ("Bel Char Dau Fon Gau Lam Mar Per Rou Val Cha Ber Mon Lef Gir Bou Cor Dur Lan Mor",
           "ri che lo ta de vi",
           "ier eau ot in and et ard ault on ois"),
    "de": ("Bach Berg Brand Eich Feld Grun Hahn Kirch Lind Stein Wald Ross Hof Mehl Dorn",
           "en er el",
           "mann er hardt berg feld stein meier bauer ling haus"),
    "en": ("Ash Brad Cald Fair Hart Kings Mar Nor Red Stan Wes Whit Black Brook Cran Holm",
           "ing ley ton ford",
           "worth field well by ham wick more land ridge son"),
}  # fmt: skip


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
        pools = _name_pools()
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
        names = _name_pools()
        language = np.array([LANGUAGES.index(c.language) for c in COUNTRIES])[self.country]
        foreign = self.rng.random(self.persons) < FOREIGN_FIRST_NAME
        first_language = np.where(foreign, self.rng.integers(0, len(LANGUAGES), self.persons),
                                  language)  # fmt: skip
        first = _draw_by_language(self.rng, first_language, names.first_ranges)
        last = _draw_by_language(self.rng, language, names.last_ranges)
        for household in self.households:
            last[list(household)] = last[household[0]]
            _distinct_first_names(self.rng, first, household, first_language, names)
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


@dataclass(frozen=True)
class _NamePools:
    first: list[str]  # as written
    last: list[str]
    first_ranges: list[tuple[int, int]]  # per language: [start, end) in ``first``
    last_ranges: list[tuple[int, int]]
    first_similar: frozenset[tuple[int, int]]  # first names a comparison calls similar


@cache
def _name_pools() -> _NamePools:
    first: list[str] = []
    last: list[str] = []
    first_ranges: list[tuple[int, int]] = []
    last_ranges: list[tuple[int, int]] = []
    for language in LANGUAGES:
        given = FIRST_NAMES[language].split()
        first_ranges.append((len(first), len(first) + len(given)))
        first += given
        family = _unique(LAST_NAMES[language].split() + _syllable_surnames(language))
        last_ranges.append((len(last), len(last) + len(family)))
        last += family
    return _NamePools(first, last, first_ranges, last_ranges, _similar_pairs(first))


def _syllable_surnames(language: str) -> list[str]:
    """Every surname the language's syllables make, in an order fixed by a seeded shuffle."""
    starts, middles, ends = (part.split() for part in SURNAME_SYLLABLES[language])
    made = [s + e for s in starts for e in ends]
    made += [s + m + e for s in starts for m in middles for e in ends]
    order = np.random.default_rng(len(made)).permutation(len(made))
    return [made[i] for i in order]


def _unique(names: list[str]) -> list[str]:
    return list(dict.fromkeys(names))


def _similar_pairs(names: list[str]) -> frozenset[tuple[int, int]]:
    """Pairs of first names (by position) the model's Jaro-Winkler comparison takes as alike."""
    folded = [comparable_name(name) for name in names]
    connection = duckdb.connect()
    try:
        connection.execute("create table names (i integer, n varchar)")
        connection.executemany("insert into names values (?, ?)", list(enumerate(folded)))
        rows = connection.execute(
            "select a.i, b.i from names a join names b on a.i <> b.i "
            "and jaro_winkler_similarity(a.n, b.n) >= ?",
            [SIMILAR_NAME],
        ).fetchall()
    finally:
        connection.close()
    return frozenset((a, b) for a, b in rows)


def _draw_by_language(
    rng: np.random.Generator, language: np.ndarray, ranges: list[tuple[int, int]]
) -> np.ndarray:
    """A name per person from its language's range, the first names of a range the commonest."""
    drawn = np.empty(len(language), dtype=np.int64)
    for number, (start, end) in enumerate(ranges):
        who = np.flatnonzero(language == number)
        drawn[who] = start + rng.choice(end - start, len(who), p=_zipf(end - start))
    return drawn


def _zipf(size: int) -> np.ndarray:
    """Name frequencies falling as 1/(rank + offset), flatter at the head than a pure Zipf."""
    weights = 1 / (np.arange(size) + 1 + size**0.5 / 2)
    return weights / weights.sum()


def _distinct_first_names(
    rng: np.random.Generator,
    first: np.ndarray,
    household: tuple[int, ...],
    language: np.ndarray,
    names: _NamePools,
) -> None:
    """Redraw housemates' first names until no two are the same or alike."""
    taken: list[int] = []
    for person in household:
        start, end = names.first_ranges[language[person]]
        candidate = int(first[person])
        while any(candidate == t or (candidate, t) in names.first_similar for t in taken):
            candidate = int(rng.integers(start, end))
        first[person] = candidate
        taken.append(candidate)


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
        user_ids = _scrambled(np.arange(self.accounts), 9 * 10**9, rng) + 10**9
        keys, profiles = [], []
        for number, user_id in zip(platform.tolist(), user_ids.tolist(), strict=True):
            name, domain = PLATFORMS[number]
            keys.append(f"{name}:{user_id}")
            profiles.append(f"https://{domain}/u/{user_id}")
        return keys, profiles

    def _emails(self) -> list[set[str]]:
        """The main e-mail, an own one, or none; never one another person holds."""
        people, rng, n = self.people, self.rng, self.accounts
        pools = _name_pools()
        ascii_first = [_ascii(name) for name in pools.first]
        ascii_last = [_ascii(name) for name in pools.last]
        person_number = _scrambled(np.arange(people.persons), 10**7, rng).tolist()
        account_number = _scrambled(np.arange(n), 10**8, rng).tolist()
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
            rest = _scrambled(np.arange(len(who)), 10**digits, rng).tolist()
            phones[who] = [f"+{found.calling_code}55501{r:0{digits}d}" for r in rest]
        return phones.tolist()

    def _devices(self) -> list[str | None]:
        """An IMEI or an Android id for half the persons, unique to each."""
        people, rng = self.people, self.rng
        number = _scrambled(np.arange(people.persons), 10**12, rng)
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
        words = list(HANDLE_WORDS) + [_ascii(name) for name in _name_pools().first]
        usual = _handle_strings(rng, people.persons, words, people.first)
        own = _handle_strings(rng, n, words, people.first[people.person])
        reuse = (rng.random(n) < USUAL_HANDLE).tolist()
        return [usual[p] if reuse[i] else own[i] for i, p in enumerate(people.person.tolist())]

    def _shown_names(self) -> tuple[list[Counter[str]], list[Counter[str]]]:
        people, rng, n = self.people, self.rng, self.accounts
        pools = _name_pools()
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
            lasts.append(_once(_swap_two_letters(surname) if typo[i] else surname)
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
        popular = _scrambled(popular, pool, rng)
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
        self.first_home, self.second_home = _home_addresses(rng, people.persons, homes)

    def for_sightings(self, owner: np.ndarray) -> list[str]:
        rng, count = self.rng, len(owner)
        kind = rng.random(count)
        home = self.people.home[owner]
        second = (rng.random(count) < 0.5) & (self.second_home[home] != "")
        at_home = np.where(second, self.second_home[home], self.first_home[home])
        mobile_count = int(((kind >= HOME) & (kind < HOME + MOBILE)).sum())
        mobile = _mobile_addresses(max(16, mobile_count // SIGHTINGS_PER_MOBILE_ADDRESS))
        cgnat_count = int((kind >= HOME + MOBILE).sum())
        cgnat = _cgnat_addresses(max(4, cgnat_count // SIGHTINGS_PER_CGNAT_ADDRESS))
        through_mobile = mobile[rng.integers(0, len(mobile), count)]
        through_cgnat = cgnat[rng.integers(0, len(cgnat), count)]
        elsewhere = np.where(kind < HOME + MOBILE, through_mobile, through_cgnat)
        return np.where(kind < HOME, at_home, elsewhere).tolist()


def _home_addresses(
    rng: np.random.Generator, persons: int, homes: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per home (indexed by its first member): an address, and a second one or ""."""
    first = np.full(persons, "", dtype=object)
    second = np.full(persons, "", dtype=object)
    ipv4 = _home_ipv4()
    count = len(homes)
    with_ipv4 = rng.permutation(count)[: min(count // 2, len(ipv4))]
    addresses = np.array(_ipv6(_scrambled(np.arange(2 * count), 2**24, rng), 0x1), dtype=object)
    addresses[with_ipv4] = [ipv4[i] for i in rng.permutation(len(ipv4))[: len(with_ipv4)]]
    first[homes] = addresses[:count]
    has_second = rng.random(count) < SECOND_HOME_ADDRESS
    second[homes[has_second]] = addresses[count:][has_second]
    return first, second


@cache
def _home_ipv4() -> list[str]:
    networks = ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "198.19.0.0/16")
    return [str(host) for cidr in networks for host in ipaddress.IPv4Network(cidr).hosts()]


def _mobile_addresses(count: int) -> np.ndarray:
    """198.18.0.0/16 first, then IPv6 in a carrier's own part of the documentation prefix."""
    ipv4 = _mobile_ipv4()[:count]
    ipv6 = _ipv6(np.arange(count - len(ipv4)), 0xCA)
    return np.array(ipv4 + ipv6, dtype=object)


@cache
def _mobile_ipv4() -> list[str]:
    return [str(host) for host in ipaddress.IPv4Network("198.18.0.0/16").hosts()]


def _cgnat_addresses(count: int) -> np.ndarray:
    network = ipaddress.IPv4Network("100.64.0.0/10")
    return np.array([str(network[1 + 257 * i]) for i in range(count)], dtype=object)


def _ipv6(numbers: np.ndarray, subnet: int) -> list[str]:
    """``2001:db8:SSNN:NNNN::1``: one /64 per number (below 2**24) in 2001:db8:SS00::/40.

    Written as ``ipaddress`` writes them (the longest run of zero groups compressed), faster.
    """
    third = ((subnet << 8) | (np.asarray(numbers, dtype=np.int64) >> 16)).tolist()
    fourth = (np.asarray(numbers, dtype=np.int64) & 0xFFFF).tolist()
    return [
        f"2001:db8:{a:x}:{b:x}::1" if b else f"2001:db8:{a:x}::1"
        for a, b in zip(third, fourth, strict=True)
    ]


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


def _scrambled(numbers: np.ndarray, modulus: int, rng: np.random.Generator) -> np.ndarray:
    """A seeded bijection of [0, modulus): distinct inputs give distinct, random-looking outputs."""
    multiplier = int(rng.integers(1, min(modulus, 2**62 // modulus)))
    while np.gcd(multiplier, modulus) != 1:
        multiplier += 1
    offset = int(rng.integers(0, modulus))
    return (np.asarray(numbers, dtype=np.int64) * multiplier + offset) % modulus


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


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return "".join(c for c in plain if c.isalnum())


def _swap_two_letters(name: str) -> str:
    if len(name) < 4:
        return name
    middle = len(name) // 2
    return name[: middle - 1] + name[middle] + name[middle - 1] + name[middle + 1 :]


def _digest(seed: int, file: int) -> str:
    return hashlib.sha256(f"amparo-demo-file:{seed}:{file}".encode()).hexdigest()
