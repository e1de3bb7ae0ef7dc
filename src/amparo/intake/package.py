"""Report packages (a folder or a .zip) read safely: no extraction, no escaping paths, no bombs.

Zip members are streamed straight from the archive; nothing is ever written outside the
workspace. Members whose names could escape their folder, encrypted members and archives that
expand far beyond their size are refused before any byte is read. Links (in a folder or a zip)
are never followed: each is kept in ``Package.skipped`` with its target, to be recorded.
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, BinaryIO

from amparo.errors import InvalidInput, UnsafeInput
from amparo.store.bounded import read_bounded

REPORT_XML = "report.xml"
# A lone chat text (WhatsApp .txt) or Telegram result.json, read without its media.
SINGLE_FILE_SUFFIXES = (".txt",)
SINGLE_FILE_NAMES = ("result.json",)
KEEP_IN_MEMORY_BYTES = 64 * 1024**2
MAX_LINK_TARGET_BYTES = 4096
_ZIP_READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError)


@dataclass(frozen=True)
class Limits:
    """Ceilings that keep hostile archives from exhausting disk or memory."""

    max_file_bytes: int = 16 * 1024**3
    max_package_bytes: int = 64 * 1024**3
    max_expansion_ratio: int = 100
    ratio_applies_above: int = 1024**2
    max_members: int = 100_000
    # A folder's small files are kept in memory while hashed (read once), up to this in all.
    keep_in_memory_bytes: int = KEEP_IN_MEMORY_BYTES


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class Member:
    name: str
    size: int
    opener: Callable[[], IO[bytes]]


@dataclass(frozen=True)
class Package:
    """The members of one package, named relative to its root (``report.xml`` at the top)."""

    label: str
    kind: str
    digest: str
    members: dict[str, Member]
    skipped: dict[str, str] = field(default_factory=dict)  # name -> why it was not read

    def place(self, name: str) -> str:
        if self.kind == "file":
            return self.label
        return f"{self.label}!/{name}" if self.kind == "zip" else f"{self.label}/{name}"

    @contextmanager
    def open(self, name: str) -> Iterator[GuardedStream]:
        try:
            stream = self.members[name].opener()
        except _ZIP_READ_ERRORS as error:
            raise InvalidInput(f"cannot be read: {error}", path=self.place(name)) from error
        with stream:
            yield GuardedStream(stream, self.place(name), self.members[name].size)

    def read(self, name: str, *, max_bytes: int) -> bytes:
        with self.open(name) as stream:
            return read_bounded(stream, max_bytes, place=self.place(name))


class GuardedStream:
    """A member stream whose read errors become InvalidInput naming the member.

    One read asks for at most a byte more than the member's size: a reader asking for far more
    (up to a limit of hundreds of MiB) must not make the file object allocate all of it.
    """

    def __init__(self, stream: IO[bytes], place: str, size: int) -> None:
        self._stream = stream
        self._place = place
        self._most = size + 1

    def read(self, size: int = -1) -> bytes:
        try:
            return self._stream.read(size if size <= self._most else self._most)
        except _ZIP_READ_ERRORS as error:
            raise InvalidInput(f"cannot be read: {error}", path=self._place) from error


@contextmanager
def open_package(path: Path, limits: Limits = DEFAULT_LIMITS) -> Iterator[Package]:
    """Open a package directory or zip; InputRejected says why it cannot be one."""
    if path.is_dir():
        yield _directory_package(path, limits.keep_in_memory_bytes)
        return
    if path.suffix.lower() in SINGLE_FILE_SUFFIXES or path.name.lower() in SINGLE_FILE_NAMES:
        yield _single_file_package(path)
        return
    try:
        archive = zipfile.ZipFile(path)
    except _ZIP_READ_ERRORS as error:
        raise InvalidInput(f"not a readable zip archive: {error}", path=str(path)) from error
    with archive:
        members, links = _zip_members(archive, path, limits)
        yield Package(str(path), "zip", file_sha256(path), members, links)


def file_sha256(path: Path) -> str:
    with path.open("rb") as stream:
        return stream_sha256(stream)


def stream_sha256(stream: BinaryIO) -> str:
    """The SHA-256 of what is left of ``stream``, read a MiB at a time."""
    digest = hashlib.sha256()
    while chunk := stream.read(1 << 20):
        digest.update(chunk)
    return digest.hexdigest()


def _single_file_package(path: Path) -> Package:
    """A lone text or JSON file (a chat export without its media) as a package of one member."""
    try:
        size, digest = path.stat().st_size, file_sha256(path)
    except OSError as error:
        raise InvalidInput(f"cannot be read: {error}", path=str(path)) from error
    member = Member(path.name, size, _file_opener(str(path)))
    return Package(str(path), "file", digest, {path.name: member})


def _directory_package(root: Path, keep_in_memory: int) -> Package:
    try:
        return _read_directory(root, keep_in_memory)
    except OSError as error:
        raise InvalidInput(f"cannot be read: {error}", path=str(root)) from error


def _read_directory(root: Path, keep_in_memory: int) -> Package:
    """A folder's members; its digest covers every name and content, so edits are noticed.

    Small files are kept in memory while they are hashed, so they are read from disk once,
    until ``keep_in_memory`` bytes are kept; the rest are streamed, whatever the folder's size.
    """
    files, skipped = list_directory(root)
    members, contents = {}, {}
    budget = keep_in_memory
    for name, path, size in files:
        if size <= budget:
            with open_no_link(path) as stream:
                data = stream.read(size + 1)  # a file that grows is not read past its size
            if len(data) > size:
                raise InvalidInput("changed while it was read", path=path)
            budget -= len(data)
            opener, sha256 = _bytes_opener(data), hashlib.sha256(data).hexdigest()
        else:
            opener = _file_opener(path)
            with opener() as stream:
                sha256 = stream_sha256(stream)
        members[name] = Member(name, size, opener)
        contents[name] = sha256
    return Package(str(root), "directory", folder_digest(contents, skipped), members, skipped)


def list_directory(root: Path) -> tuple[list[tuple[str, str, int]], dict[str, str]]:
    """A folder's files as ``(name, path, size)`` sorted by name, links and special files
    with why they are not read; names are posix paths relative to ``root``."""
    files, skipped = [], {}
    for name, entry in sorted(_walk(str(root), "")):
        if entry.is_file(follow_symlinks=False):
            files.append((name, entry.path, entry.stat(follow_symlinks=False).st_size))
        else:
            skipped[name] = _not_read(entry)
    return files, skipped


def folder_digest(contents: dict[str, str], skipped: dict[str, str]) -> str:
    """A folder's digest from each file's SHA-256 and each unread entry's reason, by name."""
    tree_digest = hashlib.sha256()
    for name, token in sorted((contents | skipped).items()):
        tree_digest.update(f"{name}\0{token}\n".encode())
    return tree_digest.hexdigest()


