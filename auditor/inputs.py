"""Opening an input for reading: pipes read once, transparent decompression, and the guards that
keep every read bounded (see `auditor.limits` and docs/security.md).

A path names a regular file (opened afresh each time it is read), or a stream: `-` (standard
input), `/dev/fd/N` (`<(zcat big.csv.gz)`), a FIFO or a character device. A stream can be read
only once, so its first bytes are kept in a buffer while the format is sniffed, and the one
reading after that gets the buffer and then the rest of the stream: nothing is lost to sniffing.

`open_guarded` wraps the (decompressed) bytes in `Guard`, which checks as they pass:
- decompressed size against compressed bytes read (`expansion_ratio` past `expansion_after`),
  so a gzip/bz2/xz bomb stops early;
- with `lines=True`, the length of every line (`line_bytes`), naming the line that is too long;
- with `json=True`, the nesting depth (`json_depth`) and UTF-8, naming the line;
- with `max_bytes`, the total size.
Each problem is an `InputError` (an `AuditorError`) naming the file and, where known, the line.
"""

from __future__ import annotations

import bz2
import codecs
import gzip
import io
import lzma
import stat
import sys
import zlib
from pathlib import Path
from typing import BinaryIO, cast

import numpy as np

from auditor.errors import ManifestError
from auditor.jsonstream import DepthScanner, JsonProblem
from auditor.limits import InputLimits, current, raise_hint, shown_bytes
from auditor.newlines import count_newlines

COMPRESSION_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bz2"),
    (b"\xfd7zXZ\x00", "xz"),
)
DECOMPRESSION_ERRORS = (OSError, EOFError, lzma.LZMAError, zlib.error)
STDIN = "-"

InputError = ManifestError  # `path[:line]: problem`, exit 2


def is_stream(path: str | Path) -> bool:
    """True for `-` and for anything that is not a regular file or folder (pipes, devices)."""
    if str(path) == STDIN:
        return True
    try:
        mode = Path(path).stat().st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


class _Stream:
    """A stream read once: what sniffing has read is buffered for the one real reading."""

    def __init__(self, path: str, handle: BinaryIO) -> None:
        self.path = path
        self.handle = handle
        self.buffer = bytearray()
        self.taken = False

    def fill(self, size: int) -> bytes:
        """The first `size` bytes (fewer at the end of the stream), buffered."""
        while len(self.buffer) < size:
            piece = self.handle.read(size - len(self.buffer))
            if not piece:
                break
            self.buffer += piece
        return bytes(self.buffer[:size])


class _Replay(io.RawIOBase):
    """Bytes of a stream from its start: first from a buffer, then (or, when `buffering`,
    adding to it) from the stream."""

    def __init__(self, stream: _Stream, buffering: bool) -> None:
        self._stream = stream
        self._at = 0
        self._buffering = buffering

    def readable(self) -> bool:
        return True

    def readinto(self, target: memoryview) -> int:  # type: ignore[override]
        stream = self._stream
        if self._at >= len(stream.buffer):
            if self._buffering:
                stream.fill(self._at + len(target))
            else:
                data = stream.handle.read(len(target))
                target[: len(data)] = data
                return len(data)
        data = bytes(stream.buffer[self._at : self._at + len(target)])
        self._at += len(data)
        target[: len(data)] = data
        return len(data)


_STREAMS: dict[str, _Stream] = {}


def _stream(path: str) -> _Stream:
    found = _STREAMS.get(path)
    if found is None:
        handle = sys.stdin.buffer if path == STDIN else open(path, "rb")  # noqa: PTH123, SIM115
        found = _STREAMS[path] = _Stream(path, handle)
    return found


def release(path: str | Path) -> None:
    """Close a stream that was sniffed but never read (its reading failed or was not needed)."""
    stream = _STREAMS.pop(str(path), None)
    if stream is not None and stream.handle is not sys.stdin.buffer:
        stream.handle.close()


