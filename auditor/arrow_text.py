"""Vectorised tests on Arrow string arrays that are cheaper than the regexes they replace.

A manifest of millions of rows asks the same simple questions of every value (is this a photo
id? an epoch?). Arrow's `ascii_is_decimal` with a length test answers them in a few passes over
the bytes, about a tenth of what RE2 takes for `^[0-9]{9,11}$` on a million values.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc


def decimal_strings(
    array: pa.Array, min_digits: int, max_digits: int, *, leading_zero: bool = True
) -> pa.BooleanArray:
    """Per value: whether it is `min_digits` to `max_digits` ASCII digits and nothing else
    (`^[0-9]{min,max}$`; without `leading_zero`, `^[1-9][0-9]{min-1,max-1}$`); null → False."""
    if min_digits < 1:
        raise ValueError("min_digits must be at least 1")
    length = pc.binary_length(array)  # bytes: digits are one byte each
    ok = pc.and_(
        pc.ascii_is_decimal(array),
        pc.and_(pc.greater_equal(length, min_digits), pc.less_equal(length, max_digits)),
    )
    if not leading_zero:
        ok = pc.and_(ok, pc.invert(pc.starts_with(array, "0")))
    result: pa.BooleanArray = pc.fill_null(ok, False)
    return result
