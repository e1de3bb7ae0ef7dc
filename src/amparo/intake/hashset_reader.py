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
import pickle
from collections.abc import Generator, Iterator, Sequence
from itertools import chain
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, cast

from amparo.cores import start_fork_server, worker_context
from amparo.errors import InputRejected, UnsafeInput
from amparo.formats.hashsets import EntryBatch, HashSetStream, LinePlaces, open_hash_set

WORKER_MIN_BYTES = 32 * 2**20
GROUP_ENTRIES = 8192
JOINED_ENTRIES = 1024
_READER_MODULES = ("amparo.intake.hashset_reader",)
_ITEMS, _END, _FAILED = "items", "end", "failed"
_LENGTH_BYTES = 8
CRASHED = "the hash-set reader stopped on this file (the parser crashed)"


def start_early(path: str) -> None:
    """Start the fork server that the worker reading ``path`` will come from, where the file
    is worth a worker: the command calls this first, so that the server boots while the
    command imports its modules and opens the workspace (about 0.8 s)."""
    if worth_a_worker(path):
        start_fork_server(*_READER_MODULES)


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
                    message = receiving.recv_bytes()
                except EOFError:
                    raise UnsafeInput(CRASHED, path=path) from None
                kind, self.position, payload = _unpickled(message)
                if kind == _ITEMS:
                    yield from payload
                elif kind == _END:
                    stream.version = payload[0]
                    return
                else:
                    raise payload[0]
        finally:
            receiving.close()
            if worker.is_alive():
                worker.kill()
            worker.join()


def _read(path: str, sending: Connection) -> None:
    """Run in the worker: every item of the file, in groups, then its version.

    Each item is pickled as soon as it is read (or its run of batches joined), so that the
    reader's memory stays in the processor's caches: holding a group's objects until it was
    sent cost the VICS reader a third more time."""
    gc.freeze()  # what the worker imported is never garbage: out of the collector's passes
    try:
        with open(path, "rb") as file:
            stream = open_hash_set(file, path=path)
            head = (stream.format, stream.version, stream.unique_id)
            _send(sending, _ITEMS, file.tell(), _pickled([head]))
            for group in _groups(stream.items):
                _send(sending, _ITEMS, file.tell(), group)
            size = os.path.getsize(path)  # a reader may have closed the file as it ended
            _send(sending, _END, size, _pickled([stream.version]))
    except InputRejected as error:
        _send(sending, _FAILED, 0, _pickled([error]))
    except BrokenPipeError:  # the importer stopped reading (an error there, or a re-read)
        pass
    finally:
        sending.close()


def _groups(items: Iterator[Any]) -> Iterator[bytes]:
    """The items pickled as they come, in groups of about ``GROUP_ENTRIES`` entries;
    consecutive batches of the same columns joined up to ``JOINED_ENTRIES`` (the importer
    writes one batch per statement)."""
    group: list[bytes] = []
    batches: list[EntryBatch] = []
    entries = joined = 0
    for item in items:
        if batches and not (isinstance(item, EntryBatch) and _same_columns(item, batches[0])):
            group.append(_pickled([_joined(batches)]))
            batches, joined = [], 0
        if isinstance(item, EntryBatch):
            batches.append(item)
            joined += len(item.places)
            entries += len(item.places)
            if joined >= JOINED_ENTRIES:
                group.append(_pickled([_joined(batches)]))
                batches, joined = [], 0
        else:
            group.append(_pickled([item]))
            entries += 1
        if entries >= GROUP_ENTRIES:
            if batches:
                group.append(_pickled([_joined(batches)]))
                batches, joined = [], 0
            yield b"".join(group)
            group, entries = [], 0
    if batches:
        group.append(_pickled([_joined(batches)]))
    if group:
        yield b"".join(group)


def _pickled(items: list[Any]) -> bytes:
    """Each item pickled on its own, after its length (an unpickler reading several pickles
    in a row from one stream may read past the end of a large one)."""
    pickled = (pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL) for item in items)
    return b"".join(len(data).to_bytes(_LENGTH_BYTES, "little") + data for data in pickled)


def _send(sending: Connection, kind: str, position: int, items: bytes) -> None:
    sending.send_bytes(_pickled([(kind, position)]) + items)


def _unpickled(message: bytes) -> tuple[str, int, list[Any]]:
    """A message's kind, the worker's position in the file, and its items, in order."""
    view = memoryview(message)
    found = []
    at = 0
    while at < len(view):
        length = int.from_bytes(view[at : at + _LENGTH_BYTES], "little")
        at += _LENGTH_BYTES
        found.append(pickle.loads(view[at : at + length]))
        at += length
    (kind, position), *items = found
    return kind, position, items


def _same_columns(batch: EntryBatch, other: EntryBatch) -> bool:
    return batch.columns.keys() == other.columns.keys()


def _joined(batches: list[EntryBatch]) -> EntryBatch:
    if len(batches) == 1:
        return batches[0]
    places: Sequence[str]
    if all(isinstance(batch.places, LinePlaces) for batch in batches):
        places = LinePlaces.joined(cast(list[LinePlaces], [batch.places for batch in batches]))
    else:
        places = list(chain.from_iterable(batch.places for batch in batches))
    columns = {
        name: list(chain.from_iterable(batch.columns[name] for batch in batches))
        for name in batches[0].columns
    }
    return EntryBatch(places, columns)


def worth_a_worker(path: str) -> bool:
    """Whether the file is large enough for the worker's start-up to pay."""
    return os.path.getsize(path) >= WORKER_MIN_BYTES
