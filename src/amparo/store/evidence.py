"""The evidence store: each file kept once, named by its SHA-256, verified on every read.

Files are sealed at rest (:mod:`amparo.store.evidence_cipher`, Tink's Streaming AEAD) when the
store is told to ``encrypt``; files already kept in clear stay readable (a store being migrated
holds both, told apart by the header), and :meth:`EvidenceStore.reseal` moves one file under
the keyset's primary key. Nothing outside this module opens a stored file by its path.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from amparo.errors import EvidenceCorrupted, EvidenceError, EvidenceKeyError, UnsafeInput
from amparo.model import MediaDigest
from amparo.store.evidence_cipher import (
    HEADER_SIZE,
    Readable,
    Writable,
    header_key_id,
    is_sealed,
)

if TYPE_CHECKING:
    from amparo.store.evidence_cipher import EvidenceCipher
    from amparo.store.evidence_keys import EvidenceKeys

CHUNK = 1 << 20
IN_MEMORY_BYTES = 32 << 20
_SHA256 = re.compile("[0-9a-f]{64}")
# Plaintext copies for tools that need a file (FFmpeg) go to memory-backed /dev/shm when it has
# room for this many times the file, else to the system's temporary folder.
_SHM = Path("/dev/shm")
_SHM_ROOM = 4


class EvidenceStore:
    """Content-addressed files under ``root/ab/cd/<sha256>``, written atomically.

    ``keys`` finds the keyset (made on the first sealed write); ``encrypt`` seals new files.
    A store made for a worker process gets the keyset's JSON instead (:meth:`for_worker`).
    """

    def __init__(
        self, root: Path, keys: EvidenceKeys | None = None, *, encrypt: bool = False
    ) -> None:
        self.root = root
        self.keys = keys
        self.encrypt = encrypt
        self._incoming = root / ".incoming"
        self._cipher: EvidenceCipher | None = None
        self._lock = threading.Lock()

    @classmethod
    def for_worker(
        cls, root: Path, keyset_json: str | None, *, encrypt: bool = False
    ) -> EvidenceStore:
        """A store that reads (and with ``encrypt``, seals) with the keyset handed over: a
        worker has no passphrase."""
        store = cls(root, encrypt=encrypt)
        if keyset_json is not None:
            from amparo.store.evidence_cipher import EvidenceCipher

            store._cipher = EvidenceCipher(keyset_json)
        return store

    def keyset_for_workers(self) -> str | None:
        """The keyset's JSON to hand to worker processes, or None when there is none."""
        if self._cipher is None and (self.keys is None or self.keys.load() is None):
            return None
        return self.cipher().keyset_json

    def cipher(self) -> EvidenceCipher:
        """The keyset's keys, loaded once (and made first when this store seals files)."""
        with self._lock:
            if self._cipher is None:
                self._cipher = self._load_cipher()
            return self._cipher

    def _load_cipher(self) -> EvidenceCipher:
        from amparo.store.evidence_cipher import EvidenceCipher

        if self.keys is None:
            raise EvidenceKeyError("this evidence store was given no keyset")
        keyset = self.keys.load_or_create() if self.encrypt else self.keys.load()
        if keyset is None:
            raise EvidenceKeyError(f"the evidence keyset {self.keys.describe()} is missing")
        return EvidenceCipher(keyset)

    def forget_keys(self) -> None:
        """Load the keyset again at its next use (after a rotation changed it)."""
        with self._lock:
            self._cipher = None

    def path_of(self, sha256: str) -> Path:
        return Path(self._location(sha256))

    def __contains__(self, sha256: str) -> bool:
        return os.path.isfile(self._location(sha256))

    def _location(self, sha256: str) -> str:
        if not _SHA256.fullmatch(sha256):
            raise EvidenceError(f"not a SHA-256 digest: {sha256!r}")
        return f"{self.root}/{sha256[:2]}/{sha256[2:4]}/{sha256}"

    def names(self) -> Iterator[str]:
        """Every stored file's SHA-256, in order."""
        if not self.root.is_dir():
            return
        for first in sorted(p for p in self.root.iterdir() if len(p.name) == 2 and p.is_dir()):
            for second in sorted(p for p in first.iterdir() if p.is_dir()):
                yield from sorted(p.name for p in second.iterdir() if _SHA256.fullmatch(p.name))

    # --- keeping ------------------------------------------------------------------------

    def put_stream(self, stream: Readable, *, name: str, max_bytes: int) -> MediaDigest:
        """Keep ``stream``'s bytes, hashing as it goes; refuse it past ``max_bytes``.

        Files that fit in memory are hashed first, so content already stored is not written
        again; larger ones are streamed through a temporary file (sealed under a throwaway
        key until their digest, which the workspace key's seal is bound to, is known).
        """
        first = stream.read(min(IN_MEMORY_BYTES, max_bytes) + 1)
        if len(first) > max_bytes:
            raise UnsafeInput(f"larger than the {max_bytes:,}-byte limit for one file", path=name)
        if len(first) <= IN_MEMORY_BYTES:
            digest = digest_bytes(first)
            if digest.sha256 not in self:
                with self._temporary() as (out, temp):
                    self._write(out, first, digest.sha256)
                    self._settle(out, temp, digest.sha256)
            return digest
        if self.encrypt:
            return self._put_large_sealed(first, stream, name=name, max_bytes=max_bytes)
        with self._temporary() as (out, temp):
            digest = _copy_hashing(first, stream, out, name=name, max_bytes=max_bytes)
            self._settle(out, temp, digest.sha256)
        return digest

    def _write(self, out: BinaryIO, data: bytes, sha256: str) -> None:
        if not self.encrypt:
            out.write(data)
            return
        with self.cipher().sealing(out, sha256) as sealed:
            sealed.write(data)

    def put_bytes(self, data: bytes) -> MediaDigest:
        return self.put_stream(io.BytesIO(data), name="(bytes)", max_bytes=len(data))

    def _put_large_sealed(
        self, first: bytes, stream: Readable, *, name: str, max_bytes: int
    ) -> MediaDigest:
        from amparo.store.evidence_cipher import EvidenceCipher
        from amparo.store.evidence_keys import new_keyset

        throwaway = EvidenceCipher(new_keyset())
        with self._temporary() as (scratch, scratch_path):
            with throwaway.sealing(scratch, "") as sealed:
                digest = _copy_hashing(first, stream, sealed, name=name, max_bytes=max_bytes)
            scratch.flush()
            if digest.sha256 in self:
                return digest
            with open(scratch_path, "rb") as again, self._temporary() as (out, temp):
                with self.cipher().sealing(out, digest.sha256) as final:
                    shutil.copyfileobj(throwaway.opening(again, ""), final, CHUNK)
                self._settle(out, temp, digest.sha256)
        return digest

    def reseal(self, sha256: str) -> bool:
        """Seal a clear file, or one under an older key, under the primary key; whether it
        had to move. The new file replaces the old only once whole and checked, so a stop
        at any moment leaves the file readable."""
        cipher = self.cipher()
        if self.sealed_key_id(sha256) == cipher.primary_id:
            return False
        with self.open(sha256) as plain, self._temporary() as (out, temp):
            with cipher.sealing(out, sha256) as sealed:
                _check_stream(plain, sha256, sealed)
            self._settle(out, temp, sha256, replace=True)
        return True

    @contextmanager
    def _temporary(self) -> Iterator[tuple[BinaryIO, str]]:
        if not self._incoming.is_dir():
            self._incoming.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=self._incoming)
        try:
            with os.fdopen(handle, "wb") as out:
                yield out, temp
        finally:
            if os.path.exists(temp):
                os.unlink(temp)

    def _settle(self, out: BinaryIO, temp: str, sha256: str, *, replace: bool = False) -> None:
        """Move a fully written temporary file under its digest's name, read-only."""
        final = self._location(sha256)
        if os.path.isfile(final) and not replace:
            return
        out.flush()
        if replace:
            os.fsync(out.fileno())
        os.fchmod(out.fileno(), 0o440)
        os.makedirs(os.path.dirname(final), exist_ok=True)
        os.replace(temp, final)

    # --- reading ------------------------------------------------------------------------

    def sealed_key_id(self, sha256: str) -> int | None:
        """The id of the key that sealed a file, or None for a file kept in clear."""
        with self._raw(sha256) as stream:
            head = stream.read(HEADER_SIZE)
        return header_key_id(head) if is_sealed(head) and len(head) == HEADER_SIZE else None

    def head(self, sha256: str, size: int) -> bytes:
        """The first ``size`` bytes, for recognising a file's type (not checked against the
        name; a sealed file's first segment is checked against its tag)."""
        try:
            with self.open(sha256) as stream:
                return stream.read(size)
        except EvidenceError:
            if not self._clear_after_all(sha256):
                raise
            with self._raw(sha256) as stream:
                return stream.read(size)

    def read(self, sha256: str) -> bytes:
        """The stored bytes, after checking they still hash to their name."""
        with self._raw(sha256) as stream:
            stored = stream.read()
        data = stored
        if is_sealed(stored):
            try:
                data = self.cipher().opening(io.BytesIO(stored), sha256).read()
            except EvidenceError:
                if hashlib.sha256(stored).hexdigest() != sha256:
                    raise  # else a clear file that happens to start like a sealed one
        if hashlib.sha256(data).hexdigest() != sha256:
            raise EvidenceCorrupted(f"evidence {sha256} is corrupted: its bytes no longer match")
        return data

    def check(self, sha256: str) -> None:
        """Raise EvidenceCorrupted unless the file's plaintext hashes to its name (streamed)."""
        with self.open(sha256) as stream:
            _check_stream(stream, sha256)

    @contextmanager
    def open(self, sha256: str) -> Iterator[BinaryIO]:
        """The plaintext as a stream (each sealed segment checked as it is read; the whole
        against the name only by callers that hash it, as :meth:`read` does)."""
        with self._raw(sha256) as stream:
            head = stream.read(HEADER_SIZE)
            stream.seek(0)
            if not is_sealed(head):
                yield stream
                return
            with self.cipher().opening(stream, sha256) as plain:
                yield plain

    @contextmanager
    def plaintext_file(self, sha256: str) -> Iterator[Path]:
        """A file holding the plaintext, checked against the name, for tools that read files.

        A clear file is given where it lies; a sealed one is decrypted into a private copy
        (0600 in a 0700 folder, in /dev/shm when it has room), removed when the block ends.
        """
        if self.sealed_key_id(sha256) is None:
            path = self.path_of(sha256)
            with self._raw(sha256) as stream:
                _check_stream(stream, sha256)
            yield path
            return
        folder = tempfile.mkdtemp(prefix="amparo-plain-", dir=_private_temp_parent(self, sha256))
        try:
            copy = Path(folder) / "evidence"
            descriptor = os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as out, self.open(sha256) as plain:
                _check_stream(plain, sha256, out)
            yield copy
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    @contextmanager
    def _raw(self, sha256: str) -> Iterator[BinaryIO]:
        try:
            stream = open(self._location(sha256), "rb")  # noqa: SIM115 (closed below)
        except OSError as error:
            raise EvidenceError(f"evidence {sha256} cannot be read: {error}") from error
        with stream:
            yield stream

    def _clear_after_all(self, sha256: str) -> bool:
        """Whether a file that looks sealed but does not open is in fact a clear file."""
        with self._raw(sha256) as stream:
            try:
                _check_stream(stream, sha256)
            except EvidenceCorrupted:
                return False
        return True


