"""Findings as file bytes: one JSON object per line for `audit.json`, CSV rows for `findings.csv`.

A YFCC100M-sized audit has millions of findings. Encoding them one Python dict at a time takes
seconds per million, so the text is built column-wise by Arrow and written from Arrow's buffers
without becoming Python strings: each column becomes JSON tokens (a column with no null and
nothing to escape needs no per-row work at all: its quotes go into the literal text between
columns), one concatenation makes every line, and the line array's data buffer is the bytes to
write. Whether a column holds anything JSON must escape (quote, backslash, control characters) is
decided on its raw bytes; only then are rows looked at one by one.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import IO, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from auditor.findings import BOOL_COLUMNS, FINDING_COLUMNS, finding_columns
from auditor.safe_csv import CSV_WRITE_OPTIONS, defuse_array

_TEXT = pa.large_string()
# A string needs json.dumps only when JSON requires escapes in it: quote, backslash, control.
_NEEDS_ESCAPE = r'["\\\x00-\x1f]'
TEXT_COLUMNS = tuple(name for name in FINDING_COLUMNS if name not in ("source_row", "waived"))
CSV_OPTIONS = CSV_WRITE_OPTIONS
FINDINGS_SCHEMA = pa.schema(
    [
        (name, pa.bool_() if name == "waived" else pa.int64() if name == "source_row" else _TEXT)
        for name in FINDING_COLUMNS
    ]
)


def _lit(text: str) -> pa.Scalar:
    return pa.scalar(text, _TEXT)


def findings_arrow(findings: pd.DataFrame) -> pa.Table:
    """The findings table as Arrow: text columns as large strings (other values as their text,
    missing ones null), `source_row` as nullable int64, `waived` (and `baseline`, when the table
    has it) as bool (missing: False)."""
    arrays: dict[str, pa.Array] = {}
    for name in finding_columns(findings.columns):
        values = findings[name]
        if name in BOOL_COLUMNS:
            arrays[name] = pa.array(values.fillna(False).astype(bool).to_numpy(), pa.bool_())
        elif name == "source_row":
            arrays[name] = pa.array(values.astype("Int64"), pa.int64())
        else:
            arrays[name] = _combined(pa.array(values.astype("str")), _TEXT)
    return pa.table(arrays)


def _combined(values: pa.Array | pa.ChunkedArray, kind: pa.DataType) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks != 1 else values.chunk(0)
    return values if values.type == kind else values.cast(kind)


def value_bytes(array: pa.Array) -> np.ndarray[Any, np.dtype[np.uint8]]:
    """The bytes of a (large) string array's values, concatenated (null slots may add some)."""
    _, offsets_buffer, data = array.buffers()[:3]
    if data is None or len(array) == 0:
        return np.zeros(0, dtype=np.uint8)
    width = np.int64 if array.type == _TEXT else np.int32
    offsets = np.frombuffer(offsets_buffer, dtype=width)
    offsets = offsets[array.offset : array.offset + len(array) + 1]
    values = np.frombuffer(data, dtype=np.uint8)
    return values[int(offsets[0]) : int(offsets[-1])]


def _may_need_escapes(array: pa.Array) -> bool:
    """False when no value holds a quote, a backslash or a control character (byte test)."""
    data = value_bytes(array)
    if not len(data):
        return False
    if int(data.min()) < 0x20:
        return True
    # `x ^ c` is 0 exactly where x == c: two vectorised passes, no per-row work.
    return any(int(np.bitwise_xor(data, ord(char)).min()) == 0 for char in '"\\')


def _text_token(array: pa.Array) -> tuple[bool, pa.Array]:
    """`(bare, values)`: bare values need quotes around them and nothing else (no null, no
    escape); otherwise `values` are complete JSON tokens (`"text"` or `null`)."""
    escapes = _may_need_escapes(array)
    if not escapes and array.null_count == 0:
        return True, array
    quoted = pc.binary_join_element_wise(_lit('"'), array, _lit('"'), _lit(""))
    if escapes:
        needs = pc.fill_null(pc.match_substring_regex(array, _NEEDS_ESCAPE), False)
        if pc.any(needs).as_py():
            hard = array.filter(needs).to_pylist()
            escaped = pa.array([json.dumps(text, ensure_ascii=False) for text in hard], _TEXT)
            quoted = pc.replace_with_mask(quoted, needs, escaped)
    return False, pc.fill_null(quoted, _lit("null"))


