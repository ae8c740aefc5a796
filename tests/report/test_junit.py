"""junit.xml: one suite per rule, one test per owner with findings, read back by junitparser."""

from __future__ import annotations

from pathlib import Path

import pytest
from ci_cases import (
    HOSTILE_OWNER,
    build_result,
    hostile_findings,
    sample_findings,
    sample_photos,
)
from junitparser import Failure, JUnitXml, Skipped

from auditor.report.formats import AuditTables
from auditor.report.junit import write_junit, xml_text


@pytest.fixture
def result() -> AuditTables:
    return build_result(sample_findings(), sample_photos())


def _read(result: AuditTables, out: Path) -> JUnitXml:
    (path,) = write_junit(result, out)
    assert path == out / "junit.xml"
    return JUnitXml.fromfile(str(path))


def _cases(xml: JUnitXml) -> dict[tuple[str, str], object]:
    return {(case.classname, case.name): case for suite in xml for case in suite}


def test_one_suite_per_rule_of_the_policy(result: AuditTables, tmp_path: Path) -> None:
    xml = _read(result, tmp_path)
    assert [suite.name for suite in xml] == [rule.id for rule in result.policy.rules]
    suites = {suite.name: suite for suite in xml}
    assert suites["non-commercial"].tests == 2  # Alice, all other owners
    assert suites["non-commercial"].failures == 1
    assert suites["no-photo-id"].failures == 1
    # opt-out needs the live status or --opt-outs lists: not checked offline without them, so
    # skipped (neither passed nor failed).
    assert suites["opt-out"].tests == 1 and suites["opt-out"].skipped == 1
    # 4 owners in the photo table (alice, bob, carol, none): 3 have no NC finding.
    names = [case.name for case in suites["non-commercial"]]
    assert names == ["12345678@N01", "all other owners (3)"]
    assert xml.failures == 3  # NC (alice), duplicate (alice), no-photo-id (unknown owner)


def test_failures_list_the_photos(result: AuditTables, tmp_path: Path) -> None:
    case = _cases(_read(result, tmp_path))[("non-commercial", "12345678@N01")]
    (failure,) = [r for r in case.result if isinstance(r, Failure)]
    assert failure.type == "error"
    assert failure.message.startswith("2 photos of 12345678@N01 (Alice)")
    assert failure.text.splitlines() == [
        "photo 2 (manifest.csv line 2): CC BY-NC 2.0 forbids commercial use",
        "photo 1 (manifest.csv line 3): CC BY-NC 2.0 forbids commercial use",
    ]


def test_unknown_owner_notes_and_waived(result: AuditTables, tmp_path: Path) -> None:
    cases = _cases(_read(result, tmp_path))
    assert ("no-photo-id", "unknown owner") in cases
    note = cases[("attribution", "bob")]
    assert note.is_passed and "photo 4" in note.system_out
    waived = cases[("no-derivatives", "12345678@N01")]
    assert waived.is_passed
    assert "[waived]" in waived.system_out


def test_baseline_findings_do_not_fail(tmp_path: Path) -> None:
    findings = sample_findings()
    findings["baseline"] = [True, True, False, False, False, False, False]
    cases = _cases(_read(build_result(findings, sample_photos()), tmp_path))
    nc = cases[("non-commercial", "12345678@N01")]
    assert nc.is_passed
    assert "in baseline" in nc.system_out
    assert not cases[("duplicate", "12345678@N01")].is_passed


def test_rules_turned_off_are_skipped(tmp_path: Path) -> None:
    policy = tmp_path / "quiet.yaml"
    policy.write_text(
        "id: quiet\ndescription: d\nextends: commercial-training\nseverities:\n  opt-out: off\n",
        encoding="utf-8",
    )
    xml = _read(build_result(sample_findings(), sample_photos(), policy=str(policy)), tmp_path)
    suite = next(s for s in xml if s.name == "opt-out")
    (case,) = list(suite)
    assert isinstance(case.result[0], Skipped)


def test_hostile_text_is_escaped_and_cleaned(tmp_path: Path) -> None:
    xml = _read(build_result(hostile_findings(), sample_photos()), tmp_path)
    raw = (tmp_path / "junit.xml").read_text(encoding="utf-8")
    assert "<script>" not in raw and "&lt;script&gt;" in raw
    assert "\x00" not in raw and "\x1b" not in raw and "\ufffe" not in raw
    case = _cases(xml)[("non-commercial", HOSTILE_OWNER)]
    (failure,) = [r for r in case.result if isinstance(r, Failure)]
    assert '=HYPERLINK("http://evil.example","click") ::warning file=x::y & <b>' in failure.text
    assert "<script>alert(1)</script>" in failure.message


def test_xml_text_strips_illegal_characters() -> None:
    assert xml_text("a\x00b\x0bc\ud800d\ufffee\U0001f600\t\n") == "abcde\U0001f600\t\n"


def test_live_only_rules_are_skipped_offline_and_judged_live(tmp_path: Path) -> None:
    """An offline audit does not check `not-public`, `licence-changed`, … (nor `opt-out`
    without --opt-outs: offline there are no tags): JUnit must not report them as passing for
    "all other owners"."""
    live_only = [rule.id for rule in build_result(sample_findings(), sample_photos()).policy.rules
                 if rule.requires_live] + ["opt-out"]  # fmt: skip
    assert {"not-public", "licence-changed"} <= set(live_only)
    (tmp_path / "offline").mkdir()
    (tmp_path / "live").mkdir()
    offline = _read(build_result(sample_findings(), sample_photos()), tmp_path / "offline")
    for suite in offline:
        if suite.name in live_only:
            (case,) = list(suite)
            assert isinstance(case.result[0], Skipped), suite.name
            assert "offline" in case.result[0].message
        else:
            assert suite.skipped == 0, suite.name
    live = _read(build_result(sample_findings(), sample_photos(), mode="live"), tmp_path / "live")
    for suite in live:
        if suite.name in live_only:
            assert suite.skipped == 0 and [case.name for case in suite] == ["all other owners (4)"]
