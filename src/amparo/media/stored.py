"""An evidence file analysed where it is stored: its SHA-256 name checked, then decoded.

A module of its own, light to import, because the hash stage's worker processes load it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from amparo.media.analyse import analyse_bytes, sniff_bytes
from amparo.media.video import analyse_video_file
from amparo.model import MediaAnalysis

SNIFF_BYTES = 8192
CORRUPTED = "evidence file corrupted: its SHA-256 changed"


def analyse_evidence(path: Path) -> MediaAnalysis:
    """Check an evidence file still matches its SHA-256 name, then analyse it; one read.

    A picture is read once into memory, checked and decoded from those bytes; a video or other
    file is checked streaming (it may be large) and a video is then hashed from the file.
    """
    try:
        return _analyse_stored(path)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        return MediaAnalysis(kind="other", error=f"file cannot be read ({reason})")


def _analyse_stored(path: Path) -> MediaAnalysis:
    with path.open("rb") as stream:
        head = stream.read(SNIFF_BYTES)
        kind, mime_type = sniff_bytes(head)
        data = head + stream.read() if kind == "image" else None
    sha256 = _file_sha256(path) if data is None else hashlib.sha256(data).hexdigest()
    if sha256 != path.name:
        return MediaAnalysis(kind=kind, mime_type=mime_type, error=CORRUPTED)
    if data is not None:
        return analyse_bytes(data, name=path.name)
    if kind == "video":
        return analyse_video_file(path, mime_type)
    return MediaAnalysis(kind=kind, mime_type=mime_type)


def _file_sha256(path: Path) -> str:
    with path.open("rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()
