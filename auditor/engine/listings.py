"""Where each photo was first listed, across the chunks of one audit.

The `duplicate` rule marks a row whose photo id appeared in an earlier row, and says where
(`first_listed_at`, `source_file:source_row`). When a manifest is audited in chunks (YFCC100M
has 100 million rows), "earlier" reaches back into chunks that are gone; `FirstListings`
remembers, for every photo id seen so far, where it was first listed and under which owner
(the per-owner summary counts distinct (owner, photo) pairs).

Ids of up to 19 digits (every Flickr id so far) are kept as unsigned 64-bit keys in sorted
numpy runs: 21 bytes per distinct photo, merged like a binary counter so each lookup
searches a few runs and each id is re-sorted a logarithmic number of times. Past
`MEMORY_KEYS` keys the runs in memory are merged and written to disk (`disk_runs`), so memory
stays flat however many photos an audit has; only chunks' candidate repeats are looked up there.
Any other id text goes to a dict.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from auditor.arrow_text import decimal_strings
from auditor.engine.disk_runs import DiskRuns

_ROW_BITS = 40  # a location is (file number << 40) | source row
_PHOTO = 1  # flag bit: the photo id has an error finding not waived
_FIRST_PAIR = 2  # flag bit: so has the (first owner, photo id) pair
# Keys kept in memory before they go to disk: 44 MB, and an audit of fewer photos (most of
# them) never writes any.
MEMORY_KEYS = 1 << 21


@dataclass(frozen=True)
class Observation:
    """What `FirstListings.observe` found for each row of a chunk."""

    repeated: npt.NDArray[np.bool_]  # the photo id appeared in an earlier row
    first_listed_at: pd.Series  # for repeated rows, `source_file:source_row` of the first
    new_photo: npt.NDArray[np.bool_]  # the first row of its photo id
    new_pair: npt.NDArray[np.bool_]  # the first row of its (owner, photo id) pair
    # How `FirstListings` keyed each row, for `flag`: its id as uint64 where `numeric`.
    keys: npt.NDArray[np.uint64] | None = None
    numeric: npt.NDArray[np.bool_] | None = None
    ids: pa.Array | None = None
    owners: npt.NDArray[np.int64] | None = None  # each row's owner code
    first_owner: npt.NDArray[np.int64] | None = None  # the owner code of its first listing
    on_disk: npt.NDArray[np.bool_] | None = None  # its first listing is in a run on disk


_Columns = list[np.ndarray | None]  # a run's columns, each None once let go


class _Runs:
    """Sorted (key, location, owner, flagged) runs; lookups search each, merges keep them few."""

    def __init__(self) -> None:
        self.runs: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []

    def __len__(self) -> int:
        return sum(len(run[0]) for run in self.runs)

    def find(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(found, location, owner) for distinct `keys`."""
        found = np.zeros(len(keys), dtype=bool)
        where = np.zeros(len(keys), dtype=np.int64)
        owner = np.zeros(len(keys), dtype=np.int64)
        for run_keys, run_where, run_owner, _ in self.runs:
            at = np.searchsorted(run_keys, keys)
            inside = at < len(run_keys)
            hit = np.zeros(len(keys), dtype=bool)
            hit[inside] = run_keys[at[inside]] == keys[inside]
            where[hit] = run_where[at[hit]]
            owner[hit] = run_owner[at[hit]]
            found |= hit
        return found, where, owner

    def flag(self, keys: np.ndarray, bit: int) -> None:
        """Set `bit` of the stored `keys`' flags (keys not stored are ignored). A key may come
        more than once: each of its places is set to the same value, so no `np.unique` (a
        hash of every key, a third of judging a chunk) is needed first."""
        for run_keys, _, _, run_flags in self.runs:
            at = np.searchsorted(run_keys, keys)
            inside = at < len(run_keys)
            at = at[inside]
            run_flags[at[run_keys[at] == keys[inside]]] |= bit

    def flagged(self, keys: np.ndarray) -> np.ndarray:
        """Each of the stored `keys`' flags."""
        out = np.zeros(len(keys), dtype=np.uint8)
        for run_keys, _, _, run_flags in self.runs:
            at = np.searchsorted(run_keys, keys)
            inside = np.flatnonzero(at < len(run_keys))
            hit = inside[run_keys[at[inside]] == keys[inside]]
            out[hit] = run_flags[at[hit]]
        return out

    def add(self, keys: np.ndarray, where: np.ndarray, owner: np.ndarray) -> None:
        """Store keys not stored yet (distinct), with their location and owner."""
        order = np.argsort(keys, kind="stable")
        run: _Columns = [keys[order], where[order], owner.astype(np.int32)[order]]
        run.append(np.zeros(len(keys), dtype=np.uint8))
        del order
        # Merge while the newest run is at least as large as the one before it.
        while self.runs and len(self.runs[-1][0]) <= len(_present(run[0])):
            run = _merge(list(self.runs.pop()), run)
        self.runs.append((_present(run[0]), _present(run[1]), _present(run[2]), _present(run[3])))


