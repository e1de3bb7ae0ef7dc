"""Normalised forms of identifiers; the raw form is always kept beside them."""

from __future__ import annotations

import re

import phonenumbers

_NOT_DIGIT = re.compile(r"\D+")


def normalize_identifier(kind: str, raw: str, calling_code: str | None = None) -> str:
    """The comparable form of an identifier: case-folded names, E.164 phones where known."""
    value = raw.strip()
    if kind == "phone":
        return _normalize_phone(value, calling_code)
    if kind in {"email", "screen_name", "profile_url"}:
        return value.casefold()
    if kind == "device_id":
        return value.replace(" ", "").casefold()
    return " ".join(value.split())


def _normalize_phone(value: str, calling_code: str | None) -> str:
    """E.164 when ``phonenumbers`` finds a valid or possible number, else the digits as given.

    A leading ``+`` is read as international; otherwise the number is read in the region of
    ``calling_code`` (so a national trunk prefix such as the UK ``0`` is dropped and an
    international prefix such as ``00`` is understood). With neither, or when the number does
    not parse, nothing is added: the digits come back as given, with ``+`` only if it was there.
    """
    digits = _NOT_DIGIT.sub("", value)
    fallback = f"+{digits}" if value.startswith("+") else digits
    region = _region(calling_code)
    if not value.startswith("+") and region is None:
        return fallback
    try:
        number = phonenumbers.parse(value, None if value.startswith("+") else region)
    except phonenumbers.NumberParseException:
        return fallback
    if phonenumbers.is_valid_number(number) or phonenumbers.is_possible_number(number):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return fallback


def _region(calling_code: str | None) -> str | None:
    """The main region of a country calling code such as ``+34``; None when unknown."""
    code = _NOT_DIGIT.sub("", calling_code or "")
    if not code or len(code) > 3:
        return None
    region = phonenumbers.region_code_for_country_code(int(code))
    return None if region == phonenumbers.UNKNOWN_REGION else region
