"""Animated pictures (WebP stickers, GIF, APNG) and videos: every distinct frame hashed and
matched against image hash sets, the match saying which frame (or second) showed the picture.

Pictures are scikit-image sample photos; the "known" picture is the coffee cup.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from skimage import data as samples

from amparo.demo.avi import mjpeg_avi
from amparo.export.findings import build_findings, validate_findings
from amparo.intake.device import ingest_device_tree
from amparo.intake.hashsets import import_hash_set
from amparo.match.frames import FramePlace, best_frame_matches, with_frame_matches
from amparo.match.matcher import KNOWN_VARIANT, EntryInfo, FoundMatch, verdict
from amparo.media.analyse import analyse_bytes
from amparo.media.frames import NEAR_IDENTICAL_BITS, animation_frames, frame_pdq, frame_pixels
from amparo.media.pdq import hamming_distance
from amparo.media.video import vpdq
from amparo.stages.pipeline import run_pipeline
from amparo.workspace import Workspace

KNOWN_SIZE = (300, 200)
STICKER_SIDE = 256


def photo(name: str, size: tuple[int, int]) -> Image.Image:
    return Image.fromarray(getattr(samples, name)()).convert("RGB").resize(size)


def encode(image: Image.Image, image_format: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


def animation(frames: list[Image.Image], image_format: str, **options: object) -> bytes:
    """Frames as one animated file, a tenth of a second each."""
    return encode(
        frames[0], image_format, save_all=True, append_images=frames[1:], duration=100, loop=0,
        **options,
    )  # fmt: skip


def nudged(image: Image.Image) -> Image.Image:
    """The same picture with a few pixels changed: a near-identical frame, not an equal one."""
    pixels = np.asarray(image).copy()
    pixels[:2, :2] = 255 - pixels[:2, :2]
    return Image.fromarray(pixels)


@pytest.fixture(scope="module")
def known() -> Image.Image:
    return photo("coffee", KNOWN_SIZE)


@pytest.fixture(scope="module")
def known_pdq(known: Image.Image) -> str:
    """The known picture's PDQ, as a partner's Amparo would put it in a hash set."""
    return analyse_bytes(encode(known, "PNG"), name="known.png").pdq


@pytest.fixture(scope="module")
def sticker(known: Image.Image) -> bytes:
    """A WhatsApp-style animated WebP whose fifth frame (4) is the known picture, stretched."""
    side = (STICKER_SIDE, STICKER_SIDE)
    rocket = photo("rocket", side)
    frames = [rocket, nudged(rocket), photo("chelsea", side), photo("astronaut", side),
              known.resize(side), photo("horse", side), photo("camera", side)]  # fmt: skip
    return animation(frames, "WEBP", quality=70)


@pytest.fixture(scope="module")
def gif(known: Image.Image) -> bytes:
    """An animated GIF (256 colours a frame) whose third frame (2) is the known picture."""
    others = [photo(name, KNOWN_SIZE) for name in ("chelsea", "astronaut", "horse")]
    return animation([others[0], others[1], known, others[2]], "GIF")


@pytest.fixture(scope="module")
def apng(known: Image.Image) -> bytes:
    """An animated PNG whose second frame (1) is the known picture, pixel for pixel."""
    return animation([photo("camera", KNOWN_SIZE), known, photo("rocket", KNOWN_SIZE)], "PNG")


# --- hashing the frames --------------------------------------------------------------------


def test_every_distinct_frame_of_a_sticker_is_hashed(sticker: bytes, known_pdq: str) -> None:
    analysis = analyse_bytes(sticker, name="STK-20240105-WA0001.webp")
    assert (analysis.kind, analysis.mime_type, analysis.error) == ("image", "image/webp", None)
    frames = analysis.video_frames
    # Frame 1 is frame 0 with four pixels changed: skipped as near-identical.
    assert [frame.frame for frame in frames] == [0, 2, 3, 4, 5, 6]
    assert [frame.second for frame in frames] == [0.0, 0.2, 0.3, 0.4, 0.5, 0.6]
    assert frames[0].pdq == analysis.pdq
    close = [frame.frame for frame in frames if hamming_distance(frame.pdq, known_pdq) <= 31]
    assert close == [4]
    assert "animation: 7 frames hashed, 6 distinct" in analysis.preparation


@pytest.mark.parametrize(("name", "known_frame"), [("gif", 2), ("apng", 1)])
def test_gif_and_apng_frames_are_hashed(
    name: str, known_frame: int, request: pytest.FixtureRequest, known_pdq: str
) -> None:
    data = request.getfixturevalue(name)
    analysis = analyse_bytes(data, name=f"animation.{name}")
    assert analysis.error is None and analysis.kind == "image"
    assert analysis.mime_type == {"gif": "image/gif", "apng": "image/apng"}[name]
    numbers = [frame.frame for frame in analysis.video_frames]
    assert numbers == list(range(len(numbers))) and len(numbers) >= 3
    distances = [hamming_distance(frame.pdq, known_pdq) for frame in analysis.video_frames]
    assert min(distances) == distances[known_frame] <= 31
    assert sorted(distances)[1] > 31
    assert analysis.video_frames[0].pdq == analysis.pdq


def test_a_still_picture_has_no_frames(known: Image.Image) -> None:
    for image_format in ("PNG", "GIF", "WEBP"):
        analysis = analyse_bytes(encode(known, image_format), name="still")
        assert analysis.error is None and analysis.video_frames is None
        assert "animation" not in analysis.preparation
    assert animation_frames(encode(known, "PNG")) is None


def test_frame_count_and_pixel_limits_stop_a_bomb_and_say_so(sticker: bytes) -> None:
    limited = animation_frames(sticker, max_frames=3)
    assert (limited.total, limited.decoded) == (7, 3)
    assert [frame.frame for frame in limited.frames] == [0, 2]
    assert limited.note.startswith("animation: 7 frames; frame limit (3 frames) reached")
    canvas = STICKER_SIDE * STICKER_SIDE
    budget = animation_frames(sticker, max_pixels=canvas * 5 - 1)
    assert budget.decoded == 4 and "pixel limit" in budget.note
    everything = animation_frames(sticker)
    assert everything.stopped is None and everything.decoded == 7


def test_a_truncated_animation_keeps_the_frames_before_the_damage(gif: bytes) -> None:
    analysis = analyse_bytes(gif[: len(gif) * 3 // 4], name="cut.gif")
    assert analysis.error is None and analysis.pdq is not None
    assert 1 <= len(analysis.video_frames) < 4
    assert "cannot be decoded" in analysis.preparation


def test_near_identical_frames_are_within_the_skip_distance(sticker: bytes) -> None:
    with Image.open(io.BytesIO(sticker)) as image:
        hashes = []
        for number in (0, 1):
            image.seek(number)
            hashes.append(frame_pdq(frame_pixels(image))[0])
    assert hamming_distance(*hashes) <= NEAR_IDENTICAL_BITS


# --- matching a frame ----------------------------------------------------------------------


def test_an_exact_frame_makes_a_known_variant_not_a_known_file() -> None:
    entry = EntryInfo(1, "block", 31, None)
    by_frame = best_frame_matches(
        [(1, 5, FramePlace(3, None)), (1, 0, FramePlace(4, None)),
         (1, 0, FramePlace(6, None)), (1, 40, FramePlace(0, None))],
        {1: entry},
    )  # fmt: skip
    assert [(m.distance, m.frame, m.second, m.transform) for m in by_frame] == [
        (0, 4, None, "original")
    ]
    assert verdict(by_frame, kind="image", problem=None).status == KNOWN_VARIANT


def test_the_whole_file_match_stays_unless_a_frame_is_closer() -> None:
    whole = FoundMatch(1, "pdq", 10, 31, "rotate90", False)
    other = FoundMatch(2, "pdq", 20, 31, "original", False)
    md5 = FoundMatch(1, "md5", 0, 0, None, False)
    same = FoundMatch(1, "pdq", 10, 31, "original", False, frame=0)
    closer = FoundMatch(2, "pdq", 3, 31, "original", False, frame=5)
    merged = with_frame_matches([whole, other, md5], [same, closer])
    assert sorted(merged, key=lambda m: (m.entry_id, m.algorithm)) == [md5, whole, closer]


# --- in the store --------------------------------------------------------------------------


def _hash_set(folder: Path, pdq: str) -> Path:
    path = folder / "partner.csv"
    path.write_text(f"pdq,category_scheme,category_code,series\n{pdq},vics-us,1,Series-Cup\n")
    return path


def _classified(workspace: Workspace, phone: Path, hash_set: Path) -> dict[str, dict[str, Any]]:
    """Ingest ``phone`` as a device, hash, import ``hash_set``, match; the findings' media."""
    ingest_device_tree(workspace, "phone-1", phone)
    run_pipeline(workspace, ("hash",), workers=0)
    import_hash_set(workspace, hash_set, name="partner")
    run_pipeline(workspace, ("match",))
    with workspace.session() as session:
        document = build_findings(session)
    validate_findings(document)
    paths = {s["path"]: m for m in document["media"] for s in m["sightings"]}
    return {Path(path).name: media for path, media in paths.items()}


