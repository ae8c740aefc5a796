"""Kept getPhotosOf pages in the state store: read back per person and only while fresh, complete
only when every page of the last full listing is, and never taken for a listing of the person's
own photos (owner discovery and kept-listing settlement must not see them)."""

from __future__ import annotations

from pathlib import Path

from auditor.state import PHOTOS_OF, ListingPage, StateStore

ANNA, BOB = "55555555@N05", "77777777@N07"
OLD, NEW = "2026-11-01T00:00:00Z", "2026-11-20T00:00:00Z"


def entry(photo_id: str, owner: str = BOB) -> dict[str, object]:
    return {"id": photo_id, "owner": owner, "ispublic": 1, "license": "4"}


def page(number: int, when: str, *ids: str) -> ListingPage:
    return ListingPage(ANNA, f"{PHOTOS_OF} page={number}", when, [entry(i) for i in ids])


def complete(pages: int, when: str) -> ListingPage:
    return ListingPage(ANNA, f"{PHOTOS_OF} complete pages={pages}", when, [])


def ids(store: StateStore, since: str) -> set[str]:
    return {str(e["id"]) for _, e in store.photos_of_entries(ANNA, since)}


def test_pages_are_read_back_fresh_and_complete_only_in_full(tmp_path: Path) -> None:
    with StateStore(tmp_path / "s.sqlite") as store:
        store.save_listing_pages([page(1, NEW, "1", "2"), page(2, NEW, "3")])
        assert ids(store, NEW) == {"1", "2", "3"}
        assert not store.photos_of_in_full(ANNA, NEW)  # no run saw the last page
        store.save_listing_pages([complete(2, NEW)])
        assert store.photos_of_in_full(ANNA, NEW)
        assert not store.photos_of_in_full(ANNA, "2026-12-01T00:00:00Z")  # stale
        assert ids(store, "2026-12-01T00:00:00Z") == set()
        assert not store.photos_of_in_full(BOB, OLD)


def test_a_shorter_listing_hides_the_pages_past_it(tmp_path: Path) -> None:
    with StateStore(tmp_path / "s.sqlite") as store:
        store.save_listing_pages([page(1, OLD, "1"), page(2, OLD, "2"), complete(2, OLD)])
        # Later the person is in fewer photos: one page now.
        store.save_listing_pages([page(1, NEW, "9"), complete(1, NEW)])
        assert ids(store, OLD) == {"9"}
        assert store.photos_of_in_full(ANNA, NEW)


def test_a_page_refetched_stale_in_between_is_not_complete(tmp_path: Path) -> None:
    with StateStore(tmp_path / "s.sqlite") as store:
        store.save_listing_pages([page(1, OLD, "1"), page(2, NEW, "2"), complete(2, NEW)])
        assert not store.photos_of_in_full(ANNA, NEW)


def test_they_are_no_listing_of_the_persons_photos(tmp_path: Path) -> None:
    with StateStore(tmp_path / "s.sqlite") as store:
        store.save_listing_pages([page(1, NEW, "1", "2"), complete(1, NEW)])
        assert store.listed_owners(OLD) == set()
        assert store.listed_entries(["1", "2"], OLD) == []
        assert not store.listed_in_full(ANNA, OLD)
        own = ListingPage(ANNA, "flickr.people.getPublicPhotos page=1", NEW, [entry("5", ANNA)])
        store.save_listing_pages([own])
        assert store.listed_owners(OLD) == {ANNA}
        assert [e["id"] for _, e in store.listed_entries(["1", "5"], OLD)] == ["5"]
