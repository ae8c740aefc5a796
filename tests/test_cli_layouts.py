"""The command line on dataset layouts (issue 12): offline audits of file-name manifests exit 0
or 1, a manifest that names no photo stops the audit with exit 2 and one line, and the reading
options (`--delimiter`, `--ids-from-filenames`, `--manifest-format`) reach the readers."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest
from cli_run import run_cli

from auditor.errors import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE

FLICKR8K_TOKEN = (
    "1000268201_693b08cb0e.jpg#0\tA child in a pink dress is climbing up a set of stairs .\n"
    "1000268201_693b08cb0e.jpg#1\tA girl going into a wooden building .\n"
    "1001773457_577c3a7d70.jpg#0\tA black dog and a spotted dog are fighting\n"
)


def one_line(err: str) -> str:
    """The error line, which is the last on stderr (an offline audit says so first)."""
    lines = [line for line in err.strip().splitlines() if not line.startswith("offline audit")]
    assert len(lines) == 1, err
    assert "Traceback" not in err and lines[0].startswith("flickr-audit: error: ")
    return lines[0]


@pytest.mark.parametrize("chunked", [True, False])
def test_offline_audit_of_a_file_name_manifest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], chunked: bool
) -> None:
    manifest = tmp_path / "Flickr8k.token.txt"
    manifest.write_text(FLICKR8K_TOKEN, encoding="utf-8")
    extra = [] if chunked else ["--format", "csv"]  # csv needs the whole-table path
    code, _, err = run_cli(
        ["audit", str(manifest), "--offline", "--output-dir", str(tmp_path / "out"), *extra], capsys
    )
    assert code in (EXIT_OK, EXIT_FINDINGS), err
    document = json.loads((tmp_path / "out" / "audit.json").read_text(encoding="utf-8"))
    assert document["summary"]["photos"] == 2


@pytest.mark.parametrize("chunked", [True, False])
def test_audit_of_a_manifest_without_photos_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], chunked: bool
) -> None:
    manifest = tmp_path / "faces.txt"
    manifest.write_text("0--Parade/0_Parade_1_849.jpg\n1\n449 330 122 149\n", encoding="utf-8")
    extra = [] if chunked else ["--format", "csv"]
    out = tmp_path / "out"
    code, _, err = run_cli(
        ["audit", str(manifest), "--offline", "--output-dir", str(out), *extra], capsys
    )
    assert code == EXIT_USAGE
    line = one_line(err)
    assert f"{manifest}: no Flickr photo found: read as urls, 3 row(s)" in line
    assert "--ids-from-filenames" not in line  # the numbers there are counts, not names
    assert not (out / "audit.json").exists()


def test_manifest_command_refuses_an_empty_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = tmp_path / "m.csv"
    manifest.write_text("image,caption\nIMG_1.jpg,a\n", encoding="utf-8")
    code, out, err = run_cli(["manifest", str(manifest)], capsys)
    assert code == EXIT_USAGE and out == ""
    assert "no Flickr photo found: read as csv, 1 row(s)" in one_line(err)


def test_ids_from_filenames_and_delimiter_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = tmp_path / "m.txt"
    manifest.write_text("img/1000092795.jpg:x\nimg/10002456.jpg:y\n", encoding="utf-8")
    code, _, err = run_cli(["manifest", str(manifest), "--delimiter", ":"], capsys)
    assert code == EXIT_USAGE
    assert "pass --ids-from-filenames" in one_line(err)
    args = ["manifest", str(manifest), "--delimiter", ":", "--ids-from-filenames"]
    code, out, err = run_cli(args, capsys)
    assert code == EXIT_OK, err
    table = pd.read_csv(io.StringIO(out), dtype=str)
    assert table["photo_id"].tolist() == ["1000092795", "10002456"]
    assert table["source_format"].tolist() == ["table", "table"]


@pytest.mark.parametrize("value", ["ab", "\n", '"'])
def test_bad_delimiter_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    manifest = tmp_path / "m.txt"
    manifest.write_text("https://flic.kr/p/2\n", encoding="utf-8")
    code, _, err = run_cli(["manifest", str(manifest), "--delimiter", value], capsys)
    assert code == EXIT_USAGE
    assert "--delimiter" in err


def test_manifest_format_that_does_not_fit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = tmp_path / "Flickr8k.token.txt"
    manifest.write_text(FLICKR8K_TOKEN, encoding="utf-8")
    code, _, err = run_cli(["manifest", str(manifest), "--manifest-format", "yfcc100m"], capsys)
    assert code == EXIT_USAGE
    assert one_line(err).endswith(
        "does not fit --manifest-format yfcc100m: it looks like a text table separated by tab "
        "(tsv); drop the option to read it as that"
    )
