"""Recorded dates become ISO 8601; garbage dates are dropped with a reason."""

from __future__ import annotations

import math

import pytest

from auditor.manifests.dates import normalise_date


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1557512401", "2019-05-10T18:20:01Z"),
        (1557512401, "2019-05-10T18:20:01Z"),
        (1557512401.0, "2019-05-10T18:20:01Z"),
        ("2024-07-19", "2024-07-19"),
        ("2017/09/01", "2017-09-01"),
        ("2013-11-14 17:02:52", "2013-11-14T17:02:52"),
        ("2005-03-01 12:39:28.0", "2005-03-01T12:39:28"),
        ("2018-11-09 10:31:06.910129+00", "2018-11-09T10:31:06.910129+00:00"),
        ("2019-08-05T17:04:33Z", "2019-08-05T17:04:33+00:00"),
        ("  2024-07-19 ", "2024-07-19"),
    ],
)
def test_dates_are_iso(value: object, expected: str) -> None:
    assert normalise_date(value) == (expected, None)


@pytest.mark.parametrize("value", [None, "", "  ", "\\N", "null", "NaN", math.nan, True])
def test_blank_dates_are_none_without_a_problem(value: object) -> None:
    assert normalise_date(value) == (None, None)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("4501-01-01 00:00:00.0", "implausible date '4501-01-01 00:00:00.0' ignored"),
        ("1999-12-31", "implausible date '1999-12-31' ignored"),  # before Flickr existed
        ("yesterday", "unreadable date 'yesterday'"),
        ("2019-13-45", "unreadable date '2019-13-45'"),
    ],
)
def test_garbage_dates_are_dropped_with_a_reason(value: str, problem: str) -> None:
    assert normalise_date(value) == (None, problem)
