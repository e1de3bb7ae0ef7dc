"""IP lookup, offline: country, place and network owner of an address, stored per IP event.

An address is first checked against the special-purpose ranges (``amparo.geo.addresses``): a
private, loopback, carrier-grade NAT, documentation... address gets the reason and no country
or owner. Any other address is asked of the databases in order, the first answer winning:

- place (country, ISO 3166-2 subdivision, city): a MaxMind City or Country ``.mmdb`` when the
  workspace setting ``mmdb_city`` names one, then the bundled geoip2fast data (country only);
- owner (ASN, organisation): a MaxMind ASN ``.mmdb`` when ``mmdb_asn`` names one, then the
  bundled data (organisation only: geoip2fast keeps the AS name, not its number).

Every answer says which databases gave it (``source``). Nothing is fetched from the Internet:
geoip2fast's data file ships inside its package and is loaded once per process, on first use.
"""

from __future__ import annotations

import functools
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import maxminddb
from sqlalchemy import Column, MetaData, String, Table, insert, literal, select
from sqlalchemy.orm import Session

from amparo.errors import WorkspaceError
from amparo.geo.addresses import Address, parse_address, reserved_range, routed_address
from amparo.geo.places import iso_country, iso_subdivision
from amparo.settings import get_setting
from amparo.store import tables
from amparo.store.types import UTCDateTime

BUNDLED_FILE = "geoip2fast-asn-ipv6.dat.gz"  # country + AS name, IPv4 and IPv6
RESERVED_SOURCE = "IANA special-purpose address registries"
PARSER_SOURCE = "Python ipaddress"
NOT_AN_ADDRESS = "not an IP address"
CACHE_SIZE = 2**18
BATCH_SIZE = 5000  # addresses looked up and written at a time


@dataclass(frozen=True)
class IpFacts:
    """What the databases say of one address; ``reserved`` set means no country or owner."""

    country: str | None = None  # ISO 3166-1 alpha-2
    subdivision: str | None = None  # ISO 3166-2, "ES-M"
    city: str | None = None
    asn: int | None = None
    organisation: str | None = None
    network: str | None = None  # CIDR: the owner's network, else the place's
    reserved: str | None = None
    source: str = ""


FACTS = tuple(field.name for field in fields(IpFacts))  # as IpLookup names its columns


class Place(NamedTuple):
    country: str
    network: str | None
    subdivision: str | None = None
    city: str | None = None


class Owner(NamedTuple):
    organisation: str | None
    network: str | None
    asn: int | None = None


class IpDatabase:
    """One offline database; it answers what it knows of an address, or ``None``."""

    @property
    def source(self) -> str:
        raise NotImplementedError

    def place(self, address: Address) -> Place | None:
        return None

    def owner(self, address: Address) -> Owner | None:
        return None

    def close(self) -> None:
        """Release what the database holds open."""


class BundledDatabase(IpDatabase):
    """geoip2fast's Country + ASN data for IPv4 and IPv6, loaded on first use."""

    def __init__(self) -> None:
        self._last: tuple[Address | None, Any] = (None, None)

    @functools.cached_property
    def _geoip(self) -> Any:
        from geoip2fast import GeoIP2Fast  # 0.4 s and ~130 MB: only when asked

        return GeoIP2Fast(geoip2fast_data_file=BUNDLED_FILE, verbose=False)

    @functools.cached_property
    def source(self) -> str:
        from geoip2fast import __version__

        return f"geoip2fast {__version__} ({self._geoip.get_database_info()['source_info']})"

    def _found(self, address: Address) -> Any:
        """geoip2fast's answer, asked once for the place and the owner of the same address."""
        if self._last[0] is not address:
            self._last = (address, self._geoip.lookup(_text(address)))
        return self._last[1]

    def place(self, address: Address) -> Place | None:
        found = self._found(address)
        country = iso_country(found.country_code) if not found.is_private else None
        return None if country is None else Place(country, found.cidr or None)

    def owner(self, address: Address) -> Owner | None:
        found = self._found(address)
        # geoip2fast 1.2.2 can give an IPv4 address the AS of a network before it (it checks
        # an IPv4 range's end as if it were IPv6), so the network must hold the address.
        if found.is_private or not found.asn_name or not _holds(found.asn_cidr, address):
            return None
        return Owner(found.asn_name, found.asn_cidr)


@functools.cache
def bundled_database() -> BundledDatabase:
    """The one bundled database of this process (geoip2fast keeps its data in globals)."""
    return BundledDatabase()


