"""The `flickr-audit` command line: the only module that reads argv, prints and exits.

Exit codes (`auditor.errors`): 0 success; 1 findings at or above the failure threshold (audits);
2 unusable input or configuration, with one line on stderr naming the file and what to do;
3 an internal error (a bug: rerun with --debug for the traceback and report it); 130
interrupted (Ctrl-C or SIGTERM), one line, earlier reports left whole.
"""

from __future__ import annotations

# Ctrl-C and SIGTERM are handled before anything else is imported: from the first millisecond an
# interruption gives one line and exit 130, never a traceback (see `_on_signal`).
import os
import signal
import sys

_SIGNAL_EXIT = 130  # auditor.errors.EXIT_INTERRUPTED (not imported yet: nothing is, here)
_main_running = False


class Interrupted(BaseException):
    """SIGINT (Ctrl-C) or SIGTERM arrived while a command ran. Not a KeyboardInterrupt: click
    and the interpreter treat those specially (a blank line; exiting by SIGINT)."""


def _on_signal(signum: int, frame: object) -> None:
    """Before `main` runs (while modules load) there is nothing to clean up: say so and exit.
    Once it runs, raise `Interrupted` so every `finally` removes what the run left."""
    if not _main_running:
        os.write(2, b"flickr-audit: interrupted; nothing was written\n")
        os._exit(_SIGNAL_EXIT)
    raise Interrupted(signum)


for _signal in (signal.SIGINT, signal.SIGTERM):
    signal.signal(_signal, _on_signal)

# The heavy libraries (pandas, pyarrow, requests) are imported inside the commands that need
# them: `--version` and `--help` stay fast.
import contextlib  # noqa: E402
import functools  # noqa: E402
import logging  # noqa: E402
import math  # noqa: E402
import re  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
import urllib.parse  # noqa: E402
from collections.abc import Callable, Iterator, Mapping, Sequence  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from datetime import timedelta  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import TYPE_CHECKING, Any, NoReturn  # noqa: E402

import click  # noqa: E402

from auditor import __version__  # noqa: E402
from auditor.errors import EXIT_FINDINGS, EXIT_INTERNAL, EXIT_OK, EXIT_USAGE, AuditorError  # noqa: E402
from auditor.limits import (  # noqa: E402
    DESCRIPTIONS,
    InputLimits,
    current,
    option_name,
    read_small_file,
    shown,
    using,
    with_settings,
)
from auditor.manifests.columns import ColumnOptions  # noqa: E402
from auditor.manifests.format_names import FORMATS  # noqa: E402
from auditor.outputs import (  # noqa: E402
    check_folder,
    check_not_inside,
    check_outputs,
    describe_os_error,
    same_file,
)
from auditor.report.formats import DEFAULT_FORMATS, REGISTRY  # noqa: E402
from auditor.safe_text import TerminalStream, single_line  # noqa: E402

if TYPE_CHECKING:
    from auditor.audit import AuditResult, LiveSettings
    from auditor.flickr import FlickrClient
    from auditor.manifests.read import ManifestTable
    from auditor.optouts import OptOutBook
    from auditor.photo_table import FileReport

PROG = "flickr-audit"


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name=PROG)
@click.option("--debug", is_flag=True, help="Show the traceback of an internal error.")
@click.option(
    "--limit",
    "limit_settings",
    multiple=True,
    metavar="NAME=VALUE",
    help="Change an input limit (repeatable): "
    + ", ".join(
        f"{option_name(name)} [{shown(getattr(InputLimits(), name))}]" for name in DESCRIPTIONS
    )
    + ". Sizes take KiB/MiB/GiB. See docs/security.md.",
)
@click.pass_context
def cli(ctx: click.Context, debug: bool, limit_settings: tuple[str, ...]) -> None:
    """Audit image datasets built from Flickr photos: which photos may be used for a purpose
    today, and whose are they.

    Start with `flickr-audit audit`: it judges the example manifest against the
    commercial-training policy. `flickr-audit audit FILE... --policy NAME` audits your
    manifests (COCO, FFHQ-style, Open Images, YFCC100M, Openverse, Flickr API listings,
    CSV/TSV/JSONL/Parquet, URL lists); `flickr-audit manifest FILE...` shows the photo table
    they are read into.
    """
    ctx.obj = {"debug": debug}
    if limit_settings:
        ctx.with_resource(using(with_settings(current(), list(limit_settings))))


