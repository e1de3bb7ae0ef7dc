"""A folder's files copied into the evidence store: read once for the copy, the three digests
and the type, on every core.

Each file costs its digests (MD5, SHA-1, SHA-256) and, when evidence is encrypted, its sealing;
threads alone kept one core busy (ingest's wall time equalled its CPU time: Python's lock is
held for much of each file's work). A large folder is
therefore kept by worker processes (forked from a server that has this module loaded, each
given the store's root and keyset once); a small one, where starting workers would cost more
than it saves, by a few threads in this process. Either way the results come back in the
folder's order, and a file that cannot be read fails with :class:`InvalidInput` naming it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool, ProcessPoolExecutor
from functools import partial
from pathlib import Path

from amparo.cores import usable_cores, worker_context
from amparo.errors import InvalidInput
from amparo.intake.ingest import SNIFF_BYTES
from amparo.intake.package import GuardedStream, Limits, open_no_link
from amparo.intake.writer import StoredFile
from amparo.media.analyse import sniff_bytes
from amparo.store.evidence import EvidenceStore
from amparo.store.evidence_cipher import worker_modules

# A folder file: its name in the folder, its path on disk, its size when listed.
FolderFile = tuple[str, str, int]

# Reading, hashing (hashlib lets go of the lock on large buffers) and writing overlap.
STORE_THREADS = min(4, os.cpu_count() or 1)
# Below this many files, threads: a worker process costs a fork and its first imports.
PROCESS_MIN_FILES = 256
CHUNKS_PER_WORKER = 16
MAX_CHUNK_FILES = 64

_store: EvidenceStore | None = None


def keep_files(
    evidence: EvidenceStore,
    limits: Limits,
    label: str,
    files: Sequence[FolderFile],
    *,
    processes_from: int = PROCESS_MIN_FILES,
) -> list[StoredFile]:
    """Keep each file of the folder ``label`` (content already kept is not written again);
    what the store holds of each, in the order given. Worker processes keep them when there
    are ``processes_from`` files or more and more than one core."""
    workers = usable_cores()
    in_threads = partial(_keep_in_threads, partial(keep_file, evidence, limits, label), files)
    if len(files) < processes_from or workers < 2:
        return in_threads()
    try:
        return _keep_in_processes(evidence, limits, label, files, workers)
    except BrokenProcessPool:  # a worker died (killed, out of memory): finish here, slower
        return in_threads()


def keep_file(evidence: EvidenceStore, limits: Limits, label: str, file: FolderFile) -> StoredFile:
    """Keep one file; a file swapped for a link after the listing is refused."""
    name, path, size = file
    place = f"{label}/{name}"
    try:
        with open_no_link(path) as stream:
            head = stream.read(SNIFF_BYTES)
            stream.seek(0)
            sized = GuardedStream(stream, place, size)  # no read asks for more than the file
            digest = evidence.put_stream(sized, name=place, max_bytes=limits.max_file_bytes)
    except OSError as error:
        raise InvalidInput(f"cannot be read: {error}", path=place) from error
    kind, mime_type = sniff_bytes(head)
    return StoredFile(None, digest, kind, mime_type)


def _keep_in_threads(
    keep: Callable[[FolderFile], StoredFile], files: Sequence[FolderFile]
) -> list[StoredFile]:
    with ThreadPoolExecutor(STORE_THREADS) as threads:
        return list(threads.map(keep, files))


def _keep_in_processes(
    evidence: EvidenceStore,
    limits: Limits,
    label: str,
    files: Sequence[FolderFile],
    workers: int,
) -> list[StoredFile]:
    # Workers only write: a keyset only when they seal (made now, if this is the first seal).
    keyset = evidence.cipher().keyset_json if evidence.encrypt else None
    chunk = max(1, min(MAX_CHUNK_FILES, len(files) // (workers * CHUNKS_PER_WORKER)))
    with ProcessPoolExecutor(
        workers,
        mp_context=worker_context(__name__, *worker_modules(keyset)),
        initializer=_open_store,
        initargs=(str(evidence.root), keyset, evidence.encrypt),
    ) as pool:
        keep = partial(_keep_in_worker, limits, label)
        return list(pool.map(keep, files, chunksize=chunk))


def _open_store(root: str, keyset_json: str | None, encrypt: bool) -> None:
    """Run once in each worker: the store its files are kept in."""
    global _store
    _store = EvidenceStore.for_worker(Path(root), keyset_json, encrypt=encrypt)


def _keep_in_worker(limits: Limits, label: str, file: FolderFile) -> StoredFile:
    if _store is None:
        raise RuntimeError("a keeping worker was started without its store")
    return keep_file(_store, limits, label, file)
