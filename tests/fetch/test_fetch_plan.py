"""The live fetch over real HTTP against the Flickr stand-in: the right status for every photo,
few calls (listings where they pay, getInfo where they do not), resumable, fault-tolerant."""

from __future__ import annotations

import bisect
import random
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from flickr_standin import VALID_KEY, Faults, FlickrStandIn, Owner, Photo, World
from planner_world import RecordingBucket

from auditor.fetch import FetchOptions, fetch_status, with_live_status
from auditor.flickr import FlickrClient, InvalidKey, PhotoStatus, TokenBucket
from auditor.manifests.read import read_manifests
from auditor.state import StateStore

Standin = Callable[..., FlickrStandIn]
T0 = 1_300_000_000  # uploads start here, one an hour

BIG = Owner("1000@N01", "bigowner", alias="big-owner")
SMALL = Owner("2000@N02", "smallowner")
ALIASED = Owner("3000@N03", "Aliased Person", alias="aliased")
COCO = Owner("4000@N04", "cocoowner")


def make_world() -> World:
    world = World()
    for owner in (BIG, SMALL, ALIASED, COCO):
        world.add_owner(owner)
    for i in range(1200):  # BIG: 1,200 public photos, ids 100000..101199
        world.add_photo(Photo(str(100000 + i), BIG.nsid, 4, T0 + 3600 * i))
    # BIG's photos that listings do not show: restricted, private, deleted.
    world.add_photo(Photo("190001", BIG.nsid, 4, T0 + 50, safety_level=2, tags=["no_cv"]))
    world.add_photo(Photo("190002", BIG.nsid, 4, T0 + 60, public=False))
    world.add_photo(Photo("190003", BIG.nsid, 4, T0 + 70, deleted=True))
    # Changed licences, with history: BIG's photo 100010 BY → BY-NC in 2015.
    world.photos["100010"].licence_id = 2
    world.photos["100010"].history = [(1_420_000_000, 4, 2)]
    for i in range(3):
        world.add_photo(Photo(str(200000 + i), SMALL.nsid, 5, T0 + i))
    for i in range(4):
        world.add_photo(Photo(str(300000 + i), ALIASED.nsid, 1, T0 + i, tags=["Sea Side"]))
    for i in range(3):
        world.add_photo(Photo(str(400000 + i), COCO.nsid, 6, T0 + i))
    return world


MANIFEST_IDS = (
    [str(100000 + i) for i in range(0, 1200, 40)]  # 30 of BIG's, spread over its uploads
    + ["100010", "190001", "190002", "190003"]
)


def manifest(tmp_path: Path) -> Path:
    """A CSV with owners and upload times for BIG, owners only for SMALL and ALIASED, nothing
    but ids for the COCO-like rows; BIG's 100010 recorded as CC BY (it is BY-NC now)."""
    lines = ["photo_id,owner,license,date_uploaded,date_crawled"]
    world = make_world()
    for photo_id in MANIFEST_IDS:
        photo = world.photos[photo_id]
        lines.append(f"{photo_id},{BIG.nsid},4,{photo.uploaded_at},2016-01-01")
    lines += [f"{200000 + i},{SMALL.nsid},5,," for i in range(3)]
    lines += [f"{300000 + i},aliased,1,," for i in range(4)]
    lines += [f"{400000 + i},,6,," for i in range(3)]
    lines.append("100000,1000@N01,4,,")  # listed twice: fetched once
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "m.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def client_for(standin: FlickrStandIn, **kwargs: object) -> FlickrClient:
    return FlickrClient(
        VALID_KEY,
        api_url=standin.url,
        limiter=TokenBucket(3_600_000),
        backoff=(0.001, 0.01),
        **kwargs,  # type: ignore[arg-type]
    )


def run(
    tmp_path: Path, standin: FlickrStandIn, **options: object
) -> tuple[pd.DataFrame, dict[str, int]]:
    photos = read_manifests([manifest(tmp_path)]).photos
    with client_for(standin) as client, StateStore(tmp_path / "state.sqlite") as store:
        report = fetch_status(photos, client, store, options=FetchOptions(**options))  # type: ignore[arg-type]
    return report.statuses.set_index("photo_id"), report.api_calls


