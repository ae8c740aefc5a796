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
    assert summary_lines(document) == [
        "audit: policy commercial-training, offline",
        (
            "offline: judged on the licences the manifests recorded; deletions, privacy, "
            "licence changes and opt-outs were not checked"
        ),
        "6 photos (8 rows), 3 owners",
        "findings: 2 errors, 2 warnings, 1 note; 1 waived",
        "by rule: non-commercial 2, attribution 1, duplicate 1, no-photo-id 1",
        "worst owners (3 of 3 with findings):",
        "  12345678@N01 (Alice): 2 errors, 1 warning in 3 photos; non-commercial:2; duplicate:1",
        "  (owner unknown): 1 warning in 1 photo; no-photo-id:1",
        "  bob: 1 note in 1 photo; attribution:1",
        "waiver problems: 1",
        "  line 7: waiver at line 7 matched no finding",
    ]


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
    assert "1 photo (1 row), 1 owner" in lines
    assert "findings: 0 errors, 0 warnings, 0 notes; 0 waived" in lines
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
