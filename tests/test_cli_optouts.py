"""`flickr-audit audit FILE... --opt-outs PATH`: removal requests and opt-out lists flag exactly
the photos they name, offline (streaming and whole tables), live against the Flickr stand-in and
on Dask; `--clean-manifest` drops them; bad and hostile files are one line, exit 2."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pandas as pd
import pytest
from cli_run import run_cli
from flickr_standin import VALID_KEY, FlickrStandIn, Owner, Photo, World
from removal_requests import CREATED, removal_request

import auditor.audit
from auditor.errors import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE

ROOT = Path(__file__).resolve().parents[1]
Standin = Callable[..., FlickrStandIn]

# photo id, owner, licence (all usable for commercial-training but for the opt-outs), page owner
ROWS = [
    ("101", "11111111@N01", "alice"),
    ("102", "11111111@N01", "alice"),
    ("103", "22222222@N02", None),
    ("104", "bob", "bob"),
    ("105", "bob", "bob"),
    ("106", "33333333@N03", None),
    ("101", "11111111@N01", "alice"),  # listed twice: both rows are opted out
]


def write_manifest(folder: Path) -> Path:
    lines = ["photo_id,owner,license,url"]
    for photo_id, owner, alias in ROWS:
        url = f"https://www.flickr.com/photos/{alias}/{photo_id}/" if alias else ""
        lines.append(f"{photo_id},{owner},CC BY 2.0,{url}")
    lines.append(",11111111@N01,CC BY 2.0,https://www.flickr.com/photos/alice/albums/1")
    path = folder / "manifest.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def dataset(tmp_path: Path) -> dict[str, Path]:
    """The manifest, a removal request (101 and 999, which the dataset does not hold) and a
    list (photo 103 by its URL, owner bob by alias, an NSID nobody in the dataset has)."""
    request = tmp_path / "removal-request.json"
    request.write_text(json.dumps(removal_request(["101", "999"])))
    listed = tmp_path / "publisher-opt-outs.txt"
    listed.write_text(
        "# received by mail\nhttps://live.staticflickr.com/1/103_abc_b.jpg\nBob\n44444444@N04\n"
    )
    return {"manifest": write_manifest(tmp_path), "request": request, "list": listed}


def audit(
    capsys: pytest.CaptureFixture[str], data: dict[str, Path], out: Path, *extra: str
) -> tuple[int, str]:
    code, _, err = run_cli(
        [
            "audit",
            str(data["manifest"]),
            "--offline",
            "--opt-outs",
            str(data["request"]),
            "--opt-outs",
            str(data["list"]),
            "--output-dir",
            str(out),
            *extra,
        ],
        capsys,
    )
    return code, err


def opted_out(findings: pd.DataFrame) -> dict[int, str]:
    """source row → message of the opt-out findings."""
    mine = findings[findings["rule"] == "opt-out"]
    return dict(zip(mine["source_row"].astype(int), mine["message"], strict=True))


EXPECTED_ROWS = {2, 4, 5, 6, 8}  # 101 (twice), 103, 104 and 105 (bob's)


def check_findings(findings: pd.DataFrame, tmp_path: Path) -> None:
    messages = opted_out(findings)
    assert set(messages) == EXPECTED_ROWS
    assert messages[2] == (
        f"photo 101 is opted out by removal request removal-request.json of {CREATED}: remove it "
        "from the dataset; its owner, or a person in it, asked for it not to be used"
    )
    assert "opt-out list publisher-opt-outs.txt line 2:" in messages[4]
    assert "opt-out list publisher-opt-outs.txt line 3 (owner Bob):" in messages[5]
    assert not any(str(tmp_path) in message for message in messages.values())
    # Nothing else in this manifest is an error: 101's repeat and the album row are warnings.
    assert set(findings.loc[findings["severity"] == "error", "rule"]) == {"opt-out"}


def test_offline_audit_flags_exactly_the_listed_photos(
    dataset: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    code, err = audit(capsys, dataset, out)
    assert code == EXIT_FINDINGS
    check_findings(pd.read_csv(out / "findings.csv", dtype=str), tmp_path)
    document = json.loads((out / "audit.json").read_text())
    jsonschema.validate(document, json.loads((ROOT / "docs" / "audit.schema.json").read_text()))
    assert document["summary"]["opt_outs"] == {
        "opted_out_photos": 4,
        "unmatched_entries": 2,
        "files": [
            {
                "file": "removal-request.json",
                "kind": "removal request",
                "created_at": CREATED,
                "entries": 2,
                "unmatched": 1,
            },
            {
                "file": "publisher-opt-outs.txt",
                "kind": "opt-out list",
                "created_at": None,
                "entries": 3,
                "unmatched": 1,
            },
        ],
    }
    assert document["summary"]["usable_photos"] == 2  # 102 and 106
    assert "opt-outs: 4 photo(s) opted out by removal-request.json, publisher-opt-outs.txt" in err
    assert (
        "warning: removal request removal-request.json: 1 of 2 entries matched no manifest row: "
        "photo 999"
    ) in err
    assert "line 4 (owner 44444444@N04)" in err


def test_the_whole_table_path_flags_the_same_and_junit_checks_the_rule(
    dataset: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    code, _ = audit(capsys, dataset, out, "--format", "junit")
    assert code == EXIT_FINDINGS
    check_findings(pd.read_csv(out / "findings.csv", dtype=str), tmp_path)
    junit = (out / "junit.xml").read_text()
    assert '<testsuite name="opt-out"' in junit
    suite = junit[junit.index('<testsuite name="opt-out"') :]
    suite = suite[: suite.index("</testsuite>")]
    assert "<skipped" not in suite and "<failure" in suite  # checked offline: the lists were given


def test_without_opt_outs_the_rule_is_not_checked_offline(
    dataset: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    args = ["audit", str(dataset["manifest"]), "--offline", "--output-dir", str(out)]
    code, _, _ = run_cli([*args, "--format", "junit"], capsys)
    assert code == EXIT_OK
    junit = (out / "junit.xml").read_text()
    suite = junit[junit.index('<testsuite name="opt-out"') :]
    assert "not checked offline" in suite[: suite.index("</testsuite>")]
    assert "summary" in json.loads((out / "audit.json").read_text())
    assert "opt_outs" not in json.loads((out / "audit.json").read_text())["summary"]


@pytest.mark.parametrize("severity", ["error", "warning"])
def test_clean_manifest_drops_the_opted_out_rows(
    dataset: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], severity: str
) -> None:
    policy = tmp_path / "mine.yaml"
    policy.write_text(
        f"id: mine\ndescription: d\nextends: commercial-training\n"
        f"severities:\n  opt-out: {severity}\n"
    )
    cleaned = tmp_path / "clean.csv"
    code, _ = audit(
        capsys, dataset, tmp_path / "out", "--policy", str(policy), "--clean-manifest", str(cleaned)
    )
    assert code == (EXIT_FINDINGS if severity == "error" else EXIT_OK)
    kept = pd.read_csv(cleaned, dtype=str)
    assert kept["photo_id"].dropna().tolist() == ["102", "106"]
    removals = pd.read_csv(tmp_path / "removals.csv", dtype=str)
    assert set(removals["source_row"].astype(int)) == EXPECTED_ROWS
    assert set(removals["rules"]) == {"opt-out"}


def test_a_policy_without_the_rule_on_is_refused(
    dataset: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = tmp_path / "quiet.yaml"
    policy.write_text("id: quiet\ndescription: d\nextends: commercial-training\n")
    policy.write_text(policy.read_text() + "severities:\n  opt-out: off\n")
    code, err = audit(capsys, dataset, tmp_path / "out", "--policy", str(policy))
    assert code == EXIT_USAGE
    assert err.count("\n") == 1 and "no active rule of policy quiet reads the --opt-outs" in err
    assert not (tmp_path / "out").exists()


def test_an_opt_out_file_is_never_an_output(
    dataset: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = dataset["list"].read_bytes()
    code, err = audit(capsys, dataset, tmp_path / "out", "--clean-manifest", str(dataset["list"]))
    assert code == EXIT_USAGE and err.count("\n") == 1
    assert dataset["list"].read_bytes() == before
    # An opt-out file named like a report, in the report folder.
    out = tmp_path / "reports"
    out.mkdir()
    inside = out / "summary.md"
    inside.write_text("7088065\n")
    code, err = audit(capsys, {**dataset, "list": inside}, out)
    assert code == EXIT_USAGE and err.count("\n") == 1
    assert inside.read_text() == "7088065\n"


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        (
            "removal-request.json",
            json.dumps(removal_request(["101"], schema_version=2)),
            "schema_version is 2",
        ),
        (
            "removal-request.json",
            json.dumps({k: v for k, v in removal_request(["101"]).items() if k != "created_at"}),
            "removal request key created_at: missing",
        ),
        ("ids.csv", "name,comment\nx,y\n", "no column of photo ids"),
        ("ids.txt", "101\nhttps://www.flickr.com/photos/a/albums/5\n", "ids.txt:2: "),
    ],
)
def test_a_bad_opt_out_file_is_one_line_exit_2(
    dataset: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    content: str,
    expected: str,
) -> None:
    bad = tmp_path / "bad" / name
    bad.parent.mkdir()
    bad.write_text(content)
    out = tmp_path / "out"
    code, err = audit(capsys, {**dataset, "list": bad}, out)
    assert code == EXIT_USAGE
    assert err.count("\n") == 1 and str(bad) in err and expected in err
    assert not out.exists()


def test_a_huge_opt_out_file_stops_at_the_limit(
    dataset: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    huge = tmp_path / "huge.txt"
    huge.write_text("101\n" * 10_000)
    code, _, err = run_cli(
        [
            "--limit",
            "opt-out-file=4KiB",
            "audit",
            str(dataset["manifest"]),
            "--offline",
            "--opt-outs",
            str(huge),
            "--output-dir",
            str(tmp_path / "out"),
        ],
        capsys,
    )
    assert code == EXIT_USAGE
    assert err.count("\n") == 1 and "the opt-out list is larger than 4 KiB" in err


def test_terminal_controls_in_a_file_name_are_escaped_on_stderr(
    dataset: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    evil = tmp_path / "evil\x1b]0;owned\x07.txt"
    evil.write_text("999\n")
    code, err = audit(capsys, {**dataset, "list": evil}, tmp_path / "out")
    assert code == EXIT_FINDINGS
    assert "\x1b" not in err and "\x07" not in err
    assert "opt-out list evil" in err  # the unmatched warning still names it


# -- live, against the stand-in -------------------------------------------------------------------

ALICE = Owner("11111111@N01", "alice", alias="alice")
CAROL = Owner("33333333@N03", "carol")


def test_live_audit_flags_them_too_and_by_the_owner_flickr_reports(
    tmp_path: Path,
    flickr_standin: Standin,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A COCO manifest names no owner: only Flickr's answer tells that 3002 and 3003 are
    Carol's, whose NSID the publisher's list names."""
    world = World()
    for owner in (ALICE, CAROL):
        world.add_owner(owner)
    world.add_photo(Photo("3001", ALICE.nsid, 4, 1_200_000_000))
    world.add_photo(Photo("3002", CAROL.nsid, 4, 1_200_000_100))
    world.add_photo(Photo("3003", CAROL.nsid, 4, 1_200_000_200, tags=["no_cv"]))
    world.add_photo(Photo("3004", ALICE.nsid, 4, 1_200_000_300))
    standin = flickr_standin(world)
    coco = tmp_path / "coco.json"
    coco.write_text(
        json.dumps(
            {
                "licenses": [{"id": 4, "name": "Attribution License", "url": ""}],
                "images": [
                    {
                        "id": n,
                        "license": 4,
                        "flickr_url": f"http://farm1.staticflickr.com/1/{photo_id}_abc.jpg",
                    }
                    for n, photo_id in enumerate(["3001", "3002", "3003", "3004"], start=1)
                ],
                "annotations": [],
                "categories": [],
            }
        )
    )
    request = tmp_path / "removal-request.json"
    request.write_text(json.dumps(removal_request(["3004"])))
    owners = tmp_path / "owners.csv"
    owners.write_text("owner_nsid,date\n33333333@N03,2026-11-30\n")
    monkeypatch.setenv("FLICKR_API_KEY", VALID_KEY)
    monkeypatch.setattr(auditor.audit, "RETRY_BACKOFF", (0.01, 0.05))
    out = tmp_path / "out"
    lists = ["--opt-outs", str(request), "--opt-outs", str(owners)]
    state = ["--state", str(tmp_path / "state.sqlite"), "--rate-limit", "3600000"]
    args = ["audit", str(coco), *lists, "--api-url", standin.url, *state]
    code, _, err = run_cli([*args, "--output-dir", str(out)], capsys)
    assert code == EXIT_FINDINGS, err
    findings = pd.read_csv(out / "findings.csv", dtype=str)
    mine = findings[findings["rule"] == "opt-out"].set_index("photo_id")["message"].to_dict()
    assert set(mine) == {"3002", "3003", "3004"}
    assert "opt-out list owners.csv line 2 of 2026-11-30 (owner 33333333@N03)" in mine["3002"]
    assert "its opt-out tag nocv and opt-out list owners.csv line 2 of" in mine["3003"]
    assert f"removal request removal-request.json of {CREATED}" in mine["3004"]
    summary = json.loads((out / "audit.json").read_text())["summary"]
    assert summary["opt_outs"]["opted_out_photos"] == 3
    assert "matched no manifest row" not in err