def raw_head(path: str | Path, size: int) -> bytes:
    """The first `size` bytes as stored (compressed or not); a stream keeps them buffered."""
    if is_stream(path):
        return _stream(str(path)).fill(size)
    with open(path, "rb") as handle:  # noqa: PTH123
        return handle.read(size)


def _open_raw(path: str | Path, peek: bool) -> BinaryIO:
    """The stored bytes from the start. For a stream, `peek` readings buffer what they read;
    the one reading that is not a peek takes the stream (a second one is an error)."""
    if not is_stream(path):
        return open(path, "rb")  # noqa: PTH123
    stream = _stream(str(path))
    if peek:
        return io.BufferedReader(_Replay(stream, buffering=True))
    if stream.taken:
        raise InputError(
            path, "is a pipe that was read already; give it once, or save it to a file first"
        )
    stream.taken = True
    reader = _Taken(stream)
    return io.BufferedReader(reader)


class _Taken(_Replay):
    """The one full reading of a stream; closing it forgets the stream."""

    def __init__(self, stream: _Stream) -> None:
        super().__init__(stream, buffering=False)

    def close(self) -> None:
        if not self.closed:
            _STREAMS.pop(self._stream.path, None)
            if self._stream.handle is not sys.stdin.buffer:
                self._stream.handle.close()
        super().close()


def compression_of(path: str | Path) -> str | None:
    """`gzip`, `bz2`, `xz` or None, judged by the first bytes rather than the name."""
    head = raw_head(path, 8)
    for magic, name in COMPRESSION_MAGIC:
        if head.startswith(magic):
            return name
    return None


class _Counting(io.RawIOBase):
    """Counts the compressed bytes a decompressor reads."""

    def __init__(self, inner: BinaryIO) -> None:
        self.inner = inner
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, target: memoryview) -> int:  # type: ignore[override]
        data = self.inner.read(len(target))
        target[: len(data)] = data
        self.count += len(data)
        return len(data)

    def close(self) -> None:
        self.inner.close()
        super().close()


def open_decompressed(path: str | Path, *, peek: bool = False) -> tuple[BinaryIO, _Counting | None]:
    """The decompressed bytes, and the counter of compressed bytes read (None when the input
    is not compressed)."""
    compression = compression_of(path)
    raw = _open_raw(path, peek)
    if compression is None:
        return raw, None
    counted = _Counting(raw)
    opened: io.BufferedIOBase
    if compression == "gzip":
        opened = gzip.GzipFile(fileobj=counted, mode="rb")
    elif compression == "bz2":
        opened = bz2.BZ2File(counted)
    else:
        opened = lzma.LZMAFile(cast(BinaryIO, counted))  # noqa: SIM115
    return cast(BinaryIO, opened), counted


