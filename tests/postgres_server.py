"""A throwaway PostgreSQL server for the test suite, started from Debian's binaries.

PostgreSQL refuses to run as root, so when the suite runs as root the server runs as the
``postgres`` system user (through ``runuser``), in a private temporary folder, reachable only
through a Unix socket in that folder.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


def find_bindir() -> Path | None:
    """The folder holding initdb and pg_ctl, newest version first, or None."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True)
    on_path = shutil.which("pg_ctl")
    for pg_ctl in [*candidates, on_path]:
        if pg_ctl and Path(pg_ctl).with_name("initdb").exists():
            return Path(pg_ctl).parent
    return None


@dataclass
class PostgresServer:
    bindir: Path
    folder: Path
    port: int

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@/{database}?host={self.folder}&port={self.port}"

    def start(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                  "--no-sync")  # fmt: skip
        options = f"-k {self.folder} -p {self.port} -c listen_addresses='' -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "log"), "-o", options,
                  "-w", "start")  # fmt: skip

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)

    def log_tail(self) -> str:
        log = self.folder / "log"
        return log.read_text(errors="replace")[-2000:] if log.exists() else ""

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bindir / program), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, text=True)


def start_server(bindir: Path) -> PostgresServer:
    folder = Path(tempfile.mkdtemp(prefix="amparo-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    server = PostgresServer(bindir, folder, _free_port())
    server.start()
    return server


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
