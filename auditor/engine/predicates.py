"""The rule language: a closed vocabulary of predicates, parsed from YAML, evaluated as masks.

A rule's `when` is one predicate. Each predicate is a small frozen dataclass whose `mask` returns
one boolean per row of the annotated photo table, computed with vectorised pandas/numpy
operations (no `eval`, no `DataFrame.query`, no Python loop over rows). Licence facts are looked
up once per distinct slug and turned into an `isin` mask, because a table has millions of rows
but a handful of licences.

Vocabulary (`PREDICATES`): `equals`, `in`, `is_null` (column comparisons); `has`, `kind`
(licence facts of the slug in a licence column); `changed` (two columns, both set, differ);
`matches` (a regular expression, length-capped, compiled when the policy loads); `tagged` (one of a
list of tags, or of the policy's `opt_out_tags`, among the space-separated tags, compared in
Flickr's normalised form); `duplicated` (the value appeared in an earlier row); `use` (a fact of
the policy's intended use); `all`, `any`, `not`. `docs/rules.md` is the user's reference for them.
"""

from __future__ import annotations

import re
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from yaml.nodes import MappingNode, Node, ScalarNode

from auditor.engine.columns import INTEGER_COLUMNS, LICENCE_COLUMNS, RULE_COLUMNS
from auditor.engine.tags import DEFAULT_OPT_OUT_TAGS, first_tag_in, normalised_set, parse_tags
from auditor.engine.yamlnodes import STR_TAG, Source, describe, one_of, suggest
from auditor.licences import KINDS, Licence, LicenceCatalogue

Mask = npt.NDArray[np.bool_]

PREDICATES: tuple[str, ...] = (
    "all",
    "any",
    "not",
    "equals",
    "in",
    "is_null",
    "has",
    "kind",
    "changed",
    "matches",
    "tagged",
    "duplicated",
    "use",
)
USE_FACTS: tuple[str, ...] = ("commercial", "adapts", "redistributes", "redistributes_adaptations")
LICENCE_FACTS: tuple[str, ...] = ("by", "sa", "nc", "nd")
# `unknown`: no licence the catalogue knows (null, "unknown", or a slug it cannot resolve).
LICENCE_KINDS: tuple[str, ...] = (*KINDS, "unknown")
MAX_PATTERN = 200
# `tagged: {..., any_of: opt_out_tags}` reads the policy's list rather than one written inline.
POLICY_TAGS = "opt_out_tags"
# Deeper nesting is a mistake (or a recursive YAML alias); refuse it rather than recurse forever.
MAX_DEPTH = 32


