"""Wellness settings: each user's stronger defaults per category, the supervisors' view of
everyone's exposure today, and their release of a user whose budget is spent."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from amparo.audit import append_audit
from amparo.store import tables
from amparo.web.auth import SignedIn, Supervisor, Viewer, find_user
from amparo.web.exposure import exposure_state, release
from amparo.web.preferences import category_label, known_categories, preferences_from_form
from amparo.web.render import now_of, render, workspace_of
from amparo.web.thumbnails import LEVELS

router = APIRouter()


@router.get("/preferences")
def preferences_page(request: Request, viewer: SignedIn) -> Response:
    with workspace_of(request).session() as session:
        keys = known_categories(session)
        state = exposure_state(session, viewer.id, viewer.daily_budget_seconds, now_of(request))
    chosen = viewer.preferences.get("categories") or {}
    rows = [{"key": k, "label": category_label(k), "setting": chosen.get(k) or {}} for k in keys]
    return render(request, "preferences.html", {"rows": rows, "levels": LEVELS, "state": state})


@router.post("/preferences")
async def save_preferences(request: Request, viewer: SignedIn) -> Response:
    form = await request.form()
    await run_in_threadpool(_save_preferences, request, viewer, dict(form))
    return RedirectResponse("/preferences", status_code=303)


def _save_preferences(request: Request, viewer: Viewer, form: dict[str, Any]) -> None:
    with workspace_of(request).session() as session:
        preferences = preferences_from_form(form, known_categories(session))
        user = session.get_one(tables.User, viewer.id)
        user.preferences = dict(user.preferences or {}) | preferences
        append_audit(session, viewer.username, "preferences", viewer.username, preferences)


@router.get("/users")
def users_page(request: Request, viewer: Supervisor) -> Response:
    now = now_of(request)
    with workspace_of(request).session() as session:
        users = session.scalars(select(tables.User).order_by(tables.User.username)).all()
        rows = [
            {"user": u, "state": exposure_state(session, u.id, u.daily_budget_seconds, now)}
            for u in users
        ]
    return render(request, "users.html", {"rows": rows})


@router.post("/users/{username}/release")
def release_user(request: Request, viewer: Supervisor, username: str) -> Response:
    if username == viewer.username:
        raise HTTPException(403, "another supervisor must release you")
    with workspace_of(request).session() as session:
        user = find_user(session, username)
        if user is None:
            raise HTTPException(404, "no such user")
        now = now_of(request)
        state = exposure_state(session, user.id, user.daily_budget_seconds, now)
        release(session, user.id, viewer.username, now)
        append_audit(session, viewer.username, "exposure_release", username,
                     {"seconds_viewed": state.seconds, "budget": state.budget})  # fmt: skip
    return RedirectResponse("/users", status_code=303)
