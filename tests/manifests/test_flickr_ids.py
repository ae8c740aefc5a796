"""Photo ids and owners from ids, static URLs, page URLs and flic.kr links (flickr-api.md §7)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.manifests.flickr_ids import (
    FLICKR_BASE58_ALPHABET,
    FlickrRef,
    base58_decode,
    base58_encode,
    is_nsid,
    parse_flickr_ref,
    parse_owner,
)

REALDATA = Path(__file__).resolve().parents[2].parent / "shared" / "realdata"
BITCOIN_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
KINDS = {"id", "static", "page", "short", "profile", "other"}
ID_RE = re.compile(r"[1-9][0-9]{0,19}")

# flickr-api.md §7.3, re-verified there against Flickr's own short links.
BASE58_VECTORS = [
    (5169665786, "8SPTwJ"),
    (4425073240, "7K2E7d"),
    (3447346323, "6fCxXz"),
    (4325695128, "7Afjsu"),
    (2811466321, "5hruZg"),
    (53208249252, "2p4QbKN"),
]

# Hypothesis runs on slow CI boxes: no deadline, a bounded number of examples.
SETTINGS = settings(deadline=None, max_examples=200)


def _encode_with(alphabet: str, n: int) -> str:
    out = ""
    while n:
        n, r = divmod(n, 58)
        out = alphabet[r] + out
    return out


def _check_invariants(ref: FlickrRef) -> None:
    assert ref.kind in KINDS
    assert (ref.photo_id is None) == (ref.problem is not None)
    if ref.photo_id is not None:
        assert ID_RE.fullmatch(ref.photo_id)
    else:
        assert ref.problem  # a non-empty phrase for a human
    assert (ref.owner is None) == (ref.owner_kind is None)
    assert ref.owner_kind in (None, "nsid", "alias")
    if ref.owner_kind == "nsid":
        assert ref.owner is not None
        assert re.fullmatch(r"[0-9]+@N[0-9]{2}", ref.owner)


# --- base58 -----------------------------------------------------------------------------------


def test_alphabet_is_flickrs() -> None:
    assert FLICKR_BASE58_ALPHABET == "123456789abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
    assert len(set(FLICKR_BASE58_ALPHABET)) == 58
    assert not set("0OIl") & set(FLICKR_BASE58_ALPHABET)


@pytest.mark.parametrize(("number", "code"), BASE58_VECTORS)
def test_base58_vectors(number: int, code: str) -> None:
    assert base58_encode(number) == code
    assert base58_decode(code) == number


@pytest.mark.parametrize(("number", "code"), BASE58_VECTORS)
def test_bitcoin_alphabet_would_be_wrong(number: int, code: str) -> None:
    # Same characters, upper and lower case swapped: a decoder using Bitcoin's order is wrong.
    assert _encode_with(BITCOIN_ALPHABET, number) != code
    assert _encode_with(FLICKR_BASE58_ALPHABET, number) == code


@SETTINGS
@given(st.integers(min_value=1, max_value=2**128))
def test_base58_round_trip(n: int) -> None:
    code = base58_encode(n)
    assert set(code) <= set(FLICKR_BASE58_ALPHABET)
    assert not code.startswith("1")  # "1" is the zero digit: no leading zeros
    assert base58_decode(code) == n


@pytest.mark.parametrize("bad", [0, -1, -(10**12), True, False])
def test_base58_encode_rejects_non_positive(bad: int) -> None:
    with pytest.raises(ValueError):
        base58_encode(bad)


@pytest.mark.parametrize(
    "bad", ["", "0", "8SPTwO", "8SPTwI", "l8SPTw", "8SP Tw", "8SPTw-", "\uff41"]
)
def test_base58_decode_rejects_outside_alphabet(bad: str) -> None:
    with pytest.raises(ValueError):
        base58_decode(bad)


# --- NSIDs ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12345678@N01", True),
        ("12345678@n01", True),
        ("150386686@N03", True),
        ("1@N00", True),
        ("12345678@N1", False),
        ("12345678@N012", False),
        ("@N01", False),
        (" 12345678@N01", False),
        ("12345678@N01/", False),
        ("١٢٣@N01", False),  # Arabic-Indic digits are not NSID digits
        ("brokentaco", False),
        ("", False),
    ],
)
def test_is_nsid(text: str, expected: bool) -> None:
    assert is_nsid(text) is expected


# --- bare ids ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("7088065", "7088065"),
        (7088065, "7088065"),
        (7088065.0, "7088065"),
        ("7088065.0", "7088065"),  # an id column pandas turned into floats, written back out
        (" 7088065 ", "7088065"),
        ("\t7088065\n", "7088065"),
        ("\ufeff7088065", "7088065"),
        ('"7088065"', "7088065"),
        (b"7088065", "7088065"),
        (Decimal("7088065"), "7088065"),
        ("9" * 20, "9" * 20),
        (10**19, str(10**19)),
    ],
)
def test_bare_ids(value: object, expected: str) -> None:
    ref = parse_flickr_ref(value)
    assert ref == FlickrRef(expected, None, None, "id", None)


@pytest.mark.parametrize(
    "value",
    [
        0,
        -5,
        "0",
        "-5",
        True,
        False,
        1.5,
        "7088065.5",
        "1" * 21,
        10**20,
        2.0**60,  # too large for a float to hold the id it came from
        "5.16967E+09",  # a spreadsheet's rendering: digits lost
        "000000397133",  # a zero-padded COCO image id, not a Flickr photo id
        "٣٤٥",  # Unicode digits
        "123abc",
        float("inf"),
    ],
)
def test_rejected_numbers(value: object) -> None:
    ref = parse_flickr_ref(value)
    assert ref.photo_id is None
    assert ref.problem
    assert ref.kind in ("id", "other")
    _check_invariants(ref)


@pytest.mark.parametrize(
    "value",
    [None, "", "   ", float("nan"), "nan", "NaN", "None", "null", "\\N", "<NA>", "NA", "#N/A"],
)
def test_empty_values(value: object) -> None:
    assert parse_flickr_ref(value) == FlickrRef(None, None, None, "other", "empty value")


# --- URL forms, generated ---------------------------------------------------------------------

photo_ids = st.integers(min_value=1, max_value=10**13)
secrets = st.text(alphabet="0123456789abcdef", min_size=10, max_size=10)
servers = st.integers(min_value=1, max_value=65535)
farms = st.integers(min_value=1, max_value=99)
nsids = st.builds(
    lambda digits, n, sub: f"{digits}@{n}{sub:02d}",
    st.integers(min_value=1, max_value=10**11),
    st.sampled_from(["N", "n"]),
    st.integers(min_value=0, max_value=99),
)
aliases = st.from_regex(r"[A-Za-z0-9_-]{1,32}", fullmatch=True).filter(
    lambda a: not a.isdigit() and a.lower() not in {"tags", "upload", "organize", "friends", "me"}
)
users = st.one_of(nsids, aliases)
# Every documented size suffix, and none (flickr-api.md §7.1).
SIZE_SUFFIXES = ["", "_s", "_q", "_t", "_m", "_n", "_w", "_z", "_c", "_b", "_h", "_k", "_3k", "_4k"]
SIZE_SUFFIXES += ["_f", "_5k", "_6k", "_o"]
sizes = st.sampled_from(SIZE_SUFFIXES)
download = st.sampled_from(["", "_d"])
extensions = st.sampled_from(["jpg", "png", "gif", "JPG"])
schemes = st.sampled_from(["http://", "https://", "", "//", "HTTPS://", "Http://"])
cases: st.SearchStrategy[Callable[[str], str]] = st.sampled_from([str.lower, str.upper, str.title])
suffixes = st.sampled_from(["", "?zz=1", "#comments", "?a=b&c=d#x"])
spaces = st.sampled_from(["", " ", "\t", "\n", "  \r\n"])
PAGE_TAILS = ["", "/", "/in/photostream/", "/in/album-72157616009802468/", "/sizes/l/"]
PAGE_TAILS += [
    "/sizes/l/in/photostream/",
    "/lightbox/",
    "/in/pool-1234567@N20/",
    "/in/faves-12@N01",
]
page_tails = st.sampled_from(PAGE_TAILS)
page_hosts = st.sampled_from(["www.flickr.com", "flickr.com", "m.flickr.com", "secure.flickr.com"])


def _expected_owner(user: str) -> str:
    return user.upper() if is_nsid(user) else user


@st.composite
def static_urls(draw: st.DrawFn) -> tuple[str, int]:
    pid, secret, server, farm = draw(photo_ids), draw(secrets), draw(servers), draw(farms)
    name = f"{pid}_{secret}{draw(sizes)}{draw(download)}.{draw(extensions)}"
    host_path = draw(
        st.sampled_from(
            [
                f"farm{farm}.staticflickr.com/{server}/{name}",
                f"farm{farm}.static.flickr.com/{server}/{name}",
                f"live.staticflickr.com/{server}/{name}",
                f"c{draw(st.integers(1, 9))}.staticflickr.com/{farm}/{server}/{name}",
                f"static.flickr.com/{server}/{name}",
                f"photos{draw(st.integers(1, 99))}.flickr.com/{pid}_{secret}_b.jpg",
                f"live.staticflickr.com/video/{pid}/{secret}/1080p.mp4",
                f"live.staticflickr.com/video/{pid}/{secret}/700.mp4",
            ]
        )
    )
    host, _, path = host_path.partition("/")
    url = f"{draw(spaces)}{draw(schemes)}{draw(cases)(host)}/{path}{draw(suffixes)}{draw(spaces)}"
    return url, pid


@SETTINGS
@given(static_urls())
def test_static_urls_give_the_id_and_no_owner(case: tuple[str, int]) -> None:
    url, pid = case
    ref = parse_flickr_ref(url)
    assert ref == FlickrRef(str(pid), None, None, "static", None), url


@st.composite
def page_urls(draw: st.DrawFn) -> tuple[str, int, str]:
    pid, user = draw(photo_ids), draw(users)
    host = draw(cases)(draw(page_hosts))
    segment = draw(st.sampled_from(["photos", "photo", "Photos"]))
    url = f"{draw(schemes)}{host}/{segment}/{user}/{pid}{draw(page_tails)}{draw(suffixes)}"
    return f"{draw(spaces)}{url}{draw(spaces)}", pid, user


@SETTINGS
@given(page_urls())
def test_page_urls_give_the_id_and_owner(case: tuple[str, int, str]) -> None:
    url, pid, user = case
    ref = parse_flickr_ref(url)
    kind = "nsid" if is_nsid(user) else "alias"
    assert ref == FlickrRef(str(pid), _expected_owner(user), kind, "page", None), url
    assert parse_owner(url) == (_expected_owner(user), kind)


@st.composite
def gne_urls(draw: st.DrawFn) -> tuple[str, int]:
    pid = draw(photo_ids)
    host = draw(cases)(draw(page_hosts))
    extra = draw(st.sampled_from(["", "&size=l", "&context=set-72157"]))
    page = draw(
        st.sampled_from(
            [
                f"photo.gne?id={pid}",
                f"photo_zoom.gne?id={pid}",
                f"photo_exif.gne?id={pid}",
                f"photo.gne?short={base58_encode(pid)}",
            ]
        )
    )
    return f"{draw(spaces)}{draw(schemes)}{host}/{page}{extra}", pid


@SETTINGS
@given(gne_urls())
def test_gne_urls_give_the_id(case: tuple[str, int]) -> None:
    url, pid = case
    assert parse_flickr_ref(url) == FlickrRef(str(pid), None, None, "page", None), url


@SETTINGS
@given(photo_ids, schemes, st.sampled_from(["flic.kr", "www.flic.kr", "FLIC.KR"]), suffixes)
def test_short_urls_give_the_id(pid: int, scheme: str, host: str, suffix: str) -> None:
    for tail in ("", "/"):
        url = f"{scheme}{host}/p/{base58_encode(pid)}{tail}{suffix}"
        assert parse_flickr_ref(url) == FlickrRef(str(pid), None, None, "short", None), url


@SETTINGS
@given(users, schemes, st.sampled_from(["people", "photos"]), st.sampled_from(["", "/"]))
def test_profile_urls_give_the_owner(user: str, scheme: str, section: str, tail: str) -> None:
    url = f"{scheme}www.flickr.com/{section}/{user}{tail}"
    kind = "nsid" if is_nsid(user) else "alias"
    ref = parse_flickr_ref(url)
    assert (ref.photo_id, ref.owner, ref.owner_kind, ref.kind) == (
        None,
        _expected_owner(user),
        kind,
        "profile",
    )
    assert ref.problem
    assert parse_owner(url) == (_expected_owner(user), kind)


@SETTINGS
@given(
    st.one_of(
        st.text(),
        st.text(alphabet="/:?#.@%_-0123456789abcflickrstaticphotos "),
        st.integers(),
        st.floats(),
        st.binary(),
        st.none(),
        st.booleans(),
        st.builds(lambda s: "https://www.flickr.com/" + s, st.text()),
        st.builds(lambda s: "flic.kr/p/" + s, st.text()),
        st.builds(lambda s: "live.staticflickr.com/" + s, st.text()),
    )
)
def test_parse_never_raises(value: object) -> None:
    _check_invariants(parse_flickr_ref(value))
    owner, kind = parse_owner(value)
    assert (owner is None) == (kind is None)


def test_unhashable_and_odd_values_do_not_raise() -> None:
    class Broken:
        def __str__(self) -> str:
            raise RuntimeError("no text")

    for value in ([1], {"a": 1}, Broken(), object()):
        _check_invariants(parse_flickr_ref(value))
        assert parse_owner(value) == (None, None)


# --- no photo id ------------------------------------------------------------------------------

NO_ID_CASES = [
    # (value, kind, owner, phrase the problem must contain)
    ("http://images.cocodataset.org/val2017/000000397133.jpg", "other", None, "not a Flickr"),
    ("https://commons.wikimedia.org/w/index.php?curid=85383567", "other", None, "not a Flickr"),
    ("https://flickriver.com/photos/35614822@N08/", "other", None, "not a Flickr"),
    ("hello world", "other", None, "not a Flickr"),
    (
        "https://www.flickr.com/photos/brokentaco/albums/72157616009802468",
        "other",
        "brokentaco",
        "album",
    ),
    (
        "http://www.flickr.com/photos/35614822@N08/sets/72157616009802468/",
        "other",
        "35614822@N08",
        "album",
    ),
    ("https://www.flickr.com/photos/brokentaco/albums", "other", "brokentaco", "album"),
    (
        "https://www.flickr.com/photos/brokentaco/galleries/72157677773252346/",
        "other",
        "brokentaco",
        "gallery",
    ),
    ("https://www.flickr.com/photos/brokentaco/favorites/", "other", "brokentaco", "favorites"),
    (
        "https://www.flickr.com/photos/brokentaco/collections/72157",
        "other",
        "brokentaco",
        "collection",
    ),
    ("https://www.flickr.com/photos/brokentaco/tags/sunset/", "other", "brokentaco", "tag"),
    ("https://www.flickr.com/photos/tags/sunset", "other", None, "tag"),
    ("https://www.flickr.com/photos/upload/", "other", None, "not a photo"),
    ("https://www.flickr.com/photos/organize/", "other", None, "not a photo"),
    ("https://www.flickr.com/photos/friends/", "other", None, "not a photo"),
    ("https://www.flickr.com/photos/me/12345", "other", None, "not a photo"),
    ("https://www.flickr.com/photos/", "other", None, "not a photo"),
    ("https://www.flickr.com/", "other", None, "not a photo"),
    ("https://www.flickr.com/search/?text=sunset", "other", None, "not a photo"),
    ("https://www.flickr.com/groups/geologists/pool/", "other", None, "group"),
    ("https://www.flickr.com/groups/slovenia/", "other", None, "group"),
    ("https://www.flickr.com/gp/brokentaco/8h4T2P", "other", "brokentaco", "redirect"),
    ("https://www.flickr.com/gp/12345678@N01/8h4T2P", "other", "12345678@N01", "redirect"),
    ("https://www.flickr.com/photos/brokentaco/", "profile", "brokentaco", "not a photo"),
    ("https://www.flickr.com/photos/brokentaco", "profile", "brokentaco", "not a photo"),
    ("https://www.flickr.com/photos/brokentaco/page3", "profile", "brokentaco", "not a photo"),
    ("https://www.flickr.com/people/12345678@n01/", "profile", "12345678@N01", "not a photo"),
    (
        "http://www.flickr.com/photos/pi-production/popular-views/",
        "other",
        "pi-production",
        "not a photo",
    ),
    ("https://www.flickr.com/photos/brokentaco/12ab34", "page", "brokentaco", "not a number"),
    ("https://www.flickr.com/photos/brokentaco/0123", "page", "brokentaco", "leading zeros"),
    ("https://www.flickr.com/photos/brokentaco/" + "9" * 21, "page", "brokentaco", "too long"),
    ("https://www.flickr.com/photo.gne?id=abc", "page", None, "not a number"),
    ("https://www.flickr.com/photo.gne", "page", None, "without a photo id"),
    ("https://flic.kr/p/0OIl", "short", None, "not base58"),
    ("https://flic.kr/p/", "short", None, "not base58"),
    ("https://flic.kr/p/" + "Z" * 13, "short", None, "not base58"),
    ("https://flic.kr/s/aHsjKNGXvR", "other", None, "redirect"),
    ("https://flic.kr/y/2kV2uyP", "other", None, "redirect"),
    ("https://flic.kr/ps/3xD3fN", "other", None, "redirect"),
    ("https://flic.kr/", "other", None, "flic.kr"),
    (
        "https://farm1.staticflickr.com/1/buddyicons/12345678@N01.jpg",
        "static",
        "12345678@N01",
        "buddy icon",
    ),
    (
        "https://farm1.staticflickr.com/1/buddyicons/12345678@N01_r.jpg?1",
        "static",
        "12345678@N01",
        "buddy icon",
    ),
    ("https://www.flickr.com/images/buddyicon.gif", "static", None, "buddy icon"),
    ("https://live.staticflickr.com/65535/", "static", None, "not a photo"),
    (
        "https://combo.staticflickr.com/pw/images/favicons/favicon-32.png",
        "static",
        None,
        "not a photo",
    ),
    ("https://live.staticflickr.com/65535/abc_123_b.jpg", "static", None, "photo id"),
]


@pytest.mark.parametrize(("value", "kind", "owner", "phrase"), NO_ID_CASES)
def test_no_photo_id(value: str, kind: str, owner: str | None, phrase: str) -> None:
    for variant in (value, value.removeprefix("https://").removeprefix("http://"), f"  {value} "):
        ref = parse_flickr_ref(variant)
        assert ref.photo_id is None, variant
        assert ref.kind == kind, variant
        assert ref.owner == owner, variant
        assert ref.problem is not None
        assert phrase in ref.problem, (variant, ref.problem)
        _check_invariants(ref)


# --- real values, copied verbatim from ../shared/realdata -------------------------------------

REAL_CASES = [
    # COCO captions_val2017.json flickr_url
    (
        "http://farm7.staticflickr.com/6116/6255196340_da26cf2c9e_z.jpg",
        "6255196340",
        None,
        "static",
    ),
    # Open Images V6 rows: Thumbnail300KURL with ?zz=1, OriginalURL, OriginalLandingURL
    (
        "https://c3.staticflickr.com/1/67/197493648_628a7cb2ee_z.jpg?zz=1",
        "197493648",
        None,
        "static",
    ),
    (
        "https://c1.staticflickr.com/5/4129/5215831864_46f356962f_o.jpg",
        "5215831864",
        None,
        "static",
    ),
    ("https://www.flickr.com/photos/michael-beat/5898076654", "5898076654", "michael-beat", "page"),
    # Openverse foreign_landing_url without a scheme
    ("www.flickr.com/photos/150386686@N03/42848471642", "42848471642", "150386686@N03", "page"),
    ("https://www.flickr.com/photos/johnvainer/46517590221/", "46517590221", "johnvainer", "page"),
    # Openverse catalog TSV url
    (
        "https://live.staticflickr.com/65535/47030104294_f9110a178e_b.jpg",
        "47030104294",
        None,
        "static",
    ),
    # YFCC100M page and download URL columns
    ("http://www.flickr.com/photos/30302697@N00/7088065/", "7088065", "30302697@N00", "page"),
    ("http://farm1.staticflickr.com/8/7088065_65c9d45e09.jpg", "7088065", None, "static"),
    # FFHQ-style photo_url
    (
        "https://www.flickr.com/photos/155350915@N05/43002483801",
        "43002483801",
        "155350915@N05",
        "page",
    ),
    # Flickr Foundation fixture (a description links a photo's sizes page)
    (
        "http://www.flickr.com/photos/davidgn/5894111739/sizes/l/in/photostream/",
        "5894111739",
        "davidgn",
        "page",
    ),
]


@pytest.mark.parametrize(("value", "photo_id", "owner", "kind"), REAL_CASES)
def test_real_values(value: str, photo_id: str, owner: str | None, kind: str) -> None:
    ref = parse_flickr_ref(value)
    assert (ref.photo_id, ref.owner, ref.kind, ref.problem) == (photo_id, owner, kind, None)
    if owner is not None:
        assert ref.owner_kind == ("nsid" if is_nsid(owner) else "alias")


# --- owners -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("30302697@N00", ("30302697@N00", "nsid")),
        ("30302697@n00", ("30302697@N00", "nsid")),
        (" 30302697@N00\t", ("30302697@N00", "nsid")),
        ("https://www.flickr.com/people/michael-beat/", ("michael-beat", "alias")),
        ("https://www.flickr.com/people/brokentaco/", ("brokentaco", "alias")),
        ("www.flickr.com/photos/150386686@N03", ("150386686@N03", "nsid")),
        ("https://www.flickr.com/photos/66133432@N05", ("66133432@N05", "nsid")),
        ("https://www.flickr.com/photos/visbeek/", ("visbeek", "alias")),
        ("flickr.com/photos/12705482@N07/46456745231/", ("12705482@N07", "nsid")),
        ("https://www.flickr.com/photos/12345678%40N01/", ("12345678@N01", "nsid")),
        (
            "http://www.flickr.com/photos/35614822@N08/sets/72157616009802468/",
            ("35614822@N08", "nsid"),
        ),
        ("https://farm1.staticflickr.com/1/buddyicons/12345678@N01.jpg", ("12345678@N01", "nsid")),
        ("michael-beat", ("michael-beat", "alias")),
        ("hd0981002948", ("hd0981002948", "alias")),
        ("Some_User-01", ("Some_User-01", "alias")),
        ("12345678", (None, None)),  # all digits: not an alias
        ("\\N", (None, None)),
        ("nan", (None, None)),
        ("None", (None, None)),
        ("", (None, None)),
        ("   ", (None, None)),
        ("Michael Beat", (None, None)),
        ("a" * 65, (None, None)),
        ("https://www.flickr.com/photos/tags/sunset", (None, None)),
        ("https://live.staticflickr.com/65535/47030104294_f9110a178e_b.jpg", (None, None)),
        ("https://flic.kr/p/8SPTwJ", (None, None)),
        ("https://commons.wikimedia.org/wiki/User:Dirillo", (None, None)),
        (None, (None, None)),
        (float("nan"), (None, None)),
        (12345678, (None, None)),
    ],
)
def test_parse_owner(value: object, expected: tuple[str | None, str | None]) -> None:
    assert parse_owner(value) == expected


def test_results_are_frozen() -> None:
    ref = parse_flickr_ref("7088065")
    with pytest.raises(AttributeError):
        ref.photo_id = "1"  # type: ignore[misc]


# --- all of two real manifests ----------------------------------------------------------------


@pytest.mark.realdata
@pytest.mark.skipif(
    not REALDATA.is_dir(),
    reason="../shared/realdata is not beside this checkout (only the project's developers have it)",
)
def test_real_manifests() -> None:
    coco = json.loads((REALDATA / "coco_mini_2017" / "captions_val2017.json").read_text("utf-8"))
    images = coco["images"]
    assert len(images) == 79
    for image in images:
        url = image["flickr_url"]
        ref = parse_flickr_ref(url)
        assert ref.kind == "static", url
        # The id part of the static URL's file name (COCO's own file_name is its image id).
        assert ref.photo_id == url.rsplit("/", 1)[1].split("_", 1)[0], url

    records = json.loads(
        (REALDATA / "fsxl_ffhq_style" / "fsxl-metadata.released-subset.json").read_text("utf-8")
    )
    assert len(records) == 1208
    owners = set()
    for record in records:
        ref = parse_flickr_ref(record["photo_url"])
        assert ref.kind == "page", record["photo_url"]
        assert ref.photo_id == Path(record["image_name"]).stem, record["photo_url"]
        assert ref.owner_kind == "nsid", record["photo_url"]
        owners.add(ref.owner)
    assert len(owners) == 301
