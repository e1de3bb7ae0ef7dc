"""Motion-JPEG AVI files written without an encoder: each frame a JPEG, in a minimal RIFF
container that FFmpeg (and so vPDQ) reads. Enough for benign generated demo and test videos."""

from __future__ import annotations

import io
import struct

from PIL import Image

AVI_FLAG_HAS_INDEX = 0x10
INDEX_KEYFRAME = 0x10


def mjpeg_avi(frames: list[Image.Image], fps: int, *, quality: int = 85) -> bytes:
    """The frames (all of one size) as a Motion-JPEG AVI at ``fps`` frames a second."""
    jpegs = [_jpeg(frame, quality) for frame in frames]
    width, height = frames[0].size
    count = len(jpegs)
    main = struct.pack(
        "<14I", 1_000_000 // fps, 0, 0, AVI_FLAG_HAS_INDEX, count, 0, 1, 0, width, height,
        0, 0, 0, 0,
    )  # fmt: skip
    stream = struct.pack(
        "<4s4sIHHIIIIIIIIhhhh", b"vids", b"MJPG", 0, 0, 0, 0, 1, fps, 0, count, 0,
        0xFFFFFFFF, 0, 0, 0, width, height,
    )  # fmt: skip
    bitmap = struct.pack(
        "<IiiHH4sIiiII", 40, width, height, 1, 24, b"MJPG", width * height * 3, 0, 0, 0, 0
    )
    headers = riff_chunk(b"avih", main) + riff_list(
        b"strl", riff_chunk(b"strh", stream) + riff_chunk(b"strf", bitmap)
    )
    chunks, index, offset = [], [], 4
    for jpeg in jpegs:
        chunk = riff_chunk(b"00dc", jpeg)
        index.append(struct.pack("<4sIII", b"00dc", INDEX_KEYFRAME, offset, len(jpeg)))
        chunks.append(chunk)
        offset += len(chunk)
    body = b"AVI " + riff_list(b"hdrl", headers) + riff_list(b"movi", b"".join(chunks))
    body += riff_chunk(b"idx1", b"".join(index))
    return b"RIFF" + struct.pack("<I", len(body)) + body


def riff_chunk(fourcc: bytes, payload: bytes) -> bytes:
    return fourcc + struct.pack("<I", len(payload)) + payload + b"\0" * (len(payload) % 2)


def riff_list(kind: bytes, payload: bytes) -> bytes:
    return riff_chunk(b"LIST", kind + payload)


def _jpeg(frame: Image.Image, quality: int) -> bytes:
    buffer = io.BytesIO()
    frame.convert("RGB").save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()
