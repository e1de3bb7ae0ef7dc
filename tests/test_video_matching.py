"""vPDQ: a stored video matched to a known video of a hash set by its frames."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert, select

from amparo.formats.hashsets import read_hash_set
from amparo.intake.hashsets import import_hash_set
from amparo.match.video import VPDQ_THRESHOLD
from amparo.stages.pipeline import run_pipeline
from amparo.store import tables
from amparo.workspace import Workspace

RNG = random.Random(11)
KNOWN_FRAMES = [f"{RNG.getrandbits(256):064x}" for _ in range(10)]


def _flip(hex_hash: str, bits: int) -> str:
    return f"{int(hex_hash, 16) ^ ((1 << bits) - 1):064x}"


def _video(workspace: Workspace, sha_digit: str, frames: list[str]) -> None:
    row = {
        "sha256": sha_digit * 64, "md5": sha_digit * 32, "sha1": sha_digit * 40, "size": 1,
        "kind": "video", "analysed_at": datetime.now(UTC),
        "video_frames": [{"second": float(i), "pdq": h, "quality": 90}
                         for i, h in enumerate(frames)],
    }  # fmt: skip
    with workspace.session() as session:
        session.execute(insert(tables.Media), row)


def _hash_set(tmp_path: Path) -> Path:
    features = json.dumps([f"{h},100,{i}" for i, h in enumerate(KNOWN_FRAMES)])
    path = tmp_path / "videos.csv"
    path.write_text('vpdq,category_scheme,category_code\n"' + features.replace('"', '""')
                    + '",vics-us,1\n')  # fmt: skip
    return path


def test_a_csv_carries_vpdq_features(tmp_path: Path) -> None:
    path = _hash_set(tmp_path)
    (entry,) = read_hash_set(path.read_bytes(), path=str(path)).entries
    assert entry.vpdq[0] == f"{KNOWN_FRAMES[0]},100,0"
    assert len(entry.vpdq) == 10


def test_a_reencoded_copy_of_a_known_video_is_a_variant(
    workspace: Workspace, tmp_path: Path
) -> None:
    _video(workspace, "a", [_flip(h, 12) for h in KNOWN_FRAMES[:9]])  # 9 frames, all close
    _video(workspace, "b", KNOWN_FRAMES[:5] + [f"{RNG.getrandbits(256):064x}" for _ in range(5)])
    _video(workspace, "c", [f"{RNG.getrandbits(256):064x}" for _ in range(6)])
    import_hash_set(workspace, _hash_set(tmp_path), name="videos")
    run_pipeline(workspace, ("match",))
    with workspace.session() as session:
        status = dict(session.execute(select(tables.Media.sha256, tables.Media.status)).all())
        match = session.scalars(select(tables.Match)).one()
    assert status == {"a" * 64: "known_variant", "b" * 64: "new", "c" * 64: "new"}
    assert (match.algorithm, match.distance, match.threshold) == ("vpdq", 0, VPDQ_THRESHOLD)
