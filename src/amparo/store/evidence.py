"""The evidence store: each file kept once, named by its SHA-256, verified on every read."""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from amparo.errors import EvidenceCorrupted, EvidenceError, UnsafeInput
from amparo.model import MediaDigest

CHUNK = 1 << 20
IN_MEMORY_BYTES = 32 << 20
_SHA256 = re.compile("[0-9a-f]{64}")


class EvidenceStore:
    """Content-addressed files under ``root/ab/cd/<sha256>``, written atomically."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._incoming = root / ".incoming"

    def path_of(self, sha256: str) -> Path:
        return Path(self._location(sha256))

    def __contains__(self, sha256: str) -> bool:
        return os.path.isfile(self._location(sha256))

    def _location(self, sha256: str) -> str:
        if not _SHA256.fullmatch(sha256):
            raise EvidenceError(f"not a SHA-256 digest: {sha256!r}")
        return f"{self.root}/{sha256[:2]}/{sha256[2:4]}/{sha256}"

    def put_stream(self, stream: BinaryIO, *, name: str, max_bytes: int) -> MediaDigest:
        """Keep ``stream``'s bytes, hashing as it goes; refuse it past ``max_bytes``.

        Files that fit in memory are hashed first, so content already stored is not written
        again; larger ones are streamed through a temporary file.
        """
        first = stream.read(min(IN_MEMORY_BYTES, max_bytes) + 1)
        if len(first) > max_bytes:
            raise UnsafeInput(f"larger than the {max_bytes:,}-byte limit for one file", path=name)
        if len(first) <= IN_MEMORY_BYTES:
            digest = digest_bytes(first)
            if digest.sha256 not in self:
                with self._temporary() as (out, temp):
                    out.write(first)
                    self._settle(out, temp, digest.sha256)
            return digest
        with self._temporary() as (out, temp):
            digest = _copy_hashing(first, stream, out, name=name, max_bytes=max_bytes)
            self._settle(out, temp, digest.sha256)
        return digest

    def put_bytes(self, data: bytes) -> MediaDigest:
        return self.put_stream(io.BytesIO(data), name="(bytes)", max_bytes=len(data))

    def head(self, sha256: str, size: int) -> bytes:
        """The first ``size`` bytes, for recognising a file's type (not verified)."""
        with self.path_of(sha256).open("rb") as stream:
            return stream.read(size)

    def read(self, sha256: str) -> bytes:
        """The stored bytes, after checking they still hash to their name."""
        try:
            data = self.path_of(sha256).read_bytes()
        except OSError as error:
            raise EvidenceError(f"evidence {sha256} cannot be read: {error}") from error
        if hashlib.sha256(data).hexdigest() != sha256:
            raise EvidenceCorrupted(f"evidence {sha256} is corrupted: its bytes no longer match")
        return data

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

    def _settle(self, out: BinaryIO, temp: str, sha256: str) -> None:
        """Move a fully written temporary file under its digest's name, read-only."""
        final = self._location(sha256)
        if os.path.isfile(final):
            return
        out.flush()
        os.fchmod(out.fileno(), 0o440)
        os.makedirs(os.path.dirname(final), exist_ok=True)
        os.replace(temp, final)


def _copy_hashing(
    first: bytes, stream: BinaryIO, out: BinaryIO, *, name: str, max_bytes: int
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
