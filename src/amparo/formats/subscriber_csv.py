"""Internet providers' subscriber returns as CSV: who held an address, port and time window.

Read leniently, because every provider writes its answers differently:

- header names are matched ignoring case, accents, spaces, underscores and punctuation, in
  English and Spanish (``ip``/``direccion_ip``, ``port``/``puerto``, ``start_utc``/``inicio``,
  ``end_utc``/``fin``, ``subscriber_name``/``titular``, ``postal_code``/``cp``,
  ``municipality``/``municipio``, ``subdivision``/``provincia``...; see ``ALIASES``); a
  ``surname``/``apellidos`` column is appended to the name; other columns are kept in
  ``details`` under their header as written;
- the delimiter is the one of ``,``, ``;``, tab or ``|`` the header uses most;
- UTF-8 (with or without BOM), UTF-16 with a BOM, else Windows-1252, else Latin-1;
- times are ISO 8601 (``2024-03-01T10:00:00Z``, ``+02:00``, a space instead of ``T``, a
  trailing ``UTC``). A time without a zone is refused, never taken for UTC, unless its column
  says UTC (``start_utc``, ``Inicio (UTC)``): then the provider stated it;
- a missing end is an open window: the provider says the assignment began at the start and had
  not ended when it answered (a fixed address, a session still up), and refusing the row would
  lose a usable answer. The row's ``details`` say ``open_window`` and matches against it carry
  a note; a missing start is refused, since nothing would bound the window then;
- the port is optional (without one, every subscriber behind a shared address may answer);
- the subdivision is recognised as an ISO 3166-2 code or by name (pycountry; Spanish provinces
  also by their co-official and older names), else, in Spain, from the postal code's first two
  digits (the INE province code). The country comes from its column, else the subdivision, else
  the ``country_hint`` the caller gives (the provider's country).

The whole file is refused (InvalidInput) only when it cannot be read as a table or its header
names no IP address or no start time; otherwise each row that cannot be used comes back with
its row number (the header is row 1, as in a spreadsheet) and the reason.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from amparo import values
from amparo.errors import InvalidInput
from amparo.formats.spreadsheet_safe import SafeDictWriter
from amparo.geo.addresses import normalise_ip
from amparo.geo.places import resolve_place
from amparo.model import ascii_key

CANONICAL_COLUMNS = (
    "ip", "port", "start_utc", "end_utc", "isp", "subscriber_name", "address", "postal_code",
    "municipality", "subdivision", "country", "date_of_birth",
)  # fmt: skip
ALIASES: dict[str, tuple[str, ...]] = {
    "ip": ("ip", "ip_address", "direccion_ip", "address_ip", "ip_addr", "ipaddress", "dir_ip",
           "ip_origen", "source_ip", "src_ip", "ip_publica", "public_ip"),
    "port": ("port", "puerto", "source_port", "src_port", "puerto_origen", "port_number"),
    "start": ("start", "inicio", "from", "desde", "start_time", "fecha_inicio", "hora_inicio",
              "begin", "valid_from", "session_start", "inicio_sesion", "start_at"),
    "end": ("end", "fin", "to", "hasta", "end_time", "fecha_fin", "hora_fin", "valid_to",
            "session_end", "fin_sesion", "end_at"),
    "isp": ("isp", "provider", "operador", "operator", "proveedor", "carrier", "compania"),
    "subscriber_name": ("subscriber_name", "name", "titular", "nombre", "subscriber", "abonado",
                        "nombre_titular", "full_name", "nombre_completo", "customer"),
    "surname": ("surname", "apellidos", "apellido", "last_name", "family_name"),
    "address": ("address", "direccion", "domicilio", "street", "calle", "address_line",
                "direccion_postal", "street_address"),
    "postal_code": ("postal_code", "zip", "cp", "codigo_postal", "zip_code", "postcode",
                    "post_code", "c_p"),
    "municipality": ("municipality", "city", "municipio", "localidad", "town", "poblacion",
                     "ciudad"),
    "subdivision": ("subdivision", "province", "provincia", "region", "state", "estado",
                    "subdivision_code"),
    "country": ("country", "pais", "country_code", "codigo_pais"),
    "date_of_birth": ("date_of_birth", "dob", "fecha_nacimiento", "birth_date", "birthdate",
                      "fecha_de_nacimiento", "f_nacimiento", "nacimiento"),
}  # fmt: skip
_CANONICAL_OF = {alias: name for name, aliases in ALIASES.items() for alias in aliases}
_UTC_WORDS = {"utc", "gmt", "z"}
DELIMITERS = (",", ";", "\t", "|")


@dataclass(frozen=True)
class SubscriberRow:
    """A usable row: an address (normalised), port and window, and who held it."""

    row: int
    ip: str
    port: int | None
    start_at: datetime
    end_at: datetime | None
    isp: str | None = None
    subscriber_name: str | None = None
    address: str | None = None
    postal_code: str | None = None
    municipality: str | None = None
    subdivision: str | None = None
    subdivision_raw: str | None = None
    country: str | None = None
    date_of_birth: date | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RowProblem:
    """A row that could not be used (or was used with a note): its number and why."""

    row: int
    reason: str


@dataclass(frozen=True)
class SubscriberFile:
    rows: tuple[SubscriberRow, ...]
    refused: tuple[RowProblem, ...]
    notes: tuple[RowProblem, ...]
    columns: dict[str, str]  # canonical name → header as written
    delimiter: str
    encoding: str


@dataclass(frozen=True)
class _Header:
    columns: dict[str, int]  # canonical name → position
    utc_stated: dict[str, bool]  # start/end → the header says the times are UTC
    names: list[str]  # headers as written


CountryHint = Callable[[str | None], str | None]


def read_subscriber_csv(
    data: bytes, *, path: str, country_hint: CountryHint | None = None,
    home_country: str | None = None,
) -> SubscriberFile:  # fmt: skip
    """Every row of a subscriber return, used or refused with its reason (see module doc).

    ``country_hint(isp)`` gives a provider's country for rows that name no country or
    subdivision; ``home_country`` breaks ties between subdivisions of the same name in
    several countries (Córdoba is in Spain and in Argentina).
    """
    text, encoding = decode(data, path=path)
    delimiter = sniff_delimiter(text)
    records = _records(text, delimiter, path=path)
    header = _header(next(records, None), path=path)
    reader = _RowReader(header, country_hint, home_country)
    rows, refused, notes = [], [], []
    for number, cells in records:
        outcome = reader.read(number, cells)
        if isinstance(outcome, RowProblem):
            refused.append(outcome)
        else:
            rows.append(outcome)
            notes += [RowProblem(number, note) for note in outcome.details.get("notes", [])]
    columns = {name: header.names[at] for name, at in header.columns.items()}
    return SubscriberFile(tuple(rows), tuple(refused), tuple(notes), columns, delimiter, encoding)


def decode(data: bytes, *, path: str) -> tuple[str, str]:
    """The text and the encoding it was read with."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as error:
            raise InvalidInput("UTF-16 text that does not decode", path=path) from error
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), "latin-1"


