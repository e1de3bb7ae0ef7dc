"""Made-up platforms, people and accounts for the demo generator.

Every name, handle, e-mail and number is invented. Domains use the reserved ``.example`` TLD
and ``example.com``-style mail hosts, phone numbers use a 555-01 pattern, IPv4 addresses come
from the documentation (RFC 5737) and benchmarking (RFC 2544) ranges and IPv6 addresses from
the documentation prefix 2001:db8::/32, so nothing points at a real person or host.
"""

from __future__ import annotations

import ipaddress
import random
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta

IdFactory = Callable[[random.Random], str]

IPV4_NETWORKS = tuple(
    ipaddress.IPv4Network(cidr)
    for cidr in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "198.18.0.0/15")
)
IPV6_DOCUMENTATION = ipaddress.IPv6Network("2001:db8::/32")
MAIL_HOSTS = ("example.com", "example.org", "example.net", "mail.example")
MINOR_SHARE = 0.15
SECOND_ACCOUNT_SHARE = 0.25
HOUSEHOLD_SHARE = 0.12  # a new persona living with an earlier one: same home IPs, last name
NAMESAKE_SHARE = 0.08  # a new persona with an earlier one's first and last name, nothing else
DEVICE_SHARE = 0.45
ALPHANUMERIC = "abcdefghijklmnopqrstuvwxyz0123456789"


@dataclass(frozen=True)
class Locale:
    country_code: str
    calling_code: str
    phone_digits: int  # length of a national number, so that phonenumbers finds it possible
    language: str
    places: tuple[tuple[str, str], ...]  # (city, region)


LOCALES = (
    Locale("ES", "+34", 9, "es", (("Madrid", "Comunidad de Madrid"), ("Sevilla", "Andalucía"))),
    Locale("AR", "+54", 10, "es", (("Rosario", "Santa Fe"), ("Córdoba", "Córdoba"))),
    Locale("MX", "+52", 10, "es", (("Guadalajara", "Jalisco"), ("Monterrey", "Nuevo León"))),
    Locale("CO", "+57", 10, "es", (("Medellín", "Antioquia"), ("Cali", "Valle del Cauca"))),
    Locale("PT", "+351", 9, "pt", (("Porto", "Porto"), ("Braga", "Braga"))),
    Locale("IT", "+39", 10, "it", (("Torino", "Piemonte"), ("Napoli", "Campania"))),
)
LOCALE_WEIGHTS = (5, 3, 3, 2, 1, 1)
FIRST_NAMES = {
    "es": ("Lucía", "Mateo", "Sofía", "Martín", "Valentina", "Hugo", "Camila", "Santiago",
           "Daniela", "Diego", "Isabel", "Javier", "Paula", "Andrés", "Tomás", "Elena"),
    "pt": ("João", "Beatriz", "Tiago", "Inês", "Rui", "Mariana", "Duarte", "Leonor"),
    "it": ("Giulia", "Luca", "Chiara", "Matteo", "Francesca", "Lorenzo", "Alessia", "Davide"),
}  # fmt: skip
LAST_NAMES = {
    "es": ("García", "Fernández", "López", "Martínez", "Romero", "Navarro", "Torres", "Ramírez",
           "Castro", "Vargas", "Herrera", "Morales", "Ortega", "Delgado", "Rojas", "Medina"),
    "pt": ("Silva", "Santos", "Ferreira", "Pereira", "Oliveira", "Costa", "Martins", "Sousa"),
    "it": ("Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci"),
}  # fmt: skip
HANDLE_WORDS = ("luna", "shadow", "pixel", "wolf", "sunny", "gamer", "dreamer", "tiger", "nova")


@dataclass(frozen=True)
class Platform:
    """A fictional online service with its own style of user and group identifiers."""

    name: str
    domain: str
    chat_client: str | None  # None: a web platform, reported with a webPageIncident
    new_user_id: IdFactory
    new_group_id: IdFactory
    staff_name: tuple[str, str]

    @property
    def safety_email(self) -> str:
        return f"safety-team@{self.domain}"


def _numeric_id(rng: random.Random) -> str:
    return str(rng.randint(10**9, 10**10 - 1))


def _prefixed_id(rng: random.Random) -> str:
    return "cb_" + "".join(rng.choices(ALPHANUMERIC, k=10))


