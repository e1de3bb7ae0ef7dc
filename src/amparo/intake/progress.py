"""What an intake reports as it goes, for the command line's progress bars."""

from __future__ import annotations

from typing import Protocol


class IngestProgress(Protocol):
    """Told how much work a step has (``total``), then of each part of it done."""

    def start(self, stage: str, total: int) -> None: ...

    def advance(self, stage: str, amount: int = 1) -> None: ...
