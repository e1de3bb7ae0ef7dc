"""Media, only through here: blurred thumbnails, deliberate reveals, short-lived view tokens.

A reveal needs a reason and is audited (who, when, why, for which case); it lasts for this
session until re-blurred or ``REVEAL_SECONDS`` pass, and the server counts it against the
daily exposure budget all that time (:mod:`amparo.web.exposure`). The sharp bytes are served
only to the signed-in user a view token names, for the item it names, while the item is
revealed and the budget lasts; serving them counts as viewing.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from amparo.audit import append_audit
from amparo.errors import EvidenceError
from amparo.media.decode import UndecodableImage
from amparo.store import tables
from amparo.store.evidence import EvidenceStore
from amparo.web.auth import Forbidden, SignedIn, Viewer
from amparo.web.exposure import (
    HEARTBEAT_SECONDS,
    ExposureState,
    exposure_state,
    start_viewing,
    stop_viewing,
)
from amparo.web.preferences import Treatment, media_categories, treatment
from amparo.web.render import now_of, render, workspace_of
from amparo.web.thumbnails import blurred_thumbnail, grey_view

REVEAL_SECONDS = 15 * 60
MAX_REVEALED = 24
MAX_REASON = 500
REVEALED_KEY = "revealed"
VIEWING_KEY = "viewing_key"  # names this session's exposure intervals
INLINE_TYPES = frozenset({
    "image/jpeg", "image/png", "image/gif", "image/webp", "image/bmp",
    "video/mp4", "video/webm", "video/ogg", "video/quicktime",
})  # fmt: skip
NO_STORE = {"cache-control": "no-store", "x-content-type-options": "nosniff"}
_SHA256 = re.compile("[0-9a-f]{64}")

router = APIRouter()


# --- what the session has revealed -------------------------------------------------------


def revealed_items(request: Request) -> dict[str, float]:
    """The items revealed in this session and still within their time, newest last."""
    now = now_of(request).timestamp()
    items = request.session.get(REVEALED_KEY) or {}
    live = {sha: at for sha, at in items.items() if now - at < REVEAL_SECONDS}
    if live != items:
        request.session[REVEALED_KEY] = live
    return live


def _remember(request: Request, sha256: str) -> None:
    items = revealed_items(request)
    items.pop(sha256, None)
    items[sha256] = now_of(request).timestamp()
    request.session[REVEALED_KEY] = dict(list(items.items())[-MAX_REVEALED:])


def forget_reveals(request: Request, sha256: str | None = None) -> None:
    items = revealed_items(request)
    request.session[REVEALED_KEY] = {} if sha256 is None else {
        sha: at for sha, at in items.items() if sha != sha256
    }  # fmt: skip


def viewing_key(request: Request) -> str:
    key = request.session.get(VIEWING_KEY)
    if not key:
        key = request.session[VIEWING_KEY] = secrets.token_hex(16)
    return str(key)


def reveal_ends(revealed_at: float) -> datetime:
    return datetime.fromtimestamp(revealed_at).astimezone() + timedelta(seconds=REVEAL_SECONDS)


def safe_back(path: str | None) -> str:
    """A local path to return to; anything else (another site, a scheme) becomes ``/``."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path


