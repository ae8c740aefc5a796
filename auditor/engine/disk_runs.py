"""Sorted runs of photo keys on disk, for an audit with more distinct photos than memory holds.

`listings.FirstListings` keeps (key, location, owner, flags) for every photo id of an audit:
21 bytes a photo, 420 MB at 20M photos. Past a budget of keys its runs in memory are merged
into one and written here, so its memory stays flat whatever the size of the audit:

- each run is four column files (`key`, `where`, `owner`, `flags`), sorted by key, with every
  `STRIDE`th key kept in memory (a fence: a lookup reads one page of keys per run);
- a Bloom filter of fixed size (`KeyFilter`) over every key on disk, so only the candidate
  repeats (true ones and about 1 in 100 others at 20M photos) are looked up on disk;
- runs are merged like a binary counter, block by block, so few runs are searched;
- flags for keys on disk (a repeat with an error finding) wait in memory, up to a budget, and
  are then written into their runs' `flags` files.

Files are read in bounded blocks or mapped for one batch of lookups and let go: mapped pages
count as resident memory while they are mapped. The directory goes with `close`.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

STRIDE = 512  # keys in a fence step: one 4 KiB page of uint64 keys
BLOCK_KEYS = 1 << 18  # keys read or written at a time in merges and scans (5.5 MB of columns)
BATCH_KEYS = 1 << 12  # lookups per mapping of a run's keys: at most 16 MiB of mapped pages
LATE_FLAGS = 1 << 20  # flags for keys on disk held before they are written (9 MB)
FILTER_BYTES = 32 << 20  # 13 bits per key at 20M keys: about 1 % of new keys are looked up
_HASHES = 4  # bits set per key

COLUMNS: tuple[tuple[str, type[np.generic]], ...] = (
    ("key", np.uint64),
    ("where", np.int64),
    ("owner", np.int32),
    ("flags", np.uint8),
)


class KeyFilter:
    """A Bloom filter over uint64 keys, of `size_bytes` (a power of two): `might_contain` is
    True for every key added, and for a few others. Blocked: a key's `_HASHES` bits are all in
    one 64-bit word, so adding or testing a key touches one word (one cache line)."""

    def __init__(self, size_bytes: int = FILTER_BYTES) -> None:
        if size_bytes & (size_bytes - 1) or size_bytes < 8:
            raise ValueError("the filter's size must be a power of two, 8 bytes or more")
        self._words = np.zeros(size_bytes // 8, dtype=np.uint64)
        self._mask = np.uint64(len(self._words) - 1)

    def _hash(self, keys: np.ndarray) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
        """Each key's word and the bits it sets there, from a splitmix64 hash: the low bits
        choose the word, six bits each of the high half choose a bit."""
        z = keys.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z ^= z >> np.uint64(31)
        bits = np.zeros(len(z), dtype=np.uint64)
        for i in range(_HASHES):
            bits |= np.uint64(1) << ((z >> np.uint64(32 + 6 * i)) & np.uint64(63))
        return z & self._mask, bits

    def add(self, keys: np.ndarray) -> None:
        for start in range(0, len(keys), BLOCK_KEYS):
            words, bits = self._hash(keys[start : start + BLOCK_KEYS])
            # `.at`: keys that share a word each set their bits.
            np.bitwise_or.at(self._words, words, bits)

    def might_contain(self, keys: np.ndarray) -> npt.NDArray[np.bool_]:
        words, bits = self._hash(keys)
        result: npt.NDArray[np.bool_] = (self._words[words] & bits) == bits
        return result


class _Run:
    """One sorted run's column files, written block by block in key order."""

    def __init__(self, directory: Path, number: int) -> None:
        self.paths = {name: directory / f"run{number}.{name}" for name, _ in COLUMNS}
        self.size = 0
        self.fence = np.zeros(0, dtype=np.uint64)

    def append(self, columns: list[np.ndarray]) -> None:
        """Write the next block of each column (keys above those written)."""
        if not len(columns[0]):
            return
        for (name, dtype), column in zip(COLUMNS, columns, strict=True):
            with self.paths[name].open("ab") as handle:
                column.astype(dtype, copy=False).tofile(handle)
        self.fence = np.concatenate([self.fence, columns[0][(-self.size) % STRIDE :: STRIDE]])
        self.size += len(columns[0])

    def read(self, name: str, start: int, stop: int) -> np.ndarray:
        dtype: np.dtype[np.generic] = np.dtype(dict(COLUMNS)[name])
        count = stop - start
        return np.fromfile(
            self.paths[name], dtype=dtype, count=count, offset=start * dtype.itemsize
        )

    def _mapped(self, name: str, writable: bool = False) -> np.memmap[Any, np.dtype[Any]]:
        """A column mapped from its file: let it go soon, as its pages touched count as
        resident memory while it is mapped."""
        mode: Literal["r", "r+"] = "r+" if writable else "r"
        return np.memmap(self.paths[name], dtype=dict(COLUMNS)[name], mode=mode, shape=(self.size,))

    def search(self, queries: np.ndarray) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.int64]]:
        """(found, position) of sorted distinct `queries`."""
        found = np.zeros(len(queries), dtype=bool)
        positions = np.zeros(len(queries), dtype=np.int64)
        for start in range(0, len(queries), BATCH_KEYS):
            part = queries[start : start + BATCH_KEYS]
            keys = self._mapped("key")
            # The fence names each query's page; a binary search within it reads that page only.
            page = np.searchsorted(self.fence, part, side="right") - 1
            low = np.maximum(page, 0) * STRIDE
            high = np.where(page < 0, 0, np.minimum(low + STRIDE, self.size))
            while (open_ := low < high).any():
                middle = (low + high) // 2
                below = open_ & (np.asarray(keys[np.minimum(middle, self.size - 1)]) < part)
                low = np.where(below, middle + 1, low)
                high = np.where(open_ & ~below, middle, high)
            inside = np.flatnonzero(low < self.size)
            hit = inside[np.asarray(keys[low[inside]]) == part[inside]]
            del keys
            found[start + hit] = True
            positions[start + hit] = low[hit]
        return found, positions

    def gather(self, name: str, positions: np.ndarray) -> np.ndarray:
        column = self._mapped(name)
        values = np.asarray(column[positions])
        del column
        return values

    def set_flags(self, positions: np.ndarray, bits: np.ndarray) -> None:
        """Or `bits` into the flags at distinct `positions`."""
        if not len(positions):
            return
        flags = self._mapped("flags", writable=True)
        flags[positions] |= bits
        flags.flush()
        del flags

    def remove(self) -> None:
        for path in self.paths.values():
            path.unlink(missing_ok=True)


