"""A bulk load into SQLite with the rollback journal instead of the WAL, where nothing else has
the database open.

In WAL mode every page a bulk load writes goes to the WAL first, and the commit's checkpoint
then copies all of it into the database file and waits for the disk: for a 10M-entry hash set,
46 s of a 147 s import on this project's machines (3.9 GB written twice). With the rollback
journal, new pages go straight into the database file as the load spills them (pages added at
the file's end need no journal), and the commit has little left to do (0.8 s). The load stays
as safe against a crash: ``synchronous=FULL`` while the rollback journal is used (the NORMAL
that is safe with the WAL is not with it), and a load cut short is rolled back from the journal
when the database is next opened.

Leaving the WAL needs the database to itself: where another connection (another command, the
web workspace) has it open, the switch is refused at once and the load runs in the WAL as
before. While the load runs, a process that opens the workspace waits for it (up to the busy
timeout), as any writer always did. The next connection made sets the WAL again
(``database``'s connect pragmas).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager, suppress

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from amparo.store.database import BUSY_TIMEOUT_MS


@contextmanager
def rollback_journal(engine: Engine) -> Iterator[bool]:
    """Run the block with SQLite's rollback journal where this process alone has the database
    open (the engine's next connection is the one switched); whether it was switched."""
    if engine.dialect.name != "sqlite":
        yield False
        return
    engine.dispose()  # this process's idle connections would keep the database in the WAL
    switched = _left_wal(engine)
    try:
        yield switched
    finally:
        if switched:
            engine.dispose()  # the connection with synchronous=FULL
            with suppress(OperationalError), engine.connect():
                pass  # its connect pragmas set the WAL again (or the next one's will)


def _left_wal(engine: Engine) -> bool:
    with engine.connect() as connection:
        driver = connection.connection.driver_connection
        with closing(driver.cursor()) as cursor:  # type: ignore[union-attr]
            cursor.execute("PRAGMA busy_timeout=0")  # another connection: refused at once
            try:
                mode = cursor.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
            except sqlite3.OperationalError:  # "database is locked"
                mode = "wal"
            finally:
                cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            if mode != "delete":
                return False
            cursor.execute("PRAGMA synchronous=FULL")
            return True
