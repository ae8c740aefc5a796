"""Find one photographer's photos in a set of manifests.

Offline, a row is theirs when its owner field is their NSID or path alias, or its owner name is
their username (case-insensitive): manifests that hold only static image URLs (COCO and many URL
lists) name no owner and cannot be matched. Live, through the audit's fetch path (planner,
rate limit, state store, `--max-age`), the owner's public photos are listed (every page, one
call per 500 photos; the pages are kept in the state) and matched to every manifest by photo
id, which finds them in COCO too; rows whose owner field names them but which the listing did
not show get a getInfo, which tells a restricted photo (still public) from one deleted or made
private. A re-run within `--max-age` asks Flickr nothing.

With `featured`, live only, the photos the owner is tagged in (`flickr.people.getPhotosOf`, every
page, kept in the state like the listing) are matched by photo id too. Every row gets a
`relation`: "owner" for a photo the owner took (tagged in it or not), "featured" for one someone
else took that the owner is tagged in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import pandas as pd

from auditor.exposure.resolve import OwnerIdentity
from auditor.fetch.columns import with_live_status
from auditor.fetch.run import FetchOptions, FetchReport, FlickrApi, fetch_status
from auditor.flickr.parse import GET_PUBLIC_PHOTOS, SEARCH
from auditor.licences import LicenceCatalogue, load_catalogue
from auditor.state import StateStore, fresh_cutoff, iso, now_utc

# exposure rows' `relation`: the owner took the photo, or is tagged in someone else's.
OWNER = "owner"
FEATURED = "featured"


@dataclass
class Exposure:
    """The rows of the photo table that belong to the owner or that they are tagged in, with
    how each was matched (`matched_by`), `relation` (`OWNER` or `FEATURED`) and, live, the
    status columns (`current_licence`, `visibility`, ...)."""

    owners: list[OwnerIdentity]
    rows: pd.DataFrame
    live: bool
    notes: list[str] = field(default_factory=list)


def _lower(values: pd.Series) -> pd.Series:
    return values.astype("str").str.lower()


# The path alias (or NSID) in a photo page URL: flickr.com/photos/<alias>/<photo id>.
_PAGE_OWNER = r"(?i)flickr\.com/photos/([^/?#\s]+)/\d+"


def page_aliases(photos: pd.DataFrame) -> pd.Series:
    """Per row, the owner (alias or NSID) its photo page URL names, as written, else null."""
    if "url" not in photos.columns:
        return pd.Series(pd.NA, index=photos.index, dtype="object")
    return photos["url"].astype("str").str.extract(_PAGE_OWNER, expand=False)


def _url_owner(photos: pd.DataFrame) -> pd.Series:
    """Per row, the owner its photo page URL names (lower case), else null."""
    return page_aliases(photos).str.lower()


def _field_matches(
    photos: pd.DataFrame, owners: Sequence[OwnerIdentity], *, names: bool
) -> pd.Series:
    """Rows whose owner field or photo page URL (or, with `names`, owner name) names one of
    `owners`."""
    keys = {k.lower() for o in owners for k in (o.nsid, o.path_alias) if k}
    matched = _lower(photos["owner"]).isin(keys) & photos["owner"].notna()
    matched |= _url_owner(photos).isin(keys).fillna(False).astype(bool)
    if names:
        usernames = {o.username.lower() for o in owners if o.username}
        matched |= _lower(photos["owner_name"]).isin(usernames) & photos["owner_name"].notna()
    return matched


def _same_accounts(photos: pd.DataFrame, matched: pd.Series) -> list[OwnerIdentity]:
    """The other names the matched rows give their owner (NSID in the owner field, alias in
    the page URL), so that a row naming the owner any one way finds the rows naming them
    another way."""
    rows = photos.loc[matched]
    nsids = rows.loc[rows["owner_kind"] == "nsid", "owner"].dropna().astype("str").unique()
    aliases = _url_owner(rows).dropna().unique()
    return [
        *(OwnerIdentity(n, None, None, "NSID of the rows matched") for n in nsids),
        *(OwnerIdentity(None, None, a, "alias in the rows' page URLs") for a in aliases),
    ]


def find_offline(photos: pd.DataFrame, owners: Sequence[OwnerIdentity]) -> Exposure:
    """Rows whose owner fields or page URLs name the owner, by any of their names; no
    network."""
    names = list(owners)
    matched = _field_matches(photos, names, names=True)
    if "owner_kind" in photos.columns and matched.any():
        names += _same_accounts(photos, matched)
        matched = _field_matches(photos, names, names=True)
    by_owner = _field_matches(photos, names, names=False)
    rows = photos.loc[matched].copy()
    rows["matched_by"] = pd.Series(
        ["owner field" if b else "owner name" for b in by_owner.loc[matched]],
        index=rows.index,
        dtype="str",
    )
    rows["relation"] = pd.Series(OWNER, index=rows.index, dtype="str")
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


def find_live(
    photos: pd.DataFrame,
    owners: Sequence[OwnerIdentity],
    api: FlickrApi,
    store: StateStore,
    *,
    options: FetchOptions | None = None,
    catalogue: LicenceCatalogue | None = None,
    progress: Callable[[int, int], None] | None = None,
    run_id: int | None = None,
    featured: bool = False,
) -> Exposure:
    """Through the audit's fetch path (planner, rate-limited client, state store): list each
    owner's public photos in full (unless the state has that listing, younger than
    `options.max_age`), check the rows naming them that the listing did not show, and match
    every manifest by photo id against the listing. With `featured`, the photos each owner is
    tagged in (getPhotosOf) are listed in full too and matched by photo id. A re-run within
    `max_age` asks nothing."""
    options = options or FetchOptions()
    catalogue = catalogue or load_catalogue()
    started = iso(now_utc())  # to the second, as the store's times: never after them
    nsids = sorted({o.nsid for o in owners if o.nsid})
    by_field = _field_matches(photos, owners, names=False) & photos["photo_id"].notna()
    people = tuple(nsids) if featured else ()
    listing = replace(options, list_in_full=tuple(nsids), photos_of=people)
    named = fetch_status(
        photos.loc[by_field], api, store, options=listing, catalogue=catalogue,
        progress=progress, run_id=run_id,
    )  # fmt: skip
    # Every manifest, COCO included, matched by photo id against the owners' listings.
    cutoff = fresh_cutoff(options.max_age)
    candidates = photos.loc[photos["photo_id"].notna() & ~by_field, "photo_id"].astype("str")
    shown = {
        str(entry.get("id"))
        for _, entry in store.listed_entries(candidates.unique().tolist(), cutoff)
        if str(entry.get("owner")) in nsids
    }
    by_id = photos["photo_id"].astype("str").isin(shown) & ~by_field
    notes = [f"warning: {warning}" for warning in named.warnings if "state file" in warning]
    incomplete = [n for n in nsids if not store.listed_in_full(n, cutoff)]
    if incomplete:
        notes.append(
            f"the listing of {', '.join(incomplete)} could not be fetched in full: rows that do "
            "not name the owner may be missing"
        )
    again = _this_run_fresh(options, started)
    listed = fetch_status(
        photos.loc[by_id], api, store, options=again, catalogue=catalogue, run_id=run_id
    )  # settled from the kept listing pages: no call
    statuses = pd.concat([named.statuses, listed.statuses]).drop_duplicates("photo_id")
    owner_of = statuses.set_index("photo_id")["owner_nsid"]
    field_ids = photos.loc[by_field, "photo_id"].astype("str")
    elsewhere = field_ids.map(owner_of).notna() & ~field_ids.map(owner_of).isin(nsids)
    not_theirs = set(field_ids[elsewhere])
    if not_theirs:
        notes.append(
            f"{len(not_theirs)} row(s) name this owner but Flickr says the photo belongs to "
            f"someone else: left out ({', '.join(sorted(not_theirs)[:10])})"
        )
    in_listing = photos["photo_id"].astype("str").isin(shown | set(named_listed(named, nsids)))
    matched = (by_id | by_field) & ~photos["photo_id"].astype("str").isin(not_theirs)
    matched_by = pd.Series(
        ["owner's Flickr listing" if b else "owner field" for b in in_listing],
        index=photos.index,
        dtype="str",
    )
    relation = pd.Series(OWNER, index=photos.index, dtype="str")
    tagged_owner: dict[str, str] = {}
    if featured:
        since = again.cutoff()
        tagged_owner, complete = _tagged(store, nsids, since)
        notes += [
            f"the photos {nsid} is tagged in could not be listed in full on Flickr: photos they "
            "are featured in may be missing"
            for nsid in nsids
            if nsid not in complete
        ]
        ids = photos["photo_id"].astype("str")
        by_tag = photos["photo_id"].notna() & ids.isin(tagged_owner.keys())
        # A photo they took stays theirs ("owner"), whether they are tagged in it or not.
        theirs = ids.isin(set(ids[matched]))
        # Settled from the kept getPhotosOf pages where they show enough, else by getInfo.
        tagged = fetch_status(
            photos.loc[by_tag & ~theirs], api, store,
            options=replace(again, photos_of=tuple(complete)), catalogue=catalogue, run_id=run_id,
        )  # fmt: skip
        statuses = pd.concat([statuses, tagged.statuses]).drop_duplicates("photo_id")
        relation = relation.mask(by_tag & ~theirs, FEATURED)
        matched_by = matched_by.mask(by_tag & ~matched, "tagged on Flickr (people.getPhotosOf)")
        matched |= by_tag
    rows = photos.loc[matched].copy()
    rows["matched_by"] = matched_by.loc[matched]
    rows["relation"] = relation.loc[matched]
    if not rows.empty:
        rows = with_live_status(rows, statuses)
        if tagged_owner and "owner" in rows.columns:
            # Whose photo it is, as the getPhotosOf entry shows it, where nothing else said
            # (its getInfo failed): its Flickr page is under that owner, not the person tagged.
            shown_by = rows["photo_id"].astype("str").map(tagged_owner)
            rows["owner"] = rows["owner"].mask(rows["owner"].isna(), shown_by)
    return Exposure(list(owners), rows.reset_index(drop=True), live=True, notes=notes)


def _this_run_fresh(options: FetchOptions, started: str) -> FetchOptions:
    """Options for a later fetch of the same run: with `refresh`, what this run has fetched
    (listing and getPhotosOf pages, statuses) counts as fresh, and nothing older does, so the
    pages just fetched settle their photos instead of one getInfo each."""
    if not options.refresh:
        return options
    return replace(options, refresh=False, fresh_since=started)


def _tagged(
    store: StateStore, nsids: Sequence[str], since: str
) -> tuple[dict[str, str], list[str]]:
    """Photo id -> its owner's NSID, for every photo a getPhotosOf page of `nsids` kept since
    `since` shows; and the people whose pages are all there."""
    shown: dict[str, str] = {}
    for nsid in nsids:
        for _, entry in store.photos_of_entries(nsid, since):
            photo_id, owner = entry.get("id"), entry.get("owner")
            if isinstance(photo_id, str | int) and isinstance(owner, str):
                shown.setdefault(str(photo_id), owner)
    return shown, [n for n in nsids if store.photos_of_in_full(n, since)]


def named_listed(report: FetchReport, nsids: Sequence[str]) -> list[str]:
    """Photos of the rows naming the owner that a listing showed (not a getInfo)."""
    statuses = report.statuses
    shown = statuses["method"].isin([GET_PUBLIC_PHOTOS, SEARCH]) & statuses["owner_nsid"].isin(
        nsids
    )
    return statuses.loc[shown, "photo_id"].astype("str").tolist()
