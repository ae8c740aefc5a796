"""`audit.sarif`: the findings as SARIF 2.1.0, for GitHub code scanning and SARIF viewers.

One run. `tool.driver.rules` lists every rule of the policy (also those it turns `off`, with
`enabled: false` and level `none`), each with its summary, the "Checks" paragraph of its page
(`rules/docs/<id>.md`) as full description, the whole page as help (text and Markdown), and
its reference URL as `helpUri` (the rule's `reference` in the policy, an absolute URL; a rule
without one has no `helpUri`).

Results are findings aggregated per rule, owner (a null owner is one "unknown owner" group)
and manifest file (`auditor.report.groups`), waived findings apart: the level is the rule's
severity, the message lists the first photos with their lines or records ("and N more"),
`locations[0]` is the manifest (relative to the current folder under `%SRCROOT%` when it is
inside it, else an absolute file URI) with `region.startLine` the first finding's line. A
JSON or Parquet manifest has no line per photo (`source_row` is a record number there): its
results point at line 1 (GitHub code scanning rejects results without a region), and the
record numbers are in the message and `properties.records`.

`partialFingerprints.flickrAudit/v1` hashes rule, owner, manifest file name and waived-ness:
stable across runs and machines. Waived findings carry `suppressions: [{kind: external}]`
with the waiver's justification. With a baseline, `baselineState` is `new`, `unchanged` or
`updated` (some of the group's findings were in the baseline). At most `MAX_RESULTS` results
are written, the worst first; `run.properties` and a tool notification say how many were left
out.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from importlib.metadata import PackageNotFoundError, metadata
from pathlib import Path
from typing import Any

from auditor import __version__
from auditor.engine.policy import Policy, Rule
from auditor.outputs import atomic_text
from auditor.report.formats import AuditTables
from auditor.report.groups import Group, clean, group_findings, rows_text, sentence
from auditor.resources import rules_dir

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
TOOL_NAME = "flickr-audit"
# GitHub code scanning accepts at most 25,000 results per run (and shows the first 5,000).
MAX_RESULTS = 25_000
LISTED = 10  # photos named in a result's message
SRCROOT = "%SRCROOT%"
FINGERPRINT = "flickrAudit/v1"
LEVELS = {"error": "error", "warning": "warning", "note": "note", "off": "none"}
WAIVED = "waived in the audit's waiver file (see findings.csv, column waived)"


def _doc_page(rule: Rule, policy: Policy) -> str | None:
    """The rule's documentation page (Markdown), when it can be found."""
    if not rule.doc:
        return None
    candidates = [rules_dir() / rule.doc]
    if policy.source:
        candidates.append(Path(policy.source).parent / rule.doc)
    for path in candidates:
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
    return None


def _checks(page: str | None) -> str | None:
    """The page's first paragraph after its title (the "**Checks:**" one), on one line."""
    if page is None:
        return None
    paragraphs = [p.strip() for p in page.split("\n\n") if p.strip()]
    for paragraph in paragraphs:
        if not paragraph.startswith(("#", "|")):
            return " ".join(line.strip() for line in paragraph.splitlines()).replace("**", "")
    return None


def _absolute_url(text: str) -> str | None:
    return text if text.startswith(("https://", "http://")) else None


def rule_descriptor(rule: Rule, policy: Policy) -> dict[str, Any]:
    """A `reportingDescriptor` for a rule of the policy."""
    page = _doc_page(rule, policy)
    full = _checks(page) or rule.summary
    reference = _absolute_url(rule.reference)
    text = page or f"{rule.summary}\n" + (f"\nReference: {reference}\n" if reference else "")
    descriptor: dict[str, Any] = {"id": rule.id}
    # A friendly PascalCase name; SARIF wants none when it would only repeat the id.
    name = "".join(part.capitalize() for part in rule.id.split("-"))
    if name.lower() != rule.id.lower():
        descriptor["name"] = name
    descriptor |= {
        "shortDescription": {"text": sentence(rule.summary)},
        "fullDescription": {"text": sentence(full)},
        "help": {"text": text, "markdown": text},
    }
    if reference:
        descriptor["helpUri"] = reference
    configuration: dict[str, Any] = {"level": LEVELS.get(rule.severity, "warning")}
    if rule.severity == "off":
        configuration["enabled"] = False
    descriptor["defaultConfiguration"] = configuration
    descriptor["properties"] = {
        "tags": ["licence", "flickr", f"policy:{policy.id}"],
        "severity": rule.severity,
        "requiresLive": rule.requires_live,
        **({"doc": f"rules/{rule.doc}"} if rule.doc else {}),
    }
    return descriptor


def information_uri() -> str | None:
    """The project's home page from the installed package's metadata (`[project.urls]`), if
    it names one; SARIF viewers link the tool's name to it."""
    try:
        meta = metadata("flickr-licence-auditor")
    except PackageNotFoundError:
        return None
    candidates = list(meta.get_all("Home-page") or [])
    candidates += [entry.split(",", 1)[-1].strip() for entry in meta.get_all("Project-URL") or []]
    return next((url for url in candidates if _absolute_url(url)), None)


