"""Opening manifest files: transparent decompression, strict UTF-8 with line numbers, sniffing.

Manifests arrive plain or compressed (YFCC100M ships as bz2, many exports as gzip), as files or
through pipes (`-`, `<(zcat ...)`; see `auditor.inputs`). Text must be valid UTF-8: a bad byte is
an error naming the file and line, because a silently replaced character could change a photo id
or an owner. Every reading goes through the guards of `auditor.inputs` (line length,
decompression ratio, JSON depth).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from auditor.errors import ManifestError
from auditor.inputs import (
    DECOMPRESSION_ERRORS,
    is_stream,
    open_guarded,
)
from auditor.inputs import compression_of as _compression_of
from auditor.jsonstream import JsonProblem, Reopen, loads_bounded, skeleton
from auditor.limits import current

PARQUET_MAGIC = b"PAR1"
SNIFF_BYTES = 64 * 1024
# A JSON document up to this size is parsed whole (exact error positions); a larger one is read
# as a skeleton of its first SKELETON_BYTES and streamed record by record.
WHOLE_JSON_BYTES = 8 << 20
SKELETON_BYTES = 1 << 20
_BOM = b"\xef\xbb\xbf"


def _check_readable(path: Path) -> None:
    if is_stream(path):
        return
    if not path.exists():
        raise ManifestError(path, "no such file; check the path")
    if path.is_dir():
        raise ManifestError(path, "is a folder, not a manifest file; name the files inside it")
    try:
        with path.open("rb"):
            pass
    except OSError as exc:
        raise ManifestError(
            path, f"cannot be read ({exc.strerror}); check its permissions"
        ) from exc


def compression_of(path: Path) -> str | None:
    """`gzip`, `bz2`, `xz` or None, judged by the file's first bytes rather than its name."""
    return _compression_of(path)


def open_binary(path: Path, *, lines: bool = False, json: bool = False) -> io.BufferedReader:
    """Open a manifest for reading bytes, decompressing it when it is compressed, through the
    guards of `auditor.inputs` (`lines`: no line longer than the limit; `json`: nesting depth
    and UTF-8 checked). A pipe is read once: call this once per pipe, after sniffing."""
    _check_readable(path)
    return open_guarded(path, lines=lines, json=json)


def head_bytes(path: Path, size: int = SNIFF_BYTES, *, json: bool = False) -> bytes:
    """The first `size` (decompressed) bytes, for format detection; a BOM is stripped. A pipe
    keeps them buffered for the reading that follows."""
    _check_readable(path)
    try:
        with open_guarded(path, json=json, peek=True) as fh:
            head = fh.read(size)
    except DECOMPRESSION_ERRORS as exc:
        raise ManifestError(path, f"cannot be decompressed ({exc}); is it truncated?") from exc
    if not head.strip():
        raise ManifestError(path, "is empty; give a manifest that lists photos")
    return head.removeprefix(_BOM)


def _utf8_error(path: Path, exc: UnicodeDecodeError, line: int) -> ManifestError:
    return ManifestError(
        path,
        f"invalid UTF-8 (byte 0x{exc.object[exc.start]:02x}); re-save the file as UTF-8",
        line=line,
    )


def iter_lines(path: Path) -> Iterator[str]:
    """Decoded lines (with their line endings) of a text manifest, numbered from 1 by the caller.

    Decoding line by line keeps memory flat on large manifests and lets an encoding error name
    its line; a line longer than the limit is an error naming it.
    """
    try:
        with open_binary(path, lines=True) as fh:
            for number, raw in enumerate(fh, start=1):
                if number == 1:
                    raw = raw.removeprefix(_BOM)
                try:
                    yield raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise _utf8_error(path, exc, number) from exc
    except DECOMPRESSION_ERRORS as exc:
        raise ManifestError(path, f"cannot be read to the end ({exc}); is it truncated?") from exc


def read_text(path: Path) -> str:
    """The whole manifest as text (for JSON documents parsed whole)."""
    try:
        with open_binary(path, json=True) as fh:
            data = fh.read()
    except DECOMPRESSION_ERRORS as exc:
        raise ManifestError(path, f"cannot be read to the end ({exc}); is it truncated?") from exc
    data = data.removeprefix(_BOM)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _utf8_error(path, exc, data.count(b"\n", 0, exc.start) + 1) from exc


def _parse_whole(path: Path, text: str) -> Any:
    if not text.strip():
        raise ManifestError(path, "is empty; give a manifest that lists photos")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        # A whole JSON document ends with its closing bracket; a cut-off download does not.
        truncated = not text.rstrip().endswith(("}", "]")) or exc.pos >= len(text.rstrip())
        hint = "the file looks truncated" if truncated else "invalid JSON"
        raise ManifestError(
            path, f"{hint} ({exc.msg}, column {exc.colno}); fix or re-export it", line=exc.lineno
        ) from exc
    except RecursionError:  # (the depth guard should have refused it before)
        raise ManifestError(path, "JSON nested too deeply; is this a manifest?") from None


def load_json(path: Path) -> Any:
    """Parse a whole JSON document; a syntax error names its line and says what is wrong.
    (Reading a manifest, use `load_json_document`, which streams large documents.)"""
    return _parse_whole(path, read_text(path))


def json_stream(path: Path, *, guarded: bool = True) -> io.BufferedReader:
    """A JSON document's bytes, without its byte-order mark; `guarded`: its nesting depth and
    UTF-8 checked as it is read (else the reader checks them)."""
    stream = open_binary(path, json=guarded)
    if stream.peek(3)[:3] == _BOM:
        stream.read(3)
    return stream


def load_json_document(path: Path) -> Any:
    """A JSON manifest: parsed whole when small; else its skeleton (`auditor.jsonstream`), whose
    large arrays and objects stream their entries from the file when iterated, so a document of
    any size is read in bounded memory. The nesting depth is checked before parsing."""
    # (a byte-order mark is read, then left out of the head)
    head = head_bytes(path, WHOLE_JSON_BYTES + 1 + len(_BOM), json=True)
    if len(head) <= WHOLE_JSON_BYTES:
        try:
            text = head.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _utf8_error(path, exc, head.count(b"\n", 0, exc.start) + 1) from exc
        if is_stream(path):
            # The document is all in the buffer: take the stream so that it is read only once.
            open_binary(path).close()
        return _parse_whole(path, text)

    def fail(problem: JsonProblem) -> ManifestError:
        return ManifestError(path, f"{problem.problem}; fix or re-export it", line=problem.line)

    def unreadable(error: Exception) -> ManifestError:
        return ManifestError(path, f"cannot be read to the end ({error}); is it truncated?")

    opener = Reopen(lambda: json_stream(path), fail, DECOMPRESSION_ERRORS, unreadable)
    try:
        return skeleton(head[:SKELETON_BYTES], False, opener)
    except JsonProblem as problem:
        raise fail(problem) from None


def loads_line(text: str) -> Any:
    """One JSON value from one line (JSON Lines, a JSON cell); `JsonProblem` when it is nested
    deeper than the limit, `json.JSONDecodeError` when it is not JSON."""
    return loads_bounded(text, current().json_depth)
