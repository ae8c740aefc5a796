"""Parsing recorded Flickr answers (payloads/README.md says where each comes from): mixed
string/int numbers, null/""/string path aliases, listings' renamed extras, licence tables and
histories; malformed-but-JSON bodies fail with a clear FlickrError."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.flickr import parse
from auditor.flickr.errors import FlickrError, UnexpectedResponse
from auditor.flickr.parse import FlickrLicence, LicenceChange, Owner, UserMatch
from auditor.licences import load_catalogue

PAYLOADS = Path(__file__).parent / "payloads"


def load(name: str) -> Any:
    return json.loads((PAYLOADS / name).read_text(encoding="utf-8"))


def test_every_payload_has_its_provenance() -> None:
    readme = (PAYLOADS / "README.md").read_text(encoding="utf-8")
    for path in PAYLOADS.glob("*.json"):
        assert f"`{path.name}`" in readme, path.name


# -- photos.getInfo ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "photo_id", "owner", "licence_id", "uploaded", "updated", "title"),
    [
        (
            "getinfo_2017_license_string.json",
            "3364783370",
            Owner("36544748@N08", "BEES", "beesoficial"),
            0,  # "license":"0"
            1237348574,
            1237416538,
            "Óia nóis",
        ),
        (
            "getinfo_2013_joi.json",
            "8436466166",
            Owner("35034362831@N01", "Joi", "joi"),
            4,  # "license": "4"
            1359523092,
            1417600331,
            "Skies over Boston",
        ),
        (
            "getinfo_2019_path_alias_null.json",
            "24379963431",
            Owner("139259445@N07", "kenichi.fukuma", None),  # "path_alias":null
            0,
            1453135407,
            1454217191,
            "P1650469.jpg",
        ),
        (
            "getinfo_2019_license_int_path_alias_empty.json",
            "49262093617",
            Owner("186116107@N07", "ravinderemail0001", None),  # "path_alias": ""
            0,  # "license": 0
            1577068449,
            1577068574,
            "Old building",
        ),
    ],
)
def test_photo_info_from_real_captures(
    name: str,
    photo_id: str,
    owner: Owner,
    licence_id: int,
    uploaded: int,
    updated: int,
    title: str,
) -> None:
    body = load(name)
    status = parse.photo_info(body)
    assert status.photo_id == photo_id
    assert status.owner == owner
    assert status.licence_id == licence_id and isinstance(status.licence_id, int)
    assert status.public is True
    assert status.uploaded_at == uploaded
    assert status.last_update == updated
    assert status.title == title
    assert status.method == "flickr.photos.getInfo"
    assert status.raw == body["photo"]  # the photo object as answered, without the envelope


def test_photo_info_tags_are_flickrs_normalised_forms() -> None:
    status = parse.photo_info(load("getinfo_2019_path_alias_null.json"))
    # The third tag was typed "Flower/Green"; Flickr's normalised form is what rules match.
    assert status.tags == ("風景・スナップ", "主なキーワード", "flowergreen")
    assert parse.photo_info(load("getinfo_2019_license_int_path_alias_empty.json")).tags[:3] == (
        "plants",
        "building",
        "buildings",
    )
    assert parse.photo_info(load("getinfo_2013_joi.json")).tags == ()


def test_photo_info_is_hashable_and_compares_without_raw() -> None:
    body = load("getinfo_2013_joi.json")
    first = parse.photo_info(body)
    body["photo"]["views"] = "99999"  # evidence differs, the status does not
    second = parse.photo_info(body)
    assert first == second and hash(first) == hash(second)
    assert "raw" not in repr(first)


def test_photo_info_private_visibility_and_missing_optional_fields() -> None:
    body = load("getinfo_2013_joi.json")
    body["photo"]["visibility"]["ispublic"] = "0"
    for key in ("license", "dates", "tags", "title"):
        del body["photo"][key]
    status = parse.photo_info(body)
    assert status.public is False
    assert status.licence_id is None
    assert status.uploaded_at == 1359523092  # from "dateuploaded" when "dates" is missing
    assert status.last_update is None
    assert status.tags == ()
    assert status.title is None


@pytest.mark.parametrize("licence", [2**63, -(2**63) - 1, "1" + "0" * 30])
def test_numbers_no_integer_column_holds_are_unexpected(licence: object) -> None:
    body = load("getinfo_2013_joi.json")
    body["photo"]["license"] = licence
    with pytest.raises(UnexpectedResponse, match="out of range"):
        parse.photo_info(body)


def test_the_largest_int64_still_parses() -> None:
    body = load("getinfo_2013_joi.json")
    body["photo"]["license"] = 2**63 - 1
    assert parse.photo_info(body).licence_id == 2**63 - 1


# -- listings -----------------------------------------------------------------------------


def test_search_listing_with_extras() -> None:
    page = parse.photo_page(load("search_2013_extras.json"), "flickr.photos.search")
    assert (page.page, page.pages, page.per_page, page.total) == (1, 1, 19, 3)  # total "3"
    first = page.photos[0]
    assert first.photo_id == "9990655265"
    assert first.owner == Owner("89165847@N00", "mikecogh", None)
    assert first.licence_id == 5
    assert first.uploaded_at == 1380418058
    assert first.title == "Dressed as Media"  # a plain string in listings
    assert first.method == "flickr.photos.search"
    assert first.public is True
    assert [p.licence_id for p in page.photos] == [5, 5, 3]


@pytest.mark.parametrize("value", [None, "", 2, "-1", True, "yes"])
def test_a_visibility_flag_that_is_neither_0_nor_1_is_unexpected(value: object) -> None:
    info = load("getinfo_2013_joi.json")
    info["photo"]["visibility"]["ispublic"] = value
    with pytest.raises(UnexpectedResponse, match="not 0 or 1"):
        parse.photo_info(info)
    page = load("search_2013_extras.json")
    page["photos"]["photo"][0]["ispublic"] = value
    with pytest.raises(UnexpectedResponse, match="not 0 or 1"):
        parse.photo_page(page, "flickr.photos.search")


def test_a_photo_listed_twice() -> None:
    page = load("search_2013_extras.json")
    entries = page["photos"]["photo"]
    entries.append(dict(entries[0]))  # the same answer twice: listed once
    assert len(parse.photo_page(page, "flickr.photos.search").photos) == 3
    entries[-1]["ispublic"] = 0  # two answers for one photo: neither is believed
    with pytest.raises(UnexpectedResponse, match="listed twice"):
        parse.photo_page(page, "flickr.photos.search")


def test_public_photos_listing_renamed_extras() -> None:
    page = parse.photo_page(load("public_photos_2024.json"), "flickr.people.getPublicPhotos")
    assert (page.page, page.pages, page.per_page, page.total) == (1, 1, 10, 7)  # all strings
    assert len(page.photos) == 7
    askew = next(p for p in page.photos if p.photo_id == "53586083948")
    assert askew.owner == Owner("200049760@N08", "CommonsTestAccount", None)  # pathalias ""
    assert askew.tags == ("thomaseaskew", "libraryofcongress", "photographers")
    assert askew.licence_id == 7
    assert askew.uploaded_at == 1710360591
    assert askew.method == "flickr.people.getPublicPhotos"
    assert all(p.tags == () for p in page.photos if p.raw["tags"] == "")


def test_listing_with_every_requested_extra() -> None:
    # Synthetic entry: the keys LISTING_EXTRAS returns, with ints where Flickr sometimes sends them.
    entry = {
        "id": "8436466166",
        "owner": "35034362831@N01",
        "title": "Skies over Boston",
        "ispublic": 1,
        "license": 4,
        "ownername": "Joi",
        "pathalias": "joi",
        "dateupload": 1359523092,
        "lastupdate": "1417600331",
        "tags": "boston  sky clouds",
    }
    body = {"photos": {"page": 2, "pages": 3, "perpage": 1, "total": 3, "photo": [entry]}}
    (status,) = parse.photo_page(body, "flickr.people.getPublicPhotos").photos
    assert status.owner == Owner("35034362831@N01", "Joi", "joi")
    assert status.licence_id == 4
    assert status.uploaded_at == 1359523092
    assert status.last_update == 1417600331
    assert status.tags == ("boston", "sky", "clouds")


def test_listing_without_extras() -> None:
    page = parse.photo_page(load("photos_fx_no_extras.json"), "flickr.people.getPublicPhotos")
    assert (page.pages, page.total) == (635, 1270)
    assert page.photos[0].licence_id is None
    assert page.photos[0].owner == Owner("35034362831@N01", None, None)


def test_empty_listing() -> None:
    page = parse.photo_page(load("search_2019_empty.json"), "flickr.photos.search")
    assert (page.page, page.pages, page.per_page, page.total, page.photos) == (1, 0, 100, 0, ())


# -- licences --------------------------------------------------------------------------------


def test_licence_table_2025_sorted_by_id() -> None:
    table = parse.licences(load("licenses_2025.json"))
    assert [licence.id for licence in table] == list(range(17))
    assert table[4] == FlickrLicence(4, "CC BY 2.0", "https://creativecommons.org/licenses/by/2.0/")
    catalogue = load_catalogue()
    assert all(catalogue.by_flickr_id(licence.id) is not None for licence in table)


def test_licence_table_2024_old_names_and_empty_url() -> None:
    table = {licence.id: licence for licence in parse.licences(load("licenses_2024.json"))}
    assert sorted(table) == list(range(11))
    assert table[0] == FlickrLicence(0, "All Rights Reserved", "")
    assert table[4].name == "Attribution License"


def test_licence_table_int_ids() -> None:
    body = {"licenses": {"license": [{"id": 0, "name": "All Rights Reserved", "url": ""}]}}
    assert parse.licences(body) == [FlickrLicence(0, "All Rights Reserved", "")]


def test_licence_history_never_changed_single_object() -> None:
    assert parse.licence_history(load("licence_history_never_changed.json")) == [
        LicenceChange(
            changed_at=1253741816,
            old_name="No known copyright restrictions",
            old_url="https://www.flickr.com/commons/usage/",
            new_name="",  # never changed
            new_url="",
        )
    ]


def test_licence_history_one_change() -> None:
    (change,) = parse.licence_history(load("licence_history_one_change.json"))
    assert change.changed_at == 1746098108
    assert (change.old_name, change.new_name) == (
        "Attribution License",
        "Attribution-ShareAlike License",
    )
    assert change.new_url == "https://creativecommons.org/licenses/by-sa/2.0/"


def test_licence_history_sorted_whatever_flickrs_order() -> None:
    body = load("licence_history_two_changes.json")
    expected = parse.licence_history(body)
    assert [c.changed_at for c in expected] == [1744598090, 1744905505]
    assert expected[0].new_name == expected[1].old_name == "Public Domain Mark"
    body["license_history"].reverse()
    assert parse.licence_history(body) == expected


def test_licence_history_int_date_and_missing_new_fields() -> None:
    body = {"license_history": [{"date_change": 5, "old_license": "All Rights Reserved"}]}
    assert parse.licence_history(body) == [LicenceChange(5, "All Rights Reserved", "", "", "")]
    assert parse.licence_history({"license_history": []}) == []


# -- users -----------------------------------------------------------------------------------


def test_lookup_user() -> None:
    assert parse.user_match(load("lookup_user_2025.json")) == UserMatch(
        "197130754@N07", "Flickr Foundation"
    )


def test_find_by_username() -> None:
    match = parse.user_match(load("find_by_username_joi.json"), "flickr.people.findByUsername")
    assert match == UserMatch("35034362831@N01", "Joi")
    assert parse.user_match({"user": {"id": "1@N01", "username": "plain"}}) == UserMatch(
        "1@N01", "plain"
    )
    assert parse.user_match({"user": {"nsid": "1@N01"}}) == UserMatch("1@N01", None)


# -- malformed bodies --------------------------------------------------------------------------

Parser = Callable[[Any], object]


def _page(body: Any) -> object:
    return parse.photo_page(body, "flickr.photos.search")


def _info_with(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = load("getinfo_2013_joi.json")
    for path, value in changes.items():
        target = body["photo"]
        *parents, key = path.split("__")
        for parent in parents:
            target = target[parent]
        if value is ...:
            del target[key]
        else:
            target[key] = value
    return body


MALFORMED: list[tuple[str, Parser, Any, str]] = [
    ("info: not an object", parse.photo_info, ["photo"], "not an object"),
    ("info: stat only", parse.photo_info, {"stat": "ok"}, "'photo'"),
    ("info: a fail body", parse.photo_info, load("fail_method_not_found.json"), "'photo'"),
    ("info: photo is a string", parse.photo_info, {"photo": "x"}, "photo is a string"),
    ("info: no owner", parse.photo_info, _info_with(owner=...), "photo.owner"),
    ("info: no nsid", parse.photo_info, _info_with(owner__nsid=...), "photo.owner.nsid"),
    ("info: no id", parse.photo_info, _info_with(id=...), "photo.id"),
    ("info: licence text", parse.photo_info, _info_with(license="CC BY"), "photo.license"),
    ("info: licence float", parse.photo_info, _info_with(license=4.5), "not a number"),
    ("info: licence bool", parse.photo_info, _info_with(license=True), "not a number"),
    ("info: posted list", parse.photo_info, _info_with(dates__posted=[1]), "photo.dates.posted"),
    ("info: tags text", parse.photo_info, _info_with(tags={"tag": "a b"}), "photo.tags.tag"),
    ("info: tag a list", parse.photo_info, _info_with(tags={"tag": [[1]]}), "photo.tags.tag[0]"),
    ("info: owner a list", parse.photo_info, _info_with(owner=[]), "photo.owner is a list"),
    ("info: dates text", parse.photo_info, _info_with(dates="2013"), "photo.dates"),
    ("page: no photos", _page, {"stat": "ok"}, "'photos'"),
    ("page: no total", _page, {"photos": {"page": 1, "pages": 1, "perpage": 1}}, "photos.total"),
    ("page: no per_page", _page, {"photos": {"page": 1, "pages": 1, "total": 0}}, "per_page"),
    (
        "page: photo not a list",
        _page,
        {"photos": {"page": 1, "pages": 1, "perpage": 1, "total": 1, "photo": "x"}},
        "photos.photo",
    ),
    (
        "page: entry without owner",
        _page,
        {"photos": {"page": 1, "pages": 1, "perpage": 1, "total": 1, "photo": [{"id": "1"}]}},
        "photos.photo[0].owner",
    ),
    (
        "page: entry a number",
        _page,
        {"photos": {"page": 1, "pages": 1, "perpage": 1, "total": 1, "photo": [7]}},
        "photos.photo[0]",
    ),
    ("history: missing", parse.licence_history, {"stat": "ok"}, "license_history"),
    ("history: text", parse.licence_history, {"license_history": "x"}, "not a list"),
    ("history: entry text", parse.licence_history, {"license_history": ["x"]}, "[0]"),
    (
        "history: no date",
        parse.licence_history,
        {"license_history": {"old_license": "All Rights Reserved"}},
        "date_change",
    ),
    (
        "history: no old licence",
        parse.licence_history,
        {"license_history": {"date_change": "1"}},
        "old_license",
    ),
    ("licences: missing", parse.licences, {"stat": "ok"}, "'licenses'"),
    ("licences: empty", parse.licences, {"licenses": {"license": []}}, "empty"),
    ("licences: no id", parse.licences, {"licenses": {"license": [{"name": "x"}]}}, "id"),
    ("licences: bad id", parse.licences, {"licenses": {"license": [{"id": "x"}]}}, "id"),
    ("user: missing", parse.user_match, {"stat": "ok"}, "'user'"),
    ("user: no id", parse.user_match, {"user": {"username": {"_content": "x"}}}, "user.id"),
    ("user: username list", parse.user_match, {"user": {"id": "1", "username": []}}, "username"),
]


@pytest.mark.parametrize(
    ("parser", "body", "message"),
    [case[1:] for case in MALFORMED],
    ids=[case[0] for case in MALFORMED],
)
def test_malformed_bodies_raise_a_clear_flickr_error(
    parser: Parser, body: Any, message: str
) -> None:
    with pytest.raises(UnexpectedResponse) as caught:
        parser(body)
    assert isinstance(caught.value, FlickrError)
    assert message in str(caught.value)
    assert str(caught.value).startswith("flickr.")  # names the method


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "photo",
                    "photos",
                    "owner",
                    "nsid",
                    "id",
                    "license",
                    "tags",
                    "tag",
                    "page",
                    "pages",
                    "perpage",
                    "total",
                    "license_history",
                    "date_change",
                    "old_license",
                    "licenses",
                    "name",
                    "user",
                    "username",
                    "_content",
                    "dates",
                    "posted",
                    "visibility",
                ]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(body=JSON)
def test_any_json_parses_or_raises_unexpected_response(body: Any) -> None:
    parsers: list[Parser] = [parse.photo_info, _page, parse.licence_history, parse.licences]
    for parser in [*parsers, parse.user_match]:
        with contextlib.suppress(UnexpectedResponse):
            parser(body)
