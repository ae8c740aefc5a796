"""Writing the four report files of an audit into one folder, all or none.

Each file is written to a temporary file beside it; only when all four are complete are they
renamed over the targets, so a crash or a full disk leaves the previous reports (or none), never
half of one or a mix of two runs. CSV goes through `auditor.safe_csv`, so no cell runs as a
spreadsheet formula.

The findings rows of `audit.json` and `findings.csv` are written in batches of Arrow tables
(`auditor.report.encode`): a YFCC100M-sized audit has millions of findings, more than fit in
memory as Python objects. `write_reports` writes them from a findings table; the offline
pipeline (`auditor.pipeline`) hands them over batch by batch with `write_report_files`.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import IO, Any

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from auditor.findings import SEVERITIES
from auditor.outputs import cannot_write, create_new, finish, temporary_name
from auditor.report.document import (
    OWNER_COLUMNS,
    AuditDocument,
    check_findings,
    format_rules,
)
from auditor.report.encode import (
    CSV_OPTIONS,
    FindingsCsv,
    findings_arrow,
    json_lines,
    json_objects,
    value_bytes,
    write_lines,
)
from auditor.report.markdown import summary_markdown
from auditor.report.steps import StepsBehind
from auditor.safe_csv import defuse_array

REPORT_FILES: tuple[str, ...] = ("audit.json", "findings.csv", "owners.csv", "summary.md")
CHUNK_ROWS = 25_000  # findings encoded per step: small steps reuse hot memory
_LINE_SEPARATOR = ",\n    "  # between two findings in audit.json
_INDENT = "    "  # before each item of a top-level list in audit.json
_OWNER_SEPARATOR = ",\n" + _INDENT


class ReportFiles:
    """Temporary files beside the targets (`auditor.outputs`), renamed over them only by
    `commit`."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.temps: dict[Path, Path] = {}

    @contextlib.contextmanager
    def open(self, name: str) -> Iterator[IO[bytes]]:
        """A binary handle on the temporary file for `name`, flushed to disk when the block
        ends."""
        with self.create(name) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())

    def create(self, name: str) -> IO[bytes]:
        """A binary handle on a new temporary file for `name` (see `close`)."""
        path = self.out_dir / name
        temp = temporary_name(path)
        handle = create_new(temp)
        self.temps[path] = temp
        return handle

    def close(self, handle: IO[bytes]) -> None:
        """Close a handle from `create`, flushed to disk."""
        finish(handle)

    def commit(self) -> None:
        for path, temp in self.temps.items():
            temp.replace(path)
        self.temps.clear()

    def discard(self) -> None:
        for temp in self.temps.values():
            with contextlib.suppress(OSError):
                temp.unlink()
        self.temps.clear()


def _written(handle: IO[bytes], step: Callable[..., None], *args: Any) -> None:
    """Run a step that writes to `handle`, then start the disk writing what it wrote."""
    step(*args)
    _start_writing(handle)


def _item_encoder() -> Callable[[Any], str]:
    """`json.JSONEncoder(ensure_ascii=False, allow_nan=False).encode` for many values: the C
    encoder it builds for each value (when there is one) is built once."""
    base = json.JSONEncoder(ensure_ascii=False, allow_nan=False)
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return base.encode
    # The arguments JSONEncoder.iterencode gives it (no indent, so the C encoder is used).
    one = make(
        {},
        base.default,
        json.encoder.encode_basestring,
        None,
        base.key_separator,
        base.item_separator,
        base.sort_keys,
        base.skipkeys,
        base.allow_nan,
    )

    def encode(value: Any) -> str:
        if isinstance(value, str):
            return base.encode(value)
        return "".join(one(value, 0))

    return encode


def owner_json_lines(owners: pa.Table) -> str:
    """audit.json's owners, one per line as `_json_parts` writes them, from a
    `tally.AuditTally.owner_arrow` table."""
    names = [name for name in OWNER_COLUMNS if name in owners.column_names]
    lines = json_objects(owners, names, before=_OWNER_SEPARATOR, raw=("rules",))
    return bytes(value_bytes(lines)).decode("utf-8")[len(_OWNER_SEPARATOR) - len(_INDENT) :]