def _message(group: Group, summary: str) -> str:
    photos = "photo" if group.count == 1 else "photos"
    head = f"{summary.rstrip('.')}: {group.count} {photos} of {group.owner_label}"
    if group.waived:
        head += " (waived)"
    first = group.common_message  # None when the photos' reasons (licences) differ
    if first is None and group.messages > 1:
        first = f"{group.messages} different reasons; each is in findings.csv"
    text = f"{head}. {sentence(first)} " if first else f"{head}. "
    return text + sentence(f"Listed: {rows_text(group, LISTED)}")


def _result(group: Group, rule_index: dict[str, int], policy: Policy) -> dict[str, Any]:
    try:
        summary = policy.rule(group.rule).summary
    except KeyError:
        summary = f"Rule {group.rule}"
    where = group.where
    location: dict[str, Any] = {"artifactLocation": {"uri": where.uri}}
    if where.relative:
        location["artifactLocation"]["uriBaseId"] = SRCROOT
    # GitHub code scanning requires a region; a JSON or Parquet manifest has no line per
    # photo, so its results point at line 1 and name the record numbers instead.
    line = group.first_row if where.line_oriented and group.first_row >= 1 else 1
    location["region"] = {"startLine": line}
    result: dict[str, Any] = {
        "ruleId": group.rule,
        "level": LEVELS.get(group.severity, "warning"),
        "message": {"text": _message(group, summary)},
        "locations": [{"physicalLocation": location}],
        "partialFingerprints": {FINGERPRINT: group.fingerprint()},
    }
    if group.rule in rule_index:
        result["ruleIndex"] = rule_index[group.rule]
    if group.waived:
        result["suppressions"] = [{"kind": "external", "justification": WAIVED}]
    result["baselineState"] = group.state
    result["properties"] = {
        "owner": None if group.owner is None else clean(group.owner),
        "ownerName": None if group.owner_name is None else clean(group.owner_name),
        "photos": group.count,
        "inBaseline": group.in_baseline,
        "photoIds": [row.photo_id for row in group.rows],
        ("lines" if where.line_oriented else "records"): [row.source_row for row in group.rows],
    }
    return result


def sarif_log(result: AuditTables, *, cwd: Path | None = None) -> dict[str, Any]:
    """The SARIF log of an audit, as a JSON-ready dict."""
    policy = result.policy
    rules = [rule_descriptor(rule, policy) for rule in policy.rules]
    rule_index = {rule.id: index for index, rule in enumerate(policy.rules)}
    groups = group_findings(result.findings, policy, result.photos, listed=LISTED, cwd=cwd)
    kept = groups[:MAX_RESULTS]
    left_out = len(groups) - len(kept)
    run_doc: Mapping[str, Any] = result.document["run"]
    invocation: dict[str, Any] = {"executionSuccessful": True}
    for key, name in (("started_at", "startTimeUtc"), ("finished_at", "endTimeUtc")):
        if run_doc.get(key):
            invocation[name] = str(run_doc[key])
    if left_out:
        invocation["toolExecutionNotifications"] = [
            {
                "level": "warning",
                "message": {
                    "text": f"{left_out} more results (of {len(groups)}) were left out: SARIF "
                    f"consumers accept at most {MAX_RESULTS}. All findings are in "
                    "findings.csv."
                },
            }
        ]
    driver: dict[str, Any] = {
        "name": TOOL_NAME,
        "version": __version__,
        "semanticVersion": __version__,
    }
    if (home := information_uri()) is not None:
        driver["informationUri"] = home
    driver["rules"] = rules
    run: dict[str, Any] = {
        "tool": {"driver": driver},
        "automationDetails": {"id": f"flickr-audit/{policy.id}/"},
        "invocations": [invocation],
        "originalUriBaseIds": {
            SRCROOT: {"uri": (cwd or Path.cwd()).resolve().as_uri().rstrip("/") + "/"}
        },
        "results": [_result(group, rule_index, policy) for group in kept],
        "properties": {
            "policy": policy.id,
            "mode": run_doc.get("mode"),
            "resultsTotal": len(groups),
            "resultsWritten": len(kept),
            "truncated": bool(left_out),
            "aggregation": "one result per rule, owner and manifest file (waived apart)",
        },
    }
    return {"$schema": SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}


def write_sarif(result: AuditTables, out_dir: Path) -> list[Path]:
    """Write `audit.sarif` into `out_dir`; return its path."""
    path = out_dir / "audit.sarif"
    log = sarif_log(result)
    run = log["runs"][0]
    results = run["results"]
    # Indented, but one line per result: json's indenting encoder is pure Python and takes
    # seconds on 25,000 results; the compact one (C) takes a fraction of that.
    run["results"] = _RESULTS_SLOT
    head = json.dumps(log, ensure_ascii=False, indent=1, allow_nan=False)
    run["results"] = results
    lines = ",\n".join(json.dumps(r, ensure_ascii=False, allow_nan=False) for r in results)
    slot = json.dumps(_RESULTS_SLOT)
    with atomic_text(path) as handle:
        handle.write(head.replace(slot, f"[\n{lines}\n]" if results else "[]", 1))
        handle.write("\n")
    return [path]


# Stands for the results in the indented head; a NUL cannot come from manifest text (cleaned)
# and is written escaped, so the quoted slot occurs nowhere else.
_RESULTS_SLOT = "\x00results\x00"