def media_items(
    request: Request, session: Session, viewer: Viewer, items: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Each item with the viewer's treatment, and a view token when it is revealed now."""
    budget, now = viewer.daily_budget_seconds, now_of(request)
    exhausted = exposure_state(session, viewer.id, budget, now).exhausted
    revealed = {} if exhausted else revealed_items(request)
    categories = media_categories(session, [item["id"] for item in items])
    tokens = request.app.state.view_tokens
    for item in items:
        item["categories"] = sorted(categories.get(item["id"], ()))
        item["treatment"] = treatment(viewer.preferences, item["categories"])
        item["revealed"] = item["sha256"] in revealed
        item["token"] = tokens.make(viewer.id, item["sha256"]) if item["revealed"] else None
    return items


# --- reading media -----------------------------------------------------------------------


def _media(request: Request, sha256: str) -> tables.Media:
    if not _SHA256.fullmatch(sha256):
        raise HTTPException(404, "no such item")
    with workspace_of(request).session() as session:
        media = session.scalar(select(tables.Media).where(tables.Media.sha256 == sha256))
    if media is None:
        raise HTTPException(404, "no such item")
    return media


def _treatment(request: Request, viewer: Viewer, media: tables.Media) -> Treatment:
    with workspace_of(request).session() as session:
        categories = media_categories(session, [media.id]).get(media.id, set())
    return treatment(viewer.preferences, categories)


@lru_cache(maxsize=512)
def _thumbnail(evidence: EvidenceStore, sha256: str, kind: str, level: str) -> bytes:
    """Blurred thumbnails are kept in this process's memory only, never written to disk."""
    data = evidence.read(sha256) if kind == "image" else b""
    return blurred_thumbnail(data, kind, level)


@router.get("/media/{sha256}/thumb")
def thumbnail(request: Request, viewer: SignedIn, sha256: str) -> Response:
    media = _media(request, sha256)
    level = _treatment(request, viewer, media).thumbnail
    try:
        body = _thumbnail(workspace_of(request).evidence, sha256, media.kind, level)
    except EvidenceError as error:
        raise HTTPException(410, "the stored file cannot be read") from error
    return Response(body, media_type="image/jpeg", headers=NO_STORE)


@router.get("/media/{sha256}/view")
def view(request: Request, viewer: SignedIn, sha256: str, token: str = "") -> Response:
    """The sharp bytes, for a valid token, a live reveal and a budget not spent; counted."""
    if not request.app.state.view_tokens.valid(token, viewer.id, sha256):
        raise HTTPException(403, "no valid view token for this item")
    revealed_at = revealed_items(request).get(sha256)
    if revealed_at is None:
        raise HTTPException(403, "this item is not revealed")
    media = _media(request, sha256)
    now, key = now_of(request), viewing_key(request)
    with workspace_of(request).session() as session:
        if exposure_state(session, viewer.id, viewer.daily_budget_seconds, now).exhausted:
            stop_viewing(session, viewer.id, key, now)
            raise HTTPException(403, "today's viewing budget is spent: ask a supervisor")
        start_viewing(session, viewer.id, key, sha256, now, reveal_ends(revealed_at))
    try:
        data = workspace_of(request).evidence.read(sha256)
    except EvidenceError as error:
        raise HTTPException(410, "the stored file cannot be read") from error
    return _view_response(data, media, _treatment(request, viewer, media))


def _view_response(data: bytes, media: tables.Media, treated: Treatment) -> Response:
    if treated.grey_reveal and media.kind == "image":
        try:
            return Response(grey_view(data), media_type="image/png", headers=NO_STORE)
        except UndecodableImage as error:
            raise HTTPException(415, str(error)) from error
    mime = (media.mime_type or "").lower()
    if mime in INLINE_TYPES:
        return Response(data, media_type=mime, headers=NO_STORE)
    attachment = {"content-disposition": f'attachment; filename="{media.sha256}"'}
    return Response(data, media_type="application/octet-stream", headers=NO_STORE | attachment)


# --- revealing and re-blurring ------------------------------------------------------------


@router.post("/media/{sha256}/reveal")
def reveal(
    request: Request,
    viewer: SignedIn,
    sha256: str,
    reason: str = Form(""),
    case: str = Form(""),
    back: str = Form("/"),
) -> Response:
    if not viewer.may_reveal:
        raise Forbidden
    _media(request, sha256)
    reason = reason.strip()[:MAX_REASON]
    if not reason:
        raise HTTPException(400, "a reveal needs a reason")
    case_id = int(case) if case.isdigit() else None
    detail: dict[str, Any] = {"reason": reason, "case": case_id}
    now, key = now_of(request), viewing_key(request)
    with workspace_of(request).session() as session:
        state = exposure_state(session, viewer.id, viewer.daily_budget_seconds, now)
        if state.exhausted:
            detail["why"] = "exposure budget reached"
        action = "reveal_refused" if state.exhausted else "reveal"
        append_audit(session, viewer.username, action, sha256, detail)
        if not state.exhausted:
            stop_viewing(session, viewer.id, key, now, sha256)  # a reveal again starts anew
            until = now + timedelta(seconds=REVEAL_SECONDS)
            start_viewing(session, viewer.id, key, sha256, now, until)
    if state.exhausted:
        return render(request, "exposure_blocked.html", {"state": state}, status_code=403)
    _remember(request, sha256)
    return RedirectResponse(f"{safe_back(back)}#item-{sha256[:16]}", status_code=303)


@router.get("/media/{sha256}/reblur")
def reblur(request: Request, viewer: SignedIn, sha256: str, back: str = "/") -> Response:
    forget_reveals(request, sha256)
    with workspace_of(request).session() as session:
        stop_viewing(session, viewer.id, viewing_key(request), now_of(request), sha256)
    return RedirectResponse(f"{safe_back(back)}#item-{sha256[:16]}", status_code=303)


@router.post("/exposure/heartbeat")
async def heartbeat(request: Request, viewer: SignedIn) -> Response:
    """The page's word on its revealed viewing: ``{"seconds": 0..30, "leaving": bool}``.

    ``leaving`` (the page was hidden or closed) ends this session's intervals now; a beat while
    the page shows revealed media keeps them running within each reveal's expiry. Neither adds
    time beyond the server's own count; a negative, oversized or malformed beat is refused.
    """
    body = await _json(request)
    seconds, leaving = body.get("seconds"), body.get("leaving", False)
    if type(seconds) is not int or not 0 <= seconds <= HEARTBEAT_SECONDS:
        raise HTTPException(400, f"seconds must be a whole number from 0 to {HEARTBEAT_SECONDS}")
    if type(leaving) is not bool:
        raise HTTPException(400, "leaving must be true or false")
    state = await run_in_threadpool(_beat, request, viewer, showing=seconds > 0 and not leaving)
    if state.exhausted:
        forget_reveals(request)
    return JSONResponse(state.document(), headers=NO_STORE)


def _beat(request: Request, viewer: Viewer, *, showing: bool) -> ExposureState:
    now, key, revealed = now_of(request), viewing_key(request), revealed_items(request)
    with workspace_of(request).session() as session:
        if showing:
            for sha256, revealed_at in revealed.items():
                start_viewing(session, viewer.id, key, sha256, now, reveal_ends(revealed_at))
        else:
            stop_viewing(session, viewer.id, key, now)
        state = exposure_state(session, viewer.id, viewer.daily_budget_seconds, now)
        if state.exhausted:
            stop_viewing(session, viewer.id, key, now)
        return state


async def _json(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError as error:
        raise HTTPException(400, "a heartbeat is a JSON object") from error
    if not isinstance(body, dict):
        raise HTTPException(400, "a heartbeat is a JSON object")
    return body
