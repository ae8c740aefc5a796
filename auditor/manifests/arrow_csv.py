"""Generic CSV and TSV read by Arrow's streaming CSV reader, column-wise, in pieces.

The row-by-row reader (`auditor.manifests.tabular.read_delimited`, Python's csv module) is
exact but slow; this gives the same rows, column by column, for the files Arrow reads the same
way. Line numbers stay exact: every physical line after the header is a row to Arrow
(`ignore_empty_lines=False`, no newlines in values), blank lines are dropped as the row reader
drops them, and a line with the wrong number of fields is parsed by Python's csv module (as the
row reader would) and kept in its place.

`iter_delimited_arrow` says None, before reading anything, for what it leaves to the row
reader: a pipe (it is sniffed once and read once), positional column options (whose header
guessing reads rows), a header spanning lines, and a file with a quoted field spanning lines or
a line longer than half of Arrow's block (found by one vectorised scan, `arrow_can_split`).
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from auditor.arrow_text import may_be_blank
from auditor.errors import ManifestError
from auditor.inputs import is_stream
from auditor.manifests.columns import ColumnOptions, locate_columns
from auditor.manifests.raw import RAW_FIELDS, RawManifest
from auditor.manifests.source import iter_lines, open_binary
from auditor.manifests.tabular import (
    _plan,
    _refuse_duplicate_columns,
    _require_id_column,
    header_and_records,
)
from auditor.safe_text import single_line

BLOCK_SIZE = 1 << 20
_log = logging.getLogger("auditor.manifests")
_STR = pa.string()
_QUOTE = ord('"')
_NEWLINE = ord("\n")


def arrow_can_split(path: Path) -> bool:
    """True when Arrow's reader can split the file into the same rows as Python's csv module:
    no quoted field spans lines (no line holds an odd number of quote characters; a doubled
    quote inside a field counts two), and no line is so long that a row would straddle Arrow's
    blocks. One vectorised pass over the file."""
    odd = False  # the lines so far end inside quotes
    run = 0  # bytes since the last newline
    longest = BLOCK_SIZE // 2
    buffer = bytearray(BLOCK_SIZE)  # one block read into again and again: no page faults
    with open_binary(path, lines=True) as stream:
        while size := stream.readinto(buffer):
            block = buffer if size == len(buffer) else buffer[:size]
            first = block.find(b"\n")
            if first < 0:
                run += len(block)
            else:
                if run + first > longest or not _newlines_within(block, first, longest):
                    return False
                run = len(block) - block.rfind(b"\n") - 1
            if run > longest:
                return False
            if b'"' not in block:
                continue
            data = np.frombuffer(block, dtype=np.uint8)
            ends = np.flatnonzero(data == _NEWLINE)
            quotes = np.cumsum(data == _QUOTE)
            if len(ends):
                per_line = np.diff(quotes[ends], prepend=0) + (1 if odd else 0)
                if (per_line % 2).any():
                    return False
                odd = bool((int(quotes[-1]) - int(quotes[ends[-1]])) % 2)
            else:
                odd ^= bool(int(quotes[-1]) % 2)
    return True


def _newlines_within(block: bytes | bytearray, first: int, longest: int) -> bool:
    """Whether no two consecutive newlines of `block`, from the one at `first`, are more
    than `longest` bytes apart. Steps from each newline to the last one within reach (a few
    `rfind`s per block, not one step per line); none within reach is a gap too long."""
    at, last = first, block.rfind(b"\n")
    while at < last:
        at = block.rfind(b"\n", at + 1, at + longest + 1)
        if at < 0:
            return False
    return True


def row_reader_note(path: Path, reason: str) -> None:
    """Say (on the `auditor.manifests` log, shown by `--verbose`) that a CSV/TSV is read row by
    row by Python's csv module, and why: much slower than Arrow on a large file."""
    line = "%s: read row by row by Python's csv module, not Arrow: %s"
    _log.info(line, single_line(path), reason)


def _row_reader(path: Path, reason: str) -> None:
    row_reader_note(path, reason)
    return


def _header_line(path: Path, line: int) -> bytes | None:
    for number, text in enumerate(iter_lines(path), start=1):
        if number == line:
            return text.encode("utf-8")
    return None


def iter_delimited_arrow(
    path: Path, fmt: str, options: ColumnOptions, delimiter: str, chunk_rows: int
) -> Iterator[RawManifest] | None:
    """The file's rows in pieces of about `chunk_rows`, or None when the row reader must read
    it (see the module docstring)."""
    if is_stream(path) or options.positional():
        return None
    (header_at, header), records = header_and_records(path, delimiter)
    del records  # (its file is closed as it goes)
    text = _header_line(path, header_at)
    if text is None or text.count(b'"') % 2:
        row_reader_note(path, "its header spans lines")
        return None
    if not arrow_can_split(path):
        longest = f"{BLOCK_SIZE // 2:,}"
        row_reader_note(path, f"a quoted value spans lines, or a line is over {longest} bytes")
        return None
    _refuse_duplicate_columns(path, header, header_at)
    located = locate_columns(header, options, path)
    _require_id_column(RawManifest(path, fmt), header, located, header, line=header_at)
    names = [f"c{i}" for i in range(len(header))]
    bad: list[tuple[int, str]] = []  # (line, text) of lines with the wrong number of fields

    def invalid(row: pa_csv.InvalidRow) -> str:
        bad.append((int(row.number), str(row.text)))
        return "skip"

    stream = open_binary(path, lines=True)
    try:
        reader = pa_csv.open_csv(
            stream,
            read_options=pa_csv.ReadOptions(
                column_names=names, skip_rows=header_at, use_threads=False, block_size=BLOCK_SIZE
            ),
            parse_options=pa_csv.ParseOptions(
                delimiter=delimiter,
                quote_char='"',
                double_quote=True,
                newlines_in_values=False,
                ignore_empty_lines=False,
                invalid_row_handler=invalid,
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(names, _STR), strings_can_be_null=False
            ),
        )
    except pa.ArrowInvalid as exc:
        stream.close()
        if "skip initial" in str(exc):  # lines before the data longer than a block
            row_reader_note(path, "the lines before its header are longer than Arrow's block")
            return None
        raise _unreadable(path, exc) from exc
    except BaseException:
        stream.close()
        raise
    return _pieces(path, fmt, stream, reader, header_at, _plan(located), bad, delimiter, chunk_rows)


