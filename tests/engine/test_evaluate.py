"""`annotate` and `evaluate`: the findings table's shape, order and messages, on small tables,
the example manifest, and a large synthetic table."""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import pytest

from auditor.engine import FINDING_COLUMNS, Rule, annotate, empty_findings, evaluate, load_policy
from auditor.engine.columns import ANNOTATED_COLUMNS, RULE_COLUMNS
from auditor.engine.predicates import Equals, IsNull, Use
from auditor.manifests.read import read_manifests
from auditor.photo_table import PHOTO_COLUMNS
from auditor.resources import example_manifest

PhotoTable = Callable[[list[dict[str, Any]]], pd.DataFrame]


def _rule(rule_id: str, message: str, **changes: Any) -> Rule:
    base = Rule(
        id=rule_id,
        severity="warning",
        summary="test rule",
        when=Use("commercial"),
        message=message,
        requires_live=False,
        doc="",
        reference="",
    )
    return replace(base, **changes)


# -- annotate ------------------------------------------------------------------------------------


def test_annotate_offline_adds_null_status_columns(make_photos: PhotoTable) -> None:
    photos = make_photos([{"photo_id": "1", "recorded_licence": "cc-by-nc-2.0"}])
    photos = photos[list(PHOTO_COLUMNS)]  # no status columns: the offline case
    table = annotate(photos)
    assert set(RULE_COLUMNS) <= set(table.columns)
    for name in ("current_licence", "visibility", "tags", "fetch_status", "licence_at_collection"):
        assert table[name].isna().all() and table[name].dtype == "str"
    assert table.loc[0, "effective_licence"] == "cc-by-nc-2.0"
    assert table.loc[0, "recorded_licence_name"] == "CC BY-NC 2.0"
    assert table.loc[0, "current_licence_name"] == ""
    assert "current_licence" not in photos.columns  # the caller's frame is untouched


def test_effective_licence_is_current_only_when_fetched_and_public(
    make_photos: PhotoTable,
) -> None:
    rows = [
        {"photo_id": "1", "recorded_licence": "cc-by-2.0", "current_licence": "cc-by-nc-2.0",
         "visibility": "public"},
        {"photo_id": "2", "recorded_licence": "cc-by-2.0", "current_licence": "cc-by-nc-2.0",
         "visibility": "not-public"},
        {"photo_id": "3", "recorded_licence": "cc-by-2.0", "current_licence": "cc-by-nc-2.0",
         "visibility": "error"},
        {"photo_id": "4", "recorded_licence": "cc-by-2.0", "visibility": "public"},
        {"photo_id": "5", "recorded_licence": "cc-by-2.0", "current_licence": "cc-by-nc-2.0"},
    ]  # fmt: skip
    table = annotate(make_photos(rows))
    assert list(table["effective_licence"]) == ["cc-by-nc-2.0", *["cc-by-2.0"] * 4]


def test_display_names(make_photos: PhotoTable) -> None:
    rows = [
        {"photo_id": "1", "recorded_licence": "unknown"},
        {"photo_id": "2", "recorded_licence": "made-up-slug"},
        {"photo_id": "3"},
        {"photo_id": "4", "recorded_licence": "cc-by-nc-2.0-jp"},
        {"photo_id": "5", "recorded_licence": "all-rights-reserved"},
    ]
    names = list(annotate(make_photos(rows))["recorded_licence_name"])
    assert names == [
        "unknown licence",
        "made-up-slug",
        "",
        "CC BY-NC 2.0 (jp)",
        "All Rights Reserved",
    ]


def test_first_listed_at(make_photos: PhotoTable) -> None:
    rows = [
        {"photo_id": "1", "source_file": "a.csv", "source_row": 7},
        {"photo_id": "2"},
        {"photo_id": "1"},
        {},
        {},
        {"photo_id": "2"},
    ]
    first = annotate(make_photos(rows))["first_listed_at"]
    assert first.isna().tolist() == [True, True, False, True, True, False]
    assert first[2] == "a.csv:7" and first[5] == "manifest.csv:3"


def test_annotate_accepts_object_columns_and_minimal_tables() -> None:
    photos = pd.DataFrame(
        {"photo_id": ["1", None], "source_file": ["m.csv", "m.csv"], "source_row": [2, 3]},
        dtype=object,
    )
    table = annotate(photos)
    assert table["photo_id"].dtype == "str" and table["source_row"].dtype == np.int64
    assert table["recorded_licence"].isna().all()
    assert set(ANNOTATED_COLUMNS) <= set(table.columns)


def test_annotate_needs_the_row_location() -> None:
    with pytest.raises(ValueError, match="source_file, source_row"):
        annotate(pd.DataFrame({"photo_id": ["1"]}))


# -- evaluate ------------------------------------------------------------------------------------


