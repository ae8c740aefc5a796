"""The live status joined onto the photo table: the columns the live rules read.

Per manifest row (a photo listed twice gets its status twice): `current_licence` (slug; null
when the photo is not visible, so licence rules fall back to the recorded licence),
`visibility` ("public", "not-public", "error"), `tags`, `fetch_status` (what happened),
`licence_at_collection` (from the licence history and the row's `collected_at`),
`licence_changed_at` (the latest change in the history) and `fetched_at`.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd

from auditor.fetch import history as hist

LIVE_COLUMNS: tuple[str, ...] = (
    "current_licence",
    "visibility",
    "tags",
    "fetch_status",
    "licence_at_collection",
    "licence_changed_at",
    "fetched_at",
)


def _fetch_status(status: str, method: str, error: object) -> str:
    if status == "ok":
        return f"found by {method}"
    return str(error) if isinstance(error, str) and error else status


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def with_live_status(photos: pd.DataFrame, statuses: pd.DataFrame) -> pd.DataFrame:
    """`photos` with `LIVE_COLUMNS` filled from `statuses` (`FetchReport.statuses`)."""
    per_photo = statuses.set_index("photo_id")
    keys = photos["photo_id"]
    table = photos.copy(deep=False)

    def column(values: pd.Series) -> pd.Series:
        mapped = keys.map(values)
        return pd.Series(mapped.to_numpy(), index=photos.index, dtype="str")

    table["current_licence"] = column(per_photo["licence"])
    table["visibility"] = column(per_photo["visibility"])
    table["tags"] = column(per_photo["tags"].where(per_photo["status"] == "ok"))
    table["fetched_at"] = column(per_photo["fetched_at"])
    table["fetch_status"] = column(
        pd.Series(
            [
                _fetch_status(s, m, e)
                for s, m, e in zip(
                    per_photo["status"], per_photo["method"], per_photo["error"], strict=True
                )
            ],
            index=per_photo.index,
        )
    )

    # Histories are few (only changed photos, or every photo under a collection basis).
    changes = {
        photo_id: hist.loads(text)
        for photo_id, text in per_photo["history"].items()
        if isinstance(text, str)
    }
    changed_at = {
        photo_id: _iso(at)
        for photo_id, parsed in changes.items()
        if parsed and (at := hist.last_change_at(parsed)) is not None
    }
    table["licence_changed_at"] = column(pd.Series(changed_at, dtype="str"))
    at_collection = pd.Series(index=photos.index, dtype="str")
    rows = keys.isin(list(changes)) & photos["collected_at"].notna()
    if rows.any():
        positions = rows.to_numpy().nonzero()[0]
        collected = pd.to_datetime(
            photos["collected_at"].iloc[positions], utc=True, errors="coerce", format="ISO8601"
        )
        readable = collected.notna().to_numpy()
        positions = positions[readable]
        seconds = (collected[readable] - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)
        for position, photo_id, when in zip(
            positions.tolist(), keys.iloc[positions], seconds.astype("int64").tolist(), strict=True
        ):
            in_force = hist.licence_at(changes[photo_id] or [], when)
            if in_force is not None:
                at_collection.iloc[position] = in_force
    table["licence_at_collection"] = at_collection
    table["current_title"] = column(per_photo["title"])  # for credits
    _fill_owners(table, keys, per_photo)
    return table


def _fill_owners(table: pd.DataFrame, keys: pd.Series, per_photo: pd.DataFrame) -> None:
    """Owners Flickr named for rows whose manifest names none (COCO, URL lists): the question
    is whose photos they are, and the live status answers it. `current_owner_name` is the
    owner's username as Flickr gives it now, for credits."""
    nsid = keys.map(per_photo["owner_nsid"].where(per_photo["status"] == "ok"))
    username = keys.map(per_photo["owner_username"].where(per_photo["status"] == "ok"))
    table["current_owner_name"] = pd.Series(username.to_numpy(), index=table.index, dtype="str")
    if "owner" not in table.columns:
        return
    missing = (table["owner"].isna() & nsid.notna()).to_numpy()
    if not missing.any():
        return
    table["owner"] = table["owner"].mask(missing, nsid.to_numpy())
    if "owner_kind" in table.columns:
        table["owner_kind"] = table["owner_kind"].mask(missing, "nsid")
    if "owner_name" in table.columns:
        fill = missing & table["owner_name"].isna().to_numpy()
        table["owner_name"] = table["owner_name"].mask(fill, username.to_numpy())
