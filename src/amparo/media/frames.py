"""Animated pictures (GIF, WebP, APNG): the PDQ of every distinct frame.

A sticker or a GIF can show a known picture in any of its frames, not only in the first one
that the file's own PDQ describes. Each frame is hashed as a still picture is: composited by
Pillow (disposal and blending applied), made 8-bit luma or RGB, reduced to at most 512 pixels
a side with a box filter. As vPDQ does for video, near-identical consecutive frames are
skipped: a frame is kept when its PDQ lies more than ``NEAR_IDENTICAL_BITS`` from the last
frame kept. A match to a skipped frame is not lost: the kept frame lies within that many bits.

Against animation bombs (thousands of frames, or large canvases) at most ``MAX_FRAMES``
frames and ``MAX_FRAME_PIXELS`` canvas pixels in all are decoded. What was hashed is said in
the file's preparation: how many frames, how many distinct, and why hashing stopped early
(a limit, or a frame that cannot be decoded).
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, replace

import numpy as np
import pdqhash
from PIL import Image

from amparo.media.decode import PDQ_MAX_SIDE, REDUCTION_FILTER
from amparo.media.pdq import bits_to_hex, hamming_distance
from amparo.model import MediaAnalysis, VideoFrameHash

ANIMATABLE_TYPES = frozenset({"image/gif", "image/webp", "image/png", "image/apng"})
MAX_FRAMES = 500
MAX_FRAME_PIXELS = 250_000_000
NEAR_IDENTICAL_BITS = 6
_GREY_MODES = frozenset({"1", "L", "LA", "La"})
_DETAIL_CHARS = 120


@dataclass(frozen=True)
class AnimationFrames:
    """The distinct frames of an animation, out of ``total``; ``stopped``: why hashing ended
    before the last frame (None when every frame was hashed)."""

    frames: tuple[VideoFrameHash, ...]
    total: int
    decoded: int
    stopped: str | None = None

    @property
    def note(self) -> str:
        """What was hashed, for the file's preparation."""
        distinct = (
            f"{len(self.frames)} distinct "
            f"(consecutive frames within {NEAR_IDENTICAL_BITS} bits skipped)"
        )
        if self.stopped is None:
            return f"animation: {self.total} frames hashed, {distinct}"
        return (
            f"animation: {self.total} frames; {self.stopped}: frames 0-{self.decoded - 1} "
            f"hashed, {distinct}"
        )


def with_animation_frames(analysis: MediaAnalysis, data: bytes) -> MediaAnalysis:
    """``analysis`` with the frames of an animated picture and a note of how they were hashed;
    unchanged for a still picture or one that could not be decoded."""
    if analysis.error is not None or analysis.mime_type not in ANIMATABLE_TYPES:
        return analysis
    found = animation_frames(data)
    if found is None:
        return analysis
    preparation = "; ".join(part for part in (analysis.preparation, found.note) if part)
    return replace(analysis, video_frames=found.frames, preparation=preparation)


def animation_frames(
    data: bytes, *, max_frames: int = MAX_FRAMES, max_pixels: int = MAX_FRAME_PIXELS
) -> AnimationFrames | None:
    """The distinct frames of the animated picture in ``data``; None when it is not animated
    (one frame) or cannot be opened."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Pillow's notes on odd input; limits are ours
        try:
            image = Image.open(io.BytesIO(data))
            # an animated format's plugin adds n_frames and is_animated
            total: int = (
                getattr(image, "n_frames", 1) if getattr(image, "is_animated", False) else 1
            )
        except Exception:  # the still-picture analysis reports what is wrong with the file
            return None
        with image:
            return None if total < 2 else _hash_frames(image, total, max_frames, max_pixels)


def _hash_frames(
    image: Image.Image, total: int, max_frames: int, max_pixels: int
) -> AnimationFrames:
    kept: list[VideoFrameHash] = []
    start: float | None = 0.0
    canvas = image.width * image.height
    for index in range(total):
        stopped = _limit_reached(index, canvas, max_frames, max_pixels)
        if stopped is None:
            try:
                image.seek(index)
                pdq, quality = frame_pdq(frame_pixels(image))
            except Exception as error:  # a damaged frame ends the animation's hashing
                stopped = f"frame {index} cannot be decoded ({_detail(error)})"
        if stopped is not None:
            return AnimationFrames(tuple(kept), total, index, stopped)
        if not kept or hamming_distance(pdq, kept[-1].pdq) > NEAR_IDENTICAL_BITS:
            kept.append(VideoFrameHash(_rounded(start), pdq, quality, index))
        start = _next_start(start, image.info.get("duration"))
    return AnimationFrames(tuple(kept), total, total)


def _limit_reached(index: int, canvas: int, max_frames: int, max_pixels: int) -> str | None:
    if index >= max_frames:
        return f"frame limit ({max_frames} frames) reached"
    if (index + 1) * canvas > max_pixels:
        return f"pixel limit ({max_pixels / 1_000_000:g} megapixels of frames) reached"
    return None


def frame_pixels(frame: Image.Image) -> np.ndarray:
    """The current frame as 8-bit luma or RGB, at most ``PDQ_MAX_SIDE`` a side, as still
    pictures are prepared (:mod:`amparo.media.decode`)."""
    converted = frame.convert("L" if frame.mode in _GREY_MODES else "RGB")
    scale = min(1.0, PDQ_MAX_SIDE / max(converted.size))
    target = (max(1, round(converted.width * scale)), max(1, round(converted.height * scale)))
    if converted.size != target:
        converted = converted.resize(target, REDUCTION_FILTER)
    return np.asarray(converted)


def frame_pdq(pixels: np.ndarray) -> tuple[str, int]:
    """PDQ and quality of a frame as it is: frames are matched unrotated, so the dihedral set
    (:func:`amparo.media.pdq.pdq_hashes`) is not needed."""
    if pixels.ndim == 2:  # pdqhash takes RGB; equal channels give back the luma
        pixels = np.broadcast_to(pixels[:, :, np.newaxis], (*pixels.shape, 3))
    bits, quality = pdqhash.compute(pixels)
    return bits_to_hex(bits), int(quality)


def _next_start(start: float | None, duration: object) -> float | None:
    """When the next frame starts; unknown from the first frame without a duration on."""
    if start is None or not isinstance(duration, int | float) or duration < 0:
        return None
    return start + duration / 1000


def _rounded(start: float | None) -> float | None:
    return None if start is None else round(start, 3)


def _detail(error: Exception) -> str:
    return (" ".join(str(error).split()) or type(error).__name__)[:_DETAIL_CHARS]
