"""A large hash-set file read in a process of its own, beside the one writing the database.

Reading (parsing, checking every value, building batches of columns) and writing (SQLite's
inserts, index builds and commit, or PostgreSQL's COPY) each take about half of an import, and
each runs on one core. So a file of ``WORKER_MIN_BYTES`` or more is read by a worker process
that sends its items to the importer in groups while the importer writes the previous ones: on
two cores the import takes about as long as the longer of the two halves, not their sum.

The worker yields exactly what the reader yields here, in the same order: entries, batches and
the bad entries' InvalidInput, then the version label the reader learned. A file whose
structure breaks partway raises its InputRejected at the same point of the stream here.

The command starts the worker first (``start_early``), so that it reads while the command
imports its modules and opens the workspace; a thread of the worker sends its groups, so it
reads on while the importer is busy. Memory stays bounded whatever the file: the worker holds
at most ``READ_AHEAD_GROUPS`` groups (``GROUP_ENTRIES`` entries each) waiting to be sent, and
blocks until the importer takes one. If the worker dies (a parser crashing on a hostile file),
the file is rejected as unsafe, and an import stopped early stops its worker.
"""

from __future__ import annotations

import gc
import os
import pickle
import queue
import threading
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
READ_AHEAD_GROUPS = 16  # about 40 MB of pickled entries at most
_READER_MODULES = ("amparo.intake.hashset_reader",)
_ITEMS, _END, _FAILED = "items", "end", "failed"
_LENGTH_BYTES = 8
CRASHED = "the hash-set reader stopped on this file (the parser crashed)"


def start_early(path: str) -> None:
    """Start the worker that will read ``path``, where the file is worth one: the command calls
    this first, so that the worker reads while the command imports its modules and opens the
    workspace (about 0.8 s). ``read_in_worker(path)`` then takes this worker."""
    if worth_a_worker(path):
        start_fork_server(*_READER_MODULES)
        _early[path] = _Starting(path)


def read_in_worker(path: str) -> HashSetStream:
    """The file at ``path`` opened by a worker process (the one ``start_early`` started, if
    any), which goes on to read its items.

    Waits until the worker has opened the file (its format and version known: a VICS document
    of cases is read through once for that); an InputRejected that opening raises there is
    raised here.
    """
    early = _early.pop(path, None)
    worker, receiving = _started(path) if early is None else early.started()
    stream = HashSetStream("", None, None, iter(()))
    items = WorkerItems(worker, receiving, stream, path)
    try:
        stream.format, stream.version, stream.unique_id = next(items)
    except BaseException:
        items.close()
        raise
    stream.items = items
    return stream


def _started(path: str) -> tuple[BaseProcess, Connection]:
    """A worker reading ``path``, and the end of the pipe it sends on."""
    context = worker_context(*_READER_MODULES)
    receiving, sending = context.Pipe(duplex=False)
    worker = context.Process(target=_read, args=(path, sending), daemon=True)
    worker.start()
    sending.close()
    return worker, receiving


class _Starting:
    """A worker being started in a thread (starting one waits for the fork server to boot)."""

    def __init__(self, path: str) -> None:
        self._found: tuple[BaseProcess, Connection] | BaseException | None = None
        self._thread = threading.Thread(target=self._start, args=(path,), daemon=True)
        self._thread.start()

    def _start(self, path: str) -> None:
        try:
            self._found = _started(path)
        except BaseException as error:  # raised where the worker is taken
            self._found = error

    def started(self) -> tuple[BaseProcess, Connection]:
        self._thread.join()
        if isinstance(self._found, BaseException):
            raise self._found
        assert self._found is not None
        return self._found


_early: dict[str, _Starting] = {}


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
    outbox = _Outbox(sending)
    try:
        with open(path, "rb") as file:
            stream = open_hash_set(file, path=path)
            head = (stream.format, stream.version, stream.unique_id)
            outbox.put(_ITEMS, file.tell(), _pickled([head]))
            for group in _groups(stream.items):
                outbox.put(_ITEMS, file.tell(), group)
            size = os.path.getsize(path)  # a reader may have closed the file as it ended
            outbox.put(_END, size, _pickled([stream.version]))
    except InputRejected as error:
        outbox.put(_FAILED, 0, _pickled([error]))
    except BrokenPipeError:  # the importer stopped reading (an error there, or a re-read)
        pass
    finally:
        outbox.close()
        sending.close()


class _Outbox:
    """The worker's messages, sent in order by a thread of their own: the worker reads on,
    up to ``READ_AHEAD_GROUPS`` messages ahead, while the importer is busy or not yet there."""

    def __init__(self, sending: Connection) -> None:
        self._waiting: queue.Queue[bytes | None] = queue.Queue(READ_AHEAD_GROUPS)
        self._broken = False
        self._thread = threading.Thread(target=self._send_all, args=(sending,), daemon=True)
        self._thread.start()

    def put(self, kind: str, position: int, items: bytes) -> None:
        """Queue a message; BrokenPipeError once the importer has stopped reading."""
        if self._broken:
            raise BrokenPipeError
        self._waiting.put(_pickled([(kind, position)]) + items)

    def close(self) -> None:
        """Wait until every message queued is sent (or the pipe broke)."""
        self._waiting.put(None)
        self._thread.join()

    def _send_all(self, sending: Connection) -> None:
        while (message := self._waiting.get()) is not None:
            if self._broken:
                continue  # drained, so that ``put`` never waits on a queue nobody empties
            try:
                sending.send_bytes(message)
            except OSError:  # BrokenPipeError among them: the importer stopped reading
                self._broken = True


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