def _json_parts(
    document: AuditDocument, owners_json: str | None = None, *, findings: bool = True
) -> tuple[str, str]:
    """audit.json's text before and after the findings rows: the document indented, each item
    of a top-level list (owners) on one line. `owners_json`: the owners' lines as
    `owner_json_lines` makes them (else each owner is encoded here). Without `findings` the
    document is written as it is (no findings list), all of it in the first part."""
    encode = json.JSONEncoder(ensure_ascii=False, allow_nan=False).encode
    fields: Mapping[str, Any] = document
    keys = [key for key in fields if key != "findings"]
    if findings:
        # The findings go where build_audit_document puts them: after owners, before waivers.
        at = keys.index("waiver_problems") if "waiver_problems" in keys else len(keys)
        keys.insert(at, "findings")
    before: list[str] = ["{\n"]
    after: list[str] = []
    out = before
    for index, key in enumerate(keys):
        comma = "," if index < len(keys) - 1 else ""
        if key == "findings":
            out.append('  "findings": [')
            out = after
            out.append(f"]{comma}\n")
            continue
        value = fields[key]
        if isinstance(value, list) and value:
            out.append(f"  {encode(key)}: [\n")
            if key == "owners" and owners_json is not None:
                out.append(owners_json)
            else:
                encode_item = _item_encoder()
                out.append(",\n".join(f"{_INDENT}{encode_item(item)}" for item in value))
            out.append(f"\n  ]{comma}\n")
        else:
            text = json.dumps(value, indent=2, ensure_ascii=False, allow_nan=False)
            out.append(f"  {encode(key)}: {text.replace(chr(10), chr(10) + '  ')}{comma}\n")
    after.append("}\n")
    return "".join(before), "".join(after)


_JSON_WORKERS = 2  # threads encoding audit.json's findings rows (Arrow kernels: no GIL)
_START_WRITING_EVERY = 64 << 20  # bytes written between asking the disk to start on them


def _write_json_rows(target: IO[bytes], findings: Iterable[pa.Table]) -> bool:
    """Write audit.json's findings rows of every batch of `findings` (in order) to `target`,
    each line after a separator but the first; whether there was any.

    Pieces of `CHUNK_ROWS` findings are encoded by `_JSON_WORKERS` threads and written in
    order by another, a few pieces behind, while this thread goes on reading the batches (from
    the spool's file, for an audit). Encoding them here, once the header is written, rather
    than into a scratch file while the chunks come means their bytes reach the disk once: at
    20M rows they are 7 GB, and the disk, not the CPU, is what an audit of that size waits
    for."""
    rows = _JsonRows(target)
    writer = StepsBehind(depth=_JSON_WORKERS, name="flickr-audit-json-writer")
    with ThreadPoolExecutor(_JSON_WORKERS, thread_name_prefix="flickr-audit-json") as pool:
        try:
            for batch in findings:
                for start in range(0, batch.num_rows, CHUNK_ROWS):
                    piece = batch.slice(start, CHUNK_ROWS)
                    writer.then(rows.write, pool.submit(json_lines, piece, _LINE_SEPARATOR))
            writer.wait()
        finally:
            writer.shutdown()  # what is left after an error is not written
    return rows.any


class _JsonRows:
    """audit.json's findings rows, written piece by piece in order (by one thread)."""

    def __init__(self, target: IO[bytes]) -> None:
        self._target = target
        self._unsynced = 0
        self.any = False

    def write(self, piece: Future[pa.Array]) -> None:
        lines = piece.result()
        # The first line follows "[" on a line of its own: no comma before it.
        write_lines(self._target, lines, 0 if self.any else 1)
        self.any = self.any or len(lines) > 0
        self._unsynced += lines.nbytes
        if self._unsynced >= _START_WRITING_EVERY:
            _start_writing(self._target)
            self._unsynced = 0


def _start_writing(handle: IO[bytes]) -> None:
    """Ask the disk to start writing what `handle` holds (Linux): the fsync at the end then
    has little left to wait for."""
    start = getattr(os, "sync_file_range", None)
    if start is not None:
        handle.flush()
        with contextlib.suppress(OSError):
            start(handle.fileno(), 0, 0, getattr(os, "SYNC_FILE_RANGE_WRITE", 2))


