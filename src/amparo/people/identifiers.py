"""Normalised forms of identifiers; the raw form is always kept beside them."""

from __future__ import annotations

import re

import phonenumbers

_NOT_DIGIT = re.compile(r"\D+")
# Providers that deliver "name+tag@" to "name@" (plus addressing), and those that also ignore
# dots in the local part. Elsewhere the local part is kept as written, only case-folded.
_PLUS_ADDRESSING = frozenset({
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com",
    "icloud.com", "me.com", "mac.com", "protonmail.com", "proton.me", "fastmail.com",
})  # fmt: skip
_DOTS_IGNORED = frozenset({"gmail.com", "googlemail.com"})
_SAME_MAILBOX_DOMAIN = {"googlemail.com": "gmail.com"}


def normalize_identifier(kind: str, raw: str, calling_code: str | None = None) -> str:
    """The comparable form of an identifier: case-folded names, E.164 phones where known."""
    value = raw.strip()
    if kind == "phone":
        return _normalize_phone(value, calling_code)
    if kind == "email":
        return _normalize_email(value)
    if kind in {"screen_name", "profile_url"}:
        return value.casefold()
    if kind == "device_id":
        return value.replace(" ", "").replace("-", "").casefold()
    return " ".join(value.split())


def _normalize_email(value: str) -> str:
    """Case-folded; tags and dots dropped only where the provider itself ignores them."""
    local, at, domain = value.casefold().rpartition("@")
    if not at or not local:
        return value.casefold()
    domain = _SAME_MAILBOX_DOMAIN.get(domain, domain)
    if domain in _PLUS_ADDRESSING:
        local = local.split("+", 1)[0]
    if domain in _DOTS_IGNORED:
        local = local.replace(".", "")
    return f"{local}@{domain}"


def imei_check_digit_valid(value: str) -> bool | None:
    """Whether a 15-digit IMEI's last digit is its Luhn check digit; None if not 15 digits."""
    digits = _NOT_DIGIT.sub("", value)
    if len(digits) != 15:
        return None
    total = 0
    for position, digit in enumerate(int(d) for d in reversed(digits)):
        doubled = digit * 2 if position % 2 else digit
        total += doubled - 9 if doubled > 9 else doubled
    return total % 10 == 0


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
