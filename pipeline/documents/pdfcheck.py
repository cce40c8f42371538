"""PDF/A validation of the written meeting documents in a forked child, while the build goes
on with the evidence bundle on the other core.

pikepdf.pdfa parses every content stream in Python (about 1 s for the example's three
documents); nothing that follows needs its verdict until the pack is complete, so the check runs
beside the bundle and the build waits for it before publishing. A child that dies, or cannot be
started, gives "not validated" for its documents: the claim is then withdrawn, never assumed.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from multiprocessing.connection import Connection
from pathlib import Path

from .. import archival as pdfa
from ..signals_guard import die_with_parent, reset_in_child


def _child(paths: list[str], flavour: str, conn: Connection, parent_pid: int) -> None:
    try:
        reset_in_child()
        die_with_parent(parent_pid, signal.SIGKILL)
        for path in paths:
            conn.send(pdfa.validate(Path(path), flavour))
    except BaseException:  # the parent reads a short answer as "not validated"
        pass
    finally:
        conn.close()


class BackgroundCheck:
    """``BackgroundCheck(paths).results()`` → each path's :class:`~pipeline.archival.Conformance`."""

    def __init__(self, paths: list[Path], flavour: str = pdfa.DOCUMENTS) -> None:
        self.paths, self.flavour = list(paths), flavour
        self._process: multiprocessing.process.BaseProcess | None = None
        self._conn: Connection | None = None
        try:
            context = multiprocessing.get_context("fork")
            parent, child = context.Pipe(duplex=False)
            process = context.Process(target=_child, daemon=True,
                                      args=([str(p) for p in self.paths], flavour, child, os.getpid()))
            process.start()
            child.close()
            self._process, self._conn = process, parent
        except (OSError, ValueError):  # no fork here (process limit): checked in-process instead
            self._process = self._conn = None

    def results(self) -> dict[Path, pdfa.Conformance]:
        if self._conn is None:
            return {p: pdfa.validate(p, self.flavour) for p in self.paths}
        out: dict[Path, pdfa.Conformance] = {}
        deadline = time.monotonic() + self.time_limit()
        try:
            for path in self.paths:
                try:  # a child that hangs is stopped: its documents are "not validated"
                    if not self._conn.poll(max(deadline - time.monotonic(), 0)):
                        break
                    out[path] = self._conn.recv()
                except (EOFError, OSError):
                    break
        finally:
            self.close()
        for path in self.paths:
            out.setdefault(path, pdfa.Conformance(self.flavour, False, checked=False))
        return out

    def time_limit(self) -> float:
        """Generous: a minute, plus 10 s per MB of PDF (the example's three take ~1 s)."""
        size = sum(p.stat().st_size for p in self.paths if p.exists())
        return 60 + 10 * size / 1e6

    def close(self) -> None:
        """Stop the child (the build was interrupted or failed) and reap it."""
        if self._process is not None:
            if self._process.is_alive():
                self._process.kill()
            self._process.join(10)
            self._process = None
        if self._conn is not None:
            self._conn.close()
            self._conn = None
