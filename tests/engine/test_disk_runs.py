"""DiskRuns and KeyFilter: the duplicate index's runs on disk, and the filter in front of them."""

from __future__ import annotations

from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.engine import disk_runs
from auditor.engine.disk_runs import DiskRuns, KeyFilter

keys_u64 = st.lists(st.integers(0, 2**64 - 1), max_size=300, unique=True)


@settings(max_examples=60, deadline=None)
@given(added=keys_u64, others=keys_u64)
def test_the_filter_contains_every_key_added(added: list[int], others: list[int]) -> None:
    bloom = KeyFilter(64)
    bloom.add(np.array(added, dtype=np.uint64))
    assert bloom.might_contain(np.array(added, dtype=np.uint64)).all()
    # Nothing added: nothing is contained.
    assert not KeyFilter(64).might_contain(np.array(others, dtype=np.uint64)).any()


def test_the_filter_lets_few_other_keys_through() -> None:
    bloom = KeyFilter(1 << 16)  # 13 bits per key, as the default at 20M keys
    bloom.add(np.arange(40_000, dtype=np.uint64) * 37)
    others = np.arange(40_000, 140_000, dtype=np.uint64) * 37
    assert bloom.might_contain(others).mean() < 0.02


def test_the_filter_size_is_a_power_of_two() -> None:
    with pytest.raises(ValueError, match="power of two"):
        KeyFilter(100)


# Tiny blocks, pages and budgets, so a few hundred keys cross every boundary.
SMALL = {"STRIDE": 4, "BLOCK_KEYS": 8, "BATCH_KEYS": 3, "LATE_FLAGS": 5}


@settings(max_examples=60, deadline=None)
@given(
    runs=st.lists(
        st.lists(st.integers(1, 2**64 - 1), min_size=0, max_size=60, unique=True), max_size=8
    ),
    flagged=st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from([1, 2])), max_size=40),
)
def test_runs_keep_every_key_its_place_and_flags(
    runs: list[list[int]], flagged: list[tuple[int, int]]
) -> None:
    stored: dict[int, tuple[int, int]] = {}
    with mock.patch.multiple(disk_runs, **SMALL):
        disk = DiskRuns(filter_bytes=64)
        try:
            for number, run in enumerate(runs):
                keys = np.array(sorted(set(run) - set(stored)), dtype=np.uint64)
                where = np.arange(len(keys), dtype=np.int64) + 1000 * number
                owner = (keys % np.uint64(5)).astype(np.int64)
                disk.add([keys, where, owner.astype(np.int32), np.zeros(len(keys), np.uint8)])
                stored.update(
                    zip(
                        keys.tolist(), zip(where.tolist(), owner.tolist(), strict=True), strict=True
                    )
                )
                # Merged like a binary counter: each run smaller than the one before it.
                sizes = [run.size for run in disk.runs]
                assert sizes == sorted(sizes, reverse=True) and len(set(sizes)) == len(sizes)
            everything = np.array(sorted(stored), dtype=np.uint64)
            assert len(disk) == len(stored)
            absent = [0, *(key + 1 for key in stored if key + 1 not in stored and key < 2**64 - 1)]
            queries = np.concatenate([everything, np.array(absent, dtype=np.uint64)])
            found, where, owner = disk.find(queries[::-1].copy())
            found, where, owner = found[::-1], where[::-1], owner[::-1]
            assert found[: len(everything)].all() and not found[len(everything) :].any()
            expected = [stored[key] for key in everything.tolist()]
            got = zip(
                where[: len(everything)].tolist(), owner[: len(everything)].tolist(), strict=True
            )
            assert list(got) == expected
            # Flags on keys in any run, some set twice, several of them waiting at a time.
            photo, pair = set(), set()
            for index, bit in flagged:
                if not len(everything):
                    break
                key = int(everything[index % len(everything)])
                disk.flag(np.array([key], dtype=np.uint64), bit)
                (photo if bit == 1 else pair).add(key)
            total, per_owner = disk.flagged(5, 1, 2)
            assert total == len(photo)
            assert per_owner.tolist() == [sum(key % 5 == o for key in pair) for o in range(5)]
        finally:
            disk.close()


def test_close_removes_the_files() -> None:
    disk = DiskRuns()
    keys = np.arange(10, dtype=np.uint64)
    disk.add([keys, keys.astype(np.int64), keys.astype(np.int32), np.zeros(10, np.uint8)])
    assert list(disk.directory.iterdir())
    disk.close()
    assert not disk.directory.exists()
