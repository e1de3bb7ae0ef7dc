"""The hash stage: decode every stored file not yet analysed, in worker processes.

Cryptographic hashes are taken at ingest; this stage adds what needs decoding: PDQ and its
eight dihedral variants, vPDQ for video, dimensions and EXIF. A file that cannot be decoded is
kept with the reason, and the batch goes on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from amparo.intake.package import file_sha256
from amparo.media.analyse import analyse_file
from amparo.media.pool import analyse_many
from amparo.model import MediaAnalysis
from amparo.store import tables
from amparo.workspace import Workspace

COMMIT_EVERY = 200


def analyse_evidence(path: Path) -> MediaAnalysis:
    """Check an evidence file still matches its SHA-256 name (streaming), then analyse it."""
    if file_sha256(path) != path.name:
        return MediaAnalysis(kind="other", error="evidence file corrupted: its SHA-256 changed")
    return analyse_file(path)


def run_hash_stage(
    workspace: Workspace,
    *,
    workers: int | None = None,
    on_total: Callable[[int], None] | None = None,
    on_done: Callable[[], None] | None = None,
) -> int:
    """Analyse every media row not analysed yet; return how many were analysed."""
    with workspace.session() as session:
        pending = session.execute(
            select(tables.Media.id, tables.Media.sha256).where(tables.Media.analysed_at.is_(None))
        ).all()
    if on_total is not None:
        on_total(len(pending))
    items = [(media_id, workspace.evidence.path_of(sha256)) for media_id, sha256 in pending]
    batch: list[tuple[int, MediaAnalysis]] = []
    for media_id, analysis in analyse_many(items, workers=workers, analyse=analyse_evidence):
        batch.append((media_id, analysis))
        if len(batch) >= COMMIT_EVERY:
            _save(workspace, batch)
        if on_done is not None:
            on_done()
    _save(workspace, batch)
    return len(pending)


def _save(workspace: Workspace, batch: list[tuple[int, MediaAnalysis]]) -> None:
    """Write analyses and empty ``batch``; one transaction, so a stop loses at most a batch."""
    if not batch:
        return
    now = datetime.now(UTC)
    with workspace.session() as session:
        for media_id, analysis in batch:
            values = analysis_columns(analysis) | {"analysed_at": now}
            session.execute(update(tables.Media).where(tables.Media.id == media_id), values)
    batch.clear()


def analysis_columns(analysis: MediaAnalysis) -> dict[str, Any]:
    frames = analysis.video_frames
    return {
        "kind": analysis.kind,
        "width": analysis.width,
        "height": analysis.height,
        "pdq": analysis.pdq,
        "pdq_quality": analysis.pdq_quality,
        "pdq_dihedral": None if analysis.pdq_dihedral is None else list(analysis.pdq_dihedral),
        "preparation": analysis.preparation,
        "video_frames": None if frames is None else [asdict(frame) for frame in frames],
        "exif": analysis.exif or None,
        "problem": analysis.error,
    }
