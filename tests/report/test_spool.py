from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from auditor.findings import FINDING_COLUMNS
from auditor.report import spool as spool_module
from auditor.report.encode import FINDINGS_SCHEMA
from auditor.report.spool import FindingSpool


def _run(file: str, rows: range, rule: str = "non-commercial") -> pa.Table:
    n = len(rows)
    columns: dict[str, list[object]] = {name: [None] * n for name in FINDING_COLUMNS}
    columns.update(
        photo_id=[str(10_000 + row) for row in rows],
        rule=[rule] * n,
        severity=["error"] * n,
        message=["CC BY-NC 2.0 forbids commercial use"] * n,
        source_file=[file] * n,
        source_row=list(rows),
        waived=[False] * n,
    )
    return pa.table(columns, schema=FINDINGS_SCHEMA)


def _rows(tables: list[pa.Table]) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    for table in tables:
        data = table.to_pydict()
        rows += list(zip(*(data[name] for name in FINDING_COLUMNS), strict=True))
    return rows


@pytest.mark.parametrize("memory_bytes", [0, 1 << 30])
def test_runs_come_back_in_report_order_from_memory_or_disk(
    tmp_path: Path, memory_bytes: int
) -> None:
    # Chunks in table order: b.csv's rows came first. The reports list a.csv first; the runs
    # of a.csv that overlap (a file named twice) are merged by row, chunk order among equals.
    chunks = [
        _run("b.csv", range(2, 5)),
        _run("a.csv", range(10, 13)),
        _run("a.csv", range(11, 14), rule="no-derivatives"),
        _run("a.csv", range(20, 22)),
    ]
    spool = FindingSpool(memory_bytes=memory_bytes, directory=tmp_path)
    try:
        for chunk in chunks:
            spool.add(chunk)
        spool.add(chunks[0].slice(0, 0))  # an empty chunk is no run
        got = list(spool.batches())
    finally:
        spool.close()
    merged = pa.concat_tables(chunks[1:3])
    order = sorted(range(merged.num_rows), key=lambda i: merged["source_row"][i].as_py())
    want = [merged.take(order), chunks[3], chunks[0]]
    assert _rows(got) == _rows(want)
    assert len(got) == 3
    assert list(tmp_path.iterdir()) == []  # the spool file is gone once closed


def test_runs_on_disk_are_compressed(tmp_path: Path) -> None:
    spool = FindingSpool(memory_bytes=0, directory=tmp_path)
    try:
        big = _run("a.csv", range(20_000))
        spool.add(big)
        assert next(iter(spool.batches())).equals(big)
        (file,) = tmp_path.glob("*/findings.arrow")
        assert file.stat().st_size < big.nbytes / 4
    finally:
        spool.close()


def test_an_error_writing_a_run_reaches_the_caller(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(spool_module.FindingSpool, "_write", staticmethod(full))
    spool = FindingSpool(memory_bytes=0, directory=tmp_path)
    try:
        spool.add(_run("a.csv", range(3)))
        with pytest.raises(OSError, match="No space left"):
            spool.add(_run("a.csv", range(3, 6)))
            list(spool.batches())
    finally:
        spool.close()
    assert list(tmp_path.iterdir()) == []


def _places(spool: FindingSpool) -> list[tuple[str, int]]:
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
    try:
        spool.add(_run("b.csv", range(5, 10)))
        spool.add(_run("a.csv", range(1, 4)))
        assert spool.held_bytes > 0
        assert list(tmp_path.iterdir()) == []  # nothing on disk
        assert _places(spool) == [("a.csv", r) for r in range(1, 4)] + [
            ("b.csv", r) for r in range(5, 10)
        ]
    finally:
        spool.close()


def test_past_the_budget_no_run_stays_in_memory(tmp_path: Path) -> None:
    first = _run("a.csv", range(1, 50)).cast(FINDINGS_SCHEMA)
    spool = FindingSpool(memory_bytes=first.nbytes + 10, directory=tmp_path)
    try:
        spool.add(first)
        assert spool.held_bytes == first.nbytes
        spool.add(_run("b.csv", range(50)))  # over the budget: both runs go to disk
        assert spool.held_bytes == 0
        spool.add(_run("c.csv", range(3)))  # small, but the spool is on disk now
        assert spool.held_bytes == 0
        assert _places(spool) == (
            [("a.csv", r) for r in range(1, 50)]
            + [("b.csv", r) for r in range(50)]
            + [("c.csv", r) for r in range(3)]
        )
    finally:
        spool.close()
    assert list(tmp_path.iterdir()) == []
