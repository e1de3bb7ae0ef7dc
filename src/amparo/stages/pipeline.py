"""Running the stages in order; each does only the work whose inputs changed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.exc import SQLAlchemyError

from amparo.errors import StoreError
from amparo.stages.hashing import run_hash_stage
from amparo.stages.locate import run_locate_stage
from amparo.stages.matching import run_match_stage
from amparo.stages.names import STAGE_NAMES
from amparo.stages.resolution import run_resolve_stage
from amparo.stages.score import run_score_stage
from amparo.stages.series import run_cluster_stage
from amparo.store.database import refusal_reason
from amparo.workspace import Workspace


class Progress(Protocol):
    def start(self, stage: str, total: int) -> None: ...

    def advance(self, stage: str, amount: int = 1) -> None: ...


@dataclass(frozen=True)
class StageReport:
    stage: str
    processed: int | None  # None: skipped, nothing it reads changed since its last run


def run_pipeline(
    workspace: Workspace,
    stages: Sequence[str] = STAGE_NAMES,
    *,
    workers: int | None = None,
    progress: Progress | None = None,
) -> list[StageReport]:
    """Run ``stages`` in pipeline order; a stage with nothing to do returns at once."""
    reports = []
    for stage in [name for name in STAGE_NAMES if name in stages]:
        try:
            reports.append(StageReport(stage, _run(workspace, stage, workers, progress)))
        except SQLAlchemyError as error:
            reason = refusal_reason(error)
            raise StoreError(f"the {stage} stage could not write its results: {reason}") from error
    return reports


def _run(
    workspace: Workspace, stage: str, workers: int | None, progress: Progress | None
) -> int | None:
    def total(count: int) -> None:
        if progress is not None:
            progress.start(stage, count)

    def done(amount: int = 1) -> None:
        if progress is not None:
            progress.advance(stage, amount)

    if stage == "hash":
        return run_hash_stage(workspace, workers=workers, on_total=total, on_done=done)
    if stage == "match":
        return run_match_stage(workspace, on_total=total, on_done=done)
    if stage == "locate":
        located = run_locate_stage(workspace, on_total=total, on_done=done)
        return None if located is None else located.located
    if stage == "resolve":
        resolution = run_resolve_stage(workspace)
        return None if resolution is None else len(resolution.persons)
    if stage == "score":
        cases = run_score_stage(workspace)
        return None if cases is None else cases.cases
    return run_cluster_stage(workspace)