def sniff_delimiter(text: str) -> str:
    """The delimiter the first non-blank line uses most (a comma when it uses none)."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    unquoted = re.sub(r'"[^"]*"', "", first)
    counts = {delimiter: unquoted.count(delimiter) for delimiter in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _records(text: str, delimiter: str, *, path: str) -> Iterator[tuple[int, list[str]]]:
    """Non-blank records with their row number (the header is row 1)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for number, cells in enumerate(reader, start=1):
            if any(cell.strip() for cell in cells):
                yield number, cells
    except csv.Error as error:
        raise InvalidInput(
            f"not valid CSV: {error}", path=path, place=f"line {reader.line_num}"
        ) from error


def _column_name(header: str) -> tuple[str | None, bool]:
    """The canonical column a header names, and whether it says its times are UTC."""
    words = ascii_key(header).split("_")
    utc = any(word in _UTC_WORDS for word in words)
    name = "_".join(word for word in words if word not in _UTC_WORDS)
    canonical = _CANONICAL_OF.get(name) or _CANONICAL_OF.get(ascii_key(header))
    return canonical, utc and canonical in ("start", "end")


def _header(first: tuple[int, list[str]] | None, *, path: str) -> _Header:
    if first is None:
        raise InvalidInput("empty file: no header row", path=path, place="row 1")
    _, names = first
    columns: dict[str, int] = {}
    utc: dict[str, bool] = {}
    for position, name in enumerate(names):
        canonical, says_utc = _column_name(name)
        if canonical is None:
            continue
        if canonical in columns:
            raise InvalidInput(
                f"columns {names[columns[canonical]]!r} and {name!r} both give {canonical}",
                path=path, place="row 1",
            )  # fmt: skip
        columns[canonical], utc[canonical] = position, says_utc
    _require(columns, names, path=path)
    return _Header(columns, utc, [name.strip() for name in names])


def _require(columns: dict[str, int], names: list[str], *, path: str) -> None:
    for needed, what in (("ip", "the IP address"), ("start", "the start time")):
        if needed not in columns:
            raise InvalidInput(
                f"no column gives {what} (the header is: {', '.join(names)})",
                path=path, place="row 1",
            )  # fmt: skip


