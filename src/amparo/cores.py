"""How many cores this process may use: worker pools and OpenMP threads are sized by it."""

from __future__ import annotations

import os


def usable_cores() -> int:
    """The cores this process may run on (its affinity: a container's share, a pinned worker),
    not the machine's: workers or threads past them only take turns."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1
