"""The audit trail: who did what, when; chained by SHA-256, authenticated by a key the database
does not hold, and its head anchored outside the database.

An event's hash is ``sha256(previous_hash + canonical JSON of the event)``, the canonical
JSON being its time (ISO 8601 UTC), actor, action, target and detail with sorted keys and no
spaces. Its MAC is HMAC-SHA256 of that hash under the workspace's audit key
(:mod:`amparo.keys`), so whoever can write the database but not read the key cannot rewrite
an event and recompute the chain after it. After each append the new head (id, hash, MAC) is
added to the anchor file beside the database (:mod:`amparo.audit_anchor`), so deleting the
newest events shows too. Events written before the workspace had a key carry no MAC: they
are reported as "unauthenticated (before keys)", and accepted only as the chain's beginning.

Appends are serialised: a lock within the process and an exclusive lock on the anchor file
across processes, both held from reading the chain's head until the appending session commits
(the head is then written to the anchor file) or rolls back; on PostgreSQL also a
transaction-level advisory lock.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session

from amparo.audit_anchor import (
    Anchor,
    AnchorFile,
    AnchorReader,
    ChainProblem,
    event_mac,
    parse_anchor_string,
)
from amparo.errors import WorkspaceError
from amparo.keys import KeyFile
from amparo.store import tables

GENESIS = "0" * 64
TRAIL_KEY = "amparo.audit.trail"  # Session.info: the workspace's AuditTrail
_ADVISORY_LOCK = 0x616D7061726F  # "amparo"
_append_lock = threading.Lock()
_HOLDS_LOCK = "amparo.audit.holds_lock"
_PENDING_HEAD = "amparo.audit.pending_head"
BEFORE_KEYS = "unauthenticated (before keys)"
AE = tables.AuditEvent


@dataclass(frozen=True)
class AuditTrail:
    """Where a workspace keeps what authenticates its trail: the key file and the anchor file."""

    key_file: KeyFile
    anchor_file: AnchorFile

    @classmethod
    def at(cls, key_file: KeyFile, anchor_path: Path) -> AuditTrail:
        return cls(key_file, AnchorFile(anchor_path))


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


def trail_of(session: Session) -> AuditTrail:
    trail = session.info.get(TRAIL_KEY)
    if trail is None:
        raise WorkspaceError("the audit trail needs a session opened by Workspace.session()")
    return trail


def append_audit(
    session: Session,
    actor: str,
    action: str,
    target: str | None = None,
    detail: dict[str, Any] | None = None,
) -> tables.AuditEvent:
    """Add one event at the end of the chain (flushed, committed with ``session``); the key is
    made on first use."""
    trail = trail_of(session)
    key = trail.key_file.read_or_create()
    detail = json.loads(json.dumps(detail or {}))  # JSON-native, as it will read back
    _hold_chain(session, trail)
    previous = session.scalar(select(AE.hash).order_by(AE.id.desc()).limit(1)) or GENESIS
    at = datetime.now(UTC)
    digest = event_hash(previous, canonical(at, actor, action, target, detail))
    row = AE(at=at, actor=actor, action=action, target=target, detail=detail,
             previous_hash=previous, hash=digest, mac=event_mac(key, digest))  # fmt: skip
    session.add(row)
    session.flush()
    session.info[_PENDING_HEAD] = Anchor(row.id, row.hash, row.mac or "")
    return row


def init_audit_key(session: Session) -> tuple[KeyFile, bool]:
    """Make the audit key unless it exists (``amparo keys init``); when this makes it, the
    current head is anchored, pinning the events from before keys. Whether it was made."""
    trail = trail_of(session)
    created = trail.key_file.create()
    if created:
        anchor_head(session)
    return trail.key_file, created


def anchor_head(session: Session) -> Anchor | None:
    """Write the current head to the anchor file now (``amparo keys init`` pins the events
    from before the key this way); ``None`` for an empty trail."""
    trail = trail_of(session)
    key = trail.key_file.read()
    _hold_chain(session, trail)
    row = session.scalar(select(AE).order_by(AE.id.desc()).limit(1))
    if row is None:
        return None
    session.info[_PENDING_HEAD] = Anchor(row.id, row.hash, event_mac(key, row.hash))
    return session.info[_PENDING_HEAD]


def _hold_chain(session: Session, trail: AuditTrail) -> None:
    """Take the append locks for the rest of ``session``'s transaction (once per session)."""
    if session.info.get(_HOLDS_LOCK):
        return
    _append_lock.acquire()
    try:
        writer = trail.anchor_file.lock_for_append()
    except BaseException:
        _append_lock.release()
        raise
    session.info[_HOLDS_LOCK] = True

    def finish(*_: Any, committed: bool) -> None:
        if not session.info.pop(_HOLDS_LOCK, False):
            return
        head = session.info.pop(_PENDING_HEAD, None)
        try:
            if committed and head is not None:
                writer.append(head)
        finally:
            writer.close()
            _append_lock.release()

    event.listen(session, "after_commit", lambda *a: finish(*a, committed=True), once=True)
    for name in ("after_rollback", "after_soft_rollback"):
        event.listen(session, name, lambda *a: finish(*a, committed=False), once=True)
    _lock_chain(session)


