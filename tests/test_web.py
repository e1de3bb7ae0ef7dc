"""The web workspace's safe basics: sign-in, lockouts, CSRF, sessions, headers, roles.

Also the helpers the other web tests import: an app on a workspace, users, signed-in clients,
generated (benign) pictures stored as media.
"""

from __future__ import annotations

import io
import os
import re
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import lxml.html
import numpy as np
import pytest
from click.testing import CliRunner
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select

from amparo.cli import main
from amparo.store import tables
from amparo.store.evidence import digest_bytes
from amparo.web.app import SESSION_COOKIE, create_app
from amparo.web.auth import SIGN_IN_FAILED, create_user, find_user
from amparo.web.security import SECRET_FILE, AttemptLimiter, check_password
from amparo.workspace import Workspace, open_workspace

PASSWORD = "correct horse battery staple"
SECRET = "web-tests-secret-" * 3
PAGES = ["/", "/cases", "/cases?level=urgent", "/cases/1", "/audit", "/users", "/preferences",
         "/series/new%3Aabc", "/groups/photonet%3Agroup-1"]  # fmt: skip


# --- helpers (imported by the other web tests) ---------------------------------------------


def make_app(workspace: Workspace, **options: object) -> FastAPI:
    return create_app(workspace, secure_cookies=False, session_secret=SECRET, **options)  # type: ignore[arg-type]


def add_user(workspace: Workspace, username: str, role: str = "analyst") -> None:
    with workspace.session() as session:
        create_user(session, username, PASSWORD, role)


def page(response: object) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(response.text)  # type: ignore[attr-defined]


def has_class(name: str) -> str:
    """An XPath predicate: the element's class list holds ``name``."""
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


def csrf(client: TestClient, path: str = "/login") -> str:
    tree = page(client.get(path))
    token = tree.xpath("//meta[@name='csrf-token']/@content")
    return token[0]


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> object:
    token = csrf(client)
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=False,
    )


def client_for(app: FastAPI, username: str) -> TestClient:
    client = TestClient(app)
    response = sign_in(client, username)
    assert response.status_code == 303, response.text  # type: ignore[attr-defined]
    return client