def _present(array: np.ndarray | None) -> np.ndarray:
    assert array is not None
    return array


def _merge(older: _Columns, newer: _Columns) -> _Columns:
    """Two sorted runs with no key in common as one, column by column: each input column is
    let go once merged, so the merge needs one column and a byte per key more than the runs
    (sorting them together needed several columns more: at 20M photos, half a GB)."""
    older_keys, newer_keys = _present(older[0]), _present(newer[0])
    n = len(older_keys) + len(newer_keys)
    from_newer = np.zeros(n, dtype=bool)
    from_newer[np.searchsorted(older_keys, newer_keys) + np.arange(len(newer_keys))] = True
    from_older = ~from_newer
    del older_keys, newer_keys
    merged: _Columns = []
    for i in range(len(older)):
        column = np.empty(n, dtype=_present(older[i]).dtype)
        column[from_older] = older[i]
        column[from_newer] = newer[i]
        older[i] = newer[i] = None
        merged.append(column)
    return merged


class FirstListings:
    """The first listing (file, row, owner) of every photo id seen in an audit so far.

    Past `memory_keys` distinct ids, runs go to files in a temporary directory (made in
    `directory`, by default the system's), removed by `close`.
    """

    def __init__(self, memory_keys: int = MEMORY_KEYS, directory: Path | None = None) -> None:
        self._memory_keys = memory_keys
        self._directory = directory
        self._disk: DiskRuns | None = None
        self._runs = _Runs()
        self._others: dict[str, tuple[int, int]] = {}  # ids that are not uint64 keys
        self._extra_pairs: set[tuple[str, int]] = set()  # (id, owner) pairs beyond the first
        self._flagged_others: set[str] = set()  # flagged ids that are not uint64 keys
        # Flagged (id, owner) pairs not kept as a run's owner bit: other owners, other ids.
        self._flagged_pairs: set[tuple[str, int]] = set()
        self._files: list[str] = []
        self._file_numbers: dict[str, int] = {}

    def close(self) -> None:
        """Remove the runs written to disk, if any, and let go of those in memory (nothing is
        looked up after: an audit closes its index before writing the reports, whose buffers
        then reuse that memory)."""
        if self._disk is not None:
            self._disk.close()
            self._disk = None
        self._runs = _Runs()
        self._others.clear()
        self._extra_pairs.clear()
        self._flagged_others.clear()
        self._flagged_pairs.clear()

    @property
    def photos(self) -> int:
        """Distinct photo ids seen."""
        on_disk = len(self._disk) if self._disk is not None else 0
        return len(self._runs) + on_disk + len(self._others)

    def _spill(self) -> None:
        """Write the runs in memory to disk as one, once they hold `memory_keys` keys."""
        if len(self._runs) < self._memory_keys or not self._runs.runs:
            return
        runs = self._runs.runs
        merged: _Columns = list(runs.pop())
        while runs:
            merged = _merge(list(runs.pop()), merged)
        if self._disk is None:
            self._disk = DiskRuns(self._directory)
        self._disk.add([_present(column) for column in merged])

    def _locations(self, files: pd.Series, rows: np.ndarray) -> np.ndarray:
        codes, names = pd.factorize(files.astype("str").fillna(""))
        numbers = np.zeros(len(names), dtype=np.int64)
        for index, name in enumerate(str(name) for name in names):
            if name not in self._file_numbers:
                self._file_numbers[name] = len(self._files)
                self._files.append(name)
            numbers[index] = self._file_numbers[name]
        located: np.ndarray = (numbers[codes] << _ROW_BITS) | rows.astype(np.int64)
        return located

    def _texts(self, locations: np.ndarray) -> list[str]:
        files = locations >> _ROW_BITS
        rows = locations & ((1 << _ROW_BITS) - 1)
        return [f"{self._files[f]}:{r}" for f, r in zip(files.tolist(), rows.tolist(), strict=True)]

    def observe(
        self, photo_ids: pd.Series, owners: np.ndarray, files: pd.Series, rows: np.ndarray
    ) -> Observation:
        """Look up, then remember, the photo ids of the next chunk (rows in table order).

        `owners` are integer owner codes (the same code for the same owner in every chunk),
        `files` and `rows` each row's `source_file` and `source_row`.
        """
        # Before the lookups: keys stay where `flag` will look for them, in memory or on disk.
        self._spill()
        n = len(photo_ids)
        ids = pa.array(photo_ids.astype("str"), pa.string())
        if isinstance(ids, pa.ChunkedArray):
            ids = ids.combine_chunks()
        # Ids that fit a uint64 and read back as the same text: no leading zero, 19 digits at most.
        numeric = decimal_strings(ids, 1, 19, leading_zero=False)
        numeric_np = numeric.to_numpy(zero_copy_only=False)
        keys = np.zeros(n, dtype=np.uint64)
        if numeric_np.any():
            keys[numeric_np] = pc.cast(ids.filter(numeric), pa.uint64()).to_numpy()
        located = self._locations(files, rows)
        owners = owners.astype(np.int64)

        repeated = np.zeros(n, dtype=bool)
        new_photo = np.zeros(n, dtype=bool)
        first_at = np.zeros(n, dtype=np.int64)
        first_owner = np.zeros(n, dtype=np.int64)
        on_disk = np.zeros(n, dtype=bool)
        at = np.flatnonzero(numeric_np)
        if len(at):
            codes, distinct = pd.factorize(keys[at])
            # Codes number keys in order of first appearance, so the running maximum rises
            # exactly at each key's first row.
            rises = np.flatnonzero(np.diff(np.maximum.accumulate(codes), prepend=-1) > 0)
            first_row = at[rises]
            found, where, owner = self._runs.find(distinct)
            in_file = np.zeros(len(distinct), dtype=bool)
            if self._disk is not None:
                rest = np.flatnonzero(~found)
                hit, hit_where, hit_owner = self._disk.find(distinct[rest])
                in_file[rest[hit]] = True
                found |= in_file
                where[rest[hit]] = hit_where[hit]
                owner[rest[hit]] = hit_owner[hit]
            where = np.where(found, where, located[first_row])
            owner = np.where(found, owner, owners[first_row])
            self._runs.add(distinct[~found], where[~found], owner[~found])
            is_first = np.zeros(len(at), dtype=bool)
            is_first[rises] = True
            new_photo[at] = is_first & ~found[codes]
            repeated[at] = ~new_photo[at]
            first_at[at] = where[codes]
            first_owner[at] = owner[codes]
            on_disk[at] = in_file[codes]
        others = np.flatnonzero(~numeric_np & ids.is_valid().to_numpy(zero_copy_only=False))
        texts = ids.to_pylist() if len(others) else []
        for i in others.tolist():
            seen = self._others.get(texts[i])
            if seen is None:
                seen = self._others[texts[i]] = (int(located[i]), int(owners[i]))
                new_photo[i] = True
            else:
                repeated[i] = True
            first_at[i], first_owner[i] = seen

        first_listed_at = pd.Series(index=photo_ids.index, dtype="str")
        shown = np.flatnonzero(repeated)
        if len(shown):
            first_listed_at.iloc[shown] = self._texts(first_at[shown])
        return Observation(
            repeated=repeated,
            first_listed_at=first_listed_at,
            new_photo=new_photo,
            new_pair=self._new_pairs(ids, owners, new_photo, first_owner),
            keys=keys,
            numeric=numeric_np,
            ids=ids,
            owners=owners,
            first_owner=first_owner,
            on_disk=on_disk,
        )

    def flag(self, observed: Observation, rows: npt.NDArray[np.intp]) -> None:
        """Flag the photo ids of these rows of the chunk `observe` gave `observed` for (the
        rows with an error finding not waived), and each (row's owner, photo id) pair:
        `flagged` counts them."""
        if not len(rows) or observed.keys is None or observed.numeric is None:
            return
        assert observed.owners is not None and observed.first_owner is not None
        numeric = observed.numeric[rows]
        at = rows[numeric]
        if len(at):
            keys = observed.keys[at]
            on_disk = np.zeros(len(at), dtype=bool)
            if observed.on_disk is not None:
                on_disk = observed.on_disk[at]
            first = observed.owners[at] == observed.first_owner[at]
            self._flag_keys(keys, on_disk, _PHOTO)
            self._flag_keys(keys[first], on_disk[first], _FIRST_PAIR)
            elsewhere = at[~first]
        else:
            elsewhere = at
        others = rows[~numeric]
        if (len(others) or len(elsewhere)) and observed.ids is not None:
            for group, is_other in ((others, True), (elsewhere, False)):
                if not len(group):
                    continue
                texts = observed.ids.take(pa.array(group)).to_pylist()
                for text, owner in zip(texts, observed.owners[group].tolist(), strict=True):
                    if text is None:
                        continue
                    if is_other:
                        self._flagged_others.add(text)
                    self._flagged_pairs.add((text, int(owner)))

    def _flag_keys(self, keys: np.ndarray, on_disk: np.ndarray, bit: int) -> None:
        self._runs.flag(keys[~on_disk], bit)
        if self._disk is not None:
            self._disk.flag(keys[on_disk], bit)

    def flagged(self, owners: int) -> tuple[int, npt.NDArray[np.int64]]:
        """(distinct photo ids flagged, per owner code below `owners` its flagged (owner,
        photo id) pairs)."""
        total = len(self._flagged_others)
        per_owner = np.zeros(owners, dtype=np.int64)
        if self._disk is not None:
            total, per_owner = self._disk.flagged(owners, _PHOTO, _FIRST_PAIR)
            total += len(self._flagged_others)
        for _, _, run_owner, run_flags in self._runs.runs:
            total += int(np.count_nonzero(run_flags & _PHOTO))
            pair = (run_flags & _FIRST_PAIR).astype(bool)
            per_owner += np.bincount(run_owner[pair], minlength=owners)[:owners]
        for _, owner in self._flagged_pairs:
            per_owner[owner] += 1
        return total, per_owner

    def _new_pairs(
        self,
        ids: pa.Array,
        owners: np.ndarray,
        new_photo: np.ndarray,
        first_owner: np.ndarray,
    ) -> npt.NDArray[np.bool_]:
        """Rows whose (owner, photo) pair no earlier row had; rows without an id: False."""
        valid = ids.is_valid().to_numpy(zero_copy_only=False)
        new_pair = new_photo.copy()
        # A repeated photo under its first owner is no new pair; under another owner it may be.
        maybe = np.flatnonzero(valid & ~new_photo & (owners != first_owner))
        if not len(maybe):
            return new_pair
        texts = ids.take(pa.array(maybe)).to_pylist()
        for i, text in zip(maybe.tolist(), texts, strict=True):
            pair = (text, int(owners[i]))
            if pair not in self._extra_pairs:
                self._extra_pairs.add(pair)
                new_pair[i] = True
        return new_pair
