"""build_audit_document: the audit.json content, its types, and its documentation."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from auditor import __version__
from auditor.report import FINDING_COLUMNS, RunInfo, build_audit_document
from auditor.waivers import WaiverProblem

Factory = Callable[[list[dict[str, Any]]], pd.DataFrame]
DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture
def document(photos: pd.DataFrame, findings: pd.DataFrame, run: RunInfo) -> dict[str, Any]:
    problems = [
        WaiverProblem(None, "odd"),
        WaiverProblem(9, "matched no finding"),
        WaiverProblem(4, "expired on 2025-01-01"),
    ]
    return build_audit_document(
        photos, findings, run, waiver_problems=problems, tool_version=__version__
    )


def _walk(value: Any) -> list[Any]:
    """Every value nested in `value`, itself included."""
    if isinstance(value, dict):
        return [value, *(v for item in value.values() for v in _walk(item))]
    if isinstance(value, list):
        return [value, *(v for item in value for v in _walk(item))]
    return [value]


def test_json_safe_types_only(document: dict[str, Any]) -> None:
    json.dumps(document, allow_nan=False)
    allowed = (dict, list, str, int, bool, type(None))
    for value in _walk(document):
        assert type(value) in allowed, (type(value), value)
        assert not isinstance(value, np.generic)


def test_header_and_run(document: dict[str, Any]) -> None:
    assert document["schema_version"] == 1
    assert document["tool"] == {"name": "flickr-licence-auditor", "version": __version__}
    assert document["run"] == {
        "policy": "commercial-training",
        "mode": "offline",
        "started_at": "2025-05-01T12:00:00Z",
        "finished_at": "2025-05-01T12:00:03Z",
        "manifests": ["captions.json", "extra.csv"],
        "api_calls": {},
        "status_as_of": None,
        "photos_fetched": 0,
        "photos_reused": 0,
        "unverified": 0,
        "warnings": [],
    }


def test_times_are_converted_to_utc(photos: pd.DataFrame, findings: pd.DataFrame) -> None:
    paris = timezone(timedelta(hours=2))
    run = RunInfo(
        "p",
        "live",
        datetime(2025, 5, 1, 14, 0, tzinfo=paris),
        datetime.now(paris),
        (),
        {"flickr.photos.getInfo": 10, "flickr.photos.search": 2},
        status_as_of="2025-04-30T09:00:00Z",
    )
    document = build_audit_document(photos, findings, run, tool_version="x")
    assert document["run"]["started_at"] == "2025-05-01T12:00:00Z"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", document["run"]["finished_at"])
    assert document["run"]["mode"] == "live"
    assert document["run"]["api_calls"] == {"flickr.photos.getInfo": 10, "flickr.photos.search": 2}
    assert document["run"]["status_as_of"] == "2025-04-30T09:00:00Z"


def test_unknown_mode_is_a_bug(photos: pd.DataFrame, findings: pd.DataFrame) -> None:
    now = datetime.now(UTC)
    with pytest.raises(ValueError, match="mode"):
        build_audit_document(
            photos, findings, RunInfo("p", "online", now, now, (), 0), tool_version="x"
        )


def test_summary_counts(document: dict[str, Any]) -> None:
    assert document["summary"] == {
        "photos": 6,  # distinct ids 1-6; the row without an id is not a photo
        # Photos 1 and 2 have errors not waived (3's is waived; 4 has a note only).
        "usable_photos": 4,
        "photos_with_errors": 2,
        "owners": 3,  # the unknown owner is not an owner
        "rows": 8,
        "findings": {"error": 2, "warning": 2, "note": 1},
        "waived": 1,
        "by_rule": {"non-commercial": 2, "attribution": 1, "duplicate": 1, "no-photo-id": 1},
        "other_hosts": {},
    }
    assert list(document["summary"]["by_rule"]) == [
        "non-commercial",
        "attribution",
        "duplicate",
        "no-photo-id",
    ]


def test_owners(document: dict[str, Any]) -> None:
    owners = document["owners"]
    assert [o["owner"] for o in owners] == ["12345678@N01", None, "bob", "carol"]
    assert owners[0] == {
        "owner": "12345678@N01",
        "owner_name": "Alice",
        "photos": 3,
        "usable_photos": 1,
        "photos_with_errors": 2,
        "error": 2,
        "warning": 1,
        "note": 0,
        "waived": 1,
        "rules": {"non-commercial": 2, "duplicate": 1},
    }
    assert owners[2]["owner_name"] is None


def test_findings_keep_order_nulls_and_types(
    document: dict[str, Any], findings: pd.DataFrame
) -> None:
    records = document["findings"]
    assert len(records) == len(findings)
    assert all(list(record) == list(FINDING_COLUMNS) for record in records)
    assert [r["photo_id"] for r in records] == ["1", "2", "2", "3", "4", None]
    assert [r["waived"] for r in records] == [False, False, False, True, False, False]
    assert records[5]["source_row"] == 8 and type(records[5]["source_row"]) is int
    assert records[0]["current_licence"] is None and records[0]["visibility"] is None
    assert records[4]["owner_name"] is None


def test_waiver_problems(document: dict[str, Any]) -> None:
    # In file order, whichever step found them; problems without a line last.
    assert document["waiver_problems"] == [
        {"line": 4, "message": "expired on 2025-01-01"},
        {"line": 9, "message": "matched no finding"},
        {"line": None, "message": "odd"},
    ]


def test_object_dtype_and_nan_cells(
    photos: pd.DataFrame, make_findings: Factory, run: RunInfo
) -> None:
    findings = make_findings([{"photo_id": "1", "owner": "12345678@N01"}]).astype(object)
    findings.loc[0, "message"] = np.nan
    document = build_audit_document(photos, findings, run, tool_version="x")
    json.dumps(document, allow_nan=False)
    assert document["findings"][0]["message"] is None
    assert document["findings"][0]["source_row"] == 2


def test_empty_findings(photos: pd.DataFrame, make_findings: Factory, run: RunInfo) -> None:
    document = build_audit_document(photos, make_findings([]), run, tool_version="x")
    assert document["findings"] == []
    assert document["summary"]["findings"] == {"error": 0, "warning": 0, "note": 0}
    assert document["summary"]["by_rule"] == {}


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda f: f.drop(columns=["visibility"]), "visibility"),
        (lambda f: f.assign(severity="fatal"), "fatal"),
    ],
)
def test_a_malformed_findings_table_is_a_bug(
    photos: pd.DataFrame,
    findings: pd.DataFrame,
    run: RunInfo,
    change: Callable[[pd.DataFrame], pd.DataFrame],
    match: str,
) -> None:
    with pytest.raises(ValueError, match=match):
        build_audit_document(photos, change(findings), run, tool_version="x")


# --- documentation and schema ---------------------------------------------------------------


def _field_paths(value: Any, prefix: str = "") -> set[str]:
    """`run.policy`, `owners[].rules`...: the fixed field names of a document (not map keys)."""
    paths: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{prefix}{key}"
            paths.add(path)
            if key not in ("by_rule", "rules"):  # rule id → count maps, not fields
                paths |= _field_paths(item, path + ".")
    elif isinstance(value, list) and value and isinstance(value[0], dict):
        paths |= _field_paths(value[0], prefix[:-1] + "[].")
    return paths


def test_every_field_is_documented(document: dict[str, Any]) -> None:
    text = (DOCS / "audit-json.md").read_text(encoding="utf-8")
    for path in sorted(_field_paths(document)):
        assert f"`{path}`" in text, path


def test_the_documented_example_has_the_document_s_shape(document: dict[str, Any]) -> None:
    text = (DOCS / "audit-json.md").read_text(encoding="utf-8")
    example = json.loads(re.findall(r"```json\n(.*?)```", text, flags=re.DOTALL)[0])
    assert _field_paths(example) == _field_paths(document)


def _schema_paths(schema: dict[str, Any], root: dict[str, Any], prefix: str = "") -> set[str]:
    if "$ref" in schema:
        schema = root["$defs"][schema["$ref"].rsplit("/", 1)[1]]
    paths: set[str] = set()
    if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
        return _schema_paths(schema["items"], root, prefix[:-1] + "[].")
    for key, sub in schema.get("properties", {}).items():
        path = f"{prefix}{key}"
        paths.add(path)
        if key not in ("by_rule", "rules"):
            paths |= _schema_paths(sub, root, path + ".")
    return paths


# Fields only a run with --baseline writes (tests/report/test_baseline.py checks them).
BASELINE_PATHS = {
    "summary.baseline",
    "summary.baseline.file",
    "summary.baseline.new",
    "summary.baseline.unchanged",
    "summary.baseline.fixed",
    "findings[].baseline",
}
# Only with --opt-outs (tests/test_cli_optouts.py validates one against the schema).
OPT_OUT_PATHS = {
    "summary.opt_outs",
    "summary.opt_outs.opted_out_photos",
    "summary.opt_outs.unmatched_entries",
    "summary.opt_outs.files",
    "summary.opt_outs.files[].file",
    "summary.opt_outs.files[].kind",
    "summary.opt_outs.files[].created_at",
    "summary.opt_outs.files[].entries",
    "summary.opt_outs.files[].unmatched",
}
# Only in the audit.json of --engine dask, whose findings are in findings.parquet
# (tests/test_dask_audit.py validates one against the schema).
DATASET_PATHS = {
    "findings_dataset",
    "findings_dataset.path",
    "findings_dataset.format",
    "findings_dataset.rows",
    "findings_dataset.parts",
    "findings_dataset.skipped_shards",
}


def test_the_json_schema_names_exactly_the_document_s_fields(document: dict[str, Any]) -> None:
    schema = json.loads((DOCS / "audit.schema.json").read_text(encoding="utf-8"))
    assert _schema_paths(schema, schema) == (
        _field_paths(document) | BASELINE_PATHS | DATASET_PATHS | OPT_OUT_PATHS
    )


def test_documents_validate_against_the_json_schema(document: dict[str, Any]) -> None:
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is not installed")
    schema = json.loads((DOCS / "audit.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(document, schema)


def test_live_findings_carry_fetched_at_and_validate(
    photos: pd.DataFrame, make_findings: Factory, run: RunInfo
) -> None:
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is not installed")
    schema = json.loads((DOCS / "audit.schema.json").read_text(encoding="utf-8"))
    findings = make_findings(
        [
            {"photo_id": "1", "rule": "not-public", "visibility": "not-public",
             "fetched_at": "2025-06-20T08:00:00Z"},
            {"photo_id": None, "rule": "no-photo-id", "severity": "warning"},
        ]
    )  # fmt: skip
    live = replace(
        run,
        mode="live",
        api_calls={"flickr.photos.getInfo": 3},
        status_as_of="2025-06-20T08:00:00Z",
    )
    document = build_audit_document(photos, findings, live, tool_version="x")
    assert [f["fetched_at"] for f in document["findings"]] == ["2025-06-20T08:00:00Z", None]
    jsonschema.validate(document, schema)
    # The schema holds fetched_at to the one timestamp form the reports use.
    document["findings"][0]["fetched_at"] = "2025-06-20 08:00"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, schema)