class EvalContext:
    """What predicates are evaluated against: the annotated table, the use facts, the catalogue
    and the policy's opt-out tags.

    Per-column work (factorizing, licence look-ups, first occurrences, tag matches) is cached,
    so rules that read the same column share it.
    """

    def __init__(
        self,
        table: pd.DataFrame,
        use: Mapping[str, bool],
        catalogue: LicenceCatalogue,
        *,
        opt_out_tags: tuple[str, ...] = DEFAULT_OPT_OUT_TAGS,
    ) -> None:
        self.table = table
        self.rows = len(table)
        self.use = use
        self.catalogue = catalogue
        self.opt_out_tags = opt_out_tags
        self._codes: dict[str, tuple[npt.NDArray[np.intp], list[str]]] = {}
        self._licences: dict[str, list[Licence | None]] = {}
        self._first: dict[str, npt.NDArray[np.intp]] = {}
        self._repeated: dict[str, Mask] = {}
        self._tags: dict[tuple[str, frozenset[str]], pd.Series] = {}

    def column(self, name: str) -> pd.Series:
        if name not in self.table.columns:
            raise ValueError(f"column {name!r} is missing: evaluate annotated tables only")
        return self.table[name]

    def codes(self, column: str) -> tuple[npt.NDArray[np.intp], list[str]]:
        """`(codes, distinct values)` of a text column; code -1 marks a null."""
        if column not in self._codes:
            codes, uniques = pd.factorize(self.column(column))
            self._codes[column] = (np.asarray(codes, dtype=np.intp), [str(u) for u in uniques])
        return self._codes[column]

    def licences(self, column: str) -> list[Licence | None]:
        """The catalogue's licence (or None) for each distinct value of `codes(column)`."""
        if column not in self._licences:
            _, slugs = self.codes(column)
            self._licences[column] = [self.catalogue.get(slug) for slug in slugs]
        return self._licences[column]

    def licence_mask(self, column: str, test: Callable[[Licence | None], bool]) -> Mask:
        """Rows whose licence passes `test`, deciding once per distinct slug (null: None)."""
        codes, _ = self.codes(column)
        per_value = [test(licence) for licence in self.licences(column)]
        # Code -1 (null) indexes the last entry: the test's answer for "no licence".
        lookup = np.asarray([*per_value, test(None)], dtype=bool)
        return lookup[codes]

    def seed_first_positions(self, column: str, first: npt.NDArray[np.intp]) -> None:
        """Reuse `first_positions(table[column])` computed elsewhere."""
        self._first[column] = first

    def first_positions(self, column: str) -> npt.NDArray[np.intp]:
        """For each row, the position of the first row with the same value; -1 where null."""
        if column not in self._first:
            self._first[column] = first_positions(self.column(column))
        return self._first[column]

    def seed_repeated(self, column: str, repeated: Mask) -> None:
        """Which rows repeat a value of an earlier row, decided elsewhere: when a table is
        judged in chunks, "earlier" reaches into chunks before this one
        (`auditor.engine.listings`)."""
        self._repeated[column] = repeated

    def repeated(self, column: str) -> Mask:
        """Rows whose value appeared in an earlier row (the first row of each value is not)."""
        if column not in self._repeated:
            first = self.first_positions(column)
            # A null (-1) repeats nothing; a value repeats when its first row is an earlier one.
            self._repeated[column] = (first >= 0) & (first != np.arange(self.rows))
        return self._repeated[column]

    def seed_tag_matches(self, column: str, wanted: frozenset[str], found: pd.Series) -> None:
        """Reuse `first_tag_in(table[column], wanted)` computed elsewhere."""
        self._tags[(column, wanted)] = found

    def tag_matches(self, column: str, wanted: frozenset[str]) -> pd.Series:
        """Per row, the first tag in `column` whose normalised form is in `wanted`, else null."""
        key = (column, wanted)
        if key not in self._tags:
            self._tags[key] = first_tag_in(self.column(column), wanted)
        return self._tags[key]


def first_positions(series: pd.Series) -> npt.NDArray[np.intp]:
    """For each row, the position of the first row holding the same value; -1 where null."""
    codes, uniques = pd.factorize(series)
    codes = np.asarray(codes, dtype=np.intp)
    if len(uniques) == 0:
        return np.full(len(codes), -1, dtype=np.intp)
    # np.unique's return_index gives each code's first position (codes are 0..k-1, plus -1).
    values, first = np.unique(codes, return_index=True)
    lookup = np.full(len(uniques) + 1, -1, dtype=np.intp)
    lookup[values] = first  # code -1 writes the last slot, which is overwritten just below
    lookup[-1] = -1
    return lookup[codes]


def _bools(series: pd.Series) -> Mask:
    return series.to_numpy(dtype=bool, na_value=False)


class Predicate(ABC):
    """A condition on each row of the annotated photo table."""

    @abstractmethod
    def mask(self, ctx: EvalContext) -> Mask:
        """One boolean per row of `ctx.table`, True where the condition holds."""

    @abstractmethod
    def as_data(self) -> object:
        """The predicate as the YAML data it is written as."""

    def columns(self) -> frozenset[str]:
        """The table columns the predicate reads."""
        return frozenset()


