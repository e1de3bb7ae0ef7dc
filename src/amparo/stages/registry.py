"""The pipeline's stages, each declared once: name, what it counts, what it needs, how it runs.

The pipeline runs them in the order declared here, and ``amparo process`` offers and describes
them from here. Each stage's module is imported only when the stage runs, so that the command
line's help stays light. ``needs`` names the stages whose results a stage reads; every one of
them is declared before it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from amparo.workspace import Workspace


@dataclass(frozen=True)
class StageProgress:
    """What a running stage may tell the progress display, and how widely it may spread."""

    start: Callable[[int], None]  # the stage has this many units to do
    advance: Callable[[int], None]  # it did this many more
    workers: int | None = None  # decoding processes (None: one per CPU)


# What a stage's ``run`` returns: how many units it processed; None when it had nothing to do
# because nothing it reads changed since its last run.
StageRunner = Callable[["Workspace", StageProgress], "int | None"]


@dataclass(frozen=True)
class Stage:
    name: str
    unit: str  # what ``run`` counts, for the report after a run
    summary: str  # what the stage does, for ``amparo process --help``
    needs: tuple[str, ...]
    run: StageRunner


def _hash(workspace: Workspace, progress: StageProgress) -> int | None:
    from amparo.stages.hashing import run_hash_stage

    done = progress.advance
    return run_hash_stage(
        workspace, workers=progress.workers, on_total=progress.start, on_done=lambda: done(1)
    )


def _match(workspace: Workspace, progress: StageProgress) -> int | None:
    from amparo.stages.matching import run_match_stage

    return run_match_stage(workspace, on_total=progress.start, on_done=progress.advance)


def _cluster(workspace: Workspace, progress: StageProgress) -> int | None:
    from amparo.stages.series import run_cluster_stage

    return run_cluster_stage(workspace)


def _resolve(workspace: Workspace, progress: StageProgress) -> int | None:
    from amparo.stages.resolution import run_resolve_stage

    resolution = run_resolve_stage(workspace)
    return None if resolution is None else len(resolution.persons)


def _locate(workspace: Workspace, progress: StageProgress) -> int | None:
    from amparo.stages.locate import run_locate_stage

    located = run_locate_stage(workspace, on_total=progress.start, on_done=progress.advance)
    return None if located is None else located.located


def _network(workspace: Workspace, progress: StageProgress) -> int | None:
    from amparo.stages.network import run_network_stage

    return run_network_stage(workspace)


def _score(workspace: Workspace, progress: StageProgress) -> int | None:
    from amparo.stages.score import run_score_stage

    cases = run_score_stage(workspace)
    return None if cases is None else cases.cases


STAGES: tuple[Stage, ...] = (
    Stage("hash", "files", "PDQ, vPDQ, EXIF", (), _hash),
    Stage("match", "files", "against the hash sets", ("hash",), _match),
    Stage("cluster", "series", "files into series", ("match",), _cluster),
    Stage("resolve", "persons", "accounts into persons", (), _resolve),
    Stage(
        "locate",
        "persons located",
        "IP lookups, providers' answers, places and ages",
        ("resolve",),
        _locate,
    ),
    Stage(
        "network",
        "persons",
        "communities and centrality of the persons' network",
        ("cluster", "resolve", "locate"),
        _network,
    ),
    Stage(
        "score",
        "cases",
        "priorities and cases",
        ("match", "cluster", "resolve", "locate", "network"),
        _score,
    ),
)
STAGE_NAMES = tuple(stage.name for stage in STAGES)


def stage_named(name: str) -> Stage:
    """The stage called ``name``; KeyError when there is none."""
    return {stage.name: stage for stage in STAGES}[name]


def stages_help() -> str:
    """One line per stage, in order, for the command line's help."""
    return "\n".join(f"{stage.name}: {stage.summary}." for stage in STAGES)
