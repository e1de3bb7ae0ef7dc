"""The evidence store: each file kept once, named by its SHA-256, verified on every read."""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from pathlib import Path
from typing import BinaryIO

from amparo.errors import EvidenceCorrupted, EvidenceError, UnsafeInput
from amparo.model import MediaDigest

CHUNK = 1 << 20


class EvidenceStore:
    """Content-addressed files under ``root/ab/cd/<sha256>``, written atomically."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._incoming = root / ".incoming"

    def path_of(self, sha256: str) -> Path:
        if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
            raise EvidenceError(f"not a SHA-256 digest: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def __contains__(self, sha256: str) -> bool:
        return self.path_of(sha256).is_file()

    def put_stream(self, stream: BinaryIO, *, name: str, max_bytes: int) -> MediaDigest:
        """Copy ``stream`` in, hashing as it goes; refuse it past ``max_bytes``."""
        self._incoming.mkdir(parents=True, exist_ok=True)
        handle, temp_name = tempfile.mkstemp(dir=self._incoming)
        temp = Path(temp_name)
        try:
            with os.fdopen(handle, "wb") as out:
                digest = _copy_hashing(stream, out, name=name, max_bytes=max_bytes)
            self._settle(temp, digest.sha256)
        finally:
            temp.unlink(missing_ok=True)
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

    def _settle(self, temp: Path, sha256: str) -> None:
        final = self.path_of(sha256)
        if final.is_file():
            return
        final.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(temp, 0o440)
        os.replace(temp, final)


def _copy_hashing(stream: BinaryIO, out: BinaryIO, *, name: str, max_bytes: int) -> MediaDigest:
    sha256 = hashlib.sha256()
    md5 = hashlib.md5(usedforsecurity=False)
    sha1 = hashlib.sha1(usedforsecurity=False)
    size = 0
    while chunk := stream.read(CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise UnsafeInput(f"larger than the {max_bytes:,}-byte limit for one file", path=name)
        for algorithm in (sha256, md5, sha1):
            algorithm.update(chunk)
        out.write(chunk)
    return MediaDigest(sha256.hexdigest(), md5.hexdigest(), sha1.hexdigest(), size)


def digest_bytes(data: bytes) -> MediaDigest:
    """Hashes of bytes already in memory."""
    return MediaDigest(
        hashlib.sha256(data).hexdigest(),
        hashlib.md5(data, usedforsecurity=False).hexdigest(),
        hashlib.sha1(data, usedforsecurity=False).hexdigest(),
        len(data),
    )
