"""Find one photographer's photos in a set of manifests.

Offline, a row is theirs when its owner field is their NSID or path alias, or its owner name is
their username (case-insensitive): manifests that hold only static image URLs (COCO and many URL
lists) name no owner and cannot be matched. Live, the owner's public photos are listed (every
page, one call per 500 photos) and matched to every manifest by photo id, which finds them in
COCO too; rows whose owner field names them but which the listing did not show get a getInfo,
which tells a restricted photo (still public) from one deleted or made private. Every answer is
stored in the state store, like the audit's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import pandas as pd

from auditor.exposure.resolve import OwnerIdentity
from auditor.fetch.columns import with_live_status
from auditor.fetch.run import error_record, not_public_record, status_record, statuses_table
from auditor.flickr.errors import FlickrError, InvalidKey, NotVisible
from auditor.flickr.parse import PhotoPage, PhotoStatus
from auditor.licences import LicenceCatalogue, load_catalogue
from auditor.state import PhotoRecord, StateStore

PER_PAGE = 500


class ListingApi(Protocol):
    def public_photos(self, nsid: str, page: int = 1, per_page: int = 500) -> PhotoPage: ...
    def photo_info(self, photo_id: str) -> PhotoStatus: ...


@dataclass
class Exposure:
    """The rows of the photo table that belong to the owner, with how each was matched
    (`matched_by`) and, live, the status columns (`current_licence`, `visibility`, ...)."""

    owners: list[OwnerIdentity]
    rows: pd.DataFrame
    live: bool
    notes: list[str] = field(default_factory=list)


def _lower(values: pd.Series) -> pd.Series:
    return values.astype("str").str.lower()


def _field_matches(
    photos: pd.DataFrame, owners: Sequence[OwnerIdentity], *, names: bool
) -> pd.Series:
    """Rows whose owner field (or, with `names`, owner name) names one of `owners`."""
    keys = {k.lower() for o in owners for k in (o.nsid, o.path_alias) if k}
    matched = _lower(photos["owner"]).isin(keys) & photos["owner"].notna()
    if names:
        usernames = {o.username.lower() for o in owners if o.username}
        matched |= _lower(photos["owner_name"]).isin(usernames) & photos["owner_name"].notna()
    return matched


def find_offline(photos: pd.DataFrame, owners: Sequence[OwnerIdentity]) -> Exposure:
    """Rows whose owner fields name the owner; no network."""
    by_owner = _field_matches(photos, owners, names=False)
    matched = _field_matches(photos, owners, names=True)
    rows = photos.loc[matched].copy()
    rows["matched_by"] = pd.Series(
        ["owner field" if b else "owner name" for b in by_owner.loc[matched]],
        index=rows.index,
        dtype="str",
    )
    notes = []
    unmatched = photos["owner"].isna() & photos["owner_name"].isna() & photos["photo_id"].notna()
    if unmatched.any():
        files = sorted(set(photos.loc[unmatched, "source_file"].astype("str")))
        notes.append(
            f"{int(unmatched.sum())} row(s) in {', '.join(files)} name no owner (static image "
            "URLs only): they cannot be matched offline; with FLICKR_API_KEY set, the owner's "
            "photos are listed on Flickr and matched by photo id"
        )
    return Exposure(list(owners), rows.reset_index(drop=True), live=False, notes=notes)


def _list_owner(api: ListingApi, nsid: str) -> list[PhotoStatus]:
    first = api.public_photos(nsid, 1, PER_PAGE)
    statuses = list(first.photos)
    for page in range(2, first.pages + 1):
        statuses.extend(api.public_photos(nsid, page, PER_PAGE).photos)
    return statuses


def find_live(
    photos: pd.DataFrame,
    owners: Sequence[OwnerIdentity],
    api: ListingApi,
    store: StateStore,
    *,
    catalogue: LicenceCatalogue | None = None,
    progress: Callable[[int], None] | None = None,
    run_id: int | None = None,
) -> Exposure:
    """List each owner's public photos, match them by photo id and owner field, check the
    rows the listings did not show, and store every status."""
    catalogue = catalogue or load_catalogue()
    nsids = {o.nsid for o in owners if o.nsid}
    listed: dict[str, PhotoStatus] = {}
    for nsid in sorted(nsids):
        for status in _list_owner(api, nsid):
            listed[status.photo_id] = status
        if progress is not None:
            progress(len(listed))
    by_id = photos["photo_id"].isin(list(listed))
    by_field = _field_matches(photos, owners, names=False)
    records: list[PhotoRecord] = [
        status_record(status)
        for photo_id, status in listed.items()
        if photo_id in set(photos.loc[by_id, "photo_id"])
    ]
    notes: list[str] = []
    not_theirs: set[str] = set()
    unlisted = sorted(set(photos.loc[by_field & ~by_id & photos["photo_id"].notna(), "photo_id"]))
    for photo_id in unlisted:
        try:
            status = api.photo_info(photo_id)
        except InvalidKey:
            raise
        except NotVisible as exc:
            records.append(not_public_record(photo_id, exc))
            continue
        except FlickrError as exc:
            records.append(error_record(photo_id, exc))
            continue
        records.append(status_record(status))
        if status.owner.nsid not in nsids:
            not_theirs.add(photo_id)
    store.save_photos(records, run_id)
    if not_theirs:
        notes.append(
            f"{len(not_theirs)} row(s) name this owner but Flickr says the photo belongs to "
            f"someone else: left out ({', '.join(sorted(not_theirs)[:10])})"
        )
    matched = (by_id | by_field) & ~photos["photo_id"].isin(list(not_theirs))
    rows = photos.loc[matched].copy()
    rows["matched_by"] = pd.Series(
        ["owner's Flickr listing" if b else "owner field" for b in by_id.loc[matched]],
        index=rows.index,
        dtype="str",
    )
    ids = sorted(set(rows["photo_id"].dropna()))
    statuses = statuses_table(store.load_photos(ids), catalogue)
    if not rows.empty:
        rows = with_live_status(rows, statuses)
    return Exposure(list(owners), rows.reset_index(drop=True), live=True, notes=notes)