def _uuid_id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _snowflake_id(rng: random.Random) -> str:
    return str(rng.randint(10**17, 10**18 - 1))


def _album_id(rng: random.Random) -> str:
    return f"album-{rng.randint(10000, 99999)}"


def _room_id(rng: random.Random) -> str:
    return f"room_{rng.getrandbits(32):08x}"


def _share_id(rng: random.Random) -> str:
    return "share-" + "".join(rng.choices(ALPHANUMERIC, k=12))


def _circle_id(rng: random.Random) -> str:
    return f"circle/{rng.randint(1000, 9999)}"


PLATFORMS = (
    Platform("PhotoNet", "photonet.example", None, _numeric_id, _album_id, ("Irene", "Valls")),
    Platform(
        "ChatterBox", "chatterbox.example", "ChatterBox Messenger", _prefixed_id, _room_id,
        ("Marcos", "Gil"),
    ),
    Platform("CloudLocker", "cloudlocker.example", None, _uuid_id, _share_id, ("Nuria", "Sanz")),
    Platform(
        "PixelPal", "pixelpal.example", "PixelPal Chat", _snowflake_id, _circle_id,
        ("Pedro", "Alves"),
    ),
)  # fmt: skip


@dataclass(frozen=True)
class Device:
    id_type: str
    id_value: str


@dataclass(frozen=True)
class Persona:
    """A made-up human who may hold accounts on several platforms."""

    first_name: str
    last_name: str
    locale: Locale
    place: tuple[str, str]
    birth_date: date
    phone: str
    email: str
    home_ips: tuple[str, ...]
    device: Device | None

    def age_on(self, day: date) -> int:
        before_birthday = (day.month, day.day) < (self.birth_date.month, self.birth_date.day)
        return day.year - self.birth_date.year - before_birthday


@dataclass(frozen=True)
class Account:
    platform: Platform
    user_id: str
    persona: Persona
    screen_name: str
    display_name: str
    email: str

    @property
    def profile_url(self) -> str:
        return f"https://{self.platform.domain}/u/{self.user_id}"


class IpAllocator:
    """Hands out addresses from benign reserved ranges, never the same one twice."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._used: set[str] = set()

    def ipv4(self) -> str:
        return self._unused(self._random_ipv4)

    def ipv6(self) -> str:
        return self._unused(self._random_ipv6)

    def _unused(self, draw: Callable[[], str]) -> str:
        address = draw()
        while address in self._used:
            address = draw()
        self._used.add(address)
        return address

    def _random_ipv4(self) -> str:
        network = self._rng.choices(IPV4_NETWORKS, weights=(1, 1, 1, 4))[0]
        return str(network[self._rng.randint(1, network.num_addresses - 2)])

    def _random_ipv6(self) -> str:
        host = self._rng.getrandbits(96)
        return str(IPV6_DOCUMENTATION[host])


def build_account_pool(
    rng: random.Random, platforms: tuple[Platform, ...], size: int, ips: IpAllocator, today: date
) -> tuple[Account, ...]:
    """``size`` accounts spread over ``platforms``; some people hold several accounts."""
    taken: set[tuple[str, str]] = set()
    accounts: list[Account] = []
    for index in range(size):
        persona = _persona_for_next_account(rng, accounts, ips, today)
        accounts.append(new_account(rng, platforms[index % len(platforms)], persona, taken))
    return tuple(accounts)


def _persona_for_next_account(
    rng: random.Random, accounts: list[Account], ips: IpAllocator, today: date
) -> Persona:
    draw = rng.random()
    if not accounts:
        return new_persona(rng, ips, today)
    earlier = rng.choice(accounts).persona
    if draw < SECOND_ACCOUNT_SHARE:
        return earlier
    if draw < SECOND_ACCOUNT_SHARE + HOUSEHOLD_SHARE:
        home = {a.persona.first_name for a in accounts if a.persona.home_ips == earlier.home_ips}
        return household_member(rng, earlier, ips, today, home)
    if draw < SECOND_ACCOUNT_SHARE + HOUSEHOLD_SHARE + NAMESAKE_SHARE:
        return namesake(rng, earlier, ips, today)
    return new_persona(rng, ips, today)


def household_member(
    rng: random.Random, other: Persona, ips: IpAllocator, today: date, taken: set[str]
) -> Persona:
    """A sibling of ``other``: a first name no one at home has, the same last name and home."""
    persona = new_persona(rng, ips, today, other.locale)
    first_names = [n for n in FIRST_NAMES[other.locale.language] if n not in taken]
    first_name = rng.choice(first_names)
    return replace(
        persona, first_name=first_name, last_name=other.last_name, place=other.place,
        home_ips=other.home_ips, email=_email(rng, first_name, other.last_name),
    )  # fmt: skip


def namesake(rng: random.Random, other: Persona, ips: IpAllocator, today: date) -> Persona:
    """A stranger who happens to share ``other``'s first and last name, and nothing else."""
    persona = new_persona(rng, ips, today, other.locale)
    return replace(persona, first_name=other.first_name, last_name=other.last_name,
                   email=_email(rng, other.first_name, other.last_name))  # fmt: skip


