"""`flickr-audit owner WHO FILE... --featured`: the photos WHO is tagged in on Flickr
(`flickr.people.getPhotosOf`, paged by `has_next_page`) are found by photo id in every manifest,
against the Flickr stand-in over HTTP: exactly the tagged photos that are public, across several
pages, each marked `"relation": "featured"` (a photo WHO took stays `"owner"`, tagged or not);
the pages are kept in --state, so a re-run asks Flickr nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_run import run_cli
from flickr_standin import VALID_KEY, Faults, FlickrStandIn, Owner, Photo, World
from test_owner import coco, yfcc

from auditor.errors import EXIT_OK, EXIT_USAGE
from auditor.state import StateStore

Standin = Callable[..., FlickrStandIn]
T0 = 1_300_000_000
ANNA = Owner("55555555@N05", "Anna K", alias="anna-shoots")  # the person asking
BOB = Owner("77777777@N07", "bob")  # takes photos Anna is in
CARL = Owner("88888888@N08", "carl", alias="carl-pics")
PHOTOS_OF = "flickr.people.getPhotosOf"

TAGGED = 1100  # Bob's public photos Anna is tagged in: three getPhotosOf pages of 500
# Manifest photos of Bob's that Anna is tagged in and that a key-only caller can see: on the
# first, second and third page (newest upload first), and one in COCO only.
FEATURED_YFCC = ["700000", "700550", "701099"]
FEATURED_COCO = ["700700"]
PRIVATE_TAGGED = "790001"  # tagged, private: no key-only answer shows it
DELETED_TAGGED = "790002"
RESTRICTED_TAGGED = "790003"  # tagged, restricted: unauthenticated lists omit it
UNTAGGED = ["790004", "790005"]  # Bob's, Anna not tagged
CARL_TAGGED = "790006"  # Carl's, Anna tagged in it, the manifest names Carl
ANNA_OWN = ["600000", "600001"]  # Anna's own photos; she is tagged in the first one


def world() -> World:
    w = World()
    for owner in (ANNA, BOB, CARL):
        w.add_owner(owner)
    w.add_owner_photos(ANNA, 2, start_id=600000, licence_id=4, start_time=T0)
    w.photos["600000"].people = [ANNA.nsid]
    w.add_owner_photos(
        BOB, TAGGED, start_id=700000, licence_id=2, start_time=T0, step=60, people=[ANNA.nsid]
    )
    w.add_photo(Photo(PRIVATE_TAGGED, BOB.nsid, 4, T0 + 1, public=False, people=[ANNA.nsid]))
    w.add_photo(Photo(DELETED_TAGGED, BOB.nsid, 4, T0 + 2, deleted=True, people=[ANNA.nsid]))
    w.add_photo(Photo(RESTRICTED_TAGGED, BOB.nsid, 4, T0 + 3, safety_level=2, people=[ANNA.nsid]))
    for n, photo_id in enumerate(UNTAGGED):
        w.add_photo(Photo(photo_id, BOB.nsid, 4, T0 + 4 + n, people=[CARL.nsid]))
    w.add_photo(Photo(CARL_TAGGED, CARL.nsid, 0, T0 + 9, people=[ANNA.nsid, BOB.nsid]))
    return w


YFCC = [*ANNA_OWN, *FEATURED_YFCC, PRIVATE_TAGGED, DELETED_TAGGED, RESTRICTED_TAGGED,
        *UNTAGGED, CARL_TAGGED]  # fmt: skip
COCO = [*FEATURED_COCO, UNTAGGED[0], "600001"]


def relations(out: Path) -> dict[str, dict[str, str]]:
    """Per manifest file name: photo id -> relation."""
    document = json.loads((out / "exposure.json").read_text())
    return {
        Path(d["manifest"]).name: {p["photo_id"]: p["relation"] for p in d["photos"]}
        for d in document["datasets"]
    }


EXPECTED = {
    "yfcc.tsv": {
        "600000": "owner",  # she took it and is tagged in it: hers
        "600001": "owner",
        **dict.fromkeys(FEATURED_YFCC, "featured"),
        CARL_TAGGED: "featured",
    },
    "coco.json": {**dict.fromkeys(FEATURED_COCO, "featured"), "600001": "owner"},
}


@pytest.fixture
def live(flickr_standin: Standin, monkeypatch: pytest.MonkeyPatch) -> Callable[..., FlickrStandIn]:
    """`live(faults=None)`: a stand-in serving `world()`, with FLICKR_API_KEY set for it."""

    def start(faults: Faults | None = None) -> FlickrStandIn:
        monkeypatch.setenv("FLICKR_API_KEY", VALID_KEY)
        return flickr_standin(world(), faults=faults)

    return start


def manifests(tmp_path: Path, w: World) -> list[str]:
    return [str(yfcc(tmp_path, w, YFCC)), str(coco(tmp_path, COCO))]


def owner_cli(
    tmp_path: Path,
    standin: FlickrStandIn,
    capsys: pytest.CaptureFixture[str],
    out: str,
    *extra: str,
    files: list[str] | None = None,
) -> tuple[int, str]:
    """`owner anna-shoots FILE... --featured EXTRA...` against `standin`, one state file."""
    files = manifests(tmp_path, standin.world) if files is None else files
    code, _, err = run_cli(
        ["owner", "anna-shoots", *files, "--api-url", standin.url,
         "--state", str(tmp_path / "s.sqlite"), "--rate-limit", "3600000",
         "--output-dir", str(tmp_path / out), *extra],
        capsys,
    )  # fmt: skip
    return code, err


def document_summary(out: Path) -> dict[str, int]:
    summary: dict[str, int] = json.loads((out / "exposure.json").read_text())["summary"]
    return summary


def test_featured_finds_exactly_the_public_tagged_photos_and_a_rerun_asks_nothing(
    tmp_path: Path, live: Callable[..., FlickrStandIn], capsys: pytest.CaptureFixture[str]
) -> None:
    standin = live()
    code, err = owner_cli(tmp_path, standin, capsys, "first", "--featured")
    assert code == EXIT_OK, err
    assert relations(tmp_path / "first") == EXPECTED
    assert "7 photos (5 of them tagged with this person, taken by others) in 2 manifests" in err
    assert document_summary(tmp_path / "first")["featured_photos"] == 5
    calls = standin.calls()
    assert calls[PHOTOS_OF] == 3  # has_next_page 1, 1, then 0
    pages = [r["page"] for r in standin.requests if r.get("method") == PHOTOS_OF]
    assert pages == ["1", "2", "3"]
    assert all(r["user_id"] == ANNA.nsid for r in standin.requests if r["method"] == PHOTOS_OF)
    # The pages showed each featured photo's licence: no getInfo for those.
    asked = {r.get("photo_id") for r in standin.requests if r["method"] == "flickr.photos.getInfo"}
    assert not asked & {*FEATURED_YFCC, *FEATURED_COCO}
    document = json.loads((tmp_path / "first" / "exposure.json").read_text())
    photos = {p["photo_id"]: p for d in document["datasets"] for p in d["photos"]}
    assert photos["700000"]["current_licence"] == "cc-by-nc-2.0"
    assert photos["700000"]["visibility"] == "public"
    assert photos["700000"]["matched_by"] == "tagged on Flickr (people.getPhotosOf)"
    # The COCO row names no owner: its Flickr page is under the photo's owner, not Anna.
    assert photos["700700"]["page_url"] == f"https://www.flickr.com/photos/{BOB.nsid}/700700/"
    assert photos[CARL_TAGGED]["current_licence"] == "all-rights-reserved"
    # The letter and removal-request.json keep them apart from the photos she took.
    letter = (tmp_path / "first" / "removal-request.txt").read_text()
    took, _, shown = letter.partition("Photos I am shown in (5 photos)")
    assert "Photos I took (2 photos)" in took and shown
    for photo_id in [*FEATURED_YFCC, *FEATURED_COCO, CARL_TAGGED]:
        assert f"/{photo_id}/" in shown and f"/{photo_id}/" not in took
    for photo_id in ANNA_OWN:
        assert f"/{photo_id}/" in took and f"/{photo_id}/" not in shown
    request = json.loads((tmp_path / "first" / "removal-request.json").read_text())
    assert {p["photo_id"]: p["relation"] for p in request["photos"]} == {
        **EXPECTED["yfcc.tsv"],
        **EXPECTED["coco.json"],
    }

    made = sum(standin.calls().values())
    code, err = owner_cli(tmp_path, standin, capsys, "second", "--featured")
    assert code == EXIT_OK, err
    assert sum(standin.calls().values()) == made  # the same --state: nothing asked
    assert relations(tmp_path / "second") == EXPECTED

    code, err = owner_cli(tmp_path, standin, capsys, "third", "--featured", "--refresh")
    assert code == EXIT_OK, err
    assert standin.calls()[PHOTOS_OF] == 6  # asked again
    assert relations(tmp_path / "third") == EXPECTED
    with StateStore(tmp_path / "s.sqlite") as store:
        assert [run["outcome"] for run in store.runs()] == ["ok", "ok", "ok"]


def test_without_featured_no_tagged_photo_is_found_and_getphotosof_is_not_asked(
    tmp_path: Path, live: Callable[..., FlickrStandIn], capsys: pytest.CaptureFixture[str]
) -> None:
    standin = live()
    out = tmp_path / "out"
    code, err = owner_cli(tmp_path, standin, capsys, "out")
    assert code == EXIT_OK, err
    assert relations(out) == {
        "yfcc.tsv": {"600000": "owner", "600001": "owner"},
        "coco.json": {"600001": "owner"},
    }
    assert PHOTOS_OF not in standin.calls()


def test_transient_faults_on_getphotosof_pages_are_retried(
    tmp_path: Path, live: Callable[..., FlickrStandIn], capsys: pytest.CaptureFixture[str]
) -> None:
    """The stand-in's faults apply to getPhotosOf as to every method (HTML 429, 5xx, code 105,
    a truncated body): the client's retries get every page, and the same photos are found."""
    faults = Faults(
        script=["html429", "code105", "truncated", "http500"],
        retry_after=0,
        methods=frozenset({PHOTOS_OF}),
    )
    standin = live(faults)
    code, err = owner_cli(tmp_path, standin, capsys, "out", "--featured")
    assert code == EXIT_OK, err
    assert relations(tmp_path / "out") == EXPECTED
    assert standin.calls()[PHOTOS_OF] == 3 + 4


