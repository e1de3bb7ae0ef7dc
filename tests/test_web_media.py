"""Least exposure in the web workspace: blurred grey thumbnails made on the server, audited
reveals, view tokens bound to user and item, the daily exposure budget and its release, and
each user's stronger defaults. Pictures are generated (benign)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select

from amparo.audit import verify_audit_chain
from amparo.store import tables
from amparo.web.exposure import exposure_state, today
from amparo.web.thumbnails import HIDDEN, placeholder
from amparo.workspace import Workspace
from tests.test_web import (
    add_picture,
    add_user,
    audit_events,
    client_for,
    csrf,
    has_class,
    make_app,
    page,
    picture_bytes,
    user,
)

REASON = "Compare with the series named in report 1 (test)"


@pytest.fixture
def app(workspace: Workspace) -> FastAPI:
    add_user(workspace, "ana", "analyst")
    add_user(workspace, "sam", "supervisor")
    return make_app(workspace)


def reveal(client: TestClient, sha256: str, reason: str = REASON, **extra: str) -> object:
    data = {"reason": reason, "csrf_token": csrf(client, "/"), "back": "/"} | extra
    return client.post(f"/media/{sha256}/reveal", data=data, follow_redirects=False)


def view_token(app: FastAPI, workspace: Workspace, username: str, sha256: str) -> str:
    return app.state.view_tokens.make(user(workspace, username).id, sha256)


def set_exposure(workspace: Workspace, username: str, seconds: int) -> None:
    with workspace.session() as session:
        user_id = session.scalar(select(tables.User.id).where(tables.User.username == username))
        session.add(tables.Exposure(user_id=user_id, day=today(), seconds=seconds))


def high_frequency_energy(picture: Image.Image) -> float:
    """Mean squared Laplacian of the grey picture: what fine detail there is."""
    grey = np.asarray(picture.convert("L"), dtype=float)
    laplacian = (
        grey[1:-1, :-2] + grey[1:-1, 2:] + grey[:-2, 1:-1] + grey[2:, 1:-1] - 4 * grey[1:-1, 1:-1]
    )
    return float(np.mean(laplacian**2))


# --- thumbnails --------------------------------------------------------------------------


def test_the_thumbnail_is_blurred_and_grey(app: FastAPI, workspace: Workspace) -> None:
    sha256 = add_picture(workspace, seed=3)
    response = client_for(app, "ana").get(f"/media/{sha256}/thumb")
    assert response.status_code == 200 and response.headers["content-type"] == "image/jpeg"
    thumb = Image.open(io.BytesIO(response.content))
    assert thumb.mode == "L", "greyscale"
    assert max(thumb.size) <= 200
    original = Image.open(io.BytesIO(picture_bytes(3))).resize(thumb.size, Image.Resampling.LANCZOS)
    sharp, blurred = high_frequency_energy(original), high_frequency_energy(thumb)
    assert blurred < 0.02 * sharp, (blurred, sharp)
    assert picture_bytes(3) not in response.content


def test_a_stronger_default_hides_the_thumbnail(app: FastAPI, workspace: Workspace) -> None:
    sha256 = add_picture(workspace, seed=4)
    client = client_for(app, "ana")
    standard = client.get(f"/media/{sha256}/thumb").content
    form = {"csrf_token": csrf(client, "/preferences"), "thumbnail:status:new": "hidden",
            "grey:all": "on", "thumbnail:all": "bogus"}  # fmt: skip
    assert client.post("/preferences", data=form, follow_redirects=False).status_code == 303
    assert user(workspace, "ana").preferences == {
        "categories": {
            "all": {"thumbnail": "standard", "grey_reveal": True},
            "status:new": {"thumbnail": "hidden", "grey_reveal": False},
        }
    }
    hidden = client.get(f"/media/{sha256}/thumb").content
    assert hidden == placeholder("image", HIDDEN) != standard, "no picture at all"
    settings = page(client.get("/preferences"))
    assert settings.xpath("//select[@name='thumbnail:status:new']/option[@selected]/@value") == [
        "hidden"
    ]
    assert reveal(client, sha256).status_code == 303
    shown = client.get(f"/media/{sha256}/view?token={view_token(app, workspace, 'ana', sha256)}")
    assert shown.status_code == 200 and shown.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(shown.content)).mode == "L", "revealed in grey, as asked"


# --- reveals and view tokens ------------------------------------------------------------


def test_the_view_url_needs_a_valid_token_for_this_user_and_a_reveal(
    app: FastAPI, workspace: Workspace
) -> None:
    sha256, other = add_picture(workspace, seed=5), add_picture(workspace, seed=6)
    ana, sam = client_for(app, "ana"), client_for(app, "sam")
    token = view_token(app, workspace, "ana", sha256)
    assert ana.get(f"/media/{sha256}/view").status_code == 403
    assert ana.get(f"/media/{sha256}/view?token=forged").status_code == 403
    assert ana.get(f"/media/{sha256}/view?token={token}").status_code == 403, "not revealed"
    assert reveal(ana, sha256).status_code == 303
    shown = ana.get(f"/media/{sha256}/view?token={token}")
    assert shown.status_code == 200 and shown.content == picture_bytes(5)
    assert shown.headers["cache-control"] == "no-store"
    assert ana.get(f"/media/{other}/view?token={token}").status_code == 403, "another item"
    assert sam.get(f"/media/{sha256}/view?token={token}").status_code == 403, "another user"
    app.state.view_tokens.max_age = -1
    assert ana.get(f"/media/{sha256}/view?token={token}").status_code == 403, "expired"
    app.state.view_tokens.max_age = 300
    ana.get(f"/media/{sha256}/reblur?back=/")
    assert ana.get(f"/media/{sha256}/view?token={token}").status_code == 403, "blurred again"


def test_a_reveal_is_audited_with_its_reason_and_the_chain_verifies(
    app: FastAPI, workspace: Workspace
) -> None:
    sha256 = add_picture(workspace)
    client = client_for(app, "ana")
    assert reveal(client, sha256, reason="   ").status_code == 400, "a reason is required"
    response = reveal(client, sha256, case="7", back="https://elsewhere.example/")
    assert response.status_code == 303
    assert response.headers["location"] == f"/#item-{sha256[:16]}", "never off-site"
    [event] = audit_events(workspace, "reveal")
    assert (event.actor, event.target) == ("ana", sha256)
    assert event.detail == {"reason": REASON, "case": 7}
    with workspace.session() as session:
        assert verify_audit_chain(session) == (True, None)
    audit = page(client_for(app, "sam").get("/audit"))
    rows = audit.xpath(f"//table[@id='audit']//tr[{has_class('audit-row')}]")
    texts = [row.text_content() for row in rows]
    assert any(sha256 in text and REASON in text and "reveal" in text for text in texts)
    assert audit.xpath("//*[@id='chain-status']/@data-ok") == ["true"]


def test_a_tampered_audit_row_breaks_the_chain(app: FastAPI, workspace: Workspace) -> None:
    sha256 = add_picture(workspace)
    client = client_for(app, "ana")
    reveal(client, sha256)
    reveal(client, sha256, reason="a second look")
    [first, _] = audit_events(workspace, "reveal")
    with workspace.session() as session:
        row = session.get(tables.AuditEvent, first.id)
        row.detail = {"reason": "nothing to see", "case": None}
    with workspace.session() as session:
        assert verify_audit_chain(session) == (False, first.id)
    audit = page(client_for(app, "sam").get("/audit"))
    assert audit.xpath("//*[@id='chain-status']/@data-ok") == ["false"]


# --- the exposure budget -----------------------------------------------------------------


def test_a_heartbeat_out_of_range_is_refused_and_adds_nothing(
    app: FastAPI, workspace: Workspace
) -> None:
    sha256 = add_picture(workspace)
    client = client_for(app, "ana")
    headers = {"X-CSRF-Token": csrf(client, "/")}
    reveal(client, sha256)
    for body in ({"seconds": -30}, {"seconds": 500}, {"seconds": 1.5}, {"seconds": True},
                 {"seconds": "30"}, {}, {"seconds": 10, "leaving": "yes"}, [30]):  # fmt: skip
        refused = client.post("/exposure/heartbeat", json=body, headers=headers)
        assert refused.status_code == 400, body
    beat = client.post("/exposure/heartbeat", json={"seconds": 30}, headers=headers)
    assert beat.status_code == 200 and beat.json()["budget"] == 4 * 3600
    with workspace.session() as session:
        state = exposure_state(session, user(workspace, "ana").id, 4 * 3600)
    assert state.seconds < 30, "the server counts from the reveal, not what the page claims"


def test_the_budget_warns_then_refuses_until_a_supervisor_releases(
    app: FastAPI, workspace: Workspace
) -> None:
    sha256 = add_picture(workspace)
    budget = user(workspace, "ana").daily_budget_seconds
    assert budget == 4 * 3600
    client = client_for(app, "ana")
    banner = f"//*[{has_class('exposure-warning')}]"
    set_exposure(workspace, "ana", int(budget * 0.79))
    assert not page(client.get("/")).xpath(banner), "quiet below 80 %"
    with workspace.session() as session:
        session.scalar(select(tables.Exposure)).seconds = int(budget * 0.85)
    assert "Consider a break" in page(client.get("/")).xpath(banner)[0].text_content()
    with workspace.session() as session:
        row = session.scalar(select(tables.Exposure))
        row.seconds = budget
    refused = reveal(client, sha256)
    assert refused.status_code == 403
    assert page(refused).xpath("//*[@id='exposure-blocked']")
    assert "supervisor" in refused.text
    assert [e.detail["why"] for e in audit_events(workspace, "reveal_refused")]
    assert audit_events(workspace, "reveal") == []

    supervisor = client_for(app, "sam")
    token = csrf(supervisor, "/users")
    assert supervisor.post("/users/sam/release", data={"csrf_token": token}).status_code == 403
    released = supervisor.post(
        "/users/ana/release", data={"csrf_token": token}, follow_redirects=False
    )
    assert released.status_code == 303
    [event] = audit_events(workspace, "exposure_release")
    assert (event.actor, event.target) == ("sam", "ana")
    assert reveal(client, sha256).status_code == 303
    assert len(audit_events(workspace, "reveal")) == 1


def test_a_revealed_item_is_not_served_once_the_budget_is_spent(
    app: FastAPI, workspace: Workspace
) -> None:
    sha256 = add_picture(workspace)
    client = client_for(app, "ana")
    assert reveal(client, sha256).status_code == 303
    token = view_token(app, workspace, "ana", sha256)
    assert client.get(f"/media/{sha256}/view?token={token}").status_code == 200
    set_exposure(workspace, "ana", user(workspace, "ana").daily_budget_seconds)
    spent = client.get(f"/media/{sha256}/view?token={token}")
    assert spent.status_code == 403 and "budget" in spent.text