def test_findings_have_exactly_the_finding_columns(make_photos: PhotoTable) -> None:
    photos = make_photos([{"photo_id": "1", "recorded_licence": "cc-by-nc-2.0", "owner": "o"}])
    findings = evaluate(photos, load_policy("commercial-training"))
    assert tuple(findings.columns) == FINDING_COLUMNS
    assert findings.dtypes["source_row"] == np.int64
    assert findings.dtypes["waived"] == np.dtype(bool)
    assert all(
        findings.dtypes[c] == "str" for c in FINDING_COLUMNS if c not in ("source_row", "waived")
    )
    row = findings.iloc[0].to_dict()
    assert row == {
        "photo_id": "1",
        "owner": "o",
        "owner_name": row["owner_name"],
        "rule": "non-commercial",
        "severity": "error",
        "message": "CC BY-NC 2.0 forbids commercial use; policy commercial-training is commercial",
        "recorded_licence": "cc-by-nc-2.0",
        "current_licence": row["current_licence"],
        "effective_licence": "cc-by-nc-2.0",
        "visibility": row["visibility"],
        "source_file": "manifest.csv",
        "source_row": 2,
        "waived": False,
    }
    assert pd.isna(row["owner_name"]) and pd.isna(row["current_licence"])


def test_empty_input_gives_an_empty_table(make_photos: PhotoTable) -> None:
    findings = evaluate(make_photos([]), load_policy("commercial-training"))
    assert findings.empty and tuple(findings.columns) == FINDING_COLUMNS
    assert findings.dtypes.equals(empty_findings().dtypes)


def test_no_finding_gives_an_empty_table(make_photos: PhotoTable) -> None:
    photos = make_photos([{"photo_id": "1", "recorded_licence": "cc0-1.0"}])
    findings = evaluate(photos, load_policy("commercial-release"))
    assert findings.empty and findings.dtypes.equals(empty_findings().dtypes)


def test_order_is_file_then_row_then_rule_order(make_photos: PhotoTable) -> None:
    rows = [
        {"photo_id": "1", "recorded_licence": "cc-by-nc-nd-2.0", "source_file": "b.csv",
         "source_row": 2},
        {"photo_id": "2", "recorded_licence": "unknown", "source_file": "a.csv", "source_row": 9},
        {"photo_id": "1", "recorded_licence": "cc-by-nc-nd-2.0", "source_file": "a.csv",
         "source_row": 3},
    ]  # fmt: skip
    findings = evaluate(make_photos(rows), load_policy("commercial-training"))
    got = list(zip(findings["source_file"], findings["source_row"], findings["rule"], strict=True))
    assert got == [
        ("a.csv", 3, "non-commercial"),
        ("a.csv", 3, "no-derivatives"),
        ("a.csv", 3, "duplicate"),
        ("a.csv", 9, "unknown-licence"),
        ("b.csv", 2, "non-commercial"),
        ("b.csv", 2, "no-derivatives"),
    ]
    # The duplicate is the later row in table order; it names the first one.
    assert findings["message"][2] == "photo 1 is already listed at b.csv:2"


def test_off_rules_and_live_rules_offline_are_skipped(make_photos: PhotoTable) -> None:
    policy = load_policy("commercial-training")
    rows = [{"photo_id": "1", "recorded_licence": "cc-by-nc-2.0", "visibility": "error"}]
    photos = make_photos(rows)
    assert list(evaluate(photos, policy)["rule"]) == ["non-commercial"]
    assert list(evaluate(photos, policy, live=True)["rule"]) == ["non-commercial", "unverified"]
    off = replace(
        policy,
        rules=tuple(
            replace(r, severity="off") if r.id == "non-commercial" else r for r in policy.rules
        ),
    )
    assert list(evaluate(photos, off, live=True)["rule"]) == ["unverified"]


def test_messages_render_fields_nulls_integers_and_braces(make_photos: PhotoTable) -> None:
    rule = _rule("t", "{{literal}} {photo_id}/{owner_name}@{source_file}:{source_row} {policy}")
    policy = replace(load_policy("commercial-training"), id="p", rules=(rule,))
    photos = make_photos([{"photo_id": "1", "owner_name": "Zoë 📷"}, {"photo_id": "2"}])
    messages = list(evaluate(photos, policy)["message"])
    assert messages == [
        "{literal} 1/Zoë 📷@manifest.csv:2 p",
        "{literal} 2/@manifest.csv:3 p",
    ]


def test_severity_comes_from_the_policy(make_photos: PhotoTable) -> None:
    rules = (
        _rule("first", "a", when=IsNull("photo_id"), severity="note"),
        _rule("second", "b", when=Equals("photo_id", "1"), severity="error"),
    )
    policy = replace(load_policy("commercial-training"), rules=rules)
    findings = evaluate(make_photos([{"photo_id": "1"}, {}]), policy)
    assert list(zip(findings["rule"], findings["severity"], strict=True)) == [
        ("second", "error"),
        ("first", "note"),
    ]


def test_input_is_not_modified(make_photos: PhotoTable) -> None:
    photos = make_photos([{"photo_id": "1", "recorded_licence": "cc-by-nc-2.0"}] * 3)
    before = photos.copy()
    evaluate(photos, load_policy("commercial-release"), live=True)
    pd.testing.assert_frame_equal(photos, before)


