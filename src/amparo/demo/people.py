"""Made-up platforms, people and accounts for the demo generator.

Every name, handle, e-mail and number is invented. Domains use the reserved ``.example`` TLD
and ``example.com``-style mail hosts and phone numbers a 555-01 pattern. Proxy addresses come
from the documentation (RFC 5737) and benchmarking (RFC 2544) ranges and 2001:db8::/32. Home
addresses are random hosts in large providers' public blocks (``networks``), because an offline
IP database can place nothing else; they belong to no one in the made-up story.
"""

from __future__ import annotations

import ipaddress
import random
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta

from amparo.demo.networks import blocks_of

IdFactory = Callable[[random.Random], str]

IPV4_NETWORKS = tuple(
    ipaddress.IPv4Network(cidr)
    for cidr in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "198.18.0.0/15")
)
IPV6_DOCUMENTATION = ipaddress.IPv6Network("2001:db8::/32")
MAIL_HOSTS = ("example.com", "example.org", "example.net", "mail.example")
MINOR_SHARE = 0.15
SECOND_ACCOUNT_SHARE = 0.25
CGNAT_SHARE = 0.2  # of homes in a country with a carrier-grade NAT provider
CGNAT_ADDRESSES = 2
CGNAT_FIRST_PORT = 1024
CGNAT_PORTS_PER_SUBSCRIBER = 2048
HOUSEHOLD_SHARE = 0.12  # a new persona living with an earlier one: same home IPs, last name
NAMESAKE_SHARE = 0.08  # a new persona with an earlier one's first and last name, nothing else
DEVICE_SHARE = 0.45
ALPHANUMERIC = "abcdefghijklmnopqrstuvwxyz0123456789"


@dataclass(frozen=True)
class Place:
    city: str
    region: str  # as a platform's estimated location names it
    subdivision: str  # ISO 3166-2: Spain's province (subscriber returns); elsewhere the region
    postal_code: str


@dataclass(frozen=True)
class Locale:
    country_code: str
    calling_code: str
    phone_digits: int  # length of a national number, so that phonenumbers finds it possible
    language: str
    places: tuple[Place, ...]


LOCALES = (
    Locale("ES", "+34", 9, "es", (
        Place("Madrid", "Comunidad de Madrid", "ES-M", "28013"),
        Place("Sevilla", "Andalucía", "ES-SE", "41004"),
        Place("Alicante", "Comunidad Valenciana", "ES-A", "03001"),
        Place("Barcelona", "Cataluña", "ES-B", "08002"),
        Place("Valencia", "Comunidad Valenciana", "ES-V", "46002"),
        Place("Málaga", "Andalucía", "ES-MA", "29005"),
    )),
    Locale("AR", "+54", 10, "es", (
        Place("Rosario", "Santa Fe", "AR-S", "S2000"), Place("Córdoba", "Córdoba", "AR-X", "X5000"),
    )),
    Locale("MX", "+52", 10, "es", (
        Place("Guadalajara", "Jalisco", "MX-JAL", "44100"),
        Place("Monterrey", "Nuevo León", "MX-NLE", "64000"),
    )),
    Locale("CO", "+57", 10, "es", (
        Place("Medellín", "Antioquia", "CO-ANT", "050001"),
        Place("Cali", "Valle del Cauca", "CO-VAC", "760001"),
    )),
    Locale("PT", "+351", 9, "pt", (
        Place("Porto", "Porto", "PT-13", "4000-001"), Place("Braga", "Braga", "PT-03", "4700-001"),
    )),
    Locale("IT", "+39", 10, "it", (
        Place("Torino", "Piemonte", "IT-21", "10121"),
        Place("Napoli", "Campania", "IT-72", "80121"),
    )),
)  # fmt: skip
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
    keyed_by_phone: bool = False  # a messenger whose user id is the phone number (WhatsApp)

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


def _whatsapp_group_id(rng: random.Random) -> str:
    return f"1203634{rng.randint(10**11, 10**12 - 1)}@g.us"


def _no_user_id(rng: random.Random) -> str:
    raise ValueError("a phone-number messenger's user id is its user's number")