def test_stored_animations_are_matched_by_their_frames(
    workspace: Workspace,
    tmp_path: Path,
    sticker: bytes,
    gif: bytes,
    apng: bytes,
    known_pdq: str,
) -> None:
    phone = tmp_path / "phone"
    (phone / "stickers").mkdir(parents=True)
    files = {
        "stickers/STK-1.webp": sticker,
        "dance.gif": gif,
        "loop.png": apng,
        "stickers/STK-2.webp": animation(
            [photo(name, (128, 128)) for name in ("moon", "horse", "camera")], "WEBP"
        ),
    }
    for name, content in files.items():
        (phone / name).write_bytes(content)
    media = _classified(workspace, phone, _hash_set(tmp_path, known_pdq))
    assert {name: m["status"] for name, m in media.items()} == {
        "STK-1.webp": "known_variant", "dance.gif": "known_variant",
        "loop.png": "known_variant", "STK-2.webp": "new",
    }  # fmt: skip
    placed = {name: [(m["frame"], m["second"], m["algorithm"]) for m in found["matches"]]
              for name, found in media.items()}  # fmt: skip
    assert placed == {
        "STK-1.webp": [(4, None, "pdq")], "dance.gif": [(2, None, "pdq")],
        "loop.png": [(1, None, "pdq")], "STK-2.webp": [],
    }  # fmt: skip
    assert media["loop.png"]["matches"][0]["distance"] == 0  # exact, yet only a frame of it
    sticker_match = media["STK-1.webp"]["matches"][0]
    assert 0 < sticker_match["distance"] <= sticker_match["threshold"] == 31
    assert sticker_match["series"] == "Series-Cup"