def _pieces(
    path: Path,
    fmt: str,
    stream: BinaryIO,
    reader: pa_csv.CSVStreamingReader,
    header_at: int,
    plan: list[tuple[str, Any]],
    bad: list[tuple[int, str]],
    delimiter: str,
    chunk_rows: int,
) -> Iterator[RawManifest]:
    try:
        next_line = header_at + 1
        pending: list[pa.RecordBatch] = []
        rows = 0
        yielded = False
        for batch in _batches(reader, path):
            pending.append(batch)
            rows += batch.num_rows
            if rows >= chunk_rows:
                piece, next_line = _piece(path, fmt, pending, plan, next_line, bad, delimiter)
                pending, rows = [], 0
                yielded = True
                yield piece
        if pending or bad or not yielded:
            yield _piece(path, fmt, pending, plan, next_line, bad, delimiter, final=True)[0]
    finally:
        stream.close()


def _batches(reader: pa_csv.CSVStreamingReader, path: Path) -> Iterator[pa.RecordBatch]:
    try:
        yield from reader
    except pa.ArrowInvalid as exc:
        raise _unreadable(path, exc) from exc


def _unreadable(path: Path, exc: pa.ArrowInvalid) -> ManifestError:
    if "UTF8" in str(exc) or "UTF-8" in str(exc):
        for _ in iter_lines(path):  # raises ManifestError naming the line of the bad byte
            pass
    return ManifestError(path, f"cannot be read as CSV ({' '.join(str(exc).split())})")


def _blank_rows(columns: list[pa.Array], count: int) -> np.ndarray:
    """Rows whose every field is empty or white space (the row reader drops them). Trimming
    every value costs more than reading the file; only rows whose every field may be blank by
    its first byte (`may_be_blank`) are trimmed."""
    maybe = np.full(count, bool(columns))
    for array in columns:
        maybe &= may_be_blank(array)
        if not maybe.any():
            return maybe
    rows = np.flatnonzero(maybe)
    take = pa.array(rows)
    blank = np.ones(len(rows), dtype=bool)
    for array in columns:
        trimmed = pc.utf8_trim_whitespace(array.take(take))
        blank &= pc.equal(trimmed, "").to_numpy(zero_copy_only=False)
    result = np.zeros(count, dtype=bool)
    result[rows[blank]] = True
    return result


def _piece(
    path: Path,
    fmt: str,
    batches: list[pa.RecordBatch],
    plan: list[tuple[str, Any]],
    next_line: int,
    bad: list[tuple[int, str]],
    delimiter: str,
    final: bool = False,
) -> tuple[RawManifest, int]:
    """A piece from parsed batches plus the lines among them Arrow could not take, and the
    line after it."""
    table = pa.Table.from_batches(batches) if batches else None
    count = table.num_rows if table is not None else 0
    # The lines these rows came from: the next `count` line numbers that were not bad lines.
    ahead = sorted(number for number, _ in bad if number >= next_line)
    span = np.arange(next_line, next_line + count + len(ahead))
    lines = span[~np.isin(span, ahead)][:count]
    end = int(lines[-1]) + 1 if count else next_line
    mine = [(n, t) for n, t in bad if next_line <= n < end or (final and n >= next_line)]
    for item in mine:
        bad.remove(item)
    columns: dict[str, pa.Array] = {}
    keep = np.ones(count, dtype=bool)
    if table is not None:
        columns = {name: table.column(name).combine_chunks() for name in table.column_names}
        keep = ~_blank_rows(list(columns.values()), count)
    extra: list[tuple[int, list[str]]] = []
    for number, text in mine:  # parsed as the row reader parses them; blank ones dropped
        cells = next(csv.reader([text], delimiter=delimiter, strict=False), [])
        if cells and any(cell.strip() for cell in cells):
            extra.append((number, cells))
    raw = RawManifest(path, fmt)
    kept = int(keep.sum())
    take = pa.array(np.flatnonzero(keep)) if kept < count else None
    fields: dict[str, Any] = {}
    for target, key in plan:
        array = columns[f"c{key}"] if table is not None else pa.array([], _STR)
        fields[target] = array.take(take) if take is not None else array
    source_rows = lines[keep]
    if extra:
        numbers = np.array([number for number, _ in extra], dtype=np.int64)
        order = np.argsort(np.concatenate([source_rows, numbers]), kind="stable")
        for target, key in plan:
            tail = pa.array([cells[key] if key < len(cells) else None for _, cells in extra], _STR)
            fields[target] = pa.concat_arrays([fields[target], tail]).take(pa.array(order))
        source_rows = np.concatenate([source_rows, numbers])[order]
    rows = len(source_rows)
    raw.columns = {
        name: source_rows if name == "source_row" else fields.get(name, pa.nulls(rows, _STR))
        for name in RAW_FIELDS
    }
    return raw, end
