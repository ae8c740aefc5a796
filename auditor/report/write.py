"""Writing the four report files of an audit into one folder, each atomically.

Each file is written to a temporary file beside it and then renamed over the target, so a crash
or a full disk leaves the previous report (or none), never half of one. CSV goes through
`auditor.safe_csv.write_csv`, so no cell runs as a spreadsheet formula.

The findings rows of `audit.json` and `findings.csv` are written straight from the findings
table, in chunks, with the JSON text built column-wise by Arrow: a YFCC100M-sized audit has
millions of findings, and encoding them one Python dict at a time takes seconds per million.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from auditor.errors import AuditorError
from auditor.findings import (
    FINDING_COLUMNS,
)
from auditor.report.document import (
    OWNER_COLUMNS,
    check_findings,
    format_rules,
)
from auditor.report.markdown import summary_markdown
from auditor.safe_csv import write_csv

REPORT_FILES: tuple[str, ...] = ("audit.json", "findings.csv", "owners.csv", "summary.md")
CHUNK_ROWS = 100_000  # findings encoded per step: bounds the memory the JSON text takes

_TEXT = pa.large_string()
# A string needs json.dumps only when JSON requires escapes in it: quote, backslash, control.
_NEEDS_ESCAPE = r'["\\\x00-\x1f]'


@contextlib.contextmanager
def atomic_text(path: Path) -> Iterator[IO[str]]:
    """A text handle whose content replaces `path` only when the block ends without an error."""
    temp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    # os.open with mode 0o666 lets the umask decide the permissions, as for any other file the
    # user writes (tempfile would make it 0600); O_EXCL never follows an existing name.
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        temp.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise


def _lit(text: str) -> pa.Scalar:
    return pa.scalar(text, _TEXT)


def _json_tokens(values: pd.Series, name: str) -> pa.Array:
    """Each value of a findings column as its JSON text (`"text"`, `12`, `true`, `null`)."""
    if name == "waived":
        flags = pa.array(values.fillna(False).astype(bool).to_numpy())
        return pc.if_else(flags, _lit("true"), _lit("false"))
    if name == "source_row":
        return pc.fill_null(pc.cast(pa.array(values.astype("Int64")), _TEXT), _lit("null"))
    texts = pa.array(values.astype("str"), type=_TEXT)
    quoted = pc.binary_join_element_wise(_lit('"'), texts, _lit('"'), _lit(""))
    needs = pc.fill_null(pc.match_substring_regex(texts, _NEEDS_ESCAPE), False)
    if pc.any(needs).as_py():
        hard = texts.filter(needs).to_pylist()
        escaped = pa.array([json.dumps(text, ensure_ascii=False) for text in hard], type=_TEXT)
        quoted = pc.replace_with_mask(quoted, needs, escaped)
    return pc.fill_null(quoted, _lit("null"))


def finding_json_lines(findings: pd.DataFrame) -> list[str]:
    """Each finding as one compact JSON object, keys `FINDING_COLUMNS` in order; the same text
    `json.dumps(record, ensure_ascii=False)` gives for the record `build_audit_document` makes."""
    if findings.empty:
        return []
    parts: list[pa.Array | pa.Scalar] = []
    for index, name in enumerate(FINDING_COLUMNS):
        parts.append(_lit(("{" if index == 0 else ", ") + json.dumps(name) + ": "))
        parts.append(_json_tokens(findings[name], name))
    parts.append(_lit("}"))
    lines: list[str] = pc.binary_join_element_wise(*parts, _lit("")).to_pylist()
    return lines


def _write_json(document: dict[str, Any], findings: pd.DataFrame, handle: IO[str]) -> None:
    """The document indented, each item of a top-level list (findings, owners) on one line.

    `findings` come from the table, in chunks, whether or not the document holds them.
    """
    encode = json.JSONEncoder(ensure_ascii=False, allow_nan=False).encode
    keys = [key for key in document if key != "findings"]
    # The findings go where build_audit_document puts them: after owners, before waivers.
    at = keys.index("waiver_problems") if "waiver_problems" in keys else len(keys)
    keys.insert(at, "findings")
    handle.write("{\n")
    for index, key in enumerate(keys):
        comma = "," if index < len(keys) - 1 else ""
        if key == "findings":
            if findings.empty:
                handle.write(f'  "findings": []{comma}\n')
                continue
            handle.write('  "findings": [\n')
            for start in range(0, len(findings), CHUNK_ROWS):
                lines = finding_json_lines(findings.iloc[start : start + CHUNK_ROWS])
                last_chunk = start + CHUNK_ROWS >= len(findings)
                handle.write("    " + ",\n    ".join(lines) + ("\n" if last_chunk else ",\n"))
            handle.write(f"  ]{comma}\n")
            continue
        value = document[key]
        if isinstance(value, list) and value:
            handle.write(f"  {encode(key)}: [\n")
            handle.write(",\n".join(f"    {encode(item)}" for item in value))
            handle.write(f"\n  ]{comma}\n")
        else:
            text = json.dumps(value, indent=2, ensure_ascii=False, allow_nan=False)
            handle.write(f"  {encode(key)}: {text.replace(chr(10), chr(10) + '  ')}{comma}\n")
    handle.write("}\n")


def _owners_csv(owners: list[dict[str, Any]]) -> pd.DataFrame:
    out = pd.DataFrame.from_records(owners, columns=list(OWNER_COLUMNS))
    for name in ("owner", "owner_name"):
        out[name] = out[name].astype("str")
    for name in ("photos", "error", "warning", "note", "waived"):
        out[name] = out[name].astype("int64")
    out["rules"] = pd.array([format_rules(rules) for rules in out["rules"].tolist()], dtype="str")
    return out


def _findings_csv(findings: pd.DataFrame) -> pd.DataFrame:
    """The findings with string dtypes and `waived` as `true`/`false`.

    Fixed dtypes make the CSV the same whatever dtypes the engine hands over (object columns
    would also take write_csv's slower path).
    """
    out = findings.loc[:, list(FINDING_COLUMNS)].copy()
    for name in FINDING_COLUMNS:
        if name == "waived":
            flags = out[name].fillna(False).astype(bool).to_numpy()
            out[name] = pd.array(np.where(flags, "true", "false"), dtype="str")
        elif name == "source_row":
            out[name] = out[name].astype("Int64")
        else:
            out[name] = out[name].astype("str")
    return out


def _check_same_run(photos: pd.DataFrame, findings: pd.DataFrame, doc: dict[str, Any]) -> None:
    # audit.json's header, owners.csv and summary.md come from the document, the findings rows
    # from the table: tables other than the document's would give reports that disagree.
    summary = doc["summary"]
    counted = sum(summary["findings"].values()) + summary["waived"]
    listed = len(doc["findings"]) if "findings" in doc else counted
    if not (counted == listed == len(findings)) or summary["rows"] != len(photos):
        raise ValueError(
            f"the document counts {counted} findings and {summary['rows']} rows, the tables "
            f"have {len(findings)} and {len(photos)}: build the document from the same tables"
        )


def write_reports(
    out_dir: Path, photos: pd.DataFrame, findings: pd.DataFrame, document: dict[str, Any]
) -> list[Path]:
    """Write `audit.json`, `findings.csv`, `owners.csv` and `summary.md` into `out_dir` (created
    when missing) and return their paths in that order.

    `document` is `build_audit_document(photos, findings, ...)` for the same tables (checked);
    it may have been built with `include_findings=False`, as the findings rows are written from
    `findings`. A folder that cannot be created or written raises `AuditorError`.
    """
    check_findings(findings)
    _check_same_run(photos, findings, document)
    out_dir = Path(out_dir)
    paths = [out_dir / name for name in REPORT_FILES]
    audit_json, findings_csv, owners_csv, summary_md = paths
    # Everything that can fail on bad data is computed before the first file is replaced.
    owners = _owners_csv(document["owners"])
    markdown = summary_markdown(document, findings)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        with atomic_text(audit_json) as handle:
            _write_json(document, findings, handle)
        with atomic_text(findings_csv) as handle:
            write_csv(_findings_csv(findings), handle)
        with atomic_text(owners_csv) as handle:
            write_csv(owners, handle)
        with atomic_text(summary_md) as handle:
            handle.write(markdown)
    except OSError as error:
        where = error.filename or out_dir
        reason = error.strerror or str(error)
        raise AuditorError(
            f"{where}: cannot write the report ({reason}); "
            "check the folder's permissions and free space, or write the reports elsewhere"
        ) from error
    return paths
