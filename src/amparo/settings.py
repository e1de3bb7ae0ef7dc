"""Workspace settings kept in the database, with their defaults."""

from __future__ import annotations

from typing import Any

import pycountry
from sqlalchemy.orm import Session

from amparo.errors import UnknownReference
from amparo.store import tables

DEFAULTS: dict[str, Any] = {
    "home_country": "ES",  # persons located elsewhere are referred abroad
}


def get_setting(session: Session, key: str) -> Any:
    if key not in DEFAULTS:
        raise UnknownReference(f"no setting {key!r}; settings are: {', '.join(DEFAULTS)}")
    row = session.get(tables.Setting, key)
    return DEFAULTS[key] if row is None else row.value["value"]


def set_setting(session: Session, key: str, value: str) -> Any:
    """Check and store ``value``; return it as stored."""
    get_setting(session, key)
    checked = _check(key, value)
    session.merge(tables.Setting(key=key, value={"value": checked}))
    return checked


def all_settings(session: Session) -> dict[str, Any]:
    return {key: get_setting(session, key) for key in DEFAULTS}


def _check(key: str, value: str) -> Any:
    if key == "home_country":
        country = pycountry.countries.get(alpha_2=value.strip().upper())
        if country is None:
            raise UnknownReference(f"{value!r} is not an ISO 3166-1 two-letter country code")
        return country.alpha_2
    return value
