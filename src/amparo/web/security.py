"""Safe web basics: password hashes, CSRF tokens, media view tokens, the session secret,
sign-in limits per client address and the security headers of every response."""

from __future__ import annotations

import hmac
import os
import secrets
import threading
import time
from collections import defaultdict, deque
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from amparo.errors import WorkspaceError

SECRET_FILE = "web-session.key"
CSRF_KEY = "csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
VIEW_TOKEN_SECONDS = 300
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "media-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}

_hasher = PasswordHasher()
# Verified against when the user name is unknown, so that both failures take as long.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


# --- passwords ---------------------------------------------------------------------------


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; an unknown user (``None``) costs the same and fails."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


# --- the session secret ------------------------------------------------------------------


def session_secret(workspace_root: Path) -> str:
    """The workspace's secret for signing sessions and tokens, made once (file mode 0600)."""
    path = workspace_root / SECRET_FILE
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_secret(path)
    except OSError as error:
        raise WorkspaceError(f"cannot create the session secret {path}: {error}") from error
    with os.fdopen(descriptor, "w", encoding="ascii") as out:
        out.write(secrets.token_urlsafe(48))
    return _read_secret(path)


def _read_secret(path: Path) -> str:
    try:
        secret = path.read_text(encoding="ascii").strip()
    except OSError as error:
        raise WorkspaceError(f"cannot read the session secret {path}: {error}") from error
    if len(secret) < 32:
        raise WorkspaceError(f"the session secret {path} is too short; delete it to make a new one")
    return secret


# --- CSRF --------------------------------------------------------------------------------


def csrf_token(request: Request) -> str:
    """The session's CSRF token (made on first use)."""
    token = request.session.get(CSRF_KEY)
    if not token:
        token = request.session[CSRF_KEY] = secrets.token_urlsafe(32)
    return token


async def csrf_ok(request: Request) -> bool:
    """Whether a POST carries its session's CSRF token (form field or ``X-CSRF-Token``)."""
    expected = request.session.get(CSRF_KEY)
    given = request.headers.get(CSRF_HEADER)
    if given is None and _is_form(request):
        value = (await request.form()).get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    return bool(expected and given) and hmac.compare_digest(str(expected), str(given))


def _is_form(request: Request) -> bool:
    kind = request.headers.get("content-type", "")
    return kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data"))


# --- media view tokens -------------------------------------------------------------------


class ViewTokens:
    """Short-lived signed tokens naming one user and one item: the only way to the bytes."""

    def __init__(self, secret: str, max_age: int = VIEW_TOKEN_SECONDS) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="amparo.media.view")
        self.max_age = max_age

    def make(self, user_id: int, sha256: str) -> str:
        return self._serializer.dumps({"u": user_id, "m": sha256})

    def valid(self, token: str | None, user_id: int, sha256: str) -> bool:
        if not token:
            return False
        try:
            payload = self._serializer.loads(token, max_age=self.max_age)
        except BadSignature:
            return False
        return payload == {"u": user_id, "m": sha256}


# --- sign-in limits per client address -----------------------------------------------------


class AttemptLimiter:
    """At most ``limit`` failed sign-ins from one address within ``window`` seconds."""

    def __init__(self, limit: int = 20, window: float = 900.0) -> None:
        self.limit, self.window = limit, window
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def blocked(self, address: str) -> bool:
        with self._lock:
            return len(self._recent(address)) >= self.limit

    def failed(self, address: str) -> None:
        with self._lock:
            self._recent(address).append(time.monotonic())

    def _recent(self, address: str) -> deque[float]:
        failures = self._failures[address]
        while failures and failures[0] < time.monotonic() - self.window:
            failures.popleft()
        return failures


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


# --- headers -----------------------------------------------------------------------------


class SecurityHeaders:
    """Adds the security headers to every response, and ``no-store`` to all but static files."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", [])]
                names = {k.decode("latin-1").lower() for k, _ in headers}
                for name, value in HEADERS.items():
                    if name not in names:
                        headers.append((name.encode(), value.encode()))
                if not static and "cache-control" not in names:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
