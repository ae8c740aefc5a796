"""The `flickr-audit` command line: the only module that reads argv, prints and exits.

Exit codes (`auditor.errors`): 0 success; 1 findings at or above the failure threshold (audits);
2 unusable input or configuration, with one line on stderr naming the file and what to do;
3 an internal error (a bug: rerun with --debug for the traceback and report it).
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import click

from auditor import __version__
from auditor.errors import EXIT_INTERNAL, EXIT_OK, EXIT_USAGE, AuditorError
from auditor.licences import load_catalogue
from auditor.manifests.columns import ColumnOptions
from auditor.manifests.read import FORMATS, ManifestTable, read_manifests
from auditor.photo_table import OUTPUT_SUFFIXES, write_photo_table

PROG = "flickr-audit"


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name=PROG)
@click.option("--debug", is_flag=True, help="Show the traceback of an internal error.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Audit image datasets built from Flickr photos: which photos may be used for a purpose
    today, and whose are they.

    Start with `flickr-audit manifest FILE...` to read a dataset manifest (COCO, FFHQ-style,
    Open Images, YFCC100M, Openverse, Flickr API listings, CSV/TSV/JSONL/Parquet, URL lists)
    into one photo table.
    """
    ctx.obj = {"debug": debug}


def _column_options(func: click.decorators.FC) -> click.decorators.FC:
    helps = {
        "id": "photo ids (or URLs)",
        "url": "photo page or image URLs",
        "owner": "owner NSIDs, path aliases or profile URLs",
        "licence": "recorded licences",
        "date": "collection/crawl dates",
    }
    for name in reversed(helps):
        flags = [f"--{name}-column"] + (["--license-column"] if name == "licence" else [])
        func = click.option(
            *flags,
            f"{name}_column",
            metavar="NAME|N",
            help=f"Column of {helps[name]}: a header name, or a 1-based position for a file "
            "without a header.",
        )(func)
    return func


def _summary_lines(table: ManifestTable) -> list[str]:
    lines = []
    for report in table.files:
        skipped = sum(report.skipped.values())
        extra = f", {skipped} skipped" if skipped else ""
        lines.append(f"{report.path}: {report.format}, {report.rows} row(s){extra}")
        lines.extend(f"  note: {note}" for note in report.notes)
    return lines + table.summary().lines()


def _write_atomically(table: ManifestTable, output: Path) -> None:
    """Write to a temporary file beside `output`, then rename: no half-written tables."""
    output.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{output.name}.", suffix=output.suffix, dir=output.parent
    )
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write_photo_table(table.photos, tmp)
        tmp.replace(output)
    finally:
        tmp.unlink(missing_ok=True)


def _to_stdout(write: Callable[[], None]) -> None:
    """Run `write`; if the reader of stdout goes away (`| head`), stop writing quietly."""
    try:
        write()
        sys.stdout.flush()
    except BrokenPipeError:
        # Point stdout at /dev/null so the interpreter's final flush does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(list(FORMATS)),
    help="Read every FILE as this format instead of detecting it from the content.",
)
@_column_options
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the table here instead of stdout: .csv, .jsonl or .parquet by suffix.",
)
def manifest(
    files: tuple[Path, ...],
    fmt: str | None,
    id_column: str | None,
    url_column: str | None,
    owner_column: str | None,
    licence_column: str | None,
    date_column: str | None,
    output: Path | None,
) -> None:
    """Read manifest FILEs into one photo table (CSV on stdout, or -o PATH).

    Columns: photo_id, owner, owner_name, recorded_licence, collected_at, url, source_file,
    source_row, owner_kind, recorded_licence_raw, uploaded_at, title, source_format, notes.
    A summary goes to stderr. Formats are detected from content; see `flickr-audit formats`.
    """
    if output is not None and output.suffix.lower() not in OUTPUT_SUFFIXES:
        raise click.BadParameter(
            f"{output}: unknown suffix; use one of {', '.join(OUTPUT_SUFFIXES)}",
            param_hint="-o/--output",
        )
    columns = ColumnOptions(
        id=id_column, url=url_column, owner=owner_column, licence=licence_column, date=date_column
    )
    table = read_manifests(files, fmt=fmt, columns=columns)
    if output is None:
        _to_stdout(lambda: write_photo_table(table.photos, sys.stdout))
    else:
        _write_atomically(table, output)
    for line in _summary_lines(table):
        click.echo(line, err=True)
    if output is not None:
        click.echo(f"wrote {len(table.photos)} row(s) to {output}", err=True)


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


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the `flickr-audit` console script and `python -m auditor`."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    try:
        code = cli.main(args=args, prog_name=PROG, standalone_mode=False)
    except click.ClickException as exc:  # usage errors: click prints them, exit code 2
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except AuditorError as exc:
        click.echo(f"{PROG}: error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    except Exception as exc:
        if debug:
            raise
        click.echo(
            f"{PROG}: internal error: {type(exc).__name__}: {exc} "
            "(rerun with --debug for the traceback, and please report it)",
            err=True,
        )
        sys.exit(EXIT_INTERNAL)
    sys.exit(code if isinstance(code, int) else EXIT_OK)