@dataclass(frozen=True)
class Equals(Predicate):
    column: str
    value: str | int

    def mask(self, ctx: EvalContext) -> Mask:
        return _bools(ctx.column(self.column) == self.value)

    def as_data(self) -> object:
        return {"equals": {"column": self.column, "value": self.value}}

    def columns(self) -> frozenset[str]:
        return frozenset({self.column})


@dataclass(frozen=True)
class In(Predicate):
    column: str
    values: tuple[str | int, ...]

    def mask(self, ctx: EvalContext) -> Mask:
        return _bools(ctx.column(self.column).isin(list(self.values)))

    def as_data(self) -> object:
        return {"in": {"column": self.column, "values": list(self.values)}}

    def columns(self) -> frozenset[str]:
        return frozenset({self.column})


@dataclass(frozen=True)
class IsNull(Predicate):
    column: str

    def mask(self, ctx: EvalContext) -> Mask:
        return ctx.column(self.column).isna().to_numpy(dtype=bool)

    def as_data(self) -> object:
        return {"is_null": self.column}

    def columns(self) -> frozenset[str]:
        return frozenset({self.column})


@dataclass(frozen=True)
class Has(Predicate):
    """The licence in `column` has every one of `facts` (by, sa, nc, nd)."""

    column: str
    facts: tuple[str, ...]

    def mask(self, ctx: EvalContext) -> Mask:
        facts = self.facts
        return ctx.licence_mask(
            self.column,
            lambda licence: licence is not None and all(getattr(licence, f) for f in facts),
        )

    def as_data(self) -> object:
        return {"has": {"column": self.column, "facts": list(self.facts)}}

    def columns(self) -> frozenset[str]:
        return frozenset({self.column})


@dataclass(frozen=True)
class Kind(Predicate):
    """The licence in `column` is of this kind; `unknown` also holds for null and unknown slugs."""

    column: str
    kind: str

    def mask(self, ctx: EvalContext) -> Mask:
        if self.kind == "unknown":
            return ctx.licence_mask(self.column, lambda licence: licence is None)
        kind = self.kind
        return ctx.licence_mask(
            self.column, lambda licence: licence is not None and licence.kind == kind
        )

    def as_data(self) -> object:
        return {"kind": {"column": self.column, "is": self.kind}}

    def columns(self) -> frozenset[str]:
        return frozenset({self.column})


@dataclass(frozen=True)
class Changed(Predicate):
    """Both columns are set and their values differ."""

    from_column: str
    to_column: str

    def mask(self, ctx: EvalContext) -> Mask:
        before, after = ctx.column(self.from_column), ctx.column(self.to_column)
        both = before.notna().to_numpy(dtype=bool) & after.notna().to_numpy(dtype=bool)
        return both & _bools(before != after)

    def as_data(self) -> object:
        return {"changed": {"from": self.from_column, "to": self.to_column}}

    def columns(self) -> frozenset[str]:
        return frozenset({self.from_column, self.to_column})


@dataclass(frozen=True)
class Matches(Predicate):
    """A regular expression (Python syntax) found anywhere in the text; null never matches."""

    column: str
    pattern: str

    def mask(self, ctx: EvalContext) -> Mask:
        series = ctx.column(self.column)
        with warnings.catch_warnings():
            # pandas warns that capturing groups are not extracted; only the match matters here.
            warnings.filterwarnings("ignore", "This pattern is interpreted", UserWarning)
            found = series.str.contains(self.pattern, regex=True, na=False)
        return _bools(found)

    def as_data(self) -> object:
        return {"matches": {"column": self.column, "pattern": self.pattern}}

    def columns(self) -> frozenset[str]:
        return frozenset({self.column})