# -- the example manifest ------------------------------------------------------------------------


def test_example_manifest_under_commercial_training() -> None:
    """Expected rows read off examples/example-manifest.csv (line numbers, header is line 1):
    NC: lines 2 (BY-NC), 3 (BY-NC-ND), 9 (BY-NC-SA), 15 (BY-NC 4.0), 16 (line 3's photo again);
    ND: 3, 5 (BY-ND), 16; all rights reserved: 8; unknown licence: 20 ("Some Rights Reserved"),
    21 (a BY name with a BY-NC URL); no photo id: 18 (album), 19 (Wikimedia); duplicate: 16."""
    path = example_manifest()
    with path.open(encoding="utf-8", newline="") as handle:
        lines = dict(enumerate(csv.DictReader(handle), start=2))
    # The rows named above are what the docstring says they are.
    assert "48311506821" in lines[3]["photo_url"] and "48311506821" in lines[16]["photo_url"]
    assert lines[8]["license"] == "All Rights Reserved"
    assert lines[20]["license"] == "Some Rights Reserved"
    assert "/albums/" in lines[18]["photo_url"] and "wikimedia" in lines[19]["photo_url"]
    assert all("/by-nc" in lines[n]["license_url"] for n in (2, 3, 9, 15, 16))
    assert all("/by-nd/" in lines[n]["license_url"] or "by-nc-nd" in lines[n]["license_url"]
               for n in (3, 5, 16))  # fmt: skip

    photos = read_manifests([path]).photos
    findings = evaluate(photos, load_policy("commercial-training"))
    by_rule: dict[str, list[int]] = {}
    for rule, row in zip(findings["rule"], findings["source_row"], strict=True):
        by_rule.setdefault(rule, []).append(int(row))
    assert by_rule == {
        "non-commercial": [2, 3, 9, 15, 16],
        "no-derivatives": [3, 5, 16],
        "all-rights-reserved": [8],
        "unknown-licence": [20, 21],
        "no-photo-id": [18, 19],
        "duplicate": [16],
    }
    severities = Counter(findings["severity"])
    assert severities == {"error": 11, "warning": 3}
    duplicate = findings[findings["rule"] == "duplicate"].iloc[0]
    assert duplicate["message"] == f"photo 48311506821 is already listed at {path}:3"


def test_example_manifest_under_research_training() -> None:
    photos = read_manifests([example_manifest()]).photos
    findings = evaluate(photos, load_policy("research-training"))
    counts = Counter(findings["rule"])
    assert "non-commercial" not in counts
    assert counts == {
        "no-derivatives": 3,
        "all-rights-reserved": 1,
        "unknown-licence": 2,
        "no-photo-id": 2,
        "duplicate": 1,
    }


# -- scale ---------------------------------------------------------------------------------------


def synthetic_photos(rows: int, seed: int = 0) -> pd.DataFrame:
    """A photo table of `rows` rows with a realistic licence mix, repeats and missing ids."""
    rng = np.random.default_rng(seed)
    slugs = np.array(
        ["cc-by-2.0", "cc-by-nc-2.0", "cc-by-nc-nd-2.0", "cc-by-sa-2.0", "cc-by-nd-2.0",
         "all-rights-reserved", "pdm-1.0", "unknown", "cc-by-nc-sa-2.0", "cc0-1.0"],
        dtype=object,
    )  # fmt: skip
    ids = rng.integers(1, rows * 5, rows).astype(str).astype(object)
    ids[rng.random(rows) < 0.01] = None
    table = pd.DataFrame(
        {
            "photo_id": pd.array(ids, dtype="str"),
            "owner": pd.array(rng.integers(1, rows // 10 + 2, rows).astype(str), dtype="str"),
            "recorded_licence": pd.array(slugs[rng.integers(0, len(slugs), rows)], dtype="str"),
            "source_file": pd.array(["big.tsv"] * rows, dtype="str"),
            "source_row": np.arange(1, rows + 1, dtype=np.int64),
        }
    )
    for name in PHOTO_COLUMNS:
        if name not in table.columns:
            table[name] = pd.Series(index=table.index, dtype="str")
    return table


def test_evaluate_is_vectorised_on_200000_rows() -> None:
    photos = synthetic_photos(200_000)
    findings = evaluate(photos, load_policy("commercial-training"))
    slugs = photos["recorded_licence"]
    expected_nc = slugs.isin(["cc-by-nc-2.0", "cc-by-nc-nd-2.0", "cc-by-nc-sa-2.0"]).sum()
    assert (findings["rule"] == "non-commercial").sum() == expected_nc
    has_id = photos["photo_id"].notna()
    assert (findings["rule"] == "no-photo-id").sum() == (~has_id).sum()
    assert (findings["rule"] == "duplicate").sum() == photos["photo_id"][has_id].duplicated().sum()
    assert findings["source_row"].is_monotonic_increasing
