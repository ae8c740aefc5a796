"""`flickr-audit audit FOLDER`: a folder or glob of shards audited as one dataset."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from cli_run import run_cli
from laion_shards import write_shards

from auditor.errors import EXIT_FINDINGS, EXIT_USAGE


def test_a_folder_of_laion_shards_is_one_dataset(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shards = write_shards(tmp_path / "laion", 3, 600)
    out = tmp_path / "out"
    code, _, err = run_cli(
        ["audit", str(tmp_path / "laion"), "--offline", "--output-dir", str(out)], capsys
    )
    assert code == EXIT_FINDINGS, err
    document = json.loads((out / "audit.json").read_text("utf-8"))
    assert document["run"]["manifests"] == [str(path) for path in shards]
    summary = document["summary"]
    hosts = summary["other_hosts"]
    assert set(hosts) == {
        "i.pinimg.com",
        "upload.wikimedia.org",
        "cdn.shopify.com",
        "images.example.org",
        "i.ebayimg.com",
    }
    assert summary["rows"] + sum(hosts.values()) == 1800
    assert "not audited:" in err and "rows of other image hosts" in err
    findings = pd.read_csv(out / "findings.csv", dtype=str, keep_default_na=False)
    # Only Flickr rows without a photo id (album links) are no-photo-id findings.
    no_id = findings[findings["rule"] == "no-photo-id"]
    assert len(no_id) == summary["by_rule"].get("no-photo-id", 0)
    assert len(no_id) < 10
    # Photo ids repeat across shards: duplicates name the first listing in another shard.
    duplicates = findings[findings["rule"] == "duplicate"]
    assert (duplicates["message"].str.contains("00000.parquet")).any()
    assert (duplicates["source_file"] != duplicates["source_file"].iloc[0]).any()
    # The same as naming the shards one by one, or by a glob.
    again = tmp_path / "again"
    code, _, _ = run_cli(
        ["audit", str(tmp_path / "laion" / "*.parquet"), "--offline", "--output-dir", str(again)],
        capsys,
    )
    assert code == EXIT_FINDINGS
    assert (again / "findings.csv").read_bytes() == (out / "findings.csv").read_bytes()


def test_a_folder_without_shards_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "empty").mkdir()
    code, _, err = run_cli(["audit", str(tmp_path / "empty"), "--offline"], capsys)
    assert code == EXIT_USAGE
    assert len(err.strip().splitlines()) == 1 and "is a folder with no shards" in err


def test_a_bad_shard_stops_the_audit_or_is_skipped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shards = write_shards(tmp_path / "laion", 3, 200)
    shards[1].write_bytes(b"PAR1 not Parquet")
    out = tmp_path / "out"
    args = ["audit", str(tmp_path / "laion"), "--offline", "--output-dir", str(out)]
    code, _, err = run_cli(args, capsys)
    assert code == EXIT_USAGE
    assert str(shards[1]) in err.strip().splitlines()[-1]
    assert not out.exists()
    code, _, err = run_cli([*args, "--skip-bad-shards"], capsys)
    assert code == EXIT_FINDINGS, err
    assert f"skipped shard: {shards[1]}" in err
    findings = pd.read_csv(out / "findings.csv", dtype=str, keep_default_na=False)
    assert set(findings["source_file"]) == {str(shards[0]), str(shards[2])}
    # Only where the manifests are streamed: the whole-table path reads every one.
    code, _, err = run_cli([*args, "--skip-bad-shards", "--format", "html"], capsys)
    assert code == EXIT_USAGE and "--skip-bad-shards applies to" in err


def test_reports_inside_the_shard_folder_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_shards(tmp_path / "laion", 1, 10)
    out = tmp_path / "laion" / "reports"
    code, _, err = run_cli(
        ["audit", str(tmp_path / "laion"), "--offline", "--output-dir", str(out)], capsys
    )
    assert code == EXIT_USAGE and "is inside the shard folder" in err
    assert not out.exists()
