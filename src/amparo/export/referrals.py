"""Referral packages: what goes to each foreign country, and to which agency.

A person whose chosen location is a country other than the workspace's home country is
referred to that country. Its package holds that country's persons, their accounts, the
accounts' identifiers and IP events, the reports that name those accounts and the hashes of
the files they were seen with: nothing of any other country's persons, and never media.
Each package carries a Europol handling code (H0-H3) and the receiving agency and channel
from an editable directory (``amparo.export.agencies``).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pycountry
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy import select
from sqlalchemy.orm import Session

from amparo.errors import ExportError
from amparo.export.agencies import Agency, AgencyDirectory, load_directory
from amparo.export.handling import Handling
from amparo.geo.places import country_name, subdivision_name
from amparo.model import account_key, parse_account_key
from amparo.people.read_model import (
    AgeAssessment,
    ChosenLocation,
    account_keys,
    dossiers,
    persons_of_accounts,
)
from amparo.settings import get_setting
from amparo.store import tables
from amparo.workspace import Workspace

FORMAT = "amparo.referral/1"
TEMPLATES = Path(__file__).with_name("templates")
REFERRALS_DIR = "referrals"
PACKAGE_FILES = ("referral.json", "referral.html")


# --- what the store holds of the referred persons ------------------------------------------


@dataclass
class _Holdings:
    """Per account of a referred person: identifiers, IP events, report ids, media sightings."""

    identifiers: dict[int, set[tuple[Any, ...]]] = field(default_factory=lambda: defaultdict(set))
    ip_events: dict[int, set[tuple[Any, ...]]] = field(default_factory=lambda: defaultdict(set))
    reports: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    media: dict[int, set[tuple[Any, ...]]] = field(default_factory=lambda: defaultdict(set))


@dataclass(frozen=True)
class Referral:
    """One country's package, as plain data (``document`` is its JSON)."""

    country: str
    agency: Agency
    handling: Handling
    persons: list[dict[str, Any]]
    accounts: list[dict[str, Any]]
    reports: list[dict[str, Any]]
    media: list[dict[str, Any]]

    def document(self, home_country: str, generated_at: datetime) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "generated_at": _instant(generated_at),
            "from_country": home_country,
            "country": self.country,
            "country_name": country_name(self.country),
            "agency": {
                "name": self.agency.agency,
                "channel": self.agency.channel,
                "note": self.agency.note,
            },
            "handling": self.handling.document(),
            "contains_media": False,
            "summary": {
                "persons": len(self.persons),
                "accounts": len(self.accounts),
                "reports": len(self.reports),
                "media": len(self.media),
                "ip_events": sum(len(a["ip_events"]) for a in self.accounts),
            },
            "persons": self.persons,
            "accounts": self.accounts,
            "reports": self.reports,
            "media": self.media,
        }


def build_referrals(
    session: Session,
    home_country: str | None = None,
    *,
    handling: Handling | None = None,
    directory: AgencyDirectory | None = None,
) -> list[Referral]:
    """One referral per foreign country with located persons, by country code."""
    home = home_country or get_setting(session, "home_country")
    persons = _foreign_persons(session, home)
    accounts = {a: row for a, row in _accounts(session).items() if row[0] in persons}
    holdings = _holdings(session, set(accounts))
    reports = _reports(session)
    directory = directory or load_directory()
    by_country: dict[str, list[int]] = defaultdict(list)
    for person_id, person in persons.items():
        by_country[person["country"]].append(person_id)
    return [
        _referral(
            country,
            ids,
            persons,
            accounts,
            holdings,
            reports,
            directory.for_country(country),
            handling or Handling(),
        )
        for country, ids in sorted(by_country.items())
    ]


def _foreign_persons(session: Session, home: str) -> dict[int, dict[str, Any]]:
    """Persons whose chosen location is a real country other than ``home``."""
    persons = {
        person_id: _referred_person(person.key, person.location, person.age)
        for person_id, person in dossiers(session).items()
        if person.location is not None and person.location.country is not None
    }
    return {
        pid: p
        for pid, p in sorted(persons.items())
        if p["country"] != home and pycountry.countries.get(alpha_2=p["country"]) is not None
    }


def _referred_person(key: str, place: ChosenLocation, age: AgeAssessment | None) -> dict[str, Any]:
    return {
        "id": key,
        "country": place.country,
        "subdivision": place.subdivision,
        "subdivision_name": place.subdivision and subdivision_name(place.subdivision),
        "location_basis": place.basis,
        "location_confidence": place.confidence,
        "age": age and age.age,
        "minor": age and age.minor,
    }


