"""The vectorised normaliser agrees with the exact Python parsers, whichever path a value takes.

`auditor.manifests.normalise` recognises canonical ids, page URLs, static URLs and dates with
Arrow compute and sends everything else to `flickr_ids.parse_flickr_ref` / `dates.normalise_date`.
These tests feed both paths the same values (canonical ones, near misses and junk) and require
identical answers.
"""

from __future__ import annotations

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.manifests.dates import normalise_date
from auditor.manifests.flickr_ids import parse_flickr_ref
from auditor.manifests.image_names import parse_image_name
from auditor.manifests.normalise import (
    _combine_owners,
    _dates,
    _ids_and_owners,
    _NameRefs,
    _owner_candidates,
    _photo_ids,
    _Refs,
    text_column,
)

photo_ids = st.integers(1, 10**13).map(str)
nsids = st.builds(
    lambda n, s, case: f"{n}@{case}{s:02d}",
    st.integers(1, 10**11),
    st.integers(0, 99),
    st.sampled_from("Nn"),
)
aliases = st.from_regex(r"[A-Za-z0-9_-]{1,20}", fullmatch=True)
who = st.one_of(nsids, aliases, st.sampled_from(["tags", "me", "Upload", "12345", "a%40b"]))
schemes = st.sampled_from(["", "http://", "https://", "HTTPS://", "//"])
tails = st.sampled_from(["", "/", "/in/photostream/", "/sizes/l/", "?zz=1", "#c", "/lightbox/"])
hosts = st.sampled_from(
    [
        "farm1.staticflickr.com",
        "farm66.static.flickr.com",
        "live.staticflickr.com",
        "c1.staticflickr.com/5",
        "static.flickr.com",
        "photos1.flickr.com",
        "LIVE.staticflickr.com",
        "example.com",
    ]
)
page_urls = st.builds(
    lambda scheme, host, w, pid, tail: f"{scheme}{host}/photos/{w}/{pid}{tail}",
    schemes,
    st.sampled_from(["www.flickr.com", "flickr.com", "m.flickr.com", "WWW.FLICKR.COM"]),
    who,
    photo_ids,
    tails,
)
static_urls = st.builds(
    lambda scheme, host, server, pid, suffix, query: (
        f"{scheme}{host}/{server}/{pid}_{'9c41dc1666'}{suffix}{query}"
    ),
    schemes,
    hosts,
    st.integers(1, 65535),
    photo_ids,
    st.sampled_from(["_z.jpg", ".jpg", "_o_d.jpg", "_b.png", "_3k.jpg", ""]),
    st.sampled_from(["", "?zz=1", "#x"]),
)
odd_values = st.one_of(
    photo_ids,
    st.sampled_from(["0123", "7088065.0", " 7088065 ", "1e9", "x", "https://flic.kr/p/2i1si16"]),
    st.text(max_size=30),
)


def _vectorised(values: list[str | None]) -> list[tuple[str | None, str | None, str | None]]:
    refs = _Refs(text_column(values))
    return list(zip(refs.photo_id, refs.owner, refs.owner_kind, strict=True))


def _exact(values: list[str | None]) -> list[tuple[str | None, str | None, str | None]]:
    out = []
    for value in values:
        text = None if value is None else value.strip() or None
        if text is None or text == "\\N":
            out.append((None, None, None))
            continue
        ref = parse_flickr_ref(text)
        out.append((ref.photo_id, ref.owner, ref.owner_kind))
    return out


@settings(max_examples=150, deadline=None, database=None)
@given(st.lists(st.one_of(page_urls, static_urls, odd_values, st.none()), max_size=40))
def test_refs_fast_path_agrees_with_the_parser(values: list[str | None]) -> None:
    assert _vectorised(values) == _exact(values)