# Reports from a messenger that keys users by phone number (``generate_operation(messenger=
# True)``): its espIdentifier is the reported user's number.
WHATSAPP = Platform(
    "WhatsApp", "whatsapp.example", "WhatsApp", _no_user_id, _whatsapp_group_id,
    ("Lena", "Ortiz"), keyed_by_phone=True,
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
    place: Place
    birth_date: date
    phone: str
    email: str
    home_ips: tuple[str, ...]
    port_block: tuple[int, int] | None  # behind carrier-grade NAT: the ports of this home
    device: Device | None

    @property
    def e164(self) -> str:
        """The number in E.164: ``+34555011234``."""
        return self.locale.calling_code + self.phone

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
    """Hands out addresses never twice: from benign reserved ranges, or providers' home blocks.

    Carrier-grade NAT addresses are the exception: a few per country, each shared by many
    subscribers, each subscriber with its own block of ports.
    """

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._used: set[str] = set()
        self._shared: dict[str, list[str]] = {}
        self._next_port_block = CGNAT_FIRST_PORT

    def home(self, country: str, *, ipv6: bool = False) -> str:
        """A host in one of ``country``'s providers' blocks (documentation range if none)."""
        blocks = blocks_of(country, ipv6=ipv6)
        if not blocks:
            return self.ipv6() if ipv6 else self.ipv4()
        return self._unused(lambda: _random_host(self._rng, self._rng.choice(blocks).network))

    def shared(self, country: str) -> tuple[str, tuple[int, int]] | None:
        """A carrier-grade NAT address of ``country`` and a port block of its own, if any."""
        blocks = blocks_of(country, cgnat=True)
        if not blocks:
            return None
        pool = self._shared.setdefault(country, [
            self._unused(lambda: _random_host(self._rng, blocks[0].network))
            for _ in range(CGNAT_ADDRESSES)
        ])  # fmt: skip
        first = self._next_port_block
        self._next_port_block += CGNAT_PORTS_PER_SUBSCRIBER
        return self._rng.choice(pool), (first, first + CGNAT_PORTS_PER_SUBSCRIBER - 1)

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
        platform = platforms[index % len(platforms)]
        persona = _persona_for_next_account(rng, accounts, ips, today)
        while platform.keyed_by_phone and (platform.name, persona.e164) in taken:
            persona = new_persona(rng, ips, today)  # one account per number
        accounts.append(new_account(rng, platform, persona, taken))
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
        home_ips=other.home_ips, port_block=other.port_block,
        email=_email(rng, first_name, other.last_name),
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
    home_ips, port_block = _home(rng, ips, locale.country_code)
    first_name = rng.choice(FIRST_NAMES[locale.language])
    last_name = rng.choice(LAST_NAMES[locale.language])
    age = rng.randint(12, 17) if rng.random() < MINOR_SHARE else rng.randint(18, 58)
    return Persona(
        first_name=first_name,
        last_name=last_name,
        locale=locale,
        place=rng.choice(locale.places),
        birth_date=today - timedelta(days=age * 365 + rng.randint(age // 4 + 1, 360)),
        phone=_phone(rng, locale),
        email=_email(rng, first_name, last_name),
        home_ips=home_ips,
        port_block=port_block,
        device=_device(rng) if rng.random() < DEVICE_SHARE else None,
    )


def new_account(
    rng: random.Random, platform: Platform, persona: Persona, taken: set[tuple[str, str]]
) -> Account:
    user_id = persona.e164 if platform.keyed_by_phone else platform.new_user_id(rng)
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


def _random_host(rng: random.Random, cidr: str) -> str:
    network = ipaddress.ip_network(cidr)
    return str(network[rng.randint(1, min(network.num_addresses - 2, 2**32))])


def _home(
    rng: random.Random, ips: IpAllocator, country: str
) -> tuple[tuple[str, ...], tuple[int, int] | None]:
    """Home addresses, and the port block when the home is behind carrier-grade NAT."""
    if rng.random() < CGNAT_SHARE and (shared := ips.shared(country)) is not None:
        address, ports = shared
        return (address,), ports
    addresses = [ips.home(country) for _ in range(rng.choice((1, 1, 2)))]
    if rng.random() < 0.2:
        addresses.append(ips.home(country, ipv6=True))
    return tuple(addresses), None


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