def picture_bytes(seed: int, size: int = 256) -> bytes:
    """A benign, detailed colour picture: stripes, a checkerboard and seeded noise (PNG)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size]
    checker = ((x // 8 + y // 8) % 2) * 120
    stripes = (np.sin(x / 2.0) * 60 + 60).astype(int)
    noise = rng.integers(0, 70, (size, size))
    red = np.clip(checker + noise, 0, 255)
    green = np.clip(stripes + noise, 0, 255)
    blue = np.clip(255 - checker - noise, 0, 255)
    pixels = np.dstack([red, green, blue]).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(out, format="PNG")
    return out.getvalue()


def add_picture(workspace: Workspace, seed: int = 1, status: str | None = "new") -> str:
    """Store a generated picture as evidence and as a media row; returns its SHA-256."""
    data = picture_bytes(seed)
    digest = workspace.evidence.put_bytes(data)
    with workspace.session() as session:
        session.add(
            tables.Media(
                sha256=digest.sha256, md5=digest.md5, sha1=digest.sha1, size=digest.size,
                kind="image", mime_type="image/png", width=256, height=256, status=status,
            )
        )  # fmt: skip
    assert digest_bytes(data).sha256 == digest.sha256
    return digest.sha256


def user(workspace: Workspace, username: str) -> tables.User:
    with workspace.session() as session:
        found = find_user(session, username)
        assert found is not None
        return found


def audit_events(workspace: Workspace, action: str) -> list[tables.AuditEvent]:
    with workspace.session() as session:
        query = select(tables.AuditEvent).where(tables.AuditEvent.action == action)
        return list(session.scalars(query.order_by(tables.AuditEvent.id)))


@pytest.fixture
def app(workspace: Workspace) -> FastAPI:
    add_user(workspace, "ana", "analyst")
    add_user(workspace, "sam", "supervisor")
    add_user(workspace, "aud", "auditor")
    return make_app(workspace)


# --- anonymous visitors ----------------------------------------------------------------------


def test_an_anonymous_page_request_goes_to_login(app: FastAPI) -> None:
    client = TestClient(app)
    for path in PAGES:
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"] == "/login"


def test_anonymous_media_requests_get_401_never_bytes(app: FastAPI, workspace: Workspace) -> None:
    sha256 = add_picture(workspace)
    client = TestClient(app)
    for suffix in ("thumb", "view", "view?token=x", "reblur"):
        response = client.get(f"/media/{sha256}/{suffix}", follow_redirects=False)
        assert response.status_code == 401, suffix
        assert not response.headers["content-type"].startswith("image/")
        assert b"PNG" not in response.content


# --- signing in --------------------------------------------------------------------------


def test_sign_in_lands_on_the_dashboard_and_sign_out_ends_the_session(app: FastAPI) -> None:
    client = TestClient(app)
    login = page(client.get("/login"))
    form = login.xpath("//form[@id='login']")[0]
    assert form.xpath(".//input[@name='username'] and .//input[@name='password']")
    assert form.xpath(".//input[@type='hidden'][@name='csrf_token']/@value")[0]
    assert form.xpath(".//button[@type='submit']")
    response = sign_in(client, "ana")
    assert response.status_code == 303 and response.headers["location"] == "/"
    dashboard = client.get("/")
    assert dashboard.status_code == 200
    assert page(dashboard).xpath("//section[@id='queue']")
    token = csrf(client, "/")
    out = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert client.get("/", follow_redirects=False).status_code == 303


def test_signing_out_voids_the_users_other_sessions(app: FastAPI) -> None:
    first, second = client_for(app, "ana"), client_for(app, "ana")
    stolen = dict(first.cookies)
    first.post("/logout", data={"csrf_token": csrf(first, "/")})
    assert second.get("/", follow_redirects=False).status_code == 303
    replay = TestClient(app)
    replay.cookies.update(stolen)
    assert replay.get("/", follow_redirects=False).status_code == 303, "an old cookie is void"
    assert client_for(app, "ana").get("/").status_code == 200


def test_a_wrong_password_is_refused_counted_and_worded_like_an_unknown_user(
    app: FastAPI, workspace: Workspace
) -> None:
    client = TestClient(app)
    wrong = sign_in(client, "ana", "not the password at all")
    unknown = sign_in(client, "nobody", PASSWORD)
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert SIGN_IN_FAILED in response.text
        assert SESSION_COOKIE not in client.cookies or "user_id" not in response.text
    assert user(workspace, "ana").failed_logins == 1
    failures = audit_events(workspace, "sign_in_failed")
    assert [e.target for e in failures] == ["ana", None]
    assert client.get("/", follow_redirects=False).status_code == 303


def test_five_failures_lock_the_user_for_a_while(app: FastAPI, workspace: Workspace) -> None:
    client = TestClient(app)
    for _ in range(5):
        assert sign_in(client, "ana", "wrong password, again").status_code == 401
    locked = user(workspace, "ana")
    assert locked.locked_until is not None
    assert locked.locked_until > datetime.now(UTC) + timedelta(minutes=14)
    refused = sign_in(client, "ana")
    assert refused.status_code == 401 and SIGN_IN_FAILED in refused.text
    assert audit_events(workspace, "user_locked")[0].target == "ana"
    with workspace.session() as session:
        find_user(session, "ana").locked_until = datetime.now(UTC) - timedelta(seconds=1)
    assert sign_in(client, "ana").status_code == 303
    assert user(workspace, "ana").failed_logins == 0


def test_an_address_with_many_failures_is_refused_even_the_right_password(app: FastAPI) -> None:
    app.state.limiter = AttemptLimiter(limit=3, window=600)
    client = TestClient(app)
    for name in ("x1", "x2", "x3"):
        assert sign_in(client, name, "guess").status_code == 401
    response = sign_in(client, "ana")
    assert response.status_code == 429
    assert client.get("/", follow_redirects=False).status_code == 303


def test_passwords_are_argon2_hashes(app: FastAPI, workspace: Workspace) -> None:
    stored = user(workspace, "ana").password_hash
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert check_password(stored, PASSWORD) and not check_password(stored, PASSWORD + "!")


# --- CSRF --------------------------------------------------------------------------------


def test_every_post_needs_the_csrf_token(app: FastAPI, workspace: Workspace) -> None:
    sha256 = add_picture(workspace)
    anonymous = TestClient(app)
    anonymous.get("/login")
    login = {"username": "ana", "password": PASSWORD}
    assert anonymous.post("/login", data=login).status_code == 403
    assert anonymous.post("/login", data=login | {"csrf_token": "forged"}).status_code == 403
    client = client_for(app, "ana")
    posts = [
        ("/logout", {}),
        (f"/media/{sha256}/reveal", {"reason": "check"}),
        ("/preferences", {}),
        ("/cases/1/status", {"status": "closed"}),
        ("/users/ana/release", {}),
    ]
    for path, data in posts:
        assert client.post(path, data=data).status_code == 403, path
        assert client.post(path, data=data | {"csrf_token": "forged"}).status_code == 403, path
    assert client.post("/exposure/heartbeat", json={"seconds": 30}).status_code == 403
    forged = {"X-CSRF-Token": "forged"}
    assert client.post("/exposure/heartbeat", json={}, headers=forged).status_code == 403
    assert client.get("/", follow_redirects=False).status_code == 200, "still signed in"


# --- sessions and headers ----------------------------------------------------------------


def test_security_headers_and_cookie_flags(workspace: Workspace) -> None:
    add_user(workspace, "ana")
    sha256 = add_picture(workspace)
    secure = create_app(workspace, secure_cookies=True, session_secret=SECRET)
    client = TestClient(secure, base_url="https://testserver")
    response = client.get("/login")
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "secure" in cookie
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "DENY"
    assert "<script>" not in response.text, "no inline script"
    assert sign_in(client, "ana").status_code == 303
    thumb = client.get(f"/media/{sha256}/thumb")
    assert thumb.status_code == 200 and thumb.headers["cache-control"] == "no-store"
    assert thumb.headers["x-content-type-options"] == "nosniff"
    plain = TestClient(make_app(workspace)).get("/login")
    assert "secure" not in plain.headers["set-cookie"].lower()


def test_static_files_are_served_without_a_directory_listing(app: FastAPI) -> None:
    client = TestClient(app)
    for path in ("/static/", "/static", "/static/../", "/static/%2e%2e/app.py"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code in (303, 307, 404), path
        assert "network.js" not in response.text and "amparo.css" not in response.text
    script = client.get("/static/network.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert "circle" in script.text and "http" not in script.text.replace(NS_URL, "")


NS_URL = "http://www.w3.org/2000/svg"


def test_the_session_secret_is_made_once_and_kept_private(workspace: Workspace) -> None:
    add_user(workspace, "ana")
    first = create_app(workspace, secure_cookies=False)
    secret_file = workspace.root / SECRET_FILE
    assert stat.S_IMODE(os.stat(secret_file).st_mode) == 0o600
    client = client_for(first, "ana")
    again = TestClient(create_app(workspace, secure_cookies=False))
    again.cookies.update(client.cookies)
    assert again.get("/", follow_redirects=False).status_code == 200, "same secret, same session"
    assert len(secret_file.read_text().strip()) >= 32


# --- roles -------------------------------------------------------------------------------


def test_roles_decide_what_opens(app: FastAPI, workspace: Workspace) -> None:
    sha256 = add_picture(workspace)
    analyst, supervisor, auditor = (client_for(app, n) for n in ("ana", "sam", "aud"))
    assert analyst.get("/audit").status_code == 403
    assert analyst.get("/users").status_code == 403
    assert supervisor.get("/audit").status_code == 200
    assert supervisor.get("/users").status_code == 200
    assert auditor.get("/audit").status_code == 200
    assert auditor.get("/users").status_code == 403
    token = csrf(auditor, "/")
    reveal = {"reason": "an auditor may not", "csrf_token": token}
    assert auditor.post(f"/media/{sha256}/reveal", data=reveal).status_code == 403
    assert audit_events(workspace, "reveal") == []


# --- the command line --------------------------------------------------------------------


def test_users_add_from_the_command_line(tmp_path: Path, database_url: str) -> None:
    root = tmp_path / "ws"
    env = {"AMPARO_DATABASE_URL": database_url}
    runner = CliRunner()

    def add(name: str, password: str, role: str = "analyst") -> int:
        arguments = ["-w", str(root), "users", "add", name, "--role", role, "--password-stdin"]
        return runner.invoke(main, arguments, input=f"{password}\n", env=env).exit_code

    assert add("eva", PASSWORD, "supervisor") == 0
    assert add("eva", PASSWORD) == 1, "a taken name"
    assert add("short", "too short") == 1
    assert runner.invoke(main, ["-w", str(root), "users", "add", "x", "--role", "boss"]).exit_code
    workspace = open_workspace(root, database_url=database_url)
    try:
        made = user(workspace, "eva")
        assert made.role == "supervisor" and made.daily_budget_seconds == 4 * 3600
        assert check_password(made.password_hash, PASSWORD)
        assert re.match(r"\$argon2", made.password_hash)
        assert client_for(make_app(workspace), "eva").get("/").status_code == 200
    finally:
        workspace.close()


def test_serve_has_help() -> None:
    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0
    assert "--host" in result.output and "--port" in result.output
