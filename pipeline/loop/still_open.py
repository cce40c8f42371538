"""What a review left open: the requests of its pre-read that were deferred or never answered.
``next`` carries them and ``--previous`` checks that none vanished."""

from __future__ import annotations

from ..analysis import analyse
from ..workbook.model import WorkbookData
from ..workbook.outcomes import RequestOutcome, request_outcomes


def open_requests(data: WorkbookData) -> list[RequestOutcome]:
    """The review's requests (as its pre-read listed them) still to be decided."""
    requests = analyse(data).decisions_requested
    return [item for item in request_outcomes(data, requests) if item.open]
