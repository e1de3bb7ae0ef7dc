"""PDQ perceptual hashes of generated pictures, and an index that keeps picture groups apart.

Hashes are computed from the encoded bytes, decoded with Pillow, as the product will see them.
Distances are Hamming distances between 256-bit hashes; a picture's distance to a hash is the
smallest over its eight dihedral hashes, so rotated and mirrored copies count as close.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pdqhash
from PIL import Image

HASH_BITS = 256
DIHEDRAL_COUNT = 8
INITIAL_CAPACITY = 256
ASYMMETRY_SLACK = 32


def pdq_hex(bits: np.ndarray) -> str:
    """The 64-hex-digit form of a PDQ hash: bit 0 is the most significant bit of byte 0."""
    return np.packbits(np.asarray(bits, dtype=np.uint8)).tobytes().hex()


def _signs(bits: np.ndarray) -> np.ndarray:
    """Bits as +1/-1, so that a dot product gives ``HASH_BITS - 2 * hamming``."""
    return np.where(np.asarray(bits) > 0, 1.0, -1.0).astype(np.float32)


@dataclass(frozen=True, eq=False)
class PdqSignature:
    """The eight dihedral PDQ hashes of a picture (its own hash first) and their quality."""

    dihedral_bits: np.ndarray  # (8, 256) of 0/1
    quality: int

    @property
    def hex(self) -> str:
        return pdq_hex(self.dihedral_bits[0])

    @cached_property
    def signs(self) -> np.ndarray:
        return _signs(self.dihedral_bits)

    def distances_to(self, other: PdqSignature) -> tuple[int, int]:
        """Best dihedral distance each way: from this picture to ``other``'s own hash, and back.

        The two differ by a few bits, since PDQ rotates and mirrors only approximately.
        """
        forward = _distance(self.signs @ other.signs[0])
        backward = _distance(other.signs @ self.signs[0])
        return forward, backward


def _distance(dots: np.ndarray) -> int:
    """The Hamming distance of the closest pair, from +1/-1 dot products."""
    return int((HASH_BITS - dots.max()) // 2)


def signature_of_bytes(data: bytes) -> PdqSignature:
    with Image.open(io.BytesIO(data)) as picture:
        hashes, quality = pdqhash.compute_dihedral(np.asarray(picture.convert("RGB")))
    return PdqSignature(np.asarray(hashes, dtype=np.uint8), int(quality))


class HashIndex:
    """Dihedral hashes of accepted pictures, each tagged with its group (picture family).

    Distances between a candidate and an accepted picture are taken both ways. Going back
    (from the accepted picture's dihedral hashes) costs eight times as much, so it is only
    computed where it could change the answer: the two ways differ by a few bits, far fewer
    than ``ASYMMETRY_SLACK``, so a picture ``gap + ASYMMETRY_SLACK`` away one way is at least
    ``gap`` away the other.
    """

    def __init__(self) -> None:
        self._dihedral = np.empty((INITIAL_CAPACITY, DIHEDRAL_COUNT, HASH_BITS), np.float32)
        self._own = np.empty((INITIAL_CAPACITY, HASH_BITS), dtype=np.float32)
        self._groups = np.empty(INITIAL_CAPACITY, dtype=np.int64)
        self._size = 0

    def add(self, signature: PdqSignature, group: int) -> None:
        if self._size == len(self._groups):
            self._grow()
        self._dihedral[self._size] = signature.signs
        self._own[self._size] = signature.signs[0]
        self._groups[self._size] = group
        self._size += 1

    def _grow(self) -> None:
        self._dihedral = np.concatenate([self._dihedral, np.empty_like(self._dihedral)])
        self._own = np.concatenate([self._own, np.empty_like(self._own)])
        self._groups = np.concatenate([self._groups, np.empty_like(self._groups)])

    def is_apart(self, signature: PdqSignature, group: int, gap: int) -> bool:
        """Whether the candidate is at least ``gap`` away, either way, from every other group."""
        outside = np.flatnonzero(self._groups[: self._size] != group)
        forward = self._forward(signature)[outside]
        if np.any(forward < gap):
            return False
        close = outside[forward < gap + ASYMMETRY_SLACK]
        return bool(np.all(self._backward(signature, close) >= gap))

    def is_within(self, signature: PdqSignature, group: int, reach: int) -> bool:
        """Whether the candidate is at most ``reach`` away, either way, from all of ``group``."""
        inside = np.flatnonzero(self._groups[: self._size] == group)
        forward = self._forward(signature)[inside]
        return bool(np.all(forward <= reach) and np.all(self._backward(signature, inside) <= reach))

    def _forward(self, signature: PdqSignature) -> np.ndarray:
        """Best distance from the candidate's dihedral hashes to each accepted own hash."""
        dots = signature.signs @ self._own[: self._size].T
        return (HASH_BITS - dots.max(axis=0)) // 2

    def _backward(self, signature: PdqSignature, rows: np.ndarray) -> np.ndarray:
        """Best distance from the dihedral hashes of accepted ``rows`` to the candidate's own."""
        dots = self._dihedral[rows] @ signature.signs[0]
        return (HASH_BITS - dots.max(axis=1)) // 2
