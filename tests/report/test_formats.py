"""`--format`: the report formats chosen on the command line, and photos.csv."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from cli_run import run_cli

from auditor.errors import EXIT_FINDINGS
from auditor.report.formats import FORMATS, REGISTRY, chosen, needs_whole_tables, report_files
from auditor.resources import example_manifest


def _document(path: Path) -> dict[str, object]:
    document = json.loads(path.read_text(encoding="utf-8"))
    for moment in ("started_at", "finished_at"):
        document["run"].pop(moment)
    return document


def _without_times(path: Path) -> list[str]:
    return [line for line in path.read_text().splitlines() if not line.startswith("- Run: ")]


def test_record_and_per_row_formats_stream_and_others_need_whole_tables() -> None:
    assert not needs_whole_tables(["json"]) and not needs_whole_tables(["json", "md"])
    # One row per photo row or per finding: written in pieces (`report.streamed`).
    assert not needs_whole_tables(["json", "csv", "parquet"])
    assert all(needs_whole_tables([name]) for name in ("html", "sarif", "junit", "github"))
    assert needs_whole_tables(["csv", "html"])
    assert set(FORMATS) == {"json", "csv", "md", "html", "sarif", "junit", "parquet", "github"}


def test_one_registry_of_formats_and_their_files() -> None:
    """Every format is a registry entry (github included): its files, and a writer unless it is
    the record every audit writes."""
    assert [entry.name for entry in chosen(["github", "csv", "json"])] == ["json", "csv", "github"]
    assert {name for name, entry in REGISTRY.items() if entry.record} == {"json", "md"}
    assert all(entry.writer for entry in REGISTRY.values() if not entry.record)
    assert REGISTRY["github"].files == ()
    assert report_files() == {
        "audit.json", "findings.csv", "owners.csv", "summary.md", "photos.csv", "report.html",
        "audit.sarif", "junit.xml", "findings.parquet", "photos.parquet",
    }  # fmt: skip
    with pytest.raises(ValueError, match="unknown report format"):
        chosen(["pdf"])


def test_photos_csv_and_the_same_record_either_way(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With --format csv the offline audit reads the manifest whole; its record (audit.json,
    findings.csv, owners.csv, summary.md) is the same as the streaming audit's."""
    streamed, whole = tmp_path / "streamed", tmp_path / "whole"
    code, _, err0 = run_cli(["audit", "--offline", "--output-dir", str(streamed)], capsys)
    assert code == EXIT_FINDINGS, err0
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
