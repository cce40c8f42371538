"""Failures while assembling are blamed on the evidence file being worked on, so the bundle can
be made again without it (its problem then says what went wrong) instead of failing whole."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .sources import Source


class PartFailed(Exception):
    def __init__(self, source: Source, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.source = source
        self.cause = cause


@contextlib.contextmanager
def blame(source: Source | None) -> Iterator[None]:
    """Turn any exception inside the block into :class:`PartFailed` for ``source`` (none for
    the bundle's own pages: those are bugs and propagate)."""
    try:
        yield
    except PartFailed:
        raise
    except Exception as exc:
        if source is None:
            raise
        raise PartFailed(source, exc) from exc
