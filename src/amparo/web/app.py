"""The web workspace: FastAPI, server-rendered pages, media only through authorised handlers.

Every route but ``/login`` and ``/static/`` needs a signed-in session; every POST needs the
session's CSRF token. Sessions are signed cookies (HttpOnly, SameSite=Strict, Secure unless
told otherwise) with the workspace's secret.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from amparo import __version__
from amparo.web import audit, auth, explore, media, pages, wellness
from amparo.web.auth import Forbidden, SignInRequired, load_viewer
from amparo.web.exposure import utc_now
from amparo.web.render import make_templates, render
from amparo.web.security import (
    AttemptLimiter,
    SecurityHeaders,
    TrustedProxies,
    ViewTokens,
    csrf_ok,
    session_secret,
)
from amparo.workspace import Workspace

STATIC = Path(__file__).with_name("static")
SESSION_COOKIE = "amparo_session"
SESSION_SECONDS = 8 * 3600
PLAIN_PREFIXES = ("/media/", "/exposure/")


async def check_csrf(request: Request) -> None:
    if request.method == "POST" and not await csrf_ok(request):
        raise HTTPException(403, "missing or wrong CSRF token: reload the page and try again")


def create_app(
    workspace: Workspace,
    *,
    secure_cookies: bool = True,
    session_secret: str | None = None,
    trusted_proxies: Iterable[str] = (),
    clock: Callable[[], datetime] = utc_now,
) -> FastAPI:
    """The web workspace. ``trusted_proxies``: the only peers whose forwarded headers are
    believed; ``clock``: the time exposure is counted by (tests step it)."""
    secret = session_secret or _workspace_secret(workspace)
    app = FastAPI(
        title="Amparo", version=__version__, docs_url=None, redoc_url=None, openapi_url=None,
        dependencies=[Depends(check_csrf), Depends(load_viewer)],
    )  # fmt: skip
    app.state.workspace = workspace
    app.state.templates = make_templates()
    app.state.view_tokens = ViewTokens(secret)
    app.state.limiter = AttemptLimiter()
    app.state.trusted_proxies = TrustedProxies(trusted_proxies)
    app.state.clock = clock
    for module in (auth, pages, media, explore, audit, wellness):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC, html=False), name="static")
    _add_handlers(app)
    app.add_middleware(
        SessionMiddleware, secret_key=secret, session_cookie=SESSION_COOKIE,
        max_age=SESSION_SECONDS, same_site="strict", https_only=secure_cookies,
    )  # fmt: skip
    app.add_middleware(SecurityHeaders)
    return app


def _workspace_secret(workspace: Workspace) -> str:
    return session_secret(workspace.root)


def _add_handlers(app: FastAPI) -> None:
    @app.exception_handler(SignInRequired)
    async def sign_in_required(request: Request, _error: SignInRequired) -> Response:
        if request.url.path.startswith(PLAIN_PREFIXES) or request.method != "GET":
            return PlainTextResponse("sign in first", status_code=401)
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, _error: Forbidden) -> Response:
        return _error_page(request, 403, "Your role may not open this.")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        return _error_page(request, error.status_code, str(error.detail))


def _error_page(request: Request, status: int, message: str) -> Response:
    if request.url.path.startswith(PLAIN_PREFIXES) or not hasattr(request.state, "viewer"):
        return PlainTextResponse(message, status_code=status)
    return render(request, "error.html", {"status": status, "message": message},
                  status_code=status)  # fmt: skip