needs_vpdq = pytest.mark.skipif(vpdq is None, reason="vpdq not installed (video hashing)")


def gradient_frames(count: int, size: tuple[int, int], shift: int) -> list[Image.Image]:
    """A drifting colour gradient with a white square crossing it."""
    width, height = size
    rows, columns = np.mgrid[0:height, 0:width]
    frames = []
    for number in range(shift, shift + count):
        red = (columns * 255 // width + number * 7) % 256
        pixels = np.stack([red, rows * 255 // height, np.full_like(rows, number * 6 % 256)], 2)
        left = number * 9 % (width - 30)
        pixels[40:70, left : left + 30] = 255
        frames.append(Image.fromarray(pixels.astype(np.uint8)))
    return frames


@needs_vpdq
def test_a_video_showing_a_known_picture_is_found_at_its_second(
    workspace: Workspace, tmp_path: Path, known: Image.Image, known_pdq: str
) -> None:
    frames = gradient_frames(30, KNOWN_SIZE, 0) + [known] * 30 + gradient_frames(20, KNOWN_SIZE, 60)
    phone = tmp_path / "phone"
    phone.mkdir()
    (phone / "VID-20240105-WA0001.avi").write_bytes(mjpeg_avi(frames, fps=10))
    (phone / "VID-20240105-WA0002.avi").write_bytes(
        mjpeg_avi(gradient_frames(80, KNOWN_SIZE, 0), fps=10)
    )
    media = _classified(workspace, phone, _hash_set(tmp_path, known_pdq))
    shown, plain = media["VID-20240105-WA0001.avi"], media["VID-20240105-WA0002.avi"]
    assert (shown["kind"], shown["status"], plain["status"]) == ("video", "known_variant", "new")
    [match] = shown["matches"]
    assert (match["algorithm"], match["second"], match["frame"]) == ("pdq", 3.0, None)
    assert match["distance"] <= 31 and match["transform"] == "original"
