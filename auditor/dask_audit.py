"""The offline audit on Dask (`flickr-audit audit --engine dask`): sharded manifests judged by
the workers of a Dask cluster, with the same findings and counts as the local pipeline.

The manifests (`manifests.shards.expand_shards`) are cut into partitions
(`manifests.shards.plan_partitions`: one per shard). Three steps, each a Dask graph:

1. **read** (one task per partition): read and normalise the partition in chunks, with the
   readers and `build_photo_table` of the local path, set other hosts' rows apart
   (`manifests.hosts`), keep the photo table in an Arrow file beside the reports (so a worker
   holds one chunk at a time, and the partition is read once), and return its photo-id keys:
   each distinct (photo id, owner) with its first position and row.
2. **first listings** (a shuffle on photo id, `dask.dataframe`): for every photo id, where it
   was first listed in the whole audit and under which owner, and for every (photo id, owner)
   pair its first row. Only what a partition cannot see by itself goes back to it, by a second
   shuffle on the partition number: the photo ids it shares with earlier partitions.
3. **judge** (one task per partition): seed an `engine.listings.FirstListings` with those
   earlier listings, then judge each chunk with `pipeline.judge_chunk` (evaluate, waivers,
   tally), exactly as the local pipeline does, and write the findings as the partition's part of
   `findings.parquet` (`report.findings_parquet`). The partitions' tallies are reduced in
   partition order (`report.tally.AuditTally.merge`) by a tree of tasks.

The driver then writes audit.json (summary and owners; the findings are in findings.parquet,
which audit.json names), owners.csv and summary.md, as the local path does, and puts
findings.parquet in place. Workers must see the manifests and the report folder at the same
paths as the driver (one machine, or a shared file system).

Without a scheduler address the engine starts a `distributed.LocalCluster` (processes, one
thread each) and stops it at the end. A shard that cannot be read stops the audit before any
report is written, naming the shard (or, with `skip_bad_shards`, is listed and left out).
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import shutil
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from auditor.engine import Policy
from auditor.engine.listings import FirstListings
from auditor.errors import AuditorError, ManifestError
from auditor.licences import LicenceCatalogue, load_catalogue
from auditor.manifests.columns import ColumnOptions
from auditor.manifests.hosts import split_other_hosts
from auditor.manifests.normalise import LicenceJudge
from auditor.manifests.raw import RawManifest
from auditor.manifests.read import detect_format, iter_manifest
from auditor.manifests.shards import (
    RANGE_BYTES,
    SHARD_SUFFIXES,
    Partition,
    number_lines,
    plan_partitions,
    range_newlines,
)
from auditor.manifests.yfcc100m import iter_yfcc100m
from auditor.optouts import OptOutBook, OptOutFile, OptOutMatches
from auditor.photo_table import FileReport, build_photo_table
from auditor.pipeline import CHUNK_ROWS, judge_chunk
from auditor.report.document import AuditDocument, RunInfo, tally_document
from auditor.report.findings_parquet import (
    FINDINGS_PARQUET,
    FindingsPart,
    commit_dataset,
    iter_findings,
    staging_folder,
)
from auditor.report.markdown import WorstOwnersFindings, render_summary
from auditor.report.tally import AuditTally
from auditor.report.write import write_summary_reports
from auditor.waivers import Waiver, WaiverBook, WaiverProblem

_POSITION_BITS = 40  # a key's location: (partition << 40) | position in the partition
_PARTITION = 1 << _POSITION_BITS
_KEY_COLUMNS = {"photo_id": "str", "owner": "str", "loc": "int64", "row": "int64"}
_EARLIER_COLUMNS = {
    "part": "int64",
    "photo_id": "str",
    "owner": "str",
    "first_owner": "str",
    "first_loc": "int64",
    "first_row": "int64",
    "pair_loc": "int64",
    "pair_row": "int64",
}
_MERGE_FAN_IN = 8  # tallies merged by one task of the reduction tree
DEFAULT_CONNECT_TIMEOUT = 10.0  # seconds to reach a scheduler before giving up


def _frame(columns: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in columns.items()})


@dataclass(frozen=True)
class DaskSettings:
    """What every task of one audit needs (sent to the workers with each task)."""

    policy: Policy
    fmt: str | None
    columns: ColumnOptions | None
    waivers: tuple[Waiver, ...]
    today: date
    work: str  # folder for the partitions' photo tables between steps 1 and 3
    findings: str  # the staging folder of findings.parquet
    chunk_rows: int
    files: tuple[str, ...] = ()  # each partition's source_file text (set after step 1)
    opt_outs: tuple[OptOutFile, ...] = ()  # the --opt-outs lists, joined onto every chunk


@dataclass(frozen=True)
class PartitionRead:
    """What step 1 read from one partition."""

    index: int
    path: str
    format: str = ""
    rows: int = 0  # manifest rows read (other hosts' included)
    skipped: dict[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    other_hosts: Counter[str] = field(default_factory=Counter)
    error: str | None = None  # the one-line problem of a partition that could not be read


@dataclass(frozen=True)
class PartitionJudged:
    """What step 3 found in one partition."""

    tally: AuditTally
    used_waivers: frozenset[int]
    findings: int
    opt_outs: OptOutMatches = field(default_factory=OptOutMatches)  # what the lists matched


@dataclass(frozen=True)
class DaskAudit:
    """What a Dask audit wrote and read."""

    document: AuditDocument  # audit.json's content
    files: list[FileReport]  # one per manifest read, in order
    paths: list[Path]  # the reports written
    skipped: list[str] = field(default_factory=list)  # shards left out, each with its problem
    partitions: int = 0
    worker_peak_mib: dict[str, float] = field(default_factory=dict)  # worker → peak RSS so far


def _peak_rss_mib() -> float:
    """This worker process's peak resident memory so far, MiB (Linux reports KiB)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


