"""`summary.md`: the audit as a Markdown report for people, from the audit document and findings.

Every string that comes from a manifest, a policy or a waiver file (owner names, messages, paths,
rule ids) goes through `md_escape`: such text can hold `|`, `*`, backticks, `<script>`, links and
newlines, and must render as the literal text, never as markup, HTML or a broken table.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from auditor.findings import (
    SEVERITIES,
)
from auditor.report.document import (
    AuditDocument,
    format_rules,
)
from auditor.report.encode import findings_arrow
from auditor.report.tally import AuditTally
from auditor.report.text import has_findings, plain, severity_counts, usable_sentence

OWNER_ROWS = 50  # owners in the table; the rest are in owners.csv
DETAIL_OWNERS = 10  # worst owners whose findings are listed
DETAIL_FINDINGS = 20  # findings listed per owner
CELL_CHARS = 300  # longer text is cut (with an ellipsis) to keep tables readable

RULE_EXPLANATIONS: dict[str, str] = {
    "non-commercial": "the licence forbids commercial use (NC) and this use is commercial",
    "no-derivatives": "the licence forbids adapted versions (ND) and this use adapts the images",
    "all-rights-reserved": "no licence was granted; using the photo needs its owner's permission",
    "share-alike": "adaptations must be shared under the same licence (SA), and this use "
    "redistributes adaptations",
    "attribution": "the licence requires credit (BY): redistributed images must ship with "
    "author, title, licence and source",
    "unknown-licence": "no licence could be established for the photo; treat it as all rights "
    "reserved until checked",
    "no-photo-id": "the manifest row names no Flickr photo, so neither its licence nor its "
    "owner can be checked",
    "duplicate": "the photo is listed more than once",
    "not-public": "the photo is deleted or private on Flickr now",
    "licence-changed": "the photo's licence on Flickr now differs from the recorded one; the "
    "message says whether the change narrowed or widened what it allows, and when",
    "licence-mismatch": "the recorded licence is not the one Flickr's licence history shows in "
    "force when the photo was collected",
    "unverified": "the photo's current status could not be fetched from Flickr",
    "opt-out": "the owner tagged the photo with one of the policy's opt-out tags (such as no_cv) "
    "to opt out of machine learning, or a removal request or opt-out list given with --opt-outs "
    "names it",
}
_STR = pa.large_string()
OTHER_RULE = "a rule of this policy; see the policy's documentation"

# Characters with an inline meaning in CommonMark / GitHub Markdown: emphasis, code, links and
# images, tables, strikethrough, math, escapes. `<`, `>` and `&` become entities instead, which
# every renderer honours, so no tag or entity in the text is ever interpreted.
_INLINE = re.compile(r"([\\`*_\[\]{}()|~$!#])")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
# What would start a block (heading, list, quote, setext underline) if the text began a line.
_BLOCK_MARK = re.compile(r"^[-+=#]")
_ORDERED_MARK = re.compile(r"^(\d{1,9})([.)])(?=\s|$)")


def md_escape(text: object, limit: int | None = None) -> str:
    """`text` as Markdown that renders as exactly that text, on one line.

    Control characters and line breaks become spaces and the ends are trimmed (`plain`; leading
    spaces could start a code block); with `limit`, longer text is cut and ends with an
    ellipsis (cut before escaping, so no escape is split).
    """
    return _escape_line(text, _INLINE, limit)


def _escape_line(text: object, inline: re.Pattern[str], limit: int | None = None) -> str:
    """`plain(text, limit)` with `<`, `>`, `&` as entities, every `inline` match escaped, and
    what would start a block at the line's start escaped."""
    out = "".join(_ENTITIES.get(char, char) for char in plain(text, limit))
    out = inline.sub(lambda m: "\\" + m.group(0), out)
    out = _BLOCK_MARK.sub(lambda m: "\\" + m.group(0), out, count=1)
    return _ORDERED_MARK.sub(lambda m: m.group(1) + "\\" + m.group(2), out, count=1)


