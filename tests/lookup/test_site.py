"""`build_lookup_site` and `flickr-audit publish-lookup`: the files, what they must not reveal,
the normalisation and hash recipe (shared vectors with the page's script), and CLI errors."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_run import run_cli
from lookup_case import (
    ANNA_ALIAS,
    ANNA_NAME,
    ANNA_NSID,
    BO_NAME,
    BO_NSID,
    HOSTILE_NAME,
    HOSTILE_TITLE,
    OTHER_NSID,
    OWNER_IDENTIFIERS,
    SALT,
    VECTORS,
    load,
)

from auditor.errors import EXIT_OK, EXIT_USAGE, AuditorError
from auditor.exposure.letter import GROUNDS, LetterText
from auditor.lookup import (
    build_lookup_site,
    identifier_hash,
    is_lookup_site,
    normalise_identifier,
    owner_letter,
)
from auditor.manifests.read import read_manifests


def strings(data: Any) -> Iterator[str]:
    """Every string in a JSON value, keys included."""
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield key
            yield from strings(value)
    elif isinstance(data, list):
        for value in data:
            yield from strings(value)


def owner_files(site: Path, identifier: str) -> list[dict[str, Any]]:
    """The owner files the page would load for what a visitor types."""
    normalised = normalise_identifier(identifier)
    assert normalised is not None
    pointer = site / "owners" / f"{identifier_hash(SALT, normalised)}.json"
    if not pointer.exists():
        return []
    return [load(site / "photos" / f"{group}.json") for group in load(pointer)["owners"]]


def only_owner(site: Path, identifier: str) -> dict[str, Any]:
    files = owner_files(site, identifier)
    assert len(files) == 1, identifier
    return files[0]


# -- normalisation and hash: the vectors the page's script is tested against too ---------------


@pytest.mark.parametrize(("text", "expected"), VECTORS["normalise"])
def test_normalisation_vectors(text: str, expected: str | None) -> None:
    assert normalise_identifier(text) == expected


@pytest.mark.parametrize(("salt", "identifier", "expected"), VECTORS["hash"])
def test_hash_vectors(salt: str, identifier: str, expected: str) -> None:
    assert identifier_hash(salt, identifier) == expected


def test_vectors_cover_the_forms_a_visitor_types() -> None:
    normalised = dict(VECTORS["normalise"])
    assert normalised["https://www.flickr.com/photos/24681357%40N02/"] == "24681357@n02"
    assert normalised["www.flickr.com/people/Anna-Shoots"] == "anna-shoots"
    assert normalised["  Mara \t  Lindqvist  "] == "mara lindqvist"
    # NFC: a decomposed and a composed Å are the same name.
    assert normalised["A\u030asa"] == normalised["\u00c5sa"] == "\u00e5sa"
    assert normalised["https://example.com/photos/anna-shoots/"].startswith("https://")


# -- what the files hold, and what they must not reveal -----------------------------------------


def test_layout_and_every_file_is_json(site: Path) -> None:
    assert sorted(p.name for p in site.iterdir()) == [
        "index.html",
        "lookup.js",
        "owners",
        "photos",
        "site.json",
    ]
    for folder in ("owners", "photos"):
        names = [p.name for p in (site / folder).iterdir()]
        assert "index.html" in names  # servers show it instead of listing the folder
        for name in names:
            if name != "index.html":
                assert re.fullmatch(r"[0-9a-f]{64}\.json", name), name
                load(site / folder / name)
    info = load(site / "site.json")
    assert info["salt"] == SALT
    assert info["manifests"] == ["manifest.csv"]  # the file name only, not the publisher's path
    assert is_lookup_site(site)


def test_no_owner_is_named_outside_their_own_file(site: Path) -> None:
    own: dict[Path, set[str]] = {}
    for person, identifiers in OWNER_IDENTIFIERS.items():
        for identifier in identifiers:
            files = owner_files(site, identifier)
            assert files, (person, identifier)
    for path in (site / "photos").glob("*.json"):
        data = load(path)
        own[path] = {i["value"] for i in data["identifiers"]}
    every = {normalise_identifier(i) for ids in OWNER_IDENTIFIERS.values() for i in ids} - {None}
    # Pointer files, the page, its script and site.json name no one.
    for path in [
        *(site / "owners").iterdir(),
        site / "index.html",
        site / "lookup.js",
        site / "site.json",
    ]:
        text = path.read_text(encoding="utf-8").lower()
        for identifier in every:
            assert identifier not in text, (path, identifier)
            assert identifier not in path.name.lower(), (path, identifier)
    # An owner's file names only that owner.
    for path, mine in own.items():
        texts = [s.lower() for s in strings(load(path))]
        for identifier in every - mine:
            assert not any(identifier in s for s in texts), (path.name, identifier)


def test_one_owner_by_nsid_alias_username_and_url(site: Path) -> None:
    anna = only_owner(site, ANNA_NSID)
    for typed in (
        ANNA_NAME,
        ANNA_NSID.lower(),
        f"https://www.flickr.com/photos/{ANNA_NSID}/1001/",
        f"flickr.com/people/{ANNA_NSID.replace('@', '%40')}",
    ):
        assert only_owner(site, typed) == anna
    assert anna["nsids"] == [ANNA_NSID] and anna["aliases"] == [ANNA_ALIAS]
    assert anna["names"] == [ANNA_NAME]
    # Rows under her alias joined her NSID's by the photo id they share.
    assert sorted(p["photo_id"] for p in anna["photos"]) == ["1001", "1001", "1002", "1003"]
    dawn = next(p for p in anna["photos"] if p["photo_id"] == "1001" and p["manifest_url"])
    assert dawn["page_url"] == f"https://www.flickr.com/photos/{ANNA_NSID}/1001/"
    assert dawn["licence"] == "CC BY-NC 2.0" and dawn["nc"]
    harbour = next(p for p in anna["photos"] if p["photo_id"] == "1003")
    assert harbour["page_url"] == f"https://www.flickr.com/photos/{ANNA_ALIAS}/1003/"
    assert harbour["listed_as"] == "manifest.csv:5"  # no URL in the row: file and row


def test_a_name_shared_by_two_accounts_finds_both(site: Path) -> None:
    # OTHER's username is Anna's alias: Flickr keeps the two namespaces apart, so must we.
    files = owner_files(site, ANNA_ALIAS)
    assert sorted(f["nsids"][0] for f in files) == [ANNA_NSID, OTHER_NSID]
    kinds = {
        f["nsids"][0]: {i["kind"] for i in f["identifiers"] if i["value"] == ANNA_ALIAS}
        for f in files
    }
    assert kinds == {ANNA_NSID: {"alias"}, OTHER_NSID: {"username"}}


def test_non_ascii_names_and_unknown_owners(site: Path) -> None:
    assert only_owner(site, BO_NAME.upper())["nsids"] == [BO_NSID]
    assert only_owner(site, "bo \u00f6berg") == only_owner(site, "bo o\u0308berg")  # NFC
    assert owner_files(site, "nobody-here") == []
    assert owner_files(site, "Anonymous") == []  # a title is not an identifier


def test_hostile_text_is_kept_as_data(site: Path) -> None:
    anna = only_owner(site, ANNA_NSID)
    assert any(p["title"] == HOSTILE_TITLE for p in anna["photos"])
    named = only_owner(site, HOSTILE_NAME)
    assert named["names"] == [HOSTILE_NAME]
    assert named["photos"][0]["page_url"] == "https://www.flickr.com/photo.gne?id=4001"
    # JSON files are 7-bit: "<" arrives as itself inside a string, never as markup of a page.
    for path in (site / "photos").glob("*.json"):
        assert path.read_bytes().isascii()


def letter(owner: dict[str, Any], *grounds: str) -> str:
    """The letter the page shows with `grounds` ticked (as lookup.js assembles it)."""
    parts = owner["letter"]
    return LetterText(
        parts["head"], parts["grounds_heading"], parts["grounds"], parts["tail"]
    ).assemble(grounds)


def test_removal_request_lists_every_photo_and_the_grounds(site: Path) -> None:
    anna = only_owner(site, ANNA_NSID)
    text = letter(anna, *GROUNDS)
    # Photo 1001 is in two rows: one photo, both rows.
    assert "Your dataset lists 3 photos that I took, in its manifest manifest.csv." in text
    assert f"- https://www.flickr.com/photos/{ANNA_NSID}/1001/ (in manifest.csv, rows 2, 4)" in text
    assert f"- https://www.flickr.com/photos/{ANNA_NSID}/1002/ (in manifest.csv, row 3)" in text
    assert f"- https://www.flickr.com/photos/{ANNA_ALIAS}/1003/ (in manifest.csv, row 5)" in text
    assert "1 carries a NonCommercial (NC)" in text and "1 carries a NoDerivatives (ND)" in text
    assert "to ask everyone you have shared them with" in text
    assert "Article 17" in text and "Article 21" in text and "Illinois" in text
    # Nothing is cited until the visitor ticks it.
    bare = letter(anna)
    assert "Grounds" not in bare and "Article 17" not in bare and "(NC)" not in bare
    bo = only_owner(site, BO_NSID)
    assert "licence" not in bo["letter"]["grounds"]  # BY-SA: no licence grounds to claim
    assert "(NC)" not in letter(bo, *GROUNDS) and "(ND)" not in letter(bo, *GROUNDS)


def test_removal_request_keeps_hostile_text_on_its_line() -> None:
    photo = {
        "photo_id": "1",
        "page_url": "https://www.flickr.com/photos/x/1/",
        "manifest": "m\x1b[2J",
        "row": 2,
        "manifest_url": "evil\nSubject: forged\u2028line",
        "listed_as": "evil\nSubject: forged\u2028line",
        "nc": False,
        "nd": False,
        "all_rights_reserved": True,
    }
    text = owner_letter(["1@N01"], [], ["Name\r\nBcc: x"], [photo]).assemble(GROUNDS)
    assert "\x1b" not in text and "\r" not in text and "\u2028" not in text
    assert "\nSubject:" not in text and "\nBcc:" not in text
    assert "All Rights Reserved" in text
    assert "- https://www.flickr.com/photos/x/1/ (in m [2J, row 2)" in text
    assert "I am the Flickr user Name Bcc: x (1@N01)." in text


def test_a_fixed_salt_gives_stable_file_names(tmp_path: Path, manifest: Path) -> None:
    photos = read_manifests([manifest]).photos

    def names(out: Path) -> set[str]:
        return {str(p.relative_to(out)) for p in out.rglob("*.json") if p.name != "site.json"}

    fixed_a = build_lookup_site(photos, tmp_path / "a", "fixed")
    fixed_b = build_lookup_site(photos, tmp_path / "b", "fixed")
    assert names(tmp_path / "a") == names(tmp_path / "b")
    assert (fixed_a.owners, fixed_a.identifiers, fixed_a.photos) == (4, 7, 6)
    assert fixed_a.rows == 7 and fixed_a.unfindable_rows == 1 and fixed_b.salt == "fixed"


def test_the_page_makes_no_external_request_and_never_uses_markup_sinks(site: Path) -> None:
    html = (site / "index.html").read_text(encoding="utf-8")
    script = (site / "lookup.js").read_text(encoding="utf-8")
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    assert csp is not None
    assert "default-src 'none'" in csp[1] and "connect-src 'self'" in csp[1]
    assert "require-trusted-types-for 'script'" in csp[1]
    assert re.search(r"style-src 'sha256-[A-Za-z0-9+/]+=*'", csp[1])
    for attribute in re.findall(r'(?:src|href)="([^"]*)"', html):
        assert attribute in ("lookup.js", "data:,"), attribute
    assert "@import" not in html and "url(" not in html
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script
    assert re.findall(r"fetch\(([^,)]+)", script) == ["path"]  # one fetch, of relative paths


# -- the command line ---------------------------------------------------------------------------


def test_cli_builds_and_prints_one_line(
    tmp_path: Path, manifest: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    code, _, err = run_cli(["publish-lookup", str(manifest), "--out", str(out)], capsys)
    assert code == EXIT_OK
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "4 owner(s) findable by 7 identifier(s), 6 photo(s) in 7 row(s)" in lines[0]
    assert "1 row(s) name no owner" in lines[0] and str(out) in lines[0]
    first_salt = load(out / "site.json")["salt"]
    assert re.fullmatch(r"[0-9a-f]{32}", first_salt) and first_salt in lines[0]
    # A rebuild replaces a previous site: new random salt, no stale files, other files kept.
    (out / "README.txt").write_text("mine", encoding="utf-8")
    stale = next((out / "owners").glob("*.json"))
    code, _, _ = run_cli(["publish-lookup", str(manifest), "--out", str(out)], capsys)
    assert code == EXIT_OK
    assert load(out / "site.json")["salt"] != first_salt
    assert not stale.exists() and (out / "README.txt").read_text(encoding="utf-8") == "mine"
    code, _, err = run_cli(
        ["publish-lookup", str(manifest), "--out", str(out), "--salt", "s"], capsys
    )
    assert code == EXIT_OK and "'s'" in err and load(out / "site.json")["salt"] == "s"


@pytest.mark.parametrize(
    ("setup", "extra", "fragment"),
    [
        ("folder", [], "is not empty and holds no lookup site"),
        ("file", [], "is a file, not a folder"),
        ("none", ["--salt", ""], "--salt must be 1 to 256 characters"),
        ("none", ["--salt", "a\nb"], "without control characters"),
        ("fake-site", [], "holds no lookup site"),
    ],
)
def test_cli_refuses_what_it_must_not_overwrite(
    tmp_path: Path,
    manifest: Path,
    capsys: pytest.CaptureFixture[str],
    setup: str,
    extra: list[str],
    fragment: str,
) -> None:
    out = tmp_path / "out"
    if setup == "folder":
        out.mkdir()
        (out / "thesis.tex").write_text("precious", encoding="utf-8")
    elif setup == "file":
        out.write_text("precious", encoding="utf-8")
    elif setup == "fake-site":
        out.mkdir()
        (out / "site.json").write_text(json.dumps({"format": "something else"}), encoding="utf-8")
    before = sorted(p.name for p in tmp_path.iterdir())
    code, _, err = run_cli(["publish-lookup", str(manifest), "--out", str(out), *extra], capsys)
    assert code == EXIT_USAGE
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("flickr-audit: error: "), err
    assert fragment in lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written, not even tmp
    if setup == "folder":
        assert (out / "thesis.tex").read_text(encoding="utf-8") == "precious"


def test_cli_unreadable_manifest_and_missing_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(
        ["publish-lookup", str(tmp_path / "missing.csv"), "--out", str(tmp_path / "o")], capsys
    )
    assert code == EXIT_USAGE and "missing.csv" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()
    code, _, err = run_cli(["publish-lookup", str(tmp_path / "missing.csv")], capsys)
    assert code == EXIT_USAGE and "--out" in err


def test_library_errors_are_auditor_errors(tmp_path: Path, manifest: Path) -> None:
    photos = read_manifests([manifest]).photos
    with pytest.raises(AuditorError, match="--salt"):
        build_lookup_site(photos, tmp_path / "x", "x" * 257)


def test_photo_ids_chain_aliases_and_nsids_into_one_owner(tmp_path: Path) -> None:
    # alias-a and alias-b never share a row, but each shares a photo with the NSID.
    manifest = tmp_path / "chain.csv"
    manifest.write_text(
        "photo_id,owner\n11,alias-b\n12,alias-b\n11,9@N01\n13,9@N01\n13,alias-a\n14,other\n",
        encoding="utf-8",
    )
    summary = build_lookup_site(read_manifests([manifest]).photos, tmp_path / "s", SALT)
    assert summary.owners == 2 and summary.identifiers == 4
    (owner,) = owner_files(tmp_path / "s", "ALIAS-A")
    assert owner == only_owner(tmp_path / "s", "alias-b") == only_owner(tmp_path / "s", "9@n01")
    assert owner["nsids"] == ["9@N01"] and owner["aliases"] == ["alias-a", "alias-b"]
    assert sorted(p["photo_id"] for p in owner["photos"]) == ["11", "11", "12", "13", "13"]