_CATALOGUE: list[LicenceCatalogue] = []


def _catalogue() -> LicenceCatalogue:
    """The licence catalogue, loaded once per worker process."""
    if not _CATALOGUE:
        _CATALOGUE.append(load_catalogue())
    return _CATALOGUE[0]


def _photos_path(settings: DaskSettings, index: int) -> Path:
    return Path(settings.work) / f"photos-{index:05d}.arrow"


def _pieces(part: Partition, settings: DaskSettings) -> Iterator[list[RawManifest]]:
    """The partition's manifest pieces grouped into chunks of about `chunk_rows` rows."""
    pending: list[RawManifest] = []
    rows = 0
    pieces = (
        iter_manifest(part.path, settings.fmt, settings.columns, settings.chunk_rows)
        if part.whole
        else iter_yfcc100m(
            part.path,
            settings.chunk_rows,
            byte_range=(part.start, part.end),
            first_line=part.first_line,
        )
    )
    for piece in pieces:
        pending.append(piece)
        rows += piece.rows
        if rows >= settings.chunk_rows:
            yield pending
            pending, rows = [], 0
    if pending:
        yield pending


def _keys(photos: pd.DataFrame, index: int, start: int) -> pd.DataFrame:
    """Each distinct (photo id, owner) of a chunk with its first location and row."""
    has_id = photos["photo_id"].notna().to_numpy()
    keys = pd.DataFrame(
        {
            "photo_id": photos["photo_id"].astype("str"),
            "owner": photos["owner"].astype("str"),
            "loc": np.arange(start, start + len(photos), dtype=np.int64) + index * _PARTITION,
            "row": photos["source_row"].to_numpy(dtype=np.int64),
        }
    ).loc[has_id]
    return keys.drop_duplicates(["photo_id", "owner"]).reset_index(drop=True)


def read_partition(part: Partition, settings: DaskSettings) -> tuple[pd.DataFrame, PartitionRead]:
    """Step 1 for one partition: its photo-id keys, and what was read. A partition that
    cannot be read gives no keys and its problem (never an exception: the driver decides)."""
    judge = LicenceJudge(_catalogue())
    keys: list[pd.DataFrame] = []
    hosts: Counter[str] = Counter()
    skipped: Counter[str] = Counter()
    notes: list[str] = []
    read, position, kind = 0, 0, ""
    target = _photos_path(settings, part.index)
    # Written under a temporary name, renamed when complete: step 3 trusts a file it finds.
    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
    writer: pa.RecordBatchFileWriter | None = None
    try:
        for raws in _pieces(part, settings):
            for raw in raws:
                read += raw.rows
                skipped.update(raw.skipped)
                notes.extend(raw.notes)
                kind = raw.format
            photos, other = split_other_hosts(build_photo_table(raws, judge=judge))
            hosts.update(other)
            table = pa.Table.from_pandas(photos, preserve_index=False).combine_chunks()
            if writer is None:
                writer = pa.ipc.new_file(str(partial), table.schema)
            writer.write_table(table)
            keys.append(_keys(photos, part.index, position))
            position += len(photos)
    except ManifestError as error:
        if writer is not None:
            writer.close()
        partial.unlink(missing_ok=True)
        return _frame(_KEY_COLUMNS), PartitionRead(part.index, str(part.path), error=str(error))
    except BaseException:
        if writer is not None:
            writer.close()
        partial.unlink(missing_ok=True)
        raise
    if writer is not None:
        writer.close()
        partial.replace(target)
    found = pd.concat(keys, ignore_index=True) if keys else _frame(_KEY_COLUMNS)
    # Repeats of a pair in later chunks of the partition tell step 2 nothing new.
    found = found.drop_duplicates(["photo_id", "owner"]).reset_index(drop=True)
    return found.astype(_KEY_COLUMNS), PartitionRead(
        part.index,
        str(part.path),
        kind,
        read,
        dict(skipped),
        tuple(notes),
        hosts,
    )


