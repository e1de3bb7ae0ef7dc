"""The ``amparo.findings/1`` document (DESIGN.md section 5) from what the store holds.

Only stored facts are written. Parts owned by stages that have not run yet (matching, series,
persons, locations, referrals, priorities) are empty lists or nulls, never guesses.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from amparo.errors import ExportError
from amparo.export.agencies import AgencyDirectory, load_directory
from amparo.export.referrals import referrals_for_findings
from amparo.export.requests import legal_requests_for_findings
from amparo.export.stats import stats_for_findings
from amparo.model import account_key, instant
from amparo.network.analysis import to_findings
from amparo.network.results import current_summary
from amparo.people.read_model import person_keys_by_account
from amparo.people.report import persons_document
from amparo.store import tables
from amparo.triage.cases import priority_for_findings
from amparo.workspace import Workspace

FORMAT = "amparo.findings/1"
SCHEMA_PATH = Path(__file__).parent.parent / "schemas" / "findings-1.schema.json"
MAX_CROSS_BORDER_LINKS = 200


def build_findings(
    session: Session, *, now: datetime | None = None, agencies: AgencyDirectory | None = None
) -> dict[str, Any]:
    """The whole document; ``agencies`` is the workspace's directory (default: bundled)."""
    sightings = _sightings_by_media(session)
    matches = _matches_by_media(session)
    series = _series(session)
    keys = {row["_id"]: row["id"] for row in series}
    media = [
        _media(m, sightings[m.id], matches[m.id], keys.get(m.series_id))
        for m in _ordered_media(session)
    ]
    persons = persons_document(session)
    priorities = priority_for_findings(session)
    for person in persons:
        person["priority"] = priorities.get(person["id"])
    return {
        "format": FORMAT,
        "generated_at": instant(now or datetime.now(UTC).replace(microsecond=0)),
        "inputs": _inputs(session),
        "media": media,
        "series": _series_with_members(series, media),
        "accounts": _accounts(session),
        "persons": persons,
        "groups": _groups(session),
        "referrals": referrals_for_findings(session, directory=agencies),
        "legal_requests": legal_requests_for_findings(session),
        "stats": stats_for_findings(session),
        "network": _network(session, persons),
    }


def _network(session: Session, persons: list[dict[str, Any]]) -> dict[str, Any]:
    """Communities, centrality, first sharers and cross-border links of the persons' graph.

    Each person gets its own centrality and community; the cross-border list is cut to the
    strongest links, with the total kept, since a large operation has hundreds of thousands.
    """
    document = to_findings(current_summary(session))
    centrality = document.pop("centrality")
    for person in persons:
        person["network"] = centrality.get(person["id"])
    document["cross_border_total"] = len(document["cross_border"])
    document["cross_border"] = document["cross_border"][:MAX_CROSS_BORDER_LINKS]
    return document


def _inputs(session: Session) -> dict[str, Any]:
    top = select(func.count()).select_from(tables.Source).where(tables.Source.parent_id.is_(None))
    quarantined = session.scalars(
        select(tables.Source)
        .where(tables.Source.status == tables.SOURCE_QUARANTINED)
        .order_by(tables.Source.path, tables.Source.id)
    )
    return {
        "sources": session.scalar(top),
        "reports": _report_count(session),
        "report_annotations": _report_annotations(session),
        "quarantined": [
            {"path": s.path, "reason": s.reason or "", "kind": s.kind, "sha256": s.digest}
            for s in quarantined
        ],
    }


def _report_annotations(session: Session) -> dict[str, list[str]]:
    """Each annotation a report carries (``sextortion``, ``informational``, ...): its reports."""
    reports: dict[str, list[str]] = defaultdict(list)
    query = select(tables.Report.number, tables.Report.annotations).order_by(tables.Report.number)
    for number, names in session.execute(query):
        for name in names or ():
            reports[name].append(number)
    return dict(sorted(reports.items()))


def _report_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(tables.Report)) or 0


def _ordered_media(session: Session) -> list[tables.Media]:
    return list(session.scalars(select(tables.Media).order_by(tables.Media.sha256)))


def _sightings_by_media(session: Session) -> dict[int, list[dict[str, Any]]]:
    query = select(tables.Sighting).options(
        joinedload(tables.Sighting.report),
        joinedload(tables.Sighting.device),
        joinedload(tables.Sighting.account),
        joinedload(tables.Sighting.group),
    )
    grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for sighting in session.scalars(query):
        grouped[sighting.media_id].append(_sighting(sighting))
    for entries in grouped.values():
        entries.sort(key=lambda s: (s["at"] is None, s["at"] or "", s["report"] or ""))
    return grouped


def _sighting(sighting: tables.Sighting) -> dict[str, Any]:
    account, group = sighting.account, sighting.group
    return {
        "account": account and account_key(account.platform, account.user_id),
        "report": sighting.report and sighting.report.number,
        "device": sighting.device and sighting.device.label,
        "path": sighting.file_id if sighting.device else None,
        "group": group and account_key(group.platform, group.group_id),
        "at": instant(sighting.at),
        "file_name": sighting.file_name,
        "industry_classification": sighting.industry_classification,
        "annotations": sighting.annotations,
    }


