"""Manifest text made harmless where people read it: terminals, CI annotations, reports.

Titles, owner names, file names and licence strings come from files anyone can write. Two kinds
of characters in them act on the reader instead of being read:

- control characters: ESC starts terminal sequences (clear the screen, set the window title,
  rewrite earlier lines), CR/LF end a GitHub workflow command and start another;
- bidirectional overrides and isolates (U+202A-U+202E, U+2066-U+2069): they reorder the text
  around them, so `photo_evil‮gpj.exe` shows as `photo_evilexe.jpg` ("Trojan Source").

`one_line` is what every report and CI format writes for manifest text (via
`auditor.report.text.plain`): controls and line breaks become a space, overrides are shown as
`\\u202e`. `for_terminal` is what the CLI's stderr (and stdout on a terminal) passes through:
line breaks and tabs stay, every other control and every override is shown escaped (`\\x1b`),
so a message quoting hostile text still says what the text was.
"""

from __future__ import annotations

import io
import re
from typing import TextIO

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_LINE_BREAK = re.compile(r"\s*[\r\n\u2028\u2029]+\s*")
_BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
# Controls a terminal or log needs to lay text out: tab, line feed, carriage return (the
# progress bar redraws its line with it).
_TERMINAL_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")


def _escaped(match: re.Match[str]) -> str:
    code = ord(match[0])
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def one_line(text: object, limit: int | None = None) -> str:
    """`text` on one line without control characters, bidi overrides shown as `\\u202e`, cut
    to `limit` characters."""
    out = _CONTROL.sub(" ", str(text)).strip()
    if _BIDI.search(out):
        out = _BIDI.sub(_escaped, out)
    if limit is not None and len(out) > limit:
        out = out[: max(limit - 1, 0)] + "…"
    return out


def single_line(text: object) -> str:
    """`text` with its line breaks made spaces (an error message is one line); other controls
    are left for `for_terminal`, which shows them escaped."""
    return " ".join(_LINE_BREAK.split(str(text).strip()))


def for_terminal(text: str) -> str:
    """`text` with every control character but tab, LF and CR, and every bidi override, shown
    as an escape (`\\x1b`, `\\u202e`)."""
    if _TERMINAL_CONTROL.search(text):
        text = _TERMINAL_CONTROL.sub(_escaped, text)
    if _BIDI.search(text):
        text = _BIDI.sub(_escaped, text)
    return text


class TerminalStream(io.TextIOBase):
    """A text stream that writes `for_terminal(text)` to another one."""

    def __init__(self, inner: TextIO) -> None:
        self._inner = inner

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self._inner.encoding

    @property
    def errors(self) -> str | None:  # type: ignore[override]
        return self._inner.errors

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return self._inner.isatty()

    def fileno(self) -> int:
        return self._inner.fileno()

    def write(self, text: str) -> int:
        self._inner.write(for_terminal(text))
        return len(text)

    def flush(self) -> None:
        self._inner.flush()
