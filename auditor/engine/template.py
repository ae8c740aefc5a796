"""Rule message templates: `{column}` fields filled from each finding's row, built column-wise.

A template is literal text with `{name}` fields naming a rule column (see `columns.py`) or
`{policy}` (the policy's id); `{{` and `}}` are literal braces. Templates are parsed when the
policy loads, so an unknown field is a load error. Rendering concatenates whole columns (pandas
string arithmetic, backed by Arrow), never one row at a time.
"""

from __future__ import annotations

import functools
import string
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from auditor.engine.columns import RULE_COLUMNS

TEMPLATE_FIELDS: tuple[str, ...] = ("policy", *RULE_COLUMNS)


class TemplateError(ValueError):
    """A template that cannot be used; the message says what to write instead."""

    def __init__(self, problem: str, fix: str) -> None:
        self.problem = problem
        self.fix = fix
        super().__init__(f"{problem}; {fix}")


@dataclass(frozen=True)
class MessageTemplate:
    """A parsed template: pairs of (literal text, field name or None), in order."""

    text: str
    pieces: tuple[tuple[str, str | None], ...]

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(field for _, field in self.pieces if field is not None)


@functools.lru_cache(maxsize=256)
def parse_template(text: str) -> MessageTemplate:
    """Parse and check a template; raises `TemplateError` naming the bad field or brace."""
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as error:
        raise TemplateError(
            f"message template is malformed ({error})",
            "close every `{field}`, and write a literal brace as `{{` or `}}`",
        ) from error
    pieces: list[tuple[str, str | None]] = []
    for literal, field, spec, conversion in parsed:
        if field is not None:
            if spec or conversion:
                raise TemplateError(
                    f"field {{{field}}} has a format or conversion", "write just {name}"
                )
            if field not in TEMPLATE_FIELDS:
                shown = ", ".join(TEMPLATE_FIELDS[:8])
                raise TemplateError(
                    f"unknown field {{{field}}} in the message",
                    f"use a field such as {shown}, ... (any rule column, or policy); "
                    "write a literal brace as {{ or }}",
                )
        pieces.append((literal, field))
    return MessageTemplate(text, tuple(pieces))


def _as_text(series: pd.Series) -> pd.Series:
    """A column as strings, nulls as empty text, on a fresh 0..n-1 index."""
    text = series.astype("str").fillna("")
    return text.reset_index(drop=True)


def render(
    template: MessageTemplate,
    table: pd.DataFrame,
    positions: npt.NDArray[np.intp],
    policy: str,
) -> pd.Series:
    """The message for each row at `positions` of `table`, as a `str` Series of that length.

    Null fields render as empty text.
    """
    count = len(positions)
    result = pd.Series("", index=pd.RangeIndex(count), dtype="str")
    if count == 0:
        return result
    for literal, field in template.pieces:
        if literal:
            result = result + literal
        if field == "policy":
            result = result + policy
        elif field is not None:
            result = result + _as_text(table[field].iloc[positions])
    return result
