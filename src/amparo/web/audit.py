"""The audit view: the trail of who did what (reveals with their reasons first among them),
newest first, with the chain, its MACs and its anchor file checked on every visit.
Supervisors and auditors only."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from amparo.audit import audit_count, verify_audit
from amparo.store import tables
from amparo.web.auth import Overseer
from amparo.web.render import render, workspace_of

PAGE_SIZE = 500
AE = tables.AuditEvent

router = APIRouter()


@router.get("/audit")
def audit_view(
    request: Request,
    viewer: Overseer,
    actor: str = "",
    action: str = "",
    target: str = "",
) -> Response:
    query = select(AE).order_by(AE.id.desc()).limit(PAGE_SIZE)
    for column, value in ((AE.actor, actor), (AE.action, action), (AE.target, target)):
        if value.strip():
            query = query.where(column == value.strip())
    with workspace_of(request).session() as session:
        verdict = verify_audit(session)
        context = {
            "events": session.scalars(query).all(),
            "total": audit_count(session),
            "chain_ok": verdict.ok,
            "first_bad": verdict.first_bad,
            "verdict": verdict,
            "filters": {"actor": actor, "action": action, "target": target},
        }
    return render(request, "audit.html", context)
