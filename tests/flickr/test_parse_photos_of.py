"""Parsing `flickr.people.getPhotosOf` answers: the standard photo list's entries, paged by
`has_next_page` (no `pages`/`total` for anyone but the caller), which is a string or a number;
an answer that says neither whether more follow nor how many pages there are is unexpected."""

from __future__ import annotations

from typing import Any

import pytest

from auditor.flickr.errors import UnexpectedResponse
from auditor.flickr.parse import GET_PHOTOS_OF, photos_of_page

PERSON = "47058503995@N01"


def documented(**photos: Any) -> dict[str, Any]:
    """The method's documented example (flickr.reflection.getMethodInfo), as Flickr's XML to
    JSON rules give it: attributes become string members."""
    entries = [
        {"id": "2636", "owner": "47058503995@N01", "secret": "a123456", "server": "2",
         "title": "test_04", "ispublic": "1", "isfriend": "0", "isfamily": "0"},
        {"id": "2610", "owner": "12037949754@N01", "secret": "d123456", "server": "2",
         "title": "00_tall", "ispublic": "1", "isfriend": "0", "isfamily": "0"},
    ]  # fmt: skip
    body = {"page": "2", "has_next_page": "1", "perpage": "10", "photo": entries, **photos}
    return {"photos": body, "stat": "ok"}


def test_the_documented_example() -> None:
    page = photos_of_page(documented(), PERSON)
    assert (page.person, page.page, page.per_page, page.has_next_page) == (PERSON, 2, 10, True)
    assert [(p.photo_id, p.owner.nsid) for p in page.photos] == [
        ("2636", "47058503995@N01"),
        ("2610", "12037949754@N01"),  # another owner's photo: the method's whole point
    ]
    assert all(p.public and p.licence_id is None for p in page.photos)  # no extras asked
    assert {p.method for p in page.photos} == {GET_PHOTOS_OF}


@pytest.mark.parametrize(("value", "more"), [("1", True), (1, True), ("0", False), (0, False)])
def test_has_next_page_as_string_or_number(value: object, more: bool) -> None:
    assert photos_of_page(documented(has_next_page=value), PERSON).has_next_page is more


def test_pages_instead_of_has_next_page() -> None:
    body = documented()
    del body["photos"]["has_next_page"]
    body["photos"] |= {"pages": 3, "total": "25"}
    assert photos_of_page(body, PERSON).has_next_page
    body["photos"]["page"] = 3
    assert not photos_of_page(body, PERSON).has_next_page


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"has_next_page": None}, "has_next_page"),
        ({"has_next_page": "yes"}, "has_next_page"),
        ({"has_next_page": True}, "has_next_page"),
        ({"page": None}, "photos.page"),
        ({"photo": "x"}, "photos.photo"),
    ],
)
def test_malformed_answers_are_unexpected(change: dict[str, Any], said: str) -> None:
    body = documented(**change)
    if change.get("has_next_page", "") is None:
        del body["photos"]["has_next_page"]
    with pytest.raises(UnexpectedResponse, match=said) as caught:
        photos_of_page(body, PERSON)
    assert caught.value.method == GET_PHOTOS_OF


def test_an_empty_last_page() -> None:
    body = {"photos": {"page": 1, "perpage": 500, "has_next_page": 0}, "stat": "ok"}
    page = photos_of_page(body, PERSON)
    assert page.photos == () and not page.has_next_page