@dataclass(frozen=True)
class Tagged(Predicate):
    """One of `tags` is among the row's space-separated tags, both compared in Flickr's
    normalised form (lower case, letters and digits only). `tags` None: the policy's
    `opt_out_tags`."""

    column: str
    tags: tuple[str, ...] | None

    def mask(self, ctx: EvalContext) -> Mask:
        wanted = normalised_set(ctx.opt_out_tags if self.tags is None else self.tags)
        return ctx.tag_matches(self.column, wanted).notna().to_numpy(dtype=bool)

    def as_data(self) -> object:
        tags = POLICY_TAGS if self.tags is None else list(self.tags)
        return {"tagged": {"column": self.column, "any_of": tags}}

    def columns(self) -> frozenset[str]:
        return frozenset({self.column})


@dataclass(frozen=True)
class Duplicated(Predicate):
    """The row's value appeared in an earlier row (the first row of each value is not marked)."""

    column: str

    def mask(self, ctx: EvalContext) -> Mask:
        return ctx.repeated(self.column)

    def as_data(self) -> object:
        return {"duplicated": self.column}

    def columns(self) -> frozenset[str]:
        return frozenset({self.column})


@dataclass(frozen=True)
class Use(Predicate):
    """A fact of the policy's intended use: the same for every row."""

    fact: str

    def mask(self, ctx: EvalContext) -> Mask:
        return np.full(ctx.rows, bool(ctx.use[self.fact]), dtype=bool)

    def as_data(self) -> object:
        return {"use": self.fact}


@dataclass(frozen=True)
class AllOf(Predicate):
    items: tuple[Predicate, ...]

    def mask(self, ctx: EvalContext) -> Mask:
        result = np.ones(ctx.rows, dtype=bool)
        for item in self.items:
            result &= item.mask(ctx)
        return result

    def as_data(self) -> object:
        return {"all": [item.as_data() for item in self.items]}

    def columns(self) -> frozenset[str]:
        return frozenset().union(*(item.columns() for item in self.items))


@dataclass(frozen=True)
class AnyOf(Predicate):
    items: tuple[Predicate, ...]

    def mask(self, ctx: EvalContext) -> Mask:
        result = np.zeros(ctx.rows, dtype=bool)
        for item in self.items:
            result |= item.mask(ctx)
        return result

    def as_data(self) -> object:
        return {"any": [item.as_data() for item in self.items]}

    def columns(self) -> frozenset[str]:
        return frozenset().union(*(item.columns() for item in self.items))


@dataclass(frozen=True)
class Not(Predicate):
    item: Predicate

    def mask(self, ctx: EvalContext) -> Mask:
        return ~self.item.mask(ctx)

    def as_data(self) -> object:
        return {"not": self.item.as_data()}

    def columns(self) -> frozenset[str]:
        return self.item.columns()


# -- parsing from YAML nodes ---------------------------------------------------------------------


def _column(src: Source, node: Node, what: str, allowed: tuple[str, ...] = RULE_COLUMNS) -> str:
    name = src.text(node, what)
    if name not in allowed:
        listed = one_of(allowed) if len(allowed) <= 10 else f"{one_of(allowed[:12])}, ..."
        hint = suggest(name, allowed)
        raise src.error(node, f"unknown column {name!r}{hint}", f"use a column such as {listed}")
    return name


def _licence_column(src: Source, node: Node, predicate: str) -> str:
    name = src.text(node, f"`{predicate}`'s column")
    if name not in LICENCE_COLUMNS:
        raise src.error(
            node,
            f"`{predicate}` looks up licence facts, but {name!r} is not a licence column",
            f"use one of {one_of(LICENCE_COLUMNS)}",
        )
    return name


def _value(src: Source, node: Node, column: str, what: str) -> str | int:
    """A comparison value of the column's type: text, or an integer for `source_row`."""
    if column in INTEGER_COLUMNS:
        return src.integer(node, what)
    if not isinstance(node, ScalarNode) or node.tag != STR_TAG:
        shown = f" {node.value}" if isinstance(node, ScalarNode) else ""
        raise src.error(
            node,
            f"{what} is {describe(node)}, but {column!r} holds text",
            f"quote it: '{shown.strip()}'" if shown else "write it as text",
        )
    return str(node.value)


