"""Python's cyclic garbage collector, paused for a burst of allocation.

Reading a large workbook makes hundreds of thousands of small objects (cells, typed values,
records), almost none of them in reference cycles. Each of the collector's full passes walks
every object alive, so a 28,000-row workbook was walked again and again while it was being
built: a fifth of ``validate``'s time. Garbage without cycles is freed as before (reference
counting); cycles made meanwhile are collected when the pause ends.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic collection inside the block; the collector is as it was after (nested
    blocks leave it to the outermost)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
