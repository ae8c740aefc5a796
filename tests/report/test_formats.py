"""`--format`: the report formats chosen on the command line, and photos.csv."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from cli_run import run_cli

from auditor.errors import EXIT_FINDINGS
from auditor.report.formats import FORMATS, file_writers, needs_whole_tables
from auditor.resources import example_manifest


def _document(path: Path) -> dict[str, object]:
    document = json.loads(path.read_text(encoding="utf-8"))
    for moment in ("started_at", "finished_at"):
        document["run"].pop(moment)
    return document


def _without_times(path: Path) -> list[str]:
    return [line for line in path.read_text().splitlines() if not line.startswith("- Run: ")]


def test_record_formats_stream_and_others_need_whole_tables() -> None:
    assert not needs_whole_tables(["json"]) and not needs_whole_tables(["json", "md"])
    assert all(needs_whole_tables([name]) for name in ("csv", "html", "sarif", "junit", "github"))
    assert [name for name, _ in file_writers(["csv"])] == ["csv"]
    assert file_writers(["json", "md", "github"]) == []
    assert set(FORMATS) == {"json", "csv", "md", "html", "sarif", "junit", "github"}


def test_photos_csv_and_the_same_record_either_way(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With --format csv the offline audit reads the manifest whole; its record (audit.json,
    findings.csv, owners.csv, summary.md) is the same as the streaming audit's."""
    streamed, whole = tmp_path / "streamed", tmp_path / "whole"
    code, _, _ = run_cli(["audit", "--offline", "--output-dir", str(streamed)], capsys)
    assert code == EXIT_FINDINGS
    code, _, err = run_cli(
        ["audit", "--offline", "--format", "csv", "--output-dir", str(whole)], capsys
    )
    assert code == EXIT_FINDINGS and "photos.csv" in err
    assert _document(streamed / "audit.json") == _document(whole / "audit.json")
    for name in ("findings.csv", "owners.csv"):
        assert (streamed / name).read_bytes() == (whole / name).read_bytes(), name
    assert _without_times(streamed / "summary.md") == _without_times(whole / "summary.md")
    photos = pd.read_csv(whole / "photos.csv", dtype=str, keep_default_na=False)
    manifest = pd.read_csv(example_manifest(), dtype=str, keep_default_na=False)
    # Every row but the Wikimedia one, which is another host's (summary.other_hosts).
    assert len(photos) == len(manifest) - 1
    assert list(photos.columns[:3]) == ["photo_id", "owner", "owner_name"]
    first = photos.iloc[0]
    assert (first["photo_id"], first["effective_licence"]) == ("48311502246", "cc-by-nc-2.0")
    assert first["source_row"] == "2"  # the header is line 1
    for column in photos.columns:
        assert not photos[column].str.match(r"[=+\-@]").any(), column
