"""The short plain-text summary of an audit that the CLI prints to stderr."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import TYPE_CHECKING

from auditor.findings import SEVERITIES
from auditor.safe_text import one_line

if TYPE_CHECKING:
    from auditor.report.document import AuditDocument, OwnerRecord

NAME_CHARS = 40  # owner names and rule lists are cut to keep one owner per line

# Manifest text reaches a terminal, CI logs and reports through here: an ANSI escape in an owner
# name could recolour or rewrite the screen, a bidi override reorder it (`auditor.safe_text`).
plain = one_line


def severity_counts(owner: OwnerRecord) -> dict[str, int]:
    """An owner record's findings not waived, by severity (`SEVERITIES` order)."""
    return {"error": owner["error"], "warning": owner["warning"], "note": owner["note"]}


def has_findings(owner: OwnerRecord) -> bool:
    """Whether an owner record has findings not waived (of any severity)."""
    return bool(owner["error"] or owner["warning"] or owner["note"])


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


OFFLINE_BASIS = "by the licences the manifests record"


def usable_sentence(document: AuditDocument) -> str:
    """The answer, first: `N of M photos usable for POLICY` (offline: `… by the licences the
    manifests record`). Photos are distinct photo ids; usable ones have no error finding that
    is not waived. The same sentence heads stderr, summary.md and report.html."""
    summary = document["summary"]
    photos = int(summary["photos"])
    sentence = (
        f"{summary['usable_photos']} of {photos} {'photo' if photos == 1 else 'photos'} usable "
        f"for {plain(document['run']['policy'])}"
    )
    if document["run"]["mode"] == "offline":
        sentence += f" {OFFLINE_BASIS}"
    return sentence


def _rules_text(rules: Mapping[str, int], limit: int) -> str:
    """`rule 3, other 1`: whole rule ids (never cut), as many as fit in `limit` characters,
    then `+N more`."""
    shown: list[str] = []
    used = 0
    items = list(rules.items())
    for index, (rule, count) in enumerate(items):
        part = f"{plain(rule)} {count}"
        if shown and used + len(part) + 2 > limit:
            shown.append(f"+{len(items) - index} more")
            break
        shown.append(part)
        used += len(part) + 2
    return ", ".join(shown)


def summary_lines(
    document: AuditDocument, *, worst: int = 5, offline_reason: str | None = None
) -> list[str]:
    """The usable photos first, then how the audit judged, photos and rows, findings (rows)
    by severity (and against the baseline) and rule, the `worst` worst owners, waivers.
    `offline_reason` (e.g. `--offline`) says why an audit was offline."""
    run = document["run"]
    summary = document["summary"]
    findings = summary["findings"]
    lines = [usable_sentence(document)]
    if run["mode"] == "offline":
        why = f" ({plain(offline_reason)})" if offline_reason else ""
        lines.append(
            f"offline audit{why}: deletions, privacy, licence changes and opt-out tags were not "
            "checked"
        )
    else:
        lines.append(f"live audit: status as of {plain(str(run['status_as_of']))}")
    lines.append(
        f"photos: {summary['photos']} distinct in {_plural(summary['rows'], 'manifest row')}, "
        f"{summary['photos_with_errors']} with errors; "
        f"{_plural(summary['owners'], 'owner')}"
    )
    severities = ", ".join(_plural(findings[s], s) for s in SEVERITIES)
    lines.append(f"findings (one per row and rule): {severities}; {summary['waived']} waived")
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
        lines.append(f"findings by rule: {by_rule}")

    owners = document["owners"]  # one per owner: hundreds of thousands in a large audit
    ranked = sum(1 for owner in owners if has_findings(owner))
    if ranked and worst > 0:
        lines.append(f"worst owners ({min(worst, ranked)} of {ranked} with findings):")
        for owner in itertools.islice(filter(has_findings, owners), worst):
            who = "(owner unknown)" if owner["owner"] is None else plain(owner["owner"])
            if owner["owner_name"] is not None:
                who += f" ({plain(owner['owner_name'], NAME_CHARS)})"
            counts = ", ".join(_plural(n, s) for s, n in severity_counts(owner).items() if n)
            lines.append(
                f"  {who}: {owner['usable_photos']} of {_plural(owner['photos'], 'photo')} "
                f"usable; {counts}: {_rules_text(owner['rules'], NAME_CHARS * 2)}"
            )
    elif not any(findings.values()):
        lines.append("no findings to act on")

    problems = document["waiver_problems"]
    if problems:
        lines.append(f"waiver problems: {len(problems)}")
        for problem in problems:
            where = "" if problem["line"] is None else f"line {problem['line']}: "
            lines.append(f"  {where}{plain(problem['message'], 200)}")
    return lines
