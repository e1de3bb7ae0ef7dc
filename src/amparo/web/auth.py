"""Users, signing in and out, and who may open what.

Passwords are argon2 hashes. Five failed sign-ins lock a user for 15 minutes; an address with
too many failures is refused for a while too. The message never says whether the user name or
the password was wrong, nor that a user is locked. Every sign-in, failure and lock is audited.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from amparo.audit import append_audit
from amparo.errors import UnknownReference
from amparo.store import tables
from amparo.web.render import render, workspace_of
from amparo.web.security import (
    check_password,
    client_address,
    csrf_token,
    hash_password,
)

ANALYST, SUPERVISOR, AUDITOR = "analyst", "supervisor", "auditor"
ROLES = (ANALYST, SUPERVISOR, AUDITOR)
DEFAULT_BUDGET_SECONDS = 4 * 3600
MAX_FAILURES = 5
LOCK_TIME = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 12
USER_KEY = "user_id"
SINCE_KEY = "since"  # when this session signed in (epoch seconds)
SIGNED_OUT_KEY = "signed_out_at"  # in User.preferences: sessions older than this are void
SESSION_LIFETIME = 12 * 3600  # seconds, however active the session
SIGN_IN_FAILED = (
    "Sign-in failed. Check the user name and the password. "
    "After repeated failures signing in is paused for 15 minutes."
)
TOO_MANY = "Too many failed sign-ins from this address. Wait 15 minutes and try again."
PUBLIC_PATHS = frozenset({"/login"})

router = APIRouter()


class SignInRequired(Exception):
    """No signed-in user: pages go to /login, media answer 401."""


class Forbidden(Exception):
    """The signed-in user's role may not do this."""


@dataclass(frozen=True)
class Viewer:
    """The signed-in user, detached from the database session."""

    id: int
    username: str
    role: str
    daily_budget_seconds: int
    preferences: dict[str, Any] = field(default_factory=dict)

    @property
    def may_reveal(self) -> bool:
        return self.role in (ANALYST, SUPERVISOR)

    @property
    def may_edit(self) -> bool:
        return self.role in (ANALYST, SUPERVISOR)

    @property
    def may_audit(self) -> bool:
        return self.role in (SUPERVISOR, AUDITOR)


# --- users -------------------------------------------------------------------------------


def create_user(session: Session, username: str, password: str, role: str) -> tables.User:
    """Add a user; refuses an unknown role, a taken name or a short password."""
    username = username.strip()
    if role not in ROLES:
        raise UnknownReference(f"no role {role!r}; roles are: {', '.join(ROLES)}")
    if not username or len(username) > 80 or any(c.isspace() for c in username):
        raise UnknownReference("a user name is 1 to 80 characters without spaces")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UnknownReference(f"a password has at least {MIN_PASSWORD_LENGTH} characters")
    if session.scalar(select(tables.User.id).where(tables.User.username == username)):
        raise UnknownReference(f"there is already a user {username!r}")
    user = tables.User(
        username=username, password_hash=hash_password(password), role=role,
        created_at=datetime.now(UTC), disabled=False, failed_logins=0, locked_until=None,
        daily_budget_seconds=DEFAULT_BUDGET_SECONDS, preferences={},
    )  # fmt: skip
    session.add(user)
    session.flush()
    append_audit(session, "cli", "user_created", username, {"role": role})
    return user


def find_user(session: Session, username: str) -> tables.User | None:
    return session.scalar(select(tables.User).where(tables.User.username == username))


def viewer_of(user: tables.User) -> Viewer:
    return Viewer(
        user.id, user.username, user.role, user.daily_budget_seconds, dict(user.preferences or {})
    )


