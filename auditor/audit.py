"""One audit, from manifest files to a report folder: `run_audit`.

`run_audit(manifests, policy, options) -> AuditResult` is what the CLI, the notebooks, the
benchmarks and the tests call. It chooses the path:

- **streaming** (`auditor.pipeline.offline_audit`): offline, and nothing asked for that needs the
  whole tables (html, sarif, junit or github formats, a baseline, cleaned manifests, credits;
  csv and parquet are written in pieces). The manifests are read in chunks, so memory stays
  bounded however large they are;
- **whole tables** otherwise: `read_manifests`, then (live) `fetch.fetch_status` and
  `fetch.with_live_status`, `engine.evaluate`, `waivers.apply_waivers`, `report.baseline`,
  `report.build_audit_document`, `report.write_reports` and each chosen format's writer.

Both write the same record for the same input. The reports of a run are written into a staging
folder and moved into the output folder at once (`auditor.outputs.OutputSet`): the folder then
holds exactly this run's reports, and an error or an interruption before that leaves the earlier
run's set as it was. Cleaned manifests and credits are written after the reports, each whole.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from auditor import __version__
from auditor.engine import Policy, evaluate, load_policy
from auditor.engine.evaluate import annotate
from auditor.errors import AuditorError
from auditor.licences import load_catalogue
from auditor.manifests.columns import ColumnOptions
from auditor.manifests.hosts import split_other_hosts
from auditor.manifests.read import read_manifests
from auditor.manifests.shards import expand_shards
from auditor.optouts import OptOutBook, flickr_owners, load_book
from auditor.outputs import OutputSet, check_outputs
from auditor.photo_table import FileReport
from auditor.pipeline import offline_audit
from auditor.report.baseline import apply_baseline, counted, load_baseline
from auditor.report.document import AuditDocument, RunInfo, build_audit_document
from auditor.report.formats import (
    DEFAULT_FORMATS,
    STREAMED_FORMATS,
    AuditTables,
    Written,
    chosen,
    needs_whole_tables,
    report_files,
    write_files,
)
from auditor.report.groups import manifest_formats
from auditor.report.text import usable_sentence
from auditor.report.write import write_reports
from auditor.resources import example_manifest
from auditor.waivers import apply_waivers, load_waivers

if TYPE_CHECKING:
    from auditor.fetch import FetchReport
    from auditor.flickr import FlickrClient
    from auditor.release import CleanResult

# The Flickr client, fetcher and state store (requests, tenacity, sqlite3) are imported by the
# live audit alone: an offline audit starts a third of a second sooner without them.

DEFAULT_RATE_LIMIT = 3600.0  # Flickr calls per hour: Flickr's documented budget per key
RETRY_BACKOFF = (1.0, 60.0)  # tenacity's random exponential (multiplier, maximum), seconds


@dataclass(frozen=True)
class LiveSettings:
    """How to ask Flickr for the photos' live status."""

    api_key: str = field(repr=False)  # never shown, logged or written
    api_url: str
    state: Path  # the SQLite store of statuses, reused across runs
    max_age: timedelta = timedelta(days=7)  # stored statuses younger than this are reused
    refresh: bool = False  # fetch every status again, however fresh
    rate_limit: float = DEFAULT_RATE_LIMIT  # calls per hour


@dataclass(frozen=True)
class AuditProgress:
    """Callbacks for a progress display (the CLI draws a bar; a library caller may log)."""

    # Offline, after each chunk: rows read so far, bytes of the manifests read so far
    # (estimated inside a file read in pieces), bytes of all the manifests.
    rows: Callable[[int, int, int], None] | None = None
    # Live, as answers arrive: Flickr calls done, calls planned so far.
    flickr: Callable[[int, int], None] | None = None
    # Live, before the first call: the plan in one line (photos, calls, time at the rate).
    plan: Callable[[str], None] | None = None


@dataclass(frozen=True)
class AuditOptions:
    """Everything about an audit but its manifests and policy."""

    # The report folder [default: reports/<first manifest's name up to its first dot>/].
    out_dir: Path | None = None
    formats: Sequence[str] = DEFAULT_FORMATS  # `auditor.report.formats.REGISTRY` names
    manifest_format: str | None = None  # read every manifest as this format (else detected)
    columns: ColumnOptions | None = None  # column names/positions for generic tables
    waivers: Path | None = None  # YAML of accepted findings
    baseline: Path | None = None  # audit.json of an earlier run: only new findings count
    clean_manifest: Path | None = None  # write the manifests without rows with errors here
    credits: Path | None = None  # write the credits of kept photos here (.csv or .md)
    live: LiveSettings | None = None  # None: offline, judged on the recorded licences
    started_at: datetime | None = None  # [default: now]
    today: date | None = None  # for waiver expiry [default: the day the run started]
    progress: AuditProgress | None = None
    chunk_rows: int | None = None  # streaming path: rows per chunk [default: pipeline's]
    # Files the caller reads or writes for this run besides these (an API key file, the step
    # summary): checked with the run's own paths, so no output is an input (`check_outputs`).
    extra_inputs: Sequence[Path] = ()
    extra_outputs: Sequence[tuple[Path, str]] = ()  # (path, what it is, e.g. "--credits")
    # Streaming path: leave out a manifest (shard) that cannot be read, instead of stopping.
    skip_bad_shards: bool = False
    # The folders of shards the manifests came from: the report folder may not be inside one.
    shard_folders: Sequence[Path] = ()
    # Removal requests and opt-out lists (`auditor.optouts`): the photos they name get the
    # `opt-out` finding, offline and live.
    opt_outs: Sequence[Path] = ()


