"""`flickr-audit owner`: resolve WHO (NSID, alias, username, URL), find the owner's photos in
YFCC100M and COCO manifests (live against the Flickr stand-in, and offline), and write the
exposure report and a removal request listing every photo."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from cli_run import run_cli
from flickr_standin import VALID_KEY, FlickrStandIn, Owner, Photo, World

from auditor.errors import EXIT_OK, EXIT_USAGE, AuditorError
from auditor.exposure import parse_who
from auditor.state import StateStore

Standin = Callable[..., FlickrStandIn]
T0 = 1_250_000_000
ANNA = Owner("55555555@N05", "Anna K", alias="anna-shoots")
OTHER = Owner("66666666@N06", "anna-shoots")  # a USERNAME equal to ANNA's alias: another account
CC = "http://creativecommons.org"
HOSTILE = "<script>alert(1)</script> | [x](javascript:alert(1))"


def world() -> World:
    w = World()
    for owner in (ANNA, OTHER):
        w.add_owner(dataclasses.replace(owner))  # a copy: tests change their world's owners
    for i in range(1200):  # three listing pages
        w.add_photo(Photo(str(800000 + i), ANNA.nsid, 2 if i % 2 else 4, T0 + 60 * i))
    w.add_photo(Photo("890001", ANNA.nsid, 4, T0 + 5, safety_level=2))  # restricted
    w.add_photo(Photo("890002", ANNA.nsid, 4, T0 + 6, deleted=True))
    w.add_photo(Photo("890003", ANNA.nsid, 4, T0 + 7, safety_level=2))  # restricted, COCO only
    w.add_photo(Photo("990001", OTHER.nsid, 4, T0))
    return w


YFCC_IDS = ["800000", "800001", "800777", "801199", "890001", "890002"]
COCO_IDS = ["800500", "800501", "890003", "990001"]


def yfcc(tmp_path: Path, w: World, ids: Sequence[str] = (*YFCC_IDS, "990001")) -> Path:
    lines = []
    for photo_id in ids:
        photo = w.photos[photo_id]
        title = HOSTILE if photo_id == "800000" else "title"
        fields = [photo_id, photo.owner, "nick", "2008-01-01 00:00:00.0", str(photo.uploaded_at),
                  "", title, "", "", "", "", "", "",
                  f"http://www.flickr.com/photos/{photo.owner}/{photo_id}/",
                  f"http://farm1.staticflickr.com/1/{photo_id}_abcdef1234.jpg",
                  "Attribution-NonCommercial License",
                  "http://creativecommons.org/licenses/by-nc/2.0/",
                  "1", "1", "abcdef1234", "abcdef1234", "jpg", "0"]  # fmt: skip
        lines.append("\t".join(fields))
    path = tmp_path / "yfcc.tsv"
    path.write_text("\n".join(lines) + "\n")
    return path


def coco(tmp_path: Path, ids: Sequence[str] = tuple(COCO_IDS)) -> Path:
    images = [
        {"id": n, "file_name": f"{n}.jpg", "license": 4,
         "flickr_url": f"http://farm1.staticflickr.com/1/{photo_id}_abcdef1234.jpg"}
        for n, photo_id in enumerate(ids, start=1)
    ]  # fmt: skip
    path = tmp_path / "coco.json"
    licence = {"id": 4, "name": "Attribution License", "url": f"{CC}/licenses/by/2.0/"}
    document = {"images": images, "annotations": [], "categories": [], "licenses": [licence]}
    path.write_text(json.dumps(document))
    return path


def found(out: Path) -> dict[str, set[str]]:
    document = json.loads((out / "exposure.json").read_text())
    return {
        Path(d["manifest"]).name: {p["photo_id"] for p in d["photos"]} for d in document["datasets"]
    }


def test_live_by_alias_finds_every_photo_in_yfcc_and_coco(
    tmp_path: Path,
    flickr_standin: Standin,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    standin = flickr_standin(world())
    monkeypatch.setenv("FLICKR_API_KEY", VALID_KEY)
    w = standin.world
    out = tmp_path / "out"
    code, _, err = run_cli(
        ["owner", "https://www.flickr.com/photos/anna-shoots/", str(yfcc(tmp_path, w)),
         str(coco(tmp_path)), "--api-url", standin.url, "--state", str(tmp_path / "s.sqlite"),
         "--rate-limit", "3600000", "--output-dir", str(out), "--grounds", "gdpr,bipa,licence"],
        capsys,
    )  # fmt: skip
    assert code == EXIT_OK, err
    # YFCC: every photo of hers, by NSID, including restricted and deleted ones; COCO: those
    # her public listing shows (890003 is restricted: no listing shows it, no owner field names it).
    assert found(out) == {"yfcc.tsv": set(YFCC_IDS), "coco.json": {"800500", "800501"}}
    document = json.loads((out / "exposure.json").read_text())
    assert document["owner"]["nsid"] == ANNA.nsid
    assert document["owner"]["resolved_by"] == "path alias (flickr.urls.lookupUser)"
    photos = {p["photo_id"]: p for d in document["datasets"] for p in d["photos"]}
    assert photos["890002"]["visibility"] == "not-public"
    assert photos["890001"]["visibility"] == "public"  # restricted, told apart by getInfo
    assert photos["800001"]["current_licence"] == "cc-by-nc-2.0"
    assert "non-commercial" in photos["800001"]["grounds"]
    letter = (out / "removal-request.md").read_text()
    text = (out / "removal-request.txt").read_text()
    for photo_id in [*YFCC_IDS, "800500", "800501"]:
        assert f"/{photo_id}/" in letter and f"/{photo_id}/" in text
    assert "Article 17" in letter and "Article 21" in letter and "Illinois" in letter
    # 8 photos of hers, 890002 deleted since; licence counts from the licences Flickr gives now.
    assert "Your dataset lists 8 photos that I took" in text
    assert "I have since deleted or made private on Flickr 1 of the photos I took." in text
    assert "carry a NonCommercial" in text
    assert "<script>" not in (out / "exposure.md").read_text()
    assert "8 photos in 2 manifests" in err


def test_a_word_matching_an_alias_and_another_username_reports_both(
    tmp_path: Path,
    flickr_standin: Standin,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    standin = flickr_standin(world())
    monkeypatch.setenv("FLICKR_API_KEY", VALID_KEY)
    out = tmp_path / "out"
    code, _, err = run_cli(
        ["owner", "anna-shoots", str(yfcc(tmp_path, standin.world)), "--api-url", standin.url,
         "--state", str(tmp_path / "s.sqlite"), "--rate-limit", "3600000",
         "--output-dir", str(out)],
        capsys,
    )  # fmt: skip
    assert code == EXIT_OK, err
    document = json.loads((out / "exposure.json").read_text())
    assert [(o["nsid"], o["resolved_by"]) for o in document["owners"]] == [
        (ANNA.nsid, "path alias (flickr.urls.lookupUser)"),
        (OTHER.nsid, "username (flickr.people.findByUsername)"),
    ]
    assert found(out) == {"yfcc.tsv": {*YFCC_IDS, "990001"}}


def test_unknown_owner_exits_2_with_one_line(
    tmp_path: Path,
    flickr_standin: Standin,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    standin = flickr_standin(world())
    monkeypatch.setenv("FLICKR_API_KEY", VALID_KEY)
    code, _, err = run_cli(
        ["owner", "nobody-here", str(coco(tmp_path)), "--api-url", standin.url,
         "--state", str(tmp_path / "s.sqlite"), "--output-dir", str(tmp_path / "o")],
        capsys,
    )  # fmt: skip
    assert code == EXIT_USAGE
    lines = [line for line in err.splitlines() if line.startswith("flickr-audit: error:")]
    assert len(lines) == 1 and "no Flickr user has this path alias or username" in lines[0]


def test_offline_matches_owner_fields_and_says_what_it_cannot(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    code, _, err = run_cli(
        ["owner", ANNA.nsid, str(yfcc(tmp_path, world())), str(coco(tmp_path)),
         "--output-dir", str(out)],
        capsys,
    )  # fmt: skip
    assert code == EXIT_OK
    assert found(out) == {"yfcc.tsv": set(YFCC_IDS)}
    assert "cannot be matched offline" in err and "offline lookup" in err
    document = json.loads((out / "exposure.json").read_text())
    assert document["mode"] == "offline"
    assert {p["visibility"] for d in document["datasets"] for p in d["photos"]} == {None}


def test_who_forms() -> None:
    assert parse_who("55555555@n05").kind == "nsid"
    assert parse_who("https://www.flickr.com/people/55555555@N05/").value == "55555555@N05"
    alias = parse_who("flickr.com/photos/anna-shoots/123/")
    assert (alias.kind, alias.value) == ("alias", "anna-shoots")
    assert parse_who("Anna K").kind == "word"
    # Usernames hold commas, apostrophes, colons, ampersands, spaces, any script.
    # A "/" or a leading "http" does not make a URL (real usernames: "Michel Thomas / Craipeau").
    usernames = ["Jeong Vin, Yoon", "O'Brien & Sons: photos", "a<b", "Ünal Çelik",
                 "Michel Thomas / Craipeau", "AC/DC", "httpster", "www.ownwayphotography.com",
                 "Steve\uf8ffRich", "I love flickr.com",
                 "\U0001f469\u200d\U0001f4bb dev"]  # fmt: skip
    for username in usernames:
        assert (parse_who(username).kind, parse_who(username).value) == ("word", username)
    for bad in ["", "https://example.org/", "flickr.com/groups/x/", "tab\there", "x" * 201]:
        with pytest.raises(AuditorError):
            parse_who(bad)


def test_owner_goes_through_the_state_a_rerun_asks_nothing(
    tmp_path: Path,
    flickr_standin: Standin,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`owner` takes the audit's fetch path: its listing, statuses and who the owner is are
    kept in --state, so a second run within --max-age asks Flickr nothing and finds the same;
    --refresh asks again; every run is in the state's runs table."""
    standin = flickr_standin(world())
    monkeypatch.setenv("FLICKR_API_KEY", VALID_KEY)
    state = tmp_path / "s.sqlite"
    manifests = [str(yfcc(tmp_path, standin.world)), str(coco(tmp_path))]

    def owner(out: str, *extra: str) -> dict[str, set[str]]:
        code, _, err = run_cli(
            ["owner", "https://www.flickr.com/photos/anna-shoots/", *manifests,
             "--api-url", standin.url, "--state", str(state), "--rate-limit", "3600000",
             "--output-dir", str(tmp_path / out), *extra],
            capsys,
        )  # fmt: skip
        assert code == EXIT_OK, err
        return found(tmp_path / out)

    first = owner("first")
    assert first == {"yfcc.tsv": set(YFCC_IDS), "coco.json": {"800500", "800501"}}
    made = sum(standin.calls().values())
    assert standin.calls()["flickr.people.getPublicPhotos"] == 3
    assert owner("second") == first
    assert sum(standin.calls().values()) == made  # nothing asked
    assert owner("third", "--refresh") == first
    assert standin.calls()["flickr.people.getPublicPhotos"] == 6
    with StateStore(state) as store:
        runs = store.runs()
    assert [run["outcome"] for run in runs] == ["ok", "ok", "ok"]
    assert json.loads(runs[1]["api_calls"]) == {}