def _not_read(entry: os.DirEntry[str]) -> str:
    if entry.is_symlink():
        return f"a symbolic link (to {os.readlink(entry.path)!r}), not followed"
    return "a special file (FIFO, socket or device), not read"


def _walk(folder: str, prefix: str) -> Iterator[tuple[str, os.DirEntry[str]]]:
    """``(posix name relative to the package, entry)`` of every file or link, links unfollowed."""
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                yield from _walk(entry.path, f"{prefix}{entry.name}/")
            else:
                yield f"{prefix}{entry.name}", entry


def _bytes_opener(data: bytes) -> Callable[[], BinaryIO]:
    return lambda: io.BytesIO(data)


def _file_opener(path: str) -> Callable[[], BinaryIO]:
    return lambda: open_no_link(path)


def open_no_link(path: str) -> BinaryIO:
    """Open a file of a walked folder; a link swapped in after the walk is refused (ELOOP)."""
    return os.fdopen(os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)), "rb")


def _zip_members(
    archive: zipfile.ZipFile, path: Path, limits: Limits
) -> tuple[dict[str, Member], dict[str, str]]:
    """The archive's members, and its link entries (name -> why not read), never followed."""
    infos = [info for info in archive.infolist() if not info.is_dir()]
    if len(infos) > limits.max_members:
        raise UnsafeInput(f"more than {limits.max_members:,} entries", path=str(path))
    total = 0
    for info in infos:
        _check_zip_entry(info, path, limits)
        total += info.file_size
    if total > limits.max_package_bytes:
        raise UnsafeInput(f"would expand to {total:,} bytes (decompression bomb)", path=str(path))
    _check_whole_expansion(total, path, limits)
    prefix = _common_root(info.filename for info in infos)
    members: dict[str, Member] = {}
    links: dict[str, str] = {}
    for info in infos:
        name = info.filename[len(prefix) :]
        if name in members or name in links:
            raise InvalidInput(
                "two entries share one name", path=str(path), place=f"entry {name!r}"
            )
        if _is_zip_link(info):
            links[name] = f"a symbolic link (to {_zip_link_target(archive, info)!r}), not followed"
        else:
            members[name] = Member(name, info.file_size, _zip_opener(archive, info))
    return members, links