def _lock_chain(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK})


# --- verification --------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditVerdict:
    """What :func:`verify_audit` found: ``ok``, or the first bad event and why."""

    ok: bool
    events: int = 0
    authenticated: int = 0
    before_keys: int = 0
    anchored: int = 0
    head: Anchor | None = None
    first_bad: int | None = None
    problem: str | None = None

    def summary(self) -> str:
        if not self.ok:
            where = f"at event {self.first_bad}: " if self.first_bad is not None else ""
            return f"audit trail NOT intact {where}{self.problem}"
        legacy = f", {self.before_keys} {BEFORE_KEYS}" if self.before_keys else ""
        return (
            f"audit trail intact: {self.events} event(s), {self.authenticated} authenticated"
            f"{legacy}; {self.anchored} anchor record(s) matched"
        )


def verify_audit(session: Session, anchor: str | None = None) -> AuditVerdict:
    """Check every event's hash link, its MAC (after the events from before keys), every record
    of the anchor file and, when given, an anchor string an auditor wrote down."""
    trail = trail_of(session)
    wanted = parse_anchor_string(anchor) if anchor is not None else None
    try:
        key = trail.key_file.read() if trail.key_file.exists else None
    except WorkspaceError as error:
        return AuditVerdict(ok=False, problem=f"the audit key cannot be used: {error}")
    walk = _Walk(key, wanted)
    try:
        with trail.anchor_file.reader(key) as anchors:
            for row in _events(session):
                walk.event(row, anchors)
            walk.finish(anchors)
    except ChainProblem as broken:
        return walk.verdict(ok=False, first_bad=broken.event_id, problem=broken.problem)
    return walk.verdict(ok=True)


class _Walk:
    """The state of one walk along the chain, oldest event first."""

    def __init__(self, key: bytes | None, wanted: Anchor | None) -> None:
        self.key, self.wanted = key, wanted
        self.previous = GENESIS
        self.events = self.authenticated = self.before_keys = self.anchored = 0
        self.head: tables.AuditEvent | None = None
        self.seen_wanted = False

    def event(self, row: tables.AuditEvent, anchors: AnchorReader) -> None:
        expected = event_hash(
            self.previous, canonical(row.at, row.actor, row.action, row.target, row.detail)
        )
        if row.previous_hash != self.previous or row.hash != expected:
            raise ChainProblem(row.id, "an event was changed, removed or reordered here")
        self._authenticate(row)
        anchors.check(row.id, row.hash)
        if self.wanted is not None and row.id == self.wanted.event_id:
            self._check_wanted(row)
        self.events += 1
        self.previous, self.head = row.hash, row

    def _authenticate(self, row: tables.AuditEvent) -> None:
        if row.mac is None:
            if self.authenticated:
                raise ChainProblem(row.id, "an event without a MAC after authenticated ones")
            self.before_keys += 1
        elif self.key is None:
            raise ChainProblem(row.id, "the event carries a MAC but the audit key file is missing")
        elif not hmac.compare_digest(row.mac, event_mac(self.key, row.hash)):
            raise ChainProblem(
                row.id, "wrong MAC: rewritten by someone without the key (or another key)"
            )
        else:
            self.authenticated += 1

    def finish(self, anchors: AnchorReader) -> None:
        anchors.finish(self.head.id if self.head else None)
        if self.authenticated and anchors.count == 0:
            raise ChainProblem(None, "the anchor file is missing or empty: deleted, or moved away")
        self.anchored = anchors.count
        if self.wanted is not None and not self.seen_wanted:
            raise ChainProblem(
                self.wanted.event_id,
                "the event the anchor given names is missing: the chain was cut short",
            )

    def _check_wanted(self, row: tables.AuditEvent) -> None:
        assert self.wanted is not None
        if not row.hash.startswith(self.wanted.hash):
            raise ChainProblem(row.id, "differs from the anchor given: the chain was rewritten")
        self.seen_wanted = True

    def verdict(self, *, ok: bool, **extra: Any) -> AuditVerdict:
        head = self.head
        return AuditVerdict(
            ok=ok, events=self.events, authenticated=self.authenticated,
            before_keys=self.before_keys, anchored=self.anchored,
            head=Anchor(head.id, head.hash, head.mac or "") if head is not None else None,
            **extra,
        )  # fmt: skip


def verify_audit_chain(session: Session) -> tuple[bool, int | None]:
    """``(True, None)`` when the trail verifies, else ``(False, first bad event id)``."""
    verdict = verify_audit(session)
    return verdict.ok, verdict.first_bad


def anchor_string(session: Session) -> str:
    """The short string an auditor writes down: the head's id and its hash's first 24 digits.
    Refused (``WorkspaceError``) unless the trail verifies."""
    verdict = verify_audit(session)
    if not verdict.ok:
        raise WorkspaceError(verdict.summary())
    if verdict.head is None:
        raise WorkspaceError("the audit trail is empty: nothing to anchor yet")
    return verdict.head.short()


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
