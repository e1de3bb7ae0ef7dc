"""Evidence encrypted at rest: sealed with Tink's Streaming AEAD, verified on every read, keys
rotated and clear stores migrated resumably, findings unchanged."""

from __future__ import annotations

import io
import json
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from amparo.cli import main
from amparo.demo import GeneratedOperation, generate_operation
from amparo.demo.avi import mjpeg_avi
from amparo.errors import EvidenceCorrupted, EvidenceKeyError
from amparo.intake.device import ingest_device_tree
from amparo.media.stored import CORRUPTED, analyse_evidence, open_evidence
from amparo.media.video import vpdq
from amparo.settings import set_setting
from amparo.stages.hashing import run_hash_stage
from amparo.store import evidence
from amparo.store.evidence import EvidenceStore
from amparo.store.evidence_cipher import HEADER_SIZE, is_sealed
from amparo.store.evidence_keys import (
    KEY_VARIABLE,
    KEYSET_FILE,
    PASSPHRASE_VARIABLE,
    SEALED_KEYSET_FILE,
    EvidenceKeys,
)
from amparo.store.evidence_rotation import encrypt_clear_evidence, rotate_evidence_key
from amparo.workspace import Workspace, open_workspace
from tests.conftest import new_database_url


class Stop(Exception):
    """Raised from a progress hook: the rotation or migration stops there, as in a crash."""


