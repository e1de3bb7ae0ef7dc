"""Safe web basics: password hashes, CSRF tokens, media view tokens, the session secret,
sign-in limits per client address (forwarded headers believed only from configured proxies)
and the security headers of every response."""

from __future__ import annotations

import hmac
import ipaddress
import os
import secrets
import threading
import time
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping
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
    """The client's address: the peer's, or what a configured proxy says it forwarded for."""
    peer = request.client.host if request.client else "unknown"
    proxies: TrustedProxies = getattr(request.app.state, "trusted_proxies", NO_PROXIES)
    return proxies.client_of(peer, request.headers)


class TrustedProxies:
    """The proxies (addresses or networks) whose ``Forwarded`` / ``X-Forwarded-For`` headers
    are believed. From anyone else those headers are ignored, so rotating them does not change
    the address the sign-in limit counts. Behind trusted proxies the client is the nearest
    address, walking the chain from the right, that is not itself a trusted proxy: entries a
    client wrote on the left cannot move it."""

    def __init__(self, proxies: Iterable[str] = ()) -> None:
        self.networks = tuple(_network(proxy) for proxy in proxies)

    def trusts(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.networks)

    def client_of(self, peer: str, headers: Mapping[str, str]) -> str:
        if not self.trusts(peer):
            return peer
        nearest = peer
        for hop in reversed(forwarded_chain(headers)):
            if not _is_address(hop):
                return nearest  # obfuscated or garbled: the last proxy we trust is all we know
            if not self.trusts(hop):
                return hop
            nearest = hop
        return nearest


NO_PROXIES = TrustedProxies()


def forwarded_chain(headers: Mapping[str, str]) -> list[str]:
    """The addresses a request says it was forwarded for, oldest first: RFC 7239 ``Forwarded``
    (its ``for=`` parameters) when present, else ``X-Forwarded-For``."""
    forwarded = ",".join(_header_values(headers, "forwarded"))
    if forwarded.strip():
        return [_forwarded_for(element) for element in forwarded.split(",")]
    chain = ",".join(_header_values(headers, "x-forwarded-for"))
    return [hop.strip() for hop in chain.split(",") if hop.strip()]


def _header_values(headers: Mapping[str, str], name: str) -> list[str]:
    getlist = getattr(headers, "getlist", None)
    if getlist is not None:
        return list(getlist(name))
    value = headers.get(name)
    return [value] if value is not None else []


def _forwarded_for(element: str) -> str:
    """The node of one ``Forwarded`` element's ``for=`` (port and brackets removed), or ""."""
    for pair in element.split(";"):
        key, _, value = pair.strip().partition("=")
        if key.strip().lower() == "for":
            node = value.strip().strip('"')
            if node.startswith("["):
                return node[1:].partition("]")[0]
            return node.partition(":")[0] if node.count(":") == 1 else node
    return ""


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _network(proxy: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    try:
        return ipaddress.ip_network(proxy.strip(), strict=False)
    except ValueError as error:
        raise ValueError(f"{proxy!r} is not an IP address or network (e.g. 10.0.0.2)") from error


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
