"""FirstListings: repeats, first listings and (owner, photo) pairs across chunks."""

from __future__ import annotations

import contextlib
import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.engine.listings import FirstListings

ids = st.one_of(
    st.sampled_from(["1", "2", "007", "7", "99999999999999999999", "18446744073709551615"]),
    st.integers(1, 50).map(str),
    st.none(),
)


@settings(max_examples=80, deadline=None)
@given(
    rows=st.lists(st.tuples(ids, st.integers(0, 3)), min_size=1, max_size=40),
    cuts=st.lists(st.integers(1, 40), max_size=4),
)
def test_chunks_agree_with_the_whole_table(
    rows: list[tuple[str | None, int]], cuts: list[int]
) -> None:
    photo = pd.Series([r[0] for r in rows], dtype="str")
    owner = np.array([r[1] for r in rows], dtype=np.intp)
    files = pd.Series(["a.tsv" if i % 2 else "b.tsv" for i in range(len(rows))], dtype="str")
    lines = np.arange(1, len(rows) + 1, dtype=np.int64)

    # Expected, from the whole table at once.
    seen: dict[str, int] = {}
    pairs: set[tuple[str, int]] = set()
    expected = []
    for i, (value, who) in enumerate(rows):
        if value is None:
            expected.append((False, None, False, False))
            continue
        first = seen.setdefault(value, i)
        pair_new = (value, who) not in pairs
        pairs.add((value, who))
        at = f"{files[first]}:{lines[first]}" if first != i else None
        expected.append((first != i, at, first == i, pair_new))

    listings = FirstListings()
    got = []
    bounds = sorted({0, len(rows), *(c for c in cuts if c < len(rows))})
    for start, stop in itertools.pairwise(bounds):
        part = slice(start, stop)
        seen_part = listings.observe(
            photo.iloc[part].reset_index(drop=True),
            owner[part],
            files.iloc[part].reset_index(drop=True),
            lines[part],
        )
        at = seen_part.first_listed_at.astype(object).where(seen_part.first_listed_at.notna())
        got += list(
            zip(
                seen_part.repeated.tolist(),
                [None if pd.isna(v) else v for v in at],
                seen_part.new_photo.tolist(),
                seen_part.new_pair.tolist(),
                strict=True,
            )
        )
    assert got == expected
    assert listings.photos == len(seen)


@settings(max_examples=60, deadline=None)
@given(
    chunks=st.lists(
        st.lists(st.integers(1, 400), min_size=1, max_size=30, unique=True), max_size=12
    )
)
def test_runs_merge_keeps_every_key_its_place_and_flags(chunks: list[list[int]]) -> None:
    # Runs are merged like a binary counter: after any sequence of chunks, each key stored is
    # found with the location and owner it came with, flags set before a merge survive it.
    from auditor.engine.listings import _Runs

    runs = _Runs()
    stored: dict[int, tuple[int, int]] = {}
    for number, chunk in enumerate(chunks):
        keys = np.array(chunk, dtype=np.uint64)
        found = runs.find(keys)[0]
        new = keys[~found]
        where = np.arange(len(new), dtype=np.int64) + 1000 * number
        owner = (new % 7).astype(np.int64)
        runs.add(new, where, owner)
        places = zip(where.tolist(), owner.tolist(), strict=True)
        stored.update(zip(new.tolist(), places, strict=True))
        runs.flag(keys[:1], 1)
        for run in runs.runs:
            assert (np.diff(run[0].astype(np.float64)) > 0).all()  # sorted, no key twice
    everything = np.array(sorted(stored), dtype=np.uint64)
    found, where, owner = runs.find(everything)
    assert found.all() and len(runs) == len(stored)
    assert list(zip(where.tolist(), owner.tolist(), strict=True)) == [
        stored[key] for key in everything.tolist()
    ]
    flagged = {chunk[0] for chunk in chunks}
    expected = [key in flagged for key in everything.tolist()]
    assert [bool(flag) for flag in runs.flagged(everything)] == expected


