"""The planner's getPhotosOf job (`owner --featured`): every page in turn while
`has_next_page` says one follows, bounded, and the one exception to "a listing settles only its
owner's photos": an entry settles a photo only with what it shows (public, licence, an owner the
manifest does not contradict); anything else waits for getInfo, and a failed getInfo is a
failure, never a pass."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from planner_world import ListSink

from auditor.fetch import plan as plan_module
from auditor.fetch.plan import INFO, PAGE, PHOTOS_OF, Call, FetchPlanner
from auditor.fetch.targets import Target
from auditor.flickr.errors import FetchFailed, UserNotFound
from auditor.flickr.parse import (
    GET_INFO,
    Owner,
    PhotoPage,
    PhotosOfPage,
    PhotoStatus,
    photos_of_page,
)
from auditor.licences import load_catalogue

CATALOGUE = load_catalogue()
ANNA, BOB, CARL = "55555555@N05", "77777777@N07", "88888888@N08"
EMPTY: frozenset[str] = frozenset()


def target(photo_id: str, owner: str | None = None) -> Target:
    return Target(photo_id, owner, None, None, EMPTY, False)


def entry(photo_id: str, owner: str = BOB, **extra: Any) -> dict[str, Any]:
    base = {"id": photo_id, "owner": owner, "title": "", "ispublic": 1, "license": "4"}
    return {**base, **extra}


def page(number: int, more: bool | str, *entries: Mapping[str, Any]) -> PhotosOfPage:
    body = {
        "photos": {"page": number, "perpage": 500, "has_next_page": more, "photo": list(entries)}
    }
    return photos_of_page(body, ANNA)


def info(photo_id: str, owner: str) -> PhotoStatus:
    return PhotoStatus(
        photo_id, Owner(owner, None, None), 4, True, (), None, None, None, GET_INFO, raw={}
    )


def planner(targets: list[Target], sink: ListSink, **kwargs: Any) -> FetchPlanner:
    return FetchPlanner(targets, targets, sink, catalogue=CATALOGUE, **kwargs)


def calls(planner: FetchPlanner) -> list[Call]:
    made = []
    while (call := planner.next_call()) is not None:
        made.append(call)
    return made


def test_pages_are_asked_in_turn_and_entries_settle_what_they_show() -> None:
    sink = ListSink()
    targets = [
        target("1"),  # no owner in the manifest (COCO): the entry settles it
        target("2", BOB),  # the manifest agrees with the entry: settled
        target("3", CARL),  # the manifest names another owner: getInfo decides
        target("4"),  # the entry has no licence (extras ignored): getInfo decides
        target("5"),  # the entry says ispublic 0: getInfo decides
        target("6"),  # on no page
    ]
    no_licence = {k: v for k, v in entry("4").items() if k != "license"}
    pages = {
        1: page(1, "1", entry("1"), entry("2"), entry("3")),
        2: page(2, 0, no_licence, entry("5", ispublic=0), entry("99")),
    }

    def flickr(call: Call) -> object:
        if call.kind == PHOTOS_OF:
            return pages[call.page]
        if call.kind == PAGE:  # owner discovery listing an owner getInfo named: nothing there
            return PhotoPage(call.page, 1, 500, 0, ())
        if call.photo_id == "4":
            return FetchFailed(GET_INFO, 5, "HTTP 503")
        return info(call.photo_id, CARL)

    p = planner(targets, sink, photos_of=[ANNA])
    asked = []
    while (call := p.next_call()) is not None:  # one call at a time, answered at once
        asked.append(call)
        p.answer(call, flickr(call))
    assert [(c.nsid, c.page) for c in asked if c.kind == PHOTOS_OF] == [(ANNA, 1), (ANNA, 2)]
    assert sink.photos_of_complete == [(ANNA, 2)] and sink.complete == []
    assert sink.pages[:2] == [(ANNA, 1), (ANNA, 2)]
    # What the pages could not settle had its getInfo (the planner's ordinary path).
    assert sorted(c.photo_id for c in asked if c.kind == INFO) == ["3", "4", "5", "6"]
    assert not [c for c in asked if c.kind == PAGE and c.nsid == ANNA]
    assert sink.failed_ids == {"4"}  # unverified, never passed on the page's word
    assert set(sink.visible_ids) == {"1", "2", "3", "5", "6"}
    assert sink.visible_ids["3"] == CARL
    assert p.finished()


def test_the_last_page_marks_the_listing_complete() -> None:
    sink = ListSink()
    p = planner([], sink, photos_of=[ANNA])
    (call,) = calls(p)
    p.answer(call, page(1, 1, entry("1")))
    (call,) = calls(p)
    p.answer(call, page(2, "0", entry("2")))
    assert sink.photos_of_complete == [(ANNA, 2)]
    assert calls(p) == [] and p.finished()


def test_a_failed_page_ends_the_listing_with_a_warning_not_complete() -> None:
    sink = ListSink()
    p = planner([target("1")], sink, photos_of=[ANNA])
    (first, *_) = calls(p)
    assert first.kind == PHOTOS_OF
    p.answer(first, UserNotFound("flickr.people.getPhotosOf", 1, "User not found."))
    assert sink.photos_of_complete == []
    assert any("could not be listed past page 0" in w for w in sink.warnings)
    assert not [c for c in calls(p) if c.kind == PHOTOS_OF]


def test_a_page_that_never_ends_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plan_module, "MAX_PHOTOS_OF_PAGES", 3)
    sink = ListSink()
    p = planner([], sink, photos_of=[ANNA])
    asked = 0
    while (call := p.next_call()) is not None:
        asked += 1
        p.answer(call, page(call.page, 1, entry(str(call.page))))
    assert asked == 3
    assert sink.photos_of_complete == []
    assert any("up to page 3 only" in w for w in sink.warnings)


def test_an_empty_page_that_says_more_follow_stops_the_listing() -> None:
    sink = ListSink()
    p = planner([], sink, photos_of=[ANNA])
    (call,) = calls(p)
    p.answer(call, page(1, 1))
    assert calls(p) == [] and sink.photos_of_complete == []
    assert any("an empty page" in w for w in sink.warnings)


def test_an_answer_for_another_page_is_not_taken() -> None:
    sink = ListSink()
    p = planner([target("1")], sink, photos_of=[ANNA])
    (call, *_) = calls(p)
    p.answer(call, page(7, 0, entry("1")))
    assert "1" not in sink.visible_ids and sink.photos_of_complete == []
    assert any("answered page 7" in w for w in sink.warnings)


def test_kept_getphotosof_entries_follow_the_same_rule() -> None:
    """Entries of kept pages (method getPhotosOf) settle without a call only what a fresh page
    would settle."""
    kept = page(1, 0, entry("1"), entry("2"), entry("3", license=""), entry("4", ispublic="0"))
    sink = ListSink()
    targets = [target("1"), target("2", CARL), target("3"), target("4")]
    p = planner(targets, sink, kept=kept.photos)
    assert set(sink.visible_ids) == {"1"}
    assert p.unresolved == {"2", "3", "4"}  # each left to its getInfo
    assert {c.kind for c in calls(p)} == {INFO}
