"""The vectorised string tests answer what the slower ones they replace answer."""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.arrow_text import decimal_strings, may_be_blank

# Digits from other scripts and look-alikes must not count as ASCII digits.
CHARACTERS = st.sampled_from(
    [*"0123456789 +-.eE@N_\n", "\u0663", "\uff11", "\u00b2", "\u07c0", "\x00"]
)  # Arabic-Indic three, fullwidth one, superscript two, NKo zero
VALUES = st.one_of(st.none(), st.text(CHARACTERS, max_size=24), st.text(max_size=6))


@settings(max_examples=300, deadline=None)
@given(st.lists(VALUES, max_size=30))
def test_same_answers_as_the_regexes(values):
    array = pa.array(values, pa.string())
    cases = [
        ((9, 11, True), r"[0-9]{9,11}"),
        ((1, 20, False), r"[1-9][0-9]{0,19}"),
        ((1, 19, False), r"[1-9][0-9]{0,18}"),
    ]
    for (low, high, zero), pattern in cases:
        expected = [
            v is not None and re.fullmatch(pattern, v, re.ASCII) is not None for v in values
        ]
        got = decimal_strings(array, low, high, leading_zero=zero).to_pylist()
        assert got == expected, (pattern, values)


def test_large_strings_and_slices():
    array = pa.array(["x", "123456789", "0123456789", None, "12345678901"], pa.large_string())
    assert decimal_strings(array, 9, 11).to_pylist() == [False, True, True, False, True]
    assert decimal_strings(array.slice(2), 9, 11, leading_zero=False).to_pylist() == [
        False,
        False,
        True,
    ]


def test_min_digits_is_at_least_one():
    with pytest.raises(ValueError, match="min_digits"):
        decimal_strings(pa.array(["1"]), 0, 3)


BLANKISH = st.sampled_from([*" \t\r\x0bax1", "\u00a0", "\u3000", "\u2003", "\u200b", "é"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(BLANKISH, max_size=4)), max_size=30), st.booleans())
def test_may_be_blank_never_misses_a_blank_value(values, large):
    array = pa.array(["pad", *values], pa.large_string() if large else pa.string()).slice(1)
    maybe = may_be_blank(array)
    trimmed = pc.utf8_trim_whitespace(array).to_pylist()
    for value, left, flagged in zip(values, trimmed, maybe, strict=True):
        if value is None or left == "":
            assert flagged, (value, values)
    # and it lets through little else: a value starting with a letter is settled
    assert not may_be_blank(pa.array(["a ", "x"])).any()
