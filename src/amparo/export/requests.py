"""What to ask which Internet provider: who held this address, at this port, at this time.

IP events whose lookup found a routable address are grouped by provider (the lookup's
organisation and ASN; a lookup without either is "unknown provider" of its country). Within a
provider, (address, port, time) triples are asked once, in time order, each with the time in
UTC and in the provider's local time and the reports and persons behind it. A triple is
flagged when the answer may be several subscribers: no port, a provider known to use
carrier-grade NAT, or an address the platform thought a proxy. Events without a UTC time
cannot be asked about; they are listed apart, never dropped silently.

The export writes ``legal-requests.json`` (everything, with reports and persons), and per
provider a printable HTML letter and a CSV of the triples. Letters and CSVs name no account,
person or report, nor what the platform thought of an address: the provider needs only the
triples and why an address may have been shared.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from amparo.errors import ExportError
from amparo.formats.spreadsheet_safe import SafeWriter
from amparo.geo.addresses import normalise_ip
from amparo.geo.providers import Provider, TimeZone, find_provider, time_zone_for
from amparo.model import ascii_key
from amparo.people.read_model import account_keys, person_keys_by_account
from amparo.store import tables
from amparo.workspace import Workspace

FORMAT = "amparo.legal-requests/1"
JSON_FILE = "legal-requests.json"
UNKNOWN_PROVIDER = "unknown provider"
NO_PORT = "no port: several subscribers may share this address at that time"
CGNAT = "provider known to use carrier-grade NAT"
PROXY = "the platform flagged a possible proxy: the address may not be the user's own line"
NO_TIME = "no UTC time: a provider cannot say who held an address without one"
CSV_COLUMNS = ("ip", "port", "at_utc", "at_local", "flags")


@dataclass(frozen=True)
class EventRow:
    """One IP event with its lookup, report, account and person (plain data for the core)."""

    id: int
    ip: str
    port: int | None
    at: datetime | None
    at_raw: str | None
    possible_proxy: bool | None
    organisation: str | None
    asn: int | None
    country: str | None
    report: str
    account: str | None
    person: str | None
    answered: bool


@dataclass(frozen=True)
class RequestLine:
    """One (address, port, time) triple to ask about, with everything behind it."""

    ip: str
    port: int | None
    at: datetime
    local_at: datetime
    flags: tuple[str, ...]
    reports: tuple[str, ...]
    persons: tuple[str, ...]
    accounts: tuple[str, ...]
    ip_events: tuple[int, ...]
    answered: bool

    @property
    def provider_flags(self) -> tuple[str, ...]:
        """The flags a provider is told (why an address may be shared), not the platform's."""
        return tuple(flag for flag in self.flags if flag in (NO_PORT, CGNAT))

    @property
    def at_utc_text(self) -> str:
        return self.at.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Unaskable:
    """An event of this provider that cannot be asked about, and why."""

    ip: str
    port: int | None
    at_raw: str | None
    reason: str
    reports: tuple[str, ...]
    persons: tuple[str, ...]


@dataclass(frozen=True)
class ProviderRequest:
    isp: str
    organisation: str | None
    asn: int | None
    country: str | None
    provider: Provider | None
    time_zone: TimeZone
    lines: tuple[RequestLine, ...]
    not_requested: tuple[Unaskable, ...]

    @property
    def uses_cgnat(self) -> bool | None:
        return self.provider.uses_cgnat if self.provider else None

    @property
    def to_ask(self) -> tuple[RequestLine, ...]:
        """The lines no subscriber return has answered yet (what a letter asks)."""
        return tuple(line for line in self.lines if not line.answered)


@dataclass(frozen=True)
class LegalRequestsExport:
    folder: Path
    providers: int
    lines: int
    flagged: int
    letters: tuple[Path, ...]
    without_lookup: int


# --- reading the store ---------------------------------------------------------------------


def load_event_rows(session: Session) -> list[EventRow]:
    """Every IP event whose lookup found a routable address, with what stands behind it."""
    event, lookup, report, party = tables.IPEvent, tables.IpLookup, tables.Report, tables.Party
    answered = set(session.scalars(select(tables.SubscriberMatch.ip_event_id)))
    persons = person_keys_by_account(session)
    accounts = account_keys(session)
    query = (
        select(event.id, event.ip, event.port, event.at, event.at_raw, event.possible_proxy,
               lookup.organisation, lookup.asn, lookup.country, report.number,
               func.coalesce(event.account_id, party.account_id))
        .join(lookup, lookup.ip_event_id == event.id)
        .join(report, report.id == event.report_id)
        .outerjoin(party, party.id == event.party_id)
        .where(lookup.reserved.is_(None))
        .order_by(event.id)
    )  # fmt: skip
    return [
        EventRow(*row[:10], accounts.get(row[10]), persons.get(row[10]), row[0] in answered)
        for row in session.execute(query)
    ]


