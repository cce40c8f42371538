"""Whole-or-absent publishing: a pack is built in a staging folder and made visible in one
atomic step, so a reader sees the old pack or the new one, never a mix, whatever happens to the
process (SIGKILL included) or the disk.

Layout of one review's folder (``<out>/<Review ID>/``)::

    pre-read -> pre-read-v2      the pointer: a symlink, switched with os.replace (atomic)
    pre-read-v1/  pre-read-v2/   every version, complete, kept as the record
    final -> final-v1            the same for the final stage
    .isms-review.lock            one build at a time per review (fcntl.flock)

A build writes into ``.partial-<stage>-v-<token>/`` (holding the marker file
``.isms-review-pack``). ``commit()`` then (1) writes the intent ``.publishing-<stage>`` naming
the new version, (2) renames the staging folder to ``<stage>-v<N>`` (atomic), (3) switches the
pointer (atomic), (4) removes the intent. A kill before (3) leaves the old pointer: the next
run, holding the lock, rolls the unswitched version back and removes every staging folder;
a kill after (3) leaves the new pack published. Nothing is removed that does not carry the
marker and a name of ours.

The scheduler uses the same mechanism without a pointer (:meth:`Publication.numbered`): the
rename of the staging folder to ``v<N>`` is the publication.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import secrets
import shutil
from pathlib import Path
from types import TracebackType
from typing import Literal

from .errors import UserError
from .faults import (
    NAME_MAX,
    EnvironmentFault,
    check_free_space,
    describe,
    longest_name,
    longest_path,
    name_problem,
    nearly_full,
    reported,
    tree_size,
    user_error,
)
from .signals_guard import Interrupted, deferred

Stage = Literal["pre-read", "final"]
STAGES: tuple[Stage, ...] = ("pre-read", "final")
MARKER = ".isms-review-pack"  # in every folder we make; nothing without it is ever removed
MARKER_TEXT = b"made by isms-review: this folder is a pack (or one being built)\n"
LOCK = ".isms-review.lock"
_PARTIAL = re.compile(r"^\.partial-[A-Za-z0-9._-]+-[a-z0-9]{10}$")
_LINK = re.compile(r"^\.[A-Za-z0-9._-]+\.link-[a-z0-9]{10}$")
_INTENT = ".publishing-"
_VERSION = re.compile(r"^(?:[a-z-]+-)?v(\d{1,9})$")


class PackLocked(UserError):
    """Another build holds this review's lock."""


def _checkpoint(step: str) -> None:
    """A named point between the steps of a publication (tests kill the process here)."""


def _token() -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(10))


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(root: Path) -> None:
    """Flush every file and folder below ``root``, so the rename publishes data, not promises
    (after a power cut the pack is whole too)."""
    for folder, _dirs, files in os.walk(root):
        for name in files:
            path = os.path.join(folder, name)
            if os.path.islink(path):
                continue
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        _fsync_dir(Path(folder))


def remove_ours(folder: Path) -> None:
    """Remove a folder we made: everything but the marker first, the marker last, so a kill
    in the middle leaves a folder the next run still recognises as ours."""
    if folder.is_symlink() or not folder.is_dir():
        return
    for child in folder.iterdir():
        if child.name == MARKER:
            continue
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
        _checkpoint("removing")
    (folder / MARKER).unlink(missing_ok=True)
    folder.rmdir()


def version_number(name: str, prefix: str) -> int | None:
    if not name.startswith(prefix):
        return None
    match = _VERSION.match(name)
    rest = name[len(prefix):]
    return int(rest) if match and rest.isdigit() else None


def current(out_root: Path, review_id: str, stage: Stage) -> Path | None:
    """The published pack of ``stage`` (the folder the pointer names), or None."""
    pointer = out_root / review_id / stage
    if not pointer.is_symlink():
        return None
    target = pointer.parent / os.readlink(pointer)
    return target if target.is_dir() else None