def authenticate(
    session: Session, username: str, password: str, address: str
) -> tables.User | None:
    """The user when the password is right and the user is neither disabled nor locked."""
    user = find_user(session, username)
    now = datetime.now(UTC)
    usable = user if user is not None and not user.disabled else None
    locked = usable is not None and usable.locked_until is not None and usable.locked_until > now
    right = check_password(usable.password_hash if usable is not None else None, password)
    if user is not None and right and not locked:
        user.failed_logins, user.locked_until = 0, None
        append_audit(session, user.username, "sign_in", user.username, {"address": address})
        return user
    _count_failure(session, user, now, address, locked=locked)
    return None


def _count_failure(
    session: Session, user: tables.User | None, now: datetime, address: str, *, locked: bool
) -> None:
    detail = {"address": address, "known_user": user is not None, "while_locked": locked}
    known_name = user.username if user is not None else None
    append_audit(session, "anonymous", "sign_in_failed", known_name, detail)
    if user is None or locked:
        return
    user.failed_logins += 1
    if user.failed_logins >= MAX_FAILURES:
        user.failed_logins, user.locked_until = 0, now + LOCK_TIME
        append_audit(
            session, "system", "user_locked", user.username, {"until": str(now + LOCK_TIME)}
        )


# --- dependencies ------------------------------------------------------------------------


def load_viewer(request: Request) -> None:
    """Global dependency: put the signed-in user on ``request.state`` (or refuse)."""
    request.state.viewer = None
    user_id, since = request.session.get(USER_KEY), request.session.get(SINCE_KEY, 0)
    if user_id is not None and time.time() - since < SESSION_LIFETIME:
        with workspace_of(request).session() as session:
            user = session.get(tables.User, user_id)
            if user is not None and _session_valid(user, since):
                request.state.viewer = viewer_of(user)
    if request.state.viewer is None and request.url.path not in PUBLIC_PATHS:
        request.session.pop(USER_KEY, None)
        raise SignInRequired


def _session_valid(user: tables.User, since: float) -> bool:
    """The user may sign in, and has not signed out (everywhere) since this session began."""
    if user.disabled:
        return False
    return since > float((user.preferences or {}).get(SIGNED_OUT_KEY, 0))


def current_viewer(request: Request) -> Viewer:
    viewer: Viewer | None = getattr(request.state, "viewer", None)
    if viewer is None:
        raise SignInRequired
    return viewer


def require_roles(*roles: str) -> Any:
    def check(viewer: Annotated[Viewer, Depends(current_viewer)]) -> Viewer:
        if viewer.role not in roles:
            raise Forbidden
        return viewer

    return check


SignedIn = Annotated[Viewer, Depends(current_viewer)]
Supervisor = Annotated[Viewer, Depends(require_roles(SUPERVISOR))]
Overseer = Annotated[Viewer, Depends(require_roles(SUPERVISOR, AUDITOR))]


# --- routes ------------------------------------------------------------------------------


@router.get("/login")
def login_page(request: Request) -> Response:
    return render(request, "login.html", {"message": None})


@router.post("/login")
def login(request: Request, username: str = Form(""), password: str = Form("")) -> Response:
    limiter, address = request.app.state.limiter, client_address(request)
    if limiter.blocked(address):
        return render(request, "login.html", {"message": TOO_MANY}, status_code=429)
    with workspace_of(request).session() as session:
        user = authenticate(session, username.strip(), password, address)
        user_id = user and user.id
    if user_id is None:
        limiter.failed(address)
        return render(request, "login.html", {"message": SIGN_IN_FAILED}, status_code=401)
    request.session.clear()  # a new session at each sign-in (no fixation)
    request.session[USER_KEY] = user_id
    request.session[SINCE_KEY] = time.time()
    csrf_token(request)
    return RedirectResponse("/", status_code=303)


@router.post("/logout")
def logout(request: Request, viewer: SignedIn) -> Response:
    """Sign out: this session's cookie is cleared and every session of the user made void."""
    with workspace_of(request).session() as session:
        user = session.get_one(tables.User, viewer.id)
        user.preferences = dict(user.preferences or {}) | {SIGNED_OUT_KEY: time.time()}
        append_audit(session, viewer.username, "sign_out", viewer.username, {})
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
