"""Faults of the environment as one line naming the path and what to do.

A read-only file system, a full disk, a file where a folder should be, a name the file system
refuses, a folder the user may not write to: none of these is a bug, so none may reach the user
as "internal problem". Everything that writes outputs turns the ``OSError`` into an
:class:`EnvironmentFault` here (:func:`reported`, :func:`user_error`), and the CLI does the same
for anything that slipped through.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterator
from pathlib import Path

from .errors import UserError

NAME_MAX = 255  # bytes in one file or folder name (ext4, XFS, btrfs, APFS, NTFS: 255)
PATH_MAX = 4096  # bytes in a whole path on Linux
NEARLY_FULL = 1024 * 1024  # free bytes below which a failure is taken to be the disk filling up


class EnvironmentFault(UserError):
    """The disk or the folders refused an operation; ``error`` is the original ``OSError``."""

    def __init__(self, message: str, error: OSError, needed: int | None = None) -> None:
        super().__init__(message)
        self.error = error
        self.needed = needed


def size_text(n: int) -> str:
    """1536 → '1.5 KB' (powers of 1024, as `df -h` shows them)."""
    value = float(n)
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{int(value)} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def existing_ancestor(path: Path) -> Path:
    """``path`` itself if it exists, else its nearest existing parent."""
    path = Path(os.path.abspath(path))
    for candidate in (path, *path.parents):
        with contextlib.suppress(OSError):
            if candidate.exists():
                return candidate
    return Path("/")


def free_bytes(path: Path) -> int | None:
    """Bytes free to an unprivileged writer on the file system holding ``path``."""
    try:
        stat = os.statvfs(existing_ancestor(path))
    except OSError:
        return None
    return stat.f_bavail * stat.f_frsize


def tree_size(path: Path) -> int:
    """Bytes in the regular files below ``path`` (0 if it is gone)."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(root, name)).st_size
    return total


def blocking_file(path: Path) -> Path | None:
    """The first part of ``path`` that exists but is not a folder (why mkdir says ENOTDIR)."""
    path = Path(os.path.abspath(path))
    for candidate in (*reversed(path.parents), path):
        try:
            if candidate.exists() and not candidate.is_dir():
                return candidate
        except OSError:
            return candidate
    return None


def longest_name(path: Path | str) -> tuple[str, int]:
    """The longest component of ``path`` and its length in bytes."""
    parts = [p for p in Path(path).parts if p != "/"] or [str(path)]
    name = max(parts, key=lambda p: len(os.fsencode(p)))
    return name, len(os.fsencode(name))


def longest_path(exc: OSError) -> str | None:
    """Of the paths in ``exc`` (a rename has two), the one with the longest name."""
    paths = [os.fsdecode(p) for p in (exc.filename, exc.filename2) if p is not None]
    return max(paths, key=lambda p: longest_name(p)[1]) if paths else None


def name_problem(path: Path, hint: str = "use a shorter name") -> str | None:
    """Why ``path`` cannot be created (a name over 255 bytes, a path over 4096), or None."""
    name, n = longest_name(path)
    if n > NAME_MAX:
        return (f"{_short(name)}: the name is {n} bytes long, and a file or folder name may be "
                f"at most {NAME_MAX} bytes; {hint}.")
    if len(os.fsencode(os.path.abspath(path))) >= PATH_MAX:
        return (f"{_short(str(path))}: the path is longer than {PATH_MAX} bytes; choose a "
                "folder nearer the root of the disk.")
    return None


def _short(text: str, keep: int = 60) -> str:
    return text if len(text) <= keep else f"{text[:keep // 2]}…{text[-keep // 2:]}"


def describe(exc: OSError, path: Path | str | None = None, *, needed: int | None = None,
             name_hint: str = "use a shorter name") -> str:
    """One line for ``exc``: the path (``path``, else the one in the error), what is wrong,
    and what to do. ``needed`` is the number of bytes the write needed, when known."""
    raw = path if path is not None else (exc.filename if exc.filename is not None else "")
    where = Path(os.fsdecode(raw)) if raw != "" else None
    shown = str(where) if where is not None else "a file"
    code = exc.errno
    if code == errno.EROFS:
        return (f"{shown}: the file system is read-only; choose a folder on a writable disk "
                "(or have it remounted read-write) and run again.")
    if code in (errno.ENOSPC, errno.EDQUOT):
        what = "no space left on the disk" if code == errno.ENOSPC else "the disk quota is used up"
        free = free_bytes(where) if where is not None else None
        amounts = [f"{size_text(needed)} needed" if needed else "",
                   f"{size_text(free)} free" if free is not None else ""]
        detail = "; ".join(a for a in amounts if a)
        return (f"{shown}: {what}" + (f" ({detail})" if detail else "")
                + "; free some space or choose a folder on another disk, then run again.")
    if code == errno.ENOTDIR or (code == errno.EEXIST and where is not None
                                 and blocking_file(where) is not None):
        blocker = blocking_file(where) if where is not None else None
        what = f"{blocker} is a file, not a folder" if blocker else "a part of the path is not a folder"
        return f"{shown}: {what}; choose a folder (or move that file away) and run again."
    if code == errno.ENAMETOOLONG:
        culprit = longest_path(exc) or (str(where) if where is not None else None)
        problem = name_problem(Path(culprit), name_hint) if culprit is not None else None
        return problem or f"{shown}: a name is too long for the file system; {name_hint}."
    if code in (errno.EACCES, errno.EPERM):
        return (f"{shown}: permission denied; choose a folder you may write to, or ask its "
                "owner for write access, then run again.")
    if code == errno.EISDIR:
        return f"{shown}: is a folder where a file should go; move it away or choose another name."
    if code == errno.ENOENT:
        return (f"{shown}: does not exist (was it moved or deleted while isms-review ran?); "
                "check the path and run again.")
    if code in (errno.EMFILE, errno.ENFILE):
        return f"{shown}: too many files are open on this system; close some programs and run again."
    if code == errno.EFBIG:
        return f"{shown}: the file is too large for this file system; choose a folder on another disk."
    if code == errno.EIO:
        return (f"{shown}: the disk reported an input/output error; check the disk (or network "
                "share) and run again.")
    reason = exc.strerror or type(exc).__name__
    return f"{shown}: {reason}; check the disk and the folder, then run again."


def user_error(exc: OSError, path: Path | str | None = None, *, needed: int | None = None,
               name_hint: str = "use a shorter name") -> EnvironmentFault:
    return EnvironmentFault(describe(exc, path, needed=needed, name_hint=name_hint), exc, needed)


@contextlib.contextmanager
def reported(path: Path | str | None = None, *, needed: int | None = None,
             name_hint: str = "use a shorter name") -> Iterator[None]:
    """Within this block an ``OSError`` becomes an :class:`EnvironmentFault` naming ``path``."""
    try:
        yield
    except EnvironmentFault:
        raise
    except OSError as exc:
        raise user_error(exc, path, needed=needed, name_hint=name_hint) from exc


def nearly_full(path: Path) -> bool:
    """True when the disk holding ``path`` has (almost) no space left — the likely reason a
    child program (LibreOffice) failed to write without saying why."""
    free = free_bytes(path)
    return free is not None and free < NEARLY_FULL


def check_free_space(path: Path, needed: int) -> None:
    """Refuse to start when ``needed`` bytes clearly do not fit (say how much is needed)."""
    free = free_bytes(path)
    if free is not None and free < needed:
        raise user_error(OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path)), path,
                         needed=needed)
