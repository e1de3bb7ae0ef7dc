"""The store: migrations match the models on both backends; the evidence store verifies reads."""

from __future__ import annotations

import io
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from amparo.errors import EvidenceCorrupted, UnsafeInput, WorkspaceError
from amparo.store import evidence, tables
from amparo.store.database import alembic_config, make_engine
from amparo.store.evidence import EvidenceStore
from amparo.workspace import Workspace, open_workspace


def test_migrated_schema_matches_the_models(workspace: Workspace) -> None:
    with workspace.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), tables.Base.metadata)
    assert differences == []


def test_opening_twice_migrates_once(workspace: Workspace, database_url: str) -> None:
    again = open_workspace(workspace.root, database_url=database_url)
    with again.session() as session:
        assert session.scalars(select(tables.Source)).all() == []
    again.close()


def test_times_come_back_in_utc(workspace: Workspace) -> None:
    madrid = datetime(2026, 3, 1, 10, 30, tzinfo=timezone(timedelta(hours=1)))
    with workspace.session() as session:
        session.add(tables.Source(kind="t", path="p", received_at=madrid, status="ingested"))
    with workspace.session() as session:
        stored = session.scalars(select(tables.Source)).one().received_at
    assert stored == madrid
    assert stored.utcoffset() == timedelta(0)
    assert stored.hour == 9


def test_naive_times_are_refused(workspace: Workspace) -> None:
    with pytest.raises(Exception, match="naive datetime"), workspace.session() as session:
        session.add(tables.Source(kind="t", path="p", received_at=datetime(2026, 1, 1), status="x"))
        session.flush()


def test_sqlite_workspace_uses_wal(tmp_path: Path) -> None:
    opened = open_workspace(tmp_path / "ws", database_url=None)
    with opened.engine.connect() as connection:
        mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
    opened.close()
    assert mode == "wal"
    assert (tmp_path / "ws" / "amparo.db").is_file()


def test_workspace_defaults_to_amparo_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AMPARO_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("AMPARO_DATABASE_URL", raising=False)
    opened = open_workspace()
    opened.close()
    assert opened.root == tmp_path / "home"


def test_unusable_database_url_is_a_workspace_error(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError):
        open_workspace(tmp_path / "ws", database_url="nosuchdb://x")


def test_evidence_is_stored_once_and_verified(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path / "evidence")
    first = store.put_bytes(b"benign bytes")
    second = store.put_bytes(b"benign bytes")
    assert first == second
    assert store.read(first.sha256) == b"benign bytes"
    assert len([p for p in store.root.rglob("*") if p.is_file()]) == 1
    path = store.path_of(first.sha256)
    os.chmod(path, 0o600)
    path.write_bytes(b"tampered")
    with pytest.raises(EvidenceCorrupted):
        store.read(first.sha256)


def test_evidence_refuses_files_over_the_limit(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path / "evidence")
    with pytest.raises(UnsafeInput, match="limit"):
        store.put_stream(io.BytesIO(b"x" * 100), name="big.bin", max_bytes=10)
    assert not any(p.is_file() for p in store.root.rglob("*"))


def test_large_files_are_streamed_through_a_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(evidence, "IN_MEMORY_BYTES", 16)
    monkeypatch.setattr(evidence, "CHUNK", 7)
    store = EvidenceStore(tmp_path / "evidence")
    data = bytes(range(200))
    digest = store.put_stream(io.BytesIO(data), name="big.bin", max_bytes=1000)
    assert digest == evidence.digest_bytes(data)
    assert store.read(digest.sha256) == data
    with pytest.raises(UnsafeInput):
        store.put_stream(io.BytesIO(data), name="big.bin", max_bytes=100)
    assert list((tmp_path / "evidence" / ".incoming").iterdir()) == []


def test_upgrading_an_old_workspace_keeps_its_data(database_url: str) -> None:
    engine = make_engine(database_url)
    command.upgrade(alembic_config(engine), "0001")
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO source (kind, path, received_at, status) "
            "VALUES ('report_package', 'old/pkg', '2026-01-01 00:00:00', 'ingested')"
        )
    command.upgrade(alembic_config(engine), "head")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT path FROM source").scalar() == "old/pkg"
        assert connection.exec_driver_sql("SELECT count(*) FROM series").scalar() == 0
    engine.dispose()


def test_rebuilding_the_known_entries_keeps_what_refers_to_them(database_url: str) -> None:
    """0017 copies known_entry on SQLite to drop its UNIQUE constraint: the matches that refer
    to its rows are kept (not deleted by cascade), and ids stay unique in a set."""
    engine = make_engine(database_url)
    command.upgrade(alembic_config(engine), "0016")
    with engine.begin() as connection:
        for statement in (
            "INSERT INTO hash_set (name, format, purpose, pdq_threshold, digest, imported_at, "
            "entry_count) VALUES ('s', 'csv', 'block', 31, 'd', '2026-01-01 00:00:00', 1)",
            f"INSERT INTO known_entry (hash_set_id, entry_id, md5, details) "
            f"VALUES (1, 'e1', '{'1' * 32}', '{{}}')",
            f"INSERT INTO media (sha256, md5, sha1, size, kind) "
            f"VALUES ('{'2' * 64}', '{'1' * 32}', '{'3' * 40}', 1, 'image')",
            "INSERT INTO match (media_id, known_entry_id, algorithm, distance, threshold, "
            "suppressing) VALUES (1, 1, 'md5', 0, 0, false)",
        ):
            connection.exec_driver_sql(statement)
    command.upgrade(alembic_config(engine), "head")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT known_entry_id FROM match").all() == [(1,)]
        with pytest.raises(IntegrityError):
            connection.exec_driver_sql(
                "INSERT INTO known_entry (hash_set_id, entry_id, details) VALUES (1, 'e1', '{}')"
            )
        connection.rollback()
        if engine.dialect.name == "sqlite":  # enforced again after the migrations
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_a_new_sqlite_workspace_has_large_pages(tmp_path: Path) -> None:
    """16 KiB pages, for bulk loads (SQLite's default is 4 KiB); set before the database
    holds anything, as SQLite only takes it then."""
    opened = open_workspace(tmp_path / "workspace")
    with opened.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA page_size").scalar() == 16 * 1024
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    opened.close()
