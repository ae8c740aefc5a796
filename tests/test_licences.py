"""Tests for the licence catalogue and the resolution of recorded licence values.

The expected facts are written out here (from the project's licence reference), not read from
`rules/licences.yaml`, so that a wrong catalogue entry makes a test fail.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.errors import AuditorError
from auditor.licences import UNKNOWN, Licence, LicenceCatalogue, load_catalogue

REALDATA = Path(__file__).resolve().parents[1].parent / "shared" / "realdata"
NO_REALDATA = (
    "../shared/realdata is not beside this checkout (only the project's developers have it)"
)

CC = "creativecommons.org/licenses"
PD = "creativecommons.org/publicdomain"
ARR_URL = (
    "https://www.flickrhelp.com/hc/en-us/articles/"
    "10710266545556-Using-Flickr-images-shared-by-other-members"
)

# id, slug, by, sa, nc, nd, kind, version, spdx, names, urls — from the licence reference.
Row = tuple[int, str, bool, bool, bool, bool, str, str | None, str | None, list[str], list[str]]
EXPECTED: list[Row] = [
    (0, "all-rights-reserved", False, False, False, False, "all-rights-reserved", None, None,
     ["All Rights Reserved"], [ARR_URL]),
    (1, "cc-by-nc-sa-2.0", True, True, True, False, "creative-commons", "2.0", "CC-BY-NC-SA-2.0",
     ["Attribution-NonCommercial-ShareAlike License", "CC BY-NC-SA 2.0"],
     [f"https://{CC}/by-nc-sa/2.0/"]),
    (2, "cc-by-nc-2.0", True, False, True, False, "creative-commons", "2.0", "CC-BY-NC-2.0",
     ["Attribution-NonCommercial License", "CC BY-NC 2.0"], [f"https://{CC}/by-nc/2.0/"]),
    (3, "cc-by-nc-nd-2.0", True, False, True, True, "creative-commons", "2.0", "CC-BY-NC-ND-2.0",
     ["Attribution-NonCommercial-NoDerivs License", "CC BY-NC-ND 2.0"],
     [f"https://{CC}/by-nc-nd/2.0/"]),
    (4, "cc-by-2.0", True, False, False, False, "creative-commons", "2.0", "CC-BY-2.0",
     ["Attribution License", "CC BY 2.0"], [f"https://{CC}/by/2.0/"]),
    (5, "cc-by-sa-2.0", True, True, False, False, "creative-commons", "2.0", "CC-BY-SA-2.0",
     ["Attribution-ShareAlike License", "CC BY-SA 2.0"], [f"https://{CC}/by-sa/2.0/"]),
    (6, "cc-by-nd-2.0", True, False, False, True, "creative-commons", "2.0", "CC-BY-ND-2.0",
     ["Attribution-NoDerivs License", "CC BY-ND 2.0"], [f"https://{CC}/by-nd/2.0/"]),
    (7, "nkcr", False, False, False, False, "public-domain", None, None,
     ["No known copyright restrictions"],
     ["http://flickr.com/commons/usage/", "https://www.flickr.com/commons/usage/"]),
    (8, "usgov", False, False, False, False, "public-domain", None, None,
     ["United States Government Work"],
     ["http://www.usa.gov/copyright.shtml", "https://www.usa.gov/government-copyright"]),
    (9, "cc0-1.0", False, False, False, False, "public-domain", "1.0", "CC0-1.0",
     ["Public Domain Dedication (CC0)"], [f"https://{PD}/zero/1.0/"]),
    # SPDX added the Public Domain Mark as CC-PDM-1.0 in 2024 (spdx/license-list-XML PR #2571).
    (10, "pdm-1.0", False, False, False, False, "public-domain", "1.0", "CC-PDM-1.0",
     ["Public Domain Mark"], [f"https://{PD}/mark/1.0/"]),
    (11, "cc-by-4.0", True, False, False, False, "creative-commons", "4.0", "CC-BY-4.0",
     ["CC BY 4.0"], [f"https://{CC}/by/4.0/"]),
    (12, "cc-by-sa-4.0", True, True, False, False, "creative-commons", "4.0", "CC-BY-SA-4.0",
     ["CC BY-SA 4.0"], [f"https://{CC}/by-sa/4.0/"]),
    (13, "cc-by-nd-4.0", True, False, False, True, "creative-commons", "4.0", "CC-BY-ND-4.0",
     ["CC BY-ND 4.0"], [f"https://{CC}/by-nd/4.0/"]),
    (14, "cc-by-nc-4.0", True, False, True, False, "creative-commons", "4.0", "CC-BY-NC-4.0",
     ["CC BY-NC 4.0"], [f"https://{CC}/by-nc/4.0/"]),
    (15, "cc-by-nc-sa-4.0", True, True, True, False, "creative-commons", "4.0", "CC-BY-NC-SA-4.0",
     ["CC BY-NC-SA 4.0"], [f"https://{CC}/by-nc-sa/4.0/"]),
    (16, "cc-by-nc-nd-4.0", True, False, True, True, "creative-commons", "4.0", "CC-BY-NC-ND-4.0",
     ["CC BY-NC-ND 4.0"], [f"https://{CC}/by-nc-nd/4.0/"]),
]  # fmt: skip

SLUGS = [row[1] for row in EXPECTED]
NAME_CASES = [(name, row[1]) for row in EXPECTED for name in row[9]]
URL_CASES = [(url, row[1]) for row in EXPECTED for url in row[10]]


@pytest.fixture(scope="module")
def cat() -> LicenceCatalogue:
    return load_catalogue()


def url_variants(url: str) -> Iterator[str]:
    """http and https, with and without `www.` and the trailing slash, plus CC page tails."""
    bare = url.split("://", 1)[1].removeprefix("www.").rstrip("/")
    for scheme in ("http://", "https://"):
        for www in ("", "www."):
            for slash in ("", "/"):
                yield f"{scheme}{www}{bare}{slash}"
    if bare.startswith("creativecommons.org/"):
        yield f"https://{bare}/legalcode"
        yield f"http://{bare}/legalcode/"
        yield f"https://{bare}/deed.en"
        yield f"https://{bare}/deed.zh_TW"
    yield f"{bare}/"  # no scheme at all, as some exports write URLs
    yield f"{url}?ref=x#top"
    yield f"  {url.upper()}  "


# -- the catalogue itself --------------------------------------------------------------------


def test_catalogue_has_flickr_ids_0_to_16_in_order(cat: LicenceCatalogue) -> None:
    assert [lic.flickr_id for lic in cat.licences] == list(range(17))
    assert [lic.slug for lic in cat.licences] == SLUGS


@pytest.mark.parametrize("row", EXPECTED, ids=SLUGS)
def test_catalogue_entry_matches_reference(cat: LicenceCatalogue, row: tuple[Any, ...]) -> None:
    flickr_id, slug, by, sa, nc, nd, kind, version, spdx = row[:9]
    lic = cat.get(slug)
    assert lic is not None
    assert (lic.flickr_id, lic.slug) == (flickr_id, slug)
    assert (lic.by, lic.sa, lic.nc, lic.nd) == (by, sa, nc, nd)
    assert lic.kind == kind
    assert lic.version == version
    assert lic.spdx == spdx
    assert lic.jurisdiction is None
    assert lic.url.startswith("https://")
    assert cat.resolve(lic.url) == slug
    assert cat.resolve(lic.name) == slug
    assert lic.description.endswith(".")
    assert "\n" not in lic.description


def test_flickr_current_names_are_the_catalogue_names(cat: LicenceCatalogue) -> None:
    # Flickr's names as returned by flickr.photos.licenses.getInfo on 2025-06-19.
    assert [lic.name for lic in cat.licences] == [
        "All Rights Reserved", "CC BY-NC-SA 2.0", "CC BY-NC 2.0", "CC BY-NC-ND 2.0", "CC BY 2.0",
        "CC BY-SA 2.0", "CC BY-ND 2.0", "No known copyright restrictions",
        "United States Government Work", "Public Domain Dedication (CC0)", "Public Domain Mark",
        "CC BY 4.0", "CC BY-SA 4.0", "CC BY-ND 4.0", "CC BY-NC 4.0", "CC BY-NC-SA 4.0",
        "CC BY-NC-ND 4.0",
    ]  # fmt: skip


def test_table_has_one_row_per_catalogue_licence(cat: LicenceCatalogue) -> None:
    table = cat.table()
    assert len(table) == 17
    assert list(table.columns) == [
        "id", "slug", "name", "by", "sa", "nc", "nd", "kind", "version", "spdx", "url",
    ]  # fmt: skip
    assert table["id"].tolist() == list(range(17))
    assert table["slug"].tolist() == SLUGS
    for row in EXPECTED:
        record = table.iloc[row[0]]
        assert [bool(record[flag]) for flag in ("by", "sa", "nc", "nd")] == list(row[2:6])
        assert record["kind"] == row[6]


def test_default_catalogue_is_loaded_once() -> None:
    assert load_catalogue() is load_catalogue()


def test_public_domain_kinds_carry_no_conditions(cat: LicenceCatalogue) -> None:
    for slug in ("nkcr", "usgov", "cc0-1.0", "pdm-1.0"):
        lic = cat.get(slug)
        assert lic is not None
        assert lic.kind == "public-domain"
        assert not (lic.by or lic.sa or lic.nc or lic.nd)


# -- resolution of every catalogue value ----------------------------------------------------


@pytest.mark.parametrize("row", EXPECTED, ids=SLUGS)
def test_resolves_by_flickr_id(cat: LicenceCatalogue, row: tuple[Any, ...]) -> None:
    flickr_id, slug = row[0], row[1]
    for value in (
        flickr_id,
        str(flickr_id),
        f" {flickr_id} ",
        float(flickr_id),
        np.int64(flickr_id),
    ):
        assert cat.resolve(value) == slug, value
    for value in (flickr_id, str(flickr_id), f" {flickr_id} "):
        found = cat.by_flickr_id(value)
        assert found is not None
        assert found.slug == slug


@pytest.mark.parametrize("slug", SLUGS)
def test_resolves_by_slug(cat: LicenceCatalogue, slug: str) -> None:
    assert cat.resolve(slug) == slug
    assert cat.resolve(f"  {slug.upper()} ") == slug


@pytest.mark.parametrize(("name", "slug"), NAME_CASES)
def test_resolves_by_name(cat: LicenceCatalogue, name: str, slug: str) -> None:
    assert cat.resolve(name) == slug
    assert cat.resolve(f"  {name.upper()}\t") == slug
    assert cat.resolve(name.lower().replace(" ", "  ")) == slug


@pytest.mark.parametrize(("url", "slug"), URL_CASES)
def test_resolves_by_url(cat: LicenceCatalogue, url: str, slug: str) -> None:
    for variant in url_variants(url):
        assert cat.resolve(variant) == slug, variant


def test_flickrhelp_article_in_any_locale_is_all_rights_reserved(cat: LicenceCatalogue) -> None:
    assert cat.resolve(ARR_URL.replace("en-us", "fr-fr")) == "all-rights-reserved"
    assert cat.resolve(ARR_URL.split("-Using")[0]) == "all-rights-reserved"


@pytest.mark.parametrize(
    ("value", "slug"),
    [
        ("CC-BY-2.0", "cc-by-2.0"),
        ("CC-BY-NC-SA-2.0", "cc-by-nc-sa-2.0"),
        ("CC-BY-NC-ND-4.0", "cc-by-nc-nd-4.0"),
        ("CC0-1.0", "cc0-1.0"),
        ("CC-PDM-1.0", "pdm-1.0"),
        ("CC-BY-3.0", "cc-by-3.0"),
        ("CC-BY-3.0-DE", "cc-by-3.0-de"),
        ("CC-BY-SA-2.0-UK", "cc-by-sa-2.0-uk"),
        ("CC-BY-NC-SA-3.0-IGO", "cc-by-nc-sa-3.0-igo"),
        # SPDX spells by-nd-nc/1.0 as CC-BY-NC-ND-1.0.
        ("CC-BY-NC-ND-1.0", "cc-by-nd-nc-1.0"),
        # CC-PDDC is the retired Public Domain Dedication and Certification, not the mark.
        ("CC-PDDC", UNKNOWN),
        ("CC-BY-4.0-DE", UNKNOWN),  # 4.0 has no ports
        ("CC-BY-ND-NC-2.0", UNKNOWN),
    ],
)
def test_resolves_spdx_ids(cat: LicenceCatalogue, value: str, slug: str) -> None:
    assert cat.resolve(value) == slug


# -- Openverse codes --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "version", "slug"),
    [
        ("by-nc-nd", "2", "cc-by-nc-nd-2.0"),
        ("by-nc-nd", "2.0", "cc-by-nc-nd-2.0"),
        ("by", "2.0", "cc-by-2.0"),
        ("by", 2, "cc-by-2.0"),
        ("by", 2.0, "cc-by-2.0"),
        ("BY-SA", " 2 ", "cc-by-sa-2.0"),
        ("by-nc-sa", "2", "cc-by-nc-sa-2.0"),
        ("by-nc", "2", "cc-by-nc-2.0"),
        ("by-nd", "2", "cc-by-nd-2.0"),
        ("by", "4", "cc-by-4.0"),
        ("by-nc-nd", "4", "cc-by-nc-nd-4.0"),
        ("by", "3", "cc-by-3.0"),
        ("by-nc-nd", "2.5", "cc-by-nc-nd-2.5"),
        ("by", 2.5, "cc-by-2.5"),
        ("cc0", "1.0", "cc0-1.0"),
        ("CC0", "1", "cc0-1.0"),
        ("cc0", None, "cc0-1.0"),
        ("pdm", "1.0", "pdm-1.0"),
        ("PDM", 1, "pdm-1.0"),
        ("pdm", "1", "pdm-1.0"),
        ("pdm", float("nan"), "pdm-1.0"),
        # A code with no version: the terms depend on the version, so never guessed.
        ("by-nc-nd", None, UNKNOWN),
        ("by", "", UNKNOWN),
        ("by", float("nan"), UNKNOWN),
        # cc0 and pdm only exist as 1.0 (Openverse's 500px rows say 3).
        ("pdm", "3", UNKNOWN),
        ("cc0", "3", UNKNOWN),
        ("by-nd-nc", "2", UNKNOWN),
        ("by", "5", UNKNOWN),
        ("by", "2.0.1", UNKNOWN),
        ("by", True, UNKNOWN),
        ("sampling+", "1.0", UNKNOWN),
        ("", "2", UNKNOWN),
        (None, "2", UNKNOWN),
        (4, "2", UNKNOWN),
    ],
)
def test_resolve_code(cat: LicenceCatalogue, code: object, version: object, slug: str) -> None:
    assert cat.resolve_code(code, version) == slug


@pytest.mark.parametrize(
    ("value", "slug"),
    [
        ("by-nc-nd 2.0", "cc-by-nc-nd-2.0"),
        ("by-nc-nd/2", "cc-by-nc-nd-2.0"),
        ("BY 4", "cc-by-4.0"),
        ("cc0", "cc0-1.0"),
        ("PDM", "pdm-1.0"),
        ("pdm 1", "pdm-1.0"),
        ("by-nc-nd", UNKNOWN),
    ],
)
def test_resolve_accepts_openverse_code_strings(
    cat: LicenceCatalogue, value: str, slug: str
) -> None:
    assert cat.resolve(value) == slug


# -- licences not on Flickr -----------------------------------------------------------------


def test_broken_openverse_url_is_unknown(cat: LicenceCatalogue) -> None:
    # 194 Openverse rows: by-nd-nc is not a 2.0 element string, and elements are never reordered.
    assert cat.resolve("https://creativecommons.org/licenses/by-nd-nc/2.0/jp/") == UNKNOWN
    assert cat.resolve("https://creativecommons.org/licenses/by-nd-nc/2.0/") == UNKNOWN
    assert cat.get("cc-by-nd-nc-2.0-jp") is None


@pytest.mark.parametrize(
    ("value", "slug", "flags", "version", "jurisdiction"),
    [
        (f"https://{CC}/by-nc/2.0/jp/", "cc-by-nc-2.0-jp", "BY NC", "2.0", "jp"),
        (f"http://{CC}/by-nc-nd/2.0/jp/deed.ja", "cc-by-nc-nd-2.0-jp", "BY NC ND", "2.0", "jp"),
        (f"https://{CC}/by/3.0/de/", "cc-by-3.0-de", "BY", "3.0", "de"),
        (f"https://{CC}/by-sa/3.0/de/legalcode", "cc-by-sa-3.0-de", "BY SA", "3.0", "de"),
        (f"https://{CC}/by/3.0/", "cc-by-3.0", "BY", "3.0", None),
        (f"https://{CC}/by-sa/3.0", "cc-by-sa-3.0", "BY SA", "3.0", None),
        (f"https://{CC}/by-nc-sa/2.5/", "cc-by-nc-sa-2.5", "BY NC SA", "2.5", None),
        (f"https://{CC}/by/2.5/scotland/", "cc-by-2.5-scotland", "BY", "2.5", "scotland"),
        (f"https://{CC}/by-sa/2.1/jp/", "cc-by-sa-2.1-jp", "BY SA", "2.1", "jp"),
        (f"https://{CC}/by-nd-nc/1.0/", "cc-by-nd-nc-1.0", "BY NC ND", "1.0", None),
        (f"https://{CC}/nc-sa/1.0/", "cc-nc-sa-1.0", "NC SA", "1.0", None),
        ("CC BY 3.0", "cc-by-3.0", "BY", "3.0", None),
        ("CC-BY-NC 3.0", "cc-by-nc-3.0", "BY NC", "3.0", None),
        ("CC BY-NC 2.0 (jp)", "cc-by-nc-2.0-jp", "BY NC", "2.0", "jp"),
        ("CC BY-SA 3.0 DE", "cc-by-sa-3.0-de", "BY SA", "3.0", "de"),
        ("CC BY-SA 3.0 Unported", "cc-by-sa-3.0", "BY SA", "3.0", None),
        ("Attribution-NonCommercial 3.0 Unported", "cc-by-nc-3.0", "BY NC", "3.0", None),
        ("cc-by-nc-2.0-jp", "cc-by-nc-2.0-jp", "BY NC", "2.0", "jp"),
    ],
)
def test_resolves_licences_flickr_never_offered(
    cat: LicenceCatalogue,
    value: str,
    slug: str,
    flags: str,
    version: str,
    jurisdiction: str | None,
) -> None:
    assert cat.resolve(value) == slug
    lic = cat.get(slug)
    assert lic is not None
    wanted = set(flags.split())
    assert (lic.by, lic.sa, lic.nc, lic.nd) == tuple(e in wanted for e in ("BY", "SA", "NC", "ND"))
    assert lic.kind == "creative-commons"
    assert lic.flickr_id is None
    assert (lic.version, lic.jurisdiction) == (version, jurisdiction)
    # A synthesised licence's own name and URL lead back to it.
    assert cat.resolve(lic.name) == slug
    assert cat.resolve(lic.url) == slug


def test_synthesised_licence_fields(cat: LicenceCatalogue) -> None:
    lic = cat.get("cc-by-nc-2.0-jp")
    assert lic is not None
    assert lic.description
    assert dataclasses.replace(lic, description="") == Licence(
        slug="cc-by-nc-2.0-jp",
        name="CC BY-NC 2.0 (jp)",
        url="https://creativecommons.org/licenses/by-nc/2.0/jp/",
        by=True,
        sa=False,
        nc=True,
        nd=False,
        kind="creative-commons",
        version="2.0",
        flickr_id=None,
        jurisdiction="jp",
        spdx=None,
    )
    unported = cat.get("cc-by-sa-3.0")
    assert unported is not None
    assert unported.spdx == "CC-BY-SA-3.0"
    assert unported.description


@pytest.mark.parametrize(
    "slug",
    [
        "cc-by-nd-nc-2.0",  # 1.0 spelling with a later version
        "cc-nc-2.0",  # no licence without BY after 1.0
        "cc-by-by-2.0",
        "cc-by-4.0-de",  # 4.0 has no ports
        "cc-by-5.0",
        "cc-by-2.0-",
        "cc-by-2.0-japan",
        "cc-2.0",
    ],
)
def test_get_rejects_malformed_slugs(cat: LicenceCatalogue, slug: str) -> None:
    assert cat.get(slug) is None
    assert cat.resolve(slug) == UNKNOWN


# -- junk -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        None,
        float("nan"),
        np.nan,
        pd.NA,
        pd.NaT,
        "",
        "   ",
        "\\N",
        "null",
        "NULL",
        "none",
        "None",
        "nan",
        "abc",
        -1,
        "-1",
        17,
        "17",
        4.5,
        float("inf"),
        True,
        False,
        np.bool_(True),
        "https://example.com/",
        "https://creativecommons.org/",
        "https://creativecommons.org/licenses/by/",
        "https://creativecommons.org/licenses/by/2.0/jp/extra/",
        "https://creativecommons.org/publicdomain/zero/2.0/",
        "https://creativecommons.org/licenses/publicdomain/",
        "https://flickr.com/photos/1234@N01/5678",
        "by-nc-nd",
        "CC BY",
        "Attribution",
        "Creative Commons",
        "9" * 5000,
        "x" * 10_000,
        [4],
        {"license": 4},
        object(),
    ],
)
def test_junk_is_unknown(cat: LicenceCatalogue, value: object) -> None:
    assert cat.resolve(value) == UNKNOWN


def test_empty_is_not_all_rights_reserved(cat: LicenceCatalogue) -> None:
    # An empty cell tells us nothing; only an explicit 0 or name means "all rights reserved".
    assert cat.resolve("") == UNKNOWN
    assert cat.resolve(0) == "all-rights-reserved"


def test_by_flickr_id_rejects_non_ids(cat: LicenceCatalogue) -> None:
    for value in (17, -1, "x", "", "4.5", True):
        assert cat.by_flickr_id(value) is None


LICENCE_PIECES = [
    "cc", "by", "nc", "nd", "sa", "-", "/", " ", "2", "2.0", "1.0", "4.0", "3.0", "2.5", "jp",
    "(jp)", "de", "https://", "http://", "www.", "creativecommons.org", "licenses", "publicdomain",
    "zero", "mark", "deed.en", "legalcode", "cc0", "pdm", "attribution", "international", "?", "#",
    ".", "\\N", "0", "16", "17",
]  # fmt: skip


@settings(database=None, max_examples=400, deadline=None)
@given(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(),
        st.binary(max_size=40),
        st.lists(st.sampled_from(LICENCE_PIECES), max_size=12).map("".join),
    )
)
def test_resolve_never_raises_and_returns_known_slugs(value: object) -> None:
    cat = load_catalogue()
    slug = cat.resolve(value)
    assert slug == UNKNOWN or cat.get(slug) is not None


@settings(database=None, max_examples=200, deadline=None)
@given(
    st.one_of(st.none(), st.text(max_size=12), st.sampled_from(["by", "by-nc", "cc0", "PDM"])),
    st.one_of(st.none(), st.integers(), st.floats(), st.text(max_size=6)),
)
def test_resolve_code_never_raises(code: object, version: object) -> None:
    cat = load_catalogue()
    slug = cat.resolve_code(code, version)
    assert slug == UNKNOWN or cat.get(slug) is not None


def test_resolve_works_on_a_column(cat: LicenceCatalogue) -> None:
    column = pd.Series(["4", None, "CC BY-NC 2.0", "http://flickr.com/commons/usage/"] * 1000)
    resolved = column.map(cat.resolve)
    assert resolved.value_counts().to_dict() == {
        "cc-by-2.0": 1000,
        UNKNOWN: 1000,
        "cc-by-nc-2.0": 1000,
        "nkcr": 1000,
    }


# -- loading other catalogues -------------------------------------------------------------------


MINIMAL = """\
licences:
  - id: 4
    slug: cc-by-2.0
    name: CC BY 2.0
    url: https://creativecommons.org/licenses/by/2.0/
    by: true
    sa: false
    nc: false
    nd: false
    kind: creative-commons
    version: "2.0"
    spdx: CC-BY-2.0
    description: Test.
    names: [Attribution License]
    urls: []
