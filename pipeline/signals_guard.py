"""SIGTERM and SIGINT as an exception, so a build stops *cleanly*: every ``finally`` runs (the
staging folder is removed, LibreOffice and the render child are killed) and the command exits
143 or 130 with one line saying what was (not) published.

``interruptible()`` is used by `build` and by `schedule`; ``deferred()`` marks the few steps
that must not be cut in two by a signal (switching the published pack, saving the state): a
signal arriving there is raised just after the step.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Interrupted(BaseException):
    """SIGTERM or SIGINT arrived. ``published`` is set when the work had already been made
    visible before the signal was acted on (then the message says so)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum
        self.exit_code = 128 + signum  # 143 for SIGTERM, 130 for SIGINT (shell convention)
        self.published: Path | None = None

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name

    def __str__(self) -> str:
        if self.published is not None:
            return f"stopped by {self.name} after the pack was published in {self.published}."
        return (f"stopped by {self.name}: nothing was published (the previous pack, if any, is "
                "unchanged).")


class _State:
    active = 0  # nesting depth of interruptible()
    deferring = 0  # nesting depth of deferred()
    pending: int | None = None  # a signal that arrived while deferring
    fired = False  # Interrupted was raised once; later signals are ignored during clean-up


def _handler(signum: int, _frame: FrameType | None) -> None:
    if _State.fired:
        return
    if _State.deferring:
        _State.pending = _State.pending or signum
        return
    _State.fired = True
    raise Interrupted(signum)


@contextlib.contextmanager
def interruptible() -> Iterator[None]:
    """Within this block SIGTERM/SIGINT raise :class:`Interrupted` (once: a second signal while
    cleaning up is ignored). Outside the main thread it does nothing (Python delivers signals
    to the main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, _handler) for sig in SIGNALS} if not _State.active else {}
    _State.active += 1
    if _State.active == 1:
        _State.fired, _State.pending = False, None
    try:
        yield
    finally:
        _State.active -= 1
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if not _State.active:
            _State.fired, _State.pending = False, None


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """A step a signal must not cut in two: a signal arriving inside is raised at the end."""
    _State.deferring += 1
    try:
        yield
    finally:
        _State.deferring -= 1
    if not _State.deferring and _State.pending is not None and not _State.fired:
        signum, _State.pending = _State.pending, None
        _State.fired = True
        raise Interrupted(signum)


def reset_in_child() -> None:
    """In a forked child: forget the parent's guard and take the default signal actions, so
    the parent decides how its children stop."""
    _State.active = _State.deferring = 0
    _State.fired, _State.pending = False, None
    for sig in SIGNALS:
        signal.signal(sig, signal.SIG_DFL)


PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int, signum: int = signal.SIGTERM) -> None:
    """In a forked child: get ``signum`` when the parent dies (Linux), so a parent killed with
    SIGKILL leaves no orphan still writing — and holding the locks it inherited."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signum, 0, 0, 0)
    if os.getppid() != parent_pid:  # the parent died before we asked
        os.kill(os.getpid(), signum)
