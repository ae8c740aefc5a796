"""The formats beyond the record that an offline audit writes as its chunks come.

`--format csv` (photos.csv) and `--format parquet` (photos.parquet, findings.parquet) hold one
row per photo row or per finding, nothing that needs the whole audit first, so the chunked
pipeline (`auditor.pipeline`) writes them piece by piece in bounded memory instead of reading
its manifests whole: photo rows in table order as each chunk is judged, findings in report
order as `finish` goes through them. The files are those the whole-table writers
(`formats.write_photos_csv`, `parquet.write_parquet`) write for the same input: photos.csv byte
for byte, the Parquet files with the same rows, columns and types (one row group per chunk).
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path
from typing import IO

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from auditor.engine.evaluate import annotate, empty_findings
from auditor.findings import finding_columns
from auditor.outputs import cannot_write
from auditor.photo_table import empty_photo_table
from auditor.report.formats import PHOTO_COLUMNS, STREAMED_FORMATS
from auditor.report.parquet import typed_table
from auditor.report.write import ReportFiles
from auditor.safe_csv import CSV_WRITE_OPTIONS, defuse_frame


class StreamedFormats:
    """photos.csv, photos.parquet and findings.parquet, as `formats` asks, written in pieces
    into `out_dir`: `add_photos` per judged chunk, `add_findings` per batch in report order,
    then `finish`. Nothing replaces an earlier file until `finish`; `close` removes what an
    unfinished writer left."""

    def __init__(self, out_dir: Path, formats: Sequence[str]) -> None:
        unknown = set(formats) - STREAMED_FORMATS
        if unknown:
            raise ValueError(f"not written in pieces: {', '.join(sorted(unknown))}")
        self.out_dir = Path(out_dir)
        self._created = not self.out_dir.exists()
        try:
            self.out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise cannot_write(error, self.out_dir) from error
        self._csv = "csv" in formats
        self._parquet = "parquet" in formats
        self._files = ReportFiles(self.out_dir)
        self._handles: list[IO[bytes]] = []
        self._photos_csv: pa_csv.CSVWriter | None = None
        self._photos_parquet: pq.ParquetWriter | None = None
        self._findings_parquet: pq.ParquetWriter | None = None

    @property
    def wants_photos(self) -> bool:
        return self._csv or self._parquet

    def add_photos(self, annotated: pd.DataFrame) -> None:
        """One chunk's photo table as annotated for the policy (`engine.annotate`), in table
        order."""
        try:
            if self._csv:
                columns = [name for name in PHOTO_COLUMNS if name in annotated.columns]
                table = pa.Table.from_pandas(defuse_frame(annotated[columns]), preserve_index=False)
                if self._photos_csv is None:
                    handle = self._open("photos.csv")
                    self._photos_csv = pa_csv.CSVWriter(
                        handle, table.schema, write_options=CSV_WRITE_OPTIONS
                    )
                self._photos_csv.write_table(table)
            if self._parquet:
                photos = typed_table(annotated, PHOTO_COLUMNS)
                if self._photos_parquet is None:
                    self._photos_parquet = self._parquet_writer("photos.parquet", photos.schema)
                self._photos_parquet.write_table(photos)
        except OSError as error:
            raise cannot_write(error, self.out_dir) from error

    def add_findings(self, findings: pa.Table) -> None:
        """A batch of findings (`encode.findings_arrow` columns), in report order."""
        if not self._parquet or findings.num_rows == 0:
            return
        frame = findings.to_pandas()
        self._write_findings(typed_table(frame, finding_columns(frame.columns)))

    def finish(self) -> list[Path]:
        """Close the files (those that got no row: their header or schema alone) and put
        them in place; their paths."""
        try:
            if (self._csv and self._photos_csv is None) or (
                self._parquet and (self._photos_parquet is None)
            ):
                self.add_photos(annotate(empty_photo_table()))
            if self._parquet and self._findings_parquet is None:
                empty = empty_findings()
                self._write_findings(typed_table(empty, finding_columns(empty.columns)))
            for writer in (self._photos_csv, self._photos_parquet, self._findings_parquet):
                if writer is not None:
                    writer.close()
            self._photos_csv = self._photos_parquet = self._findings_parquet = None
            for handle in self._handles:
                self._files.close(handle)
            self._handles.clear()
            paths = list(self._files.temps)
            self._files.commit()
        except OSError as error:
            raise cannot_write(error, self.out_dir) from error
        finally:
            self.close()
        return paths

    def close(self) -> None:
        """Remove every temporary file (after `finish`, none is left)."""
        for writer in (self._photos_csv, self._photos_parquet, self._findings_parquet):
            if writer is not None:
                with contextlib.suppress(Exception):  # half-written: it goes anyway
                    writer.close()
        self._photos_csv = self._photos_parquet = self._findings_parquet = None
        for handle in self._handles:
            with contextlib.suppress(OSError):
                handle.close()
        self._handles.clear()
        self._files.discard()
        if self._created:
            with contextlib.suppress(OSError):
                self.out_dir.rmdir()  # only when empty: a folder this writer made for nothing

    def _write_findings(self, table: pa.Table) -> None:
        try:
            if self._findings_parquet is None:
                self._findings_parquet = self._parquet_writer("findings.parquet", table.schema)
            self._findings_parquet.write_table(table)
        except OSError as error:
            raise cannot_write(error, self.out_dir) from error

    def _open(self, name: str) -> IO[bytes]:
        handle = self._files.create(name)
        self._handles.append(handle)
        return handle

    def _parquet_writer(self, name: str, schema: pa.Schema) -> pq.ParquetWriter:
        return pq.ParquetWriter(self._open(name), schema, compression="zstd")
