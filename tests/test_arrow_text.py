"""decimal_strings answers exactly what the regexes it replaces answer."""

from __future__ import annotations

import re

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.arrow_text import decimal_strings

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
