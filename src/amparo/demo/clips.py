"""Moving media on the demo's seized phone: generated videos and animated pictures, all benign.

- A known video (shapes drifting over a gradient) is never written: its vPDQ, the PDQ of one
  frame a second computed with pdqhash from its decoded frames as a partner's tool would, makes
  the hash set ``known_videos.csv``. Its re-encoded copy (smaller, coarser JPEG) is on the
  phone: a known variant by vPDQ.
- A video shows a known picture from second ``SHOWN_FROM``: a known variant by that frame.
- A home video of other shapes: new.
- A WhatsApp sticker (animated WebP) whose fifth frame is a variant of a known picture: a
  known variant by frame 4.
- An animated GIF of drifting shapes: new.

Every frame not meant to show known material is kept ``FAMILY_GAP`` bits (dihedral) from every
picture of the operation and from the frames of the clips made before it, so each file's
status is unambiguous. The statuses are what matching concludes with video hashing installed
(the vpdq package); without it the videos are unprocessable.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pdqhash
from PIL import Image

from amparo.demo.avi import mjpeg_avi
from amparo.demo.cast import FAMILY_GAP, MIN_QUALITY, VARIANT_REACH, MediaCast
from amparo.demo.hashset import KNOWN_CSV, VICS_ABUSE
from amparo.demo.images import MediaItem
from amparo.demo.pdq import pdq_hex, signature_of_bytes
from amparo.demo.scenes import Scene, Size, random_scene
from amparo.demo.truth import KNOWN_VARIANT, NEW, ExpectedMedia, HashSetEntry
from amparo.formats.spreadsheet_safe import SafeWriter

KNOWN_VIDEOS_CSV = "known_videos.csv"
VIDEO_COLUMNS = (
    "id", "kind", "md5", "sha1", "sha256", "vpdq", "category_scheme", "category_code", "series",
)  # fmt: skip
KNOWN_VIDEO_SERIES = "Series-Reel"
VIDEO_SIZE: Size = (320, 240)
FPS = 10
KNOWN_VIDEO_SECONDS = 8
VIDEO_SECONDS = 6
ORIGINAL_QUALITY = 90
REENCODED_SIZE: Size = (256, 192)
REENCODED_QUALITY = 50
VIDEO_QUALITY = 85
SHOWN_FROM, SHOWN_UNTIL = 3, 5  # the seconds a known picture is on screen
STICKER_SIDE = 512
STICKER_FRAMES = 8
STICKER_KNOWN_FRAME = 4  # the fifth
STICKER_FRAME_MS = 150
STICKER_QUALITY = 75
GIF_SIZE: Size = (240, 180)
GIF_FRAMES = 10
GIF_FRAME_MS = 100
RELIABLE_MARGIN = 10  # frames meant to match are kept this far above the quality floor
MAX_ATTEMPTS = 60
PHONE_PATHS = {
    "new_video": "DCIM/Camera/VID_20240110_181500.avi",
    "reencoded": "WhatsApp/Media/WhatsApp Video/VID-20240111-WA0001.avi",
    "shown": "WhatsApp/Media/WhatsApp Video/VID-20240112-WA0002.avi",
    "sticker": "WhatsApp/Media/WhatsApp Stickers/STK-20240113-WA0001.webp",
    "gif": "Download/shapes.gif",
}

Known = tuple[MediaItem, HashSetEntry]


@dataclass(frozen=True)
class KnownVideo:
    """A hash-set entry for a video: the original's digests and its vPDQ features."""

    entry_id: str
    item: MediaItem
    vpdq: tuple[str, ...]


@dataclass(frozen=True)
class Clips:
    layout: dict[str, MediaItem]  # path on the phone -> file
    roles: dict[str, ExpectedMedia]  # by sha256
    known_videos: tuple[KnownVideo, ...]


def build_clips(cast: MediaCast, rng: np.random.Generator) -> Clips:
    """The phone's videos, sticker and GIF, with their truth and the known videos' entries."""
    return _ClipMaker(cast, rng).make()


