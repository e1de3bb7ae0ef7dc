"""Analyses in worker processes, so that a file that crashes or hangs a decoder costs only itself.

A crash (a segfault in a C decoder: ``BrokenProcessPool``) or a call past its time limit gets
that file an error result; the pool is replaced and the batch goes on. When a crash breaks the
pool with several files in flight, each of them is run again alone, so that only the one that
crashes alone is blamed. Results come back in completion order, each with its key.

Quick files (pictures) can be handed over in chunks, one round trip for several files, so that
the workers do not wait on this process between files. A chunk that crashes or runs out of
time is split: its files are run again one by one, each with its own time limit.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from amparo.cores import usable_cores, worker_context
from amparo.errors import AmparoError
from amparo.media.analyse import analyse_file, sniff_file
from amparo.model import MediaAnalysis

K = TypeVar("K")
Analyse = Callable[[Path], MediaAnalysis]
Sniff = Callable[[Path], tuple[str, str | None]]

CRASHED = "the decoder crashed on this file"
# A worker process is replaced after this many files, bounding what a leak in a decoder costs.
MAX_FILES_PER_WORKER = 1000


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
    singles = ([item] for item in items)
    yield from analyse_chunks(singles, workers=workers, timeout_s=timeout_s, analyse=analyse)


def analyse_chunks(
    chunks: Iterable[Sequence[tuple[K, Path]]],
    *,
    workers: int | None = None,
    timeout_s: float = 120,
    analyse: Analyse = analyse_file,
    chunk_files: int = 1,
    setup: WorkerSetup | None = None,
) -> Iterator[tuple[K, MediaAnalysis]]:
    """As :func:`analyse_many`, each chunk of files handed to a worker at once.

    A chunk shares one ``timeout_s``, so only files quick to analyse (pictures) should share
    one; ``chunk_files``, the size of the largest, keeps a worker's life bounded in files.
    ``setup`` runs once in each worker before its first file (with ``workers=0``, here).
    """
    setup = setup or WorkerSetup()
    if workers == 0:
        setup.run()
        for chunk in chunks:
            for key, path in chunk:
                yield key, analyse(path)
        return
    tasks = (_Task(tuple(chunk)) for chunk in chunks if chunk)
    workers = workers or usable_cores()
    yield from _Supervisor(tasks, analyse, workers, timeout_s, chunk_files, setup).results()


@dataclass(frozen=True)
class WorkerSetup:
    """What each worker runs once as it starts (``initializer(*arguments)``, module-level, so
    that it can be sent), and how this process tells a failed file's kind (``sniff``)."""

    initializer: Callable[..., None] | None = None
    arguments: tuple[Any, ...] = ()
    sniff: Sniff = sniff_file
    preload: tuple[str, ...] = ()  # more modules the workers need, imported once in the server

    def run(self) -> None:
        if self.initializer is not None:
            self.initializer(*self.arguments)


def _analyse_chunk(analyse: Analyse, paths: tuple[Path, ...]) -> list[MediaAnalysis]:
    """Run in a worker: the analyses of a chunk's files, in order."""
    return [analyse(path) for path in paths]


def _failed(path: Path, reason: str, sniff: Sniff = sniff_file) -> MediaAnalysis:
    """An error result for ``path``, its kind told from the content where it can be read."""
    try:
        kind, mime_type = sniff(path)
    except (OSError, AmparoError):
        kind, mime_type = "other", None
    return MediaAnalysis(kind=kind, mime_type=mime_type, error=reason)


@dataclass(frozen=True)
class _Task(Generic[K]):
    files: tuple[tuple[K, Path], ...]
    alone: bool = False  # to run with nothing else in flight: it was there when a worker crashed

    def singles(self, *, alone: bool) -> list[_Task[K]]:
        return [_Task((item,), alone) for item in self.files]


@dataclass(frozen=True)
class _Running(Generic[K]):
    task: _Task[K]
    deadline: float


class _Supervisor(Generic[K]):
    """Keeps at most ``workers`` tasks (a file or a chunk) in flight, so each clock starts when
    its task does."""

    def __init__(
        self,
        tasks: Iterator[_Task[K]],
        analyse: Analyse,
        workers: int,
        timeout_s: float,
        chunk_files: int,
        setup: WorkerSetup,
    ) -> None:
        self._fresh = tasks
        self._setup = setup
        self._retries: deque[_Task[K]] = deque()
        self._running: dict[Future[list[MediaAnalysis]], _Running[K]] = {}
        self._analyse, self._workers, self._timeout_s = analyse, workers, timeout_s
        # The bound on files per worker holds whatever the chunk size.
        self._tasks_per_worker = max(1, MAX_FILES_PER_WORKER // max(1, chunk_files))
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
            paths = tuple(path for _, path in task.files)
            future = self._executor.submit(_analyse_chunk, self._analyse, paths)
            self._running[future] = _Running(task, time.monotonic() + self._timeout_s)

    def _alone_running(self) -> bool:
        return any(running.task.alone for running in self._running.values())

    def _next_task(self) -> _Task[K] | None:
        if self._retries:
            if self._retries[0].alone and self._running:
                return None
            return self._retries.popleft()
        return next(self._fresh, None)

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

    def _settle(self, future: Future[list[MediaAnalysis]]) -> Iterator[tuple[K, MediaAnalysis]]:
        task = self._running.pop(future).task
        error = future.exception()
        if error is None:
            keys = (key for key, _ in task.files)
            yield from zip(keys, future.result(), strict=True)
        elif isinstance(error, BrokenProcessPool):
            yield from self._after_crash(task)
        elif len(task.files) > 1:
            self._retries.extend(task.singles(alone=False))
        else:
            reason = f"analysis failed ({type(error).__name__}: {error})"
            key, path = task.files[0]
            yield key, _failed(path, reason, self._setup.sniff)

    def _after_crash(self, task: _Task[K]) -> Iterator[tuple[K, MediaAnalysis]]:
        suspects = [task, *(running.task for running in self._running.values())]
        self._replace_executor()
        if len(suspects) == 1 and len(task.files) == 1:
            key, path = task.files[0]
            yield key, _failed(path, CRASHED, self._setup.sniff)
        else:
            self._retries.extend(single for s in suspects for single in s.singles(alone=True))

    def _expire_overdue(self) -> Iterator[tuple[K, MediaAnalysis]]:
        now = time.monotonic()
        overdue = [run.task for run in self._running.values() if run.deadline <= now]
        self._retries.extend(run.task for run in self._running.values() if run.deadline > now)
        self._replace_executor()
        reason = f"decoding took longer than {self._timeout_s:g} s"
        for task in overdue:
            if len(task.files) > 1:  # which of them is slow shows when each runs on its own
                self._retries.extend(task.singles(alone=False))
                continue
            key, path = task.files[0]
            yield key, _failed(path, reason, self._setup.sniff)

    def _new_executor(self) -> ProcessPoolExecutor:
        # forkserver: workers fork from a clean, single-threaded server with the media modules
        # and the analysing function's module already imported, so starting or replacing one
        # costs a fork, not imports; a fork of this process could inherit locks held by its
        # threads.
        return ProcessPoolExecutor(
            self._workers,
            mp_context=worker_context(
                "amparo.media.analyse", self._analyse.__module__, *self._setup.preload
            ),
            max_tasks_per_child=self._tasks_per_worker,
            initializer=self._setup.initializer,
            initargs=self._setup.arguments,
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


def _crashed(future: Future[list[MediaAnalysis]]) -> bool:
    return isinstance(future.exception(), BrokenProcessPool)