class MaxMindDatabase(IpDatabase):
    """A MaxMind-format ``.mmdb`` file the user has (GeoIP2/GeoLite2 City, Country, ASN)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._reader = open_mmdb(path)

    @functools.cached_property
    def source(self) -> str:
        meta = self._reader.metadata()
        built = datetime.fromtimestamp(meta.build_epoch, UTC).date().isoformat()
        return f"{meta.database_type} {built} ({self.path.name})"

    def _record(self, address: Address) -> tuple[dict[str, Any], str] | None:
        try:
            record, prefix = self._reader.get_with_prefix_len(address)
        except ValueError:  # an IPv6 address asked of an IPv4-only database
            return None
        if not isinstance(record, dict):
            return None
        return record, f"{_network_address(address, prefix)}/{prefix}"

    def close(self) -> None:
        self._reader.close()


class MaxMindCity(MaxMindDatabase):
    def place(self, address: Address) -> Place | None:
        found = self._record(address)
        if found is None:
            return None
        record, network = found
        country = iso_country(_iso_code(record.get("country") or record.get("registered_country")))
        if country is None:
            return None
        subdivisions = [s.get("iso_code") for s in record.get("subdivisions") or ()]
        return Place(country, network, iso_subdivision(country, subdivisions), _city(record))


class MaxMindAsn(MaxMindDatabase):
    def owner(self, address: Address) -> Owner | None:
        found = self._record(address)
        if found is None:
            return None
        record, network = found
        asn = record.get("autonomous_system_number")
        name = record.get("autonomous_system_organization") or record.get("isp")
        if asn is None and name is None:
            return None
        return Owner(name, network, asn)


class IpLookupService:
    """Looks addresses up in ``places`` and ``owners`` (first answer wins), with an LRU cache.

    Build one per run: the same address recurs across many events, and the cache keeps the
    answer for each distinct string it was given.
    """

    def __init__(
        self,
        places: Sequence[IpDatabase],
        owners: Sequence[IpDatabase],
        *,
        cache_size: int = CACHE_SIZE,
    ) -> None:
        self.places = tuple(places)
        self.owners = tuple(owners)
        self._sources: dict[tuple[str | None, str | None], str] = {}
        self.lookup: Callable[[str], IpFacts] = functools.lru_cache(cache_size)(
            self.lookup_uncached
        )

    def lookup_uncached(self, text: str) -> IpFacts:
        written = parse_address(text)
        if written is None:
            return IpFacts(reserved=NOT_AN_ADDRESS, source=PARSER_SOURCE)
        address = routed_address(written)
        reserved = reserved_range(address)
        if reserved is not None:
            reason, network = reserved
            return IpFacts(reserved=reason, network=network, source=RESERVED_SOURCE)
        return self._located(address)

    def _located(self, address: Address) -> IpFacts:
        place, place_source = _first_place(self.places, address)
        owner, owner_source = _first_owner(self.owners, address)
        return IpFacts(
            country=place.country if place else None,
            subdivision=place.subdivision if place else None,
            city=place.city if place else None,
            asn=owner.asn if owner else None,
            organisation=owner.organisation if owner else None,
            network=(owner.network if owner else None) or (place.network if place else None),
            source=self._source(place_source, owner_source),
        )

    def _source(self, place: str | None, owner: str | None) -> str:
        """The databases that answered; when none did, every database that was asked."""
        source = self._sources.get((place, owner))
        if source is None:
            named = [name for name in (place, owner) if name is not None]
            if not named:
                named = [database.source for database in (*self.places, *self.owners)]
            source = self._sources[place, owner] = "; ".join(dict.fromkeys(named))
        return source

    def cache_clear(self) -> None:
        self.lookup.cache_clear()  # type: ignore[attr-defined]

    def close(self) -> None:
        for database in {*self.places, *self.owners}:
            database.close()


def bundled_service(*, cache_size: int = CACHE_SIZE) -> IpLookupService:
    """A service on the bundled data alone."""
    bundled = bundled_database()
    return IpLookupService([bundled], [bundled], cache_size=cache_size)


def lookup_service_for(session: Session, *, cache_size: int = CACHE_SIZE) -> IpLookupService:
    """The service the workspace's settings ask for: its ``.mmdb`` files first, if any."""
    bundled = bundled_database()
    city, asn = get_setting(session, "mmdb_city"), get_setting(session, "mmdb_asn")
    places = [*_configured(MaxMindCity, "mmdb_city", city), bundled]
    owners = [*_configured(MaxMindAsn, "mmdb_asn", asn), bundled]
    return IpLookupService(places, owners, cache_size=cache_size)