def _observe_all(
    listings: FirstListings, chunks: list[list[tuple[str | None, int, bool]]]
) -> tuple[list[tuple[object, ...]], tuple[int, list[int]]]:
    """Each chunk observed, then its rows marked True flagged: what every row got, and the
    flagged counts over 4 owners."""
    got: list[tuple[object, ...]] = []
    line = 0
    for chunk in chunks:
        photo = pd.Series([row[0] for row in chunk], dtype="str")
        owner = np.array([row[1] for row in chunk], dtype=np.intp)
        lines = np.arange(line, line + len(chunk), dtype=np.int64)
        line += len(chunk)
        seen = listings.observe(photo, owner, pd.Series(["m.csv"] * len(chunk), dtype="str"), lines)
        at = seen.first_listed_at.astype(object).where(seen.first_listed_at.notna())
        got += zip(
            seen.repeated.tolist(),
            [None if pd.isna(v) else v for v in at],
            seen.new_photo.tolist(),
            seen.new_pair.tolist(),
            strict=True,
        )
        listings.flag(seen, np.flatnonzero([row[2] for row in chunk]))
    total, per_owner = listings.flagged(4)
    return got, (total, per_owner.tolist())


@settings(max_examples=80, deadline=None)
@given(
    chunks=st.lists(
        st.lists(st.tuples(ids, st.integers(0, 3), st.booleans()), min_size=1, max_size=25),
        min_size=1,
        max_size=10,
    ),
    memory_keys=st.integers(1, 12),
)
def test_runs_on_disk_find_and_flag_what_memory_does(
    chunks: list[list[tuple[str | None, int, bool]]], memory_keys: int
) -> None:
    # Past `memory_keys` keys the runs go to disk: repeats of keys in runs written long ago
    # (merged since), flags on them, ids that are not uint64 keys: all as in memory.
    from unittest import mock

    from auditor.engine import disk_runs

    small = {"STRIDE": 2, "BLOCK_KEYS": 3, "BATCH_KEYS": 2, "LATE_FLAGS": 3}
    with mock.patch.multiple(disk_runs, **small):
        expected = _observe_all(FirstListings(), chunks)
        with contextlib.closing(FirstListings(memory_keys=memory_keys)) as listings:
            assert _observe_all(listings, chunks) == expected
            photos = {row[0] for chunk in chunks for row in chunk if row[0] is not None}
            assert listings.photos == len(photos)
    # The expected counts, from the rows themselves.
    flagged = {(row[0], row[1]) for chunk in chunks for row in chunk if row[0] and row[2]}
    assert expected[1] == (
        len({photo for photo, _ in flagged}),
        [sum(owner == o for _, owner in flagged) for o in range(4)],
    )


def test_files_on_disk_are_removed_at_the_end_and_on_error(tmp_path: Path) -> None:
    chunk = pd.Series([str(i) for i in range(50)], dtype="str")
    rows = np.arange(50, dtype=np.int64)
    files = pd.Series(["m.csv"] * 50, dtype="str")
    with (
        pytest.raises(RuntimeError),
        contextlib.closing(FirstListings(memory_keys=10, directory=tmp_path)) as listings,
    ):
        for start in range(0, 50, 10):
            listings.observe(chunk[start : start + 10], rows[:10] % 3, files[:10], rows[:10])
        assert [path.name[:22] for path in tmp_path.iterdir()] == ["flickr-audit-listings-"]
        assert listings.photos == 50
        raise RuntimeError
    assert not list(tmp_path.iterdir())
    listings = FirstListings(memory_keys=10, directory=tmp_path)
    for start in range(0, 50, 10):
        listings.observe(chunk[start : start + 10], rows[:10] % 3, files[:10], rows[:10])
    listings.observe(pd.Series(["x1"], dtype="str"), rows[:1], files[:1], rows[:1])
    listings.close()
    assert not list(tmp_path.iterdir())
    assert listings.photos == 0  # the runs in memory are let go too
