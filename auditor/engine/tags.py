"""Flickr tags: their normalised form, the policy's opt-out tags, and matching them column-wise.

Flickr stores each tag twice: as the owner typed it (`raw`) and normalised, lower case with every
character that is not a letter or a digit removed (`no_cv` is stored as `nocv`, `No-AI` as
`noai`). The `tags` column holds the normalised tags, space-separated. Matching normalises both
sides, so a policy may list `no_cv` and a column may carry a raw `No_CV` and they still meet.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from yaml.nodes import Node

from auditor.engine.yamlnodes import Source

# FFHQ's removal policy names `no_cv`; the others are used for the same purpose.
DEFAULT_OPT_OUT_TAGS: tuple[str, ...] = ("no_cv", "noai", "noml", "no_ai", "notraining")

# RE2 (Arrow's regex engine) classes for "not a letter or digit", as `str.isalnum` sees them.
_NOT_ALNUM = r"[^\p{L}\p{N}]"


def normalise_tag(tag: str) -> str:
    """Flickr's normalised form of a tag: lower case, letters and digits only."""
    return "".join(char for char in tag.lower() if char.isalnum())


def first_tag_in(tags: pd.Series, wanted: frozenset[str]) -> pd.Series:
    """Per row, the first whitespace-separated tag whose normalised form is in `wanted`
    (normalised tags), as the row writes it; null where none is (or the row has no tags).

    Computed with Arrow over every tag of every row at once, never row by row.
    """
    result = pd.Series(index=tags.index, dtype="str")
    if not wanted or not tags.notna().any():
        return result
    lists = pc.utf8_split_whitespace(pa.array(tags.astype("str").array, type=pa.large_string()))
    written = pc.list_flatten(lists)
    rows = np.asarray(pc.list_parent_indices(lists), dtype=np.intp)
    normalised = pc.replace_substring_regex(pc.utf8_lower(written), _NOT_ALNUM, "")
    hit = np.flatnonzero(
        np.asarray(pc.is_in(normalised, value_set=pa.array(sorted(wanted))), dtype=bool)
    )
    if len(hit) == 0:
        return result
    # Tags are flattened row by row in their written order, so a row's first hit comes first.
    hit_rows, first = np.unique(rows[hit], return_index=True)
    found = written.take(pa.array(hit[first]))
    result.iloc[hit_rows] = pd.array(found.to_pylist(), dtype="str")
    return result


def parse_tags(src: Source, node: Node, what: str, *, allow_empty: bool) -> tuple[str, ...]:
    """A YAML list of tags, as written; each must keep a letter or digit once normalised."""
    items = src.sequence(node, what)
    if not items and not allow_empty:
        raise src.error(node, f"{what} lists no tags", "list at least one tag")
    tags: list[str] = []
    for item in items:
        tag = src.text(item, f"a tag of {what}")
        if not normalise_tag(tag):
            raise src.error(
                item,
                f"tag {tag!r} has no letter or digit, so it matches no Flickr tag",
                "write the tag as its owner would type it, e.g. no_cv",
            )
        tags.append(tag)
    return tuple(tags)


def normalised_set(tags: tuple[str, ...]) -> frozenset[str]:
    """The normalised forms of `tags` (written forms may coincide: `no_ai` and `noai`)."""
    return frozenset(normalise_tag(tag) for tag in tags)
