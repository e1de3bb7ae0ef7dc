"""Key files: made once, whole, private — however many requests ask for the key at once."""

from __future__ import annotations

import stat
import threading
from pathlib import Path

import pytest

from amparo.errors import WorkspaceError
from amparo.keys import KEY_BYTES, KeyFile


def race_for_the_key(path: Path, threads: int) -> tuple[list[bytes], list[Exception]]:
    start = threading.Barrier(threads)
    keys: list[bytes] = []
    errors: list[Exception] = []

    def ask() -> None:
        start.wait()
        try:
            keys.append(KeyFile(path).read_or_create())
        except WorkspaceError as error:
            errors.append(error)

    workers = [threading.Thread(target=ask) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return keys, errors


def test_readers_racing_the_maker_never_see_a_half_written_key(tmp_path: Path) -> None:
    for round_number in range(40):
        path = tmp_path / f"round{round_number}" / "audit.key"
        keys, errors = race_for_the_key(path, threads=8)
        assert errors == []
        assert len(keys) == 8 and len(set(keys)) == 1 and len(keys[0]) == KEY_BYTES
        assert [p.name for p in path.parent.iterdir()] == ["audit.key"]  # no temporary left
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_an_existing_key_is_never_replaced(tmp_path: Path) -> None:
    key_file = KeyFile(tmp_path / "keys" / "audit.key")
    assert key_file.create() is True
    first = key_file.read()
    assert key_file.create() is False
    assert key_file.read() == first


def test_an_empty_key_file_is_refused_not_used(tmp_path: Path) -> None:
    path = tmp_path / "audit.key"
    path.touch(mode=0o600)
    with pytest.raises(WorkspaceError, match="holds 0 bytes"):
        KeyFile(path).read_or_create()
