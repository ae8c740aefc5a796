"""`--format parquet`: `findings.parquet` and `photos.parquet`, for pandas, DuckDB, Polars or Dask.

The same rows as findings.csv and photos.csv, with types a reader need not guess: row numbers
are int64, `waived` and `baseline` booleans, `fetched_at` a UTC timestamp, and every
text column dictionary-encoded (Arrow `dictionary<int32, string>`: pandas reads it back as a
categorical), which is what makes a table of millions of findings with a few dozen distinct
rules, licences and messages small and fast to filter. No formula defusing: Parquet is not
opened by spreadsheets as text, and the values stay exactly as judged.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from auditor.findings import BOOL_COLUMNS, finding_columns
from auditor.outputs import atomic_path
from auditor.report.formats import PHOTO_COLUMNS, AuditTables

TEXT = pa.dictionary(pa.int32(), pa.string())
TIMESTAMP = pa.timestamp("ms", tz="UTC")  # what Parquet stores (it has no seconds unit)
_INTEGER_COLUMNS = frozenset({"source_row"})
_TIME_COLUMNS = frozenset({"fetched_at"})


def arrow_type(name: str) -> pa.DataType:
    """The Parquet column type of findings' and photos' column `name`, for both writers: this
    one (whole tables) and the Dask engine's partitioned dataset (`report.findings_parquet`)."""
    if name in BOOL_COLUMNS:
        return pa.bool_()
    if name in _INTEGER_COLUMNS:
        return pa.int64()
    if name in _TIME_COLUMNS:
        return TIMESTAMP
    return TEXT


def _column(values: pd.Series, name: str) -> pa.Array:
    if name in BOOL_COLUMNS:
        return pa.array(values.fillna(False).astype(bool).to_numpy(), pa.bool_())
    if name in _INTEGER_COLUMNS:
        return pa.array(pd.to_numeric(values, errors="coerce").astype("Int64"), pa.int64())
    if name in _TIME_COLUMNS:
        moments = pd.to_datetime(values, utc=True, errors="coerce", format="ISO8601")
        return pa.array(moments, pa.timestamp("ns", tz="UTC")).cast(TIMESTAMP, safe=False)
    text = pa.array(values.astype("str"), pa.string(), from_pandas=True)
    encoded: pa.Array = pc.dictionary_encode(text)
    return encoded.cast(TEXT)


def typed_table(frame: pd.DataFrame, columns: tuple[str, ...]) -> pa.Table:
    """`columns` of `frame` (those it has) as an Arrow table of the types above."""
    names = [name for name in columns if name in frame.columns]
    return pa.table({name: _column(frame[name], name) for name in names})


def _write(table: pa.Table, path: Path) -> None:
    with atomic_path(path) as temp:
        pq.write_table(table, temp, compression="zstd")


def write_parquet(tables: AuditTables, out_dir: Path) -> list[Path]:
    """Write findings.parquet and photos.parquet into `out_dir`; their paths."""
    findings = out_dir / "findings.parquet"
    photos = out_dir / "photos.parquet"
    columns = finding_columns(tables.findings.columns)
    _write(typed_table(tables.findings, columns), findings)
    _write(typed_table(tables.photos, PHOTO_COLUMNS), photos)
    return [findings, photos]
