"""Two commands ingesting into one workspace at once: each input is written by one of them.

``claim_input`` is the first statement of an input's transaction. It waits until no other
transaction is writing the same input, so the "already ingested?" check that follows sees what
another run committed. On PostgreSQL it is an advisory lock on the input's kind and digest,
released with the transaction; on SQLite it takes the database's one write lock now (SQLite
serialises writers anyway) instead of at the transaction's first insert.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import Connection, text

# Tries of one input when the database refuses a write that a concurrent run may have caused
# (a unique key it inserted first, a deadlock): the next try reads what that run stored.
TRIES_AFTER_A_REFUSAL = 2
# Tries of one input while SQLite stays locked by another command (each waits busy_timeout).
TRIES_WHILE_BUSY = 10

_TAKE_SQLITE_WRITE_LOCK = text("DELETE FROM source WHERE 0 = 1")
_TAKE_ADVISORY_LOCK = text("SELECT pg_advisory_xact_lock(:key)")


def claim_input(connection: Connection, kind: str, digest: str | None) -> None:
    """Wait until this transaction alone may write the input ``kind``/``digest``."""
    if connection.dialect.name == "postgresql":
        if digest is not None:
            connection.execute(_TAKE_ADVISORY_LOCK, {"key": _lock_key(kind, digest)})
    else:
        connection.execute(_TAKE_SQLITE_WRITE_LOCK)


def _lock_key(kind: str, digest: str) -> int:
    """A signed 64-bit advisory-lock key for one input."""
    hashed = hashlib.sha256(f"amparo-input\0{kind}\0{digest}".encode()).digest()
    return int.from_bytes(hashed[:8], "big", signed=True)