def test_canonical_forms_take_the_fast_path_and_agree() -> None:
    values = [
        "7088065",
        "http://www.flickr.com/photos/30302697@N00/7088065/",
        "https://www.flickr.com/photos/michael-beat/5898076654",
        "www.flickr.com/photos/24917258@n05/47030104294",
        "http://farm7.staticflickr.com/6116/6255196340_da26cf2c9e_z.jpg",
        "https://c1.staticflickr.com/5/4129/5215831864_46f356962f_o.jpg",
        "https://c3.staticflickr.com/1/67/197493648_628a7cb2ee_z.jpg?zz=1",
        "http://farm1.static.flickr.com/8/7088065_65c9d45e09.jpg",
        "https://live.staticflickr.com/65535/48311506821_9c41dc1666_b.jpg",
    ]
    refs = _Refs(text_column(values))
    assert all(problem is None for problem in refs.problem)
    assert _vectorised(values) == _exact(values)


@settings(max_examples=100, deadline=None, database=None)
@given(
    st.lists(
        st.one_of(
            st.integers(0, 2 * 10**10).map(str),
            st.dates().map(lambda d: d.isoformat()),
            st.sampled_from(["2017/09/01", "4501-01-01", "x", "2018-11-09 10:31:06+00", "\\N"]),
            st.none(),
        ),
        max_size=30,
    )
)
def test_dates_fast_path_agrees_with_the_parser(values: list[str | None]) -> None:
    iso, notes = _dates(text_column(values), "d")
    expected = [normalise_date(value) for value in values]
    assert iso.to_pylist() == [e[0] for e in expected]
    # None: no value has a note.
    shown = [None] * len(values) if notes is None else notes.to_pylist()
    assert shown == [f"d: {e[1]}" if e[1] else None for e in expected]


def test_text_column_blanks_and_non_strings() -> None:
    assert text_column([" a ", "", "\\N", None, 7, float("nan")]).to_pylist() == [
        "a",
        None,
        None,
        None,
        "7",
        None,
    ]
    assert text_column(pa.array(["x ", None])).to_pylist() == ["x", None]


def _general(text: dict[str, pa.Array]) -> list[tuple[object, ...]]:
    """(photo_id, owner, owner_kind, id note, owner note) per row, by the general path only."""
    refs = [_Refs(text[name]) for name in ("photo_ref", "url", "alt_url")]
    photo_id, id_note = _photo_ids(refs)
    owner, kind, owner_note = _combine_owners(
        [_owner_candidates(text["owner_ref"]), *[(r.owner, r.owner_kind) for r in refs]]
    )
    return list(zip(photo_id, owner, kind, id_note, owner_note, strict=True))


def _listed(values: pa.Array | None, n: int) -> list[object]:
    return [None] * n if values is None else values.to_pylist()


def _assert_fast_path_agrees(text: dict[str, pa.Array]) -> None:
    """`_ids_and_owners` (fast paths included) gives what the general path gives."""
    photo_id, owner, kind, id_note, owner_note = _ids_and_owners(text)
    n = len(text["photo_ref"])
    fast = list(
        zip(
            photo_id.to_pylist(),
            owner.to_pylist(),
            kind.to_pylist(),
            _listed(id_note, n),
            _listed(owner_note, n),
            strict=True,
        )
    )
    assert fast == _general(text)


@settings(max_examples=150, deadline=None, database=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(photo_ids, st.none(), st.sampled_from(["0", "12a", " 7 "])),
            st.one_of(nsids, aliases, st.none(), st.just("1" * 70 + "@N01")),
            st.sampled_from(["http://", "https://", "HTTP://", ""]),
            st.booleans(),  # the page URL names another photo
            st.sampled_from(["page", "none", "static", "other"]),  # the static URL column
        ),
        min_size=1,
        max_size=25,
    )
)
def test_canonical_rows_agree_with_the_general_path(
    rows: list[tuple[str | None, str | None, str, bool, str]],
) -> None:
    refs, owners, urls, alts = [], [], [], []
    for photo, owner, scheme, other, static in rows:
        refs.append(photo)
        owners.append(owner)
        named = f"{photo}1" if other else photo
        urls.append(f"{scheme}www.flickr.com/photos/{owner}/{named}/" if owner else None)
        alts.append(
            {
                "page": f"https://www.flickr.com/photos/{owner}/{photo}/",
                "none": None,
                "static": f"http://farm1.staticflickr.com/8/{photo}_65c9d45e09.jpg",
                "other": f"http://farm1.staticflickr.com/8/{named}9_65c9d45e09.jpg",
            }[static]
        )
    text = {
        "photo_ref": text_column(refs),
        "owner_ref": text_column(owners),
        "url": text_column(urls),
        "alt_url": text_column(alts),
    }
    _assert_fast_path_agrees(text)


