"""Normalised forms of identifiers; the raw form is always kept beside them."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

import phonenumbers
import pycountry
from phonenumbers import CountryCodeSource

from amparo.model import PHONE_NUMBER_PLATFORMS, AccountRef, Identifier, Party

_NOT_DIGIT = re.compile(r"\D+")
_E164 = re.compile(r"\+[1-9]\d{5,14}")
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
    return read_phone(value, PhoneContext(calling_code=calling_code)).normalized


# Where the region of a number written without an international prefix came from, in the
# order they are tried; INTERNATIONAL when the number carried its own country code.
CALLING_CODE = "country_calling_code"
ADDRESS = "address"
ESTIMATED_LOCATION = "estimated_location"
IP_EVENTS = "ip_events"
HOME_COUNTRY = "home_country"
INTERNATIONAL = "international"
REGION_BASES = (CALLING_CODE, ADDRESS, ESTIMATED_LOCATION, IP_EVENTS, HOME_COUNTRY)
# How WhatsApp writes a user's id (a JID): the international number without "+", then this.
_JID_SUFFIXES = ("@s.whatsapp.net", "@c.us")
# International call prefixes read wherever the region's own rules do not read the number:
# 00 (most of the world) and 011 (North America).
_INTERNATIONAL_PREFIXES = ("00", "011")


@dataclass(frozen=True)
class PhoneContext:
    """What the input says around a number, each a place its region may come from.

    ``calling_code`` is the element's own (``+34``); the others are ISO 3166-1 alpha-2
    countries: the person's address, the account's estimated location, the country of the
    account's IP events, the workspace's home country.
    """

    calling_code: str | None = None
    address_country: str | None = None
    estimated_country: str | None = None
    ip_country: str | None = None
    home_country: str | None = None

    def region(self) -> tuple[str, str] | None:
        """The first known region, as (basis, ISO region), in the order of REGION_BASES."""
        candidates = (
            (CALLING_CODE, _region(self.calling_code)),
            (ADDRESS, _country(self.address_country)),
            (ESTIMATED_LOCATION, _country(self.estimated_country)),
            (IP_EVENTS, _country(self.ip_country)),
            (HOME_COUNTRY, _country(self.home_country)),
        )
        return next(((basis, region) for basis, region in candidates if region), None)


@dataclass(frozen=True)
class PhoneReading:
    """A number as read: E.164 with where its country came from, or, unread, its digits.

    An unread number (``basis`` None) keeps only its digits, with no ``+``: it is shown and
    searchable, but it never links accounts, since its country is unknown.
    """

    normalized: str
    basis: str | None  # INTERNATIONAL, one of REGION_BASES, or None: unread
    region: str | None = None  # the region a national number was read in

    @property
    def read(self) -> bool:
        return self.basis is not None

    def attributes(self) -> dict[str, str | None]:
        """The reading's JSON detail, as identifiers keep it beside their raw form."""
        return {"region_basis": self.basis, "region": self.region}


def is_e164(normalized: str) -> bool:
    """Whether a normalised phone was read (E.164) rather than kept as unread digits; a
    messenger id kept as written (``+1 (5)``) is not."""
    return _E164.fullmatch(normalized) is not None


def read_phone(raw: str, context: PhoneContext | None = None) -> PhoneReading:
    """A phone number in E.164 where it can be read, else its digits.

    A number written with ``+`` is international. Any other is read in the first region the
    context gives (the region's own trunk and international prefixes are understood there),
    then, if that does not read it, with a leading ``00`` or ``011`` as an international
    prefix. A number ``phonenumbers`` finds neither valid nor possible is not read.
    """
    value = raw.strip()
    digits = _NOT_DIGIT.sub("", value)
    if not digits:
        return PhoneReading("", None)
    if value.startswith("+"):
        return _international("+" + digits, digits)
    found = (context or PhoneContext()).region()
    regional = None if found is None else _regional(value, *found)
    prefixed = digits.startswith(_INTERNATIONAL_PREFIXES)
    # A valid national number wins (Sheffield's 0114 is not 011 + 4); a merely possible one
    # gives way to a number written after 00 or 011.
    if regional is not None and (not prefixed or regional[1]):
        return regional[0]
    international = _after_international_prefix(digits)
    if international.read or regional is None:
        return international
    return regional[0]


def _regional(value: str, basis: str, region: str) -> tuple[PhoneReading, bool] | None:
    """The number read in ``region``, and whether it is valid there (not only possible)."""
    number = _parsed(value, region)
    if number is None:
        return None
    if _carries_country(number):
        reading = PhoneReading(_e164(number), INTERNATIONAL)
    else:
        reading = PhoneReading(_e164(number), basis, region)
    return reading, phonenumbers.is_valid_number(number)


def read_messenger_id(raw: str, context: PhoneContext | None = None) -> PhoneReading:
    """A messenger's phone-number user id (WhatsApp) as E.164, however it was written.

    ``34600112233@s.whatsapp.net`` and ``…@c.us`` (the app's own ids), ``+34 600 11 22 33``,
    ``0034600112233`` and ``34600112233`` are the same user: a messenger id is international
    even without ``+``. Digits that make no valid international number are read as a national
    number in the context's region (``600 11 22 33``); only when that fails too are they taken
    as a merely possible international number, and with no region in the context they stay
    unread, to be read again once the workspace's context is added.
    """
    value = raw.strip()
    digits = _NOT_DIGIT.sub("", value)
    if value.casefold().endswith(_JID_SUFFIXES) or value.startswith("+"):
        return _international("+" + _NOT_DIGIT.sub("", value.partition("@")[0]), digits)
    if digits.startswith(_INTERNATIONAL_PREFIXES):
        return read_phone(value, context)
    international = _parsed("+" + digits, None)
    if international is not None and phonenumbers.is_valid_number(international):
        return PhoneReading(_e164(international), INTERNATIONAL)
    national = read_phone(value, context)
    # Only a possible (not valid) international number: taken once the context had its say.
    if national.read or international is None or (context or PhoneContext()).region() is None:
        return national
    return PhoneReading(_e164(international), INTERNATIONAL)


