"""Media analysis: PDQ conformance, dihedral order, formats, safe decoding, EXIF, vPDQ, pool.

Benign pictures only: the PDQ reference vectors, scikit-image sample photos, generated images.
"""

from __future__ import annotations

import csv
import io
import os
import struct
import time
import zlib
from pathlib import Path

import numpy as np
import pdqhash
import pytest
from PIL import ExifTags, Image, TiffImagePlugin
from skimage import data as samples

from amparo.demo.avi import mjpeg_avi
from amparo.media.analyse import analyse_bytes, analyse_file
from amparo.media.pdq import DIHEDRAL_TRANSFORMS, bits_to_hex, hamming_distance, pdq_hashes
from amparo.media.pool import CRASHED, analyse_chunks, analyse_many
from amparo.media.video import vpdq
from amparo.model import MediaAnalysis

PDQ_VECTORS = Path(__file__).parent / "fixtures" / "pdq"
needs_vpdq = pytest.mark.skipif(vpdq is None, reason="vpdq not installed")
DIHEDRAL_FILES = (
    "dih_bridge-1-original.jpg",
    "dih_bridge-2-rotate-90.jpg",
    "dih_bridge-3-rotate-180.jpg",
    "dih_bridge-4-rotate-270.jpg",
    "dih_bridge-5-flipx.jpg",
    "dih_bridge-6-flipy.jpg",
    "dih_bridge-7-flip-plus-1.jpg",
    "dih_bridge-8-flip-minus-1.jpg",
)


