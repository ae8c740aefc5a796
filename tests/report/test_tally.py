"""AuditTally's owner codes: the same owner keeps one code across chunks."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from auditor.report.tally import AuditTally


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