def test_every_photo_gets_its_status(tmp_path: Path, flickr_standin: Standin) -> None:
    standin = flickr_standin(make_world())
    statuses, calls = run(tmp_path, standin)
    assert len(statuses) == 31 + 3 + 3 + 4 + 3
    visible = statuses.loc[statuses["visibility"] == "public"]
    assert statuses.loc["190001", "visibility"] == "public"  # restricted: found by getInfo
    assert statuses.loc["190001", "tags"] == "nocv"
    assert statuses.loc[["190002", "190003"], "visibility"].tolist() == ["not-public"] * 2
    assert statuses.loc["100010", "licence"] == "cc-by-nc-2.0"
    assert statuses.loc["100040", "licence"] == "cc-by-2.0"
    assert statuses.loc["300000", "tags"] == "seaside"
    assert statuses.loc["400001", "licence"] == "cc-by-nd-2.0"
    assert set(visible["owner_nsid"]) == {BIG.nsid, SMALL.nsid, ALIASED.nsid, COCO.nsid}
    assert statuses["history"].notna().tolist().count(True) == 1  # only the changed photo
    # Fewer calls than one getInfo per photo: BIG's 30 listed photos come from search pages.
    assert calls.get("flickr.photos.licenses.getInfo") == 1
    assert calls.get("flickr.photos.licenses.getLicenseHistory") == 1
    assert calls.get("flickr.urls.lookupUser") == 1
    assert calls.get("flickr.photos.search", 0) + calls.get("flickr.people.getPublicPhotos", 0) >= 1
    assert sum(calls.values()) < len(statuses)


def test_live_columns_for_the_rules(tmp_path: Path, flickr_standin: Standin) -> None:
    standin = flickr_standin(make_world())
    statuses, _ = run(tmp_path, standin)
    photos = read_manifests([manifest(tmp_path)]).photos
    table = with_live_status(photos, statuses.reset_index()).set_index("source_row")
    # Row 4 is photo 100010... rows count from the header line (1): 100000 is row 2.
    changed = table.loc[table["photo_id"] == "100010"].iloc[0]
    assert changed["current_licence"] == "cc-by-nc-2.0"
    assert changed["licence_changed_at"] == "2014-12-31T04:26:40Z"
    assert changed["licence_at_collection"] == "cc-by-nc-2.0"  # collected 2016, after the change
    assert changed["fetch_status"].startswith("found by flickr.")
    gone = table.loc[table["photo_id"] == "190003"].iloc[0]
    assert pd.isna(gone["current_licence"]) and gone["visibility"] == "not-public"
    assert "not found" in gone["fetch_status"]
    assert table["fetched_at"].notna().sum() == len(table)


def test_second_run_reuses_the_state(tmp_path: Path, flickr_standin: Standin) -> None:
    standin = flickr_standin(make_world())
    first, _ = run(tmp_path, standin)
    before = sum(standin.calls().values())
    second, calls = run(tmp_path, standin)
    assert sum(standin.calls().values()) == before  # nothing to ask, not even the licences
    assert calls == {}
    pd.testing.assert_frame_equal(first, second)
    third, calls = run(tmp_path, standin, refresh=True)
    assert sum(calls.values()) > 10
    assert third["licence"].equals(first["licence"])


def test_transient_faults_change_nothing(tmp_path: Path, flickr_standin: Standin) -> None:
    clean, _ = run(tmp_path / "a", flickr_standin(make_world()))
    faulty = flickr_standin(make_world(), faults=Faults(rate=0.1, seed=7, retry_after=0))
    noisy, _ = run(tmp_path / "b", faulty)
    columns = ["status", "licence", "visibility", "tags", "owner_nsid"]
    pd.testing.assert_frame_equal(clean[columns], noisy[columns])


def test_a_photo_that_keeps_failing_is_an_error_and_retried_next_run(
    tmp_path: Path, flickr_standin: Standin
) -> None:
    world = make_world()
    standin = flickr_standin(
        world,
        faults=Faults(rate=1.0, kinds=("http503",), methods=frozenset({"flickr.photos.getInfo"})),
    )
    statuses, _ = run(tmp_path, standin)
    assert statuses.loc["400000", "status"] == "error"
    assert statuses.loc["400000", "visibility"] == "error"
    assert "503" in statuses.loc["400000", "error"]
    assert statuses.loc["100040", "status"] == "ok"  # listed, never needed getInfo
    standin.faults = Faults()
    again, _ = run(tmp_path, standin)
    assert again.loc["400000", "status"] == "ok"


