"""The short plain-text summary of an audit that the CLI prints to stderr."""

from __future__ import annotations

from typing import Any

from auditor.findings import (
    SEVERITIES,
)
from auditor.report.document import (
    format_rules,
)
from auditor.safe_text import one_line

NAME_CHARS = 40  # owner names and rule lists are cut to keep one owner per line

# Manifest text reaches a terminal, CI logs and reports through here: an ANSI escape in an owner
# name could recolour or rewrite the screen, a bidi override reorder it (`auditor.safe_text`).
plain = one_line


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def summary_lines(document: dict[str, Any], *, worst: int = 5) -> list[str]:
    """Photos, owners, findings by severity (and against the baseline) and rule, the `worst`
    worst owners, waivers."""
    run = document["run"]
    summary = document["summary"]
    findings = summary["findings"]
    lines = [f"audit: policy {plain(run['policy'])}, {plain(run['mode'])}"]
    if run["mode"] == "offline":
        lines.append(
            "offline: judged on the licences the manifests recorded; deletions, privacy, "
            "licence changes and opt-outs were not checked"
        )
    else:
        lines.append(f"live: status as of {plain(str(run['status_as_of']))}")
    lines.append(
        f"{_plural(summary['photos'], 'photo')} ({_plural(summary['rows'], 'row')}), "
        f"{_plural(summary['owners'], 'owner')}"
    )
    severities = ", ".join(_plural(findings[s], s) for s in SEVERITIES)
    lines.append(f"findings: {severities}; {summary['waived']} waived")
    hosts = summary.get("other_hosts") or {}
    if hosts:
        shown = ", ".join(f"{plain(host)} {count}" for host, count in list(hosts.items())[:5])
        more = f", and {len(hosts) - 5} more host(s)" if len(hosts) > 5 else ""
        lines.append(
            f"not audited: {_plural(sum(hosts.values()), 'row')} of other image hosts "
            f"({shown}{more})"
        )
    baseline = summary.get("baseline")
    if baseline is not None:
        lines.append(
            f"baseline {plain(baseline['file'])}: {baseline['new']} new, "
            f"{baseline['unchanged']} unchanged, {baseline['fixed']} fixed "
            "(only new findings count for the exit code)"
        )
    if summary["by_rule"]:
        by_rule = ", ".join(f"{plain(rule)} {count}" for rule, count in summary["by_rule"].items())
        lines.append(f"by rule: {by_rule}")

    ranked = [o for o in document["owners"] if any(o[s] for s in SEVERITIES)]
    if ranked and worst > 0:
        lines.append(f"worst owners ({min(worst, len(ranked))} of {len(ranked)} with findings):")
        for owner in ranked[:worst]:
            who = "(owner unknown)" if owner["owner"] is None else plain(owner["owner"])
            if owner["owner_name"] is not None:
                who += f" ({plain(owner['owner_name'], NAME_CHARS)})"
            counts = ", ".join(_plural(owner[s], s) for s in SEVERITIES if owner[s])
            rules = plain(format_rules(owner["rules"]), NAME_CHARS * 2)
            lines.append(f"  {who}: {counts} in {_plural(owner['photos'], 'photo')}; {rules}")
    elif not any(findings.values()):
        lines.append("no findings to act on")

    problems = document["waiver_problems"]
    if problems:
        lines.append(f"waiver problems: {len(problems)}")
        for problem in problems:
            where = "" if problem["line"] is None else f"line {problem['line']}: "
            lines.append(f"  {where}{plain(problem['message'], 200)}")
    return lines