class DiskRuns:
    """Sorted runs of (key, location, owner, flags) in files under a temporary directory (made
    in `directory`, by default the system's), removed by `close`."""

    def __init__(self, directory: Path | None = None, filter_bytes: int = FILTER_BYTES) -> None:
        self._temp = tempfile.TemporaryDirectory(prefix="flickr-audit-listings-", dir=directory)
        self.directory = Path(self._temp.name)
        self.runs: list[_Run] = []
        self._made = 0
        self._filter = KeyFilter(filter_bytes)
        self._late: list[tuple[np.ndarray, int]] = []  # (distinct keys on disk, flag bit)
        self._late_keys = 0

    def __len__(self) -> int:
        return sum(run.size for run in self.runs)

    def close(self) -> None:
        self.runs.clear()
        self._temp.cleanup()

    def _new_run(self) -> _Run:
        self._made += 1
        return _Run(self.directory, self._made)

    def add(self, columns: list[np.ndarray]) -> None:
        """Write one sorted run (keys not on disk yet), then merge while the newest run is at
        least as large as the one before it."""
        if not len(columns[0]):
            return
        run = self._new_run()
        for start in range(0, len(columns[0]), BLOCK_KEYS):
            run.append([column[start : start + BLOCK_KEYS] for column in columns])
        self._filter.add(columns[0])
        self.runs.append(run)
        while len(self.runs) > 1 and self.runs[-2].size <= self.runs[-1].size:
            newer = self.runs.pop()
            self.runs.append(self._merge(self.runs.pop(), newer))

    def _merge(self, older: _Run, newer: _Run) -> _Run:
        """Two runs with no key in common as one, a block of each at a time: each step takes
        the keys of both blocks up to the smaller of their last keys, so one block is used up."""
        merged = self._new_run()
        at = [0, 0]
        runs = (older, newer)
        while at[0] < older.size or at[1] < newer.size:
            blocks = [
                run.read("key", i, min(i + BLOCK_KEYS, run.size))
                for run, i in zip(runs, at, strict=True)
            ]
            ends = [block[-1] for block in blocks if len(block)]
            last = min(ends)
            takes = [int(np.searchsorted(block, last, side="right")) for block in blocks]
            keys = [block[:take] for block, take in zip(blocks, takes, strict=True)]
            # Where each key of the newer block goes among the merged keys.
            from_newer = np.zeros(takes[0] + takes[1], dtype=bool)
            from_newer[np.searchsorted(keys[0], keys[1]) + np.arange(takes[1])] = True
            out = []
            for name, dtype in COLUMNS:
                column = np.empty(len(from_newer), dtype=dtype)
                parts = [
                    part if name == "key" else run.read(name, i, i + take)
                    for part, run, i, take in zip(keys, runs, at, takes, strict=True)
                ]
                column[~from_newer] = parts[0]
                column[from_newer] = parts[1]
                out.append(column)
            merged.append(out)
            at = [i + take for i, take in zip(at, takes, strict=True)]
        older.remove()
        newer.remove()
        return merged

    def find(
        self, keys: np.ndarray
    ) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """(found, location, owner) for distinct `keys`."""
        found = np.zeros(len(keys), dtype=bool)
        where = np.zeros(len(keys), dtype=np.int64)
        owner = np.zeros(len(keys), dtype=np.int64)
        if not self.runs or not len(keys):
            return found, where, owner
        candidates = np.flatnonzero(self._filter.might_contain(keys))
        candidates = candidates[np.argsort(keys[candidates], kind="stable")]
        for run in self.runs:
            if not len(candidates):
                break
            hit, positions = run.search(keys[candidates])
            at = candidates[hit]
            found[at] = True
            where[at] = run.gather("where", positions[hit])
            owner[at] = run.gather("owner", positions[hit])
            candidates = candidates[~hit]
        return found, where, owner

    def flag(self, keys: np.ndarray, bit: int) -> None:
        """Set `bit` of the flags of `keys`, all on disk (a key may come more than once): written
        once enough wait."""
        if not len(keys):
            return
        self._late.append((keys, bit))
        self._late_keys += len(keys)
        if self._late_keys >= LATE_FLAGS:
            self._write_flags()

    def _write_flags(self) -> None:
        if not self._late:
            return
        keys = np.concatenate([keys for keys, _ in self._late])
        bits = np.concatenate([np.full(len(keys), bit, np.uint8) for keys, bit in self._late])
        self._late, self._late_keys = [], 0
        order = np.argsort(keys, kind="stable")
        keys, bits = keys[order], bits[order]
        # One entry a key, its bits or-ed together (np.unique is far slower on many keys).
        starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
        keys, combined = keys[starts], np.bitwise_or.reduceat(bits, starts)
        for run in self.runs:
            if not len(keys):
                break
            hit, positions = run.search(keys)
            run.set_flags(positions[hit], combined[hit])
            keys, combined = keys[~hit], combined[~hit]

    def flagged(self, owners: int, photo: int, first_pair: int) -> tuple[int, np.ndarray]:
        """(keys with the `photo` bit, per owner code below `owners` its keys with the
        `first_pair` bit)."""
        self._write_flags()
        total = 0
        per_owner = np.zeros(owners, dtype=np.int64)
        for run in self.runs:
            for start in range(0, run.size, BLOCK_KEYS):
                stop = min(start + BLOCK_KEYS, run.size)
                flags = run.read("flags", start, stop)
                total += int(np.count_nonzero(flags & photo))
                pair = (flags & first_pair).astype(bool)
                owner = run.read("owner", start, stop)[pair]
                per_owner += np.bincount(owner, minlength=owners)[:owners]
        return total, per_owner