class _RowReader:
    """Turns one record into a SubscriberRow, or a RowProblem saying why it cannot be used."""

    def __init__(
        self, header: _Header, country_hint: CountryHint | None, home_country: str | None
    ) -> None:
        self.header = header
        self.country_hint = country_hint
        self.home_country = home_country
        self.known = set(header.columns.values())

    def read(self, number: int, cells: list[str]) -> SubscriberRow | RowProblem:
        width = len(self.header.names)
        if len(cells) > width:
            return RowProblem(number, f"{len(cells)} fields where the header has {width}")
        cells = cells + [""] * (width - len(cells))
        try:
            return self._row(number, cells)
        except ValueError as problem:
            return RowProblem(number, str(problem))

    def _cell(self, cells: list[str], name: str) -> str | None:
        position = self.header.columns.get(name)
        value = None if position is None else cells[position].strip()
        return value or None

    def _row(self, number: int, cells: list[str]) -> SubscriberRow:
        get = lambda name: self._cell(cells, name)  # noqa: E731
        ip = normalise_ip(_required(get("ip"), "no IP address"))
        start = _required(get("start"), "no start time")
        start_at = parse_time(start, utc_stated=self.header.utc_stated["start"], what="start")
        end = get("end")
        end_at = (
            parse_time(end, utc_stated=self.header.utc_stated["end"], what="end") if end else None
        )
        if end_at is not None and end_at < start_at:
            raise ValueError(f"the window ends ({end}) before it starts ({start})")
        dob, dob_note = parse_birth_date(get("date_of_birth"))
        notes = [dob_note] if dob_note else []
        place = resolve_place(get("country"), get("subdivision"), get("postal_code"),
                              self._hint(get("isp")), self.home_country)  # fmt: skip
        details = self._others(cells) | place.details
        if end_at is None:
            details["open_window"] = True
        if notes or place.notes:
            details["notes"] = notes + place.notes
        return SubscriberRow(
            row=number, ip=ip, port=parse_port(get("port")), start_at=start_at, end_at=end_at,
            isp=get("isp"), subscriber_name=_name(get("subscriber_name"), get("surname")),
            address=get("address"), postal_code=get("postal_code"),
            municipality=get("municipality"), subdivision=place.subdivision,
            subdivision_raw=get("subdivision"), country=place.country, date_of_birth=dob,
            details=details,
        )  # fmt: skip

    def _hint(self, isp: str | None) -> str | None:
        return self.country_hint(isp) if self.country_hint else None

    def _others(self, cells: list[str]) -> dict[str, Any]:
        return {
            name: cells[at].strip()
            for at, name in enumerate(self.header.names)
            if at not in self.known and cells[at].strip()
        }


def _required(value: str | None, reason: str) -> str:
    if value is None:
        raise ValueError(reason)
    return value


def _name(name: str | None, surname: str | None) -> str | None:
    return " ".join(part for part in (name, surname) if part) or None


def parse_port(text: str | None) -> int | None:
    if text is None:
        return None
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise ValueError(f"port {text!r} is not a number from 0 to 65535")
    return int(text)


def parse_time(text: str, *, utc_stated: bool, what: str) -> datetime:
    """An aware UTC time from ISO 8601; zone-less only where the column states UTC."""
    cleaned = re.sub(r"\s*(UTC|GMT)$", "Z", text.strip(), flags=re.IGNORECASE)
    try:
        moment = datetime.fromisoformat(cleaned)
    except ValueError:
        raise ValueError(
            f"{what} time {text!r} is not ISO 8601 (e.g. 2024-03-01T10:00:00Z)"
        ) from None
    if moment.tzinfo is None:
        if not utc_stated:
            raise ValueError(
                f"{what} time {text!r} has no time zone and its column does not say UTC; "
                "Amparo never assumes one"
            )
        moment = moment.replace(tzinfo=UTC)
    return values.utc_instant(moment, path="", place=what)  # the row is named by the caller


def parse_birth_date(text: str | None) -> tuple[date | None, str | None]:
    """A date of birth (ISO, or day/month/year where the order is unambiguous), or a note."""
    if text is None:
        return None, None
    try:
        return values.birth_date(text, path="", place="date_of_birth"), None
    except ValueError:
        pass
    parts = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", text)
    if parts:
        first, second, year = (int(p) for p in parts.groups())
        day, month = (second, first) if second > 12 >= first else (first, second)
        if first <= 12 and second <= 12 and first != second:
            return None, f"date of birth {text!r} could be day/month or month/day: not used"
        try:
            return date(year, month, day), None
        except ValueError:
            pass
    return None, f"date of birth {text!r} is not a date: not used"


def write_subscriber_csv(path: Path, rows: Iterable[Mapping[str, Any]]) -> None:
    """Write rows with the canonical columns (times as ISO 8601 UTC, ``Z``), UTF-8, commas."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = SafeDictWriter(stream, CANONICAL_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({name: _cell_text(row.get(name)) for name in CANONICAL_COLUMNS})


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: subscriber returns carry UTC times")
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
