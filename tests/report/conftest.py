"""Synthetic photo and findings tables for the report tests (no manifest is read)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import pytest

from auditor.photo_table import PHOTO_COLUMNS, empty_photo_table
from auditor.report import FINDING_COLUMNS, RunInfo

FindingsFactory = Callable[[list[dict[str, Any]]], pd.DataFrame]
PhotosFactory = Callable[[list[dict[str, Any]]], pd.DataFrame]


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


@pytest.fixture
def make_findings() -> FindingsFactory:
    return findings_frame


@pytest.fixture
def make_photos() -> PhotosFactory:
    return photos_frame


@pytest.fixture
def photos() -> pd.DataFrame:
    """Alice (NSID) has photos 1, 2 (twice) and 3; bob has 4; two rows have no owner, one of
    them no photo id; carol has 6 and no finding."""
    alice = {"owner": "12345678@N01", "owner_name": "Alice"}
    return photos_frame(
        [
            {"photo_id": "1", **alice},
            {"photo_id": "2", **alice},
            {"photo_id": "2", **alice},
            {"photo_id": "3", **alice},
            {"photo_id": "4", "owner": "bob"},
            {"photo_id": "5", "owner_name": "someone"},
            {"photo_id": None},
            {"photo_id": "6", "owner": "carol", "owner_name": "Carol"},
        ]
    )


@pytest.fixture
def findings() -> pd.DataFrame:
    """Alice: 2 errors, 1 warning and 1 waived error; bob: 1 note; no owner: 1 warning."""
    alice = {"owner": "12345678@N01", "owner_name": "Alice"}
    return findings_frame(
        [
            {"photo_id": "1", **alice, "rule": "non-commercial"},
            {"photo_id": "2", **alice, "rule": "non-commercial"},
            {"photo_id": "2", **alice, "rule": "duplicate", "severity": "warning"},
            {"photo_id": "3", **alice, "rule": "no-derivatives", "waived": True},
            {"photo_id": "4", "owner": "bob", "rule": "attribution", "severity": "note"},
            {"photo_id": None, "rule": "no-photo-id", "severity": "warning", "source_row": 8},
        ]
    )


@pytest.fixture
def run() -> RunInfo:
    return RunInfo(
        policy="commercial-training",
        mode="offline",
        started_at=datetime(2025, 5, 1, 12, 0, 0, tzinfo=UTC),
        finished_at=datetime(2025, 5, 1, 12, 0, 3, 400000, tzinfo=UTC),
        manifests=("captions.json", "extra.csv"),
    )
