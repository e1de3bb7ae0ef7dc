"""Identifiers normalised without inventing anything: phones in E.164 only where the number
and its country are known, otherwise the digits exactly as given."""

from __future__ import annotations

import pytest

from amparo.identifiers import (
    ADDRESS,
    CALLING_CODE,
    ESTIMATED_LOCATION,
    HOME_COUNTRY,
    INTERNATIONAL,
    IP_EVENTS,
    PhoneContext,
    imei_check_digit_valid,
    is_e164,
    normalize_identifier,
    read_messenger_id,
    read_phone,
)


@pytest.mark.parametrize(
    ("raw", "calling_code", "expected"),
    [
        ("600 11 22 33", "+34", "+34600112233"),
        ("07700 900123", "+44", "+447700900123"),  # the national trunk 0 is not kept
        ("07700 900123", "44", "+447700900123"),
        ("+34 600 11 22 33", None, "+34600112233"),
        ("+34 600 11 22 33", "+44", "+34600112233"),  # an explicit + wins over the code
        ("0034600112233", "+34", "+34600112233"),  # 00 is Spain's international prefix
        ("12", "+34", "12"),  # not a number phonenumbers accepts: digits as given
        ("+1 (5)", None, "15"),  # unread: digits only, so it never links
        ("600 11 22 33", None, "600112233"),  # no country: nothing added
        ("600 11 22 33", "+999", "600112233"),  # unknown calling code: nothing added
        ("not a phone", "+34", ""),
    ],
)
def test_phone_numbers(raw: str, calling_code: str | None, expected: str) -> None:
    assert normalize_identifier("phone", raw, calling_code) == expected


def test_other_kinds_are_unchanged() -> None:
    assert normalize_identifier("email", " Ana@Example.ORG ") == "ana@example.org"
    assert normalize_identifier("device_id", "35 2099 00") == "35209900"
    assert normalize_identifier("name", "  Ana   Ejemplo ") == "Ana Ejemplo"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Ana.Ejemplo+fotos@Gmail.com", "anaejemplo@gmail.com"),  # Gmail ignores dots and tags
        ("ana.ejemplo@googlemail.com", "anaejemplo@gmail.com"),  # the same mailbox
        ("ana.ejemplo+x@outlook.com", "ana.ejemplo@outlook.com"),  # tags only, dots matter
        ("ana.ejemplo+x@example.org", "ana.ejemplo+x@example.org"),  # unknown: kept
        ("Not An Email", "not an email"),
    ],
)
def test_emails(raw: str, expected: str) -> None:
    assert normalize_identifier("email", raw) == expected


@pytest.mark.parametrize(
    ("raw", "valid"),
    [("35 209900 176148 1", True), ("352099001761482", False), ("35209900176148", None)],
)
def test_imei_check_digit(raw: str, valid: bool | None) -> None:
    assert imei_check_digit_valid(raw) is valid


# --- numbers in context ---------------------------------------------------------------------

WHATSAPP_SHAPES = (
    "+34654961180", "34654961180", "+34 654 96 11 80", "34 654 96 11 80",
    "34654961180@s.whatsapp.net", "34654961180@c.us", "0034654961180", "011 34 654 961 180",
    "654 96 11 80",  # national: its region from the context
)  # fmt: skip


@pytest.mark.parametrize("raw", WHATSAPP_SHAPES)
def test_every_shape_of_a_whatsapp_id_reads_as_one_number(raw: str) -> None:
    reading = read_messenger_id(raw, PhoneContext(home_country="ES"))
    assert reading.normalized == "+34654961180"
    national = raw == "654 96 11 80"
    assert reading.basis == (HOME_COUNTRY if national else INTERNATIONAL)
    assert reading.region == ("ES" if national else None)


@pytest.mark.parametrize(
    ("context", "basis", "expected"),
    [
        (PhoneContext("+54", "ES", "ES", "ES", "ES"), CALLING_CODE, "+543415550123"),
        (PhoneContext(None, "AR", "ES", "ES", "ES"), ADDRESS, "+543415550123"),
        (PhoneContext(None, "Argentina", "ES", "ES", "ES"), ADDRESS, "+543415550123"),
        (PhoneContext(None, None, "AR", "ES", "ES"), ESTIMATED_LOCATION, "+543415550123"),
        (PhoneContext(None, None, "A1", "AR", "ES"), IP_EVENTS, "+543415550123"),  # A1: no country
        (PhoneContext(None, None, None, None, "AR"), HOME_COUNTRY, "+543415550123"),
    ],
)
def test_a_national_number_takes_the_first_region_the_context_gives(
    context: PhoneContext, basis: str, expected: str
) -> None:
    reading = read_phone("0341 555-0123", context)
    assert (reading.normalized, reading.basis, reading.region) == (expected, basis, "AR")
    assert reading.attributes() == {"region_basis": basis, "region": "AR"}


@pytest.mark.parametrize(
    ("raw", "context", "expected"),
    [
        ("0034 730 205 711", PhoneContext(), "+34730205711"),  # 00 with no region at all
        ("0034 730 205 711", PhoneContext(home_country="US"), "+34730205711"),  # US dials 011
        ("011 34 730 205 711", PhoneContext(home_country="ES"), "+34730205711"),  # ES dials 00
        ("0114 496 0000", PhoneContext(home_country="GB"), "+441144960000"),  # Sheffield, not 011
        ("011 57 555 014 2175", PhoneContext(home_country="CO"), "+575550142175"),  # CO misreads
    ],
)
def test_international_prefixes_00_and_011(raw: str, context: PhoneContext, expected: str) -> None:
    reading = read_phone(raw, context)
    assert reading.normalized == expected
    assert reading.basis == (HOME_COUNTRY if raw.startswith("0114") else INTERNATIONAL)


@pytest.mark.parametrize(
    ("raw", "context"),
    [("671 92 47 77", PhoneContext()), ("671 92 47 77", PhoneContext(home_country="AR")),
     ("12", PhoneContext(home_country="ES")), ("+1 (5)", PhoneContext())],
)  # fmt: skip
def test_a_number_that_cannot_be_read_keeps_its_digits_and_no_plus(
    raw: str, context: PhoneContext
) -> None:
    reading = read_phone(raw, context)
    assert not reading.read and reading.basis is None
    assert reading.normalized == "".join(c for c in raw if c.isdigit())
    assert not is_e164(reading.normalized)
