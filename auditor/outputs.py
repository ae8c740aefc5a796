"""Every path the tool will write, checked before any work starts: never one of its inputs,
and somewhere it can write.

Checked up front, so a twenty-minute audit never ends in "cannot write" or in a manifest
replaced by its own report: each command lists the files it will write and the files it reads,
and `check_outputs` refuses the run in one line (exit 2) when an output is an input (the same
file by any name: a symlink, a hard link, `./x` and `x`), when two outputs are one file, or when
an output's folder cannot be made or written (under a file, read-only, missing permission).
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterable
from pathlib import Path

from auditor.errors import AuditorError

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
