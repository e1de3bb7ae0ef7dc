"""A person's country hint, from what platforms estimated and what phone numbers say.

Only a hint for the network (which links cross borders): the platforms' estimates of the
person's accounts first, else the region of their phone numbers. Disagreeing evidence with no
majority gives no hint; nothing is guessed. The locate stage replaces it with a located country.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from amparo.geo.places import country_code, phone_region

__all__ = ["country_code", "country_hint", "phone_region"]


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
