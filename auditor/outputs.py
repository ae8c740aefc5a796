"""Writing output files: every path checked before any work, each file whole or not at all,
and a report folder holding one run.

Checked up front, so a twenty-minute audit never ends in "cannot write" or in a manifest
replaced by its own report: each command lists the files it will write and the files it reads,
and `check_outputs` refuses the run in one line (exit 2) when an output is an input (the same
file by any name: a symlink, a hard link, `./x` and `x`), when two outputs are one file, or when
an output's folder cannot be made or written (under a file, read-only, missing permission).

Then every file the auditor writes goes through here:

- `atomic_file(path)` / `atomic_text(path)` / `atomic_path(path)`: a temporary file beside
  `path`, flushed to disk and renamed over `path` only when the block ends without an error.
  The file gets the permissions the umask gives any file the user writes (0666 & ~umask), never
  tempfile's 0600.
- `OutputSet(out_dir, names)`: the files of one run written into a hidden staging folder
  inside `out_dir`, then moved in by `commit`, which also removes the entries among `names`
  (for a report folder, every file a report format can write) that this run did not write: the
  folder then holds exactly one run's reports. SIGINT and SIGTERM are held while the files are
  moved (`signals_held`), so an interruption leaves either the earlier set or the new one, whole.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import secrets
import shutil
import signal
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import FrameType
from typing import IO, Any

from auditor.errors import AuditorError

STAGING_PREFIX = ".flickr-audit-run-"  # the staging folder of an OutputSet, inside out_dir

# Standard input, named as the tool takes it: compared as the file behind fd 0, which may be
# a regular file (`< manifest.csv`) that an output must not replace.
_STDIN = "-"


def same_file(a: Path, b: Path) -> bool:
    """Whether `a` and `b` name one file: by inode when both exist, else by resolved path."""
    try:
        if a.exists() and b.exists():
            return a.samefile(b)
        return a.resolve() == b.resolve()
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop
        return False


def check_outputs(
    outputs: Iterable[tuple[str | Path, str]],
    inputs: Iterable[str | Path],
) -> None:
    """Raise `AuditorError` unless every output may be written.

    `outputs` are (path, what it is, e.g. "--credits") pairs; `inputs` every file the run reads
    (manifests, waivers, baseline, policy, opt-out lists, key file).
    """
    sources = [Path("/dev/stdin" if str(path) == _STDIN else path) for path in inputs]
    seen: list[tuple[Path, str]] = []
    for raw, what in outputs:
        path = Path(raw)
        for source in sources:
            if same_file(path, source):
                raise AuditorError(
                    f"{path}: {what} would overwrite the input {source}; write it somewhere else"
                )
        for other, other_what in seen:
            if same_file(path, other):
                raise AuditorError(
                    f"{path}: {what} and {other_what} would be the same file; give them "
                    "different paths"
                )
        seen.append((path, what))
        check_writable(path, what)


def check_not_inside(folder: Path, inputs: Iterable[str | Path], what: str) -> None:
    """Raise `AuditorError` when an input lies in `folder`, which the run replaces whole."""
    try:
        root = folder.resolve()
        for raw in inputs:
            if str(raw) == _STDIN:
                continue
            source = Path(raw).resolve()
            if source == root or root in source.parents:
                raise AuditorError(
                    f"{folder}: {what} would replace the folder holding the input {raw}; "
                    "write it somewhere else"
                )
    except (OSError, RuntimeError):  # unresolvable (a symlink loop): nothing to compare
        return


def check_writable(path: Path, what: str) -> None:
    """Raise `AuditorError` when `path` (a file to write) cannot be created or replaced."""
    if path.is_dir():
        raise AuditorError(f"{path}: is a folder; give {what} a file name")
    check_folder(path.parent, what, target=path)


def check_folder(folder: Path, what: str, *, target: Path | None = None) -> None:
    """Raise `AuditorError` when files cannot be written in `folder` (made if missing)."""
    shown = target if target is not None else folder
    ancestor = folder
    while not ancestor.exists():
        if ancestor.parent == ancestor:
            break
        ancestor = ancestor.parent
    if ancestor.exists() and not ancestor.is_dir():
        raise AuditorError(f"{shown}: {ancestor} is a file, not a folder; give {what} another path")
    if ancestor.exists() and not os.access(ancestor, os.W_OK | os.X_OK):
        raise AuditorError(
            f"{shown}: cannot write in {ancestor} (permission denied); give {what} another path"
        )


_STORAGE_ERRORS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EIO})


def describe_os_error(exc: OSError) -> str | None:
    """One line for an `OSError` about a path the user gave (None when it names no path):
    what went wrong, and what to do."""
    if exc.filename is None:
        if exc.errno not in _STORAGE_ERRORS:
            return None
        # Writing to a stream (stdout on a full disk, /dev/full): no path to name.
        problem = exc.strerror or type(exc).__name__
        return f"{problem} while writing; free some space or write elsewhere"
    where = str(exc.filename)
    hints = {
        errno.ENOSPC: "free some space or write somewhere else",
        errno.EDQUOT: "free some space or write somewhere else",
        errno.EACCES: "check the permissions, or use another path",
        errno.EPERM: "check the permissions, or use another path",
        errno.EROFS: "the file system is read-only; use another path",
        errno.ENOTDIR: "a part of the path is a file, not a folder",
        errno.EISDIR: "it is a folder; give a file name",
        errno.ENOENT: "check the path",
        errno.ENAMETOOLONG: "use a shorter path",
    }
    hint = hints.get(exc.errno or 0, "check the path")
    return f"{where}: {exc.strerror or type(exc).__name__}; {hint}"


def temporary_name(path: Path) -> Path:
    """A new hidden name beside `path` for the file that will replace it."""
    return path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")


def create_new(path: Path) -> IO[bytes]:
    """A binary handle on `path`, which must not exist: O_EXCL never follows an existing name
    (or a symlink planted there), and mode 0o666 lets the umask decide the permissions."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    return os.fdopen(fd, "wb")


