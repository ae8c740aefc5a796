"""The Dask engine's partitioned findings.parquet: the column types `--format parquet` uses,
and findings read back exactly as they were judged."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from auditor.findings import FINDING_COLUMNS
from auditor.report import findings_parquet, parquet


def judged() -> pa.Table:
    columns = {name: pa.array(["x", None], pa.large_string()) for name in FINDING_COLUMNS}
    columns["owner"] = pa.array(["1@N01", None], pa.large_string())
    columns["fetched_at"] = pa.array(["2026-12-03T12:00:07Z", None], pa.large_string())
    columns["source_row"] = pa.array([1, 2], pa.int64())
    columns["waived"] = pa.array([False, True])
    return pa.table(columns)


def test_both_writers_type_a_column_alike() -> None:
    for field in findings_parquet.SCHEMA:
        assert field.type == parquet.arrow_type(field.name)
    assert findings_parquet.SCHEMA.field("fetched_at").type == pa.timestamp("ms", tz="UTC")


def test_parts_read_back_as_judged(tmp_path: Path) -> None:
    for index in range(2):
        part = findings_parquet.FindingsPart(tmp_path, index)
        part.add(judged() if index == 0 else judged().slice(0, 0))
        part.close()
    stored = pq.read_schema(tmp_path / findings_parquet.part_name(0))
    assert stored.field("fetched_at").type == pa.timestamp("ms", tz="UTC")
    back = findings_parquet.read_findings(tmp_path)
    assert back.equals(judged())
    assert findings_parquet.read_findings(tmp_path, owners=[None]).column("owner").to_pylist() == [
        None
    ]
    assert findings_parquet.typed_findings_empty().schema == judged().schema
