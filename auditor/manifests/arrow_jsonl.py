"""JSON Lines read by Arrow's JSON parser, block by block, in pieces (issue 18).

The row-by-row reader (`auditor.manifests.tabular.read_jsonl`, `json.loads` per line) is exact
but slow; this gives the same rows, column by column. The columns are learnt as the row reader
learns them, from the first records (`tabular.records_plan`: the same notes, the same columns).
Then the file is read in blocks of whole lines, and Arrow parses each block with a schema of
just the located keys: text, or whole numbers where the first records have whole numbers there
(Arrow's cast of an int64 to text is Python's `str` of it, which is what normalising does with
a JSON number). Arrow refuses every line Python refuses (invalid JSON, a value of another type,
a key twice, a number that does not fit), and a line Arrow splits otherwise than at its newline
shows in the row count: any such block is read by the row reader's code instead
(`tabular.jsonl_records`), so bad lines keep their notes and the line numbers stay exact. So
are blocks with a line nested deeper than the limit may allow, or bytes that are not UTF-8.

`iter_jsonl_arrow` says None, before reading anything, for what it leaves to the row reader: a
pipe (it is read once), positional column options, a file whose first records settle nothing
(the row reader then says why), and located keys of nested objects (`meta.url`).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.json as pa_json

from auditor.errors import ManifestError
from auditor.inputs import DECOMPRESSION_ERRORS, is_stream
from auditor.limits import current
from auditor.manifests.columns import ColumnOptions
from auditor.manifests.normalise import _as_text
from auditor.manifests.raw import RAW_FIELDS, RawManifest
from auditor.manifests.source import _BOM, _utf8_error, iter_lines, open_binary
from auditor.manifests.tabular import (
    _RECORD_SAMPLE,
    _chain,
    _fill,
    _flatten,
    _plan,
    jsonl_records,
    record_rows,
    records_plan,
)

BLOCK_SIZE = 4 << 20  # bytes of whole lines parsed at a time
_STR = pa.string()
_NEWLINE = ord("\n")
_BLANK_BYTES = np.zeros(256, dtype=bool)  # what JSON (and Arrow) skip around a value
_BLANK_BYTES[[ord(" "), ord("\t"), ord("\r"), _NEWLINE]] = True
_BRACE, _BRACKET = ord("{"), ord("[")
_Block = tuple[np.ndarray, dict[str, pa.Array]]  # a block's source rows and located columns


def iter_jsonl_arrow(
    path: Path, options: ColumnOptions, chunk_rows: int
) -> Iterator[RawManifest] | None:
    """The file's rows in pieces of about `chunk_rows`, or None when the row reader must read
    it (see the module docstring)."""
    if is_stream(path) or options.positional():
        return None
    meta = RawManifest(path, "jsonl")
    lines = iter_lines(path)
    try:
        stream = jsonl_records(path, enumerate(lines, start=1))
        first = next(stream, None)
        if first is None:
            return None
        located, records = records_plan(meta, _chain([first], stream), options)
        sample = [r for _, r in itertools.islice(records, _RECORD_SAMPLE) if isinstance(r, dict)]
    except ManifestError:
        return None  # the row reader says it again, as it always has
    finally:
        close = getattr(lines, "close", None)
        if close is not None:
            close()  # the file, at once
    plan = _plan(located)
    keys = list(dict.fromkeys(key for _, key in plan))
    if any(not isinstance(key, str) or "." in key for key in keys):
        return None
    schema = pa.schema([(key, _key_type(key, sample)) for key in keys])
    return _pieces(path, meta, located, plan, schema, chunk_rows)


def _key_type(key: str, sample: Sequence[dict[str, Any]]) -> pa.DataType:
    """int64 where the first records hold whole numbers under `key` (and nothing else), else
    text."""
    values = [record[key] for record in sample if record.get(key) is not None]
    whole = values and all(type(value) is int for value in values)
    return pa.int64() if whole else _STR


def _pieces(
    path: Path,
    meta: RawManifest,
    located: dict[str, list[Any]],
    plan: list[tuple[str, Any]],
    schema: pa.Schema,
    chunk_rows: int,
) -> Iterator[RawManifest]:
    stream = open_binary(path, lines=True)
    try:
        pending: list[_Block] = []
        rows = 0
        yielded = False
        for number, block in _blocks(path, stream):
            rows_of, columns = _block(path, block, number, located, plan, schema)
            pending.append((rows_of, columns))
            rows += len(rows_of)
            while rows >= chunk_rows:  # pieces of `chunk_rows` rows, as the row reader's
                piece, pending = _split(pending, chunk_rows)
                yield _piece(meta, piece, first=not yielded)
                rows -= chunk_rows
                yielded = True
        if rows or not yielded:
            yield _piece(meta, pending, first=not yielded)
    finally:
        stream.close()


def _blocks(path: Path, stream: BinaryIO) -> Iterator[tuple[int, bytes]]:
    """(number of its first line, bytes) of blocks of whole lines (the last may lack its
    newline); the byte-order mark before the first line left out, as the row reader does."""
    number = 1
    carry = b""
    first = True
    while True:
        try:
            data = stream.read(BLOCK_SIZE)
        except DECOMPRESSION_ERRORS as exc:
            raise ManifestError(
                path, f"cannot be read to the end ({exc}); is it truncated?"
            ) from exc
        if first:
            data = data.removeprefix(_BOM)
            first = False
        if not data:
            if carry:
                yield number, carry
            return
        cut = data.rfind(b"\n")
        if cut < 0:
            carry += data
            continue
        block = carry + data[: cut + 1]
        carry = data[cut + 1 :]
        yield number, block
        number += block.count(b"\n")


def _block(
    path: Path,
    block: bytes,
    number: int,
    located: dict[str, list[Any]],
    plan: list[tuple[str, Any]],
    schema: pa.Schema,
) -> tuple[np.ndarray, dict[str, pa.Array]]:
    """The source rows and the located columns (as text) of one block of lines starting at
    line `number`: by Arrow when it settles the block, else by the row reader's code."""
    data = np.frombuffer(block, dtype=np.uint8)
    ends = np.flatnonzero(data == _NEWLINE)
    if len(data) and data[-1] != _NEWLINE:
        ends = np.append(ends, len(data))
    starts = np.concatenate([[0], ends[:-1] + 1]).astype(np.int64)
    kept = _filled_lines(block, data, starts, ends)  # the row reader leaves blank lines out
    source_rows = (number + np.flatnonzero(kept)).astype(np.int64)
    # A line with more brackets than the depth limit may be too deep: the row reader decides.
    brackets = np.flatnonzero((data == _BRACE) | (data == _BRACKET))
    per_line = np.bincount(np.searchsorted(ends, brackets), minlength=len(ends))
    deep = bool(len(per_line) and per_line.max() > current().json_depth)
    table = None if deep else _parsed(block, schema)
    if table is None or table.num_rows != len(source_rows):
        return _row_by_row(path, block, number, located, plan)
    return source_rows, {target: column_text(table, key) for target, key in plan}