def new_persona(
    rng: random.Random, ips: IpAllocator, today: date, locale: Locale | None = None
) -> Persona:
    locale = locale or rng.choices(LOCALES, weights=LOCALE_WEIGHTS)[0]
    first_name = rng.choice(FIRST_NAMES[locale.language])
    last_name = rng.choice(LAST_NAMES[locale.language])
    age = rng.randint(14, 17) if rng.random() < MINOR_SHARE else rng.randint(18, 58)
    return Persona(
        first_name=first_name,
        last_name=last_name,
        locale=locale,
        place=rng.choice(locale.places),
        birth_date=today - timedelta(days=age * 365 + rng.randint(age // 4 + 1, 360)),
        phone=_phone(rng, locale),
        email=_email(rng, first_name, last_name),
        home_ips=_home_ips(rng, ips),
        device=_device(rng) if rng.random() < DEVICE_SHARE else None,
    )


def new_account(
    rng: random.Random, platform: Platform, persona: Persona, taken: set[tuple[str, str]]
) -> Account:
    user_id = platform.new_user_id(rng)
    while (platform.name, user_id) in taken:
        user_id = platform.new_user_id(rng)
    taken.add((platform.name, user_id))
    reuse_email = rng.random() < 0.5
    return Account(
        platform=platform,
        user_id=user_id,
        persona=persona,
        screen_name=_handle(rng, persona),
        display_name=_display_name(rng, persona),
        email=persona.email if reuse_email else _email(rng, persona.first_name, ""),
    )


def _phone(rng: random.Random, locale: Locale) -> str:
    """A national number in the fictional 555-01 block, as long as the country's numbers."""
    rest = locale.phone_digits - 5
    return f"55501{rng.randint(0, 10**rest - 1):0{rest}d}"


def _home_ips(rng: random.Random, ips: IpAllocator) -> tuple[str, ...]:
    addresses = [ips.ipv4() for _ in range(rng.choice((1, 1, 2)))]
    if rng.random() < 0.2:
        addresses.append(ips.ipv6())
    return tuple(addresses)


def _device(rng: random.Random) -> Device:
    if rng.random() < 0.5:
        return Device("IMEI", _imei(rng))
    return Device("Android ID", f"{rng.getrandbits(64):016x}")


def _imei(rng: random.Random) -> str:
    body = "35" + "".join(str(rng.randint(0, 9)) for _ in range(12))
    return body + _luhn_check_digit(body)


def _luhn_check_digit(digits: str) -> str:
    total = 0
    for position, digit in enumerate(reversed(digits)):
        value = int(digit) * (2 if position % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return str(-total % 10)


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def _email(rng: random.Random, first_name: str, last_name: str) -> str:
    local = ".".join(part for part in (_ascii(first_name), _ascii(last_name)) if part)
    return f"{local}{rng.randint(1, 99_999)}@{rng.choice(MAIL_HOSTS)}"  # one person's own


def _handle(rng: random.Random, persona: Persona) -> str:
    word = rng.choice((*HANDLE_WORDS, _ascii(persona.first_name)))
    return f"{word}_{rng.randint(1, 9999)}"


def _display_name(rng: random.Random, persona: Persona) -> str:
    styles = (
        f"{persona.first_name} {persona.last_name[0]}.",
        persona.first_name,
        f"{persona.first_name} ✨",
    )
    return rng.choice(styles)