@dataclass(frozen=True)
class AuditResult:
    """What an audit found and wrote."""

    document: AuditDocument  # audit.json's content but its findings
    files: list[FileReport]  # one per manifest read, in the order given
    out_dir: Path
    written: list[Path]  # the report files now in `out_dir`
    # Findings that count for an exit code, by severity: not waived, and (with a baseline) new.
    counted: dict[str, int]
    tables: AuditTables | None = None  # the whole tables (None when streamed)
    live: FetchReport | None = None  # what the Flickr fetch did (live audits)
    outputs: list[Written] = field(default_factory=list)  # formats' stdout and step summary
    cleaned: CleanResult | None = None
    credits: tuple[Path, int] | None = None  # the credits file and the photos it lists
    skipped: list[str] = field(default_factory=list)  # shards left out (skip_bad_shards)
    opt_outs: OptOutBook | None = None  # the --opt-outs lists, with what they matched

    @property
    def usable_photos(self) -> int:
        return self.document["summary"]["usable_photos"]

    @property
    def photos(self) -> int:
        return self.document["summary"]["photos"]

    @property
    def headline(self) -> str:
        """`N of M photos usable for POLICY …`: the answer, first."""
        return usable_sentence(self.document)


def default_out_dir(manifests: Sequence[Path]) -> Path:
    """reports/<the first manifest's name up to its first dot>/."""
    return Path("reports") / Path(manifests[0]).name.split(".")[0]


def flickr_client(settings: LiveSettings) -> FlickrClient:
    from auditor.flickr import FlickrClient, TokenBucket

    return FlickrClient(
        settings.api_key,
        api_url=settings.api_url,
        limiter=TokenBucket(settings.rate_limit),
        backoff=RETRY_BACKOFF,
    )


def invalid_key(api_url: str) -> AuditorError:
    return AuditorError(
        f"{api_url}: Flickr rejected the API key (code 100, invalid key); "
        "check FLICKR_API_KEY or --api-key-file"
    )


def fetch_live(
    photos: object,
    policy: Policy,
    settings: LiveSettings,
    manifests: Sequence[str],
    progress: Callable[[int, int], None] | None = None,
    plan: Callable[[str], None] | None = None,
) -> FetchReport:
    """Fetch the live status of the photos (a photo table); `AuditorError` on an invalid key.
    The run is logged in the state store, with its outcome; `plan` gets the plan's line
    (`fetch.describe_plan`) before the first call."""
    import pandas as pd

    from auditor.fetch import FetchOptions, describe_plan, fetch_status, prepare_fetch
    from auditor.flickr import InvalidKey
    from auditor.state import StateStore

    assert isinstance(photos, pd.DataFrame)
    with flickr_client(settings) as client, StateStore(settings.state) as store:
        run_id = store.start_run(
            api_url=settings.api_url, manifests=manifests, policy=policy.id, photos=len(photos)
        )
        fetch = FetchOptions(
            max_age=settings.max_age,
            refresh=settings.refresh,
            history_for_collection=policy.needs_licence_at_collection,
        )
        prepared = prepare_fetch(photos, store, options=fetch, run_id=run_id)
        if plan is not None:
            plan(
                describe_plan(
                    prepared.estimate(), reused=prepared.reused, per_hour=settings.rate_limit
                )
            )
        outcome = "interrupted"
        try:
            report = fetch_status(
                photos,
                client,
                store,
                options=fetch,
                progress=progress,
                run_id=run_id,
                prepared=prepared,
            )
            outcome = "ok"
        except InvalidKey:
            outcome = "invalid key"
            raise invalid_key(settings.api_url) from None
        finally:
            store.finish_run(run_id, outcome=outcome, api_calls=client.calls_by_method())
    return report


