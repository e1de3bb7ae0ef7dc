"""Analyses in worker processes, so that a file that crashes or hangs a decoder costs only itself.

A crash (a segfault in a C decoder: ``BrokenProcessPool``) or a call past its time limit gets
that file an error result; the pool is replaced and the batch goes on. When a crash breaks the
pool with several files in flight, each of them is run again alone, so that only the one that
crashes alone is blamed. Results come back in completion order, each with its key.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Generic, TypeVar

from amparo.media.analyse import analyse_file, sniff_file
from amparo.model import MediaAnalysis

K = TypeVar("K")
Analyse = Callable[[Path], MediaAnalysis]

CRASHED = "the decoder crashed on this file"
# A worker process is replaced after this many files, bounding what a leak in a decoder costs.
MAX_FILES_PER_WORKER = 200
_END = object()


def analyse_many(
    items: Iterable[tuple[K, Path]],
    *,
    workers: int | None = None,
    timeout_s: float = 120,
    analyse: Analyse = analyse_file,
) -> Iterator[tuple[K, MediaAnalysis]]:
    """Analyse each ``(key, path)``, yielding ``(key, analysis)`` as each finishes.

    ``workers`` processes (default: the usable cores); ``0`` runs in this process, without
    protection, for tests and debugging. ``timeout_s`` counts from when a file is handed to a
    worker; long videos may need more than the default. ``analyse`` must be a module-level
    function (it is sent to the workers); it is there so tests can pass one that crashes or
    hangs. Workers start from a fork server, so, as with any non-fork pool, the program's main
    module must be safe to import (``if __name__ == "__main__":``).
    """
    if workers == 0:
        for key, path in items:
            yield key, analyse(path)
        return
    yield from _Supervisor(items, analyse, workers or _usable_cores(), timeout_s).results()


def _usable_cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _failed(path: Path, reason: str) -> MediaAnalysis:
    """An error result for ``path``, its kind told from the content where it can be read."""
    try:
        kind, mime_type = sniff_file(path)
    except OSError:
        kind, mime_type = "other", None
    return MediaAnalysis(kind=kind, mime_type=mime_type, error=reason)


@dataclass(frozen=True)
class _Task(Generic[K]):
    key: K
    path: Path
    alone: bool = False  # to run with nothing else in flight: it was there when a worker crashed


@dataclass(frozen=True)
class _Running(Generic[K]):
    task: _Task[K]
    deadline: float


class _Supervisor(Generic[K]):
    """Keeps at most ``workers`` files in flight, so each call's clock starts when it does."""

    def __init__(
        self, items: Iterable[tuple[K, Path]], analyse: Analyse, workers: int, timeout_s: float
    ) -> None:
        self._fresh = iter(items)
        self._retries: deque[_Task[K]] = deque()
        self._running: dict[Future[MediaAnalysis], _Running[K]] = {}
        self._analyse, self._workers, self._timeout_s = analyse, workers, timeout_s
        self._executor = self._new_executor()

    def results(self) -> Iterator[tuple[K, MediaAnalysis]]:
        try:
            self._submit_more()
            while self._running:
                yield from self._collect()
                self._submit_more()
        finally:
            self._stop_executor()

    def _submit_more(self) -> None:
        while len(self._running) < self._workers and not self._alone_running():
            task = self._next_task()
            if task is None:
                return
            future = self._executor.submit(self._analyse, task.path)
            self._running[future] = _Running(task, time.monotonic() + self._timeout_s)

    def _alone_running(self) -> bool:
        return any(running.task.alone for running in self._running.values())

    def _next_task(self) -> _Task[K] | None:
        if self._retries:
            if self._retries[0].alone and self._running:
                return None
            return self._retries.popleft()
        item = next(self._fresh, _END)
        return None if item is _END else _Task(*item)

    def _collect(self) -> Iterator[tuple[K, MediaAnalysis]]:
        deadline = min(running.deadline for running in self._running.values())
        timeout = max(0.0, deadline - time.monotonic())
        done, _ = wait(self._running, timeout=timeout, return_when=FIRST_COMPLETED)
        if not done:
            yield from self._expire_overdue()
        # Finished results first, so that a crash handled after them requeues only the rest.
        for future in sorted(done, key=_crashed):
            if future in self._running:  # a crash handled earlier in this loop took the rest
                yield from self._settle(future)

    def _settle(self, future: Future[MediaAnalysis]) -> Iterator[tuple[K, MediaAnalysis]]:
        task = self._running.pop(future).task
        error = future.exception()
        if error is None:
            yield task.key, future.result()
        elif isinstance(error, BrokenProcessPool):
            yield from self._after_crash(task)
        else:
            reason = f"analysis failed ({type(error).__name__}: {error})"
            yield task.key, _failed(task.path, reason)

    def _after_crash(self, task: _Task[K]) -> Iterator[tuple[K, MediaAnalysis]]:
        suspects = [task, *(running.task for running in self._running.values())]
        self._replace_executor()
        if len(suspects) == 1:
            yield task.key, _failed(task.path, CRASHED)
        else:
            self._retries.extend(replace(suspect, alone=True) for suspect in suspects)

    def _expire_overdue(self) -> Iterator[tuple[K, MediaAnalysis]]:
        now = time.monotonic()
        overdue = [run.task for run in self._running.values() if run.deadline <= now]
        self._retries.extend(run.task for run in self._running.values() if run.deadline > now)
        self._replace_executor()
        for task in overdue:
            yield task.key, _failed(task.path, f"decoding took longer than {self._timeout_s:g} s")

    def _new_executor(self) -> ProcessPoolExecutor:
        # forkserver: workers fork from a clean, single-threaded server with the media modules
        # already imported, so replacing one is cheap; a fork of this process could inherit
        # locks held by its threads.
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["amparo.media.analyse"])
        return ProcessPoolExecutor(
            self._workers, mp_context=context, max_tasks_per_child=MAX_FILES_PER_WORKER
        )

    def _replace_executor(self) -> None:
        self._stop_executor()
        self._running.clear()
        self._executor = self._new_executor()

    def _stop_executor(self) -> None:
        if self._running:
            _kill_workers(self._executor)
        self._executor.shutdown(wait=True, cancel_futures=True)


def _kill_workers(executor: ProcessPoolExecutor) -> None:
    # A running call cannot be cancelled: its worker is killed. Python 3.14 has kill_workers();
    # before it, the worker processes are only reachable through the executor's _processes.
    if hasattr(executor, "kill_workers"):
        executor.kill_workers()
        return
    for process in list((executor._processes or {}).values()):
        process.kill()


def _crashed(future: Future[MediaAnalysis]) -> bool:
    return isinstance(future.exception(), BrokenProcessPool)