def events_without_lookup(session: Session) -> int:
    """IP events no lookup has been stored for yet (run ``amparo process`` first)."""
    event, lookup = tables.IPEvent, tables.IpLookup
    query = (
        select(func.count()).select_from(event)
        .outerjoin(lookup, lookup.ip_event_id == event.id).where(lookup.ip_event_id.is_(None))
    )  # fmt: skip
    return session.scalar(query) or 0


def build_legal_requests(session: Session) -> list[ProviderRequest]:
    """One request per provider, its triples deduplicated and in time order."""
    return group_requests(load_event_rows(session))


def legal_requests_for_findings(session: Session) -> list[dict[str, Any]]:
    """The findings document's ``legal_requests``: one entry per provider and triple."""
    return [
        {"isp": request.isp, "asn": request.asn, "ip": line.ip, "port": line.port,
         "at": line.at_utc_text, "persons": list(line.persons), "reports": list(line.reports),
         "flags": list(line.flags), "answered": line.answered}
        for request in build_legal_requests(session)
        for line in request.lines
    ]  # fmt: skip


# --- the pure core -------------------------------------------------------------------------


def group_requests(rows: Iterable[EventRow]) -> list[ProviderRequest]:
    """Group events by provider and deduplicate their (address, port, time) triples."""
    groups: dict[tuple[str | None, int | None, str | None], list[EventRow]] = defaultdict(list)
    for row in rows:
        known = row.organisation is not None or row.asn is not None
        groups[(row.organisation, row.asn, None if known else row.country)].append(row)
    requests = [_provider_request(org, asn, rows) for (org, asn, _), rows in groups.items()]
    return sorted(requests, key=lambda r: (r.country or "~", ascii_key(r.isp), r.asn or 0))


def _provider_request(
    organisation: str | None, asn: int | None, rows: list[EventRow]
) -> ProviderRequest:
    country = _most_common(row.country for row in rows)
    provider = find_provider(organisation, asn)
    zone = time_zone_for(country, provider)
    timed: list[EventRow] = []
    untimed: list[EventRow] = []
    for row in rows:
        (timed if row.at is not None and _canonical(row.ip) else untimed).append(row)
    return ProviderRequest(
        isp=_display_name(organisation, asn, country),
        organisation=organisation, asn=asn, country=country, provider=provider, time_zone=zone,
        lines=_lines(timed, zone, provider), not_requested=_unaskable(untimed),
    )  # fmt: skip


def _display_name(organisation: str | None, asn: int | None, country: str | None) -> str:
    if organisation:
        return organisation
    if asn is not None:
        return f"AS{asn}"
    return f"{UNKNOWN_PROVIDER} ({country})" if country else UNKNOWN_PROVIDER


def _most_common(values: Iterable[str | None]) -> str | None:
    counts = Counter(value for value in values if value)
    return counts.most_common(1)[0][0] if counts else None


def _canonical(ip: str) -> str | None:
    try:
        return normalise_ip(ip)
    except ValueError:
        return None


def _lines(
    rows: list[EventRow], zone: TimeZone, provider: Provider | None
) -> tuple[RequestLine, ...]:
    triples: dict[tuple[str, int | None, datetime], list[EventRow]] = defaultdict(list)
    for row in rows:
        if row.at is not None:
            triples[(_canonical(row.ip) or row.ip, row.port, row.at)].append(row)
    ordered = sorted(triples.items(), key=lambda item: (item[0][2], item[0][0], item[0][1] or -1))
    return tuple(_line(ip, port, at, same, zone, provider) for (ip, port, at), same in ordered)


def _line(
    ip: str, port: int | None, at: datetime, rows: list[EventRow], zone: TimeZone,
    provider: Provider | None,
) -> RequestLine:  # fmt: skip
    return RequestLine(
        ip=ip, port=port, at=at, local_at=at.astimezone(zone.zone),
        flags=line_flags(port, provider, any(row.possible_proxy for row in rows)),
        reports=_sorted(row.report for row in rows),
        persons=_sorted(row.person for row in rows),
        accounts=_sorted(row.account for row in rows),
        ip_events=tuple(sorted(row.id for row in rows)),
        answered=all(row.answered for row in rows),
    )  # fmt: skip


def line_flags(port: int | None, provider: Provider | None, proxy: bool) -> tuple[str, ...]:
    """Why an answer to this triple may name several subscribers, or the wrong one."""
    flags = [NO_PORT] if port is None else []
    flags += [CGNAT] if provider is not None and provider.uses_cgnat else []
    flags += [PROXY] if proxy else []
    return tuple(flags)


def _sorted(values: Iterable[str | None]) -> tuple[str, ...]:
    return tuple(sorted({value for value in values if value}))