# In a one-line paragraph of prose, fewer characters can do anything: `(`, `)` only make a link
# after `]`, `!` only an image before `[`, `{`, `}` nothing, `|` a table only with a delimiter
# row on the next line, `#` a heading only at the start (`_BLOCK_MARK`), and `_` between two
# letters or digits never opens or closes emphasis (CommonMark's flanking rules), so
# `spike_yun` stays as typed.
_PROSE_INLINE = re.compile(r"([\\`*\[\]~$])|(?<![^\W_])_|_(?![^\W_])")


def md_escape_prose(text: object) -> str:
    """`text` as one line of Markdown prose that renders as exactly that text, escaping only
    what could act in a paragraph of its own (for a letter a person reads as plain text too):
    `md_escape`'s guarantees, with fewer backslashes."""
    return _escape_line(text, _PROSE_INLINE)


def _owner_label(owner: Any) -> str:
    return "*(owner unknown)*" if owner is None else md_escape(owner)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def _explain(rule: str) -> str:
    return RULE_EXPLANATIONS.get(rule, OTHER_RULE)


def _header(document: AuditDocument) -> list[str]:
    run = document["run"]
    tool = document["tool"]
    lines = [
        f"# {md_escape(usable_sentence(document))}",
        "",
        f"Licence audit: policy {md_escape(run['policy'])}, {md_escape(run['mode'])} mode.",
        "",
    ]
    if run["mode"] == "offline":
        lines += [
            (
                "> **Offline audit.** The licences judged here are the ones the manifests "
                "recorded when the photos were collected. Live checks were not done: whether "
                "photos have since been deleted or made private, whether their licences have "
                "changed, and whether their owners have opted out (opt-out tags)."
            ),
            "",
        ]
    else:
        lines += [
            (
                "> **Live audit.** Each photo's visibility, current licence and tags were "
                f"looked up on Flickr: status as of {md_escape(str(run['status_as_of']))} "
                f"({run['photos_fetched']} photo(s) fetched in this run with "
                f"{_plural(sum(run['api_calls'].values()), 'API call')}, "
                f"{run['photos_reused']} reused from earlier runs; "
                f"{run['unverified']} could not be checked)."
            ),
            "",
        ]
    manifests = ", ".join(md_escape(m) for m in run["manifests"]) or "none"
    lines += [
        f"- Manifests: {manifests}",
        f"- Run: {md_escape(run['started_at'])} to {md_escape(run['finished_at'])}",
        f"- Tool: {md_escape(tool['name'])} {md_escape(tool['version'])}",
        "",
    ]
    return lines


def _totals(document: AuditDocument) -> list[str]:
    summary = document["summary"]
    rows = [
        ("photos (distinct photo ids)", summary["photos"]),
        ("usable photos (no error finding not waived)", summary["usable_photos"]),
        ("photos with errors", summary["photos_with_errors"]),
        ("manifest rows", summary["rows"]),
        ("owners", summary["owners"]),
        *(
            (f"{severity} findings (one per row and rule)", summary["findings"][severity])
            for severity in SEVERITIES
        ),
        ("waived findings", summary["waived"]),
    ]
    lines = ["## Totals", "", "| | count |", "|---|---:|"]
    lines += [f"| {label} | {count} |" for label, count in rows]
    return [*lines, ""]


def _baseline(document: AuditDocument) -> list[str]:
    baseline = document["summary"].get("baseline")
    if baseline is None:
        return []
    return [
        "## Against the baseline",
        "",
        (
            f"Compared with {md_escape(baseline['file'])} (an earlier run's audit.json): "
            f"**{baseline['new']} new** finding(s), {baseline['unchanged']} unchanged (already "
            f"in the baseline), {baseline['fixed']} fixed (in the baseline, not found now). "
            "Only new findings that are not waived count for the exit code."
        ),
        "",
    ]


def rule_rows(findings: pd.DataFrame) -> list[tuple[str, str, int, int]]:
    """(rule, severity, findings not waived, waived) per rule in a findings table, as
    `AuditTally.rule_rows` gives them."""
    tally = AuditTally()
    tally.add_findings(findings, tally.owner_codes(findings["owner"]))
    return tally.rule_rows()


