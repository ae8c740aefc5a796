"""The counts behind the reports, accumulated chunk by chunk: per owner, per rule and in total.

`AuditTally` is the one implementation of the per-owner summary and the summary counts of
`audit.json`: an audit of one photo table adds it as a single chunk (`build_audit_document`,
`owner_summary`), the offline pipeline adds the chunks of a manifest too large for memory one
after another, and the Dask engine (`auditor.dask_audit`) counts each partition apart and
`merge`s the tallies in partition order. Owners get integer codes on first sight; every count
is a numpy array indexed by them, so a chunk costs a few vectorised passes and a loop over its
distinct owners.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from auditor.findings import SEVERITIES
from auditor.report.pause import gc_paused

if TYPE_CHECKING:
    from auditor.report.document import OwnerRecord

_RANK = {severity: i for i, severity in enumerate(SEVERITIES)}


def _grow(array: np.ndarray, size: int) -> np.ndarray:
    if len(array) >= size:
        return array
    shape = (max(size, 2 * len(array)), *array.shape[1:])
    grown = np.zeros(shape, dtype=array.dtype)
    grown[: len(array)] = array
    return grown


def _arrow_text(values: pd.Series | pa.Array | pa.ChunkedArray) -> pa.Array:
    """A text column as one Arrow string array (other values as their text)."""
    if isinstance(values, pd.Series):
        values = pa.array(values.astype("str"))
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks != 1 else values.chunk(0)
    if not pa.types.is_string(values.type) and not pa.types.is_large_string(values.type):
        values = values.cast(pa.string())
    return values


def _first_rows(codes: npt.NDArray[np.intp]) -> tuple[np.ndarray, np.ndarray]:
    """(distinct codes, position of each one's first row), in order of first appearance."""
    first = np.flatnonzero(~pd.Series(codes).duplicated().to_numpy())
    return codes[first], first


class AuditTally:
    """Counts of photo-table rows and findings, added in table order."""

    def __init__(self) -> None:
        self._null_code: int | None = None  # the code of rows without an owner, once seen
        self._known = pa.array([], pa.string())  # `_owners` as Arrow, each at its code
        self._owners: list[str | None] = []
        self._photos = np.zeros(0, dtype=np.int64)  # distinct (owner, photo id) pairs
        self._with_errors = np.zeros(0, dtype=np.int64)  # of those, photos with errors
        self._in_photos = np.zeros(0, dtype=bool)
        self._named = np.zeros(0, dtype=bool)  # the photo table gave the owner a name
        self._by_severity = np.zeros((0, len(SEVERITIES)), dtype=np.int64)
        self._waived = np.zeros(0, dtype=np.int64)
        self._rule_counts: dict[str, np.ndarray] = {}  # rule → per owner, not waived
        self._photo_names: list[str | None] = []
        self._finding_names: list[str | None] = []
        self.rows = 0
        self.photo_ids = 0  # distinct photo ids
        # Distinct photo ids with an error finding not waived (`set_photos_with_errors`).
        self.photos_with_errors = 0
        self.other_hosts: Counter[str] = Counter()  # rows of other image hosts, by host
        # Per rule, in order of first appearance: severity, findings not waived, waived.
        self.rules: dict[str, list[Any]] = {}

    # -- owners ---------------------------------------------------------------------------------

    def owner_codes(self, owners: pd.Series | pa.Array | pa.ChunkedArray) -> npt.NDArray[np.intp]:
        """Each row's owner code (null owners share one), registering owners not seen before
        (in order of first appearance, the null owner after the others)."""
        encoded = _arrow_text(owners).dictionary_encode()
        values = encoded.dictionary.cast(pa.string())
        # Looked up in Arrow (a chunk's owners need not become Python strings); only owners
        # not seen before do.
        found = pc.index_in(values, value_set=self._known)
        mapping = pc.fill_null(found, -1).to_numpy(zero_copy_only=False).astype(np.intp)
        new = np.flatnonzero(mapping < 0)
        if len(new):
            fresh = values.take(pa.array(new))
            mapping[new] = np.arange(len(self._owners), len(self._owners) + len(new))
            self._register(fresh.to_pylist())
            self._known = pa.concat_arrays([self._known, fresh])
        local = encoded.indices
        if local.null_count:  # the null owner: one code, after the owners of its first chunk
            if self._null_code is None:
                self._null_code = len(self._owners)
                self._register([None])
                # A null matches no dictionary value: it only keeps codes and places in step.
                self._known = pa.concat_arrays([self._known, pa.nulls(1, pa.string())])
            mapping = np.append(mapping, self._null_code)
            local = pc.fill_null(local, len(mapping) - 1)
        result: npt.NDArray[np.intp] = mapping[local.to_numpy(zero_copy_only=False)]
        return result

    def _register(self, owners: list[str | None]) -> None:
        self._owners.extend(owners)
        self._photo_names.extend([None] * len(owners))
        self._finding_names.extend([None] * len(owners))
        self._grow_all()

    def _grow_all(self) -> None:
        size = len(self._owners)
        self._photos = _grow(self._photos, size)
        self._with_errors = _grow(self._with_errors, size)
        self._in_photos = _grow(self._in_photos, size)
        self._named = _grow(self._named, size)
        self._by_severity = _grow(self._by_severity, size)
        self._waived = _grow(self._waived, size)
        for rule, counts in self._rule_counts.items():
            self._rule_counts[rule] = _grow(counts, size)

    def _names(self, store: list[str | None], codes: np.ndarray, names: pd.Series) -> None:
        """Keep the first non-null name each owner gets, in table order."""
        present = names.notna().to_numpy()
        if store is self._photo_names:
            present = present & ~self._named[codes]  # owners named already keep theirs
        if not present.any():
            return
        rows = np.flatnonzero(present)
        distinct, first = _first_rows(codes[rows])
        texts = names.iloc[rows[first]].astype("str").tolist()
        for code, text in zip(distinct.tolist(), texts, strict=True):
            if store[code] is None:
                store[code] = text
        if store is self._photo_names:
            self._named[distinct] = True

    # -- adding chunks --------------------------------------------------------------------------

    def add_photos(
        self,
        photos: pd.DataFrame,
        codes: npt.NDArray[np.intp],
        new_photo: npt.NDArray[np.bool_],
        new_pair: npt.NDArray[np.bool_],
    ) -> None:
        """Count a chunk of the photo table: `codes` from `owner_codes(photos["owner"])`;
        `new_photo` marks the first row of each photo id and `new_pair` the first row of each
        (owner, photo id) pair, in the whole audit so far."""
        self.rows += len(photos)
        self.photo_ids += int(np.count_nonzero(new_photo))
        self._photos[: len(self._owners)] += np.bincount(
            codes[new_pair], minlength=len(self._owners)
        )
        self._in_photos[codes] = True
        self._names(self._photo_names, codes, photos["owner_name"])

    def add_findings(self, findings: pd.DataFrame, codes: npt.NDArray[np.intp]) -> None:
        """Count a chunk of findings; `codes` from `owner_codes(findings["owner"])`."""
        if findings.empty:
            return
        size = len(self._owners)
        waived = findings["waived"].fillna(False).astype(bool).to_numpy()
        live = ~waived
        severity_codes, severities = pd.factorize(findings["severity"].astype("str"))
        ranks = np.array([_RANK[str(s)] for s in severities], dtype=np.intp)[severity_codes]
        self._by_severity[:size] += np.bincount(
            codes[live] * len(SEVERITIES) + ranks[live], minlength=size * len(SEVERITIES)
        ).reshape(size, len(SEVERITIES))
        self._waived[:size] += np.bincount(codes[waived], minlength=size)
        rule_codes, rules = pd.factorize(findings["rule"].astype("str"))
        rule_codes = np.asarray(rule_codes, dtype=np.intp)
        distinct, first = _first_rows(rule_codes)
        severity_of = findings["severity"].astype("str").iloc[first].tolist()
        for code, severity in zip(distinct.tolist(), severity_of, strict=True):
            if code < 0:
                continue
            rule = str(rules[code])
            mine = rule_codes == code
            counts = self._rule_counts.get(rule)
            if counts is None:
                counts = self._rule_counts[rule] = np.zeros(len(self._photos), dtype=np.int64)
            counts[:size] += np.bincount(codes[mine & live], minlength=size)
            entry = self.rules.setdefault(rule, [severity, 0, 0])
            entry[1] += int(np.count_nonzero(mine & live))
            entry[2] += int(np.count_nonzero(mine & waived))
        # A name from the findings is kept only for owners the photo table names nowhere.
        unnamed = ~self._named[codes]
        if unnamed.any():
            self._names(self._finding_names, codes[unnamed], findings["owner_name"][unnamed])

    def set_photos_with_errors(self, total: int, per_owner: npt.NDArray[np.int64]) -> None:
        """The photos with an error finding not waived, once every chunk is in: `total`
        distinct photo ids, and per owner code its (owner, photo id) pairs among them
        (`engine.listings.FirstListings.flagged`)."""
        self.photos_with_errors = int(total)
        self._with_errors[: len(per_owner)] = per_owner

    def add_other_hosts(self, hosts: Counter[str]) -> None:
        """Count rows of other image hosts (`manifests.hosts.split_other_hosts`)."""
        self.other_hosts.update(hosts)

    def merge(self, later: AuditTally) -> None:
        """Add the counts of `later`, a tally of rows that come after this one's (the next
        partition of the same audit: its `new_photo` and `new_pair` marks were made over the
        whole audit). The result is the tally of the rows of both, added in order."""
        count = len(later._owners)
        if count:
            codes = self.owner_codes(pa.array(later._owners, pa.string()))
            self._photos[codes] += later._photos[:count]
            self._in_photos[codes] |= later._in_photos[:count]
            self._by_severity[codes] += later._by_severity[:count]
            self._waived[codes] += later._waived[:count]
            for rule, counts in later._rule_counts.items():
                mine = self._rule_counts.get(rule)
                if mine is None:
                    mine = self._rule_counts[rule] = np.zeros(len(self._photos), dtype=np.int64)
                mine[codes] += counts[:count]
            # The first name each owner gets, in row order: this tally's rows come first.
            for code, photo_name, finding_name in zip(
                codes.tolist(), later._photo_names, later._finding_names, strict=True
            ):
                if photo_name is not None and self._photo_names[code] is None:
                    self._photo_names[code] = photo_name
                    self._named[code] = True
                if finding_name is not None and self._finding_names[code] is None:
                    self._finding_names[code] = finding_name
        for rule, (severity, live, waived) in later.rules.items():
            entry = self.rules.setdefault(rule, [severity, 0, 0])
            entry[1] += live
            entry[2] += waived
        self.rows += later.rows
        self.photo_ids += later.photo_ids
        self.other_hosts.update(later.other_hosts)

    def add_table(self, photos: pd.DataFrame, findings: pd.DataFrame) -> None:
        """Count a whole photo table and its findings as one chunk."""
        codes = self.owner_codes(photos["owner"])
        has_id = photos["photo_id"].notna().to_numpy()
        ids = photos["photo_id"].astype("str")
        new_photo = has_id & ~ids.duplicated().to_numpy()
        pairs = pd.DataFrame({"owner": codes, "photo": ids.to_numpy()})
        new_pair = has_id & ~pairs.duplicated().to_numpy()
        self.add_photos(photos, codes, new_photo, new_pair)
        self.add_findings(findings, self.owner_codes(findings["owner"]))
        # Photos with errors: ids of error findings not waived, then the pairs listing them.
        if "photo_id" not in findings.columns:  # a table of counts only: no photo named
            self.set_photos_with_errors(0, np.zeros(0, dtype=np.int64))
            return
        erring = (
            (findings["severity"].astype("str") == "error").to_numpy()
            & ~findings["waived"].fillna(False).astype(bool).to_numpy()
            & findings["photo_id"].notna().to_numpy()
        )
        erring_ids = findings["photo_id"].astype("str")[erring]
        # Per owner: the (owner, photo) pairs of those findings (the owner their row names).
        pairs = pd.DataFrame(
            {"owner": self.owner_codes(findings["owner"])[erring], "photo": erring_ids.to_numpy()}
        ).drop_duplicates()
        self.set_photos_with_errors(
            erring_ids.nunique(),
            np.bincount(pairs["owner"].to_numpy(), minlength=len(self._owners)).astype(np.int64),
        )

    # -- results --------------------------------------------------------------------------------

    @property
    def codes(self) -> int:
        """Owner codes given so far (the null owner's included)."""
        return len(self._owners)

    @property
    def owners(self) -> int:
        """Distinct known owners in the photo table."""
        return sum(
            1
            for owner, seen in zip(self._owners, self._in_photos.tolist(), strict=False)
            if seen and owner is not None
        )

    def severity_totals(self) -> dict[str, int]:
        totals = self._by_severity[: len(self._owners)].sum(axis=0)
        return {severity: int(totals[i]) for i, severity in enumerate(SEVERITIES)}

    @property
    def waived(self) -> int:
        return int(self._waived[: len(self._owners)].sum())

    def by_rule(self) -> dict[str, int]:
        """Rule → findings not waived (rules with some), largest first, ties by rule."""
        pairs = [(rule, entry[1]) for rule, entry in self.rules.items() if entry[1]]
        return dict(sorted(pairs, key=lambda kv: (-kv[1], kv[0])))

    def rule_rows(self) -> list[tuple[str, str, int, int]]:
        """(rule, severity, not waived, waived) per rule that fired, by severity, then most
        findings, then rule."""
        rows = [(rule, entry[0], entry[1], entry[2]) for rule, entry in self.rules.items()]
        return sorted(rows, key=lambda row: (_RANK.get(row[1], len(_RANK)), -row[2], row[0]))

    def owner_table(self) -> pd.DataFrame:
        """One row per owner, worst first (see `document.owner_summary`)."""
        size = len(self._owners)
        by_severity = self._by_severity[:size]
        table = pd.DataFrame(
            {
                "owner": pd.array(self._owners, dtype="str"),
                "owner_name": pd.array(self._owner_names(), dtype="str"),
                "photos": self._photos[:size].astype("int64"),
                "usable_photos": (self._photos[:size] - self._with_errors[:size]).astype("int64"),
                "photos_with_errors": self._with_errors[:size].astype("int64"),
                **{s: by_severity[:, i].astype("int64") for i, s in enumerate(SEVERITIES)},
                "waived": self._waived[:size].astype("int64"),
            }
        )
        table["rules"] = pd.Series(self._owner_rules(size), dtype=object)
        return table.iloc[self._worst_first()].reset_index(drop=True)

    def owner_arrow(self) -> pa.Table:
        """`owner_table` as Arrow, with its `rules` as text: `rules` the JSON object audit.json
        holds, `rules_cell` the `document.format_rules` text of owners.csv. Built column-wise,
        without a Python object per owner: a large audit has hundreds of thousands of owners."""
        size = len(self._owners)
        order = self._worst_first()
        rows = pa.array(order)
        rules, cells = self._owner_rule_texts(size)
        by_severity = self._by_severity[:size][order]
        return pa.table(
            {
                "owner": pa.array(self._owners, pa.string()).take(rows),
                "owner_name": pa.array(self._owner_names(), pa.string()).take(rows),
                "photos": pa.array(self._photos[:size][order].astype(np.int64)),
                "usable_photos": pa.array(
                    (self._photos[:size] - self._with_errors[:size])[order].astype(np.int64)
                ),
                "photos_with_errors": pa.array(self._with_errors[:size][order].astype(np.int64)),
                **{
                    s: pa.array(by_severity[:, i].astype(np.int64))
                    for i, s in enumerate(SEVERITIES)
                },
                "waived": pa.array(self._waived[:size][order].astype(np.int64)),
                "rules": rules.take(rows),
                "rules_cell": cells.take(rows),
            }
        )

    def _owner_names(self) -> list[str | None]:
        """Per owner, the first name the photo table gives it, else the first the findings
        give; None for the null owner."""
        return [
            None if owner is None else (name if name is not None else other)
            for owner, name, other in zip(
                self._owners, self._photo_names, self._finding_names, strict=True
            )
        ]

    def owner_records(self) -> list[OwnerRecord]:
        """`owner_table`'s rows as JSON-safe dicts (audit.json's `owners`), built straight
        from the counts."""
        size = len(self._owners)
        order = self._worst_first()
        names = self._owner_names()
        with gc_paused():
            rules = self._owner_rules(size)
        counts = np.column_stack(
            [
                self._photos[:size],
                self._photos[:size] - self._with_errors[:size],
                self._with_errors[:size],
                self._by_severity[:size],
                self._waived[:size],
            ]
        )[order].tolist()
        with gc_paused():
            return self._records(order, counts, names, rules)

    def _records(
        self,
        order: npt.NDArray[np.intp],
        counts: list[list[int]],
        names: list[str | None],
        rules: list[dict[str, int]],
    ) -> list[OwnerRecord]:
        owners = self._owners
        return [
            {
                "owner": owners[code],
                "owner_name": names[code],
                "photos": photos,
                "usable_photos": usable,
                "photos_with_errors": with_errors,
                "error": error,
                "warning": warning,
                "note": note,
                "waived": waived,
                "rules": rules[code],
            }
            for code, (photos, usable, with_errors, error, warning, note, waived) in zip(
                order.tolist(), counts, strict=True
            )
        ]

    def _worst_first(self) -> npt.NDArray[np.intp]:
        """Owner codes, worst first: most errors, warnings, notes, then photos; the owner
        breaks the last ties, with the null owner after every other."""
        size = len(self._owners)
        by_owner = pc.array_sort_indices(
            pa.array(self._owners, pa.string()), null_placement="at_end"
        )
        name_rank = np.empty(size, dtype=np.int64)
        name_rank[by_owner.to_numpy()] = np.arange(size)
        worst_first = [-self._by_severity[:size, i] for i in range(len(SEVERITIES))]
        order: npt.NDArray[np.intp] = np.lexsort(
            (name_rank, -self._photos[:size], *reversed(worst_first))
        )
        return order

    def _rule_pairs(self, size: int) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
        """(rule ids sorted, then per (owner, rule) with findings: owner code, rule's index,
        count), ordered by owner, largest count first, ties alphabetical."""
        names = sorted(self._rule_counts)
        if not names:
            empty = np.zeros(0, dtype=np.int64)
            return names, empty, empty, empty
        matrix = np.stack([self._rule_counts[name][:size] for name in names], axis=1)
        owner_of, rule_of = np.nonzero(matrix)
        counts = matrix[owner_of, rule_of]
        order = np.lexsort((rule_of, -counts, owner_of))
        return names, owner_of[order], rule_of[order], counts[order]

    def _owner_rule_texts(self, size: int) -> tuple[pa.Array, pa.Array]:
        """Per owner code, its rule counts as a JSON object (`{"rule": 3, ...}`) and as a
        `document.format_rules` cell (`rule:3; ...`), in `_owner_rules`' order."""
        names, owner_of, rule_of, counts = self._rule_pairs(size)
        offsets = np.zeros(size + 1, dtype=np.int64)
        np.cumsum(np.bincount(owner_of, minlength=size), out=offsets[1:])
        count_text = pc.cast(pa.array(counts, pa.int64()), pa.string())
        rule_at = pa.array(rule_of, pa.int64())

        def joined(prefixes: list[str], separator: str) -> pa.Array:
            prefix = pa.array(prefixes, pa.string()).take(rule_at)
            items = pc.binary_join_element_wise(prefix, count_text, "")
            per_owner = pa.LargeListArray.from_arrays(pa.array(offsets, pa.int64()), items)
            text: pa.Array = pc.binary_join(per_owner, separator)
            return text

        keys = [json.dumps(name, ensure_ascii=False) + ": " for name in names]
        objects = pc.binary_join_element_wise("{", joined(keys, ", "), "}", "")
        return objects, joined([f"{name}:" for name in names], "; ")

    def _owner_rules(self, size: int) -> list[dict[str, int]]:
        """Per owner, rule id → count of its (not waived) findings, largest count first, ties
        alphabetical."""
        out: list[dict[str, int]] = [{} for _ in range(size)]
        names, owner_of, rule_of, counts = self._rule_pairs(size)
        for owner, rule, count in zip(
            owner_of.tolist(), rule_of.tolist(), counts.tolist(), strict=True
        ):
            out[owner][names[rule]] = count
        return out