"""


def test_load_catalogue_from_a_path(tmp_path: Path) -> None:
    path = tmp_path / "licences.yaml"
    path.write_text(MINIMAL, encoding="utf-8")
    cat = load_catalogue(path)
    assert [lic.slug for lic in cat.licences] == ["cc-by-2.0"]
    assert cat.resolve("attribution license") == "cc-by-2.0"
    assert cat.resolve(4) == "cc-by-2.0"
    assert cat.resolve(1) == UNKNOWN


@pytest.mark.parametrize(
    "text",
    [
        "licences: [",  # not YAML
        "something: else\n",
        MINIMAL.replace("kind: creative-commons", "kind: free"),
        MINIMAL.replace("by: true", "by: maybe"),
        MINIMAL.replace('version: "2.0"', "version: 2.0"),
        MINIMAL.replace("    slug: cc-by-2.0\n", ""),
        MINIMAL + MINIMAL.split("licences:\n", 1)[1],  # the same id twice
        MINIMAL
        + MINIMAL.split("licences:\n", 1)[1]
        .replace("id: 4", "id: 5")
        .replace("slug: cc-by-2.0", "slug: other"),  # an alias claimed by two licences
    ],
)
def test_broken_catalogue_is_a_user_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "licences.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(AuditorError, match=re.escape(str(path))):
        load_catalogue(path)


def test_missing_catalogue_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(AuditorError, match="cannot read"):
        load_catalogue(tmp_path / "absent.yaml")


# -- real data ----------------------------------------------------------------------------------


def realdata(*parts: str) -> Path:
    path = REALDATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(NO_REALDATA)
    return path


@pytest.mark.realdata
def test_openverse_flickr_codes_all_resolve(cat: LicenceCatalogue) -> None:
    path = realdata("openverse_api_sample_images", "sample_images_to_clean.csv")
    with path.open(newline="", encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle) if row["provider"] == "flickr"]
    assert len(rows) == 1001
    pairs = {(row["license"], row["license_version"]) for row in rows}
    for code, version in pairs:
        assert cat.resolve_code(code, version) != UNKNOWN, (code, version)
    broken = 0
    for row in rows:
        url = json.loads(row["meta_data"]).get("license_url")
        if url is None:
            continue
        if "by-nd-nc" in url:
            broken += 1
            assert cat.resolve(url) == UNKNOWN
        else:
            assert cat.resolve(url) == cat.resolve_code(row["license"], row["license_version"])
    assert broken == 194


@pytest.mark.realdata
def test_fsxl_names_and_urls_resolve_and_agree(cat: LicenceCatalogue) -> None:
    path = realdata("fsxl_ffhq_style", "fsxl-metadata.released-subset.json")
    records = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(records, dict):
        records = list(records.values())
    for name in {record["license"] for record in records}:
        assert cat.resolve(name) != UNKNOWN, name
    for url in {record["license_url"] for record in records}:
        assert cat.resolve(url) != UNKNOWN, url
    for record in records:
        assert cat.resolve(record["license"]) == cat.resolve(record["license_url"]), record


@pytest.mark.realdata
def test_coco_licence_tables_agree_with_flickr_ids(cat: LicenceCatalogue) -> None:
    path = realdata("coco_mini_2017", "captions_val2017.json")
    table = json.loads(path.read_text(encoding="utf-8"))["licenses"]
    assert len(table) == 8
    for entry in table:
        slug = cat.resolve(entry["id"])
        assert slug != UNKNOWN
        assert cat.resolve(entry["name"]) == slug, entry
        assert cat.resolve(entry["url"]) == slug, entry


@pytest.mark.realdata
def test_catalogue_matches_flickrs_current_table(cat: LicenceCatalogue) -> None:
    path = realdata(
        "flickr_foundation_photos_api", "license_history", "flickr.photos.licenses.getInfo.xml"
    )
    entries = ET.parse(path).getroot().iter("license")
    seen = set()
    for entry in entries:
        lic = cat.by_flickr_id(entry.attrib["id"])
        assert lic is not None
        assert lic.name == entry.attrib["name"]
        assert lic.url == entry.attrib["url"]
        seen.add(lic.flickr_id)
    assert seen == set(range(17))


@pytest.mark.realdata
def test_yfcc_name_and_url_columns_agree(cat: LicenceCatalogue) -> None:
    path = realdata("yfcc100m_flickr_photo_test", "yfcc100m_lines.tsv")
    for line in path.read_text(encoding="utf-8").splitlines():
        columns = line.split("\t")
        name, url = columns[-8], columns[-7]
        assert url.startswith("http://creativecommons.org/"), columns
        slug = cat.resolve(name)
        assert slug != UNKNOWN
        assert cat.resolve(url) == slug


def test_nan_float_check_is_not_fooled_by_numpy(cat: LicenceCatalogue) -> None:
    assert cat.resolve(np.float64("nan")) == UNKNOWN
    assert cat.resolve(np.float32(4.0)) == "cc-by-2.0"
    assert cat.resolve(np.int32(10)) == "pdm-1.0"