def _args(
    src: Source, node: Node, predicate: str, required: tuple[str, ...]
) -> dict[str, tuple[Node, Node]]:
    entries = src.mapping(node, f"`{predicate}`")
    src.keys(node, entries, f"`{predicate}`", allowed=required, required=required)
    return entries


def parse_predicate(src: Source, node: Node, depth: int = 0) -> Predicate:
    """The predicate written at `node`; errors name its line and column."""
    if depth > MAX_DEPTH:
        raise src.error(
            node,
            f"predicates nested more than {MAX_DEPTH} deep (or a YAML alias refers to itself)",
            "flatten the condition with all/any",
        )
    if not isinstance(node, MappingNode):
        raise src.error(
            node,
            f"a predicate is {describe(node)}",
            f"write a mapping with one key, one of {one_of(PREDICATES)}",
        )
    entries = src.mapping(node, "a predicate")
    if len(entries) != 1:
        keys = ", ".join(entries) or "no key"
        raise src.error(
            node,
            f"a predicate has exactly one key, this one has {keys}",
            "combine several conditions with `all: [...]` or `any: [...]`",
        )
    ((name, (key_node, arg)),) = entries.items()
    if name not in PREDICATES:
        raise src.error(
            key_node,
            f"unknown predicate {name!r}{suggest(name, PREDICATES)}",
            f"use one of {one_of(PREDICATES)}",
        )

    if name in ("all", "any"):
        items = src.sequence(arg, f"`{name}`")
        if not items:
            raise src.error(arg, f"`{name}` has no predicates", "list at least one")
        parsed = tuple(parse_predicate(src, item, depth + 1) for item in items)
        return AllOf(parsed) if name == "all" else AnyOf(parsed)
    if name == "not":
        return Not(parse_predicate(src, arg, depth + 1))
    if name == "is_null":
        return IsNull(_column(src, arg, "`is_null`'s column"))
    if name == "duplicated":
        return Duplicated(_column(src, arg, "`duplicated`'s column"))
    if name == "use":
        fact = src.text(arg, "`use`")
        if fact not in USE_FACTS:
            raise src.error(
                arg,
                f"unknown use fact {fact!r}{suggest(fact, USE_FACTS)}",
                f"use one of {one_of(USE_FACTS)}",
            )
        return Use(fact)
    if name == "equals":
        args = _args(src, arg, name, ("column", "value"))
        column = _column(src, args["column"][1], "`equals`'s column")
        return Equals(column, _value(src, args["value"][1], column, "`equals`'s value"))
    if name == "in":
        args = _args(src, arg, name, ("column", "values"))
        column = _column(src, args["column"][1], "`in`'s column")
        values_node = args["values"][1]
        items = src.sequence(values_node, "`in`'s values")
        if not items:
            raise src.error(values_node, "`in` has no values", "list at least one value")
        return In(column, tuple(_value(src, item, column, "a value of `in`") for item in items))
    if name == "has":
        return _parse_has(src, arg)
    if name == "kind":
        return _parse_kind(src, arg)
    if name == "tagged":
        return _parse_tagged(src, arg)
    if name == "changed":
        args = _args(src, arg, name, ("from", "to"))
        before = _column(src, args["from"][1], "`changed`'s from column")
        after = _column(src, args["to"][1], "`changed`'s to column")
        if (before in INTEGER_COLUMNS) != (after in INTEGER_COLUMNS):
            raise src.error(
                arg, f"{before!r} and {after!r} hold different types", "compare like columns"
            )
        return Changed(before, after)
    # name == "matches"
    args = _args(src, arg, name, ("column", "pattern"))
    column = _column(src, args["column"][1], "`matches`'s column")
    if column in INTEGER_COLUMNS:
        raise src.error(
            args["column"][1], f"{column!r} holds integers", "use `equals` or `in` on it"
        )
    pattern_node = args["pattern"][1]
    pattern = src.text(pattern_node, "`matches`'s pattern")
    if len(pattern) > MAX_PATTERN:
        raise src.error(
            pattern_node,
            f"pattern is {len(pattern)} characters long, more than {MAX_PATTERN}",
            "shorten it, or split it into several `matches` under `any`",
        )
    try:
        re.compile(pattern)
    except re.error as error:
        raise src.error(
            pattern_node,
            f"bad regular expression: {error.msg} at position {error.pos}",
            "fix the pattern (Python `re` syntax; quote it in single quotes)",
        ) from error
    return Matches(column, pattern)


