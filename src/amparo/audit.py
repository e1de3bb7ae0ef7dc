"""The audit trail: who did what, when, each event chained to the one before by SHA-256.

An event's hash is ``sha256(previous_hash + canonical JSON of the event)``, the canonical
JSON being its time (ISO 8601 UTC), actor, action, target and detail with sorted keys and no
spaces. Changing, removing or reordering any stored event (but the newest) breaks the chain
at the first event after it, which :func:`verify_audit_chain` names.

Appends are serialised: a lock within the process, held from reading the chain's head until
the appending session commits or rolls back (otherwise two requests could read the same head
and fork the chain), and on PostgreSQL a transaction-level advisory lock across processes.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session

from amparo.store import tables

GENESIS = "0" * 64
_ADVISORY_LOCK = 0x616D7061726F  # "amparo"
_append_lock = threading.Lock()
_HOLDS_LOCK = "amparo.audit.holds_lock"
AE = tables.AuditEvent


def canonical(at: datetime, actor: str, action: str, target: str | None, detail: Any) -> str:
    """The event's canonical JSON: what its hash covers besides the previous hash."""
    event = {
        "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": actor,
        "action": action,
        "target": target,
        "detail": detail,
    }
    return json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_hash(previous_hash: str, event_json: str) -> str:
    return hashlib.sha256((previous_hash + event_json).encode("utf-8")).hexdigest()


def append_audit(
    session: Session,
    actor: str,
    action: str,
    target: str | None = None,
    detail: dict[str, Any] | None = None,
) -> tables.AuditEvent:
    """Add one event at the end of the chain (flushed, committed with ``session``)."""
    detail = json.loads(json.dumps(detail or {}))  # JSON-native, as it will read back
    _hold_chain(session)
    previous = session.scalar(select(AE.hash).order_by(AE.id.desc()).limit(1)) or GENESIS
    at = datetime.now(UTC)
    row = AE(
        at=at,
        actor=actor,
        action=action,
        target=target,
        detail=detail,
        previous_hash=previous,
        hash=event_hash(previous, canonical(at, actor, action, target, detail)),
    )
    session.add(row)
    session.flush()
    return row


def _hold_chain(session: Session) -> None:
    """Take the append lock for the rest of ``session``'s transaction (once per session)."""
    if session.info.get(_HOLDS_LOCK):
        return
    _append_lock.acquire()
    session.info[_HOLDS_LOCK] = True

    def release(*_: Any) -> None:
        if session.info.pop(_HOLDS_LOCK, False):
            _append_lock.release()

    for name in ("after_commit", "after_rollback", "after_soft_rollback"):
        event.listen(session, name, release, once=True)
    _lock_chain(session)


def _lock_chain(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK})


def verify_audit_chain(session: Session) -> tuple[bool, int | None]:
    """``(True, None)`` when every event hashes right and follows the one before it, else
    ``(False, id of the first event that does not)``."""
    previous = GENESIS
    for row in _events(session):
        expected = event_hash(
            previous, canonical(row.at, row.actor, row.action, row.target, row.detail)
        )
        if row.previous_hash != previous or row.hash != expected:
            return False, row.id
        previous = row.hash
    return True, None


def _events(session: Session, batch: int = 1000) -> Iterator[tables.AuditEvent]:
    last = 0
    while True:
        rows = session.scalars(select(AE).where(AE.id > last).order_by(AE.id).limit(batch)).all()
        yield from rows
        if len(rows) < batch:
            return
        last = rows[-1].id


def audit_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AE)) or 0
