"""The removal request: one template (auditor/exposure/letter.py) for `owner` and the lookup
page; distinct photos, file names and rows, grammar, grounds and use only as the sender chose;
removal-request.json valid against docs/removal-request.schema.json."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from cli_run import run_cli

from auditor.errors import EXIT_OK, EXIT_USAGE, AuditorError
from auditor.exposure.letter import (
    GROUNDS,
    compose,
    count,
    letter_photos,
    parse_grounds,
    render_markdown,
    render_text,
    text_parts,
)
from auditor.lookup import owner_letter

DOCS = Path(__file__).resolve().parents[2] / "docs"
SCHEMA = json.loads((DOCS / "removal-request.schema.json").read_text(encoding="utf-8"))
NSID = "55555555@N05"
CC = "https://creativecommons.org/licenses"
HEDGES = ("if I live", "European Union or", "not legal advice", "may apply", "might")


def validate(document: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    jsonschema.Draft202012Validator(SCHEMA).validate(document)


def row(photo_id: str | None, file: str, line: int, **flags: object) -> dict[str, object]:
    page = None if photo_id is None else f"https://www.flickr.com/photos/{NSID}/{photo_id}/"
    return {"photo_id": photo_id, "page_url": page, "file": file, "row": line, **flags}


# --- the template -------------------------------------------------------------------------------


def test_photos_are_counted_once_with_every_place() -> None:
    photos = letter_photos(
        [
            row("1", "a.csv", 9, nc=True),
            row("1", "b.json", 3),
            row("1", "a.csv", 2),
            row("2", "a.csv", 4, relation="featured"),
            row("2", "a.csv", 5),  # also taken by the sender: theirs
            row(None, "a.csv", 7),
            row(None, "a.csv", 8),
        ]
    )
    assert [(p.photo_id, p.relation) for p in photos] == [
        ("1", "owner"),
        ("2", "owner"),
        (None, "owner"),
        (None, "owner"),
    ]
    assert photos[0].places == {"a.csv": [2, 9], "b.json": [3]} and photos[0].nc
    text = render_text(compose("Anna", photos, ["a.csv", "b.json"]), ())
    assert "Your dataset lists 4 photos that I took" in text
    assert "(in a.csv, rows 2, 9; b.json, row 3)" in text
    assert "(this row gives no Flickr photo id) (in a.csv, row 7)" in text


@pytest.mark.parametrize("n", [1, 2, 3])
def test_every_count_agrees_with_its_number(n: int) -> None:
    photos = letter_photos(
        row(str(i), "m.csv", i + 2, nc=True, nd=True, all_rights_reserved=True, gone=True)
        for i in range(n)
    )
    featured = letter_photos(
        row(str(100 + i), "m.csv", 50 + i, relation="featured") for i in range(n)
    )
    text = render_text(compose("Anna", [*photos, *featured], ["m.csv"]), GROUNDS)
    assert f"{count(n, 'photo')} that I took and {count(n, 'photo')} in which I am shown" in text
    verb = "carries" if n == 1 else "carry"
    assert f"Of the photos I took, {n} {verb} a NonCommercial" in text
    assert f"{n} {verb} a NoDerivatives" in text and f"{n} {verb} no licence at all" in text
    assert ("permit its use" if n == 1 else "permit their use") in text
    assert f"I am shown in {n} of these photos" in text
    assert f"Photos I took ({count(n, 'photo')})" in text
    assert f"Photos I am shown in ({count(n, 'photo')})" in text
    # Nothing like "1 photos", "1 carry", "(s)".
    assert not re.search(r"\b1 (photos|carry)\b", text) and "(s)" not in text


def test_sections_and_grounds_only_as_chosen() -> None:
    mine = letter_photos([row("1", "m.csv", 2, nc=True)])
    parts = compose("Anna", mine, ["m.csv"])
    bare = render_text(parts, ())
    assert "Grounds" not in bare and "GDPR" not in bare and "NonCommercial" not in bare
    assert "Photos I am shown in" not in bare and "used for" not in bare
    assert bare.startswith("Request to remove my photos from your dataset\n")
    only_gdpr = render_text(parts, ("gdpr",))
    assert "Article 17" in only_gdpr and "Illinois" not in only_gdpr
    assert "NonCommercial" not in only_gdpr
    everything = render_text(parts, GROUNDS)
    for hedge in HEDGES:
        assert hedge not in everything
    assert everything.index("Article 17") < everything.index("Illinois")
    assert everything.index("Illinois") < everything.index("NonCommercial")
    # Photos the sender is only shown in: no licence ground (not theirs to enforce).
    shown = letter_photos([row("2", "m.csv", 3, nc=True, relation="featured")])
    featured = compose("Anna", shown, ["m.csv"])
    assert "licence" not in featured.grounds
    text = render_text(featured, GROUNDS)
    assert text.startswith("Request to remove photos of me from your dataset\n")
    assert "Photos I took" not in text and "Photos I am shown in (1 photo)" in text


def test_use_is_stated_only_when_given() -> None:
    photos = letter_photos([row("1", "m.csv", 2)])
    assert "used for" not in render_text(compose("Anna", photos, ["m.csv"]), GROUNDS)
    given = render_text(compose("Anna", photos, ["m.csv"], use="face recognition."), ())
    assert "The dataset is used for face recognition.\n" in given


def test_hostile_text_stays_on_its_line_and_is_escaped() -> None:
    photos = letter_photos([row("1", "x\nBcc: evil@example.org.csv", 2)])
    parts = compose("Eve\r\nBcc: x <script>", photos, ["m.csv"])
    text = render_text(parts, GROUNDS)
    assert not any(line.startswith("Bcc:") for line in text.splitlines())
    markdown = render_markdown(parts, GROUNDS)
    assert "<script>" not in markdown
    assert "<https://www.flickr.com/photos/55555555@N05/1/>" in markdown  # a clean autolink


def test_parse_grounds() -> None:
    assert parse_grounds(["licence,GDPR", " bipa "]) == ("gdpr", "bipa", "licence")
    assert parse_grounds([]) == () == parse_grounds(["none"]) == parse_grounds([""])
    with pytest.raises(AuditorError, match=r"unknown ground.*'ccpa'.*gdpr, bipa, licence"):
        parse_grounds(["gdpr,ccpa"])


def test_the_lookup_page_letter_is_the_same_template() -> None:
    entries = [
        {"photo_id": "1", "page_url": f"https://www.flickr.com/photos/{NSID}/1/",
         "manifest": "m.csv", "row": 2, "nc": True, "nd": False, "all_rights_reserved": False},
        {"photo_id": "1", "page_url": f"https://www.flickr.com/photos/{NSID}/1/",
         "manifest": "n.json", "row": 5, "nc": True, "nd": False, "all_rights_reserved": False},
    ]  # fmt: skip
    page = owner_letter([NSID], ["anna"], ["Anna K"], entries)
    photos = letter_photos([row("1", "m.csv", 2, nc=True), row("1", "n.json", 5, nc=True)])
    parts = compose("Anna K (anna, 55555555@N05)", photos, ["m.csv", "n.json"])
    for chosen in [(), ("gdpr",), ("licence", "bipa"), GROUNDS]:
        assert page.assemble(chosen) == render_text(parts, chosen)
    assert text_parts(parts) == page


# --- owner, end to end --------------------------------------------------------------------------


def manifest(tmp_path: Path, name: str = "faces.csv") -> Path:
    lines = ["photo_id,owner,username,license,url"]
    lines += [
        f"1001,{NSID},Anna K,{CC}/by-nc/2.0/,https://www.flickr.com/photos/{NSID}/1001/",
        f"1002,{NSID},Anna K,{CC}/by/2.0/,https://www.flickr.com/photos/{NSID}/1002/",
        f"1001,{NSID},Anna K,{CC}/by-nc/2.0/,https://www.flickr.com/photos/{NSID}/1001/",
        f"2001,66666666@N06,Bo,{CC}/by/2.0/,https://www.flickr.com/photos/66666666@N06/2001/",
    ]
    folder = tmp_path / "deep" / "local" / "folder"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_owner_writes_the_letter_and_a_valid_request(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    path = manifest(tmp_path)
    code, _, err = run_cli(
        ["owner", NSID, str(path), "--output-dir", str(out), "--grounds", "licence",
         "--grounds", "gdpr", "--use", "training a face recogniser"],
        capsys,
    )  # fmt: skip
    assert code == EXIT_OK, err
    text = (out / "removal-request.txt").read_text(encoding="utf-8")
    markdown = (out / "removal-request.md").read_text(encoding="utf-8")
    for letter in (text, markdown):
        assert str(tmp_path) not in letter and "deep" not in letter
    assert "Your dataset lists 2 photos that I took, in its manifest faces.csv." in text
    assert "(in faces.csv, rows 2, 4)" in text and "(in faces.csv, row 3)" in text
    assert "The dataset is used for training a face recogniser." in text
    assert "Of the photos I took, 1 carries a NonCommercial" in text and "Article 17" in text
    assert "Illinois" not in text
    request = json.loads((out / "removal-request.json").read_text(encoding="utf-8"))
    validate(request)
    assert request["grounds"] == ["gdpr", "licence"]
    assert request["use"] == "training a face recogniser"
    assert request["dataset"] == {"manifests": ["faces.csv"]}
    assert request["requester"]["query"] == NSID
    assert {"kind": "nsid", "value": NSID} in request["requester"]["identifiers"]
    assert {"kind": "username", "value": "Anna K"} in request["requester"]["identifiers"]
    assert [(p["photo_id"], p["relation"], p["manifests"]) for p in request["photos"]] == [
        ("1001", "owner", [{"file": "faces.csv", "rows": [2, 4]}]),
        ("1002", "owner", [{"file": "faces.csv", "rows": [3]}]),
    ]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", request["created_at"])
    assert "letter: 2 photos; grounds cited: gdpr, licence" in err


def test_the_default_policy_is_not_the_senders_use_an_explicit_one_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = manifest(tmp_path)
    code, _, err = run_cli(["owner", NSID, str(path), "--output-dir", str(tmp_path / "a")], capsys)
    assert code == EXIT_OK, err
    assert "used for" not in (tmp_path / "a" / "removal-request.txt").read_text(encoding="utf-8")
    assert json.loads((tmp_path / "a" / "removal-request.json").read_text())["use"] is None
    code, _, err = run_cli(
        ["owner", NSID, str(path), "--output-dir", str(tmp_path / "b"),
         "--policy", "research-training"],
        capsys,
    )  # fmt: skip
    assert code == EXIT_OK, err
    request = json.loads((tmp_path / "b" / "removal-request.json").read_text())
    assert request["use"] and request["use"] in (tmp_path / "b" / "removal-request.txt").read_text()


def test_unknown_grounds_are_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(
        ["owner", NSID, str(manifest(tmp_path)), "--output-dir", str(tmp_path / "o"),
         "--grounds", "gdpr,copyright"],
        capsys,
    )  # fmt: skip
    assert code == EXIT_USAGE
    assert len(err.strip().splitlines()) == 1 and "'copyright'" in err
    assert not (tmp_path / "o").exists()


def test_nothing_found_says_what_was_tried_where_and_writes_no_letter(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    path = manifest(tmp_path)
    code, _, _ = run_cli(["owner", NSID, str(path), "--output-dir", str(out)], capsys)
    assert code == EXIT_OK and (out / "removal-request.md").exists()
    code, stdout, err = run_cli(
        ["owner", "Nobody, O'Hara & co", str(path), "--output-dir", str(out)], capsys
    )
    assert code == EXIT_OK, err
    assert "no photo found" in err and "Nobody, O'Hara & co" in err
    assert "faces.csv" in err and str(path.parent) not in err and "no letter written" in err
    assert not (out / "removal-request.md").exists()  # an earlier run's letter is not left
    assert not list(out.iterdir())
    assert stdout == ""
    code, _, err = run_cli(
        ["owner", "99999999@N09", str(path), "--output-dir", str(tmp_path / "x")], capsys
    )
    assert code == EXIT_OK and "NSID '99999999@N09'" in err
    assert not (tmp_path / "x").exists()


# --- the real Flickr Foundation fixtures ----------------------------------------------------------


@pytest.mark.realdata
def test_the_letter_for_a_real_photographer(
    realdata: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """spike_yun ('Jeong Vin, Yoon', 132051449@N06): 109 photos in 110 rows of two recorded
    API answers (one photo is in both); the letter names each once, with both places."""
    answers = realdata / "flickr_foundation_photos_api" / "api_responses"
    files = [answers / "album-72157677773252346.json", answers / "user-spike_yun.json"]
    out = tmp_path / "out"
    code, _, err = run_cli(
        ["owner", "spike_yun", *map(str, files), "--output-dir", str(out),
         "--grounds", "gdpr,bipa,licence"],
        capsys,
    )  # fmt: skip
    assert code == EXIT_OK, err
    text = (out / "removal-request.txt").read_text(encoding="utf-8")
    assert str(realdata) not in text and "/work/" not in text
    assert (
        "Your dataset lists 109 photos that I took, in its manifests "
        "album-72157677773252346.json and user-spike_yun.json." in text
    )
    assert "Photos I took (109 photos)" in text
    assert "Of the photos I took, 109 carry no licence at all (All Rights Reserved)" in text
    items = [line for line in text.splitlines() if line.startswith("- https://www.flickr.com/")]
    assert len(items) == 109
    assert (
        "- https://www.flickr.com/photos/132051449@N06/18250964001/ "
        "(in album-72157677773252346.json, row 1; user-spike_yun.json, row 43)" in items
    )
    request = json.loads((out / "removal-request.json").read_text(encoding="utf-8"))
    validate(request)
    assert len(request["photos"]) == 109
    assert sum(len(m["rows"]) for p in request["photos"] for m in p["manifests"]) == 110
    assert request["dataset"]["manifests"] == [f.name for f in files]
    kinds = {(i["kind"], i["value"]) for i in request["requester"]["identifiers"]}
    assert {("nsid", "132051449@N06"), ("path_alias", "spike_yun")} <= kinds
    assert ("username", "Jeong Vin, Yoon") in kinds