class ReportWriter:
    """The four reports, findings.csv written as findings come, the rest by `finish` once the
    counts in audit.json's header are known.

    findings.csv is encoded (by Arrow) and written by a thread, a step behind the caller's
    thread, as the findings come: the work is mostly Arrow kernels, which release the GIL, so
    it overlaps the caller's (an audit's judging). audit.json's header (the counts) must come
    first, so its findings rows are encoded by `finish`, from the findings handed to it again
    (`_write_json_rows`).
    Nothing replaces an existing report until `finish` has written all four; `close` removes
    what an unfinished writer left. A folder that cannot be created or written raises
    `AuditorError`.
    """

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = Path(out_dir)
        self._files = ReportFiles(self.out_dir)
        self._created = not self.out_dir.exists()
        self._csv_steps = StepsBehind()
        try:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            self._csv_handle = self._files.create("findings.csv")
            self._rows = FindingsCsv(self._csv_handle)
        except OSError as error:
            self.close()
            raise cannot_write(error, self.out_dir) from error

    def add(self, findings: pa.Table) -> None:
        """Write a batch of findings (`encode.findings_arrow` columns, in report order) to
        findings.csv."""
        if not findings.num_rows:
            self._rows.empty_schema = findings.schema
        else:
            try:
                self._csv_steps.then(_written, self._csv_handle, self._rows.write, findings)
            except OSError as error:
                raise cannot_write(error, self.out_dir) from error

    def finish(
        self,
        document: AuditDocument,
        findings: Iterable[pa.Table],
        markdown: Callable[[], str],
        owners: pa.Table | None = None,
    ) -> list[Path]:
        """Write audit.json (`document` without its `findings`, with the rows of the
        findings added), owners.csv from the document's owners and summary.md from
        `markdown()` (called once every batch of `findings`, the same findings in the same order
        as were added, has been gone through), then put the four in place; their paths in
        `REPORT_FILES` order.

        Both the owners' part of audit.json and owners.csv are written column-wise from
        `owners`, the document's owners as `tally.AuditTally.owner_arrow` gives them; without
        it they are taken from the document (`owner_arrow_from_records`)."""
        if owners is None:
            owners = owner_arrow_from_records(document["owners"])
        head, tail = _json_parts(document, owner_json_lines(owners))
        try:
            self._csv_steps.then(self._rows.close)
            # owners.csv is written by the CSV thread while audit.json is encoded here.
            self._csv_steps.then(self._owners_csv, owners)
            with self._files.open("audit.json") as audit:
                audit.write(head.encode("utf-8"))
                any_rows = _write_json_rows(audit, findings)
                audit.write(b"\n  " if any_rows else b"")
                audit.write(tail.encode("utf-8"))
            self._csv_steps.wait()
            self._files.close(self._csv_handle)
            with self._files.open("summary.md") as handle:
                handle.write(markdown().encode("utf-8"))
            self._files.commit()
        except OSError as error:
            raise cannot_write(error, self.out_dir) from error
        finally:
            self.close()
        return [self.out_dir / name for name in REPORT_FILES]

    def _owners_csv(self, owners: pa.Table) -> None:
        with self._files.open("owners.csv") as handle:
            write_owners_csv(owners, handle)

    def close(self) -> None:
        """Stop the threads and remove every temporary file (after `finish`, none is left)."""
        with contextlib.suppress(Exception):
            self._csv_steps.wait()
        self._csv_steps.shutdown()
        handle = getattr(self, "_csv_handle", None)
        if handle is not None:
            with contextlib.suppress(OSError):
                handle.close()
        self._files.discard()
        if self._created:
            with contextlib.suppress(OSError):
                self.out_dir.rmdir()  # only when empty: a folder this writer made for nothing


def write_report_files(
    out_dir: Path,
    document: AuditDocument,
    findings: Sequence[pa.Table],
    markdown: Callable[[], str],
) -> list[Path]:
    """Write the four reports: `document` (without its `findings`) with the rows of the
    `findings` batches (`encode.findings_arrow` tables, in report order) spliced into
    audit.json and written to findings.csv; owners.csv from the document's owners; summary.md
    from `markdown()` (see `ReportWriter`)."""
    writer = ReportWriter(out_dir)
    try:
        for batch in findings:
            writer.add(batch)
        return writer.finish(document, findings, markdown)
    finally:
        writer.close()


