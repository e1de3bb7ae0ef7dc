"""The hash-chained audit trail (amparo.audit): appends chain, verification finds the first
changed, removed or reordered event, on both databases."""

from __future__ import annotations

import hashlib
import json
import threading
import time

from sqlalchemy import delete, func, select, update

from amparo.audit import GENESIS, append_audit, canonical, verify_audit_chain
from amparo.store import tables
from amparo.workspace import Workspace

AE = tables.AuditEvent


def fill(workspace: Workspace, count: int = 4) -> list[int]:
    with workspace.session() as session:
        return [
            append_audit(session, f"user{i}", "reveal", f"{i:064x}", {"reason": f"r{i}", "n": i}).id
            for i in range(count)
        ]


def test_an_empty_trail_verifies(workspace: Workspace) -> None:
    with workspace.session() as session:
        assert verify_audit_chain(session) == (True, None)


def test_each_event_hashes_the_previous_hash_and_its_canonical_json(workspace: Workspace) -> None:
    fill(workspace)
    with workspace.session() as session:
        events = session.scalars(select(AE).order_by(AE.id)).all()
        assert verify_audit_chain(session) == (True, None)
    previous = GENESIS
    for event in events:
        assert event.previous_hash == previous
        text = canonical(event.at, event.actor, event.action, event.target, event.detail)
        assert json.loads(text)["detail"] == event.detail
        assert event.hash == hashlib.sha256((previous + text).encode()).hexdigest()
        previous = event.hash


def test_a_changed_field_breaks_the_chain_at_that_event(workspace: Workspace) -> None:
    ids = fill(workspace)
    with workspace.session() as session:
        session.execute(update(AE).where(AE.id == ids[1]).values(actor="someone else"))
    with workspace.session() as session:
        assert verify_audit_chain(session) == (False, ids[1])


def test_a_removed_event_breaks_the_chain_at_the_next(workspace: Workspace) -> None:
    ids = fill(workspace)
    with workspace.session() as session:
        session.execute(delete(AE).where(AE.id == ids[2]))
    with workspace.session() as session:
        assert verify_audit_chain(session) == (False, ids[3])


def test_a_rehashed_forgery_breaks_at_that_event(workspace: Workspace) -> None:
    """Rewriting one event and its own hash does not help: its MAC (made with the key the
    database does not hold) no longer fits, and the next event names the old hash."""
    ids = fill(workspace)
    with workspace.session() as session:
        event = session.get(AE, ids[0])
        event.detail = {"reason": "forged", "n": 0}
        text = canonical(event.at, event.actor, event.action, event.target, event.detail)
        event.hash = hashlib.sha256((GENESIS + text).encode()).hexdigest()
    with workspace.session() as session:
        assert verify_audit_chain(session) == (False, ids[0])


def test_appends_continue_the_chain_across_sessions(workspace: Workspace) -> None:
    fill(workspace, 2)
    fill(workspace, 2)
    with workspace.session() as session:
        assert verify_audit_chain(session) == (True, None)
        assert len(session.scalars(select(AE)).all()) == 4


def test_concurrent_appends_do_not_fork_the_chain(workspace: Workspace) -> None:
    """Requests that log and commit a little later must not read the same chain head."""

    def log(number: int) -> None:
        with workspace.session() as session:
            append_audit(session, f"analyst{number}", "reveal", None, {})
            time.sleep(0.2)  # the rest of the request, before its commit

    threads = [threading.Thread(target=log, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with workspace.session() as session:
        assert verify_audit_chain(session) == (True, None)
        assert session.scalar(select(func.count()).select_from(tables.AuditEvent)) == 4