def _column_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add --id-column ... --date-column to a command; it receives them as `columns`."""
    helps = {
        "id": "photo ids (or URLs)",
        "url": "photo page or image URLs",
        "owner": "owner NSIDs, path aliases or profile URLs",
        "licence": "recorded licences",
        "date": "collection/crawl dates",
    }

    @functools.wraps(func)
    def command(*args: Any, **kwargs: Any) -> Any:
        given = {name: kwargs.pop(f"{name}_column") for name in helps}
        delimiter = _delimiter_option(kwargs.pop("delimiter"))
        return func(
            *args,
            columns=ColumnOptions(
                **given,
                delimiter=delimiter,
                ids_from_filenames=kwargs.pop("ids_from_filenames"),
            ),
            **kwargs,
        )

    command = click.option(
        "--ids-from-filenames",
        is_flag=True,
        help="Image file names that are bare numbers ({id}.jpg) are Flickr photo ids. "
        "Names in Flickr's own layouts ({id}_{secret}.jpg, NUS-WIDE's {n}_{id}.jpg, Im2GPS's "
        "{id}_{secret}_{server}_{nsid}.jpg) are read without it.",
    )(command)
    command = click.option(
        "--delimiter",
        metavar="CHAR",
        help="The delimiter of a text table, when detection gets it wrong: one character, "
        "'tab', 'pipe' or 'space' (runs of white space).",
    )(command)

    for name in reversed(helps):
        flags = [f"--{name}-column"] + (["--license-column"] if name == "licence" else [])
        command = click.option(
            *flags,
            f"{name}_column",
            metavar="NAME|N",
            help=f"Column of {helps[name]}: a header name, or a 1-based position for a file "
            "without a header.",
        )(command)
    return command


_DELIMITER_WORDS = {"tab": "\t", "\\t": "\t", "pipe": "|", "space": " ", "whitespace": " "}


def _delimiter_option(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    delimiter = _DELIMITER_WORDS.get(value.lower(), value)
    if len(delimiter) != 1 or delimiter in '\r\n"':
        raise click.BadParameter(
            f"{value!r}: give one character, 'tab', 'pipe' or 'space'", param_hint="--delimiter"
        )
    return delimiter


_manifest_format = click.option(
    "--manifest-format",
    "fmt",
    type=click.Choice(list(FORMATS)),
    help="Read every FILE as this format instead of detecting it from the content.",
)


def _file_lines(files: Sequence[FileReport]) -> list[str]:
    """One line per manifest read (format, rows, skipped), each followed by its notes."""
    lines = []
    for report in files:
        skipped = sum(report.skipped.values())
        extra = f", {skipped} skipped" if skipped else ""
        lines.append(f"{report.path}: {report.format}, {report.rows} row(s){extra}")
        lines.extend(f"  note: {note}" for note in report.notes)
    return lines


def _write_atomically(table: ManifestTable, output: Path) -> None:
    """Write beside `output`, then rename: no half-written tables."""
    from auditor.outputs import atomic_path
    from auditor.photo_table import write_photo_table

    output.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(output) as temp:
        write_photo_table(table.photos, temp)


def _to_stdout(write: Callable[[], None]) -> None:
    """Run `write`; if the reader of stdout goes away (`| head`), stop writing quietly."""
    try:
        write()
        sys.stdout.flush()
    except BrokenPipeError:
        # Point stdout at /dev/null so the interpreter's final flush does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _prefer_jemalloc(environ: Mapping[str, str]) -> None:
    """Give Arrow its jemalloc allocator for this process, unless the user chose one with
    `ARROW_DEFAULT_MEMORY_POOL`. An offline audit allocates and frees hundreds of MB per chunk;
    with the default (mimalloc) much of it comes back as fresh pages the kernel must zero, and
    `benchmarks/offline_audit.py` measures about 1 s less CPU per million rows with jemalloc."""
    if environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        return
    import pyarrow as pa

    with contextlib.suppress(NotImplementedError):  # a pyarrow built without jemalloc
        pa.set_memory_pool(pa.jemalloc_memory_pool())


def _uses_arrow(func: Callable[..., Any]) -> Callable[..., Any]:
    """A command that moves much data through Arrow: jemalloc first (`_prefer_jemalloc`)."""

    @functools.wraps(func)
    def command(*args: Any, **kwargs: Any) -> Any:
        _prefer_jemalloc(os.environ)
        return func(*args, **kwargs)

    return command


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--manifest-format",
    "--format",
    "fmt",
    type=click.Choice(list(FORMATS)),
    help="Read every FILE as this format instead of detecting it from the content "
    "(--format is the old name).",
)
@_column_options
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the table here instead of stdout: .csv, .jsonl or .parquet by suffix.",
)
@_uses_arrow
def manifest(
    files: tuple[Path, ...],
    fmt: str | None,
    columns: ColumnOptions,
    output: Path | None,
) -> None:
    """Read manifest FILEs into one photo table (CSV on stdout, or -o PATH).

    Columns: photo_id, owner, owner_name, recorded_licence, collected_at, url, source_file,
    source_row, owner_kind, recorded_licence_raw, uploaded_at, title, source_format, notes,
    owner_realname. A summary goes to stderr. Formats are detected from content; see
    `flickr-audit formats`.
    """
    from auditor.manifests.read import read_manifests
    from auditor.photo_table import OUTPUT_SUFFIXES, write_photo_table

    if output is not None and output.suffix.lower() not in OUTPUT_SUFFIXES:
        raise click.BadParameter(
            f"{output}: unknown suffix; use one of {', '.join(OUTPUT_SUFFIXES)}",
            param_hint="-o/--output",
        )
    if output is not None:
        check_outputs([(output, "-o/--output")], files)  # before reading big manifests
    table = read_manifests(files, fmt=fmt, columns=columns)
    if output is None:
        _to_stdout(lambda: write_photo_table(table.photos, sys.stdout))
    else:
        _write_atomically(table, output)
    for line in [*_file_lines(table.files), *table.summary().lines()]:
        click.echo(line, err=True)
    if output is not None:
        click.echo(f"wrote {len(table.photos)} row(s) to {output}", err=True)


FAIL_ON = ("error", "warning", "note", "never")
DEFAULT_POLICY = "commercial-training"


# -- live status options (shared by the commands that ask Flickr) -----------------------------

DEFAULT_RATE_LIMIT = 3600  # calls per hour: Flickr's documented budget per key (auditor.audit)


@dataclass(frozen=True)
class LiveOptions:
    api_url: str | None  # None: Flickr's own endpoint
    api_key_file: Path | None
    state: Path
    max_age: timedelta
    refresh: bool
    rate_limit: float
    verbose: bool = False


def default_state_path() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("flickr-audit")) / "state.sqlite"


_AGE_RE = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw]?)")
_AGE_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "": 86400}


def parse_age(text: str) -> timedelta:
    """'7d', '12h', '30m', '90s', '2w', or a bare number of days."""
    match = _AGE_RE.fullmatch(text.strip().lower())
    if match is None:
        raise click.BadParameter(f"{text!r} is not an age; write e.g. 7d, 12h, 30m or 0")
    try:
        return timedelta(seconds=float(match[1]) * _AGE_UNITS[match[2]])
    except OverflowError:
        raise click.BadParameter(f"{text!r} is longer than any age can be") from None


def _check_rate_limit(per_hour: float) -> None:
    """At least one call an hour, and a number (nan and inf are floats too)."""
    if not math.isfinite(per_hour) or per_hour < 1:
        raise click.BadParameter(
            "must be a number of calls per hour, at least 1", param_hint="--rate-limit"
        )


def _check_state_path(state: Path, arguments: Mapping[str, Any]) -> None:
    """The state file is read and rewritten by every live run: it may be none of the command's
    other files (a manifest, waivers, credits...) and may not sit in its report folder."""
    for name, value in arguments.items():
        for path in value if isinstance(value, tuple | list) else [value]:
            if isinstance(path, Path) and same_file(state, path):
                option = "a manifest" if name == "files" else "--" + name.removesuffix("_path")
                option = option.replace("_", "-")
                raise click.BadParameter(
                    f"{state} is also {option}; keep the state file apart", param_hint="--state"
                )
    output_dir = arguments.get("output_dir")
    if isinstance(output_dir, Path) and same_file(state.parent, output_dir):
        raise click.BadParameter(
            f"{state} is in the report folder {output_dir}; keep the state file outside it",
            param_hint="--state",
        )


def _check_api_url(url: str | None) -> None:
    """An http(s) URL with a host and a valid port (None: Flickr's own endpoint)."""
    if url is None:
        return
    try:
        parts = urllib.parse.urlsplit(url)
        port_ok = parts.port is None or parts.port > 0
    except ValueError as exc:  # an unclosed IPv6 bracket, a port out of range
        raise click.BadParameter(f"{url!r} is not a URL ({exc})", param_hint="--api-url") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
        raise click.BadParameter(
            f"{url!r} is not an http(s) URL with a host", param_hint="--api-url"
        )


@contextmanager
def _api_log() -> Iterator[None]:
    """Show the Flickr client's log (`auditor.flickr`: one line per call attempt) and the
    manifest readers' (`auditor.manifests`: a file read row by row, not by Arrow, and why) on
    stderr."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("flickr-audit: %(message)s"))
    loggers = [logging.getLogger(name) for name in ("auditor.flickr", "auditor.manifests")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(level)


def _live_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add the Flickr options to a command; it receives them as `live_options`."""
    names = ("api_url", "api_key_file", "state", "max_age", "refresh", "rate_limit", "verbose")

    @functools.wraps(func)
    def command(*args: Any, **kwargs: Any) -> Any:
        given = {name: kwargs.pop(name) for name in names}
        url = given["api_url"] or os.environ.get("FLICKR_API_URL") or None
        _check_rate_limit(given["rate_limit"])
        options = LiveOptions(
            api_url=url,
            api_key_file=given["api_key_file"],
            state=given["state"] or default_state_path(),
            max_age=parse_age(given["max_age"]),
            refresh=given["refresh"],
            rate_limit=given["rate_limit"],
            verbose=given["verbose"],
        )
        _check_api_url(options.api_url)
        _check_state_path(options.state, kwargs)
        if not options.verbose:
            return func(*args, live_options=options, **kwargs)
        with _api_log():
            return func(*args, live_options=options, **kwargs)

    decorators = [
        click.option(
            "--api-url",
            metavar="URL",
            help="Flickr REST endpoint [default: $FLICKR_API_URL, else Flickr's own].",
        ),
        click.option(
            "--api-key-file",
            type=click.Path(path_type=Path, dir_okay=False),
            help="Read the Flickr API key from this file instead of $FLICKR_API_KEY "
            "(never pass a key on the command line).",
        ),
        click.option(
            "--state",
            type=click.Path(path_type=Path, dir_okay=False),
            help="SQLite state file of fetched statuses and evidence, reused across runs "
            "[default: flickr-audit/state.sqlite in your cache folder].",
        ),
        click.option(
            "--max-age",
            default="7d",
            show_default=True,
            metavar="AGE",
            help="Reuse stored statuses younger than this (7d, 12h, 30m; 0 fetches all).",
        ),
        click.option("--refresh", is_flag=True, help="Fetch every status again, however fresh."),
        click.option(
            "--rate-limit",
            type=float,
            default=DEFAULT_RATE_LIMIT,
            show_default=True,
            metavar="N",
            help="Flickr calls per hour, never exceeded in any hour (Flickr allows ~3,600).",
        ),
        click.option(
            "--verbose",
            is_flag=True,
            help="Print each Flickr call (method, parameters, outcome, time) to stderr; the key "
            "is never shown. Also says which manifests are read row by row (Python's csv "
            "module, much slower) instead of by Arrow, and why.",
        ),
    ]
    for decorator in reversed(decorators):
        command = decorator(command)
    return command


def api_key(options: LiveOptions) -> str | None:
    """The key from --api-key-file or $FLICKR_API_KEY; None when neither gives one."""
    if options.api_key_file is not None:
        path = options.api_key_file
        try:
            key = read_small_file(path, "key_file", "API key file").decode("utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            raise AuditorError(
                f"{path}: cannot read the API key ({reason}); give a readable file with "
                "--api-key-file"
            ) from None
        if not key or any(ch.isspace() for ch in key):
            raise AuditorError(
                f"{path}: does not hold one API key; put only the key in it, on one line"
            )
        return key
    return os.environ.get("FLICKR_API_KEY", "").strip() or None


def live_settings(key: str, options: LiveOptions) -> LiveSettings:
    """The library's live settings from the command's options and the key."""
    from auditor.audit import LiveSettings
    from auditor.flickr import DEFAULT_API_URL

    return LiveSettings(
        api_key=key,
        api_url=options.api_url or DEFAULT_API_URL,
        state=options.state,
        max_age=options.max_age,
        refresh=options.refresh,
        rate_limit=options.rate_limit,
    )


def flickr_client(key: str, options: LiveOptions) -> FlickrClient:
    from auditor.audit import flickr_client as client

    return client(live_settings(key, options))


def invalid_key(options: LiveOptions) -> AuditorError:
    from auditor.audit import invalid_key as invalid

    return invalid(live_settings("", options).api_url)


class _Progress:
    """Progress bars on stderr for an audit (tqdm), silent when stderr is not a terminal:
    rows read of the manifests' bytes (offline), Flickr calls done of those planned (live)."""

    def __init__(self) -> None:
        self._bar: Any = None
        self._started = time.monotonic()  # rows/s from the audit's start, not the bar's
        # What tqdm's `disable=None` decides, decided before importing it (a tenth of a second
        # of a short audit's run in CI, where nothing would be drawn).
        isatty = getattr(sys.stderr, "isatty", None)
        self._shown = bool(isatty is not None and isatty())

    def rows(self, rows: int, done: int, total: int) -> None:
        if not self._shown:
            return
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(
                total=total, unit="B", unit_scale=True, desc="reading", file=sys.stderr,
                disable=None, leave=False,
            )  # fmt: skip
        bar = self._bar
        elapsed = time.monotonic() - self._started
        rate = f"{rows / elapsed:,.0f} rows/s" if elapsed > 0 else ""
        bar.set_postfix_str(f"{rows:,} rows{', ' + rate if rate else ''}", refresh=False)
        bar.update(max(done - bar.n, 0))
        bar.refresh()  # one call per chunk: cheap, and a short audit still shows its figures

    def flickr(self, done: int, planned: int) -> None:
        if not self._shown:
            return
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(
                total=0, unit="call", desc="Flickr", file=sys.stderr, disable=None, leave=False
            )
        bar = self._bar
        if bar.total != planned:
            bar.total = planned
            bar.refresh()
        bar.update(done - bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def plan_line(photos: Any, policy: Any, options: LiveOptions) -> str:
    """The live audit's plan, from the manifests and the state alone (no call, no key); a
    state file that does not exist yet is not created."""
    from auditor.fetch import describe_plan, prepare_fetch
    from auditor.state import StateStore

    state = options.state if options.state.exists() else Path(":memory:")
    with StateStore(state) as store:
        prepared = prepare_fetch(photos, store, options=_fetch_options(policy, options))
        return describe_plan(
            prepared.estimate(), reused=prepared.reused, per_hour=options.rate_limit
        )


def _fetch_options(policy: Any, options: LiveOptions) -> Any:
    """The fetch options of a command's live options (`auditor.fetch.FetchOptions`)."""
    from auditor.fetch import FetchOptions

    return FetchOptions(
        max_age=options.max_age,
        refresh=options.refresh,
        history_for_collection=policy.needs_licence_at_collection,
    )


def _live_lines(result: AuditResult, state: Path) -> list[str]:
    report = result.live
    if report is None:
        return []
    calls = sum(report.api_calls.values())
    lines = [
        (
            f"live status: {report.photos} photo(s): {report.fetched} fetched with {calls} "
            f"call(s), {report.reused} reused from {state} (younger than --max-age)"
        ),
    ]
    if report.unverified:
        lines.append(f"  {report.unverified} photo(s) could not be checked: reported unverified")
    lines.extend(f"  warning: {warning}" for warning in report.warnings[:20])
    if len(report.warnings) > 20:
        lines.append(f"  ... and {len(report.warnings) - 20} more warning(s)")
    return lines


def _release_lines(result: AuditResult) -> list[str]:
    """What the cleaned manifests and credits asked for are, and where."""
    lines: list[str] = []
    if result.cleaned is not None:
        for manifest in result.cleaned.manifests:
            lines.append(
                f"cleaned manifest: {manifest.output} ({manifest.format}, "
                f"{manifest.rows_removed} row(s) with error findings removed)"
            )
        lines.append(f"removed rows and why: {result.cleaned.removals_csv}")
    if result.credits is not None:
        path, count = result.credits
        lines.append(f"credits: {count} photo(s) needing attribution in {path}")
    return lines


def _opt_out_lines(book: OptOutBook | None) -> list[str]:
    """What the --opt-outs lists opted out, and a warning per list for its entries that matched
    no manifest row (the publisher wants to know: a request for photos they do not hold)."""
    if book is None:
        return []
    names = ", ".join(file.name for file in book.files)
    photos = len(book.matches.photos)
    lines = [f"opt-outs: {photos} photo(s) opted out by {names}"]
    return lines + [f"  warning: {line}" for line in book.warnings()]


def _failing(counts: Mapping[str, int], fail_on: str) -> int:
    """How many of the counted findings (severity → count) are at or above `--fail-on`."""
    if fail_on == "never":
        return 0
    ranks = {"error": 0, "warning": 1, "note": 2}
    return sum(count for severity, count in counts.items() if ranks[severity] <= ranks[fail_on])


@cli.command()
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--policy",
    default=DEFAULT_POLICY,
    show_default=True,
    metavar="NAME|PATH",
    help="The intended use: a shipped policy (see `flickr-audit policies`) or your YAML file.",
)
@click.option(
    "--offline",
    is_flag=True,
    help="Judge on the licences the manifests record, without asking Flickr.",
)
@click.option(
    "--output-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Where to write the reports [default: reports/<first manifest stem>/]. The folder "
    "then holds this run's reports only: report files of an earlier run that this one does not "
    "write are removed; other files are left alone.",
)
@click.option(
    "--format",
    "formats",
    type=click.Choice(list(REGISTRY)),
    multiple=True,
    default=DEFAULT_FORMATS,
    show_default=True,
    help="Also write this report format (repeatable): "
    + "; ".join(f"{f.name}: {f.description}" for f in REGISTRY.values() if not f.record)
    + ". audit.json, findings.csv, owners.csv and summary.md are always written.",
)
@click.option(
    "--fail-on",
    type=click.Choice(FAIL_ON),
    default="error",
    show_default=True,
    help="Exit 1 when a finding at or above this severity is not waived.",
)
@click.option(
    "--waivers",
    type=click.Path(path_type=Path, dir_okay=False),
    help="YAML list of accepted findings: {rule, photo_id or owner, reason, approved_by, expires}.",
)
@click.option(
    "--baseline",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="AUDIT_JSON",
    help="audit.json of an earlier run: its findings are marked baseline and only new ones "
    "count for the exit code.",
)
@click.option(
    "--opt-outs",
    "opt_outs",
    type=click.Path(path_type=Path, dir_okay=False),
    multiple=True,
    metavar="PATH",
    help="A removal request (the removal-request.json `flickr-audit owner` writes) or a list of "
    "photo ids, photo URLs, NSIDs, path aliases or profile URLs (TXT: one a line; CSV/TSV: a "
    "header naming the column), repeatable: every manifest row they name, or every photo of an "
    "owner they name, gets the opt-out finding (offline and live); entries that match no row "
    "are listed.",
)
@click.option(
    "--clean-manifest",
    type=click.Path(path_type=Path),
    metavar="PATH",
    help="Write the manifests without the photos that have error findings not waived, or an "
    "opt-out finding (PATH is the file for one manifest, a folder for several), plus "
    "removals.csv.",
)
@click.option(
    "--credits",
    "credits_path",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="PATH",
    help="Write the attribution of every kept photo whose licence requires credit: .csv or .md.",
)
@click.option(
    "--engine",
    type=click.Choice(["local", "dask"]),
    default="local",
    show_default=True,
    help="local: this process streams the manifests. dask: the shards are read and judged by "
    "the workers of a Dask cluster (offline only; pip install 'flickr-licence-auditor[dask]'); "
    "findings go to the findings.parquet dataset, which audit.json names, not findings.csv.",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="With --engine dask: the scheduler of an existing Dask cluster (tcp://HOST:PORT), whose "
    "workers see the manifests and the report folder at the same paths [default: a local "
    "cluster started and stopped by this run].",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="With --engine dask and no --scheduler: worker processes of the local cluster "
    "[default: the CPU count, at most 8].",
)
@click.option(
    "--skip-bad-shards",
    is_flag=True,
    help="List a manifest (shard) that cannot be read and audit the others, instead of "
    "stopping with exit 2 (the streaming offline audit and --engine dask).",
)
@click.option(
    "--plan",
    "plan_only",
    is_flag=True,
    help="Print the live audit's plan (photos to check, Flickr calls, time at --rate-limit) "
    "and exit, without asking Flickr anything.",
)
@_manifest_format
@_column_options
@_live_options
@_uses_arrow
def audit(
    files: tuple[Path, ...],
    policy: str,
    offline: bool,
    output_dir: Path | None,
    formats: tuple[str, ...],
    fail_on: str,
    waivers: Path | None,
    baseline: Path | None,
    opt_outs: tuple[Path, ...],
    clean_manifest: Path | None,
    credits_path: Path | None,
    engine: str,
    scheduler: str | None,
    workers: int | None,
    skip_bad_shards: bool,
    plan_only: bool,
    fmt: str | None,
    columns: ColumnOptions,
    live_options: LiveOptions,
) -> int:
    """Judge the photos in manifest FILEs against an intended use, and write the reports.

    A FILE may be a folder or a quoted glob of shards (Parquet, CSV, TSV, JSON Lines): its files
    are audited as one dataset, in path order. Rows of other image hosts are counted per host,
    not audited. With no FILE, the example manifest that ships with the project is audited.
    With a Flickr API key ($FLICKR_API_KEY or --api-key-file) each photo's current licence,
    visibility and tags are fetched from Flickr (rate-limited, resumable, stored in --state);
    without one, or with --offline, photos are judged on the licences the manifests record. Exit
    codes: 0 no finding at or above --fail-on, 1 there are, 2 unusable input or configuration.
    An offline audit streams its manifests in chunks, except when asked for the html, sarif,
    junit or github formats, --baseline, --clean-manifest or --credits, which read them whole.
    """
    from auditor.audit import AuditOptions, AuditProgress, run_audit
    from auditor.report.text import summary_lines

    if engine == "dask":
        return _dask_dispatch(
            files,
            policy,
            output_dir,
            formats=formats,
            fail_on=fail_on,
            refused=[
                ("--baseline", baseline is not None),
                ("--clean-manifest", clean_manifest is not None),
                ("--credits", credits_path is not None),
                ("--format", any(not REGISTRY[name].record for name in formats)),
                ("a Flickr API key (add --offline)", not offline and api_key(live_options)),
            ],
            fmt=fmt,
            columns=columns,
            waivers=waivers,
            opt_outs=opt_outs,
            scheduler=scheduler,
            workers=workers,
            skip_bad_shards=skip_bad_shards,
        )
    for option, given in [("--scheduler", scheduler), ("--workers", workers)]:
        if given is not None:
            raise AuditorError(f"{option} applies to --engine dask; add it or drop {option}")
    if plan_only:
        from auditor.engine import load_policy
        from auditor.manifests.hosts import split_other_hosts
        from auditor.manifests.read import read_manifests
        from auditor.manifests.shards import expand_shards
        from auditor.resources import example_manifest

        manifests = expand_shards(files) or [example_manifest()]
        table = read_manifests(manifests, fmt=fmt, columns=columns)
        photos, _ = split_other_hosts(table.photos)
        click.echo(plan_line(photos, load_policy(policy), live_options), err=True)
        return EXIT_OK
    key = None if offline else api_key(live_options)
    progress = _Progress()
    plans: list[str] = []  # the live fetch's plan: printed after the answer, as fetch lines are
    options = AuditOptions(
        out_dir=output_dir,
        formats=formats,
        manifest_format=fmt,
        columns=columns,
        waivers=waivers,
        baseline=baseline,
        clean_manifest=clean_manifest,
        credits=credits_path,
        live=None if key is None else live_settings(key, live_options),
        progress=AuditProgress(rows=progress.rows, flickr=progress.flickr, plan=plans.append),
        skip_bad_shards=skip_bad_shards,
        shard_folders=tuple(Path(name) for name in files),
        opt_outs=opt_outs,
        # What the command itself reads and writes, checked with the run's own paths.
        extra_inputs=tuple(p for p in (live_options.api_key_file,) if p is not None),
        extra_outputs=tuple(
            (Path(path), "$GITHUB_STEP_SUMMARY")
            for path in (os.environ.get("GITHUB_STEP_SUMMARY"),)
            if path and "github" in formats
        ),
    )
    try:
        result = run_audit(list(files), policy, options)
    finally:
        progress.close()
    reason = None if key is not None else ("--offline" if offline else "no FLICKR_API_KEY")
    lines = summary_lines(result.document, offline_reason=reason)
    # The answer first; then what was read and fetched, and the rest of the summary.
    lines[1:1] = [
        *_file_lines(result.files),
        *plans,
        *_live_lines(result, live_options.state),
        *_opt_out_lines(result.opt_outs),
    ]
    for problem in result.skipped:
        click.echo(f"skipped shard: {problem}", err=True)
    for line in lines:
        click.echo(line, err=True)
    names = ", ".join(path.name for path in result.written)
    click.echo(f"reports: {result.out_dir}/ ({names})", err=True)
    for output in result.outputs:
        for line in output.stdout:
            click.echo(line)
        summary_path = os.environ.get("GITHUB_STEP_SUMMARY")
        if output.step_summary is not None and summary_path:
            with Path(summary_path).open("a", encoding="utf-8") as handle:
                handle.write(output.step_summary())
    for line in _release_lines(result):
        click.echo(line, err=True)
    failing = _failing(result.counted, fail_on)
    if failing:
        new = " new" if baseline is not None else ""
        click.echo(f"{failing}{new} finding(s) at or above --fail-on {fail_on}: exit 1", err=True)
        return EXIT_FINDINGS
    return EXIT_OK


def _dask_dispatch(
    files: Sequence[Path],
    policy_name: str,
    output_dir: Path | None,
    *,
    waivers: Path | None,
    opt_outs: Sequence[Path],
    **kwargs: Any,
) -> int:
    """`audit --engine dask`: its manifests, policy, waivers and output checks, then
    `_dask_audit`. (The local engine is `auditor.audit.run_audit`.)"""
    from datetime import UTC, datetime

    from auditor.audit import (
        AuditOptions,
        check_audit_outputs,
        check_opt_out_rule,
        default_out_dir,
    )
    from auditor.engine import load_policy
    from auditor.manifests.shards import expand_shards
    from auditor.optouts import load_book
    from auditor.resources import example_manifest
    from auditor.waivers import load_waivers

    started = datetime.now(UTC)
    manifests = expand_shards(files) or [example_manifest()]
    chosen = load_policy(policy_name)
    target = output_dir or default_out_dir(manifests)
    check_audit_outputs(
        target,
        manifests,
        policy_name,
        AuditOptions(waivers=waivers, opt_outs=opt_outs),
        shard_folders=files,
    )
    loaded = load_waivers(waivers, [rule.id for rule in chosen.rules]) if waivers else ([], [])
    book = load_book(opt_outs)
    if book is not None:
        check_opt_out_rule(chosen)
    return _dask_audit(
        manifests, chosen, target, started=started, waivers=loaded, opt_outs=book, **kwargs
    )


def _dask_audit(
    manifests: list[Path],
    policy: Any,
    target: Path,
    *,
    started: Any,
    formats: Sequence[str],
    fail_on: str,
    refused: Sequence[tuple[str, object]],
    fmt: str | None,
    columns: ColumnOptions,
    waivers: tuple[list[Any], list[Any]],
    opt_outs: OptOutBook | None,
    scheduler: str | None,
    workers: int | None,
    skip_bad_shards: bool,
) -> int:
    """`audit --engine dask`: the shards judged on a Dask cluster (`auditor.dask_audit`)."""
    from auditor.inputs import is_stream
    from auditor.report.text import summary_lines

    for what, given in refused:
        if given:
            raise AuditorError(
                f"--engine dask judges the recorded licences and writes audit.json, "
                f"findings.parquet, owners.csv and summary.md; it does not take {what}"
            )
    if scheduler is not None and workers is not None:
        raise AuditorError("--workers sizes the local cluster; with --scheduler drop it")
    piped = [path for path in manifests if is_stream(path)]
    if piped:
        raise AuditorError(
            f"{piped[0]}: the Dask workers read each shard themselves, and this is a pipe; "
            "save it to a file"
        )
    from auditor.dask_audit import dask_audit

    where = scheduler or (
        f"a local cluster of {workers} worker(s)" if workers else "a local cluster"
    )
    click.echo(f"offline audit on Dask ({where}): judged on the licences recorded", err=True)
    done = dask_audit(
        manifests,
        policy,
        target,
        started_at=started,
        tool_version=__version__,
        fmt=fmt,
        columns=columns,
        waivers=waivers[0],
        waiver_problems=waivers[1],
        scheduler=scheduler,
        workers=workers,
        skip_bad_shards=skip_bad_shards,
        opt_outs=opt_outs,
    )
    for problem in done.skipped:
        click.echo(f"skipped shard: {problem}", err=True)
    lines = summary_lines(done.document, offline_reason="--engine dask")
    lines[1:1] = [*_file_lines(done.files), *_opt_out_lines(opt_outs)]
    for line in lines:
        click.echo(line, err=True)
    names = ", ".join(path.name for path in done.paths)
    click.echo(f"reports: {target}/ ({names}; {done.partitions} partition(s))", err=True)
    failing = _failing(done.document["summary"]["findings"], fail_on)
    if failing:
        click.echo(f"{failing} finding(s) at or above --fail-on {fail_on}: exit 1", err=True)
        return EXIT_FINDINGS
    return EXIT_OK


@cli.command()
@click.argument("who")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--output-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Where to write exposure.json, exposure.md, the letter (removal-request.md/.txt) and "
    "removal-request.json [default: reports/owner-<who>/].",
)
@click.option(
    "--grounds",
    "grounds_given",
    multiple=True,
    metavar="LIST",
    help="Legal grounds the letter cites, comma-separated: gdpr (EU/UK data protection), bipa "
    "(Illinois biometric privacy), licence (NonCommercial, NoDerivatives, All Rights Reserved "
    "terms of the photos you took) [default: none].",
)
@click.option(
    "--use",
    metavar="TEXT",
    help="What the dataset is used for, in your words; the letter states it only when given.",
)
@click.option(
    "--policy",
    default=None,
    metavar="NAME|PATH",
    help=f"The dataset's intended use as a policy, for the per-photo grounds in exposure.json "
    f"[default: {DEFAULT_POLICY}]; given explicitly, the letter states its description as the "
    "dataset's use (unless --use says otherwise).",
)
@click.option("--offline", is_flag=True, help="Match on the manifests' owner fields only.")
@click.option(
    "--featured",
    is_flag=True,
    help="Also find the photos WHO is tagged in, whoever took them (Flickr's "
    "people.getPhotosOf; needs the API key). exposure.json marks each photo's relation: "
    "owner or featured.",
)
@_manifest_format
@_column_options
@_live_options
@_uses_arrow
def owner(
    who: str,
    files: tuple[Path, ...],
    output_dir: Path | None,
    grounds_given: tuple[str, ...],
    use: str | None,
    policy: str | None,
    offline: bool,
    featured: bool,
    fmt: str | None,
    columns: ColumnOptions,
    live_options: LiveOptions,
) -> int:
    """Find a photographer's photos in manifest FILEs and draft their removal request.

    WHO is a Flickr NSID (12345678@N01), a path alias, a username, a realname, or a profile or
    photostream URL. With a Flickr API key, WHO is resolved on Flickr and the owner's public
    photos are listed and matched by photo id in every manifest (COCO included), through
    --state (a re-run within --max-age asks Flickr nothing); without one, or with --offline,
    rows are matched on the manifests' owner fields, photo page URLs and owner names.
    With --featured, the public photos WHO is tagged in on Flickr are found by photo id too
    (live only: no manifest records who is in a photo).

    Writes the letter (removal-request.md and .txt: every photo with its Flickr page and the
    manifest file and rows that list it) and removal-request.json, which the dataset's
    publisher applies with `flickr-audit audit FILE... --opt-outs removal-request.json`.
    Found nothing: says which identifiers were tried in which manifests, writes no letter,
    exit 0.
    """
    from auditor.engine import evaluate, load_policy
    from auditor.exposure import (
        EXPOSURE_FILES,
        check_use,
        exposure_document,
        find_live,
        find_offline,
        nothing_found_lines,
        offline_identities,
        parse_grounds,
        parse_who,
        removal_request,
        remove_earlier_letter,
        resolve_in_manifests,
        write_exposure,
    )
    from auditor.exposure import summary_lines as exposure_summary_lines
    from auditor.exposure.letter import count
    from auditor.exposure.resolve import KeptUserApi, lookup_failed
    from auditor.flickr import FlickrError, InvalidKey
    from auditor.manifests.read import read_manifests
    from auditor.state import StateStore, fresh_cutoff, iso, now_utc

    parsed = parse_who(who)
    grounds = parse_grounds(grounds_given)
    stated_use = check_use(use)
    chosen = load_policy(policy if policy is not None else DEFAULT_POLICY)
    if stated_use is None and policy is not None:
        stated_use = chosen.description  # the sender chose the policy: its use is theirs
    slug = re.sub(r"[^A-Za-z0-9@._-]+", "-", parsed.value).strip("-") or "owner"
    target = output_dir or Path("reports") / f"owner-{slug}"
    check_outputs([(target / name, "--output-dir") for name in EXPOSURE_FILES], files)
    key = None if offline else api_key(live_options)
    if featured and key is None:
        # Who is tagged in a photo is only on Flickr: a letter without those photos would
        # look complete while it is not.
        why = "drop --offline" if offline else "set FLICKR_API_KEY or give --api-key-file"
        raise AuditorError(
            f"--featured needs the Flickr API (the people tagged in photos are only on Flickr): "
            f"{why}, or drop --featured"
        )
    table = read_manifests(list(files), fmt=fmt, columns=columns)
    photos = table.photos
    manifests = list(dict.fromkeys(Path(report.path).name for report in table.files))
    if key is None:
        reason = "--offline" if offline else "no FLICKR_API_KEY"
        click.echo(
            f"offline lookup ({reason}): matched on the manifests' owner fields, photo page "
            "URLs and owner names",
            err=True,
        )
        exposure = find_offline(photos, offline_identities(parsed))
    else:
        with flickr_client(key, live_options) as client, StateStore(live_options.state) as store:
            run_id = store.start_run(
                api_url=live_settings(key, live_options).api_url,
                manifests=[str(path) for path in files],
                policy=chosen.id,
                photos=len(photos),
            )
            fetch = _fetch_options(chosen, live_options)
            since = fresh_cutoff(fetch.max_age) if not fetch.refresh else iso(now_utc())
            outcome = "interrupted"
            try:
                kept = KeptUserApi(client, store, since)
                identities = resolve_in_manifests(photos, parsed, kept)
                exposure = find_live(
                    photos,
                    identities,
                    client,
                    store,
                    options=fetch,
                    run_id=run_id,
                    featured=featured,
                )
                outcome = "ok"
            except InvalidKey:
                outcome = "invalid key"
                raise invalid_key(live_options) from None
            except FlickrError as exc:  # resolving WHO failed: Flickr's trouble, not a bug
                outcome = "flickr error"
                raise lookup_failed(who, exc) from None
            finally:
                store.finish_run(run_id, outcome=outcome, api_calls=client.calls_by_method())
    if exposure.rows.empty:
        for line in nothing_found_lines(exposure, parsed, manifests, len(photos)):
            click.echo(line, err=True)
        removed = remove_earlier_letter(target)
        if removed:
            names = ", ".join(path.name for path in removed)
            click.echo(f"removed the earlier run's files from {target}/ ({names})", err=True)
        return EXIT_OK
    live = exposure.live and not exposure.rows.empty
    findings = evaluate(exposure.rows, chosen, live=live)
    document = exposure_document(exposure, findings, policy=chosen)
    request = removal_request(
        exposure,
        document,
        query=who,
        grounds=grounds,
        use=stated_use,
        manifests=manifests,
    )
    write_exposure(target, document, request)
    for line in exposure_summary_lines(document):
        click.echo(line, err=True)
    cited = ", ".join(grounds) if grounds else "none (add --grounds gdpr,bipa,licence as apply)"
    click.echo(f"letter: {count(request.photos, 'photo')}; grounds cited: {cited}", err=True)
    click.echo(f"written: {target}/ ({', '.join(EXPOSURE_FILES)})", err=True)
    return EXIT_OK