def test_invalid_key_stops_at_once(tmp_path: Path, flickr_standin: Standin) -> None:
    standin = flickr_standin(make_world())
    photos = read_manifests([manifest(tmp_path)]).photos
    client = FlickrClient("wrong-key", api_url=standin.url, limiter=TokenBucket(3_600_000))
    with client, StateStore(tmp_path / "s.sqlite") as store, pytest.raises(InvalidKey) as raised:
        fetch_status(photos, client, store)
    assert "wrong-key" not in str(raised.value)
    assert sum(standin.calls().values()) == 1


def test_search_windows_split_past_the_cap(tmp_path: Path, flickr_standin: Standin) -> None:
    """An owner with 12,000 photos (three times the search cap) and 40 in the manifest, in four
    bursts: one window per burst, not 24 pages nor 40 getInfo calls."""
    world = World()
    world.add_owner(BIG)
    for i in range(12000):
        world.add_photo(Photo(str(500000 + i), BIG.nsid, 4, T0 + 600 * i))
    standin = flickr_standin(world)
    wanted = [500000 + start + k for start in (100, 4000, 7000, 11000) for k in range(0, 200, 20)]
    lines = ["photo_id,owner,license,date_uploaded"]
    lines += [f"{p},{BIG.nsid},4,{world.photos[str(p)].uploaded_at}" for p in wanted]
    path = tmp_path / "m.csv"
    path.write_text("\n".join(lines) + "\n")
    photos = read_manifests([path]).photos
    with client_for(standin) as client, StateStore(tmp_path / "s.sqlite") as store:
        report = fetch_status(photos, client, store)
    assert (report.statuses["status"] == "ok").all() and len(report.statuses) == 40
    calls = report.api_calls
    assert calls.get("flickr.photos.getInfo", 0) == 0
    assert calls["flickr.photos.search"] == 4
    # Every search stayed under the cap: no page past 4,000 results was ever asked for.
    for params in standin.requests:
        if params.get("method") == "flickr.photos.search":
            assert int(params["page"]) * int(params["per_page"]) <= 4000


def test_a_one_page_listing_is_complete(tmp_path: Path, flickr_standin: Standin) -> None:
    """An owner without upload times whose public photos fit on one getPublicPhotos page: the
    manifest photo that page did not show (restricted) gets its getInfo at once. A regression:
    it was once left unresolved and reported as an error."""
    world = World()
    world.add_owner(SMALL)
    for i in range(300):
        world.add_photo(Photo(str(600000 + i), SMALL.nsid, 4, T0 + 60 * i))
    world.add_photo(Photo("690001", SMALL.nsid, 4, T0 + 30, safety_level=2))
    standin = flickr_standin(world)
    wanted = [str(600000 + i) for i in range(0, 300, 15)] + ["690001"]
    path = tmp_path / "m.csv"
    path.write_text("photo_id,owner,license\n" + "".join(f"{p},{SMALL.nsid},4\n" for p in wanted))
    photos = read_manifests([path]).photos
    with client_for(standin) as client, StateStore(tmp_path / "s.sqlite") as store:
        report = fetch_status(photos, client, store)
    statuses = report.statuses.set_index("photo_id")
    assert (statuses["status"] == "ok").all() and len(statuses) == len(wanted)
    assert statuses.loc["690001", "visibility"] == "public"
    assert report.api_calls["flickr.people.getPublicPhotos"] == 1
    assert report.api_calls["flickr.photos.getInfo"] == 1


def test_status_record_never_files_a_not_public_answer_as_ok() -> None:
    from auditor.fetch.run import status_record
    from auditor.flickr.parse import Owner as FlickrOwner
    from auditor.flickr.parse import PhotoStatus
    from auditor.state import STATUS_NOT_PUBLIC, STATUS_OK

    def answer(public: bool) -> PhotoStatus:
        owner = FlickrOwner("1@N01", "u", None)
        return PhotoStatus("7", owner, 4, public, (), None, None, None, "m", raw={"id": "7"})

    assert status_record(answer(True)).status == STATUS_OK
    hidden = status_record(answer(False))
    assert hidden.status == STATUS_NOT_PUBLIC
    assert hidden.error and "not public" in hidden.error