def test_a_username_with_punctuation_is_found_by_username_only(
    tmp_path: Path,
    flickr_standin: Standin,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A username no path alias can spell is looked up as a username (findByUsername), never
    sent to lookupUser as a URL, and the owner's photos are found."""
    w = world()
    w.owners[ANNA.nsid].username = "Anna K, O'Neil & co: photos"
    standin = flickr_standin(w)
    monkeypatch.setenv("FLICKR_API_KEY", VALID_KEY)
    out = tmp_path / "out"
    code, _, err = run_cli(
        ["owner", "Anna K, O'Neil & co: photos", str(yfcc(tmp_path, w)), str(coco(tmp_path)),
         "--api-url", standin.url, "--state", str(tmp_path / "s.sqlite"),
         "--rate-limit", "3600000", "--output-dir", str(out)],
        capsys,
    )  # fmt: skip
    assert code == EXIT_OK, err
    assert found(out) == {"yfcc.tsv": set(YFCC_IDS), "coco.json": {"800500", "800501"}}
    assert "flickr.urls.lookupUser" not in standin.calls()


@pytest.mark.realdata
@pytest.mark.parametrize(
    "who",
    [
        "spike_yun",  # path alias: in the photo page URLs only
        "Jeong Vin, Yoon",  # username, with a comma and a space
        "132051449@N06",  # NSID: the owner field
        "https://www.flickr.com/photos/spike_yun/",  # profile URL
        "Jeong Vin Yoon",  # realname: owner.realname in the answers
        " jeong vin  YOON ",  # the same, as someone might type it
    ],
)
def test_offline_every_name_finds_every_photo_in_real_api_fixtures(
    realdata: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], who: str
) -> None:
    """The Flickr Foundation's recorded API answers (an album and a user's photos of one
    account): whichever identifier the photographer gives, all 109 of their photos are found."""
    answers = realdata / "flickr_foundation_photos_api" / "api_responses"
    files = [answers / "album-72157677773252346.json", answers / "user-spike_yun.json"]
    out = tmp_path / "out"
    code, _, err = run_cli(["owner", who, *map(str, files), "--output-dir", str(out)], capsys)
    assert code == EXIT_OK, err
    found_ids = set().union(*found(out).values())
    assert len(found_ids) == 109 and "109 photos in 2 manifests" in err


