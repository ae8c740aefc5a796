"""audit.sarif: SARIF 2.1.0, aggregated per rule and owner, checked by Microsoft's validator.

The SARIF Multitool (npm `@microsoft/sarif-multitool`, a self-contained Linux binary: no .NET
needed) is found through $SARIF_MULTITOOL or in .ci-node/, where `.ci/run` installs it. Without
it the validation tests are skipped, except on CI (`CI` set), where they fail.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from ci_cases import (
    HOSTILE_MESSAGE,
    HOSTILE_OWNER,
    build_result,
    findings_frame,
    hostile_findings,
    sample_findings,
    sample_photos,
)
from cli_run import run_cli
from sarif_validator import assert_valid, find_multitool, validate

from auditor import __version__
from auditor.engine.policy import load_policy
from auditor.report import sarif as sarif_module
from auditor.report.formats import AuditTables
from auditor.report.sarif import sarif_log, write_sarif

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def multitool() -> Path:
    return find_multitool()


@pytest.fixture
def result() -> AuditTables:
    return build_result(sample_findings(), sample_photos())


def _results(log: dict[str, Any]) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = log["runs"][0]["results"]
    return results


# -- structure ---------------------------------------------------------------------------------


def test_log_header_and_tool(result: AuditTables) -> None:
    log = sarif_log(result)
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert log["version"] == "2.1.0"
    assert len(log["runs"]) == 1
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["name"] == "flickr-audit"
    assert driver["version"] == __version__


def test_every_rule_of_the_policy_is_described(result: AuditTables) -> None:
    rules = sarif_log(result)["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [rule.id for rule in result.policy.rules]
    for descriptor, rule in zip(rules, result.policy.rules, strict=True):
        assert descriptor["shortDescription"]["text"].startswith(rule.summary)
        assert descriptor["fullDescription"]["text"]
        assert descriptor["help"]["text"] and descriptor["help"]["markdown"]
        # The rule's reference URL, which its doc page also gives.
        assert descriptor["helpUri"] == rule.reference
        assert descriptor["helpUri"].startswith("https://")
        assert descriptor["defaultConfiguration"]["level"] == rule.severity
    non_commercial = rules[0]
    assert "## How to fix" in non_commercial["help"]["markdown"]  # the whole doc page
    assert non_commercial["fullDescription"]["text"].startswith("Checks: the photo's")


def test_rules_turned_off_have_level_none(tmp_path: Path) -> None:
    policy = tmp_path / "quiet.yaml"
    policy.write_text(
        "id: quiet\ndescription: no attribution\nextends: commercial-training\n"
        "severities:\n  attribution: off\n",
        encoding="utf-8",
    )
    result = build_result(sample_findings(), sample_photos(), policy=str(policy))
    rules = {r["id"]: r for r in sarif_log(result)["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["attribution"]["defaultConfiguration"] == {"level": "none", "enabled": False}


def test_results_are_aggregated_per_rule_and_owner(result: AuditTables) -> None:
    results = _results(sarif_log(result))
    keys = [(r["ruleId"], r["properties"]["owner"]) for r in results]
    # Worst first: errors, warnings (the bigger group first), notes, then the waived one.
    assert keys == [
        ("non-commercial", "12345678@N01"),
        ("no-photo-id", None),
        ("duplicate", "12345678@N01"),
        ("attribution", "bob"),
        ("no-derivatives", "12345678@N01"),
    ]
    nc = results[0]
    assert nc["level"] == "error"
    assert nc["properties"]["photos"] == 2
    assert nc["properties"]["lines"] == [2, 3]  # by line, whatever the findings' order
    text = nc["message"]["text"]
    assert "2 photos of 12345678@N01 (Alice)" in text
    assert "photo 2 (manifest.csv line 2); photo 1 (manifest.csv line 3)" in text
    location = nc["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "manifest.csv", "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {"startLine": 2}
    unknown = results[1]
    assert "2 photos of unknown owner" in unknown["message"]["text"]
    assert unknown["level"] == "warning"
    assert results[3]["level"] == "note"
    assert nc["ruleIndex"] == 0
    assert all(r["baselineState"] == "new" for r in results)


def test_waived_findings_are_suppressed(result: AuditTables) -> None:
    results = _results(sarif_log(result))
    waived = [r for r in results if "suppressions" in r]
    assert [r["ruleId"] for r in waived] == ["no-derivatives"]
    (suppression,) = waived[0]["suppressions"]
    assert suppression["kind"] == "external"
    assert suppression["justification"]


def test_long_lists_are_cut_with_and_n_more() -> None:
    rows = [
        {"photo_id": str(i), "owner": "o", "source_row": i + 2, "source_file": "m.csv"}
        for i in range(30)
    ]
    result = build_result(findings_frame(rows), sample_photos())
    (only,) = _results(sarif_log(result))
    text = only["message"]["text"]
    assert "photo 9 (m.csv line 11); and 20 more." in text
    assert "photo 10 " not in text
    assert only["properties"]["photos"] == 30


def test_json_manifests_point_at_line_1(tmp_path: Path) -> None:
    findings = findings_frame([{"photo_id": "1", "owner": "o", "source_file": "coco.json"}])
    photos = sample_photos()
    photos["source_file"] = "coco.json"
    photos["source_format"] = "coco"
    (only,) = _results(sarif_log(build_result(findings, photos)))
    location = only["locations"][0]["physicalLocation"]
    assert location["region"] == {"startLine": 1}  # GitHub needs a region; records have none
    assert only["properties"]["records"] == [2]
    assert "coco.json record 2" in only["message"]["text"]


def test_paths_are_relative_to_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    inside = str(tmp_path / "data" / "my manifest.csv")
    findings = findings_frame(
        [
            {"photo_id": "1", "owner": "o", "source_file": inside},
            {"photo_id": "2", "owner": "o", "source_file": "/elsewhere/m.csv"},
        ]
    )
    results = _results(sarif_log(build_result(findings, sample_photos())))
    uris = sorted(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results)
    assert uris == ["data/my%20manifest.csv", "file:///elsewhere/m.csv"]


def test_fingerprints_are_stable_and_distinct(result: AuditTables) -> None:
    first = _results(sarif_log(result))
    # Another run: other rows, other times, findings in another order, one photo more.
    moved = sample_findings([{"photo_id": "7", "owner": "12345678@N01", "source_row": 40}])
    moved["source_row"] = moved["source_row"] + 100
    second = _results(
        sarif_log(build_result(moved.iloc[::-1].reset_index(drop=True), result.photos))
    )
    prints = {r["partialFingerprints"]["flickrAudit/v1"] for r in first}
    assert len(prints) == len(first)
    assert prints == {r["partialFingerprints"]["flickrAudit/v1"] for r in second}


def test_baseline_states(result: AuditTables) -> None:
    findings = sample_findings()
    # Alice's NC: one of two in the baseline; the duplicate: in it; the rest: new.
    findings["baseline"] = [True, False, True, False, False, False, False]
    changed = AuditTables(**{**result.__dict__, "findings": findings})
    states = {
        (r["ruleId"], r["properties"]["owner"]): r["baselineState"]
        for r in _results(sarif_log(changed))
    }
    assert states[("non-commercial", "12345678@N01")] == "updated"
    assert states[("duplicate", "12345678@N01")] == "unchanged"
    assert states[("attribution", "bob")] == "new"


def test_results_are_capped(result: AuditTables, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sarif_module, "MAX_RESULTS", 2)
    run = sarif_log(result)["runs"][0]
    assert [r["ruleId"] for r in run["results"]] == ["non-commercial", "no-photo-id"]
    assert run["properties"]["truncated"] is True
    assert run["properties"]["resultsTotal"] == 5
    (note,) = run["invocations"][0]["toolExecutionNotifications"]
    assert "3 more results" in note["message"]["text"]


def test_cap_is_github_limit() -> None:
    assert sarif_module.MAX_RESULTS == 25_000


def test_hostile_text_stays_data(tmp_path: Path) -> None:
    result = build_result(hostile_findings(), sample_photos())
    path = write_sarif(result, tmp_path)[0]
    raw = path.read_text(encoding="utf-8")
    log = json.loads(raw)
    for item in _results(log):
        text = item["message"]["text"]
        assert "\n" not in text and "\r" not in text and "\x1b" not in text and "\x00" not in text
        assert item["properties"]["owner"] == HOSTILE_OWNER
    # On one line, otherwise as written: JSON needs no other escaping.
    assert HOSTILE_MESSAGE.replace("\n", " ") in _results(log)[0]["message"]["text"]
    uri = _results(log)[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    # Percent-encoded: a ":" in a relative reference could read as a URI scheme.
    assert uri == "dir%2C%20with%3A%20odd%25chars/%3Cm%3E.csv"


def test_write_sarif_writes_audit_sarif(result: AuditTables, tmp_path: Path) -> None:
    assert write_sarif(result, tmp_path) == [tmp_path / "audit.sarif"]
    assert json.loads((tmp_path / "audit.sarif").read_text(encoding="utf-8"))["version"] == "2.1.0"


# -- the validator -----------------------------------------------------------------------------


def test_validator_finds_errors_in_a_broken_log(multitool: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.sarif"
    broken.write_text('{"version": "2.1.0", "runs": [{"tool": {"driver": {}}}]}', encoding="utf-8")
    results = validate(multitool, broken, tmp_path)
    assert any(r["level"] == "error" for r in results)


def test_sample_audit_validates(
    multitool: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    findings = pd.concat([sample_findings(), hostile_findings()], ignore_index=True)
    findings["baseline"] = [i % 3 == 0 for i in range(len(findings))]
    path = write_sarif(build_result(findings, sample_photos()), tmp_path)[0]
    assert_valid(validate(multitool, path, tmp_path))


def test_cli_audit_of_the_example_validates(
    multitool: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    example = ROOT / "examples" / "example-manifest.csv"
    (tmp_path / "example.csv").write_bytes(example.read_bytes())
    code, _, _ = run_cli(
        ["audit", "example.csv", "--offline", "--output-dir", "out", "--format", "sarif"], capsys
    )
    assert code == 1
    path = tmp_path / "out" / "audit.sarif"
    log = json.loads(path.read_text(encoding="utf-8"))
    # 10 groups: the example's Wikimedia row is another host's, counted, not a finding.
    assert len(_results(log)) == 10
    assert_valid(validate(multitool, path, tmp_path))


@pytest.mark.realdata
def test_real_coco_manifest_validates(
    realdata: Path,
    multitool: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    coco = realdata / "coco_mini_2017" / "captions_val2017.json"
    if not coco.is_file():
        pytest.skip(f"{coco} is absent")
    monkeypatch.chdir(realdata.parent)  # as a dataset repository's root would be
    out = tmp_path / "out"
    code, _, _ = run_cli(
        [
            "audit",
            str(coco.relative_to(realdata.parent)),
            "--offline",
            "--output-dir",
            str(out),
            "--format",
            "sarif",
        ],
        capsys,
    )
    assert code in (0, 1)
    log = json.loads((out / "audit.sarif").read_text(encoding="utf-8"))
    results = _results(log)
    assert results
    for item in results:
        location = item["locations"][0]["physicalLocation"]
        assert (
            location["artifactLocation"]["uri"] == "realdata/coco_mini_2017/captions_val2017.json"
        )
        assert location["region"] == {"startLine": 1}  # COCO rows are records, not lines
    assert_valid(validate(multitool, out / "audit.sarif", tmp_path))


def test_policy_rules_listed_even_without_findings(tmp_path: Path) -> None:
    empty = findings_frame([]).iloc[0:0]
    result = build_result(empty, sample_photos())
    run = sarif_log(result)["runs"][0]
    assert run["results"] == []
    assert len(run["tool"]["driver"]["rules"]) == len(load_policy("commercial-training").rules)
