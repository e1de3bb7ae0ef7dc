"""Known Internet providers (``data/providers.csv``, editable) and the time zone to write in.

Each provider row gives name patterns as an IP lookup's organisation spells them (matched
ignoring case, accents and punctuation, on whole words), optional ASNs (an ASN match wins over
a name match), its country, whether it is known to put subscribers behind carrier-grade NAT
(so that only the source port tells them apart), an optional time zone and a placeholder for
its legal-requests channel. ``uses_cgnat`` may be left empty when nobody knows.

Time zones: a provider's own, else its country's. A country with several zones gets its
capital's (``several_zones`` says so, and the letters say it too).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pycountry

from amparo.errors import InvalidInput
from amparo.model import ascii_key

PROVIDERS_FILE = "providers.csv"

# Country → (the capital's zone, whether the country has more than one zone).
COUNTRY_ZONES: dict[str, tuple[str, bool]] = {
    "ES": ("Europe/Madrid", True), "PT": ("Europe/Lisbon", True), "FR": ("Europe/Paris", False),
    "DE": ("Europe/Berlin", False), "IT": ("Europe/Rome", False), "GB": ("Europe/London", False),
    "IE": ("Europe/Dublin", False), "NL": ("Europe/Amsterdam", False),
    "BE": ("Europe/Brussels", False), "CH": ("Europe/Zurich", False),
    "AT": ("Europe/Vienna", False), "PL": ("Europe/Warsaw", False),
    "RO": ("Europe/Bucharest", False), "SE": ("Europe/Stockholm", False),
    "RU": ("Europe/Moscow", True), "MA": ("Africa/Casablanca", False),
    "AR": ("America/Argentina/Buenos_Aires", True), "MX": ("America/Mexico_City", True),
    "US": ("America/New_York", True), "CA": ("America/Toronto", True),
    "BR": ("America/Sao_Paulo", True), "CL": ("America/Santiago", True),
    "CO": ("America/Bogota", False), "PE": ("America/Lima", False),
    "VE": ("America/Caracas", False), "EC": ("America/Guayaquil", True),
    "UY": ("America/Montevideo", False), "PY": ("America/Asuncion", False),
    "BO": ("America/La_Paz", False), "DO": ("America/Santo_Domingo", False),
    "GT": ("America/Guatemala", False), "CR": ("America/Costa_Rica", False),
    "PA": ("America/Panama", False), "AU": ("Australia/Sydney", True),
    "IN": ("Asia/Kolkata", False), "CN": ("Asia/Shanghai", False), "JP": ("Asia/Tokyo", False),
    "PH": ("Asia/Manila", False), "ID": ("Asia/Jakarta", True),
}  # fmt: skip


@dataclass(frozen=True)
class Provider:
    name: str
    patterns: tuple[str, ...]
    asns: tuple[int, ...]
    country: str
    uses_cgnat: bool | None
    time_zone: str | None
    legal_channel: str

    def matches(self, organisation: str | None) -> bool:
        """True when one of the patterns is a run of whole words of ``organisation``."""
        if not organisation:
            return False
        words = f"_{ascii_key(organisation)}_"
        return any(f"_{ascii_key(pattern)}_" in words for pattern in self.patterns)


@dataclass(frozen=True)
class TimeZone:
    """The zone local times are written in, and why that one."""

    name: str
    several_zones: bool
    note: str | None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.name)


def load_providers(path: Path | None = None) -> tuple[Provider, ...]:
    """The providers of ``path`` (default: the list shipped with Amparo)."""
    if path is None:
        return _shipped()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise InvalidInput(f"cannot be read: {error}", path=str(path)) from error
    return _parse(text, str(path))


@cache
def _shipped() -> tuple[Provider, ...]:
    text = resources.files("amparo.geo").joinpath("data", PROVIDERS_FILE).read_text("utf-8")
    return _parse(text, PROVIDERS_FILE)


def _parse(text: str, path: str) -> tuple[Provider, ...]:
    reader = csv.DictReader(io.StringIO(text))
    return tuple(_provider(row, path, reader.line_num) for row in reader if row.get("name"))


def _provider(row: dict[str, str], path: str, line: int) -> Provider:
    place = f"line {line}"
    cgnat = (row.get("uses_cgnat") or "").strip().lower()
    if cgnat not in ("true", "false", ""):
        raise InvalidInput(f"uses_cgnat {cgnat!r} is not true, false or empty", path=path,
                           place=place)  # fmt: skip
    try:
        asns = tuple(int(a) for a in _split(row.get("asns")))
    except ValueError as error:
        raise InvalidInput(f"an ASN is not a number: {error}", path=path, place=place) from error
    return Provider(
        name=row["name"].strip(),
        patterns=_split(row.get("patterns")) or (row["name"].strip(),),
        asns=asns,
        country=(row.get("country") or "").strip().upper(),
        uses_cgnat=None if not cgnat else cgnat == "true",
        time_zone=(row.get("time_zone") or "").strip() or None,
        legal_channel=(row.get("legal_channel") or "").strip(),
    )


def _split(text: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (text or "").split("|") if part.strip())


def find_provider(
    organisation: str | None, asn: int | None, providers: tuple[Provider, ...] | None = None
) -> Provider | None:
    """The known provider of a lookup's organisation and ASN (an ASN match first), or None."""
    providers = _shipped() if providers is None else providers
    if asn is not None:
        for provider in providers:
            if asn in provider.asns:
                return provider
    return next((p for p in providers if p.matches(organisation)), None)


def provider_country(isp: str | None) -> str | None:
    """The country of the known provider an ISP name (as a provider writes it) matches."""
    provider = find_provider(isp, None)
    return provider.country if provider else None


def time_zone_for(country: str | None, provider: Provider | None = None) -> TimeZone:
    """The zone to give local times in: the provider's, else its country's capital's, else UTC."""
    if provider is not None and provider.time_zone:
        return TimeZone(_checked(provider.time_zone), False, None)
    country = provider.country if provider is not None and provider.country else country
    if country not in COUNTRY_ZONES:
        return TimeZone("UTC", False, f"no time zone known for {country or 'an unknown country'}:"
                        " local times are UTC")  # fmt: skip
    name, several = COUNTRY_ZONES[country]
    note = None
    if several:
        found = pycountry.countries.get(alpha_2=country)
        label = found.name if found else country
        note = f"{label} has more than one time zone; local times are in the capital's, {name}"
    return TimeZone(name, several, note)


def _checked(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise InvalidInput(f"unknown time zone {name!r}", path=PROVIDERS_FILE) from error
    return name
