"""Rendering pages: the Jinja2 environment and what every page's context holds."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from starlette.responses import Response

from amparo.model import instant
from amparo.web.exposure import ExposureState, exposure_state
from amparo.web.security import csrf_token
from amparo.workspace import Workspace


def make_templates() -> Jinja2Templates:
    environment = Environment(
        loader=PackageLoader("amparo.web", "templates"),
        autoescape=select_autoescape(["html", "j2"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["keyurl"] = key_url
    environment.filters["when"] = when
    environment.filters["duration"] = duration
    environment.filters["evidence"] = evidence
    return Jinja2Templates(env=environment)


def key_url(key: str) -> str:
    """A store key (``platform:group``, ``new:<sha256>``) as one URL path segment."""
    return quote(key, safe="")


def when(moment: datetime | None) -> str:
    if moment is None:
        return "time unknown"
    return (instant(moment) or "").replace("T", " ").replace("Z", " UTC")


def duration(seconds: int | float | None) -> str:
    total = int(seconds or 0)
    hours, rest = divmod(total, 3600)
    return f"{hours} h {rest // 60:02d} min" if hours else f"{rest // 60} min {rest % 60:02d} s"


def evidence(items: Any, shown: int = 4) -> Markup:
    """Location evidence (dicts of what each source said) as a short list, the rest counted."""
    items = list(items or [])
    lines = [_evidence_line(item) for item in items[:shown]]
    if len(items) > shown:
        lines.append(f"and {len(items) - shown} more")
    return Markup('<ul class="evidence">{}</ul>').format(
        Markup("").join(Markup("<li>{}</li>").format(line) for line in lines)
    )


def _evidence_line(item: Any) -> str:
    if not isinstance(item, dict):
        return str(item)
    return ", ".join(f"{key} {value}" for key, value in item.items() if value not in (None, ""))


def workspace_of(request: Request) -> Workspace:
    return request.app.state.workspace


def now_of(request: Request) -> datetime:
    """The app's clock (UTC): what exposure is counted by."""
    return request.app.state.clock()


def render(
    request: Request, name: str, context: dict[str, Any], *, status_code: int = 200
) -> Response:
    """The template ``name`` with the viewer, the CSRF token and the exposure banner."""
    viewer = getattr(request.state, "viewer", None)
    common = {
        "viewer": viewer,
        "csrf_token": csrf_token(request),
        "exposure": banner_state(request, viewer) if viewer is not None else None,
    }
    return request.app.state.templates.TemplateResponse(
        request, name, common | context, status_code=status_code
    )


def banner_state(request: Request, viewer: Any) -> ExposureState:
    """The viewer's exposure today, for the banner every page shows past the warning mark."""
    with workspace_of(request).session() as session:
        return exposure_state(session, viewer.id, viewer.daily_budget_seconds, now_of(request))