def run_ip_lookups(
    session: Session,
    service: IpLookupService | None = None,
    *,
    on_total: Callable[[int], None] | None = None,
    on_done: Callable[[int], None] | None = None,
) -> int:
    """Look up every IP event that has no lookup yet; return how many events were.

    Each distinct pending address is looked up once (``on_total`` gets how many addresses,
    ``on_done`` each batch's): the answers go to a temporary table, then one
    ``INSERT ... SELECT`` in event order gives them to every pending event with that address.
    So a million events that share 200,000 addresses cost 200,000 lookups and rows written
    from Python. With no ``service``, one is built from the workspace's settings (and closed
    after) only if there is something to look up. All in ``session``'s transaction, in Core.
    """
    addresses = session.scalars(_pending(tables.IPEvent.ip).distinct()).all()
    if on_total is not None:
        on_total(len(addresses))
    if not addresses:
        return 0
    active = service if service is not None else lookup_service_for(session)
    connection = session.connection()
    _SCRATCH.drop(connection, checkfirst=True)
    _SCRATCH.create(connection)
    try:
        for first in range(0, len(addresses), BATCH_SIZE):
            batch = addresses[first : first + BATCH_SIZE]
            rows = [{"ip": ip, **vars(active.lookup(ip))} for ip in batch]
            connection.execute(insert(_SCRATCH), rows)
            if on_done is not None:
                on_done(len(batch))
    finally:
        if service is None:
            active.close()
    stored = connection.execute(_store_answers(datetime.now(UTC)))
    _SCRATCH.drop(connection)
    return stored.rowcount


# One row per distinct pending address; TEMPORARY: each connection has its own.
_SCRATCH = Table(
    "ip_lookup_scratch",
    MetaData(),
    Column("ip", String(64), primary_key=True),
    *(Column(c.name, c.type) for c in tables.IpLookup.__table__.columns if c.name in FACTS),
    prefixes=["TEMPORARY"],
)


def _pending(*columns: Any) -> Any:
    """``columns`` of the IP events that have no lookup yet."""
    event, lookup = tables.IPEvent, tables.IpLookup
    return (
        select(*columns)
        .outerjoin(lookup, lookup.ip_event_id == event.id)
        .where(lookup.ip_event_id.is_(None))
    )


def _store_answers(now: datetime) -> Any:
    """Every pending event gets its address's answer; in event order, so rows are appended."""
    event, scratch = tables.IPEvent, _SCRATCH.c
    answers = (
        _pending(event.id, *(scratch[name] for name in FACTS), literal(now, UTCDateTime()))
        .join(_SCRATCH, scratch.ip == event.ip)
        .order_by(event.id)
    )
    names = ["ip_event_id", *FACTS, "looked_up_at"]
    # psycopg's rowcount for INSERT ... SELECT reaches Core only when asked to keep it.
    return (
        insert(tables.IpLookup.__table__)
        .from_select(names, answers)
        .execution_options(preserve_rowcount=True)
    )


def open_mmdb(path: Path) -> maxminddb.Reader:
    """Open a ``.mmdb`` file, or say why it cannot be (``ValueError`` or ``OSError``)."""
    try:
        return maxminddb.open_database(str(path))
    except maxminddb.InvalidDatabaseError as error:
        raise ValueError(f"{path} is not a MaxMind database (.mmdb): {error}") from error


def _configured(kind: type[MaxMindDatabase], setting: str, path: str | None) -> list[IpDatabase]:
    if path is None:
        return []
    try:
        return [kind(Path(path))]
    except (OSError, ValueError) as error:
        raise WorkspaceError(f"setting {setting}: cannot open {path}: {error}") from error


def _first_place(
    databases: Sequence[IpDatabase], address: Address
) -> tuple[Place | None, str | None]:
    for database in databases:
        place = database.place(address)
        if place is not None:
            return place, database.source
    return None, None


def _first_owner(
    databases: Sequence[IpDatabase], address: Address
) -> tuple[Owner | None, str | None]:
    for database in databases:
        owner = database.owner(address)
        if owner is not None:
            return owner, database.source
    return None, None


def _iso_code(section: Any) -> str | None:
    return section.get("iso_code") if isinstance(section, dict) else None


def _city(record: dict[str, Any]) -> str | None:
    names = (record.get("city") or {}).get("names") or {}
    return names.get("en") or next(iter(names.values()), None)


def _network_address(address: Address, prefix: int) -> Address:
    bits = address.max_prefixlen - prefix
    return type(address)(int(address) >> bits << bits)


def _text(address: Address) -> str:
    """``str(address)`` by the C library: ``ipaddress`` writes IPv6 in Python, 5 us a time."""
    family = socket.AF_INET if address.version == 4 else socket.AF_INET6
    return socket.inet_ntop(family, address.packed)


def _holds(cidr: str, address: Address) -> bool:
    """Whether the network ``cidr`` (as geoip2fast writes it) holds ``address``."""
    first, _, length = cidr.partition("/")
    family = socket.AF_INET if address.version == 4 else socket.AF_INET6
    try:
        start = int.from_bytes(socket.inet_pton(family, first), "big")
    except OSError:
        return False
    return start <= int(address) < start + (1 << (address.max_prefixlen - int(length)))
