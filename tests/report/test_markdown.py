"""summary.md: md_escape against hostile text, and the report's sections."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.findings import FINDING_COLUMNS, SEVERITIES
from auditor.report import RunInfo, build_audit_document, md_escape, summary_markdown
from auditor.report import markdown as markdown_module
from auditor.report.encode import findings_arrow
from auditor.report.markdown import DETAIL_FINDINGS, WorstOwnersFindings, md_escape_prose
from auditor.waivers import WaiverProblem

Factory = Callable[[list[dict[str, Any]]], pd.DataFrame]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Alice", "Alice"),
        ("a | b", "a \\| b"),
        ("*bold* _it_ ~~del~~", "\\*bold\\* \\_it\\_ \\~\\~del\\~\\~"),
        ("<script>alert(1)</script>", "&lt;script&gt;alert\\(1\\)&lt;/script&gt;"),
        ("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert\\(1\\)&gt;"),
        ("`rm -rf`", "\\`rm -rf\\`"),
        ("[click](javascript:alert(1))", "\\[click\\]\\(javascript:alert\\(1\\)\\)"),
        ("![i](http://x/t.png)", "\\!\\[i\\]\\(http://x/t.png\\)"),
        ("line one\nline two\r\nthree\u2028four", "line one line two three four"),
        ("# not a heading", "\\# not a heading"),
        ("- not a list", "\\- not a list"),
        ("+ not a list", "\\+ not a list"),
        ("1. not a list", "1\\. not a list"),
        ("2) not a list", "2\\) not a list"),
        ("0.1.0", "0.1.0"),
        ("> not a quote", "&gt; not a quote"),
        ("=====", "\\====="),
        ("    not code", "not code"),
        ("&lt; stays literal &amp;", "&amp;lt; stays literal &amp;amp;"),
        ("back\\slash", "back\\\\slash"),
        ("$x^2$", "\\$x^2\\$"),
        ("red \x1b[31malert\x1b[0m", "red  \\[31malert \\[0m"),
        ("nul\x00byte", "nul byte"),
        ("Zoë 山田", "Zoë 山田"),
        (None, "None"),
        (42, "42"),
    ],
)
def test_md_escape(text: object, expected: str) -> None:
    assert md_escape(text) == expected


def test_md_escape_cuts_long_text_before_escaping() -> None:
    assert md_escape("abcdef", limit=4) == "abc…"
    assert md_escape("|||||||", limit=3) == "\\|\\|…"
    assert md_escape("short", limit=10) == "short"


_SPECIAL = set("\\`*_[]{}()|~$!#<>&")


@given(st.text())
def test_md_escape_output_is_one_line_without_raw_markup(text: str) -> None:
    out = md_escape(text)
    assert "\n" not in out and "\r" not in out and "<" not in out and ">" not in out
    # Every markup character is either escaped by a backslash or part of an entity.
    unescaped = re.sub(r"\\.", "", re.sub(r"&(amp|lt|gt);", "", out))
    assert not (_SPECIAL & set(unescaped)), out


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Jeong Vin, Yoon (spike_yun, 132051449@N06)",
            "Jeong Vin, Yoon (spike_yun, 132051449@N06)",
        ),
        ("Article 12(3) {x} | y!", "Article 12(3) {x} | y!"),
        ("[x](javascript:alert(1))", "\\[x\\](javascript:alert(1))"),
        ("_x_ __y__ a_b é_ü", "\\_x\\_ \\_\\_y\\_\\_ a_b é_ü"),
        ("# no", "\\# no"),
        ("~#", "\\~#"),  # after an escaped character `#` opens no heading
        ("a # b", "a # b"),
        ("1. no", "1\\. no"),
        ("- no", "\\- no"),
        ("`c` *e* ~s~ $m$ \\", "\\`c\\` \\*e\\* \\~s\\~ \\$m\\$ \\\\"),
        ("<b>&amp;", "&lt;b&gt;&amp;amp;"),
    ],
)
def test_md_escape_prose(text: str, expected: str) -> None:
    assert md_escape_prose(text) == expected


@given(st.text())
def test_md_escape_prose_leaves_only_inert_characters_bare(text: str) -> None:
    out = md_escape_prose(text)
    assert "\n" not in out and "\r" not in out and "<" not in out and ">" not in out
    bare = re.sub(r"\\.", "", re.sub(r"&(amp|lt|gt);", "", out))
    assert not (set("\\`*[]~$") & set(bare)), out
    # Not a heading: the line itself must not open with `#` (after up to three spaces). The
    # escapes stripped above may leave one at the front of `bare` (`\~#` renders "~#").
    assert not re.match(r" {0,3}#", out), out
    # A bare `_` only between two letters or digits, where it cannot open or close emphasis.
    for m in re.finditer(r"(?<!\\)_", out):
        before, after = out[m.start() - 1 : m.start()], out[m.end() : m.end() + 1]
        assert before.isalnum() and after.isalnum(), out


def _document(
    photos: pd.DataFrame, findings: pd.DataFrame, run: RunInfo, **kwargs: Any
) -> dict[str, Any]:
    return build_audit_document(photos, findings, run, tool_version="0.1.0", **kwargs)


def test_offline_report_says_what_was_not_checked(
    photos: pd.DataFrame, findings: pd.DataFrame, run: RunInfo
) -> None:
    text = summary_markdown(_document(photos, findings, run), findings)
    # The answer first, in the words stderr and report.html use.
    assert text.startswith(
        "# 4 of 6 photos usable for commercial-training by the licences the manifests record\n\n"
        "Licence audit: policy commercial-training, offline mode.\n"
    )
    assert "the ones the manifests recorded" in text
    for unchecked in ("deleted", "private", "licences have changed", "opt-out tags"):
        assert unchecked in text
    assert "- Manifests: captions.json, extra.csv" in text


def test_live_report_names_the_api_calls(photos: pd.DataFrame, findings: pd.DataFrame) -> None:
    now = datetime.now(UTC)
    run = RunInfo(
        "research-training",
        "live",
        now,
        now,
        ("m.csv",),
        {"flickr.photos.getInfo": 2, "flickr.photos.search": 1},
        status_as_of="2025-06-20T08:00:00Z",
        photos_fetched=4,
        photos_reused=5,
    )
    text = summary_markdown(_document(photos, findings, run), findings)
    assert "live mode" in text and "3 API calls" in text
    assert "status as of 2025-06-20T08:00:00Z" in text and "5 reused" in text
    assert "Offline audit" not in text


def test_totals_rules_and_owners(
    photos: pd.DataFrame, findings: pd.DataFrame, run: RunInfo
) -> None:
    text = summary_markdown(_document(photos, findings, run), findings)
    assert "| manifest rows | 8 |" in text
    assert "| photos (distinct photo ids) | 6 |" in text
    assert "| usable photos (no error finding not waived) | 4 |" in text
    assert "| photos with errors | 2 |" in text
    assert "| error findings (one per row and rule) | 2 |" in text
    assert "| waived findings | 1 |" in text
    assert (
        "| non-commercial | error | 2 | 0 | the licence forbids commercial use \\(NC\\) and "
        "this use is commercial |" in text
    )
    assert "| no-derivatives | error | 0 | 1 |" in text  # only waived: still listed
    table = text.split("## Owners, worst first")[1].split("##")[0]
    rows = [line for line in table.splitlines() if line.startswith("| ")][1:]  # no header
    assert [row.split(" | ")[0] for row in rows] == [
        "| 12345678@N01",
        "| *(owner unknown)*",
        "| bob",
        "| carol",
    ]
    assert rows[0] == (
        "| 12345678@N01 | Alice | 3 | 1 | 2 | 1 | 0 | 1 | non-commercial:2; duplicate:1 |"
    )


def test_details_list_the_worst_owners_findings(
    photos: pd.DataFrame, findings: pd.DataFrame, run: RunInfo
) -> None:
    text = summary_markdown(_document(photos, findings, run), findings)
    details = text.split("## Findings of the 3 worst owners")[1]
    assert "### 12345678@N01 (Alice): 2 errors, 1 warning" in details
    assert "carol" not in details  # no finding, no section
    alice = details.split("###")[1]
    lines = [line for line in alice.splitlines() if line.startswith("- ")]
    # Open findings first, worst first; the waived one last and marked.
    assert lines[0].startswith("- photo 1 (manifest.csv:2): **non-commercial** (error): ")
    assert lines[-1].startswith("- photo 3 (manifest.csv:2): **no-derivatives** (error, waived)")
    assert "- a row without a photo id (manifest.csv:8): **no-photo-id**" in details


def test_long_lists_are_capped_and_say_so(
    make_photos: Factory, make_findings: Factory, run: RunInfo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(markdown_module, "OWNER_ROWS", 3)
    monkeypatch.setattr(markdown_module, "DETAIL_OWNERS", 2)
    monkeypatch.setattr(markdown_module, "DETAIL_FINDINGS", 4)
    owners = [f"user{i}" for i in range(5)]
    photos = make_photos(
        [{"photo_id": str(i * 10 + j), "owner": o} for i, o in enumerate(owners) for j in range(6)]
    )
    findings = make_findings(
        [{"photo_id": str(i * 10 + j), "owner": o} for i, o in enumerate(owners) for j in range(6)]
    )
    text = summary_markdown(build_audit_document(photos, findings, run, tool_version="x"), findings)
    assert "2 more owners not shown; all are in owners.csv." in text
    assert "## Findings of the 2 worst owners" in text
    assert text.count("- … and 2 more findings; all are in findings.csv.") == 2


def test_no_findings(make_photos: Factory, make_findings: Factory, run: RunInfo) -> None:
    photos = make_photos([{"photo_id": "1", "owner": "ann"}])
    none = make_findings([])
    text = summary_markdown(build_audit_document(photos, none, run, tool_version="x"), none)
    assert "No findings." in text
    assert "## Findings of the" not in text


def test_unknown_rules_and_waiver_problems(
    make_photos: Factory, make_findings: Factory, run: RunInfo
) -> None:
    photos = make_photos([{"photo_id": "1", "owner": "ann"}])
    findings = make_findings([{"photo_id": "1", "owner": "ann", "rule": "house-rule"}])
    problems = [WaiverProblem(3, "expired on 2025-01-01; renew it"), WaiverProblem(None, "<b>")]
    document = build_audit_document(
        photos, findings, run, waiver_problems=problems, tool_version="x"
    )
    text = summary_markdown(document, findings)
    assert "| house-rule | error | 1 | 0 | a rule of this policy" in text
    assert "## Waiver problems\n\n- line 3: expired on 2025-01-01; renew it\n- &lt;b&gt;\n" in (
        text
    )


FINDING_ROWS = st.lists(
    st.tuples(
        st.sampled_from(["1@N01", "2@N01", "3@N01", None]),  # owner
        st.sampled_from(["non-commercial", "duplicate", "all-rights-reserved", "zz"]),  # rule
        st.sampled_from(["error", "warning", "note", "odd"]),  # severity
        st.booleans(),  # waived
    ),
    min_size=40,  # more than DETAIL_FINDINGS for some owners: which are listed matters
    max_size=150,
)


@settings(max_examples=150, deadline=None)
@given(FINDING_ROWS, st.lists(st.integers(1, 40), max_size=8))
def test_worst_owners_findings_are_the_first_listed_in_order(
    rows: list[tuple[str | None, str, str, bool]], cuts: list[int]
) -> None:
    # The worst owners' findings summary.md lists: for each, its first DETAIL_FINDINGS in the
    # order not waived, severity, rule id, then as they came; found batch by batch.
    records = [
        {**dict.fromkeys(FINDING_COLUMNS), "photo_id": str(i), "owner": owner, "rule": rule}
        | {"severity": severity, "waived": waived, "source_row": i}
        for i, (owner, rule, severity, waived) in enumerate(rows)
    ]
    owners = [{"owner": o, "error": 1, "warning": 0, "note": 0} for o in ("2@N01", None, "1@N01")]
    worst = WorstOwnersFindings({"owners": owners})  # type: ignore[typeddict-item]
    table = findings_arrow(pd.DataFrame(records, columns=list(FINDING_COLUMNS)))
    start = 0
    for cut in [*cuts, len(records)]:
        worst.add(table.slice(start, cut))
        start += cut
        if start >= len(records):
            break
    rank = {name: i for i, name in enumerate(SEVERITIES)}
    for owner in ("2@N01", None, "1@N01"):
        mine = [r for r in table.to_pylist() if r["owner"] == owner]
        expected = sorted(mine, key=lambda f: (f["waived"], rank.get(f["severity"], 99), f["rule"]))
        assert worst.listed[owner] == expected[:DETAIL_FINDINGS]
        assert worst.total[owner] == len(mine)
    assert "3@N01" not in worst.listed