class Guard(io.RawIOBase):
    """Decompressed bytes of an input, checked against the limits as they are read (see the
    module docstring). `lines` is the number of newlines read so far."""

    def __init__(
        self,
        path: str | Path,
        inner: BinaryIO,
        counted: _Counting | None,
        limits: InputLimits,
        *,
        lines: bool = False,
        json: bool = False,
        max_bytes: int | None = None,
        max_field: str = "",
    ) -> None:
        self.path = path
        self._inner = inner
        self._counted = counted
        self._limits = limits
        self._check_lines = lines
        # (it is told the lines read before each piece)
        self._depth = DepthScanner(limits.json_depth, count_lines=False) if json else None
        self._utf8 = codecs.getincrementaldecoder("utf-8")() if json else None
        self._max_bytes = max_bytes
        self._max_field = max_field
        self.total = 0
        self.lines = 0
        self._run = 0  # bytes since the last newline
        self._block = bytearray()

    def readable(self) -> bool:
        return True

    def readinto(self, target: memoryview) -> int:  # type: ignore[override]
        # Into a block kept from call to call, not a new bytes object per read beside the
        # caller's: two fresh megabytes per read went back and forth between the allocator
        # and the kernel, a page fault per 4 KB (~0.7 ms of system time per MB read).
        if len(self._block) != len(target):
            self._block = bytearray(len(target))
        size = cast(io.BufferedIOBase, self._inner).readinto(self._block) or 0  # all have it
        if size:
            self._check(self._block if size == len(self._block) else self._block[:size])
        target[:size] = memoryview(self._block)[:size]
        return size

    def close(self) -> None:
        if not self.closed:
            try:
                self._inner.close()
            finally:
                if self._counted is not None:  # decompressors leave a given file open
                    self._counted.close()
        super().close()

    def _fail(self, problem: str, line: int | None = None) -> InputError:
        return InputError(self.path, problem, line=line)

    def _check(self, data: bytes | bytearray) -> None:
        limits = self._limits
        self.total += len(data)
        if self._max_bytes is not None and self.total > self._max_bytes:
            raise self._fail(
                f"is larger than {shown_bytes(self._max_bytes)}; name the right file "
                f"({raise_hint(self._max_field)})"
            )
        counted = self._counted
        if (
            counted is not None
            and self.total > limits.expansion_after
            and self.total > limits.expansion_ratio * max(counted.count, 1)
        ):
            raise self._fail(
                f"decompresses to more than {limits.expansion_ratio} times its compressed size "
                f"({self.total:,} bytes from {counted.count:,}): a decompression bomb, not a "
                f"manifest ({raise_hint('expansion_ratio')})"
            )
        if self._depth is not None:
            self._depth.lines = self.lines
            try:
                self._depth.feed(data)
            except JsonProblem as problem:
                raise self._fail(
                    f"{problem.problem}; is this a manifest? ({raise_hint('json_depth')})",
                    problem.line,
                ) from None
        if self._utf8 is not None:
            try:
                self._utf8.decode(data)
            except UnicodeDecodeError as error:
                line = self.lines + data.count(b"\n", 0, max(error.start, 0)) + 1
                raise self._fail(
                    f"invalid UTF-8 (byte 0x{data[error.start]:02x}); re-save the file as UTF-8"
                    if 0 <= error.start < len(data)
                    else "invalid UTF-8; re-save the file as UTF-8",
                    line,
                ) from None
        if self._check_lines:
            self._check_line_lengths(data)
        else:
            self.lines += count_newlines(data)

    def _check_line_lengths(self, data: bytes | bytearray) -> None:
        limit = self._limits.line_bytes
        last = data.rfind(b"\n")
        if last < 0:
            self._run += len(data)
            if self._run > limit:
                raise self._too_long(self.lines + 1)
            return
        first = data.find(b"\n")
        if self._run + first > limit:
            raise self._too_long(self.lines + 1)
        if last - first > limit:  # a long line may be between two newlines of this piece
            ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10)
            gaps = np.diff(ends) - 1
            over = np.flatnonzero(gaps > limit)
            if len(over):
                raise self._too_long(self.lines + int(over[0]) + 2)
        self.lines += count_newlines(data)
        self._run = len(data) - last - 1
        if self._run > limit:
            raise self._too_long(self.lines + 1)

    def _too_long(self, line: int) -> InputError:
        return self._fail(
            f"line longer than {shown_bytes(self._limits.line_bytes)}; is this a manifest? "
            f"({raise_hint('line_bytes')})",
            line,
        )


def open_guarded(
    path: str | Path,
    *,
    lines: bool = False,
    json: bool = False,
    max_bytes: int | None = None,
    max_field: str = "",
    peek: bool = False,
) -> io.BufferedReader:
    """The input's decompressed bytes through a `Guard` (see the module docstring), buffered.
    `peek` is for sniffing a stream: what it reads stays buffered for the real reading."""
    inner, counted = open_decompressed(path, peek=peek)
    guard = Guard(
        path,
        inner,
        counted,
        current(),
        lines=lines,
        json=json,
        max_bytes=max_bytes,
        max_field=max_field,
    )
    return io.BufferedReader(guard, buffer_size=1 << 16)


def guard_of(reader: io.BufferedReader) -> Guard:
    raw = reader.raw
    assert isinstance(raw, Guard)
    return raw
