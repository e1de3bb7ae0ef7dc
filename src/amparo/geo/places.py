"""ISO 3166 place names: countries and subdivisions as platforms, providers and IP databases
write them, to their codes; and codes back to the names a reader expects."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import phonenumbers
import pycountry

from amparo.model import ascii_key, without_accents

# MaxMind's pseudo-codes for anonymous proxies, satellite providers and unlocated continents.
_NOT_COUNTRIES = frozenset({"A1", "A2", "O1", "AP", "EU", "XX", "ZZ"})
_BRACKETED = re.compile(r"\s*\[([^\]]+)\]\s*")
# Codes outside ISO 3166-1 that still name one jurisdiction (MaxMind, the EU and others use it).
EXTRA_COUNTRIES = frozenset({"XK"})  # Kosovo

# INE province codes (the first two digits of a Spanish postal code) → ISO 3166-2.
SPANISH_POSTAL_PROVINCES = {
    "01": "ES-VI", "02": "ES-AB", "03": "ES-A", "04": "ES-AL", "05": "ES-AV", "06": "ES-BA",
    "07": "ES-PM", "08": "ES-B", "09": "ES-BU", "10": "ES-CC", "11": "ES-CA", "12": "ES-CS",
    "13": "ES-CR", "14": "ES-CO", "15": "ES-C", "16": "ES-CU", "17": "ES-GI", "18": "ES-GR",
    "19": "ES-GU", "20": "ES-SS", "21": "ES-H", "22": "ES-HU", "23": "ES-J", "24": "ES-LE",
    "25": "ES-L", "26": "ES-LO", "27": "ES-LU", "28": "ES-M", "29": "ES-MA", "30": "ES-MU",
    "31": "ES-NA", "32": "ES-OR", "33": "ES-O", "34": "ES-P", "35": "ES-GC", "36": "ES-PO",
    "37": "ES-SA", "38": "ES-TF", "39": "ES-S", "40": "ES-SG", "41": "ES-SE", "42": "ES-SO",
    "43": "ES-T", "44": "ES-TE", "45": "ES-TO", "46": "ES-V", "47": "ES-VA", "48": "ES-BI",
    "49": "ES-ZA", "50": "ES-Z", "51": "ES-CE", "52": "ES-ML",
}  # fmt: skip
# Names pycountry lacks: co-official, older and everyday names of Spanish provinces.
EXTRA_SUBDIVISION_NAMES = {
    "alacant": "ES-A", "castello": "ES-CS", "castellon de la plana": "ES-CS",
    "castello de la plana": "ES-CS", "valencia": "ES-V", "vizcaya": "ES-BI",
    "guipuzcoa": "ES-SS", "araba": "ES-VI", "alava": "ES-VI", "araba alava": "ES-VI",
    "baleares": "ES-PM", "balears": "ES-PM", "coruna": "ES-C", "la coruna": "ES-C",
    "palmas": "ES-GC", "tenerife": "ES-TF", "navarra": "ES-NA", "nafarroa": "ES-NA",
    "la rioja": "ES-LO", "madrid": "ES-M", "murcia": "ES-MU", "asturias": "ES-O",
    "cantabria": "ES-S",
}  # fmt: skip
# Country names as providers write them (folded), where pycountry has only the English.
COUNTRY_NAMES = {
    "espana": "ES", "spain": "ES", "mexico": "MX", "estados unidos": "US", "eeuu": "US",
    "reino unido": "GB", "alemania": "DE", "francia": "FR", "italia": "IT", "brasil": "BR",
    "paises bajos": "NL", "holanda": "NL", "marruecos": "MA", "peru": "PE", "portugal": "PT",
}  # fmt: skip

# Names as a Spanish press release writes them, where pycountry's differ.
PRESS_SUBDIVISION_NAMES = {"ES-CT": "Cataluña", "ES-IB": "Islas Baleares", "ES-PM": "Baleares"}
_ALTERNATIVE = re.compile(r"\s*\[[^]]*\]")


def fold(text: str) -> str:
    """Lower case, no accents, single spaces: how two spellings of a place are compared."""
    return " ".join(without_accents(text).casefold().replace("-", " ").split())


def country_code(value: str | None) -> str | None:
    """An ISO 3166-1 alpha-2 code for a code or a name; None when it names no country."""
    if not value or not value.strip() or value.strip().upper() in _NOT_COUNTRIES:
        return None
    text = value.strip()
    if len(text) == 2 and pycountry.countries.get(alpha_2=text.upper()):
        return text.upper()
    try:
        return pycountry.countries.lookup(text).alpha_2
    except LookupError:
        return None


def phone_region(number: str) -> str | None:
    """The country of an E.164 number's prefix, or None (unparseable, non-geographic)."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return None
    return country_code(phonenumbers.region_code_for_number(parsed))


