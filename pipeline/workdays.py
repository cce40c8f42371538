"""Business-day arithmetic: the pre-read is due N business days before the meeting."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection


def business_days_before(day: dt.date, count: int, holidays: Collection[dt.date] = ()) -> dt.date:
    """The date ``count`` business days before ``day`` (``day`` itself not counted; weekends
    and ``holidays`` skipped). A Friday meeting with count 5 gives the Friday before."""
    current = day
    remaining = count
    while remaining > 0:
        current -= dt.timedelta(days=1)
        if current.weekday() < 5 and current not in holidays:
            remaining -= 1
    return current
