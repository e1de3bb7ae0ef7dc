"""Europol handling codes (H0-H3): the restrictions a referral package travels with."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from amparo.errors import ExportError

# Europol's handling codes, as the EU's law-enforcement information-exchange manual words them.
HANDLING_CODES = {
    "H0": "May only be used for the purpose of preventing and combating crime, in line with "
    "the Europol Regulation and any other applicable law.",
    "H1": "Not to be disclosed in judicial proceedings without the permission of the provider.",
    "H2": "Not to be disseminated without the permission of the provider.",
    "H3": "Other restrictions and comments (see the handling note).",
}
DEFAULT_HANDLING_CODE = "H0"


@dataclass(frozen=True)
class Handling:
    """A handling code and, for H3 (and optionally the others), the restriction in words."""

    code: str = DEFAULT_HANDLING_CODE
    note: str | None = None

    def __post_init__(self) -> None:
        if self.code not in HANDLING_CODES:
            raise ExportError(f"handling code {self.code!r} is not one of H0, H1, H2, H3")
        if self.code == "H3" and not (self.note or "").strip():
            raise ExportError("handling code H3 needs a handling note stating the restrictions")

    def document(self) -> dict[str, Any]:
        return {"code": self.code, "meaning": HANDLING_CODES[self.code], "note": self.note}