def _unaskable(rows: list[EventRow]) -> tuple[Unaskable, ...]:
    return tuple(
        Unaskable(row.ip, row.port, row.at_raw,
                  NO_TIME if row.at is None else f"{row.ip!r} is not an IP address",
                  (row.report,), _sorted([row.person]))
        for row in rows
    )  # fmt: skip


# --- writing -------------------------------------------------------------------------------


def export_legal_requests(workspace: Workspace, folder: Path) -> LegalRequestsExport:
    """Write the JSON, one HTML letter and one CSV per provider with something to ask."""
    with workspace.session() as session:
        requests = build_legal_requests(session)
        without_lookup = events_without_lookup(session)
    generated = datetime.now(UTC).replace(microsecond=0)
    try:
        return _write(folder, requests, generated, without_lookup)
    except OSError as error:
        raise ExportError(f"cannot write the legal requests to {folder}: {error}") from error


def _write(
    folder: Path, requests: list[ProviderRequest], generated: datetime, without_lookup: int
) -> LegalRequestsExport:
    folder.mkdir(parents=True, exist_ok=True)
    names = file_stems(requests)
    letters = []
    for request, stem in zip(requests, names, strict=True):
        if request.to_ask:
            letters.append(folder / f"{stem}.html")
            letters[-1].write_text(render_letter(request, generated), encoding="utf-8")
            _write_csv(folder / f"{stem}.csv", request)
    document = requests_document(requests, names, generated, without_lookup)
    (folder / JSON_FILE).write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n",
                                    encoding="utf-8")  # fmt: skip
    lines = sum(len(r.lines) for r in requests)
    flagged = sum(1 for r in requests for line in r.lines if line.flags)
    return LegalRequestsExport(folder, len(requests), lines, flagged, tuple(letters),
                               without_lookup)  # fmt: skip


def file_stems(requests: list[ProviderRequest]) -> list[str]:
    """A safe, distinct file name (without extension) per provider."""
    stems: list[str] = []
    for request in requests:
        base = re.sub(r"[^a-z0-9]+", "-", ascii_key(request.isp)).strip("-")[:60] or "provider"
        base += f"-as{request.asn}" if request.asn is not None else ""
        stem, n = base, 2
        while stem in stems:
            stem, n = f"{base}-{n}", n + 1
        stems.append(stem)
    return stems


def _write_csv(path: Path, request: ProviderRequest) -> None:
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = SafeWriter(stream)
        writer.writerow(CSV_COLUMNS)
        for line in request.to_ask:
            port = "" if line.port is None else line.port
            flags = "; ".join(line.provider_flags)
            writer.writerow([line.ip, port, line.at_utc_text, line.local_at.isoformat(), flags])


def requests_document(
    requests: list[ProviderRequest], stems: list[str], generated: datetime, without_lookup: int
) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "generated_at": generated.isoformat().replace("+00:00", "Z"),
        "events_without_lookup": without_lookup,
        "providers": [_provider_document(r, s) for r, s in zip(requests, stems, strict=True)],
    }


def _provider_document(request: ProviderRequest, stem: str) -> dict[str, Any]:
    provider = request.provider
    return {
        "isp": request.isp, "organisation": request.organisation, "asn": request.asn,
        "country": request.country, "known_provider": provider.name if provider else None,
        "uses_cgnat": request.uses_cgnat,
        "legal_channel": provider.legal_channel if provider else None,
        "time_zone": request.time_zone.name, "time_zone_note": request.time_zone.note,
        "letter": f"{stem}.html" if request.to_ask else None,
        "csv": f"{stem}.csv" if request.to_ask else None,
        "requests": [_line_document(line) for line in request.lines],
        "not_requested": [
            {"ip": u.ip, "port": u.port, "at_raw": u.at_raw, "reason": u.reason,
             "reports": list(u.reports), "persons": list(u.persons)}
            for u in request.not_requested
        ],
    }  # fmt: skip


def _line_document(line: RequestLine) -> dict[str, Any]:
    return {
        "ip": line.ip, "port": line.port, "at": line.at_utc_text,
        "at_local": line.local_at.isoformat(), "flags": list(line.flags),
        "reports": list(line.reports), "persons": list(line.persons),
        "accounts": list(line.accounts), "answered": line.answered,
    }  # fmt: skip


_ENVIRONMENT = Environment(
    loader=PackageLoader("amparo.export", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render_letter(request: ProviderRequest, generated: datetime) -> str:
    """The printable HTML letter asking ``request``'s provider for its unanswered triples."""
    template = _ENVIRONMENT.get_template("legal_request.html.j2")
    return template.render(request=request, lines=request.to_ask, generated=generated,
                           shared=any(line.provider_flags for line in request.to_ask))  # fmt: skip