def column_text(table: pa.Table, name: str) -> pa.Array:
    """Column `name` of a parsed block, as one text array."""
    column = table.column(name).combine_chunks()
    return column if column.type == _STR else column.cast(_STR)


def read_json_block(data: bytes | bytearray, schema: pa.Schema) -> pa.Table:
    """One block of newline-separated JSON objects parsed by Arrow, the `schema`'s keys only
    (others ignored); raises `pa.ArrowException` when Arrow cannot parse it."""
    return pa_json.read_json(
        pa.py_buffer(data),
        read_options=pa_json.ReadOptions(use_threads=False, block_size=len(data) + 1),
        parse_options=pa_json.ParseOptions(
            explicit_schema=schema,
            unexpected_field_behavior="ignore",
            newlines_in_values=False,
        ),
    )


def _filled_lines(
    block: bytes, data: np.ndarray, starts: np.ndarray, ends: np.ndarray
) -> np.ndarray:
    """Per line, whether it holds more than JSON white space. A line that starts with
    anything else does; the few others are looked at one by one."""
    first = np.full(len(starts), _NEWLINE, dtype=np.uint8)
    inside = starts < len(data)
    first[inside] = data[starts[inside]]
    filled = ~_BLANK_BYTES[first]
    for line in np.flatnonzero(~filled).tolist():
        filled[line] = bool(block[int(starts[line]) : int(ends[line])].strip(b" \t\r\n"))
    return filled


