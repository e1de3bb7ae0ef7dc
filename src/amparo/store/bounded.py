"""Whole files and streams read into memory only up to a ceiling: their bytes, or why not."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from amparo.errors import InvalidInput, UnsafeInput


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def read_bounded(stream: Readable, max_bytes: int, *, place: str) -> bytes:
    """All of ``stream``, refused (UnsafeInput naming ``place``) past ``max_bytes``.

    Reads at most one byte more than the ceiling, so a stream that lies about its size or
    keeps growing costs no more memory than an honest one.
    """
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise too_large(max_bytes, place)
    return data


def read_file_bounded(path: Path, max_bytes: int) -> bytes:
    """The whole file at ``path``, refused past ``max_bytes``; InvalidInput when unreadable."""
    try:
        if path.stat().st_size > max_bytes:
            raise too_large(max_bytes, str(path))
        with open(path, "rb") as stream:
            return read_bounded(stream, max_bytes, place=str(path))
    except OSError as error:
        raise InvalidInput(f"cannot be read: {error}", path=str(path)) from error


def too_large(max_bytes: int, place: str) -> UnsafeInput:
    """The refusal of something larger than the ``max_bytes`` it may hold."""
    return UnsafeInput(f"larger than the {max_bytes:,}-byte limit", path=place)
