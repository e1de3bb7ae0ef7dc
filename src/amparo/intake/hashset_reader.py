"""A large hash-set file read in a process of its own, beside the one writing the database.

Reading (parsing, checking every value, building batches of columns) and writing (SQLite's
inserts, index builds and commit, or PostgreSQL's COPY) each take about half of an import, and
each runs on one core. So a file of ``WORKER_MIN_BYTES`` or more is read by a worker process
that sends its items to the importer in groups while the importer writes the previous ones: on
two cores the import takes about as long as the longer of the two halves, not their sum.

The worker yields exactly what the reader yields here, in the same order: entries, batches and
the bad entries' InvalidInput, then the version label the reader learned. A file whose
structure breaks partway raises its InputRejected at the same point of the stream here. Memory
stays bounded: the worker blocks until the importer has taken its previous group, so at most
about three groups (``GROUP_ENTRIES`` entries each) are alive at once. If the worker dies (a
parser crashing on a hostile file), the file is rejected as unsafe, and an import stopped early
stops its worker.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Generator, Iterator
from itertools import chain
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from amparo.cores import worker_context
from amparo.errors import InputRejected, UnsafeInput
from amparo.formats.hashsets import EntryBatch, HashSetStream, open_hash_set

WORKER_MIN_BYTES = 32 * 2**20
GROUP_ENTRIES = 8192
_READER_MODULES = ("amparo.intake.hashset_reader",)
_ITEMS, _END, _FAILED = "items", "end", "failed"
CRASHED = "the hash-set reader stopped on this file (the parser crashed)"


def read_in_worker(path: str) -> HashSetStream:
    """The file at ``path`` opened by a worker process, which goes on to read its items.

    Waits until the worker has opened the file (its format and version known: a VICS document
    of cases is read through once for that); an InputRejected that opening raises there is
    raised here.
    """
    context = worker_context(*_READER_MODULES)
    receiving, sending = context.Pipe(duplex=False)
    worker = context.Process(target=_read, args=(path, sending), daemon=True)
    worker.start()
    sending.close()
    stream = HashSetStream("", None, None, iter(()))
    items = WorkerItems(worker, receiving, stream, path)
    try:
        stream.format, stream.version, stream.unique_id = next(items)
    except BaseException:
        items.close()
        raise
    stream.items = items
    return stream


class WorkerItems(Iterator[Any]):
    """The items a worker reads, in order, after the stream's format, version and unique id;
    ``position`` says how far into the file it has read, and ``stream.version`` is set again
    once the last item has come. ``close`` stops the worker."""

    def __init__(
        self, worker: BaseProcess, receiving: Connection, stream: HashSetStream, path: str
    ) -> None:
        self.position = 0
        self._items = self._received(worker, receiving, stream, path)

    def __next__(self) -> Any:
        return next(self._items)

    def close(self) -> None:
        self._items.close()

    def _received(
        self, worker: BaseProcess, receiving: Connection, stream: HashSetStream, path: str
    ) -> Generator[Any, None, None]:
        try:
            while True:
                try:
                    kind, payload, position = receiving.recv()
                except EOFError:
                    raise UnsafeInput(CRASHED, path=path) from None
                self.position = position
                if kind == _ITEMS:
                    yield from payload
                elif kind == _END:
                    stream.version = payload
                    return
                else:
                    raise payload
        finally:
            receiving.close()
            if worker.is_alive():
                worker.kill()
            worker.join()


def _read(path: str, sending: Connection) -> None:
    """Run in the worker: every item of the file, in groups, then its version."""
    gc.freeze()  # what the worker imported is never garbage: out of the collector's passes
    try:
        with open(path, "rb") as file:
            stream = open_hash_set(file, path=path)
            head = (stream.format, stream.version, stream.unique_id)
            sending.send((_ITEMS, [head], file.tell()))
            for group in _groups(stream.items):
                sending.send((_ITEMS, group, file.tell()))
            size = os.path.getsize(path)  # a reader may have closed the file as it ended
            sending.send((_ITEMS, [], size))
            sending.send((_END, stream.version, size))
    except InputRejected as error:
        sending.send((_FAILED, error, 0))
    except BrokenPipeError:  # the importer stopped reading (an error there, or a re-read)
        pass
    finally:
        sending.close()


def _groups(items: Iterator[Any]) -> Iterator[list[Any]]:
    """The items in groups of about ``GROUP_ENTRIES`` entries, in order, consecutive batches
    of the same columns joined into one (the importer writes one batch per statement)."""
    group: list[Any] = []
    batches: list[EntryBatch] = []
    entries = 0
    for item in items:
        if batches and not (isinstance(item, EntryBatch) and _same_columns(item, batches[0])):
            group.append(_joined(batches))
            batches = []
        if isinstance(item, EntryBatch):
            batches.append(item)
            entries += len(item.places)
        else:
            group.append(item)
            entries += 1
        if entries >= GROUP_ENTRIES:
            yield [*group, _joined(batches)] if batches else group
            group, batches, entries = [], [], 0
    if group or batches:
        yield [*group, _joined(batches)] if batches else group


def _same_columns(batch: EntryBatch, other: EntryBatch) -> bool:
    return batch.columns.keys() == other.columns.keys()


def _joined(batches: list[EntryBatch]) -> EntryBatch:
    if len(batches) == 1:
        return batches[0]
    places = list(chain.from_iterable(batch.places for batch in batches))
    columns = {
        name: list(chain.from_iterable(batch.columns[name] for batch in batches))
        for name in batches[0].columns
    }
    return EntryBatch(places, columns)


def worth_a_worker(path: str) -> bool:
    """Whether the file is large enough for the worker's start-up to pay."""
    return os.path.getsize(path) >= WORKER_MIN_BYTES