def _check_stream(stream: BinaryIO, sha256: str, out: Writable | None = None) -> None:
    checked = hashlib.sha256()
    while chunk := stream.read(CHUNK):
        checked.update(chunk)
        if out is not None:
            out.write(chunk)
    if checked.hexdigest() != sha256:
        raise EvidenceCorrupted(f"evidence {sha256} is corrupted: its bytes no longer match")


def _private_temp_parent(store: EvidenceStore, sha256: str) -> str | None:
    try:
        room = os.statvfs(_SHM)
        size = os.path.getsize(store.path_of(sha256))
    except OSError:
        return None
    return str(_SHM) if room.f_bavail * room.f_frsize > _SHM_ROOM * size else None


def _copy_hashing(
    first: bytes, stream: Readable, out: Writable, *, name: str, max_bytes: int
) -> MediaDigest:
    sha256 = hashlib.sha256()
    md5 = hashlib.md5(usedforsecurity=False)
    sha1 = hashlib.sha1(usedforsecurity=False)
    size = 0
    chunk = first
    while chunk:
        size += len(chunk)
        if size > max_bytes:
            raise UnsafeInput(f"larger than the {max_bytes:,}-byte limit for one file", path=name)
        for algorithm in (sha256, md5, sha1):
            algorithm.update(chunk)
        out.write(chunk)
        chunk = stream.read(CHUNK)
    return MediaDigest(sha256.hexdigest(), md5.hexdigest(), sha1.hexdigest(), size)


def digest_bytes(data: bytes) -> MediaDigest:
    """Hashes of bytes already in memory."""
    return MediaDigest(
        hashlib.sha256(data).hexdigest(),
        hashlib.md5(data, usedforsecurity=False).hexdigest(),
        hashlib.sha1(data, usedforsecurity=False).hexdigest(),
        len(data),
    )
