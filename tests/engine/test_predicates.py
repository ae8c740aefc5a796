"""The rule language: algebraic properties of the predicates over random small tables (with
hypothesis), YAML round trips, and each predicate's behaviour on nulls."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.engine import annotate
from auditor.engine.predicates import (
    PREDICATES,
    AllOf,
    AnyOf,
    Changed,
    Duplicated,
    Equals,
    EvalContext,
    Has,
    In,
    IsNull,
    Kind,
    Matches,
    Not,
    Predicate,
    Tagged,
    Use,
    first_positions,
    parse_predicate,
)
from auditor.engine.yamlnodes import Source
from auditor.licences import load_catalogue
from auditor.photo_table import PHOTO_COLUMNS

IDS = ["1", "2", "3", None]
SLUGS = ["cc-by-2.0", "cc-by-nc-2.0", "cc-by-nd-2.0", "cc-by-sa-2.0", "all-rights-reserved",
         "pdm-1.0", "unknown", "junk", None]  # fmt: skip
VISIBILITY = ["public", "not-public", "error", None]
TAGS = ["nocv", "a noai b", "x", "", None, "No_CV x", "b do-not-train"]
USE = {
    "commercial": True,
    "adapts": False,
    "redistributes": True,
    "redistributes_adaptations": False,
}


@st.composite
def tables(draw: st.DrawFn) -> pd.DataFrame:
    rows = draw(st.integers(min_value=0, max_value=8))
    column: dict[str, Any] = {
        "photo_id": [draw(st.sampled_from(IDS)) for _ in range(rows)],
        "recorded_licence": [draw(st.sampled_from(SLUGS)) for _ in range(rows)],
        "current_licence": [draw(st.sampled_from(SLUGS)) for _ in range(rows)],
        "visibility": [draw(st.sampled_from(VISIBILITY)) for _ in range(rows)],
        "tags": [draw(st.sampled_from(TAGS)) for _ in range(rows)],
        "source_file": ["m.csv"] * rows,
        "source_row": list(range(2, rows + 2)),
    }
    frame = pd.DataFrame({k: pd.Series(v, dtype="str") for k, v in column.items()})
    frame["source_row"] = frame["source_row"].astype("int64")
    return frame


TEXT_COLUMNS = ["photo_id", "recorded_licence", "current_licence", "visibility", "tags"]
LICENCE_COLUMNS = ["recorded_licence", "current_licence", "effective_licence"]

leaves = st.one_of(
    st.builds(Equals, st.sampled_from(TEXT_COLUMNS), st.sampled_from(["1", "public", "cc-by-2.0"])),
    st.builds(
        In,
        st.sampled_from(TEXT_COLUMNS),
        st.lists(st.sampled_from(["2", "error", "unknown", "x"]), min_size=1, max_size=3).map(
            tuple
        ),
    ),
    st.builds(IsNull, st.sampled_from(TEXT_COLUMNS)),
    st.builds(
        Has,
        st.sampled_from(LICENCE_COLUMNS),
        st.lists(st.sampled_from(["by", "sa", "nc", "nd"]), min_size=1, max_size=2).map(tuple),
    ),
    st.builds(
        Kind,
        st.sampled_from(LICENCE_COLUMNS),
        st.sampled_from(["all-rights-reserved", "creative-commons", "public-domain", "unknown"]),
    ),
    st.builds(Changed, st.sampled_from(LICENCE_COLUMNS), st.sampled_from(LICENCE_COLUMNS)),
    st.builds(Matches, st.just("tags"), st.sampled_from(["no", "^x$", "(?:^| )noai(?: |$)"])),
    st.builds(
        Tagged,
        st.sampled_from(["tags", "photo_id"]),
        st.one_of(
            st.none(),
            st.lists(st.sampled_from(["no_cv", "X", "donottrain", "b"]), min_size=1).map(tuple),
        ),
    ),
    st.builds(Duplicated, st.sampled_from(["photo_id", "recorded_licence"])),
    st.builds(Use, st.sampled_from(sorted(USE))),
)
predicates = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.builds(Not, children),
        st.lists(children, min_size=1, max_size=3).map(lambda items: AllOf(tuple(items))),
        st.lists(children, min_size=1, max_size=3).map(lambda items: AnyOf(tuple(items))),
    ),
    max_leaves=6,
)


def _context(table: pd.DataFrame) -> EvalContext:
    catalogue = load_catalogue()
    return EvalContext(annotate(table, catalogue), USE, catalogue)


def _mask(predicate: Predicate, ctx: EvalContext) -> list[bool]:
    mask = predicate.mask(ctx)
    assert mask.dtype == np.bool_ and mask.shape == (ctx.rows,)
    return mask.tolist()


@settings(max_examples=150, deadline=None)
@given(tables(), predicates)
def test_double_negation(table: pd.DataFrame, p: Predicate) -> None:
    ctx = _context(table)
    assert _mask(Not(Not(p)), ctx) == _mask(p, ctx)


@settings(max_examples=150, deadline=None)
@given(tables(), predicates, predicates)
def test_de_morgan(table: pd.DataFrame, p: Predicate, q: Predicate) -> None:
    ctx = _context(table)
    assert _mask(Not(AllOf((p, q))), ctx) == _mask(AnyOf((Not(p), Not(q))), ctx)
    assert _mask(Not(AnyOf((p, q))), ctx) == _mask(AllOf((Not(p), Not(q))), ctx)


@settings(max_examples=150, deadline=None)
@given(tables(), predicates)
def test_all_and_any_of_one_are_itself(table: pd.DataFrame, p: Predicate) -> None:
    ctx = _context(table)
    assert _mask(AllOf((p,)), ctx) == _mask(p, ctx)
    assert _mask(AnyOf((p,)), ctx) == _mask(p, ctx)


@settings(max_examples=150, deadline=None)
@given(tables(), predicates, predicates)
def test_all_is_and_any_is_or(table: pd.DataFrame, p: Predicate, q: Predicate) -> None:
    ctx = _context(table)
    a, b = np.array(_mask(p, ctx), dtype=bool), np.array(_mask(q, ctx), dtype=bool)
    assert _mask(AllOf((p, q)), ctx) == (a & b).tolist()
    assert _mask(AnyOf((p, q)), ctx) == (a | b).tolist()


def _parse(text: str) -> Predicate:
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    assert node is not None
    return parse_predicate(Source(Path("test.yaml")), node)


@settings(max_examples=150, deadline=None)
@given(predicates)
def test_yaml_round_trip(p: Predicate) -> None:
    assert _parse(yaml.safe_dump(p.as_data())) == p


def test_every_predicate_name_parses() -> None:
    examples = {
        "all": "all: [{use: commercial}]",
        "any": "any: [{use: adapts}]",
        "not": "not: {use: adapts}",
        "equals": "equals: {column: visibility, value: public}",
        "in": "in: {column: source_row, values: [2, 3]}",
        "is_null": "is_null: photo_id",
        "has": "has: [nc, nd]",
        "kind": "kind: all-rights-reserved",
        "changed": "changed: {from: recorded_licence, to: current_licence}",
        "matches": "matches: {column: title, pattern: '^='}",
        "tagged": "tagged: {column: tags, any_of: opt_out_tags}",
        "duplicated": "duplicated: photo_id",
        "use": "use: redistributes",
    }
    assert set(examples) == set(PREDICATES)
    parsed = {name: _parse(text) for name, text in examples.items()}
    assert parsed["has"] == Has("effective_licence", ("nc", "nd"))
    assert parsed["kind"] == Kind("effective_licence", "all-rights-reserved")
    assert parsed["in"] == In("source_row", (2, 3))
    assert parsed["tagged"] == Tagged("tags", None)


def test_nulls_never_equal_match_or_repeat() -> None:
    table = pd.DataFrame(
        {
            "photo_id": pd.Series([None, None, "1", "1"], dtype="str"),
            "tags": pd.Series([None, "nocv", None, "x"], dtype="str"),
            "source_file": ["m.csv"] * 4,
            "source_row": [2, 3, 4, 5],
        }
    )
    ctx = _context(table)
    assert _mask(Duplicated("photo_id"), ctx) == [False, False, False, True]
    assert _mask(Matches("tags", ".*"), ctx) == [False, True, False, True]
    assert _mask(Equals("photo_id", "1"), ctx) == [False, False, True, True]
    assert _mask(Not(Equals("photo_id", "1")), ctx) == [True, True, False, False]
    assert _mask(Changed("photo_id", "tags"), ctx) == [False, False, False, True]
    assert _mask(Kind("current_licence", "unknown"), ctx) == [True] * 4
    assert _mask(Tagged("tags", ("nocv",)), ctx) == [False, True, False, False]


def test_tagged_compares_normalised_whole_tags() -> None:
    tags = ["nocv", "street NO-CV", "no_cvs", "no cv", "x\tno_cv", "", None, "données"]
    table = pd.DataFrame(
        {
            "photo_id": [str(n) for n in range(len(tags))],
            "tags": pd.Series(tags, dtype="str"),
            "source_file": "m",
            "source_row": list(range(len(tags))),
        }
    )
    ctx = _context(table)
    assert _mask(Tagged("tags", ("no_cv",)), ctx) == [
        True, True, False, False, True, False, False, False
    ]  # fmt: skip
    assert _mask(Tagged("tags", ("Données",)), ctx) == [False] * 7 + [True]
    assert ctx.tag_matches("tags", frozenset({"nocv"})).tolist()[:2] == ["nocv", "NO-CV"]


def test_tagged_without_a_list_reads_the_policy_tags() -> None:
    table = pd.DataFrame(
        {
            "photo_id": ["1", "2"],
            "tags": pd.Series(["nocv", "keep-out"], dtype="str"),
            "source_file": "m",
            "source_row": [1, 2],
        }
    )
    catalogue = load_catalogue()
    annotated = annotate(table, catalogue)
    default = EvalContext(annotated, USE, catalogue)
    assert _mask(Tagged("tags", None), default) == [True, False]
    own = EvalContext(annotated, USE, catalogue, opt_out_tags=("Keep_Out",))
    assert _mask(Tagged("tags", None), own) == [False, True]


def test_matches_with_capturing_groups_does_not_warn() -> None:
    table = pd.DataFrame(
        {
            "photo_id": ["1", "2"],
            "tags": pd.Series(["aa", "ab"], dtype="str"),
            "source_file": "m",
            "source_row": [1, 2],
        }
    )
    assert _mask(Matches("tags", "(a)\\1"), _context(table)) == [True, False]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], []),
        ([None, None], [-1, -1]),
        (["a", "b", "a", None, "b", "a"], [0, 1, 0, -1, 1, 0]),
    ],
)
def test_first_positions(values: list[str | None], expected: list[int]) -> None:
    assert first_positions(pd.Series(values, dtype="str")).tolist() == expected


def test_columns_reports_what_a_predicate_reads() -> None:
    p = AllOf((Has("effective_licence", ("nc",)), Not(Changed("recorded_licence", "tags"))))
    assert p.columns() == {"effective_licence", "recorded_licence", "tags"}
    assert Use("commercial").columns() == frozenset()
    assert set(PHOTO_COLUMNS) >= {"photo_id", "title"}
