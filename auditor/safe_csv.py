"""Writing CSV that is safe to open in a spreadsheet.

Manifest text is hostile: a title such as `=HYPERLINK("http://evil", "x")` becomes a live formula
when a CSV is opened in Excel or LibreOffice. Every CSV the auditor writes goes through
`defuse_frame`, which prefixes such cells with a single quote (OWASP's advice for CSV injection).
"""

from __future__ import annotations

from pathlib import Path
from typing import IO

import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def defuse_cell(value: object) -> object:
    """`'=1+1` for `=1+1`; anything not a string, or not starting like a formula, unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def defuse_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` whose text cells cannot be read as formulas."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(defuse_cell, na_action="ignore")
    return out


def write_csv(frame: pd.DataFrame, target: str | Path | IO[str]) -> None:
    """Write `frame` as UTF-8 CSV with formulas defused and no index column."""
    defuse_frame(frame).to_csv(target, index=False, lineterminator="\n")
