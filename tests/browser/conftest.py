"""Browser tests: Playwright drives Debian's Chromium through the served demo operation.

Once per session: a small demo operation (``amparo demo --reports 60``, the real demo path)
in a temporary workspace on SQLite, two analysts and a supervisor added with
``amparo users add``, and the web app served by uvicorn on a free local port in a
background thread. Each test gets fresh browser contexts (no shared cookies).

The browser is Debian's ``chromium`` (``make test`` installs it where missing, through
scripts/install-system-packages.sh); Playwright never downloads one. Without it, or
without the ``playwright`` package, these tests are skipped and say how to get them.

Screenshots are always written to a temporary folder; with ``AMPARO_SCREENSHOTS=1`` they
are also copied into docs/screenshots/, the README's pictures.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import uvicorn
from click.testing import CliRunner

from amparo.cli import main
from amparo.stages.pipeline import STAGE_NAMES, run_pipeline
from amparo.store.database import sqlite_url
from amparo.web.app import create_app
from amparo.workspace import DATABASE_FILE, open_workspace

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

REPOSITORY = Path(__file__).resolve().parents[2]
SCREENSHOT_FOLDER = REPOSITORY / "docs" / "screenshots"
VIEWPORT = {"width": 1280, "height": 800}
DEMO_REPORTS = 60
DEMO_SEED = 7
INSTALL_HINT = (
    "`make test` installs Debian's chromium package where it can "
    "(or: sudo apt-get install --no-install-recommends chromium); "
    "AMPARO_CHROMIUM may name another Chromium binary"
)


@dataclass(frozen=True)
class Login:
    username: str
    role: str
    password: str


ANALYST = Login("ana.analyst", "analyst", "browser-test analyst passphrase 1")
REVIEWER = Login("rui.reviewer", "analyst", "browser-test reviewer passphrase 3")
SUPERVISOR = Login("sam.supervisor", "supervisor", "browser-test supervisor passphrase 2")


def find_chromium() -> str | None:
    """Debian's Chromium (or the one AMPARO_CHROMIUM names); never a downloaded browser."""
    named = os.environ.get("AMPARO_CHROMIUM")
    if named:
        return named if Path(named).is_file() else None
    for candidate in ("chromium", "chromium-browser"):
        found = shutil.which(candidate)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").is_file() else None


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    executable = find_chromium()
    if executable is None:
        pytest.skip(f"Chromium not found: browser tests skipped. {INSTALL_HINT}.")
    return executable


@pytest.fixture(scope="session")
def browser(chromium_executable: str) -> Iterator[Browser]:
    sync_api = pytest.importorskip(
        "playwright.sync_api",
        reason="the playwright package is missing: browser tests skipped "
        "(pip install -e '.[test]' installs it)",
    )
    with sync_api.sync_playwright() as playwright:
        try:
            launched = playwright.chromium.launch(
                executable_path=chromium_executable, headless=True
            )
        except sync_api.Error as error:
            pytest.skip(
                f"Chromium at {chromium_executable} did not start: browser tests skipped "
                f"({str(error).splitlines()[0]}). {INSTALL_HINT}."
            )
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def demo_workspace(tmp_path_factory: pytest.TempPathFactory, chromium_executable: str) -> Path:
    """A demo operation built through the CLI, as `make demo` builds it, with three users."""
    root = tmp_path_factory.mktemp("browser") / "workspace"
    env = {"AMPARO_DATABASE_URL": sqlite_url(root / DATABASE_FILE), "AMPARO_HOME": None}
    runner = CliRunner()
    demo = ["-w", str(root), "demo", "--reports", str(DEMO_REPORTS), "--seed", str(DEMO_SEED)]
    result = runner.invoke(main, demo, env=env)
    assert result.exit_code == 0, result.output
    for login in (ANALYST, REVIEWER, SUPERVISOR):
        add = ["-w", str(root), "users", "add", login.username, "--role", login.role,
               "--password-stdin"]  # fmt: skip
        result = runner.invoke(main, add, input=f"{login.password}\n", env=env)
        assert result.exit_code == 0, result.output
    workspace = open_workspace(root, database_url=env["AMPARO_DATABASE_URL"])
    try:  # every stage up to date, cases included, whatever order the demo ran them in
        run_pipeline(workspace, STAGE_NAMES)
    finally:
        workspace.close()
    return root


@pytest.fixture(scope="session")
def base_url(demo_workspace: Path) -> Iterator[str]:
    """The web app on the demo workspace, served by uvicorn on a free local port."""
    database_url = sqlite_url(demo_workspace / DATABASE_FILE)
    workspace = open_workspace(demo_workspace, database_url=database_url)
    app = create_app(workspace, secure_cookies=False, session_secret="browser-tests")
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [listener]}, name="amparo-web", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the web app did not start serving within 30 s")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    listener.close()
    workspace.close()


@pytest.fixture
def new_context(browser: Browser, base_url: str) -> Iterator[Callable[[], BrowserContext]]:
    """Fresh browser contexts (own cookies), 1280x800, closed after the test."""
    contexts: list[BrowserContext] = []

    def make() -> BrowserContext:
        context = browser.new_context(viewport=VIEWPORT, base_url=base_url)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


def sign_in(page: Page, login: Login) -> None:
    """Sign in through the login form and land on the dashboard."""
    page.goto("/login")
    form = page.locator("form#login")
    form.locator("input[name=username]").fill(login.username)
    form.locator("input[name=password]").fill(login.password)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()


@pytest.fixture
def signed_in(new_context: Callable[[], BrowserContext]) -> Callable[[Login], Page]:
    """A page of a fresh context, signed in as ``login``."""

    def make(login: Login) -> Page:
        page = new_context().new_page()
        sign_in(page, login)
        return page

    return make


@pytest.fixture(scope="session")
def screenshot(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Page, str], Path]:
    """Save a viewport screenshot; into docs/screenshots/ too when AMPARO_SCREENSHOTS=1."""
    folder = tmp_path_factory.mktemp("screenshots")
    publish = os.environ.get("AMPARO_SCREENSHOTS") == "1"

    def save(page: Page, name: str) -> Path:
        path = folder / name
        page.screenshot(path=str(path), full_page=False)
        if publish:
            SCREENSHOT_FOLDER.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, SCREENSHOT_FOLDER / name)
        return path

    return save