@cli.command()
def policies() -> None:
    """List the shipped intended-use policies, one line each."""
    from auditor.engine import policies_table

    table = policies_table()
    width = int(table["id"].str.len().max())
    for row in table.itertuples(index=False):
        click.echo(f"{row.id:<{width}}  {row.description}")


@cli.command()
def formats() -> None:
    """List the manifest formats that can be read, with how each is recognised."""
    width = max(map(len, FORMATS))
    for name, description in FORMATS.items():
        click.echo(f"{name:<{width}}  {description}")


@cli.command()
@click.option(
    "--as",
    "style",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="Output style.",
)
def licences(style: str) -> None:
    """Print the licence catalogue: Flickr's licence ids 0-16, slugs and what each allows."""
    from auditor.licences import load_catalogue

    table = load_catalogue().table()
    if style == "csv":
        click.echo(table.to_csv(index=False, lineterminator="\n"), nl=False)
        return
    if style == "json":
        click.echo(table.to_json(orient="records", indent=2))
        return
    shown = table[["id", "slug", "by", "sa", "nc", "nd", "kind", "name"]].astype(str)
    for flag in ("by", "sa", "nc", "nd"):
        shown[flag] = shown[flag].map({"True": "yes", "False": "-"})
    headers = [c.upper() if c in ("by", "sa", "nc", "nd") else c for c in shown.columns]
    rows = [headers, *shown.itertuples(index=False, name=None)]
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(headers))]
    for row in rows:
        click.echo("  ".join(f"{cell:<{w}}" for cell, w in zip(row, widths, strict=True)).rstrip())


