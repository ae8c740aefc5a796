"""`junit.xml`: the audit as JUnit test results, for CI systems that chart tests.

`<testsuites>` holds one `<testsuite>` per rule of the policy (name: the rule id), in the
policy's order. In a rule's suite:

- one `<testcase>` per owner with findings of that rule (classname: the rule id; name: the
  owner, or "unknown owner" for rows without one; `file` and `line`: where its first finding
  is). It fails (`<failure type="error|warning">`) when the owner has error or warning findings
  that are neither waived nor in the baseline; the failure lists those photos (photo id,
  file:line or record, message), at most `LISTED` with "and N more". Notes, waived findings and
  baseline findings never fail a test: they are listed in the test's `<system-out>`.
- one passing `<testcase name="all other owners (N)">` standing for the owners of the audited
  photos with no finding of the rule, so a rule's suite is never empty and its `tests` count
  means something. Owners without findings get no testcase of their own: a dataset with
  100,000 owners would otherwise make a file of 1.3 million tests.
- a rule the policy turns `off` has one skipped testcase; so has a rule that needs the live
  status (`not-public`, `licence-changed`, …) in an offline audit: it was not checked, so it
  neither passes nor fails.

Text from manifests goes through ElementTree (which escapes it) after characters XML 1.0
cannot hold (control characters, lone surrogates, U+FFFE/U+FFFF) are removed.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

import pandas as pd

from auditor.engine.policy import Rule
from auditor.outputs import atomic_text
from auditor.report.formats import AuditTables
from auditor.report.groups import UNKNOWN_OWNER, Group, Row, clean, group_findings

LISTED = 200  # photos listed per testcase (failure and system-out each)
FAILING = frozenset({"error", "warning"})

# What XML 1.0 cannot hold (https://www.w3.org/TR/xml/#charsets).
_ILLEGAL = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: object) -> str:
    """`text` without the characters XML 1.0 cannot hold."""
    return _ILLEGAL.sub("", str(text))


def _line(group: Group, row: Row) -> str:
    state = []
    if group.waived:
        state.append("waived")
    if row.baseline:
        state.append("in baseline")
    suffix = f" [{', '.join(state)}]" if state else ""
    return f"{group.row_label(row)}: {row.message}{suffix}"


def _listing(lines: list[str], total: int) -> str:
    shown = lines[:LISTED]
    if total > len(shown):
        shown.append(f"… and {total - len(shown)} more; all are in findings.csv")
    return "\n".join(shown)


def _owner_count(photos: pd.DataFrame) -> int:
    """Distinct owners of the audited photos (rows without one count as one owner)."""
    if "owner" not in photos.columns or photos.empty:
        return 0
    owners = photos["owner"]
    return int(owners.nunique(dropna=True)) + int(bool(owners.isna().any()))


def _testcase(rule: Rule, groups: list[Group]) -> tuple[ET.Element, bool]:
    """The testcase of one owner for one rule, and whether it failed."""
    first = min(groups, key=lambda g: (g.where.path, g.first_row))
    owner = first.owner
    case = ET.Element(
        "testcase",
        {
            "classname": rule.id,
            "name": xml_text(UNKNOWN_OWNER if owner is None else clean(owner)),
            "file": xml_text(first.where.path),
            "time": "0",
        },
    )
    if first.where.line_oriented:
        case.set("line", str(first.first_row))
    failing: list[str] = []
    failing_total = 0
    other: list[str] = []
    other_total = 0
    for group in groups:
        fails = group.severity in FAILING and not group.waived
        for row in group.rows:
            if fails and not row.baseline:
                failing.append(_line(group, row))
            else:
                other.append(_line(group, row))
        new = group.new_count if fails else 0
        failing_total += new
        other_total += group.count - new
    failed = failing_total > 0
    if failed:
        photos = "photo" if failing_total == 1 else "photos"
        message = f"{failing_total} {photos} of {first.owner_label}: {rule.summary}"
        failure = ET.SubElement(
            case, "failure", {"message": xml_text(message), "type": first.severity}
        )
        failure.text = xml_text(_listing(failing, failing_total))
    if other_total:
        out = ET.SubElement(case, "system-out")
        head = f"{other_total} finding(s) that do not fail (notes, waived, or in the baseline):"
        out.text = xml_text(head + "\n" + _listing(other, other_total))
    return case, failed


def _not_checked(rule: Rule, policy: str, live: bool, opt_outs: bool) -> tuple[str, str] | None:
    """(testcase name, reason) when the rule was not checked in this audit, else None."""
    if rule.severity == "off":
        return "rule is off", f"off in policy {policy}"
    if not rule.checked(live=live, opt_outs=opt_outs):
        lists = "" if rule.requires_live or opt_outs else " (or --opt-outs lists)"
        return (
            "not checked offline",
            f"needs each photo's live status from Flickr{lists}; this audit was offline",
        )
    return None


def junit_tree(result: AuditTables) -> ET.ElementTree[ET.Element]:
    """The JUnit XML document of an audit."""
    policy = result.policy
    groups = group_findings(result.findings, policy, result.photos, listed=LISTED)
    by_rule: dict[str, dict[str | None, list[Group]]] = defaultdict(lambda: defaultdict(list))
    for group in groups:
        by_rule[group.rule][group.owner].append(group)
    owners = _owner_count(result.photos)
    live = result.document["run"]["mode"] == "live"
    root = ET.Element("testsuites", {"name": xml_text(f"flickr-audit policy {policy.id}")})
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for rule in policy.rules:
        suite = ET.SubElement(root, "testsuite", {"name": rule.id})
        props = ET.SubElement(suite, "properties")
        for name, value in (
            ("severity", rule.severity),
            ("summary", rule.summary),
            ("policy", policy.id),
            ("reference", rule.reference),
        ):
            if value:
                ET.SubElement(props, "property", {"name": name, "value": xml_text(value)})
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        skipped = _not_checked(rule, policy.id, live, "opt_outs" in result.document["summary"])
        if skipped is not None:
            name, why = skipped
            case = ET.SubElement(
                suite, "testcase", {"classname": rule.id, "name": name, "time": "0"}
            )
            ET.SubElement(case, "skipped", {"message": why})
            counts["tests"] += 1
            counts["skipped"] += 1
        else:
            owned = by_rule.get(rule.id, {})
            for owner_groups in owned.values():
                case, failed = _testcase(rule, owner_groups)
                suite.append(case)
                counts["tests"] += 1
                counts["failures"] += int(failed)
            others = max(owners - len(owned), 0)
            ET.SubElement(
                suite,
                "testcase",
                {"classname": rule.id, "name": f"all other owners ({others})", "time": "0"},
            )
            counts["tests"] += 1
        for key, count in counts.items():
            suite.set(key, str(count))
            totals[key] += count
        suite.set("time", "0")
    for key, total in totals.items():
        root.set(key, str(total))
    root.set("time", "0")
    ET.indent(root)
    return ET.ElementTree(root)


def write_junit(result: AuditTables, out_dir: Path) -> list[Path]:
    """Write `junit.xml` into `out_dir`; return its path."""
    path = out_dir / "junit.xml"
    tree = junit_tree(result)
    with atomic_text(path) as handle:
        tree.write(handle, encoding="unicode", xml_declaration=True)
        handle.write("\n")
    return [path]
