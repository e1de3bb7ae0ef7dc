"""The demo's moving media: generated benign videos, a sticker and a GIF on the seized phone,
a hash set of known videos, and ``make demo`` installing video hashing so that they are hashed.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import filetype
import numpy as np
import pdqhash
import pytest
from PIL import Image

from amparo.demo import GeneratedOperation, generate_operation
from amparo.demo.cast import FAMILY_GAP, VARIANT_REACH
from amparo.demo.clips import (
    KNOWN_VIDEO_SECONDS,
    KNOWN_VIDEOS_CSV,
    PHONE_PATHS,
    SHOWN_FROM,
    STICKER_FRAMES,
    STICKER_KNOWN_FRAME,
    build_clips,
)
from amparo.demo.generator import build_cast
from amparo.demo.pdq import pdq_hex
from amparo.export.findings import build_findings
from amparo.formats.hashsets import read_hash_set
from amparo.intake.device import ingest_device_tree
from amparo.intake.hashsets import import_hash_set
from amparo.media.video import vpdq
from amparo.stages.pipeline import run_pipeline
from amparo.workspace import Workspace, open_workspace
from tests.conftest import BACKENDS, new_database_url

ROOT = Path(__file__).resolve().parent.parent
needs_vpdq = pytest.mark.skipif(vpdq is None, reason="vpdq not installed (video hashing)")


@pytest.fixture(scope="module")
def operation(tmp_path_factory: pytest.TempPathFactory) -> GeneratedOperation:
    root = tmp_path_factory.mktemp("clips") / "input"
    return generate_operation(
        root, reports=4, seed=3, hash_sets=True, device_tree=True, videos=True
    )


def _clip(operation: GeneratedOperation, key: str) -> tuple[bytes, Any]:
    """The bytes and the expected role of the clip ``key`` of ``PHONE_PATHS``."""
    [file] = [f for f in operation.device_files if f.relative_path == PHONE_PATHS[key]]
    return file.path.read_bytes(), operation.media_roles[file.sha256]


def _rules(makefile: str) -> dict[str, tuple[list[str], str]]:
    """Each rule's target: its prerequisites and its recipe."""
    rules = {}
    for match in re.finditer(r"^([^\s:#=]+):([^=\n]*)\n((?:\t.*\n?)*)", makefile, re.MULTILINE):
        rules[match[1]] = (match[2].split(), match[3])
    return rules


def test_make_demo_installs_video_hashing_first() -> None:
    rules = _rules((ROOT / "Makefile").read_text(encoding="utf-8"))
    assert "demo-data" in rules["demo"][0]
    assert "$(VIDEO_STAMP)" in rules["demo-data"][0]
    prerequisites, recipe = rules["$(VIDEO_STAMP)"]
    assert "$(STAMP)" in prerequisites
    assert "scripts/install-system-packages.sh video" in recipe
    assert "[test,video]" in recipe
    script = (ROOT / "scripts" / "install-system-packages.sh").read_text(encoding="utf-8")
    assert "libavcodec-dev" in script.partition("for package in")[2]  # in both modes


def test_the_phone_holds_the_clips_with_their_truth(operation: GeneratedOperation) -> None:
    expected = {
        "new_video": ("video/x-msvideo", "new"),
        "reencoded": ("video/x-msvideo", "known_variant"),
        "shown": ("video/x-msvideo", "known_variant"),
        "sticker": ("image/webp", "known_variant"),
        "gif": ("image/gif", "new"),
    }
    found = {}
    for key in PHONE_PATHS:
        data, role = _clip(operation, key)
        found[key] = (filetype.guess_mime(data), role.status)
    assert found == expected
    assert _clip(operation, "shown")[1].second == SHOWN_FROM
    assert _clip(operation, "sticker")[1].frame == STICKER_KNOWN_FRAME


def test_the_known_video_set_holds_the_original_s_vpdq(operation: GeneratedOperation) -> None:
    path = operation.hashset_files[KNOWN_VIDEOS_CSV]
    [entry] = read_hash_set(path.read_bytes(), path=str(path)).entries
    assert (entry.kind, entry.category.scheme, entry.category.code) == ("video", "vics-us", "1")
    assert [feature.rsplit(",", 1)[1] for feature in entry.vpdq] == [
        str(second) for second in range(KNOWN_VIDEO_SECONDS)
    ]
    _, copy_role = _clip(operation, "reencoded")
    assert copy_role.source_sha256 == entry.sha256  # the original is not on the phone
    assert entry.sha256 not in {file.sha256 for file in operation.device_files}