def _parsed(block: bytes, schema: pa.Schema) -> pa.Table | None:
    """The block's objects, the schema's keys only; None when Arrow cannot settle it."""
    try:
        block.decode("utf-8")  # (Arrow does not check what it skips)
        return read_json_block(block, schema)
    except (UnicodeDecodeError, pa.ArrowInvalid):
        return None


def _row_by_row(
    path: Path,
    block: bytes,
    number: int,
    located: dict[str, list[Any]],
    plan: list[tuple[str, Any]],
) -> tuple[np.ndarray, dict[str, pa.Array]]:
    """The block read as `tabular.read_jsonl` reads lines: bad lines kept with their note."""

    def numbered() -> Iterator[tuple[int, str]]:
        # Lines end at a newline only, and keep it, as the row reader's do (a JSON error
        # message may tell a string cut by the newline from one cut by the end).
        parts = [part + b"\n" for part in block.split(b"\n")]
        parts[-1] = parts[-1][:-1]
        if not parts[-1]:
            parts.pop()
        for offset, line in enumerate(parts):
            try:
                yield number + offset, line.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise _utf8_error(path, exc, number + offset) from exc

    records = (
        (n, _flatten(r) if isinstance(r, dict) else r) for n, r in jsonl_records(path, numbered())
    )
    raw = RawManifest(path, "jsonl")
    _fill(raw, located, record_rows(records))
    columns = {
        target: pa.array([_as_text(value) for value in raw.columns[target]], _STR)
        for target in [*dict.fromkeys(target for target, _ in plan), "notes"]
    }
    return np.asarray(raw.columns["source_row"], dtype=np.int64), columns


def _split(blocks: list[_Block], rows: int) -> tuple[list[_Block], list[_Block]]:
    """The first `rows` rows of the blocks, and the rest."""
    head: list[_Block] = []
    for index, (source_rows, columns) in enumerate(blocks):
        if len(source_rows) >= rows:
            head.append((source_rows[:rows], {k: v.slice(0, rows) for k, v in columns.items()}))
            rest = (source_rows[rows:], {k: v.slice(rows) for k, v in columns.items()})
            return head, [rest, *blocks[index + 1 :]]
        head.append((source_rows, columns))
        rows -= len(source_rows)
    return head, []


def _piece(meta: RawManifest, blocks: list[_Block], first: bool) -> RawManifest:
    """One piece from parsed blocks; the first piece carries the file's notes."""
    source_rows = (
        np.concatenate([rows for rows, _ in blocks]) if blocks else np.zeros(0, dtype=np.int64)
    )
    piece = RawManifest(meta.path, meta.format)
    piece.numeric_names = meta.numeric_names
    piece.counts_not_ids = meta.counts_not_ids
    if first:
        piece.notes = list(meta.notes)
    columns: dict[str, Any] = {"source_row": source_rows}
    for name in RAW_FIELDS[1:]:
        if not any(name in part for _, part in blocks):  # (most fields: one array of nulls)
            columns[name] = pa.nulls(len(source_rows), _STR)
            continue
        parts = [part.get(name, pa.nulls(len(rows), _STR)) for rows, part in blocks if len(rows)]
        columns[name] = pa.concat_arrays(parts) if parts else pa.nulls(len(source_rows), _STR)
    piece.columns = columns
    return piece
