"""Evidence files sealed with Tink's Streaming AEAD: AES-256-GCM segments, a key per file.

Tink's ``AES256_GCM_HKDF_1MB`` is the published construction (Hoang, Reyhanitabar, Rogaway
and Vizár, "Online Authenticated-Encryption and its Nonce-Reuse Misuse-Resistance", the
segmented STREAM scheme): HKDF-SHA256 derives a fresh AES-256 key for each file from the
keyset's key and a random salt, and each 1 MiB segment carries its own GCM tag, with the last
segment marked so that a truncated file fails too. Amparo only frames Tink's ciphertext:

    HEADER_MAGIC (8 bytes) | key id (4 bytes, big-endian) | Tink ciphertext

The header tells an encrypted file from a clear one (a half-migrated store holds both) and
which key sealed it (rotation moves the files not yet under the primary key). The associated
data is the header followed by the plaintext's SHA-256 in hex, so a file is bound to its name
and to the key id it claims. Tink is imported only when evidence is sealed or opened.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO, Protocol

from amparo.errors import EvidenceCorrupted, EvidenceError, EvidenceKeyError

HEADER_MAGIC = b"\x89AMPENC\x01"
HEADER_SIZE = len(HEADER_MAGIC) + 4
SEGMENT_BYTES = 1 << 20
# Imported on first use (it costs a tenth of a second); worker processes that seal or open
# files have it imported once, in the server they are forked from (``worker_modules``).
CIPHER_MODULE = "tink.streaming_aead"


class Writable(Protocol):
    def write(self, data: bytes, /) -> int: ...


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def streaming_template() -> Any:
    from tink import streaming_aead

    streaming_aead.register()
    return streaming_aead.streaming_aead_key_templates.AES256_GCM_HKDF_1MB


def worker_modules(keyset_json: str | None) -> tuple[str, ...]:
    """What worker processes given ``keyset_json`` need imported to seal or open files."""
    return () if keyset_json is None else (CIPHER_MODULE,)


def is_sealed(head: bytes) -> bool:
    """Whether a stored file's first bytes are an Amparo encryption header."""
    return head[: len(HEADER_MAGIC)] == HEADER_MAGIC


def header_key_id(head: bytes) -> int:
    return int.from_bytes(head[len(HEADER_MAGIC) : HEADER_SIZE], "big")


class EvidenceCipher:
    """One keyset's keys: seal under the primary, open with whichever key sealed a file."""

    def __init__(self, keyset_json: str) -> None:
        import tink
        from tink import secret_key_access, streaming_aead

        streaming_aead.register()
        try:
            handle = tink.json_proto_keyset_format.parse(keyset_json, secret_key_access.TOKEN)
        except tink.TinkError as error:
            raise EvidenceKeyError(f"the evidence keyset cannot be read: {error}") from error
        self.keyset_json = keyset_json
        keyset = keyset_proto(handle)
        self.primary_id: int = keyset.primary_key_id
        self._primitives = {key.key_id: _single_key_primitive(key) for key in keyset.key}

    @property
    def key_ids(self) -> frozenset[int]:
        return frozenset(self._primitives)

    @contextmanager
    def sealing(self, out: BinaryIO, sha256: str) -> Iterator[Writable]:
        """A stream whose writes land sealed in ``out`` (left open), finished on exit."""
        header = HEADER_MAGIC + self.primary_id.to_bytes(4, "big")
        out.write(header)
        primitive = self._primitives[self.primary_id]
        raw = primitive.new_encrypting_stream(_KeptOpen(out), header + sha256.encode())
        with raw:
            yield _WholeWrites(raw)

    def opening(self, sealed: BinaryIO, sha256: str) -> BinaryIO:
        """A stream of the plaintext of the sealed file ``sealed`` (read from its start).

        Each segment is checked as it is read: a changed or cut file raises EvidenceCorrupted,
        a file sealed under a key this keyset lacks raises EvidenceKeyError.
        """
        header = sealed.read(HEADER_SIZE)
        if not is_sealed(header) or len(header) < HEADER_SIZE:
            raise EvidenceCorrupted(f"evidence {sha256} has no complete encryption header")
        primitive = self._primitives.get(header_key_id(header))
        if primitive is None:
            raise EvidenceKeyError(
                f"evidence {sha256} is sealed under key {header_key_id(header)}, which this "
                "workspace's evidence keyset does not hold (a wrong or an older keyset?)"
            )
        stream = primitive.new_decrypting_stream(sealed, header + sha256.encode())
        return _Verified(stream, sha256)  # type: ignore[return-value]


def keyset_proto(handle: Any) -> Any:
    """The keyset of a Tink handle, as its protocol buffer (to add or drop keys)."""
    import tink
    from tink import secret_key_access
    from tink.proto import tink_pb2

    serialized = tink.proto_keyset_format.serialize(handle, secret_key_access.TOKEN)
    return tink_pb2.Keyset.FromString(serialized)


def handle_of(keyset: Any) -> Any:
    import tink
    from tink import secret_key_access

    return tink.proto_keyset_format.parse(keyset.SerializeToString(), secret_key_access.TOKEN)


def _single_key_primitive(key: Any) -> Any:
    from tink import streaming_aead
    from tink.proto import tink_pb2

    single = tink_pb2.Keyset(primary_key_id=key.key_id)
    single.key.append(key)
    return handle_of(single).primitive(streaming_aead.StreamingAead)


class _KeptOpen(io.RawIOBase):
    """The destination handed to Tink, which closes it when done: ``out`` itself stays open."""

    def __init__(self, out: BinaryIO) -> None:
        super().__init__()
        self._out = out

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        return self._out.write(data)

    def close(self) -> None:
        pass


class _WholeWrites:
    """Tink's encrypting stream may take only part of a write; this hands it the rest."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw

    def write(self, data: bytes) -> int:
        view, total = memoryview(data), 0
        while total < len(view):
            taken = self._raw.write(view[total:])
            if not taken:
                raise EvidenceError("the encrypting stream took no bytes")
            total += taken
        return total


class _Verified(io.RawIOBase):
    """Tink's decrypting stream, its errors (a failed tag) turned into EvidenceCorrupted."""

    def __init__(self, stream: BinaryIO, sha256: str) -> None:
        super().__init__()
        self._stream, self._sha256 = stream, sha256

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            return self.readall()
        import tink

        try:
            return self._stream.read(size) or b""
        except tink.TinkError as error:
            raise EvidenceCorrupted(
                f"evidence {self._sha256} failed its encryption check: changed, cut short, "
                "or sealed under another key"
            ) from error

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def readall(self) -> bytes:
        parts = []
        while part := self.read(SEGMENT_BYTES):
            parts.append(part)
        return b"".join(parts)

    def close(self) -> None:
        if not self.closed:
            self._stream.close()
        super().close()
