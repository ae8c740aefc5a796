"""owner_summary: one row per owner, worst first, waived findings counted apart."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from auditor.report import OWNER_COLUMNS, owner_summary

Factory = Callable[[list[dict[str, Any]]], pd.DataFrame]


def _rows(table: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {str(k): (None if not isinstance(v, dict) and pd.isna(v) else v) for k, v in row.items()}
        for row in table.to_dict(orient="records")
    ]


def test_counts_order_and_columns(photos: pd.DataFrame, findings: pd.DataFrame) -> None:
    table = owner_summary(findings, photos)
    assert tuple(table.columns) == OWNER_COLUMNS
    assert _rows(table) == [
        {
            "owner": "12345678@N01",
            "owner_name": "Alice",
            "photos": 3,  # photo 2 is listed twice: distinct ids
            "usable_photos": 1,
            "photos_with_errors": 2,
            "error": 2,  # the waived no-derivatives error does not count
            "warning": 1,
            "note": 0,
            "waived": 1,
            "rules": {"non-commercial": 2, "duplicate": 1},
        },
        {
            "owner": None,  # photo 5 and the row without an id
            "owner_name": None,  # not "someone": the group is not one person
            "photos": 1,
            "usable_photos": 1,
            "photos_with_errors": 0,
            "error": 0,
            "warning": 1,
            "note": 0,
            "waived": 0,
            "rules": {"no-photo-id": 1},
        },
        {
            "owner": "bob",
            "owner_name": None,
            "photos": 1,
            "usable_photos": 1,
            "photos_with_errors": 0,
            "error": 0,
            "warning": 0,
            "note": 1,
            "waived": 0,
            "rules": {"attribution": 1},
        },
        {
            "owner": "carol",
            "owner_name": "Carol",
            "photos": 1,
            "usable_photos": 1,
            "photos_with_errors": 0,
            "error": 0,
            "warning": 0,
            "note": 0,
            "waived": 0,
            "rules": {},
        },
    ]
    for name in ("photos", "usable_photos", "photos_with_errors", "error", "warning", "note"):
        assert table[name].dtype == "int64"


def test_ties_break_on_photos_then_owner(make_photos: Factory, make_findings: Factory) -> None:
    photos = make_photos(
        [
            {"photo_id": "1", "owner": "zed"},
            {"photo_id": "2", "owner": "amy"},
            {"photo_id": "3", "owner": "bea"},
            {"photo_id": "4", "owner": "bea"},
            {"photo_id": "5"},
        ]
    )
    findings = make_findings(
        [{"photo_id": p, "owner": o} for p, o in (("1", "zed"), ("2", "amy"), ("3", "bea"))]
        + [{"photo_id": "5", "owner": None}]
    )
    table = owner_summary(findings, photos)
    # One error each: bea has more photos; then by owner, the null owner last among equals.
    assert table["owner"].tolist()[:3] == ["bea", "amy", "zed"]
    assert pd.isna(table["owner"].iloc[3])


def test_severity_outranks_volume(make_photos: Factory, make_findings: Factory) -> None:
    photos = make_photos(
        [{"photo_id": str(i), "owner": "many"} for i in range(5)]
        + [{"photo_id": "9", "owner": "one"}]
    )
    findings = make_findings(
        [{"photo_id": str(i), "owner": "many", "severity": "warning"} for i in range(5)]
        + [{"photo_id": "9", "owner": "one", "severity": "error"}]
    )
    assert owner_summary(findings, photos)["owner"].tolist() == ["one", "many"]


def test_only_waived_findings_leave_an_owner_clean(
    make_photos: Factory, make_findings: Factory
) -> None:
    photos = make_photos([{"photo_id": "1", "owner": "ann"}])
    findings = make_findings([{"photo_id": "1", "owner": "ann", "waived": True}])
    row = _rows(owner_summary(findings, photos))[0]
    assert (row["error"], row["waived"], row["rules"]) == (0, 1, {})


def test_no_findings_and_empty_tables(make_photos: Factory, make_findings: Factory) -> None:
    photos = make_photos([{"photo_id": "1", "owner": "ann"}, {"photo_id": "2", "owner": "ann"}])
    table = owner_summary(make_findings([]), photos)
    assert _rows(table) == [
        {
            "owner": "ann",
            "owner_name": None,
            "photos": 2,
            "usable_photos": 2,
            "photos_with_errors": 0,
            "error": 0,
            "warning": 0,
            "note": 0,
            "waived": 0,
            "rules": {},
        }
    ]
    empty = owner_summary(make_findings([]), make_photos([]))
    assert tuple(empty.columns) == OWNER_COLUMNS and empty.empty


def test_owner_only_in_findings_and_name_from_findings(
    make_photos: Factory, make_findings: Factory
) -> None:
    photos = make_photos([{"photo_id": "1", "owner": "ann"}])
    findings = make_findings([{"photo_id": "1", "owner": "ann", "owner_name": "Ann"}])
    findings = pd.concat(
        [findings, make_findings([{"photo_id": "7", "owner": "ghost", "severity": "note"}])],
        ignore_index=True,
    )
    rows = {row["owner"]: row for row in _rows(owner_summary(findings, photos))}
    assert rows["ann"]["owner_name"] == "Ann"
    assert (rows["ghost"]["photos"], rows["ghost"]["note"]) == (0, 1)


def test_object_dtype_findings_work_too(make_photos: Factory, make_findings: Factory) -> None:
    photos = make_photos([{"photo_id": "1", "owner": "ann"}, {"photo_id": "2"}])
    findings = make_findings([{"photo_id": "1", "owner": "ann"}, {"photo_id": "2"}]).astype(
        {"photo_id": object, "owner": object, "rule": object, "severity": object}
    )
    table = owner_summary(findings, photos)
    assert table["error"].tolist() == [1, 1]
    assert table["owner"].iloc[0] == "ann" and pd.isna(table["owner"].iloc[1])
