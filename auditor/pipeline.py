"""The offline audit as one pass over the manifests in chunks, with bounded memory.

Manifests are read in chunks of about `CHUNK_ROWS` rows (a YFCC100M file in pieces, smaller
files whole, several small files together) and each chunk goes through the same steps the
whole-table functions take: normalise (`photo_table.build_photo_table`), evaluate
(`engine.evaluate`), waivers (`waivers.WaiverBook`). What spans chunks is kept apart:

- `engine.listings.FirstListings` remembers where every photo id was first listed, so the
  `duplicate` rule sees repeats across chunks;
- `report.tally.AuditTally` adds up the counts of audit.json and owners.csv;
- `report.spool.FindingSpool` keeps the findings (on disk past a memory budget) until the
  counts are complete, then hands them back in report order to `report.write.ReportWriter`,
  which writes audit.json (its header first) and summary.md (the worst owners' findings);
  when the chunks come in report order it has been writing findings.csv all along.

A thread reads and normalises the next chunk while this one is judged (a third stage, parsing
apart from normalising, cost more in contention for the GIL than it saved). The owner column is
coded once per chunk; the findings' owner codes are those of the rows they are about.

The reports are the same, byte for byte, as those of the whole-table path (`read_manifests`,
`evaluate`, `apply_waivers`, `build_audit_document`, `write_reports`), which the live audit
uses. Chunks of a few hundred thousand rows are also faster than one big table: their arrays
are reused by the allocators instead of being mapped afresh from the kernel.
"""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from queue import Empty, Full, Queue
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

from auditor.engine import Policy
from auditor.engine.evaluate import evaluate_rows
from auditor.engine.listings import FirstListings, Observation
from auditor.errors import ManifestError
from auditor.licences import LicenceCatalogue, load_catalogue
from auditor.manifests.columns import ColumnOptions
from auditor.manifests.found import PhotosFound
from auditor.manifests.hosts import split_other_hosts
from auditor.manifests.normalise import LicenceJudge
from auditor.manifests.raw import RawManifest
from auditor.manifests.read import FileTally, iter_manifest
from auditor.optouts import OptOutBook
from auditor.photo_table import FileReport, build_photo_table
from auditor.report.document import AuditDocument, RunInfo, tally_document
from auditor.report.encode import findings_arrow
from auditor.report.markdown import WorstOwnersFindings, render_summary
from auditor.report.spool import FindingSpool
from auditor.report.streamed import StreamedFormats
from auditor.report.tally import AuditTally
from auditor.report.write import ReportWriter
from auditor.waivers import Waiver, WaiverBook, WaiverProblem

CHUNK_ROWS = 200_000


@dataclass(frozen=True)
class OfflineAudit:
    """What an offline audit wrote and read."""

    document: AuditDocument  # audit.json's content but its findings
    files: list[FileReport]  # one per manifest, in the order given
    paths: list[Path]  # the reports written
    skipped: list[str] = field(default_factory=list)  # manifests left out, with their problem
    extra: list[Path] = field(default_factory=list)  # the `formats` written (report.streamed)


def _chunks(
    manifests: Sequence[Path],
    fmt: str | None,
    columns: ColumnOptions | None,
    chunk_rows: int,
    files: list[FileReport],
    bad: list[str] | None = None,
) -> Generator[list[RawManifest], None, None]:
    """Pieces of manifests grouped into chunks of about `chunk_rows` rows, in table order;
    `files` gets each manifest's report once it has been read. With `bad` (a list), a manifest
    that cannot be read is left out and its problem added there, as long as none of its rows
    has gone on to be judged yet (a YFCC100M file broken half-way still stops the audit)."""
    pending: list[RawManifest] = []
    rows = 0
    for path in manifests:
        tally = FileTally()
        mine = len(pending)  # where this manifest's pieces start in `pending`
        try:
            for piece in iter_manifest(path, fmt, columns, chunk_rows=chunk_rows):
                tally.add(piece)
                pending.append(piece)
                rows += piece.rows
                del piece  # else held while the next piece is read
                if rows >= chunk_rows:
                    yield pending
                    pending, rows, mine = [], 0, -1
        except ManifestError as error:
            if bad is None or mine < 0:
                raise
            bad.append(str(error))
            rows -= sum(piece.rows for piece in pending[mine:])
            del pending[mine:]
            continue
        files.append(tally.report(path))
    if pending:
        yield pending


def _photo_tables(
    chunks: Iterator[list[RawManifest]], judge: LicenceJudge, found: PhotosFound
) -> Iterator[tuple[pd.DataFrame, Counter[str]]]:
    """Each chunk's photo table without other hosts' rows, and those rows per host; `found`
    learns which manifests name a photo (other hosts' rows included, for its message)."""
    try:
        for raws in chunks:
            table = build_photo_table(raws, judge=judge)
            del raws
            found.observe(table)
            yield split_other_hosts(table)
            # Resumed: this chunk is the consumer's, not to be held while the next is built.
            del table
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()  # closes the manifest being read, when stopped early


_Item = TypeVar("_Item")

