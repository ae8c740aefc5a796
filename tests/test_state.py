"""The SQLite state store: upserts keep history, observations accumulate, runs are recorded,
unusable files give one-line errors, and two connections can share a file."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest

from auditor.state import (
    STATUS_ERROR,
    STATUS_OK,
    PhotoRecord,
    StateError,
    StateStore,
    fresh_cutoff,
    iso,
    now_utc,
    parse_iso,
)


def record(photo_id: str, **fields: object) -> PhotoRecord:
    base: dict[str, object] = {
        "status": STATUS_OK,
        "method": "flickr.photos.getInfo",
        "fetched_at": "2026-11-20T10:00:00Z",
        "licence_id": 4,
    }
    base.update(fields)
    return PhotoRecord(photo_id=photo_id, **base)  # type: ignore[arg-type]


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    with StateStore(tmp_path / "s.sqlite") as store:
        store.save_photos([record("1", tags="nocv sea"), record("2", licence_id=None)])
        frame = store.load_photos(["2", "1", "3"])
    assert sorted(frame["photo_id"]) == ["1", "2"]
    one = frame.set_index("photo_id").loc["1"]
    assert one["licence_id"] == 4 and one["tags"] == "nocv sea"
    assert frame.set_index("photo_id").loc["2"]["licence_id"] is not None  # pd.NA, not lost


def test_listing_answer_keeps_the_stored_history(tmp_path: Path) -> None:
    with StateStore(tmp_path / "s.sqlite") as store:
        store.save_photos([record("1")])
        store.save_history({"1": ('[[1,"cc-by-2.0","cc-by-nc-2.0"]]', "2026-11-20T10:00:01Z")})
        store.save_photos([record("1", licence_id=2, fetched_at="2026-11-21T00:00:00Z")])
        row = store.load_photos(["1"]).iloc[0]
        assert row["history"] == '[[1,"cc-by-2.0","cc-by-nc-2.0"]]'
        assert row["licence_id"] == 2
        assert [o["licence_id"] for o in store.observations("1")] == [4, 2]


def test_state_survives_reopening_and_records_runs(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "s.sqlite"
    with StateStore(path) as store:
        run = store.start_run(api_url="http://x/", manifests=["m.csv"], policy="p", photos=3)
        store.save_photos([record("9", status=STATUS_ERROR, error="HTTP 503")], run)
        store.finish_run(run, outcome="ok", api_calls={"flickr.photos.getInfo": 3})
    with StateStore(path) as store:
        (only,) = store.runs()
        assert only["outcome"] == "ok" and '"flickr.photos.getInfo": 3' in only["api_calls"]
        assert store.load_photos()["run_id"].tolist() == [run]


def test_owner_aliases(tmp_path: Path) -> None:
    with StateStore(tmp_path / "s.sqlite") as store:
        store.save_owner("HarbourLight", "1@N01", "Harbour", "2026-11-20T00:00:00Z")
        store.save_owner("nobody", None, None, "2026-11-20T00:00:00Z")
        known = store.load_owners("2026-01-01T00:00:00Z")
        assert known == {"harbourlight": "1@N01", "nobody": None}
        assert store.load_owners("2026-12-01T00:00:00Z") == {}


def test_not_sqlite_is_a_one_line_error(tmp_path: Path) -> None:
    bad = tmp_path / "state.sqlite"
    bad.write_text("this is not a database\n" * 100)
    with pytest.raises(StateError, match=r"state\.sqlite: cannot be used as the state file"):
        StateStore(bad)


def test_two_stores_share_a_file(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    errors: list[BaseException] = []

    def writer(prefix: str) -> None:
        try:
            with StateStore(path) as store:
                for batch in range(20):
                    store.save_photos([record(f"{prefix}{batch}-{i}") for i in range(50)])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(p,)) for p in "ab"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with StateStore(path) as store:
        assert len(store.load_photos()) == 2000


def test_timestamps() -> None:
    moment = now_utc().replace(microsecond=0)
    assert parse_iso(iso(moment)) == moment
    assert fresh_cutoff(timedelta(days=1), moment) < iso(moment)


def fill_disk(store: StateStore) -> None:
    """From now on the file cannot grow by a page: SQLite's "database or disk is full"."""
    db = store._db
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.execute(f"PRAGMA max_page_count = {pages}")


def test_a_full_disk_keeps_the_run_in_memory(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    with StateStore(path) as store:
        store.save_photos([record("1")])
        fill_disk(store)
        run = store.start_run(api_url="http://x/", manifests=["m.csv"], policy="p", photos=3)
        big = "x" * 20_000  # more than a page, whatever is free in the last one
        store.save_photos([record("2", evidence=big), record("1", licence_id=2, evidence=big)])
        store.save_history({"2": ("[]", "2026-11-20T10:00:01Z"), "1": ("[[1]]", "t")})
        store.save_owner("Alias", "9@N01", "u", "2026-11-20T10:00:00Z")
        store.finish_run(run, outcome="ok", api_calls={})
        assert store.unsaved is not None and "database or disk is full" in store.unsaved
        frame = store.load_photos(["1", "2"]).set_index("photo_id")
        assert frame.loc["1", "licence_id"] == 2 and frame.loc["1", "history"] == "[[1]]"
        assert frame.loc["2", "history"] == "[]"
        assert store.load_owners("2026-01-01T00:00:00Z") == {"alias": "9@N01"}
    with StateStore(path) as again:  # the file is as it was before the disk filled up
        frame = again.load_photos()
        assert list(frame["photo_id"]) == ["1"] and frame.loc[0, "licence_id"] == 4
        assert [run["outcome"] for run in again.runs()] in ([], [None])  # start, maybe
        assert again.unsaved is None