def _parse_tagged(src: Source, arg: Node) -> Predicate:
    args = _args(src, arg, "tagged", ("column", "any_of"))
    column = _column(src, args["column"][1], "`tagged`'s column")
    if column in INTEGER_COLUMNS:
        raise src.error(args["column"][1], f"{column!r} holds integers", "use a text column")
    tags_node = args["any_of"][1]
    if isinstance(tags_node, ScalarNode) and tags_node.tag == STR_TAG:
        if tags_node.value != POLICY_TAGS:
            raise src.error(
                tags_node,
                f"`tagged`'s any_of is {tags_node.value!r}",
                f"write a list of tags, or {POLICY_TAGS} for the policy's list",
            )
        return Tagged(column, None)
    return Tagged(column, parse_tags(src, tags_node, "`tagged`'s any_of", allow_empty=False))


def _parse_has(src: Source, arg: Node) -> Predicate:
    # `has: [nc]` is short for `has: {column: effective_licence, facts: [nc]}`.
    if isinstance(arg, MappingNode):
        args = _args(src, arg, "has", ("column", "facts"))
        column = _licence_column(src, args["column"][1], "has")
        facts_node = args["facts"][1]
    else:
        column, facts_node = "effective_licence", arg
    items = src.sequence(facts_node, "`has`'s facts")
    if not items:
        raise src.error(
            facts_node, "`has` lists no licence facts", f"list some of {one_of(LICENCE_FACTS)}"
        )
    facts: list[str] = []
    for item in items:
        fact = src.text(item, "a licence fact")
        if fact not in LICENCE_FACTS:
            raise src.error(
                item,
                f"unknown licence fact {fact!r}",
                f"use {one_of(LICENCE_FACTS)} (for all rights reserved use `kind`)",
            )
        facts.append(fact)
    return Has(column, tuple(facts))


def _parse_kind(src: Source, arg: Node) -> Predicate:
    # `kind: all-rights-reserved` is short for `kind: {column: effective_licence, is: ...}`.
    if isinstance(arg, MappingNode):
        args = _args(src, arg, "kind", ("column", "is"))
        column = _licence_column(src, args["column"][1], "kind")
        kind_node = args["is"][1]
    else:
        column, kind_node = "effective_licence", arg
    kind = src.text(kind_node, "`kind`")
    if kind not in LICENCE_KINDS:
        raise src.error(
            kind_node,
            f"unknown licence kind {kind!r}{suggest(kind, LICENCE_KINDS)}",
            f"use one of {one_of(LICENCE_KINDS)}",
        )
    return Kind(column, kind)


__all__ = [
    "LICENCE_FACTS",
    "LICENCE_KINDS",
    "MAX_PATTERN",
    "POLICY_TAGS",
    "PREDICATES",
    "USE_FACTS",
    "AllOf",
    "AnyOf",
    "Changed",
    "Duplicated",
    "Equals",
    "EvalContext",
    "Has",
    "In",
    "IsNull",
    "Kind",
    "Mask",
    "Matches",
    "Not",
    "Predicate",
    "Tagged",
    "Use",
    "first_positions",
    "parse_predicate",
]
