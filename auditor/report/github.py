"""`--format github`: workflow-command annotations and the job's step summary.

`github_annotations` gives one `::error` / `::warning` / `::notice` line (for error, warning and
note findings) per rule, owner and manifest file, as in SARIF (`auditor.report.groups`), worst
first, with `file` and (for line-oriented manifests) `line` of the first photo, so GitHub shows
it on the manifest in a pull request. Waived findings and findings already in the baseline get
no annotation. GitHub shows at most 10 annotations of each type per step, so at most
`PER_TYPE` of each are printed; when some are left out, a last `::notice` (replacing the tenth
notice if need be) says how many and where they all are.

Escaping follows GitHub's runner (`ActionCommand`): in the message `%`, CR and LF become `%25`,
`%0D`, `%0A`; in property values `:` and `,` also become `%3A` and `%2C`. Manifest text is
first put on one line without control characters, so nothing in it can end the command or
start another one.

`step_summary` is `summary.md`'s Markdown followed by the table of all aggregated findings
(cut to stay under GitHub's 1 MiB limit per step summary).
"""

from __future__ import annotations

from pathlib import Path

from auditor.report.formats import AuditTables, Written
from auditor.report.groups import Group, group_findings, rows_text
from auditor.report.markdown import md_escape, summary_markdown

PER_TYPE = 10  # GitHub shows 10 annotations of each type per step
COMMANDS = {"error": "error", "warning": "warning", "note": "notice"}
LISTED = 5  # photos named per annotation
SUMMARY_BYTES = 1_000_000  # GitHub refuses step summaries over 1 MiB
TABLE_LISTED = 3  # photos named per row of the summary's table


def escape_data(text: str) -> str:
    """A workflow command's message, escaped as the runner unescapes it."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value, escaped as the runner unescapes it."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, **properties: str | int | None) -> str:
    """`::name key=value,...::message`, escaped; properties that are None are left out."""
    props = ",".join(
        f"{key}={escape_property(str(value))}"
        for key, value in properties.items()
        if value is not None
    )
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


def _shown(groups: list[Group]) -> list[Group]:
    """The groups that get annotations: not waived, with findings not in the baseline."""
    return [g for g in groups if not g.waived and g.new_count > 0 and g.severity in COMMANDS]


def _annotation(group: Group) -> str:
    photos = "photo" if group.new_count == 1 else "photos"
    title = f"{group.rule}: {group.new_count} {photos} of {group.owner_label}"
    first = group.common_message
    if first is None and group.messages > 1:
        # Photos judged on different licences: the rule, not one photo's reason.
        reasons = f"{group.messages} different reasons; each is in findings.csv"
        first = f"{group.summary or group.rule} ({reasons})"
    message = f"{first}\n{rows_text(group, LISTED)}" if first else rows_text(group, LISTED)
    if group.in_baseline:
        message += f"\n({group.in_baseline} of them already in the baseline)"
    line = group.first_row if group.where.line_oriented and group.first_row >= 1 else None
    return command(COMMANDS[group.severity], message, file=group.where.path, line=line, title=title)


def write_github(result: AuditTables, out_dir: Path) -> Written:
    """`--format github`: no file; the annotations for stdout and the step summary, built
    when asked for (the CLI asks when `$GITHUB_STEP_SUMMARY` names a file)."""
    from auditor.report.pause import gc_paused

    with gc_paused():
        annotations = github_annotations(result)

    def summary() -> str:
        with gc_paused():
            return step_summary(result)

    return Written([], stdout=annotations, step_summary=summary)


def github_annotations(result: AuditTables) -> list[str]:
    """The workflow commands to print: at most `PER_TYPE` per type, worst first."""
    groups = _shown(group_findings(result.findings, result.policy, result.photos, listed=LISTED))
    by_type: dict[str, list[Group]] = {name: [] for name in COMMANDS.values()}
    for group in groups:
        by_type[COMMANDS[group.severity]].append(group)
    left_out = {name: max(len(items) - PER_TYPE, 0) for name, items in by_type.items()}
    overflow = sum(left_out.values())
    if overflow and len(by_type["notice"]) >= PER_TYPE:
        # The closing notice takes the tenth notice's place.
        left_out["notice"] += 1
        overflow += 1
    lines: list[str] = []
    for name, items in by_type.items():
        lines += [_annotation(group) for group in items[: len(items) - left_out[name]]]
    if overflow:
        parts = [f"{count} {name}(s)" for name, count in left_out.items() if count]
        lines.append(
            command(
                "notice",
                f"{overflow} more annotation(s) not shown ({', '.join(parts)}): GitHub shows "
                f"{PER_TYPE} of each type per step. All findings are in the job summary, "
                "findings.csv and audit.sarif.",
                title="flickr-audit: more findings",
            )
        )
    return lines


def _state(group: Group) -> str:
    if group.waived:
        return "waived"
    return {"new": "new", "unchanged": "in baseline", "updated": "partly in baseline"}[group.state]


def findings_table(groups: list[Group], budget: int) -> list[str]:
    """The Markdown table of all groups, cut when it would exceed `budget` bytes."""
    lines = [
        f"## All findings by rule, owner and manifest ({len(groups)})",
        "",
    ]
    if not groups:
        return [*lines, "No findings.", ""]
    lines += [
        "| rule | severity | owner | manifest | photos | state | first photos |",
        "|---|---|---|---|---:|---|---|",
    ]
    used = sum(len(line.encode()) + 1 for line in lines)
    for index, group in enumerate(groups):
        row = (
            f"| {md_escape(group.rule)} | {md_escape(group.severity)} | "
            f"{md_escape(group.owner_label, 200)} | {md_escape(group.where.path, 200)} | "
            f"{group.count} | {md_escape(_state(group))} | "
            f"{md_escape(rows_text(group, TABLE_LISTED), 400)} |"
        )
        size = len(row.encode()) + 1
        if used + size > budget:
            rest = len(groups) - index
            lines += ["", f"{rest} more row(s) left out (size limit); all are in findings.csv."]
            break
        lines.append(row)
        used += size
    return [*lines, ""]


def step_summary(result: AuditTables) -> str:
    """The Markdown appended to `$GITHUB_STEP_SUMMARY`."""
    head = summary_markdown(result.document, result.findings)
    groups = group_findings(result.findings, result.policy, result.photos, listed=TABLE_LISTED)
    budget = SUMMARY_BYTES - len(head.encode()) - 200
    table = findings_table(groups, max(budget, 0))
    return head + "\n" + "\n".join(table).rstrip("\n") + "\n"
