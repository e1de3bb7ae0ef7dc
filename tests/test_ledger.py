"""The Source ledger every input kind records through, and the store's bounded reads and
translated database refusals (both backends)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import select

from amparo.errors import InvalidInput, StoreError, UnsafeInput
from amparo.intake import ledger
from amparo.intake.ledger import (
    QuarantinedPart,
    drop_parts,
    earlier_source,
    open_source,
    record_parts,
    record_rejected,
)
from amparo.model import MediaDigest
from amparo.store import tables
from amparo.store.bounded import read_bounded, read_file_bounded
from amparo.store.refusals import refusals_as_store_errors
from amparo.store.rows import insert_row
from amparo.workspace import Workspace

DIGEST = "ab" * 32


def _sources(workspace: Workspace) -> list[tables.Source]:
    with workspace.session() as session:
        rows = session.scalars(select(tables.Source).order_by(tables.Source.id)).all()
        session.expunge_all()
        return list(rows)


def _part(place: str, digest: MediaDigest | None = None) -> QuarantinedPart:
    error = InvalidInput("unreadable date", path="chat.txt", place=place)
    return QuarantinedPart("chat_lines", "chat.txt", digest, error)


def test_an_ingested_input_keeps_its_parts_with_file_place_and_reason(
    workspace: Workspace,
) -> None:
    kept = MediaDigest(sha256="cd" * 32, md5="0" * 32, sha1="0" * 40, size=12)
    with workspace.session() as session:
        connection = session.connection()
        source_id = open_source(connection, "chat_export", "chat.zip", DIGEST, note="day first")
        record_parts(connection, source_id, [_part("line 2", kept), _part("lines 4-5")])
    top, first, second = _sources(workspace)
    assert (top.kind, top.path, top.digest, top.status, top.reason, top.parent_id) == (
        "chat_export", "chat.zip", DIGEST, tables.SOURCE_INGESTED, "day first", None,
    )  # fmt: skip
    assert [(p.parent_id, p.status, p.place, p.reason) for p in (first, second)] == [
        (source_id, tables.SOURCE_QUARANTINED, "line 2", "chat.txt, line 2: unreadable date"),
        (source_id, tables.SOURCE_QUARANTINED, "lines 4-5", "chat.txt, lines 4-5: unreadable date"),
    ]
    assert (first.digest, first.size) == ("cd" * 32, 12)
    assert (second.digest, second.size) == (None, None)


def test_parts_are_written_in_batches_and_none_is_lost(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ledger, "PARTS_PER_INSERT", 3)
    with workspace.session() as session:
        connection = session.connection()
        source_id = open_source(connection, "hash_set", "set.csv", DIGEST, size=100)
        record_parts(connection, source_id, (_part(f"line {n}") for n in range(8)))
    top, *parts = _sources(workspace)
    assert top.size == 100
    assert [p.place for p in parts] == [f"line {n}" for n in range(8)]


def test_a_rejected_input_is_recorded_once_however_often_it_is_offered(
    workspace: Workspace,
) -> None:
    error = InvalidInput("no report.xml", path="a.zip")
    for path in ("a.zip", "copy-of-a.zip", "a.zip"):
        record_rejected(workspace, "report_package", path, DIGEST, error, size=7)
    record_rejected(workspace, "hash_set", "a.zip", DIGEST, error)  # another kind: its own
    (package, hash_set) = _sources(workspace)
    assert (package.kind, package.path, package.status, package.size) == (
        "report_package", "a.zip", tables.SOURCE_QUARANTINED, 7,
    )  # fmt: skip
    assert package.reason == "a.zip: no report.xml"
    assert hash_set.kind == "hash_set"


def test_an_unreadable_input_without_digest_is_recorded_once_per_reason(
    workspace: Workspace,
) -> None:
    link = UnsafeInput("a symbolic link (to '/etc'), not followed", path="in/link")
    gone = InvalidInput("cannot be read: gone", path="in/link")
    for error in (link, link, gone):
        record_rejected(workspace, "not_read", "in/link", None, error)
    assert [s.reason for s in _sources(workspace)] == [link.describe(), gone.describe()]


def test_an_input_read_again_drops_its_quarantine_but_keeps_its_ingestion(
    workspace: Workspace,
) -> None:
    record_rejected(workspace, "subscriber_return", "r.csv", DIGEST, InvalidInput("x", path="r"))
    with workspace.session() as session:
        assert earlier_source(session.connection(), "subscriber_return", DIGEST) is None
    assert _sources(workspace) == []
    with workspace.session() as session:
        connection = session.connection()
        source_id = open_source(connection, "subscriber_return", "r.csv", DIGEST)
        record_parts(connection, source_id, [_part("row 3")])
    with workspace.session() as session:
        assert earlier_source(session.connection(), "subscriber_return", DIGEST) == source_id
        assert earlier_source(session.connection(), "hash_set", DIGEST) is None
    assert len(_sources(workspace)) == 2
    with workspace.session() as session:
        drop_parts(session.connection(), source_id)
    assert [s.id for s in _sources(workspace)] == [source_id]


def test_a_database_refusal_becomes_a_store_error_naming_what_was_refused(
    workspace: Workspace,
) -> None:
    with workspace.session() as session:
        source_id = open_source(session.connection(), "hash_set", "set.csv", DIGEST)
    row = ledger.source_row("hash_set", "set.csv", DIGEST, None) | {"id": source_id}
    with (
        pytest.raises(StoreError, match=r"^the database refused hash set 'x': \S"),
        refusals_as_store_errors("the database refused hash set 'x'"),
        workspace.session() as session,
    ):
        insert_row(session.connection(), tables.Source, row)
    assert len(_sources(workspace)) == 1


class _Endless:
    """A stream that never ends, and counts what it was asked for."""

    def __init__(self) -> None:
        self.asked = 0

    def read(self, size: int = -1, /) -> bytes:
        assert size >= 0, "an unbounded read"
        self.asked += size
        return b"x" * size


def test_a_bounded_read_refuses_past_the_limit_asking_one_byte_more() -> None:
    assert read_bounded(io.BytesIO(b"12345"), 5, place="a.zip!/x") == b"12345"
    stream = _Endless()
    with pytest.raises(UnsafeInput, match="larger than the 5-byte limit") as refused:
        read_bounded(stream, 5, place="a.zip!/x")
    assert (refused.value.path, stream.asked) == ("a.zip!/x", 6)


def test_a_bounded_file_read_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "return.csv"
    path.write_bytes(b"a" * 10)
    assert read_file_bounded(path, 10) == b"a" * 10
    with pytest.raises(UnsafeInput, match="larger than the 9-byte limit"):
        read_file_bounded(path, 9)
    with pytest.raises(InvalidInput, match="cannot be read") as missing:
        read_file_bounded(tmp_path / "absent.csv", 9)
    assert missing.value.path == str(tmp_path / "absent.csv")
