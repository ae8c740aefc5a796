"""What the live fetch must find out: one target per distinct photo id in the photo table.

A photo listed several times (in one manifest or several) is fetched once. Its owner is the
first NSID any of its rows gives, else the first path alias; its upload time the first one
given; its recorded licences every distinct one its rows record (a licence history is fetched
when the current licence differs from any of them).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from auditor.licences import UNKNOWN


@dataclass(frozen=True)
class Target:
    photo_id: str
    owner_nsid: str | None
    owner_alias: str | None
    uploaded_at: int | None  # unix seconds, from the manifest
    recorded: frozenset[str]  # known recorded licence slugs
    collected: bool  # some row has a collected_at (the licence at that time may be needed)


def _unix(values: pd.Series) -> pd.Series:
    moments = pd.to_datetime(values, utc=True, errors="coerce", format="ISO8601")
    seconds = (moments - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)
    return seconds.astype("Int64")


def _first_non_null(frame: pd.DataFrame, column: str) -> pd.Series:
    """Per photo id, the first non-null value of `column` in table order."""
    known = frame.loc[frame[column].notna(), ["photo_id", column]]
    return known.drop_duplicates("photo_id").set_index("photo_id")[column]


def build_targets(photos: pd.DataFrame) -> list[Target]:
    """One `Target` per distinct photo id of the photo table, in first-listed order."""
    rows = photos.loc[photos["photo_id"].notna()]
    if rows.empty:
        return []
    frame = pd.DataFrame(
        {
            "photo_id": rows["photo_id"].astype("str").to_numpy(),
            "nsid": rows["owner"].where(rows["owner_kind"] == "nsid").to_numpy(),
            "alias": rows["owner"].where(rows["owner_kind"] == "alias").to_numpy(),
            "uploaded": _unix(rows["uploaded_at"]).to_numpy(),
            "licence": rows["recorded_licence"].where(rows["recorded_licence"] != UNKNOWN),
            "collected": rows["collected_at"].notna().to_numpy(),
        }
    )
    frame["licence"] = frame["licence"].to_numpy()
    ids = frame["photo_id"].drop_duplicates()
    nsid = _first_non_null(frame, "nsid")
    alias = _first_non_null(frame, "alias")
    uploaded = _first_non_null(frame, "uploaded")
    licences = (
        frame.loc[frame["licence"].notna()]
        .groupby("photo_id", sort=False)["licence"]
        .agg(frozenset)
    )
    collected = frame.groupby("photo_id", sort=False)["collected"].any()
    empty: frozenset[str] = frozenset()
    targets = []
    for photo_id in ids:
        up = uploaded.get(photo_id)
        targets.append(
            Target(
                photo_id=photo_id,
                owner_nsid=_text(nsid.get(photo_id)),
                owner_alias=_text(alias.get(photo_id)),
                uploaded_at=None if up is None or pd.isna(up) else int(up),
                recorded=licences.get(photo_id, empty),
                collected=bool(collected.get(photo_id, False)),
            )
        )
    return targets


def _text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    return str(value)
