"""Reports of an audit: `audit.json`, `findings.csv`, `owners.csv`, `summary.md`, and the short
summary the CLI prints.

`build_audit_document` turns the photo table and the findings table into the audit document;
`write_reports` writes the four files from it; `summary_lines` gives the terminal summary. The
offline pipeline (`auditor.pipeline`) uses the pieces underneath for chunks: `tally.AuditTally`
(the counts), `spool.FindingSpool` (findings in report order), `write.ReportWriter`.
"""

from auditor.findings import (
    FINDING_COLUMNS,
    SEVERITIES,
)
from auditor.report.document import (
    OWNER_COLUMNS,
    SCHEMA_VERSION,
    RunInfo,
    build_audit_document,
    owner_summary,
)
from auditor.report.markdown import md_escape, summary_markdown
from auditor.report.text import summary_lines
from auditor.report.write import REPORT_FILES, write_reports

__all__ = [
    "FINDING_COLUMNS",
    "OWNER_COLUMNS",
    "REPORT_FILES",
    "SCHEMA_VERSION",
    "SEVERITIES",
    "RunInfo",
    "build_audit_document",
    "md_escape",
    "owner_summary",
    "summary_lines",
    "summary_markdown",
    "write_reports",
]
