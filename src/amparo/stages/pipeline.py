"""Running the stages in order; each does only the work whose inputs changed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from amparo.stages.registry import STAGE_NAMES, STAGES, Stage, StageProgress
from amparo.store.refusals import refusals_as_store_errors
from amparo.workspace import Workspace

__all__ = ["STAGE_NAMES", "Progress", "StageReport", "run_pipeline"]


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
    for stage in [stage for stage in STAGES if stage.name in stages]:
        with refusals_as_store_errors(f"the {stage.name} stage could not write its results"):
            processed = stage.run(workspace, _progress_of(stage, progress, workers))
        reports.append(StageReport(stage.name, processed))
    return reports


def _progress_of(stage: Stage, progress: Progress | None, workers: int | None) -> StageProgress:
    if progress is None:
        return StageProgress(start=_ignore, advance=_ignore, workers=workers)
    shown = progress

    def start(total: int) -> None:
        shown.start(stage.name, total)

    def advance(amount: int) -> None:
        shown.advance(stage.name, amount)

    return StageProgress(start=start, advance=advance, workers=workers)


def _ignore(_: int) -> None:
    pass