def subdivision_code(country: str | None, name: str | None) -> str | None:
    """The ISO 3166-2 code of ``name`` within ``country`` (a code or a name); None if unknown."""
    if not country or not name:
        return None
    text = name.strip()
    if pycountry.subdivisions.get(code=text.upper()) is not None:
        return text.upper() if text.upper().startswith(f"{country.upper()}-") else None
    return _names(country.upper()).get(fold(text))


@cache
def _names(country: str) -> dict[str, str]:
    """Every spelling pycountry gives a subdivision of ``country``, folded, to its code.

    "Catalunya [Cataluña]" gives both names; "Madrid, Comunidad de" also "Comunidad de Madrid".
    A name two subdivisions share (a province and its city's community) keeps the first.
    """
    names: dict[str, str] = {}
    for subdivision in pycountry.subdivisions.get(country_code=country) or ():
        for spelling in _spellings(subdivision.name):
            names.setdefault(fold(spelling), subdivision.code)
    return names


def _spellings(name: str) -> list[str]:
    spellings = [_BRACKETED.sub(" ", name).strip(), *_BRACKETED.findall(name)]
    for spelling in list(spellings):
        head, comma, tail = spelling.partition(", ")
        if comma:
            spellings.append(f"{tail} {head}")
    return spellings


# --- ISO codes as IP databases give them ---------------------------------------------------


@cache
def iso_country(code: str | None) -> str | None:
    """``code`` if it names a country (ISO 3166-1 alpha-2, or Kosovo's XK); not EU, AP, --."""
    if not code:
        return None
    code = code.upper()
    known = code in EXTRA_COUNTRIES or pycountry.countries.get(alpha_2=code) is not None
    return code if known else None


def iso_subdivision(country: str, codes: Sequence[str | None]) -> str | None:
    """The most specific of ``codes`` (MaxMind lists them largest first) that ISO 3166-2 has."""
    for code in reversed(codes):
        if code and _is_subdivision(f"{country}-{code.upper()}"):
            return f"{country}-{code.upper()}"
    return None


@cache
def _is_subdivision(code: str) -> bool:
    return pycountry.subdivisions.get(code=code) is not None


# --- places as providers write them --------------------------------------------------------


@dataclass(frozen=True)
class Place:
    country: str | None
    subdivision: str | None
    details: dict[str, str]
    notes: list[str]


def resolve_place(
    country_raw: str | None, subdivision_raw: str | None, postal_code: str | None,
    country_hint: str | None = None, home_country: str | None = None,
) -> Place:  # fmt: skip
    """Country (ISO 3166-1) and subdivision (ISO 3166-2) from what a row says, and on what basis.

    The country named in the row wins; a subdivision code or name comes next; then the
    provider's country (``country_hint``). A Spanish postal code gives the province when the
    subdivision column says nothing recognisable.
    """
    stated = written_country_code(country_raw)
    notes = [f"country {country_raw!r} not recognised"] if country_raw and not stated else []
    subdivision, basis = _subdivision(subdivision_raw, stated, country_hint, home_country)
    if subdivision_raw and subdivision is None:
        notes.append(f"subdivision {subdivision_raw!r} not recognised")
    if stated and subdivision and subdivision[:2] != stated:
        notes.append(f"subdivision {subdivision} is not in the country given, {stated}")
    country = stated or (subdivision and subdivision[:2]) or country_hint
    basis_of_country = _country_basis(stated, subdivision, country)
    postal = _postal_province(postal_code) if country == "ES" else None
    if subdivision is None and postal:
        subdivision, basis = postal, "postal code"
    elif (
        postal
        and subdivision is not None
        and subdivision.startswith("ES")
        and not _within(postal, subdivision)
    ):
        notes.append(f"postal code {postal_code} is in {postal}, not {subdivision}")
    details = {"country_basis": basis_of_country} if basis_of_country else {}
    return Place(country, subdivision, details | ({"subdivision_basis": basis} if basis else {}),
                 notes)  # fmt: skip


