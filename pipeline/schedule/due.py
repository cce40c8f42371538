"""When a pre-read is due: the one rule of :func:`pipeline.workdays.pre_read_due` (N business
days before the meeting, the meeting day not counted; weekends, public holidays and extra
holidays skipped), at ``generate_at`` local time. The holiday calendar is the workbook's
(Review sheet: Holiday calendar, Extra holidays) unless the schedule file overrides it."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from ..daterange import checked
from ..workdays import HolidayCalendar, pre_read_due
from .config import ReviewSchedule


def calendar_for(review: ReviewSchedule, workbook: HolidayCalendar | None = None) -> HolidayCalendar:
    """The schedule file's holidays where it sets them, else the workbook's."""
    base = workbook or HolidayCalendar()
    if review.holidays_country:
        base = HolidayCalendar(review.holidays_country, review.holidays_subdivision, base.extra)
    if review.extra_holidays:
        base = HolidayCalendar(base.country, base.subdivision, tuple(review.extra_holidays))
    return base


def due_date(meeting: dt.date, lead: int, review: ReviewSchedule,
             workbook: HolidayCalendar | None = None) -> dt.date:
    checked(meeting, "Meeting date", f"correct it on the Review sheet of {review.workbook} (or "
            f"'meeting' for '{review.name}' in the schedule file).")
    return pre_read_due(meeting, lead, calendar_for(review, workbook))


def due_moment(meeting: dt.date, lead: int, review: ReviewSchedule,
               workbook: HolidayCalendar | None = None) -> dt.datetime:
    """The aware moment the pack is due (DST handled by the zone database)."""
    day = due_date(meeting, lead, review, workbook)
    return dt.datetime.combine(day, review.generate_at, tzinfo=zoneinfo.ZoneInfo(review.timezone))
