"""Workspace settings kept in the database, with their defaults."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import maxminddb
import pycountry
from sqlalchemy.orm import Session

from amparo.errors import UnknownReference
from amparo.store import tables

DEFAULTS: dict[str, Any] = {
    "home_country": "ES",  # persons located elsewhere are referred abroad
    "mmdb_city": None,  # a MaxMind City or Country .mmdb: country, subdivision, city of an IP
    "mmdb_asn": None,  # a MaxMind ASN (or ISP) .mmdb: AS number and organisation of an IP
    # "off" keeps new evidence files in clear (files already sealed stay sealed): for users
    # who accept clear storage on an encrypted disk, and for the benchmark's comparison.
    "evidence_encryption": "on",
}
ON_OFF = {"on": "on", "true": "on", "yes": "on", "off": "off", "false": "off", "no": "off"}
# What each .mmdb setting accepts, by the words its metadata's database_type holds.
MMDB_KINDS = {
    "mmdb_city": ("City", "Country", "Enterprise"),
    "mmdb_asn": ("ASN", "ISP"),
}
UNSET = ("", "none")


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
    if key in MMDB_KINDS:
        return _check_mmdb(key, value)
    if key == "evidence_encryption":
        if value.strip().lower() not in ON_OFF:
            raise UnknownReference("evidence_encryption is on or off")
        return ON_OFF[value.strip().lower()]
    return value


def _check_mmdb(key: str, value: str) -> str | None:
    """The absolute path of a readable .mmdb of the kind ``key`` wants; "" or "none" unsets."""
    if value.strip().lower() in UNSET:
        return None
    path = Path(value.strip()).expanduser().absolute()
    if not path.is_file():
        raise UnknownReference(f"{key}: no file {path}")
    try:
        with maxminddb.open_database(str(path)) as reader:
            database_type = reader.metadata().database_type
    except (OSError, maxminddb.InvalidDatabaseError) as error:
        raise UnknownReference(
            f"{key}: {path} is not a MaxMind database (.mmdb): {error}"
        ) from error
    wanted = MMDB_KINDS[key]
    if not any(word.lower() in database_type.lower() for word in wanted):
        raise UnknownReference(
            f"{key}: {path} is a {database_type} database; {key} takes a "
            f"{' or '.join(wanted)} database"
        )
    return str(path)
