"""--baseline: matching this run's findings with an earlier audit.json, and reporting it."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from auditor.errors import AuditorError
from auditor.report import RunInfo, build_audit_document, summary_lines, write_reports
from auditor.report.baseline import (
    apply_baseline,
    counted,
    finding_keys,
    load_baseline,
)
from auditor.report.markdown import summary_markdown

Factory = Callable[[list[dict[str, Any]]], pd.DataFrame]
DOCS = Path(__file__).resolve().parents[2] / "docs"
RUN = RunInfo(
    policy="commercial-training",
    mode="offline",
    started_at=datetime(2025, 5, 1, 12, tzinfo=UTC),
    finished_at=datetime(2025, 5, 1, 12, 0, 3, tzinfo=UTC),
    manifests=("manifest.csv",),
)


def write_previous(
    tmp_path: Path, photos: pd.DataFrame, findings: pd.DataFrame, name: str = "before"
) -> Path:
    document = build_audit_document(photos, findings, RUN, tool_version="x")
    write_reports(tmp_path / name, photos, findings, document)
    return tmp_path / name / "audit.json"


def test_keys_survive_reordering_and_moving_the_manifest(make_findings: Factory) -> None:
    before = make_findings(
        [
            {"photo_id": "7", "rule": "non-commercial", "source_row": 2},
            {"photo_id": None, "rule": "no-photo-id", "source_file": "/a/m.csv", "source_row": 9},
        ]
    )
    after = make_findings(
        [
            {"photo_id": None, "rule": "no-photo-id", "source_file": "b\\m.csv", "source_row": 9},
            {"photo_id": "7", "rule": "non-commercial", "source_row": 40},
        ]
    )
    assert set(finding_keys(before)) == set(finding_keys(after))
    other_rule = make_findings([{"photo_id": "7", "rule": "no-derivatives"}])
    other_row = make_findings([{"photo_id": None, "rule": "no-photo-id", "source_row": 10}])
    assert not set(finding_keys(other_rule)) & set(finding_keys(before))
    assert not set(finding_keys(other_row)) & set(finding_keys(before))


def test_new_unchanged_and_fixed(
    tmp_path: Path, make_findings: Factory, make_photos: Factory
) -> None:
    photos = make_photos([{"photo_id": str(n)} for n in range(1, 6)])
    before = make_findings(
        [
            {"photo_id": "1"},
            {"photo_id": "2"},
            {"photo_id": "3", "waived": True},  # waived then: not part of the baseline
            {"photo_id": "9"},  # fixed since
        ]
    )
    baseline = load_baseline(write_previous(tmp_path, photos, before))
    now = make_findings(
        [
            {"photo_id": "2"},
            {"photo_id": "1"},
            {"photo_id": "3"},  # its waiver expired: new
            {"photo_id": "4", "waived": True},  # waived: neither new nor unchanged
            {"photo_id": "5", "severity": "warning", "rule": "duplicate"},
        ]
    )
    marked, summary = apply_baseline(now, baseline)
    assert marked["baseline"].tolist() == [True, True, False, False, False]
    assert summary.as_json() == {
        "file": str(tmp_path / "before" / "audit.json"),
        "new": 2,
        "unchanged": 2,
        "fixed": 1,
    }
    assert counted(marked).tolist() == [False, False, True, False, True]
    assert "baseline" not in now.columns  # the caller's table is left alone


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "no such file"),
        ("{not json", "is not JSON"),
        ("[1, 2]", "no schema_version"),
        ('{"schema_version": 2, "findings": []}', "schema_version 2, not 1"),
        ('{"schema_version": 1}', "no findings list"),
        ('{"schema_version": 1, "findings": [{"photo_id": "1"}]}', r"findings\[0\] is not"),
    ],
)  # fmt: skip
def test_a_bad_baseline_is_one_line_naming_the_file(
    tmp_path: Path, content: str | None, problem: str
) -> None:
    path = tmp_path / "audit.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(AuditorError, match=problem) as raised:
        load_baseline(path)
    message = str(raised.value)
    assert message.startswith(f"{path}: ") and "\n" not in message
    assert "--baseline" in message


def test_reports_carry_the_baseline_column_and_summary(
    tmp_path: Path, make_findings: Factory, make_photos: Factory
) -> None:
    photos = make_photos([{"photo_id": "1"}, {"photo_id": "2"}])
    baseline = load_baseline(write_previous(tmp_path, photos, make_findings([{"photo_id": "1"}])))
    findings, summary = apply_baseline(
        make_findings([{"photo_id": "1", "source_row": 2}, {"photo_id": "2", "source_row": 3}]),
        baseline,
    )
    document = build_audit_document(photos, findings, RUN, tool_version="x")
    document["summary"]["baseline"] = summary.as_json()
    write_reports(tmp_path / "after", photos, findings, document)
    written = json.loads((tmp_path / "after" / "audit.json").read_text())
    assert [f["baseline"] for f in written["findings"]] == [True, False]
    assert list(written["findings"][0])[-2:] == ["waived", "baseline"]
    assert written["summary"]["baseline"] == summary.as_json()
    assert document["findings"] == written["findings"]
    rows = list(csv.DictReader(io.StringIO((tmp_path / "after" / "findings.csv").read_text())))
    assert [row["baseline"] for row in rows] == ["true", "false"]
    markdown = (tmp_path / "after" / "summary.md").read_text()
    assert "## Against the baseline" in markdown and "**1 new**" in markdown
    assert "in the baseline" in markdown
    lines = summary_lines(written)
    assert any(
        line.startswith("baseline ") and "1 new, 1 unchanged, 0 fixed" in line for line in lines
    )


def test_no_findings_still_give_the_baseline_header(
    tmp_path: Path, make_findings: Factory, make_photos: Factory
) -> None:
    photos = make_photos([{"photo_id": "1"}])
    baseline = load_baseline(write_previous(tmp_path, photos, make_findings([{"photo_id": "1"}])))
    findings, summary = apply_baseline(make_findings([]), baseline)
    assert summary.fixed == 1 and summary.new == 0
    document = build_audit_document(photos, findings, RUN, tool_version="x")
    write_reports(tmp_path / "after", photos, findings, document)
    header = (tmp_path / "after" / "findings.csv").read_text().splitlines()[0]
    assert next(csv.reader([header]))[-1] == "baseline"
    assert "Against the baseline" not in summary_markdown(document, findings)


def test_the_baseline_fields_are_documented_and_in_the_schema(
    tmp_path: Path, make_findings: Factory, make_photos: Factory
) -> None:
    photos = make_photos([{"photo_id": "1"}])
    baseline = load_baseline(write_previous(tmp_path, photos, make_findings([{"photo_id": "1"}])))
    findings, summary = apply_baseline(make_findings([{"photo_id": "1"}]), baseline)
    document = build_audit_document(photos, findings, RUN, tool_version="x")
    document["summary"]["baseline"] = summary.as_json()
    text = (DOCS / "audit-json.md").read_text(encoding="utf-8")
    for field in (
        "summary.baseline",
        "summary.baseline.file",
        "summary.baseline.new",
        "summary.baseline.unchanged",
        "summary.baseline.fixed",
        "findings[].baseline",
    ):
        assert f"`{field}`" in text, field
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is not installed")
    schema = json.loads((DOCS / "audit.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(document, schema)
    document["summary"]["baseline"]["new"] = -1
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, schema)
