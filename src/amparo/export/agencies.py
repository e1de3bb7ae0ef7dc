"""The agency directory: which agency, by which channel, receives a country's referrals.

Bundled as ``data/agencies.csv`` (country, agency, channel, note; a default row ``*`` for the
rest), overridden row by row by ``<workspace>/agencies.csv``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import pycountry

from amparo.errors import ExportError
from amparo.geo.places import country_name

DIRECTORY_PATH = Path(__file__).with_name("data") / "agencies.csv"


WORKSPACE_DIRECTORY = "agencies.csv"


DEFAULT_ROW = "*"


@dataclass(frozen=True)
class Agency:
    agency: str
    channel: str
    note: str = ""


class AgencyDirectory:
    """Country → receiving agency and channel, with a default row (``*``) for the rest."""

    def __init__(self, rows: dict[str, Agency]) -> None:
        if DEFAULT_ROW not in rows:
            raise ExportError("the agency directory needs a default row (country '*')")
        self._rows = rows

    def for_country(self, country: str) -> Agency:
        if country in self._rows:
            return self._rows[country]
        default = self._rows[DEFAULT_ROW]
        return Agency(
            default.agency.replace("{country}", country_name(country)),
            default.channel,
            default.note,
        )


def load_directory(workspace_root: Path | None = None) -> AgencyDirectory:
    """The bundled directory, with the rows of ``<workspace>/agencies.csv`` replacing its own
    for the countries that file names (same columns: country, agency, channel, note)."""
    rows = _read_directory(DIRECTORY_PATH)
    override = None if workspace_root is None else workspace_root / WORKSPACE_DIRECTORY
    if override is not None and override.is_file():
        rows.update(_read_directory(override))
    return AgencyDirectory(rows)


def _read_directory(path: Path) -> dict[str, Agency]:
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            return dict(
                _directory_row(row, path, line)
                for line, row in enumerate(csv.DictReader(handle), 2)
            )
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise ExportError(f"cannot read the agency directory {path}: {error}") from error


def _directory_row(row: dict[str, str], path: Path, line: int) -> tuple[str, Agency]:
    country = (row.get("country") or "").strip().upper()
    agency, channel = (row.get("agency") or "").strip(), (row.get("channel") or "").strip()
    if country != DEFAULT_ROW and pycountry.countries.get(alpha_2=country) is None:
        raise ExportError(f"{path}, line {line}: {country!r} is not a two-letter country code")
    if not agency or not channel:
        raise ExportError(f"{path}, line {line}: every row needs an agency and a channel")
    return country, Agency(agency, channel, (row.get("note") or "").strip())
