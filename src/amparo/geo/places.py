"""Countries and subdivisions by name, as platforms and providers write them, to ISO 3166."""

from __future__ import annotations

import re
from functools import cache

import phonenumbers
import pycountry

from amparo.model import without_accents

# MaxMind's pseudo-codes for anonymous proxies, satellite providers and unlocated continents.
_NOT_COUNTRIES = frozenset({"A1", "A2", "O1", "AP", "EU", "XX", "ZZ"})
_BRACKETED = re.compile(r"\s*\[([^\]]+)\]\s*")


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
