"""`FlickrClient.photos_of` (flickr.people.getPhotosOf) against the stand-in over HTTP: the
public photos a person is tagged in, whoever took them, paged by `has_next_page`; the listing
extras asked for; unknown users; the key scrubbed from what the answer says; bounded pages."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flickr_standin import VALID_KEY, FlickrStandIn, Owner, Photo, World

from auditor.flickr import LISTING_EXTRAS, FlickrClient, TokenBucket, UserNotFound

Standin = Callable[..., FlickrStandIn]
T0 = 1_400_000_000
ALICE = Owner("1001@N01", "alice", alias="alice-photos")  # in the photos
BOB = Owner("2000@N02", "bob")
CAROL = Owner("3001@N03", "carol")


def make_world() -> World:
    world = World()
    for owner in (ALICE, BOB, CAROL):
        world.add_owner(owner)
    for i in range(7):  # Bob's photos Alice is tagged in, 101..107, uploaded in that order
        world.add_photo(Photo(str(101 + i), BOB.nsid, 4, T0 + i, people=[ALICE.nsid]))
    world.add_photo(Photo("201", BOB.nsid, 4, T0, public=False, people=[ALICE.nsid]))
    world.add_photo(Photo("202", BOB.nsid, 4, T0, deleted=True, people=[ALICE.nsid]))
    world.add_photo(Photo("203", BOB.nsid, 4, T0, safety_level=2, people=[ALICE.nsid]))
    world.add_photo(Photo("204", BOB.nsid, 4, T0))  # nobody tagged
    world.add_photo(Photo("301", CAROL.nsid, 11, T0 + 50, people=[ALICE.nsid, BOB.nsid]))
    world.add_photo(Photo("401", ALICE.nsid, 2, T0 + 60, people=[ALICE.nsid]))  # a selfie
    return world


@pytest.fixture
def standin(flickr_standin: Standin) -> FlickrStandIn:
    return flickr_standin(make_world())


@pytest.fixture
def client(standin: FlickrStandIn) -> Iterator[FlickrClient]:
    limiter = TokenBucket(3_600_000)
    with FlickrClient(VALID_KEY, api_url=standin.url, limiter=limiter, backoff=(0.001, 0.01)) as c:
        yield c


def test_every_public_tagged_photo_over_pages(client: FlickrClient, standin: FlickrStandIn) -> None:
    seen: list[str] = []
    number, more = 1, True
    while more:
        page = client.photos_of(ALICE.nsid, number, per_page=4)
        assert (page.person, page.page, page.per_page) == (ALICE.nsid, number, 4)
        seen += [p.photo_id for p in page.photos]
        more = page.has_next_page
        number += 1
    assert number - 1 == 3  # 9 photos, 4 a page: has_next_page 1, 1, 0
    # Any owner's photos; not the private, deleted, restricted or untagged ones.
    assert sorted(seen) == ["101", "102", "103", "104", "105", "106", "107", "301", "401"]
    request = standin.requests[-1]
    assert (request["user_id"], request["page"], request["per_page"]) == (ALICE.nsid, "3", "4")
    assert request["extras"] == LISTING_EXTRAS  # the licence, owner, upload time of each


def test_entries_carry_their_own_owner_and_licence(client: FlickrClient) -> None:
    page = client.photos_of(ALICE.nsid)
    assert not page.has_next_page
    by_id = {p.photo_id: p for p in page.photos}
    assert by_id["301"].owner.nsid == CAROL.nsid and by_id["301"].licence_id == 11
    assert by_id["101"].owner.nsid == BOB.nsid and by_id["101"].public
    assert by_id["401"].owner.alias == "alice-photos"
    assert {p.method for p in page.photos} == {"flickr.people.getPhotosOf"}


def test_unknown_user_and_bounds(client: FlickrClient) -> None:
    with pytest.raises(UserNotFound) as caught:
        client.photos_of("9999@N09")
    assert caught.value.code == 1
    for page, per_page in ((0, 10), (1, 0), (1, 501)):
        with pytest.raises(ValueError):
            client.photos_of(ALICE.nsid, page, per_page)


def test_the_key_in_an_answer_is_scrubbed(client: FlickrClient, standin: FlickrStandIn) -> None:
    standin.world.photos["301"].title = f"echo {VALID_KEY}"
    page = client.photos_of(ALICE.nsid)
    (photo,) = [p for p in page.photos if p.photo_id == "301"]
    assert photo.title == "echo ***"
    assert VALID_KEY not in repr(page) and VALID_KEY not in str(dict(photo.raw))