def test_a_state_file_that_fills_up_mid_run_loses_no_answer(
    tmp_path: Path, flickr_standin: Standin
) -> None:
    """The disk holding the state is full when the first answers are saved: the fetch goes on,
    every photo gets the same status as with room to spare, and a warning says so."""
    standin = flickr_standin(make_world())
    expected, _ = run(tmp_path / "roomy", standin)
    photos = read_manifests([manifest(tmp_path)]).photos

    class FillingStore(StateStore):
        def save_photos(self, records: object, run_id: int | None = None) -> int:
            pages = self._db.execute("PRAGMA page_count").fetchone()[0]
            self._db.execute(f"PRAGMA max_page_count = {pages}")
            return super().save_photos(records, run_id)  # type: ignore[arg-type]

    with client_for(standin) as client, FillingStore(tmp_path / "state.sqlite") as store:
        report = fetch_status(photos, client, store)
    assert any("could not be written" in warning for warning in report.warnings)
    statuses = report.statuses.set_index("photo_id")
    columns = ["status", "licence", "visibility", "owner_nsid", "tags", "history"]
    pd.testing.assert_frame_equal(
        statuses.loc[expected.index, columns], expected[columns], check_dtype=False
    )


# -- manifests that name no owner: owner discovery over HTTP ----------------------------------


