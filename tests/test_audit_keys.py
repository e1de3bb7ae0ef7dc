"""An audit trail no one can rewrite quietly: each event authenticated (HMAC-SHA256) with a key
the database does not hold, the head anchored in a file beside the database and in a short
string an auditor writes down; rehashed and truncated chains fail, on both databases."""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, select, update

from amparo.audit import (
    BEFORE_KEYS,
    GENESIS,
    AuditVerdict,
    anchor_string,
    append_audit,
    canonical,
    event_hash,
    init_audit_key,
    verify_audit,
)
from amparo.audit_anchor import ANCHOR_FILE
from amparo.cli import main
from amparo.errors import WorkspaceError
from amparo.keys import AUDIT_KEY, KEYS_DIR
from amparo.store import tables
from amparo.workspace import Workspace, open_workspace

AE = tables.AuditEvent


def fill(workspace: Workspace, count: int = 5, start: int = 0) -> list[int]:
    with workspace.session() as session:
        return [
            append_audit(session, f"user{i}", "reveal", f"{i:064x}", {"reason": f"r{i}"}).id
            for i in range(start, start + count)
        ]


def key_path(workspace: Workspace) -> Path:
    return workspace.root / KEYS_DIR / AUDIT_KEY


def verdict(workspace: Workspace, anchor: str | None = None) -> AuditVerdict:
    with workspace.session() as session:
        return verify_audit(session, anchor)


def rehash_from(workspace: Workspace, first_id: int, *, keep_macs: bool = True) -> None:
    """What an attacker with write access to the database does: recompute every hash (and
    every previous-hash link) from ``first_id`` on; MACs kept, or dropped."""
    with workspace.session() as session:
        rows = session.scalars(select(AE).order_by(AE.id)).all()
        previous = GENESIS
        for row in rows:
            if row.id >= first_id:
                text = canonical(row.at, row.actor, row.action, row.target, row.detail)
                row.previous_hash, row.hash = previous, event_hash(previous, text)
                if not keep_macs:
                    row.mac = None
            previous = row.hash


def test_each_event_carries_an_hmac_under_a_private_key_file(workspace: Workspace) -> None:
    ids = fill(workspace, 2) + fill(workspace, 1, start=2)  # two commits: two anchor records
    path = key_path(workspace)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    key = bytes.fromhex(path.read_text().strip())
    assert len((workspace.root / ANCHOR_FILE).read_text().splitlines()) == 2
    assert len(key) == 32
    with workspace.session() as session:
        for event_id in ids:
            row = session.get(AE, event_id)
            expected = hmac.new(key, b"amparo.audit.event/1:" + row.hash.encode(), hashlib.sha256)
            assert row.mac == expected.hexdigest()
            assert key.hex() not in str(row.detail)
    result = verdict(workspace)
    assert result.ok and (result.events, result.authenticated, result.anchored) == (3, 3, 2)


def test_an_edited_and_fully_rehashed_chain_fails(workspace: Workspace) -> None:
    ids = fill(workspace)
    with workspace.session() as session:
        session.execute(update(AE).where(AE.id == ids[1]).values(detail={"reason": "nothing"}))
    rehash_from(workspace, ids[1])
    result = verdict(workspace)
    assert not result.ok and result.first_bad == ids[1] and "MAC" in (result.problem or "")


def test_a_rehashed_chain_without_macs_fails_on_the_anchor_file(workspace: Workspace) -> None:
    """Dropping every MAC to pass as events from before keys: the anchor file still holds the
    true hashes."""
    ids = fill(workspace)
    with workspace.session() as session:
        session.execute(update(AE).where(AE.id == ids[0]).values(actor="someone else"))
    rehash_from(workspace, ids[0], keep_macs=False)
    result = verdict(workspace)
    assert not result.ok and result.first_bad == ids[-1], "the anchored head"
    assert "anchor" in (result.problem or "")


def test_a_truncated_chain_fails(workspace: Workspace) -> None:
    ids = fill(workspace)
    with workspace.session() as session:
        session.execute(delete(AE).where(AE.id.in_(ids[-2:])))
    result = verdict(workspace)
    assert not result.ok and result.first_bad == ids[-1], "the anchored head is gone"
    assert "deleted" in (result.problem or "")


def test_a_truncated_then_continued_chain_fails(workspace: Workspace) -> None:
    ids = fill(workspace)
    with workspace.session() as session:
        session.execute(delete(AE).where(AE.id == ids[-1]))
    fill(workspace, 2, start=10)
    assert not verdict(workspace).ok


def test_deleting_the_anchor_file_too_fails(workspace: Workspace) -> None:
    fill(workspace)
    (workspace.root / ANCHOR_FILE).unlink()
    result = verdict(workspace)
    assert not result.ok and "anchor file" in (result.problem or "")


