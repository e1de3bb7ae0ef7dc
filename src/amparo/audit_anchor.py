"""The audit trail's anchor file: an append-only record, beside the workspace's database, of
the chain's head after each append, so that deleting the newest events (or rewriting the chain
with its hashes recomputed) shows.

One line per append: ``ID HASH MAC TIME``, the MAC being the head event's (HMAC under the audit
key), so that a line forged without the key is refused. The file is only ever opened to
append; its exclusive lock (``flock``) also serialises appends across processes. On a
filesystem that allows it, ``chattr +a`` makes it append-only for everyone but root.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from amparo.errors import UnknownReference, WorkspaceError

ANCHOR_FILE = "audit-anchor.log"
SHORT_DIGITS = 24
_MAC_DOMAIN = b"amparo.audit.event/1:"
_LINE = re.compile(r"(\d+) ([0-9a-f]{64}) ([0-9a-f]{64})(?: \S+)?")
_SHORT = re.compile(r"\s*(\d+):([0-9a-fA-F]{12,64})\s*")


@dataclass(frozen=True)
class Anchor:
    """A chain head: the event's id, its hash and its MAC (empty when unknown)."""

    event_id: int
    hash: str
    mac: str

    def line(self) -> str:
        at = datetime.now(UTC).isoformat(timespec="seconds")
        return f"{self.event_id} {self.hash} {self.mac} {at}\n"

    def short(self) -> str:
        """What an auditor writes down: ``ID:`` and the hash's first 24 hex digits."""
        return f"{self.event_id}:{self.hash[:SHORT_DIGITS]}"


class ChainProblem(Exception):
    """The chain, or the anchor file, is not as it was written: which event, and why."""

    def __init__(self, event_id: int | None, problem: str) -> None:
        super().__init__(problem)
        self.event_id, self.problem = event_id, problem


def parse_anchor_string(text: str) -> Anchor:
    found = _SHORT.fullmatch(text)
    if found is None:
        raise UnknownReference(
            f"{text!r} is not an audit anchor (ID:HEX, as `amparo audit anchor` prints it)"
        )
    return Anchor(int(found.group(1)), found.group(2).lower(), "")


def event_mac(key: bytes, hash_hex: str) -> str:
    """HMAC-SHA256 of an event's hash (which covers its content and the chain before it)."""
    return hmac.new(key, _MAC_DOMAIN + hash_hex.encode("ascii"), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class AnchorFile:
    path: Path

    def lock_for_append(self) -> AnchorWriter:
        """Open for appending and take the exclusive lock (waits for another appender)."""
        try:
            descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        except OSError as error:
            message = f"cannot open the audit anchor file {self.path}: {error}"
            raise WorkspaceError(message) from error
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        return AnchorWriter(descriptor)

    @contextmanager
    def reader(self, key: bytes | None) -> Iterator[AnchorReader]:
        try:
            handle: IO[str] | None = self.path.open(encoding="ascii", errors="replace")
        except FileNotFoundError:
            handle = None
        except OSError as error:
            message = f"cannot read the audit anchor file {self.path}: {error}"
            raise WorkspaceError(message) from error
        try:
            yield AnchorReader(iter(handle) if handle else iter(()), key)
        finally:
            if handle is not None:
                handle.close()


class AnchorWriter:
    def __init__(self, descriptor: int) -> None:
        self._descriptor = descriptor

    def append(self, anchor: Anchor) -> None:
        os.write(self._descriptor, anchor.line().encode("ascii"))

    def close(self) -> None:
        os.close(self._descriptor)  # releases the lock


class AnchorReader:
    """The anchor file's records, checked one by one against the chain walked in id order."""

    def __init__(self, lines: Iterator[str], key: bytes | None) -> None:
        self._lines, self._key = lines, key
        self._line_number = 0
        self.count = 0
        self._last_id = 0
        self._next = self._advance()

    def check(self, event_id: int, event_hash: str) -> None:
        """The chain's event ``event_id`` against every record of it; records of events the
        chain skipped are events deleted from it."""
        while self._next is not None and self._next.event_id <= event_id:
            record = self._next
            if record.event_id < event_id:
                raise ChainProblem(record.event_id, "an anchored event is missing from the chain")
            if record.hash != event_hash:
                raise ChainProblem(event_id, "differs from the anchor file's record of it")
            self.count += 1
            self._next = self._advance()

    def finish(self, last_id: int | None) -> None:
        if self._next is not None:
            raise ChainProblem(
                self._next.event_id,
                f"the anchor file records this event but the chain ends at {last_id}: "
                "the newest events were deleted",
            )

    def _advance(self) -> Anchor | None:
        for line in self._lines:
            self._line_number += 1
            if line.strip():
                return self._parse(line.strip())
        return None

    def _parse(self, line: str) -> Anchor:
        where = f"anchor file line {self._line_number}"
        found = _LINE.fullmatch(line)
        if found is None:
            raise ChainProblem(None, f"{where} is not an anchor record")
        anchor = Anchor(int(found.group(1)), found.group(2), found.group(3))
        if self._key is None:
            raise ChainProblem(None, "the anchor file exists but the audit key file is missing")
        if not hmac.compare_digest(anchor.mac, event_mac(self._key, anchor.hash)):
            raise ChainProblem(anchor.event_id, f"{where} was not written with the audit key")
        if anchor.event_id < self._last_id:
            raise ChainProblem(anchor.event_id, f"{where} is out of order")
        self._last_id = anchor.event_id
        return anchor
