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


def test_tallies_of_partitions_merged_in_order_are_the_tally_of_the_whole():
    """The Dask engine counts each partition apart (with first-listing marks made over the
    whole audit) and merges the tallies in partition order."""
    from collections import Counter

    from auditor.engine.listings import FirstListings

    owners = ["a@N01", None, "b@N01", "a@N01", "c@N01", None, "b@N01", "d@N01", "a@N01"]
    photos = pd.DataFrame(
        {
            "photo_id": pd.array(["1", "2", "1", "3", None, "2", "4", "1", "5"], dtype="str"),
            "owner": pd.array(owners, dtype="str"),
            "owner_name": pd.array([None, None, "Bee", "Ann", None, None, "B", "Dee", None]),
            "source_file": ["f"] * 9,
            "source_row": range(1, 10),
        }
    )
    findings = pd.DataFrame(
        {
            "owner": pd.array(owners, dtype="str"),
            "owner_name": pd.array(["A"] + [None] * 8, dtype="str"),
            "rule": ["r1", "r2", "r1", "r3", "r2", "r1", "r1", "r3", "r2"],
            "severity": ["error", "warning", "error", "note", "warning"] + ["error"] * 4,
            "waived": [False, False, True, False, False, False, False, False, True],
        }
    )
    whole = AuditTally()
    whole.add_table(photos, findings)
    whole.add_other_hosts(Counter({"x.org": 2}))

    listings, coder = FirstListings(), AuditTally()
    parts: list[AuditTally] = []
    for start, end in ((0, 3), (3, 4), (4, 9)):
        chunk, found = photos.iloc[start:end], findings.iloc[start:end]
        listed = listings.observe(
            chunk["photo_id"],
            coder.owner_codes(chunk["owner"]),
            chunk["source_file"],
            chunk["source_row"].to_numpy(),
        )
        tally = AuditTally()
        codes = tally.owner_codes(chunk["owner"])
        tally.add_photos(chunk, codes, listed.new_photo, listed.new_pair)
        tally.add_findings(found, tally.owner_codes(found["owner"]))
        parts.append(tally)
    parts[1].add_other_hosts(Counter({"x.org": 2}))
    merged = parts[0]
    for later in parts[1:]:
        merged.merge(later)
    assert merged.owner_arrow().equals(whole.owner_arrow())
    assert merged.owner_records() == whole.owner_records()
    assert (merged.rows, merged.photo_ids, merged.owners) == (9, 5, 4)
    assert merged.rule_rows() == whole.rule_rows()
    assert merged.severity_totals() == whole.severity_totals()
    assert merged.other_hosts == whole.other_hosts
