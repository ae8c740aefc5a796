"""findings.parquet as a partitioned dataset: one Parquet file per partition of an audit.

The Dask engine (`auditor.dask_audit`) writes the findings of each partition from the worker
that judged it, into `findings.parquet/part-NNNNN.parquet` (partition order = report order:
file name, then row). pandas (`pd.read_parquet`), pyarrow (`pyarrow.dataset`), DuckDB
(`read_parquet('findings.parquet/*.parquet')`), Polars and Dask read the folder as one table.

Columns: those of findings.csv (`auditor.findings.FINDING_COLUMNS`), typed as `--format parquet`
types them (`auditor.report.parquet.arrow_type`): `source_row` int64, `waived` bool, every text
column dictionary-encoded (`dictionary<int32, string>`: a few dozen distinct rules, licences and
messages over millions of rows), zstd-compressed. Values exactly
as judged: no formula defusing (Parquet is not opened by spreadsheets as text).

The parts are written into a staging folder beside the target; `commit_dataset` puts it in
place at once, so a failed run leaves the earlier dataset as it was.
"""

from __future__ import annotations

import contextlib
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from auditor.findings import FINDING_COLUMNS
from auditor.report.parquet import TEXT, arrow_type

FINDINGS_PARQUET = "findings.parquet"
# The types `--format parquet` gives the same columns (`report.parquet.arrow_type`).
SCHEMA = pa.schema([(name, arrow_type(name)) for name in FINDING_COLUMNS])


def typed_findings(findings: pa.Table) -> pa.Table:
    """An `encode.findings_arrow` table (FINDING_COLUMNS) in the dataset's types."""
    columns: list[pa.Array] = []
    for field in SCHEMA:
        values = findings.column(field.name).combine_chunks()
        if field.type == TEXT:
            columns.append(pc.dictionary_encode(values.cast(pa.string())).cast(TEXT))
        else:
            columns.append(values.cast(field.type))
    return pa.Table.from_arrays(columns, schema=SCHEMA)


def part_name(index: int) -> str:
    return f"part-{index:05d}.parquet"


class FindingsPart:
    """The Parquet file of one partition's findings, written batch by batch (an empty
    partition still gets a file, with the schema and no rows)."""

    def __init__(self, folder: Path, index: int) -> None:
        self.path = Path(folder) / part_name(index)
        self.rows = 0
        self._writer = pq.ParquetWriter(self.path, SCHEMA, compression="zstd")

    def add(self, findings: pa.Table) -> None:
        if findings.num_rows:
            self._writer.write_table(typed_findings(findings))
            self.rows += findings.num_rows

    def close(self) -> None:
        self._writer.close()


def staging_folder(out_dir: Path) -> Path:
    """A new, empty folder beside `out_dir / FINDINGS_PARQUET` for the parts of one run."""
    folder = Path(out_dir) / f".{FINDINGS_PARQUET}.{secrets.token_hex(6)}.tmp"
    folder.mkdir(parents=True)
    return folder


def commit_dataset(staging: Path, out_dir: Path) -> Path:
    """Put the staged parts in place as `out_dir / FINDINGS_PARQUET` (a folder; an earlier
    dataset or file of that name is replaced); the dataset's path."""
    target = Path(out_dir) / FINDINGS_PARQUET
    old = target.with_name(f".{FINDINGS_PARQUET}.{secrets.token_hex(6)}.old")
    had = target.exists() or target.is_symlink()
    if had:
        target.rename(old)
    try:
        staging.rename(target)
    except OSError:
        if had:
            old.rename(target)
        raise
    if had:
        if old.is_dir() and not old.is_symlink():
            shutil.rmtree(old, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                old.unlink()
    return target


def iter_findings(path: Path, owners: list[str | None] | None = None) -> Iterator[pa.Table]:
    """The findings of a dataset (a folder of parts, or one file), part by part in report
    order, with plain string columns (`encode.findings_arrow`'s types); only `owners'`
    findings when given. One part is in memory at a time."""
    path = Path(path)
    files = sorted(path.glob("part-*.parquet")) if path.is_dir() else [path]
    named = pa.array([owner for owner in owners or [] if owner is not None], pa.string())
    for file in files:
        table = pq.read_table(file, schema=SCHEMA)
        if owners is not None:
            owner = table.column("owner").cast(pa.string())
            picked = pc.fill_null(pc.is_in(owner, value_set=named), False)
            if None in owners:
                picked = pc.or_(picked, pc.is_null(owner))
            table = table.filter(picked)
        yield pa.table({field.name: _as_judged(table.column(field.name)) for field in SCHEMA})


def _as_judged(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """A stored column back in `encode.findings_arrow`'s type: text as large strings, times as
    the reports write them (`state.iso`: to the second, with a Z)."""
    if column.type == TEXT:
        return column.cast(pa.large_string())
    if pa.types.is_timestamp(column.type):
        seconds = column.cast(pa.timestamp("s", tz="UTC"))
        return pc.strftime(seconds, format="%Y-%m-%dT%H:%M:%SZ").cast(pa.large_string())
    return column


def read_findings(path: Path, owners: list[str | None] | None = None) -> pa.Table:
    """`iter_findings` as one table."""
    parts = list(iter_findings(path, owners))
    if not parts:
        return typed_findings_empty()
    return pa.concat_tables(parts)


def typed_findings_empty() -> pa.Table:
    """An empty findings table with `encode.findings_arrow`'s types."""
    return pa.table(
        {
            field.name: pa.array([], _as_judged(pa.chunked_array([], field.type)).type)
            for field in SCHEMA
        }
    )
