"""Series and group pages, with their members, media and interactive network view."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from amparo.network.graph import NetworkData
from amparo.network.neighbourhood import load_group_neighbourhood, load_series_neighbourhood
from amparo.store import tables
from amparo.web import casefile
from amparo.web.auth import SignedIn
from amparo.web.media import media_items
from amparo.web.network import group_network, series_network
from amparo.web.render import key_url, render, workspace_of

router = APIRouter()


# --- groups ------------------------------------------------------------------------------


def _group(session: Session, key: str) -> tables.Group:
    platform, _, group_id = key.partition(":")
    group = session.scalar(
        select(tables.Group).where(tables.Group.platform == platform,
                                   tables.Group.group_id == group_id)
    )  # fmt: skip
    if group is None:
        raise HTTPException(404, "no such group")
    return group


@router.get("/groups/{key:path}/network.json")
def group_network_json(request: Request, viewer: SignedIn, key: str) -> Response:
    return _network_json(request, key, _group, load_group_neighbourhood, group_network)


@router.get("/groups/{key:path}")
def group_page(request: Request, viewer: SignedIn, key: str) -> Response:
    with workspace_of(request).session() as session:
        group = _group(session, key)
        data = load_group_neighbourhood(session, key)
        s = tables.Sighting
        media_ids = set(session.scalars(select(s.media_id).where(s.group_id == group.id)))
        media = media_items(request, session, viewer, casefile.media_section(session, media_ids))
        context = {
            "group": group, "key": key, "members": _members(data, key), "media": media,
            "cases": _person_cases(session), "network_url": f"/groups/{key_url(key)}/network.json",
        }  # fmt: skip
    return render(request, "group.html", context)


def _members(data: NetworkData, group: str) -> list[dict[str, Any]]:
    """Members and sharers: account, person, whether a member, files and new files shared."""
    owners = data.owners()
    rows: dict[str, dict[str, Any]] = {}

    def row(account: str) -> dict[str, Any]:
        return rows.setdefault(account, {"account": account, "person": owners.get(account),
                                         "member": False, "files": set(), "new": set(),
                                         "first": None})  # fmt: skip

    for member in data.memberships:
        if member.group == group:
            row(member.account)["member"] = True
    for share in data.shares:
        if share.group == group:
            entry = row(share.account)
            entry["files"].add(share.media)
            if share.new:
                entry["new"].add(share.media)
            if share.at and (entry["first"] is None or share.at < entry["first"]):
                entry["first"] = share.at
    return sorted(rows.values(), key=lambda r: (-len(r["files"]), r["account"]))


# --- series ------------------------------------------------------------------------------


def _series(session: Session, key: str) -> tables.Series:
    series = session.scalar(select(tables.Series).where(tables.Series.key == key))
    if series is None:
        raise HTTPException(404, "no such series")
    return series


@router.get("/series/{key:path}/network.json")
def series_network_json(request: Request, viewer: SignedIn, key: str) -> Response:
    return _network_json(request, key, _series, load_series_neighbourhood, series_network)


def _network_json(
    request: Request,
    key: str,
    find: Callable[[Session, str], Any],
    load: Callable[[Session, str], NetworkData],
    draw: Callable[[NetworkData, str], dict[str, Any]],
) -> Response:
    """The network around a group or series (404 when there is none), nodes linked to cases."""
    with workspace_of(request).session() as session:
        find(session, key)
        document = draw(load(session, key), key)
        _link_cases(session, document)
    return JSONResponse(document, headers={"cache-control": "no-store"})


@router.get("/series/{key:path}")
def series_page(request: Request, viewer: SignedIn, key: str) -> Response:
    with workspace_of(request).session() as session:
        series = _series(session, key)
        media_ids = set(
            session.scalars(select(tables.Media.id).where(tables.Media.series_id == series.id))
        )
        media = media_items(request, session, viewer, casefile.media_section(session, media_ids))
        case = session.scalar(
            select(tables.Case.id).where(tables.Case.kind == "series", tables.Case.subject == key)
        )
        sharers = _sharers(load_series_neighbourhood(session, key), key)
        context = {
            "series": series, "key": key, "media": media, "case_id": case,
            "sharers": sharers, "cases": _person_cases(session),
            "network_url": f"/series/{key_url(key)}/network.json",
        }  # fmt: skip
    return render(request, "series.html", context)


def _sharers(data: NetworkData, series: str) -> list[dict[str, Any]]:
    owners = data.owners()
    files: dict[str, set[str]] = defaultdict(set)
    groups: dict[str, set[str]] = defaultdict(set)
    for share in data.shares:
        if share.series == series:
            files[share.account].add(share.media)
            groups[share.account].add(share.group)
    return sorted(
        ({"account": a, "person": owners.get(a), "files": len(files[a]),
          "groups": sorted(groups[a])} for a in files),
        key=lambda r: (-r["files"], r["account"]),
    )  # fmt: skip


# --- links to cases ----------------------------------------------------------------------


def _person_cases(session: Session) -> dict[str, int]:
    c = tables.Case
    return dict(session.execute(select(c.subject, c.id).where(c.kind == "person")).all())


def _link_cases(session: Session, document: dict[str, Any]) -> None:
    cases = _person_cases(session)
    for node in document["nodes"]:
        person = node["label"] if node["kind"] == "person" else node.get("person")
        if person in cases:
            node["href"] = f"/cases/{cases[person]}"
