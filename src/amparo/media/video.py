"""vPDQ: the PDQ of one frame per second of a video, as Meta's ``vpdq`` package computes it.

``vpdq`` is optional: it builds from source against FFmpeg's development libraries. Without it
every video gets an error saying so, and the rest of the analysis works as before.
"""

from __future__ import annotations

import os
import re
import tempfile
from importlib import metadata
from pathlib import Path

from amparo.model import MediaAnalysis, VideoFrameHash

try:
    import vpdq
except ImportError:  # not installed: see the module docstring
    vpdq = None

SECONDS_PER_HASH = 1.0
VPDQ_MISSING = "video hashing is not installed here (the vpdq package is missing)"
UNDECODABLE = "video cannot be decoded (damaged, truncated, or an unsupported codec)"
_SAFE_SUFFIX = re.compile(r"\.[A-Za-z0-9]{1,8}")


def analyse_video_file(path: Path, mime_type: str | None = None) -> MediaAnalysis:
    """vPDQ frames of the video at ``path``; the whole-video ``pdq`` stays None."""
    if vpdq is None:
        return MediaAnalysis(kind="video", mime_type=mime_type, error=VPDQ_MISSING)
    try:
        # One thread: parallelism comes from worker processes (amparo.media.pool).
        features = vpdq.computeHash(str(path), seconds_per_hash=SECONDS_PER_HASH, thread_count=1)
    except Exception:  # vpdq raises a bare Exception for every video FFmpeg cannot decode
        return MediaAnalysis(kind="video", mime_type=mime_type, error=UNDECODABLE)
    if not features:
        return MediaAnalysis(kind="video", mime_type=mime_type, error="video has no frames")
    return MediaAnalysis(
        kind="video",
        mime_type=mime_type,
        preparation=_preparation(),
        video_frames=tuple(_frame_hash(feature) for feature in features),
    )


def analyse_video_bytes(data: bytes, mime_type: str | None, *, name: str) -> MediaAnalysis:
    """As :func:`analyse_video_file`, through a private temporary file (FFmpeg reads files):
    mode 0600 in a 0700 folder, removed when done."""
    suffix = Path(name).suffix
    with tempfile.TemporaryDirectory(prefix="amparo-video-") as folder:
        path = Path(folder) / ("video" + (suffix if _SAFE_SUFFIX.fullmatch(suffix) else ""))
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
            out.write(data)
        return analyse_video_file(path, mime_type)


def _frame_hash(feature: vpdq.VpdqFeature) -> VideoFrameHash:
    return VideoFrameHash(
        float(feature.timestamp), feature.hex, feature.quality, frame=feature.frame_number
    )


def _preparation() -> str:
    seconds = f"{SECONDS_PER_HASH:g}"
    return f"vpdq {metadata.version('vpdq')}; one frame every {seconds} s; full-size frames"