_STATIC_URLS = {
    "static": "http://farm1.staticflickr.com/8/{photo}_65c9d45e09.jpg",
    "live": "https://live.staticflickr.com/65535/{photo}_abc_b.jpg",
    "other": "http://farm1.staticflickr.com/8/{photo}9_65c9d45e09.jpg",
    "page": "https://www.flickr.com/photos/{owner}/{photo}/",
    "shouting": "HTTP://FARM1.STATICFLICKR.COM/8/{photo}_x.jpg",
    "none": None,
}


@settings(max_examples=150, deadline=None, database=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.none(), photo_ids),  # mostly no id column value
            st.one_of(nsids, aliases, st.none(), st.just("1" * 70 + "@N01")),
            photo_ids,
            st.sampled_from(sorted(_STATIC_URLS)),  # the url column
            st.sampled_from(sorted(_STATIC_URLS)),  # the alt_url column
        ),
        min_size=1,
        max_size=25,
    )
)
def test_static_url_rows_agree_with_the_general_path(
    rows: list[tuple[str | None, str | None, str, str, str]],
) -> None:
    refs, owners, urls, alts = [], [], [], []
    for ref, owner, photo, url, alt in rows:
        refs.append(ref)
        owners.append(owner)
        for column, layout in ((urls, url), (alts, alt)):
            template = _STATIC_URLS[layout]
            column.append(None if template is None else template.format(photo=photo, owner=owner))
    text = {
        "photo_ref": text_column(refs),
        "owner_ref": text_column(owners),
        "url": text_column(urls),
        "alt_url": text_column(alts),
    }
    _assert_fast_path_agrees(text)


# Image names near Flickr's `{id}_{secret}.jpg`: folders, ids of every length (short ones are
# NUS-WIDE counters), leading zeros, secrets of the wrong length or case, suffixes, extensions.
image_names = st.builds(
    lambda folder, photo, secret, size, ext, caption: (
        f"{folder}{photo}_{secret}{size}.{ext}{caption}"
    ),
    st.sampled_from(["", "a/", "C:\\x\\", "flickr30k-images/", '"', "a b/"]),
    st.one_of(photo_ids, st.sampled_from(["0", "012345678", "12345", "0001", "1" * 21])),
    st.one_of(
        st.text("0123456789abcdef", min_size=10, max_size=10),
        st.sampled_from(["693B08CB0E", "693b08cb0", "693b08cb0e1", "2124494179", "174174086"]),
    ),
    st.sampled_from(["", "_b", "_3k", "_o_d", "_d", "_bb", "_1206_94006718@N00"]),
    st.sampled_from(["jpg", "JPG", "jpeg", "png", "txt", "jpg.gz"]),
    st.sampled_from(["", "#0", "#12", "#", "?x=1", '"']),
)


@settings(max_examples=300)
@given(st.lists(image_names, min_size=1, max_size=8), st.booleans())
def test_image_names_fast_path_agrees_with_the_parser(values: list[str], numeric: bool) -> None:
    refs = _NameRefs(text_column(values), numeric)
    for i, value in enumerate(values):
        expected = parse_image_name(value.strip(), numeric)
        assert (refs.photo_id[i], refs.owner[i]) == (expected.photo_id, expected.owner), value
