from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from auditor.report.encode import FINDINGS_SCHEMA
from auditor.report.spool import FindingSpool


def _findings(file: str, rows: range) -> pa.Table:
    """Findings of `rows` of `file`, one each; other columns empty."""
    columns = {
        field.name: pa.nulls(len(rows), field.type)
        for field in FINDINGS_SCHEMA
        if field.name not in ("source_file", "source_row")
    }
    columns["source_file"] = pa.array([file] * len(rows), pa.string())
    columns["source_row"] = pa.array(list(rows), pa.int64())
    return pa.table(columns).select(FINDINGS_SCHEMA.names).cast(FINDINGS_SCHEMA)


def _rows(spool: FindingSpool) -> list[tuple[str, int]]:
    return [
        (file, row)
        for batch in spool.batches()
        for file, row in zip(
            batch.column("source_file").to_pylist(),
            batch.column("source_row").to_pylist(),
            strict=True,
        )
    ]


def test_runs_within_the_budget_stay_in_memory(tmp_path: Path) -> None:
    spool = FindingSpool(memory_bytes=1 << 20, directory=tmp_path)
    spool.add(_findings("b", range(5, 10)))
    spool.add(_findings("a", range(1, 4)))
    assert spool.held_bytes > 0
    assert not list(tmp_path.iterdir())  # nothing on disk
    assert _rows(spool) == [("a", 1), ("a", 2), ("a", 3), *[("b", r) for r in range(5, 10)]]
    spool.close()


def test_past_the_budget_no_run_stays_in_memory(tmp_path: Path) -> None:
    first = _findings("a", range(1, 50))
    spool = FindingSpool(memory_bytes=first.nbytes + 10, directory=tmp_path)
    spool.add(first)
    assert spool.held_bytes == first.nbytes
    spool.add(_findings("b", range(50)))  # over the budget: both runs go to disk
    assert spool.held_bytes == 0
    spool.add(_findings("c", range(3)))  # small, but the spool is on disk now
    assert spool.held_bytes == 0
    rows = _rows(spool)
    assert rows == [*[("a", r) for r in range(1, 50)], *[("b", r) for r in range(50)]] + [
        ("c", r) for r in range(3)
    ]
    spool.close()
    assert not list(tmp_path.iterdir())
