"""Phone numbers and WhatsApp ids written the way platforms write them, not only in E.164.

``CleanPhones`` writes what the demo always wrote: a national number with its
``countryCallingCode``, a WhatsApp id in E.164. ``WrittenPhones`` writes each one, drawn from
its own seeded stream, in one of the shapes found in real reports: ``+34 555 01 12 34``,
``0034555011234``, ``011 34 555011234``, a national number beside the person's address country,
a national number alone; a WhatsApp id also as ``34555011234``, ``34555011234@s.whatsapp.net``
or ``…@c.us``. A national number alone is written only where the report itself holds what gives
its country (the platform's estimated location, an IP event at home in a provider's block the
offline lookup knows) or the person lives in the workspace's default home country, as a
platform's own users mostly do: elsewhere nothing could tell its country.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Protocol

from amparo.demo.people import Persona

HOME_COUNTRY = "ES"  # the workspace's default home_country
PHONE_SHAPES = ("calling_code", "plus_spaced", "idd_00", "idd_011", "with_address", "national")
ID_SHAPES = ("e164", "digits", "plus_spaced", "jid", "c_us", "idd_00", "national")


@dataclass(frozen=True)
class WrittenPhone:
    """A ``phone`` element: its text and attributes, and an address country to write, if any."""

    text: str
    attributes: dict[str, str]
    address_country: str | None = None


class PhoneWriter(Protocol):
    def phone(self, persona: Persona, context: bool) -> WrittenPhone: ...

    def messenger_id(self, persona: Persona, context: bool) -> str: ...


class CleanPhones:
    """Numbers as the demo wrote them before: calling code beside the number, ids in E.164."""

    def phone(self, persona: Persona, context: bool) -> WrittenPhone:
        return WrittenPhone(persona.phone, {"countryCallingCode": persona.locale.calling_code})

    def messenger_id(self, persona: Persona, context: bool) -> str:
        return persona.e164


class WrittenPhones:
    """Numbers in the shapes platforms write, each drawn from ``rng``.

    ``context`` says whether the report gives the number's country some other way (see the
    module docstring); without it no national shape is drawn.
    """

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def phone(self, persona: Persona, context: bool) -> WrittenPhone:
        shape = self._draw(PHONE_SHAPES, persona, context)
        code, national = persona.locale.calling_code, persona.phone
        if shape == "calling_code":
            return WrittenPhone(national, {"countryCallingCode": code})
        if shape == "with_address":
            return WrittenPhone(_grouped(national), {}, persona.locale.country_code)
        return WrittenPhone(_international(shape, code, national), {})

    def messenger_id(self, persona: Persona, context: bool) -> str:
        shape = self._draw(ID_SHAPES, persona, context)
        code, national = persona.locale.calling_code, persona.phone
        digits = code.removeprefix("+") + national
        written = {"e164": persona.e164, "digits": digits, "jid": f"{digits}@s.whatsapp.net",
                   "c_us": f"{digits}@c.us"}  # fmt: skip
        return written.get(shape) or _international(shape, code, national)

    def _draw(self, shapes: tuple[str, ...], persona: Persona, context: bool) -> str:
        shape = self._rng.choice(shapes)
        known = context or persona.locale.country_code == HOME_COUNTRY
        return shape if shape != "national" or known else "plus_spaced"


def _international(shape: str, code: str, national: str) -> str:
    digits = code.removeprefix("+")
    if shape == "plus_spaced":
        return f"{code} {_grouped(national)}"
    if shape == "idd_00":
        return f"00{digits}{national}"
    if shape == "idd_011":
        return f"011 {digits} {national}"
    return _grouped(national)  # national


def _grouped(national: str) -> str:
    """``555011234`` as ``555 01 12 34``."""
    head, rest = national[:3], national[3:]
    groups = [rest[start : start + 2] for start in range(0, len(rest), 2)]
    if len(groups) > 1 and len(groups[-1]) == 1:
        groups[-2:] = [groups[-2] + groups[-1]]
    return " ".join((head, *groups))