def heavy_world(seed: int, owners: int = 120, photos: int = 1612) -> tuple[World, list[str], int]:
    """`photos` manifest photos from `owners` owners with heavy-tailed (lognormal) shares, of a
    manifest that names no owner; each owner has more public photos than the manifest takes,
    and 5% of the manifest's are restricted, private or deleted. Returns the world, the
    manifest's ids, and issue 14's lower bound for them: the sum over owners of
    min(n, 1 + listing pages + photos no listing shows)."""
    rng = random.Random(seed)
    weights = [rng.lognormvariate(0.0, 1.5) for _ in range(owners)]
    shares = [1 + int((photos - owners) * w / sum(weights)) for w in weights]
    world = World()
    manifest: list[str] = []
    bound = 0
    next_id = 800_000
    for index, share in enumerate(shares):
        owner = world.add_owner(Owner(f"{7_000_000 + index}@N07", f"owner{index}"))
        public = share * 3 + rng.randrange(50)
        their = world.add_owner_photos(owner, public, start_id=next_id, start_time=T0)
        next_id += public
        chosen = rng.sample(their, share)
        for photo in chosen:
            if rng.random() < 0.05:
                kind = rng.randrange(3)
                photo.safety_level = 2 if kind == 0 else 0
                photo.public = kind != 1
                photo.deleted = kind == 2
        listable = sum(p.public and not p.deleted and p.safety_level == 0 for p in their)
        missing = sum(not (p.public and not p.deleted and p.safety_level == 0) for p in chosen)
        bound += min(share, 1 + -(-listable // 500) + missing)
        manifest.extend(p.photo_id for p in chosen)
    rng.shuffle(manifest)
    return world, manifest, bound


def url_list(path: Path, ids: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"https://www.flickr.com/photo.gne?id={p}\n" for p in ids))
    return path


def assert_as_the_world_says(world: World, statuses: pd.DataFrame) -> None:
    for photo_id, row in statuses.iterrows():
        photo = world.photos[str(photo_id)]
        if photo.public and not photo.deleted:
            assert row["visibility"] == "public", photo_id
            assert row["owner_nsid"] == photo.owner, photo_id
            assert row["licence"] == "cc-by-2.0", photo_id
        else:
            assert row["visibility"] == "not-public", photo_id


def test_an_owner_less_url_list_is_settled_within_the_bound_and_the_rate(
    tmp_path: Path, flickr_standin: Standin
) -> None:
    world, ids, bound = heavy_world(1)
    standin = flickr_standin(world)
    photos = read_manifests([url_list(tmp_path / "urls.txt", ids)]).photos
    bucket = RecordingBucket(360_000)  # 100 calls a second
    client = FlickrClient(VALID_KEY, api_url=standin.url, limiter=bucket, backoff=(0.001, 0.01))
    with client, StateStore(tmp_path / "s.sqlite") as store:
        report = fetch_status(photos, client, store)
    statuses = report.statuses.set_index("photo_id")
    assert len(statuses) == len(ids) and report.unverified == 0
    assert_as_the_world_says(world, statuses)
    calls = sum(report.api_calls.values()) - 1  # the licence table
    assert report.api_calls["flickr.people.getPublicPhotos"] >= 10
    assert calls <= 1.35 * bound, (calls, bound, report.api_calls)
    assert calls < len(ids) / 3
    # No window of one second ever saw more starts than the limit allows there.
    starts = sorted(bucket.starts)
    most = max(bisect.bisect_left(starts, t + 1.0) - i for i, t in enumerate(starts))
    assert most <= 100, f"{most} calls started within one second; the limit allows 100"


def test_transient_faults_do_not_change_an_owner_less_audit(
    tmp_path: Path, flickr_standin: Standin
) -> None:
    world, ids, _ = heavy_world(2)
    faults = Faults(rate=0.15, seed=11, retry_after=0)
    standin = flickr_standin(world, faults=faults)
    photos = read_manifests([url_list(tmp_path / "urls.txt", ids)]).photos
    with client_for(standin) as client, StateStore(tmp_path / "s.sqlite") as store:
        report = fetch_status(photos, client, store)
    assert report.unverified == 0
    assert_as_the_world_says(world, report.statuses.set_index("photo_id"))


def test_another_manifest_reuses_the_listings_kept_in_the_state(
    tmp_path: Path, flickr_standin: Standin
) -> None:
    """The first manifest's owners were listed; a second manifest of other photos of theirs
    is settled from the kept pages: only photos no listing shows are asked for."""
    world, ids, _ = heavy_world(3)
    standin = flickr_standin(world)
    state = tmp_path / "s.sqlite"
    photos = read_manifests([url_list(tmp_path / "a.txt", ids)]).photos
    with client_for(standin) as client, StateStore(state) as store:
        first = fetch_status(photos, client, store)
    assert first.api_calls["flickr.people.getPublicPhotos"] >= 1
    with sqlite3.connect(state) as db:
        shown = [str(row[0]) for row in db.execute("SELECT photo_id FROM listed_photos")]
    others = [p for p in shown if p not in set(ids)][:300]
    assert len(others) == 300
    others.append(ids[0])  # a photo the first run settled: fresh in the state
    photos = read_manifests([url_list(tmp_path / "b.txt", others)]).photos
    before = standin.calls()
    with client_for(standin) as client, StateStore(state) as store:
        second = fetch_status(photos, client, store)
    made = standin.calls() - before
    statuses = second.statuses.set_index("photo_id")
    assert_as_the_world_says(world, statuses)
    assert not made, made
    assert (statuses["fetched_at"] <= first.statuses["fetched_at"].max()).all()


def test_a_resumed_owner_less_fetch_lists_nothing_twice(
    tmp_path: Path, flickr_standin: Standin
) -> None:
    """Interrupted half-way, then started again: the kept sample and listings carry over, so no
    listing page is fetched twice (but for those in flight when it stopped), and the statuses
    are those of one uninterrupted run."""
    world, ids, _ = heavy_world(4)
    standin = flickr_standin(world)
    photos = read_manifests([url_list(tmp_path / "urls.txt", ids)]).photos
    state = tmp_path / "s.sqlite"

    class Interrupting(FlickrClient):
        calls = 0

        def photo_info(self, photo_id: str) -> PhotoStatus:
            Interrupting.calls += 1
            if Interrupting.calls == 120:
                raise KeyboardInterrupt
            return super().photo_info(photo_id)

    client = Interrupting(
        VALID_KEY, api_url=standin.url, limiter=TokenBucket(3_600_000), backoff=(0.001, 0.01)
    )
    with client, StateStore(state) as store, pytest.raises(KeyboardInterrupt):
        fetch_status(photos, client, store)
    with StateStore(state) as store:
        kept = len(store.load_photos())
    assert 0 < kept < len(ids)
    with client_for(standin) as client, StateStore(state) as store:
        report = fetch_status(photos, client, store)
    assert report.reused >= kept - 10
    assert_as_the_world_says(world, report.statuses.set_index("photo_id"))
    pages = [
        (params["user_id"], params["page"])
        for params in standin.requests
        if params.get("method") == "flickr.people.getPublicPhotos"
    ]
    # Only a page in flight when the run stopped (4 workers) can have been asked for again.
    assert pages and len(pages) - len(set(pages)) <= 3, pages
