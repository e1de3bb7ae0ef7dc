"""Identifiers normalised without inventing anything: phones in E.164 only where the number
and its country are known, otherwise the digits exactly as given."""

from __future__ import annotations

import pytest

from amparo.people.identifiers import normalize_identifier


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
        ("+1 (5)", None, "+15"),
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
