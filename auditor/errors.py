"""Errors the library raises for unusable input, and the CLI's exit codes.

Every error carries the file (and line, where known) and what the user should do, so the CLI can
print it as one line and exit with `EXIT_USAGE` instead of showing a traceback.
"""

from __future__ import annotations

from pathlib import Path

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2  # unusable input or configuration
EXIT_INTERNAL = 3  # a bug in the auditor itself
EXIT_INTERRUPTED = 130  # SIGINT (Ctrl-C) or SIGTERM: 128 + SIGINT, as shells report it


class AuditorError(Exception):
    """Unusable input or configuration; its message is one line meant for the user."""


class ManifestError(AuditorError):
    """A manifest cannot be read. `str()` gives `file:line: problem; what to do`."""

    def __init__(self, path: str | Path, message: str, line: int | None = None) -> None:
        self.path = str(path)
        self.line = line
        self.problem = message
        where = self.path if line is None else f"{self.path}:{line}"
        super().__init__(f"{where}: {message}")
