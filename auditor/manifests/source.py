"""Opening manifest files: transparent decompression, strict UTF-8 with line numbers, sniffing.

Manifests arrive plain or compressed (YFCC100M ships as bz2, many exports as gzip). Text must be
valid UTF-8: a bad byte is an error naming the file and line, because a silently replaced
character could change a photo id or an owner.
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from auditor.errors import ManifestError

PARQUET_MAGIC = b"PAR1"
_COMPRESSION_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bz2"),
    (b"\xfd7zXZ\x00", "xz"),
)
SNIFF_BYTES = 64 * 1024


def _check_readable(path: Path) -> None:
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
    with path.open("rb") as fh:
        head = fh.read(8)
    for magic, name in _COMPRESSION_MAGIC:
        if head.startswith(magic):
            return name
    return None


def open_binary(path: Path) -> io.BufferedIOBase:
    """Open a manifest for reading bytes, decompressing it when it is compressed."""
    _check_readable(path)
    compression = compression_of(path)
    if compression == "gzip":
        return gzip.open(path, "rb")
    if compression == "bz2":
        return bz2.open(path, "rb")
    if compression == "xz":
        return lzma.open(path, "rb")
    return path.open("rb")


def head_bytes(path: Path, size: int = SNIFF_BYTES) -> bytes:
    """The first `size` (decompressed) bytes, for format detection; a BOM is stripped."""
    try:
        with open_binary(path) as fh:
            head = fh.read(size)
    except (OSError, EOFError, lzma.LZMAError) as exc:
        raise ManifestError(path, f"cannot be decompressed ({exc}); is it truncated?") from exc
    if not head.strip():
        raise ManifestError(path, "is empty; give a manifest that lists photos")
    return head.removeprefix(b"\xef\xbb\xbf")


def _utf8_error(path: Path, exc: UnicodeDecodeError, line: int) -> ManifestError:
    return ManifestError(
        path,
        f"invalid UTF-8 (byte 0x{exc.object[exc.start]:02x}); re-save the file as UTF-8",
        line=line,
    )


def iter_lines(path: Path) -> Iterator[str]:
    """Decoded lines (with their line endings) of a text manifest, numbered from 1 by the caller.

    Decoding line by line keeps memory flat on large manifests and lets an encoding error name
    its line.
    """
    try:
        with open_binary(path) as fh:
            for number, raw in enumerate(fh, start=1):
                if number == 1:
                    raw = raw.removeprefix(b"\xef\xbb\xbf")
                try:
                    yield raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise _utf8_error(path, exc, number) from exc
    except (OSError, EOFError, lzma.LZMAError) as exc:
        raise ManifestError(path, f"cannot be read to the end ({exc}); is it truncated?") from exc


def read_text(path: Path) -> str:
    """The whole manifest as text (for JSON documents)."""
    try:
        with open_binary(path) as fh:
            data = fh.read()
    except (OSError, EOFError, lzma.LZMAError) as exc:
        raise ManifestError(path, f"cannot be read to the end ({exc}); is it truncated?") from exc
    data = data.removeprefix(b"\xef\xbb\xbf")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _utf8_error(path, exc, data.count(b"\n", 0, exc.start) + 1) from exc


def load_json(path: Path) -> Any:
    """Parse a JSON document; a syntax error names its line and says what is wrong."""
    text = read_text(path)
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
