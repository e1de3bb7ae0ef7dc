"""A person's country hint, from what platforms estimated and what phone numbers say.

Only a hint for the network (which links cross borders): the platforms' estimates of the
person's accounts first, else the region of their phone numbers. Disagreeing evidence with no
majority gives no hint; nothing is guessed. The locate stage replaces it with a located country.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import phonenumbers

# MaxMind's pseudo-codes for anonymous proxies, satellite providers and unlocated continents.
_NOT_COUNTRIES = frozenset({"A1", "A2", "O1", "AP", "EU", "XX", "ZZ"})


def country_code(value: str | None) -> str | None:
    """``value`` as an ISO 3166-1 alpha-2 code, or None when it is not one."""
    code = (value or "").strip().upper()
    if len(code) != 2 or not code.isascii() or not code.isalpha() or code in _NOT_COUNTRIES:
        return None
    return code


def phone_region(number: str) -> str | None:
    """The country of an E.164 number's prefix, or None (unparseable, non-geographic)."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return None
    return country_code(phonenumbers.region_code_for_number(parsed))


def country_hint(estimates: Iterable[str | None], phones: Iterable[str] = ()) -> str | None:
    """The most frequent platform estimate, else the most frequent phone region; ties are None."""
    return _majority(country_code(e) for e in estimates) or _majority(
        phone_region(p) for p in phones
    )


def _majority(codes: Iterable[str | None]) -> str | None:
    ranked = Counter(code for code in codes if code).most_common(2)
    if not ranked or (len(ranked) == 2 and ranked[0][1] == ranked[1][1]):
        return None
    return ranked[0][0]
