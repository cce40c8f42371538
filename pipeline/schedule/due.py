"""When a pre-read is due: N business days before the meeting (the meeting day not counted;
weekends, public holidays of the configured country/subdivision and extra holidays skipped), at
``generate_at`` local time. A Friday meeting with a lead of 5 is due the Friday before."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from functools import cache

from ..workdays import business_days_before
from .config import ReviewSchedule


@cache
def public_holidays(country: str, subdivision: str, year: int) -> frozenset[dt.date]:
    if not country:
        return frozenset()
    import holidays

    days = holidays.country_holidays(country, subdiv=subdivision or None, years=[year - 1, year])
    return frozenset(days)


def due_date(meeting: dt.date, lead: int, review: ReviewSchedule) -> dt.date:
    closed = public_holidays(review.holidays_country, review.holidays_subdivision, meeting.year)
    return business_days_before(meeting, lead, closed | set(review.extra_holidays))


def due_moment(meeting: dt.date, lead: int, review: ReviewSchedule) -> dt.datetime:
    """The aware moment the pack is due (DST handled by the zone database)."""
    day = due_date(meeting, lead, review)
    return dt.datetime.combine(day, review.generate_at, tzinfo=zoneinfo.ZoneInfo(review.timezone))
