"""The one due-date rule: the pre-read is due N business days before the meeting, skipping
weekends, the public holidays of the review's calendar and its extra holidays. The agenda, the
pre-read and the scheduler all call :func:`pre_read_due`."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection
from dataclasses import dataclass
from functools import cache

from .errors import UserError

_CALENDAR = re.compile(r"^([A-Za-z]{2,3})(?:[-_ ]([A-Za-z0-9]{1,4}))?$")


@dataclass(frozen=True)
class HolidayCalendar:
    """A country (and optional subdivision) as the ``holidays`` package names them, plus
    extra closed days."""

    country: str = ""
    subdivision: str = ""
    extra: tuple[dt.date, ...] = ()

    @property
    def label(self) -> str:
        name = f"{self.country}-{self.subdivision}" if self.subdivision else self.country
        return name or "weekends only"


def parse_calendar(text: str) -> tuple[str, str]:
    """'GB-ENG' → ('GB', 'ENG'); '' → ('', ''). Raises ValueError with the fix."""
    text = text.strip()
    if not text:
        return "", ""
    match = _CALENDAR.match(text)
    if not match:
        raise ValueError(f"'{text}' is not a holiday calendar: type a country code with an "
                         "optional subdivision, e.g. GB-ENG, DE-BY or FR")
    country, sub = match.group(1).upper(), (match.group(2) or "").upper()
    import holidays

    supported = holidays.list_supported_countries()
    if country not in supported:
        raise ValueError(f"'{text}': the holidays package has no country '{country}'")
    if sub and sub not in supported[country]:
        known = ", ".join(supported[country][:12])
        raise ValueError(f"'{text}': {country} has no subdivision '{sub}' (known: {known})")
    return country, sub


def parse_extra(text: str) -> tuple[dt.date, ...]:
    """'2026-12-24, 2026-12-31' → dates. Raises ValueError naming the part that is not a date."""
    out = []
    for part in (p.strip() for p in re.split(r"[,;]", text or "")):
        if not part:
            continue
        try:
            out.append(dt.date.fromisoformat(part))
        except ValueError:
            raise ValueError(f"'{part}' is not a date: write extra holidays as YYYY-MM-DD, "
                             "separated by commas") from None
    return tuple(out)


def calendar_from_fields(calendar: str, extra: str, where: str = "Review sheet") -> HolidayCalendar:
    try:
        country, sub = parse_calendar(calendar)
        return HolidayCalendar(country, sub, parse_extra(extra))
    except ValueError as exc:
        raise UserError(f"{where}: {exc}.") from None


@cache
def public_holidays(country: str, subdivision: str, year: int) -> frozenset[dt.date]:
    if not country:
        return frozenset()
    import holidays

    days = holidays.country_holidays(country, subdiv=subdivision or None, years=[year - 1, year])
    return frozenset(days)


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


def pre_read_due(meeting: dt.date, lead: int, calendar: HolidayCalendar) -> dt.date:
    """The day the pre-read is due with attendees."""
    closed = public_holidays(calendar.country, calendar.subdivision, meeting.year)
    return business_days_before(meeting, lead, closed | set(calendar.extra))