@cli.command("publish-lookup")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path),
    help="Folder to write the site into: new, empty, or a lookup site built before.",
)
@click.option(
    "--salt",
    metavar="TEXT",
    help="Salt of the file-name hashes; keep one to rebuild with the same file names "
    "[default: a new random salt per build, recorded in site.json].",
)
@click.option(
    "--dataset",
    "dataset_name",
    metavar="NAME",
    help="The dataset's name, shown on the page and in the letter [default: the manifests' "
    "file names].",
)
@click.option(
    "--contact",
    metavar="TEXT",
    help="Where photographers send their requests (an address, a form's URL, ...), shown on "
    "the page.",
)
@_manifest_format
@_column_options
@_uses_arrow
def publish_lookup(
    files: tuple[Path, ...],
    out: Path,
    salt: str | None,
    dataset_name: str | None,
    contact: str | None,
    fmt: str | None,
    columns: ColumnOptions,
) -> None:
    """Build a static lookup page for the owners in manifest FILEs, for publishers to ship.

    Photographers type their Flickr username, realname, alias, NSID or URL; the page hashes it
    with the site's salt in the browser and loads only that owner's file, listing their photos
    and the removal request `owner` would write (they tick the grounds that apply to them). No
    file names owners in the clear, and the page makes no external request. Serve the folder
    with any static web server (see docs/lookup-site.md).
    """
    from auditor.lookup import build_lookup_site, check_out_dir, random_salt
    from auditor.lookup.site import (
        MAX_CONTACT_CHARS,
        MAX_DATASET_CHARS,
        check_site_text,
    )
    from auditor.manifests.read import read_manifests

    # Before reading big manifests, so a wrong option fails at once.
    check_site_text(dataset_name, "--dataset", MAX_DATASET_CHARS)
    check_site_text(contact, "--contact", MAX_CONTACT_CHARS)
    check_out_dir(out)
    check_folder(out.parent, "--out", target=out)
    check_not_inside(out, files, "--out")  # the site folder is replaced whole
    table = read_manifests(list(files), fmt=fmt, columns=columns)
    site = build_lookup_site(
        table.photos,
        out,
        salt if salt is not None else random_salt(),
        dataset=dataset_name,
        contact=contact,
    )
    unfindable = (
        f"; {site.unfindable_rows} row(s) name no owner and cannot be looked up"
        if site.unfindable_rows
        else ""
    )
    salt_note = "--salt" if salt is not None else "random; pass it as --salt to keep file names"
    click.echo(
        f"lookup site: {site.owners} owner(s) findable by {site.identifiers} identifier(s), "
        f"{site.photos} photo(s) in {site.rows} row(s) of {len(site.manifests)} manifest(s)"
        f"{unfindable}; written to {out}/ (salt {site.salt!r}, {salt_note})",
        err=True,
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the `flickr-audit` console script and `python -m auditor`.

    Everything written to stderr (and to stdout when it is a terminal) passes through
    `auditor.safe_text.TerminalStream`: manifest text quoted in a message cannot send terminal
    escapes or reorder the line with bidi overrides.
    """
    global _main_running
    _main_running = True
    stderr, stdout = sys.stderr, sys.stdout
    sys.stderr = TerminalStream(stderr)
    if stdout.isatty():
        sys.stdout = TerminalStream(stdout)
    try:
        _main(argv)
    finally:
        sys.stderr, sys.stdout = stderr, stdout


def _internal_error(exc: BaseException, debug: bool) -> NoReturn:
    """A bug in the auditor: one line (the traceback with --debug), exit 3 either way."""
    if debug:
        traceback.print_exception(exc)
    else:
        click.echo(
            f"{PROG}: internal error: {type(exc).__name__}: {single_line(exc)} "
            "(rerun with --debug for the traceback, and please report it)",
            err=True,
        )
    sys.exit(EXIT_INTERNAL)


def _main(argv: Sequence[str] | None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    try:
        code = cli.main(args=args, prog_name=PROG, standalone_mode=False)
    except (Interrupted, KeyboardInterrupt, click.Abort):
        # Every report set is written aside and moved in at once: nothing is half-written.
        click.echo(
            f"{PROG}: interrupted; no report is half-written: the earlier reports stay, unless "
            "this run had already put its own in place",
            err=True,
        )
        sys.exit(_SIGNAL_EXIT)
    except click.ClickException as exc:  # usage errors: click prints them, exit code 2
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except AuditorError as exc:
        click.echo(f"{PROG}: error: {single_line(exc)}", err=True)
        sys.exit(EXIT_USAGE)
    except OSError as exc:
        # A path the user gave that cannot be written or read (full disk, a file where a
        # folder should be, permissions): their input, so exit 2 and one line, not exit 3.
        line = describe_os_error(exc)
        if line is None or debug:
            _internal_error(exc, debug)
        click.echo(f"{PROG}: error: {single_line(line)}", err=True)
        sys.exit(EXIT_USAGE)
    except Exception as exc:
        _internal_error(exc, debug)
    sys.exit(code if isinstance(code, int) else EXIT_OK)
