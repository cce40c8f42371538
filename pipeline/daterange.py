"""The dates isms-review supports: 1900-01-01 to 9998-12-31. Every date the tool *computes*
(the next review's period, a due date) is checked against this range, so a date at the edge
gives a message naming the field instead of an ``OverflowError`` (Python's dates end at 9999,
Excel's begin in 1900; a year of headroom keeps "the day after" and "a period later" valid)."""

from __future__ import annotations

import datetime as dt

from .errors import UserError

FIRST = dt.date(1900, 1, 1)
LAST = dt.date(9998, 12, 31)


def iso(day: dt.date) -> str:
    """2026-12-04, and 0001-01-03 (strftime drops the zeros of years before 1000)."""
    return f"{day.year:04d}-{day.month:02d}-{day.day:02d}"


class DateOutOfRange(UserError):
    """A date is outside 1900-01-01 to 9998-12-31."""


def in_range(day: dt.date) -> bool:
    value = day.date() if isinstance(day, dt.datetime) else day
    return FIRST <= value <= LAST


def checked(day: dt.date, field: str, fix: str = "") -> dt.date:
    """``day`` itself, or :class:`DateOutOfRange` naming ``field``."""
    if not in_range(day):
        raise DateOutOfRange(f"{field} {iso(day)} is outside the dates isms-review supports "
                             f"({FIRST:%Y-%m-%d} to {LAST:%Y-%m-%d})" + (f"; {fix}" if fix else "."))
    return day


def shifted(day: dt.date, delta: dt.timedelta, field: str, fix: str = "") -> dt.date:
    """``day + delta`` checked: the result names ``field`` when it leaves the range (also where
    Python itself would overflow)."""
    try:
        result = day + delta
    except OverflowError:
        direction = "after" if delta > dt.timedelta(0) else "before"
        limit = LAST if direction == "after" else FIRST
        raise DateOutOfRange(f"{field} would fall {direction} {limit:%Y-%m-%d}, outside the dates "
                             "isms-review supports" + (f"; {fix}" if fix else ".")) from None
    if not in_range(result):
        direction = "after" if result > LAST else "before"
        limit = LAST if direction == "after" else FIRST
        raise DateOutOfRange(f"{field} would be {iso(result)}, {direction} {limit:%Y-%m-%d}, "
                             "outside the dates isms-review supports" + (f"; {fix}" if fix else "."))
    return result
