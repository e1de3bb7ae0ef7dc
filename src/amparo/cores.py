"""How many cores this process may use (worker pools and OpenMP threads are sized by it), and
how its worker processes start."""

from __future__ import annotations

import multiprocessing
import multiprocessing.context
import multiprocessing.forkserver
import os

# What the ``amparo`` command's script imports, which each worker imports again as it starts.
MAIN_MODULES = ("amparo.cli",)


def usable_cores() -> int:
    """The cores this process may run on (its affinity: a container's share, a pinned worker),
    not the machine's: workers or threads past them only take turns."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def worker_context(*modules: str) -> multiprocessing.context.ForkServerContext:
    """Worker processes forked from a fork server that has ``modules`` imported.

    A worker starts by importing the program's main module (as any non-fork worker does); for
    the ``amparo`` command that is ``amparo.cli``, light by itself (each command's modules are
    imported when it runs). With that and the workers' own modules imported once in the
    server, a worker costs a fork. Not everything this process has loaded: the server imports
    its list before the first worker starts, and the database and command modules would cost
    about a second there for nothing. (The server starts once a process; modules named by
    later calls are imported by each worker as it needs them.)
    """
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([*MAIN_MODULES, *modules])
    return context


def start_fork_server(*modules: str) -> None:
    """Start the fork server of ``worker_context(*modules)`` now, without waiting for it: it
    imports its modules on the other core while this process goes on with its own start-up,
    and the first worker then costs a fork instead of a server's start."""
    worker_context(*modules)
    multiprocessing.forkserver.ensure_running()
