"""Writing CSV that is safe to open in a spreadsheet.

Manifest text is hostile: a title such as `=HYPERLINK("http://evil", "x")` becomes a live formula
when a CSV is opened in Excel or LibreOffice. Every CSV the auditor writes goes through
`defuse_frame`, which prefixes such cells with a single quote (OWASP's advice for CSV injection).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# How every CSV this tool writes through Arrow is laid out: every text value quoted, numbers and
# empty cells bare (one setting, so files written in pieces match those written whole).
CSV_WRITE_OPTIONS = pa_csv.WriteOptions(quoting_style="needed")
_FORMULA_START = r"^[=+\-@\t\r]"


def defuse_cell(value: object) -> object:
    """`'=1+1` for `=1+1`; anything not a string, or not starting like a formula, unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _is_text(column: pd.Series) -> bool:
    return column.dtype == object or pd.api.types.is_string_dtype(column)


def defuse_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` whose text cells cannot be read as formulas (vectorised per column)."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if not _is_text(values):
            continue
        if values.dtype == object:  # mixed Python objects: cell by cell
            out[column] = values.map(defuse_cell, na_action="ignore")
            continue
        risky = values.str.contains(_FORMULA_START, regex=True, na=False)
        if risky.any():
            out[column] = values.where(~risky, "'" + values)
    return out


_FORMULA_BYTES = np.array([ord(char) for char in FORMULA_PREFIXES], dtype=np.uint8)


def defuse_array(array: pa.Array) -> pa.Array:
    """`defuse_cell` on every value of an Arrow string array, vectorised.

    Every formula prefix is one ASCII byte, so a value is risky when its first byte is one: the
    first bytes are read straight from the array's buffers.
    """
    if len(array) == 0 or array.null_count == len(array):
        return array
    width = np.int64 if pa.types.is_large_string(array.type) else np.int32
    offsets: np.ndarray[Any, np.dtype[np.int64]] = np.frombuffer(array.buffers()[1], dtype=width)[
        array.offset : array.offset + len(array) + 1
    ].astype(np.int64)
    data = array.buffers()[2]
    if data is None:
        return array
    values = np.frombuffer(data, dtype=np.uint8)
    starts, ends = offsets[:-1], offsets[1:]
    filled = ends > starts
    risky = np.zeros(len(array), dtype=bool)
    risky[filled] = np.isin(values[starts[filled]], _FORMULA_BYTES)
    if array.null_count:
        risky &= array.is_valid().to_numpy(zero_copy_only=False)
    if not risky.any():
        return array
    quote, nothing = pa.scalar("'", array.type), pa.scalar("", array.type)
    quoted = pc.binary_join_element_wise(quote, array, nothing)
    return pc.if_else(pa.array(risky), quoted, array)


def write_csv(frame: pd.DataFrame, target: str | Path | IO[str]) -> None:
    """Write `frame` as UTF-8 CSV with formulas defused and no index column.

    Arrow's CSV writer does the work (several times faster than pandas' on large tables);
    columns of Python objects go through pandas.
    """
    safe = defuse_frame(frame)
    if any(safe[column].dtype == object for column in safe.columns):
        safe.to_csv(target, index=False, lineterminator="\n")
        return
    table = pa.Table.from_pandas(safe, preserve_index=False)
    options = CSV_WRITE_OPTIONS
    if isinstance(target, str | Path):
        pa_csv.write_csv(table, str(target), write_options=options)
        return
    buffer = io.BytesIO()
    pa_csv.write_csv(table, buffer, write_options=options)
    target.write(buffer.getvalue().decode("utf-8"))