# -- the photographer's loop ----------------------------------------------------------------------


def audit_with(
    request: Path, manifest: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> list[str]:
    """The photo ids of the opt-out findings of an offline audit with `request`, each of whose
    entries must match a row."""
    out = tmp_path / "out"
    code, _, err = run_cli(
        ["audit", str(manifest), "--offline", "--opt-outs", str(request), "--output-dir", str(out)],
        capsys,
    )
    assert code == EXIT_FINDINGS
    assert "matched no manifest row" not in err
    findings = pd.read_csv(out / "findings.csv", dtype=str)
    return list(findings.loc[findings["rule"] == "opt-out", "photo_id"])


def test_a_request_built_per_the_schema_flags_exactly_its_photos(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The loop of issue 13: the removal-request.json of an `owner` run, fed to `audit
    --opt-outs`, flags exactly its photos. Built here per docs/removal-request.md (schema 1),
    with the photos `owner` finds for alice offline (her NSID in the owner field)."""
    manifest = write_manifest(tmp_path)
    request = tmp_path / "removal-request.json"
    request.write_text(json.dumps(removal_request(["101", "102"])))
    assert sorted(audit_with(request, manifest, tmp_path, capsys)) == ["101", "101", "102"]


def test_the_request_of_a_real_owner_run_flags_exactly_its_photos(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same loop with `flickr-audit owner`'s own removal-request.json, once it writes one."""
    manifest = write_manifest(tmp_path)
    letter = tmp_path / "letter"
    code, _, err = run_cli(
        ["owner", "alice", str(manifest), "--offline", "--output-dir", str(letter)], capsys
    )
    assert code == EXIT_OK, err
    request = letter / "removal-request.json"
    if not request.exists():
        pytest.skip("flickr-audit owner writes no removal-request.json yet (issue 13 item 5)")
    photo_ids = {photo["photo_id"] for photo in json.loads(request.read_text())["photos"]}
    assert photo_ids == {"101", "102"}
    assert set(audit_with(request, manifest, tmp_path, capsys)) == photo_ids


@pytest.mark.parametrize(
    "entry",
    [
        "spike_yun",  # path alias: in the photo page URLs only
        "132051449@N06",  # NSID: the owner field
        "https://www.flickr.com/photos/spike_yun/",  # profile URL
        None,  # the removal-request.json of `owner spike_yun` on the same files
    ],
)
def test_real_api_fixtures_an_owner_or_their_request_opts_out_all_their_photos(
    realdata: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], entry: str | None
) -> None:
    """The Flickr Foundation's recorded API answers (an album and one account's photos): any
    one identifier of the account, or the request `owner` writes for it, opts out all 109 of
    its photos (110 rows: one is listed twice), and nothing else."""
    answers = realdata / "flickr_foundation_photos_api" / "api_responses"
    files = [str(answers / "album-72157677773252346.json"), str(answers / "user-spike_yun.json")]
    if entry is None:
        letter = tmp_path / "letter"
        code, _, err = run_cli(["owner", "spike_yun", *files, "--output-dir", str(letter)], capsys)
        assert code == EXIT_OK, err
        listed = letter / "removal-request.json"
    else:
        listed = tmp_path / "owners.txt"
        listed.write_text(entry + "\n")
    out = tmp_path / "out"
    code, _, err = run_cli(
        ["audit", *files, "--offline", "--opt-outs", str(listed), "--output-dir", str(out)], capsys
    )
    assert code == EXIT_FINDINGS, err
    summary = json.loads((out / "audit.json").read_text())["summary"]
    assert summary["opt_outs"]["opted_out_photos"] == 109
    assert summary["opt_outs"]["unmatched_entries"] == 0
    findings = pd.read_csv(out / "findings.csv", dtype=str)
    opted = findings[findings["rule"] == "opt-out"]
    assert len(opted) == 110 and opted["photo_id"].nunique() == 109
    assert (opted["owner"] == "132051449@N06").all()
