"""Reporting periods as users type them: 2026-10, 2026-Q3, 2026-H2, 2026 (and Excel's habit of
turning "2026-10" into the date 1 October 2026)."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

Granularity = Literal["month", "quarter", "half", "year"]

_MONTH = re.compile(r"^(\d{4})[-/ .](\d{1,2})$")
_MONTH_FIRST = re.compile(r"^(\d{1,2})[-/ .](\d{4})$")
_QUARTER = re.compile(r"^(\d{4})\s*[- ]?\s*Q([1-4])$|^Q([1-4])\s*[- ]?\s*(\d{4})$", re.I)
_HALF = re.compile(r"^(\d{4})\s*[- ]?\s*H([12])$|^H([12])\s*[- ]?\s*(\d{4})$", re.I)
_YEAR = re.compile(r"^(?:FY|CY)?\s*(\d{4})$", re.I)
_MONTH_NAME = re.compile(r"^([A-Za-z]{3,9})[-/ .,]*(\d{4})$")
_MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m} | {
    m.lower(): i for i, m in enumerate(calendar.month_abbr) if m
} | {"sept": 9}  # the common four-letter form


@dataclass(frozen=True, order=True)
class Period:
    start: dt.date
    end: dt.date
    granularity: Granularity
    label: str

    def __str__(self) -> str:
        return self.label

    @property
    def ordinal(self) -> int:
        """Position on a line of periods of the same length (consecutive periods differ by 1)."""
        return ordinal_of(self.start, self.granularity)

    def next(self) -> Period:
        """The period of the same length that follows this one."""
        following = self.end + dt.timedelta(days=1)
        if self.granularity == "month":
            return month(following.year, following.month)
        if self.granularity == "quarter":
            return quarter(following.year, (following.month - 1) // 3 + 1)
        if self.granularity == "half":
            return half(following.year, 1 if following.month <= 6 else 2)
        return year(following.year)


def _last_day(y: int, m: int) -> dt.date:
    return dt.date(y, m, calendar.monthrange(y, m)[1])


def month(y: int, m: int) -> Period:
    return Period(dt.date(y, m, 1), _last_day(y, m), "month", f"{y:04d}-{m:02d}")


def quarter(y: int, q: int) -> Period:
    return Period(dt.date(y, 3 * q - 2, 1), _last_day(y, 3 * q), "quarter", f"{y:04d}-Q{q}")


def half(y: int, h: int) -> Period:
    return Period(dt.date(y, 6 * h - 5, 1), _last_day(y, 6 * h), "half", f"{y:04d}-H{h}")


def year(y: int) -> Period:
    return Period(dt.date(y, 1, 1), dt.date(y, 12, 31), "year", f"{y:04d}")


def parse_period(value: object) -> Period | None:
    """The period a cell denotes, or None when it is not a recognised period."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return month(value.year, value.month) if 1900 <= value.year <= 2999 else None
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        if float(value).is_integer() and 1900 <= value <= 2999:
            return year(int(value))
        return None
    if not isinstance(value, str):
        return None
    return _parse_text(value.strip())


def _parse_text(text: str) -> Period | None:
    if m := _QUARTER.match(text):
        y, q = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        return _valid(lambda: quarter(int(y), int(q)))
    if m := _HALF.match(text):
        y, h = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        return _valid(lambda: half(int(y), int(h)))
    if m := _MONTH.match(text):
        return _valid(lambda: month(int(m.group(1)), int(m.group(2))))
    if m := _MONTH_FIRST.match(text):
        return _valid(lambda: month(int(m.group(2)), int(m.group(1))))
    if m := _MONTH_NAME.match(text):
        number = _MONTHS.get(m.group(1).lower())
        return _valid(lambda: month(int(m.group(2)), number)) if number else None
    if m := _YEAR.match(text):
        return _valid(lambda: year(int(m.group(1))))
    if len(text) == 10:  # a full ISO date typed as text: its month
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            return None
        return month(day.year, day.month)
    return None


def _valid(make: object) -> Period | None:
    try:
        period = make()  # type: ignore[operator]
    except ValueError:
        return None
    if not isinstance(period, Period) or not 1900 <= period.start.year <= 2999:
        return None
    return period


_PER_YEAR = {"month": 12, "quarter": 4, "half": 2, "year": 1}


def ordinal_of(day: dt.date, granularity: Granularity) -> int:
    per_year = _PER_YEAR[granularity]
    return day.year * per_year + (day.month - 1) * per_year // 12


def from_ordinal(ordinal: int, granularity: Granularity) -> Period:
    per_year = _PER_YEAR[granularity]
    y, index = divmod(ordinal, per_year)
    if granularity == "month":
        return month(y, index + 1)
    if granularity == "quarter":
        return quarter(y, index + 1)
    if granularity == "half":
        return half(y, index + 1)
    return year(y)


def containing(day: dt.date, granularity: Granularity) -> Period:
    """The period of the given length that contains ``day``."""
    return from_ordinal(ordinal_of(day, granularity), granularity)


def spanning(start: dt.date, end: dt.date, granularity: Granularity) -> list[Period]:
    """Consecutive periods from the one holding ``start`` to the one holding ``end``."""
    first, last = ordinal_of(start, granularity), ordinal_of(end, granularity)
    return [from_ordinal(n, granularity) for n in range(first, last + 1)]