def finish(handle: IO[bytes]) -> None:
    """Flush `handle` to disk and close it."""
    handle.flush()
    os.fsync(handle.fileno())
    handle.close()


@contextlib.contextmanager
def atomic_file(path: Path) -> Iterator[IO[bytes]]:
    """A binary handle whose content replaces `path` when the block ends without an error; on
    an error (or an interruption) `path` is left as it was and the temporary file removed."""
    path = Path(path)
    temp = temporary_name(path)
    try:
        handle = create_new(temp)
        try:
            yield handle
            finish(handle)
        finally:
            handle.close()
        temp.replace(path)
    finally:
        with contextlib.suppress(OSError):
            temp.unlink()


@contextlib.contextmanager
def atomic_text(path: Path) -> Iterator[IO[str]]:
    """`atomic_file` as UTF-8 text with `\\n` line ends."""
    with atomic_file(path) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="\n")
        try:
            yield text
            text.flush()
        finally:
            text.detach()


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path beside `path` for a writer that wants a file name (pandas, Arrow,
    shutil); it is renamed over `path` when the block ends without an error. It ends in
    `path`'s suffix, for writers that choose the format by suffix."""
    path = Path(path)
    temp = temporary_name(path).with_suffix(f".tmp{path.suffix}")
    try:
        yield temp
        temp.replace(path)
    finally:
        with contextlib.suppress(OSError):
            temp.unlink()


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM held while the block runs (in the main thread; elsewhere nothing
    changes): a signal that arrives is delivered, to the handler there was, when it ends."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []

    def hold(signum: int, frame: FrameType | None) -> None:
        caught.append(signum)

    previous = {sig: signal.signal(sig, hold) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if caught:
            signal.raise_signal(caught[0])


class OutputSet:
    """One run's files for `out_dir`, written into a staging folder and moved in at once.

    `names` are the entries (files or folders) a run may write into the folder (for a report
    folder, the files of every report format): `commit` moves the staged entries in and removes
    the others among `names` left by an earlier run; entries not in `names` are never touched.
    Until `commit`, `out_dir` keeps what it had; `discard` (also on leaving a `with` block)
    removes the staging folder, and the folders this set created (`out_dir` and missing
    parents) while they stayed empty.
    """

    def __init__(self, out_dir: Path, names: Iterable[str]) -> None:
        self.out_dir = Path(out_dir)
        self.names = frozenset(names)
        # The folders this set makes (out_dir and missing parents, innermost first), removed
        # again if the run writes nothing: a refused manifest leaves no empty `reports/`.
        self._created = [f for f in (self.out_dir, *self.out_dir.parents) if not f.exists()]
        try:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            # mkdir honours the umask (tempfile.mkdtemp would make it 0700).
            self.staging = self.out_dir / f"{STAGING_PREFIX}{secrets.token_hex(6)}"
            self.staging.mkdir()
        except OSError as error:
            self._remove_created()
            raise cannot_write(error, self.out_dir) from error
        self.committed: list[Path] = []

    def __enter__(self) -> OutputSet:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.discard()

    def path(self, name: str) -> Path:
        """Where to write the file `name` of this run (in the staging folder)."""
        return self.staging / name

    def commit(self) -> list[Path]:
        """Move every staged file (or folder) into `out_dir` and remove the earlier run's
        other entries among `names`; return the paths now in `out_dir`, in name order.

        Only renames happen while signals are held: earlier entries are moved into the staging
        folder (a folder cannot be renamed over a non-empty one), which is deleted after."""
        staged = sorted(entry.name for entry in self.staging.iterdir())
        trash = self.staging / ".earlier"
        with signals_held():
            try:
                trash.mkdir()
                for name in sorted(self.names | set(staged)):
                    target = self.out_dir / name
                    if target.is_dir() and not target.is_symlink():
                        target.replace(trash / name)
                    elif name not in staged:
                        target.unlink(missing_ok=True)
                for name in staged:
                    (self.staging / name).replace(self.out_dir / name)
            except OSError as error:
                raise cannot_write(error, self.out_dir) from error
            self._sync_folder()
            self.committed = [self.out_dir / name for name in staged]
        shutil.rmtree(self.staging, ignore_errors=True)
        return self.committed

    def _sync_folder(self) -> None:
        # The renames on disk too (POSIX; not every platform can open a folder).
        with contextlib.suppress(OSError):
            fd = os.open(self.out_dir, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    def discard(self) -> None:
        """Remove the staging folder (and what is in it)."""
        if self.staging.exists():
            shutil.rmtree(self.staging, ignore_errors=True)
        if not self.committed:
            self._remove_created()

    def _remove_created(self) -> None:
        for folder in self._created:
            try:
                folder.rmdir()  # only when empty
            except OSError:
                return


def cannot_write(error: OSError, where: Path) -> AuditorError:
    """The one-line error for a report that cannot be written."""
    place = error.filename or where
    reason = error.strerror or str(error)
    return AuditorError(
        f"{place}: cannot write the report ({reason}); "
        "check the folder's permissions and free space, or write the reports elsewhere"
    )
