"""The Flickr stand-in answers in Flickr's shapes, with Flickr's quirks, and injects faults on
request: checked over real HTTP with plain `requests`."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from flickr_standin import (
    FLICKR_LICENCES,
    VALID_KEY,
    Faults,
    FlickrStandIn,
    Owner,
    Photo,
    World,
    normalise_tag,
)

Standin = Callable[..., FlickrStandIn]
T0 = 1_300_000_000

ALICE = Owner("11111111@N01", "alice", alias="alice-photos", realname="Alice A.")
BOB = Owner("22222222@N02", "Bob")  # no alias; even NSID: path_alias null
CAROL = Owner("33333333@N03", "carol")  # no alias; odd NSID: path_alias ""


def make_world() -> World:
    world = World()
    for owner in (ALICE, BOB, CAROL):
        world.add_owner(owner)
    world.add_owner_photos(ALICE, 30, start_id=1000, start_time=T0, step=100)  # 1000..1029
    world.add_photo(Photo("2000", BOB.nsid, 2, T0, tags=["no_cv", "Sea Side", "seaside", "!!"]))
    world.add_photo(Photo("2001", BOB.nsid, 4, T0 + 1, title="Ó & <b>"))
    world.add_photo(Photo("2002", BOB.nsid, 4, T0 + 2, safety_level=1))
    world.add_photo(Photo("2003", BOB.nsid, 4, T0 + 3, safety_level=2))
    world.add_photo(Photo("2004", BOB.nsid, 4, T0 + 4, public=False))  # even: code 2
    world.add_photo(Photo("2005", BOB.nsid, 4, T0 + 5, public=False))  # odd: code 1
    world.add_photo(Photo("2006", BOB.nsid, 4, T0 + 6, deleted=True))
    world.add_photo(Photo("3000", CAROL.nsid, 0, T0, history=[(T0 + 50, 4, 0)]))
    world.add_photo(Photo("3001", CAROL.nsid, 9, T0, history=[(T0 + 10, 0, 10), (T0 + 20, 10, 9)]))
    world.add_photo(Photo("3002", CAROL.nsid, 99, T0))  # an id Flickr's table does not have
    return world


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.trust_env = False  # never a proxy for 127.0.0.1
        yield session


@pytest.fixture
def standin(flickr_standin: Standin) -> FlickrStandIn:
    return flickr_standin(make_world())


def call(
    http: requests.Session, standin: FlickrStandIn, method: str, **params: Any
) -> requests.Response:
    query = {"method": method, "api_key": VALID_KEY, "format": "json", "nojsoncallback": "1"}
    return http.get(standin.url, params={**query, **params}, timeout=10)


def ok(http: requests.Session, standin: FlickrStandIn, method: str, **params: Any) -> Any:
    response = call(http, standin, method, **params)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["stat"] == "ok", body
    return body


def fail(http: requests.Session, standin: FlickrStandIn, method: str, **params: Any) -> Any:
    response = call(http, standin, method, **params)
    assert response.status_code == 200  # Flickr's failures are HTTP 200
    body = response.json()
    assert body["stat"] == "fail"
    return (body["code"], body["message"])


# -- flickr.photos.getInfo --


def test_get_info_shape(http: requests.Session, standin: FlickrStandIn) -> None:
    photo = ok(http, standin, "flickr.photos.getInfo", photo_id="1000")["photo"]
    assert photo["id"] == "1000"
    assert photo["license"] == "4"  # even id: a string
    assert photo["dateuploaded"] == str(T0)
    assert photo["owner"] == {
        "nsid": ALICE.nsid,
        "username": "alice",
        "realname": "Alice A.",
        "location": "",
        "iconserver": photo["owner"]["iconserver"],
        "iconfarm": photo["owner"]["iconfarm"],
        "path_alias": "alice-photos",
    }
    assert photo["visibility"] == {"ispublic": 1, "isfriend": 0, "isfamily": 0}
    assert photo["dates"]["posted"] == str(T0)
    assert photo["dates"]["lastupdate"] == str(T0)
    assert photo["dates"]["taken"] == "2011-03-13 07:06:40"
    assert photo["urls"]["url"] == [
        {"type": "photopage", "_content": "https://www.flickr.com/photos/alice-photos/1000/"}
    ]
    assert photo["tags"] == {"tag": []}
    assert photo["safety_level"] == "0" and photo["media"] == "photo"
    for key in ("secret", "server", "farm", "title", "description", "usage", "comments"):
        assert key in photo
    odd = ok(http, standin, "flickr.photos.getInfo", photo_id="1001")["photo"]
    assert odd["license"] == 4  # odd id: an int


def test_get_info_owner_without_alias(http: requests.Session, standin: FlickrStandIn) -> None:
    bob = ok(http, standin, "flickr.photos.getInfo", photo_id="2001")["photo"]
    assert bob["owner"]["path_alias"] is None
    assert bob["urls"]["url"][0]["_content"] == f"https://www.flickr.com/photos/{BOB.nsid}/2001/"
    assert bob["title"] == {"_content": "Ó &amp; &lt;b&gt;"}  # HTML-escaped, as Flickr
    carol = ok(http, standin, "flickr.photos.getInfo", photo_id="3001")["photo"]
    assert carol["owner"]["path_alias"] == ""
    assert carol["dates"]["lastupdate"] == str(T0 + 20)  # the last licence change


def test_get_info_tags_raw_and_normalised(http: requests.Session, standin: FlickrStandIn) -> None:
    tags = ok(http, standin, "flickr.photos.getInfo", photo_id="2000")["photo"]["tags"]["tag"]
    # "seaside" normalises like "Sea Side" and "!!" to nothing: Flickr keeps one and drops it.
    assert [(t["raw"], t["_content"]) for t in tags] == [("no_cv", "nocv"), ("Sea Side", "seaside")]
    assert all(t["author"] == BOB.nsid and t["authorname"] == "Bob" for t in tags)
    assert all(t["machine_tag"] == 0 and t["id"] for t in tags)
    assert normalise_tag("Ünï-Code_2 x") == "ünïcode2x"


def test_get_info_escapes_like_flickr(http: requests.Session, standin: FlickrStandIn) -> None:
    raw = call(http, standin, "flickr.photos.getInfo", photo_id="2001").text
    assert "https:\\/\\/www.flickr.com\\/photos\\/" in raw
    assert "\\u00d3" in raw and raw.isascii()


def test_get_info_failures(http: requests.Session, standin: FlickrStandIn) -> None:
    method = "flickr.photos.getInfo"
    assert fail(http, standin, method, photo_id="2006") == (
        1,
        'Photo "2006" not found (invalid ID)',
    )
    assert fail(http, standin, method, photo_id="9999") == (
        1,
        'Photo "9999" not found (invalid ID)',
    )
    assert fail(http, standin, method, photo_id="2004") == (2, "Photo is private")
    assert fail(http, standin, method, photo_id="2005") == (
        1,
        'Photo "2005" not found (invalid ID)',
    )
    assert fail(http, standin, method) == (1, "Required parameter missing")
    # Not listed, but getInfo answers it.
    restricted = ok(http, standin, method, photo_id="2003")["photo"]
    assert restricted["safety_level"] == "2"


# -- listings --


def test_public_photos_pages_newest_first(http: requests.Session, standin: FlickrStandIn) -> None:
    method = "flickr.people.getPublicPhotos"
    first = ok(http, standin, method, user_id=ALICE.nsid, per_page=12)["photos"]
    assert (first["page"], first["pages"], first["perpage"], first["total"]) == (1, 3, 12, "30")
    assert [p["id"] for p in first["photo"]] == [str(1029 - i) for i in range(12)]
    item = first["photo"][0]
    assert set(item) == {
        "id", "owner", "secret", "server", "farm", "title", "ispublic", "isfriend", "isfamily"
    }  # fmt: skip
    assert item["owner"] == ALICE.nsid and item["ispublic"] == 1
    last = ok(http, standin, method, user_id=ALICE.nsid, per_page=12, page=3)["photos"]
    assert [p["id"] for p in last["photo"]] == [str(1005 - i) for i in range(6)]
    beyond = ok(http, standin, method, user_id=ALICE.nsid, per_page=12, page=4)["photos"]
    assert beyond["photo"] == [] and beyond["page"] == 4
    default = ok(http, standin, method, user_id=ALICE.nsid, per_page="x", page="0")["photos"]
    assert (default["page"], default["perpage"], len(default["photo"])) == (1, 100, 30)


def test_public_photos_extras(http: requests.Session, standin: FlickrStandIn) -> None:
    extras = "license,owner_name,path_alias,date_upload,last_update,tags,unknown_extra"
    photos = ok(http, standin, "flickr.people.getPublicPhotos", user_id=BOB.nsid, extras=extras)[
        "photos"
    ]
    # Only the public Safe photos: moderate, restricted, private and deleted are left out.
    assert photos["total"] == "2"
    newest, oldest = photos["photo"]
    assert newest["id"] == "2001" and oldest["id"] == "2000"
    assert oldest["license"] == "2"
    assert oldest["ownername"] == "Bob"
    assert oldest["pathalias"] is None
    assert oldest["dateupload"] == str(T0) and oldest["lastupdate"] == str(T0)
    assert oldest["tags"] == "nocv seaside"
    assert newest["title"] == "Ó & <b>"  # a plain string in listings
    aliased = ok(
        http, standin, "flickr.people.getPublicPhotos", user_id=ALICE.nsid, extras="path_alias"
    )["photos"]["photo"][0]
    assert aliased["pathalias"] == "alice-photos"


def test_public_photos_per_page_clamp_and_unknown_user(
    http: requests.Session, flickr_standin: Standin
) -> None:
    world = World()
    world.add_owner_photos(ALICE, 1200, start_id=10000)
    standin = flickr_standin(world)
    method = "flickr.people.getPublicPhotos"
    photos = ok(http, standin, method, user_id=ALICE.nsid, per_page=1000)["photos"]
    assert (photos["perpage"], photos["pages"], len(photos["photo"])) == (500, 3, 500)
    assert fail(http, standin, method, user_id="1@N01") == (1, "User not found")


def test_search_filters_and_sorts(http: requests.Session, standin: FlickrStandIn) -> None:
    method = "flickr.photos.search"
    window = {"user_id": ALICE.nsid, "min_upload_date": T0 + 500, "max_upload_date": T0 + 900}
    desc = ok(http, standin, method, **window)["photos"]
    assert [p["id"] for p in desc["photo"]] == [str(i) for i in range(1009, 1004, -1)]  # inclusive
    asc = ok(http, standin, method, **window, sort="date-posted-asc")["photos"]
    assert [p["id"] for p in asc["photo"]] == [str(i) for i in range(1005, 1010)]
    bob = ok(http, standin, method, user_id=BOB.nsid, extras="license")["photos"]
    assert [p["id"] for p in bob["photo"]] == ["2001", "2000"]  # Safe, public only
    only_nc = ok(http, standin, method, user_id=BOB.nsid, license="2")["photos"]
    assert [p["id"] for p in only_nc["photo"]] == ["2000"]
    code, message = fail(http, standin, method, min_upload_date=T0)
    assert code == 3 and message.startswith("Parameterless searches have been disabled")
    assert fail(http, standin, method, user_id="1@N01") == (2, "Unknown user")


def test_search_cap_repeats_the_last_page(http: requests.Session, flickr_standin: Standin) -> None:
    world = World()
    world.add_owner_photos(ALICE, 4600, start_id=100000, step=1)
    standin = flickr_standin(world)
    method = "flickr.photos.search"
    pages = [
        ok(http, standin, method, user_id=ALICE.nsid, per_page=500, page=page)["photos"]
        for page in (8, 9, 10)
    ]
    assert all(p["total"] == "4600" and p["pages"] == 10 for p in pages)
    ids = [[photo["id"] for photo in p["photo"]] for p in pages]
    assert ids[0] == [str(104599 - i) for i in range(3500, 4000)]  # results 3,501..4,000
    assert ids[1] == ids[0] and ids[2] == ids[0]  # past the cap: the same page again
    # A page that straddles the cap stops at it; the one after repeats it.
    straddle = ok(http, standin, method, user_id=ALICE.nsid, per_page=300, page=14)["photos"]
    after = ok(http, standin, method, user_id=ALICE.nsid, per_page=300, page=15)["photos"]
    assert len(straddle["photo"]) == 100 and after["photo"] == straddle["photo"]
    # getPublicPhotos has no cap.
    listed = ok(
        http, standin, "flickr.people.getPublicPhotos", user_id=ALICE.nsid, per_page=500, page=10
    )["photos"]
    assert [p["id"] for p in listed["photo"]] == [str(100099 - i) for i in range(100)]


# -- licences --


def test_licence_table_raw_order_and_mixed_id_types(
    http: requests.Session, standin: FlickrStandIn
) -> None:
    licences = ok(http, standin, "flickr.photos.licenses.getInfo")["licenses"]["license"]
    assert [int(x["id"]) for x in licences] == [0, 4, 6, 3, 2, 1, 5, *range(7, 17)]
    assert licences[0] == {
        "id": "0",
        "name": "All Rights Reserved",
        "url": FLICKR_LICENCES[0][2],
    }
    assert licences[1] == {"id": "4", "name": "CC BY 2.0", "url": FLICKR_LICENCES[1][2]}
    assert {type(x["id"]) for x in licences} == {str, int}
    assert {int(x["id"]): x["name"] for x in licences}[16] == "CC BY-NC-ND 4.0"


def test_custom_licence_table(http: requests.Session, flickr_standin: Standin) -> None:
    standin = flickr_standin(World(), licences=[(0, "All Rights Reserved", ""), (4, "CC BY", "u")])
    licences = ok(http, standin, "flickr.photos.licenses.getInfo")["licenses"]["license"]
    assert licences == [
        {"id": "0", "name": "All Rights Reserved", "url": ""},
        {"id": "4", "name": "CC BY", "url": "u"},
    ]


def test_licence_history(http: requests.Session, standin: FlickrStandIn) -> None:
    method = "flickr.photos.licenses.getLicenseHistory"
    never = ok(http, standin, method, photo_id="1001")["license_history"]
    assert never == [
        {
            "date_change": str(T0 + 100),
            "old_license": "Attribution License",
            "old_license_url": "https://creativecommons.org/licenses/by/2.0/",
            "new_license": "",
            "new_license_url": "",
        }
    ]
    # One entry and an id divisible by 3: a bare object, not a list.
    single = ok(http, standin, method, photo_id="3000")["license_history"]
    assert single == {
        "date_change": str(T0 + 50),
        "old_license": "Attribution License",
        "old_license_url": "https://creativecommons.org/licenses/by/2.0/",
        "new_license": "All Rights Reserved",
        "new_license_url": "",
    }
    two = ok(http, standin, method, photo_id="3001")["license_history"]
    assert [(e["old_license"], e["new_license"]) for e in two] == [
        ("All Rights Reserved", "Public Domain Mark"),
        ("Public Domain Mark", "Public Domain Dedication (CC0)"),
    ]
    assert two[1]["new_license_url"] == "https://creativecommons.org/publicdomain/zero/1.0/"
    unknown = ok(http, standin, method, photo_id="3002")["license_history"]
    assert unknown[0]["old_license"] == "License 99"
    nc = ok(http, standin, method, photo_id="2000")["license_history"]
    assert nc[0]["old_license"] == "Attribution-NonCommercial License"
    for photo_id in ("2004", "2005", "2006", "9999"):
        assert fail(http, standin, method, photo_id=photo_id) == (1, "Photo not found")


# -- users --


def test_lookup_user(http: requests.Session, standin: FlickrStandIn) -> None:
    method = "flickr.urls.lookupUser"
    alice = {"user": {"id": ALICE.nsid, "username": {"_content": "alice"}}, "stat": "ok"}
    for url in (
        "https://www.flickr.com/photos/alice-photos/",
        "http://flickr.com/photos/Alice-Photos/1000/in/photostream",
        f"https://www.flickr.com/people/{ALICE.nsid}/",
        "www.flickr.com/photos/alice-photos",
    ):
        assert ok(http, standin, method, url=url) == alice, url
    for url in (
        "https://www.flickr.com/photos/alice/",  # a username is not a path alias
        "https://example.com/photos/alice-photos/",
        "https://www.flickr.com/groups/alice-photos/",
    ):
        assert fail(http, standin, method, url=url) == (1, "User not found"), url


def test_find_by_username(http: requests.Session, standin: FlickrStandIn) -> None:
    method = "flickr.people.findByUsername"
    found = ok(http, standin, method, username="bob")
    assert found["user"] == {"id": BOB.nsid, "nsid": BOB.nsid, "username": {"_content": "Bob"}}
    assert fail(http, standin, method, username="alice-photos") == (1, "User not found")
    assert fail(http, standin, method) == (1, "Required parameter missing")


def test_people_get_info(http: requests.Session, standin: FlickrStandIn) -> None:
    method = "flickr.people.getInfo"
    alice = ok(http, standin, method, user_id=ALICE.nsid)["person"]
    assert alice["nsid"] == alice["id"] == ALICE.nsid
    assert alice["path_alias"] == "alice-photos"
    assert alice["username"] == {"_content": "alice"}
    assert alice["realname"] == {"_content": "Alice A."}
    assert alice["photosurl"] == {"_content": "https://www.flickr.com/photos/alice-photos/"}
    assert alice["profileurl"] == {"_content": "https://www.flickr.com/people/alice-photos/"}
    assert alice["photos"]["count"] == {"_content": 30}  # odd NSID: an int
    assert alice["photos"]["firstdate"] == {"_content": str(T0)}
    bob = ok(http, standin, method, user_id=BOB.nsid)["person"]
    # Public photos whatever their safety level; not private or deleted ones.
    assert bob["photos"]["count"] == {"_content": "4"}  # even NSID: a string
    assert bob["path_alias"] is None and "realname" not in bob
    assert fail(http, standin, method, user_id="1@N01") == (1, "User not found")


# -- protocol --


def test_invalid_key_and_unknown_method(http: requests.Session, standin: FlickrStandIn) -> None:
    invalid = (100, "Invalid API Key (Key has invalid format)")
    assert fail(http, standin, "flickr.photos.getInfo", photo_id="1000", api_key="wrong") == invalid
    response = http.get(
        standin.url,
        params={"method": "flickr.photos.getInfo", "format": "json", "nojsoncallback": "1"},
        timeout=10,
    )
    assert (response.json()["code"], response.json()["message"]) == invalid
    assert fail(http, standin, "flickr.fakeMethod") == (112, 'Method "flickr.fakeMethod" not found')


def test_jsonp_without_nojsoncallback(http: requests.Session, standin: FlickrStandIn) -> None:
    params = {"method": "flickr.photos.getInfo", "api_key": "x", "format": "json"}
    text = http.get(standin.url, params=params, timeout=10).text
    invalid = '{"stat":"fail","code":100,"message":"Invalid API Key (Key has invalid format)"}'
    assert text == f"jsonFlickrApi({invalid})"
    renamed = http.get(standin.url, params={**params, "jsoncallback": "cb"}, timeout=10).text
    assert renamed.startswith("cb({") and renamed.endswith("})")


def test_post_form(http: requests.Session, standin: FlickrStandIn) -> None:
    data = {
        "method": "flickr.photos.getInfo",
        "api_key": VALID_KEY,
        "format": "json",
        "nojsoncallback": "1",
        "photo_id": "1002",
    }
    response = http.post(standin.url, data=data, timeout=10)
    assert response.json()["photo"]["id"] == "1002"


def test_other_paths_and_formats(http: requests.Session, standin: FlickrStandIn) -> None:
    other = standin.url.replace("/services/rest/", "/services/other/")
    response = http.get(other, timeout=10)
    assert response.status_code == 404 and response.headers["Content-Type"].startswith("text/html")
    xml = http.get(standin.url, params={"method": "flickr.photos.getInfo"}, timeout=10)
    assert xml.status_code == 200 and '<err code="111"' in xml.text


def test_request_log_and_calls(http: requests.Session, flickr_standin: Standin) -> None:
    standin = flickr_standin(make_world(), faults=Faults(script=["http503"]))
    call(http, standin, "flickr.photos.getInfo", photo_id="1000")
    call(http, standin, "flickr.photos.getInfo", photo_id="1001")
    call(http, standin, "flickr.people.getInfo", user_id=BOB.nsid, api_key="bad")
    assert standin.requests == [
        {"method": "flickr.photos.getInfo", "format": "json", "nojsoncallback": "1",
         "photo_id": "1000"},
        {"method": "flickr.photos.getInfo", "format": "json", "nojsoncallback": "1",
         "photo_id": "1001"},
        {"method": "flickr.people.getInfo", "format": "json", "nojsoncallback": "1",
         "user_id": BOB.nsid},
    ]  # fmt: skip
    assert standin.calls() == {"flickr.photos.getInfo": 2, "flickr.people.getInfo": 1}


# -- faults --


def test_html_429_with_retry_after(http: requests.Session, flickr_standin: Standin) -> None:
    standin = flickr_standin(make_world(), faults=Faults(script=["html429"], retry_after=7))
    response = call(http, standin, "flickr.photos.getInfo", photo_id="1000")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert response.headers["Content-Type"].startswith("text/html")
    assert "<h1>429 Too Many Requests</h1>" in response.text
    assert call(http, standin, "flickr.photos.getInfo", photo_id="1000").status_code == 200


def test_every_fault_kind(http: requests.Session, flickr_standin: Standin) -> None:
    script = ["http500", "http503", "code105", "code201", "code100", "truncated", "ok"]
    standin = flickr_standin(make_world(), faults=Faults(script=list(script)))
    answers = [call(http, standin, "flickr.photos.getInfo", photo_id="1000") for _ in script]
    assert [a.status_code for a in answers] == [500, 503, 200, 200, 200, 200, 200]
    assert all(a.headers["Content-Type"].startswith("text/html") for a in answers[:2])
    assert "Retry-After" not in answers[1].headers
    assert answers[2].json() == {
        "stat": "fail", "code": 105, "message": "Service currently unavailable"
    }  # fmt: skip
    assert answers[3].json()["code"] == 201
    assert (
        answers[3].json()["message"] == "Sorry, the Flickr API service is not currently available."
    )
    assert answers[4].json()["code"] == 100
    full = answers[6].content
    truncated = answers[5].content
    assert int(answers[5].headers["Content-Length"]) == len(truncated) == len(full) // 2
    assert full.startswith(truncated)
    with pytest.raises(json.JSONDecodeError):
        json.loads(truncated)
    assert standin.faults.script == []  # consumed
    assert call(http, standin, "flickr.photos.getInfo", photo_id="1000").json()["stat"] == "ok"


def test_slow_fault_and_latency(http: requests.Session, flickr_standin: Standin) -> None:
    standin = flickr_standin(make_world(), faults=Faults(script=["slow"], slow_seconds=0.3))
    started = time.monotonic()
    assert call(http, standin, "flickr.photos.getInfo", photo_id="1000").json()["stat"] == "ok"
    assert time.monotonic() - started >= 0.3
    with pytest.raises(requests.Timeout):
        standin.faults = Faults(script=["slow"], slow_seconds=1.0)
        http.get(standin.url, params={"method": "x"}, timeout=0.2)
    delayed = flickr_standin(make_world(), latency=0.2)
    started = time.monotonic()
    call(http, delayed, "flickr.photos.licenses.getInfo")
    assert time.monotonic() - started >= 0.2


def test_random_faults_are_reproducible(http: requests.Session, flickr_standin: Standin) -> None:
    def statuses() -> list[int]:
        standin = flickr_standin(make_world(), faults=Faults(rate=0.5, seed=11, kinds=("http500",)))
        return [call(http, standin, "flickr.photos.getInfo", photo_id="1000").status_code
                for _ in range(20)]  # fmt: skip

    first = statuses()
    assert first == statuses()
    assert 200 in first and 500 in first


def test_faults_limited_to_methods_photos_and_replaceable(
    http: requests.Session, flickr_standin: Standin
) -> None:
    faults = Faults(
        rate=1.0,
        kinds=("http503",),
        methods=frozenset({"flickr.photos.getInfo"}),
        script=["code105"],
    )
    standin = flickr_standin(make_world(), faults=faults)
    assert ok(http, standin, "flickr.photos.licenses.getInfo")  # not faulted: script kept
    assert call(http, standin, "flickr.photos.getInfo", photo_id="1000").json()["code"] == 105
    assert call(http, standin, "flickr.photos.getInfo", photo_id="1000").status_code == 503
    standin.faults = Faults(photo_faults={"1001": "http500"})
    for _ in range(3):  # a persistent fault for one photo
        assert call(http, standin, "flickr.photos.getInfo", photo_id="1001").status_code == 500
    assert ok(http, standin, "flickr.photos.getInfo", photo_id="1000")
    with pytest.raises(ValueError, match="unknown fault kind"):
        Faults(script=["teapot"])


def test_concurrent_requests_with_latency(flickr_standin: Standin) -> None:
    standin = flickr_standin(make_world(), latency=0.3)

    def one(i: int) -> str:
        with requests.Session() as session:
            session.trust_env = False
            photo_id = str(1000 + i % 30)
            body = call(session, standin, "flickr.photos.getInfo", photo_id=photo_id).json()
            return str(body["photo"]["id"])

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=20) as pool:
        ids = list(pool.map(one, range(20)))
    assert time.monotonic() - started < 2.0  # 20 x 0.3 s one after another would be 6 s
    assert ids == [str(1000 + i) for i in range(20)]
    assert standin.calls()["flickr.photos.getInfo"] == 20 == len(standin.requests)


def test_stop_with_idle_keep_alive_connection(http: requests.Session) -> None:
    with FlickrStandIn(make_world()) as standin:
        assert ok(http, standin, "flickr.photos.licenses.getInfo")  # the connection stays open
        url = standin.url
    started = time.monotonic()
    standin.stop()  # a second stop does nothing
    assert time.monotonic() - started < 0.5
    with pytest.raises(requests.ConnectionError):
        http.get(url, timeout=2)
    assert not [t for t in threading.enumerate() if t.name == "flickr-standin"]


# -- the world --


def test_world_index(http: requests.Session, flickr_standin: Standin) -> None:
    world = World()
    with pytest.raises(KeyError):
        world.add_photo(Photo("1", BOB.nsid, 4, T0))
    world.add_owner(BOB)
    world.add_owner(CAROL)
    for photo_id, uploaded in (("5", T0 + 5), ("1", T0 + 1), ("10", T0 + 5), ("3", T0 + 3)):
        world.add_photo(Photo(photo_id, BOB.nsid, 4, uploaded))
    assert [p.photo_id for p in world.owner_photos(BOB.nsid)] == ["1", "3", "5", "10"]
    world.add_photo(Photo("3", CAROL.nsid, 4, T0))  # added again: moves to its new owner
    assert [p.photo_id for p in world.owner_photos(BOB.nsid)] == ["1", "5", "10"]
    standin = flickr_standin(world)
    world.photos["5"].public = False  # read per request
    listed = ok(http, standin, "flickr.people.getPublicPhotos", user_id=BOB.nsid)["photos"]
    assert [p["id"] for p in listed["photo"]] == ["10", "1"]
    made = world.add_owner_photos(ALICE, 3, start_id=50, licence_id=2, step=10, tags=["x"])
    assert [(p.photo_id, p.uploaded_at, p.licence_id, p.tags) for p in made] == [
        ("50", 1_200_000_000, 2, ["x"]),
        ("51", 1_200_000_010, 2, ["x"]),
        ("52", 1_200_000_020, 2, ["x"]),
    ]
    assert world.owners[ALICE.nsid] is ALICE


# -- flickr.people.getPhotosOf --


def test_photos_of_shape_pages_and_visibility(
    http: requests.Session, flickr_standin: Standin
) -> None:
    """The photos a person is tagged in, any owner's, public and safe only, newest upload
    first; `has_next_page` (a string on even pages, a number on odd ones) and no `pages` or
    `total`, as Flickr answers about anyone but the caller; `owner_id` keeps one owner's."""
    world = make_world()
    for photo_id in ("1000", "1001", "1002", "2000", "2003", "2004", "2006", "3000"):
        world.photos[photo_id].people = [CAROL.nsid]
    standin = flickr_standin(world)
    method = "flickr.people.getPhotosOf"
    first = ok(http, standin, method, user_id=CAROL.nsid, per_page=3, extras="license")["photos"]
    assert set(first) == {"page", "perpage", "has_next_page", "photo"}
    assert (first["page"], first["perpage"], first["has_next_page"]) == (1, 3, 1)
    second = ok(http, standin, method, user_id=CAROL.nsid, per_page=3, page=2)["photos"]
    assert second["has_next_page"] == "0"
    listed = [p["id"] for p in first["photo"] + second["photo"]]
    # 2003 restricted, 2004 private, 2006 deleted: a key-only caller is shown none of them.
    assert listed == ["1002", "1001", "3000", "2000", "1000"]
    assert [p["license"] for p in first["photo"]] == ["4", "4", "0"]
    assert "license" not in second["photo"][0]  # only the extras asked for
    only_bob = ok(http, standin, method, user_id=CAROL.nsid, owner_id=BOB.nsid)["photos"]
    assert [p["id"] for p in only_bob["photo"]] == ["2000"]
    assert fail(http, standin, method, user_id="9@N09") == (1, "User not found.")
    assert fail(http, standin, method) == (1, "Required parameter missing")
    assert ok(http, standin, "flickr.photos.getInfo", photo_id="2000")["photo"]["people"] == {
        "haspeople": 1
    }
