"""count_newlines counts what bytes.count counts."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from auditor.newlines import count_newlines


@given(st.binary(max_size=300))
def test_counts_what_bytes_count_counts(data: bytes) -> None:
    assert count_newlines(data) == data.count(b"\n")


def test_large_block_and_memoryview() -> None:
    data = b"a\nbb\n\r\n" * 100_000 + b"\xff\n"
    assert count_newlines(data) == data.count(b"\n") == 300_001
    assert count_newlines(memoryview(data)[2:]) == 300_000