@pytest.mark.realdata
def test_the_photo_table_keeps_the_realname_of_api_answers(realdata: Path) -> None:
    from auditor.manifests.read import read_manifests

    answers = realdata / "flickr_foundation_photos_api" / "api_responses"
    photos = read_manifests([answers / "user-spike_yun.json"]).photos
    assert set(photos["owner_realname"]) == {"Jeong Vin Yoon"}
    assert set(photos["owner_name"]) == {"Jeong Vin, Yoon"}


def test_live_a_realname_flickr_cannot_look_up_is_found_through_the_manifests(
    tmp_path: Path,
    flickr_standin: Standin,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No Flickr method finds a user by realname: a word Flickr does not know is looked for
    in the manifests' owner names and realnames, and the NSID those rows give is resolved and
    listed, which finds the owner's photos everywhere (COCO included)."""
    w = world()
    w.owners[ANNA.nsid].realname = "Anna Karlsson"
    standin = flickr_standin(w)
    monkeypatch.setenv("FLICKR_API_KEY", VALID_KEY)
    named = tmp_path / "named.csv"
    named.write_text(
        f"photo_id,owner,realname\n800002,{ANNA.nsid},anna  KARLSSON\n", encoding="utf-8"
    )
    out = tmp_path / "out"
    code, _, err = run_cli(
        ["owner", "Anna Karlsson", str(named), str(yfcc(tmp_path, w)), str(coco(tmp_path)),
         "--api-url", standin.url, "--state", str(tmp_path / "s.sqlite"),
         "--rate-limit", "3600000", "--output-dir", str(out)],
        capsys,
    )  # fmt: skip
    assert code == EXIT_OK, err
    assert found(out) == {
        "named.csv": {"800002"},
        "yfcc.tsv": set(YFCC_IDS),
        "coco.json": {"800500", "800501"},
    }
    request = json.loads((out / "removal-request.json").read_text(encoding="utf-8"))
    kinds = {(i["kind"], i["value"]) for i in request["requester"]["identifiers"]}
    assert {("nsid", ANNA.nsid), ("realname", "Anna Karlsson"), ("username", "Anna K")} <= kinds
    assert ("path_alias", "anna-shoots") in kinds
    document = json.loads((out / "exposure.json").read_text())
    assert document["owner"]["resolved_by"] == "name in the manifests, then its NSID"


def test_live_an_owner_with_no_photo_in_the_manifests_gets_no_letter(
    tmp_path: Path,
    flickr_standin: Standin,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """OTHER is on Flickr, but none of their photos is in the manifest: exit 0, the
    identifiers Flickr gave are named with the manifest's file name, and nothing is written."""
    w = world()
    w.owners[OTHER.nsid].realname = "Otto Other"
    standin = flickr_standin(w)
    monkeypatch.setenv("FLICKR_API_KEY", VALID_KEY)
    manifest = tmp_path / "anna.csv"
    manifest.write_text(f"photo_id,owner\n800000,{ANNA.nsid}\n", encoding="utf-8")
    out = tmp_path / "out"
    code, stdout, err = run_cli(
        ["owner", OTHER.nsid, str(manifest), "--api-url", standin.url,
         "--state", str(tmp_path / "s.sqlite"), "--rate-limit", "3600000",
         "--output-dir", str(out), "--grounds", "gdpr"],
        capsys,
    )  # fmt: skip
    assert code == EXIT_OK, err
    (line,) = [x for x in err.splitlines() if x.startswith("no photo found")]
    assert f"NSID '{OTHER.nsid}'" in line and "username 'anna-shoots'" in line
    assert "realname 'Otto Other'" in line and "Flickr listing" in line
    assert "in anna.csv;" in line and str(tmp_path) not in line
    assert stdout == "" and not out.exists()


def test_use_must_be_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(
        ["owner", ANNA.nsid, str(coco(tmp_path)), "--use", "training\x1b[2J",
         "--output-dir", str(tmp_path / "o")],
        capsys,
    )  # fmt: skip
    assert code == EXIT_USAGE and len(err.strip().splitlines()) == 1 and "--use" in err
