"""The workspace's keys: secret files the database never holds; one home for making, reading them.

A key is 32 random bytes (``secrets``), kept as hex in a file of its own, mode 0600, in the
workspace's ``keys/`` folder (mode 0700) or in the folder ``$AMPARO_KEYS_DIR`` names (a
mount the database's host and backups do not reach). A key file that others may read, or
that is not a key, is refused rather than used.
"""

from __future__ import annotations

import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from amparo.errors import AmparoError, WorkspaceError

KEYS_DIR = "keys"
KEYS_DIR_VARIABLE = "AMPARO_KEYS_DIR"
AUDIT_KEY = "audit.key"
KEY_BYTES = 32


@dataclass(frozen=True)
class KeyFile:
    """One key file: read it, or make it once (two processes never both make it)."""

    path: Path

    @property
    def exists(self) -> bool:
        return self.path.exists()

    def read(self) -> bytes:
        """The key; a missing, unreadable, wrongly sized or group/world-readable file refused."""
        text = read_private(self.path, "the key file", WorkspaceError).strip()
        try:
            key = bytes.fromhex(text)
        except ValueError as error:
            raise WorkspaceError(f"the key file {self.path} does not hold a hex key") from error
        if len(key) != KEY_BYTES:
            raise WorkspaceError(f"the key file {self.path} holds {len(key)} bytes, not 32")
        return key

    def create(self) -> bool:
        """Make the key unless it exists; whether this call made it (see :func:`write_private`)."""
        return write_private(self.path, secrets.token_hex(KEY_BYTES) + "\n")

    def read_or_create(self) -> bytes:
        self.create()
        return self.read()


def keys_folder(workspace_root: Path) -> Path:
    configured = os.environ.get(KEYS_DIR_VARIABLE)
    return Path(configured).absolute() if configured else workspace_root / KEYS_DIR


def audit_key_file(workspace_root: Path) -> KeyFile:
    return KeyFile(keys_folder(workspace_root) / AUDIT_KEY)


def read_private(path: Path, what: str, error: type[AmparoError]) -> str:
    """A secret file's text; refused (``error``) if unreadable or if others may read it."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as problem:
        raise error(f"cannot read {what} {path}: {problem}") from problem
    if os.name == "posix" and mode & 0o077:
        raise error(
            f"{what} {path} may be read by others (mode {mode:04o}): "
            f"`chmod 600 {path}` before Amparo uses it"
        )
    return text


def write_private(path: Path, text: str, *, overwrite: bool = False) -> bool:
    """Write a secret file (mode 0600, in a 0700 folder); whether this call wrote it.

    The text is written whole to a private temporary file and then hard-linked into place
    (``link`` fails if the name exists, so two makers never both win and no reader ever sees
    a half-written file), or, with ``overwrite``, renamed over the old file (atomic too).
    """
    _private_folder(path.parent)
    if path.exists() and not overwrite:
        return False
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        if overwrite:
            os.replace(temporary, path)
        else:
            os.link(temporary, path)
    except FileExistsError:
        return False
    except OSError as error:
        raise WorkspaceError(f"cannot write the key file {path}: {error}") from error
    finally:
        temporary.unlink(missing_ok=True)
    return True


def _private_folder(folder: Path) -> None:
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as error:
        raise WorkspaceError(f"cannot create the keys folder {folder}: {error}") from error