def _country_basis(stated: str | None, subdivision: str | None, country: str | None) -> str | None:
    if stated:
        return "country column"
    if subdivision:
        return "subdivision"
    return "provider's country" if country else None


def _within(province: str, subdivision: str) -> bool:
    """True when ``subdivision`` is ``province`` or the region holding it."""
    found = pycountry.subdivisions.get(code=province)
    return subdivision in (province, getattr(found, "parent_code", None))


def written_country_code(text: str | None) -> str | None:
    """An ISO 3166-1 alpha-2 code from a code (alpha-2 or -3) or a name, English or Spanish."""
    if not text:
        return None
    folded = ascii_key(text).replace("_", " ")
    if folded in COUNTRY_NAMES:
        return COUNTRY_NAMES[folded]
    try:
        return pycountry.countries.lookup(text.strip()).alpha_2
    except LookupError:
        return None


def _postal_province(postal_code: str | None) -> str | None:
    code = (postal_code or "").strip()
    if len(code) == 4 and code.isdigit():
        code = "0" + code  # a spreadsheet dropped the leading zero
    if len(code) != 5 or not code.isdigit():
        return None
    return SPANISH_POSTAL_PROVINCES.get(code[:2])


def _subdivision(
    raw: str | None, country: str | None, hint: str | None, home: str | None
) -> tuple[str | None, str | None]:
    if not raw:
        return None, None
    by_code = pycountry.subdivisions.get(code=raw.strip().upper())
    if by_code is not None:
        return by_code.code, "ISO 3166-2 code"
    if country and len(raw.strip()) <= 3:
        by_code = pycountry.subdivisions.get(code=f"{country}-{raw.strip().upper()}")
        if by_code is not None:
            return by_code.code, "ISO 3166-2 code"
    found = _by_name(raw, country or hint, home)
    return (found, "name") if found else (None, None)


def _by_name(raw: str, country: str | None, home: str | None) -> str | None:
    key = ascii_key(raw).replace("_", " ")
    candidates = _name_index().get(key, [])
    if key in EXTRA_SUBDIVISION_NAMES:  # the province, not the region of the same name
        preferred = pycountry.subdivisions.get(code=EXTRA_SUBDIVISION_NAMES[key])
        candidates = [s for s in candidates if s.country_code != "ES"] + [preferred]
    candidates = [s for s in candidates if country is None or s.country_code == country]
    countries = {s.country_code for s in candidates}
    if len(countries) > 1:
        candidates = [s for s in candidates if s.country_code == home]
    if not candidates:
        return None
    lowest = [s for s in candidates if getattr(s, "parent_code", None)] or candidates
    return lowest[0].code if len(lowest) == 1 else None


def _name_forms(name: str) -> Iterable[str]:
    """``Barcelona [Barcelona]``, ``Murcia, Región de``, ``A Coruña [La Coruña]``: every form."""
    for part in re.split(r"\s*[\[\]/]\s*", name):
        if not part:
            continue
        yield part
        if ", " in part:
            head, tail = part.split(", ", 1)
            yield head
            yield f"{tail} {head}"


@cache
def _name_index() -> dict[str, list[Any]]:
    index: dict[str, list[Any]] = {}
    for subdivision in pycountry.subdivisions:
        for form in set(_name_forms(subdivision.name)):
            index.setdefault(ascii_key(form).replace("_", " "), []).append(subdivision)
    return index


# --- names for readers ---------------------------------------------------------------------


def country_name(code: str) -> str:
    """The common English name of an ISO 3166-1 country (``MX`` → ``Mexico``), else the code."""
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return code
    return getattr(country, "common_name", None) or country.name


def subdivision_name(code: str) -> str:
    """The local name of an ISO 3166-2 subdivision (``ES-A`` → ``Alicante``), else the code.

    pycountry's bracketed alternatives are dropped (``Girona [Gerona]`` → ``Girona``) and
    Spain's inverted names put right (``Murcia, Región de`` → ``Región de Murcia``).
    """
    if code in PRESS_SUBDIVISION_NAMES:
        return PRESS_SUBDIVISION_NAMES[code]
    found = pycountry.subdivisions.get(code=code)
    if found is None:
        return code
    name = _ALTERNATIVE.sub("", found.name).strip()
    if code.startswith("ES-") and ", " in name:
        head, tail = name.split(", ", 1)
        name = f"{tail} {head}"
    return name


def name_key(name: str) -> str:
    """Sort names as a reader does: accents and case ignored (Álava before Barcelona)."""
    return without_accents(name).casefold()