def _run_info(
    policy: Policy, started: datetime, manifests: Sequence[Path], live: FetchReport | None
) -> RunInfo:
    """The run section of audit.json for an audit over whole tables."""
    run = RunInfo(
        policy=policy.id,
        mode="offline" if live is None else "live",
        started_at=started,
        finished_at=datetime.now(UTC),
        manifests=tuple(str(path) for path in manifests),
    )
    if live is None:
        return run
    return replace(
        run,
        api_calls=live.api_calls,
        status_as_of=live.status_as_of,
        photos_fetched=live.fetched,
        photos_reused=live.reused,
        unverified=live.unverified,
        warnings=tuple(live.warnings),
    )


def check_audit_outputs(
    target: Path,
    manifests: Sequence[Path],
    policy: object,
    options: AuditOptions,
    *,
    shard_folders: Sequence[Path] = (),
) -> None:
    """Refuse, before any work, an audit whose outputs would replace an input or each other,
    or could not be written (`auditor.outputs.check_outputs`). Every file any format may write
    in the folder is checked, whichever formats this run asked for: an input by one of those
    names there is refused, so no run can replace it. The report folder may not be inside a
    folder of shards (its findings.parquet would be read as a shard next time)."""
    from auditor.release.clean import cleaned_paths

    for folder in (Path(name) for name in shard_folders if Path(name).is_dir()):
        if target.resolve().is_relative_to(folder.resolve()):
            raise AuditorError(
                f"{target}: the report folder is inside the shard folder {folder}, so its "
                "findings.parquet would be read as shards next time; write the reports elsewhere"
            )

    outputs: list[tuple[str | Path, str]] = [
        (target / name, "--output-dir") for name in sorted(report_files())
    ]
    if options.clean_manifest is not None:
        cleaned, removals_csv = cleaned_paths(list(manifests), Path(options.clean_manifest))
        outputs += [(path, "--clean-manifest") for path in [*cleaned, removals_csv]]
    if options.credits is not None:
        outputs.append((Path(options.credits), "--credits"))
    outputs += [(Path(path), what) for path, what in options.extra_outputs]
    policy_file = [Path(policy)] if isinstance(policy, str | os.PathLike) else []
    others = [
        options.waivers,
        options.baseline,
        *options.opt_outs,
        *options.extra_inputs,
        *policy_file,
    ]
    read = [*manifests, *(Path(p) for p in others if p is not None and Path(p).is_file())]
    check_outputs(outputs, read)


def check_opt_out_rule(policy: Policy) -> None:
    """Refuse `--opt-outs` with a policy none of whose active rules reads the opt-out lists
    (one that turns `opt-out` off, or does not extend the shipped rules): they would flag
    nothing."""
    if not any(
        rule.severity != "off" and "opt_out_request" in rule.when.columns() for rule in policy.rules
    ):
        raise AuditorError(
            f"{policy.source}: no active rule of policy {policy.id} reads the --opt-outs lists "
            "(column opt_out_request), so they would flag nothing; turn the rule opt-out on "
            "(or extend _base.yaml), or drop --opt-outs"
        )


def streams(options: AuditOptions) -> bool:
    """Whether `run_audit` takes the streaming path for these options."""
    release = options.clean_manifest is not None or options.credits is not None
    return (
        options.live is None
        and not needs_whole_tables(options.formats)
        and options.baseline is None
        and not release
    )