def _frame_hashes(data: bytes) -> list[tuple[str, int]]:
    hashes = []
    with Image.open(io.BytesIO(data)) as animation:
        for number in range(animation.n_frames):
            animation.seek(number)
            bits, quality = pdqhash.compute(np.asarray(animation.convert("RGB")))
            hashes.append((pdq_hex(bits), int(quality)))
    return hashes


def _distance(first: str, second: str) -> int:
    return (int(first, 16) ^ int(second, 16)).bit_count()


def test_only_the_sticker_s_fifth_frame_shows_a_known_picture(
    operation: GeneratedOperation,
) -> None:
    data, role = _clip(operation, "sticker")
    known = {entry.sha256: entry.pdq for entry in operation.hash_sets["known.csv"]}
    frames = _frame_hashes(data)
    assert len(frames) == STICKER_FRAMES
    distances = [min(_distance(h, pdq) for pdq in known.values()) for h, _ in frames]
    assert distances[STICKER_KNOWN_FRAME] == _distance(
        frames[STICKER_KNOWN_FRAME][0], known[role.source_sha256]
    )
    assert 0 < distances[STICKER_KNOWN_FRAME] <= VARIANT_REACH
    others = distances[:STICKER_KNOWN_FRAME] + distances[STICKER_KNOWN_FRAME + 1 :]
    assert min(others) >= FAMILY_GAP
    gif_frames = _frame_hashes(_clip(operation, "gif")[0])
    assert min(_distance(h, pdq) for h, _ in gif_frames for pdq in known.values()) >= FAMILY_GAP


def test_the_same_seed_gives_the_same_clips() -> None:
    def shas() -> list[str]:
        clips = build_clips(build_cast(3, 4), np.random.default_rng(11))
        return [item.sha256 for item in clips.layout.values()]

    assert shas() == shas()


@pytest.fixture(scope="module", params=BACKENDS)
def workspace(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Workspace]:
    folder = tmp_path_factory.mktemp("demo-videos")
    opened = open_workspace(folder / "workspace", database_url=new_database_url(request, folder))
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def processed(workspace: Workspace, operation: GeneratedOperation) -> dict[str, dict[str, Any]]:
    """The phone ingested, hashed, the demo's hash sets imported, matched: media by path."""
    ingest_device_tree(workspace, "phone-1", operation.root / "devices" / "phone-1")
    run_pipeline(workspace, ("hash",), workers=0)
    for name, path in operation.hashset_files.items():
        import_hash_set(workspace, path, name=name.removesuffix(".csv"))
    run_pipeline(workspace, ("match",))
    with workspace.session() as session:
        media = build_findings(session)["media"]
    return {sighting["path"]: m for m in media for sighting in m["sightings"]}


def _places(media: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [(m["algorithm"], m["hash_set"], m["frame"], m["second"]) for m in media["matches"]]


def test_the_demo_s_animated_pictures_are_matched_by_their_frames(
    processed: dict[str, dict[str, Any]],
) -> None:
    sticker, gif = processed[PHONE_PATHS["sticker"]], processed[PHONE_PATHS["gif"]]
    assert (sticker["status"], gif["status"]) == ("known_variant", "new")
    assert _places(sticker) == [("pdq", "known", STICKER_KNOWN_FRAME, None)]
    assert _places(gif) == []


@needs_vpdq
def test_the_demo_s_videos_come_out_hashed_and_matched(
    processed: dict[str, dict[str, Any]], operation: GeneratedOperation
) -> None:
    videos = {key: processed[PHONE_PATHS[key]] for key in ("new_video", "reencoded", "shown")}
    assert {key: (m["kind"], m["problem"]) for key, m in videos.items()} == {
        key: ("video", None) for key in videos
    }
    assert {key: m["status"] for key, m in videos.items()} == {
        key: _clip(operation, key)[1].status for key in videos
    }
    assert _places(videos["reencoded"]) == [("vpdq", "known_videos", None, None)]
    assert _places(videos["shown"]) == [("pdq", "known", None, float(SHOWN_FROM))]
    assert _places(videos["new_video"]) == []
