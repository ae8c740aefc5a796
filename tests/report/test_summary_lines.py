"""summary_lines: the plain-text summary the CLI prints to stderr."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from auditor.report import RunInfo, build_audit_document, summary_lines
from auditor.waivers import WaiverProblem

Factory = Callable[[list[dict[str, Any]]], pd.DataFrame]


def test_the_summary(photos: pd.DataFrame, findings: pd.DataFrame, run: RunInfo) -> None:
    document = build_audit_document(
        photos,
        findings,
        run,
        waiver_problems=[WaiverProblem(7, "waiver at line 7 matched no finding")],
        tool_version="x",
    )
    assert summary_lines(document, offline_reason="--offline") == [
        "4 of 6 photos usable for commercial-training by the licences the manifests record",
        (
            "offline audit (--offline): deletions, privacy, licence changes and opt-out tags were "
            "not checked"
        ),
        "photos: 6 distinct in 8 manifest rows, 2 with errors; 3 owners",
        "findings (one per row and rule): 2 errors, 2 warnings, 1 note; 1 waived",
        "findings by rule: non-commercial 2, attribution 1, duplicate 1, no-photo-id 1",
        "worst owners (3 of 3 with findings):",
        (
            "  12345678@N01 (Alice): 1 of 3 photos usable; 2 errors, 1 warning: "
            "non-commercial 2, duplicate 1"
        ),
        "  (owner unknown): 1 of 1 photo usable; 1 warning: no-photo-id 1",
        "  bob: 1 of 1 photo usable; 1 note: attribution 1",
        "waiver problems: 1",
        "  line 7: waiver at line 7 matched no finding",
    ]
    # "offline" is said once, and no line repeats another.
    lines = summary_lines(document)
    assert sum("offline" in line for line in lines) == 1
    assert len(set(lines)) == len(lines)


def test_worst_limits_the_owners(
    photos: pd.DataFrame, findings: pd.DataFrame, run: RunInfo
) -> None:
    document = build_audit_document(photos, findings, run, tool_version="x")
    lines = summary_lines(document, worst=1)
    assert "worst owners (1 of 3 with findings):" in lines
    assert not any(line.startswith("  bob") for line in lines)
    assert not any("worst owners" in line for line in summary_lines(document, worst=0))


def test_clean_audit(make_photos: Factory, make_findings: Factory, run: RunInfo) -> None:
    photos = make_photos([{"photo_id": "1", "owner": "ann"}])
    document = build_audit_document(photos, make_findings([]), run, tool_version="x")
    lines = summary_lines(document)
    assert (
        lines[0]
        == "1 of 1 photo usable for commercial-training by the licences the manifests record"
    )
    assert "photos: 1 distinct in 1 manifest row, 0 with errors; 1 owner" in lines
    assert "findings (one per row and rule): 0 errors, 0 warnings, 0 notes; 0 waived" in lines
    assert lines[-1] == "no findings to act on"


def test_terminal_escapes_and_long_names_are_neutralised(
    make_photos: Factory, make_findings: Factory, run: RunInfo
) -> None:
    name = "\x1b[2J\x1b[31mEve\nfake line" + "x" * 100
    photos = make_photos([{"photo_id": "1", "owner": "eve", "owner_name": name}])
    findings = make_findings([{"photo_id": "1", "owner": "eve", "owner_name": name}])
    lines = summary_lines(build_audit_document(photos, findings, run, tool_version="x"))
    owner_line = next(line for line in lines if line.startswith("  eve"))
    assert "\x1b" not in "".join(lines) and all("\n" not in line for line in lines)
    assert "[31mEve fake line" in owner_line and "…" in owner_line


def test_rule_names_are_never_cut(
    make_photos: Factory, make_findings: Factory, run: RunInfo
) -> None:
    """An owner with many rules gets whole rule ids, then `+N more`: never `no-de…`."""
    rules = [f"rule-number-{i}-with-a-long-id" for i in range(6)]
    photos = make_photos([{"photo_id": "1", "owner": "eve"}])
    findings = make_findings(
        [{"photo_id": "1", "owner": "eve", "rule": rule, "severity": "note"} for rule in rules]
    )
    lines = summary_lines(build_audit_document(photos, findings, run, tool_version="x"))
    owner_line = next(line for line in lines if line.startswith("  eve"))
    shown = owner_line.split(": ", 2)[2].split(", ")
    assert shown[-1].startswith("+") and shown[-1].endswith(" more")
    assert all(part.rsplit(" ", 1)[0] in rules for part in shown[:-1])
    assert "…" not in owner_line
