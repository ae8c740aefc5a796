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
