"""Text for the analyst's terminal: what came from an input never reaches it raw.

File names, reasons, CSV headers, names and paths may hold control characters (C0, DEL, C1:
the ESC of ANSI sequences that retitle the window, rewrite lines or fake output) and
bidirectional overrides that reorder what is shown. :func:`printable` writes each as a visible
escape (``\\x1b``, ``\\u202e``); :func:`untrusted` also escapes Rich markup, for messages
printed with markup on. Every CLI print of such text goes through one of them.
"""

from __future__ import annotations

import re

from rich.markup import escape

_HIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(value: object) -> str:
    """``value`` as text with every control and bidirectional-override character escaped."""
    return _HIDDEN.sub(_escaped, str(value))


def untrusted(value: object) -> str:
    """:func:`printable`, and safe inside Rich markup (``[red]`` stays text)."""
    return escape(printable(value))


def _escaped(found: re.Match[str]) -> str:
    code = ord(found.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