def _international(text: str, digits: str) -> PhoneReading:
    number = _parsed(text, None)
    if number is None:
        return PhoneReading(digits, None)
    return PhoneReading(_e164(number), INTERNATIONAL)


def _after_international_prefix(digits: str) -> PhoneReading:
    for prefix in _INTERNATIONAL_PREFIXES:
        if digits.startswith(prefix) and len(digits) > len(prefix):
            return _international("+" + digits.removeprefix(prefix), digits)
    return PhoneReading(digits, None)


def _parsed(text: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    """The number if ``phonenumbers`` reads it and finds it valid or possible, else None."""
    try:
        number = phonenumbers.parse(text, region, keep_raw_input=True)
    except phonenumbers.NumberParseException:
        return None
    if phonenumbers.is_valid_number(number) or phonenumbers.is_possible_number(number):
        return number
    return None


def _e164(number: phonenumbers.PhoneNumber) -> str:
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _carries_country(number: phonenumbers.PhoneNumber) -> bool:
    """Whether the number itself gave its country (``+``, an international call prefix)."""
    return number.country_code_source in (
        CountryCodeSource.FROM_NUMBER_WITH_PLUS_SIGN,
        CountryCodeSource.FROM_NUMBER_WITH_IDD,
    )


def _region(calling_code: str | None) -> str | None:
    """The main region of a country calling code such as ``+34``; None when unknown."""
    code = _NOT_DIGIT.sub("", calling_code or "")
    if not code or len(code) > 3:
        return None
    region = phonenumbers.region_code_for_country_code(int(code))
    return None if region == phonenumbers.UNKNOWN_REGION else region


def _country(value: str | None) -> str | None:
    """The region phonenumbers knows for a country code or name (``ES``, ``Spain``); else None."""
    text = (value or "").strip()
    if len(text) > 2:
        try:
            text = pycountry.countries.lookup(text).alpha_2
        except LookupError:
            return None
    return text.upper() if text.upper() in phonenumbers.SUPPORTED_REGIONS else None


# The attribute that marks the phone identifier a messenger account's own id was read into.
ESP_IDENTIFIER = "espIdentifier"
_READING_KEYS = ("region_basis", "region")


def phone_identifier(raw: str, attributes: dict[str, Any], context: PhoneContext) -> Identifier:
    """A ``phone`` element's number read in context, its own ``countryCallingCode`` first."""
    given = {k: v for k, v in attributes.items() if k not in _READING_KEYS}
    if given.get("source") == ESP_IDENTIFIER:
        reading = read_messenger_id(raw, context)
    else:
        calling_code = given.get("countryCallingCode")
        reading = read_phone(raw, replace(context, calling_code=calling_code))
    return Identifier("phone", raw, reading.normalized, given | reading.attributes())


def messenger_identifier(raw: str) -> Identifier:
    """The phone identifier of a messenger account's id, to be read by ``read_party_phones``."""
    return Identifier("phone", raw, _NOT_DIGIT.sub("", raw), {"source": ESP_IDENTIFIER})


def party_context(
    party: Party, *, ip_country: str | None = None, home_country: str | None = None
) -> PhoneContext:
    """The regions a party's numbers may take, from what the report says of the party."""
    estimated = party.estimated_location
    return PhoneContext(
        address_country=address_country(party.addresses),
        estimated_country=estimated.country if estimated else None,
        ip_country=ip_country,
        home_country=home_country,
    )


def address_country(addresses: Iterable[dict[str, Any]]) -> str | None:
    """The country of the person's home address, else of the first address that gives one."""
    found = [a for a in addresses if isinstance(a, dict) and _country(_text(a.get("country")))]
    home = [a for a in found if str(a.get("@type", "")).casefold() == "home"]
    return _country(_text((home or found or [{}])[0].get("country")))


def unread_phones(party: Party) -> bool:
    """Whether some phone of the party (its messenger id included) is still unread."""
    return any(i.kind == "phone" and not is_e164(i.normalized) for i in party.identifiers)


def read_party_phones(
    party: Party, *, ip_country: str | None = None, home_country: str | None = None
) -> Party:
    """The party with its phones, and its account on a phone-number messenger, read in context.

    A messenger account whose id cannot be read keeps the id as written (it never links).
    """
    context = party_context(party, ip_country=ip_country, home_country=home_country)
    identifiers = tuple(
        phone_identifier(i.raw, i.attributes, context) if i.kind == "phone" else i
        for i in party.identifiers
    )
    account = party.account
    own = [i.normalized for i in identifiers if i.attributes.get("source") == ESP_IDENTIFIER]
    own_e164 = own[0] if own and is_e164(own[0]) else None
    if account is not None and account.platform in PHONE_NUMBER_PLATFORMS and own_e164:
        account = AccountRef(account.platform, own_e164)
    return replace(party, identifiers=identifiers, account=account)


def _text(value: Any) -> str | None:
    """An element's text as ``element_data`` gives it (a string, or ``#text`` with attributes)."""
    if isinstance(value, dict):
        value = value.get("#text")
    return value if isinstance(value, str) else None
