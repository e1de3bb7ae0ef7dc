"""Normalised forms of identifiers; the raw form is always kept beside them."""

from __future__ import annotations

import re

_NOT_DIGIT = re.compile(r"\D+")


def normalize_identifier(kind: str, raw: str, calling_code: str | None = None) -> str:
    """The comparable form of an identifier: case-folded names, digits-only phones."""
    value = raw.strip()
    if kind == "phone":
        return _normalize_phone(value, calling_code)
    if kind in {"email", "screen_name", "profile_url"}:
        return value.casefold()
    if kind == "device_id":
        return value.replace(" ", "").casefold()
    return " ".join(value.split())


def _normalize_phone(value: str, calling_code: str | None) -> str:
    digits = _NOT_DIGIT.sub("", value)
    if value.startswith("+"):
        return f"+{digits}"
    if calling_code:
        return f"+{_NOT_DIGIT.sub('', calling_code)}{digits}"
    return digits
