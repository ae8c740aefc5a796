"""Findings kept between evaluating a chunk and writing the reports, in report order.

The reports list findings by source file, then source row (then the row's place in the table,
then rule order), but chunks arrive in table order, and audit.json's header (counts, owners)
can only be written once every chunk is counted. Each chunk's findings (already in report order
among themselves, see `engine.evaluate`) are kept as one run: in memory while the runs are
small, else appended to an Arrow IPC file on disk and read back run by run, so memory stays
bounded whatever the size of the audit.

Runs are put in order by their first (file, row). Runs whose (file, row) ranges overlap (a file
named twice, small files sharing a chunk) are merged by a stable sort on (file, row), which keeps
the order of their chunks, hence of table positions, among equal rows.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from auditor.report.encode import FINDINGS_SCHEMA
from auditor.report.steps import StepsBehind

# Findings kept in memory before runs go to disk. Small: the disk's copy is read back once, at
# the end (for audit.json's rows and summary.md), and every byte held here counts in the
# audit's peak memory. Past it, the runs held go to disk too.
MEMORY_BYTES = 64 << 20
# Runs on disk are compressed: their columns repeat (rules, messages, licences, files, owners),
# so LZ4 makes them several times smaller for little CPU, and past a few million findings the
# disk, not the CPU, is what an audit waits for.
_IPC_OPTIONS = pa.ipc.IpcWriteOptions(compression="lz4")


@dataclass
class _Run:
    first: tuple[str, int]
    last: tuple[str, int]
    table: pa.Table | None  # in memory, or None when on disk
    batches: range  # its record batches in the spool file


def _key(table: pa.Table, row: int) -> tuple[str, int]:
    file = table.column("source_file")[row].as_py()
    source_row = table.column("source_row")[row].as_py()
    return (file or "", -1 if source_row is None else int(source_row))


class FindingSpool:
    """Runs of findings (`encode.FINDINGS_SCHEMA` tables), handed back in report order."""

    def __init__(self, memory_bytes: int | None = None, directory: Path | None = None) -> None:
        self._memory_bytes = MEMORY_BYTES if memory_bytes is None else memory_bytes
        self._directory = directory
        self._runs: list[_Run] = []
        self._held = 0
        self._temp: tempfile.TemporaryDirectory[str] | None = None
        self._writer: pa.ipc.RecordBatchFileWriter | None = None
        self._written = 0  # record batches in the spool file
        self._reader: pa.ipc.RecordBatchFileReader | None = None
        self._source: pa.NativeFile | None = None
        # Runs are written to disk by a thread (compressing and writing release the GIL), one
        # at most waiting: the judging of the next chunk goes on meanwhile.
        self._steps: StepsBehind | None = None

    def add(self, table: pa.Table) -> None:
        """Keep one chunk's findings, sorted as the reports list them."""
        if table.num_rows == 0:
            return
        table = table.cast(FINDINGS_SCHEMA)
        run = _Run(_key(table, 0), _key(table, table.num_rows - 1), table, range(0))
        self._runs.append(run)
        if self._writer is None and self._held + table.nbytes <= self._memory_bytes:
            self._held += table.nbytes
            return
        # An audit whose findings outgrow the budget keeps none in memory: the first chunks'
        # would otherwise stay to the end, a chunk's worth (50 MB at 200k YFCC100M rows) of
        # its peak memory.
        for kept in self._runs:
            if kept.table is not None:
                self._to_disk(kept)
        self._held = 0

    @property
    def held_bytes(self) -> int:
        """Bytes of findings kept in memory."""
        return self._held

    def _to_disk(self, run: _Run) -> None:
        assert run.table is not None
        if self._writer is None:
            self._temp = tempfile.TemporaryDirectory(prefix="flickr-audit-", dir=self._directory)
            path = Path(self._temp.name) / "findings.arrow"
            self._writer = pa.ipc.new_file(str(path), FINDINGS_SCHEMA, options=_IPC_OPTIONS)
            self._steps = StepsBehind(depth=1, name="flickr-audit-spool")
        assert self._steps is not None
        batches = run.table.to_batches()
        run.batches = range(self._written, self._written + len(batches))
        self._written += len(batches)
        run.table = None
        self._steps.then(self._write, self._writer, batches)

    @staticmethod
    def _write(writer: pa.ipc.RecordBatchFileWriter, batches: list[pa.RecordBatch]) -> None:
        for batch in batches:
            writer.write_batch(batch)

    def _table(self, run: _Run) -> pa.Table:
        if run.table is not None:
            return run.table
        if self._reader is None:
            assert self._writer is not None and self._temp is not None
            assert self._steps is not None
            self._steps.wait()  # every run written
            self._writer.close()
            # Read, not memory-mapped: mapped pages would count as resident memory until the
            # end, as much as the spool holds; read buffers are freed run by run.
            self._source = pa.OSFile(str(Path(self._temp.name) / "findings.arrow"))
            self._reader = pa.ipc.open_file(self._source)
        return pa.Table.from_batches(
            [self._reader.get_batch(i) for i in run.batches], FINDINGS_SCHEMA
        )

    def batches(self) -> Iterator[pa.Table]:
        """The findings in report order, one table per run (or per group of overlapping
        runs)."""
        ordered = sorted(enumerate(self._runs), key=lambda item: (item[1].first, item[0]))
        group: list[tuple[int, _Run]] = []
        reach = ("", 0)
        for number, run in ordered:
            if group and run.first > reach:
                yield self._merged(group)
                group = []
            reach = run.last if not group else max(reach, run.last)
            group.append((number, run))
        if group:
            yield self._merged(group)

    def _merged(self, group: list[tuple[int, _Run]]) -> pa.Table:
        if len(group) == 1:
            return self._table(group[0][1])
        # Chunk order first, then a stable sort on (file, row).
        table = pa.concat_tables([self._table(run) for _, run in sorted(group, key=lambda g: g[0])])
        order = pc.sort_indices(
            table, sort_keys=[("source_file", "ascending"), ("source_row", "ascending")]
        )
        return table.take(order)

    def close(self) -> None:
        if self._steps is not None:
            with contextlib.suppress(Exception):  # (an error writing: the audit stops anyway)
                self._steps.wait()
            self._steps.shutdown()
            self._steps = None
        if self._writer is not None and self._reader is None:
            self._writer.close()
        self._reader = None
        if self._source is not None:
            self._source.close()
            self._source = None
        self._runs.clear()
        if self._temp is not None:
            self._temp.cleanup()
            self._temp = None