def test_a_forged_anchor_record_is_refused(workspace: Workspace) -> None:
    fill(workspace, 2)
    with (workspace.root / ANCHOR_FILE).open("a") as out:
        out.write(f"99 {'a' * 64} {'b' * 64} 2026-01-01T00:00:00+00:00\n")
    result = verdict(workspace)
    assert not result.ok and "not written with the audit key" in (result.problem or "")


def test_the_written_down_anchor_catches_a_rewrite_by_a_key_holder(workspace: Workspace) -> None:
    """Someone holding the key can recompute MACs and the anchor file, not the auditor's note."""
    ids = fill(workspace, 3)
    with workspace.session() as session:
        anchor = anchor_string(session)
    assert anchor.startswith(f"{ids[-1]}:") and len(anchor.split(":")[1]) == 24
    assert verdict(workspace, anchor).ok
    with workspace.session() as session:
        session.execute(delete(AE).where(AE.id == ids[-1]))
    (workspace.root / ANCHOR_FILE).unlink()
    fill(workspace, 1, start=20)  # a new, well-authenticated head in place of the old one
    assert verdict(workspace).ok, "the key holder's rewrite is consistent"
    result = verdict(workspace, anchor)
    assert not result.ok and result.first_bad == ids[-1]


def test_events_from_before_keys_are_reported_not_failed(workspace: Workspace) -> None:
    legacy_events(workspace, 3)
    result = verdict(workspace)
    assert result.ok and (result.before_keys, result.authenticated) == (3, 0)
    assert BEFORE_KEYS in result.summary()
    fill(workspace, 2)
    result = verdict(workspace)
    assert result.ok and (result.before_keys, result.authenticated) == (3, 2)
    legacy_events(workspace, 1)  # an event without a MAC after authenticated ones
    assert not verdict(workspace).ok


def legacy_events(workspace: Workspace, count: int) -> None:
    """Events as a workspace from before keys wrote them: chained, no MAC."""
    with workspace.session() as session:
        previous = session.scalar(select(AE.hash).order_by(AE.id.desc()).limit(1)) or GENESIS
        for number in range(count):
            row = AE(at=datetime.now(UTC), actor="old", action="sign_in", target=None,
                     detail={"n": number}, previous_hash=previous)  # fmt: skip
            row.hash = event_hash(previous, canonical(row.at, "old", "sign_in", None, row.detail))
            session.add(row)
            session.flush()
            previous = row.hash


def test_a_key_file_others_may_read_is_refused(workspace: Workspace) -> None:
    fill(workspace, 1)
    os.chmod(key_path(workspace), 0o644)
    with pytest.raises(WorkspaceError, match="chmod 600"):
        fill(workspace, 1)
    result = verdict(workspace)
    assert not result.ok and "chmod 600" in (result.problem or "")


def test_the_command_line_inits_keys_anchors_and_verifies(
    tmp_path: Path, database_url: str
) -> None:
    root = tmp_path / "ws"
    workspace = open_workspace(root, database_url=database_url)
    legacy_events(workspace, 2)
    runner = CliRunner()
    env = {"AMPARO_DATABASE_URL": database_url}
    made = runner.invoke(main, ["-w", str(root), "keys", "init"], env=env)
    assert made.exit_code == 0 and "made" in made.output, made.output
    assert stat.S_IMODE(key_path(workspace).stat().st_mode) == 0o600
    again = runner.invoke(main, ["-w", str(root), "keys", "init"], env=env)
    assert again.exit_code == 0 and "kept" in again.output
    fill(workspace, 2)
    anchor = runner.invoke(main, ["-w", str(root), "audit", "anchor"], env=env)
    assert anchor.exit_code == 0
    written_down = anchor.stdout.strip()
    checked = runner.invoke(
        main, ["-w", str(root), "audit", "verify", "--anchor", written_down], env=env
    )
    assert checked.exit_code == 0 and "intact" in checked.output
    assert f"2 {BEFORE_KEYS}" in checked.output
    with workspace.session() as session:
        newest = session.scalar(select(AE.id).order_by(AE.id.desc()).limit(1))
        session.execute(delete(AE).where(AE.id == newest))
    broken = runner.invoke(main, ["-w", str(root), "audit", "verify"], env=env)
    assert broken.exit_code == 1 and "NOT intact" in broken.output
    bad = runner.invoke(main, ["-w", str(root), "audit", "verify", "--anchor", "x"], env=env)
    assert bad.exit_code == 1 and "not an audit anchor" in bad.output
    workspace.close()


def test_keys_init_pins_the_events_from_before_keys(workspace: Workspace) -> None:
    legacy_events(workspace, 3)
    with workspace.session() as session:
        _, created = init_audit_key(session)
    assert created
    with workspace.session() as session:
        first = session.scalar(select(AE).order_by(AE.id).limit(1))
        first.actor = "rewritten"
    rehash_from(workspace, 0, keep_macs=False)
    assert not verdict(workspace).ok
