"""Analyse one file: image (PDQ, dihedral PDQ, EXIF; every distinct frame of an animated
picture), video (vPDQ) or other, by its content.

The kind comes from the content's magic bytes, never from the name. Pure: no database, no
store. Bad input never raises: the result carries an ``error`` an investigator can read.
"""

from __future__ import annotations

from pathlib import Path

import filetype

from amparo.media.decode import DEFAULT_MAX_PIXELS, UndecodableImage, decode_for_pdq
from amparo.media.frames import with_animation_frames
from amparo.media.pdq import pdq_hashes
from amparo.media.video import analyse_video_bytes, analyse_video_file
from amparo.model import MediaAnalysis

# PDQ's own guidance: hashes of lower quality are too featureless to match on reliably.
RELIABLE_PDQ_QUALITY = 50


def analyse_bytes(data: bytes, *, name: str, max_pixels: int = DEFAULT_MAX_PIXELS) -> MediaAnalysis:
    """Analyse a file's bytes; ``name`` (its file name) only helps FFmpeg with videos."""
    kind, mime_type = kind_of(filetype.guess_mime(data))
    try:
        if kind == "image":
            still = _analyse_image(data, mime_type, max_pixels=max_pixels)
            return with_animation_frames(still, data)
        if kind == "video":
            return analyse_video_bytes(data, mime_type, name=name)
    except Exception as error:  # a bug must cost one file its hashes, not the whole batch
        return MediaAnalysis(kind=kind, mime_type=mime_type, error=_unexpected(error))
    return MediaAnalysis(kind=kind, mime_type=mime_type)


def analyse_file(path: Path | str, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> MediaAnalysis:
    """Analyse the file at ``path``; only images are read into memory."""
    path = Path(path)
    try:
        kind, mime_type = sniff_file(path)
        if kind == "video":
            return analyse_video_file(path, mime_type)
        if kind == "other":
            return MediaAnalysis(kind=kind, mime_type=mime_type)
        data = path.read_bytes()
    except OSError as error:
        return MediaAnalysis(kind="other", error=f"file cannot be read ({_os_reason(error)})")
    return analyse_bytes(data, name=path.name, max_pixels=max_pixels)


def _analyse_image(
    data: bytes, mime_type: str | None, *, max_pixels: int = DEFAULT_MAX_PIXELS
) -> MediaAnalysis:
    """PDQ, its quality and dihedral set, and EXIF of an image; or why it cannot be had."""
    try:
        image = decode_for_pdq(data, max_pixels=max_pixels)
        hashes = pdq_hashes(image.pixels)
        if image.jpeg_luma and hashes.quality < RELIABLE_PDQ_QUALITY:
            # A near-flat image's hash turns on rounding: JPEG's own luma and luma from its
            # decoded RGB can then differ by dozens of bits. Decode RGB, as the reference does.
            image = decode_for_pdq(data, max_pixels=max_pixels, jpeg_luma=False)
            hashes = pdq_hashes(image.pixels)
    except UndecodableImage as failure:
        width, height = failure.size or (None, None)
        return MediaAnalysis(
            kind="image", mime_type=mime_type, width=width, height=height, error=failure.reason
        )
    return MediaAnalysis(
        kind="image",
        mime_type=mime_type or image.mime_type,
        width=image.width,
        height=image.height,
        pdq=hashes.pdq,
        pdq_quality=hashes.quality,
        pdq_dihedral=hashes.dihedral,
        preparation=image.preparation,
        exif=image.exif,
    )


def sniff_file(path: Path) -> tuple[str, str | None]:
    """The kind (``image``, ``video`` or ``other``) and MIME type of the file's content."""
    return kind_of(filetype.guess_mime(path))


def sniff_bytes(head: bytes) -> tuple[str, str | None]:
    """The kind and MIME type of content from its first bytes (8 KiB are plenty)."""
    return kind_of(filetype.guess_mime(head))


def kind_of(mime_type: str | None) -> tuple[str, str | None]:
    """The kind a MIME type stands for, with the MIME type."""
    major = (mime_type or "").partition("/")[0]
    return (major if major in ("image", "video") else "other"), mime_type


def _unexpected(error: Exception) -> str:
    return f"analysis failed unexpectedly ({type(error).__name__}: {error})"


def _os_reason(error: OSError) -> str:
    return error.strerror or type(error).__name__