def _accounts(session: Session) -> dict[int, tuple[int, str, str]]:
    """Each resolved account: (person id, platform, user id)."""
    keys = account_keys(session)
    return {
        account_id: (person_id, *parse_account_key(keys[account_id]))
        for account_id, (person_id, _) in persons_of_accounts(session).items()
    }


def _holdings(session: Session, accounts: set[int]) -> _Holdings:
    held = _Holdings()
    ident, event, sighting, media = tables.Identifier, tables.IPEvent, tables.Sighting, tables.Media
    for account_id, kind, raw, normalized in session.execute(
        select(ident.account_id, ident.kind, ident.raw, ident.normalized).distinct()
    ):
        if account_id in accounts:
            held.identifiers[account_id].add((kind, raw, normalized))
    for account_id, report_id, *event_row in session.execute(
        select(
            event.account_id,
            event.report_id,
            event.ip,
            event.port,
            event.at,
            event.event,
            event.possible_proxy,
        )
    ):
        if account_id in accounts:
            held.ip_events[account_id].add((report_id, *event_row))
            held.reports[account_id].add(report_id)
    for account_id, report_id in _party_reports(session):
        if account_id in accounts:
            held.reports[account_id].add(report_id)
    for account_id, sighting_report_id, *media_row in session.execute(
        select(
            sighting.account_id,
            sighting.report_id,
            media.sha256,
            media.md5,
            media.sha1,
            media.pdq,
            media.kind,
            media.status,
        ).join(media, media.id == sighting.media_id)
    ):
        if account_id in accounts:
            held.media[account_id].add((sighting_report_id, *media_row))
            if sighting_report_id is not None:
                held.reports[account_id].add(sighting_report_id)
    return held


def _party_reports(session: Session) -> Iterable[Any]:
    party = tables.Party
    return session.execute(
        select(party.account_id, party.report_id).where(party.account_id.is_not(None)).distinct()
    )


def _reports(session: Session) -> dict[int, dict[str, Any]]:
    report = tables.Report
    rows = session.execute(
        select(report.id, report.number, report.incident_type, report.incident_at, report.platform)
    )
    return {
        id_: {
            "number": number,
            "incident_type": kind,
            "incident_at": _instant(at),
            "platform": platform,
        }
        for id_, number, kind, at, platform in rows
    }


def _referral(
    country: str,
    person_ids: list[int],
    persons: dict[int, dict[str, Any]],
    accounts: dict[int, tuple[int, str, str]],
    held: _Holdings,
    reports: dict[int, dict[str, Any]],
    agency: Agency,
    handling: Handling,
) -> Referral:
    wanted = set(person_ids)
    mine = sorted(
        (a for a, row in accounts.items() if row[0] in wanted), key=lambda a: accounts[a][1:]
    )
    keys = {a: account_key(*accounts[a][1:]) for a in mine}
    report_ids = {r for a in mine for r in held.reports[a]}
    return Referral(
        country=country,
        agency=agency,
        handling=handling,
        persons=sorted(
            (
                {**persons[p], "accounts": sorted(keys[a] for a in mine if accounts[a][0] == p)}
                for p in person_ids
            ),
            key=lambda p: p["id"],
        ),
        accounts=[_account(a, accounts[a], persons, keys[a], held, reports) for a in mine],
        reports=sorted((reports[r] for r in report_ids), key=lambda r: r["number"]),
        media=_media(mine, keys, held, reports),
    )


def _account(
    account_id: int,
    row: tuple[int, str, str],
    persons: dict[int, dict[str, Any]],
    key: str,
    held: _Holdings,
    reports: dict[int, dict[str, Any]],
) -> dict[str, Any]:
    person, platform, user = row
    return {
        "key": key,
        "platform": platform,
        "user_id": user,
        "person": persons[person]["id"],
        "identifiers": [
            {"kind": k, "raw": raw, "normalized": norm}
            for k, raw, norm in sorted(held.identifiers[account_id])
        ],
        "ip_events": sorted(
            (_ip_event(e, reports) for e in held.ip_events[account_id]),
            key=lambda e: (e["at"] or "", e["ip"], e["port"] or 0),
        ),
        "reports": sorted(reports[r]["number"] for r in held.reports[account_id]),
    }


