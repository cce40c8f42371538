"""Work in a forked child with a time limit, so that whatever happens to it — an abort in the
workbook reader (SIGABRT, which no ``except`` catches), a crash, a hang, a bug — becomes a
result, and the caller goes on: the scheduler runs each review's build this way
(:func:`run_isolated`), a build draws half its charts and checks its documents' PDF/A beside its
own work (:class:`Child`, started now, its result taken later).

The child is forked (the parent's modules are already loaded, so it starts in milliseconds) and
sends back one message: the value, or the error as text. The parent waits at most the time
limit; a child that overruns is asked to stop (SIGTERM: it removes its staging and kills
LibreOffice), then killed. A signal to the parent stops the child the same way.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from .errors import UserError
from .signals_guard import Interrupted, die_with_parent, interruptible, reset_in_child

GRACE = 15.0  # seconds a child is given to clean up after SIGTERM before SIGKILL


@dataclass
class ChildResult:
    kind: str  # ok | user | refused | crash | timeout | bug | interrupted
    value: Any = None
    message: str = ""  # one line for the log and the failure report
    report_json: str = ""  # the validation report of a refused build
    detail: str = ""  # the traceback of a bug

    @property
    def ok(self) -> bool:
        return self.kind == "ok"


def _quiet_stop(unraisable: Any) -> None:
    """A stop signal that arrived inside a callback Python cannot raise from (a weakref's, a
    finaliser's): Python would print "Exception ignored …" with a traceback on the user's
    terminal and carry on; the child ends at once instead, quietly (its parent is stopping it)."""
    if isinstance(unraisable.exc_value, Interrupted):
        os._exit(unraisable.exc_value.exit_code)
    sys.__unraisablehook__(unraisable)


def _child(conn: Connection, parent_pid: int, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    reset_in_child()
    sys.unraisablehook = _quiet_stop
    try:
        with interruptible():
            die_with_parent(parent_pid)  # a parent killed with SIGKILL takes this child along
            value = fn(*args)
        conn.send(ChildResult("ok", value))
    except Interrupted as exc:
        conn.send(ChildResult("interrupted", message=str(exc)))
    except UserError as exc:
        report = getattr(exc, "report", None)
        conn.send(ChildResult("refused" if report is not None else "user", message=str(exc),
                              report_json=report.to_json() if report is not None else ""))
    except BaseException as exc:  # a bug: the whole story for the log, one line for the report
        conn.send(ChildResult("bug", message=f"internal problem ({type(exc).__name__}: {exc})",
                              detail=traceback.format_exc()))
    finally:
        conn.close()


def _died(exitcode: int | None) -> str:
    if exitcode is None:
        return "the process did not end"
    if exitcode < 0:
        name = signal.Signals(-exitcode).name
        why = {"SIGABRT": "it aborted — e.g. the workbook reader on a damaged or hostile file",
               "SIGKILL": "it was killed — out of memory, or by an operator",
               "SIGSEGV": "it crashed"}.get(name, "it was stopped by a signal")
        return f"the process died of {name} ({why})"
    return f"the process ended with exit code {exitcode} without a result"


def stop(process: Any, grace: float = GRACE) -> None:
    """SIGTERM (so the child cleans up), then SIGKILL after ``grace`` seconds."""
    if process.is_alive():
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        process.join(grace)
    if process.is_alive():
        with contextlib.suppress(ProcessLookupError):
            process.kill()
    process.join()


class Child:
    """``fn(*args)`` started now in a forked child; :meth:`result` waits for it. Raises
    OSError when no child can be started (a process limit)."""

    def __init__(self, fn: Callable[..., Any], *args: Any, grace: float = GRACE) -> None:
        context = multiprocessing.get_context("fork")
        self._conn, child = context.Pipe(duplex=False)
        self._process = context.Process(target=_child, args=(child, os.getpid(), fn, args))
        self.grace = grace
        try:
            self._process.start()  # the child may fork too
        finally:
            child.close()

    def result(self, time_limit: float) -> ChildResult:
        """The child's result within ``time_limit`` seconds; never raises for what happens in
        the child (a child that overruns is stopped: a "timeout")."""
        try:
            if not self._conn.poll(time_limit):
                return ChildResult("timeout", message=f"did not finish within "
                                   f"{_seconds(time_limit)}; it was stopped (a hang, or a very "
                                   "large workbook)")
            try:
                result: ChildResult = self._conn.recv()
            except (EOFError, OSError):
                self._process.join(self.grace)
                return ChildResult("crash", message=_died(self._process.exitcode))
            self._process.join(self.grace)
            return result
        finally:
            self.close()

    def close(self) -> None:
        """Stop the child if it still runs (the parent was interrupted, or gave up) and reap it."""
        if self._process.is_alive():
            stop(self._process, self.grace)
        self._conn.close()


def run_isolated(fn: Callable[..., Any], *args: Any, time_limit: float,
                 grace: float = GRACE) -> ChildResult:
    """``fn(*args)`` in a forked child; never raises for what happens in the child."""
    return Child(fn, *args, grace=grace).result(time_limit)


def _seconds(limit: float) -> str:
    return f"{limit / 60:g} minutes" if limit >= 120 else f"{limit:g} s"
