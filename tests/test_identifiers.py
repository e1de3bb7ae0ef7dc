"""Identifiers normalised without inventing anything: phones in E.164 only where the number
and its country are known, otherwise the digits exactly as given."""

from __future__ import annotations

import pytest

from amparo.people.identifiers import imei_check_digit_valid, normalize_identifier


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
