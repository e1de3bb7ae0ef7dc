"""Shared fixtures: every store test runs on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import itertools
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy

from amparo.workspace import Workspace, open_workspace
from tests.postgres_server import PostgresServer, find_bindir, start_server

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
_database_numbers = itertools.count()
_backend_outcomes: dict[str, dict[str, int]] = {}


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    bindir = find_bindir()
    if bindir is None:
        pytest.skip(
            "PostgreSQL server binaries (initdb, pg_ctl) not found: PostgreSQL tests skipped. "
            "`make test` installs Debian's postgresql package where it can."
        )
    try:
        server = start_server(bindir)
    except subprocess.CalledProcessError as error:
        pytest.fail(f"PostgreSQL from {bindir} did not start: {error.stderr}")
    yield server
    server.stop()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database on each backend."""
    return new_database_url(request, tmp_path)


def new_database_url(request: pytest.FixtureRequest, folder: Path) -> str:
    """A fresh, empty database on the backend ``request.param`` names."""
    if request.param == "sqlite":
        return f"sqlite:///{folder / 'amparo.db'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = f"amparo_test_{next(_database_numbers)}"
    engine = sqlalchemy.create_engine(server.url(), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return server.url(name)


@pytest.fixture
def workspace(tmp_path: Path, database_url: str) -> Iterator[Workspace]:
    opened = open_workspace(tmp_path / "workspace", database_url=database_url)
    yield opened
    opened.close()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when != "call" and not (report.when == "setup" and report.skipped):
        return
    backend = next((b for b in ("sqlite", "postgresql") if f"[{b}" in report.nodeid), None)
    if backend is not None:
        counts = _backend_outcomes.setdefault(backend, {})
        counts[report.outcome] = counts.get(report.outcome, 0) + 1


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say how many store tests really ran on each backend, so a skip cannot hide."""
    terminalreporter.section("database backends")
    for backend in ("sqlite", "postgresql"):
        counts = _backend_outcomes.get(backend, {})
        parts = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items())) or "none ran"
        terminalreporter.write_line(f"{backend}: {parts}")