class Publication:
    """``with Publication(out, review_id, stage) as pub:`` build into ``pub.staging``, then
    ``pub.commit()`` returns the published folder. On an exception or a signal before the
    commit, the staging folder is removed and nothing is published."""

    def __init__(self, out_root: Path, review_id: str, stage: Stage, *, at_least: int = 1,
                 file_names: tuple[str, ...] = ()) -> None:
        """``file_names``: the names the build will write, checked against 255 bytes before
        anything is made (so the message can say how long the Review ID may be)."""
        if stage not in STAGES:
            raise ValueError(f"unknown stage {stage!r}")
        self._setup(out_root / review_id, prefix=f"{stage}-v", pointer=stage, at_least=at_least,
                    name_hint=f"shorten the Review ID '{_cut(review_id)}' on the Review sheet")
        self.review_id = review_id
        self.file_names = file_names

    @classmethod
    def numbered(cls, folder: Path, *, at_least: int = 1) -> Publication:
        """Versions ``folder/v<N>/`` with no pointer: the rename itself publishes (scheduler)."""
        pub = cls.__new__(cls)
        pub._setup(folder, prefix="v", pointer=None, at_least=at_least,
                   name_hint="use a shorter review name in the schedule file")
        pub.review_id = folder.name
        pub.file_names = ()
        return pub

    def _setup(self, folder: Path, *, prefix: str, pointer: str | None, at_least: int,
               name_hint: str) -> None:
        self.folder = folder
        self.prefix = prefix
        self.pointer = pointer
        self.at_least = at_least
        self.name_hint = name_hint
        self.version = 0
        self.staging = folder / f".partial-{prefix}-{_token()}"
        self.published: Path | None = None
        self._lock_fd: int | None = None
        self._made_folder = False

    # ------------------------------------------------------------------ names and versions

    @property
    def target(self) -> Path:
        return self.folder / f"{self.prefix}{self.version}"

    def versions(self) -> list[int]:
        """Version numbers present in the folder, in order."""
        found = []
        with contextlib.suppress(FileNotFoundError):
            for entry in self.folder.iterdir():
                n = version_number(entry.name, self.prefix)
                if n is not None and entry.is_dir() and not entry.is_symlink():
                    found.append(n)
        return sorted(found)

    def previous(self) -> Path | None:
        """The pack this one will replace: the pointer's target, else the newest version."""
        if self.pointer is not None:
            link = self.folder / self.pointer
            if link.is_symlink() and (self.folder / os.readlink(link)).is_dir():
                return self.folder / os.readlink(link)
        numbers = self.versions()
        return self.folder / f"{self.prefix}{numbers[-1]}" if numbers else None

    # ------------------------------------------------------------------ enter / exit

    def __enter__(self) -> Publication:
        problem = name_problem(self.folder, self.name_hint)
        longest = max(self.file_names, key=lambda n: len(os.fsencode(n)), default="")
        if not problem and len(os.fsencode(longest)) > NAME_MAX:
            problem = name_problem(Path(longest), self._name_hint(
                OSError(errno.ENAMETOOLONG, os.strerror(errno.ENAMETOOLONG), longest)))
        if problem:
            raise UserError(problem)
        with reported(self.folder, name_hint=self.name_hint):
            self._made_folder = not self.folder.exists()
            self.folder.mkdir(parents=True, exist_ok=True)
            self._lock()
            try:
                self._check_pointer_is_ours()
                recover(self.folder)
                self.version = max([self.at_least, *(n + 1 for n in self.versions())])
                previous = self.previous()
                self.staging.mkdir()
                (self.staging / MARKER).write_bytes(MARKER_TEXT)
                _checkpoint("staging-made")
                if previous is not None:  # a pack like the last one must fit (with 10 % to spare)
                    check_free_space(self.folder, tree_size(previous) * 11 // 10)
            except BaseException:
                self._cleanup()
                raise
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc is None:
            if self.published is None:
                self._cleanup()
            return
        written = tree_size(self.staging) if self.staging.exists() else 0
        full = nearly_full(self.folder)  # before the clean-up frees the space again
        with deferred():
            self._cleanup()
        if self.published is not None:
            if isinstance(exc, Interrupted):
                exc.published = self.published
            return
        self._raise_as_fault(exc, written, full)

    def _raise_as_fault(self, exc: BaseException, written: int, full: bool) -> None:
        """A disk fault met while building is reported on the review folder (the staging
        folder is gone), with how much the pack needs; a program that failed without saying
        why while the disk was full (LibreOffice) is reported as the full disk."""
        error = exc.error if isinstance(exc, EnvironmentFault) else exc if isinstance(exc, OSError) else None
        if error is None and full and isinstance(exc, UserError):
            error = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self.folder))
        if error is None:
            return
        if error.errno in (errno.ENOSPC, errno.EDQUOT):
            previous = self.previous()
            needed = max(written, tree_size(previous) if previous is not None else 0,
                         getattr(exc, "needed", None) or 0)
            message = describe(error, self.folder, needed=needed or None)
            if previous is None:  # only what was written before the disk filled is known
                message = message.replace(" needed", " needed at least", 1)
            raise EnvironmentFault(message, error, needed) from exc
        if error.errno == errno.ENAMETOOLONG:
            raise user_error(error, name_hint=self._name_hint(error)) from exc
        raise user_error(error, self.folder, name_hint=self.name_hint) from exc

    def _name_hint(self, error: OSError) -> str:
        """How long the Review ID may be, given the longest name the build made from it."""
        culprit = longest_path(error)
        if culprit is None or self.pointer is None:
            return self.name_hint
        name, n = longest_name(culprit)
        own = len(os.fsencode(self.review_id))
        if self.review_id not in name or n - own >= NAME_MAX:
            return self.name_hint
        return (f"{self.name_hint}: it is {own} bytes, and at most {NAME_MAX - (n - own)} fit in "
                "the longest file name made from it")

    def _cleanup(self) -> None:
        """Undo what is not published, then let go of the lock."""
        try:
            if self._lock_fd is not None:
                with contextlib.suppress(OSError):
                    recover(self.folder)
                    if self.staging.exists():
                        remove_ours(self.staging)
                    left = [p.name for p in self.folder.iterdir()]
                    if self._made_folder and self.published is None and left == [LOCK]:
                        (self.folder / LOCK).unlink()  # a first build that failed: no trace at all
                        self.folder.rmdir()
        finally:
            self._unlock()

    # ------------------------------------------------------------------ the lock

    def _lock(self) -> None:
        fd = os.open(self.folder / LOCK, os.O_CREAT | os.O_RDWR, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip()
            os.close(fd)
            who = f" (process {holder})" if holder.isdigit() else ""
            raise PackLocked(f"{self.folder}: another isms-review build is writing this review's "
                             f"packs{who}; wait for it to finish, then run again.") from None
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._lock_fd = fd

    def _unlock(self) -> None:
        if self._lock_fd is not None:
            fd, self._lock_fd = self._lock_fd, None
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            os.close(fd)  # closing releases the flock

    def _check_pointer_is_ours(self) -> None:
        if self.pointer is None:
            return
        link = self.folder / self.pointer
        if (link.exists() or link.is_symlink()) and not link.is_symlink():
            raise UserError(f"{link}: is not the pointer isms-review keeps there (a symlink to the "
                            "published version); move it away, then run again.")

    # ------------------------------------------------------------------ commit

    def commit(self) -> Path:
        """Make the staging folder the published pack, in one atomic step."""
        if self._lock_fd is None or not self.staging.is_dir():
            raise RuntimeError("commit() outside the with-block, or twice")
        with reported(self.folder, name_hint=self.name_hint):
            _fsync_tree(self.staging)
            target = self.target
            if target.exists() or target.is_symlink():  # never overwrite (we hold the lock)
                raise UserError(f"{target}: already exists; isms-review never overwrites a "
                                "version. Move it away, then run again.")
            with deferred():  # a signal here is acted on once the pointer is switched
                self._switch(target)
                self.published = target
        self._cleanup()
        return target

    def _switch(self, target: Path) -> None:
        intent = self.folder / f"{_INTENT}{self.pointer}"
        if self.pointer is not None:
            _checkpoint("before-intent")
            _write_small(intent, f"{target.name}\n")
        _checkpoint("before-rename")
        os.rename(self.staging, target)
        _fsync_dir(self.folder)
        _checkpoint("after-rename")
        if self.pointer is None:
            return
        link = self.folder / f".{self.pointer}.link-{_token()}"
        os.symlink(target.name, link)
        _checkpoint("after-link")
        os.replace(link, self.folder / self.pointer)
        _fsync_dir(self.folder)
        _checkpoint("after-switch")
        intent.unlink()
        _fsync_dir(self.folder)
        _checkpoint("after-intent-removed")


def _write_small(path: Path, text: str) -> None:
    tmp = path.with_name(f"{path.name}.{_token()}.tmp")
    fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    try:
        os.write(fd, text.encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def recover(folder: Path) -> list[str]:
    """Undo what a killed run left in ``folder`` (call it holding the lock): a version whose
    pointer was never switched is rolled back, staging folders and temporary links are
    removed. Only names of ours with our marker are touched. Returns what was removed."""
    removed: list[str] = []
    if not folder.is_dir():
        return removed
    for intent in sorted(folder.glob(f"{_INTENT}*")):
        if intent.name.endswith(".tmp"):  # an intent being written when the kill came
            if re.fullmatch(rf"{re.escape(_INTENT)}[a-z-]+\.[a-z0-9]{{10}}\.tmp", intent.name):
                intent.unlink()
            continue
        pointer = folder / intent.name[len(_INTENT):]
        name = intent.read_text("utf-8", "replace").strip()
        if _VERSION.match(name):
            version = folder / name
            switched = pointer.is_symlink() and os.readlink(pointer) == name
            if not switched and version.is_dir() and (version / MARKER).is_file():
                rollback = folder / f".partial-rollback-{_token()}"
                os.rename(version, rollback)
                _checkpoint("rolled-back")
                removed.append(name)
        intent.unlink()
    for entry in sorted(folder.iterdir()):
        if _LINK.match(entry.name) and entry.is_symlink():
            entry.unlink()
            removed.append(entry.name)
        elif _PARTIAL.match(entry.name) and entry.is_dir() and not entry.is_symlink():
            if (entry / MARKER).is_file():
                remove_ours(entry)
                removed.append(entry.name)
            elif not any(entry.iterdir()):  # killed between mkdir and the marker
                entry.rmdir()
                removed.append(entry.name)
    if removed:
        _fsync_dir(folder)
    return removed


def _cut(text: str, keep: int = 40) -> str:
    return text if len(text) <= keep else text[:keep] + "…"

