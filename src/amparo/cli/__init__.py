"""The ``amparo`` command line: each command opens the workspace and calls one library function.

Exit codes: 0 done; 1 the input or export could not be handled (the message says why);
2 the command was mistyped; 3 the workspace or its database cannot be used or refused a write.

One module per command group (``ingest``, ``process``, ``export``, ``hashsets``,
``subscribers``, ``people``, ``users``, ``serve``, ``settings``, ``demo``, ``audit`` for
``keys`` and ``audit``); ``common`` holds what they share (console, ``reports_errors``, exit
codes, progress bars) and ``root`` the ``amparo`` group that gathers them. Imports point one
way: ``root`` -> command modules -> ``common``. The library is imported inside the commands, so
``amparo --help`` starts without loading it (see ``benchmarks/cli_startup.py``).
"""

from amparo.cli.common import EXIT_INPUT, EXIT_WORKSPACE
from amparo.cli.root import main

__all__ = ["EXIT_INPUT", "EXIT_WORKSPACE", "main"]