def test_a_featured_photo_that_cannot_be_checked_is_unverified(
    tmp_path: Path,
    live: Callable[..., FlickrStandIn],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A tagged photo whose manifest row names another owner than Flickr's entry is not settled
    on the entry's word: its getInfo decides, and when Flickr never answers it, the photo is
    reported (visibility "error", the unverified finding), never passed."""
    monkeypatch.setattr("auditor.audit.RETRY_BACKOFF", (0.001, 0.01))
    get_info = frozenset({"flickr.photos.getInfo"})
    faults = Faults(photo_faults={"700100": "http503"}, methods=get_info)
    standin = live(faults)
    tsv = yfcc(tmp_path, standin.world, YFCC)
    row = "\t".join(["700100", CARL.nsid, "nick", "2008-01-01 00:00:00.0", "0", *[""] * 18])
    tsv.write_text(tsv.read_text() + row + "\n")
    code, err = owner_cli(tmp_path, standin, capsys, "out", "--featured", files=[str(tsv)])
    assert code == EXIT_OK, err
    out = tmp_path / "out"
    document = json.loads((out / "exposure.json").read_text())
    photos = {p["photo_id"]: p for d in document["datasets"] for p in d["photos"]}
    assert photos["700100"]["relation"] == "featured"
    assert photos["700100"]["visibility"] == "error"
    assert photos["700100"]["current_licence"] is None
    assert "unverified" in photos["700100"]["grounds"]
    assert photos["700000"]["visibility"] == "public"  # the others as before


def test_featured_without_the_api_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    w = world()
    for extra, said in (([], "set FLICKR_API_KEY"), (["--offline"], "drop --offline")):
        if extra:
            monkeypatch.setenv("FLICKR_API_KEY", VALID_KEY)
        out = tmp_path / "out"
        code, _, err = run_cli(
            ["owner", ANNA.nsid, str(yfcc(tmp_path, w, YFCC)), "--featured",
             "--output-dir", str(out), *extra],
            capsys,
        )  # fmt: skip
        assert code == EXIT_USAGE
        lines = [line for line in err.strip().splitlines() if line]
        assert len(lines) == 1 and "--featured needs the Flickr API" in lines[0], err
        assert said in lines[0]
        assert not out.exists()