def _constant(array: pa.Array) -> str | None:
    """The JSON token of every value when they are all the same (or all null), else None."""
    if array.null_count == len(array):
        return "null"
    if array.null_count or not pc.all(pc.equal(array, array[0])).as_py():
        return None
    return json.dumps(array[0].as_py(), ensure_ascii=False)


def json_lines(table: pa.Table, before: str = "") -> pa.Array:
    """Each finding of a `findings_arrow` table as one compact JSON object (the text
    `json.dumps(record, ensure_ascii=False)` gives for its record), preceded by `before`."""
    return json_objects(table, finding_columns(table.column_names), before)


def json_objects(
    table: pa.Table, names: Sequence[str], before: str = "", raw: Sequence[str] = ()
) -> pa.Array:
    """Each row of `table` as one JSON object with keys `names` (the text `json.dumps(record,
    ensure_ascii=False)` gives), preceded by `before`. Boolean columns give `true`/`false`
    (null: false), integer columns numbers, `raw` columns text that is JSON already, the others
    strings; nulls are `null`."""
    if table.num_rows == 0:
        return pa.array([], _TEXT)
    parts: list[pa.Array | pa.Scalar] = []
    pending = before + "{"  # literal text not yet placed before the next column's values
    for index, name in enumerate(names):
        pending += ("" if index == 0 else ", ") + json.dumps(name) + ": "
        kind = table.schema.field(name).type
        column = _combined(table.column(name), kind)
        if pa.types.is_boolean(kind):
            flags = pc.fill_null(column, False)
            if not pc.any(flags).as_py():
                pending += "false"
                continue
            values = pc.if_else(flags, _lit("true"), _lit("false"))
        elif pa.types.is_integer(kind):
            values = pc.fill_null(pc.cast(column, _TEXT), _lit("null"))
        elif name in raw:
            values = _combined(column, _TEXT)
        else:
            text = _combined(column, _TEXT)
            same = _constant(text)
            if same is not None:  # one token for every row: it joins the literal text
                pending += same
                continue
            bare, values = _text_token(text)
            if bare:
                parts += [_lit(pending + '"'), values]
                pending = '"'
                continue
        parts += [_lit(pending), values]
        pending = ""
    parts.append(_lit(pending + "}"))
    lines: pa.Array = pc.binary_join_element_wise(*parts, _lit(""))
    return lines


def write_lines(handle: IO[bytes], lines: pa.Array, skip: int = 0) -> None:
    """Write the text of a large-string array, values back to back, leaving out its first
    `skip` bytes; straight from Arrow's buffer."""
    data = value_bytes(lines)
    handle.write(data[skip:].data)


def findings_csv_table(table: pa.Table) -> pa.Table:
    """A `findings_arrow` table as findings.csv holds it: formulas defused, `waived` (and
    `baseline`) as `true`/`false`."""
    columns: dict[str, pa.Array] = {}
    for name in finding_columns(table.column_names):
        column = _combined(table.column(name), table.schema.field(name).type)
        if name in BOOL_COLUMNS:
            columns[name] = pc.if_else(pc.fill_null(column, False), _lit("true"), _lit("false"))
        elif name == "source_row":
            columns[name] = column
        else:
            columns[name] = defuse_array(column)
    return pa.table(columns)


class FindingsCsv:
    """findings.csv written in pieces: the header once, then rows as they come."""

    def __init__(self, handle: IO[bytes]) -> None:
        self._handle = handle
        self._writer: pa_csv.CSVWriter | None = None
        # The columns of the header written when no row comes (`ReportWriter.add` sets it from
        # an empty batch, so a table with a `baseline` column keeps it in the header).
        self.empty_schema: pa.Schema = FINDINGS_SCHEMA

    def write(self, table: pa.Table) -> None:
        csv_table = findings_csv_table(table)
        if self._writer is None:
            schema = csv_table.schema
            self._writer = pa_csv.CSVWriter(self._handle, schema, write_options=CSV_OPTIONS)
        self._writer.write_table(csv_table)

    def close(self) -> None:
        if self._writer is None:  # no rows at all: the header alone
            self.write(self.empty_schema.empty_table())
        assert self._writer is not None
        self._writer.close()
