"""`flickr-audit audit --baseline / --clean-manifest / --credits`, end to end and offline."""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_run import run_cli
from junitparser import JUnitXml
from playwright.sync_api import Browser
from sarif_validator import assert_valid, find_multitool, validate

from auditor.engine import load_policy
from auditor.engine.evaluate import annotate
from auditor.errors import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE
from auditor.licences import load_catalogue
from auditor.manifests.read import read_manifests
from auditor.report import REPORT_FILES
from auditor.report.formats import FORMATS as REPORT_FORMATS

Write = Callable[[str, str | bytes], Path]

HOSTILE_CSV = (
    "photo_id,owner,owner_name,license,title\n"
    '1001,12345678@N01,<script>alert(1)</script>,cc-by-2.0,"=HYPERLINK(""http://evil"",""x"")"\n'
    '1002,bob,"<img src=x onerror=alert(1)>",cc-by-nc-2.0,"two\nlines"\n'
    "1003,carol,=cmd|' /C calc'!A0,cc-by-sa-2.0,<img onerror=alert(2)>\n"
    "1004,dave,@SUM(1),all-rights-reserved,+1\n"
    "1001,12345678@N01,Alice,cc-by-2.0,listed twice\n"
)
COCO = {
    "info": {"description": "synthetic"},
    "licenses": [
        {"id": 2, "name": "Attribution-NonCommercial License", "url": "http://creativecommons.org/licenses/by-nc/2.0/"},
        {"id": 4, "name": "Attribution License", "url": "http://creativecommons.org/licenses/by/2.0/"},
        {"id": 5, "name": "Attribution-ShareAlike License", "url": "http://creativecommons.org/licenses/by-sa/2.0/"},
    ],
    "images": [
        {"id": 1, "license": 4, "flickr_url": "http://farm1.staticflickr.com/1/2001_a_z.jpg"},
        {"id": 2, "license": 2, "flickr_url": "http://farm1.staticflickr.com/1/2002_a_z.jpg"},
        {"id": 3, "license": 5, "flickr_url": "http://farm1.staticflickr.com/1/2003_a_z.jpg"},
        {"id": 4, "license": 2, "flickr_url": "http://farm1.staticflickr.com/1/2004_a_z.jpg"},
    ],
    "annotations": [{"id": n, "image_id": n % 4 + 1, "caption": f"c{n}"} for n in range(8)],
}  # fmt: skip


def csv_rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def assert_no_formula(path: Path) -> None:
    for row in csv.reader(io.StringIO(path.read_text(encoding="utf-8"))):
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (path.name, cell)


