"""The `flickr-audit` command line: output, files written, exit codes and one-line errors."""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from cli_run import run_cli

import auditor.audit
import auditor.manifests.read
from auditor.errors import EXIT_FINDINGS, EXIT_INTERNAL, EXIT_OK, EXIT_USAGE
from auditor.photo_table import PHOTO_COLUMNS
from auditor.resources import example_manifest


def assert_one_line_error(err: str, *fragments: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert lines[0].startswith("flickr-audit: error: ")
    for fragment in fragments:
        assert fragment in lines[0]


def test_manifest_prints_the_photo_table_as_csv(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(["manifest", str(example_manifest())], capsys)
    assert code == EXIT_OK
    table = pd.read_csv(io.StringIO(out), dtype=str, keep_default_na=False)
    assert list(table.columns) == list(PHOTO_COLUMNS)
    assert len(table) == 22
    assert table["source_row"].tolist() == [str(n) for n in range(2, 24)]
    first = table.iloc[0]
    assert (first.photo_id, first.owner, first.owner_kind) == (
        "48311502246",
        "24681357@N02",
        "nsid",
    )
    assert first.recorded_licence == "cc-by-nc-2.0"
    assert "1 file(s), 22 row(s), 19 distinct photo(s)" in err
    assert "1 duplicate(s), 2 without a Flickr photo id, 2 with an unresolved licence" in err


def test_manifest_defuses_formulas_in_csv(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run_cli(["manifest", str(example_manifest())], capsys)
    table = pd.read_csv(io.StringIO(out), dtype=str, keep_default_na=False)
    formula_row = table[table["photo_id"] == "35188234120"].iloc[0]
    assert formula_row.owner_name.startswith("'=HYPERLINK(")
    assert formula_row.title == "<script>alert('title')</script>"  # CSV keeps text as text


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_manifest_writes_by_suffix(
    suffix: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "out" / f"photos{suffix}"
    code, out, err = run_cli(["manifest", str(example_manifest()), "-o", str(target)], capsys)
    assert code == EXIT_OK
    assert out == ""
    assert f"wrote 22 row(s) to {target}" in err
    if suffix == ".csv":
        table = pd.read_csv(target, dtype=str)
    elif suffix == ".jsonl":
        table = pd.read_json(target, lines=True, dtype=False)
    else:
        table = pd.read_parquet(target)
    assert list(table.columns) == list(PHOTO_COLUMNS)
    assert len(table) == 22
    assert str(table["photo_id"].iloc[0]) == "48311502246"
    assert [p.name for p in target.parent.iterdir()] == [target.name]  # no temporary left


def test_manifest_rejects_an_unknown_output_suffix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "x.xlsx"
    code, _, err = run_cli(["manifest", str(example_manifest()), "-o", str(target)], capsys)
    assert code == EXIT_USAGE
    assert "unknown suffix" in err
    assert not (tmp_path / "x.xlsx").exists()


def test_several_files_are_one_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = tmp_path / "a.txt"
    first.write_text("https://flic.kr/p/2i1si16\n7088065\n", encoding="utf-8")
    second = tmp_path / "b.csv"
    second.write_text("photo_id,license\n7088065,4\n", encoding="utf-8")
    code, out, err = run_cli(["manifest", str(first), str(second)], capsys)
    assert code == EXIT_OK
    table = pd.read_csv(io.StringIO(out), dtype=str, keep_default_na=False)
    assert table["photo_id"].tolist() == ["49231887705", "7088065", "7088065"]
    assert table["source_format"].tolist() == ["urls", "urls", "csv"]
    assert table["recorded_licence"].tolist() == ["unknown", "unknown", "cc-by-2.0"]
    assert "2 file(s), 3 row(s), 2 distinct photo(s)" in err
    assert "1 duplicate(s)" in err


def test_format_override_and_column_positions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = tmp_path / "list.dat"
    manifest.write_text("x,7088065,2\ny,343224206,4\n", encoding="utf-8")
    code, out, _ = run_cli(
        ["manifest", str(manifest), "--format", "csv", "--id-column", "2", "--licence-column", "3"],
        capsys,
    )
    assert code == EXIT_OK
    table = pd.read_csv(io.StringIO(out), dtype=str, keep_default_na=False)
    assert table["photo_id"].tolist() == ["7088065", "343224206"]
    assert table["recorded_licence"].tolist() == ["cc-by-nc-2.0", "cc-by-2.0"]
    assert table["source_row"].tolist() == ["1", "2"]


@pytest.mark.parametrize(
    ("name", "content", "fragments"),
    [
        ("empty.csv", b"", ["empty.csv", "is empty"]),
        ("blank.csv", b"  \n\n", ["blank.csv", "is empty"]),
        ("cut.json", b'{"images": [{"id": 1,\n "url": "h', ["cut.json:2", "truncated"]),
        ("bad.csv", b"photo_id\n1\n\xff\n", ["bad.csv:3", "invalid UTF-8"]),
        ("odd.json", b'{"foo": 1}', ["odd.json", "no known manifest shape"]),
        ("nohead.csv", b"7088065,by\n343224206,by\n", ["nohead.csv:1", "--id-column N"]),
        ("cols.csv", b"a,b\n1,2\n", ["cols.csv:1", "--id-column or --url-column"]),
        ("blob.bin", b"\x89PNG\r\n\x1a\n\x00\x00", ["blob.bin", "binary file"]),
    ],
)
def test_bad_input_exits_2_with_one_line(
    name: str,
    content: bytes,
    fragments: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    code, out, err = run_cli(["manifest", str(path)], capsys)
    assert code == EXIT_USAGE
    assert out == ""
    assert_one_line_error(err, *fragments)


def test_missing_file_and_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["manifest", str(tmp_path / "nope.csv")], capsys)
    assert code == EXIT_USAGE
    assert_one_line_error(err, "nope.csv", "no such file")
    code, _, err = run_cli(["manifest", str(tmp_path)], capsys)
    assert code == EXIT_USAGE
    assert_one_line_error(err, "is a folder")


def test_unknown_column_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "m.csv"
    path.write_text("photo_id,licence\n7088065,4\n", encoding="utf-8")
    code, _, err = run_cli(["manifest", str(path), "--url-column", "link"], capsys)
    assert code == EXIT_USAGE
    assert_one_line_error(err, "m.csv:1", "--url-column 'link'", "photo_id, licence")


def test_compressed_manifest_is_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "m.csv.gz"
    path.write_bytes(gzip.compress(b"photo_id,license\n7088065,2\n"))
    code, out, _ = run_cli(["manifest", str(path)], capsys)
    assert code == EXIT_OK
    assert "7088065" in out and "cc-by-nc-2.0" in out


def test_unknown_format_and_no_files_are_usage_errors(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run_cli(["manifest", str(example_manifest()), "--format", "xml"], capsys)
    assert code == EXIT_USAGE
    assert "'xml' is not one of" in err
    code, _, err = run_cli(["manifest"], capsys)
    assert code == EXIT_USAGE
    assert "Missing argument" in err


def test_internal_error_is_one_line_exit_3(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(auditor.manifests.read, "read_manifests", broken)
    code, _, err = run_cli(["manifest", str(example_manifest())], capsys)
    assert code == EXIT_INTERNAL
    assert err.strip().splitlines() == [
        (
            "flickr-audit: internal error: RuntimeError: boom "
            "(rerun with --debug for the traceback, and please report it)"
        )
    ]
    # --debug shows the traceback, and still exits 3 (1 would read as "findings").
    code, _, err = run_cli(["--debug", "manifest", str(example_manifest())], capsys)
    assert code == EXIT_INTERNAL and "Traceback" in err and "RuntimeError: boom" in err


def test_licences_lists_the_catalogue(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["licences"], capsys)
    assert code == EXIT_OK
    lines = out.strip().splitlines()
    assert len(lines) == 18  # header + Flickr's licence ids 0-16
    assert "all-rights-reserved" in lines[1]
    assert "cc-by-nc-nd-4.0" in lines[-1]
    code, out, _ = run_cli(["licences", "--as", "json"], capsys)
    records = json.loads(out)
    assert [r["id"] for r in records] == list(range(17))
    assert records[2]["slug"] == "cc-by-nc-2.0" and records[2]["nc"] is True
    code, out, _ = run_cli(["licences", "--as", "csv"], capsys)
    assert out.splitlines()[0].startswith("id,slug,")


def test_formats_lists_every_reader(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["formats"], capsys)
    assert code == EXIT_OK
    names = [line.split()[0] for line in out.strip().splitlines()]
    for expected in (
        "coco",
        "ffhq",
        "openimages",
        "yfcc100m",
        "openverse",
        "flickr-api",
        "csv",
        "tsv",
        "jsonl",
        "parquet",
        "urls",
    ):
        assert expected in names


def test_python_dash_m_runs_the_same_cli() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "auditor", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert result.stdout.startswith("flickr-audit, version ")


# --- flickr-audit audit ----------------------------------------------------------------------


def test_audit_with_no_arguments_audits_the_example(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FLICKR_API_KEY", raising=False)
    code, out, err = run_cli(["audit"], capsys)
    assert code == EXIT_FINDINGS
    assert out == ""
    lines = err.splitlines()
    # The answer first, then how it was judged.
    assert lines[0] == (
        "11 of 19 photos usable for commercial-training by the licences the manifests record"
    )
    assert "offline audit (no FLICKR_API_KEY): deletions, privacy" in err
    assert "findings (one per row and rule): 11 errors, 2 warnings, 0 notes; 0 waived" in err
    # The Wikimedia row is another host's: counted, not a no-photo-id finding.
    assert "not audited: 1 row of other image hosts (upload.wikimedia.org 1)" in err
    reports = tmp_path / "reports" / "example-manifest"
    assert sorted(p.name for p in reports.iterdir()) == [
        "audit.json",
        "findings.csv",
        "owners.csv",
        "summary.md",
    ]
    document = json.loads((reports / "audit.json").read_text(encoding="utf-8"))
    assert document["run"]["mode"] == "offline"
    assert document["summary"]["findings"] == {"error": 11, "warning": 2, "note": 0}
    assert document["summary"]["other_hosts"] == {"upload.wikimedia.org": 1}
    assert len(document["findings"]) == 13
    findings = pd.read_csv(reports / "findings.csv", dtype=str)
    assert len(findings) == 13


@pytest.mark.parametrize(
    ("fail_on", "expected"),
    [("error", EXIT_FINDINGS), ("warning", EXIT_FINDINGS), ("never", EXIT_OK)],
)
def test_audit_fail_on(
    fail_on: str, expected: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["audit", "--output-dir", str(tmp_path), "--fail-on", fail_on, "--offline"]
    code, _, err = run_cli(args, capsys)
    assert code == expected
    lines = err.splitlines()
    assert lines[0].endswith(
        "photos usable for commercial-training by the licences the manifests record"
    )
    assert any(line.startswith("offline audit (--offline)") for line in lines)


def test_audit_passes_a_clean_manifest(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = tmp_path / "clean.csv"
    manifest.write_text("photo_id,license\n7088065,9\n343224206,10\n", encoding="utf-8")
    code, _, err = run_cli(["audit", str(manifest), "--output-dir", str(tmp_path / "r")], capsys)
    assert code == EXIT_OK
    assert err.startswith("2 of 2 photos usable for commercial-training")
    assert "findings (one per row and rule): 0 errors" in err


def test_audit_waivers_take_findings_out_of_the_exit_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = tmp_path / "m.csv"
    manifest.write_text("photo_id,license\n7088065,2\n", encoding="utf-8")
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(
        "- rule: non-commercial\n  photo_id: 7088065\n  reason: written permission\n"
        "  approved_by: legal\n  expires: never\n"
        "- rule: no-such-rule\n  photo_id: 1\n  reason: x\n  approved_by: y\n  expires: never\n",
        encoding="utf-8",
    )
    args = ["audit", str(manifest), "--waivers", str(waivers), "--output-dir", str(tmp_path / "r")]
    code, _, err = run_cli(args, capsys)
    assert code == EXIT_OK
    assert "1 waived" in err
    assert "no-such-rule" in err
    document = json.loads((tmp_path / "r" / "audit.json").read_text(encoding="utf-8"))
    assert [f["waived"] for f in document["findings"]] == [True]


def test_audit_policy_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["audit", "--policy", "no-such-policy"], capsys)
    assert code == EXIT_USAGE
    assert_one_line_error(err, "no-such-policy", "commercial-training")
    bad = tmp_path / "mine.yaml"
    bad.write_text(
        "id: mine\ndescription: ours\nextends: commercial-training\nseverities:\n"
        "  duplicate: loud\n"
    )
    code, _, err = run_cli(["audit", "--policy", str(bad)], capsys)
    assert code == EXIT_USAGE
    assert_one_line_error(err, "mine.yaml:5:14", "loud", "error, warning, note")
    broken = tmp_path / "waivers.yaml"
    broken.write_text("- rule: [unclosed\n")
    code, _, err = run_cli(["audit", "--waivers", str(broken)], capsys)
    assert code == EXIT_USAGE
    assert_one_line_error(err, "waivers.yaml:")


def test_policies_lists_the_shipped_uses(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["policies"], capsys)
    assert code == EXIT_OK
    names = [line.split()[0] for line in out.strip().splitlines()]
    assert names == [
        "commercial-release",
        "commercial-training",
        "dataset-release",
        "research-training",
    ]


def test_audit_lists_every_manifest_with_its_notes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    coco = tmp_path / "coco.json"
    coco.write_text(
        json.dumps(
            {"images": [{"id": 1, "license": 4, "flickr_url": "https://flic.kr/p/2i1si16"}]}
        ),
        encoding="utf-8",
    )
    urls = tmp_path / "list.txt"
    urls.write_text("7088065\n", encoding="utf-8")
    _, _, err = run_cli(
        ["audit", str(coco), str(urls), "--output-dir", str(tmp_path / "r")], capsys
    )
    lines = err.splitlines()
    assert lines[1] == f"{coco}: coco, 1 row(s)"
    assert lines[2].startswith("  note: no `licenses` table")
    assert lines[3] == f"{urls}: urls, 1 row(s)"


@pytest.fixture
def arrow_pool():
    """Arrow's default memory pool, put back after the test."""
    import pyarrow as pa

    before = pa.default_memory_pool()
    yield pa
    pa.set_memory_pool(before)


def test_the_cli_gives_arrow_jemalloc_unless_the_user_chose_a_pool(arrow_pool):
    from auditor.cli import _prefer_jemalloc

    if "jemalloc" not in arrow_pool.supported_memory_backends():
        pytest.skip("this pyarrow was built without jemalloc")
    arrow_pool.set_memory_pool(arrow_pool.system_memory_pool())
    _prefer_jemalloc({"ARROW_DEFAULT_MEMORY_POOL": "system"})
    assert arrow_pool.default_memory_pool().backend_name == "system"
    _prefer_jemalloc({})
    assert arrow_pool.default_memory_pool().backend_name == "jemalloc"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("terminal", [True, False])
def test_progress_bars_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch, terminal: bool) -> None:
    # As tqdm's `disable=None`: a bar where stderr is a terminal, nothing (and no tqdm) where
    # it is a pipe or a file (CI logs).
    from auditor.cli import _Progress

    stderr = _Terminal() if terminal else io.StringIO()
    monkeypatch.setattr(sys, "stderr", stderr)
    if not terminal:
        monkeypatch.setitem(sys.modules, "tqdm", None)  # importing it would fail
    progress = _Progress()
    progress.rows(1_000, 4_096, 8_192)
    progress.rows(2_000, 8_192, 8_192)
    progress.close()
    shown = stderr.getvalue()
    assert ("reading" in shown and "2,000 rows" in shown) if terminal else shown == ""
