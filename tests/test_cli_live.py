"""`flickr-audit audit` live, end to end, against the Flickr stand-in over real HTTP: a YFCC100M
manifest (owners and upload dates) and a COCO one (static URLs only) are flagged exactly, with
faults injected, after a SIGKILL, and without the key ever being written anywhere."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from flickr_standin import VALID_KEY, Faults, FlickrStandIn, Owner, Photo, World

import auditor.audit
from auditor import cli
from auditor.errors import EXIT_FINDINGS, EXIT_USAGE
from auditor.flickr.parse import LICENCES

Standin = Callable[..., FlickrStandIn]
T0 = 1_200_000_000
ALICE = Owner("11111111@N01", "alice", alias="alice-photos")
BOB = Owner("22222222@N02", "bob")
COCO_OWNER = Owner("33333333@N03", "carol")

# What each manifest photo is on Flickr now, and the rules commercial-training should raise.
# (photo id, owner, current licence id, recorded licence id, extra Photo fields, expected rules)
CASES: list[tuple[str, Owner, int, int, dict[str, object], set[str]]] = [
    ("1001", ALICE, 4, 4, {}, set()),
    ("1002", ALICE, 4, 4, {}, set()),
    (
        "1003",
        ALICE,
        2,
        4,
        {"history": [(1_300_000_000, 4, 2)]},
        {"non-commercial", "licence-changed"},
    ),
    ("1004", ALICE, 2, 2, {}, {"non-commercial"}),
    ("1005", ALICE, 6, 6, {}, {"no-derivatives"}),
    (
        "1006",
        ALICE,
        0,
        4,
        {"history": [(1_300_000_000, 4, 0)]},
        {"all-rights-reserved", "licence-changed"},
    ),
    ("1007", ALICE, 4, 4, {"tags": ["no_cv"]}, {"opt-out"}),
    (
        "1008",
        ALICE,
        4,
        4,
        {"safety_level": 2},
        set(),
    ),  # restricted: not listed, getInfo says public
    ("1009", ALICE, 4, 4, {"public": False}, {"not-public"}),
    ("1010", ALICE, 4, 4, {"deleted": True}, {"not-public"}),
    ("1011", ALICE, 9, 4, {"history": [(1_300_000_000, 4, 9)]}, {"licence-changed"}),
    ("2001", BOB, 5, 5, {}, set()),
    ("2002", BOB, 3, 3, {}, {"non-commercial", "no-derivatives"}),
    ("2003", BOB, 4, 4, {}, set()),
]
COCO_CASES: list[tuple[str, int, int, set[str]]] = [
    ("3001", 4, 4, set()),
    ("3002", 1, 1, {"non-commercial"}),
    ("3003", 16, 4, {"non-commercial", "no-derivatives", "licence-changed"}),
    ("3004", 4, 4, {"not-public"}),  # deleted
    ("3005", 4, 4, {"unverified"}),  # getInfo always fails for it
]
UNVERIFIABLE = "3005"
CASES_IDS = [photo_id for photo_id, owner, *_ in CASES if owner is ALICE]


def make_world(extra_alice: int = 700) -> World:
    world = World()
    for owner in (ALICE, BOB, COCO_OWNER):
        world.add_owner(owner)
    for i in range(extra_alice):  # ALICE has many more public photos than the manifest lists
        world.add_photo(Photo(str(50000 + i), ALICE.nsid, 4, T0 + 100 * i + 7))
    for n, (photo_id, owner, current, _, extra, _) in enumerate(CASES):
        world.add_photo(Photo(photo_id, owner.nsid, current, T0 + 1000 * n, **extra))  # type: ignore[arg-type]
    for n, (photo_id, current, _, _) in enumerate(COCO_CASES):
        world.add_photo(
            Photo(
                photo_id,
                COCO_OWNER.nsid,
                current,
                T0 + n,
                deleted=photo_id == "3004",
                # Restricted, so no listing shows it: only its (always failing) getInfo could.
                safety_level=2 if photo_id == UNVERIFIABLE else 0,
                title=f"Harbour & boats {photo_id}",
            )
        )
    return world


def yfcc_line(photo_id: str, owner: Owner, uploaded: int, licence_id: int) -> str:
    urls = {
        1: "by-nc-sa",
        2: "by-nc",
        3: "by-nc-nd",
        4: "by",
        5: "by-sa",
        6: "by-nd",
    }
    licence_url = f"http://creativecommons.org/licenses/{urls[licence_id]}/2.0/"
    fields = [
        photo_id,
        owner.nsid,
        owner.username,
        "2008-01-01 00:00:00.0",
        str(uploaded),
        "",
        "title",
        "",
        "",
        "",
        "",
        "",
        "",
        f"http://www.flickr.com/photos/{owner.nsid}/{photo_id}/",
        f"http://farm1.staticflickr.com/1/{photo_id}_abcdef1234.jpg",
        "Attribution License",
        licence_url,
        "1",
        "1",
        "abcdef1234",
        "abcdef1234",
        "jpg",
        "0",
    ]
    return "\t".join(fields)


def write_manifests(tmp_path: Path, world: World) -> tuple[Path, Path]:
    yfcc = tmp_path / "yfcc.tsv"
    yfcc.write_text(
        "\n".join(
            yfcc_line(photo_id, owner, world.photos[photo_id].uploaded_at, recorded)
            for photo_id, owner, _, recorded, _, _ in CASES
        )
        + "\n"
    )
    coco = tmp_path / "coco.json"
    coco.write_text(
        json.dumps(
            {
                "info": {"description": "test"},
                "licenses": [
                    {
                        "id": 1,
                        "name": "Attribution-NonCommercial-ShareAlike License",
                        "url": "http://creativecommons.org/licenses/by-nc-sa/2.0/",
                    },
                    {
                        "id": 4,
                        "name": "Attribution License",
                        "url": "http://creativecommons.org/licenses/by/2.0/",
                    },
                ],
                "images": [
                    {
                        "id": n,
                        "file_name": f"{n}.jpg",
                        "license": recorded,
                        "flickr_url": f"http://farm1.staticflickr.com/1/{photo_id}_abcdef1234.jpg",
                        "date_captured": "2013-11-14 16:28:13",
                    }
                    for n, (photo_id, _, recorded, _) in enumerate(COCO_CASES, start=1)
                ],
                "annotations": [],
                "categories": [],
            }
        )
    )
    return yfcc, coco


def expected() -> dict[str, set[str]]:
    wanted = {photo_id: rules for photo_id, _, _, _, _, rules in CASES}
    wanted.update({photo_id: rules for photo_id, _, _, rules in COCO_CASES})
    return wanted


def fired(findings: pd.DataFrame) -> dict[str, set[str]]:
    result: dict[str, set[str]] = {photo_id: set() for photo_id in expected()}
    for photo_id, rule in zip(findings["photo_id"], findings["rule"], strict=True):
        result[str(photo_id)].add(rule)
    return result


def faults_for_unverifiable(rate: float = 0.0) -> Faults:
    return Faults(
        rate=rate,
        seed=3,
        retry_after=0,
        photo_faults={UNVERIFIABLE: "http503"},
    )


@pytest.fixture
def live_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("FLICKR_API_KEY", VALID_KEY)
    monkeypatch.setattr(auditor.audit, "RETRY_BACKOFF", (0.01, 0.05))  # retries without real waits
    return tmp_path


def audit(
    capsys: pytest.CaptureFixture[str], standin: FlickrStandIn, tmp_path: Path, *extra: str
) -> tuple[int, str, pd.DataFrame]:
    yfcc, coco = write_manifests(tmp_path, standin.world)
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exited:
        cli.main(
            [
                "audit",
                str(yfcc),
                str(coco),
                "--policy",
                "commercial-training",
                "--api-url",
                standin.url,
                "--state",
                str(tmp_path / "state.sqlite"),
                "--rate-limit",
                "3600000",
                "--output-dir",
                str(out),
                *extra,
            ]
        )
    _, err = capsys.readouterr()
    findings = pd.read_csv(out / "findings.csv", dtype=str, keep_default_na=False)
    code = exited.value.code
    return (code if isinstance(code, int) else 0), err, findings


def test_live_audit_flags_exactly_the_right_photos(
    live_env: Path, flickr_standin: Standin, capsys: pytest.CaptureFixture[str]
) -> None:
    standin = flickr_standin(make_world(), faults=faults_for_unverifiable())
    code, err, findings = audit(capsys, standin, live_env)
    assert code == EXIT_FINDINGS
    assert fired(findings) == expected()
    assert "live status: 19 photo(s)" in err
    report = json.loads((live_env / "out" / "audit.json").read_text())
    assert report["run"]["mode"] == "live"
    calls = report["run"]["api_calls"]
    assert calls["flickr.photos.licenses.getInfo"] == 1
    assert findings["fetched_at"].str.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$").all()
    # COCO names no owners; Flickr does: the visible COCO photos are reported as its owner's.
    coco_rows = findings[findings["source_file"].str.endswith("coco.json")]
    visible = coco_rows[coco_rows["visibility"] == "public"]
    assert len(visible) > 0 and (visible["owner"] == COCO_OWNER.nsid).all()
    assert (visible["owner_name"] == COCO_OWNER.username).all()
    assert (coco_rows.loc[coco_rows["visibility"] != "public", "owner"] == "").all()
    # ALICE's 11 photos came from listings, not 11 getInfo calls.
    assert calls.get("flickr.photos.search", 0) + calls.get("flickr.people.getPublicPhotos", 0) >= 1


def test_transient_faults_give_the_same_findings(
    live_env: Path, flickr_standin: Standin, capsys: pytest.CaptureFixture[str]
) -> None:
    standin = flickr_standin(make_world(), faults=faults_for_unverifiable(rate=0.1))
    code, _, findings = audit(capsys, standin, live_env)
    assert code == EXIT_FINDINGS
    assert fired(findings) == expected()


def test_the_key_is_never_written(
    live_env: Path, flickr_standin: Standin, capsys: pytest.CaptureFixture[str]
) -> None:
    standin = flickr_standin(make_world(), faults=faults_for_unverifiable(rate=0.2))
    _, err, _ = audit(capsys, standin, live_env, "--verbose")
    assert VALID_KEY not in err
    # --verbose shows every call attempt, failed ones with their (redacted) reason.
    assert "flickr-audit: flickr.photos.licenses.getInfo : ok in" in err
    assert re.search(r"flickr-audit: flickr\.photos\.getInfo photo_id=\d+: attempt 1 failed", err)
    for path in live_env.rglob("*"):
        if path.is_file():
            assert VALID_KEY.encode() not in path.read_bytes(), path


def test_a_reason_phrase_echoing_the_key_is_never_written(
    live_env: Path, flickr_standin: Standin, capsys: pytest.CaptureFixture[str]
) -> None:
    # A proxy answering "503 Busy /services/rest/?...&api_key=..." for one photo, every time:
    # the reason reaches the warning on stderr, the state file's error column and photos.csv.
    # Random faults could hit one photo five times in a row; a script cannot: the first three
    # requests (licenses.getInfo, then its retries) get the echo too.
    faults = Faults(retry_after=0, photo_faults={UNVERIFIABLE: "echo503"}, script=["echo503"] * 3)
    standin = flickr_standin(make_world(), faults=faults)
    code, err, findings = audit(capsys, standin, live_env, "--verbose", "--format", "csv")
    assert code == EXIT_FINDINGS
    assert fired(findings) == expected()
    assert "HTTP 503 Busy /services/rest/?..." in err  # the reason is kept, its query dropped
    assert VALID_KEY not in err
    for path in live_env.rglob("*"):
        if path.is_file():
            assert VALID_KEY.encode() not in path.read_bytes(), path
    with sqlite3.connect(live_env / "state.sqlite") as db:
        errors = [row[0] for row in db.execute("SELECT error FROM photos WHERE error != ''")]
    assert errors and all(VALID_KEY not in error for error in errors)


def test_odd_answers_end_unverified_or_not_public_never_clean(
    live_env: Path, flickr_standin: Standin, capsys: pytest.CaptureFixture[str]
) -> None:
    """A misbehaving Flickr: photos answered `ispublic: 0` (in a listing and by getInfo), a
    getInfo answering another photo, a licence id no SQLite integer holds, and a licence table
    that never comes. The audit finishes with reports; no such photo passes."""
    world = make_world()
    for photo in (
        Photo("4001", ALICE.nsid, 4, T0 + 51, answers_not_public=True),  # listed ispublic 0
        Photo("4002", COCO_OWNER.nsid, 4, T0 + 52, answers_not_public=True),  # by getInfo
        Photo("4003", COCO_OWNER.nsid, 4, T0 + 53, answered_as="3001"),
        Photo("4004", COCO_OWNER.nsid, 2**70, T0 + 54),
    ):
        world.add_photo(photo)
    faults = Faults(rate=1.0, kinds=("http503",), methods=frozenset({LICENCES}))
    standin = flickr_standin(world, faults=faults)
    manifest = live_env / "odd.csv"
    rows = [f"https://www.flickr.com/photos/{ALICE.nsid}/{p}/,{ALICE.nsid}" for p in CASES_IDS]
    rows.append(f"https://www.flickr.com/photos/{ALICE.nsid}/4001/,{ALICE.nsid}")
    rows += [f"https://live.staticflickr.com/1/{p}_abcdef1234.jpg," for p in ("4002", "4003")]
    rows.append("https://live.staticflickr.com/1/4004_abcdef1234.jpg,")
    manifest.write_text("photo_url,owner\n" + "\n".join(rows) + "\n")
    out = live_env / "out"
    with pytest.raises(SystemExit) as exited:
        cli.main(
            [
                "audit",
                str(manifest),
                "--api-url",
                standin.url,
                "--state",
                str(live_env / "state.sqlite"),
                "--rate-limit",
                "3600000",
                "--output-dir",
                str(out),
            ]
        )
    _, err = capsys.readouterr()
    assert exited.value.code == EXIT_FINDINGS, err
    assert "Traceback" not in err
    assert "licence table could not be fetched" in err
    findings = pd.read_csv(out / "findings.csv", dtype=str, keep_default_na=False)
    rules = findings.groupby("photo_id")["rule"].agg(set).to_dict()
    assert "not-public" in rules["4001"] and "not-public" in rules["4002"]
    assert "unverified" in rules["4003"] and "unverified" in rules["4004"]
    # The answer about 3001 was not filed under 4003, nor under 3001 (not in this manifest).
    assert "3001" not in rules


def test_invalid_key_exits_2_with_one_line(
    live_env: Path,
    flickr_standin: Standin,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FLICKR_API_KEY", "not-the-key")
    standin = flickr_standin(make_world())
    yfcc, _ = write_manifests(live_env, standin.world)
    with pytest.raises(SystemExit) as exited:
        cli.main(
            [
                "audit",
                str(yfcc),
                "--api-url",
                standin.url,
                "--state",
                str(live_env / "s.sqlite"),
                "--output-dir",
                str(live_env / "o"),
            ]
        )
    _, err = capsys.readouterr()
    assert exited.value.code == EXIT_USAGE
    errors = [line for line in err.splitlines() if line.startswith("flickr-audit: error:")]
    assert len(errors) == 1 and "rejected the API key" in errors[0], err
    assert "not-the-key" not in err and "Traceback" not in err


def test_api_key_file_and_bad_options(
    tmp_path: Path,
    flickr_standin: Standin,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("FLICKR_API_KEY", raising=False)
    monkeypatch.setattr(auditor.audit, "RETRY_BACKOFF", (0.01, 0.05))
    standin = flickr_standin(make_world(), faults=faults_for_unverifiable())
    key_file = tmp_path / "key.txt"
    key_file.write_text(VALID_KEY + "\n")
    code, err, _ = audit(capsys, standin, tmp_path, "--api-key-file", str(key_file))
    assert code == EXIT_FINDINGS and "live status" in err
    for args, fragment in [
        (["--api-key-file", str(tmp_path / "missing.txt")], "cannot read the API key"),
        (["--max-age", "soon"], "is not an age"),
        (["--rate-limit", "0"], "at least 1"),
    ]:
        with pytest.raises(SystemExit) as exited:
            cli.main(["audit", "--api-url", standin.url, *args])
        _, err = capsys.readouterr()
        assert exited.value.code == EXIT_USAGE, err
        assert fragment in err and "Traceback" not in err


def test_sigkill_half_way_then_resume(tmp_path: Path, flickr_standin: Standin) -> None:
    """A live run killed with SIGKILL mid-fetch, started again: same findings, and what the
    first run stored is not fetched again."""
    world = make_world(extra_alice=0)
    # Many photos without owners, each of a different owner (nothing to list): one getInfo
    # each, slow enough to kill the run half-way.
    for i in range(300):
        owner = world.add_owner(Owner(f"{60000000 + i}@N05", f"user{i}"))
        world.add_photo(Photo(str(70000 + i), owner.nsid, 4 if i % 3 else 2, T0 + i))
    standin = flickr_standin(world, latency=0.02)
    ids = tmp_path / "ids.txt"
    ids.write_text(
        "".join(f"https://www.flickr.com/photo.gne?id={70000 + i}\n" for i in range(300))
    )
    env = {**os.environ, "FLICKR_API_KEY": VALID_KEY, "FLICKR_API_URL": standin.url}

    def command(out: str, state: str = "state.sqlite") -> list[str]:
        return [
            sys.executable,
            "-m",
            "auditor",
            "audit",
            str(ids),
            "--state",
            str(tmp_path / state),
            "--rate-limit",
            "144000",
            "--output-dir",
            str(tmp_path / out),
        ]

    first = subprocess.Popen(
        command("first"), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    state = tmp_path / "state.sqlite"
    stored = 0
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and stored < 120:
        time.sleep(0.1)
        if state.exists():
            try:
                with sqlite3.connect(state) as db:
                    stored = db.execute("SELECT count(*) FROM photos").fetchone()[0]
            except sqlite3.OperationalError:
                continue
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert 100 <= stored < 300, stored
    before = standin.calls()["flickr.photos.getInfo"]
    resumed = subprocess.run(
        command("resumed"), env=env, capture_output=True, text=True, check=False
    )
    assert resumed.returncode == EXIT_FINDINGS, resumed.stderr
    refetched = standin.calls()["flickr.photos.getInfo"] - before
    with sqlite3.connect(state) as db:
        assert db.execute("SELECT count(*) FROM photos").fetchone()[0] == 300
    # Only what the killed run had not stored is fetched again (plus the batch in flight).
    assert refetched <= 300 - stored + 20, (refetched, stored)
    clean = subprocess.run(
        command("clean", "clean.sqlite"), env=env, capture_output=True, text=True, check=False
    )
    assert clean.returncode == EXIT_FINDINGS, clean.stderr
    columns = ["photo_id", "rule", "severity", "source_row", "message"]
    resumed_findings = pd.read_csv(tmp_path / "resumed" / "findings.csv", dtype=str)[columns]
    clean_findings = pd.read_csv(tmp_path / "clean" / "findings.csv", dtype=str)[columns]
    pd.testing.assert_frame_equal(resumed_findings, clean_findings)


def test_live_credits_name_the_flickr_owner_and_title(
    live_env: Path, flickr_standin: Standin, capsys: pytest.CaptureFixture[str]
) -> None:
    """COCO rows carry neither author nor title; a live audit's credits take both from Flickr
    (getInfo's HTML-escaped title read back as text)."""
    standin = flickr_standin(make_world(), faults=faults_for_unverifiable())
    credits = live_env / "credits.csv"
    code, err, _ = audit(capsys, standin, live_env, "--credits", str(credits))
    assert code == EXIT_FINDINGS, err
    rows = pd.read_csv(credits, dtype=str, keep_default_na=False).set_index("photo_id")
    kept = rows.loc["3001"]  # CC BY, public, no error finding
    assert kept["author"] == COCO_OWNER.username
    assert kept["title"] == "Harbour & boats 3001"
    assert kept["page_url"].startswith(f"https://www.flickr.com/photos/{COCO_OWNER.nsid}/3001")


def test_a_live_audit_says_its_plan_and_plan_asks_nothing(
    live_env: Path, flickr_standin: Standin, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before a live audit, one line with the photos, the calls and the time; `--plan` prints
    it and exits without a call, a report or a state file (and without a key)."""
    standin = flickr_standin(make_world(), faults=faults_for_unverifiable())
    yfcc, coco = write_manifests(live_env, standin.world)
    state = live_env / "planned.sqlite"
    for manifests, wording in [
        ([yfcc], "call(s), about"),  # owners named: the plan is known
        ([yfcc, coco], "call(s) (an estimate: owner discovery"),  # COCO names none
    ]:
        with pytest.raises(SystemExit) as exited:
            cli.main(
                [
                    "audit",
                    *map(str, manifests),
                    "--plan",
                    "--api-url",
                    standin.url,
                    "--state",
                    str(state),
                    "--output-dir",
                    str(live_env / "planned"),
                ]
            )
        _, err = capsys.readouterr()
        assert exited.value.code == 0, err
        (line,) = [text for text in err.splitlines() if text.startswith("plan: ")]
        photos = 14 if len(manifests) == 1 else 19
        assert line.startswith(f"plan: {photos} photo(s) to check (0 fresh in the state)")
        assert wording in line and line.endswith("at 3,600 calls/h")
        assert ("estimate" in line) == (len(manifests) == 2)
    assert sum(standin.calls().values()) == 0
    assert not state.exists() and not (live_env / "planned").exists()
    _, err, _ = audit(capsys, standin, live_env)
    assert "plan: 19 photo(s) to check (0 fresh in the state), at most" in err