def write_summary_reports(
    out_dir: Path,
    document: AuditDocument,
    owners: pa.Table,
    markdown: str,
    commit: Callable[[], object],
) -> list[Path]:
    """The reports of an audit whose findings are a Parquet dataset (`auditor.dask_audit`):
    audit.json (`document`, which names the dataset and lists no findings), owners.csv from
    `owners` (`tally.AuditTally.owner_arrow`) and summary.md (`markdown`). All three are
    written first; then `commit()` puts the dataset in place, and the three replace the
    earlier reports. A findings.csv of an earlier run is removed: it would not be this run's.
    Their paths, and the dataset's."""
    files = ReportFiles(Path(out_dir))
    head, tail = _json_parts(document, owner_json_lines(owners), findings=False)
    try:
        with files.open("audit.json") as handle:
            handle.write((head + tail).encode("utf-8"))
        with files.open("owners.csv") as handle:
            write_owners_csv(owners, handle)
        with files.open("summary.md") as handle:
            handle.write(markdown.encode("utf-8"))
        commit()
        files.commit()
        (Path(out_dir) / "findings.csv").unlink(missing_ok=True)
    except OSError as error:
        raise cannot_write(error, Path(out_dir)) from error
    finally:
        files.discard()
    names = ("audit.json", "owners.csv", "summary.md", "findings.parquet")
    return [Path(out_dir) / name for name in names]


def write_owners_csv(owners: pa.Table, handle: IO[bytes]) -> None:
    """owners.csv from a `tally.AuditTally.owner_arrow` table: its columns, `rules` as the cell
    text, formulas defused in the text columns as in every CSV the tool writes."""
    columns = {
        name: defuse_array(owners.column(name).combine_chunks())
        if name in ("owner", "owner_name")
        else owners.column(name)
        for name in OWNER_COLUMNS
        if name != "rules"
    }
    columns["rules"] = defuse_array(owners.column("rules_cell").combine_chunks())
    pa_csv.write_csv(pa.table(columns), handle, write_options=CSV_OPTIONS)


def owner_arrow_from_records(owners: Sequence[Mapping[str, Any]]) -> pa.Table:
    """`tally.AuditTally.owner_arrow`'s table from audit.json's owner records (a document
    built without its tally at hand)."""
    columns: dict[str, pa.Array] = {
        name: pa.array([owner[name] for owner in owners], pa.string())
        for name in ("owner", "owner_name")
    }
    for name in ("photos", "usable_photos", "photos_with_errors", *SEVERITIES, "waived"):
        columns[name] = pa.array([owner[name] for owner in owners], pa.int64())
    rules = [owner["rules"] for owner in owners]
    encode = json.JSONEncoder(ensure_ascii=False, allow_nan=False).encode
    columns["rules"] = pa.array([encode(r) for r in rules], pa.string())
    columns["rules_cell"] = pa.array([format_rules(r) for r in rules], pa.string())
    return pa.table(columns)


def _check_same_run(photos: pd.DataFrame, findings: pd.DataFrame, doc: AuditDocument) -> None:
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


def finding_json_lines(findings: pd.DataFrame) -> list[str]:
    """Each finding as one compact JSON object, keys `FINDING_COLUMNS` in order; the same text
    `json.dumps(record, ensure_ascii=False)` gives for the record `build_audit_document` makes."""
    lines: list[str] = json_lines(findings_arrow(findings)).to_pylist()
    return lines


def write_reports(
    out_dir: Path, photos: pd.DataFrame, findings: pd.DataFrame, document: AuditDocument
) -> list[Path]:
    """Write `audit.json`, `findings.csv`, `owners.csv` and `summary.md` into `out_dir` (created
    when missing) and return their paths in that order.

    `document` is `build_audit_document(photos, findings, ...)` for the same tables (checked);
    it may have been built with `include_findings=False`, as the findings rows are written from
    `findings`. A folder that cannot be created or written raises `AuditorError`.
    """
    check_findings(findings)
    _check_same_run(photos, findings, document)
    # Everything that can fail on bad data is computed before the first file is written.
    markdown = summary_markdown(document, findings)
    table = findings_arrow(findings)
    return write_report_files(Path(out_dir), document, [table], lambda: markdown)