def _by_rule(rows: list[tuple[str, str, int, int]]) -> list[str]:
    lines = ["## Findings by rule", ""]
    if not rows:
        return [*lines, "No findings.", ""]
    lines += [
        "| rule | severity | findings | waived | what it means |",
        "|---|---|---:|---:|---|",
    ]
    for rule, severity, live, waived_count in rows:
        lines.append(
            f"| {md_escape(rule)} | {md_escape(severity)} | {live} | {waived_count} | "
            f"{md_escape(_explain(rule))} |"
        )
    return [*lines, ""]


def _owners(document: AuditDocument) -> list[str]:
    owners = document["owners"]
    lines = ["## Owners, worst first", ""]
    if not owners:
        return [*lines, "No owners.", ""]
    lines += [
        "| owner | name | photos | usable photos | errors | warnings | notes | waived | rules |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for owner in owners[:OWNER_ROWS]:
        name = "" if owner["owner_name"] is None else md_escape(owner["owner_name"], CELL_CHARS)
        lines.append(
            f"| {_owner_label(owner['owner'])} | {name} | {owner['photos']} | "
            f"{owner['usable_photos']} | {owner['error']} | "
            f"{owner['warning']} | {owner['note']} | {owner.get('waived', 0)} | "
            f"{md_escape(format_rules(owner['rules']), CELL_CHARS)} |"
        )
    if len(owners) > OWNER_ROWS:
        left_out = len(owners) - OWNER_ROWS
        lines += ["", f"{_plural(left_out, 'more owner')} not shown; all are in owners.csv."]
    return [*lines, ""]


def _finding_line(finding: dict[str, Any]) -> str:
    if finding["photo_id"] is not None:
        what = f"photo {md_escape(finding['photo_id'])}"
    else:
        what = "a row without a photo id"
    where = f"{finding['source_file'] or '?'}:{finding['source_row'] or '?'}"
    state = str(finding["severity"])
    if finding["waived"]:
        state += ", waived"
    if finding.get("baseline"):
        state += ", in the baseline"
    return (
        f"- {what} ({md_escape(where, CELL_CHARS)}): **{md_escape(finding['rule'])}** "
        f"({md_escape(state)}): {md_escape(finding['message'] or '', CELL_CHARS)}"
    )


class WorstOwnersFindings:
    """The findings summary.md lists: those of the worst owners (the first `DETAIL_OWNERS` of
    the document's owners with findings), at most `DETAIL_FINDINGS` each, picked from findings
    that come in batches in report order. Only the ones that may be listed are kept."""

    def __init__(self, document: AuditDocument) -> None:
        self.worst = list(itertools.islice(filter(has_findings, document["owners"]), DETAIL_OWNERS))
        self._wanted = pa.array([o["owner"] for o in self.worst if o["owner"] is not None], _STR)
        self._null = any(o["owner"] is None for o in self.worst)
        self.listed: dict[Any, list[dict[str, Any]]] = {o["owner"]: [] for o in self.worst}
        self.total: dict[Any, int] = dict.fromkeys(self.listed, 0)

    def add(self, findings: pa.Table) -> None:
        """Take the worst owners' findings from a batch (`encode.findings_arrow` columns)."""
        if not self.worst or findings.num_rows == 0:
            return
        owner = findings.column("owner")
        picked = pc.fill_null(pc.is_in(owner, value_set=self._wanted), False)
        if self._null:
            picked = pc.or_(picked, pc.is_null(owner))
        chosen = findings.filter(picked)
        if chosen.num_rows == 0:
            return
        owners = chosen.column("owner").to_numpy(zero_copy_only=False)
        order = _listing_order(chosen)
        rank = {name: i for i, name in enumerate(SEVERITIES)}
        for name in pd.unique(owners):
            key = None if pd.isna(name) else name
            rows = np.flatnonzero(pd.isna(owners) if key is None else owners == key)
            self.total[key] += len(rows)
            # Only the first DETAIL_FINDINGS of the batch can be listed: no row else becomes
            # a Python dict (an owner-less COCO or LAION manifest has all its findings here).
            first = rows[np.argsort(order[rows], kind="stable")[:DETAIL_FINDINGS]]
            mine = self.listed[key]
            mine.extend(chosen.take(pa.array(first)).to_pylist())
            self._trim(mine, rank)

    @staticmethod
    def _trim(mine: list[dict[str, Any]], rank: dict[str, int]) -> None:
        # Stable: among equals the earlier finding stays first, as in the findings table.
        mine.sort(key=lambda f: (bool(f["waived"]), rank.get(f["severity"], 99), str(f["rule"])))
        del mine[DETAIL_FINDINGS:]


def _listing_order(findings: pa.Table) -> npt.NDArray[np.int64]:
    """Per finding, a number that orders findings as `WorstOwnersFindings._trim` does: not
    waived first, then by severity, then by rule id (equal numbers: the same place)."""
    waived = pc.fill_null(findings.column("waived"), False).to_numpy(zero_copy_only=False)
    severities = pa.array(SEVERITIES, pa.string())
    severity = pc.index_in(findings.column("severity").cast(pa.string()), value_set=severities)
    severity_rank = pc.fill_null(severity, 99).to_numpy(zero_copy_only=False).astype(np.int64)
    rules = findings.column("rule").cast(pa.string())
    names = sorted(str(name) for name in pc.unique(rules).to_pylist())
    rule_rank = pc.index_in(rules, value_set=pa.array(names, pa.string()))
    rule_number = pc.fill_null(rule_rank, 0).to_numpy(zero_copy_only=False).astype(np.int64)
    order: npt.NDArray[np.int64] = (waived.astype(np.int64) * 100 + severity_rank) * (
        len(names) + 1
    ) + rule_number
    return order


def _details(worst: WorstOwnersFindings) -> list[str]:
    if not worst.worst:
        return []
    lines = [f"## Findings of the {_plural(len(worst.worst), 'worst owner')}", ""]
    for owner in worst.worst:
        name = owner["owner_name"]
        title = _owner_label(owner["owner"])
        if name is not None:
            title += f" ({md_escape(name, CELL_CHARS)})"
        counts = ", ".join(_plural(n, s) for s, n in severity_counts(owner).items() if n)
        lines += [f"### {title}: {counts}", ""]
        lines += [_finding_line(f) for f in worst.listed[owner["owner"]]]
        total = worst.total[owner["owner"]]
        if total > DETAIL_FINDINGS:
            left_out = total - DETAIL_FINDINGS
            lines.append(f"- … and {_plural(left_out, 'more finding')}; all are in findings.csv.")
        lines.append("")
    return lines


def _waiver_problems(document: AuditDocument) -> list[str]:
    problems = document["waiver_problems"]
    if not problems:
        return []
    lines = ["## Waiver problems", ""]
    for problem in problems:
        where = "" if problem["line"] is None else f"line {problem['line']}: "
        lines.append(f"- {where}{md_escape(problem['message'], CELL_CHARS)}")
    return [*lines, ""]


def summary_markdown(document: AuditDocument, findings: pd.DataFrame) -> str:
    """The text of `summary.md`: the audit document (see `build_audit_document`) and the
    findings table it was built from (the per-rule table and the worst owners' findings come
    from the table, so the document may lack `findings`)."""
    worst = WorstOwnersFindings(document)
    worst.add(findings_arrow(findings))
    return render_summary(document, rule_rows(findings), worst)


def render_summary(
    document: AuditDocument, rules: list[tuple[str, str, int, int]], worst: WorstOwnersFindings
) -> str:
    """The text of `summary.md` from the document (it may lack `findings`), the per-rule rows
    (`AuditTally.rule_rows`) and the worst owners' findings."""
    lines = [
        *_header(document),
        *_totals(document),
        *_baseline(document),
        *_by_rule(rules),
        *_owners(document),
        *_details(worst),
        *_waiver_problems(document),
    ]
    return "\n".join(lines).rstrip("\n") + "\n"
