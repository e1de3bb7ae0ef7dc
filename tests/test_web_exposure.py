"""The exposure budget is counted by the server: from a reveal until it is blurred again or
expires, whatever the page sends; the page's heartbeat can only end the count sooner (hidden,
left) and never lengthen it; viewing a revealed item by its URL counts; a view past the budget
is refused. Time is a clock the test steps, never the wall clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from amparo.web.auth import find_user
from amparo.web.exposure import exposure_state
from amparo.web.media import REVEAL_SECONDS
from amparo.workspace import Workspace
from tests.test_web import add_picture, add_user, client_for, csrf, make_app, user
from tests.test_web_media import reveal, view_token


class Clock:
    """A clock tests step by hand (noon, so no day boundary is crossed)."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).astimezone().replace(hour=12, minute=0, second=0)

    def __call__(self) -> datetime:
        return self.now.astimezone(UTC)

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(workspace: Workspace, clock: Clock) -> FastAPI:
    add_user(workspace, "ana", "analyst")
    return make_app(workspace, clock=clock)


def seconds_viewed(workspace: Workspace, clock: Clock, username: str = "ana") -> int:
    with workspace.session() as session:
        return exposure_state(session, user(workspace, username).id, 4 * 3600, clock()).seconds


def beat(client: TestClient, seconds: int, *, leaving: bool = False) -> int:
    headers = {"X-CSRF-Token": csrf(client, "/")}
    body = {"seconds": seconds, "leaving": leaving}
    return client.post("/exposure/heartbeat", json=body, headers=headers).status_code


def test_a_reveal_counts_until_reblur_without_any_heartbeat(
    app: FastAPI, workspace: Workspace, clock: Clock
) -> None:
    sha256 = add_picture(workspace)
    client = client_for(app, "ana")
    assert reveal(client, sha256).status_code == 303
    clock.advance(100)
    assert seconds_viewed(workspace, clock) == 100, "no heartbeat was ever sent"
    client.get(f"/media/{sha256}/reblur?back=/")
    clock.advance(300)
    assert seconds_viewed(workspace, clock) == 100, "blurred again: the count stopped"


def test_a_reveal_left_revealed_counts_until_it_expires(
    app: FastAPI, workspace: Workspace, clock: Clock
) -> None:
    client = client_for(app, "ana")
    reveal(client, add_picture(workspace))
    clock.advance(REVEAL_SECONDS + 600)
    assert seconds_viewed(workspace, clock) == REVEAL_SECONDS


def test_two_items_revealed_together_count_their_time_once(
    app: FastAPI, workspace: Workspace, clock: Clock
) -> None:
    client = client_for(app, "ana")
    reveal(client, add_picture(workspace, seed=1))
    clock.advance(10)
    reveal(client, add_picture(workspace, seed=2))
    clock.advance(50)
    assert seconds_viewed(workspace, clock) == 60


def test_the_heartbeat_only_shortens_and_a_view_by_url_counts_again(
    app: FastAPI, workspace: Workspace, clock: Clock
) -> None:
    sha256 = add_picture(workspace)
    client = client_for(app, "ana")
    reveal(client, sha256)
    clock.advance(40)
    assert beat(client, 30, leaving=True) == 200, "the page was hidden"
    clock.advance(200)
    assert seconds_viewed(workspace, clock) == 40
    token = view_token(app, workspace, "ana", sha256)
    assert client.get(f"/media/{sha256}/view?token={token}").status_code == 200
    clock.advance(20)
    assert seconds_viewed(workspace, clock) == 60, "viewing by URL counts"
    assert beat(client, 30) == 200, "shown again: still within the reveal's expiry"
    clock.advance(REVEAL_SECONDS)
    assert seconds_viewed(workspace, clock) == 60 + REVEAL_SECONDS - 260, "never past expiry"


def test_a_view_url_past_the_budget_is_refused_by_server_time_alone(
    app: FastAPI, workspace: Workspace, clock: Clock
) -> None:
    with workspace.session() as session:
        find_user(session, "ana").daily_budget_seconds = 60
    sha256 = add_picture(workspace)
    client = client_for(app, "ana")
    token = view_token(app, workspace, "ana", sha256)
    reveal(client, sha256)
    clock.advance(30)
    assert client.get(f"/media/{sha256}/view?token={token}").status_code == 200
    clock.advance(31)
    spent = client.get(f"/media/{sha256}/view?token={token}")
    assert spent.status_code == 403 and "budget" in spent.text
    assert reveal(client, sha256).status_code == 403, "no new reveal either"
