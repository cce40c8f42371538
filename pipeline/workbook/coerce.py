"""Turn one raw cell value into the typed value its column declares.

``coerce(column, raw)`` returns ``(value, problem)``: the typed value (None for a blank) and,
when the cell is not acceptable as it is, a ``(code, message)`` pair. Messages tell a
compliance officer what to type instead.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Callable
from functools import cache
from typing import Any

from .contract import Column
from .periods import parse_period
from .timezones import read_timezone

Problem = tuple[str, str]
Result = tuple[Any, Problem | None]

CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
_ISO_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T ][0-9:.]+Z?)?$")
_NUMERIC_DATE = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4}|\d{2})$")
_WORD_DATE_FORMATS = ("%d %B %Y", "%d %b %Y", "%B %d %Y", "%b %d %Y", "%d-%b-%Y", "%d-%B-%Y")
_SEPT = re.compile(r"\bsept\b\.?", re.I)  # "30 Sept 2026": the common four-letter form
_TIME = re.compile(r"^(\d{1,2})(?:[:.h](\d{2})(?::(\d{2}))?)?\s*([ap]\.?m\.?)?$", re.I)
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_SEVERAL_PEOPLE = re.compile(r"\s(?:and|&|\+)\s|[/;\n]", re.I)
_YES = {"yes", "y", "true", "1", "ja", "oui", "si", "sí"}
_NO = {"no", "n", "false", "0", "nein", "non"}
EXCEL_EPOCH = dt.date(1899, 12, 30)
FIRST_YEAR, LAST_YEAR = 1900, 9998  # dates outside these years are refused, not computed with
_OUT_OF_RANGE: Problem = ("date-out-of-range", f"is outside the years {FIRST_YEAR} to "
                          f"{LAST_YEAR} the review can work with; check the year and type the "
                          "date as YYYY-MM-DD.")


def is_blank(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def clean_text(raw: object) -> str:
    """Cell value as text: 7.0 → "7", dates → ISO, control characters removed."""
    if isinstance(raw, str):
        text = raw
    elif isinstance(raw, bool):
        text = "Yes" if raw else "No"
    elif isinstance(raw, float) and raw.is_integer():
        text = str(int(raw))
    elif isinstance(raw, dt.datetime):
        text = raw.date().isoformat() if raw.time() == dt.time() else raw.isoformat(" ")
    elif isinstance(raw, dt.date | dt.time):
        text = raw.isoformat()
    else:
        text = str(raw)
    return CONTROL_CHARS.sub("", text).strip()


def _normal(text: str) -> str:
    return " ".join(text.split()).casefold()


_MANY = 500  # above this many choices (the IDs of a large register) only near-typos are compared
_LEADING = re.compile(r"\D*")


def suggest(text: str, choices: tuple[str, ...] | list[str]) -> str | None:
    """The closest allowed name, compared without case and spaces, if any is close.

    Among many choices only those a typo could have made are compared: the same leading
    letters and a length within one character (difflib over 28,000 IDs takes ~0.3 s a name)."""
    target = _normal(text)
    if len(choices) > _MANY:
        prefix = _LEADING.match(target)
        lead = prefix.group() if prefix else ""
        size = len(target)
        near = [c for c in choices if size - 1 <= len(c) <= size + 1]  # cheap first cut
        lookup = {_normal(c): c for c in near}
        names = [n for n in lookup if abs(len(n) - len(target)) <= 1 and n.startswith(lead)]
    else:
        lookup = {_normal(c): c for c in choices}
        names = list(lookup)
    close = difflib.get_close_matches(target, names, n=1, cutoff=0.6)
    return lookup[close[0]] if close else None


def _text(col: Column, raw: Any) -> Result:
    return clean_text(raw), None


def _person(col: Column, raw: Any) -> Result:
    text = clean_text(raw)
    if _SEVERAL_PEOPLE.search(text):
        return text, ("several-owners",
                      f"names more than one person; name one accountable person as {col.name}.")
    return text, None


def _id(col: Column, raw: Any) -> Result:
    if isinstance(raw, float) and not raw.is_integer():
        return clean_text(repr(raw)), None
    return clean_text(raw), None


def _excel_serial_hint(number: float) -> str:
    if 1 <= number < 2958466:
        day = EXCEL_EPOCH + dt.timedelta(days=int(number))
        return f" (it may be the date {day.isoformat()} without date formatting)"
    return ""


def parse_date_text(text: str) -> tuple[dt.date | None, Problem | None]:
    """Read a date typed as text. ISO is accepted silently; other forms warn or fail."""
    if m := _ISO_DATE.match(text):
        try:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))), None
        except ValueError:
            return None, ("wrong-type", "is not a real date; type it as YYYY-MM-DD.")
    if m := _NUMERIC_DATE.match(text):
        first, second, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
        year = year + 2000 if year < 100 else year
        if first <= 12 and second <= 12 and first != second:
            return None, (
                "ambiguous-date",
                f"could be {dt.date(year, second, first):%d %B %Y} or "
                f"{dt.date(year, first, second):%d %B %Y}; type it as YYYY-MM-DD.",
            )
        day, month = (first, second) if first > 12 or first == second else (second, first)
        try:
            value = dt.date(year, month, day)
        except ValueError:
            return None, ("wrong-type", "is not a real date; type it as YYYY-MM-DD.")
        return value, ("date-as-text", f"was read as {value.isoformat()}; type dates as YYYY-MM-DD.")
    for fmt in _WORD_DATE_FORMATS:
        try:
            value = dt.datetime.strptime(_SEPT.sub("Sep", text.replace(",", "")), fmt).date()
        except ValueError:
            continue
        return value, ("date-as-text", f"was read as {value.isoformat()}; type dates as YYYY-MM-DD.")
    number = _to_number(text)
    hint = _excel_serial_hint(number) if number is not None else ""
    return None, ("wrong-type", f"is not a date{hint}; type it as YYYY-MM-DD or pick it from the calendar.")


def _date(col: Column, raw: Any) -> Result:
    if isinstance(raw, dt.datetime):
        return _in_range(raw.date())
    if isinstance(raw, dt.date):
        return _in_range(raw)
    if isinstance(raw, str):
        day, problem = parse_date_text(CONTROL_CHARS.sub("", raw).strip())
        return (day, problem) if day is None else _in_range(day, problem)
    if isinstance(raw, dt.time) and raw == dt.time():
        # the reader's value for a date-formatted cell holding 0 or a negative number (a date
        # before 1900, which Excel cannot show either)
        return None, ("date-out-of-range", "holds 0 or a negative number formatted as a date "
                      "(Excel shows 1900-01-00 or ####): no real date; type the date as "
                      "YYYY-MM-DD.")
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        hint = _excel_serial_hint(raw)
        return None, ("wrong-type", f"is a number, not a date{hint}; type it as YYYY-MM-DD.")
    return None, ("wrong-type", "is not a date; type it as YYYY-MM-DD.")


def _in_range(day: dt.date, problem: Problem | None = None) -> Result:
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        return None, _OUT_OF_RANGE
    return day, problem


def _time(col: Column, raw: Any) -> Result:
    if isinstance(raw, dt.datetime):
        return raw.time().replace(microsecond=0), None
    if isinstance(raw, dt.time):
        return raw.replace(microsecond=0), None
    if isinstance(raw, dt.timedelta) and dt.timedelta(0) <= raw < dt.timedelta(days=1):
        return (dt.datetime.min + raw).time().replace(microsecond=0), None
    if isinstance(raw, float) and not isinstance(raw, bool) and 0 <= raw < 1:
        seconds = round(raw * 86400)
        return dt.time(seconds // 3600, seconds % 3600 // 60, seconds % 60), None
    if isinstance(raw, str) and (m := _TIME.match(raw.strip())) and (m.group(2) or m.group(4)):
        hour, minute, second = int(m.group(1)), int(m.group(2) or 0), int(m.group(3) or 0)
        if m.group(4):  # 10am, 2.30 pm, 9 a.m.
            if not 1 <= hour <= 12:
                hour = 99
            hour = hour % 12 + (12 if m.group(4).lower().startswith("p") else 0)
        if hour < 24 and minute < 60 and second < 60:
            return dt.time(hour, minute, second), None
    return None, ("wrong-type", "is not a time; type it as HH:MM on the 24-hour clock, e.g. 10:00.")


def _timezone(col: Column, raw: Any) -> Result:
    return read_timezone(clean_text(raw))


def _to_number(raw: Any) -> float | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        return float(raw) if raw == raw and abs(raw) != float("inf") else None
    if isinstance(raw, str):
        text = raw.strip().replace("\u00a0", "").replace(" ", "")
        if _NUMBER.match(text):
            return float(text)
    return None


def _range_problem(col: Column, number: float) -> Problem | None:
    low, high = col.min, col.max
    if (low is not None and number < low) or (high is not None and number > high):
        if low is not None and high is not None:
            bounds = f"between {low:g} and {high:g}"
        elif low is not None:
            bounds = f"at least {low:g}"
        else:
            bounds = f"at most {high:g}"
        return ("out-of-range", f"must be {bounds}.")
    return None


def _integer(col: Column, raw: Any) -> Result:
    number = _to_number(raw)
    if number is None or not number.is_integer():
        what = "a number with decimals" if number is not None else "not a number"
        return None, ("wrong-type", f"is {what}; type a whole number (leave blank if unknown).")
    return int(number), _range_problem(col, number)


def _number(col: Column, raw: Any) -> Result:
    number = _to_number(raw)
    if number is None:
        return None, ("wrong-type",
                      "is not a number; type digits only, e.g. 95 or 3.5 (leave blank if unknown).")
    return number, _range_problem(col, number)


def _percentage(col: Column, raw: Any) -> Result:
    text = raw.strip() if isinstance(raw, str) else raw
    if isinstance(text, str) and text.endswith("%"):
        number = _to_number(text[:-1])
        fraction = None if number is None else number / 100
    else:
        number = _to_number(text)
        fraction = None if number is None else (number if number <= 1 else number / 100)
    if fraction is None:
        return None, ("wrong-type", "is not a percentage; type e.g. 75% or 75.")
    if not 0 <= fraction <= 1:
        return None, ("out-of-range", "must be between 0% and 100%.")
    return fraction, None


def _yes_no(col: Column, raw: Any) -> Result:
    if isinstance(raw, bool):
        return raw, None
    text = _normal(clean_text(raw))
    if text in _YES:
        return True, None
    if text in _NO:
        return False, None
    return None, ("not-in-list", "must be Yes or No.")


@cache
def _enum_lookup(values: tuple[str, ...]) -> dict[str, str]:
    return {_normal(v): v for v in values}


def match_enum(text: str, values: tuple[str, ...]) -> str | None:
    """The allowed value ``text`` names, ignoring case and surrounding/double spaces."""
    return _enum_lookup(values).get(_normal(text))


def _enum(col: Column, raw: Any) -> Result:
    text = clean_text(raw)
    value = match_enum(text, col.values)
    if value is not None:
        return value, None
    close = suggest(text, col.values)
    hint = f" Did you mean '{close}'?" if close else ""
    return None, ("not-in-list", f"is not allowed; choose one of: {', '.join(col.values)}.{hint}")


def _enum_list(col: Column, raw: Any) -> Result:
    items = [i for i in re.split(r"[,;/\n]+|\s+", clean_text(raw)) if i]
    values: list[str] = []
    unknown: list[str] = []
    for item in items:
        value = match_enum(item, col.values)
        if value is None:
            unknown.append(item)
        elif value not in values:
            values.append(value)
    if unknown:
        return tuple(values), (
            "dangling-reference",
            f"refers to {', '.join(repr(u) for u in unknown)}, which is not an input; "
            f"use one or more of: {', '.join(col.values)}, separated by commas.",
        )
    return tuple(values), None


def _period(col: Column, raw: Any) -> Result:
    period = parse_period(raw)
    if period is None:
        return None, ("bad-period", "is not a period; type 2026-10 (month), 2026-Q3 (quarter), "
                      "2026-H2 (half year) or 2026 (year).")
    return period, None


COERCERS: dict[str, Callable[[Column, Any], Result]] = {
    "text": _text,
    "long_text": _text,
    "id": _id,
    "ref": _id,
    "person": _person,
    "date": _date,
    "time": _time,
    "timezone": _timezone,
    "integer": _integer,
    "number": _number,
    "percentage": _percentage,
    "yes_no": _yes_no,
    "enum": _enum,
    "enum_list": _enum_list,
    "period": _period,
}


def coerce(col: Column, raw: Any) -> Result:
    """Typed value of ``raw`` for ``col`` (None when blank), and the problem if any."""
    if is_blank(raw):
        return None, None
    return COERCERS[col.type](col, raw)
