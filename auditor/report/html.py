"""`report.html`: the audit as one self-contained page for people (`--format html`).

The page holds everything it shows: inline CSS, one inline script (sorting and filtering the
owners table) and inline SVG charts. It loads nothing: its Content-Security-Policy forbids every
request (`default-src 'none'`) and allows only inline styles, `data:` images and the one script,
by its SHA-256 hash, so markup that ever slipped into the page could run no script and fetch
nothing. The only URLs in it are links to the photos' pages on flickr.com.

Every string from a manifest, a policy, a waiver file or the run (owner names, titles, paths,
messages, rule ids) is written through `_esc` (control characters dropped, `html.escape` with
quotes). No such text is put into the script: the script reads the table it sorts from the DOM.

Large audits stay a bounded file: at most `OWNER_ROWS` owners (the worst), `PHOTOS_PER_OWNER`
photos per owner and `PHOTO_LINKS` photos in all are listed; the page says what it left out.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from auditor.findings import SEVERITIES
from auditor.manifests.flickr_ids import photo_page_url
from auditor.outputs import atomic_text
from auditor.report.document import AuditDocument, OwnerRecord, format_rules
from auditor.report.formats import AuditTables
from auditor.report.markdown import RULE_EXPLANATIONS, rule_rows
from auditor.report.text import plain, usable_sentence

OWNER_ROWS = 5_000  # owners in the table, worst first; the rest are in owners.csv
PHOTOS_PER_OWNER = 200  # photos listed under each owner
PHOTO_LINKS = 25_000  # photos listed in all, over every owner
LICENCE_BARS = 24  # licences charted; the rest are summed as "other licences"
CELL_CHARS = 300  # longer text is cut (with an ellipsis)

_SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}
_WAIVED_RANK = len(SEVERITIES)
_NO_FINDING_RANK = len(SEVERITIES) + 1
_SURROGATE = re.compile("[\ud800-\udfff]")
_NULL_OWNER = "\x00null-owner"  # a key no normalised owner can be
_COLOURS = {"error": "#c62828", "warning": "#ef6c00", "note": "#1565c0", "waived": "#9e9e9e"}
_RECORDED_COLOUR = "#5e35b1"
_CURRENT_COLOUR = "#00897b"

_CSS = """
:root { color-scheme: light; --line: #d0d4da; --muted: #5f6670; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0;
  color: #1d2126; background: #f6f7f9; }
header, main, footer { max-width: 1200px; margin: 0 auto; padding: 0 20px; }
header { padding-top: 20px; }
h1 { font-size: 1.6em; margin: 0 0 6px; }
h2 { font-size: 1.25em; margin: 28px 0 10px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px;
  padding: 4px 18px 14px; margin: 16px 0; }
.mode { border-left: 4px solid #ef6c00; background: #fff8e1; padding: 8px 12px;
  border-radius: 4px; }
.mode.live { border-color: #00897b; background: #e0f2f1; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 14px 0; padding: 0; }
.card { list-style: none; background: #fff; border: 1px solid var(--line); border-radius: 8px;
  padding: 10px 14px; min-width: 130px; }
.card .value { display: block; font-size: 1.6em; font-weight: 600; }
.card .label { color: var(--muted); font-size: 0.9em; }
.card.error .value { color: #c62828; } .card.warning .value { color: #ef6c00; }
.card.note .value { color: #1565c0; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 8px; text-align: left;
  vertical-align: top; }
th { background: #eef0f3; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
th button { font: inherit; font-weight: 600; background: none; border: 0; padding: 0;
  cursor: pointer; color: inherit; }
th[aria-sort="ascending"] button::after { content: " \\25B2"; }
th[aria-sort="descending"] button::after { content: " \\25BC"; }
.wrap { overflow-wrap: anywhere; }
.muted { color: var(--muted); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; }
dl.facts dt { font-weight: 600; } dl.facts dd { margin: 0; }
svg { max-width: 100%; height: auto; display: block; margin: 8px 0; }
svg text { font: 12px system-ui, sans-serif; fill: #1d2126; }
.legend span { display: inline-block; margin-right: 14px; }
.legend i { display: inline-block; width: 11px; height: 11px; margin-right: 4px;
  vertical-align: -1px; }
#owners td:first-child { min-width: 24em; }
#owner-filter { font: inherit; padding: 5px 8px; width: min(420px, 100%); margin: 4px 0 8px; }
details summary { cursor: pointer; color: #1f5fa8; }
details ol { margin: 6px 0; padding-left: 22px; }
details li { margin: 2px 0; }
.sev-error { color: #c62828; } .sev-warning { color: #ef6c00; } .sev-note { color: #1565c0; }
"""

# Sorting and filtering the owners table. It reads only the DOM; no audit data is in it.
_SCRIPT = """
(function () {
  "use strict";
  var table = document.getElementById("owners");
  var filter = document.getElementById("owner-filter");
  var shown = document.getElementById("owners-shown");
  if (!table || !table.tBodies.length) { return; }
  var body = table.tBodies[0];
  var headers = table.tHead.rows[0].cells;
  var rows = Array.prototype.slice.call(body.rows);
  var state = { column: -1, direction: 0 };

  function value(row, column, numeric) {
    var cell = row.cells[column];
    var text = cell.getAttribute("data-v");
    if (text === null) { text = cell.textContent; }
    return numeric ? Number(text) : text.toLowerCase();
  }

  function sortBy(column) {
    var numeric = headers[column].getAttribute("data-type") === "number";
    var direction;
    if (state.column === column) { direction = -state.direction; }
    else { direction = numeric ? -1 : 1; }
    state = { column: column, direction: direction };
    var keyed = rows.map(function (row) {
      return { row: row, key: value(row, column, numeric),
               rank: Number(row.getAttribute("data-rank")) };
    });
    keyed.sort(function (a, b) {
      if (a.key < b.key) { return -direction; }
      if (a.key > b.key) { return direction; }
      return a.rank - b.rank;
    });
    var fragment = document.createDocumentFragment();
    keyed.forEach(function (item) { fragment.appendChild(item.row); });
    body.appendChild(fragment);
    for (var i = 0; i < headers.length; i++) {
      if (i === column) {
        headers[i].setAttribute("aria-sort", direction > 0 ? "ascending" : "descending");
      } else if (headers[i].hasAttribute("aria-sort")) {
        headers[i].setAttribute("aria-sort", "none");
      }
    }
  }

  Array.prototype.forEach.call(headers, function (header, column) {
    var button = header.querySelector("button");
    if (button) { button.addEventListener("click", function () { sortBy(column); }); }
  });

  function applyFilter() {
    var wanted = filter.value.trim().toLowerCase();
    var count = 0;
    rows.forEach(function (row) {
      var text = row.getAttribute("data-search");
      var match = wanted === "" || (text !== null && text.indexOf(wanted) !== -1);
      row.hidden = !match;
      if (match) { count++; }
    });
    shown.textContent = count === rows.length
      ? "Showing all " + rows.length + " owners listed."
      : "Showing " + count + " of the " + rows.length + " owners listed.";
  }

  if (filter) {
    filter.disabled = false;
    filter.addEventListener("input", applyFilter);
    applyFilter();
  }
})();
"""


def _script_hash(script: str) -> str:
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")


CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    f"script-src '{_script_hash(_SCRIPT)}'; base-uri 'none'; form-action 'none'"
)


# -- text ---------------------------------------------------------------------------------------


def _esc(text: object, limit: int | None = CELL_CHARS) -> str:
    """`text` as HTML text or attribute content that shows exactly that text, on one line."""
    return html.escape(plain(text, limit), quote=True)


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}" + ("" if count == 1 else "s")


# -- the parts of the page ----------------------------------------------------------------------


def _head(document: AuditDocument) -> str:
    run = document["run"]
    title = f"Licence audit: policy {_esc(run['policy'])}, {_esc(run['mode'])}"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">\n'
        '<meta name="referrer" content="no-referrer">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<link rel="icon" href="data:,">\n'
        f"<title>{title}</title>\n<style>{_CSS}</style>\n</head>\n"
    )


def status_as_of(document: AuditDocument) -> str:
    """What the licences judged are as of, in words (plain text)."""
    run = document["run"]
    if run["mode"] != "live":
        return "recorded licences only (offline)"
    if _missing(run.get("status_as_of")):
        return "live, but no photo status was fetched"
    return str(run["status_as_of"])


def _mode_note(document: AuditDocument) -> str:
    run = document["run"]
    if run["mode"] != "live":
        return (
            '<p class="mode offline"><strong>Offline audit.</strong> The licences judged are '
            "the ones the manifests recorded when the photos were collected. Live checks were "
            "not done: whether photos have since been deleted or made private, whether their "
            "licences changed, and whether their owners opted out. Status as of: "
            f"<strong>{_esc(status_as_of(document))}</strong>.</p>"
        )
    calls = sum(int(n) for n in run["api_calls"].values())
    return (
        '<p class="mode live"><strong>Live audit.</strong> Each photo\'s visibility, current '
        "licence and tags were looked up on Flickr. Status as of: "
        f"<strong>{_esc(status_as_of(document))}</strong> "
        f"({_plural(int(run['photos_fetched']), 'photo')} fetched in this run with "
        f"{_plural(calls, 'API call')}, {int(run['photos_reused']):,} reused from earlier runs; "
        f"{int(run['unverified']):,} could not be checked).</p>"
    )


def _cards(document: AuditDocument) -> str:
    summary = document["summary"]
    run = document["run"]
    cards: list[tuple[str, str, str]] = [
        ("usable", f"{int(summary['usable_photos']):,}", "usable photos"),
        (
            "photos",
            f"{int(summary['photos']):,}",
            f"photos (in {_plural(summary['rows'], 'manifest row')})",
        ),
        ("photos-with-errors", f"{int(summary['photos_with_errors']):,}", "photos with errors"),
        ("owners", f"{int(summary['owners']):,}", "owners"),
    ]
    for severity in SEVERITIES:
        count = int(summary["findings"][severity])
        cards.append((severity, f"{count:,}", f"{severity} findings (rows)"))
    cards.append(("waived", f"{int(summary['waived']):,}", "waived findings"))
    if run["mode"] == "live":
        mode_label = f"mode: status as of {status_as_of(document)}"
    else:
        mode_label = "mode: recorded licences only"
    cards.append(("mode", _esc(run["mode"]), _esc(mode_label)))
    items = "".join(
        f'<li class="card {kind}" data-card="{kind}"><span class="value">{value}</span>'
        f'<span class="label">{label}</span></li>'
        for kind, value, label in cards
    )
    return f'<ul class="cards" id="cards">{items}</ul>'


def _run_facts(document: AuditDocument) -> str:
    run = document["run"]
    tool = document["tool"]
    manifests = ", ".join(_esc(m) for m in run["manifests"]) or "none"
    rows = [
        ("Manifests", f'<span class="wrap">{manifests}</span>'),
        ("Run", f"{_esc(run['started_at'])} to {_esc(run['finished_at'])}"),
        ("Tool", f"{_esc(tool['name'])} {_esc(tool['version'])}"),
    ]
    return _facts(rows)


def _facts(rows: Iterable[tuple[str, str]]) -> str:
    """A definition list of (label, HTML already escaped)."""
    return '<dl class="facts">' + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in rows) + "</dl>"


def licence_judged(basis: str, document: AuditDocument) -> str:
    """Which licence the photos were judged by, in words: an offline audit knows only the
    recorded one, whatever the policy's `licence_basis` would choose with the live status."""
    if document["run"]["mode"] != "live":
        return f"recorded (offline; with the live status this policy judges the {basis} licence)"
    return basis


def _policy(result: AuditTables) -> str:
    policy = result.policy
    use = policy.use.as_dict()
    facts = ", ".join(
        f"{_esc(name.replace('_', ' '))}: {'yes' if on else 'no'}" for name, on in use.items()
    )
    rows = [
        ("Policy", f"<code>{_esc(policy.id)}</code>"),
        ("Description", _esc(policy.description, None)),
        ("Use", facts),
        ("Licence judged", _esc(licence_judged(policy.licence_basis, result.document))),
        ("Status as of", _esc(status_as_of(result.document))),
    ]
    return f'<section id="policy"><h2>Policy</h2>{_facts(rows)}</section>'


def _bar_chart(
    label: str,
    rows: list[tuple[str, list[tuple[int, str, str]]]],
    *,
    stacked: bool,
) -> str:
    """A horizontal bar chart as inline SVG: per row a label and bars (value, colour, what);
    stacked bars share a line, the others get one line each."""
    if not rows:
        return ""
    label_width = 230
    width = 760
    bar_area = width - label_width - 70
    line = 18
    gap = 8
    largest = max(
        (sum(v for v, _, _ in bars) if stacked else max((v for v, _, _ in bars), default=0))
        for _, bars in rows
    )
    largest = max(largest, 1)
    parts: list[str] = []
    y = 4
    for name, bars in rows:
        lines = 1 if stacked else len(bars)
        height = lines * line
        parts.append(
            f'<text x="{label_width - 8}" y="{y + height / 2 + 4:.0f}" '
            f'text-anchor="end">{_esc(name, 34)}</text>'
        )
        x = float(label_width)
        for index, (value, colour, what) in enumerate(bars):
            bar_y = y if stacked else y + index * line
            length = bar_area * value / largest
            if value == 0:
                continue
            parts.append(
                f'<rect x="{x:.1f}" y="{bar_y + 2}" width="{length:.1f}" height="{line - 4}" '
                f'fill="{colour}"><title>{_esc(name)}: {value:,} {_esc(what)}</title></rect>'
            )
            if stacked:
                x += length
            else:
                parts.append(
                    f'<text x="{x + length + 4:.1f}" y="{bar_y + line - 5}">{value:,}</text>'
                )
        if stacked:
            total = sum(v for v, _, _ in bars)
            parts.append(f'<text x="{x + 4:.1f}" y="{y + line - 5}">{total:,}</text>')
        y += height + gap
    return (
        f'<svg role="img" aria-label="{_esc(label)}" '
        f'viewBox="0 0 {width} {y}" width="{width}" height="{y}">{"".join(parts)}</svg>'
    )


def _legend(items: Iterable[tuple[str, str]]) -> str:
    spans = "".join(
        f'<span><i style="background:{colour}"></i>{_esc(what)}</span>' for what, colour in items
    )
    return f'<p class="legend">{spans}</p>'


def _rule_explanation(result: AuditTables, rule: str) -> str:
    if rule in RULE_EXPLANATIONS:
        return RULE_EXPLANATIONS[rule]
    try:
        return result.policy.rule(rule).summary
    except KeyError:
        return "a rule of this policy; see the policy's documentation"


def _by_rule(result: AuditTables) -> str:
    rows = rule_rows(result.findings)
    head = '<section id="by-rule"><h2>Findings by rule</h2>'
    if not rows:
        return head + "<p>No findings.</p></section>"
    chart = _bar_chart(
        "Findings by rule",
        [
            (
                rule,
                [(live, _COLOURS.get(sev, "#616161"), sev), (waived, _COLOURS["waived"], "waived")],
            )
            for rule, sev, live, waived in rows
        ],
        stacked=True,
    )
    legend = _legend([*((s, _COLOURS[s]) for s in SEVERITIES), ("waived", _COLOURS["waived"])])
    body = "".join(
        f'<tr><td><code>{_esc(rule)}</code></td><td class="sev-{_esc(sev)}">{_esc(sev)}</td>'
        f'<td class="n">{live:,}</td><td class="n">{waived:,}</td>'
        f"<td>{_esc(_rule_explanation(result, rule))}</td></tr>"
        for rule, sev, live, waived in rows
    )
    table = (
        '<table id="rules"><thead><tr><th>rule</th><th>severity</th><th class="n">findings</th>'
        '<th class="n">waived</th><th>what it means</th></tr></thead>'
        f"<tbody>{body}</tbody></table>"
    )
    return f"{head}{chart}{legend}{table}</section>"


def _licence_counts(photos: pd.DataFrame, column: str) -> pd.Series:
    """Distinct photos per licence name in `column` (a slug column; its `_name` column names
    it when present); null licences count as "none"."""
    if column not in photos.columns:
        return pd.Series(dtype="int64")
    ids = photos["photo_id"] if "photo_id" in photos.columns else None
    table = photos
    if ids is not None:
        table = photos.loc[ids.notna()].drop_duplicates(subset="photo_id")
    name_column = f"{column}_name"
    names = table[column].astype(object)
    if name_column in table.columns:
        # A licence without a name (none recorded, none on Flickr now) has an empty label.
        labels = table[name_column].astype(object)
        names = labels.where(labels.notna() & (labels != ""), names)
    present = names.notna() & (names != "")
    return names.where(present, "(none)").value_counts(sort=True)


def _licence_mix(result: AuditTables) -> str:
    live = result.document["run"]["mode"] == "live"
    recorded = _licence_counts(result.photos, "recorded_licence")
    current = _licence_counts(result.photos, "current_licence") if live else pd.Series(dtype=int)
    order = (recorded.add(current, fill_value=0) if live else recorded).sort_values(
        ascending=False, kind="stable"
    )
    names = [str(name) for name in order.index]
    shown, rest = names[:LICENCE_BARS], names[LICENCE_BARS:]

    def count(series: pd.Series, keys: Iterable[str]) -> int:
        return int(sum(int(series.get(k, 0)) for k in keys))

    rows: list[tuple[str, list[tuple[int, str, str]]]] = []
    table_rows: list[tuple[str, int, int | None]] = []
    groups = [(name, [name]) for name in shown]
    if rest:
        groups.append((f"{len(rest):,} other licences", rest))
    for label, keys in groups:
        bars = [(count(recorded, keys), _RECORDED_COLOUR, "recorded")]
        if live:
            bars.append((count(current, keys), _CURRENT_COLOUR, "on Flickr now"))
        rows.append((label, bars))
        table_rows.append((label, count(recorded, keys), count(current, keys) if live else None))
    head = '<section id="licences"><h2>Licence mix: recorded and current</h2>'
    if live:
        note = (
            "<p>Distinct photos by the licence the manifests recorded and by the licence on "
            "Flickr now; <em>(none)</em> under current means the photo is deleted, private or "
            "could not be checked.</p>"
        )
        legend = _legend([("recorded", _RECORDED_COLOUR), ("current", _CURRENT_COLOUR)])
    else:
        note = (
            "<p>Distinct photos by the licence the manifests recorded. <strong>Current licences "
            "are known only in a live audit</strong>: this audit is offline, so whether any "
            "licence has changed on Flickr was not checked.</p>"
        )
        legend = _legend([("recorded", _RECORDED_COLOUR)])
    if not rows:
        return f"{head}{note}<p>No photos.</p></section>"
    chart = _bar_chart("Licence mix: recorded and current", rows, stacked=False)
    current_head = '<th class="n">current</th>' if live else ""
    body = "".join(
        f'<tr><td>{_esc(label)}</td><td class="n">{rec:,}</td>'
        + (f'<td class="n">{cur:,}</td>' if cur is not None else "")
        + "</tr>"
        for label, rec, cur in table_rows
    )
    table = (
        f'<table id="licence-table"><thead><tr><th>licence</th><th class="n">recorded</th>'
        f"{current_head}</tr></thead><tbody>{body}</tbody></table>"
    )
    return f"{head}{note}{chart}{legend}{table}</section>"


# -- owners and their photos --------------------------------------------------------------------


def _owner_key(series: pd.Series) -> pd.Series:
    return series.astype(object).where(series.notna(), _NULL_OWNER)


def _as_object(series: pd.Series) -> list[Any]:
    return [None if _missing(v) else v for v in series.astype(object).tolist()]


def _listed_photos(
    result: AuditTables, owners: list[OwnerRecord]
) -> dict[str, list[dict[str, Any]]]:
    """Per owner key, the photos to list: worst first (errors, warnings, notes, waived, none),
    then in manifest order; at most `PHOTOS_PER_OWNER` each and `PHOTO_LINKS` in all."""
    if not owners or "photo_id" not in result.photos.columns:
        return {}
    rank = {(_NULL_OWNER if o["owner"] is None else o["owner"]): i for i, o in enumerate(owners)}
    photos = result.photos
    keys = _owner_key(photos["owner"]) if "owner" in photos.columns else None
    if keys is None:
        return {}
    wanted = photos["photo_id"].notna() & keys.isin(list(rank))
    columns = [
        c
        for c in ("photo_id", "title", "effective_licence", "effective_licence_name", "visibility")
        if c in photos.columns
    ]
    table = photos.loc[wanted, columns].copy()
    table["key"] = keys[wanted]
    table = table.drop_duplicates(subset=["key", "photo_id"])
    table["owner_rank"] = table["key"].map(rank)

    findings = result.findings
    picked = findings["photo_id"].notna() & _owner_key(findings["owner"]).isin(list(rank))
    mine = findings.loc[picked, ["photo_id", "owner", "rule", "severity", "waived"]].copy()
    mine["key"] = _owner_key(mine["owner"])
    waived = mine["waived"].fillna(False).astype(bool)
    severity = mine["severity"].astype(object).map(_SEVERITY_RANK)
    mine["sev_rank"] = severity.fillna(_WAIVED_RANK).astype(int).where(~waived, _WAIVED_RANK)
    worst = mine.groupby(["key", "photo_id"], sort=False)["sev_rank"].min().rename("worst")
    table = table.merge(worst, how="left", left_on=["key", "photo_id"], right_index=True)
    table["worst"] = table["worst"].fillna(_NO_FINDING_RANK).astype(int)
    table["order"] = range(len(table))
    table = table.sort_values(["owner_rank", "worst", "order"], kind="stable")
    table = table.groupby("owner_rank", sort=False).head(PHOTOS_PER_OWNER).head(PHOTO_LINKS)

    # The rules of the photos listed only: a few thousand, however many findings there are.
    chosen = pd.MultiIndex.from_frame(table[["key", "photo_id"]].astype(object))
    mine = mine.loc[pd.MultiIndex.from_frame(mine[["key", "photo_id"]].astype(object)).isin(chosen)]
    rules: dict[tuple[Any, Any], list[str]] = {}
    for key, photo_id, rule, sev, was_waived, _rank in sorted(
        zip(
            mine["key"].tolist(),
            mine["photo_id"].astype(object).tolist(),
            mine["rule"].astype(object).tolist(),
            mine["severity"].astype(object).tolist(),
            waived.loc[mine.index].tolist(),
            mine["sev_rank"].tolist(),
            strict=True,
        ),
        key=lambda item: item[5],
    ):
        label = f"{rule} ({sev}{', waived' if was_waived else ''})"
        labels = rules.setdefault((key, photo_id), [])
        if label not in labels:
            labels.append(label)
    table["rules"] = [
        "; ".join(rules.get((k, p), []))
        for k, p in zip(
            table["key"].tolist(), table["photo_id"].astype(object).tolist(), strict=True
        )
    ]

    listed: dict[str, list[dict[str, Any]]] = {}
    records = {name: _as_object(table[name]) for name in table.columns if name != "order"}
    for index in range(len(table)):
        row = {name: values[index] for name, values in records.items()}
        listed.setdefault(str(row["key"]), []).append(row)
    return listed


def _photo_item(photo: dict[str, Any], owner: str | None) -> str:
    photo_id = str(photo["photo_id"])
    url = html.escape(photo_page_url(photo_id, owner), quote=True)
    parts = [f'<a href="{url}" target="_blank" rel="noopener noreferrer">{_esc(photo_id)}</a>']
    if photo.get("title"):
        parts.append(f'<span class="title wrap">{_esc(photo["title"])}</span>')
    licence = photo.get("effective_licence_name") or photo.get("effective_licence")
    if licence:
        parts.append(f'<span class="muted">{_esc(licence)}</span>')
    if photo.get("visibility") and photo["visibility"] != "public":
        parts.append(f'<span class="muted">({_esc(photo["visibility"])})</span>')
    if photo.get("rules"):
        worst = SEVERITIES[photo["worst"]] if photo["worst"] < len(SEVERITIES) else "waived"
        parts.append(f'<span class="sev-{worst}">{_esc(photo["rules"])}</span>')
    return "<li>" + " · ".join(parts) + "</li>"


def _photos_cell(owner: OwnerRecord, listed: list[dict[str, Any]], budget_hit: bool) -> str:
    total = int(owner["photos"])
    if total == 0:
        return '<span class="muted">no photos</span>'
    items = "".join(_photo_item(photo, owner["owner"]) for photo in listed)
    more = total - len(listed)
    note = ""
    if more > 0 and listed:
        note = (
            f'<p class="muted more">and {_plural(more, "more photo")}; their findings are in '
            "findings.csv.</p>"
        )
    elif more > 0:
        why = f"this report lists at most {PHOTO_LINKS:,} photos" if budget_hit else ""
        note = (
            f'<p class="muted more">{_plural(more, "photo")} not listed'
            + (f" ({why})" if why else "")
            + "; their findings are in findings.csv.</p>"
        )
    shown = f"{len(listed):,} of {total:,}" if more > 0 else f"{total:,}"
    return (
        f"<details><summary>{shown} photo{'s' if total != 1 else ''}</summary>"
        f"{f'<ol>{items}</ol>' if items else ''}{note}</details>"
    )


def _owner_rows(
    owners: list[OwnerRecord], listed: dict[str, list[dict[str, Any]]]
) -> Iterator[str]:
    budget_hit = sum(len(v) for v in listed.values()) >= PHOTO_LINKS
    for rank, owner in enumerate(owners):
        key = _NULL_OWNER if owner["owner"] is None else owner["owner"]
        if owner["owner"] is None:
            owner_cell = '<td data-v=""><em>(owner unknown)</em>'
            search = "(owner unknown)"
        else:
            owner_cell = (
                f'<td class="wrap" data-v="{_esc(owner["owner"])}">'
                f'<span class="owner-id">{_esc(owner["owner"])}</span>'
            )
            search = plain(owner["owner"])
        name = owner["owner_name"]
        name_cell = "<td></td>" if name is None else f'<td class="wrap">{_esc(name)}</td>'
        if name is not None:
            search += " " + plain(name, CELL_CHARS)
        record: Mapping[str, Any] = owner
        counts = "".join(
            f'<td class="n" data-v="{int(record[c])}">{int(record[c]):,}</td>'
            for c in ("photos", "usable_photos", *SEVERITIES, "waived")
        )
        rules = _esc(format_rules(owner["rules"]))
        photos = _photos_cell(owner, listed.get(str(key), []), budget_hit)
        yield (
            f'<tr data-rank="{rank}" data-search="{html.escape(search.lower(), quote=True)}">'
            f"{owner_cell}{photos}</td>{name_cell}{counts}<td>{rules}</td></tr>"
        )


def _owners(result: AuditTables) -> str:
    owners: list[OwnerRecord] = result.document["owners"]
    head = '<section id="owners-section"><h2>Owners, worst first</h2>'
    if not owners:
        return head + "<p>No owners.</p></section>"
    shown = owners[:OWNER_ROWS]
    listed = _listed_photos(result, shown)
    intro = (
        "<p>Click a column header to sort; type to filter by owner or name. Open an owner's "
        "photos to see each one's licence and findings, linked to its page on Flickr.</p>"
    )
    left_out = ""
    if len(owners) > OWNER_ROWS:
        left_out = (
            f'<p class="muted" id="owners-left-out">The {OWNER_ROWS:,} worst owners are listed; '
            f"{_plural(len(owners) - OWNER_ROWS, 'more owner')} left out; all are in "
            "owners.csv.</p>"
        )
    columns = [
        ("owner", "text", ""),
        ("name", "text", ""),
        ("photos", "number", ' class="n"'),
        ("usable photos", "number", ' class="n"'),
        ("errors", "number", ' class="n"'),
        ("warnings", "number", ' class="n"'),
        ("notes", "number", ' class="n"'),
        ("waived", "number", ' class="n"'),
        ("rules", "text", ""),
    ]
    header = "".join(
        f'<th data-type="{kind}"{css} scope="col"><button type="button">{label}</button></th>'
        for label, kind, css in columns
    )
    controls = (
        '<label for="owner-filter">Filter owners: </label>'
        '<input type="search" id="owner-filter" placeholder="owner or name" autocomplete="off" '
        'disabled> <span id="owners-shown" class="muted" aria-live="polite"></span>'
    )
    rows = "".join(_owner_rows(shown, listed))
    table = f'<table id="owners"><thead><tr>{header}</tr></thead><tbody>{rows}</tbody></table>'
    return f"{head}{intro}{left_out}{controls}{table}</section>"


def _warnings(document: AuditDocument) -> str:
    parts: list[str] = []
    warnings = document["run"].get("warnings") or []
    if warnings:
        items = "".join(f"<li>{_esc(w)}</li>" for w in warnings)
        parts.append(f'<section id="run-warnings"><h2>Warnings</h2><ul>{items}</ul></section>')
    problems = document.get("waiver_problems") or []
    if problems:
        items = "".join(
            "<li>"
            + ("" if problem["line"] is None else f"line {int(problem['line'])}: ")
            + f"{_esc(problem['message'])}</li>"
            for problem in problems
        )
        parts.append(
            f'<section id="waiver-problems"><h2>Waiver problems</h2><ul>{items}</ul></section>'
        )
    return "".join(parts)


_FOOTER = (
    '<footer><p class="muted">Written by flickr-audit. Every finding is in findings.csv, every '
    "owner in owners.csv, and everything in audit.json.</p></footer>\n"
)


def report_html(result: AuditTables) -> str:
    """The text of `report.html`."""
    document = result.document
    run = document["run"]
    title = f"Licence audit: policy {_esc(run['policy'])}, {_esc(run['mode'])} mode"
    return "".join(
        [
            _head(document),
            "<body>\n<header>",
            f'<h1 id="answer">{_esc(usable_sentence(document), None)}</h1>',
            f'<p class="subtitle">{title}</p>',
            _mode_note(document),
            _cards(document),
            _run_facts(document),
            "</header>\n<main>\n",
            _policy(result),
            "\n",
            _by_rule(result),
            "\n",
            _licence_mix(result),
            "\n",
            _owners(result),
            "\n",
            _warnings(document),
            "</main>\n",
            _FOOTER,
            f"<script>{_SCRIPT}</script>\n</body>\n</html>\n",
        ]
    )


def write_html(result: AuditTables, out_dir: Path) -> list[Path]:
    """Write `report.html` into `out_dir` (replacing it whole, or not at all)."""
    path = out_dir / "report.html"
    text = report_html(result)
    # Lone surrogates (from JSON escapes in a manifest) cannot be UTF-8: show them as U+FFFD.
    text = _SURROGATE.sub("\ufffd", text)
    out_dir.mkdir(parents=True, exist_ok=True)
    with atomic_text(path) as handle:
        handle.write(text)
    return [path]