def write_video_hash_set(path: Path, videos: Sequence[KnownVideo]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = SafeWriter(stream, lineterminator="\n")
        writer.writerow(VIDEO_COLUMNS)
        for video in videos:
            item = video.item
            writer.writerow((
                video.entry_id, "video", item.md5, item.sha1, item.sha256,
                json.dumps(list(video.vpdq)), *VICS_ABUSE, KNOWN_VIDEO_SERIES,
            ))  # fmt: skip
    return path


class _HashBank:
    """PDQ hashes that new frames must stay ``FAMILY_GAP`` bits from, whichever way turned."""

    def __init__(self, hashes: list[str]) -> None:
        self._bits = np.array([_bits(digits) for digits in hashes], dtype=bool).reshape(-1, 256)

    def add(self, digits: str) -> None:
        self._bits = np.vstack([self._bits, _bits(digits)[np.newaxis]])

    def is_far(self, picture: Image.Image) -> bool:
        dihedral, quality = pdqhash.compute_dihedral(_rgb(picture))
        if quality < MIN_QUALITY or not len(self._bits):
            return quality >= MIN_QUALITY
        candidate = np.asarray(dihedral, dtype=bool)
        distances = (candidate[:, np.newaxis, :] != self._bits[np.newaxis]).sum(axis=2)
        return int(distances.min()) >= FAMILY_GAP


class _ClipMaker:
    def __init__(self, cast: MediaCast, rng: np.random.Generator) -> None:
        self._rng = rng
        self._bank = _HashBank([role.pdq for role in cast.roles.values() if role.pdq])
        self._known = _known_pictures(cast)
        self._roles: dict[str, ExpectedMedia] = {}

    def make(self) -> Clips:
        known_video, copy = self._known_video()
        shown, source = self._showing_known_picture()
        home = self._new_video()
        sticker = self._sticker(exclude=source)
        gif = self._gif()
        layout = dict(zip(PHONE_PATHS.values(), (home, copy, shown, sticker, gif), strict=True))
        return Clips(layout, self._roles, (known_video,))

    def _known_video(self) -> tuple[KnownVideo, MediaItem]:
        """An original (for the hash set only) and its re-encoded copy, close second by second."""
        for _ in range(MAX_ATTEMPTS):
            seconds = [float(s) for s in range(KNOWN_VIDEO_SECONDS)]
            scene = self._far_scene(VIDEO_SIZE, seconds)
            frames = [scene.frame(n / FPS, VIDEO_SIZE) for n in range(KNOWN_VIDEO_SECONDS * FPS)]
            copies = [frame.resize(REENCODED_SIZE, Image.Resampling.BILINEAR) for frame in frames]
            original = [_pdq(_through_jpeg(f, ORIGINAL_QUALITY)) for f in frames[::FPS]]
            copied = [_pdq(_through_jpeg(f, REENCODED_QUALITY)) for f in copies[::FPS]]
            if all(_close(mine, theirs) for mine, theirs in zip(copied, original, strict=True)):
                break
        else:
            raise RuntimeError("no drawn video survives re-encoding close enough to itself")
        for digits, _ in original:
            self._bank.add(digits)
        item = MediaItem.from_bytes(mjpeg_avi(frames, FPS, quality=ORIGINAL_QUALITY), "avi")
        features = tuple(f"{d},{q},{s}" for s, (d, q) in enumerate(original))
        copy = MediaItem.from_bytes(mjpeg_avi(copies, FPS, quality=REENCODED_QUALITY), "avi")
        self._record(copy, KNOWN_VARIANT, source_sha256=item.sha256,
                     transform="reencoded_video", hash_set_series=KNOWN_VIDEO_SERIES)  # fmt: skip
        return KnownVideo("demo-video-1", item, features), copy

    def _showing_known_picture(self) -> tuple[MediaItem, MediaItem]:
        """A video with a known picture on screen from ``SHOWN_FROM`` to ``SHOWN_UNTIL``."""
        found = next(self._known_stills(VIDEO_SIZE, VIDEO_QUALITY), None)
        if found is None:
            raise RuntimeError("no known picture stays close to itself on a video frame")
        source, entry, still = found
        seconds = [float(s) for s in range(VIDEO_SECONDS) if not SHOWN_FROM <= s < SHOWN_UNTIL]
        scene = self._far_scene(VIDEO_SIZE, seconds)
        frames = [
            still if SHOWN_FROM <= n / FPS < SHOWN_UNTIL else scene.frame(n / FPS, VIDEO_SIZE)
            for n in range(VIDEO_SECONDS * FPS)
        ]
        item = MediaItem.from_bytes(mjpeg_avi(frames, FPS, quality=VIDEO_QUALITY), "avi")
        self._record(item, KNOWN_VARIANT, source_sha256=source.sha256, transform="shown_in_video",
                     hash_set_series=entry.series, second=float(SHOWN_FROM))  # fmt: skip
        return item, source

    def _new_video(self) -> MediaItem:
        seconds = [float(s) for s in range(VIDEO_SECONDS)]
        scene = self._far_scene(VIDEO_SIZE, seconds, keep=True)
        frames = [scene.frame(n / FPS, VIDEO_SIZE) for n in range(VIDEO_SECONDS * FPS)]
        item = MediaItem.from_bytes(mjpeg_avi(frames, FPS, quality=VIDEO_QUALITY), "avi")
        return self._record(item, NEW)

    def _sticker(self, exclude: MediaItem) -> MediaItem:
        """An animated WebP: a drawn scene, but for frame 4, a known picture stretched square."""
        side = (STICKER_SIDE, STICKER_SIDE)
        seconds = [float(n) for n in range(STICKER_FRAMES) if n != STICKER_KNOWN_FRAME]
        for source, entry, still in self._known_stills(side, None, exclude=exclude):
            scene = self._far_scene(side, seconds, keep=True)
            frames = [scene.frame(float(n), side) for n in range(STICKER_FRAMES)]
            frames[STICKER_KNOWN_FRAME] = still
            data = _animation(frames, "WEBP", STICKER_FRAME_MS, quality=STICKER_QUALITY)
            if 0 < _distance(_frame_pdq(data, STICKER_KNOWN_FRAME)[0], entry.pdq) <= VARIANT_REACH:
                item = MediaItem.from_bytes(data, "webp")
                return self._record_animation(
                    item, KNOWN_VARIANT, source_sha256=source.sha256, transform="sticker_frame",
                    hash_set_series=entry.series, frame=STICKER_KNOWN_FRAME,
                )  # fmt: skip
        raise RuntimeError("no known picture survives as a sticker frame close enough to itself")

    def _gif(self) -> MediaItem:
        seconds = [n / 2 for n in range(GIF_FRAMES)]
        scene = self._far_scene(GIF_SIZE, seconds, keep=True)
        frames = [scene.frame(second, GIF_SIZE) for second in seconds]
        item = MediaItem.from_bytes(_animation(frames, "GIF", GIF_FRAME_MS), "gif")
        return self._record_animation(item, NEW)

    def _far_scene(self, size: Size, seconds: list[float], *, keep: bool = False) -> Scene:
        """A scene whose frames at ``seconds`` are far from the bank (added to it if ``keep``)."""
        for _ in range(MAX_ATTEMPTS):
            scene = random_scene(self._rng)
            frames = [scene.frame(second, size) for second in seconds]
            if all(self._bank.is_far(frame) for frame in frames):
                for frame in frames if keep else ():
                    self._bank.add(_pdq(frame)[0])
                return scene
        raise RuntimeError("no drawn scene keeps far enough from the operation's pictures")

    def _known_stills(
        self, size: Size, jpeg_quality: int | None, *, exclude: MediaItem | None = None
    ) -> Iterator[tuple[MediaItem, HashSetEntry, Image.Image]]:
        """Known pictures stretched to ``size`` that stay close to their entry (through JPEG at
        ``jpeg_quality`` when given) with a reliable PDQ, best quality first."""
        for item, entry in self._known:
            if exclude is not None and item.sha256 == exclude.sha256:
                continue
            with Image.open(io.BytesIO(item.data)) as opened:
                still = opened.convert("RGB").resize(size, Image.Resampling.BILINEAR)
            seen = still if jpeg_quality is None else _through_jpeg(still, jpeg_quality)
            digits, quality = _pdq(seen)
            if quality >= MIN_QUALITY + RELIABLE_MARGIN and _distance(digits, entry.pdq) <= (
                VARIANT_REACH
            ):
                yield item, entry, still

    def _record(self, item: MediaItem, status: str, **details: Any) -> MediaItem:
        self._roles[item.sha256] = ExpectedMedia(item.sha256, status, **details)
        return item

    def _record_animation(self, item: MediaItem, status: str, **details: Any) -> MediaItem:
        """An animated picture's truth, with the PDQ of its first frame as a still picture's."""
        signature = signature_of_bytes(item.data)
        return self._record(
            item, status, pdq=signature.hex, pdq_quality=signature.quality, **details
        )


def _known_pictures(cast: MediaCast) -> list[Known]:
    """Known pictures whose file the cast holds, best PDQ quality first."""
    items = {item.sha256: item for item in (*cast.drawable, *cast.featured, *cast.device_media)}
    known = [(items[e.sha256], e) for e in cast.hash_sets[KNOWN_CSV] if e.sha256 in items]
    return sorted(known, key=lambda pair: -(cast.roles[pair[0].sha256].pdq_quality or 0))


def _animation(
    frames: list[Image.Image], image_format: str, frame_ms: int, **options: object
) -> bytes:
    buffer = io.BytesIO()
    frames[0].save(buffer, image_format, save_all=True, append_images=frames[1:],
                   duration=frame_ms, loop=0, **options)  # fmt: skip
    return buffer.getvalue()


def _frame_pdq(data: bytes, number: int) -> tuple[str, int]:
    with Image.open(io.BytesIO(data)) as animation:
        animation.seek(number)
        return _pdq(animation)


def _through_jpeg(picture: Image.Image, quality: int) -> Image.Image:
    """The picture as a decoder sees it after JPEG compression at ``quality``."""
    buffer = io.BytesIO()
    picture.convert("RGB").save(buffer, "JPEG", quality=quality)
    with Image.open(buffer) as decoded:
        return decoded.convert("RGB")


def _pdq(picture: Image.Image) -> tuple[str, int]:
    bits, quality = pdqhash.compute(_rgb(picture))
    return pdq_hex(bits), int(quality)


def _close(mine: tuple[str, int], theirs: tuple[str, int]) -> bool:
    reliable = min(mine[1], theirs[1]) >= MIN_QUALITY + RELIABLE_MARGIN
    return reliable and _distance(mine[0], theirs[0]) <= VARIANT_REACH


def _rgb(picture: Image.Image) -> np.ndarray:
    return np.asarray(picture.convert("RGB"))


def _bits(digits: str) -> np.ndarray:
    return np.unpackbits(np.frombuffer(bytes.fromhex(digits), dtype=np.uint8)).astype(bool)


def _distance(first: str, second: str) -> int:
    return (int(first, 16) ^ int(second, 16)).bit_count()