def earlier_listings(keys: pd.DataFrame) -> pd.DataFrame:
    """Step 2 on the keys of some photo ids (all the keys of each, from every partition): for
    each (photo id, owner) key of a partition whose photo id was listed in an earlier
    partition, where the photo was first listed and the pair's first row."""
    if keys.empty:
        return _frame(_EARLIER_COLUMNS)
    keys = keys.sort_values("loc", kind="stable")
    first = keys.drop_duplicates("photo_id").rename(
        columns={"owner": "first_owner", "loc": "first_loc", "row": "first_row"}
    )
    pairs = keys.drop_duplicates(["photo_id", "owner"]).rename(
        columns={"loc": "pair_loc", "row": "pair_row"}
    )
    out = keys.merge(first, on="photo_id").merge(pairs, on=["photo_id", "owner"])
    out["part"] = out["loc"] // _PARTITION
    out = out.loc[out["first_loc"] < out["part"] * _PARTITION]
    return out[list(_EARLIER_COLUMNS)].astype(_EARLIER_COLUMNS).reset_index(drop=True)


def _seed(
    listings: FirstListings,
    coder: AuditTally,
    earlier: pd.DataFrame,
    index: int,
    files: Sequence[str],
) -> None:
    """Show `listings` the listings of earlier partitions, in audit order: each photo's first
    listing, then the first row of each of its other (owner, photo) pairs seen before."""
    if earlier.empty:
        return
    first = earlier.drop_duplicates("photo_id")[
        ["photo_id", "first_owner", "first_loc", "first_row"]
    ]
    first.columns = pd.Index(["photo_id", "owner", "loc", "row"])
    pairs = earlier.loc[
        (earlier["pair_loc"] < index * _PARTITION) & (earlier["pair_loc"] != earlier["first_loc"]),
        ["photo_id", "owner", "pair_loc", "pair_row"],
    ]
    pairs.columns = pd.Index(["photo_id", "owner", "loc", "row"])
    seen = pd.concat([first, pairs], ignore_index=True).sort_values("loc", kind="stable")
    names = np.array(files, dtype=object)[(seen["loc"] // _PARTITION).to_numpy()]
    owners = seen["owner"].reset_index(drop=True)
    listings.observe(
        seen["photo_id"].reset_index(drop=True),
        coder.owner_codes(owners),
        pd.Series(names, dtype="str"),
        seen["row"].to_numpy(dtype=np.int64),
    )


def judge_partition(
    part: Partition, settings: DaskSettings, earlier: pd.DataFrame
) -> PartitionJudged:
    """Step 3 for one partition: judge its photo table chunk by chunk with `judge_chunk`, its
    photo ids' earlier listings known; write its part of findings.parquet."""
    catalogue = _catalogue()
    listings = FirstListings()
    coder = AuditTally()  # owner codes for `listings`, shared by the seeds and the rows
    tally = AuditTally()
    book = WaiverBook(settings.waivers, settings.today)
    waiving = any(not waiver.expired(book.today) for waiver in settings.waivers)
    opt_outs = OptOutBook(settings.opt_outs) if settings.opt_outs else None
    _seed(listings, coder, earlier, part.index, settings.files)
    source = _photos_path(settings, part.index)
    if not source.exists():
        # This task runs again (its worker died after step 3 began, or step 1's worker kept
        # the file on a disk this one cannot see): read the partition again.
        read_partition(part, settings)
    findings = FindingsPart(Path(settings.findings), part.index)
    try:
        if source.exists():
            with pa.memory_map(str(source)) as stream:
                reader = pa.ipc.open_file(stream)
                for number in range(reader.num_record_batches):
                    photos = pa.Table.from_batches([reader.get_batch(number)]).to_pandas()
                    photos["source_row"] = photos["source_row"].astype("int64")
                    owners = tally.owner_codes(photos["owner"])
                    listed = listings.observe(
                        photos["photo_id"],
                        coder.owner_codes(photos["owner"]),
                        photos["source_file"],
                        photos["source_row"].to_numpy(),
                    )
                    findings.add(
                        judge_chunk(
                            photos,
                            owners,
                            listed,
                            tally,
                            settings.policy,
                            catalogue,
                            book if waiving else None,
                            opt_outs=opt_outs,
                        )
                    )
    finally:
        findings.close()
        listings.close()
    source.unlink(missing_ok=True)
    matched = OptOutMatches() if opt_outs is None else opt_outs.matches
    return PartitionJudged(tally, book.used, findings.rows, matched)


def merge_judged(*judged: PartitionJudged) -> PartitionJudged:
    """Partitions' results added up, in the order given (partition order)."""
    tally = judged[0].tally
    used = set(judged[0].used_waivers)
    found = judged[0].findings
    matched = judged[0].opt_outs
    for later in judged[1:]:
        tally.merge(later.tally)
        used |= later.used_waivers
        found += later.findings
        matched = matched | later.opt_outs
    return PartitionJudged(tally, frozenset(used), found, matched)


# -- the driver ---------------------------------------------------------------------------------


@contextlib.contextmanager
def dask_client(scheduler: str | None, workers: int | None) -> Iterator[Any]:
    """A `distributed.Client` on the cluster at `scheduler`, or on a `LocalCluster` of
    `workers` processes (one thread each) started here and stopped at the end. A scheduler
    that cannot be reached raises `AuditorError`."""
    try:
        # As a module of Any: distributed's Client and LocalCluster are not annotated.
        distributed: Any = importlib.import_module("distributed")
    except ImportError as error:
        raise AuditorError(
            "--engine dask needs Dask: pip install 'flickr-licence-auditor[dask]' "
            "(or pip install 'dask[distributed]')"
        ) from error
    # Dask's own log lines (shuffle set-up, worker start) are not this tool's output.
    for name in ("distributed", "dask"):
        logging.getLogger(name).setLevel(logging.ERROR)
    if scheduler is not None:
        try:
            client = distributed.Client(scheduler, timeout=DEFAULT_CONNECT_TIMEOUT)
        except (OSError, TimeoutError, ValueError) as error:
            reason = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise AuditorError(
                f"cannot reach the Dask scheduler at {scheduler} ({reason}); start it, or check "
                "--scheduler (tcp://HOST:PORT)"
            ) from error
        with client:
            yield client
        return
    count = workers or min(os.cpu_count() or 1, 8)
    with (
        distributed.LocalCluster(
            n_workers=count,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",  # nothing listens beyond this machine
            # The scheduler's HTTP routes on a free local port: 8787 may be another cluster's.
            dashboard_address="127.0.0.1:0",
            scheduler_kwargs={"dashboard": False},
            silence_logs=logging.ERROR,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def _file_reports(reads: Sequence[PartitionRead]) -> list[FileReport]:
    """One report per manifest file, from its partitions' reads, in order."""
    reports: dict[str, FileReport] = {}
    for read in reads:
        if read.error is not None:
            continue
        seen = reports.get(read.path)
        if seen is None:
            reports[read.path] = FileReport(
                read.path, read.format, read.rows, dict(read.skipped), read.notes
            )
        else:
            skipped = Counter(seen.skipped)
            skipped.update(read.skipped)
            reports[read.path] = FileReport(
                read.path,
                seen.format,
                seen.rows + read.rows,
                dict(skipped),
                seen.notes + read.notes,
            )
    return list(reports.values())


def _reduce(items: list[Any]) -> Any:
    """A tree of `merge_judged` tasks over delayed results, in order."""
    from dask.delayed import delayed

    while len(items) > 1:
        items = [
            delayed(merge_judged, pure=False)(*items[i : i + _MERGE_FAN_IN])
            for i in range(0, len(items), _MERGE_FAN_IN)
        ]
    return items[0]


def dask_audit(
    manifests: Sequence[Path],
    policy: Policy,
    out_dir: Path,
    *,
    started_at: datetime,
    tool_version: str,
    fmt: str | None = None,
    columns: ColumnOptions | None = None,
    waivers: Sequence[Waiver] = (),
    waiver_problems: Sequence[WaiverProblem] = (),
    today: date | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    skip_bad_shards: bool = False,
    chunk_rows: int | None = None,
    range_bytes: int = RANGE_BYTES,
    opt_outs: OptOutBook | None = None,
) -> DaskAudit:
    """Audit `manifests` (shards, in order) against `policy` on the licences they record, on
    a Dask cluster, and write audit.json, owners.csv, summary.md and findings.parquet into
    `out_dir`. The same findings and counts as `pipeline.offline_audit`.

    Raises `AuditorError` for a shard that cannot be read (naming it; unless
    `skip_bad_shards`), a scheduler that cannot be reached or reports that cannot be written;
    then no report is replaced. A plain YFCC100M file is read in byte ranges of about
    `range_bytes`. `opt_outs` are joined onto every chunk as the local pipeline does; what they
    matched is counted in audit.json's `summary.opt_outs` (and kept in `opt_outs`)."""
    out_dir = Path(out_dir)
    today = today or started_at.date()
    files = [Path(path) for path in manifests]
    formats = [_plan_format(path, fmt, columns) for path in files]
    partitions = plan_partitions(files, formats, range_bytes)
    created = not out_dir.exists()
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        staging = staging_folder(out_dir)
    except OSError as error:
        raise AuditorError(
            f"{out_dir}: cannot write the reports ({error.strerror or error}); check the "
            "folder's permissions and free space, or write the reports elsewhere"
        ) from error
    work = staging.with_name(staging.name.replace(".tmp", ".work"))
    work.mkdir()
    settings = DaskSettings(
        policy=policy,
        fmt=fmt,
        columns=columns,
        waivers=tuple(waivers),
        today=today,
        work=str(work),
        findings=str(staging),
        chunk_rows=chunk_rows or CHUNK_ROWS,
        opt_outs=() if opt_outs is None else opt_outs.files,
    )
    try:
        with dask_client(scheduler, workers) as client:
            judged, reads = _run(client, partitions, settings, skip_bad_shards)
            peaks = client.run(_peak_rss_mib)
        skipped = [read.error for read in reads if read.error is not None]
        for read in reads:
            judged.tally.add_other_hosts(read.other_hosts)
        book = WaiverBook(waivers, today)
        book.add_used(judged.used_waivers)
        run = RunInfo(
            policy=policy.id,
            mode="offline",
            started_at=started_at,
            finished_at=datetime.now(UTC),
            manifests=tuple(str(path) for path in manifests),
        )
        judged.tally.set_photos_with_errors(*photos_with_errors(staging, judged.tally))
        counted = tally_document(
            judged.tally,
            run,
            waiver_problems=[*waiver_problems, *book.problems()],
            tool_version=tool_version,
        )
        if opt_outs is not None:
            opt_outs.add(judged.opt_outs)
            counted["summary"]["opt_outs"] = opt_outs.summary()
        # Where the findings are (audit.json lists none inline): after owners, as findings go.
        document: AuditDocument = {
            "schema_version": counted["schema_version"],
            "tool": counted["tool"],
            "run": counted["run"],
            "summary": counted["summary"],
            "owners": counted["owners"],
            "findings_dataset": {
                "path": FINDINGS_PARQUET,
                "format": "parquet",
                "rows": judged.findings,
                "parts": len(partitions),
                "skipped_shards": skipped,
            },
            "waiver_problems": counted["waiver_problems"],
        }
        worst = WorstOwnersFindings(document)
        for part in iter_findings(staging, [owner["owner"] for owner in worst.worst]):
            worst.add(part)
        paths = write_summary_reports(
            out_dir,
            document,
            judged.tally.owner_arrow(),
            render_summary(document, judged.tally.rule_rows(), worst),
            commit=lambda: commit_dataset(staging, out_dir),
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(staging, ignore_errors=True)
        if created:
            with contextlib.suppress(OSError):
                out_dir.rmdir()  # only when empty: a folder this run made for nothing
    return DaskAudit(document, _file_reports(reads), paths, skipped, len(partitions), dict(peaks))


def photos_with_errors(findings: Path, tally: AuditTally) -> tuple[int, np.ndarray]:
    """(distinct photo ids with an error finding not waived, per owner code of `tally` its
    photos among them) from the findings.parquet dataset: partitions are judged apart, so a
    photo with errors in two of them is counted here once. Per owner, a photo counts for the
    owner its error finding's row names."""
    import pyarrow.compute as pc
    import pyarrow.dataset as ds

    wanted = ["photo_id", "owner", "severity", "waived"]
    batches = ds.dataset(findings, format="parquet").to_batches(
        columns=wanted,
        filter=(ds.field("severity") == "error")
        & ~ds.field("waived")
        & ds.field("photo_id").is_valid(),
    )
    # Each part has its own dictionaries: plain strings, so the parts can be put together.
    parts = [
        pa.table(
            {
                name: batch.column(name).cast(pa.string())
                if pa.types.is_dictionary(batch.column(name).type)
                else batch.column(name)
                for name in ("photo_id", "owner")
            }
        )
        for batch in batches
        if batch.num_rows
    ]
    if not parts:
        return 0, np.zeros(tally.codes, dtype=np.int64)
    table = pa.concat_tables(parts)
    pairs = table.group_by(["owner", "photo_id"]).aggregate([])
    codes = tally.owner_codes(pairs["owner"]) if pairs.num_rows else np.zeros(0, np.intp)
    per_owner = np.bincount(codes, minlength=tally.codes).astype(np.int64)
    return len(pc.unique(table["photo_id"])), per_owner


def _plan_format(path: Path, fmt: str | None, columns: ColumnOptions | None) -> str:
    """The format that decides how a file is partitioned: only a YFCC100M file is cut, so
    only a file that could be one (not named as a Parquet, CSV or JSON Lines shard) is
    sniffed. A file that cannot be sniffed is one partition: its reader names the problem."""
    if fmt is not None:
        return fmt
    name = path.name.lower()
    if name.endswith(tuple(suffix for suffix in SHARD_SUFFIXES if suffix != ".tsv")):
        return ""
    try:
        return detect_format(path, columns)
    except (ManifestError, OSError):
        return ""


def _run(
    client: Any, partitions: list[Partition], settings: DaskSettings, skip_bad_shards: bool
) -> tuple[PartitionJudged, list[PartitionRead]]:
    """Steps 1 to 3 on the cluster: the reduced result and every partition's read."""
    import dask.dataframe as dd
    from dask.delayed import delayed

    as_completed = importlib.import_module("distributed").as_completed
    # The byte ranges of a YFCC100M file count their lines first, so each knows its first
    # line's number (the reports cite lines).
    ranges = [part for part in partitions if not part.whole]
    if ranges:
        counts = client.gather(client.map(range_newlines, ranges, pure=False))
        newlines = {part.index: count for part, count in zip(ranges, counts, strict=True)}
        partitions = number_lines(partitions, newlines)

    # Step 1, kept on the workers: the keys stay there for the shuffle.
    steps = [client.submit(read_partition, part, settings, pure=False) for part in partitions]
    infos = {client.submit(_second, step, pure=False): i for i, step in enumerate(steps)}
    reads: list[PartitionRead | None] = [None] * len(partitions)
    for done in as_completed(list(infos)):
        read: PartitionRead = done.result()
        reads[infos[done]] = read
        if read.error is not None and not skip_bad_shards:
            client.cancel(steps)
            raise AuditorError(f"{read.error} (or pass --skip-bad-shards to leave it out)")
    got = [read for read in reads if read is not None]
    settings = _with_files(settings, got)
    key_parts = [delayed(_first)(step) for step in steps]
    keys = dd.from_delayed(key_parts, meta=_frame(_KEY_COLUMNS), verify_meta=False)
    # Step 2: all keys of a photo id meet in one partition, then go back by partition number.
    shuffled = keys.shuffle(on="photo_id", npartitions=max(1, min(len(partitions), 64)))
    earlier = shuffled.map_partitions(earlier_listings, meta=_frame(_EARLIER_COLUMNS))
    back = earlier.set_index("part", divisions=list(range(len(partitions) + 1)))
    routed = back.to_delayed()
    # Step 3, then the tallies reduced in partition order.
    judged = [
        delayed(judge_partition, pure=False)(part, settings, routed[i])
        for i, part in enumerate(partitions)
    ]
    result: PartitionJudged = client.compute(_reduce(judged)).result()
    return result, got


def _with_files(settings: DaskSettings, reads: list[PartitionRead]) -> DaskSettings:
    from dataclasses import replace

    return replace(settings, files=tuple(read.path for read in reads))


def _first(pair: tuple[Any, Any]) -> Any:
    return pair[0]


def _second(pair: tuple[Any, Any]) -> Any:
    return pair[1]