def run_audit(
    manifests: Sequence[str | os.PathLike[str]],
    policy: Policy | str | os.PathLike[str],
    options: AuditOptions | None = None,
) -> AuditResult:
    """Audit `manifests` (none: the example manifest) against `policy` (a `Policy`, or a
    shipped policy's name or a policy file) and write the reports (see the module docstring).

    Raises `AuditorError` (one line naming the file and what to do) for unusable input,
    configuration or output folder, before the earlier reports are touched.
    """
    options = options or AuditOptions()
    started = options.started_at or datetime.now(UTC)
    # A folder or glob of shards is one dataset: its files, in path order.
    paths = expand_shards([Path(path) for path in manifests]) or [example_manifest()]
    chosen_policy = (
        policy
        if isinstance(policy, Policy)
        else load_policy(policy if isinstance(policy, str) else Path(policy))
    )
    formats = tuple(entry.name for entry in chosen(options.formats))
    if options.credits is not None:
        from auditor.release.credits import check_credits_path

        check_credits_path(options.credits)
    if options.clean_manifest is not None:
        from auditor.inputs import is_stream

        piped = [path for path in paths if is_stream(path)]
        if piped:
            raise AuditorError(
                f"{piped[0]}: --clean-manifest rewrites each manifest, and this one is a pipe "
                "that can be read only once; save it to a file and audit that"
            )
    target = Path(options.out_dir) if options.out_dir is not None else default_out_dir(paths)
    check_audit_outputs(target, paths, policy, options, shard_folders=options.shard_folders)
    if options.skip_bad_shards and not streams(options):
        raise AuditorError(
            "--skip-bad-shards applies to the streaming offline audit and to --engine dask, not "
            "to a live audit, --format html/sarif/junit/github, --baseline, --clean-manifest or "
            "--credits"
        )
    known = load_baseline(options.baseline) if options.baseline is not None else None
    opt_outs = load_book(options.opt_outs)
    if opt_outs is not None:
        check_opt_out_rule(chosen_policy)
    loaded_waivers, waiver_problems = (
        load_waivers(options.waivers, [rule.id for rule in chosen_policy.rules])
        if options.waivers is not None
        else ([], [])
    )
    progress = options.progress or AuditProgress()
    tables: AuditTables | None = None
    live: FetchReport | None = None
    outputs: list[Written] = []
    skipped: list[str] = []
    with OutputSet(target, report_files()) as staged:
        if streams(options):
            done = offline_audit(
                paths,
                chosen_policy,
                staged.staging,
                started_at=started,
                tool_version=__version__,
                fmt=options.manifest_format,
                columns=options.columns,
                waivers=loaded_waivers,
                waiver_problems=waiver_problems,
                today=options.today,
                chunk_rows=options.chunk_rows,
                progress=progress.rows,
                skip_bad_shards=options.skip_bad_shards,
                opt_outs=opt_outs,
                formats=[name for name in formats if name in STREAMED_FORMATS],
            )
            skipped = done.skipped
            document, files = done.document, done.files
            # Findings not waived, by severity.
            counts = dict(document["summary"]["findings"])
        else:
            table = read_manifests(paths, fmt=options.manifest_format, columns=options.columns)
            files = table.files
            photos, other_hosts = split_other_hosts(table.photos)
            if options.live is not None:
                live = fetch_live(
                    photos,
                    chosen_policy,
                    options.live,
                    [str(path) for path in paths],
                    progress=progress.flickr,
                    plan=progress.plan,
                )
                from auditor.fetch import with_live_status

                photos = with_live_status(photos, live.statuses)
            if opt_outs is not None:
                owners = None if live is None else flickr_owners(photos, live.statuses)
                photos = opt_outs.join(photos, owners)
            catalogue = load_catalogue()
            findings = evaluate(photos, chosen_policy, live=live is not None, catalogue=catalogue)
            findings, applied = apply_waivers(
                findings, loaded_waivers, options.today or started.date()
            )
            compared = None
            if known is not None:
                findings, compared = apply_baseline(findings, known)
            document = build_audit_document(
                photos,
                findings,
                _run_info(chosen_policy, started, paths, live),
                waiver_problems=[*waiver_problems, *applied],
                tool_version=__version__,
                include_findings=False,  # written from the table: half the memory
                other_hosts=other_hosts,
            )
            if compared is not None:
                document["summary"]["baseline"] = compared.as_json()
            if opt_outs is not None:
                document["summary"]["opt_outs"] = opt_outs.summary()
            write_reports(staged.staging, photos, findings, document)
            counts = {
                str(severity): int(count)
                for severity, count in findings.loc[counted(findings), "severity"]
                .value_counts()
                .items()
            }
            tables = AuditTables(
                document=document,
                findings=findings,
                photos=annotate(
                    photos,
                    catalogue,
                    licence_basis=chosen_policy.licence_basis,
                    opt_out_tags=chosen_policy.opt_out_tags,
                ),
                policy=chosen_policy,
                catalogue=catalogue,
                manifests=tuple(paths),
            )
            outputs = write_files(tables, formats, staged.staging)
        staged.commit()
    written = [target / name for entry in chosen(("json", "md", *formats)) for name in entry.files]
    result = AuditResult(
        document=document,
        files=files,
        out_dir=target,
        written=written,
        counted=counts,
        tables=tables,
        live=live,
        skipped=skipped,
        opt_outs=opt_outs,
        outputs=[replace(out, paths=[target / path.name for path in out.paths]) for out in outputs],
    )
    if tables is not None:
        result = _release(result, tables, options)
    return result


def _release(result: AuditResult, tables: AuditTables, options: AuditOptions) -> AuditResult:
    """Write the cleaned manifests and the credits asked for."""
    cleaned = None
    credits = None
    if options.clean_manifest is not None:
        from auditor.release import clean_manifests

        cleaned = clean_manifests(
            tables.manifests,
            tables.findings,
            options.clean_manifest,
            formats=manifest_formats(tables.photos),
        )
    if options.credits is not None:
        from auditor.release import credits_table, write_credits

        table = credits_table(tables.photos, tables.findings, tables.catalogue)
        credits = (write_credits(table, options.credits), len(table))
    return replace(result, cleaned=cleaned, credits=credits)