_COMPRESSED_MAGIC = (b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00")
_SAMPLE_BYTES = 1 << 20


class _BytesRead:
    """How far into the manifests a chunk reaches, in bytes, for a progress display: files
    before the chunk's last file whole, and that one up to its last row, estimated from the
    average line length of its first MiB (line-oriented, uncompressed files; others count
    once read whole)."""

    def __init__(self, manifests: Sequence[Path]) -> None:
        self.names = [str(Path(path)) for path in manifests]
        self.sizes = [_size(Path(path)) for path in manifests]
        self.total = sum(self.sizes)
        self._line_bytes: dict[int, float | None] = {}

    def at(self, source_file: str, source_row: int, whole: bool) -> int:
        index = self.names.index(source_file) if source_file in self.names else 0
        done = sum(self.sizes[:index])
        if whole:
            return done + self.sizes[index]
        per_line = self._per_line(index)
        if per_line is None:
            return done
        return done + min(self.sizes[index], int(source_row * per_line))

    def _per_line(self, index: int) -> float | None:
        if index not in self._line_bytes:
            try:
                with Path(self.names[index]).open("rb") as handle:
                    head = handle.read(_SAMPLE_BYTES)
            except OSError:
                head = b""
            lines = head.count(b"\n")
            plain = lines and not head.startswith(_COMPRESSED_MAGIC)
            self._line_bytes[index] = len(head) / lines if plain else None
        return self._line_bytes[index]


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _read_ahead(items: Iterator[_Item]) -> Iterator[_Item]:
    """`items`, produced one ahead by a thread: Arrow parses the next chunk of a manifest (it
    releases the GIL) while this one is judged, so the two cores both work. The thread starts
    on an item only once the one before has been taken: one chunk waiting, not one waiting and
    another made while it waits (a chunk's tables are a tenth of the audit's memory). An
    exception in the thread is raised here; stopping early stops the thread."""
    queue: Queue[tuple[bool, Any]] = Queue(maxsize=1)
    taken = threading.Semaphore(1)  # the item before the next one has been taken
    stop = threading.Event()

    def wait_turn() -> bool:
        while not stop.is_set():
            if taken.acquire(timeout=0.1):
                return True
        return False

    def put(entry: tuple[bool, Any]) -> bool:
        while not stop.is_set():
            try:
                queue.put(entry, timeout=0.1)
                return True
            except Full:
                continue
        return False

    def work() -> None:
        try:
            iterator = iter(items)
            while wait_turn():
                try:
                    item = next(iterator)
                except StopIteration:
                    put((False, None))
                    return
                if not put((True, item)):
                    return
                del item  # the consumer's now
        except BaseException as error:  # handed to the consumer, which raises it
            put((False, error))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=work, name="flickr-audit-reader", daemon=True)
    thread.start()
    try:
        while True:
            more, item = queue.get()
            if more:
                taken.release()
                yield item
                del item
            elif item is None:
                return
            else:
                raise item
    finally:
        stop.set()
        with contextlib.suppress(Empty):
            queue.get_nowait()
        thread.join()


def judge_chunk(
    photos: pd.DataFrame,
    owners: npt.NDArray[np.intp],
    listed: Observation,
    tally: AuditTally,
    policy: Policy,
    catalogue: LicenceCatalogue,
    book: WaiverBook | None,
    *,
    listings: FirstListings | None = None,
    opt_outs: OptOutBook | None = None,
    on_annotated: Callable[[pd.DataFrame], None] | None = None,
) -> pa.Table:
    """Judge one chunk of the photo table and count it: evaluate the policy, apply the waivers
    (`book`, None when no live waiver), add the rows and findings to `tally`; the findings as
    `encode.findings_arrow` gives them. `owners` are the rows' `tally.owner_codes`, `listed`
    where each row's photo id was first listed in the whole audit. The local pipeline and the
    Dask engine (`auditor.dask_audit`) judge every chunk and partition with this.

    `listings` (the audit-wide `FirstListings` that gave `listed`) gets the photos with an error
    finding not waived flagged; once every chunk is in, `tally.set_photos_with_errors(
    *listings.flagged(tally.codes))` counts the usable photos (photos, not rows: a photo listed
    in several chunks is one). `opt_outs` (the `--opt-outs` lists) are joined onto the chunk
    first, for the `opt-out` rule. `on_annotated` gets the chunk's photo table as annotated
    for the policy (`engine.annotate`), for the formats written per photo row."""
    if opt_outs is not None:
        photos = opt_outs.join(photos)
    tally.add_photos(photos, owners, listed.new_photo, listed.new_pair)
    findings, rows = evaluate_rows(
        photos, policy, catalogue=catalogue, listed=listed, on_annotated=on_annotated
    )
    if book is not None:
        findings = book.apply(findings)
    tally.add_findings(findings, owners[rows])
    if listings is not None:
        # Compared in Arrow: `to_numpy()` would make a Python string of every finding's.
        erring = (findings["severity"] == "error").to_numpy(dtype=bool)
        if book is not None:
            erring = erring & ~findings["waived"].to_numpy(dtype=bool)
        listings.flag(listed, rows[erring])
    return findings_arrow(findings)