def _media(
    media: tables.Media,
    sightings: list[dict[str, Any]],
    matches: list[dict[str, Any]],
    series: str | None,
) -> dict[str, Any]:
    seen = [s["at"] for s in sightings if s["at"]]
    counted = [m for m in matches if not m["suppressing"]]
    return {
        "sha256": media.sha256,
        "md5": media.md5,
        "sha1": media.sha1,
        "size": media.size,
        "mime_type": media.mime_type,
        "width": media.width,
        "height": media.height,
        "pdq": media.pdq,
        "pdq_quality": media.pdq_quality,
        "pdq_preparation": media.preparation,
        "kind": media.kind,
        "status": media.status,
        "non_pertinent": bool(matches) and not counted,
        "problem": media.problem,
        "matches": matches,
        "series": series,
        "first_seen": min(seen) if seen else None,
        "exif": media.exif or {},
        "sightings": sightings,
    }


def _matches_by_media(session: Session) -> dict[int, list[dict[str, Any]]]:
    query = select(tables.Match).options(
        joinedload(tables.Match.known_entry).joinedload(tables.KnownEntry.hash_set)
    )
    grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for match in session.scalars(query):
        grouped[match.media_id].append(_match(match))
    for entries in grouped.values():
        entries.sort(key=lambda m: (m["suppressing"], m["distance"], m["hash_set"], m["entry"]))
    return grouped


def _match(match: tables.Match) -> dict[str, Any]:
    entry = match.known_entry
    category = None
    if entry.category_scheme is not None and entry.category_code is not None:
        category = {"scheme": entry.category_scheme, "code": entry.category_code}
    return {
        "hash_set": entry.hash_set.name,
        "entry": entry.entry_id,
        "algorithm": match.algorithm,
        "distance": match.distance,
        "threshold": match.threshold,
        "transform": match.transform,
        "frame": match.frame,
        "second": match.second,
        "preparation": match.preparation,
        "suppressing": match.suppressing,
        "category": category,
        "series": entry.series,
        "victim_identified": entry.victim_identified,
        "offender_identified": entry.offender_identified,
    }


def _series(session: Session) -> list[dict[str, Any]]:
    rows = session.scalars(select(tables.Series).order_by(tables.Series.key))
    return [
        {
            "_id": s.id,
            "id": s.key,
            "status": s.status,
            "first_seen": instant(s.first_seen),
            "first_accounts": s.first_accounts,
            "groups": s.groups,
        }
        for s in rows
    ]


def _series_with_members(
    series: list[dict[str, Any]], media: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    members: dict[str, list[str]] = defaultdict(list)
    for item in media:
        if item["series"] is not None:
            members[item["series"]].append(item["sha256"])
    return [
        {k: v for k, v in row.items() if k != "_id"} | {"media": members[row["id"]]}
        for row in series
    ]


def _accounts(session: Session) -> list[dict[str, Any]]:
    reports: dict[int, set[str]] = defaultdict(set)
    rows = session.execute(
        select(tables.Party.account_id, tables.Report.number).join(tables.Report)
    )
    for account_id, number in rows:
        if account_id is not None:  # a party without an account is in no account's reports
            reports[account_id].add(number)
    accounts = session.scalars(
        select(tables.Account).order_by(tables.Account.platform, tables.Account.user_id)
    )
    persons = person_keys_by_account(session)
    return [
        {
            "key": account_key(a.platform, a.user_id),
            "platform": a.platform,
            "user_id": a.user_id,
            "person": persons.get(a.id),
            "reports": sorted(reports[a.id]),
        }
        for a in accounts
    ]


def _groups(session: Session) -> list[dict[str, Any]]:
    members: dict[int, set[str]] = defaultdict(set)
    for membership in session.scalars(
        select(tables.Membership).options(joinedload(tables.Membership.account))
    ):
        members[membership.group_id].add(
            account_key(membership.account.platform, membership.account.user_id)
        )
    shared = dict(
        session.execute(
            select(tables.Sighting.group_id, func.count(tables.Sighting.media_id.distinct()))
            .where(tables.Sighting.group_id.is_not(None))
            .group_by(tables.Sighting.group_id)
        ).all()
    )
    groups = session.scalars(
        select(tables.Group).order_by(tables.Group.platform, tables.Group.group_id)
    )
    return [
        {
            "key": account_key(g.platform, g.group_id),
            "name": g.name,
            "members": sorted(members[g.id]),
            "media_shared": shared.get(g.id, 0),
        }
        for g in groups
    ]


@cache
def findings_schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def validate_findings(document: dict[str, Any]) -> None:
    """Raise ExportError when ``document`` does not match the findings JSON Schema."""
    try:
        jsonschema.validate(document, findings_schema())
    except jsonschema.ValidationError as error:
        where = "/".join(str(p) for p in error.absolute_path) or "(document)"
        raise ExportError(
            f"findings do not match their schema at {where}: {error.message}"
        ) from error


def export_findings(workspace: Workspace, out: Path) -> dict[str, Any]:
    """Build, check against the schema and write the findings document to ``out``."""
    with workspace.session() as session:
        document = build_findings(session, agencies=load_directory(workspace.root))
    validate_findings(document)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    except OSError as error:
        raise ExportError(f"cannot write {out}: {error}") from error
    return document
