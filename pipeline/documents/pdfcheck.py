"""PDF/A validation of the written meeting documents in a forked child, while the build goes
on with the evidence bundle on the other core.

pikepdf.pdfa parses every content stream in Python (about 1 s for the example's three
documents); nothing that follows needs its verdict until the pack is complete, so the check runs
beside the bundle and the build waits for it before publishing. A child that fails, dies or hangs
gives "not validated" for its documents: the claim is then withdrawn, never assumed. (Where no
child can be started, the documents are checked in this process.)
"""

from __future__ import annotations

from pathlib import Path

from .. import archival as pdfa
from ..children import Child


def _validate_all(paths: list[Path], flavour: str) -> list[pdfa.Conformance]:
    return [pdfa.validate(path, flavour) for path in paths]


class BackgroundCheck:
    """``BackgroundCheck(paths).results()`` → each path's :class:`~pipeline.archival.Conformance`."""

    def __init__(self, paths: list[Path], flavour: str = pdfa.DOCUMENTS) -> None:
        self.paths, self.flavour = list(paths), flavour
        self._child: Child | None = None
        try:
            self._child = Child(_validate_all, self.paths, flavour, grace=1)
        except OSError:  # no fork here (process limit): checked in-process instead
            self._child = None

    def results(self) -> dict[Path, pdfa.Conformance]:
        if self._child is None:
            return dict(zip(self.paths, _validate_all(self.paths, self.flavour), strict=True))
        try:  # a child that fails, dies or hangs: its documents are "not validated"
            done = self._child.result(self.time_limit())
        finally:
            self.close()
        if done.ok:
            return dict(zip(self.paths, done.value, strict=True))
        return {p: pdfa.Conformance(self.flavour, False, checked=False) for p in self.paths}

    def time_limit(self) -> float:
        """Generous: a minute, plus 10 s per MB of PDF (the example's three take ~1 s)."""
        size = sum(p.stat().st_size for p in self.paths if p.exists())
        return 60 + 10 * size / 1e6

    def close(self) -> None:
        """Stop the child (the build was interrupted or failed) and reap it."""
        if self._child is not None:
            self._child.close()
            self._child = None