def _is_zip_link(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


def _zip_link_target(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> str:
    """What a link entry points to (its content), cut short; never resolved."""
    try:
        with archive.open(info) as stream:
            return stream.read(MAX_LINK_TARGET_BYTES).decode("utf-8", "replace")
    except _ZIP_READ_ERRORS as error:
        return f"unreadable: {error}"


def _check_whole_expansion(total: int, path: Path, limits: Limits) -> None:
    """A bomb spread over many small entries: the archive as a whole may not expand too far."""
    try:
        compressed = path.stat().st_size
    except OSError as error:
        raise InvalidInput(f"cannot be read: {error}", path=str(path)) from error
    ratio = total / max(compressed, 1)
    if total > limits.ratio_applies_above and ratio > limits.max_expansion_ratio:
        raise UnsafeInput(
            f"its entries expand {ratio:,.0f}-fold to {total:,} bytes in all (decompression bomb)",
            path=str(path),
        )


def _check_zip_entry(info: zipfile.ZipInfo, path: Path, limits: Limits) -> None:
    place = f"entry {info.filename!r}"
    if not is_safe_member_name(info.filename):
        raise UnsafeInput("entry name would escape the package folder", path=str(path), place=place)
    if info.flag_bits & 0x1:
        raise InvalidInput("entry is encrypted", path=str(path), place=place)
    if info.file_size > limits.max_file_bytes:
        raise UnsafeInput(f"entry of {info.file_size:,} bytes", path=str(path), place=place)
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > limits.ratio_applies_above and ratio > limits.max_expansion_ratio:
        raise UnsafeInput(
            f"entry expands {ratio:,.0f}-fold to {info.file_size:,} bytes (decompression bomb)",
            path=str(path),
            place=place,
        )


def is_safe_member_name(name: str) -> bool:
    """False for absolute names, drive letters, backslashes and any ``..`` component."""
    if not name or "\\" in name or "\0" in name or name.startswith("/"):
        return False
    parts = PurePosixPath(name).parts
    return ".." not in parts and not (parts and ":" in parts[0])


def _common_root(entries: Iterator[str]) -> str:
    """``"pkg/"`` when every entry sits in one top folder holding report.xml, else ``""``."""
    names = list(entries)
    if REPORT_XML in names:
        return ""
    tops = {name.split("/", 1)[0] for name in names}
    if len(tops) == 1 and f"{next(iter(tops))}/{REPORT_XML}" in names:
        return f"{next(iter(tops))}/"
    return ""


def _zip_opener(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Callable[[], IO[bytes]]:
    return lambda: archive.open(info)
