"""Synthetic photo and findings tables for the report tests (no manifest is read)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import pytest
from tables import findings_frame, photos_frame

from auditor.report import RunInfo

FindingsFactory = Callable[[list[dict[str, Any]]], pd.DataFrame]
PhotosFactory = Callable[[list[dict[str, Any]]], pd.DataFrame]


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
