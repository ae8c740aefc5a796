"""Synthetic findings and photo tables with the engine's columns and dtypes, for the report
tests (plain functions, so that test modules and fixtures can share them)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from auditor.photo_table import PHOTO_COLUMNS, empty_photo_table
from auditor.report import FINDING_COLUMNS


def findings_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """A findings table with the engine's columns and dtypes; unspecified cells are defaults."""
    defaults: dict[str, Any] = {
        "photo_id": None,
        "owner": None,
        "owner_name": None,
        "rule": "non-commercial",
        "severity": "error",
        "message": "CC BY-NC 2.0 forbids commercial use",
        "recorded_licence": "cc-by-nc-2.0",
        "current_licence": None,
        "effective_licence": "cc-by-nc-2.0",
        "visibility": None,
        "fetched_at": None,
        "source_file": "manifest.csv",
        "source_row": 2,
        "waived": False,
    }
    records = [{**defaults, **row} for row in rows]
    frame = pd.DataFrame(records, columns=list(FINDING_COLUMNS))
    for name in FINDING_COLUMNS:
        if name == "source_row":
            frame[name] = frame[name].astype("int64")
        elif name == "waived":
            frame[name] = frame[name].astype(bool)
        else:
            frame[name] = frame[name].astype("str")
    return frame


def photos_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """A photo table (all `PHOTO_COLUMNS`, string dtypes) from partial rows."""
    if not rows:
        return empty_photo_table()
    frame = pd.DataFrame(rows, columns=list(PHOTO_COLUMNS))
    frame["source_row"] = range(2, len(frame) + 2)
    for name in PHOTO_COLUMNS:
        if name != "source_row":
            frame[name] = frame[name].astype("str")
    return frame
