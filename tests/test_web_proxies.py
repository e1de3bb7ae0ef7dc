"""Forwarded headers (X-Forwarded-For, Forwarded) are believed only from configured proxies
(`amparo serve --trusted-proxy`), so rotating them cannot dodge the per-address sign-in limit;
behind a trusted proxy the client is the nearest untrusted address from the right."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import lxml.html
import pytest
from click.testing import CliRunner
from fastapi import FastAPI
from fastapi.testclient import TestClient

from amparo.cli import main
from amparo.web.security import AttemptLimiter, TrustedProxies
from amparo.workspace import Workspace
from tests.test_web import add_user, audit_events, make_app

PEER = ("10.0.0.5", 50000)


def sign_in(client: TestClient | httpx.Client, headers: dict[str, str], user: str = "ana") -> int:
    page = lxml.html.fromstring(client.get("/login").text)
    token = page.xpath("//meta[@name='csrf-token']/@content")[0]
    form = {"username": user, "password": "wrong, very wrong", "csrf_token": token}
    return client.post("/login", data=form, headers=headers, follow_redirects=False).status_code


def rotating(number: int) -> dict[str, str]:
    return {
        "X-Forwarded-For": f"198.51.100.{number}",
        "Forwarded": f"for=198.51.100.{number}",
        "X-Real-IP": f"198.51.100.{number}",
    }


def limited_app(workspace: Workspace, **options: object) -> FastAPI:
    add_user(workspace, "ana")
    app = make_app(workspace, **options)
    app.state.limiter = AttemptLimiter(limit=3, window=600)
    return app


def test_forwarded_headers_from_an_untrusted_peer_are_ignored(workspace: Workspace) -> None:
    client = TestClient(limited_app(workspace), client=PEER)
    assert [sign_in(client, rotating(n)) for n in range(4)] == [401, 401, 401, 429]
    addresses = {e.detail["address"] for e in audit_events(workspace, "sign_in_failed")}
    assert addresses == {"10.0.0.5"}


def test_behind_a_trusted_proxy_the_client_is_the_nearest_untrusted_hop(
    workspace: Workspace,
) -> None:
    """What a client writes on the left of the chain does not move it."""
    app = limited_app(workspace, trusted_proxies=["10.0.0.0/24"])
    client = TestClient(app, client=PEER)
    spoofed = [{"X-Forwarded-For": f"192.0.2.{n}, 203.0.113.7, 10.0.0.9"} for n in range(4)]
    assert [sign_in(client, headers) for headers in spoofed] == [401, 401, 401, 429]
    assert sign_in(client, {"X-Forwarded-For": "203.0.113.8"}) == 401, "another client"
    addresses = [e.detail["address"] for e in audit_events(workspace, "sign_in_failed")]
    assert addresses == ["203.0.113.7"] * 3 + ["203.0.113.8"]


@pytest.mark.parametrize(
    ("peer", "headers", "client"),
    [
        ("10.0.0.5", {"forwarded": 'for="[2001:db8::1]:4711";proto=https'}, "2001:db8::1"),
        ("10.0.0.5", {"forwarded": "for=192.0.2.60:8080, for=10.0.0.2"}, "192.0.2.60"),
        ("10.0.0.5", {"forwarded": "for=_hidden, for=10.0.0.2"}, "10.0.0.2"),
        ("10.0.0.5", {"forwarded": "for=192.0.2.1", "x-forwarded-for": "192.0.2.99"}, "192.0.2.1"),
        ("10.0.0.5", {"x-forwarded-for": "garbage"}, "10.0.0.5"),
        ("10.0.0.5", {}, "10.0.0.5"),
        ("192.0.2.200", {"x-forwarded-for": "192.0.2.1"}, "192.0.2.200"),
    ],
)
def test_forwarded_chains(peer: str, headers: dict[str, str], client: str) -> None:
    assert TrustedProxies(["10.0.0.0/24"]).client_of(peer, headers) == client


def test_serve_refuses_a_trusted_proxy_that_is_not_an_address(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["-w", str(tmp_path), "serve", "--trusted-proxy", "proxy.example"]
    )
    assert result.exit_code == 2 and "not an IP address or network" in result.output


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_served_app_ignores_forwarded_headers_from_localhost(tmp_path: Path) -> None:
    """The real server (uvicorn): its own proxy-header handling, which believes 127.0.0.1, is
    off; 21 failures from one address, each claiming another, reach the limit (20)."""
    port = free_port()
    command = [sys.executable, "-c", "from amparo.cli import main; main()",
               "-w", str(tmp_path / "ws"), "serve", "--port", str(port)]  # fmt: skip
    env = os.environ | {"AMPARO_DATABASE_URL": f"sqlite:///{tmp_path / 'served.db'}"}
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            wait_until_serving(client, server)
            codes = [sign_in(client, rotating(n)) for n in range(21)]
        assert codes == [401] * 20 + [429]
    finally:
        server.terminate()
        server.wait(timeout=30)


def wait_until_serving(client: httpx.Client, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
        try:
            client.get("/login")
            return
        except httpx.TransportError:
            time.sleep(0.2)
    pytest.fail("amparo serve did not start within two minutes")
