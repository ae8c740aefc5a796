"""photos.csv and the Parquet files written in pieces (`report.streamed`)."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from auditor.engine.evaluate import annotate, empty_findings
from auditor.photo_table import empty_photo_table
from auditor.report.formats import AuditTables, write_files
from auditor.report.streamed import StreamedFormats


def test_nothing_added_writes_what_the_whole_table_writers_write_for_no_row(
    tmp_path: Path,
) -> None:
    streamed = StreamedFormats(tmp_path / "s", ("csv", "parquet"))
    paths = streamed.finish()
    assert sorted(p.name for p in paths) == ["findings.parquet", "photos.csv", "photos.parquet"]
    photos = annotate(empty_photo_table())
    tables = AuditTables({}, empty_findings(), photos, None, None, ())  # type: ignore[arg-type]
    write_files(tables, ("csv", "parquet"), tmp_path)
    assert (tmp_path / "s" / "photos.csv").read_bytes() == (tmp_path / "photos.csv").read_bytes()
    assert (tmp_path / "photos.csv").read_text().count("\n") == 1  # the header alone
    for name in ("findings.parquet", "photos.parquet"):
        got, want = pq.read_table(tmp_path / "s" / name), pq.read_table(tmp_path / name)
        assert got.schema == want.schema
        assert got.num_rows == want.num_rows == 0


def test_an_unfinished_writer_leaves_no_file_and_no_folder_it_made(tmp_path: Path) -> None:
    out = tmp_path / "new" / "reports"
    streamed = StreamedFormats(out, ("csv", "parquet"))
    streamed.add_photos(annotate(empty_photo_table()))
    assert [p.name for p in out.iterdir()]  # the temporary files
    streamed.close()
    assert not out.exists()


def test_only_csv_and_parquet_are_written_in_pieces(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="html"):
        StreamedFormats(tmp_path, ("csv", "html"))
    assert StreamedFormats(tmp_path, ("parquet",)).wants_photos