def offline_audit(
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
    catalogue: LicenceCatalogue | None = None,
    chunk_rows: int | None = None,
    spool: FindingSpool | None = None,
    progress: Callable[[int, int, int], None] | None = None,
    skip_bad_shards: bool = False,
    opt_outs: OptOutBook | None = None,
    listings: FirstListings | None = None,
    formats: Sequence[str] = (),
) -> OfflineAudit:
    """Audit `manifests` against `policy` on the licences they record, and write the four
    reports into `out_dir`.

    `waiver_problems` are those found loading the waivers; the ones found applying them are
    added. `chunk_rows` defaults to `CHUNK_ROWS`. `progress(rows, bytes_read, total_bytes)` is
    called after each chunk (bytes estimated within a file read in pieces). With
    `skip_bad_shards`, a manifest that cannot be read is left out (listed in `skipped`) instead
    of stopping the audit. `opt_outs` are joined onto every chunk, and counted in audit.json's
    `summary.opt_outs`. `formats` beyond the record that are written in pieces
    (`report.formats.STREAMED_FORMATS`: csv, parquet) are written into `out_dir` too.
    `listings` (closed at the end) defaults to a new `FirstListings`. Raises
    `ManifestError` for a manifest that cannot be used at all (before any report is written)
    and `AuditorError` when the reports cannot be written.
    """
    catalogue = catalogue or load_catalogue()
    judge = LicenceJudge(catalogue)
    listings = listings or FirstListings()
    tally = AuditTally()
    book = WaiverBook(waivers, today or started_at.date())
    waiving = any(not waiver.expired(book.today) for waiver in waivers)
    spool = spool or FindingSpool()
    files: list[FileReport] = []
    reach = _BytesRead(manifests) if progress is not None else None
    rows_done = 0
    found = PhotosFound()
    # Chunks come in report order when the manifests are named in sorted order, once each
    # (reports list findings by file name, then row): then findings.csv is written as they
    # come, while the next chunk is being read. Otherwise it waits for the spool's order.
    names = [str(Path(path)) for path in manifests]
    in_order = names == sorted(set(names))
    writer: ReportWriter | None = ReportWriter(out_dir) if in_order else None
    streamed = StreamedFormats(out_dir, formats) if formats else None
    on_annotated = streamed.add_photos if streamed is not None and streamed.wants_photos else None
    extra: list[Path] = []
    try:
        bad: list[str] | None = [] if skip_bad_shards else None
        chunks = _chunks(manifests, fmt, columns, chunk_rows or CHUNK_ROWS, files, bad)
        # The thread reads and normalises the next chunk while this one is judged.
        for photos, hosts in _read_ahead(_photo_tables(chunks, judge, found)):
            tally.add_other_hosts(hosts)
            # Owners are coded once per chunk: the findings' owners are those of their rows.
            owners = tally.owner_codes(photos["owner"])
            listed = listings.observe(
                photos["photo_id"], owners, photos["source_file"], photos["source_row"].to_numpy()
            )
            table = judge_chunk(
                photos,
                owners,
                listed,
                tally,
                policy,
                catalogue,
                book if waiving else None,
                listings=listings,
                opt_outs=opt_outs,
                on_annotated=on_annotated,
            )
            if writer is not None:
                writer.add(table)
            # Kept for audit.json, whose header (the counts) comes first.
            spool.add(table)
            if progress is not None and reach is not None and len(photos):
                rows_done += len(photos)
                source = str(photos["source_file"].iloc[-1])
                whole = len(files) > 0 and files[-1].path == source
                where = reach.at(source, int(photos["source_row"].iloc[-1]), whole)
                progress(rows_done, where, reach.total)
            # Let go of this chunk before waiting for the next (the writers hold `table`).
            del photos, hosts, owners, listed, table
        tally.set_photos_with_errors(*listings.flagged(tally.codes))
        listings.close()  # the index is done with: its memory goes to writing the reports
        found.check(files)  # a manifest that names no photo is an error, not a pass
        run = RunInfo(
            policy=policy.id,
            mode="offline",
            started_at=started_at,
            finished_at=datetime.now(UTC),
            manifests=tuple(str(path) for path in manifests),
        )
        document = tally_document(
            tally,
            run,
            waiver_problems=[*waiver_problems, *book.problems()],
            tool_version=tool_version,
        )
        if opt_outs is not None:
            document["summary"]["opt_outs"] = opt_outs.summary()
        if writer is None:
            writer = ReportWriter(out_dir)
            for batch in spool.batches():
                writer.add(batch)
        worst = WorstOwnersFindings(document)

        def batches() -> Iterator[pa.Table]:
            for batch in spool.batches():
                worst.add(batch)
                if streamed is not None:
                    streamed.add_findings(batch)
                yield batch

        paths = writer.finish(
            document,
            batches(),
            lambda: render_summary(document, tally.rule_rows(), worst),
            owners=tally.owner_arrow(),
        )
        if streamed is not None:
            extra = streamed.finish()
    finally:
        if writer is not None:
            writer.close()
        if streamed is not None:
            streamed.close()
        spool.close()
        listings.close()
    return OfflineAudit(document, files, paths, skipped=bad or [], extra=extra)
