"""Fixtures for the engine tests: small photo tables from plain rows."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import pandas as pd
import pytest

from auditor.engine.columns import OPT_OUT_COLUMNS, STATUS_COLUMNS
from auditor.photo_table import PHOTO_COLUMNS


def photo_table(rows: Sequence[Mapping[str, object]]) -> pd.DataFrame:
    """A photo table (plus status and opt-out columns) from rows; columns not given are null.

    `source_file` defaults to manifest.csv and `source_row` to the row's number + 1 (as if a
    header line came first).
    """
    records = []
    for number, row in enumerate(rows, start=1):
        record: dict[str, object] = {"source_file": "manifest.csv", "source_row": number + 1}
        record.update(row)
        records.append(record)
    columns = [*PHOTO_COLUMNS, *STATUS_COLUMNS, *OPT_OUT_COLUMNS]
    data = {
        name: pd.Series([record.get(name) for record in records], dtype="str")
        for name in columns
        if name != "source_row"
    }
    data["source_row"] = pd.Series([record["source_row"] for record in records], dtype="int64")
    return pd.DataFrame(data)[columns]


PhotoTable = Callable[[Sequence[Mapping[str, object]]], pd.DataFrame]


@pytest.fixture(scope="session")
def make_photos() -> PhotoTable:
    """`make_photos(rows)`: see `photo_table`."""
    return photo_table