def benign_picture(seed: int, side: int = 256) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 256, (side, side, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def distinctive(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[middle : middle + 48]


def stored_bytes(store: EvidenceStore) -> list[bytes]:
    return [path.read_bytes() for path in store.root.rglob("*") if path.is_file()]


def sealed_store(folder: Path, keys: str = "keys") -> EvidenceStore:
    return EvidenceStore(folder / "evidence", EvidenceKeys(folder / keys), encrypt=True)


def stop_after(count: int) -> Any:
    done = iter(range(count - 1))

    def hook() -> None:
        if next(done, None) is None:
            raise Stop

    return hook


# --- sealed at rest ----------------------------------------------------------------------


def test_no_evidence_file_holds_the_plaintext(workspace: Workspace, tmp_path: Path) -> None:
    tree = tmp_path / "phone" / "DCIM"
    tree.mkdir(parents=True)
    pictures = [benign_picture(seed) for seed in range(4)]
    for number, data in enumerate(pictures):
        (tree / f"IMG_{number}.jpg").write_bytes(data)
    ingest_device_tree(workspace, "phone-1", tmp_path / "phone")
    stored = stored_bytes(workspace.evidence)
    assert len(stored) == len(pictures)
    for data in pictures:
        assert not any(distinctive(data) in body for body in stored)
        assert workspace.evidence.read(evidence.digest_bytes(data).sha256) == data
    assert all(is_sealed(body) for body in stored)
    keyset = workspace.evidence.keys.folder / KEYSET_FILE  # type: ignore[union-attr]
    assert stat.S_IMODE(keyset.stat().st_mode) == 0o600
    assert stat.S_IMODE(keyset.parent.stat().st_mode) == 0o700
    assert run_hash_stage(workspace, workers=1) == len(pictures)


def test_a_large_file_is_streamed_sealed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(evidence, "IN_MEMORY_BYTES", 1000)
    store = sealed_store(tmp_path)
    data = os.urandom(3 * 1024 * 1024 + 17)  # more than one segment
    digest = store.put_stream(io.BytesIO(data), name="big.bin", max_bytes=len(data))
    assert store.read(digest.sha256) == data
    assert not any(distinctive(data) in body for body in stored_bytes(store))
    assert list((tmp_path / "evidence" / ".incoming").iterdir()) == []


def test_tampering_one_byte_is_a_clear_error(tmp_path: Path) -> None:
    store = sealed_store(tmp_path)
    digest = store.put_bytes(benign_picture(1))
    path = store.path_of(digest.sha256)
    body = bytearray(path.read_bytes())
    body[HEADER_SIZE + 100] ^= 0x01
    os.chmod(path, 0o600)
    path.write_bytes(bytes(body))
    with pytest.raises(EvidenceCorrupted, match=digest.sha256):
        store.read(digest.sha256)
    with pytest.raises(EvidenceCorrupted):
        store.head(digest.sha256, 64)
    worker_view = EvidenceStore.for_worker(store.root, store.cipher().keyset_json)
    with pytest.raises(EvidenceCorrupted):
        worker_view.check(digest.sha256)


def test_a_file_cut_short_or_renamed_is_refused(tmp_path: Path) -> None:
    store = sealed_store(tmp_path)
    first, second = store.put_bytes(b"first benign file"), store.put_bytes(b"second benign")
    swapped = store.path_of(first.sha256)
    os.chmod(swapped, 0o600)
    swapped.write_bytes(store.path_of(second.sha256).read_bytes())
    with pytest.raises(EvidenceCorrupted):
        store.read(first.sha256)  # bound to its name: another file's seal does not open
    cut = store.path_of(second.sha256)
    os.chmod(cut, 0o600)
    cut.write_bytes(cut.read_bytes()[:-5])
    with pytest.raises(EvidenceCorrupted):
        store.read(second.sha256)


def test_a_wrong_key_is_a_clear_error(tmp_path: Path) -> None:
    store = sealed_store(tmp_path)
    digest = store.put_bytes(b"benign evidence")
    stranger = EvidenceStore(store.root, EvidenceKeys(tmp_path / "other-keys"), encrypt=True)
    stranger.put_bytes(b"made so the stranger has a keyset of its own")
    with pytest.raises(EvidenceKeyError, match="does not hold"):
        stranger.read(digest.sha256)
    keyless = EvidenceStore(store.root, EvidenceKeys(tmp_path / "no-keys"))
    with pytest.raises(EvidenceKeyError, match="missing"):
        keyless.read(digest.sha256)


def test_a_clear_file_that_looks_sealed_is_still_read(tmp_path: Path) -> None:
    clear = EvidenceStore(tmp_path / "evidence")
    data = b"\x89AMPENC\x01 a clear file that starts like a sealed one"
    digest = clear.put_bytes(data)
    assert clear.read(digest.sha256) == data
    assert clear.head(digest.sha256, 8) == data[:8]


def test_a_picture_is_decrypted_only_in_memory_for_analysis(tmp_path: Path) -> None:
    store = sealed_store(tmp_path)
    digest = store.put_bytes(benign_picture(2))
    unkeyed = analyse_evidence(store.path_of(digest.sha256))  # a worker handed no keyset
    assert unkeyed.error is not None and "no keyset" in unkeyed.error
    open_evidence(str(store.root), store.cipher().keyset_json)
    analysis = analyse_evidence(store.path_of(digest.sha256))
    assert analysis.kind == "image" and analysis.pdq and analysis.error is None
    body = bytearray(store.path_of(digest.sha256).read_bytes())
    body[-20] ^= 0x10
    os.chmod(store.path_of(digest.sha256), 0o600)
    store.path_of(digest.sha256).write_bytes(bytes(body))
    assert analyse_evidence(store.path_of(digest.sha256)).error == CORRUPTED


def test_a_plaintext_copy_is_private_and_removed(tmp_path: Path) -> None:
    store = sealed_store(tmp_path)
    data = b"benign bytes a tool needs as a file" * 100
    digest = store.put_bytes(data)
    with store.plaintext_file(digest.sha256) as plain:
        assert plain.read_bytes() == data
        assert stat.S_IMODE(plain.stat().st_mode) == 0o600
        assert stat.S_IMODE(plain.parent.stat().st_mode) == 0o700
        assert store.root not in plain.parents
    assert not plain.exists() and not plain.parent.exists()


def benign_video(seconds: int = 3, fps: int = 5) -> bytes:
    rows, columns = np.mgrid[0:120, 0:160]
    frames = []
    for frame in range(seconds * fps):
        pixels = np.stack([(columns + frame * 9) % 256, rows * 2, np.full_like(rows, 90)], 2)
        pixels[40:80, frame * 7 % 130 : frame * 7 % 130 + 30] = 255
        frames.append(Image.fromarray(pixels.astype(np.uint8)))
    return mjpeg_avi(frames, fps)


@pytest.mark.skipif(vpdq is None, reason="video hashing (vpdq) is not installed here")
def test_a_sealed_video_hashes_as_the_clear_one_and_leaves_no_copy(tmp_path: Path) -> None:
    data = benign_video()
    clear = EvidenceStore(tmp_path / "clear" / "evidence")
    sealed = sealed_store(tmp_path / "sealed")
    sha256 = clear.put_bytes(data).sha256
    assert sealed.put_bytes(data).sha256 == sha256
    copies_before = set(Path("/dev/shm").glob("amparo-plain-*"))
    open_evidence(str(clear.root), None)
    from_clear = analyse_evidence(clear.path_of(sha256))
    open_evidence(str(sealed.root), sealed.cipher().keyset_json)
    from_sealed = analyse_evidence(sealed.path_of(sha256))
    assert from_sealed.kind == "video" and from_sealed.error is None
    assert from_sealed.video_frames and from_sealed.video_frames == from_clear.video_frames
    assert set(Path("/dev/shm").glob("amparo-plain-*")) == copies_before


# --- where the key comes from ------------------------------------------------------------


def test_the_environment_key_wins_over_the_key_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = sealed_store(tmp_path)
    digest = store.put_bytes(b"benign")
    keyset = store.cipher().keyset_json
    (tmp_path / "keys" / KEYSET_FILE).unlink()
    monkeypatch.setenv(KEY_VARIABLE, keyset)
    assert sealed_store(tmp_path).read(digest.sha256) == b"benign"
    assert not (tmp_path / "keys" / KEYSET_FILE).exists()
    with pytest.raises(EvidenceKeyError, match=KEY_VARIABLE):
        rotate_evidence_key(sealed_store(tmp_path))


def test_a_passphrase_seals_the_keyset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSPHRASE_VARIABLE, "correct horse battery staple")
    store = sealed_store(tmp_path)
    digest = store.put_bytes(b"benign")
    sealed = tmp_path / "keys" / SEALED_KEYSET_FILE
    document = json.loads(sealed.read_text(encoding="utf-8"))
    assert document["kdf"]["algorithm"] == "argon2id" and len(document["kdf"]["salt"]) == 32
    assert not (tmp_path / "keys" / KEYSET_FILE).exists()
    key_material = json.loads(store.cipher().keyset_json)["key"][0]["keyData"]["value"]
    assert key_material not in sealed.read_text(encoding="utf-8")
    assert sealed_store(tmp_path).read(digest.sha256) == b"benign"
    monkeypatch.setenv(PASSPHRASE_VARIABLE, "wrong")
    with pytest.raises(EvidenceKeyError, match="wrong passphrase"):
        sealed_store(tmp_path).read(digest.sha256)
    monkeypatch.delenv(PASSPHRASE_VARIABLE)
    with pytest.raises(EvidenceKeyError, match=PASSPHRASE_VARIABLE):
        sealed_store(tmp_path).read(digest.sha256)


# --- rotation and migration --------------------------------------------------------------


def _fill(store: EvidenceStore, count: int) -> dict[str, bytes]:
    files = {}
    for number in range(count):
        data = f"benign evidence file {number} ".encode() * (number + 1)
        files[store.put_bytes(data).sha256] = data
    return files


def _key_ids(store: EvidenceStore) -> set[int | None]:
    return {store.sealed_key_id(sha256) for sha256 in store.names()}


def test_rotate_then_read_everything(tmp_path: Path) -> None:
    store = sealed_store(tmp_path)
    files = _fill(store, 5)
    old = store.cipher().primary_id
    report = rotate_evidence_key(store)
    assert (report.moved, report.failed, report.old_keys_dropped) == (5, [], True)
    fresh = sealed_store(tmp_path)
    assert fresh.cipher().key_ids == {fresh.cipher().primary_id} != {old}
    assert _key_ids(fresh) == {fresh.cipher().primary_id}
    assert all(fresh.read(sha256) == data for sha256, data in files.items())


def test_a_rotation_stopped_half_way_leaves_everything_readable_and_resumes(
    tmp_path: Path,
) -> None:
    store = sealed_store(tmp_path)
    files = _fill(store, 8)
    old = store.cipher().primary_id
    with pytest.raises(Stop):
        rotate_evidence_key(store, on_done=stop_after(3))
    halfway = sealed_store(tmp_path)
    new = halfway.cipher().primary_id
    assert halfway.cipher().key_ids == {old, new} and _key_ids(halfway) == {old, new}
    assert all(halfway.read(sha256) == data for sha256, data in files.items())
    report = rotate_evidence_key(halfway)
    assert report.resumed and report.old_keys_dropped and report.moved == 5
    done = sealed_store(tmp_path)
    assert done.cipher().key_ids == {new} and _key_ids(done) == {new}
    assert all(done.read(sha256) == data for sha256, data in files.items())


# A real `kill -9` half way: the command line runs in a fresh process whose store kills it
# as it is about to move its Nth re-encrypted file into place (deterministic, not a race).
KILLED_CLI = """
import os, signal, sys
from amparo.store.evidence import EvidenceStore

settled = 0
original = EvidenceStore._settle

def settle(self, out, temp, sha256, *, replace=False):
    global settled
    settled += replace
    if replace and settled >= int(os.environ["AMPARO_TEST_KILL_AT_FILE"]):
        os.kill(os.getpid(), signal.SIGKILL)
    original(self, out, temp, sha256, replace=replace)

EvidenceStore._settle = settle
from amparo.cli import main
sys.argv[0] = "amparo"
main()
"""


def _amparo_killed(workspace: Path, *args: str, kill_at: int) -> int:
    env = {name: value for name, value in os.environ.items() if name != "AMPARO_DATABASE_URL"}
    env["AMPARO_TEST_KILL_AT_FILE"] = str(kill_at)
    command = [sys.executable, "-c", KILLED_CLI, "--workspace", str(workspace), *args]
    return subprocess.run(command, env=env, capture_output=True, timeout=300).returncode


def test_a_rotation_killed_mid_file_then_rerun_leaves_everything_under_the_new_key(
    tmp_path: Path,
) -> None:
    workspace = open_workspace(tmp_path / "ws")
    files = _fill(workspace.evidence, 6)
    old = workspace.evidence.cipher().primary_id
    workspace.close()
    assert _amparo_killed(tmp_path / "ws", "keys", "rotate", kill_at=4) == -signal.SIGKILL
    halfway = open_workspace(tmp_path / "ws")
    assert len(halfway.evidence.cipher().key_ids) == 2
    assert old in _key_ids(halfway.evidence) and len(_key_ids(halfway.evidence)) == 2
    assert all(halfway.evidence.read(sha256) == data for sha256, data in files.items())
    halfway.close()
    result = CliRunner().invoke(main, ["-w", str(tmp_path / "ws"), "keys", "rotate"])
    assert result.exit_code == 0, result.output
    done = open_workspace(tmp_path / "ws")
    new = done.evidence.cipher().primary_id
    assert done.evidence.cipher().key_ids == {new} != {old} and _key_ids(done.evidence) == {new}
    assert all(done.evidence.read(sha256) == data for sha256, data in files.items())
    done.close()


def test_a_migration_killed_mid_file_then_rerun_seals_everything(tmp_path: Path) -> None:
    clear = EvidenceStore(tmp_path / "ws" / "evidence")  # a workspace from before encryption
    files = _fill(clear, 5)
    assert _amparo_killed(tmp_path / "ws", "keys", "encrypt", kill_at=3) == -signal.SIGKILL
    halfway = open_workspace(tmp_path / "ws")
    assert None in _key_ids(halfway.evidence) and len(_key_ids(halfway.evidence)) == 2
    assert all(halfway.evidence.read(sha256) == data for sha256, data in files.items())
    halfway.close()
    result = CliRunner().invoke(main, ["-w", str(tmp_path / "ws"), "keys", "encrypt"])
    assert result.exit_code == 0, result.output
    assert "3 evidence file(s) encrypted; 2 already were" in result.output
    done = open_workspace(tmp_path / "ws")
    assert _key_ids(done.evidence) == {done.evidence.cipher().primary_id}
    assert all(done.evidence.read(sha256) == data for sha256, data in files.items())
    done.close()


def test_the_rotate_command_shows_progress_and_rotates(tmp_path: Path) -> None:
    workspace = open_workspace(tmp_path / "ws")
    files = _fill(workspace.evidence, 3)
    old = workspace.evidence.cipher().primary_id
    workspace.close()
    result = CliRunner().invoke(main, ["-w", str(tmp_path / "ws"), "keys", "rotate"])
    assert result.exit_code == 0, result.output
    assert "3 evidence file(s) re-encrypted under the new key" in result.output
    assert "old evidence keys dropped" in result.output
    reopened = open_workspace(tmp_path / "ws")
    assert reopened.evidence.cipher().primary_id != old
    assert all(reopened.evidence.read(sha256) == data for sha256, data in files.items())
    reopened.close()


def test_a_clear_workspace_migrates_resumably(database_url: str, tmp_path: Path) -> None:
    workspace = open_workspace(tmp_path / "ws", database_url=database_url)
    with workspace.session() as session:
        set_setting(session, "evidence_encryption", "off")
    workspace.close()
    workspace = open_workspace(tmp_path / "ws", database_url=database_url)
    assert not workspace.evidence.encrypt
    pictures = {workspace.evidence.put_bytes(data).sha256: data
                for data in (benign_picture(seed) for seed in range(6))}  # fmt: skip
    assert _key_ids(workspace.evidence) == {None}
    with pytest.raises(Stop):
        encrypt_clear_evidence(workspace.evidence, on_done=stop_after(2))
    assert len(_key_ids(workspace.evidence)) == 2  # some clear, some sealed, all readable
    assert all(workspace.evidence.read(sha) == data for sha, data in pictures.items())
    result = CliRunner().invoke(
        main, ["-w", str(tmp_path / "ws"), "keys", "encrypt"],
        env={"AMPARO_DATABASE_URL": database_url},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "4 evidence file(s) encrypted; 2 already were" in result.output
    assert None not in _key_ids(workspace.evidence)
    stored = stored_bytes(workspace.evidence)
    assert not any(distinctive(data) in body for data in pictures.values() for body in stored)
    assert all(workspace.evidence.read(sha) == data for sha, data in pictures.items())
    workspace.close()


# --- the whole pipeline ------------------------------------------------------------------


@pytest.fixture(scope="module")
def operation(tmp_path_factory: pytest.TempPathFactory) -> GeneratedOperation:
    """The crash-safety test's demo-sized operation (10 reports, hash sets)."""
    root = tmp_path_factory.mktemp("enc-op") / "input"
    return generate_operation(root, reports=10, seed=11, hash_sets=True)


def _findings(folder: Path, database_url: str, operation: GeneratedOperation, *, on: bool) -> Any:
    runner, env = CliRunner(), {"AMPARO_DATABASE_URL": database_url}

    def amparo(*args: str) -> None:
        result = runner.invoke(main, ["-w", str(folder), *args], env=env)
        assert result.exit_code == 0, result.output

    amparo("settings", "set", "evidence_encryption", "on" if on else "off")
    amparo("ingest", *(str(path) for path in operation.packages))
    for name, path in sorted(operation.hashset_files.items()):
        amparo("hashsets", "import", str(path), "--name", name.removesuffix(".csv"))
    amparo("process")
    amparo("export", "findings", "-o", str(folder / "findings.json"))
    document = json.loads((folder / "findings.json").read_text(encoding="utf-8"))
    document.pop("generated_at")
    return document


class _SameBackend:
    """What ``new_database_url`` needs of a request: the backend, and the fixtures."""

    def __init__(self, request: pytest.FixtureRequest, backend: str) -> None:
        self.param, self._request = backend, request

    def getfixturevalue(self, name: str) -> Any:
        return self._request.getfixturevalue(name)


def test_findings_are_identical_encrypted_or_clear(
    request: pytest.FixtureRequest,
    database_url: str,
    operation: GeneratedOperation,
    tmp_path: Path,
) -> None:
    backend = request.node.callspec.params["database_url"]
    (tmp_path / "clear-db").mkdir()
    clear_url = new_database_url(_SameBackend(request, backend), tmp_path / "clear-db")  # type: ignore[arg-type]
    sealed_url = database_url
    clear = _findings(tmp_path / "clear", clear_url, operation, on=False)
    sealed = _findings(tmp_path / "sealed", sealed_url, operation, on=True)
    assert clear == sealed
    assert {m["status"] for m in sealed["media"]} >= {"known", "new"}
    store = open_workspace(tmp_path / "sealed", database_url=sealed_url)
    assert None not in _key_ids(store.evidence) and any(True for _ in store.evidence.names())
    store.close()


def test_keys_init_makes_the_keyset_and_the_switch_is_checked(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["-w", str(tmp_path / "ws"), "keys", "init"])
    assert result.exit_code == 0, result.output
    assert "evidence keyset" in result.output
    assert (tmp_path / "ws" / "keys" / KEYSET_FILE).is_file()
    refused = CliRunner().invoke(
        main, ["-w", str(tmp_path / "ws"), "settings", "set", "evidence_encryption", "perhaps"]
    )
    assert refused.exit_code != 0 and "on or off" in refused.output
