"""Reports of an audit: `audit.json`, `findings.csv`, `owners.csv`, `summary.md`, the other
`--format`s, and the short summary the CLI prints.

`build_audit_document` turns the photo table and the findings table into the audit document
(typed: `document.AuditDocument`); `write_reports` writes the four files from it;
`summary_lines` gives the terminal summary, headed by `usable_sentence`. `formats.REGISTRY`
holds every format and its writer. The offline pipeline (`auditor.pipeline`) uses the pieces
underneath for chunks: `tally.AuditTally` (the counts), `spool.FindingSpool` (findings in
report order), `write.ReportWriter`.

The names below are imported on first use, so `auditor.report.formats` (the registry, which
the CLI reads to offer `--format`) loads without pandas.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from auditor.findings import FINDING_COLUMNS, SEVERITIES
    from auditor.report.document import (
        OWNER_COLUMNS,
        SCHEMA_VERSION,
        AuditDocument,
        RunInfo,
        build_audit_document,
        owner_summary,
    )
    from auditor.report.markdown import md_escape, summary_markdown
    from auditor.report.text import summary_lines, usable_sentence
    from auditor.report.write import REPORT_FILES, write_reports

_WHERE = {
    "FINDING_COLUMNS": "auditor.findings",
    "SEVERITIES": "auditor.findings",
    "OWNER_COLUMNS": "auditor.report.document",
    "SCHEMA_VERSION": "auditor.report.document",
    "AuditDocument": "auditor.report.document",
    "RunInfo": "auditor.report.document",
    "build_audit_document": "auditor.report.document",
    "owner_summary": "auditor.report.document",
    "md_escape": "auditor.report.markdown",
    "summary_markdown": "auditor.report.markdown",
    "summary_lines": "auditor.report.text",
    "usable_sentence": "auditor.report.text",
    "REPORT_FILES": "auditor.report.write",
    "write_reports": "auditor.report.write",
}

__all__ = [
    "FINDING_COLUMNS",
    "OWNER_COLUMNS",
    "REPORT_FILES",
    "SCHEMA_VERSION",
    "SEVERITIES",
    "AuditDocument",
    "RunInfo",
    "build_audit_document",
    "md_escape",
    "owner_summary",
    "summary_lines",
    "summary_markdown",
    "usable_sentence",
    "write_reports",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'auditor.report' has no attribute {name!r}")
    return getattr(importlib.import_module(_WHERE[name]), name)
