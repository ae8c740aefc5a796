"""Audit results for the tests of the CI formats (SARIF, JUnit, GitHub annotations)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from tables import findings_frame, photos_frame

from auditor import __version__
from auditor.engine.policy import load_policy
from auditor.licences import load_catalogue
from auditor.report import RunInfo, build_audit_document
from auditor.report.formats import AuditTables

ALICE = {"owner": "12345678@N01", "owner_name": "Alice"}
# Manifest text an attacker controls: markup, a spreadsheet formula, line breaks, workflow
# command syntax, XML-illegal and control characters.
HOSTILE_OWNER = "evil::owner,x=1%0A"
HOSTILE_NAME = "<script>alert(1)</script>\n::error::pwned\r\x1b[31m\x00\ufffe"
HOSTILE_MESSAGE = '=HYPERLINK("http://evil.example","click")\n::warning file=x::y & <b>'


def build_result(
    findings: pd.DataFrame,
    photos: pd.DataFrame,
    *,
    policy: str = "commercial-training",
    manifests: tuple[str, ...] = ("manifest.csv",),
    mode: str = "offline",
) -> AuditTables:
    chosen = load_policy(policy)
    run = RunInfo(
        policy=chosen.id,
        mode=mode,
        started_at=datetime(2025, 5, 1, 12, 0, 0, tzinfo=UTC),
        finished_at=datetime(2025, 5, 1, 12, 0, 3, tzinfo=UTC),
        manifests=manifests,
    )
    document = build_audit_document(
        photos, findings, run, tool_version=__version__, include_findings=False
    )
    return AuditTables(
        document=document,
        findings=findings,
        photos=photos,
        policy=chosen,
        catalogue=load_catalogue(),
        manifests=tuple(Path(m) for m in manifests),
    )


def sample_findings(extra: list[dict[str, Any]] | None = None) -> pd.DataFrame:
    """Alice: 2 non-commercial errors (lines 2, 3), a duplicate warning, a waived ND error;
    bob: an attribution note; no owner: two no-photo-id warnings."""
    rows = [
        {"photo_id": "1", **ALICE, "rule": "non-commercial", "source_row": 3},
        {"photo_id": "2", **ALICE, "rule": "non-commercial", "source_row": 2},
        {"photo_id": "2", **ALICE, "rule": "duplicate", "severity": "warning", "source_row": 4},
        {"photo_id": "3", **ALICE, "rule": "no-derivatives", "waived": True, "source_row": 5},
        {
            "photo_id": "4",
            "owner": "bob",
            "rule": "attribution",
            "severity": "note",
            "source_row": 6,
        },
        {"rule": "no-photo-id", "severity": "warning", "source_row": 8, "owner_name": "x"},
        {"rule": "no-photo-id", "severity": "warning", "source_row": 9, "owner_name": "y"},
    ]
    return findings_frame(rows + (extra or []))


def sample_photos(rows: int = 9) -> pd.DataFrame:
    people = [ALICE, ALICE, ALICE, ALICE, {"owner": "bob"}, {"owner": "carol"}, {}, {}]
    return photos_frame(
        [
            {
                "photo_id": str(i),
                **people[i % len(people)],
                "source_file": "manifest.csv",
                "source_format": "csv",
            }
            for i in range(rows)
        ]
    )


def hostile_findings() -> pd.DataFrame:
    return findings_frame(
        [
            {
                "photo_id": "99",
                "owner": HOSTILE_OWNER,
                "owner_name": HOSTILE_NAME,
                "message": HOSTILE_MESSAGE,
                "source_file": "dir, with: odd%chars/<m>.csv",
                "source_row": 7,
            },
            {
                "photo_id": "100",
                "owner": HOSTILE_OWNER,
                "owner_name": HOSTILE_NAME,
                "rule": "duplicate",
                "severity": "warning",
                "message": HOSTILE_MESSAGE,
                "source_file": "dir, with: odd%chars/<m>.csv",
                "source_row": 9,
            },
        ]
    )