def acceptance(
    coco: Path, hostile: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "release"
    code, _, err = run_cli(
        [
            "audit", str(coco), str(hostile), "--offline", "--output-dir", str(tmp_path / "r1"),
            "--clean-manifest", str(out), "--credits", str(out / "CREDITS.md"),
        ],
        capsys,
    )  # fmt: skip
    assert code == EXIT_FINDINGS, err
    assert f"cleaned manifest: {out / coco.name} (coco" in err
    assert "credits:" in err
    findings = csv_rows(tmp_path / "r1" / "findings.csv")
    errors = {
        (row["source_file"], int(row["source_row"]))
        for row in findings
        if row["severity"] == "error" and row["waived"] == "false"
    }
    # The cleaned COCO manifest keeps exactly the images without error findings.
    original = json.loads(coco.read_text(encoding="utf-8"))
    cleaned = json.loads((out / coco.name).read_text(encoding="utf-8"))
    kept = [
        image
        for number, image in enumerate(original["images"], start=1)
        if (str(coco), number) not in errors
    ]
    assert cleaned["images"] == kept and len(kept) < len(original["images"])
    kept_ids = {image["id"] for image in kept}
    assert all(a["image_id"] in kept_ids for a in cleaned["annotations"])
    assert cleaned["licenses"] == original["licenses"]
    # The cleaned CSV is the input without the rows that have errors (here: the NC and ARR
    # photos), byte for byte otherwise.
    assert (out / hostile.name).read_text(encoding="utf-8") == (
        "photo_id,owner,owner_name,license,title\n"
        '1001,12345678@N01,<script>alert(1)</script>,cc-by-2.0,"=HYPERLINK(""http://evil"",""x"")"\n'
        "1003,carol,=cmd|' /C calc'!A0,cc-by-sa-2.0,<img onerror=alert(2)>\n"
        "1001,12345678@N01,Alice,cc-by-2.0,listed twice\n"
    )
    removals = csv_rows(out / "removals.csv")
    assert {(r["source_file"], int(r["source_row"])) for r in removals} == errors
    # The credits name every kept photo whose licence needs attribution, once each.
    catalogue = load_catalogue()
    table = annotate(read_manifests([coco, hostile]).photos, catalogue)
    needing = {
        photo_id
        for photo_id, file, row, slug in zip(
            table["photo_id"], table["source_file"], table["source_row"],
            table["effective_licence"], strict=True,
        )
        if (file, int(row)) not in errors
        and isinstance(photo_id, str)
        and (licence := catalogue.get(slug)) is not None
        and licence.by
    }  # fmt: skip
    markdown = (out / "CREDITS.md").read_text(encoding="utf-8")
    items = [line for line in markdown.splitlines() if line.startswith("- ")]
    assert len(items) == len(needing)
    for photo_id in needing:
        assert sum(f"/{photo_id}/)" in i or f"id={photo_id})" in i for i in items) == 1, photo_id
    assert "<script>" not in markdown and "<img" not in markdown
    # A CSV credits file too; no CSV the audit writes starts a formula.
    code, _, err = run_cli(
        [
            "audit", str(coco), str(hostile), "--offline", "--output-dir", str(tmp_path / "r1"),
            "--credits", str(tmp_path / "credits.csv"),
        ],
        capsys,
    )  # fmt: skip
    assert {row["photo_id"] for row in csv_rows(tmp_path / "credits.csv")} == needing
    for path in [tmp_path / "credits.csv", out / "removals.csv", *(tmp_path / "r1").glob("*.csv")]:
        assert_no_formula(path)
    # A second run with the first run's audit.json as baseline passes.
    shutil.copy(tmp_path / "r1" / "audit.json", tmp_path / "baseline.json")
    code, _, err = run_cli(
        [
            "audit", str(coco), str(hostile), "--offline", "--output-dir", str(tmp_path / "r2"),
            "--baseline", str(tmp_path / "baseline.json"),
        ],
        capsys,
    )  # fmt: skip
    assert code == EXIT_OK, err
    assert f"baseline {tmp_path / 'baseline.json'}: 0 new, " in err
    document = json.loads((tmp_path / "r2" / "audit.json").read_text(encoding="utf-8"))
    assert document["summary"]["baseline"]["new"] == 0
    assert all(finding["baseline"] for finding in document["findings"])
    assert_no_formula(tmp_path / "r2" / "findings.csv")


def test_acceptance_synthetic(
    write: Write, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    coco = write("in/captions.json", json.dumps(COCO))
    hostile = write("in/photos.csv", HOSTILE_CSV)
    acceptance(coco, hostile, tmp_path, capsys)


def test_acceptance_real_coco(
    realdata: Path, write: Write, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    coco = tmp_path / "in" / "captions_val2017.json"
    coco.parent.mkdir()
    shutil.copy(realdata / "coco_mini_2017" / "captions_val2017.json", coco)
    hostile = write("in/photos.csv", HOSTILE_CSV)
    acceptance(coco, hostile, tmp_path, capsys)


def test_a_new_finding_fails_against_the_baseline(
    write: Write, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = write("photos.csv", "photo_id,license\n1,cc-by-nc-2.0\n2,cc-by-2.0\n")
    run_cli(["audit", str(manifest), "--offline", "--output-dir", str(tmp_path / "r1")], capsys)
    write("photos.csv", "photo_id,license\n2,cc-by-nc-2.0\n1,cc-by-nc-2.0\n3,cc-by-2.0\n")
    code, _, err = run_cli(
        [
            "audit", str(manifest), "--offline", "--output-dir", str(tmp_path / "r2"),
            "--baseline", str(tmp_path / "r1" / "audit.json"),
        ],
        capsys,
    )  # fmt: skip
    assert code == EXIT_FINDINGS
    assert "1 new, 1 unchanged, 0 fixed" in err
    assert "1 new finding(s) at or above --fail-on error: exit 1" in err


@pytest.mark.parametrize(
    ("content", "problem"),
    [(None, "no such file"), ("not json", "is not JSON"), ('{"a": 1}', "not an audit.json")],
)
def test_a_bad_baseline_exits_2_naming_the_file(
    write: Write,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    content: str | None,
    problem: str,
) -> None:
    manifest = write("photos.csv", "photo_id,license\n1,cc-by-2.0\n")
    baseline = tmp_path / "old.json"
    if content is not None:
        baseline.write_text(content)
    code, _, err = run_cli(
        ["audit", str(manifest), "--offline", "--output-dir", str(tmp_path / "r"),
         "--baseline", str(baseline)],
        capsys,
    )  # fmt: skip
    assert code == EXIT_USAGE
    lines = err.strip().splitlines()
    assert lines[-1].startswith(f"flickr-audit: error: {baseline}: ") and problem in lines[-1]
    assert not (tmp_path / "r").exists()


def test_credits_need_a_known_suffix(
    write: Write, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = write("photos.csv", "photo_id,license\n1,cc-by-2.0\n")
    code, _, err = run_cli(
        ["audit", str(manifest), "--offline", "--output-dir", str(tmp_path / "r"),
         "--credits", str(tmp_path / "credits.txt")],
        capsys,
    )  # fmt: skip
    assert code == EXIT_USAGE
    assert "credits.txt: unknown suffix" in err and ".csv or .md" in err
    assert not (tmp_path / "r").exists()


def test_one_manifest_cleans_into_the_named_file(
    write: Write, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = write("photos.jsonl", '{"photo_id": "1", "license": "cc-by-nc-2.0"}\n'
                     '{"photo_id": "2", "license": "cc-by-2.0"}\n')  # fmt: skip
    out = tmp_path / "clean" / "photos.jsonl"
    code, _, err = run_cli(
        ["audit", str(manifest), "--offline", "--output-dir", str(tmp_path / "r"),
         "--clean-manifest", str(out)],
        capsys,
    )  # fmt: skip
    assert code == EXIT_FINDINGS
    assert out.read_text() == '{"photo_id": "2", "license": "cc-by-2.0"}\n'
    assert (tmp_path / "clean" / "removals.csv").exists()
    assert f"cleaned manifest: {out} (jsonl, 1 row(s)" in err


def test_one_run_writes_every_format_safely(
    write: Write,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    browser: Browser,
) -> None:
    """The reports issue's acceptance: one offline run over a COCO manifest plus a CSV whose
    titles and owners hold markup and formulas writes every format; the SARIF validates, the
    JUnit parses, the HTML is inert in Chromium, and no CSV cell starts a formula."""
    multitool = find_multitool()
    monkeypatch.chdir(tmp_path)  # SARIF locations are relative to the working folder
    coco = write("in/captions.json", json.dumps(COCO))
    hostile = write("in/photos.csv", HOSTILE_CSV)
    step_summary = tmp_path / "step-summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(step_summary))
    formats = [arg for name in REPORT_FORMATS for arg in ("--format", name)]
    code, out, err = run_cli(
        [
            "audit", "in/captions.json", "in/photos.csv", "--offline", "--output-dir", "r",
            *formats, "--clean-manifest", "release", "--credits", "release/CREDITS.csv",
        ],
        capsys,
    )  # fmt: skip
    assert code == EXIT_FINDINGS, err
    reports = tmp_path / "r"
    for name in (*REPORT_FILES, "photos.csv", "report.html", "audit.sarif", "junit.xml"):
        assert (reports / name).stat().st_size > 0, name
    # SARIF: no validator errors.
    assert_valid(validate(multitool, reports / "audit.sarif", tmp_path))
    # JUnit: parsed as CI readers parse it; one suite per rule, failures for the errors.
    suites = list(JUnitXml.fromfile(str(reports / "junit.xml")))
    policy = load_policy("commercial-training")
    assert {suite.name for suite in suites} == {rule.id for rule in policy.rules}
    assert sum(suite.failures for suite in suites) > 0
    # GitHub: escaped annotations on stdout (one line each), the summary appended.
    annotations = out.splitlines()
    assert annotations and all(
        line.startswith(("::error ", "::warning ", "::notice ")) for line in annotations
    )
    assert "<script>" in step_summary.read_text(encoding="utf-8") or step_summary.stat().st_size
    # HTML: nothing injected runs, nothing fails, nothing is requested.
    context = browser.new_context()
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("dialog", lambda dialog: (problems.append(dialog.message), dialog.dismiss()))
    page.goto((reports / "report.html").as_uri())
    page.wait_for_selector("#owner-filter:not([disabled])")
    for summary in page.locator("details > summary").all():
        summary.click()
    assert page.evaluate("() => typeof window.__pwned") == "undefined"
    assert "<script>alert(1)</script>" in page.inner_text("body")  # shown as text
    context.close()
    assert problems == []
    # No CSV the audit writes starts a formula.
    written = [*reports.glob("*.csv"), tmp_path / "release" / "removals.csv"]
    for path in [*written, tmp_path / "release" / "CREDITS.csv"]:
        assert_no_formula(path)
    assert coco.exists() and hostile.exists()  # inputs untouched
