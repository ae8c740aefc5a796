"""--format github: workflow-command annotations (escaped, capped) and the step summary."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from ci_cases import (
    ALICE,
    HOSTILE_OWNER,
    build_result,
    findings_frame,
    hostile_findings,
    sample_findings,
    sample_photos,
)
from cli_run import run_cli

from auditor.report.formats import AuditTables
from auditor.report.github import (
    command,
    escape_data,
    escape_property,
    github_annotations,
    step_summary,
)
from auditor.report.sarif import sarif_log

ROOT = Path(__file__).resolve().parents[2]
# What GitHub's runner accepts: `::name props::message` on one line.
COMMAND = re.compile(r"^::(error|warning|notice)( [^:]*)?::(.*)$")


def unescape_data(text: str) -> str:
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def unescape_property(text: str) -> str:
    return unescape_data(text.replace("%3A", ":").replace("%2C", ","))


def parse(line: str) -> tuple[str, dict[str, str], str]:
    """A workflow command as the runner reads it (ActionCommand.TryParseV2)."""
    match = COMMAND.match(line)
    assert match, line
    props = {}
    if match.group(2):
        for pair in match.group(2).strip().split(","):
            key, _, value = pair.partition("=")
            props[key] = unescape_property(value)
    return match.group(1), props, unescape_data(match.group(3))


@pytest.fixture
def result() -> AuditTables:
    return build_result(sample_findings(), sample_photos())


def test_escaping() -> None:
    assert escape_data("100% a\r\nb: c, d") == "100%25 a%0D%0Ab: c, d"
    assert escape_property("100% a\r\nb: c, d") == "100%25 a%0D%0Ab%3A c%2C d"
    assert (
        command("error", "m", file="a,b.csv", line=3, title=None)
        == "::error file=a%2Cb.csv,line=3::m"
    )


def test_annotations_per_rule_and_owner(result: AuditTables) -> None:
    lines = github_annotations(result)
    parsed = [parse(line) for line in lines]
    # Waived findings get none; notes are notices.
    assert [(kind, props["title"].split(":")[0]) for kind, props, _ in parsed] == [
        ("error", "non-commercial"),
        ("warning", "no-photo-id"),
        ("warning", "duplicate"),
        ("notice", "attribution"),
    ]
    _, props, message = parsed[0]
    assert props == {
        "file": "manifest.csv",
        "line": "2",
        "title": "non-commercial: 2 photos of 12345678@N01 (Alice)",
    }
    assert message.splitlines() == [
        "CC BY-NC 2.0 forbids commercial use",
        "photo 2 (manifest.csv line 2); photo 1 (manifest.csv line 3)",
    ]
    assert parsed[1][1]["title"] == "no-photo-id: 2 photos of unknown owner"


def test_baseline_findings_get_no_annotation(result: AuditTables) -> None:
    findings = sample_findings()
    findings["baseline"] = [True, True, False, False, False, False, False]
    lines = github_annotations(build_result(findings, sample_photos()))
    assert not any("non-commercial" in line for line in lines)
    assert any("duplicate" in line for line in lines)


def test_hostile_text_cannot_break_out() -> None:
    lines = github_annotations(build_result(hostile_findings(), sample_photos()))
    assert len(lines) == 2
    for line in lines:
        assert "\n" not in line and "\r" not in line and "\x1b" not in line
        _, props, message = parse(line)
        assert props["file"] == "dir, with: odd%chars/<m>.csv"
        # The owner as written (the runner unescapes it), the name on one line.
        assert (
            f"of {HOSTILE_OWNER} (<script>alert(1)</script> ::error::pwned [31m" in props["title"]
        )
        assert message.startswith(
            '=HYPERLINK("http://evil.example","click") ::warning file=x::y & <b>'
        )
        assert set(props) == {"file", "line", "title"}


def test_annotations_are_capped_per_type() -> None:
    rows = [
        {"photo_id": str(i), "owner": f"owner{i}", "source_row": i + 2, "severity": severity}
        for i, severity in enumerate(["error"] * 14 + ["warning"] * 3 + ["note"] * 12)
    ]
    lines = github_annotations(build_result(findings_frame(rows), sample_photos()))
    kinds = [parse(line)[0] for line in lines]
    assert kinds.count("error") == 10
    assert kinds.count("warning") == 3
    assert kinds.count("notice") == 10  # 9 notes and the closing notice
    _, props, message = parse(lines[-1])
    assert props["title"] == "flickr-audit: more findings"
    assert message.startswith("7 more annotation(s) not shown (4 error(s), 3 notice(s))")


def test_step_summary_has_the_summary_and_the_full_table(result: AuditTables) -> None:
    text = step_summary(result)
    assert text.startswith("# ") and "photos usable for commercial-training" in text.split("\n")[0]
    assert "Licence audit: policy commercial-training" in text
    assert "## All findings by rule, owner and manifest (5)" in text
    table = [line for line in text.splitlines() if line.startswith("| non-commercial | error | 1")]
    assert len(table) == 1 and "12345678@N01 \\(Alice\\)" in table[0]
    assert (
        "| no-derivatives | error | 12345678@N01 \\(Alice\\) | manifest.csv | 1 | waived |" in text
    )


def test_step_summary_escapes_hostile_text() -> None:
    text = step_summary(build_result(hostile_findings(), sample_photos()))
    assert "<script>" not in text
    assert "&lt;script&gt;" in text


def test_cli_prints_annotations_and_appends_the_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "example.csv").write_bytes(
        (ROOT / "examples" / "example-manifest.csv").read_bytes()
    )
    summary = tmp_path / "step-summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    code, out, _ = run_cli(
        ["audit", "example.csv", "--offline", "--output-dir", "out", "--format", "github"], capsys
    )
    assert code == 1
    lines = out.splitlines()
    assert lines and all(COMMAND.match(line) for line in lines)
    assert sum(line.startswith("::error ") for line in lines) == 8
    assert all("file=example.csv" in line for line in lines)
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n# ") and "photos usable for" in text.splitlines()[1]
    assert "## All findings by rule, owner and manifest (10)" in text


def test_a_group_mixing_licences_quotes_no_single_photo_s_licence() -> None:
    """Alice's non-commercial photos are under BY-NC 2.0 and BY-NC-SA 3.0: the aggregated
    annotation (and SARIF result) must not say the first photo's licence for all of them."""
    mixed = findings_frame(
        [
            {"photo_id": "1", **ALICE, "source_row": 2},
            {
                "photo_id": "2",
                **ALICE,
                "source_row": 3,
                "message": "CC BY-NC-SA 3.0 forbids commercial use",
                "recorded_licence": "cc-by-nc-sa-3.0",
                "effective_licence": "cc-by-nc-sa-3.0",
            },
        ]
    )
    result = build_result(mixed, sample_photos())
    (line,) = github_annotations(result)
    _, _, message = parse(line)
    assert "CC BY-NC 2.0" not in message and "CC BY-NC-SA 3.0" not in message
    assert message.splitlines()[0] == (
        f"{result.policy.rule('non-commercial').summary} (2 different reasons; each is in "
        "findings.csv)"
    )
    (sarif_result,) = sarif_log(result)["runs"][0]["results"]
    assert "CC BY-NC" not in sarif_result["message"]["text"]
    # One licence for the whole group: quoted, as before.
    same = build_result(findings_frame([{"photo_id": "1", **ALICE}]), sample_photos())
    assert "CC BY-NC 2.0 forbids commercial use" in parse(github_annotations(same)[0])[2]
