"""PDQ perceptual hashes (Meta's PDQ, through the ``pdqhash`` package) and their dihedral set."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pdqhash

# The order ``pdqhash.compute_dihedral`` returns its eight hashes in, checked against the
# reference's rotated and flipped copies of one photo (tests/test_media.py, dih_bridge-*).
DIHEDRAL_TRANSFORMS: tuple[str, ...] = (
    "original",
    "rotate90",
    "rotate180",
    "rotate270",
    "flip_x",
    "flip_y",
    "flip_plus1",
    "flip_minus1",
)
# Where each transform of an image sits among the dihedral hashes of its transpose.
_FROM_TRANSPOSED = (6, 4, 7, 5, 1, 3, 0, 2)


@dataclass(frozen=True)
class PdqHashes:
    """PDQ as 64 lower-case hex digits, its quality (0-100), and the eight dihedral hashes."""

    pdq: str
    quality: int
    dihedral: tuple[str, ...]


def pdq_hashes(pixels: np.ndarray) -> PdqHashes:
    """Hash ``pixels``: uint8, height x width luma or height x width x 3 RGB.

    ``compute_dihedral`` costs what ``compute`` costs (one filter pass, eight sign patterns on
    the DCT), so the dihedral set is always computed; its first hash is the PDQ itself.
    """
    height, width = pixels.shape[:2]
    if width <= height:
        return _dihedral_hashes(pixels, order=range(8))
    # pdqhash filters columns with a stride of one row; at 512 floats (2 KiB, the usual width
    # of a reduced landscape photo) that stride thrashes the cache and hashing costs 40 % more.
    # The transposed image has the same eight hashes, in another order.
    return _dihedral_hashes(np.swapaxes(pixels, 0, 1).copy(), order=_FROM_TRANSPOSED)


def bits_to_hex(bits: np.ndarray) -> str:
    """256 bits, most significant first as ``pdqhash`` gives them, as the reference's hex."""
    return np.packbits(np.asarray(bits, dtype=np.uint8)).tobytes().hex()


def hamming_distance(first: str, second: str) -> int:
    """The number of differing bits of two hex hashes of equal length."""
    return (int(first, 16) ^ int(second, 16)).bit_count()


def _dihedral_hashes(pixels: np.ndarray, *, order: tuple[int, ...] | range) -> PdqHashes:
    bit_arrays, quality = pdqhash.compute_dihedral(_as_rgb(pixels))
    hashes = tuple(bits_to_hex(bit_arrays[index]) for index in order)
    return PdqHashes(pdq=hashes[0], quality=int(quality), dihedral=hashes)


def _as_rgb(pixels: np.ndarray) -> np.ndarray:
    # pdqhash takes RGB only; three equal channels give back the luma (the weights sum to 1),
    # and a broadcast view costs no copy.
    if pixels.ndim == 2:
        return np.broadcast_to(pixels[:, :, np.newaxis], (*pixels.shape, 3))
    return pixels