def _ip_event(event: tuple[Any, ...], reports: dict[int, dict[str, Any]]) -> dict[str, Any]:
    report_id, ip, port, at, kind, proxy = event
    return {
        "ip": ip,
        "port": port,
        "at": _instant(at),
        "event": kind,
        "possible_proxy": proxy,
        "report": reports[report_id]["number"],
    }


def _media(
    accounts: list[int], keys: dict[int, str], held: _Holdings, reports: dict[int, dict[str, Any]]
) -> list[dict[str, Any]]:
    """Each file's hashes once, with the referred accounts and reports it was seen with."""
    files: dict[str, dict[str, Any]] = {}
    for account_id in accounts:
        for report_id, sha256, md5, sha1, pdq, kind, status in held.media[account_id]:
            entry = files.setdefault(
                sha256,
                {
                    "sha256": sha256,
                    "md5": md5,
                    "sha1": sha1,
                    "pdq": pdq,
                    "kind": kind,
                    "status": status,
                    "accounts": set(),
                    "reports": set(),
                },
            )
            entry["accounts"].add(keys[account_id])
            if report_id is not None:
                entry["reports"].add(reports[report_id]["number"])
    return [
        {**entry, "accounts": sorted(entry["accounts"]), "reports": sorted(entry["reports"])}
        for _, entry in sorted(files.items())
    ]


def _instant(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


# --- findings and export -------------------------------------------------------------------


def referrals_for_findings(
    session: Session,
    *,
    handling: Handling | None = None,
    directory: AgencyDirectory | None = None,
) -> list[dict[str, Any]]:
    """The findings document's ``referrals``: per country, its persons and reports."""
    return [
        {
            "country": r.country,
            "persons": [p["id"] for p in r.persons],
            "reports": [rep["number"] for rep in r.reports],
            "agency": r.agency.agency,
            "channel": r.agency.channel,
            "handling_code": r.handling.code,
        }
        for r in build_referrals(session, handling=handling, directory=directory)
    ]


@dataclass(frozen=True)
class WrittenReferral:
    country: str
    folder: Path
    persons: int
    accounts: int
    reports: int
    media: int


def export_referrals(
    workspace: Workspace, out_dir: Path | None = None, *, handling: Handling | None = None
) -> list[WrittenReferral]:
    """Write ``<out_dir>/<CC>/referral.json`` and ``referral.html`` per referred country.

    ``out_dir`` defaults to ``referrals/`` in the workspace. Packages left there by an earlier
    run for a country no longer referred are removed, so none is sent by mistake.
    """
    out_dir = out_dir or workspace.root / REFERRALS_DIR
    with workspace.session() as session:
        home = get_setting(session, "home_country")
        referrals = build_referrals(
            session, home, handling=handling, directory=load_directory(workspace.root)
        )
    now = datetime.now(UTC).replace(microsecond=0)
    try:
        _remove_stale(out_dir, {r.country for r in referrals})
        return [_write(r, r.document(home, now), out_dir / r.country) for r in referrals]
    except OSError as error:
        raise ExportError(f"cannot write the referrals to {out_dir}: {error}") from error


def _write(referral: Referral, document: dict[str, Any], folder: Path) -> WrittenReferral:
    folder.mkdir(parents=True, exist_ok=True)
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    (folder / PACKAGE_FILES[0]).write_text(text, encoding="utf-8")
    (folder / PACKAGE_FILES[1]).write_text(render_html(document), encoding="utf-8")
    return WrittenReferral(
        referral.country,
        folder,
        len(referral.persons),
        len(referral.accounts),
        len(referral.reports),
        len(referral.media),
    )


def _remove_stale(out_dir: Path, countries: set[str]) -> None:
    for folder in _package_folders(out_dir):
        if folder.name not in countries:
            for name in PACKAGE_FILES:
                (folder / name).unlink(missing_ok=True)
            if not any(folder.iterdir()):
                folder.rmdir()


def _package_folders(out_dir: Path) -> Iterator[Path]:
    if not out_dir.is_dir():
        return
    for folder in out_dir.iterdir():
        named = folder.is_dir() and len(folder.name) == 2 and folder.name.isupper()
        if named and (folder / PACKAGE_FILES[0]).exists():
            yield folder


def render_html(document: dict[str, Any]) -> str:
    """The readable, printable summary of a referral document (escaped; no media)."""
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return environment.get_template("referral.html.j2").render(referral=document)
