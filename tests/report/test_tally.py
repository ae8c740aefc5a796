"""AuditTally: owner codes across chunks, and the owner table as records and as Arrow."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow as pa

from auditor.report.document import format_rules
from auditor.report.tally import AuditTally
from auditor.report.write import owner_json_lines


def test_owners_are_coded_in_order_of_first_appearance_across_chunks():
    tally = AuditTally()
    first = tally.owner_codes(pd.Series(["b@N01", None, "a@N01", "b@N01"], dtype="str"))
    # The null owner comes after the owners of the chunk it first appears in.
    assert first.tolist() == [0, 2, 1, 0]
    second = tally.owner_codes(pa.array(["c@N01", "a@N01", None, "c@N01"], pa.large_string()))
    assert second.tolist() == [3, 1, 2, 3]
    third = tally.owner_codes(pa.chunked_array([["a@N01"], ["d@N01", "b@N01"]]))
    assert third.tolist() == [1, 4, 0]
    assert tally._owners == ["b@N01", "a@N01", None, "c@N01", "d@N01"]


def test_a_chunk_without_owners_and_an_empty_chunk():
    tally = AuditTally()
    assert tally.owner_codes(pa.array([], pa.string())).tolist() == []
    assert tally.owner_codes(pa.array([None, None], pa.string())).tolist() == [0, 0]
    assert tally.owner_codes(pa.array(["x@N01", None], pa.string())).tolist() == [1, 0]
    assert tally._owners == [None, "x@N01"]


def _tally_with_hostile_owners() -> AuditTally:
    owners = ["b@N01", None, 'q"uote@N01', "back\\slash", "ctrl\x01\n", "été@N01", "=sum(1)"]
    names = ["nick", None, None, 'say "hi"', "tab\there", "名前", "@cmd"]
    photos = pd.DataFrame(
        {
            "owner": pd.array(owners, dtype="str"),
            "owner_name": pd.array(names, dtype="str"),
            "photo_id": pd.array([str(i) for i in range(len(owners))], dtype="str"),
        }
    )
    rules = ["non-commercial", "no-derivatives", "non-commercial", "duplicate"]
    findings = pd.DataFrame(
        {
            "photo_id": pd.array([str(i % 5) for i in range(9)], dtype="str"),
            "owner": pd.array([owners[i % 5] for i in range(9)], dtype="str"),
            "owner_name": pd.array([None] * 9, dtype="str"),
            "rule": pd.array([rules[i % 4] for i in range(9)], dtype="str"),
            "severity": pd.array(["error", "warning", "error", "note"] * 2 + ["error"]),
            "waived": [False] * 8 + [True],
        }
    )
    tally = AuditTally()
    tally.add_table(photos, findings)
    return tally


def test_the_arrow_owner_table_holds_what_the_records_say():
    tally = _tally_with_hostile_owners()
    records = tally.owner_records()
    table = tally.owner_arrow()
    assert table.column("owner").to_pylist() == [r["owner"] for r in records]
    assert table.column("owner_name").to_pylist() == [r["owner_name"] for r in records]
    for name in ("photos", "usable_photos", "photos_with_errors", "error", "warning", "note"):
        assert table.column(name).to_pylist() == [r[name] for r in records]
    assert [json.loads(text) for text in table.column("rules").to_pylist()] == [
        r["rules"] for r in records
    ]
    # Same order of keys too (largest count first, ties alphabetical).
    assert [list(json.loads(t)) for t in table.column("rules").to_pylist()] == [
        list(r["rules"]) for r in records
    ]
    assert table.column("rules_cell").to_pylist() == [format_rules(r["rules"]) for r in records]


def test_owner_json_lines_are_the_per_owner_encoding():
    tally = _tally_with_hostile_owners()
    records = tally.owner_records()
    by_item = ",\n".join(
        "    " + json.dumps(r, ensure_ascii=False, allow_nan=False) for r in records
    )
    assert owner_json_lines(tally.owner_arrow()) == by_item
