"""The dashboard, the case queue and the case page with its forms."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from amparo.audit import append_audit
from amparo.errors import AmparoError
from amparo.export.stats import build_stats
from amparo.store import tables
from amparo.web.auth import ANALYST, SUPERVISOR, Forbidden, SignedIn, Viewer
from amparo.web.cases import (
    LEVELS,
    STATUSES,
    case_file,
    case_rows,
    level_counts,
    new_series,
)
from amparo.web.charts import bar_chart, country_bars, province_bars
from amparo.web.media import media_items
from amparo.web.render import render, workspace_of

router = APIRouter()


@router.get("/")
def dashboard(request: Request, viewer: SignedIn) -> Response:
    with workspace_of(request).session() as session:
        stats = build_stats(session)
        context = {
            "counts": level_counts(session),
            "cases": case_rows(session)[:50],
            "new_series": new_series(session),
            "stats": stats,
            "chart_provinces": bar_chart(
                "chart-provinces", "Persons by province", province_bars(stats)
            ),
            "chart_countries": bar_chart(
                "chart-countries", "Persons by country", country_bars(stats)
            ),
        }
    return render(request, "dashboard.html", context)


@router.get("/cases")
def cases(
    request: Request,
    viewer: SignedIn,
    level: str | None = None,
    status: str | None = None,
) -> Response:
    with workspace_of(request).session() as session:
        context = {
            "cases": case_rows(session, level, status),
            "counts": level_counts(session),
            "level": level if level in LEVELS else None,
            "status": status if status in STATUSES else None,
        }
    return render(request, "cases.html", context | {"levels": LEVELS, "statuses": STATUSES})


@router.get("/cases/{case_id:int}")
def case_page(request: Request, viewer: SignedIn, case_id: int) -> Response:
    workspace = workspace_of(request)
    with workspace.session() as session:
        case = session.get(tables.Case, case_id)
        if case is None:
            raise HTTPException(404, "no such case")
        file = case_file(session, workspace.root, case)
        file["media"] = media_items(request, session, viewer, file["media"])
        context = {
            "case": case,
            "assignee": case.assignee.username if case.assignee else None,
            "file": file,
            "users": session.scalars(
                select(tables.User.username).where(tables.User.role.in_((ANALYST, SUPERVISOR)),
                                                   tables.User.disabled.is_(False))
                .order_by(tables.User.username)
            ).all(),
        }  # fmt: skip
    return render(request, "case.html", context | {"statuses": STATUSES})


# --- case forms --------------------------------------------------------------------------


@router.post("/cases/{case_id:int}/status")
def set_status(
    request: Request, viewer: SignedIn, case_id: int, status: str = Form(...)
) -> Response:
    return _update(request, case_id, viewer, status=status)


@router.post("/cases/{case_id:int}/assign")
def assign(
    request: Request, viewer: SignedIn, case_id: int, assignee: str = Form(""),
) -> Response:  # fmt: skip
    return _update(request, case_id, viewer, assignee=assignee.strip())  # "": nobody


@router.post("/cases/{case_id:int}/note")
def add_note(request: Request, viewer: SignedIn, case_id: int, note: str = Form(...)) -> Response:
    if not note.strip():
        raise HTTPException(400, "a note needs some text")
    return _update(request, case_id, viewer, note=note.strip())


def _update(request: Request, case_id: int, viewer: Viewer, **change: Any) -> Response:
    if not viewer.may_edit:
        raise Forbidden
    try:
        from amparo.triage.cases import update_case
    except ImportError as error:
        raise HTTPException(503, "case editing is not installed in this version") from error
    try:
        with workspace_of(request).session() as session:
            if session.get(tables.Case, case_id) is None:
                raise HTTPException(404, "no such case")
            update_case(session, case_id, viewer.username, **change)
            append_audit(session, viewer.username, "case_update", f"case:{case_id}", change)
    except AmparoError as error:
        raise HTTPException(400, str(error)) from error
    return RedirectResponse(f"/cases/{case_id}", status_code=303)