def encode(image: Image.Image, image_format: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def photo() -> Image.Image:
    return Image.fromarray(samples.coffee())


@pytest.fixture(scope="module")
def big_jpeg(photo: Image.Image) -> bytes:
    return encode(photo.resize((2000, 1500), Image.Resampling.BICUBIC), "JPEG", quality=90)


def expected_vectors() -> list[tuple[str, str]]:
    with (PDQ_VECTORS / "expected.csv").open(newline="") as rows:
        return [(row["file"], row["pdq_hex"]) for row in csv.DictReader(rows)]


# --- PDQ ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("file_name", "expected"), expected_vectors())
def test_pdq_matches_the_reference_vectors(file_name: str, expected: str) -> None:
    analysis = analyse_file(PDQ_VECTORS / file_name)
    assert analysis.error is None
    assert len(analysis.pdq) == 64 and analysis.pdq == analysis.pdq.lower()
    assert hamming_distance(analysis.pdq, expected) <= 16


def test_dihedral_hashes_match_the_rotated_and_flipped_files() -> None:
    original = analyse_file(PDQ_VECTORS / DIHEDRAL_FILES[0])
    variants = [analyse_file(PDQ_VECTORS / name).pdq for name in DIHEDRAL_FILES]
    assert original.pdq_dihedral[0] == original.pdq
    for index, transform in enumerate(DIHEDRAL_TRANSFORMS):
        found = [hamming_distance(original.pdq_dihedral[index], pdq) for pdq in variants]
        assert found[index] <= 16, transform
        assert found.index(min(found)) == index, transform


def test_wide_images_hash_as_pdqhash_does_directly(photo: Image.Image) -> None:
    luma = np.asarray(photo.convert("L"))  # 600 wide, 400 high: hashed transposed
    bit_arrays, quality = pdqhash.compute_dihedral(np.repeat(luma[:, :, None], 3, axis=2))
    hashes = pdq_hashes(luma)
    assert hashes.quality == quality
    for ours, direct in zip(hashes.dihedral, bit_arrays, strict=True):
        assert hamming_distance(ours, bits_to_hex(direct)) <= 2


@pytest.mark.parametrize(
    ("image_format", "options", "mime_type"),
    [
        ("JPEG", {"quality": 90}, "image/jpeg"),
        ("GIF", {}, "image/gif"),
        ("WEBP", {"quality": 90}, "image/webp"),
        ("BMP", {}, "image/bmp"),
        ("TIFF", {}, "image/tiff"),
        ("HEIF", {"quality": 90}, "image/heic"),
    ],
)
def test_every_format_hashes_like_png(
    photo: Image.Image, image_format: str, options: dict, mime_type: str
) -> None:
    reference = analyse_bytes(encode(photo, "PNG"), name="photo.png")
    analysis = analyse_bytes(encode(photo, image_format, **options), name="photo")
    assert (analysis.kind, analysis.mime_type, analysis.error) == ("image", mime_type, None)
    assert (analysis.width, analysis.height) == photo.size
    assert analysis.pdq_quality == 100 and len(analysis.pdq_dihedral) == 8
    assert hamming_distance(analysis.pdq, reference.pdq) <= 8


def test_gif_is_hashed_on_its_first_frame(photo: Image.Image) -> None:
    frames = [photo, photo.transpose(Image.Transpose.ROTATE_180)]
    animated = encode(frames[0], "GIF", save_all=True, append_images=frames[1:])
    first = analyse_bytes(encode(frames[0], "GIF"), name="first.gif")
    assert analyse_bytes(animated, name="animated.gif").pdq == first.pdq


def test_large_jpegs_are_decoded_reduced_and_say_so(big_jpeg: bytes) -> None:
    analysis = analyse_bytes(big_jpeg, name="big.jpg")
    assert (analysis.width, analysis.height) == (2000, 1500)
    assert f"pillow {Image.__version__}" in analysis.preparation
    assert "jpeg draft 1/2 -> 1000x750 L; BOX -> 512x384; luma" in analysis.preparation


def test_flat_jpegs_are_hashed_from_rgb_like_the_reference() -> None:
    rng = np.random.default_rng(3)
    flat = Image.fromarray(rng.integers(118, 122, (300, 400, 3), dtype=np.uint8))
    analysis = analyse_bytes(encode(flat, "JPEG", quality=95), name="flat.jpg")
    assert analysis.pdq_quality < 50
    assert analysis.preparation.endswith("RGB; rgb")


def test_sixteen_bit_images_are_scaled_not_clipped() -> None:
    camera = samples.camera()
    wide = Image.fromarray(camera.astype(np.uint16) * 257)
    analysis = analyse_bytes(encode(wide, "PNG"), name="wide.png")
    eight_bit = analyse_bytes(encode(Image.fromarray(camera), "PNG"), name="camera.png")
    assert "I;16" in analysis.preparation and analysis.pdq_quality == 100
    assert hamming_distance(analysis.pdq, eight_bit.pdq) <= 4


# --- safe decoding -------------------------------------------------------------------------


def png_declaring(width: int, height: int) -> bytes:
    """A 1x1 PNG whose header claims ``width`` x ``height``: tiny on disk, a bomb to decode."""
    png = encode(Image.new("1", (1, 1)), "PNG")
    header = b"IHDR" + struct.pack(">II", width, height) + png[24:29]
    return png[:12] + header + struct.pack(">I", zlib.crc32(header)) + png[33:]


@pytest.mark.parametrize(("width", "height"), [(12000, 9000), (20000, 20000)])
def test_pixel_bombs_are_refused_from_the_header(width: int, height: int) -> None:
    analysis = analyse_bytes(png_declaring(width, height), name="bomb.png")
    assert analysis.error == (
        f"image of {width}x{height} pixels exceeds the 100-megapixel limit (decompression bomb)"
    )
    assert (analysis.kind, analysis.width, analysis.height, analysis.pdq) == (
        "image",
        width,
        height,
        None,
    )


def test_the_pixel_limit_is_configurable(photo: Image.Image) -> None:
    analysis = analyse_bytes(encode(photo, "PNG"), name="photo.png", max_pixels=200_000)
    assert analysis.error == (
        "image of 600x400 pixels exceeds the 0.2-megapixel limit (decompression bomb)"
    )


@pytest.mark.parametrize(("image_format", "name"), [("JPEG", "JPEG"), ("PNG", "PNG")])
def test_truncated_images_are_refused(photo: Image.Image, image_format: str, name: str) -> None:
    whole = encode(photo, image_format)
    analysis = analyse_bytes(whole[: len(whole) // 2], name="cut")
    assert analysis.error == f"image is truncated ({name} data ends early)"
    assert analysis.pdq is None and analysis.kind == "image"


@pytest.mark.parametrize(
    ("content", "kind", "error"),
    [
        (b"", "other", None),
        (b"%PDF-1.4\n" + bytes(64), "other", None),
        (b"\x89PNG\r\n\x1a\n", "image", "not an image format Amparo can read"),
        (b"\xff\xd8\xff", "image", "not an image format Amparo can read"),
        (b"II\xbc\x01" + bytes(64), "image", "not an image format Amparo can read"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image", "image is damaged or truncated"),
    ],
)
def test_bad_input_gives_a_reason_never_an_exception(
    content: bytes, kind: str, error: str | None
) -> None:
    analysis = analyse_bytes(content, name="odd")
    assert analysis.kind == kind
    assert analysis.error == error or analysis.error.startswith(error)


def test_corrupt_jpeg_data_is_refused(photo: Image.Image) -> None:
    jpeg = encode(photo, "JPEG")
    analysis = analyse_bytes(jpeg[:300] + bytes(len(jpeg) - 300), name="corrupt.jpg")
    assert analysis.error is not None and analysis.pdq is None


def test_unreadable_files_are_reported(tmp_path: Path) -> None:
    analysis = analyse_file(tmp_path / "missing.jpg")
    assert analysis == MediaAnalysis(
        kind="other", error="file cannot be read (No such file or directory)"
    )


# --- EXIF ----------------------------------------------------------------------------------


def exif_jpeg(exif: Image.Exif) -> bytes:
    return encode(Image.new("RGB", (64, 48), (10, 200, 30)), "JPEG", exif=exif)


def test_exif_camera_time_and_position() -> None:
    exif = Image.Exif()
    exif.update({0x010F: "Benign Cam\x00", 0x0110: "Model X", 0x0131: "TestSoft 1.0", 0x0112: 6})
    exif[ExifTags.IFD.Exif] = {
        0xA431: "SN-0042",
        0xA434: "Lens 50mm",
        0x9003: "2024:03:01 10:20:30",
        0x9011: "+01:00",
        0xA002: 64,
        0xA003: 48,
    }
    rational = TiffImagePlugin.IFDRational
    exif[ExifTags.IFD.GPSInfo] = {
        1: "S",
        2: (rational(33), rational(51), rational(3456, 100)),
        3: "E",
        4: (rational(151), rational(12), rational(305, 10)),
        5: b"\x01",
        6: rational(125, 10),
    }
    assert analyse_bytes(exif_jpeg(exif), name="exif.jpg").exif == {
        "camera_make": "Benign Cam",
        "camera_model": "Model X",
        "camera_serial": "SN-0042",
        "lens_model": "Lens 50mm",
        "software": "TestSoft 1.0",
        "taken_at": "2024-03-01T10:20:30+01:00",
        "gps_latitude": pytest.approx(-(33 + 51 / 60 + 34.56 / 3600), abs=1e-7),
        "gps_longitude": pytest.approx(151 + 12 / 60 + 30.5 / 3600, abs=1e-7),
        "gps_altitude": -12.5,
        "orientation": 6,
        "image_width": 64,
        "image_height": 48,
    }


def test_exif_position_without_hemisphere_keeps_only_the_raw_degrees() -> None:
    rational = TiffImagePlugin.IFDRational
    exif = Image.Exif()
    exif[ExifTags.IFD.GPSInfo] = {
        2: (rational(33), rational(30), rational(0)),  # no GPSLatitudeRef (1)
        3: "W",
        4: (rational(70), rational(15), rational(0)),
    }
    assert analyse_bytes(exif_jpeg(exif), name="exif.jpg").exif == {
        "gps_latitude_raw": 33.5,
        "gps_longitude": -70.25,
    }
    exif[ExifTags.IFD.GPSInfo] = {1: "N", 2: (rational(1), rational(0), rational(0)), 3: "?",
                                  4: (rational(2), rational(0), rational(0))}  # fmt: skip
    assert analyse_bytes(exif_jpeg(exif), name="exif.jpg").exif == {
        "gps_latitude": 1.0,
        "gps_longitude_raw": 2.0,
    }


def test_exif_serial_falls_back_to_the_dng_tag_and_keeps_odd_dates_raw() -> None:
    exif = Image.Exif()
    exif[0xC62F] = "CAM-77"
    exif[ExifTags.IFD.Exif] = {0x9003: "0000:00:00 00:00:00"}
    metadata = analyse_bytes(exif_jpeg(exif), name="exif.jpg").exif
    assert metadata == {"camera_serial": "CAM-77", "taken_at_raw": "0000:00:00 00:00:00"}


def test_damaged_exif_does_not_cost_the_hash(photo: Image.Image) -> None:
    jpeg = encode(photo, "JPEG")
    segment = b"Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08\xff\xff" + bytes(10)
    damaged = jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(segment) + 2) + segment + jpeg[2:]
    analysis = analyse_bytes(damaged, name="damaged-exif.jpg")
    assert analysis.error is None and analysis.pdq is not None


# --- video ---------------------------------------------------------------------------------


def moving_frames(count: int, width: int = 160, height: int = 120) -> list[Image.Image]:
    """A drifting colour gradient with a white square crossing it."""
    rows, columns = np.mgrid[0:height, 0:width]
    frames = []
    for number in range(count):
        red = (columns * 255 // width + number * 7) % 256
        pixels = np.stack([red, rows * 255 // height, np.full_like(rows, number * 6 % 256)], 2)
        left = number * 9 % (width - 30)
        pixels[40:70, left : left + 30] = 255
        frames.append(Image.fromarray(pixels.astype(np.uint8)))
    return frames


@pytest.fixture(scope="module")
def video() -> bytes:
    return mjpeg_avi(moving_frames(40), fps=10)


@needs_vpdq
def test_video_gets_one_pdq_per_second(video: bytes, tmp_path: Path) -> None:
    analysis = analyse_bytes(video, name="clip.avi")
    assert (analysis.kind, analysis.mime_type, analysis.error, analysis.pdq) == (
        "video",
        "video/x-msvideo",
        None,
        None,
    )
    assert [frame.second for frame in analysis.video_frames] == [0.0, 1.0, 2.0, 3.0]
    assert all(
        len(frame.pdq) == 64 and 0 <= frame.quality <= 100 for frame in analysis.video_frames
    )
    assert analysis.preparation.startswith("vpdq ")
    (tmp_path / "clip.avi").write_bytes(video)
    assert analyse_file(tmp_path / "clip.avi") == analysis


@needs_vpdq
def test_truncated_video_is_refused(video: bytes) -> None:
    analysis = analyse_bytes(video[: len(video) // 2], name="cut.avi")
    assert analysis.kind == "video" and analysis.video_frames is None
    assert analysis.error.startswith("video cannot be decoded")


# --- worker processes ----------------------------------------------------------------------


def analyse_or_misbehave(path: Path) -> MediaAnalysis:
    """Run in the pool's workers: crashes or hangs on the files so named, else analyses."""
    if path.stem == "crash":
        os._exit(1)
    if path.stem == "hang":
        time.sleep(600)
    return analyse_file(path)


@pytest.fixture
def batch(tmp_path: Path, photo: Image.Image) -> dict[str, Path]:
    jpeg = encode(photo, "JPEG")
    contents = {
        "good": jpeg,
        "truncated": jpeg[: len(jpeg) // 2],
        "bomb": png_declaring(20000, 20000),
        "crash": jpeg,
        "hang": jpeg,
        "good-too": encode(photo, "PNG"),
    }
    paths = {name: tmp_path / name for name in contents}
    for name, content in contents.items():
        paths[name].write_bytes(content)
    return paths


def test_pool_survives_crashes_hangs_and_bad_files(batch: dict[str, Path]) -> None:
    items = list(batch.items())
    results = dict(analyse_many(items, workers=2, timeout_s=4, analyse=analyse_or_misbehave))
    assert sorted(results) == sorted(batch)
    errors = {key: analysis.error for key, analysis in results.items()}
    assert errors["good"] is None and errors["good-too"] is None
    assert errors["truncated"] == "image is truncated (JPEG data ends early)"
    assert "decompression bomb" in errors["bomb"]
    assert errors["crash"] == CRASHED
    assert errors["hang"] == "decoding took longer than 4 s"
    assert results["crash"].kind == results["hang"].kind == "image"
    assert results["good"].pdq == analyse_file(batch["good"]).pdq


def test_pool_in_chunks_blames_only_the_files_that_fail_alone(batch: dict[str, Path]) -> None:
    items = list(batch.items())
    chunks = [items[:3], items[3:]]
    results = dict(
        analyse_chunks(chunks, workers=2, timeout_s=4, analyse=analyse_or_misbehave, chunk_files=3)
    )
    assert sorted(results) == sorted(batch)
    errors = {key: analysis.error for key, analysis in results.items()}
    assert errors["good"] is None and errors["good-too"] is None
    assert errors["crash"] == CRASHED
    assert errors["hang"] == "decoding took longer than 4 s"
    assert results["good-too"].pdq == analyse_file(batch["good-too"]).pdq


def test_pool_runs_in_process_with_no_workers(batch: dict[str, Path]) -> None:
    items = [(name, batch[name]) for name in ("good", "truncated", "bomb")]
    results = dict(analyse_many(items, workers=0))
    assert results == {name: analyse_file(path) for name, path in items}
