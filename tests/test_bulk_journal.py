"""A large first import into SQLite runs with the rollback journal where the workspace is this
process's alone, and leaves the database in the WAL; with another connection open it keeps the
WAL (store/bulk_journal.py, issue 11 part 3). Its indexes are sorted in small runs with a helper
thread, and the connection's settings are as they were after."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, event

from amparo.intake import hashset_direct, hashset_reader
from amparo.intake import hashset_store as store
from amparo.intake.hashsets import import_hash_set
from amparo.workspace import Workspace, open_workspace

ENTRIES = 3000


@pytest.fixture
def sqlite_workspace(tmp_path: Path) -> Iterator[Workspace]:
    opened = open_workspace(tmp_path / "workspace")
    yield opened
    opened.close()


@pytest.fixture
def modes_while_writing(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """(journal mode, synchronous) of the connection writing, seen as the writer finishes; every
    file is large enough for a worker (and so for the rollback journal)."""
    monkeypatch.setattr(hashset_reader, "WORKER_MIN_BYTES", 0)
    seen: list[tuple[str, int]] = []
    finish = hashset_direct.DirectWriter.finish

    def recording(writer: hashset_direct.DirectWriter) -> object:
        connection: Connection = writer.connection
        seen.append((
            connection.exec_driver_sql("PRAGMA journal_mode").scalar_one(),
            connection.exec_driver_sql("PRAGMA synchronous").scalar_one(),
        ))  # fmt: skip
        return finish(writer)

    monkeypatch.setattr(hashset_direct.DirectWriter, "finish", recording)
    return seen


def _csv(path: Path) -> Path:
    rows = "".join(f"e{n},{n:032x}\n" for n in range(ENTRIES))
    path.write_text("id,md5\n" + rows, encoding="utf-8")
    return path


def _journal_mode(workspace: Workspace) -> str:
    with sqlite3.connect(workspace.root / "amparo.db") as connection:
        return str(connection.execute("PRAGMA journal_mode").fetchone()[0])


def test_a_first_import_alone_uses_the_rollback_journal_then_the_wal_again(
    sqlite_workspace: Workspace, modes_while_writing: list[tuple[str, int]], tmp_path: Path
) -> None:
    result = import_hash_set(sqlite_workspace, _csv(tmp_path / "set.csv"), name="s")
    assert modes_while_writing == [("delete", 2)]  # synchronous=FULL with that journal
    assert (result.entries, result.added) == (ENTRIES, ENTRIES)
    assert _journal_mode(sqlite_workspace) == "wal"
    assert not (sqlite_workspace.root / "amparo.db-journal").exists()


def test_another_connection_open_keeps_the_wal(
    sqlite_workspace: Workspace, modes_while_writing: list[tuple[str, int]], tmp_path: Path
) -> None:
    other = sqlite3.connect(sqlite_workspace.root / "amparo.db")  # as another command would
    try:
        other.execute("SELECT count(*) FROM hash_set").fetchone()
        result = import_hash_set(sqlite_workspace, _csv(tmp_path / "set.csv"), name="s")
        assert other.execute("SELECT count(*) FROM known_entry").fetchone() == (ENTRIES,)
    finally:
        other.close()
    assert modes_while_writing == [("wal", 1)]
    assert result.entries == ENTRIES


def test_a_set_that_holds_entries_is_imported_in_the_wal(
    sqlite_workspace: Workspace, modes_while_writing: list[tuple[str, int]], tmp_path: Path
) -> None:
    import_hash_set(sqlite_workspace, _csv(tmp_path / "set.csv"), name="s")
    changed = tmp_path / "changed.csv"
    changed.write_text(_csv(tmp_path / "again.csv").read_text() + "new,f" + "0" * 31 + "\n")
    result = import_hash_set(sqlite_workspace, changed, name="s")
    assert (result.entries, result.added) == (ENTRIES + 1, 1)  # staged: only the difference
    assert modes_while_writing == [("delete", 2)]  # the first import only
    assert _journal_mode(sqlite_workspace) == "wal"


def _sorting_settings(connection: Connection) -> tuple[int, int]:
    cache = connection.exec_driver_sql("PRAGMA cache_size").scalar_one()
    return cache, connection.exec_driver_sql("PRAGMA threads").scalar_one()


def test_indexes_are_sorted_in_small_runs_with_a_helper_then_settings_are_restored(
    sqlite_workspace: Workspace, tmp_path: Path
) -> None:
    import_hash_set(sqlite_workspace, _csv(tmp_path / "set.csv"), name="s")
    seen: list[tuple[int, int]] = []  # (cache_size, threads) as each index is built
    with sqlite_workspace.engine.begin() as connection:
        raw: Any = connection.connection.driver_connection  # sqlite3's own

        def record(_conn: object, _cursor: object, statement: str, *_: object) -> None:
            if statement.lstrip().upper().startswith("CREATE"):
                pragmas = ("PRAGMA cache_size", "PRAGMA threads")
                cache, threads = (raw.execute(pragma).fetchone()[0] for pragma in pragmas)
                seen.append((cache, threads))

        connection.exec_driver_sql("PRAGMA cache_size = -1234")
        store.drop_hash_indexes(connection, unique=True)
        event.listen(connection, "before_cursor_execute", record)
        store.create_hash_indexes(connection, unique=True)
        event.remove(connection, "before_cursor_execute", record)
        after = _sorting_settings(connection)
    helpers = 1 if (os.cpu_count() or 1) > 1 else 0
    assert seen == [(-store.SQLITE_SORT_KIB, helpers)] * 4  # MD5, SHA-1, SHA-256, (set, id)
    assert after == (-1234, 0)
