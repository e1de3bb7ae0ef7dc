"""The hash stage: decode every stored file not yet analysed, in worker processes.

Cryptographic hashes are taken at ingest; this stage adds what needs decoding: PDQ and its
eight dihedral variants, vPDQ for video, dimensions and EXIF. A file that cannot be decoded is
kept with the reason, and the batch goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Row, select, update

from amparo.cores import usable_cores
from amparo.media.pool import WorkerSetup, analyse_chunks
from amparo.media.stored import analyse_evidence, open_evidence, sniff_evidence
from amparo.model import MediaAnalysis
from amparo.store import tables
from amparo.store.evidence_cipher import worker_modules
from amparo.workspace import Workspace

COMMIT_EVERY = 1000
# Pictures go to the workers in chunks of up to this many, several chunks a worker, so that
# a worker does not wait on this process between files nor idles while others finish.
CHUNK_FILES = 16
CHUNKS_PER_WORKER = 8


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
            select(tables.Media.id, tables.Media.sha256, tables.Media.kind)
            .where(tables.Media.analysed_at.is_(None))
            .order_by(tables.Media.id)
        ).all()
    if on_total is not None:
        on_total(len(pending))
    chunks = _chunks(workspace, pending, workers)
    batch: list[tuple[int, MediaAnalysis]] = []
    for media_id, analysis in analyse_chunks(
        chunks,
        workers=workers,
        analyse=analyse_evidence,
        chunk_files=CHUNK_FILES,
        setup=_worker_setup(workspace) if pending else None,
    ):
        batch.append((media_id, analysis))
        if len(batch) >= COMMIT_EVERY:
            _save(workspace, batch)
        if on_done is not None:
            on_done()
    _save(workspace, batch)
    return len(pending)


def _worker_setup(workspace: Workspace) -> WorkerSetup:
    """Each worker gets the store's root and keyset once, not with every file."""
    store = workspace.evidence
    keyset = store.keyset_for_workers()
    preload = worker_modules(keyset)
    return WorkerSetup(
        open_evidence, (str(store.root), keyset), partial(sniff_evidence, store), preload
    )


def _chunks(
    workspace: Workspace, pending: Sequence[Row[int, str, str]], workers: int | None
) -> list[list[tuple[int, Path]]]:
    """Videos and other files one by one first, so that the long ones start early; then the
    pictures (as ingest recognised them) in chunks small enough to keep every worker busy."""
    path_of = workspace.evidence.path_of
    pictures = [
        (media_id, path_of(sha256)) for media_id, sha256, kind in pending if kind == "image"
    ]
    others = [
        [(media_id, path_of(sha256))] for media_id, sha256, kind in pending if kind != "image"
    ]
    spread = (workers or usable_cores()) * CHUNKS_PER_WORKER
    size = max(1, min(CHUNK_FILES, len(pictures) // spread))
    return others + [pictures[start : start + size] for start in range(0, len(pictures), size)]


def _save(workspace: Workspace, batch: list[tuple[int, MediaAnalysis]]) -> None:
    """Write analyses and empty ``batch``; one transaction, so a stop loses at most a batch."""
    if not batch:
        return
    now = datetime.now(UTC)
    rows = [analysis_columns(analysis) | {"id": media_id, "analysed_at": now}
            for media_id, analysis in batch]  # fmt: skip
    with workspace.session() as session:
        session.execute(update(tables.Media), rows)  # one executemany, by primary key
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
